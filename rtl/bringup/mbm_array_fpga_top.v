// mbm_array_fpga_top: the MAC array alone on an ECP5 board, for its utilization and Fmax
// after place and route (pymodel.hw.fpga.array, `make fpga-array`); not a bring-up.
//
// Everything the array reads comes from registers fed by a 16-bit LFSR (bringup_lfsr's, inline:
// one file belongs to one core), so no input is a
// constant Yosys could fold, and every lane's weights are distinct registers (lanes with
// identical inputs would be merged): s_axis_tdata is a (LANES+1)*(N+1)-bit shift register
// stepping 16 bits a cycle, the bias one ACC_W-bit register shared by every lane (their
// accumulators still differ), tvalid/tlast/tready LFSR bits. Every output bit is XOR-folded
// into the eight registered led_o pins, so none is optimized away but the IO stays tiny.
// Harness cost, inside the reported totals: (LANES+1)*(N+1) + ACC_W + 16 + 8 FFs and about
// LANES*(ACC_W+1)/3 LUT4s of XOR tree.
//
// Parameters: those of mbm_mac_array (N, TRUNC, FRAC_OUT, MITCHELL, EXACT, SKID, PIPE, LANES,
// ACC_W; checked there). Ports: clk_i (the board oscillator), rst_btn_i (active low, the
// board's button), led_o.

`timescale 1ns / 1ps
`default_nettype none

module mbm_array_fpga_top #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0,
    parameter EXACT    = 0,
    parameter IMPORTED = 0,   // the imported-multiplier slot, passed to mbm_mac_array
    parameter TWOS     = 0,
    parameter IMP_P_W  = 16,
    parameter SKID     = 0,
    parameter PIPE     = 0,
    parameter LANES    = 16,
    parameter ACC_W    = 32
) (
    input  wire       clk_i,
    input  wire       rst_btn_i,
    output wire [7:0] led_o
);

    localparam IN_W  = (LANES + 1) * (N + 1 - TWOS);
    localparam OUT_W = LANES * ACC_W + LANES + 1;  // m_axis_tdata, m_axis_tuser, overflow_o

    reg         rst_q;
    reg  [15:0] lfsr_q;  // bringup_lfsr's polynomial, x^16 + x^14 + x^13 + x^11 + 1 (Galois)
    wire [15:0] lfsr = lfsr_q;
    reg  [IN_W-1:0]  data_q;
    reg  [ACC_W-1:0] bias_q;
    reg  [7:0]  led_q;

    wire             s_ready;
    wire             m_valid;
    wire [LANES*ACC_W-1:0] m_data;
    wire [LANES-1:0] m_user;
    wire             overflow;

    // the top 16 bits of each are the ones shifted out
    /* verilator lint_off UNUSEDSIGNAL */
    wire [IN_W+15:0]  data_shift = {data_q, lfsr};
    wire [ACC_W+15:0] bias_shift = {bias_q, lfsr};
    /* verilator lint_on UNUSEDSIGNAL */

    always @(posedge clk_i) begin
        rst_q  <= !rst_btn_i;
        lfsr_q <= rst_q ? 16'hACE1 : (lfsr_q >> 1) ^ (16'hB400 & {16{lfsr_q[0]}});
        data_q <= data_shift[IN_W-1:0];
        bias_q <= bias_shift[ACC_W-1:0];
    end


    mbm_mac_array #(
        .N (N), .TRUNC (TRUNC), .FRAC_OUT (FRAC_OUT), .MITCHELL (MITCHELL),
        .EXACT (EXACT), .IMPORTED (IMPORTED), .TWOS (TWOS), .IMP_P_W (IMP_P_W),
        .SKID (SKID), .PIPE (PIPE), .LANES (LANES), .ACC_W (ACC_W)
    ) u_array (
        .clk           (clk_i),
        .rst           (rst_q),
        .s_axis_tdata  (data_q),
        .s_axis_tuser  ({LANES{bias_q}}),
        .s_axis_tlast  (lfsr[3] & lfsr[7]),
        .s_axis_tvalid (lfsr[1] | lfsr[9]),
        .s_axis_tready (s_ready),
        .m_axis_tdata  (m_data),
        .m_axis_tuser  (m_user),
        .m_axis_tvalid (m_valid),
        .m_axis_tready (lfsr[5] | lfsr[12]),
        .overflow_o    (overflow)
    );

    // every output bit into one of eight parity registers: bit k to register k % 8, each a
    // reduction XOR (a balanced tree; a chained fold overflows Yosys's stack at 64 lanes)
    localparam COLS = OUT_W / 8 + 1;  // at least one pad bit
    wire [8*COLS-1:0] out_bits = {{(8 * COLS - OUT_W){1'b0}}, overflow, m_user, m_data};
    wire [7:0]        fold;

    genvar i, j;
    generate
        for (i = 0; i < 8; i = i + 1) begin : g_fold
            wire [COLS-1:0] col;
            for (j = 0; j < COLS; j = j + 1) begin : g_col
                assign col[j] = out_bits[8*j + i];
            end
            assign fold[i] = (^col) ^ (i == 0 ? s_ready ^ m_valid : 1'b0);
        end
    endgenerate

    always @(posedge clk_i) led_q <= fold;

    assign led_o = led_q;

endmodule

`default_nettype wire
