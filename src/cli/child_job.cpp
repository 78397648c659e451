#include "cli/child_job.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace k2::cli {

Result<ChildResult> RunChildCommand(const std::vector<std::string>& args,
                                    const CancellationToken& cancel) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return MakeError(ErrorKind::kInternal, "pipe: {}", std::strerror(errno));
  }
  std::vector<std::string> argv_s = {"k2"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return MakeError(ErrorKind::kInternal, "fork: {}", std::strerror(errno));
  }
  if (pid == 0) {
    // The child: stdout into the pipe; signals the daemon blocks unblocked.
    dup2(out[1], STDOUT_FILENO);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    signal(SIGPIPE, SIG_DFL);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(out[1]);
  ChildResult result;
  bool cancelled = false;
  int status = 0;
  for (;;) {
    pollfd p{out[0], POLLIN, 0};
    int n = poll(&p, 1, 200);
    if (n > 0) {
      char buf[65536];
      ssize_t got = read(out[0], buf, sizeof buf);
      if (got > 0) {
        result.stdout_text.append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got == 0) break;  // EOF: the child closed stdout (it is ending)
      if (errno != EINTR && errno != EAGAIN) break;
    }
    if (!cancelled && cancel.IsCancelled()) {
      kill(pid, SIGTERM);
      cancelled = true;
    }
  }
  close(out[0]);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (cancelled)
    return MakeError(ErrorKind::kCancelled, "cancelled: the job's process was stopped");
  if (WIFSIGNALED(status)) {
    return MakeError(ErrorKind::kInternal, "k2 {} died by signal {}", args.empty() ? "" : args[0],
                     WTERMSIG(status));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  if (result.exit_code == 127) {
    return MakeError(ErrorKind::kInternal, "could not start k2 {} (/proc/self/exe)",
                     args.empty() ? "" : args[0]);
  }
  result.output = nlohmann::json::parse(result.stdout_text, nullptr, /*allow_exceptions=*/false);
  if (result.output.is_discarded()) result.output = nullptr;
  return result;
}

}  // namespace k2::cli
