// Warm-tier decoding throughput: k2's HTTP driver streaming a 10-million-row
// result into ColumnBatches, against the physical limit of the same query,
// `curl ... FORMAT RowBinary > /dev/null`, measured in the same run.
//
//   build/bench/warm_bench [rows]        (default 10000000)
// Uses $K2_BENCH_CLICKHOUSE_URL if set, else starts Debian's clickhouse-server
// on a free loopback port in a temp dir.

#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "bench_support.h"
#include "warm/row_binary.h"
#include "warm/warm_driver.h"

namespace {

double CpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  long rows = argc > 1 ? std::atol(argv[1]) : 10000000;
  k2::bench::BenchClickHouse server;
  if (!server.Start()) {
    fmt::print(stderr, "could not start clickhouse-server (set K2_BENCH_CLICKHOUSE_URL)\n");
    return 1;
  }
  const std::string url = server.url();
  const std::string query = fmt::format(
      "SELECT number AS id, toString(number % 1000) AS s, toFloat64(number) AS f, "
      "toDateTime('2024-01-01 00:00:00', 'UTC') + number AS t FROM system.numbers LIMIT {}",
      rows);
  k2::warm::HttpDriverOptions o;
  o.url = url;
  o.compression = false;  // same bytes on the wire as the curl baseline
  auto driver = k2::warm::OpenHttpDriver(o);
  if (!driver) {
    fmt::print(stderr, "{}\n", driver.error().ToString());
    return 1;
  }
  fmt::print("ClickHouse {} at {}, {} rows\n", (*driver)->ServerVersion(), url, rows);
  const std::string query_file = fmt::format("/tmp/k2-warm-bench-query-{}.sql", getpid());
  std::ofstream(query_file) << query << " FORMAT RowBinary";
  const std::string curl_cmd =
      fmt::format("curl -sS --fail -o /dev/null --data-binary @{} '{}/'", query_file, url);
  double best_curl = 1e9, best_k2 = 1e9;
  double cpu_curl = 1e9, cpu_k2 = 1e9;  // least CPU seconds of a round
  uint64_t bytes = 0;
  for (int round = 0; round < 3; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = CpuSeconds(RUSAGE_CHILDREN);
    if (std::system(curl_cmd.c_str()) != 0) {
      fmt::print(stderr, "curl failed\n");
      return 1;
    }
    best_curl = std::min(best_curl, k2::bench::Seconds(t0));
    cpu_curl = std::min(cpu_curl, CpuSeconds(RUSAGE_CHILDREN) - c0);

    t0 = std::chrono::steady_clock::now();
    double k0 = CpuSeconds(RUSAGE_SELF);
    auto reader = (*driver)->Query(query, 65536);
    if (!reader) {
      fmt::print(stderr, "{}\n", reader.error().ToString());
      return 1;
    }
    uint64_t n = 0;
    while (true) {
      auto b = (*reader)->Next();
      if (!b) {
        fmt::print(stderr, "{}\n", b.error().ToString());
        return 1;
      }
      if (!*b) break;
      n += (*b)->num_rows();
    }
    best_k2 = std::min(best_k2, k2::bench::Seconds(t0));
    cpu_k2 = std::min(cpu_k2, CpuSeconds(RUSAGE_SELF) - k0);
    auto* rb = dynamic_cast<k2::warm::RowBinaryReader*>(reader->get());
    bytes = rb ? rb->bytes_read() : 0;
    if (n != static_cast<uint64_t>(rows)) {
      fmt::print(stderr, "k2 read {} rows, expected {}\n", n, rows);
      return 1;
    }
    fmt::print("round {}: curl > /dev/null {:.2f} s, k2 decode to batches {:.2f} s\n", round,
               best_curl, best_k2);
  }
  fmt::print("curl RowBinary > /dev/null: {:.2f} s ({:.1f} Mrows/s, {:.0f} MB/s)\n", best_curl,
             rows / best_curl / 1e6, bytes / best_curl / 1e6);
  fmt::print("k2 HTTP driver -> ColumnBatch: {:.2f} s ({:.1f} Mrows/s, {:.0f} MB/s)\n", best_k2,
             rows / best_k2 / 1e6, bytes / best_k2 / 1e6);
  fmt::print("ratio k2/curl throughput: {:.0f}%\n", 100.0 * best_curl / best_k2);
  fmt::print("client CPU (least of 3): curl {:.2f} s, k2 {:.2f} s ({:.0f} ns/row)\n", cpu_curl,
             cpu_k2, cpu_k2 / rows * 1e9);
  return 0;
}
