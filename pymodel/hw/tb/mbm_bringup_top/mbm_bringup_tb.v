// mbm_bringup_tb: board-level bench of mbm_bringup_top (RTL under Verilator, or the Yosys
// netlist under Icarus Verilog with the ECP5 cell models): drives the board clock and the
// reset button, decodes the UART line exactly as a host terminal would (8N1, sampling each
// bit in its middle), and prints
//   UART: <the line>
//   LEDS: <led_o in binary>
// then ends. It does not judge the line: pymodel.hw.fpga.uart parses it and checks it
// against the vector set (n, fail, first, crc), so the bench cannot agree with itself.
//
// Parameters: CLK_PS (clock period, ps), CLKS_PER_BIT (the top's UART divisor),
// RST_ACTIVE_LOW (the button's polarity), MAX_CYCLES (give up: prints "TIMEOUT").
// With `BRINGUP_PARAMS defined (a comma-separated Verilog parameter override list) the
// top is instantiated with it: the RTL run; the netlist has its parameters built in.

`timescale 1ns / 1ps
`default_nettype none
// A testbench, not hardware: blocking updates and initial-block assignments are intended.
/* verilator lint_off BLKSEQ */
/* verilator lint_off INITIALDLY */

module mbm_bringup_tb #(
    parameter CLK_PS         = 40000,
    parameter CLKS_PER_BIT   = 217,
    parameter RST_ACTIVE_LOW = 1,
    parameter MAX_CYCLES     = 10000000
);

    reg        clk = 1'b0;
    reg        btn = (RST_ACTIVE_LOW != 0) ? 1'b0 : 1'b1;  // pressed
    wire       tx;
    wire [7:0] led;

`ifdef BRINGUP_PARAMS
    mbm_bringup_top #(`BRINGUP_PARAMS) dut (.clk_i(clk), .rst_btn_i(btn), .uart_tx_o(tx), .led_o(led));
`else
    mbm_bringup_top dut (.clk_i(clk), .rst_btn_i(btn), .uart_tx_o(tx), .led_o(led));
`endif

    always #(CLK_PS / 2000.0) clk = ~clk;

    integer cycles = 0;
    always @(posedge clk) begin
        cycles = cycles + 1;
        if (cycles == 20)
            btn = ~btn;  // release
        if (cycles >= MAX_CYCLES) begin
            $display("TIMEOUT after %0d cycles, LEDS: %b", cycles, led);
            $finish;
        end
    end

    // ---- UART receiver ----
    reg [8*200-1:0] line = 0;
    reg [7:0]       ch;
    integer         i;
    integer         len = 0;

    task wait_cycles(input integer n);
        integer k;
        begin
            for (k = 0; k < n; k = k + 1)
                @(posedge clk);
        end
    endtask

    initial begin
        wait_cycles(30);
        forever begin
            @(negedge tx);                     // start bit
            wait_cycles(CLKS_PER_BIT / 2);
            if (tx !== 1'b0) begin
                $display("UART: glitch (start bit not low in its middle)");
            end else begin
                for (i = 0; i < 8; i = i + 1) begin
                    wait_cycles(CLKS_PER_BIT);
                    ch[i] = tx;
                end
                wait_cycles(CLKS_PER_BIT);
                if (tx !== 1'b1)
                    $display("UART: framing error (stop bit low) after %0d characters", len);
                if (ch == 8'h0a) begin
                    $display("UART: %0s", line);
                    $display("LEDS: %b", led);
                    $finish;
                end else if (ch != 8'h0d && len < 200) begin
                    line = {line[8*199-1:0], ch};
                    len = len + 1;
                end
            end
        end
    end

endmodule

`default_nettype wire
