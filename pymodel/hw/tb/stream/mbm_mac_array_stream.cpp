// mbm_mac_array_stream: a Verilator C++ harness that streams whole conv layers through
// rtl/mbm_mac_array.v at simulation speed (pymodel.hw.stream builds and drives it).
//
// Why C++ and pipes: a full decoder layer is up to 3.7 G MACs; as $readmemh text the
// stimulus would be tens of GB and Python's hex formatting, not the simulation, would set
// the pace. Here the weights and biases are loaded once, and per output pixel only its
// im2col row (K activation codes, uint16: sign-magnitude, or two's complement in a TWOS=1
// array with an imported signed module in its slot) comes in on stdin; the harness
// replays the stored weight words of every channel group beat by beat, ORs the activation
// into its field and drives the DUT's AXI-Stream ports with pseudo-random input and output
// stalls (xorshift32 seeded by argv, as the replay bench's). It is a pure bit mover: every
// port word is packed and every result unpacked in Python (pymodel.hw.vecformat layouts of
// pymodel.hw.vectors.array_ports), and the comparison with the golden model is Python's.
//
// Protocol (little-endian):
//   argv: <setup file> <stall percent 0..99> <seed>
//   setup: "MBMS" 1, then uint32 k, groups, act_offset, act_bits, tdata_bits, tuser_bits,
//          mdata_bits, muser_bits; then groups*k s_axis_tdata words with the activation
//          field zero (group-major, beat order), then groups s_axis_tuser words (the bias).
//          Each word is a whole number of uint32 (bit 0 first), as Verilator stores ports.
//   stdin: chunks of uint32 n (pixels, 0 ends the stream) followed by n*k uint16 codes.
//   stdout: per chunk, after its last result: per dot product (pixel-major, group-minor)
//          the m_axis_tdata words then the m_axis_tuser words; after the end marker the
//          trailer uint64 cycles, beats, dots, overflow_o.
//   exit status 0; 2 for a bad setup or stream, 3 for a protocol violation of the DUT
//   (tready high in reset) or a stall of more than WATCHDOG cycles without progress.
// The bias is driven only on a dot product's first beat; every other beat carries its
// complement, so an array that took the bias from a later beat mismatches.

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "Vmbm_mac_array.h"
#include "verilated.h"

namespace {

constexpr uint64_t WATCHDOG = 100000;

[[noreturn]] void fail(int code, const char* fmt, ...) {
    std::va_list args;
    va_start(args, fmt);
    std::fprintf(stderr, "mbm_mac_array_stream: ");
    std::vfprintf(stderr, fmt, args);
    std::fprintf(stderr, "\n");
    va_end(args);
    std::exit(code);
}

// ---- Verilator port types: CData/SData/IData/QData scalars or VlWide<W> word arrays ----
template <typename T>
constexpr size_t port_words(const T&) { return (sizeof(T) + 3) / 4; }
template <std::size_t W>
constexpr size_t port_words(const VlWide<W>&) { return W; }

template <typename T>
void put(T& port, const uint32_t* w) {
    uint64_t v = w[0];
    if (sizeof(T) > 4) v |= static_cast<uint64_t>(w[1]) << 32;
    port = static_cast<T>(v);
}
template <std::size_t W>
void put(VlWide<W>& port, const uint32_t* w) { std::memcpy(port.data(), w, W * 4); }

template <typename T>
void get(const T& port, uint32_t* w) {
    const uint64_t v = port;
    w[0] = static_cast<uint32_t>(v);
    if (sizeof(T) > 4) w[1] = static_cast<uint32_t>(v >> 32);
}
template <std::size_t W>
void get(const VlWide<W>& port, uint32_t* w) { std::memcpy(w, port.data(), W * 4); }

template <typename T>
void check_width(const T& port, uint32_t bits, const char* name) {
    if ((bits + 31) / 32 != port_words(port) || bits > 8 * sizeof(port))
        fail(2, "setup: %s is %u bits, which does not fit the port (%zu words)", name, bits, port_words(port));
}

void read_exact(FILE* f, void* dst, size_t bytes, const char* what) {
    if (std::fread(dst, 1, bytes, f) != bytes) fail(2, "short read of the %s (%zu bytes)", what, bytes);
}

uint32_t xorshift(uint32_t x) {
    x ^= x << 13;
    x ^= x >> 17;
    return x ^ (x << 5);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) fail(2, "usage: mbm_mac_array_stream <setup> <stall 0..99> <seed>");
    const unsigned stall = static_cast<unsigned>(std::atoi(argv[2]));
    uint32_t rng = static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10));
    if (stall > 99) fail(2, "stall=%u: allowed 0..99", stall);
    if (rng == 0) rng = 1;

    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vmbm_mac_array>(ctx.get());

    FILE* setup = std::fopen(argv[1], "rb");
    if (!setup) fail(2, "cannot open the setup file");
    uint32_t head[10];
    read_exact(setup, head, sizeof head, "header");
    if (std::memcmp(head, "MBMS", 4) != 0 || head[1] != 1) fail(2, "setup: not an MBMS v1 file");
    const uint32_t k = head[2], groups = head[3], act_offset = head[4], act_bits = head[5];
    check_width(top->s_axis_tdata, head[6], "s_axis_tdata");
    check_width(top->s_axis_tuser, head[7], "s_axis_tuser");
    check_width(top->m_axis_tdata, head[8], "m_axis_tdata");
    check_width(top->m_axis_tuser, head[9], "m_axis_tuser");
    if (k < 1 || groups < 1 || act_bits > 16 || act_offset + act_bits > head[6])
        fail(2, "setup: k=%u groups=%u or the activation field is out of range", k, groups);
    const size_t tdw = port_words(top->s_axis_tdata), tuw = port_words(top->s_axis_tuser);
    const size_t mdw = port_words(top->m_axis_tdata), muw = port_words(top->m_axis_tuser);
    std::vector<uint32_t> weights(static_cast<size_t>(groups) * k * tdw), bias(groups * tuw), other(groups * tuw);
    read_exact(setup, weights.data(), weights.size() * 4, "weights");
    read_exact(setup, bias.data(), bias.size() * 4, "bias");
    std::fclose(setup);
    const uint32_t top_mask = (head[7] % 32) ? ((1u << (head[7] % 32)) - 1) : 0xffffffffu;
    for (size_t i = 0; i < other.size(); ++i)
        other[i] = ~bias[i] & (((i % tuw) == tuw - 1) ? top_mask : 0xffffffffu);

    std::vector<uint32_t> word(tdw);
    std::vector<uint16_t> codes;
    std::vector<uint32_t> out;
    uint64_t cycles = 0, beats_total = 0, dots_total = 0;

    // reset: two cycles, s_axis_tready must stay low
    top->rst = 1;
    top->s_axis_tvalid = 0;
    top->m_axis_tready = 0;
    for (int i = 0; i < 2; ++i) {
        top->clk = 0;
        top->eval();
        if (top->s_axis_tready) fail(3, "s_axis_tready is high during reset");
        top->clk = 1;
        top->eval();
    }
    top->rst = 0;
    bool s_valid = false, m_ready = false;

    std::setvbuf(stdin, nullptr, _IOFBF, 1 << 20);
    for (;;) {
        uint32_t n;
        read_exact(stdin, &n, 4, "chunk size");
        if (n == 0) break;
        codes.resize(static_cast<size_t>(n) * k);
        read_exact(stdin, codes.data(), codes.size() * 2, "activations");
        const uint64_t beats = static_cast<uint64_t>(n) * groups * k, dots = static_cast<uint64_t>(n) * groups;
        out.assign(dots * (mdw + muw), 0);
        uint64_t beat = 0, dot_out = 0, idle = 0;
        uint32_t p = 0, g = 0, kk = 0;
        auto load = [&]() {  // the port words of beat (p, g, kk)
            std::memcpy(word.data(), &weights[(static_cast<size_t>(g) * k + kk) * tdw], tdw * 4);
            const uint32_t code = codes[static_cast<size_t>(p) * k + kk];
            word[act_offset / 32] |= code << (act_offset % 32);
            if ((act_offset % 32) + act_bits > 32) word[act_offset / 32 + 1] |= code >> (32 - act_offset % 32);
            put(top->s_axis_tdata, word.data());
            top->s_axis_tlast = kk == k - 1;
            if (kk == 0) put(top->s_axis_tuser, &bias[g * tuw]);
            else if (kk == 1) put(top->s_axis_tuser, &other[g * tuw]);
        };
        load();
        while (dot_out < dots) {
            top->clk = 0;
            top->s_axis_tvalid = s_valid;
            top->m_axis_tready = m_ready;
            top->eval();
            const bool s_fire = s_valid && top->s_axis_tready;
            if (top->m_axis_tvalid && m_ready) {
                uint32_t* dst = &out[dot_out * (mdw + muw)];
                get(top->m_axis_tdata, dst);
                get(top->m_axis_tuser, dst + mdw);
                ++dot_out;
                idle = 0;
            }
            top->clk = 1;
            top->eval();
            ++cycles;
            if (s_fire) {
                ++beat;
                idle = 0;
                if (++kk == k) {
                    kk = 0;
                    if (++g == groups) { g = 0; ++p; }
                }
                if (beat < beats) load();
            }
            if (++idle > WATCHDOG)
                fail(3, "no beat accepted or delivered for %llu cycles (%llu results seen)",
                     static_cast<unsigned long long>(WATCHDOG),
                     static_cast<unsigned long long>(dots_total + dot_out));
            rng = xorshift(rng);
            if (!s_valid || s_fire) s_valid = beat < beats && (rng % 100) >= stall;
            m_ready = ((rng >> 8) % 100) >= stall;
        }
        beats_total += beats;
        dots_total += dots;
        if (std::fwrite(out.data(), 4, out.size(), stdout) != out.size()) fail(2, "short write of the results");
        std::fflush(stdout);
    }
    const uint64_t trailer[4] = {cycles, beats_total, dots_total, top->overflow_o ? 1u : 0u};
    std::fwrite(trailer, 8, 4, stdout);
    std::fflush(stdout);
    top->final();
    return 0;
}
