#include "support/support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace k2::testing {

namespace fs = std::filesystem;

std::string SourceDir() {
  return K2_SOURCE_DIR;
}

Result<nlohmann::json> QueryOracle(const std::string& engine,
                                   const std::vector<std::string>& statements) {
  std::vector<std::string> argv = {"node", SourceDir() + "/tools/oracle/query.mjs", engine};
  argv.insert(argv.end(), statements.begin(), statements.end());
  ProcessResult r = RunProcess(argv);
  // The oracle's engine crashing (node dies by a signal: chDB has been seen
  // to segfault under heavy load) says nothing about the files: the oracle
  // only reads, so ask again. An answer or an error of the engine is final.
  for (int again = 0; again < 2 && r.exit_code > 128; ++again) {
    std::fprintf(stderr, "%s oracle died (exit %d), asking again\n", engine.c_str(), r.exit_code);
    r = RunProcess(argv);
  }
  if (r.exit_code != 0) {
    return MakeError(ErrorKind::kRemote, "{} oracle failed (exit {}): {}", engine, r.exit_code,
                     r.err);
  }
  auto parsed = nlohmann::json::parse(r.out, nullptr, false);
  if (parsed.is_discarded()) {
    return MakeError(ErrorKind::kCorrupt, "{} oracle printed non-JSON: {}", engine,
                     r.out.substr(0, 200));
  }
  return parsed;
}

SnapshotWindows WindowsOfSnapshots(const nlohmann::json& snapshots) {
  SnapshotWindows out;
  for (const auto& s : snapshots) {
    auto it = s.find("summary");
    if (it == s.end() || !it->contains("k2.window")) continue;
    const std::string w = (*it)["k2.window"].get<std::string>();
    if (!out.windows.insert(w).second) out.repeated.push_back(w);
  }
  return out;
}

Result<nlohmann::json> QueryDuckDB(const std::string& sql) {
  K2_ASSIGN_OR_RETURN(auto all, QueryOracle("duckdb", {sql}));
  return all.at(0);
}

Result<nlohmann::json> QueryChdb(const std::string& sql) {
  K2_ASSIGN_OR_RETURN(auto all, QueryOracle("chdb", {sql}));
  return all.at(0);
}

std::optional<std::string> FixturesDir() {
  std::string dir;
  if (const char* env = std::getenv("K2_FIXTURES"); env && *env) {
    dir = env;
  } else {
    dir = SourceDir() + "/../shared/fixtures";
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  return fs::canonical(dir, ec).string();
}

const std::string& EmbeddedEngineDir() {
  static auto* dir = new TempDir();  // outlives every test: chDB keeps it open
  return dir->path();
}

std::optional<std::string> ChdbLibraryPath() {
  std::string p = SourceDir() + "/tools/oracle/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so";
  std::error_code ec;
  if (fs::exists(p, ec)) return p;
  return std::nullopt;
}

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  fs::path base = (tmp && *tmp) ? tmp : "/tmp";
  std::mt19937_64 rng{std::random_device{}()};
  for (;;) {
    fs::path candidate = base / fmt::format("k2-test-{:012x}", rng() & 0xffffffffffffULL);
    std::error_code ec;
    if (fs::create_directory(candidate, ec)) {
      path_ = candidate.string();
      return;
    }
  }
}

TempDir::~TempDir() {
  if (std::getenv("K2_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env) {
  ProcessResult result;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string WholeHoursAgo(int hours) {
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  std::chrono::sys_seconds first{std::chrono::seconds{(now_s / 3600 - hours) * 3600}};
  auto day = std::chrono::floor<std::chrono::days>(first);
  std::chrono::year_month_day ymd{day};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:00:00Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     std::chrono::duration_cast<std::chrono::hours>(first - day).count());
}

std::string RestCatalogServeConfig(const std::string& data_dir, const std::string& catalog_db,
                                   const std::string& warehouse, int port) {
  return fmt::format(
      "data_dir: {}\ncatalog: {{type: sql, uri: {}}}\nwarehouse: {{location: \"{}\"}}\n"
      "tables:\n  - {{name: raw_trades, enabled: false}}\n"
      "maintenance:\n  compaction: {{schedule: \"\"}}\n  expire: {{schedule: \"\"}}\n"
      "  orphans: {{schedule: \"\"}}\n  manifests: {{schedule: \"\"}}\n"
      "  audit: {{schedule: \"\"}}\n"
      "service:\n  listen: 127.0.0.1:{}\n  shutdown_grace: 2s\n  rest_catalog: {{enabled: true}}\n",
      data_dir, catalog_db, warehouse, port);
}

int SpawnProcess(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

ServeProcess::ServeProcess(const std::string& k2, const std::string& config, const std::string& log,
                           int port, const std::vector<std::string>& env,
                           const std::string& log_level)
    : base_("http://127.0.0.1:" + std::to_string(port)) {
  std::vector<std::string> args = {k2, "--config", config, "--log-level", log_level, "serve"};
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  for (auto& e : envs) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    if (!log.empty()) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execve(k2.c_str(), argv.data(), envp.data());
    _exit(127);
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) Kill();
}

bool ServeProcess::AwaitUp() {
  for (int i = 0; i < 600; ++i) {
    if (RunProcess({"curl", "-sf", base_ + "/health"}).exit_code == 0) return true;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = 0;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void ServeProcess::Kill() {
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = 0;
}

int ServeProcess::Terminate() {
  ::kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long RssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace k2::testing
