// bringup_rom: synchronous-read ROM initialised by $readmemh, inferred as block RAM.
//
// One registered read port: data_o <= mem[addr_i] on a clock edge with en_i high, so the
// ROM maps onto ECP5 DP16KD blocks (their output latch is the register, with its
// synchronous reset). The bring-up top loads one per vector-set memory (stim, expect) and
// one for the text of its UART line.
//
// Parameters:
//   WIDTH      word width, >= 1
//   DEPTH      words, >= 2: the $readmemh file holds exactly DEPTH words
//   INIT_FILE  $readmemh file, one hex word per line
// Ports:
//   clk, rst   rising edge; synchronous active-high reset clears data_o
//   en_i       read enable: data_o holds its word while low
//   addr_i     word address, 0..DEPTH-1
//   data_o     the word read on the last enabled edge

`timescale 1ns / 1ps
`default_nettype none

module bringup_rom #(
    parameter WIDTH     = 8,
    parameter DEPTH     = 16,
    parameter INIT_FILE = "rom.hex"
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire                     en_i,
    input  wire [$clog2(DEPTH)-1:0] addr_i,
    output reg  [WIDTH-1:0]         data_o
);

    generate
        if (WIDTH < 1 || DEPTH < 2) begin : g_bad_size
            `ifndef __ICARUS__
            $error("%m: WIDTH=%0d DEPTH=%0d are out of range: allowed WIDTH >= 1, DEPTH >= 2",
                   WIDTH, DEPTH);
            `endif
            ERROR_bringup_rom_size_out_of_range stop ();
        end
    endgenerate

    // block RAM even when small: Yosys would otherwise turn a ROM of a few hundred words into
    // LUT logic, slower to synthesize (ABC) and to simulate than the DP16KD it fits in
    (* rom_style = "block" *)
    reg [WIDTH-1:0] mem_q [0:DEPTH-1];

    initial begin
        $readmemh(INIT_FILE, mem_q);
    end

    always @(posedge clk) begin
        if (rst)
            data_o <= {WIDTH{1'b0}};
        else if (en_i)
            data_o <= mem_q[addr_i];
    end

endmodule

`default_nettype wire
