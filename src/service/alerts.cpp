#include "service/alerts.h"

#include <curl/curl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

extern char** environ;

namespace k2::service {

std::string_view AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kJobFailed:
      return "job_failed";
    case AlertKind::kLag:
      return "lag";
    case AlertKind::kAuditMismatch:
      return "audit_mismatch";
  }
  return "unknown";
}

nlohmann::json Alert::ToJson() const {
  return {{"alert", AlertKindName(kind)},
          {"subject", subject},
          {"state", firing ? "firing" : "resolved"},
          {"message", message},
          {"at", FormatTime(at)},
          {"since", FormatTime(since)}};
}

namespace {

size_t DiscardBody(char*, size_t size, size_t n, void*) {
  return size * n;
}

}  // namespace

Status WebhookNotifier::Notify(const Alert& alert) {
  std::string body = alert.ToJson().dump();
  CURL* curl = curl_easy_init();
  if (!curl)
    return MakeError(ErrorKind::kInternal, "alert webhook {}: curl_easy_init failed", url_);
  struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms_);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return MakeError(rc == CURLE_OPERATION_TIMEDOUT ? ErrorKind::kTimeout : ErrorKind::kRemote,
                     "alert webhook {}: {}", url_, curl_easy_strerror(rc));
  }
  if (code < 200 || code >= 300) {
    return MakeError(ErrorKind::kRemote, "alert webhook {}: HTTP {}", url_, code);
  }
  return OkStatus();
}

Status CommandNotifier::Notify(const Alert& alert) {
  std::string body = alert.ToJson().dump() + "\n";
  std::vector<std::string> env_strings = {
      "K2_ALERT_KIND=" + std::string(AlertKindName(alert.kind)),
      "K2_ALERT_SUBJECT=" + alert.subject,
      std::string("K2_ALERT_STATE=") + (alert.firing ? "firing" : "resolved"),
      "K2_ALERT_MESSAGE=" + alert.message,
  };
  std::vector<char*> envp;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "K2_ALERT_", 9) != 0) envp.push_back(*e);
  }
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int fds[2];
  if (pipe(fds) != 0) {
    return MakeError(ErrorKind::kIo, "alert command '{}': pipe: {}", command_,
                     std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command_;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[0]);
  if (rc != 0) {
    close(fds[1]);
    return MakeError(ErrorKind::kIo, "alert command '{}': spawn: {}", command_, std::strerror(rc));
  }
  // The command may not read stdin: stop writing on EPIPE (`k2 serve` ignores SIGPIPE).
  size_t off = 0;
  while (off < body.size()) {
    ssize_t n = write(fds[1], body.data() + off, body.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(fds[1]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return MakeError(ErrorKind::kRemote, "alert command '{}' failed (status {})", command_,
                     WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
  }
  return OkStatus();
}

AlertManager::AlertManager(const Clock& clock, std::vector<std::unique_ptr<Notifier>> notifiers)
    : clock_(clock), notifiers_(std::move(notifiers)) {}

void AlertManager::Raise(AlertKind kind, const std::string& subject, const std::string& message) {
  std::lock_guard<std::mutex> send_guard(send_mu_);
  Alert alert;
  {
    std::lock_guard<std::mutex> guard(mu_);
    auto key = std::make_pair(kind, subject);
    if (active_.contains(key)) return;
    alert.kind = kind;
    alert.subject = subject;
    alert.firing = true;
    alert.message = message;
    alert.at = alert.since = clock_.Now();
    active_[key] = alert;
  }
  spdlog::warn("alert {} {}: {}", AlertKindName(kind), subject, message);
  Send(alert);
}

void AlertManager::Resolve(AlertKind kind, const std::string& subject, const std::string& message) {
  std::lock_guard<std::mutex> send_guard(send_mu_);
  Alert alert;
  {
    std::lock_guard<std::mutex> guard(mu_);
    auto it = active_.find(std::make_pair(kind, subject));
    if (it == active_.end()) return;
    alert = it->second;
    active_.erase(it);
  }
  alert.firing = false;
  alert.message = message;
  alert.at = clock_.Now();
  spdlog::info("alert {} {} resolved: {}", AlertKindName(kind), subject, message);
  Send(alert);
}

void AlertManager::Send(const Alert& alert) {
  for (auto& n : notifiers_) {
    Status st = n->Notify(alert);
    std::lock_guard<std::mutex> guard(mu_);
    if (st) {
      ++sent_;
    } else {
      ++failed_;
      spdlog::error("alert {} {}: delivery failed: {}", AlertKindName(alert.kind), alert.subject,
                    st.error().ToString());
    }
  }
}

std::vector<Alert> AlertManager::Active() const {
  std::lock_guard<std::mutex> guard(mu_);
  std::vector<Alert> out;
  for (const auto& [key, alert] : active_) out.push_back(alert);
  return out;
}

int64_t AlertManager::sent() const {
  std::lock_guard<std::mutex> guard(mu_);
  return sent_;
}

int64_t AlertManager::failed() const {
  std::lock_guard<std::mutex> guard(mu_);
  return failed_;
}

}  // namespace k2::service
