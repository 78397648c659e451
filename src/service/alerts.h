#pragma once
/// Alerts: a condition (a job failing, a table lagging, an audit mismatch) is
/// raised once when it starts and resolved once when it clears; while it
/// persists nothing more is sent. Notifiers deliver both messages: a webhook
/// (JSON POST) and/or a shell command (JSON on stdin, K2_ALERT_* variables).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "service/clock.h"

namespace k2::service {

/// What kind of condition an alert is about.
enum class AlertKind { kJobFailed, kLag, kAuditMismatch };
std::string_view AlertKindName(AlertKind kind);

/// One message: a condition firing, or resolved.
struct Alert {
  AlertKind kind = AlertKind::kJobFailed;
  std::string subject;  ///< the job or the table
  bool firing = true;   ///< false: the recovery message
  std::string message;
  TimePoint at;
  TimePoint since;  ///< when the condition started

  /// {"alert": "job_failed", "subject": ..., "state": "firing"|"resolved", ...}
  nlohmann::json ToJson() const;
};

/// Delivers alerts somewhere. Called from job worker threads; must be thread-safe.
class Notifier {
 public:
  virtual ~Notifier() = default;
  /// kRemote/kIo/kTimeout when delivery failed.
  virtual Status Notify(const Alert& alert) = 0;
};

/// POSTs the alert's JSON to a URL with libcurl (2xx = delivered).
class WebhookNotifier final : public Notifier {
 public:
  explicit WebhookNotifier(std::string url, long timeout_ms = 10000)
      : url_(std::move(url)), timeout_ms_(timeout_ms) {}
  Status Notify(const Alert& alert) override;

 private:
  std::string url_;
  long timeout_ms_;
};

/// Runs `/bin/sh -c command` with the alert's JSON on stdin and K2_ALERT_KIND,
/// K2_ALERT_SUBJECT, K2_ALERT_STATE, K2_ALERT_MESSAGE in the environment.
/// Exit status 0 = delivered.
class CommandNotifier final : public Notifier {
 public:
  explicit CommandNotifier(std::string command) : command_(std::move(command)) {}
  Status Notify(const Alert& alert) override;

 private:
  std::string command_;
};

/// Keeps the set of active conditions and sends one message per transition.
/// Thread-safe; delivery errors are logged (and counted) but do not change the
/// state, so a flapping receiver never causes duplicate alerts.
class AlertManager {
 public:
  /// `clock` must outlive the manager.
  AlertManager(const Clock& clock, std::vector<std::unique_ptr<Notifier>> notifiers);
  /// Raises the condition (kind, subject); sends only if it was not active.
  void Raise(AlertKind kind, const std::string& subject, const std::string& message);
  /// Clears the condition; sends one recovery message if it was active.
  void Resolve(AlertKind kind, const std::string& subject, const std::string& message);
  /// Currently active conditions (the firing alert for each).
  std::vector<Alert> Active() const;
  /// Messages sent and delivery failures so far (for metrics).
  int64_t sent() const;
  int64_t failed() const;

 private:
  void Send(const Alert& alert);

  const Clock& clock_;
  std::vector<std::unique_ptr<Notifier>> notifiers_;
  mutable std::mutex mu_;
  std::mutex send_mu_;  // keeps firing/resolved messages of one condition in order
  std::map<std::pair<AlertKind, std::string>, Alert> active_;
  int64_t sent_ = 0;
  int64_t failed_ = 0;
};

}  // namespace k2::service
