// Bridges GCC's -fsanitize-coverage=trace-pc to libFuzzer's inline 8-bit
// counters. clang 14 cannot compile k2 (libstdc++ 12's std::expected needs
// P0848), so the targets are compiled by g++ and linked against clang's
// libFuzzer runtime, which rejects trace-pc callbacks. The link wraps
// __sanitizer_cov_trace_pc (-Wl,--wrap) to this function, which hashes each
// call site to a counter that libFuzzer reads as an edge.
#include <cstddef>
#include <cstdint>

extern "C" void __sanitizer_cov_8bit_counters_init(uint8_t* start, uint8_t* stop);
extern "C" void __sanitizer_cov_pcs_init(const uintptr_t* pcs_beg, const uintptr_t* pcs_end);

namespace {

constexpr size_t kCounters = 1 << 16;
uint8_t counters[kCounters];
uintptr_t pcs[2 * kCounters];

struct Registrar {
  Registrar() {
    for (size_t i = 0; i < kCounters; ++i) {
      pcs[2 * i] = i + 1;  // synthetic PCs, one per counter
      pcs[2 * i + 1] = 0;
    }
    __sanitizer_cov_8bit_counters_init(counters, counters + kCounters);
    __sanitizer_cov_pcs_init(pcs, pcs + 2 * kCounters);
  }
};
Registrar registrar __attribute__((init_priority(101)));

}  // namespace

extern "C" void __wrap___sanitizer_cov_trace_pc() {
  auto pc = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  uintptr_t h = (pc ^ (pc >> 17)) * 0x9E3779B97F4A7C15ULL;
  uint8_t& c = counters[(h >> 48) & (kCounters - 1)];
  c = static_cast<uint8_t>(c + 1);
}
