// mbm_mac_array: LANES parallel approximate multiply-accumulate lanes (one output channel
// each) computing dot products for a conv layer; golden model pymodel.core.conv.dot_int.
//
// Each input beat carries one activation, broadcast to every lane, and one weight per lane
// (the im2col row of one output pixel is streamed against LANES kernel rows at once).
// Operands are sign-magnitude {sign, magnitude} (N+1 bits, values -(2^N-1)..2^N-1); the
// signed MBM product (mbm_mul_signed) is two's complement and is added to an ACC_W-bit
// two's-complement accumulator that saturates at every step to
// [-2^(ACC_W-1), 2^(ACC_W-1)-1]. A lane's overflow flag is sticky for the dot product and
// leaves with its result in m_axis_tuser; overflow_o is sticky until reset.
//
// Bias: s_axis_bias (LANES x ACC_W, two's complement) is sampled on the FIRST beat of each
// dot product (the beat after a tlast beat, or the first after reset) and ignored on the
// others; the accumulator starts at it: acc = sat(bias + p0), then acc = sat(acc + pk).
// tlast marks the last beat; the LANES accumulators then leave as one m_axis beat
// (lane l in m_axis_tdata[l*ACC_W +: ACC_W]) with its own tvalid/tready backpressure.
//
// Parameters:
//   N, TRUNC, FRAC_OUT, MITCHELL  the multiplier (see mbm_mul; checked there)
//   LANES     output channels computed in parallel, 1..1024
//   ACC_W     accumulator width, from the signed product width 2N+2 (+N-1 with FRAC_OUT)
//             up to 63 (the golden model's int64 holds 63-bit accumulators)
// Timing: one beat per cycle at full throughput; the input stalls only when a tlast beat
// reaches the accumulators while the result register is still full. Latency: a result is
// on m_axis two cycles after its tlast beat is accepted (product register, accumulator).
// Reset (synchronous, active high) drops any partial dot product and pending result.

`timescale 1ns / 1ps
`default_nettype none

module mbm_mac_array #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0,
    parameter LANES    = 4,
    parameter ACC_W    = 32
) (
    input  wire                   clk,
    input  wire                   rst,
    // input stream: one activation and LANES weights per beat, bias on the first beat
    input  wire                   s_axis_tvalid,
    output wire                   s_axis_tready,
    input  wire                   s_axis_tlast,
    input  wire [N:0]             s_axis_act,
    input  wire [LANES*(N+1)-1:0] s_axis_wgt,
    input  wire [LANES*ACC_W-1:0] s_axis_bias,
    // result stream: LANES accumulators and their overflow flags per dot product
    output wire                   m_axis_tvalid,
    input  wire                   m_axis_tready,
    output wire [LANES*ACC_W-1:0] m_axis_tdata,
    output wire [LANES-1:0]       m_axis_tuser,
    // sticky: some lane saturated since reset
    output wire                   overflow_o
);

    localparam PS_W = 2 * N + 2 + FRAC_OUT * (N - 1);  // signed product width

    generate
        if (LANES < 1 || LANES > 1024) begin : g_bad_lanes
            $error("mbm_mac_array: LANES=%0d is out of range: allowed 1..1024", LANES);
            ERROR_mbm_mac_array_LANES_out_of_range_1_to_1024 stop ();
        end
        if (ACC_W < PS_W || ACC_W > 63) begin : g_bad_acc_w
            $error("mbm_mac_array: ACC_W=%0d is out of range: allowed %0d..63 (signed product width..63)",
                   ACC_W, PS_W);
            ERROR_mbm_mac_array_ACC_W_out_of_range stop ();
        end
    endgenerate

    localparam [ACC_W-1:0] ACC_MAX = {1'b0, {(ACC_W - 1){1'b1}}};
    localparam [ACC_W-1:0] ACC_MIN = {1'b1, {(ACC_W - 1){1'b0}}};

    // ---- stage 1: products ----
    reg                   p_valid;
    reg                   p_last;
    reg                   p_first;
    reg [LANES*PS_W-1:0]  p_prod;
    reg [LANES*ACC_W-1:0] p_bias;
    reg                   in_dot;   // a beat of an unfinished dot product has been accepted

    // ---- stage 2: accumulators and the result register ----
    reg [LANES*ACC_W-1:0] acc;
    reg [LANES-1:0]       acc_ovf;
    reg                   r_valid;
    reg [LANES*ACC_W-1:0] r_data;
    reg [LANES-1:0]       r_ovf;
    reg                   ovf_sticky;

    wire r_free   = !r_valid || m_axis_tready;
    wire acc_fire = p_valid && (!p_last || r_free);
    wire s_fire   = s_axis_tvalid && s_axis_tready;

    assign s_axis_tready = !rst && (!p_valid || acc_fire);
    assign m_axis_tvalid = r_valid;
    assign m_axis_tdata  = r_data;
    assign m_axis_tuser  = r_ovf;
    assign overflow_o    = ovf_sticky;

    wire [LANES*PS_W-1:0]  prod;
    wire [LANES*ACC_W-1:0] acc_next;
    wire [LANES-1:0]       ovf_step;

    genvar l;
    generate
        for (l = 0; l < LANES; l = l + 1) begin : g_lane
            mbm_mul_signed #(
                .N        (N),
                .TRUNC    (TRUNC),
                .FRAC_OUT (FRAC_OUT),
                .MITCHELL (MITCHELL)
            ) u_mul (
                .a_i (s_axis_act),
                .b_i (s_axis_wgt[l*(N+1) +: N+1]),
                .p_o (prod[l*PS_W +: PS_W])
            );

            // saturating add in ACC_W+1 bits: the top two bits differ exactly on overflow
            wire [ACC_W-1:0] base = p_first ? p_bias[l*ACC_W +: ACC_W] : acc[l*ACC_W +: ACC_W];
            wire [PS_W-1:0]  pk   = p_prod[l*PS_W +: PS_W];
            wire [ACC_W:0]   sum  = {base[ACC_W-1], base} + {{(ACC_W + 1 - PS_W){pk[PS_W-1]}}, pk};
            assign ovf_step[l] = sum[ACC_W] ^ sum[ACC_W-1];
            assign acc_next[l*ACC_W +: ACC_W] = !ovf_step[l] ? sum[ACC_W-1:0]
                                              : (sum[ACC_W] ? ACC_MIN : ACC_MAX);
        end
    endgenerate

    wire [LANES-1:0] ovf_next = (p_first ? {LANES{1'b0}} : acc_ovf) | ovf_step;

    always @(posedge clk) begin
        if (rst) begin
            p_valid    <= 1'b0;
            p_last     <= 1'b0;
            p_first    <= 1'b0;
            p_prod     <= {(LANES*PS_W){1'b0}};
            p_bias     <= {(LANES*ACC_W){1'b0}};
            in_dot     <= 1'b0;
            acc        <= {(LANES*ACC_W){1'b0}};
            acc_ovf    <= {LANES{1'b0}};
            r_valid    <= 1'b0;
            r_data     <= {(LANES*ACC_W){1'b0}};
            r_ovf      <= {LANES{1'b0}};
            ovf_sticky <= 1'b0;
        end else begin
            if (s_fire) begin
                p_valid <= 1'b1;
                p_last  <= s_axis_tlast;
                p_first <= !in_dot;
                p_prod  <= prod;
                if (!in_dot) p_bias <= s_axis_bias;
                in_dot  <= !s_axis_tlast;
            end else if (acc_fire) begin
                p_valid <= 1'b0;
            end

            if (acc_fire) begin
                acc        <= acc_next;
                acc_ovf    <= ovf_next;
                ovf_sticky <= ovf_sticky | (|ovf_step);
            end

            if (acc_fire && p_last) begin
                r_valid <= 1'b1;
                r_data  <= acc_next;
                r_ovf   <= ovf_next;
            end else if (m_axis_tready) begin
                r_valid <= 1'b0;
            end
        end
    end

endmodule

`default_nettype wire
