// Truncated Baugh-Wooley multiplier, two's complement (the convention of EvoApproxLib's
// mul8s_* circuits): the partial-product terms of the K lowest columns (i + j < K) are
// dropped; the sign rows (i or j = N-1) are subtracted, as Baugh-Wooley does. K = 0 is the
// exact signed product. A test multiplier for the Verilog import and characterization.
`default_nettype none

module trunc_mul_s #(
    parameter N = 8,  // operand width, bits (two's complement)
    parameter K = 4   // dropped low columns
) (
    input  wire [N-1:0]   a,
    input  wire [N-1:0]   b,
    output reg  [2*N-1:0] p
);
    integer i, j;
    reg [2*N-1:0] term;

    always @* begin
        p = {2*N{1'b0}};
        for (i = 0; i < N; i = i + 1)
            for (j = 0; j < N; j = j + 1)
                if (i + j >= K) begin
                    term = {{(2*N-1){1'b0}}, a[i] & b[j]} << (i + j);
                    if ((i == N - 1) != (j == N - 1))
                        p = p - term;
                    else
                        p = p + term;
                end
    end
endmodule

`default_nettype wire
