// mult18x18d_tb: unit bench of the MULT18X18D model (mult18x18d_model.v), under Verilator
// (--binary) or Icarus Verilog. It applies each word of mult18x18d_vectors.hex,
// {SIGNEDA, SIGNEDB, A[17:0], B[17:0], C[17:0]}, with the shift-chain inputs SRIA/SRIB
// driven to ~A/~B (a model that took them would be caught), and prints
//   OUT <P> <ROA> <SROA> <ROB> <SROB> <ROC> <SIGNEDP>
// in hex per word, then DONE. It does not judge: tests/hw/test_fpga_mult18x18d.py compares
// the lines with Python's a*b, so the bench cannot agree with the model by construction.
//
// Parameters: COUNT (words in the file), SOURCEA_TIE / SOURCEB_TIE (the constants on SOURCEA
// and SOURCEB, as a netlist ties them). With `MODEL_PARAMS defined (a Verilog parameter
// override list) the model is instantiated with it: the refusal checks.

`timescale 1ns / 1ps
`default_nettype none
// A testbench, not hardware: blocking updates in an initial block are intended.
/* verilator lint_off BLKSEQ */

module mult18x18d_tb #(
    parameter COUNT       = 1,
    parameter SOURCEA_TIE = 0,
    parameter SOURCEB_TIE = 0
);

    reg  [55:0] vectors [0:COUNT-1];
    reg  [17:0] a, b, c;
    reg         signeda, signedb;
    wire [17:0] sria = ~a;
    wire [17:0] srib = ~b;
    wire [35:0] p;
    wire [17:0] roa, sroa, rob, srob, roc;
    wire        signedp;
    wire        sourcea = SOURCEA_TIE[0];
    wire        sourceb = SOURCEB_TIE[0];

`ifdef MODEL_PARAMS
    MULT18X18D #(`MODEL_PARAMS) dut (
`else
    MULT18X18D dut (
`endif
        .A17(a[17]), .A16(a[16]), .A15(a[15]), .A14(a[14]), .A13(a[13]), .A12(a[12]), .A11(a[11]), .A10(a[10]), .A9(a[9]),
        .A8(a[8]), .A7(a[7]), .A6(a[6]), .A5(a[5]), .A4(a[4]), .A3(a[3]), .A2(a[2]), .A1(a[1]), .A0(a[0]),
        .B17(b[17]), .B16(b[16]), .B15(b[15]), .B14(b[14]), .B13(b[13]), .B12(b[12]), .B11(b[11]), .B10(b[10]), .B9(b[9]),
        .B8(b[8]), .B7(b[7]), .B6(b[6]), .B5(b[5]), .B4(b[4]), .B3(b[3]), .B2(b[2]), .B1(b[1]), .B0(b[0]),
        .C17(c[17]), .C16(c[16]), .C15(c[15]), .C14(c[14]), .C13(c[13]), .C12(c[12]), .C11(c[11]), .C10(c[10]), .C9(c[9]),
        .C8(c[8]), .C7(c[7]), .C6(c[6]), .C5(c[5]), .C4(c[4]), .C3(c[3]), .C2(c[2]), .C1(c[1]), .C0(c[0]),
        .SIGNEDA(signeda), .SIGNEDB(signedb), .SOURCEA(sourcea), .SOURCEB(sourceb),
        .CLK3(1'b0), .CLK2(1'b0), .CLK1(1'b0), .CLK0(1'b0), .CE3(1'b0), .CE2(1'b0), .CE1(1'b0), .CE0(1'b0),
        .RST3(1'b0), .RST2(1'b0), .RST1(1'b0), .RST0(1'b0),
        .SRIA17(sria[17]), .SRIA16(sria[16]), .SRIA15(sria[15]), .SRIA14(sria[14]), .SRIA13(sria[13]), .SRIA12(sria[12]),
        .SRIA11(sria[11]), .SRIA10(sria[10]), .SRIA9(sria[9]), .SRIA8(sria[8]), .SRIA7(sria[7]), .SRIA6(sria[6]),
        .SRIA5(sria[5]), .SRIA4(sria[4]), .SRIA3(sria[3]), .SRIA2(sria[2]), .SRIA1(sria[1]), .SRIA0(sria[0]),
        .SRIB17(srib[17]), .SRIB16(srib[16]), .SRIB15(srib[15]), .SRIB14(srib[14]), .SRIB13(srib[13]), .SRIB12(srib[12]),
        .SRIB11(srib[11]), .SRIB10(srib[10]), .SRIB9(srib[9]), .SRIB8(srib[8]), .SRIB7(srib[7]), .SRIB6(srib[6]),
        .SRIB5(srib[5]), .SRIB4(srib[4]), .SRIB3(srib[3]), .SRIB2(srib[2]), .SRIB1(srib[1]), .SRIB0(srib[0]),
        .SROA17(sroa[17]), .SROA16(sroa[16]), .SROA15(sroa[15]), .SROA14(sroa[14]), .SROA13(sroa[13]), .SROA12(sroa[12]),
        .SROA11(sroa[11]), .SROA10(sroa[10]), .SROA9(sroa[9]), .SROA8(sroa[8]), .SROA7(sroa[7]), .SROA6(sroa[6]),
        .SROA5(sroa[5]), .SROA4(sroa[4]), .SROA3(sroa[3]), .SROA2(sroa[2]), .SROA1(sroa[1]), .SROA0(sroa[0]),
        .SROB17(srob[17]), .SROB16(srob[16]), .SROB15(srob[15]), .SROB14(srob[14]), .SROB13(srob[13]), .SROB12(srob[12]),
        .SROB11(srob[11]), .SROB10(srob[10]), .SROB9(srob[9]), .SROB8(srob[8]), .SROB7(srob[7]), .SROB6(srob[6]),
        .SROB5(srob[5]), .SROB4(srob[4]), .SROB3(srob[3]), .SROB2(srob[2]), .SROB1(srob[1]), .SROB0(srob[0]),
        .ROA17(roa[17]), .ROA16(roa[16]), .ROA15(roa[15]), .ROA14(roa[14]), .ROA13(roa[13]), .ROA12(roa[12]),
        .ROA11(roa[11]), .ROA10(roa[10]), .ROA9(roa[9]), .ROA8(roa[8]), .ROA7(roa[7]), .ROA6(roa[6]),
        .ROA5(roa[5]), .ROA4(roa[4]), .ROA3(roa[3]), .ROA2(roa[2]), .ROA1(roa[1]), .ROA0(roa[0]),
        .ROB17(rob[17]), .ROB16(rob[16]), .ROB15(rob[15]), .ROB14(rob[14]), .ROB13(rob[13]), .ROB12(rob[12]),
        .ROB11(rob[11]), .ROB10(rob[10]), .ROB9(rob[9]), .ROB8(rob[8]), .ROB7(rob[7]), .ROB6(rob[6]),
        .ROB5(rob[5]), .ROB4(rob[4]), .ROB3(rob[3]), .ROB2(rob[2]), .ROB1(rob[1]), .ROB0(rob[0]),
        .ROC17(roc[17]), .ROC16(roc[16]), .ROC15(roc[15]), .ROC14(roc[14]), .ROC13(roc[13]), .ROC12(roc[12]),
        .ROC11(roc[11]), .ROC10(roc[10]), .ROC9(roc[9]), .ROC8(roc[8]), .ROC7(roc[7]), .ROC6(roc[6]),
        .ROC5(roc[5]), .ROC4(roc[4]), .ROC3(roc[3]), .ROC2(roc[2]), .ROC1(roc[1]), .ROC0(roc[0]),
        .P35(p[35]), .P34(p[34]), .P33(p[33]), .P32(p[32]), .P31(p[31]), .P30(p[30]), .P29(p[29]), .P28(p[28]), .P27(p[27]),
        .P26(p[26]), .P25(p[25]), .P24(p[24]), .P23(p[23]), .P22(p[22]), .P21(p[21]), .P20(p[20]), .P19(p[19]), .P18(p[18]),
        .P17(p[17]), .P16(p[16]), .P15(p[15]), .P14(p[14]), .P13(p[13]), .P12(p[12]), .P11(p[11]), .P10(p[10]), .P9(p[9]),
        .P8(p[8]), .P7(p[7]), .P6(p[6]), .P5(p[5]), .P4(p[4]), .P3(p[3]), .P2(p[2]), .P1(p[1]), .P0(p[0]),
        .SIGNEDP(signedp)
    );

    integer i;
    initial begin
        $readmemh("mult18x18d_vectors.hex", vectors);
        for (i = 0; i < COUNT; i = i + 1) begin
            {signeda, signedb, a, b, c} = vectors[i];
            #1;
            $display("OUT %h %h %h %h %h %h %h", p, roa, sroa, rob, srob, roc, signedp);
        end
        $display("DONE");
        $finish;
    end

endmodule

`default_nettype wire
