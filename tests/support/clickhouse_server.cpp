#include "support/clickhouse_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace k2::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kServerBinary = "/usr/sbin/clickhouse-server";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

}  // namespace

Result<std::unique_ptr<ClickHouseServer>> ClickHouseServer::Start() {
  if (!fs::exists(kServerBinary)) {
    return MakeError(ErrorKind::kNotFound,
                     "{} is not installed (scripts/test installs Debian's clickhouse-server)",
                     kServerBinary);
  }
  std::unique_ptr<ClickHouseServer> server(new ClickHouseServer());
  const std::string& d = server->dir_.path();
  for (const char* sub : {"data", "tmp", "user_files", "log", "format_schemas"}) {
    fs::create_directories(d + "/" + sub);
  }
  server->http_port_ = FreeLoopbackPort();
  int tcp_port = FreeLoopbackPort();
  WriteFile(d + "/config.xml", fmt::format(R"(<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{0}/log/server.log</log><errorlog>{0}/log/error.log</errorlog><console>0</console></logger>
  <http_port>{1}</http_port>
  <tcp_port>{2}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{0}/data/</path>
  <tmp_path>{0}/tmp/</tmp_path>
  <user_files_path>{0}/user_files/</user_files_path>
  <format_schema_path>{0}/format_schemas/</format_schema_path>
  <users_config>{0}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
</yandex>
)",
                                           d, server->http_port_, tcp_port));
  WriteFile(d + "/users.xml", R"(<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default>
    <k2><password>secret</password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></k2>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
)");
  pid_t pid = fork();
  if (pid == 0) {
    std::string cfg = "--config-file=" + d + "/config.xml";
    std::string out = d + "/log/stdout.log";
    FILE* f = freopen(out.c_str(), "w", stdout);
    (void)f;
    f = freopen(out.c_str(), "a", stderr);
    (void)f;
    execl(kServerBinary, kServerBinary, cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  server->pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    ProcessResult r = RunProcess({"curl", "-sf", "--max-time", "2", server->url() + "/ping"});
    if (r.exit_code == 0 && r.out.starts_with("Ok.")) return server;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      return MakeError(ErrorKind::kIo, "clickhouse-server exited during start-up; see {}/log", d);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return MakeError(ErrorKind::kTimeout,
                   "clickhouse-server did not answer /ping in 30 s; see {}/log", d);
}

Result<std::string> ClickHouseServer::Query(const std::string& sql) const {
  ProcessResult r =
      RunProcess({"curl", "-sS", "--fail-with-body", "--data-binary", sql, url() + "/"});
  if (r.exit_code != 0) {
    return MakeError(ErrorKind::kRemote, "query failed: {}{}", r.out, r.err);
  }
  return r.out;
}

void ClickHouseServer::Kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

ClickHouseServer::~ClickHouseServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Kill();
}

}  // namespace k2::testing
