// DRUM-k (Hashemi, Bahar, Reda, ICCAD 2015), unsigned: each operand whose leading one is at
// position t >= K keeps its K bits from the leading one down, with the lowest of them forced
// to 1 (unbiasing), and is shifted back after a K x K exact multiply; smaller operands pass
// unchanged. A test multiplier for the Verilog import and characterization.
`default_nettype none

module drum_mul #(
    parameter N = 8,  // operand width, bits
    parameter K = 4   // kept bits per operand, 2..N
) (
    input  wire [N-1:0]   a,
    input  wire [N-1:0]   b,
    output reg  [2*N-1:0] p
);
    integer ta, tb, sa, sb, i;
    /* verilator lint_off UNUSEDSIGNAL */  // only the K low bits of the shifted operands are kept
    reg [N-1:0]   sha, shb;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [K-1:0]   ma, mb;
    reg [2*K-1:0] mp;

    always @* begin
        ta = 0;
        tb = 0;
        for (i = 0; i < N; i = i + 1) begin
            if (a[i]) ta = i;
            if (b[i]) tb = i;
        end
        sa = (ta >= K) ? ta - K + 1 : 0;
        sb = (tb >= K) ? tb - K + 1 : 0;
        sha = a >> sa;
        shb = b >> sb;
        ma = sha[K-1:0] | {{(K-1){1'b0}}, ta >= K};
        mb = shb[K-1:0] | {{(K-1){1'b0}}, tb >= K};
        mp = ma * mb;
        p = {{(2*N-2*K){1'b0}}, mp} << (sa + sb);
    end
endmodule

`default_nettype wire
