// bringup_report: formats the bring-up result line from a text template and sends it byte
// by byte to the UART transmitter.
//
// The template (a ROM, TEXT_FILE, written per build by pymodel.hw.fpga.bringup) holds the
// fixed text, e.g. "MBM BRINGUP \1 set=mbm_mul/exhaustive-mbm-n8-t0 n=\2 fail=\3
// first=\4 crc=\5\r\n\0", where the control bytes 1..5 are replaced by the run's values:
//   1  PASS, FAIL, or TIMEOUT (the top's watchdog ended the run)
//   2  n, results compared (decimal)     3  fail, mismatches (decimal)
//   4  first failing index (decimal), '-' when fail = 0           5  crc (8 hex digits, lower case)
//   0  end of the line
// Decimal digits come from repeated subtraction of 10^9 .. 10^0 (at most 9 cycles a digit,
// no divider); leading zeros are suppressed. The values must stay stable while busy_o.
//
// Parameters:
//   TEXT_LEN   template bytes (the 0 terminator included), >= 2
//   TEXT_FILE  $readmemh file of the template, one byte per line
// Ports:
//   clk, rst                   rising edge, synchronous active-high reset
//   start_i                    send one line (ignored while busy_o)
//   pass_i, timeout_i, n_i, fail_i, first_i, crc_i   the values (timeout_i wins over pass_i)
//   valid_o, ready_i, data_o   the byte stream to bringup_uart_tx
//   busy_o                     a line is being sent

`timescale 1ns / 1ps
`default_nettype none

module bringup_report #(
    parameter TEXT_LEN  = 64,
    parameter TEXT_FILE = "text.hex"
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        start_i,
    input  wire        pass_i,
    input  wire        timeout_i,
    input  wire [31:0] n_i,
    input  wire [31:0] fail_i,
    input  wire [31:0] first_i,
    input  wire [31:0] crc_i,
    output wire        valid_o,
    input  wire        ready_i,
    output wire [7:0]  data_o,
    output wire        busy_o
);

    localparam A_W = $clog2(TEXT_LEN);

    localparam [3:0] S_IDLE   = 4'd0,  // waiting for start_i
                     S_FETCH  = 4'd1,  // template byte at ptr_q being read
                     S_DECODE = 4'd2,  // template byte on text: text, field code or end
                     S_TEXT   = 4'd3,  // sending the template byte
                     S_WORD   = 4'd4,  // sending letter pos_q of PASS / FAIL
                     S_DASH   = 4'd5,  // sending '-'
                     S_DIV    = 4'd6,  // counting decimal digit pos_q of num_q
                     S_DIGIT  = 4'd7,  // sending it
                     S_HEX    = 4'd8;  // sending hex digit pos_q of num_q

    reg  [3:0]     state_q;
    reg  [A_W-1:0] ptr_q;
    reg  [31:0]    num_q;
    reg  [3:0]     digit_q;
    reg  [3:0]     pos_q;
    reg            started_q;  // a digit of this number has been sent
    wire [7:0]     text;

    bringup_rom #(.WIDTH(8), .DEPTH(TEXT_LEN), .INIT_FILE(TEXT_FILE)) u_text (
        .clk(clk), .rst(rst), .en_i(state_q == S_FETCH), .addr_i(ptr_q), .data_o(text)
    );

    function [31:0] pow10;
        input [3:0] p;
        begin
            case (p)
                4'd0: pow10 = 32'd1;
                4'd1: pow10 = 32'd10;
                4'd2: pow10 = 32'd100;
                4'd3: pow10 = 32'd1000;
                4'd4: pow10 = 32'd10000;
                4'd5: pow10 = 32'd100000;
                4'd6: pow10 = 32'd1000000;
                4'd7: pow10 = 32'd10000000;
                4'd8: pow10 = 32'd100000000;
                default: pow10 = 32'd1000000000;
            endcase
        end
    endfunction

    function [7:0] hex_char;
        input [3:0] v;
        begin
            hex_char = (v < 4'd10) ? 8'h30 + {4'd0, v} : 8'h57 + {4'd0, v};  // 'a' - 10 = 0x57
        end
    endfunction

    // the status word: "TIMEOUT" (timeout), else "PASS" (pass) or "FAIL"
    localparam [1:0] W_FAIL = 2'd0, W_PASS = 2'd1, W_TIMEOUT = 2'd2;
    wire [1:0] word = timeout_i ? W_TIMEOUT : pass_i ? W_PASS : W_FAIL;
    wire [3:0] word_last = (word == W_TIMEOUT) ? 4'd6 : 4'd3;  // its last letter's index

    function [7:0] word_char;  // letter p of the word
        input [1:0] w;
        input [2:0] p;
        reg [8*7-1:0] letters;
        begin
            letters = (w == W_TIMEOUT) ? "TIMEOUT" : (w == W_PASS) ? "PASS   " : "FAIL   ";
            word_char = letters[8*(6 - p) +: 8];
        end
    endfunction

    wire [31:0] pow  = pow10(pos_q);
    wire        sent = valid_o && ready_i;

    always @(posedge clk) begin
        if (rst) begin
            state_q   <= S_IDLE;
            ptr_q     <= {A_W{1'b0}};
            num_q     <= 32'd0;
            digit_q   <= 4'd0;
            pos_q     <= 4'd0;
            started_q <= 1'b0;
        end else begin
            case (state_q)
                S_IDLE:
                    if (start_i) begin
                        ptr_q   <= {A_W{1'b0}};
                        state_q <= S_FETCH;
                    end
                S_FETCH:
                    state_q <= S_DECODE;
                S_DECODE: begin
                    pos_q     <= 4'd0;
                    digit_q   <= 4'd0;
                    started_q <= 1'b0;
                    case (text)
                        8'd0: state_q <= S_IDLE;
                        8'd1: state_q <= S_WORD;
                        8'd2: begin num_q <= n_i;    pos_q <= 4'd9; state_q <= S_DIV; end
                        8'd3: begin num_q <= fail_i; pos_q <= 4'd9; state_q <= S_DIV; end
                        8'd4: if (fail_i == 32'd0) state_q <= S_DASH;
                              else begin num_q <= first_i; pos_q <= 4'd9; state_q <= S_DIV; end
                        8'd5: begin num_q <= crc_i;  pos_q <= 4'd7; state_q <= S_HEX; end
                        default: state_q <= S_TEXT;
                    endcase
                end
                S_TEXT, S_DASH:
                    if (sent) begin
                        ptr_q   <= ptr_q + 1'b1;
                        state_q <= S_FETCH;
                    end
                S_WORD:
                    if (sent) begin
                        pos_q <= pos_q + 1'b1;
                        if (pos_q == word_last) begin
                            ptr_q   <= ptr_q + 1'b1;
                            state_q <= S_FETCH;
                        end
                    end
                S_DIV:
                    if (num_q >= pow) begin
                        num_q   <= num_q - pow;
                        digit_q <= digit_q + 1'b1;
                    end else if (digit_q != 4'd0 || started_q || pos_q == 4'd0) begin
                        state_q <= S_DIGIT;
                    end else begin
                        pos_q <= pos_q - 1'b1;
                    end
                S_DIGIT:
                    if (sent) begin
                        started_q <= 1'b1;
                        digit_q   <= 4'd0;
                        if (pos_q == 4'd0) begin
                            ptr_q   <= ptr_q + 1'b1;
                            state_q <= S_FETCH;
                        end else begin
                            pos_q   <= pos_q - 1'b1;
                            state_q <= S_DIV;
                        end
                    end
                S_HEX:
                    if (sent) begin
                        num_q <= {num_q[27:0], 4'd0};
                        if (pos_q == 4'd0) begin
                            ptr_q   <= ptr_q + 1'b1;
                            state_q <= S_FETCH;
                        end else begin
                            pos_q <= pos_q - 1'b1;
                        end
                    end
                default:
                    state_q <= S_IDLE;
            endcase
        end
    end

    assign valid_o = (state_q == S_TEXT) || (state_q == S_WORD) || (state_q == S_DASH)
                   || (state_q == S_DIGIT) || (state_q == S_HEX);
    assign data_o  = (state_q == S_TEXT)  ? text
                   : (state_q == S_WORD)  ? word_char(word, pos_q[2:0])
                   : (state_q == S_DASH)  ? "-"
                   : (state_q == S_DIGIT) ? 8'h30 + {4'd0, digit_q}
                   : hex_char(num_q[31:28]);
    assign busy_o  = (state_q != S_IDLE);

endmodule

`default_nettype wire
