// mbm_mul_signed: combinational sign-magnitude MBM multiplier (docs/arithmetic.md "Sign-magnitude operands").
//
// Operands are sign-magnitude, {sign, magnitude}: bit N is the sign, bits N-1:0 the
// magnitude, so values run over [-(2^N-1), 2^N-1] (a "negative zero" is zero). The
// magnitude comes from the unsigned core mbm_mul, the sign is sa XOR sb, and the product
// leaves in two's complement (one bit wider than the unsigned product), ready for an
// accumulator; the golden model is pymodel.core.arith.mul_signed.
//
// Parameters (checked, with the same messages, by mbm_mul):
//   N         magnitude width, 4..16
//   TRUNC     MBM-t operand truncation, 0..N-8 (must be 0 for N < 8)
//   FRAC_OUT  1: keep the N-1 product fraction bits
//   MITCHELL  1: drop the bias correction (Mitchell's logarithmic multiplier)
// Ports:
//   a_i, b_i  sign-magnitude operands, N+1 bits
//   p_o       two's-complement product, 2N+2 bits (2N+2+N-1 with FRAC_OUT=1)
// Latency: combinational (mbm_mul plus one negation).

`timescale 1ns / 1ps
`default_nettype none

module mbm_mul_signed #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0
) (
    input  wire [N:0]                    a_i,
    input  wire [N:0]                    b_i,
    output wire [2*N+1+FRAC_OUT*(N-1):0] p_o
);

    localparam MAG_W = 2 * N + 1 + FRAC_OUT * (N - 1);

    wire [MAG_W-1:0] mag;

    mbm_mul #(
        .N        (N),
        .TRUNC    (TRUNC),
        .FRAC_OUT (FRAC_OUT),
        .MITCHELL (MITCHELL)
    ) u_mag (
        .a_i (a_i[N-1:0]),
        .b_i (b_i[N-1:0]),
        .p_o (mag)
    );

    wire negative = a_i[N] ^ b_i[N];

    assign p_o = negative ? -{1'b0, mag} : {1'b0, mag};

endmodule

`default_nettype wire
