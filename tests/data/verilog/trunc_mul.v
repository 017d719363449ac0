// Truncated array multiplier (unsigned): the partial-product bits a[i] & b[j] of the K
// lowest columns (i + j < K) are never formed; the remaining ones are summed exactly.
// A test multiplier for the Verilog import and characterization (tests/hw/test_verilog_import.py).
`default_nettype none

module trunc_mul #(
    parameter N = 8,  // operand width, bits
    parameter K = 4   // dropped low columns
) (
    input  wire [N-1:0]   a,
    input  wire [N-1:0]   b,
    output reg  [2*N-1:0] p
);
    integer i, j;

    always @* begin
        p = {2*N{1'b0}};
        for (i = 0; i < N; i = i + 1)
            for (j = 0; j < N; j = j + 1)
                if (i + j >= K)
                    p = p + ({{(2*N-1){1'b0}}, a[i] & b[j]} << (i + j));
    end
endmodule

`default_nettype wire
