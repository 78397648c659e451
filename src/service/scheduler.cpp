#include "service/scheduler.h"

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

namespace k2::service {

struct Scheduler::Entry {
  std::unique_ptr<Job> job;
  JobSchedule schedule;
  std::optional<CronSchedule> cron;
  std::optional<TimePoint> next_fire;

  bool running = false;
  TimePoint running_since;
  std::shared_ptr<CancellationToken> token;
  std::optional<TimePoint> deadline;  // timeout of the running attempt
  TimePoint renew_at;
  std::thread worker;

  int attempt = 0;
  std::optional<TimePoint> retry_at;
  Trigger retry_trigger = Trigger::kRetry;
  TimePoint retry_scheduled;

  std::optional<JobRun> last_run;
  std::optional<TimePoint> last_success;
};

namespace {

std::string DefaultOwner() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}", host[0] ? host : "localhost", getpid());
}

}  // namespace

bool IsDeadLocalOwner(const std::string& holder, const std::string& self) {
  size_t colon = holder.rfind(':');
  size_t self_colon = self.rfind(':');
  if (colon == std::string::npos || self_colon == std::string::npos || holder == self) return false;
  if (holder.compare(0, colon, self, 0, self_colon) != 0 || colon != self_colon) return false;
  long pid = 0;
  auto [p, ec] = std::from_chars(holder.data() + colon + 1, holder.data() + holder.size(), pid);
  if (ec != std::errc() || p != holder.data() + holder.size() || pid <= 0) return false;
  return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

nlohmann::json JobState::ToJson() const {
  nlohmann::json j = {{"name", name},
                      {"cron", schedule.cron},
                      {"time_zone", schedule.time_zone},
                      {"enabled", schedule.enabled},
                      {"misfire", MisfirePolicyName(schedule.misfire)},
                      {"max_attempts", schedule.retry.max_attempts},
                      {"timeout_seconds", std::chrono::duration<double>(schedule.timeout).count()},
                      {"running", running},
                      {"attempt", attempt}};
  j["next_fire"] = next_fire ? nlohmann::json(FormatTime(*next_fire)) : nlohmann::json();
  j["running_since"] =
      running_since ? nlohmann::json(FormatTime(*running_since)) : nlohmann::json();
  j["retry_at"] = retry_at ? nlohmann::json(FormatTime(*retry_at)) : nlohmann::json();
  j["last_success"] = last_success ? nlohmann::json(FormatTime(*last_success)) : nlohmann::json();
  j["last_run"] = last_run ? last_run->ToJson() : nlohmann::json();
  return j;
}

Scheduler::Scheduler(Clock& clock, JobStore& store, SchedulerOptions options)
    : clock_(clock), store_(store), options_(std::move(options)), rng_(options_.seed) {
  if (options_.owner.empty()) options_.owner = DefaultOwner();
}

Scheduler::~Scheduler() {
  (void)Stop(Duration::zero());  // a destructor cannot report; Stop() first to see the error
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> guard(mu_);
    for (auto& e : entries_) {
      if (e->worker.joinable()) workers.push_back(std::move(e->worker));
    }
  }
  for (std::thread& t : workers) t.join();
}

Status Scheduler::AddJob(std::unique_ptr<Job> job, JobSchedule schedule) {
  std::lock_guard<std::mutex> guard(mu_);
  if (started_) {
    return MakeError(ErrorKind::kInternal, "job '{}' added after the scheduler started",
                     schedule.name);
  }
  if (!job) return MakeError(ErrorKind::kInvalidInput, "job '{}': no job given", schedule.name);
  if (schedule.name.empty()) schedule.name = job->name();
  if (schedule.name != job->name()) {
    return MakeError(ErrorKind::kInvalidInput, "schedule '{}' is for a job named '{}'",
                     schedule.name, job->name());
  }
  for (const auto& e : entries_) {
    if (e->schedule.name == schedule.name) {
      return MakeError(ErrorKind::kAlreadyExists, "job '{}' is already scheduled", schedule.name);
    }
  }
  K2_RETURN_IF_ERROR(ValidateSchedule(schedule));
  auto entry = std::make_unique<Entry>();
  if (!schedule.cron.empty()) {
    auto zone = TimeZone::Load(schedule.time_zone);
    if (!zone) return std::unexpected(zone.error().WithContext("job '" + schedule.name + "'"));
    auto cron = CronSchedule::Parse(schedule.cron, *zone);
    if (!cron) return std::unexpected(cron.error().WithContext("job '" + schedule.name + "'"));
    entry->cron = std::move(*cron);
  }
  entry->job = std::move(job);
  entry->schedule = std::move(schedule);
  entries_.push_back(std::move(entry));
  return OkStatus();
}

void Scheduler::AddRunListener(RunListener listener) {
  std::lock_guard<std::mutex> guard(mu_);
  listeners_.push_back(std::move(listener));
}

void Scheduler::AddTicker(Duration interval, std::function<void()> fn) {
  std::lock_guard<std::mutex> guard(mu_);
  tickers_.push_back(
      Ticker{std::max(interval, Duration(std::chrono::seconds(1))), std::move(fn), TimePoint{}});
}

Status Scheduler::Start() {
  std::lock_guard<std::mutex> guard(mu_);
  if (started_) return MakeError(ErrorKind::kInternal, "scheduler started twice");
  TimePoint now = clock_.Now();
  for (auto& e : entries_) {
    if (!e->cron) continue;
    K2_ASSIGN_OR_RETURN(std::optional<TimePoint> last, store_.LastScheduledFire(e->schedule.name));
    // After the last recorded fire, the next slot may already be past: the loop
    // sees it as a misfire and applies the policy.
    K2_ASSIGN_OR_RETURN(TimePoint next, e->cron->NextAfter(last ? *last : now));
    e->next_fire = next;
  }
  for (Ticker& t : tickers_) t.next = now + t.interval;
  started_ = true;
  loop_ = std::thread([this] { Loop(); });
  return OkStatus();
}

Status Scheduler::TriggerRun(const std::string& name) {
  std::lock_guard<std::mutex> guard(mu_);
  if (stopping_) return MakeError(ErrorKind::kCancelled, "job '{}': the daemon is stopping", name);
  for (auto& e : entries_) {
    if (e->schedule.name != name) continue;
    if (e->running) {
      return MakeError(ErrorKind::kAlreadyExists, "job '{}' is already running (since {})", name,
                       FormatTime(e->running_since));
    }
    StartAttempt(*e, Trigger::kManual, 1, clock_.Now());
    dirty_ = true;
    cv_.notify_all();
    return OkStatus();
  }
  return MakeError(ErrorKind::kNotFound, "job '{}' is not scheduled", name);
}

Status Scheduler::Stop(Duration grace) {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (!started_) return OkStatus();
    if (!stopping_) {
      stopping_ = true;
      for (auto& e : entries_) {
        if (e->running) e->token->Cancel(CancelReason::kShutdown);
        e->retry_at.reset();
      }
      cv_.notify_all();
      idle_cv_.notify_all();
    }
  }
  if (loop_.joinable()) loop_.join();
  std::vector<std::thread> workers;
  std::string still_running;
  {
    std::unique_lock<std::mutex> lock(mu_);
    TimePoint deadline = clock_.Now() + grace;
    while (running_ > 0 && clock_.Now() < deadline) clock_.WaitUntil(lock, cv_, deadline);
    for (auto& e : entries_) {
      if (e->running) {
        still_running += (still_running.empty() ? "" : ", ") + e->schedule.name;
      } else if (e->worker.joinable()) {
        workers.push_back(std::move(e->worker));
      }
    }
  }
  for (std::thread& t : workers) t.join();
  if (!still_running.empty()) {
    return MakeError(ErrorKind::kTimeout, "jobs still running after the shutdown grace of {}s: {}",
                     std::chrono::duration_cast<std::chrono::seconds>(grace).count(),
                     still_running);
  }
  return OkStatus();
}

std::vector<JobState> Scheduler::Jobs() const {
  std::lock_guard<std::mutex> guard(mu_);
  std::vector<JobState> out;
  for (const auto& e : entries_) out.push_back(SnapshotLocked(*e));
  return out;
}

Result<JobState> Scheduler::GetJob(const std::string& name) const {
  std::lock_guard<std::mutex> guard(mu_);
  for (const auto& e : entries_) {
    if (e->schedule.name == name) return SnapshotLocked(*e);
  }
  return MakeError(ErrorKind::kNotFound, "job '{}' is not scheduled", name);
}

JobState Scheduler::SnapshotLocked(const Entry& e) const {
  JobState s;
  s.name = e.schedule.name;
  s.schedule = e.schedule;
  s.next_fire = e.schedule.enabled ? e.next_fire : std::nullopt;
  s.running = e.running;
  if (e.running) s.running_since = e.running_since;
  s.attempt = e.attempt;
  s.retry_at = e.retry_at;
  s.last_run = e.last_run;
  s.last_success = e.last_success;
  return s;
}

bool Scheduler::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return IdleLocked(); });
}

bool Scheduler::WaitSettled(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return stopping_ || SettledLocked(); });
}

bool Scheduler::SettledLocked() const {
  return sleeping_ && !dirty_ && (!sleep_until_ || clock_.Now() < *sleep_until_);
}

bool Scheduler::IdleLocked() const {
  if (stopping_) return running_ == 0;
  return running_ == 0 && SettledLocked();
}

std::optional<TimePoint> Scheduler::EarliestEvent() const {
  std::optional<TimePoint> earliest;
  auto consider = [&](TimePoint t) {
    if (!earliest || t < *earliest) earliest = t;
  };
  for (const auto& e : entries_) {
    if (e->schedule.enabled && e->next_fire) consider(*e->next_fire);
    if (e->retry_at && !e->running) consider(*e->retry_at);
    if (e->running) {
      if (e->deadline && !e->token->IsCancelled()) consider(*e->deadline);
      consider(e->renew_at);
    }
  }
  for (const Ticker& t : tickers_) consider(t.next);
  return earliest;
}

void Scheduler::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    dirty_ = false;
    TimePoint now = clock_.Now();
    HandleFires(now);

    // Retries whose backoff has elapsed.
    for (auto& e : entries_) {
      if (e->retry_at && *e->retry_at <= now && !e->running) {
        TimePoint scheduled = e->retry_scheduled;
        int attempt = e->attempt + 1;
        e->retry_at.reset();
        StartAttempt(*e, Trigger::kRetry, attempt, scheduled);
      }
    }

    // Timeouts: cancel cooperatively; the attempt ends when the job notices.
    std::vector<std::pair<Entry*, std::shared_ptr<CancellationToken>>> renewals;
    for (auto& e : entries_) {
      if (!e->running) continue;
      if (e->deadline && *e->deadline <= now && !e->token->IsCancelled()) {
        spdlog::warn("job {}: attempt {} exceeded its timeout; cancelling", e->schedule.name,
                     e->attempt);
        e->token->Cancel(CancelReason::kTimeout);
      }
      if (e->renew_at <= now) {
        e->renew_at = now + options_.lease_ttl / 3;
        renewals.emplace_back(e.get(), e->token);
      }
    }

    std::vector<std::function<void()>*> due_tickers;
    for (Ticker& t : tickers_) {
      if (t.next <= now) {
        t.next = now + t.interval;
        due_tickers.push_back(&t.fn);
      }
    }

    if (!renewals.empty() || !due_tickers.empty()) {
      lock.unlock();
      for (auto& [entry, token] : renewals) {
        auto renewed =
            store_.RenewLease(entry->schedule.name, options_.owner, now, options_.lease_ttl);
        if (!renewed) {
          spdlog::warn("job {}: lease renewal failed: {}", entry->schedule.name,
                       renewed.error().ToString());
        } else if (!*renewed) {
          spdlog::error("job {}: lease lost to another process; cancelling the run",
                        entry->schedule.name);
          token->Cancel(CancelReason::kLeaseLost);
        }
      }
      for (auto* fn : due_tickers) (*fn)();
      lock.lock();
      continue;  // time has passed: re-evaluate before sleeping
    }
    if (dirty_) continue;

    sleep_until_ = EarliestEvent();
    sleeping_ = true;
    idle_cv_.notify_all();
    if (sleep_until_) {
      clock_.WaitUntil(lock, cv_, *sleep_until_);
    } else {
      cv_.wait(lock);
    }
    sleeping_ = false;
  }
  idle_cv_.notify_all();
}

void Scheduler::HandleFires(TimePoint now) {
  for (auto& e : entries_) {
    if (!e->schedule.enabled || !e->next_fire || *e->next_fire > now) continue;
    // Coalesce every slot up to now into one: the latest slot is what this run is for.
    TimePoint due = *e->next_fire;
    TimePoint latest = due;
    int slots = 1;
    while (slots < 100000) {
      auto next = e->cron->NextAfter(latest);
      if (!next || *next > now) break;
      latest = *next;
      ++slots;
    }
    auto next = e->cron->NextAfter(now);
    if (next) {
      e->next_fire = *next;
    } else {
      e->next_fire.reset();
    }
    bool misfire = slots > 1 || now - due > options_.misfire_grace;
    if (misfire && e->schedule.misfire == MisfirePolicy::kSkip) {
      spdlog::info("job {}: skipping {} missed fire time(s) up to {} (misfire policy skip)",
                   e->schedule.name, slots, FormatTime(latest));
      continue;
    }
    Trigger trigger = misfire ? Trigger::kCatchUp : Trigger::kSchedule;
    if (misfire) {
      spdlog::info("job {}: {} missed fire time(s) up to {}; running once", e->schedule.name, slots,
                   FormatTime(latest));
    }
    if (e->running) {
      RecordSkipped(*e, trigger, latest, "the previous run is still running");
      continue;
    }
    e->retry_at.reset();  // a fresh run supersedes a pending retry
    StartAttempt(*e, trigger, 1, latest);
  }
}

void Scheduler::RecordSkipped(Entry& e, Trigger trigger, TimePoint scheduled, std::string reason) {
  JobRun run;
  run.job = e.schedule.name;
  run.trigger = trigger;
  run.scheduled = scheduled;
  run.started = run.finished = clock_.Now();
  run.status = RunStatus::kSkipped;
  run.error = std::move(reason);
  spdlog::warn("job {}: fire at {} skipped: {}", run.job, FormatTime(scheduled), run.error);
  auto id = store_.RecordStart(run);
  if (id) {
    run.id = *id;
    auto finished = store_.RecordFinish(run);
    if (!finished)
      spdlog::error("job {}: recording skip: {}", run.job, finished.error().ToString());
  } else {
    spdlog::error("job {}: recording skip: {}", run.job, id.error().ToString());
  }
  for (const RunListener& l : listeners_) l(run, false);
}

void Scheduler::StartAttempt(Entry& e, Trigger trigger, int attempt, TimePoint scheduled) {
  if (e.worker.joinable()) e.worker.join();  // the previous worker has already finished
  TimePoint now = clock_.Now();
  e.running = true;
  e.running_since = now;
  e.attempt = attempt;
  e.token = std::make_shared<CancellationToken>();
  e.deadline = e.schedule.timeout > Duration::zero() ? std::optional(now + e.schedule.timeout)
                                                     : std::nullopt;
  e.renew_at = now + options_.lease_ttl / 3;
  ++running_;
  e.worker = std::thread([this, entry = &e, trigger, attempt, scheduled, token = e.token] {
    RunAttempt(entry, trigger, attempt, scheduled, token);
  });
}

bool Scheduler::TakeLease(JobRun& run) {
  const std::string& name = run.job;
  auto lease = store_.TryAcquireLease(name, options_.owner, run.started, options_.lease_ttl);
  if (lease && !*lease) {
    // A daemon killed with SIGKILL leaves its lease until the ttl runs out;
    // when its holder is a process of this host that no longer exists, the
    // lease is taken over at once (its run can never commit any more).
    auto holder = store_.LeaseHolder(name, run.started);
    if (holder && *holder && IsDeadLocalOwner(**holder, options_.owner)) {
      spdlog::warn("job {}: lease holder {} is no longer running; taking the lease over", name,
                   **holder);
      if (auto released = store_.ReleaseLease(name, **holder); released) {
        lease = store_.TryAcquireLease(name, options_.owner, run.started, options_.lease_ttl);
      }
    }
  }
  if (!lease) {
    run.status = RunStatus::kFailed;
    run.error_kind = lease.error().kind;
    run.error = "taking the job lease: " + lease.error().message;
    return false;
  }
  if (!*lease) {
    run.status = RunStatus::kSkipped;
    run.error = "another k2 process holds this job's lease";
    return false;
  }
  run.status = RunStatus::kRunning;
  return true;
}

void Scheduler::RunLeased(Entry& e, JobRun& run, CancellationToken& token) {
  const std::string& name = run.job;
  spdlog::info("job {}: attempt {} started ({})", name, run.attempt, TriggerName(run.trigger));
  JobContext ctx{token, run.attempt, run.trigger, run.scheduled, clock_};
  Result<JobOutcome> result = MakeError(ErrorKind::kInternal, "job {} did not run", name);
  try {
    result = e.job->Run(ctx);
  } catch (const std::exception& ex) {
    result = MakeError(ErrorKind::kInternal, "job {} threw: {}", name, ex.what());
  }
  run.finished = clock_.Now();
  malloc_trim(0);  // the idle daemon gives the job's heap back (see main's mallopt)
  if (result) {
    run.status = RunStatus::kSucceeded;
    run.outcome = std::move(*result);
  } else {
    run.error_kind = result.error().kind;
    run.error = result.error().message;
    if (token.reason() == CancelReason::kTimeout) {
      run.status = RunStatus::kTimedOut;
      run.error_kind = ErrorKind::kTimeout;
    } else if (result.error().kind == ErrorKind::kCancelled) {
      run.status = RunStatus::kCancelled;
    } else {
      run.status = RunStatus::kFailed;
    }
  }
  auto released = store_.ReleaseLease(name, options_.owner);
  if (!released) {
    spdlog::warn("job {}: releasing the lease: {}", name, released.error().ToString());
  }
}

Scheduler::RetryDecision Scheduler::DecideRetry(const Entry& e, const JobRun& run) {
  bool failed = run.status == RunStatus::kFailed || run.status == RunStatus::kTimedOut;
  RetryDecision retry;
  std::lock_guard<std::mutex> guard(mu_);
  retry.will_retry = failed && !stopping_ && run.error_kind && IsRetryable(*run.error_kind) &&
                     run.attempt < e.schedule.retry.max_attempts;
  if (retry.will_retry) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    retry.delay = BackoffDelay(e.schedule.retry, run.attempt, unit(rng_));
  }
  retry.listeners = listeners_;
  return retry;
}

namespace {

void LogAttemptEnd(const JobRun& run, bool will_retry, Duration delay) {
  if (run.status == RunStatus::kSucceeded) {
    spdlog::info("job {}: attempt {} succeeded in {:.3f}s ({} rows, {} bytes, {} files)", run.job,
                 run.attempt, run.duration_seconds(), run.outcome.rows, run.outcome.bytes,
                 run.outcome.files);
  } else if (run.status != RunStatus::kSkipped) {
    spdlog::error(
        "job {}: attempt {} {}: {}{}", run.job, run.attempt, RunStatusName(run.status), run.error,
        will_retry
            ? fmt::format(" (retrying in {:.1f}s)", std::chrono::duration<double>(delay).count())
            : std::string());
  }
}

}  // namespace

void Scheduler::EndAttempt(Entry& e, const JobRun& run, bool will_retry, Duration delay) {
  std::lock_guard<std::mutex> guard(mu_);
  e.running = false;
  e.deadline.reset();
  e.last_run = run;
  if (run.status == RunStatus::kSucceeded) e.last_success = run.finished;
  if (will_retry) {
    e.retry_at = clock_.Now() + delay;
    e.retry_scheduled = run.scheduled;
  }
  --running_;
  dirty_ = true;
  // Notify with the lock held: once running_ drops, Stop() may return and the
  // scheduler may be destroyed, so nothing touches `this` after the unlock.
  cv_.notify_all();
  idle_cv_.notify_all();
}

void Scheduler::RunAttempt(Entry* e, Trigger trigger, int attempt, TimePoint scheduled,
                           std::shared_ptr<CancellationToken> token) {
  const std::string& name = e->schedule.name;
  JobRun run;
  run.job = name;
  run.trigger = trigger;
  run.attempt = attempt;
  run.scheduled = scheduled;
  run.started = run.finished = clock_.Now();

  const bool leased = TakeLease(run);
  auto id = store_.RecordStart(run);
  if (id) {
    run.id = *id;
  } else {
    spdlog::error("job {}: recording the run start: {}", name, id.error().ToString());
  }
  if (leased) RunLeased(*e, run, *token);
  if (run.id != 0) {
    auto finished = store_.RecordFinish(run);
    if (!finished)
      spdlog::error("job {}: recording the run end: {}", name, finished.error().ToString());
  }

  RetryDecision retry = DecideRetry(*e, run);
  LogAttemptEnd(run, retry.will_retry, retry.delay);
  for (const RunListener& l : retry.listeners) l(run, retry.will_retry);
  EndAttempt(*e, run, retry.will_retry, retry.delay);
}

}  // namespace k2::service
