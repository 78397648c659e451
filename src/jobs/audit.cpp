#include "jobs/audit.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "columnar/predicate.h"
#include "columnar/value.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "jobs/offload_ledger.h"
#include "jobs/warm_source.h"
#include "jobs/window_stats.h"
#include "warm/reference_schema.h"

namespace k2::jobs {

namespace {

/// A column whose per-window sum is compared: integer or decimal in Iceberg.
struct SumColumn {
  std::string name;
  int scale = 0;  ///< decimal scale (0 for integers)
};

/// What the cold table holds for one window.
struct ColdWindow {
  int64_t rows = 0;
  std::vector<int128_t> sums;  ///< unscaled, one per SumColumn
};

std::string Int128ToString(int128_t v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  // Work on the magnitude as unsigned so INT128_MIN does not overflow.
  unsigned __int128 m = negative ? -static_cast<unsigned __int128>(v) : v;
  std::string digits;
  while (m > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

/// `unscaled` with `scale` decimals ("1234", 2 -> "12.34").
std::string FormatScaled(int128_t unscaled, int scale) {
  std::string s = Int128ToString(unscaled < 0 ? -unscaled : unscaled);
  if (scale > 0) {
    if (static_cast<int>(s.size()) <= scale)
      s.insert(0, static_cast<size_t>(scale) + 1 - s.size(), '0');
    s.insert(s.size() - static_cast<size_t>(scale), ".");
  }
  return unscaled < 0 ? "-" + s : s;
}

/// Parses ClickHouse decimal text ("-12.5", "12.50000000", "3") as an
/// unscaled value at `scale`. kRemote names the text.
Result<int128_t> ParseScaled(std::string_view text, int scale, const std::string& what) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  auto bad = [&] { return MakeError(ErrorKind::kRemote, "{}: unexpected sum '{}'", what, text); };
  if (whole.empty() || static_cast<int>(frac.size()) > scale) return bad();
  int128_t v = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return bad();
    v = v * 10 + (c - '0');
  }
  for (int i = 0; i < scale; ++i) {
    char c = i < static_cast<int>(frac.size()) ? frac[static_cast<size_t>(i)] : '0';
    if (c < '0' || c > '9') return bad();
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

/// The warm columns a commit with table schema `schema_id` covered (what its
/// checksum hashed), in ClickHouse's order. `complete` turns false when that
/// schema has a column ClickHouse no longer returns.
std::vector<WarmColumn> ColumnsAsOf(const std::vector<WarmColumn>& warm,
                                    const iceberg::TableMetadata& m, std::optional<int> schema_id,
                                    bool& complete) {
  complete = true;
  if (!schema_id) return warm;
  auto ts = m.SchemaById(*schema_id);
  if (!ts) return warm;
  std::set<std::string> names;
  for (const Field& f : (*ts)->schema.fields) {
    bool found = std::any_of(warm.begin(), warm.end(),
                             [&](const WarmColumn& c) { return c.first == f.name; });
    if (found) {
      names.insert(f.name);
    } else {
      complete = false;
    }
  }
  std::vector<WarmColumn> out;
  for (const auto& c : warm) {
    if (names.count(c.first)) out.push_back(c);
  }
  return out;
}

Predicate SincePredicate(const warm::TimeColumn& time, int64_t since_us) {
  PredicateTerm t;
  t.column = time.name;
  t.op = CompareOp::kGe;
  t.literal_text = time.ColdLiteral(since_us);
  Predicate p;
  p.terms = {t};
  return p;
}

/// 1. Ledger: every window the ledger knows (start >= since_us), whether or
/// not its snapshot still exists, by window start.
Result<std::map<int64_t, WindowRecord>> LedgerWindows(const iceberg::TableMetadata& meta,
                                                      const TableConfig& cfg, int64_t since_us) {
  K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(meta));
  // A century of hourly windows is under a million.
  if (int64_t n = ledger.CountWindows(cfg.window_s, since_us); n > 5000000) {
    return MakeError(ErrorKind::kCorrupt,
                     "the ledger of {} lists {} windows; audit a part with --since", cfg.target, n);
  }
  std::map<int64_t, WindowRecord> records;
  for (WindowRecord& r : ledger.Windows(cfg.window_s, since_us)) {
    records[r.window.start_us] = std::move(r);
  }
  return records;
}

/// The integer and decimal columns of the cold table that warm also returns
/// (the time column aside): their per-window sums are compared.
std::vector<SumColumn> SumColumnsOf(const Schema& schema, const WarmSource& source) {
  std::vector<SumColumn> out;
  for (const Field& f : schema.fields) {
    if (f.name == source.time.name) continue;
    bool in_warm = std::any_of(source.columns.begin(), source.columns.end(),
                               [&](const WarmColumn& c) { return c.first == f.name; });
    if (!in_warm) continue;
    if (f.type.id == TypeId::kInt32 || f.type.id == TypeId::kInt64) {
      out.push_back({f.name, 0});
    } else if (f.type.id == TypeId::kDecimal) {
      out.push_back({f.name, f.type.scale});
    }
  }
  return out;
}

/// 2. Cold: one scan of the table (time >= since_us), rows bucketed by window
/// with the exact sum of every sum column. kCancelled when `cancel` fires.
Result<std::map<int64_t, ColdWindow>> ScanCold(const iceberg::Table& table,
                                               const WarmSource& source,
                                               const std::vector<SumColumn>& sum_columns,
                                               int64_t window_s, const AuditOptions& options) {
  std::map<int64_t, ColdWindow> cold;
  auto scan = table.NewScan();
  std::vector<std::string> select = {source.time.name};
  for (const SumColumn& c : sum_columns) select.push_back(c.name);
  scan.Select(select);
  if (options.since_us > 0) scan.Filter(SincePredicate(source.time, options.since_us));
  K2_ASSIGN_OR_RETURN(auto reader, scan.ToBatchReader());
  for (;;) {
    if (IsCancelled(options.cancel)) {
      return MakeError(ErrorKind::kCancelled, "audit cancelled while scanning the cold table");
    }
    K2_ASSIGN_OR_RETURN(const ColumnBatch* batch, reader->Next());
    if (batch == nullptr) break;
    const ColumnBatch& b = *batch;
    for (size_t row = 0; row < b.num_rows(); ++row) {
      std::optional<int64_t> t = source.time.ColdMicros(b.columns[0], row);
      if (!t) continue;  // a null time belongs to no window
      ColdWindow& w = cold[WindowContaining(*t, window_s).start_us];
      if (w.sums.empty()) w.sums.assign(sum_columns.size(), 0);
      ++w.rows;
      for (size_t i = 0; i < sum_columns.size(); ++i) {
        const Column& c = b.columns[i + 1];
        if (!c.IsValid(row)) continue;
        switch (c.type().id) {
          case TypeId::kInt32:
            w.sums[i] += c.Value<int32_t>(row);
            break;
          case TypeId::kInt64:
            w.sums[i] += c.Value<int64_t>(row);
            break;
          default:
            w.sums[i] += c.DecimalValue(row);
            break;
        }
      }
    }
  }
  return cold;
}

/// A window's warm row count and the sum of each sum column.
struct WarmSums {
  int64_t rows = 0;
  std::vector<int128_t> sums;
};

/// 3. Warm: what ClickHouse holds, asked per window through the offload's
/// own source, and only what a verdict needs: rows per window in one grouped
/// query (windows warm does not hold need no query of their own), per-window
/// counts and sums, the offload checksum, and the oldest row (asked once).
class WarmSide {
 public:
  WarmSide(warm::WarmDriver& warm, const WarmSource& source,
           const std::vector<SumColumn>& sum_columns)
      : warm_(warm), source_(source), sum_columns_(sum_columns) {
    for (const SumColumn& c : sum_columns) {
      sums_sql_ += fmt::format(", toString(sum(toDecimal128({}, {})))",
                               warm::QuoteIdentifier(c.name), c.scale);
    }
  }

  /// Counts the rows of every window of `window_s` in [first start, last start + window).
  Status CountWindows(const std::set<int64_t>& starts, int64_t window_s) {
    if (starts.empty()) return OkStatus();
    K2_ASSIGN_OR_RETURN(counts_,
                        WarmRowsByWindow(warm_, source_, *starts.begin(),
                                         *starts.rbegin() + window_s * kMicrosPerSecond, window_s));
    return OkStatus();
  }

  /// Whether warm holds no row of `w` (by the grouped count).
  bool Empty(const Window& w) const {
    auto it = counts_.lower_bound(w.start_us);
    return it == counts_.end() || it->first >= w.end_us;
  }

  /// The window's count and column sums (Decimal128, exact).
  Result<WarmSums> Sums(const Window& w) {
    std::string sql = fmt::format("SELECT count(){} FROM ({})", sums_sql_, source_.WindowSql(w));
    K2_ASSIGN_OR_RETURN(std::string text, warm_.Execute(sql));
    auto f = warm::TsvFirstRow(text);
    if (f.size() != sum_columns_.size() + 1) {
      return MakeError(ErrorKind::kRemote, "window {}: unexpected answer '{}'", w.ToString(),
                       text.substr(0, 200));
    }
    WarmSums out;
    K2_ASSIGN_OR_RETURN(out.rows, warm::ParseTsvInt(f[0], "warm count of " + w.ToString()));
    for (size_t i = 0; i < sum_columns_.size(); ++i) {
      K2_ASSIGN_OR_RETURN(int128_t v, ParseScaled(f[i + 1], sum_columns_[i].scale,
                                                  "warm sum of " + sum_columns_[i].name));
      out.sums.push_back(v);
    }
    return out;
  }

  /// The window's count and offload checksum over `columns`, as `kind` hashes them.
  Result<WindowStats> Stats(const Window& w, const std::vector<WarmColumn>& columns,
                            ChecksumKind kind) {
    return QueryWindowStats(warm_, source_.WindowSql(w), columns, kind);
  }

  /// Whether warm no longer holds `w`: no row this old at all (TTL dropped it).
  Result<bool> Expired(const Window& w) {
    if (!oldest_) {
      K2_ASSIGN_OR_RETURN(auto value, OldestWarmUs(warm_, source_));
      oldest_ = value;
    }
    return !*oldest_ || **oldest_ >= w.end_us;
  }

 private:
  warm::WarmDriver& warm_;
  const WarmSource& source_;
  const std::vector<SumColumn>& sum_columns_;
  std::string sums_sql_;
  std::map<int64_t, int64_t> counts_;
  std::optional<std::optional<int64_t>> oldest_;
};

/// The windows to judge: committed ones, the gaps between them, and cold buckets.
std::set<int64_t> WindowsToJudge(const std::map<int64_t, WindowRecord>& records,
                                 const std::map<int64_t, ColdWindow>& cold, int64_t window_s) {
  std::set<int64_t> starts;
  for (const auto& [start, r] : records) starts.insert(start);
  if (!records.empty()) {
    int64_t step = window_s * kMicrosPerSecond;
    for (int64_t s = records.begin()->first; s < records.rbegin()->first; s += step) {
      starts.insert(s);
    }
  }
  for (const auto& [start, c] : cold) starts.insert(start);
  return starts;
}

/// Compares warm's column sums with cold's into `wa.sums`; a difference is a problem.
void CompareSums(const std::vector<SumColumn>& sum_columns, const std::vector<int128_t>& warm,
                 const std::vector<int128_t>& cold, WindowAudit& wa,
                 std::vector<std::string>& problems) {
  for (size_t i = 0; i < sum_columns.size(); ++i) {
    ColumnSum s{sum_columns[i].name, FormatScaled(warm[i], sum_columns[i].scale),
                FormatScaled(cold[i], sum_columns[i].scale)};
    if (warm[i] != cold[i]) {
      problems.push_back(fmt::format("sum({}): warm {}, cold {}", s.column, s.warm, s.cold));
    }
    wa.sums.push_back(std::move(s));
  }
}

/// Any problem makes the window a mismatch, its detail the problems.
void SetProblems(WindowAudit& wa, const std::vector<std::string>& problems) {
  if (problems.empty()) return;
  wa.status = AuditStatus::kMismatch;
  for (const auto& p : problems) wa.detail += (wa.detail.empty() ? "" : "; ") + p;
}

/// 4a. A window no commit recorded: missing in cold when either tier has
/// rows for it; nullopt for an empty hour.
Result<std::optional<WindowAudit>> JudgeUncommitted(WarmSide& warm, WindowAudit wa) {
  if (wa.cold_rows == 0 && warm.Empty(wa.window)) return std::optional<WindowAudit>{};
  K2_ASSIGN_OR_RETURN(WarmSums ws, warm.Sums(wa.window));
  wa.warm_rows = ws.rows;
  if (wa.warm_rows == 0 && wa.cold_rows == 0) return std::optional<WindowAudit>{};
  wa.status = AuditStatus::kMissingInCold;
  wa.detail = wa.cold_rows > 0
                  ? fmt::format("cold has {} rows in a window no commit recorded (warm {})",
                                wa.cold_rows, wa.warm_rows)
                  : fmt::format("warm has {} rows; the window was never offloaded", wa.warm_rows);
  return std::optional<WindowAudit>(std::move(wa));
}

/// 4b. An old window the ledger keeps as a range only: warm against cold directly.
Result<WindowAudit> JudgeRange(WarmSide& warm, const std::vector<SumColumn>& sum_columns,
                               const ColdWindow& cold, WindowAudit wa) {
  WarmSums ws;
  if (!warm.Empty(wa.window)) {
    K2_ASSIGN_OR_RETURN(ws, warm.Sums(wa.window));
  }
  wa.warm_rows = ws.rows;
  if (wa.warm_rows == 0) {
    K2_ASSIGN_OR_RETURN(bool expired, warm.Expired(wa.window));
    if (expired && wa.cold_rows > 0) {
      wa.status = AuditStatus::kWarmExpired;
      wa.detail = "warm expired; cold holds the window (committed count not kept this long)";
    } else if (!expired && wa.cold_rows > 0) {
      wa.status = AuditStatus::kMissingInWarm;
      wa.detail =
          fmt::format("warm has no rows for the window but older ones; cold has {}", wa.cold_rows);
    }
    return wa;
  }
  std::vector<std::string> problems;
  if (wa.cold_rows != wa.warm_rows) {
    problems.push_back(fmt::format("cold has {} rows, warm {}", wa.cold_rows, wa.warm_rows));
  }
  CompareSums(sum_columns, ws.sums, cold.sums, wa, problems);
  SetProblems(wa, problems);
  return wa;
}

/// 4c. A window committed with its count and checksum: warm against the
/// commit (recomputed the way it was recorded, over the columns its commit
/// had), then cold against warm.
Result<WindowAudit> JudgeCommitted(WarmSide& warm, const std::vector<SumColumn>& sum_columns,
                                   const ColdWindow& cold, const WindowRecord& r,
                                   const iceberg::TableMetadata& meta,
                                   const std::vector<WarmColumn>& warm_columns, WindowAudit wa) {
  wa.committed_rows = r.source_rows;
  wa.committed_checksum = r.source_checksum;
  if (r.run_id.starts_with("backfill:")) wa.backfill = r.run_id;
  K2_ASSIGN_OR_RETURN(ChecksumKind kind, ParseChecksumKind(r.checksum_kind));
  bool complete = true;
  std::vector<WarmColumn> columns = ColumnsAsOf(warm_columns, meta, r.schema_id, complete);
  if (warm.Empty(wa.window)) {
    wa.warm_rows = 0;
    wa.warm_checksum = "0";  // sum() over no rows
  } else {
    K2_ASSIGN_OR_RETURN(WindowStats stats, warm.Stats(wa.window, columns, kind));
    wa.warm_rows = stats.rows;
    wa.warm_checksum = stats.checksum;
  }

  if (wa.warm_rows == 0 && r.source_rows > 0) {
    K2_ASSIGN_OR_RETURN(bool expired, warm.Expired(wa.window));
    if (wa.cold_rows != r.source_rows) {
      wa.status = AuditStatus::kMismatch;
      wa.detail = fmt::format("cold has {} rows, {} were committed (warm {})", wa.cold_rows,
                              r.source_rows, expired ? "expired" : "has none");
    } else if (expired) {
      wa.status = AuditStatus::kWarmExpired;
      wa.detail = "warm expired (no warm rows this old); cold holds the committed rows";
    } else {
      wa.status = AuditStatus::kMissingInWarm;
      wa.detail = fmt::format("warm has no rows for the window but older ones; {} were committed",
                              r.source_rows);
    }
    return wa;
  }

  std::vector<std::string> problems;
  if (wa.warm_rows != r.source_rows) {
    problems.push_back(
        fmt::format("warm has {} rows, {} were committed", wa.warm_rows, r.source_rows));
  } else if (complete && wa.warm_checksum != r.source_checksum) {
    problems.push_back("warm checksum differs from the committed one");
  }
  if (wa.cold_rows != wa.warm_rows) {
    problems.push_back(fmt::format("cold has {} rows, warm {}", wa.cold_rows, wa.warm_rows));
  }
  WarmSums ws{0, std::vector<int128_t>(sum_columns.size())};
  if (!warm.Empty(wa.window)) {
    K2_ASSIGN_OR_RETURN(ws, warm.Sums(wa.window));
  }
  CompareSums(sum_columns, ws.sums, cold.sums, wa, problems);
  SetProblems(wa, problems);
  return wa;
}

}  // namespace

const char* AuditStatusName(AuditStatus status) {
  switch (status) {
    case AuditStatus::kOk:
      return "ok";
    case AuditStatus::kWarmExpired:
      return "warm_expired";
    case AuditStatus::kMismatch:
      return "mismatch";
    case AuditStatus::kMissingInWarm:
      return "missing_in_warm";
    case AuditStatus::kMissingInCold:
      return "missing_in_cold";
  }
  return "unknown";
}

bool IsAuditFailure(AuditStatus status) {
  return status == AuditStatus::kMismatch || status == AuditStatus::kMissingInWarm ||
         status == AuditStatus::kMissingInCold;
}

int64_t TableAudit::Count(AuditStatus status) const {
  return std::count_if(windows.begin(), windows.end(),
                       [&](const WindowAudit& w) { return w.status == status; });
}

bool TableAudit::failed() const {
  return std::any_of(windows.begin(), windows.end(),
                     [](const WindowAudit& w) { return IsAuditFailure(w.status); });
}

bool AuditReport::mismatch() const {
  return std::any_of(tables.begin(), tables.end(), [](const TableAudit& t) { return t.failed(); });
}

bool AuditReport::errors() const {
  return std::any_of(tables.begin(), tables.end(),
                     [](const TableAudit& t) { return t.error.has_value(); });
}

nlohmann::json AuditReport::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const TableAudit& t : tables) {
    nlohmann::json jt = {{"table", t.table}, {"target", t.target}};
    nlohmann::json counts = nlohmann::json::object();
    for (AuditStatus s : {AuditStatus::kOk, AuditStatus::kWarmExpired, AuditStatus::kMismatch,
                          AuditStatus::kMissingInWarm, AuditStatus::kMissingInCold}) {
      counts[AuditStatusName(s)] = t.Count(s);
    }
    jt["windows_by_status"] = std::move(counts);
    jt["ok"] = !t.failed() && !t.error;
    if (t.error) {
      jt["error"] = t.error->message;
      jt["error_kind"] = std::string(ErrorKindName(t.error->kind));
    }
    nlohmann::json ws = nlohmann::json::array();
    for (const WindowAudit& w : t.windows) {
      nlohmann::json jw = {{"window", w.window.ToString()},
                           {"status", AuditStatusName(w.status)},
                           {"cold_rows", w.cold_rows}};
      jw["committed_rows"] = w.committed_rows >= 0 ? nlohmann::json(w.committed_rows) : nullptr;
      jw["warm_rows"] = w.warm_rows >= 0 ? nlohmann::json(w.warm_rows) : nullptr;
      if (!w.committed_checksum.empty()) jw["committed_checksum"] = w.committed_checksum;
      if (!w.warm_checksum.empty()) jw["warm_checksum"] = w.warm_checksum;
      if (!w.backfill.empty()) jw["backfill"] = w.backfill;
      nlohmann::json sums = nlohmann::json::object();
      for (const ColumnSum& s : w.sums) sums[s.column] = {{"warm", s.warm}, {"cold", s.cold}};
      if (!w.sums.empty()) jw["sums"] = std::move(sums);
      if (!w.detail.empty()) jw["detail"] = w.detail;
      ws.push_back(std::move(jw));
    }
    jt["windows"] = std::move(ws);
    out.push_back(std::move(jt));
  }
  return out;
}

AuditJob::AuditJob(const Config& config, Catalog& catalog, FileIO& io, WarmFactory warm)
    : config_(config), catalog_(catalog), io_(io), warm_(std::move(warm)) {}

Result<AuditReport> AuditJob::Run(const AuditOptions& options) {
  K2_ASSIGN_OR_RETURN(std::vector<const TableConfig*> selected,
                      config_.SelectTables(options.tables, options.layer));
  AuditReport report;
  for (const TableConfig* t : selected) {
    if (IsCancelled(options.cancel)) {
      return MakeError(ErrorKind::kCancelled, "audit cancelled before table {}", t->name);
    }
    report.tables.push_back(RunTable(*t, options));
    const TableAudit& done = report.tables.back();
    if (done.error && done.error->kind == ErrorKind::kCancelled)
      return std::unexpected(*done.error);
  }
  return report;
}

TableAudit AuditJob::RunTable(const TableConfig& cfg, const AuditOptions& options) {
  TableAudit out;
  out.table = cfg.name;
  out.target = cfg.target;
  auto fail = [&](const Error& e) {
    out.error = e.WithContext(cfg.name);
    spdlog::error("audit: {}", out.error->message);
    return out;
  };

  // 1. Ledger.
  auto id = TableIdentifier::Parse(cfg.target);
  if (!id) return fail(id.error());
  auto loaded = iceberg::Table::Load(catalog_, io_, *id);
  if (!loaded && loaded.error().kind == ErrorKind::kNotFound) return out;  // never offloaded
  if (!loaded) return fail(loaded.error());
  const iceberg::Table& table = *loaded;
  auto records = LedgerWindows(table.metadata(), cfg, options.since_us);
  if (!records) return fail(records.error());

  auto driver = warm_();
  if (!driver) return fail(driver.error());
  // The same source as the offload's: query, time column, FINAL.
  auto source = ResolveWarmSource(**driver, cfg);
  if (!source) return fail(source.error());

  // 2. Cold.
  if (!table.schema().IndexOf(source->time.name)) {
    return fail(
        {ErrorKind::kInvalidInput, fmt::format("time column '{}' is not in the Iceberg table {}",
                                               source->time.name, cfg.target)});
  }
  const std::vector<SumColumn> sum_columns = SumColumnsOf(table.schema(), *source);
  auto cold = ScanCold(table, *source, sum_columns, cfg.window_s, options);
  if (!cold) return fail(cold.error());

  // 3. Warm, 4. verdicts, window by window.
  WarmSide warm(**driver, *source, sum_columns);
  const std::set<int64_t> starts = WindowsToJudge(*records, *cold, cfg.window_s);
  if (auto st = warm.CountWindows(starts, cfg.window_s); !st) return fail(st.error());
  for (int64_t start : starts) {
    if (IsCancelled(options.cancel)) {
      return fail({ErrorKind::kCancelled, "audit cancelled"});
    }
    auto rec = records->find(start);
    const WindowRecord* r = rec == records->end() ? nullptr : &rec->second;
    WindowAudit wa;
    wa.window = r ? r->window : Window{start, start + cfg.window_s * kMicrosPerSecond};
    auto cw = cold->find(start);
    const ColdWindow cold_window = cw == cold->end()
                                       ? ColdWindow{0, std::vector<int128_t>(sum_columns.size(), 0)}
                                       : cw->second;
    wa.cold_rows = cold_window.rows;
    if (!r) {
      auto judged = JudgeUncommitted(warm, std::move(wa));
      if (!judged) return fail(judged.error());
      if (*judged) out.windows.push_back(std::move(**judged));
      continue;
    }
    auto judged = r->detailed() ? JudgeCommitted(warm, sum_columns, cold_window, *r,
                                                 table.metadata(), source->columns, std::move(wa))
                                : JudgeRange(warm, sum_columns, cold_window, std::move(wa));
    if (!judged) return fail(judged.error());
    out.windows.push_back(std::move(*judged));
  }
  return out;
}

}  // namespace k2::jobs
