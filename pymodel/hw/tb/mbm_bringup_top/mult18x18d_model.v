// MULT18X18D: a simulation model of the ECP5 sysDSP 18x18 multiplier, for simulating the
// Yosys netlist of an exact-multiplier bring-up (the MAC array's EXACT=1 lanes, or any
// product synth_ecp5 maps to a DSP). The cell models shipped with Yosys
// (techlibs/ecp5/cells_bb.v) declare MULT18X18D as a black box and Lattice's own model is
// not redistributable, so this one implements the configuration Yosys's ecp5 dsp_map.v
// writes (one MULT18X18D per $__MUL18X18, no parameter overrides, C tied to 0, SOURCEA and
// SOURCEB tied to 0, SIGNEDA/SIGNEDB the operands' signedness, CLK/CE/RST unconnected):
//
//   every REG_*_CLK "NONE" (input, pipeline and output registers bypassed): the block is
//   combinational, P = A * B, where A (B) is an 18-bit two's complement number when
//   SIGNEDA (SIGNEDB) is 1 and unsigned when 0, the product taken to 36 bits (Lattice
//   FPGA-TN-02205, the ECP5 sysDSP usage guide: signed operands are sign-extended to the
//   multiplier's width, and a signed by unsigned product is signed); SIGNEDP =
//   SIGNEDA | SIGNEDB; ROA and SROA carry A, ROB and SROB carry B, ROC carries C (the
//   cascade and ALU54B feeds, unregistered in this configuration).
//
// With no register in use, the parameters that only configure registers have no effect
// and are accepted as they are: REG_*_CE, REG_*_RST, GSR, RESETMODE, CLK0..3_DIV,
// CAS_MATCH_REG (it selects a registered copy of A for SROA), and the CLK/CE/RST inputs.
// Anything else stops the simulation rather than simulating a block that is not modelled:
// a REG_*_CLK other than "NONE", SOURCEB_MODE other than "B_SHIFT", MULT_BYPASS other than
// "DISABLED" or HIGHSPEED_CLK other than "NONE" at elaboration (the check of rtl/: $error
// naming the parameter and value, and the instance of a missing module that ends
// elaboration in every tool, Icarus 11 included), and at run time SOURCEA or SOURCEB other
// than 0 (the shift-register inputs SRIA/SRIB) or SIGNEDA/SIGNEDB neither 0 nor 1 ($fatal).
// Proven by its unit bench (mult18x18d_tb.v, tests/hw/test_fpga_mult18x18d.py: P against
// Python's a*b, a copy without sign extension fails) and by the exact MAC-array bring-up's
// netlist simulations (tests/hw/test_fpga_bringup_array.py: a copy with two product bits
// swapped fails them).

`timescale 1ns / 1ps
`default_nettype none
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
/* verilator lint_off DECLFILENAME */

module MULT18X18D (
    input  wire A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0,
    input  wire B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0,
    input  wire C17, C16, C15, C14, C13, C12, C11, C10, C9, C8, C7, C6, C5, C4, C3, C2, C1, C0,
    input  wire SIGNEDA, SIGNEDB, SOURCEA, SOURCEB,
    input  wire CLK3, CLK2, CLK1, CLK0, CE3, CE2, CE1, CE0, RST3, RST2, RST1, RST0,
    input  wire SRIA17, SRIA16, SRIA15, SRIA14, SRIA13, SRIA12, SRIA11, SRIA10, SRIA9,
    input  wire SRIA8, SRIA7, SRIA6, SRIA5, SRIA4, SRIA3, SRIA2, SRIA1, SRIA0,
    input  wire SRIB17, SRIB16, SRIB15, SRIB14, SRIB13, SRIB12, SRIB11, SRIB10, SRIB9,
    input  wire SRIB8, SRIB7, SRIB6, SRIB5, SRIB4, SRIB3, SRIB2, SRIB1, SRIB0,
    output wire SROA17, SROA16, SROA15, SROA14, SROA13, SROA12, SROA11, SROA10, SROA9,
    output wire SROA8, SROA7, SROA6, SROA5, SROA4, SROA3, SROA2, SROA1, SROA0,
    output wire SROB17, SROB16, SROB15, SROB14, SROB13, SROB12, SROB11, SROB10, SROB9,
    output wire SROB8, SROB7, SROB6, SROB5, SROB4, SROB3, SROB2, SROB1, SROB0,
    output wire ROA17, ROA16, ROA15, ROA14, ROA13, ROA12, ROA11, ROA10, ROA9,
    output wire ROA8, ROA7, ROA6, ROA5, ROA4, ROA3, ROA2, ROA1, ROA0,
    output wire ROB17, ROB16, ROB15, ROB14, ROB13, ROB12, ROB11, ROB10, ROB9,
    output wire ROB8, ROB7, ROB6, ROB5, ROB4, ROB3, ROB2, ROB1, ROB0,
    output wire ROC17, ROC16, ROC15, ROC14, ROC13, ROC12, ROC11, ROC10, ROC9,
    output wire ROC8, ROC7, ROC6, ROC5, ROC4, ROC3, ROC2, ROC1, ROC0,
    output wire P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18,
    output wire P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0,
    output wire SIGNEDP
);

    parameter REG_INPUTA_CLK = "NONE";
    parameter REG_INPUTA_CE = "CE0";
    parameter REG_INPUTA_RST = "RST0";
    parameter REG_INPUTB_CLK = "NONE";
    parameter REG_INPUTB_CE = "CE0";
    parameter REG_INPUTB_RST = "RST0";
    parameter REG_INPUTC_CLK = "NONE";
    parameter REG_INPUTC_CE = "CE0";
    parameter REG_INPUTC_RST = "RST0";
    parameter REG_PIPELINE_CLK = "NONE";
    parameter REG_PIPELINE_CE = "CE0";
    parameter REG_PIPELINE_RST = "RST0";
    parameter REG_OUTPUT_CLK = "NONE";
    parameter REG_OUTPUT_CE = "CE0";
    parameter REG_OUTPUT_RST = "RST0";
    parameter CLK0_DIV = "ENABLED";
    parameter CLK1_DIV = "ENABLED";
    parameter CLK2_DIV = "ENABLED";
    parameter CLK3_DIV = "ENABLED";
    parameter HIGHSPEED_CLK = "NONE";
    parameter GSR = "ENABLED";
    parameter CAS_MATCH_REG = "FALSE";
    parameter SOURCEB_MODE = "B_SHIFT";
    parameter MULT_BYPASS = "DISABLED";
    parameter RESETMODE = "SYNC";

    generate
        if (REG_INPUTA_CLK != "NONE") begin : g_bad_reg_inputa_clk
            `ifndef __ICARUS__
            $error("MULT18X18D model: REG_INPUTA_CLK=\"%s\" is not modelled: allowed \"NONE\"", REG_INPUTA_CLK);
            `endif
            ERROR_MULT18X18D_model_REG_INPUTA_CLK_not_NONE stop ();
        end
        if (REG_INPUTB_CLK != "NONE") begin : g_bad_reg_inputb_clk
            `ifndef __ICARUS__
            $error("MULT18X18D model: REG_INPUTB_CLK=\"%s\" is not modelled: allowed \"NONE\"", REG_INPUTB_CLK);
            `endif
            ERROR_MULT18X18D_model_REG_INPUTB_CLK_not_NONE stop ();
        end
        if (REG_INPUTC_CLK != "NONE") begin : g_bad_reg_inputc_clk
            `ifndef __ICARUS__
            $error("MULT18X18D model: REG_INPUTC_CLK=\"%s\" is not modelled: allowed \"NONE\"", REG_INPUTC_CLK);
            `endif
            ERROR_MULT18X18D_model_REG_INPUTC_CLK_not_NONE stop ();
        end
        if (REG_PIPELINE_CLK != "NONE") begin : g_bad_reg_pipeline_clk
            `ifndef __ICARUS__
            $error("MULT18X18D model: REG_PIPELINE_CLK=\"%s\" is not modelled: allowed \"NONE\"", REG_PIPELINE_CLK);
            `endif
            ERROR_MULT18X18D_model_REG_PIPELINE_CLK_not_NONE stop ();
        end
        if (REG_OUTPUT_CLK != "NONE") begin : g_bad_reg_output_clk
            `ifndef __ICARUS__
            $error("MULT18X18D model: REG_OUTPUT_CLK=\"%s\" is not modelled: allowed \"NONE\"", REG_OUTPUT_CLK);
            `endif
            ERROR_MULT18X18D_model_REG_OUTPUT_CLK_not_NONE stop ();
        end
        if (SOURCEB_MODE != "B_SHIFT") begin : g_bad_sourceb_mode
            `ifndef __ICARUS__
            $error("MULT18X18D model: SOURCEB_MODE=\"%s\" is not modelled: allowed \"B_SHIFT\"", SOURCEB_MODE);
            `endif
            ERROR_MULT18X18D_model_SOURCEB_MODE_not_B_SHIFT stop ();
        end
        if (MULT_BYPASS != "DISABLED") begin : g_bad_mult_bypass
            `ifndef __ICARUS__
            $error("MULT18X18D model: MULT_BYPASS=\"%s\" is not modelled: allowed \"DISABLED\"", MULT_BYPASS);
            `endif
            ERROR_MULT18X18D_model_MULT_BYPASS_not_DISABLED stop ();
        end
        if (HIGHSPEED_CLK != "NONE") begin : g_bad_highspeed_clk
            `ifndef __ICARUS__
            $error("MULT18X18D model: HIGHSPEED_CLK=\"%s\" is not modelled: allowed \"NONE\"", HIGHSPEED_CLK);
            `endif
            ERROR_MULT18X18D_model_HIGHSPEED_CLK_not_NONE stop ();
        end
    endgenerate

    wire [17:0] a = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0};
    wire [17:0] b = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0};
    wire [17:0] c = {C17, C16, C15, C14, C13, C12, C11, C10, C9, C8, C7, C6, C5, C4, C3, C2, C1, C0};

    // the operands extended to the product's 36 bits: the low 36 bits of the extended
    // product are the signed, mixed or unsigned product alike
    wire [35:0] a_x = {{18{SIGNEDA & a[17]}}, a};
    wire [35:0] b_x = {{18{SIGNEDB & b[17]}}, b};
    wire [35:0] p = a_x * b_x;

`ifdef YOSYS
    // Read by Yosys for the formal equivalence of a netlist with DSP blocks
    // (pymodel.hw.fpga.equiv), where $fatal does not exist: there the shift-chain selects
    // invert the product, so a proof that depends on an unmodelled input fails instead of
    // passing on a product the block would not make.
    wire unmodelled = SOURCEA | SOURCEB;
`else
    wire unmodelled = 1'b0;
    // the dynamic controls this configuration does not model (x/z too, under Icarus)
    always @(SOURCEA or SOURCEB or SIGNEDA or SIGNEDB) begin
        if (SOURCEA !== 1'b0 || SOURCEB !== 1'b0)
            $fatal(1, "MULT18X18D model: SOURCEA=%b SOURCEB=%b is not modelled: allowed 0 (the A and B inputs, not the shift chains SRIA/SRIB)",
                   SOURCEA, SOURCEB);
        if ((SIGNEDA !== 1'b0 && SIGNEDA !== 1'b1) || (SIGNEDB !== 1'b0 && SIGNEDB !== 1'b1))
            $fatal(1, "MULT18X18D model: SIGNEDA=%b SIGNEDB=%b: allowed 0 or 1", SIGNEDA, SIGNEDB);
    end
`endif

    assign {P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18,
            P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = p ^ {36{unmodelled}};
    assign SIGNEDP = SIGNEDA | SIGNEDB;
    assign {ROA17, ROA16, ROA15, ROA14, ROA13, ROA12, ROA11, ROA10, ROA9, ROA8, ROA7, ROA6, ROA5, ROA4, ROA3, ROA2, ROA1, ROA0} = a;
    assign {SROA17, SROA16, SROA15, SROA14, SROA13, SROA12, SROA11, SROA10, SROA9,
            SROA8, SROA7, SROA6, SROA5, SROA4, SROA3, SROA2, SROA1, SROA0} = a;
    assign {ROB17, ROB16, ROB15, ROB14, ROB13, ROB12, ROB11, ROB10, ROB9, ROB8, ROB7, ROB6, ROB5, ROB4, ROB3, ROB2, ROB1, ROB0} = b;
    assign {SROB17, SROB16, SROB15, SROB14, SROB13, SROB12, SROB11, SROB10, SROB9,
            SROB8, SROB7, SROB6, SROB5, SROB4, SROB3, SROB2, SROB1, SROB0} = b;
    assign {ROC17, ROC16, ROC15, ROC14, ROC13, ROC12, ROC11, ROC10, ROC9, ROC8, ROC7, ROC6, ROC5, ROC4, ROC3, ROC2, ROC1, ROC0} = c;

endmodule

`default_nettype wire
