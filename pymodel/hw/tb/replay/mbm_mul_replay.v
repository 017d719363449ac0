// mbm_mul_replay: plain self-checking replay of a multiplier vector set (no cocotb).
//
// Reads a vector set written by `python -m pymodel vectors` ($readmemh .hex files, the same
// words as the .coe/.mif an FPGA memory is initialised with), applies every operand pair to
// mbm_mul (SIGNED=0) or mbm_mul_signed (SIGNED=1), compares the product with the expected
// word, prints the first mismatches and a pass/fail count, and ends with $fatal (non-zero
// exit status) if any vector failed.
//
// Words (see vectors/README.md):  stim = {a, b}, N bits each (N+1 bits sign-magnitude when
// SIGNED=1);  expect = {p}, the DUT's p_o (2N+1 bits unsigned, 2N+2 two's complement when
// SIGNED=1, plus N-1 with FRAC_OUT=1); each word zero-padded to whole hex digits.
// Plusargs: +stim=<file.hex> +expect=<file.hex> +count=<vectors>  (count <= DEPTH).

`timescale 1ns / 1ps
`default_nettype none
// A testbench, not hardware: blocking updates of bench-only counters in clocked blocks and
// initial-block assignments are intended.
/* verilator lint_off BLKSEQ */
/* verilator lint_off INITIALDLY */
/* verilator lint_off PROCASSINIT */

module mbm_mul_replay #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0,
    parameter SIGNED   = 0,
    parameter DEPTH    = 65536
);

    localparam IN_W   = N + SIGNED;
    localparam P_W    = 2 * N + 1 + FRAC_OUT * (N - 1) + SIGNED;
    localparam STIM_W = 4 * ((2 * IN_W + 3) / 4);
    localparam EXP_W  = 4 * ((P_W + 3) / 4);

    reg [STIM_W-1:0] stim   [0:DEPTH-1];
    reg [EXP_W-1:0]  exp_mem [0:DEPTH-1];

    reg  [IN_W-1:0] a;
    reg  [IN_W-1:0] b;
    wire [P_W-1:0]  p;

    generate
        if (SIGNED != 0) begin : g_signed
            mbm_mul_signed #(.N(N), .TRUNC(TRUNC), .FRAC_OUT(FRAC_OUT), .MITCHELL(MITCHELL))
                u_dut (.a_i(a), .b_i(b), .p_o(p));
        end else begin : g_unsigned
            mbm_mul #(.N(N), .TRUNC(TRUNC), .FRAC_OUT(FRAC_OUT), .MITCHELL(MITCHELL))
                u_dut (.a_i(a), .b_i(b), .p_o(p));
        end
    endgenerate

    reg [8*1024-1:0] stim_file;
    reg [8*1024-1:0] expect_file;
    integer count;
    integer i;
    integer pass;
    integer fail;

    initial begin
        if (!$value$plusargs("stim=%s", stim_file) || !$value$plusargs("expect=%s", expect_file)
            || !$value$plusargs("count=%d", count))
            $fatal(1, "usage: +stim=<hex> +expect=<hex> +count=<n>");
        if (count < 1 || count > DEPTH)
            $fatal(1, "count=%0d is out of range: allowed 1..%0d (DEPTH)", count, DEPTH);
        $readmemh(stim_file, stim, 0, count - 1);
        $readmemh(expect_file, exp_mem, 0, count - 1);
        pass = 0;
        fail = 0;
        for (i = 0; i < count; i = i + 1) begin
            a = stim[i][2*IN_W-1:IN_W];
            b = stim[i][IN_W-1:0];
            #1;
            if (p === exp_mem[i][P_W-1:0]) begin
                pass = pass + 1;
            end else begin
                fail = fail + 1;
                if (fail <= 10)
                    $display("MISMATCH vector %0d: a=%h b=%h got p=%h expected %h", i, a, b, p,
                             exp_mem[i][P_W-1:0]);
            end
        end
        $display("REPLAY %0s: %0d vectors, %0d pass, %0d fail", fail == 0 ? "PASS" : "FAIL", count, pass, fail);
        if (fail != 0) $fatal(1, "replay failed: %0d of %0d vectors mismatched", fail, count);
        $finish;
    end

endmodule

`default_nettype wire
