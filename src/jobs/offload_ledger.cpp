#include "jobs/offload_ledger.h"

#include <charconv>

namespace k2::jobs {

namespace {

std::optional<int64_t> ToInt(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size()) return std::nullopt;
  return v;
}

}  // namespace

OffloadLedger OffloadLedger::FromAncestry(const std::vector<AncestorSummary>& ancestors) {
  OffloadLedger ledger;
  for (const auto& a : ancestors) {  // newest first: the first record of a window wins
    auto start = ToInt(a.summary, kSummaryWindowStart);
    auto end = ToInt(a.summary, kSummaryWindowEnd);
    if (!start || !end) continue;
    if (ledger.windows_.count(*start)) continue;
    WindowRecord r;
    r.window = {*start, *end};
    r.source_rows = ToInt(a.summary, kSummarySourceRows).value_or(-1);
    if (auto it = a.summary.find(kSummarySourceChecksum); it != a.summary.end()) {
      r.source_checksum = it->second;
    }
    if (auto it = a.summary.find(kSummaryChecksumKind); it != a.summary.end()) {
      r.checksum_kind = it->second;
    }
    if (auto it = a.summary.find(kSummaryRunId); it != a.summary.end()) r.run_id = it->second;
    r.snapshot_id = a.snapshot_id;
    r.schema_id = a.schema_id;
    ledger.windows_.emplace(*start, std::move(r));
  }
  return ledger;
}

const WindowRecord* OffloadLedger::Find(const Window& window) const {
  auto it = windows_.find(window.start_us);
  if (it == windows_.end() || it->second.window.end_us != window.end_us) return nullptr;
  return &it->second;
}

std::optional<int64_t> OffloadLedger::WatermarkUs() const {
  if (windows_.empty()) return std::nullopt;
  return windows_.rbegin()->second.window.end_us;
}

std::vector<const WindowRecord*> OffloadLedger::Newest(size_t n) const {
  std::vector<const WindowRecord*> out;
  for (auto it = windows_.rbegin(); it != windows_.rend() && out.size() < n; ++it) {
    out.push_back(&it->second);
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
