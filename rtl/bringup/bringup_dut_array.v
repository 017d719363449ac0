// bringup_dut_array: the bring-up's stream adapter around mbm_mac_array.
//
// The bring-up top talks to every DUT through the same plain stream (s_data/s_valid/
// s_ready in, m_data/m_valid/m_ready out; bringup_dut_mul is the multiplier's); this is the
// one place that knows the array's port names and word order. A stimulus word is the
// vector set's {s_axis_tlast, s_axis_tdata} = {last, act, w[LANES-1] .. w[0]}, s_user the
// dot product's bias word {b[LANES-1] .. b[0]} (sampled by the array on a first beat), a
// result the expected word's {m_axis_tuser, m_axis_tdata} = {ovf[LANES-1..0],
// acc[LANES-1] .. acc[0]} (vectors/README.md). The array's sticky overflow_o is not
// compared: each dot product's flags are, in its result word.
//
// Parameters:
//   N, TRUNC, FRAC_OUT, MITCHELL, EXACT, IMPORTED, TWOS, IMP_P_W, SKID, PIPE, LANES, ACC_W
//   as mbm_mac_array (checked there; IMPORTED=1: the imported multiplier's slot)
// Ports:
//   clk, rst   rising edge, synchronous active-high reset
//   s_*        beats {last, act, weights}, 1 + (LANES+1)(N+1-TWOS) bits; s_user the bias word
//   m_*        results {overflow flags, accumulators}, LANES(ACC_W+1) bits

`timescale 1ns / 1ps
`default_nettype none

module bringup_dut_array #(
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
    parameter ACC_W    = 32
) (
    input  wire                       clk,
    input  wire                       rst,
    input  wire [(LANES+1)*(N+1-TWOS):0] s_data,
    input  wire [LANES*ACC_W-1:0]     s_user,
    input  wire                       s_valid,
    output wire                       s_ready,
    output wire [LANES*(ACC_W+1)-1:0] m_data,
    output wire                       m_valid,
    input  wire                       m_ready
);

    localparam XD_W = (LANES + 1) * (N + 1 - TWOS);

    wire unused_overflow;

    mbm_mac_array #(
        .N(N), .TRUNC(TRUNC), .FRAC_OUT(FRAC_OUT), .MITCHELL(MITCHELL), .EXACT(EXACT),
        .IMPORTED(IMPORTED), .TWOS(TWOS), .IMP_P_W(IMP_P_W),
        .SKID(SKID), .PIPE(PIPE), .LANES(LANES), .ACC_W(ACC_W)
    ) u_dut (
        .clk(clk),
        .rst(rst),
        .s_axis_tdata(s_data[XD_W-1:0]),
        .s_axis_tuser(s_user),
        .s_axis_tlast(s_data[XD_W]),
        .s_axis_tvalid(s_valid),
        .s_axis_tready(s_ready),
        .m_axis_tdata(m_data[LANES*ACC_W-1:0]),
        .m_axis_tuser(m_data[LANES*(ACC_W+1)-1:LANES*ACC_W]),
        .m_axis_tvalid(m_valid),
        .m_axis_tready(m_ready),
        .overflow_o(unused_overflow)
    );

endmodule

`default_nettype wire
