// mbm_mul: combinational unsigned Minimally Biased Multiplier (Saadat, Bokhari and
// Parameswaran, IEEE TCAD 2018), with Mitchell's multiplier as the MITCHELL=1 special case.
//
// The bit-exact contract is docs/arithmetic.md "Unsigned MBM" (golden model: pymodel.core.arith):
//   a == 0 or b == 0  -> p = 0
//   k = leading-one index, f = (x - 2^k) << (F - k), F = N - 1 fraction bits
//   TRUNC t > 0: f = (f with low t bits cleared) | 2^(t-1)          (MBM-t)
//   s = fa + fb
//   no carry (s < 2^F): M = 2^F + s + C,   E = ka + kb
//   carry    (s >= 2^F): M = s + (C >> 1), E = ka + kb + 1
//   p = (M << E) >> F                      (FRAC_OUT=1: p = M << E, F fraction bits kept)
// with C = (2^F >> 4) + (2^F >> 6) (c = 2^-4 + 2^-6), or C = 0 when MITCHELL=1.
//
// Parameters:
//   N         operand width, 4..16
//   TRUNC     MBM-t operand truncation, 0..N-8 (must be 0 for N < 8)
//   FRAC_OUT  1: keep the N-1 product fraction bits (p_o is then 3N bits wide)
//   MITCHELL  1: drop the bias correction (Mitchell's logarithmic multiplier)
// Ports:
//   a_i, b_i  unsigned operands, 0..2^N-1
//   p_o       unsigned product, 2N+1 bits (2N+1+N-1 with FRAC_OUT=1)
// Latency: combinational (two leading-one detectors, one F-bit add, one barrel shift).
// Illegal parameters stop elaboration with a one-line message naming the instance and the
// allowed range.

`timescale 1ns / 1ps
`default_nettype none

module mbm_mul #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0
) (
    input  wire [N-1:0]                  a_i,
    input  wire [N-1:0]                  b_i,
    output wire [2*N+FRAC_OUT*(N-1):0]   p_o
);

    // ---- parameter checks ----
    // $error names the instance (%m) and the allowed range. An elaboration-time $error is
    // only a message to some tools (Verilator reports it as a USERERROR warning that
    // -Wno-fatal or a lint waiver lets through; Verilog-2005 tools ignore it), so each check
    // also instantiates a module that does not exist, named after the rule: no tool can
    // then build the illegal design. (Verilator prints %m literally at elaboration and
    // names the instance on its "note: In instance" line instead.) Icarus Verilog 11 cannot
    // parse an elaboration-time $error at all, so it is left out where Icarus predefines
    // __ICARUS__; there the stop instance alone ends elaboration.
    generate
        if (N < 4 || N > 16) begin : g_bad_n
            `ifndef __ICARUS__
            $error("%m: N=%0d is out of range: allowed 4..16", N);
            `endif
            ERROR_mbm_mul_N_out_of_range_4_to_16 stop ();
        end
        if (TRUNC < 0 || (N >= 8 && TRUNC > N - 8) || (N < 8 && TRUNC != 0)) begin : g_bad_trunc
            `ifndef __ICARUS__
            $error("%m: TRUNC=%0d is out of range for N=%0d: allowed 0..N-8 (0 for N < 8)", TRUNC, N);
            `endif
            ERROR_mbm_mul_TRUNC_out_of_range_0_to_N_minus_8 stop ();
        end
        if (FRAC_OUT != 0 && FRAC_OUT != 1) begin : g_bad_frac_out
            `ifndef __ICARUS__
            $error("%m: FRAC_OUT=%0d is not allowed: allowed 0 or 1", FRAC_OUT);
            `endif
            ERROR_mbm_mul_FRAC_OUT_must_be_0_or_1 stop ();
        end
        if (MITCHELL != 0 && MITCHELL != 1) begin : g_bad_mitchell
            `ifndef __ICARUS__
            $error("%m: MITCHELL=%0d is not allowed: allowed 0 or 1", MITCHELL);
            `endif
            ERROR_mbm_mul_MITCHELL_must_be_0_or_1 stop ();
        end
    endgenerate

    localparam F      = N - 1;             // fraction bits of an operand
    localparam K_W    = $clog2(N);         // leading-one index, 0..N-1
    localparam E_W    = K_W + 1;           // exponent ka + kb + carry, 0..2N-1
    localparam M_W    = F + 2;             // mantissa 1.f + f + C, below 2^(F+2)
    localparam FULL_W = M_W + 2 * F + 1;   // M << E, the product with F fraction bits
    localparam P_W    = 2 * N + 1 + FRAC_OUT * F;

    // correction constant C and C >> 1 in units of 2^-F; MBM-t mask and midpoint
    localparam [M_W-1:0] C_FULL  = (MITCHELL != 0) ? 0 : ((1 << F) >> 4) + ((1 << F) >> 6);
    localparam [M_W-1:0] C_HALF  = C_FULL >> 1;
    localparam [F-1:0]   T_KEEP  = ~((1 << TRUNC) - 1);
    localparam [F-1:0]   T_MID   = (1 << TRUNC) >> 1;

    // index of the leading one (0 for x in {0, 1})
    function [K_W-1:0] lead_one;
        input [N-1:0] x;
        integer i;
        begin
            lead_one = {K_W{1'b0}};
            for (i = 1; i < N; i = i + 1)
                if (x[i]) lead_one = i[K_W-1:0];
        end
    endfunction

    // F-bit fraction: the bits below the leading one k, shifted up by F - k (the leading
    // one itself is shifted out of the F-bit word), then MBM-t truncation (the keep mask
    // and midpoint are all-ones and zero for TRUNC=0)
    function [F-1:0] fraction;
        input [F-1:0]   x_low;
        input [K_W-1:0] k;
        begin
            fraction = ((x_low << (F[K_W-1:0] - k)) & T_KEEP) | T_MID;
        end
    endfunction

    wire [K_W-1:0] ka = lead_one(a_i);
    wire [K_W-1:0] kb = lead_one(b_i);
    wire [F-1:0]   fa = fraction(a_i[F-1:0], ka);
    wire [F-1:0]   fb = fraction(b_i[F-1:0], kb);

    wire [F:0]     s     = {1'b0, fa} + {1'b0, fb};
    wire           carry = s[F];
    wire [M_W-1:0] m     = carry ? {1'b0, s} + C_HALF
                                 : {2'b01, s[F-1:0]} + C_FULL;
    wire [E_W-1:0] e     = {1'b0, ka} + {1'b0, kb} + {{K_W{1'b0}}, carry};

    wire [FULL_W-1:0] full = {{(2 * F + 1){1'b0}}, m} << e;
    wire              zero = ~|a_i | ~|b_i;
    wire [P_W-1:0]    p;

    generate
        if (FRAC_OUT != 0) begin : g_frac_out
            assign p = full;
        end else begin : g_int_out
            assign p = full[FULL_W-1:F];
            wire unused_frac_bits = ^full[F-1:0];  // (M << E) >> F drops them
        end
    endgenerate

    assign p_o = zero ? {P_W{1'b0}} : p;

endmodule

`default_nettype wire
