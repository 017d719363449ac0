// bringup_crc32: CRC-32 (IEEE 802.3, reflected, as zlib.crc32) over a stream of words.
//
// Each word is zero-extended to whole bytes and fed least significant byte first, so the
// CRC equals zlib.crc32(b"".join(w.to_bytes(BYTES, "little") for w in words)) and the host
// can check it without the hardware (pymodel.hw.fpga.uart.results_crc). One word per
// enabled cycle: the bit-serial update is unrolled into an XOR network (about WIDTH/3 LUT4s
// per CRC bit on ECP5: a MAC array's result words, LANES x (ACC_W+1) bits, make it the
// bring-up's largest harness block, still small next to the lanes).
//
// Parameters:
//   WIDTH   word width, 1..65536 (a MAC array's result: up to 1024 x 64 bits)
// Ports:
//   clk, rst   rising edge; synchronous active-high reset starts a new CRC
//   en_i       fold data_i into the CRC
//   data_i     the word
//   crc_o      CRC of the words folded in since reset (final XOR applied)

`timescale 1ns / 1ps
`default_nettype none

module bringup_crc32 #(
    parameter WIDTH = 32
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             en_i,
    input  wire [WIDTH-1:0] data_i,
    output wire [31:0]      crc_o
);

    generate
        if (WIDTH < 1 || WIDTH > 65536) begin : g_bad_width
            $error("%m: WIDTH=%0d is out of range: allowed 1..65536", WIDTH);
            ERROR_bringup_crc32_WIDTH_out_of_range stop ();
        end
    endgenerate

    localparam BYTES = (WIDTH + 7) / 8;
    localparam [31:0] POLY = 32'hEDB88320;

    function [31:0] fold8;  // one byte, least significant bit first
        input [31:0] crc;
        input [7:0]  data;
        integer i;
        begin
            fold8 = crc;
            for (i = 0; i < 8; i = i + 1)
                fold8 = (fold8 >> 1) ^ (POLY & {32{fold8[0] ^ data[i]}});
        end
    endfunction

    reg  [31:0]        state_q;
    wire [8*BYTES-1:0] word = {{(8 * BYTES - WIDTH){1'b0}}, data_i};
    // the CRC after each byte, a wire each: one function over the whole word would nest
    // 8*BYTES steps in one expression, deeper than Yosys's stack for a 16-lane result
    wire [31:0]        after [0:BYTES] /* verilator split_var */;

    assign after[0] = state_q;

    genvar k;
    generate
        for (k = 0; k < BYTES; k = k + 1) begin : g_byte
            assign after[k + 1] = fold8(after[k], word[8*k +: 8]);
        end
    endgenerate

    always @(posedge clk) begin
        if (rst)
            state_q <= 32'hFFFFFFFF;
        else if (en_i)
            state_q <= after[BYTES];
    end

    assign crc_o = ~state_q;

endmodule

`default_nettype wire
