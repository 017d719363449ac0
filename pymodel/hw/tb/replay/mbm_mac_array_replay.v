// mbm_mac_array_replay: plain self-checking replay of a MAC-array vector set (no cocotb).
//
// Streams the beats of a vector set through mbm_mac_array with pseudo-random input and
// output stalls (xorshift32, seeded by +seed), compares every result beat with the expected
// word, optionally writes every result to +out (one hex word per line, the expect format),
// prints a pass/fail count and ends with $fatal (non-zero exit status) on any mismatch or
// on a timeout.
//
// Words (see vectors/README.md), each zero-padded to whole hex digits, are the DUT's ports
// (packing in rtl/mbm_mac_array.v's header, mirrored by pymodel.hw.vectors.array_ports):
//   stim   one per beat:         {s_axis_tlast, s_axis_tdata} = {last, act, w[LANES-1], ..., w[0]}
//                                 (operands N+1 bits sign-magnitude, N bits two's complement with TWOS=1)
//   bias   one per dot product:  s_axis_tuser = {b[LANES-1], ..., b[0]}
//   expect one per dot product:  {m_axis_tuser, m_axis_tdata} = {ovf[LANES-1:0], acc[LANES-1], ..., acc[0]}
// Plusargs: +stim= +bias= +expect= (.hex files) +beats=<n> +dots=<n> [+stall=<0..99 %>]
//           [+seed=<n>] [+out=<file>]
// This is the bench an FPGA bring-up mirrors: the same words live in the .coe/.mif files.

`timescale 1ns / 1ps
`default_nettype none
// A testbench, not hardware: blocking updates of bench-only counters in clocked blocks and
// initial-block assignments are intended.
/* verilator lint_off BLKSEQ */
/* verilator lint_off INITIALDLY */
/* verilator lint_off PROCASSINIT */

module mbm_mac_array_replay #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0,
    parameter EXACT    = 0,
    parameter IMPORTED = 0,
    parameter TWOS     = 0,
    parameter IMP_P_W  = 16,
    parameter SKID     = 0,
    parameter PIPE     = 0,
    parameter LANES    = 4,
    parameter ACC_W    = 32,
    parameter BEATS    = 65536,
    parameter DOTS     = 4096
);

    localparam IN_W   = 1 + (LANES + 1) * (N + 1 - TWOS);
    localparam RES_W  = LANES + LANES * ACC_W;
    localparam STIM_W = 4 * ((IN_W + 3) / 4);
    localparam BIAS_W = 4 * ((LANES * ACC_W + 3) / 4);
    localparam EXP_W  = 4 * ((RES_W + 3) / 4);

    reg [STIM_W-1:0] stim   [0:BEATS-1];
    reg [BIAS_W-1:0] bias   [0:DOTS-1];
    reg [EXP_W-1:0]  exp_mem [0:DOTS-1];

    reg clk = 1'b0;
    reg rst = 1'b1;
    always #5 clk = ~clk;

    integer beats, dots, stall, seed, fd;
    integer beat, dot_in, next_beat, next_dot, dot_out, pass, fail, cycles;
    reg [31:0] rng;
    reg [8*1024-1:0] stim_file, bias_file, expect_file, out_file;

    reg                   s_valid;
    wire                  s_ready;
    wire [IN_W-1:0]       s_word = stim[beat][IN_W-1:0];
    reg                   m_ready;
    wire                  m_valid;
    wire [LANES*ACC_W-1:0] m_data;
    wire [LANES-1:0]      m_ovf;
    wire                  overflow;

    mbm_mac_array #(
        .N (N), .TRUNC (TRUNC), .FRAC_OUT (FRAC_OUT), .MITCHELL (MITCHELL),
        .EXACT (EXACT), .IMPORTED (IMPORTED), .TWOS (TWOS), .IMP_P_W (IMP_P_W),
        .SKID (SKID), .PIPE (PIPE), .LANES (LANES), .ACC_W (ACC_W)
    ) u_dut (
        .clk           (clk),
        .rst           (rst),
        .s_axis_tvalid (s_valid),
        .s_axis_tready (s_ready),
        .s_axis_tdata  (s_word[IN_W-2:0]),
        .s_axis_tuser  (bias[dot_in][LANES*ACC_W-1:0]),
        .s_axis_tlast  (s_word[IN_W-1]),
        .m_axis_tvalid (m_valid),
        .m_axis_tready (m_ready),
        .m_axis_tdata  (m_data),
        .m_axis_tuser  (m_ovf),
        .overflow_o    (overflow)
    );

    function [31:0] xorshift;
        input [31:0] x;
        reg [31:0] y;
        begin
            y = x ^ (x << 13);
            y = y ^ (y >> 17);
            xorshift = y ^ (y << 5);
        end
    endfunction

    initial begin
        if (!$value$plusargs("stim=%s", stim_file) || !$value$plusargs("bias=%s", bias_file)
            || !$value$plusargs("expect=%s", expect_file) || !$value$plusargs("beats=%d", beats)
            || !$value$plusargs("dots=%d", dots))
            $fatal(1, "usage: +stim= +bias= +expect= +beats= +dots= [+stall=] [+seed=] [+out=]");
        if (beats < 1 || beats > BEATS || dots < 1 || dots > DOTS)
            $fatal(1, "beats=%0d dots=%0d: allowed 1..%0d and 1..%0d", beats, dots, BEATS, DOTS);
        if (!$value$plusargs("stall=%d", stall)) stall = 0;
        if (!$value$plusargs("seed=%d", seed)) seed = 1;
        fd = 0;
        if ($value$plusargs("out=%s", out_file)) fd = $fopen(out_file, "w");
        $readmemh(stim_file, stim, 0, beats - 1);
        $readmemh(bias_file, bias, 0, dots - 1);
        $readmemh(expect_file, exp_mem, 0, dots - 1);
        rng = (seed == 0) ? 32'h1 : seed;
        beat = 0; dot_in = 0; dot_out = 0; pass = 0; fail = 0; cycles = 0;
        s_valid = 1'b0;
        m_ready = 1'b0;
        repeat (2) @(posedge clk);
        rst <= 1'b0;
    end

    // driver and checker: one decision per clock edge, AXI rules (valid held until ready);
    // what the DUT samples (beat, dot_in, valid, ready) changes only by non-blocking assignment
    always @(posedge clk) begin
        if (!rst) begin
            cycles = cycles + 1;
            rng = xorshift(rng);
            next_beat = beat;
            next_dot = dot_in;
            if (s_valid && s_ready) begin
                next_beat = beat + 1;
                if (s_word[IN_W-1]) next_dot = dot_in + 1;
            end
            beat   <= next_beat;
            dot_in <= next_dot;
            if (!s_valid || s_ready)
                s_valid <= (next_beat < beats) && ((rng % 100) >= stall);
            if (m_valid && m_ready) begin
                if ({m_ovf, m_data} === exp_mem[dot_out][RES_W-1:0]) begin
                    pass = pass + 1;
                end else begin
                    fail = fail + 1;
                    if (fail <= 10)
                        $display("MISMATCH dot %0d: got %h expected %h", dot_out, {m_ovf, m_data},
                                 exp_mem[dot_out][RES_W-1:0]);
                end
                if (fd != 0) $fwrite(fd, "%h\n", {m_ovf, m_data});
                dot_out = dot_out + 1;
            end
            m_ready <= (((rng >> 8) % 100) >= stall);
            if (dot_out == dots) begin
                if (fd != 0) $fclose(fd);
                $display("REPLAY %0s: %0d dot products (%0d beats, %0d cycles), %0d pass, %0d fail%0s",
                         fail == 0 ? "PASS" : "FAIL", dots, beats, cycles, pass, fail,
                         overflow ? ", overflow seen" : "");
                if (fail != 0) $fatal(1, "replay failed: %0d of %0d dot products mismatched", fail, dots);
                $finish;
            end
            if (cycles > 100 * (beats + dots) + 1000)
                $fatal(1, "timeout after %0d cycles: %0d of %0d results seen", cycles, dot_out, dots);
        end
    end

endmodule

`default_nettype wire
