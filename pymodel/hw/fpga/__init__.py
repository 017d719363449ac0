"""From verified RTL to an ECP5 bitstream: the self-checking bring-up design and its flow.

boards (the board and device table), clock (the oscillator or a PLL), bringup (the bring-up top's parameters and ROM files
from a vector set), uart (the result line and its CRC), tools (the YoWASP tools and
Icarus), sim (RTL and netlist simulation of the bring-up top), equiv (formal equivalence of
synthesized multipliers to their RTL) and flow (synthesis, place and route, bitstream,
reports/fpga/<design>.json).
"""
