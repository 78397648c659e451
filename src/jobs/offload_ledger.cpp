#include "jobs/offload_ledger.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "common/json.h"

namespace k2::jobs {

std::optional<int64_t> SummaryInt(const std::map<std::string, std::string>& summary,
                                  const char* key) {
  auto it = summary.find(key);
  if (it == summary.end()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size()) return std::nullopt;
  return v;
}

namespace {

/// The property's format: ranges and details in epoch seconds (windows are
/// whole seconds), details as arrays in the order `fields` names.
constexpr int kFormat = 1;
const std::vector<std::string> kDetailFields = {
    "start", "end", "rows", "checksum", "checksum-kind", "snapshot-id", "schema-id", "run-id"};

Error Corrupt(const std::string& what) {
  return Error{ErrorKind::kCorrupt, fmt::format("table property {}: {}", kLedgerProperty, what)};
}

}  // namespace

void OffloadLedger::AddRange(int64_t start, int64_t end) {
  if (end <= start) return;
  // Merge with every range that overlaps or touches [start, end).
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= start) {
      start = prev->first;
      end = std::max(end, prev->second);
      it = ranges_.erase(prev);
    }
  }
  while (it != ranges_.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(start, end);
}

void OffloadLedger::Record(const WindowRecord& record) {
  details_[record.window.start_us] = record;
  AddRange(record.window.start_us, record.window.end_us);
}

void OffloadLedger::RecordNew(const std::vector<WindowRecord>& records,
                              std::optional<int> schema_id) {
  for (WindowRecord r : records) {
    if (Contains(r.window)) continue;
    r.schema_id = schema_id;
    Record(r);
  }
}

bool OffloadLedger::Contains(const Window& w) const {
  if (auto d = details_.find(w.start_us); d != details_.end()) {
    return d->second.window.end_us == w.end_us;
  }
  auto it = ranges_.upper_bound(w.start_us);
  if (it == ranges_.begin()) return false;
  --it;
  return it->first <= w.start_us && w.end_us <= it->second;
}

std::optional<WindowRecord> OffloadLedger::Find(const Window& w) const {
  if (auto d = details_.find(w.start_us); d != details_.end()) {
    if (d->second.window.end_us != w.end_us) return std::nullopt;
    return d->second;
  }
  if (!Contains(w)) return std::nullopt;
  WindowRecord r;
  r.window = w;
  return r;
}

std::optional<int64_t> OffloadLedger::WatermarkUs() const {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.rbegin()->second;
}

std::vector<WindowRecord> OffloadLedger::Newest(size_t n) const {
  std::vector<WindowRecord> out;
  for (auto it = details_.rbegin(); it != details_.rend() && out.size() < n; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<WindowRecord> OffloadLedger::Windows(int64_t window_s, int64_t since_us) const {
  std::vector<WindowRecord> out;
  const int64_t step = window_s * kMicrosPerSecond;
  for (const auto& [start, end] : ranges_) {
    for (int64_t s = start; s < end;) {
      auto d = details_.find(s);
      if (d != details_.end()) {
        if (s >= since_us) out.push_back(d->second);
        s = d->second.window.end_us;
        continue;
      }
      Window w = WindowContaining(s, window_s);
      if (w.start_us != s) w = {s, std::min(end, w.end_us)};  // a range off the grid
      if (w.start_us >= since_us) {
        WindowRecord r;
        r.window = w;
        out.push_back(r);
      }
      s = std::max(w.end_us, s + step);
    }
  }
  return out;
}

int64_t OffloadLedger::CountWindows(int64_t window_s, int64_t since_us) const {
  const int64_t step = window_s * kMicrosPerSecond;
  int64_t n = 0;
  for (const auto& [start, end] : ranges_) {
    int64_t from = std::max(start, since_us);
    if (from < end) n += (end - from + step - 1) / step;
  }
  return n;
}

bool OffloadLedger::Covers(const OffloadLedger& other) const {
  for (const auto& [start, end] : other.ranges_) {
    auto it = ranges_.upper_bound(start);
    if (it == ranges_.begin()) return false;
    --it;
    if (!(it->first <= start && end <= it->second)) return false;
  }
  return true;
}

std::string OffloadLedger::ToProperty(size_t detail_windows) const {
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& [start, end] : ranges_) {
    ranges.push_back({start / kMicrosPerSecond, end / kMicrosPerSecond});
  }
  nlohmann::json details = nlohmann::json::array();
  size_t skip = details_.size() > detail_windows ? details_.size() - detail_windows : 0;
  for (const auto& [start, r] : details_) {
    if (skip > 0) {
      --skip;
      continue;
    }
    details.push_back({r.window.start_us / kMicrosPerSecond, r.window.end_us / kMicrosPerSecond,
                       r.source_rows, r.source_checksum, r.checksum_kind, r.snapshot_id,
                       r.schema_id ? nlohmann::json(*r.schema_id) : nlohmann::json(nullptr),
                       r.run_id});
  }
  nlohmann::json j = {{"format", kFormat},
                      {"windows", std::move(ranges)},
                      {"detail-fields", kDetailFields},
                      {"details", std::move(details)}};
  return j.dump();
}

Result<OffloadLedger> OffloadLedger::ParseProperty(const std::string& text) {
  auto parsed = ParseUntrustedJson(text, kLedgerProperty);  // nesting-limited
  if (!parsed || !parsed->is_object()) return std::unexpected(Corrupt("not a JSON object"));
  const nlohmann::json& j = *parsed;
  if (!j.contains("format") || !j["format"].is_number_integer() || j["format"] != kFormat) {
    return std::unexpected(
        Corrupt(fmt::format("unknown format (this k2 reads format {})", kFormat)));
  }
  const auto& ranges = j.value("windows", nlohmann::json::array());
  const auto& details = j.value("details", nlohmann::json::array());
  if (!ranges.is_array() || !details.is_array()) {
    return std::unexpected(Corrupt("'windows' and 'details' must be arrays"));
  }
  auto seconds = [](const nlohmann::json& v) -> std::optional<int64_t> {
    if (!v.is_number_integer()) return std::nullopt;
    int64_t s = v.get<int64_t>();
    // 0001-01-01 .. 9999-12-31: microseconds stay far from overflow.
    if (s < -62135596800LL || s > 253402300799LL) return std::nullopt;
    return s * kMicrosPerSecond;
  };
  OffloadLedger ledger;
  for (const auto& r : ranges) {
    if (!r.is_array() || r.size() != 2)
      return std::unexpected(Corrupt("a range is not [start, end]"));
    auto start = seconds(r[0]);
    auto end = seconds(r[1]);
    if (!start || !end || *end <= *start) {
      return std::unexpected(Corrupt("a range is not two ascending epoch seconds: " + r.dump()));
    }
    ledger.AddRange(*start, *end);
  }
  for (const auto& d : details) {
    if (!d.is_array() || d.size() < kDetailFields.size()) {
      return std::unexpected(Corrupt("a window's details are not an array of " +
                                     std::to_string(kDetailFields.size())));
    }
    WindowRecord r;
    auto start = seconds(d[0]);
    auto end = seconds(d[1]);
    if (!start || !end || *end <= *start || !d[2].is_number_integer() || !d[3].is_string() ||
        !d[4].is_string() || !d[5].is_number_integer() ||
        !(d[6].is_null() || d[6].is_number_integer()) || !d[7].is_string()) {
      return std::unexpected(Corrupt("bad window details: " + d.dump()));
    }
    r.window = {*start, *end};
    r.source_rows = d[2].get<int64_t>();
    r.source_checksum = d[3].get<std::string>();
    r.checksum_kind = d[4].get<std::string>();
    r.snapshot_id = d[5].get<int64_t>();
    if (d[6].is_number_integer()) r.schema_id = d[6].get<int>();
    r.run_id = d[7].get<std::string>();
    if (!ledger.Contains(r.window)) {
      return std::unexpected(Corrupt("details of a window outside every range: " + d.dump()));
    }
    ledger.details_[r.window.start_us] = std::move(r);
  }
  return ledger;
}

OffloadLedger OffloadLedger::FromAncestry(const std::vector<AncestorSummary>& ancestors) {
  OffloadLedger ledger;
  for (const auto& a : ancestors) {  // newest first: the first record of a window wins
    auto start = SummaryInt(a.summary, kSummaryWindowStart);
    auto end = SummaryInt(a.summary, kSummaryWindowEnd);
    if (!start || !end || *end <= *start) continue;
    // k2's windows start and end on whole seconds (the property keeps
    // seconds); anything else in a summary is not a window k2 committed.
    if (*start % kMicrosPerSecond != 0 || *end % kMicrosPerSecond != 0) continue;
    if (ledger.details_.count(*start)) continue;
    WindowRecord r;
    r.window = {*start, *end};
    r.source_rows = SummaryInt(a.summary, kSummarySourceRows).value_or(-1);
    if (auto it = a.summary.find(kSummarySourceChecksum); it != a.summary.end()) {
      r.source_checksum = it->second;
    }
    if (auto it = a.summary.find(kSummaryChecksumKind); it != a.summary.end()) {
      r.checksum_kind = it->second;
    }
    if (auto it = a.summary.find(kSummaryRunId); it != a.summary.end()) r.run_id = it->second;
    r.snapshot_id = a.snapshot_id;
    r.schema_id = a.schema_id;
    ledger.Record(r);
  }
  return ledger;
}

Result<OffloadLedger> OffloadLedger::FromMetadata(const iceberg::TableMetadata& metadata) {
  OffloadLedger ledger;
  if (auto it = metadata.properties.find(kLedgerProperty); it != metadata.properties.end()) {
    K2_ASSIGN_OR_RETURN(ledger, ParseProperty(it->second));
  }
  // Windows only the summaries know: a table from before the property.
  OffloadLedger summaries = FromAncestry(AncestryOf(metadata));
  for (const auto& [start, r] : summaries.details_) {
    if (!ledger.Contains(r.window)) {
      ledger.Record(r);
    } else if (!ledger.details_.count(start) && r.window == ledger.Find(r.window)->window) {
      ledger.details_[start] = r;  // an old window's details, while its snapshot lasts
    }
  }
  return ledger;
}

Result<iceberg::TableMetadata> LedgerUpdate::Apply(const iceberg::TableMetadata& base) {
  K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(base));
  iceberg::TableMetadata next = base;
  ledger.RecordNew(records_, base.current_schema_id);
  next.properties[kLedgerProperty] = ledger.ToProperty();
  return next;
}

bool LedgerNeedsCarryOver(const iceberg::TableMetadata& metadata) {
  OffloadLedger summaries = OffloadLedger::FromAncestry(AncestryOf(metadata));
  if (summaries.empty()) return false;
  auto it = metadata.properties.find(kLedgerProperty);
  if (it == metadata.properties.end()) return true;
  auto property = OffloadLedger::ParseProperty(it->second);
  return !property || !property->Covers(summaries);
}

std::vector<AncestorSummary> AncestryOf(const iceberg::TableMetadata& metadata) {
  std::vector<AncestorSummary> out;
  for (const iceberg::Snapshot* s : metadata.MainAncestry()) {
    out.push_back({s->snapshot_id, s->summary, s->schema_id});
  }
  return out;
}

std::map<std::string, std::string> SummaryFor(const std::string& table, const WindowRecord& r,
                                              bool replace) {
  std::map<std::string, std::string> s = {
      {kSummaryTable, table},
      {kSummaryWindowStart, std::to_string(r.window.start_us)},
      {kSummaryWindowEnd, std::to_string(r.window.end_us)},
      {kSummarySourceRows, std::to_string(r.source_rows)},
      {kSummarySourceChecksum, r.source_checksum},
      {kSummaryRunId, r.run_id},
      {kSummaryChecksumKind, r.checksum_kind.empty() ? "text" : r.checksum_kind},
      {"k2.window", r.window.ToString()},
  };
  if (replace) s[kSummaryReplace] = "true";
  return s;
}

}  // namespace k2::jobs
