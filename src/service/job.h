#pragma once
/// The seam between the daemon and the work it schedules. A Job does one unit
/// of work (an offload of a layer, a compaction, an audit) and reports what it
/// did; the daemon decides when it runs, retries it, times it out, records it
/// and turns its outcome into metrics and alerts. Jobs are registered by name
/// in a JobRegistry (`k2 serve` registers the real offload/maintenance jobs
/// there: cli/builtin_jobs.h).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/cancellation.h"
#include "common/result.h"
#include "service/clock.h"
#include "service/table_stats.h"

namespace k2 {
struct Config;
}

namespace k2::service {

/// What one job did to one table.
struct TableOutcome {
  std::string table;  ///< Iceberg "namespace.table"
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t files = 0;
  double duration_seconds = 0;
  std::optional<double> lag_seconds;      ///< cold lag after the run, if known
  std::optional<bool> audit_ok;           ///< audit jobs: whether warm and cold agree
  std::optional<int64_t> audit_failures;  ///< audit jobs: windows that disagree
  std::string detail;                     ///< one line for humans (e.g. the mismatch)
};

/// What a run did; totals plus per-table details. Keep it small: it is stored
/// in the job history and returned by /api/jobs/history.
struct JobOutcome {
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t files = 0;
  std::vector<TableOutcome> tables;
  std::string summary;

  nlohmann::json ToJson() const;
  /// kInvalidInput if `json` is not an object of this shape.
  static Result<JobOutcome> FromJson(const nlohmann::json& json);
};

/// Why a run started.
enum class Trigger {
  kSchedule,  ///< its cron fire time came
  kCatchUp,   ///< fire times were missed while the daemon was down or busy; runs once
  kManual,    ///< POST /api/jobs/{name}/run
  kRetry      ///< a previous attempt failed with a retryable error
};
std::string_view TriggerName(Trigger trigger);
Result<Trigger> ParseTrigger(std::string_view name);

/// Handed to Job::Run for one attempt. References outlive the call.
struct JobContext {
  CancellationToken& cancel;  ///< check before committing: cancel.Check("...")
  int attempt = 1;            ///< 1-based attempt number within this run
  Trigger trigger = Trigger::kSchedule;
  TimePoint scheduled;  ///< the fire time this run is for (trigger time when manual)
  const Clock& clock;
};

/// One schedulable unit of work. Run is called from a worker thread, never
/// concurrently for the same job (the daemon serializes runs of one job, and
/// the catalog lease serializes them across processes).
class Job {
 public:
  virtual ~Job() = default;
  /// Stable name: history key, metrics label, URL path segment ([a-z0-9_.-]).
  virtual std::string name() const = 0;
  /// Does the work. Errors carry the kind the retry policy looks at
  /// (kIo/kRemote/kTimeout/kCommitConflict/kCommitStateUnknown are retried).
  /// A cancelled job returns ctx.cancel.Check()'s error without committing.
  virtual Result<JobOutcome> Run(JobContext& ctx) = 0;
};

/// A Job from a function (tests, small built-in jobs).
class FunctionJob final : public Job {
 public:
  using Fn = std::function<Result<JobOutcome>(JobContext&)>;
  FunctionJob(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  Result<JobOutcome> Run(JobContext& ctx) override { return fn_(ctx); }

 private:
  std::string name_;
  Fn fn_;
};

/// Builds a job from the configuration. kNotFound/kInvalidInput as the job sees fit.
using JobFactory = std::function<Result<std::unique_ptr<Job>>(const Config& config)>;

/// Builds the job named `name` of a family (e.g. "offload_<table>").
using NamedJobFactory =
    std::function<Result<std::unique_ptr<Job>>(const std::string& name, const Config& config)>;

/// Builds a TableStatsProvider from the configuration.
using TableStatsFactory = std::function<Result<TableStatsProvider>(const Config& config)>;
/// Builds a TableDetailProvider (the dashboard's per-table view) from the configuration.
using TableDetailFactory = std::function<Result<TableDetailProvider>(const Config& config)>;

/// Named job factories. `k2 serve` builds one (cli/builtin_jobs.h) and asks
/// it for every job in the schedule; scheduled names without a factory are
/// reported and left out. Thread-safe.
class JobRegistry {
 public:
  /// Registers (or replaces) the factory for `name`.
  void RegisterJobFactory(const std::string& name, JobFactory factory);
  /// Registers (or replaces) the factory for every name starting with
  /// `prefix` that has no factory of its own (the longest prefix wins).
  void RegisterJobFamily(const std::string& prefix, NamedJobFactory factory);
  /// Whether a factory (or family) for `name` exists.
  bool Has(const std::string& name) const;
  /// Builds the job. kNotFound lists the registered names.
  Result<std::unique_ptr<Job>> Create(const std::string& name, const Config& config) const;
  /// Registered names, sorted.
  std::vector<std::string> names() const;

  /// Builds the provider behind /api/tables, k2_table_* gauges and lag alerts
  /// (the CLI wires one that reads Iceberg metadata). Replaces any previous one.
  void SetTableStatsFactory(TableStatsFactory factory);
  /// The registered table stats factory (empty function if none).
  TableStatsFactory table_stats_factory() const;
  /// Builds the provider behind /api/dashboard's tables. Replaces any previous one.
  void SetTableDetailFactory(TableDetailFactory factory);
  /// The registered table detail factory (empty function if none).
  TableDetailFactory table_detail_factory() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, JobFactory> factories_;
  std::map<std::string, NamedJobFactory> families_;
  TableStatsFactory table_stats_factory_;
  TableDetailFactory table_detail_factory_;
};

}  // namespace k2::service
