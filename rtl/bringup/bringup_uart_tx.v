// bringup_uart_tx: 8N1 UART transmitter (start bit, 8 data bits LSB first, one stop bit).
//
// A byte is taken when valid_i && ready_o; ready_o is high while the line is idle. The line
// idles high (also in reset). CLKS_PER_BIT = round(clock / baud), e.g. 217 for 115200 baud
// from 25 MHz (0.01 % off), well inside a receiver's tolerance.
//
// Parameters:
//   CLKS_PER_BIT   clock cycles per bit, >= 2
// Ports:
//   clk, rst   rising edge, synchronous active-high reset
//   valid_i, ready_o, data_i   the byte handshake
//   tx_o       the serial line (FPGA TX, toward the host's RX)

`timescale 1ns / 1ps
`default_nettype none

module bringup_uart_tx #(
    parameter CLKS_PER_BIT = 217
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       valid_i,
    output wire       ready_o,
    input  wire [7:0] data_i,
    output wire       tx_o
);

    generate
        if (CLKS_PER_BIT < 2) begin : g_bad_clks
            `ifndef __ICARUS__
            $error("%m: CLKS_PER_BIT=%0d is out of range: allowed 2 or more", CLKS_PER_BIT);
            `endif
            ERROR_bringup_uart_tx_CLKS_PER_BIT_must_be_at_least_2 stop ();
        end
    endgenerate

    localparam T_W = $clog2(CLKS_PER_BIT);

    reg [9:0]     shift_q;   // {stop, data[7:0], start}, sent LSB first
    reg [3:0]     bits_q;    // bits left to send, 0 = idle
    reg [T_W-1:0] timer_q;   // cycles left in the current bit

    always @(posedge clk) begin
        if (rst) begin
            shift_q <= 10'h3FF;
            bits_q  <= 4'd0;
            timer_q <= {T_W{1'b0}};
        end else if (bits_q == 4'd0) begin
            if (valid_i) begin
                shift_q <= {1'b1, data_i, 1'b0};
                bits_q  <= 4'd10;
                timer_q <= CLKS_PER_BIT[T_W-1:0] - 1'b1;
            end
        end else if (timer_q != {T_W{1'b0}}) begin
            timer_q <= timer_q - 1'b1;
        end else begin
            shift_q <= {1'b1, shift_q[9:1]};
            bits_q  <= bits_q - 1'b1;
            timer_q <= CLKS_PER_BIT[T_W-1:0] - 1'b1;
        end
    end

    assign ready_o = (bits_q == 4'd0);
    assign tx_o    = shift_q[0];

endmodule

`default_nettype wire
