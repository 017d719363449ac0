// exact_mul: plain exact unsigned multiplier, the reference for the hardware-cost comparison.
//
// Same ports as mbm_mul so the synthesis report can swap one for the other; the product is
// 2N bits (a*b never needs the extra bit the approximate multipliers' 2N+1-bit port has).
// Purely combinational: latency 0, one product per cycle when registered by the caller.
`timescale 1ns / 1ps
`default_nettype none

module exact_mul #(
    parameter N = 8  // operand magnitude width, bits
) (
    input  wire [N-1:0]   a_i,  // unsigned operand a
    input  wire [N-1:0]   b_i,  // unsigned operand b
    output wire [2*N-1:0] p_o   // exact product a*b
);

    assign p_o = a_i * b_i;

endmodule

`default_nettype wire
