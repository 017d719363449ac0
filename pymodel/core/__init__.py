"""core: the bit-exact arithmetic and nothing above it (numpy and torch only).

:mod:`~pymodel.core.arith` is the one definition of every multiplier; :mod:`~pymodel.core.conv`
the integer convolution / MAC-array model built on it; :mod:`~pymodel.core.quant` the
quantization; :mod:`~pymodel.core.kernels` the fast backends held bit-exact to conv;
:mod:`~pymodel.core.characterize` and :mod:`~pymodel.core.lut` the error statistics and table
export. Every other layer imports from here; nothing here imports another layer.
"""
