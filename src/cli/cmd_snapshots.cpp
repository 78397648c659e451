// k2 snapshots NAME: a table's snapshots, with the offload window each committed.
#include <charconv>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/table_session.h"

namespace k2::cli {

namespace {

using nlohmann::json;

/// The offload window a snapshot committed ("k2.window-start-us"/"-end-us"
/// in its summary, jobs/offload_ledger.h), as RFC 3339 UTC times, if any.
std::optional<std::pair<std::string, std::string>> SnapshotWindow(const iceberg::Snapshot& s) {
  auto start = s.summary.find("k2.window-start-us");
  auto end = s.summary.find("k2.window-end-us");
  if (start == s.summary.end() || end == s.summary.end()) return std::nullopt;
  int64_t a = 0, b = 0;
  std::from_chars(start->second.data(), start->second.data() + start->second.size(), a);
  std::from_chars(end->second.data(), end->second.data() + end->second.size(), b);
  return std::make_pair(FormatTimestampMicros(a).substr(0, 19) + "Z",
                        FormatTimestampMicros(b).substr(0, 19) + "Z");
}

json SnapshotJson(const iceberg::Snapshot& s) {
  json j = {
      {"snapshot-id", s.snapshot_id},   {"sequence-number", s.sequence_number},
      {"timestamp-ms", s.timestamp_ms}, {"timestamp", FormatTimestampMicros(s.timestamp_ms * 1000)},
      {"operation", s.operation},       {"summary", s.summary}};
  j["parent-snapshot-id"] = s.parent_snapshot_id ? json(*s.parent_snapshot_id) : json(nullptr);
  auto window = SnapshotWindow(s);
  j["window"] = window ? json{{"start", window->first}, {"end", window->second}} : json(nullptr);
  return j;
}

Status RunSnapshots(const CliContext& ctx, const std::string& name, bool as_json) {
  K2_ASSIGN_OR_RETURN(auto s, OpenTable(ctx, name));
  const auto& m = s->table->metadata();
  json out = json::array();
  for (const auto& snap : m.snapshots) out.push_back(SnapshotJson(snap));
  if (as_json) {
    fmt::print("{}\n", out.dump(2));
    return OkStatus();
  }
  constexpr const char* kRow = "{:<20} {:>5} {:<20} {:<10} {:<37} {:>10} {:>12}\n";
  fmt::print(kRow, "SNAPSHOT", "SEQ", "TIME", "OPERATION", "WINDOW", "ADDED", "RECORDS");
  for (const auto& snap : m.snapshots) {
    auto window = SnapshotWindow(snap);
    auto summary = [&snap](const char* key) {
      return snap.summary.contains(key) ? snap.summary.at(key) : std::string("-");
    };
    // Seconds are enough to tell commits apart; the JSON has milliseconds.
    std::string time = FormatTimestampMicros(snap.timestamp_ms * 1000).substr(0, 19) + "Z";
    fmt::print(
        kRow, snap.snapshot_id, snap.sequence_number, time,
        snap.summary.contains("k2.replace") ? snap.operation + "*" : snap.operation,
        window ? window->first.substr(0, 16) + "Z .. " + window->second.substr(11, 5) + "Z" : "-",
        summary("added-records"), summary("total-records"));
  }
  return OkStatus();
}

}  // namespace

void RegisterSnapshotsCommands(CLI::App& root, CliContext& ctx) {
  auto json_flag = std::make_shared<bool>(false);
  auto snap_name = std::make_shared<std::string>();
  auto* snapshots = root.add_subcommand("snapshots", "List a table's snapshots");
  snapshots->add_option("name", *snap_name, "Table (k2 name, namespace.table or metadata path)")
      ->required();
  snapshots->add_flag("--json", *json_flag, "Print JSON");
  snapshots->callback(
      [&ctx, snap_name, json_flag] { ctx.Finish(RunSnapshots(ctx, *snap_name, *json_flag)); });
}

}  // namespace k2::cli
