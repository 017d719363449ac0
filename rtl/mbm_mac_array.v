// mbm_mac_array: LANES parallel approximate multiply-accumulate lanes (one output channel
// each) computing dot products for a conv layer; golden model pymodel.core.conv.dot_int.
//
// Each input beat carries one activation, broadcast to every lane, and one weight per lane
// (the im2col row of one output pixel is streamed against LANES kernel rows at once).
// Operands are sign-magnitude {sign, magnitude} (N+1 bits, values -(2^N-1)..2^N-1), or with
// TWOS=1 two's complement (N bits, -2^(N-1)..2^(N-1)-1); the signed product (mbm_mul_signed,
// with EXACT=1 the exact product a*b of exact_mul with the same sign handling, with
// IMPORTED=1 an imported multiplier's, see below) is two's complement and is added to an ACC_W-bit
// two's-complement accumulator that saturates at every step to
// [-2^(ACC_W-1), 2^(ACC_W-1)-1]. A lane's overflow flag is sticky for the dot product and
// leaves with its result in m_axis_tuser; overflow_o is sticky until reset.
//
// Bias: s_axis_tuser (LANES x ACC_W, two's complement) is sampled on the FIRST beat of each
// dot product (the beat after a tlast beat, or the first after reset) and ignored on the
// others; the accumulator starts at it: acc = sat(bias + p0), then acc = sat(acc + pk).
// s_axis_tlast marks the last beat; the LANES accumulators then leave as one m_axis beat
// with its own tvalid/tready backpressure.
//
// Packing (W = N+1, or N with TWOS=1; lane i = output channel i of the group; Python mirror:
// pymodel.hw.vectors.array_ports):
//   s_axis_tdata  [(LANES+1)*W-1:0]   {act, w[LANES-1], ..., w[0]}: weight of lane i in
//                                     [i*W +: W], the activation in the top W bits [LANES*W +: W]
//   s_axis_tuser  [LANES*ACC_W-1:0]   {b[LANES-1], ..., b[0]}: bias of lane i in [i*ACC_W +: ACC_W]
//   m_axis_tdata  [LANES*ACC_W-1:0]   {acc[LANES-1], ..., acc[0]}: lane i in [i*ACC_W +: ACC_W]
//   m_axis_tuser  [LANES-1:0]         overflow flag of lane i in bit i
//
// Parameters:
//   N, TRUNC, FRAC_OUT, MITCHELL  the multiplier (see mbm_mul; checked there)
//   EXACT     1: exact products (exact_mul; with FRAC_OUT=1 a*b << N-1, the shared fixed-point
//             unit) instead of MBM/Mitchell, for a like-for-like cost comparison; needs
//             MITCHELL=0 and TRUNC=0 (golden model MulConfig("exact", N))
//   IMPORTED  1: the lanes' multiplier is mbm_imported_mul, the wrapper pymodel.hw.imported_rtl
//             generates around an imported Verilog module (N-bit operands a_i, b_i, its
//             IMP_P_W-bit product p_o; the wrapper refuses an N, IMP_P_W or TWOS that does not
//             fit its module); needs EXACT=MITCHELL=TRUNC=FRAC_OUT=0 (golden model: the
//             module's table over network operands, core.multiplier.network_table)
//   TWOS      the operand encoding with IMPORTED=1: 0 sign-magnitude, the unsigned module sees
//             the magnitudes and the product is signed by sign(a) XOR sign(b) (an operand of
//             magnitude 0 gives 0, whatever the module gives for it: the model's sign(0) = 0);
//             1 two's complement, for a two's complement module: operands straight in, its
//             product sign-extended
//   IMP_P_W   the imported module's product width, 1..48 (signed product IMP_P_W+1-TWOS bits)
//   SKID      1: a register slice (skid buffer: two registers, s_axis_tready registered,
//             verilog-axis axis_register's shape) on the input stream, so no combinational
//             path runs from m_axis_tready to s_axis_tready
//   PIPE      1: one more register stage after the multipliers
//   LANES     output channels computed in parallel, 1..1024
//   ACC_W     accumulator width, from the signed product width 2N+2 (+N-1 with FRAC_OUT)
//             up to 63 (the golden model's int64 holds 63-bit accumulators)
// Timing: one beat per cycle at full throughput; the input stalls only when a tlast beat
// reaches the accumulators while the result register is still full (with SKID=1,
// s_axis_tready follows m_axis_tready one cycle late). Latency: a result is on m_axis
// 2 + PIPE + SKID cycles after its tlast beat is accepted (skid register, product
// register(s), accumulator) when m_axis_tready is high from then on, never sooner.
// m_axis_tvalid does not depend on m_axis_tready; m_axis_tdata/tuser stay stable while
// m_axis_tvalid && !m_axis_tready.
// Reset (synchronous, active high) drops any partial dot product and pending result:
// s_axis_tready is low in every cycle rst is high; from its first rising edge m_axis_tvalid
// and overflow_o are low; in the first cycle after it s_axis_tready is high. Each claim is a
// named check of the bench (pymodel/hw/tb/mbm_mac_array/testplan.toml).
// Naming (every rtl/ module, checked by make lint): registers end in _q, a register's
// next-state value in _d; ports end in _i/_o except clk, rst and the AXI-Stream s_axis_*/m_axis_*.

`timescale 1ns / 1ps
`default_nettype none

module mbm_mac_array #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0,
    parameter EXACT    = 0,
    parameter IMPORTED = 0,
    parameter TWOS     = 0,
    parameter IMP_P_W  = 16,
    parameter SKID     = 0,
    parameter PIPE     = 0,
    parameter LANES    = 4,
    parameter ACC_W    = 32
) (
    input  wire                       clk,
    input  wire                       rst,
    // input stream: one activation and LANES weights per beat, bias on the first beat
    input  wire [(LANES+1)*(N+1-TWOS)-1:0] s_axis_tdata,
    input  wire [LANES*ACC_W-1:0]     s_axis_tuser,
    input  wire                       s_axis_tlast,
    input  wire                       s_axis_tvalid,
    output wire                       s_axis_tready,
    // result stream: LANES accumulators and their overflow flags per dot product
    output wire [LANES*ACC_W-1:0]     m_axis_tdata,
    output wire [LANES-1:0]           m_axis_tuser,
    output wire                       m_axis_tvalid,
    input  wire                       m_axis_tready,
    // sticky: some lane saturated since reset
    output wire                       overflow_o
);

    // signed product width; operand width (sign-magnitude, or two's complement with TWOS=1)
    localparam PS_W = IMPORTED ? IMP_P_W + 1 - TWOS : 2 * N + 2 + FRAC_OUT * (N - 1);
    localparam OP_W = N + 1 - TWOS;

    // ---- parameter checks: message with the instance (%m), then a hard stop (see mbm_mul) ----
    generate
        if (LANES < 1 || LANES > 1024) begin : g_bad_lanes
            `ifndef __ICARUS__
            $error("%m: LANES=%0d is out of range: allowed 1..1024", LANES);
            `endif
            ERROR_mbm_mac_array_LANES_out_of_range_1_to_1024 stop ();
        end
        if (ACC_W < PS_W || ACC_W > 63) begin : g_bad_acc_w
            `ifndef __ICARUS__
            $error("%m: ACC_W=%0d is out of range: allowed %0d..63 (signed product width..63)",
                   ACC_W, PS_W);
            `endif
            ERROR_mbm_mac_array_ACC_W_out_of_range stop ();
        end
        if (EXACT != 0 && EXACT != 1) begin : g_bad_exact
            `ifndef __ICARUS__
            $error("%m: EXACT=%0d is not allowed: allowed 0 or 1", EXACT);
            `endif
            ERROR_mbm_mac_array_EXACT_not_0_or_1 stop ();
        end
        if (EXACT == 1 && (MITCHELL != 0 || TRUNC != 0)) begin : g_bad_exact_mode
            `ifndef __ICARUS__
            $error("%m: EXACT=1 with MITCHELL=%0d TRUNC=%0d is not allowed: EXACT=1 needs MITCHELL=0 and TRUNC=0",
                   MITCHELL, TRUNC);
            `endif
            ERROR_mbm_mac_array_EXACT_needs_MITCHELL_0_TRUNC_0 stop ();
        end
        if (EXACT == 1 && (N < 4 || N > 16)) begin : g_bad_exact_n
            `ifndef __ICARUS__
            $error("%m: N=%0d is out of range: allowed 4..16", N);
            `endif
            ERROR_mbm_mac_array_N_out_of_range_4_to_16 stop ();
        end
        if (IMPORTED != 0 && IMPORTED != 1) begin : g_bad_imported
            `ifndef __ICARUS__
            $error("%m: IMPORTED=%0d is not allowed: allowed 0 or 1", IMPORTED);
            `endif
            ERROR_mbm_mac_array_IMPORTED_not_0_or_1 stop ();
        end
        if (TWOS != 0 && TWOS != 1) begin : g_bad_twos
            `ifndef __ICARUS__
            $error("%m: TWOS=%0d is not allowed: allowed 0 or 1", TWOS);
            `endif
            ERROR_mbm_mac_array_TWOS_not_0_or_1 stop ();
        end
        if (TWOS == 1 && IMPORTED != 1) begin : g_bad_twos_builtin
            `ifndef __ICARUS__
            $error("%m: TWOS=1 with IMPORTED=%0d is not allowed: two's complement operands need IMPORTED=1 (the built-in multipliers are sign-magnitude)",
                   IMPORTED);
            `endif
            ERROR_mbm_mac_array_TWOS_needs_IMPORTED stop ();
        end
        if (IMPORTED == 1 && (EXACT != 0 || MITCHELL != 0 || TRUNC != 0 || FRAC_OUT != 0)) begin : g_bad_imported_mode
            `ifndef __ICARUS__
            $error("%m: IMPORTED=1 with EXACT=%0d MITCHELL=%0d TRUNC=%0d FRAC_OUT=%0d is not allowed: IMPORTED=1 needs them all 0",
                   EXACT, MITCHELL, TRUNC, FRAC_OUT);
            `endif
            ERROR_mbm_mac_array_IMPORTED_needs_built_in_options_0 stop ();
        end
        if (IMPORTED == 1 && (IMP_P_W < 1 || IMP_P_W > 48)) begin : g_bad_imp_p_w
            `ifndef __ICARUS__
            $error("%m: IMP_P_W=%0d is out of range: allowed 1..48", IMP_P_W);
            `endif
            ERROR_mbm_mac_array_IMP_P_W_out_of_range_1_to_48 stop ();
        end
        if (IMPORTED == 1 && (N < 1 + TWOS || N > 16)) begin : g_bad_imported_n
            `ifndef __ICARUS__
            $error("%m: N=%0d is out of range: allowed %0d..16", N, 1 + TWOS);
            `endif
            ERROR_mbm_mac_array_N_out_of_range_for_IMPORTED stop ();
        end
        if (SKID != 0 && SKID != 1) begin : g_bad_skid
            `ifndef __ICARUS__
            $error("%m: SKID=%0d is not allowed: allowed 0 or 1", SKID);
            `endif
            ERROR_mbm_mac_array_SKID_not_0_or_1 stop ();
        end
        if (PIPE != 0 && PIPE != 1) begin : g_bad_pipe
            `ifndef __ICARUS__
            $error("%m: PIPE=%0d is not allowed: allowed 0 or 1", PIPE);
            `endif
            ERROR_mbm_mac_array_PIPE_not_0_or_1 stop ();
        end
    endgenerate

    localparam [ACC_W-1:0] ACC_MAX = {1'b0, {(ACC_W - 1){1'b1}}};
    localparam [ACC_W-1:0] ACC_MIN = {1'b1, {(ACC_W - 1){1'b0}}};

    localparam XD_W = (LANES + 1) * OP_W;             // s_axis_tdata width
    localparam X_W  = XD_W + LANES * ACC_W + 1;        // a beat: {tlast, tuser, tdata}

    // ---- the input stream as the lanes see it: s_axis_* itself or a skid buffer's output ----
    wire             x_tvalid;
    wire             x_tready;
    wire [XD_W-1:0]  x_tdata;
    wire [LANES*ACC_W-1:0] x_tuser;
    wire             x_tlast;

    generate
        if (SKID) begin : g_skid
            // axis_register (REG_TYPE=2) shape: an output register and a temporary one that
            // catches the beat accepted in the cycle the lanes stopped taking
            reg           ready_q;
            reg           out_valid_q;
            reg [X_W-1:0] out_q;
            reg           tmp_valid_q;
            reg [X_W-1:0] tmp_q;
            wire ready_d = x_tready || (!tmp_valid_q && (!out_valid_q || !s_axis_tvalid));

            assign s_axis_tready = !rst && ready_q;
            assign x_tvalid = out_valid_q;
            assign {x_tlast, x_tuser, x_tdata} = out_q;

            always @(posedge clk) begin
                if (rst) begin
                    ready_q     <= 1'b1;
                    out_valid_q <= 1'b0;
                    out_q       <= {X_W{1'b0}};
                    tmp_valid_q <= 1'b0;
                    tmp_q       <= {X_W{1'b0}};
                end else begin
                    ready_q <= ready_d;
                    if (ready_q) begin
                        if (x_tready || !out_valid_q) begin
                            out_valid_q <= s_axis_tvalid;
                            out_q       <= {s_axis_tlast, s_axis_tuser, s_axis_tdata};
                        end else begin
                            tmp_valid_q <= s_axis_tvalid;
                            tmp_q       <= {s_axis_tlast, s_axis_tuser, s_axis_tdata};
                        end
                    end else if (x_tready) begin
                        out_valid_q <= tmp_valid_q;
                        out_q       <= tmp_q;
                        tmp_valid_q <= 1'b0;
                    end
                end
            end
        end else begin : g_no_skid
            assign s_axis_tready = x_tready;
            assign x_tvalid = s_axis_tvalid;
            assign x_tdata  = s_axis_tdata;
            assign x_tuser  = s_axis_tuser;
            assign x_tlast  = s_axis_tlast;
        end
    endgenerate

    wire [OP_W-1:0] act = x_tdata[LANES*OP_W +: OP_W];

    // ---- stage 1: products ----
    reg                   p_valid_q;
    reg                   p_last_q;
    reg                   p_first_q;
    reg [LANES*PS_W-1:0]  p_prod_q;
    reg [LANES*ACC_W-1:0] p_bias_q;
    reg                   in_dot_q;   // a beat of an unfinished dot product has been accepted

    // ---- the stage the accumulators take from: stage 1, or with PIPE=1 a second one ----
    wire                   a_valid;
    wire                   a_last;
    wire                   a_first;
    wire [LANES*PS_W-1:0]  a_prod;
    wire [LANES*ACC_W-1:0] a_bias;
    wire                   p_take;    // stage 1's content moves on this cycle

    // ---- stage 2: accumulators and the result register ----
    reg [LANES*ACC_W-1:0] acc_q;
    reg [LANES-1:0]       acc_ovf_q;
    reg                   r_valid_q;
    reg [LANES*ACC_W-1:0] r_data_q;
    reg [LANES-1:0]       r_ovf_q;
    reg                   ovf_sticky_q;

    wire r_free   = !r_valid_q || m_axis_tready;
    wire acc_fire = a_valid && (!a_last || r_free);
    wire s_fire   = x_tvalid && x_tready;

    assign x_tready = !rst && (!p_valid_q || p_take);
    assign m_axis_tvalid = r_valid_q;
    assign m_axis_tdata  = r_data_q;
    assign m_axis_tuser  = r_ovf_q;
    assign overflow_o    = ovf_sticky_q;

    wire [LANES*PS_W-1:0]  prod;
    wire [LANES*ACC_W-1:0] acc_d;
    wire [LANES-1:0]       ovf_step;

    genvar l;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            wire [OP_W-1:0] wgt = x_tdata[l*OP_W +: OP_W];
            if (EXACT) begin : g_exact
                // exact magnitude, in mbm_mul's port width and unit, signed as mbm_mul_signed does
                wire [2*N-1:0]  ab;
                wire [PS_W-2:0] mag = {{(PS_W - 1 - 2 * N){1'b0}}, ab} << (FRAC_OUT * (N - 1));
                exact_mul #(.N (N)) u_mul (
                    .a_i (act[N-1:0]),
                    .b_i (wgt[N-1:0]),
                    .p_o (ab)
                );
                assign prod[l*PS_W +: PS_W] = (act[N] ^ wgt[N]) ? -{1'b0, mag} : {1'b0, mag};
            end else if (IMPORTED) begin : g_imported
                wire [IMP_P_W-1:0] raw;  // the module's own product
                mbm_imported_mul #(.N (N), .P_W (IMP_P_W), .TWOS (TWOS)) u_mul (
                    .a_i (act[N-1:0]),
                    .b_i (wgt[N-1:0]),
                    .p_o (raw)
                );
                if (TWOS) begin : g_twos
                    assign prod[l*PS_W +: PS_W] = raw;
                end else begin : g_signmag
                    wire zero = ~|act[N-1:0] || ~|wgt[N-1:0];
                    assign prod[l*PS_W +: PS_W] = zero ? {PS_W{1'b0}}
                                                : (act[N] ^ wgt[N]) ? -{1'b0, raw} : {1'b0, raw};
                end
            end else begin : g_approx
                mbm_mul_signed #(
                    .N        (N),
                    .TRUNC    (TRUNC),
                    .FRAC_OUT (FRAC_OUT),
                    .MITCHELL (MITCHELL)
                ) u_mul (
                    .a_i (act),
                    .b_i (wgt),
                    .p_o (prod[l*PS_W +: PS_W])
                );
            end

            // saturating add in ACC_W+1 bits: the top two bits differ exactly on overflow
            wire [ACC_W-1:0] base = a_first ? a_bias[l*ACC_W +: ACC_W] : acc_q[l*ACC_W +: ACC_W];
            wire [PS_W-1:0]  pk   = a_prod[l*PS_W +: PS_W];
            wire [ACC_W:0]   sum  = {base[ACC_W-1], base} + {{(ACC_W + 1 - PS_W){pk[PS_W-1]}}, pk};
            assign ovf_step[l] = sum[ACC_W] ^ sum[ACC_W-1];
            assign acc_d[l*ACC_W +: ACC_W] = !ovf_step[l] ? sum[ACC_W-1:0]
                                           : (sum[ACC_W] ? ACC_MIN : ACC_MAX);
        end
    endgenerate

    wire [LANES-1:0] acc_ovf_d = (a_first ? {LANES{1'b0}} : acc_ovf_q) | ovf_step;

    generate
        if (PIPE) begin : g_pipe
            reg                   q_valid_q;
            reg                   q_last_q;
            reg                   q_first_q;
            reg [LANES*PS_W-1:0]  q_prod_q;
            reg [LANES*ACC_W-1:0] q_bias_q;

            assign p_take  = !q_valid_q || acc_fire;
            assign a_valid = q_valid_q;
            assign a_last  = q_last_q;
            assign a_first = q_first_q;
            assign a_prod  = q_prod_q;
            assign a_bias  = q_bias_q;

            always @(posedge clk) begin
                if (rst) begin
                    q_valid_q <= 1'b0;
                    q_last_q  <= 1'b0;
                    q_first_q <= 1'b0;
                    q_prod_q  <= {(LANES*PS_W){1'b0}};
                    q_bias_q  <= {(LANES*ACC_W){1'b0}};
                end else if (p_take) begin
                    q_valid_q <= p_valid_q;
                    q_last_q  <= p_last_q;
                    q_first_q <= p_first_q;
                    q_prod_q  <= p_prod_q;
                    q_bias_q  <= p_bias_q;
                end
            end
        end else begin : g_no_pipe
            assign p_take  = acc_fire;
            assign a_valid = p_valid_q;
            assign a_last  = p_last_q;
            assign a_first = p_first_q;
            assign a_prod  = p_prod_q;
            assign a_bias  = p_bias_q;
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            p_valid_q    <= 1'b0;
            p_last_q     <= 1'b0;
            p_first_q    <= 1'b0;
            p_prod_q     <= {(LANES*PS_W){1'b0}};
            p_bias_q     <= {(LANES*ACC_W){1'b0}};
            in_dot_q     <= 1'b0;
            acc_q        <= {(LANES*ACC_W){1'b0}};
            acc_ovf_q    <= {LANES{1'b0}};
            r_valid_q    <= 1'b0;
            r_data_q     <= {(LANES*ACC_W){1'b0}};
            r_ovf_q      <= {LANES{1'b0}};
            ovf_sticky_q <= 1'b0;
        end else begin
            if (s_fire) begin
                p_valid_q <= 1'b1;
                p_last_q  <= x_tlast;
                p_first_q <= !in_dot_q;
                p_prod_q  <= prod;
                if (!in_dot_q) p_bias_q <= x_tuser;
                in_dot_q  <= !x_tlast;
            end else if (p_take) begin
                p_valid_q <= 1'b0;
            end

            if (acc_fire) begin
                acc_q        <= acc_d;
                acc_ovf_q    <= acc_ovf_d;
                ovf_sticky_q <= ovf_sticky_q | (|ovf_step);
            end

            if (acc_fire && a_last) begin
                r_valid_q <= 1'b1;
                r_data_q  <= acc_d;
                r_ovf_q   <= acc_ovf_d;
            end else if (m_axis_tready) begin
                r_valid_q <= 1'b0;
            end
        end
    end

endmodule

`default_nettype wire
