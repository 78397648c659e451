#include "service/job.h"

namespace k2::service {

nlohmann::json JobOutcome::ToJson() const {
  nlohmann::json tables_json = nlohmann::json::array();
  for (const TableOutcome& t : tables) {
    nlohmann::json j = {{"table", t.table},
                        {"rows", t.rows},
                        {"bytes", t.bytes},
                        {"files", t.files},
                        {"duration_seconds", t.duration_seconds}};
    if (t.lag_seconds) j["lag_seconds"] = *t.lag_seconds;
    if (t.audit_ok) j["audit_ok"] = *t.audit_ok;
    if (t.audit_failures) j["audit_failures"] = *t.audit_failures;
    if (!t.detail.empty()) j["detail"] = t.detail;
    tables_json.push_back(std::move(j));
  }
  return {{"rows", rows},
          {"bytes", bytes},
          {"files", files},
          {"summary", summary},
          {"tables", std::move(tables_json)}};
}

Result<JobOutcome> JobOutcome::FromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    return MakeError(ErrorKind::kInvalidInput, "job outcome: expected a JSON object, got {}",
                     json.type_name());
  }
  try {
    JobOutcome out;
    out.rows = json.value("rows", int64_t{0});
    out.bytes = json.value("bytes", int64_t{0});
    out.files = json.value("files", int64_t{0});
    out.summary = json.value("summary", std::string());
    for (const auto& t : json.value("tables", nlohmann::json::array())) {
      TableOutcome table;
      table.table = t.at("table").get<std::string>();
      table.rows = t.value("rows", int64_t{0});
      table.bytes = t.value("bytes", int64_t{0});
      table.files = t.value("files", int64_t{0});
      table.duration_seconds = t.value("duration_seconds", 0.0);
      if (t.contains("lag_seconds")) table.lag_seconds = t["lag_seconds"].get<double>();
      if (t.contains("audit_ok")) table.audit_ok = t["audit_ok"].get<bool>();
      if (t.contains("audit_failures")) table.audit_failures = t["audit_failures"].get<int64_t>();
      table.detail = t.value("detail", std::string());
      out.tables.push_back(std::move(table));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorKind::kInvalidInput, "job outcome: {}", e.what());
  }
}

std::string_view TriggerName(Trigger trigger) {
  switch (trigger) {
    case Trigger::kSchedule:
      return "schedule";
    case Trigger::kCatchUp:
      return "catchup";
    case Trigger::kManual:
      return "manual";
    case Trigger::kRetry:
      return "retry";
  }
  return "schedule";
}

Result<Trigger> ParseTrigger(std::string_view name) {
  for (Trigger t : {Trigger::kSchedule, Trigger::kCatchUp, Trigger::kManual, Trigger::kRetry}) {
    if (TriggerName(t) == name) return t;
  }
  return MakeError(ErrorKind::kInvalidInput, "unknown run trigger '{}'", name);
}

void JobRegistry::RegisterJobFactory(const std::string& name, JobFactory factory) {
  std::lock_guard<std::mutex> guard(mu_);
  factories_[name] = std::move(factory);
}

void JobRegistry::RegisterJobFamily(const std::string& prefix, NamedJobFactory factory) {
  std::lock_guard<std::mutex> guard(mu_);
  families_[prefix] = std::move(factory);
}

namespace {

/// The family of the longest prefix of `name`, or null.
const NamedJobFactory* FamilyOf(const std::map<std::string, NamedJobFactory>& families,
                                const std::string& name) {
  const NamedJobFactory* best = nullptr;
  size_t best_len = 0;
  for (const auto& [prefix, f] : families) {
    if (name.starts_with(prefix) && name.size() > prefix.size() && prefix.size() >= best_len) {
      best = &f;
      best_len = prefix.size();
    }
  }
  return best;
}

}  // namespace

bool JobRegistry::Has(const std::string& name) const {
  std::lock_guard<std::mutex> guard(mu_);
  return factories_.contains(name) || FamilyOf(families_, name) != nullptr;
}

Result<std::unique_ptr<Job>> JobRegistry::Create(const std::string& name,
                                                 const Config& config) const {
  JobFactory factory;
  NamedJobFactory family;
  {
    std::lock_guard<std::mutex> guard(mu_);
    auto it = factories_.find(name);
    if (it != factories_.end()) {
      factory = it->second;
    } else if (const NamedJobFactory* f = FamilyOf(families_, name)) {
      family = *f;
    } else {
      std::string known;
      for (const auto& [n, f] : factories_) known += (known.empty() ? "" : ", ") + n;
      for (const auto& [p, f] : families_) known += (known.empty() ? "" : ", ") + p + "*";
      return MakeError(ErrorKind::kNotFound, "job '{}' is not registered (registered: {})", name,
                       known.empty() ? "none" : known);
    }
  }
  if (family) return family(name, config);
  return factory(config);
}

std::vector<std::string> JobRegistry::names() const {
  std::lock_guard<std::mutex> guard(mu_);
  std::vector<std::string> out;
  for (const auto& [n, f] : factories_) out.push_back(n);
  return out;
}

void JobRegistry::SetTableStatsFactory(TableStatsFactory factory) {
  std::lock_guard<std::mutex> guard(mu_);
  table_stats_factory_ = std::move(factory);
}

TableStatsFactory JobRegistry::table_stats_factory() const {
  std::lock_guard<std::mutex> guard(mu_);
  return table_stats_factory_;
}

void JobRegistry::SetTableDetailFactory(TableDetailFactory factory) {
  std::lock_guard<std::mutex> guard(mu_);
  table_detail_factory_ = std::move(factory);
}

TableDetailFactory JobRegistry::table_detail_factory() const {
  std::lock_guard<std::mutex> guard(mu_);
  return table_detail_factory_;
}

}  // namespace k2::service
