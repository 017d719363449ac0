"""Reusable pyuvm pieces for every DUT's environment: see the modules' docstrings."""
