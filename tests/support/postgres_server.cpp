#include "support/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace k2::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
constexpr const char* kUser = "k2";
constexpr const char* kPassword = "secret";

/// Who runs initdb and postgres: ourselves, or `postgres` when we are root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

/// Forks and execs argv with stdout/stderr appended to `log`, as `who`, in its
/// own process group. Returns the child's pid (or -1).
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log, const RunAs& who,
            bool die_with_parent) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  if (who.switch_user) {
    if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(126);
  }
  // Set after setuid, which clears it: the server dies with the test process.
  if (die_with_parent) prctl(PR_SET_PDEATHSIG, SIGQUIT);
  setenv("LC_ALL", "C", 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  const std::string initdb = std::string(kBinDir) + "/initdb";
  const std::string postgres = std::string(kBinDir) + "/postgres";
  if (!fs::exists(initdb) || !fs::exists(postgres)) {
    return MakeError(ErrorKind::kNotFound,
                     "{} is not installed (scripts/install-deps installs Debian's postgresql)",
                     initdb);
  }
  RunAs who;
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  const std::string& d = server->dir_.path();
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return MakeError(ErrorKind::kNotFound,
                       "running as root and there is no 'postgres' user to run initdb as");
    }
    who = RunAs{true, pw->pw_uid, pw->pw_gid};
  }
  fs::create_directories(d + "/sock");
  {
    std::ofstream pw(d + "/pwfile");
    pw << kPassword << "\n";
  }
  if (who.switch_user) {
    for (const std::string& p : {d, d + "/sock", d + "/pwfile"}) {
      if (chown(p.c_str(), who.uid, who.gid) != 0) {
        return MakeError(ErrorKind::kIo, "cannot chown {} to postgres", p);
      }
    }
  }
  const std::string log = d + "/server.log";
  pid_t init_pid = Spawn(
      {initdb, "-D", d + "/data", "-U", kUser, "--pwfile=" + d + "/pwfile", "--auth-local=trust",
       "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
      log, who, false);
  int status = 0;
  if (init_pid < 0 || waitpid(init_pid, &status, 0) != init_pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return MakeError(ErrorKind::kIo, "initdb failed in {}: {}", d, ReadFile(log));
  }
  server->who_uid_ = who.uid;
  server->who_gid_ = who.gid;
  server->switch_user_ = who.switch_user;
  // Another test may grab the same free port between FreeLoopbackPort and
  // bind: then postgres exits at once and we retry on a new port.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    Status launched = server->Launch(FreeLoopbackPort());
    if (launched) break;
    if (server->pid_ > 0 || attempt == kAttempts) return std::unexpected(launched.error());
  }
  auto created = server->CreateDatabase("k2");
  if (!created) return std::unexpected(created.error());
  return server;
}

Status PostgresServer::Launch(int port) {
  const std::string& d = dir_.path();
  port_ = port;
  pid_ = Spawn({std::string(kBinDir) + "/postgres",
                "-D",
                d + "/data",
                "-p",
                std::to_string(port_),
                "-k",
                d + "/sock",
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=100",
                "-c",
                "shared_buffers=16MB",
                "-c",
                "dynamic_shared_memory_type=mmap"},
               d + "/server.log", RunAs{switch_user_, who_uid_, who_gid_}, true);
  if (pid_ < 0) return MakeError(ErrorKind::kIo, "cannot fork postgres");
  return WaitReady(d + "/server.log");
}

Status PostgresServer::Restart() {
  if (pid_ > 0) {
    ::kill(pid_, SIGINT);  // fast shutdown: disconnects clients, then a clean stop
    waitpid(pid_, nullptr, 0);
    ::kill(-pid_, SIGKILL);
    pid_ = -1;
  }
  return Launch(port_);
}

Status PostgresServer::WaitReady(const std::string& log) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    ProcessResult r = RunProcess({std::string(kBinDir) + "/pg_isready", "-q", "-h", "127.0.0.1",
                                  "-p", std::to_string(port_), "-t", "1"});
    if (r.exit_code == 0) return OkStatus();
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return MakeError(ErrorKind::kIo, "postgres exited during start-up: {}", ReadFile(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return MakeError(ErrorKind::kTimeout, "postgres did not accept connections in 30 s: {}",
                       ReadFile(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string PostgresServer::UriFor(const std::string& db) const {
  return fmt::format("postgresql://{}:{}@127.0.0.1:{}/{}", kUser, kPassword, port_, db);
}

Result<std::string> PostgresServer::Query(const std::string& sql, const std::string& db) const {
  ProcessResult r = RunProcess({std::string(kBinDir) + "/psql", "-X", "-q", "-A", "-t", "-v",
                                "ON_ERROR_STOP=1", "-d", UriFor(db), "-c", sql});
  if (r.exit_code != 0) {
    return MakeError(ErrorKind::kRemote, "psql failed on '{}': {}{}", sql, r.out, r.err);
  }
  return r.out;
}

Result<std::string> PostgresServer::CreateDatabase(const std::string& db) const {
  ProcessResult r =
      RunProcess({std::string(kBinDir) + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                  UriFor("postgres"), "-c", fmt::format("CREATE DATABASE \"{}\"", db)});
  if (r.exit_code != 0) {
    return MakeError(ErrorKind::kRemote, "cannot create database {}: {}{}", db, r.out, r.err);
  }
  return UriFor(db);
}

void PostgresServer::Kill() {
  if (pid_ > 0) {
    // Backends call setsid(), so the postmaster's process group does not
    // reach them, and a backend outlives its postmaster until it notices:
    // kill every child first, so no query is served after Kill() returns.
    std::vector<pid_t> children;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      if (!std::getline(stat, line)) continue;
      size_t close = line.rfind(')');  // the command may hold spaces and ')'
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 2));
      char state = 0;
      pid_t ppid = 0;
      if (rest >> state >> ppid && ppid == pid_) {
        children.push_back(static_cast<pid_t>(std::stol(entry.path().filename().string())));
      }
    }
    for (pid_t child : children) ::kill(child, SIGKILL);
    ::kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    for (pid_t child : children) {
      // Not our children: wait until they are gone from /proc (bounded).
      for (int i = 0; i < 200 && std::filesystem::exists("/proc/" + std::to_string(child)); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    pid_ = -1;
  }
}

PostgresServer::~PostgresServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGQUIT);  // immediate shutdown: tests need no checkpoint
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      ::kill(-pid_, SIGKILL);  // any backend still around
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Kill();
}

}  // namespace k2::testing
