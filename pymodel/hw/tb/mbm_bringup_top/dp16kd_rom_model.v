// DP16KD: a read-only simulation model of the ECP5 18 kbit block RAM, for simulating the
// Yosys netlist of the bring-up top, which holds its ROMs in DP16KD cells. The cell models
// shipped with Yosys (techlibs/ecp5/cells_sim.v) declare DP16KD as a black box, and
// Lattice's own model is not redistributable, so this one implements what a ROM uses:
// INITVAL_00..3F contents (1024 rows of 18 bits, row r in INITVAL_<r/16> bits
// [20*(r%16) +: 18]), ports A and B in widths 1, 2, 4, 9 and 18 (word w of a row at bits
// 9*byte + offset, the 9th bit of each byte unused below width 9, as Yosys's
// brams_map_16kd.v and prjtrellis lay them out), and the 36-bit read of the pseudo-dual-port
// mode Yosys picks for a small ROM (DATA_WIDTH_B = 36: word ADB[13:5] is rows 2w on DOA and
// 2w+1 on DOB, port A its write side, idle in a ROM), REGMODE NOREG (data registered on the
// clock edge with CE), synchronous RST to zero, CLKxMUX INV. A write (WEx high with CE)
// or a chip-select decode other than 0b000 stops the simulation: the ROM model is wrong
// for it. Proven by the bring-up's netlist simulation: a wrong layout fails every word.
// Generated text: the 64 INITVAL parameters are listed, a Verilog parameter cannot be
// indexed.

`timescale 1ns / 1ps
`default_nettype none
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */

module DP16KD (
    input  wire DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
    input  wire ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
    input  wire CEA, OCEA, CLKA, WEA, RSTA, CSA2, CSA1, CSA0,
    output wire DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
    input  wire DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
    input  wire ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
    input  wire CEB, OCEB, CLKB, WEB, RSTB, CSB2, CSB1, CSB0,
    output wire DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);

    parameter DATA_WIDTH_A = 18;
    parameter DATA_WIDTH_B = 18;
    parameter REGMODE_A = "NOREG";
    parameter REGMODE_B = "NOREG";
    parameter RESETMODE = "SYNC";
    parameter ASYNC_RESET_RELEASE = "SYNC";
    parameter CSDECODE_A = "0b000";
    parameter CSDECODE_B = "0b000";
    parameter WRITEMODE_A = "NORMAL";
    parameter WRITEMODE_B = "NORMAL";
    parameter CLKAMUX = "CLKA";
    parameter CLKBMUX = "CLKB";
    parameter GSR = "ENABLED";
    parameter INIT_DATA = "STATIC";
    parameter [319:0] INITVAL_00 = 320'h0;
    parameter [319:0] INITVAL_01 = 320'h0;
    parameter [319:0] INITVAL_02 = 320'h0;
    parameter [319:0] INITVAL_03 = 320'h0;
    parameter [319:0] INITVAL_04 = 320'h0;
    parameter [319:0] INITVAL_05 = 320'h0;
    parameter [319:0] INITVAL_06 = 320'h0;
    parameter [319:0] INITVAL_07 = 320'h0;
    parameter [319:0] INITVAL_08 = 320'h0;
    parameter [319:0] INITVAL_09 = 320'h0;
    parameter [319:0] INITVAL_0A = 320'h0;
    parameter [319:0] INITVAL_0B = 320'h0;
    parameter [319:0] INITVAL_0C = 320'h0;
    parameter [319:0] INITVAL_0D = 320'h0;
    parameter [319:0] INITVAL_0E = 320'h0;
    parameter [319:0] INITVAL_0F = 320'h0;
    parameter [319:0] INITVAL_10 = 320'h0;
    parameter [319:0] INITVAL_11 = 320'h0;
    parameter [319:0] INITVAL_12 = 320'h0;
    parameter [319:0] INITVAL_13 = 320'h0;
    parameter [319:0] INITVAL_14 = 320'h0;
    parameter [319:0] INITVAL_15 = 320'h0;
    parameter [319:0] INITVAL_16 = 320'h0;
    parameter [319:0] INITVAL_17 = 320'h0;
    parameter [319:0] INITVAL_18 = 320'h0;
    parameter [319:0] INITVAL_19 = 320'h0;
    parameter [319:0] INITVAL_1A = 320'h0;
    parameter [319:0] INITVAL_1B = 320'h0;
    parameter [319:0] INITVAL_1C = 320'h0;
    parameter [319:0] INITVAL_1D = 320'h0;
    parameter [319:0] INITVAL_1E = 320'h0;
    parameter [319:0] INITVAL_1F = 320'h0;
    parameter [319:0] INITVAL_20 = 320'h0;
    parameter [319:0] INITVAL_21 = 320'h0;
    parameter [319:0] INITVAL_22 = 320'h0;
    parameter [319:0] INITVAL_23 = 320'h0;
    parameter [319:0] INITVAL_24 = 320'h0;
    parameter [319:0] INITVAL_25 = 320'h0;
    parameter [319:0] INITVAL_26 = 320'h0;
    parameter [319:0] INITVAL_27 = 320'h0;
    parameter [319:0] INITVAL_28 = 320'h0;
    parameter [319:0] INITVAL_29 = 320'h0;
    parameter [319:0] INITVAL_2A = 320'h0;
    parameter [319:0] INITVAL_2B = 320'h0;
    parameter [319:0] INITVAL_2C = 320'h0;
    parameter [319:0] INITVAL_2D = 320'h0;
    parameter [319:0] INITVAL_2E = 320'h0;
    parameter [319:0] INITVAL_2F = 320'h0;
    parameter [319:0] INITVAL_30 = 320'h0;
    parameter [319:0] INITVAL_31 = 320'h0;
    parameter [319:0] INITVAL_32 = 320'h0;
    parameter [319:0] INITVAL_33 = 320'h0;
    parameter [319:0] INITVAL_34 = 320'h0;
    parameter [319:0] INITVAL_35 = 320'h0;
    parameter [319:0] INITVAL_36 = 320'h0;
    parameter [319:0] INITVAL_37 = 320'h0;
    parameter [319:0] INITVAL_38 = 320'h0;
    parameter [319:0] INITVAL_39 = 320'h0;
    parameter [319:0] INITVAL_3A = 320'h0;
    parameter [319:0] INITVAL_3B = 320'h0;
    parameter [319:0] INITVAL_3C = 320'h0;
    parameter [319:0] INITVAL_3D = 320'h0;
    parameter [319:0] INITVAL_3E = 320'h0;
    parameter [319:0] INITVAL_3F = 320'h0;

    reg [17:0] mem [0:1023];

    function [319:0] initval;
        input integer idx;
        begin
            case (idx)
                0: initval = INITVAL_00;
                1: initval = INITVAL_01;
                2: initval = INITVAL_02;
                3: initval = INITVAL_03;
                4: initval = INITVAL_04;
                5: initval = INITVAL_05;
                6: initval = INITVAL_06;
                7: initval = INITVAL_07;
                8: initval = INITVAL_08;
                9: initval = INITVAL_09;
                10: initval = INITVAL_0A;
                11: initval = INITVAL_0B;
                12: initval = INITVAL_0C;
                13: initval = INITVAL_0D;
                14: initval = INITVAL_0E;
                15: initval = INITVAL_0F;
                16: initval = INITVAL_10;
                17: initval = INITVAL_11;
                18: initval = INITVAL_12;
                19: initval = INITVAL_13;
                20: initval = INITVAL_14;
                21: initval = INITVAL_15;
                22: initval = INITVAL_16;
                23: initval = INITVAL_17;
                24: initval = INITVAL_18;
                25: initval = INITVAL_19;
                26: initval = INITVAL_1A;
                27: initval = INITVAL_1B;
                28: initval = INITVAL_1C;
                29: initval = INITVAL_1D;
                30: initval = INITVAL_1E;
                31: initval = INITVAL_1F;
                32: initval = INITVAL_20;
                33: initval = INITVAL_21;
                34: initval = INITVAL_22;
                35: initval = INITVAL_23;
                36: initval = INITVAL_24;
                37: initval = INITVAL_25;
                38: initval = INITVAL_26;
                39: initval = INITVAL_27;
                40: initval = INITVAL_28;
                41: initval = INITVAL_29;
                42: initval = INITVAL_2A;
                43: initval = INITVAL_2B;
                44: initval = INITVAL_2C;
                45: initval = INITVAL_2D;
                46: initval = INITVAL_2E;
                47: initval = INITVAL_2F;
                48: initval = INITVAL_30;
                49: initval = INITVAL_31;
                50: initval = INITVAL_32;
                51: initval = INITVAL_33;
                52: initval = INITVAL_34;
                53: initval = INITVAL_35;
                54: initval = INITVAL_36;
                55: initval = INITVAL_37;
                56: initval = INITVAL_38;
                57: initval = INITVAL_39;
                58: initval = INITVAL_3A;
                59: initval = INITVAL_3B;
                60: initval = INITVAL_3C;
                61: initval = INITVAL_3D;
                62: initval = INITVAL_3E;
                63: initval = INITVAL_3F;
                default: initval = 320'h0;
            endcase
        end
    endfunction

    integer r;
    reg [319:0] slice;
    initial begin
        for (r = 0; r < 1024; r = r + 1) begin
            slice = initval(r / 16);
            mem[r] = slice[20 * (r % 16) +: 18];
        end
    end

    // word of width w at 14-bit address a: row a[13:4], sub-address a[3:log2(w)]
    function [17:0] read_word;
        input integer width;
        input [13:0] a;
        reg [17:0] row;
        begin
            row = mem[a[13:4]];
            case (width)
                1:  read_word = {17'd0, row[9 * a[3] + a[2:0]]};
                2:  read_word = {16'd0, row[9 * a[3] + 2 * a[2:1] +: 2]};
                4:  read_word = {14'd0, row[9 * a[3] + 4 * a[2] +: 4]};
                9:  read_word = {9'd0, row[9 * a[3] +: 9]};
                default: read_word = row;
            endcase
        end
    endfunction

    wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
    wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
    wire clka = (CLKAMUX == "INV") ? ~CLKA : CLKA;
    wire clkb = (CLKBMUX == "INV") ? ~CLKB : CLKB;
    reg [17:0] doa = 18'd0;
    reg [17:0] dob = 18'd0;

    initial begin
        if (REGMODE_A != "NOREG" || REGMODE_B != "NOREG" || RESETMODE != "SYNC"
            || CSDECODE_A != "0b000" || CSDECODE_B != "0b000") begin
            $display("DP16KD model: REGMODE/RESETMODE/CSDECODE %s/%s/%s/%s/%s not modelled",
                     REGMODE_A, REGMODE_B, RESETMODE, CSDECODE_A, CSDECODE_B);
            $finish;
        end
    end

    always @(posedge clka) begin
        if (CEA && WEA) begin
            $display("DP16KD model: write on port A is not modelled (ROM only)");
            $finish;
        end
        if (RSTA) doa <= 18'd0;
        else if (CEA) doa <= read_word(DATA_WIDTH_A, ada);
    end

    reg [17:0] wide_lo = 18'd0;  // DATA_WIDTH_B = 36: the low half, out on DOA

    always @(posedge clkb) begin
        if (CEB && WEB) begin
            $display("DP16KD model: write on port B is not modelled (ROM only)");
            $finish;
        end
        if (RSTB) begin
            dob     <= 18'd0;
            wide_lo <= 18'd0;
        end else if (CEB && DATA_WIDTH_B == 36) begin
            wide_lo <= mem[{adb[13:5], 1'b0}];
            dob     <= mem[{adb[13:5], 1'b1}];
        end else if (CEB) begin
            dob <= read_word(DATA_WIDTH_B, adb);
        end
    end

    assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} =
        (DATA_WIDTH_B == 36) ? wide_lo : doa;
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;

endmodule

`default_nettype wire
