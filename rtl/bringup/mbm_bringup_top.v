// mbm_bringup_top: self-checking FPGA bring-up of the MBM multiplier or MAC array with one
// vector set.
//
// The vector set's stimulus and expected words (vectors/<dut>/<config>/{stim,expect}.hex,
// the files `python -m pymodel vectors` writes; for the array also bias.hex) are block-RAM
// ROMs. After reset a sequencer streams every stimulus beat through the DUT (ARRAY=0:
// mbm_mul_axis behind bringup_dut_mul, one operand pair a beat; ARRAY=1: mbm_mac_array
// behind bringup_dut_array, {last, act, LANES weights} a beat, the dot product's bias read
// from its ROM with its first beat) with pseudo-random input bubbles and output
// backpressure (STALL_PCT % of cycles each, from two 16-bit LFSRs), a comparator checks
// every result (a product, or a dot product's {overflow flags, accumulators}) against its
// expected word, and counters keep the results compared, the mismatches and the index of
// the first one; a CRC-32 covers every result.
// When all COUNT results are in (or no result came for WATCHDOG cycles), the LEDs show the
// outcome and a UART line reports it, repeated every REPEAT_MS ms:
//   MBM BRINGUP PASS set=mbm_mul/exhaustive-mbm-n8-t0 n=65536 fail=0 first=- crc=1a2b3c4d
// PASS means n = COUNT and fail = 0; TIMEOUT in place of PASS/FAIL means the watchdog
// ended the run (n then says how many results came). The host recomputes the CRC from the
// set (pymodel.hw.fpga.uart), so a PASS line also proves the results themselves arrived.
//
// Parameters:
//   ARRAY          0: the DUT is mbm_mul_axis; 1: mbm_mac_array
//   N, TRUNC, FRAC_OUT, MITCHELL   the multiplier (both DUTs; checked there)
//   SIGNED, LATENCY                ARRAY=0: mbm_mul_axis's (checked there)
//   IMPORTED, TWOS, IMP_P_W        the imported-multiplier slot of either DUT (as mbm_mul_axis
//                                  and mbm_mac_array; the wrapper pymodel.hw.imported_rtl makes)
//   EXACT, SKID, PIPE, LANES, ACC_W   ARRAY=1: mbm_mac_array's (checked there)
//   COUNT          results in the set (products, or dot products), >= 2
//   BEATS          stimulus words: COUNT for ARRAY=0, at least COUNT for ARRAY=1
//   STIM_FILE, EXPECT_FILE, BIAS_FILE, TEXT_FILE, TEXT_LEN   $readmemh files (see
//                  bringup_report; BIAS_FILE only with ARRAY=1: COUNT words)
//   CLK_HZ, BAUD   the design clock's frequency and the UART baud rate
//   USE_PLL, CLKI_DIV, CLKFB_DIV, CLKOP_DIV, CLKOP_CPHASE   1: the design clock is an
//                  EHXPLLL output with these dividers (bringup_clock); 0: the oscillator
//   STALL_PCT      stall probability on each side, percent 0..99
//   RST_ACTIVE_LOW the reset button's polarity (1: reads 0 while pressed)
//   REPEAT_MS      the line is re-sent every REPEAT_MS ms (0: once)
//   WATCHDOG       cycles without a result after which the run ends as FAIL, >= 16
// Ports (board pins through the constraint file):
//   clk_i      board oscillator       rst_btn_i  reset button (asynchronous)
//   uart_tx_o  UART TX toward the host, 8N1
//   led_o      [0] done  [1] pass  [2] fail  [3] heartbeat (about 1.5 Hz)  [4] watchdog
//              timeout  [7:5] off
// Reset is synchronous active high inside (bringup_reset); every register is reset.

`timescale 1ns / 1ps
`default_nettype none

module mbm_bringup_top #(
    parameter ARRAY          = 0,
    parameter N              = 8,
    parameter TRUNC          = 0,
    parameter FRAC_OUT       = 0,
    parameter MITCHELL       = 0,
    parameter SIGNED         = 0,
    parameter LATENCY        = 2,
    parameter IMPORTED       = 0,
    parameter TWOS           = 0,
    parameter IMP_P_W        = 16,
    parameter EXACT          = 0,
    parameter SKID           = 0,
    parameter PIPE           = 0,
    parameter LANES          = 4,
    parameter ACC_W          = 32,
    parameter COUNT          = 16,
    parameter BEATS          = 16,
    parameter STIM_FILE      = "stim.hex",
    parameter EXPECT_FILE    = "expect.hex",
    parameter BIAS_FILE      = "bias.hex",
    parameter TEXT_FILE      = "text.hex",
    parameter TEXT_LEN       = 64,
    parameter CLK_HZ         = 25000000,
    parameter BAUD           = 115200,
    parameter STALL_PCT      = 25,
    parameter RST_ACTIVE_LOW = 1,
    parameter REPEAT_MS      = 1000,
    parameter WATCHDOG       = 65536,
    parameter USE_PLL        = 0,
    parameter CLKI_DIV       = 1,
    parameter CLKFB_DIV      = 1,
    parameter CLKOP_DIV      = 1,
    parameter CLKOP_CPHASE   = 0
) (
    input  wire       clk_i,
    input  wire       rst_btn_i,
    output wire       uart_tx_o,
    output wire [7:0] led_o
);

    generate
        if (ARRAY != 0 && ARRAY != 1) begin : g_bad_array
            `ifndef __ICARUS__
            $error("%m: ARRAY=%0d is not allowed: allowed 0 or 1", ARRAY);
            `endif
            ERROR_mbm_bringup_top_ARRAY_not_0_or_1 stop ();
        end
        if ((ARRAY == 0 && BEATS != COUNT) || (ARRAY == 1 && BEATS < COUNT)) begin : g_bad_beats
            `ifndef __ICARUS__
            $error("%m: BEATS=%0d with ARRAY=%0d COUNT=%0d is out of range: allowed BEATS=COUNT (ARRAY=0), BEATS>=COUNT (ARRAY=1)",
                   BEATS, ARRAY, COUNT);
            `endif
            ERROR_mbm_bringup_top_BEATS_out_of_range stop ();
        end
        if (COUNT < 2) begin : g_bad_count
            `ifndef __ICARUS__
            $error("%m: COUNT=%0d is out of range: allowed 2 or more", COUNT);
            `endif
            ERROR_mbm_bringup_top_COUNT_must_be_at_least_2 stop ();
        end
        if (STALL_PCT < 0 || STALL_PCT > 99) begin : g_bad_stall
            `ifndef __ICARUS__
            $error("%m: STALL_PCT=%0d is out of range: allowed 0..99", STALL_PCT);
            `endif
            ERROR_mbm_bringup_top_STALL_PCT_out_of_range stop ();
        end
        if (WATCHDOG < 16) begin : g_bad_watchdog
            `ifndef __ICARUS__
            $error("%m: WATCHDOG=%0d is out of range: allowed 16 or more", WATCHDOG);
            `endif
            ERROR_mbm_bringup_top_WATCHDOG_must_be_at_least_16 stop ();
        end
    endgenerate

    localparam OP_W    = N + SIGNED - TWOS;
    localparam P_W     = IMPORTED ? IMP_P_W + SIGNED - TWOS                // a product (ARRAY=0)
                                  : 2 * N + 1 + SIGNED + FRAC_OUT * (N - 1);
    // a stimulus word: {a, b} or {last, act, w[LANES-1..0]}; a result: the product or
    // {ovf[LANES-1..0], acc[LANES-1..0]}
    localparam STIM_W  = ARRAY ? 1 + (LANES + 1) * (N + 1 - TWOS) : 2 * OP_W;
    localparam RES_W   = ARRAY ? LANES * (ACC_W + 1) : P_W;
    localparam A_W     = $clog2(COUNT);
    localparam C_W     = $clog2(COUNT + 1);
    localparam SA_W    = $clog2(BEATS);
    localparam SC_W    = $clog2(BEATS + 1);
    localparam W_W     = $clog2(WATCHDOG + 1);
    localparam STALL_I = (STALL_PCT * 65536) / 100;     // stall when the LFSR is below it
    localparam [15:0] STALL_T = STALL_I[15:0];
    localparam CLKS_PER_BIT  = (CLK_HZ + BAUD / 2) / BAUD;
    localparam REPEAT_CYCLES = (CLK_HZ / 1000) * REPEAT_MS;
    localparam R_W     = $clog2(REPEAT_CYCLES + 2);
    localparam HB_W    = $clog2(CLK_HZ / 3 + 1);      // heartbeat: MSB toggles at ~1.5 Hz
    localparam [C_W-1:0]  COUNT_C  = COUNT[C_W-1:0];
    localparam [SC_W-1:0] BEATS_C  = BEATS[SC_W-1:0];
    localparam [W_W-1:0]  WATCH_C  = WATCHDOG[W_W-1:0];
    localparam [R_W-1:0]  REPEAT_C = REPEAT_CYCLES[R_W-1:0];

    wire clk;
    wire lock;
    wire rst;

    bringup_clock #(
        .USE_PLL(USE_PLL), .CLKI_DIV(CLKI_DIV), .CLKFB_DIV(CLKFB_DIV), .CLKOP_DIV(CLKOP_DIV),
        .CLKOP_CPHASE(CLKOP_CPHASE)
    ) u_clock (
        .clk_i(clk_i), .clk_o(clk), .lock_o(lock)
    );

    bringup_reset #(.ACTIVE_LOW(RST_ACTIVE_LOW), .HOLD(16)) u_reset (
        .clk(clk), .btn_i(rst_btn_i), .lock_i(lock), .rst_o(rst)
    );

    // ---- pseudo-random stalls: input bubbles and output backpressure ----
    wire [15:0] rnd_in;
    wire [15:0] rnd_out;

    bringup_lfsr #(.SEED(16'hACE1)) u_lfsr_in  (.clk(clk), .rst(rst), .en_i(1'b1), .state_o(rnd_in));
    bringup_lfsr #(.SEED(16'h5EED)) u_lfsr_out (.clk(clk), .rst(rst), .en_i(1'b1), .state_o(rnd_out));

    wire stall_in;
    wire stall_out;

    generate
        if (STALL_PCT == 0) begin : g_no_stall
            assign stall_in  = 1'b0;
            assign stall_out = 1'b0;
            wire unused_rnd = ^{rnd_in, rnd_out};
        end else begin : g_stall
            assign stall_in  = rnd_in  < STALL_T;
            assign stall_out = rnd_out < STALL_T;
        end
    endgenerate

    // ---- source: stimulus ROM -> DUT; a beat is loaded when the slot is free ----
    reg  [SC_W-1:0]   issued_q;
    reg               s_valid_q;
    wire              s_ready;
    wire [STIM_W-1:0] s_data;
    wire              s_fire = s_valid_q && s_ready;
    wire              load   = (!s_valid_q || s_fire) && (issued_q != BEATS_C) && !stall_in;

    bringup_rom #(.WIDTH(STIM_W), .DEPTH(BEATS), .INIT_FILE(STIM_FILE)) u_stim (
        .clk(clk), .rst(rst), .en_i(load), .addr_i(issued_q[SA_W-1:0]), .data_o(s_data)
    );

    always @(posedge clk) begin
        if (rst) begin
            issued_q  <= {SC_W{1'b0}};
            s_valid_q <= 1'b0;
        end else if (load) begin
            issued_q  <= issued_q + 1'b1;
            s_valid_q <= 1'b1;
        end else if (s_fire) begin
            s_valid_q <= 1'b0;
        end
    end

    // ---- the DUT ----
    wire [RES_W-1:0] m_data;
    wire             m_valid;
    wire             crc_ready;  // the CRC takes another result (a wide one takes cycles)
    wire             m_ready = !stall_out && crc_ready;
    wire             m_fire  = m_valid && m_ready;

    generate
        if (ARRAY) begin : g_array
            // the bias ROM is read with a dot product's first beat (the first after reset or
            // after a last beat: s_data still holds the beat loaded before), so its word is
            // on s_user while that beat is offered; the array ignores s_user on other beats
            reg  [C_W-1:0]         dots_q;
            wire                   first     = (issued_q == {SC_W{1'b0}}) || s_data[STIM_W-1];
            wire                   bias_load = load && first;
            wire [LANES*ACC_W-1:0] s_user;

            always @(posedge clk) begin
                if (rst)
                    dots_q <= {C_W{1'b0}};
                else if (bias_load && dots_q != COUNT_C)
                    dots_q <= dots_q + 1'b1;
            end

            bringup_rom #(.WIDTH(LANES * ACC_W), .DEPTH(COUNT), .INIT_FILE(BIAS_FILE)) u_bias (
                .clk(clk), .rst(rst), .en_i(bias_load), .addr_i(dots_q[A_W-1:0]), .data_o(s_user)
            );

            bringup_dut_array #(
                .N(N), .TRUNC(TRUNC), .FRAC_OUT(FRAC_OUT), .MITCHELL(MITCHELL), .EXACT(EXACT),
                .IMPORTED(IMPORTED), .TWOS(TWOS), .IMP_P_W(IMP_P_W),
                .SKID(SKID), .PIPE(PIPE), .LANES(LANES), .ACC_W(ACC_W)
            ) u_dut (
                .clk(clk), .rst(rst),
                .s_data(s_data), .s_user(s_user), .s_valid(s_valid_q), .s_ready(s_ready),
                .m_data(m_data), .m_valid(m_valid), .m_ready(m_ready)
            );
        end else begin : g_mul
            bringup_dut_mul #(
                .N(N), .TRUNC(TRUNC), .FRAC_OUT(FRAC_OUT), .MITCHELL(MITCHELL), .SIGNED(SIGNED), .LATENCY(LATENCY),
                .IMPORTED(IMPORTED), .TWOS(TWOS), .IMP_P_W(IMP_P_W)
            ) u_dut (
                .clk(clk), .rst(rst),
                .s_data(s_data), .s_valid(s_valid_q), .s_ready(s_ready),
                .m_data(m_data), .m_valid(m_valid), .m_ready(m_ready)
            );
        end
    endgenerate

    // ---- sink: each product is registered while its expected word is read, then compared ----
    reg  [C_W-1:0] received_q;
    reg            c_valid_q;
    reg  [RES_W-1:0] c_got_q;
    reg  [C_W-1:0]   c_index_q;
    wire [RES_W-1:0] c_expect;
    wire             take = m_fire && (received_q != COUNT_C);

    bringup_rom #(.WIDTH(RES_W), .DEPTH(COUNT), .INIT_FILE(EXPECT_FILE)) u_expect (
        .clk(clk), .rst(rst), .en_i(take), .addr_i(received_q[A_W-1:0]), .data_o(c_expect)
    );

    reg  [C_W-1:0] checked_q;
    reg  [C_W-1:0] failed_q;
    reg  [C_W-1:0] first_q;
    reg  [W_W-1:0] idle_q;      // cycles since the last result
    reg            done_q;
    reg            timeout_q;
    wire           pass = done_q && !timeout_q && (checked_q == COUNT_C) && (failed_q == {C_W{1'b0}});
    wire [31:0]    crc;

    always @(posedge clk) begin
        if (rst) begin
            received_q <= {C_W{1'b0}};
            c_valid_q  <= 1'b0;
            c_got_q    <= {RES_W{1'b0}};
            c_index_q  <= {C_W{1'b0}};
            checked_q  <= {C_W{1'b0}};
            failed_q   <= {C_W{1'b0}};
            first_q    <= {C_W{1'b0}};
            idle_q     <= {W_W{1'b0}};
            done_q     <= 1'b0;
            timeout_q  <= 1'b0;
        end else begin
            c_valid_q <= take;
            if (take) begin
                received_q <= received_q + 1'b1;
                c_got_q    <= m_data;
                c_index_q  <= received_q;
            end
            if (c_valid_q) begin
                checked_q <= checked_q + 1'b1;
                if (c_got_q != c_expect) begin
                    if (failed_q == {C_W{1'b0}})
                        first_q <= c_index_q;
                    failed_q <= failed_q + 1'b1;
                end
            end
            if (!done_q) begin
                idle_q <= take ? {W_W{1'b0}} : idle_q + 1'b1;
                if (received_q == COUNT_C && !c_valid_q && crc_ready) begin
                    done_q <= 1'b1;
                end else if (idle_q == WATCH_C) begin
                    done_q    <= 1'b1;
                    timeout_q <= 1'b1;
                end
            end
        end
    end

    bringup_crc32 #(.WIDTH(RES_W)) u_crc (
        .clk(clk), .rst(rst), .en_i(c_valid_q), .data_i(c_got_q), .ready_o(crc_ready), .crc_o(crc)
    );

    // ---- report: the UART line when done, then every REPEAT_MS ms ----
    reg  [R_W-1:0] repeat_timer_q;
    reg            sent_once_q;
    wire           report_busy;
    wire           start = done_q && !report_busy
                        && (!sent_once_q || (REPEAT_MS != 0 && repeat_timer_q == REPEAT_C));
    wire           tx_valid;
    wire           tx_ready;
    wire [7:0]     tx_data;

    always @(posedge clk) begin
        if (rst) begin
            repeat_timer_q <= {R_W{1'b0}};
            sent_once_q    <= 1'b0;
        end else if (start) begin
            repeat_timer_q <= {R_W{1'b0}};
            sent_once_q    <= 1'b1;
        end else if (sent_once_q && repeat_timer_q != REPEAT_C) begin
            repeat_timer_q <= repeat_timer_q + 1'b1;
        end
    end

    bringup_report #(.TEXT_LEN(TEXT_LEN), .TEXT_FILE(TEXT_FILE)) u_report (
        .clk(clk), .rst(rst), .start_i(start), .pass_i(pass), .timeout_i(timeout_q),
        .n_i({{(32 - C_W){1'b0}}, checked_q}), .fail_i({{(32 - C_W){1'b0}}, failed_q}),
        .first_i({{(32 - C_W){1'b0}}, first_q}), .crc_i(crc),
        .valid_o(tx_valid), .ready_i(tx_ready), .data_o(tx_data), .busy_o(report_busy)
    );

    bringup_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_uart (
        .clk(clk), .rst(rst), .valid_i(tx_valid), .ready_o(tx_ready), .data_i(tx_data), .tx_o(uart_tx_o)
    );

    // ---- LEDs ----
    reg [HB_W-1:0] heartbeat_q;

    always @(posedge clk) begin
        if (rst)
            heartbeat_q <= {HB_W{1'b0}};
        else
            heartbeat_q <= heartbeat_q + 1'b1;
    end

    assign led_o = {3'b000, timeout_q, heartbeat_q[HB_W-1], done_q && !pass, pass, done_q};

endmodule

`default_nettype wire
