// bringup_dut_mul: the bring-up's stream adapter around mbm_mul_axis.
//
// The bring-up top talks to every DUT through the same plain stream (s_data/s_valid/
// s_ready in, m_data/m_valid/m_ready out); this is the one place that knows the DUT's port
// names and word order, so a port rename of the DUT is a one-file change. Vector-set words
// are {a, b} (a in the high half, vectors/README.md); mbm_mul_axis takes {b, a}.
//
// Parameters:
//   N, TRUNC, FRAC_OUT, MITCHELL, SIGNED, LATENCY   as mbm_mul_axis (checked there)
// Ports:
//   clk, rst   rising edge, synchronous active-high reset
//   s_*        operand pairs {a, b}, 2(N+SIGNED) bits
//   m_*        products, 2N+1+SIGNED (+N-1 with FRAC_OUT) bits

`timescale 1ns / 1ps
`default_nettype none

module bringup_dut_mul #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0,
    parameter SIGNED   = 0,
    parameter LATENCY  = 2,
    parameter IMPORTED = 0,   // the imported-multiplier slot, passed to mbm_mul_axis
    parameter TWOS     = 0,
    parameter IMP_P_W  = 16
) (
    input  wire                               clk,
    input  wire                               rst,
    input  wire [2*(N+SIGNED-TWOS)-1:0]       s_data,
    input  wire                               s_valid,
    output wire                               s_ready,
    output wire [(IMPORTED ? IMP_P_W+SIGNED-TWOS-1 : 2*N+SIGNED+FRAC_OUT*(N-1)):0] m_data,
    output wire                               m_valid,
    input  wire                               m_ready
);

    localparam OP_W = N + SIGNED - TWOS;

    wire unused_tlast;

    mbm_mul_axis #(
        .N(N), .TRUNC(TRUNC), .FRAC_OUT(FRAC_OUT), .MITCHELL(MITCHELL), .SIGNED(SIGNED), .LATENCY(LATENCY),
        .IMPORTED(IMPORTED), .TWOS(TWOS), .IMP_P_W(IMP_P_W)
    ) u_dut (
        .clk(clk),
        .rst(rst),
        .s_axis_tdata({s_data[OP_W-1:0], s_data[2*OP_W-1:OP_W]}),
        .s_axis_tvalid(s_valid),
        .s_axis_tready(s_ready),
        .s_axis_tlast(1'b0),
        .m_axis_tdata(m_data),
        .m_axis_tvalid(m_valid),
        .m_axis_tready(m_ready),
        .m_axis_tlast(unused_tlast)
    );

endmodule

`default_nettype wire
