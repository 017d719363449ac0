// Broken-array multiplier (unsigned; Mahdiani et al., IEEE TCAS-I 2010), partial-product
// form: the cells of the HBL lowest rows (b[j], j < HBL) and of the columns right of the
// vertical break (i + j < VBL) are omitted; the kept array sums exactly.
// A test multiplier for the Verilog import and characterization.
`default_nettype none

module bam_mul #(
    parameter N   = 8,  // operand width, bits
    parameter HBL = 2,  // horizontal break level: omitted low rows
    parameter VBL = 6   // vertical break level: omitted low columns
) (
    input  wire [N-1:0]   a,
    input  wire [N-1:0]   b,
    output reg  [2*N-1:0] p
);
    integer i, j;

    always @* begin
        p = {2*N{1'b0}};
        for (j = HBL; j < N; j = j + 1)
            for (i = 0; i < N; i = i + 1)
                if (i + j >= VBL)
                    p = p + ({{(2*N-1){1'b0}}, a[i] & b[j]} << (i + j));
    end
endmodule

`default_nettype wire
