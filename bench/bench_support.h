#pragma once
// Shared pieces of the benchmarks: a loopback clickhouse-server, a loopback
// S3 server, child processes with their peak RSS, and the node peer script.

#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace k2::bench {

inline double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(s);
  return port;
}

/// Debian's clickhouse-server on a free loopback port in a temp dir, or the
/// server named by $K2_BENCH_CLICKHOUSE_URL.
class BenchClickHouse {
 public:
  ~BenchClickHouse() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      std::filesystem::remove_all(dir_);
    }
  }
  bool Start() {
    if (const char* env = std::getenv("K2_BENCH_CLICKHOUSE_URL"); env && *env) {
      url_ = env;
      return true;
    }
    char tmpl[] = "/tmp/k2-bench-ch-XXXXXX";
    if (!mkdtemp(tmpl)) return false;
    dir_ = tmpl;  // kept on failure for its logs
    for (const char* sub : {"data", "tmp", "user_files", "log", "format_schemas"}) {
      std::filesystem::create_directories(dir_ + "/" + sub);
    }
    int http = FreePort(), tcp = FreePort();
    std::ofstream(dir_ + "/config.xml") << fmt::format(
        R"(<?xml version="1.0"?><yandex><logger><level>warning</level><log>{0}/log/s.log</log><errorlog>{0}/log/e.log</errorlog></logger>
<http_port>{1}</http_port><tcp_port>{2}</tcp_port><listen_host>127.0.0.1</listen_host><path>{0}/data/</path>
<tmp_path>{0}/tmp/</tmp_path><user_files_path>{0}/user_files/</user_files_path><format_schema_path>{0}/format_schemas/</format_schema_path>
<users_config>{0}/users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database><mark_cache_size>67108864</mark_cache_size><uncompressed_cache_size>67108864</uncompressed_cache_size></yandex>)",
        dir_, http, tcp);
    std::ofstream(dir_ + "/users.xml")
        << R"(<?xml version="1.0"?><yandex><profiles><default></default></profiles>
<users><default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas></yandex>)";
    pid_ = fork();
    if (pid_ == 0) {
      // A session of its own, as a server run as a service has: with the
      // kernel's scheduler autogroups (sched_autogroup_enabled), the server
      // and the measured client then share the CPUs as two groups rather
      // than thread by thread with the bench's own processes.
      setsid();
      std::string cfg = "--config-file=" + dir_ + "/config.xml";
      std::string log = dir_ + "/log/stdout.log";
      FILE* f = freopen(log.c_str(), "w", stdout);
      f = freopen(log.c_str(), "a", stderr);
      (void)f;
      execl("/usr/sbin/clickhouse-server", "clickhouse-server", cfg.c_str(), nullptr);
      _exit(127);
    }
    url_ = fmt::format("http://127.0.0.1:{}", http);
    for (int i = 0; i < 600; ++i) {
      if (std::system(("curl -sf -o /dev/null " + url_ + "/ping").c_str()) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  const std::string& url() const { return url_; }
  /// The server process, or -1 with $K2_BENCH_CLICKHOUSE_URL.
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string dir_;
  std::string url_;
};

/// What a child process did: exit code, wall time, peak RSS, captured output.
struct ChildRun {
  int exit_code = -1;
  double seconds = 0;
  long maxrss_kb = 0;
  double cpu_seconds = 0;  ///< user + system
  std::string output;      ///< stdout and stderr
};

/// Runs argv as a child process and measures it (getrusage of that child).
inline ChildRun RunChild(const std::vector<std::string>& argv) {
  ChildRun r;
  int fds[2];
  if (pipe(fds) != 0) return r;
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) r.output.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  r.seconds = Seconds(t0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.maxrss_kb = ru.ru_maxrss;
  r.cpu_seconds = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                  ru.ru_stime.tv_usec / 1e6;
  return r;
}

/// The options of the benches over generated trades made once in a --dir:
/// `--days --rate --symbols --rounds --dir`, and any other `--flag value`.
struct TradesBenchArgs {
  int days = 30;
  int rate = 1;
  int symbols = 3;
  int rounds = 3;
  std::string dir;                           ///< absolute, created
  std::map<std::string, std::string> other;  ///< other flags, by name ("--compact")

  static TradesBenchArgs Parse(int argc, char** argv, const std::string& default_dir) {
    TradesBenchArgs a;
    a.dir = default_dir;
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string flag = argv[i];
      const char* value = argv[i + 1];
      if (flag == "--days")
        a.days = std::atoi(value);
      else if (flag == "--rate")
        a.rate = std::atoi(value);
      else if (flag == "--symbols")
        a.symbols = std::atoi(value);
      else if (flag == "--rounds")
        a.rounds = std::atoi(value);
      else if (flag == "--dir")
        a.dir = value;
      else
        a.other[flag] = value;
    }
    std::filesystem::create_directories(a.dir);
    a.dir = std::filesystem::absolute(a.dir).string();
    return a;
  }
};

/// RunChild from the root directory: chDB reads icebergLocal only under its
/// working directory (the node peers that query Iceberg tables).
inline ChildRun RunChildFromRoot(const std::vector<std::string>& argv) {
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path("/");
  ChildRun r = RunChild(argv);
  std::filesystem::current_path(cwd);
  return r;
}

/// CPU seconds (user + system, every thread) this process has used so far:
/// beside wall time, what the disk's fsync latency and the machine's load do
/// not blur.
inline double SelfCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// CPU seconds (user + system) a running process has used so far, from
/// /proc/<pid>/stat; -1 if it cannot be read.
inline double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t p = stat.rfind(')');
  if (p == std::string::npos) return -1;
  std::vector<std::string> fields;  // from field 3 (state) on
  std::string field;
  for (size_t i = p + 2; i <= stat.size(); ++i) {
    if (i == stat.size() || stat[i] == ' ') {
      fields.push_back(field);
      field.clear();
    } else {
      field.push_back(stat[i]);
    }
  }
  if (fields.size() < 13) return -1;  // utime and stime are fields 14 and 15
  return (std::stod(fields[11]) + std::stod(fields[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// The test S3 endpoint (tools/oracle/s3front.mjs: s3rver behind a front that
/// verifies every SigV4 signature) on a free loopback port, in a temp dir and
/// a session of its own (as a server run as a service). Run from the
/// repository root.
class BenchS3 {
 public:
  static constexpr const char* kAccessKey = "k2bench";
  static constexpr const char* kSecret = "k2bench-secret";

  ~BenchS3() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      std::filesystem::remove_all(dir_);
    }
  }
  bool Start(const std::string& bucket) {
    char tmpl[] = "/tmp/k2-bench-s3-XXXXXX";
    if (!mkdtemp(tmpl)) return false;
    dir_ = tmpl;
    bucket_ = bucket;
    std::filesystem::create_directories(dir_ + "/data");
    const int port = FreePort();
    const std::string front = std::filesystem::absolute("tools/oracle/s3front.mjs").string();
    std::fflush(stdout);  // the child's freopen would write our buffered output again
    pid_ = fork();
    if (pid_ == 0) {
      setsid();
      std::string log = dir_ + "/front.log";
      FILE* f = freopen(log.c_str(), "w", stdout);
      f = freopen(log.c_str(), "a", stderr);
      (void)f;
      std::string port_s = std::to_string(port), data = dir_ + "/data";
      execlp("node", "node", front.c_str(), "--port", port_s.c_str(), "--dir", data.c_str(),
             "--bucket", bucket.c_str(), "--access-key", kAccessKey, "--secret", kSecret,
             static_cast<char*>(nullptr));
      _exit(127);
    }
    endpoint_ = fmt::format("http://127.0.0.1:{}", port);
    for (int i = 0; i < 300; ++i) {
      if (std::system(("curl -sf -o /dev/null " + endpoint_ + "/__admin/health").c_str()) == 0)
        return true;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& bucket() const { return bucket_; }
  /// Where s3rver keeps the bucket (key K is <bucket_dir>/K._S3rver_object).
  std::string bucket_dir() const { return dir_ + "/data/" + bucket_; }
  /// The front's stats: {requests, faults, signature_failures, open_uploads}.
  nlohmann::json Stats() const {
    ChildRun r = RunChild({"curl", "-sf", endpoint_ + "/__admin/stats"});
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    return j.is_discarded() ? nlohmann::json::object() : j;
  }
  /// CPU seconds the server (node: the front and s3rver) has used so far.
  double CpuSeconds() const { return ProcessCpuSeconds(pid_); }

 private:
  pid_t pid_ = -1;
  std::string dir_, bucket_, endpoint_;
};

/// Runs `fn` in a child process; returns its JSON output plus its peak RSS
/// and CPU seconds (user + system, the whole child).
inline nlohmann::json InChild(const std::function<nlohmann::json()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return {{"error", "pipe"}};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string s = fn().dump();
    (void)!write(fds[1], s.data(), s.size());
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string buf;
  char tmp[4096];
  ssize_t n;
  while ((n = read(fds[0], tmp, sizeof(tmp))) > 0) buf.append(tmp, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  auto j = nlohmann::json::parse(buf, nullptr, false);
  if (j.is_discarded()) j = nlohmann::json{{"error", "child failed"}};
  j["maxrss_kb"] = ru.ru_maxrss;
  j["cpu_seconds"] = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                     ru.ru_stime.tv_usec / 1e6;
  return j;
}

/// Leaves the embedded warm tier of the reference schema as the platform's
/// TTL would once the history is in Iceberg: only the rows at or after `cut`
/// (the generated trades start on October 1st, 2026; `cut_day` is the day of
/// October holding the cut, `cut_hour` its hour). The days before go as
/// whole partitions (raw, bronze, silver are partitioned by day), the rest
/// of the cut day by row; gold (by month) by row; then every table merged
/// into one part per partition, as the server's background merges would. A
/// warm tier holding a month of every layer costs every engine start ~0.4 s
/// of part loading, which no deployed warm tier (a server, or 6 hours) has.
/// `run_k2` runs `k2 ARGS...` and returns its ChildRun. The first failure.
template <typename RunK2>
std::optional<ChildRun> TrimWarmTier(RunK2& run_k2, int cut_day, int cut_hour) {
  const std::string cut =
      fmt::format("toDateTime('2026-10-{:02} {:02}:00:00', 'UTC')", cut_day, cut_hour);
  std::vector<std::string> statements;
  for (const auto& [table, column] :
       std::vector<std::pair<std::string, std::string>>{{"raw_trades", "ingested_at"},
                                                        {"bronze_trades", "event_time"},
                                                        {"silver_trades", "event_time"}}) {
    std::string drops;
    for (int d = 1; d < cut_day; ++d) {
      drops += fmt::format("{}DROP PARTITION ID '202610{:02}'", drops.empty() ? "" : ", ", d);
    }
    if (!drops.empty()) statements.push_back(fmt::format("ALTER TABLE {} {}", table, drops));
    statements.push_back(fmt::format(
        "ALTER TABLE {} DELETE WHERE {} < {} SETTINGS mutations_sync = 2", table, column, cut));
  }
  for (const char* g : {"1m", "5m", "15m", "30m", "1h", "1d"}) {
    statements.push_back(fmt::format(
        "ALTER TABLE gold_ohlcv_{} DELETE WHERE candle_time < {} SETTINGS mutations_sync = 2", g,
        cut));
  }
  for (const char* t :
       {"raw_trades", "bronze_trades", "silver_trades", "gold_ohlcv_1m", "gold_ohlcv_5m",
        "gold_ohlcv_15m", "gold_ohlcv_30m", "gold_ohlcv_1h", "gold_ohlcv_1d"}) {
    statements.push_back(fmt::format("OPTIMIZE TABLE {} FINAL", t));
  }
  for (const std::string& sql : statements) {
    ChildRun r = run_k2(std::vector<std::string>{"warm", "query", sql});
    if (r.exit_code != 0) {
      r.output = sql + ": " + r.output;
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace k2::bench
