#include "support/s3_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace k2::testing {

namespace fs = std::filesystem;

Result<std::unique_ptr<S3Server>> S3Server::Start(const std::string& bucket) {
  const std::string front = SourceDir() + "/tools/oracle/s3front.mjs";
  if (!fs::exists(SourceDir() + "/tools/oracle/node_modules/s3rver")) {
    return MakeError(ErrorKind::kNotFound,
                     "s3rver is not installed in tools/oracle/node_modules (scripts/install-deps)");
  }
  std::unique_ptr<S3Server> server(new S3Server());
  server->bucket_ = bucket;
  server->port_ = FreeLoopbackPort();
  const std::string data = server->dir_.path() + "/data";
  fs::create_directories(data);
  const std::string log = server->dir_.path() + "/front.log";
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = freopen(log.c_str(), "w", stdout);
    (void)f;
    f = freopen(log.c_str(), "a", stderr);
    (void)f;
    const std::string port = std::to_string(server->port_);
    execlp("node", "node", front.c_str(), "--port", port.c_str(), "--dir", data.c_str(), "--bucket",
           bucket.c_str(), "--access-key", kAccessKey, "--secret", kSecret,
           static_cast<char*>(nullptr));
    _exit(127);
  }
  server->pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    ProcessResult r =
        RunProcess({"curl", "-sf", "--max-time", "2", server->endpoint() + "/__admin/health"});
    if (r.exit_code == 0) return server;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      return MakeError(ErrorKind::kIo, "s3front exited during start-up; see {}", log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return MakeError(ErrorKind::kTimeout, "s3front did not answer in 30 s; see {}", log);
}

S3Server::~S3Server() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

Status S3Server::SetFaults(const std::string& json) const {
  ProcessResult r = RunProcess({"curl", "-sf", "--max-time", "5", "-X", "POST", "--data-binary",
                                json, endpoint() + "/__admin/faults"});
  if (r.exit_code != 0) return MakeError(ErrorKind::kRemote, "set faults: {}", r.err);
  return {};
}

Result<nlohmann::json> S3Server::Stats() const {
  ProcessResult r = RunProcess({"curl", "-sf", "--max-time", "5", endpoint() + "/__admin/stats"});
  if (r.exit_code != 0) return MakeError(ErrorKind::kRemote, "stats: {}", r.err);
  return nlohmann::json::parse(r.out);
}

Status S3Server::Backdate(const std::string& key, int64_t seconds, bool upload) const {
  std::string url = fmt::format("{}/__admin/backdate?bucket={}&key={}&seconds={}{}", endpoint(),
                                bucket_, key, seconds, upload ? "&upload=1" : "");
  ProcessResult r = RunProcess({"curl", "-sf", "--max-time", "5", "-X", "POST", url});
  if (r.exit_code != 0) return MakeError(ErrorKind::kRemote, "backdate {}: {}", key, r.err);
  return {};
}

bool S3Server::ObjectExists(const std::string& key) const {
  fs::path p = fs::path(dir_.path()) / "data" / bucket_ / key;
  return fs::exists(p.parent_path() / (p.filename().string() + "._S3rver_object"));
}

std::string S3Server::ConfigYaml() const {
  return fmt::format(
      "{{endpoint: \"{}\", region: us-east-1, access_key_id: {}, secret_access_key: {}, "
      "part_size: 5MiB}}",
      endpoint(), kAccessKey, kSecret);
}

}  // namespace k2::testing
