// mbm_mul_axis: registered MBM multiplier with AXI-Stream handshakes on both sides.
//
// One operand pair per beat in, one product per beat out, in order, LATENCY clock cycles
// after the pair was accepted when the output is not stalled. Full throughput: a new pair
// is accepted on every cycle in which m_axis_tready is high (s_axis_tready follows it
// combinationally through the pipeline), and empty stages (bubbles) are filled while the
// output is stalled, so the pipeline holds LATENCY beats at most. tlast travels with the
// data. The product is computed by mbm_mul (SIGNED=0) or mbm_mul_signed (SIGNED=1) in front
// of the first register; the LATENCY-1 further registers are there for retiming.
//
// Parameters:
//   N, TRUNC, FRAC_OUT, MITCHELL  as mbm_mul (checked there)
//   SIGNED    0: unsigned operands; 1: sign-magnitude operands, two's-complement product
//   LATENCY   pipeline registers, >= 1
// Ports:
//   s_axis_tdata  {b, a}: operand a in the low OP_W bits, b above it (OP_W = N + SIGNED)
//   m_axis_tdata  product, 2N+1+SIGNED bits (+ N-1 fraction bits with FRAC_OUT=1)
//   clk, rst      rising edge, synchronous active-high reset (every register is reset)
// AXI-Stream rules: a beat moves when tvalid && tready; m_axis_tdata/tlast stay stable
// while m_axis_tvalid && !m_axis_tready; m_axis_tvalid does not depend on m_axis_tready.
// Reset: from the first rising edge with rst high every stage is empty, so m_axis_tvalid is
// low and no beat accepted before the reset comes out after it; in the first cycle after it
// s_axis_tready is high. s_axis_tready is not gated by rst: a source keeps s_axis_tvalid low
// while rst is high (AXI-Stream). Each claim is a named check of the bench
// (pymodel/hw/tb/mbm_mul_axis/testplan.toml).

`timescale 1ns / 1ps
`default_nettype none

module mbm_mul_axis #(
    parameter N        = 8,
    parameter TRUNC    = 0,
    parameter FRAC_OUT = 0,
    parameter MITCHELL = 0,
    parameter SIGNED   = 0,
    parameter LATENCY  = 2
) (
    input  wire                                 clk,
    input  wire                                 rst,

    input  wire [2*(N+SIGNED)-1:0]              s_axis_tdata,
    input  wire                                 s_axis_tvalid,
    output wire                                 s_axis_tready,
    input  wire                                 s_axis_tlast,

    output wire [2*N+SIGNED+FRAC_OUT*(N-1):0]   m_axis_tdata,
    output wire                                 m_axis_tvalid,
    input  wire                                 m_axis_tready,
    output wire                                 m_axis_tlast
);

    // ---- parameter checks: message with the instance (%m), then a hard stop (see mbm_mul) ----
    generate
        if (SIGNED != 0 && SIGNED != 1) begin : g_bad_signed
            `ifndef __ICARUS__
            $error("%m: SIGNED=%0d is not allowed: allowed 0 or 1", SIGNED);
            `endif
            ERROR_mbm_mul_axis_SIGNED_must_be_0_or_1 stop ();
        end
        if (LATENCY < 1) begin : g_bad_latency
            `ifndef __ICARUS__
            $error("%m: LATENCY=%0d is out of range: allowed 1 or more", LATENCY);
            `endif
            ERROR_mbm_mul_axis_LATENCY_must_be_at_least_1 stop ();
        end
    endgenerate

    localparam OP_W = N + SIGNED;
    localparam P_W  = 2 * N + 1 + SIGNED + FRAC_OUT * (N - 1);

    wire [OP_W-1:0] a = s_axis_tdata[OP_W-1:0];
    wire [OP_W-1:0] b = s_axis_tdata[2*OP_W-1:OP_W];
    wire [P_W-1:0]  product;

    // ---- parameter checks: message with the instance (%m), then a hard stop (see mbm_mul) ----
    generate
        if (SIGNED != 0) begin : g_signed
            mbm_mul_signed #(
                .N(N), .TRUNC(TRUNC), .FRAC_OUT(FRAC_OUT), .MITCHELL(MITCHELL)
            ) u_mul (
                .a_i(a), .b_i(b), .p_o(product)
            );
        end else begin : g_unsigned
            mbm_mul #(
                .N(N), .TRUNC(TRUNC), .FRAC_OUT(FRAC_OUT), .MITCHELL(MITCHELL)
            ) u_mul (
                .a_i(a), .b_i(b), .p_o(product)
            );
        end
    endgenerate

    // Stage i may load when it is empty or its beat moves on to stage i+1 (or out):
    // ready[i] = ~valid[i+1] | ready[i+1], unrolled so that no bit of ready feeds another.
    wire [LATENCY-1:0] ready;
    wire [LATENCY:0]   valid;           // valid[0]: input beat; valid[i+1]: stage i full
    wire [LATENCY:0] last;
    wire [P_W-1:0]   data [0:LATENCY];

    assign valid[0]       = s_axis_tvalid;
    assign last[0]        = s_axis_tlast;
    assign data[0]        = product;

    genvar i;
    generate
        for (i = 0; i < LATENCY; i = i + 1) begin : g_stage
            reg           valid_q;
            reg           last_q;
            reg [P_W-1:0] data_q;

            always @(posedge clk) begin
                if (rst) begin
                    valid_q <= 1'b0;
                    last_q  <= 1'b0;
                    data_q  <= {P_W{1'b0}};
                end else if (ready[i]) begin
                    valid_q <= valid[i];
                    if (valid[i]) begin
                        last_q <= last[i];
                        data_q <= data[i];
                    end
                end
            end

            assign ready[i]   = m_axis_tready | ~&valid[LATENCY:i+1];
            assign valid[i+1] = valid_q;
            assign last[i+1]  = last_q;
            assign data[i+1]  = data_q;
        end
    endgenerate

    assign s_axis_tready = ready[0];
    assign m_axis_tvalid = valid[LATENCY];
    assign m_axis_tlast  = last[LATENCY];
    assign m_axis_tdata  = data[LATENCY];

endmodule

`default_nettype wire
