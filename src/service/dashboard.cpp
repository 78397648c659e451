#include "service/dashboard.h"

namespace k2::service {

nlohmann::json LastRunFor(const std::vector<JobRun>& runs, const std::string& table) {
  for (const JobRun& run : runs) {
    if (run.status == RunStatus::kSkipped || run.status == RunStatus::kRunning) continue;
    const TableOutcome* mine = nullptr;
    for (const TableOutcome& t : run.outcome.tables) {
      if (t.table == table) mine = &t;
    }
    if (!mine && run.status == RunStatus::kSucceeded) continue;
    nlohmann::json out = {{"job", run.job},
                          {"id", run.id},
                          {"status", RunStatusName(run.status)},
                          {"started", FormatTime(run.started)},
                          {"finished", FormatTime(run.finished)},
                          {"duration_seconds", run.duration_seconds()}};
    if (!run.error.empty()) out["error"] = run.error;
    if (mine) {
      if (!mine->detail.empty()) out["detail"] = mine->detail;
      if (mine->audit_ok) out["audit_ok"] = *mine->audit_ok;
      if (mine->audit_failures) out["audit_failures"] = *mine->audit_failures;
    }
    return out;
  }
  return nullptr;
}

Result<nlohmann::json> BuildDashboard(const DashboardSources& sources, TimePoint now, int hours) {
  std::vector<TableDetail> details;
  if (sources.details) {
    K2_ASSIGN_OR_RETURN(details, sources.details(now - std::chrono::hours(hours)));
  }
  std::map<std::string, std::vector<JobRun>> maintenance;
  for (std::string_view job : kDashboardMaintenanceJobs) {
    K2_ASSIGN_OR_RETURN(maintenance[std::string(job)], sources.store.History(std::string(job), 50));
  }
  nlohmann::json tables = nlohmann::json::array();
  for (const TableDetail& d : details) {
    nlohmann::json t = d.ToJson();
    nlohmann::json last = nlohmann::json::object();
    for (const auto& [job, runs] : maintenance) last[job] = LastRunFor(runs, d.stats.table);
    t["maintenance"] = std::move(last);
    tables.push_back(std::move(t));
  }
  nlohmann::json jobs = nlohmann::json::array();
  for (const JobState& state : sources.scheduler.Jobs()) jobs.push_back(state.ToJson());
  K2_ASSIGN_OR_RETURN(std::vector<JobRun> runs, sources.store.History("", 100));
  nlohmann::json history = nlohmann::json::array();
  for (const JobRun& run : runs) history.push_back(run.ToJson());
  nlohmann::json alerts = nlohmann::json::array();
  for (const Alert& a : sources.alerts.Active()) alerts.push_back(a.ToJson());
  return nlohmann::json{{"generated", FormatTime(now)},
                        {"hours", hours},
                        {"token_required", sources.token_required},
                        {"tables", std::move(tables)},
                        {"jobs", std::move(jobs)},
                        {"history", std::move(history)},
                        {"alerts", std::move(alerts)}};
}

}  // namespace k2::service
