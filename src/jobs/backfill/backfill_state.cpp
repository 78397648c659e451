#include "jobs/backfill/backfill_state.h"

#include <fmt/format.h>

#include <chrono>
#include <random>

namespace k2::jobs {

std::vector<Window> BackfillState::Planned() const {
  std::vector<Window> out;
  const int64_t step = window_s * kMicrosPerSecond;
  size_t k = 0;
  for (int64_t s = from_us; s < to_us; s += step) {
    while (k < skipped.size() && skipped[k] < s) ++k;
    if (k < skipped.size() && skipped[k] == s) continue;
    out.push_back({s, s + step});
  }
  return out;
}

std::vector<Window> BackfillState::Remaining() const {
  std::vector<Window> out;
  for (const Window& w : Planned()) {
    if (!done.count(w.start_us)) out.push_back(w);
  }
  return out;
}

std::vector<Window> BackfillState::Written() const {
  std::vector<Window> out;
  for (const auto& [start, w] : done) out.push_back({start, start + window_s * kMicrosPerSecond});
  return out;
}

int64_t BackfillState::RowsWritten() const {
  int64_t n = settled_rows;
  for (const auto& [start, w] : done) n += w.rows;
  return n;
}

int64_t BackfillState::WindowsWritten() const {
  return settled_windows + static_cast<int64_t>(done.size());
}

void BackfillState::Settle(const std::string& final_status) {
  settled_rows = RowsWritten();
  settled_windows = WindowsWritten();
  done.clear();
  status = final_status;
}

nlohmann::json BackfillState::ToJson() const {
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& [start, w] : done) {
    windows.push_back({w.start_us, w.rows, w.checksum, w.snapshot_id});
  }
  nlohmann::json j = {{"format", 1},
                      {"id", id},
                      {"table", table},
                      {"mode", mode},
                      {"from-us", from_us},
                      {"to-us", to_us},
                      {"window-s", window_s},
                      {"created-ms", created_ms},
                      {"status", status},
                      {"skipped", skipped},
                      {"windows", std::move(windows)}};
  if (mode == "derive") {
    j["query"] = query;
    j["source"] = source;
    j["source-location"] = source_location;
    j["source-metadata"] = source_metadata;
    j["source-snapshot-id"] = source_snapshot_id;
    j["columns"] = columns;
  }
  if (base_snapshot_id) j["base-snapshot-id"] = *base_snapshot_id;
  if (published_snapshot_id) j["published-snapshot-id"] = published_snapshot_id;
  if (settled_windows) {
    j["settled-windows"] = settled_windows;
    j["settled-rows"] = settled_rows;
  }
  return j;
}

Result<BackfillState> BackfillState::FromJson(const nlohmann::json& j) {
  try {
    if (j.at("format").get<int>() != 1) {
      return MakeError(ErrorKind::kUnsupported, "backfill state format {} (this k2 reads 1)",
                       j.at("format").dump());
    }
    BackfillState s;
    s.id = j.at("id").get<std::string>();
    s.table = j.at("table").get<std::string>();
    s.mode = j.at("mode").get<std::string>();
    s.from_us = j.at("from-us").get<int64_t>();
    s.to_us = j.at("to-us").get<int64_t>();
    s.window_s = j.at("window-s").get<int64_t>();
    s.created_ms = j.at("created-ms").get<int64_t>();
    s.status = j.at("status").get<std::string>();
    s.skipped = j.at("skipped").get<std::vector<int64_t>>();
    if (s.window_s <= 0 || s.to_us <= s.from_us || (s.mode != "warm" && s.mode != "derive")) {
      return MakeError(ErrorKind::kCorrupt, "backfill {}: inconsistent range, window or mode",
                       s.id);
    }
    for (const auto& w : j.at("windows")) {
      BackfillWindow bw{w.at(0).get<int64_t>(), w.at(1).get<int64_t>(), w.at(2).get<std::string>(),
                        w.at(3).get<int64_t>()};
      s.done[bw.start_us] = std::move(bw);
    }
    if (s.mode == "derive") {
      s.query = j.at("query").get<std::string>();
      s.source = j.at("source").get<std::string>();
      s.source_location = j.at("source-location").get<std::string>();
      s.source_metadata = j.value("source-metadata", std::string());
      s.source_snapshot_id = j.at("source-snapshot-id").get<int64_t>();
      if (j.contains("columns")) {
        s.columns = j["columns"].get<std::vector<std::pair<std::string, std::string>>>();
      }
    }
    if (j.contains("base-snapshot-id")) s.base_snapshot_id = j["base-snapshot-id"].get<int64_t>();
    s.published_snapshot_id = j.value("published-snapshot-id", int64_t{0});
    s.settled_windows = j.value("settled-windows", int64_t{0});
    s.settled_rows = j.value("settled-rows", int64_t{0});
    return s;
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorKind::kCorrupt, "backfill state: {}", e.what());
  }
}

Result<std::vector<BackfillState>> BackfillsOf(const iceberg::TableMetadata& metadata) {
  std::vector<BackfillState> out;
  const std::string prefix = kBackfillPropertyPrefix;
  for (auto it = metadata.properties.lower_bound(prefix);
       it != metadata.properties.end() && it->first.starts_with(prefix); ++it) {
    nlohmann::json j = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return MakeError(ErrorKind::kCorrupt, "table property {} is not JSON", it->first);
    }
    auto s = BackfillState::FromJson(j);
    if (!s) return std::unexpected(s.error().WithContext("table property " + it->first));
    out.push_back(std::move(*s));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
  return out;
}

Result<std::optional<BackfillState>> FindBackfill(const iceberg::TableMetadata& metadata,
                                                  const std::string& id) {
  K2_ASSIGN_OR_RETURN(auto all, BackfillsOf(metadata));
  for (auto& s : all) {
    if (s.id == id) return std::optional<BackfillState>(std::move(s));
  }
  return std::optional<BackfillState>{};
}

bool ValidBackfillId(const std::string& id) {
  if (id.empty() || id.size() > 40) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string NewBackfillId() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::random_device rd;
  return fmt::format("{:04}{:02}{:02}t{:02}{:02}{:02}-{:04x}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rd() & 0xffff);
}

}  // namespace k2::jobs
