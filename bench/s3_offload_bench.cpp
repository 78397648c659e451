// The hourly offload onto an S3 warehouse: the 10-million-row hour of
// offload_bench (the same generated trades in a real ClickHouse server) moved
// by `k2 offload`, in one run and round by round:
//   (a) to a local-disk warehouse (the floor: what the offload costs without S3);
//   (b) to the loopback S3 server (`warehouse: s3://bench/...`, path-style,
//       endpoint = tools/oracle/s3front.mjs: s3rver behind a front that verifies
//       every SigV4 signature), the same server the tests use;
//   (c) the raw PUT rate of the same bytes (the Parquet data files of (a)) to
//       that server: `curl --upload-file FILE --aws-sigv4 aws:amz:us-east-1:s3`
//       with `x-amz-content-sha256: UNSIGNED-PAYLOAD` (signed, through the same
//       signature-checking front; one PUT per file); and the same files as
//       multipart uploads by curl with k2's part size, parts one after the
//       other, CompleteMultipartUpload timed on its own (s3rver concatenates
//       the parts into a new file there, a cost S3 itself does not have).
// k2 runs as a child process each time; its peak RSS is that child's ru_maxrss.
// The S3 server's own CPU (node: the front and s3rver, one process) and the
// ClickHouse server's are read from /proc around each offload, to show where
// the time goes on a machine whose cores the servers share with k2 (before
// the first round the S3 server is warmed up with an untimed PUT).
// chDB then reads both tables, the S3 one with its own S3 client (icebergS3),
// and must return ClickHouse's count and sum(price * quantity) for the window;
// the bench exits non-zero otherwise.
//
//   build/bench/s3_offload_bench [--rows N] [--rounds R] [--k2 PATH] [--part-size SIZE]
// Run from the repository root. Uses $K2_BENCH_CLICKHOUSE_URL if set, else
// starts Debian's clickhouse-server.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.h"
#include "trades_hour.h"

namespace {

namespace fs = std::filesystem;
using k2::bench::BenchS3;
using k2::bench::ChildRun;
using k2::bench::RunChild;

int Fail(const std::string& what) {
  fmt::print(stderr, "s3_offload_bench: {}\n", what);
  return 1;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty()      ? 0
         : v.size() % 2 ? v[v.size() / 2]
                        : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

/// The Parquet files under `dir` and their total size.
std::vector<fs::path> ParquetFiles(const fs::path& dir, uint64_t* bytes) {
  std::vector<fs::path> out;
  *bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".parquet") {
      out.push_back(e.path());
      *bytes += e.file_size();
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// "16MiB", "5MiB" (the --part-size values the bench passes on to k2) in bytes.
uint64_t MiB(const std::string& size) {
  return std::stoull(size) << 20;
}

/// curl with the bench's SigV4 credentials; `args` follow the signing options.
ChildRun SignedCurl(std::vector<std::string> args) {
  std::vector<std::string> argv = {"curl",
                                   "-sS",
                                   "--fail",
                                   "--aws-sigv4",
                                   "aws:amz:us-east-1:s3",
                                   "-u",
                                   std::string(BenchS3::kAccessKey) + ":" + BenchS3::kSecret,
                                   "-H",
                                   "x-amz-content-sha256: UNSIGNED-PAYLOAD"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunChild(argv);
}

/// A multipart upload of `file` by curl, parts of `part_bytes` sent one after
/// the other: CreateMultipartUpload, UploadPart each, CompleteMultipartUpload.
struct Multipart {
  bool ok = false;
  std::string error;
  double seconds = 0;           ///< all of it
  double complete_seconds = 0;  ///< CompleteMultipartUpload alone
};
Multipart CurlMultipart(const std::string& url, const fs::path& file, uint64_t part_bytes,
                        const fs::path& scratch) {
  Multipart m;
  // The parts as files (not timed): curl uploads whole files.
  std::vector<fs::path> parts;
  {
    std::ifstream in(file, std::ios::binary);
    std::string buf(part_bytes, '\0');
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      parts.push_back(scratch / fmt::format("part{}", parts.size() + 1));
      std::ofstream(parts.back(), std::ios::binary).write(buf.data(), in.gcount());
    }
  }
  ChildRun create = SignedCurl({"-X", "POST", url + "?uploads="});
  m.seconds += create.seconds;
  const size_t at = create.output.find("<UploadId>");
  const size_t end = create.output.find("</UploadId>");
  if (create.exit_code != 0 || at == std::string::npos || end == std::string::npos) {
    m.error = "CreateMultipartUpload: " + create.output;
    return m;
  }
  const std::string upload_id = create.output.substr(at + 10, end - at - 10);
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < parts.size(); ++i) {
    ChildRun put =
        SignedCurl({"-o", "/dev/null", "-w", "%header{etag}", "--upload-file", parts[i].string(),
                    fmt::format("{}?partNumber={}&uploadId={}", url, i + 1, upload_id)});
    m.seconds += put.seconds;
    if (put.exit_code != 0 || put.output.empty()) {
      m.error = fmt::format("UploadPart {}: {}", i + 1, put.output);
      return m;
    }
    xml +=
        fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, put.output);
  }
  xml += "</CompleteMultipartUpload>";
  ChildRun complete =
      SignedCurl({"-X", "POST", "--data-binary", xml, url + "?uploadId=" + upload_id});
  m.complete_seconds = complete.seconds;
  m.seconds += complete.seconds;
  if (complete.exit_code != 0 || complete.output.find("<Error>") != std::string::npos) {
    m.error = "CompleteMultipartUpload: " + complete.output;
    return m;
  }
  for (const fs::path& p : parts) fs::remove(p);
  m.ok = true;
  return m;
}

/// One round's figures.
struct Round {
  ChildRun local, s3;
  Multipart multipart;  ///< curl's multipart upload of the same files
  double put_seconds = 0;
  double s3_server_cpu = 0;  ///< node's CPU seconds during the S3 offload
  double local_ch_cpu = 0;   ///< ClickHouse's CPU seconds during each offload
  double s3_ch_cpu = 0;
  double put_server_cpu = 0;
};

}  // namespace

int main(int argc, char** argv) {
  auto args = k2::bench::ParseOffloadBenchArgs(argc, argv, {{"part-size", "16MiB"}});
  if (!args) return Fail(args.error().message);
  const long rows = args->rows;
  const int rounds = args->rounds;
  const std::string k2_path = args->k2_path;
  const std::string part_size = args->extra["part-size"];  // as k2's config takes it
  if (!fs::exists("tools/oracle/s3front.mjs")) return Fail("run from the repository root");

  k2::bench::BenchClickHouse server;
  auto expected = k2::bench::StartTradesHour(server, rows);
  if (!expected) return Fail(expected.error().ToString());
  const std::string want = *expected;

  BenchS3 s3;
  if (!s3.Start("bench")) return Fail("could not start tools/oracle/s3front.mjs (node, s3rver)");
  fmt::print("S3 server (s3rver behind the SigV4-checking front) at {}\n", s3.endpoint());

  fs::path dir = fs::temp_directory_path() / fmt::format("k2-s3-offload-bench-{}", getpid());
  fs::create_directories(dir);
  const std::string table =
      "tables:\n  - {name: bench_trades, layer: raw, source: "
      "default.bench_trades, time_column: timestamp, partition: [day]}\n";
  auto offload = [&](const fs::path& run, const std::string& warehouse_yaml) {
    fs::create_directories(run);
    std::ofstream(run / "k2.yaml") << fmt::format(
        "data_dir: {0}\nwarm: {{kind: http, url: '{1}'}}\ncatalog: {{uri: {0}/catalog.db}}\n{2}{3}",
        run.string(), server.url(), warehouse_yaml, table);
    return RunChild({k2_path, "--config", (run / "k2.yaml").string(), "--log-level", "warn",
                     "offload", "--window", k2::bench::kTradesWindow, "--json"});
  };

  std::vector<Round> results;
  uint64_t parquet_bytes = 0;
  size_t parquet_files = 0;
  std::string local_table, s3_prefix;
  for (int round = 0; round < rounds; ++round) {
    Round r;
    // (a) local disk: a fresh catalog and warehouse, a first offload.
    fs::path local_run = dir / fmt::format("local{}", round);
    double ch0 = k2::bench::ProcessCpuSeconds(server.pid());
    r.local = offload(local_run,
                      fmt::format("warehouse: {{location: {}/warehouse}}\n", local_run.string()));
    r.local_ch_cpu = k2::bench::ProcessCpuSeconds(server.pid()) - ch0;
    if (r.local.exit_code != 0) return Fail("k2 offload (local) failed: " + r.local.output);
    local_table = (local_run / "warehouse/market/bench_trades").string();
    std::vector<fs::path> files = ParquetFiles(local_table + "/data", &parquet_bytes);
    parquet_files = files.size();
    if (round == 0) {
      // Warm the S3 server up (node compiles its hot paths on first use; s3rver
      // makes its folders): the same bytes once, not timed.
      for (size_t i = 0; i < files.size(); ++i) {
        ChildRun put =
            SignedCurl({"-o", "/dev/null", "--upload-file", files[i].string(),
                        fmt::format("{}/{}/warmup/{}.parquet", s3.endpoint(), s3.bucket(), i)});
        if (put.exit_code != 0) return Fail("curl PUT failed: " + put.output);
      }
      fs::remove_all(fs::path(s3.bucket_dir()) / "warmup");
    }

    // (b) S3: a fresh catalog and prefix.
    fs::path s3_run = dir / fmt::format("s3-{}", round);
    s3_prefix = fmt::format("r{}", round);
    double cpu0 = s3.CpuSeconds();
    ch0 = k2::bench::ProcessCpuSeconds(server.pid());
    r.s3 = offload(s3_run, fmt::format("warehouse:\n  location: s3://{}/{}\n  s3: {{endpoint: "
                                       "'{}', path_style: 'true', access_key_id: {}, "
                                       "secret_access_key: {}{}}}\n",
                                       s3.bucket(), s3_prefix, s3.endpoint(), BenchS3::kAccessKey,
                                       BenchS3::kSecret, ", part_size: " + part_size));
    r.s3_server_cpu = s3.CpuSeconds() - cpu0;
    r.s3_ch_cpu = k2::bench::ProcessCpuSeconds(server.pid()) - ch0;
    if (r.s3.exit_code != 0) return Fail("k2 offload (S3) failed: " + r.s3.output);

    // (c) the same bytes PUT with curl, one signed PUT per data file.
    cpu0 = s3.CpuSeconds();
    for (size_t i = 0; i < files.size(); ++i) {
      ChildRun put =
          SignedCurl({"-o", "/dev/null", "--upload-file", files[i].string(),
                      fmt::format("{}/{}/raw{}/{}.parquet", s3.endpoint(), s3.bucket(), round, i)});
      if (put.exit_code != 0) return Fail("curl PUT failed: " + put.output);
      r.put_seconds += put.seconds;
    }
    r.put_server_cpu = s3.CpuSeconds() - cpu0;
    // (d) the same files as multipart uploads by curl, k2's part size.
    for (size_t i = 0; i < files.size(); ++i) {
      Multipart m = CurlMultipart(
          fmt::format("{}/{}/raw{}/mp{}.parquet", s3.endpoint(), s3.bucket(), round, i), files[i],
          MiB(part_size), dir);
      if (!m.ok) return Fail("curl multipart upload failed: " + m.error);
      r.multipart.seconds += m.seconds;
      r.multipart.complete_seconds += m.complete_seconds;
    }
    fmt::print(
        "round {}: local {:.2f} s ({} MB, CPU {:.2f} s) | S3 {:.2f} s ({} MB, CPU {:.2f} s, "
        "server CPU {:.2f} s) | curl PUT {:.2f} s (server CPU {:.2f} s) | curl multipart {:.2f} s "
        "(Complete {:.2f} s)\n",
        round, r.local.seconds, r.local.maxrss_kb / 1024, r.local.cpu_seconds, r.s3.seconds,
        r.s3.maxrss_kb / 1024, r.s3.cpu_seconds, r.s3_server_cpu, r.put_seconds, r.put_server_cpu,
        r.multipart.seconds, r.multipart.complete_seconds);
    results.push_back(r);
    // Keep the disk small: only the last round's tables are read back.
    if (round + 1 < rounds) {
      fs::remove_all(local_run);
      fs::remove_all(fs::path(s3.bucket_dir()) / s3_prefix);
    }
    fs::remove_all(fs::path(s3.bucket_dir()) / fmt::format("raw{}", round));
  }

  // Independent check: chDB reads both tables, the S3 one with its own client.
  const std::string got_local =
      k2::bench::ChdbTradesTotals(fmt::format("icebergLocal('{}')", local_table));
  const std::string got_s3 = k2::bench::ChdbTradesTotals(
      fmt::format("icebergS3('{}/{}/{}/market/bench_trades', '{}', '{}')", s3.endpoint(),
                  s3.bucket(), s3_prefix, BenchS3::kAccessKey, BenchS3::kSecret));
  fmt::print("chDB icebergLocal on the local table: {} ({})\n", got_local,
             got_local == want ? "equals ClickHouse" : "DIFFERS from ClickHouse");
  fmt::print("chDB icebergS3 on the S3 table: {} ({})\n", got_s3,
             got_s3 == want ? "equals ClickHouse" : "DIFFERS from ClickHouse");
  auto stats = s3.Stats();
  fmt::print("S3 front: {}\n", stats.dump());
  const bool uploads_closed = stats.value("open_uploads", -1) == 0;
  if (!uploads_closed) fmt::print("open multipart uploads left: FAIL\n");

  std::vector<double> local_s, s3_s, put_s, ratios;
  long s3_rss = 0, local_rss = 0;
  for (const Round& r : results) {
    local_s.push_back(r.local.seconds);
    s3_s.push_back(r.s3.seconds);
    put_s.push_back(r.put_seconds);
    ratios.push_back(r.local.seconds / r.s3.seconds);
    s3_rss = std::max(s3_rss, r.s3.maxrss_kb);
    local_rss = std::max(local_rss, r.local.maxrss_kb);
  }
  const double mb = parquet_bytes / 1e6;
  fmt::print("\n{} rows; {} Parquet file(s), {:.1f} MB; part size {}\n", rows, parquet_files, mb,
             part_size);
  fmt::print(
      "| round | local offload | S3 offload | S3 / local | curl PUT | curl multipart (Complete) | "
      "k2 CPU local / S3 | ClickHouse CPU local / S3 | S3 server CPU k2 / PUT | k2 peak RSS "
      "local / S3 |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < results.size(); ++i) {
    const Round& r = results[i];
    fmt::print(
        "| {} | {:.2f} s ({:.2f} M rows/s) | {:.2f} s ({:.2f} M rows/s) | {:.2f}x | {:.2f} s "
        "({:.0f} MB/s) | {:.2f} s ({:.2f} s) | {:.2f} / {:.2f} s | {:.2f} / {:.2f} s | {:.2f} / "
        "{:.2f} s | {} / {} MB |\n",
        i + 1, r.local.seconds, rows / r.local.seconds / 1e6, r.s3.seconds,
        rows / r.s3.seconds / 1e6, ratios[i], r.put_seconds, mb / r.put_seconds,
        r.multipart.seconds, r.multipart.complete_seconds, r.local.cpu_seconds, r.s3.cpu_seconds,
        r.local_ch_cpu, r.s3_ch_cpu, r.s3_server_cpu, r.put_server_cpu, r.local.maxrss_kb / 1024,
        r.s3.maxrss_kb / 1024);
  }
  const double best_local = *std::min_element(local_s.begin(), local_s.end());
  const double best_s3 = *std::min_element(s3_s.begin(), s3_s.end());
  const double best_put = *std::min_element(put_s.begin(), put_s.end());
  fmt::print(
      "best: local {:.2f} M rows/s, S3 {:.2f} M rows/s, S3/local {:.2f}x (median of rounds "
      "{:.2f}x; target >= 0.8x); curl PUT {:.0f} MB/s = the hour's bytes in {:.2f} s\n",
      rows / best_local / 1e6, rows / best_s3 / 1e6, best_local / best_s3, Median(ratios),
      mb / best_put, best_put);
  fmt::print("k2 peak RSS on S3: {} MB (target <= 160 MB); on local disk: {} MB\n", s3_rss / 1024,
             local_rss / 1024);
  fs::remove_all(dir);
  return got_local == want && got_s3 == want && uploads_closed ? 0 : 1;
}
