// bringup_crc32: CRC-32 (IEEE 802.3, reflected, as zlib.crc32) over a stream of words.
//
// Each word is zero-extended to whole bytes and fed least significant byte first, so the
// CRC equals zlib.crc32(b"".join(w.to_bytes(BYTES, "little") for w in words)) and the host
// can check it without the hardware (pymodel.hw.fpga.uart.results_crc). Words up to 64 bits
// (a product) are folded in the cycle they come, the bit-serial update unrolled into an XOR
// network; a wider word (a MAC array's result, LANES x (ACC_W+1) bits) is folded a byte a
// cycle from a shift register, with ready_o low meanwhile: unrolled, its XOR chain would be
// deeper than Yosys's stack, and its network larger than the lanes. The array delivers a
// result per dot product, so the serial CRC costs nothing unless a dot product is shorter
// than the word's bytes.
//
// Parameters:
//   WIDTH   word width, 1..65536
// Ports:
//   clk, rst   rising edge; synchronous active-high reset starts a new CRC
//   en_i       fold data_i into the CRC (only while ready_o)
//   data_i     the word
//   ready_o    a word may come this cycle (always 1 up to 64 bits)
//   crc_o      CRC of the words folded in since reset (final XOR applied; settled while ready_o)

`timescale 1ns / 1ps
`default_nettype none

module bringup_crc32 #(
    parameter WIDTH = 32
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             en_i,
    input  wire [WIDTH-1:0] data_i,
    output wire             ready_o,
    output wire [31:0]      crc_o
);

    generate
        if (WIDTH < 1 || WIDTH > 65536) begin : g_bad_width
            `ifndef __ICARUS__
            $error("%m: WIDTH=%0d is out of range: allowed 1..65536", WIDTH);
            `endif
            ERROR_bringup_crc32_WIDTH_out_of_range stop ();
        end
    endgenerate

    localparam BYTES = (WIDTH + 7) / 8;
    localparam BITS  = 8 * BYTES;
    localparam STEP  = (WIDTH <= 64) ? BITS : 8;  // bits folded a cycle
    localparam [31:0] POLY = 32'hEDB88320;

    function [31:0] fold;  // STEP bits, least significant first
        input [31:0]     crc;
        input [STEP-1:0] word;
        integer i;
        begin
            fold = crc;
            for (i = 0; i < STEP; i = i + 1)
                fold = (fold >> 1) ^ (POLY & {32{fold[0] ^ word[i]}});
        end
    endfunction

    reg  [31:0]    state_q;
    wire [BITS-1:0] word = {{(BITS - WIDTH){1'b0}}, data_i};

    generate
        if (WIDTH <= 64) begin : g_parallel
            always @(posedge clk) begin
                if (rst)
                    state_q <= 32'hFFFFFFFF;
                else if (en_i)
                    state_q <= fold(state_q, word);
            end
            assign ready_o = 1'b1;
        end else begin : g_serial
            localparam L_W = $clog2(BYTES + 1);
            reg [BITS-1:0] shift_q;
            reg [L_W-1:0]  left_q;  // bytes still to fold

            always @(posedge clk) begin
                if (rst) begin
                    state_q <= 32'hFFFFFFFF;
                    shift_q <= {BITS{1'b0}};
                    left_q  <= {L_W{1'b0}};
                end else if (left_q != {L_W{1'b0}}) begin
                    state_q <= fold(state_q, shift_q[7:0]);
                    shift_q <= shift_q >> 8;
                    left_q  <= left_q - 1'b1;
                end else if (en_i) begin
                    shift_q <= word;
                    left_q  <= BYTES[L_W-1:0];
                end
            end
            assign ready_o = (left_q == {L_W{1'b0}}) && !en_i;
        end
    endgenerate

    assign crc_o = ~state_q;

endmodule

`default_nettype wire
