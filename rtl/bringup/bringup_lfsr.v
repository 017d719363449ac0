// bringup_lfsr: 16-bit maximal-length Galois LFSR (x^16 + x^14 + x^13 + x^11 + 1), one step
// per enabled cycle; the bring-up top draws its pseudo-random stall decisions from it.
//
// Parameters:
//   SEED    the reset state, 1..65535 (zero would lock the register)
// Ports:
//   clk, rst   rising edge; synchronous active-high reset loads SEED
//   en_i       step
//   state_o    the register (period 65535)

`timescale 1ns / 1ps
`default_nettype none

module bringup_lfsr #(
    parameter SEED = 16'hACE1
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        en_i,
    output wire [15:0] state_o
);

    generate
        if (SEED < 1 || SEED > 65535) begin : g_bad_seed
            `ifndef __ICARUS__
            $error("%m: SEED=%0d is out of range: allowed 1..65535", SEED);
            `endif
            ERROR_bringup_lfsr_SEED_out_of_range stop ();
        end
    endgenerate

    localparam [15:0] TAPS  = 16'hB400;
    localparam [15:0] START = SEED[15:0];

    reg [15:0] state_q;

    always @(posedge clk) begin
        if (rst)
            state_q <= START;
        else if (en_i)
            state_q <= (state_q >> 1) ^ (TAPS & {16{state_q[0]}});
    end

    assign state_o = state_q;

endmodule

`default_nettype wire
