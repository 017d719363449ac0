// bringup_reset: power-on and push-button reset for the bring-up top, synchronous active high.
//
// The board's button goes through a two-flop synchronizer (it is asynchronous to the clock);
// rst_o is held high while the button is pressed, while lock_i (the clock generator's lock)
// is low, and for HOLD cycles after both are released, so every register behind it sees a
// clean synchronous reset. The three registers here are the only ones in the design that
// start from their configuration-time initial value instead of a reset: they ARE the
// power-on reset (ECP5 flip-flops load these values when the bitstream is configured).
//
// Parameters:
//   ACTIVE_LOW  1: the button reads 0 while pressed (ULX3S BTN_PWRn); 0: reads 1 while pressed
//   HOLD        cycles rst_o stays high after the button and lock are released, >= 1
// Ports:
//   clk      the design clock
//   btn_i    raw button pin (asynchronous)
//   lock_i   clock generator locked (tie high without a PLL)
//   rst_o    synchronous active-high reset

`timescale 1ns / 1ps
`default_nettype none

module bringup_reset #(
    parameter ACTIVE_LOW = 1,
    parameter HOLD       = 16
) (
    input  wire clk,
    input  wire btn_i,
    input  wire lock_i,
    output wire rst_o
);

    generate
        if (HOLD < 1) begin : g_bad_hold
            `ifndef __ICARUS__
            $error("%m: HOLD=%0d is out of range: allowed 1 or more", HOLD);
            `endif
            ERROR_bringup_reset_HOLD_must_be_at_least_1 stop ();
        end
    endgenerate

    localparam C_W = $clog2(HOLD + 1);
    localparam [1:0] PRESSED = (ACTIVE_LOW != 0) ? 2'b00 : 2'b11;  // start as if pressed

    reg  [1:0]     sync_q;
    reg  [C_W-1:0] count_q;
    reg            rst_q;
    wire           pressed = (ACTIVE_LOW != 0) ? ~sync_q[1] : sync_q[1];

    initial begin
        sync_q  = PRESSED;
        count_q = {C_W{1'b0}};
        rst_q = 1'b1;
    end

    always @(posedge clk) begin
        sync_q <= {sync_q[0], btn_i};
        if (pressed || !lock_i) begin
            count_q <= {C_W{1'b0}};
            rst_q <= 1'b1;
        end else if (count_q != HOLD[C_W-1:0]) begin
            count_q <= count_q + 1'b1;
            rst_q <= 1'b1;
        end else begin
            rst_q <= 1'b0;
        end
    end

    assign rst_o = rst_q;

endmodule

`default_nettype wire
