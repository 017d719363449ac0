"""cocotb + pyuvm testbenches, one folder per DUT, sharing :mod:`tb.common`."""
