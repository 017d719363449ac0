// bringup_clock: the bring-up's clock, the board oscillator itself or an ECP5 PLL from it.
//
// USE_PLL=0: clk_o is clk_i and lock_o is high. USE_PLL=1: an EHXPLLL with CLKOP fed back
// (the configuration Project Trellis's ecppll writes; pymodel.hw.fpga.clock runs it
// for the divider values and passes them here), lock_o its LOCK output, which holds the
// design in reset (bringup_reset) until the PLL has locked.
//
// Parameters:
//   USE_PLL                  0 or 1
//   CLKI_DIV, CLKFB_DIV, CLKOP_DIV, CLKOP_CPHASE   EHXPLLL dividers and phase, from ecppll
// nextpnr derives CLKOP's timing constraint from the oscillator's FREQUENCY and the dividers.
// Ports:
//   clk_i    the oscillator        clk_o   the design clock        lock_o  clk_o is stable

`timescale 1ns / 1ps
`default_nettype none

module bringup_clock #(
    parameter USE_PLL      = 0,
    // the dividers are read only with USE_PLL=1
    /* verilator lint_off UNUSEDPARAM */
    parameter CLKI_DIV     = 1,
    parameter CLKFB_DIV    = 1,
    parameter CLKOP_DIV    = 1,
    parameter CLKOP_CPHASE = 0
    /* verilator lint_on UNUSEDPARAM */
) (
    input  wire clk_i,
    output wire clk_o,
    output wire lock_o
);

    generate
        if (USE_PLL != 0 && USE_PLL != 1) begin : g_bad_use_pll
            `ifndef __ICARUS__
            $error("%m: USE_PLL=%0d is not allowed: allowed 0 or 1", USE_PLL);
            `endif
            ERROR_bringup_clock_USE_PLL_must_be_0_or_1 stop ();
        end
        if (USE_PLL == 0) begin : g_direct
            assign clk_o  = clk_i;
            assign lock_o = 1'b1;
        end else begin : g_pll
            wire clkop;

            EHXPLLL #(
                .PLLRST_ENA("DISABLED"),
                .INTFB_WAKE("DISABLED"),
                .STDBY_ENABLE("DISABLED"),
                .DPHASE_SOURCE("DISABLED"),
                .OUTDIVIDER_MUXA("DIVA"),
                .OUTDIVIDER_MUXB("DIVB"),
                .OUTDIVIDER_MUXC("DIVC"),
                .OUTDIVIDER_MUXD("DIVD"),
                .CLKI_DIV(CLKI_DIV),
                .CLKOP_ENABLE("ENABLED"),
                .CLKOP_DIV(CLKOP_DIV),
                .CLKOP_CPHASE(CLKOP_CPHASE),
                .CLKOP_FPHASE(0),
                .FEEDBK_PATH("CLKOP"),
                .CLKFB_DIV(CLKFB_DIV)
            ) u_pll (
                .RST(1'b0),
                .STDBY(1'b0),
                .CLKI(clk_i),
                .CLKOP(clkop),
                .CLKFB(clkop),
                .PHASESEL0(1'b0),
                .PHASESEL1(1'b0),
                .PHASEDIR(1'b1),
                .PHASESTEP(1'b1),
                .PHASELOADREG(1'b1),
                .PLLWAKESYNC(1'b0),
                .ENCLKOP(1'b0),
                .LOCK(lock_o)
            );

            assign clk_o = clkop;
        end
    endgenerate

endmodule

`default_nettype wire
