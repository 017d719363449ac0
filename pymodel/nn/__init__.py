"""nn: the network side, built on :mod:`pymodel.core`.

The depth network (:mod:`~pymodel.nn.nets`), approximate layer swapping
(:mod:`~pymodel.nn.approx`), NYU loaders and metrics (:mod:`~pymodel.nn.data`,
:mod:`~pymodel.nn.metrics`), the procedural scenes of the synthetic default
(:mod:`~pymodel.nn.scenes`), the per-layer accuracy sweep (:mod:`~pymodel.nn.sweep`) and the
kernel benchmark (:mod:`~pymodel.nn.bench`).
"""
