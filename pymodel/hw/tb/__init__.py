"""cocotb + pyuvm testbenches, one folder per DUT, sharing :mod:`pymodel.hw.tb.common`."""
