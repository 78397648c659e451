#include "jobs/offload.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "columnar/prefetching_reader.h"
#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "iceberg/update/pending_update.h"
#include "jobs/offload_ledger.h"
#include "jobs/offload_plan.h"
#include "jobs/rolling_writer.h"
#include "jobs/warm_source.h"
#include "jobs/window_stats.h"
#include "warm/reference_schema.h"
#include "warm/type_mapping.h"

namespace k2::jobs {

namespace {

using Clock = std::chrono::steady_clock;

int64_t SystemNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

parquet::WriterOptions WriterOptionsFor(const OffloadPolicy& p) {
  parquet::WriterOptions o;
  if (p.compression == "snappy") {
    o.codec = parquet::Codec::kSnappy;
  } else if (p.compression == "gzip") {
    o.codec = parquet::Codec::kGzip;
  } else if (p.compression == "none") {
    o.codec = parquet::Codec::kUncompressed;
  } else {
    o.codec = parquet::Codec::kZstd;
  }
  o.compression_level = p.compression_level;
  // 32 MiB row groups bound the writer's memory (one encoded row group) well
  // inside the sidecar's budget; a 128 MB file then has about four.
  o.row_group_bytes = std::min<int64_t>(32LL << 20, p.target_file_size_bytes);
  // The hour's encoding is k2's critical path: columns encode on two threads
  // (one more page scratch and codec context, the same bytes out).
  o.encode_threads = std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  return o;
}

int64_t TransformSeconds(const std::string& transform) {
  if (transform == "hour") return 3600;
  if (transform == "day") return 86400;
  if (transform == "month") return 28 * 86400;
  if (transform == "year") return 365 * 86400;
  return 0;
}

/// Everything one table's offload needs, resolved once per run.
struct TableContext {
  const TableConfig* cfg = nullptr;
  WarmSource source;
  std::vector<WarmColumn> columns;  ///< ClickHouse names and types
  Schema warm_schema;
  std::optional<iceberg::Table> table;
  std::shared_ptr<const Schema> write_schema;  ///< warm columns with the table's field ids
};

/// The warm schema with the Iceberg table's field ids (matched by name).
Result<std::shared_ptr<const Schema>> WriteSchemaFor(const Schema& warm, const Schema& table) {
  auto out = std::make_shared<Schema>();
  for (const Field& f : warm.fields) {
    auto idx = table.IndexOf(f.name);
    if (!idx) {
      return MakeError(ErrorKind::kInternal, "column '{}' is missing from the Iceberg schema",
                       f.name);
    }
    Field w = f;
    w.id = table.fields[*idx].id;
    out->fields.push_back(std::move(w));
  }
  return out;
}

/// The warm columns a commit with table schema `schema_id` covered: those
/// whose names that schema has. `complete` turns false when the schema has a
/// column ClickHouse no longer returns (its checksum can't be recomputed).
std::vector<WarmColumn> ColumnsAsOf(const TableContext& ctx, std::optional<int> schema_id,
                                    bool& complete) {
  complete = true;
  if (!schema_id || !ctx.table) return ctx.columns;
  auto ts = ctx.table->metadata().SchemaById(*schema_id);
  if (!ts) return ctx.columns;
  // ClickHouse's column order: the checksum hashes columns in order.
  std::vector<WarmColumn> out;
  for (const auto& c : ctx.columns) {
    if ((*ts)->schema.IndexOf(c.first)) out.push_back(c);
  }
  complete = out.size() == (*ts)->schema.fields.size();
  return out;
}

/// The metadata `base` evolved for ClickHouse's columns: new columns added
/// (optional, fresh field ids), allowed widenings applied, columns that turned
/// Nullable made optional; `base` itself when nothing changed. Any other type
/// change is kInvalidInput naming the column. `log` reports each change.
Result<iceberg::TableMetadata> EvolveForWarm(const TableContext& ctx, iceberg::Table& table,
                                             const iceberg::TableMetadata& base, bool log) {
  const Schema& current = base.CurrentSchema().schema;
  auto update = table.NewUpdateSchema();
  bool changed = false;
  for (const Field& f : ctx.warm_schema.fields) {
    auto idx = current.IndexOf(f.name);
    if (!idx) {
      if (log) {
        spdlog::info("{}: ClickHouse added column '{}' ({}); the next commit adds it to {}",
                     ctx.cfg->name, f.name, f.type.ToString(), ctx.cfg->target);
      }
      update.AddColumn(f.name, f.type, f.doc);
      changed = true;
      continue;
    }
    const Field& cur = current.fields[*idx];
    if (cur.type == f.type) {
      if (!cur.nullable && f.nullable) {
        update.MakeOptional(f.name);
        changed = true;
      }
      continue;
    }
    if (iceberg::IsAllowedPromotion(cur.type, f.type)) {
      if (log) {
        spdlog::info("{}: the next commit widens column '{}' from {} to {}", ctx.cfg->name, f.name,
                     cur.type.ToString(), f.type.ToString());
      }
      update.UpdateColumnType(f.name, f.type);
      if (!cur.nullable && f.nullable) update.MakeOptional(f.name);
      changed = true;
      continue;
    }
    if (iceberg::IsAllowedPromotion(f.type, cur.type)) continue;  // narrower source: readable
    return MakeError(ErrorKind::kInvalidInput,
                     "{}: column '{}' changed type in ClickHouse from {} to {}, which Iceberg "
                     "cannot evolve to; nothing was written",
                     ctx.cfg->name, f.name, cur.type.ToString(), f.type.ToString());
  }
  if (!changed) return base;
  return update.Apply(base);
}

/// Sets ctx.write_schema from the table's latest metadata as the window's
/// commit will evolve it (schema drift lands in the same commit as the rows
/// that need it: a crash between the two can't leave a column without data).
Status PrepareSchema(TableContext& ctx, bool log = true) {
  K2_ASSIGN_OR_RETURN(iceberg::TableMetadata evolved,
                      EvolveForWarm(ctx, *ctx.table, ctx.table->metadata(), log));
  K2_ASSIGN_OR_RETURN(ctx.write_schema,
                      WriteSchemaFor(ctx.warm_schema, evolved.CurrentSchema().schema));
  return {};
}

/// The window commit's metadata change: evolve the latest metadata the same
/// way, and refuse (kCommitConflict, so the window is written again) when a
/// concurrent schema change gave a written column another id or type.
std::function<Result<iceberg::TableMetadata>(const iceberg::TableMetadata&)> SchemaChangeFor(
    TableContext& ctx) {
  return [&ctx](const iceberg::TableMetadata& latest) -> Result<iceberg::TableMetadata> {
    K2_ASSIGN_OR_RETURN(iceberg::TableMetadata evolved,
                        EvolveForWarm(ctx, *ctx.table, latest, /*log=*/false));
    const Schema& schema = evolved.CurrentSchema().schema;
    for (const Field& w : ctx.write_schema->fields) {
      auto idx = schema.IndexOf(w.name);
      if (!idx || schema.fields[*idx].id != w.id || schema.fields[*idx].type != w.type) {
        return MakeError(ErrorKind::kCommitConflict,
                         "the schema of {} changed concurrently (column '{}')", ctx.cfg->target,
                         w.name);
      }
    }
    return evolved;
  };
}

/// Creates the Iceberg table on first offload, and plans the schema evolution
/// when ClickHouse gained columns or widened types (committed with the next
/// window). Other differences fail the table before any data moves, naming
/// the column.
Status EnsureTable(Catalog& catalog, FileIO& io, const Config& config, TableContext& ctx) {
  K2_ASSIGN_OR_RETURN(TableIdentifier id, TableIdentifier::Parse(ctx.cfg->target));
  auto loaded = iceberg::Table::Load(catalog, io, id);
  if (!loaded && loaded.error().kind == ErrorKind::kNotFound) {
    auto ns = catalog.CreateNamespace(id.ns, {});
    if (!ns && ns.error().kind != ErrorKind::kAlreadyExists) return std::unexpected(ns.error());
    std::vector<std::pair<std::string, std::string>> parts;
    for (const auto& p : ctx.cfg->partition) {
      const TimeColumn& time = ctx.source.time;
      if (time.kind != TimeColumn::Kind::kInteger) {
        parts.emplace_back(time.name, p);
      } else if (p == "hour" || p == "day") {
        // An epoch integer has no time transforms: truncate to the same span
        // where the width fits Iceberg's int; finer units stay unpartitioned
        // (files still prune by their bounds on the column).
        int64_t width = (p == "hour" ? 3600 : 86400) * time.units_per_second;
        if (width <= std::numeric_limits<int32_t>::max()) {
          parts.emplace_back(time.name, fmt::format("truncate[{}]", width));
        } else {
          spdlog::info(
              "{}: '{}' counts {} per second; a {} is too wide for Iceberg's truncate: "
              "the table is not partitioned",
              ctx.cfg->name, time.name, time.units_per_second, p);
        }
      } else {
        return MakeError(ErrorKind::kInvalidInput,
                         "partition '{}' needs a date/time column; '{}' is an epoch integer "
                         "(use hour or day)",
                         p, time.name);
      }
    }
    // The warm schema's ids (1..n in column order) become the table's ids.
    const Schema& schema = ctx.warm_schema;
    K2_ASSIGN_OR_RETURN(iceberg::PartitionSpec spec, iceberg::PartitionSpec::Make(schema, parts));
    iceberg::CreateOptions opts;
    opts.location =
        fmt::format("{}/{}/{}", config.warehouse.location, NamespaceToString(id.ns), id.name);
    opts.properties = {
        {"write.format.default", "parquet"},
        {"write.parquet.compression-codec", config.offload.compression},
        {"write.target-file-size-bytes", std::to_string(config.offload.target_file_size_bytes)},
        {"k2.source", ctx.cfg->source},
        {"k2.time-column", ctx.source.time.name},
        {"k2.window-seconds", std::to_string(ctx.cfg->window_s)},
    };
    auto created = iceberg::Table::Create(catalog, io, id, schema, spec, opts);
    if (!created && created.error().kind == ErrorKind::kAlreadyExists) {
      loaded = iceberg::Table::Load(catalog, io, id);  // a concurrent run created it
    } else if (!created) {
      return std::unexpected(created.error().WithContext("creating " + ctx.cfg->target));
    } else {
      spdlog::info("{}: created Iceberg table {} at {}", ctx.cfg->name, ctx.cfg->target,
                   opts.location);
      loaded = std::move(created);
    }
  }
  if (!loaded) return std::unexpected(loaded.error());
  ctx.table.emplace(std::move(*loaded));

  return PrepareSchema(ctx);
}

/// The column the window's stream carries each row's checksum hash in.
constexpr const char* kRowHashColumn = "_k2_row_hash";

/// The window's query with each row's checksum hash as a last column:
/// toInt64(cityHash64(...)) over `columns` as `kind` hashes them, so the sum
/// of the column (mod 2^64) is WindowStatsSql's checksum of exactly the rows
/// streamed, taken in the same pass over the window.
std::string WithRowHash(const std::string& window_sql, const std::vector<WarmColumn>& columns,
                        ChecksumKind kind) {
  return fmt::format("SELECT *, toInt64({}) AS {} FROM ({})", RowHashSql(columns, kind),
                     kRowHashColumn, window_sql);
}

/// Streams one window's rows into Parquet files; `stats` gets the count and
/// checksum (kCommitChecksumKind) of exactly the rows written.
Result<std::vector<WrittenFile>> WriteWindow(warm::WarmDriver& driver, FileIO& io,
                                             const Config& config, TableContext& ctx,
                                             const std::string& sql, WindowStats& stats,
                                             iceberg::PartitionValues& partition,
                                             std::unique_ptr<RollingParquetWriter>& writer) {
  const iceberg::PartitionSpec& spec = ctx.table->metadata().DefaultSpec();
  K2_ASSIGN_OR_RETURN(auto source,
                      driver.Query(WithRowHash(sql, ctx.columns, kCommitChecksumKind)));
  auto reader = std::make_unique<PrefetchingReader>(std::move(source), config.warm.kind == "http");
  std::string partition_path;
  bool have_partition = false;
  writer = std::make_unique<RollingParquetWriter>(
      io, ctx.write_schema, WriterOptionsFor(config.offload), config.offload.target_file_size_bytes,
      [&] { return ctx.table->NewDataFilePath(partition_path); });
  const size_t width = ctx.write_schema->fields.size();
  uint64_t checksum = 0;  // ClickHouse's sum(UInt64) wraps the same way
  int64_t rows = 0;
  for (;;) {
    K2_ASSIGN_OR_RETURN(ColumnBatch * batch, reader->Next());
    if (batch == nullptr) break;
    if (batch->num_rows() == 0) continue;
    if (batch->columns.size() != width + 1 || batch->columns.back().type() != DataType::Int64() ||
        batch->schema->fields.back().name != kRowHashColumn) {
      return MakeError(ErrorKind::kInvalidInput,
                       "{}: the query returned {} columns, DESCRIBE said {} (plus {})",
                       ctx.cfg->name, batch->columns.size(), width, kRowHashColumn);
    }
    for (int64_t h : batch->columns.back().Values<int64_t>()) checksum += static_cast<uint64_t>(h);
    rows += static_cast<int64_t>(batch->num_rows());
    // Written without the hash column, labelled with the table's field ids;
    // the batch is the reader's again after the write.
    Column hashes = std::move(batch->columns.back());
    batch->columns.pop_back();
    batch->schema = ctx.write_schema;
    if (!have_partition) {
      K2_ASSIGN_OR_RETURN(partition, spec.PartitionFor(*batch, 0));
      partition_path = spec.PartitionPath(partition);
      have_partition = true;
    }
    Status written = writer->Write(*batch);
    batch->columns.push_back(std::move(hashes));
    K2_RETURN_IF_ERROR(written);
  }
  stats.rows = rows;
  stats.checksum = std::to_string(checksum);
  return writer->Finish();
}

std::string NewRunId() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

/// Whether `url`'s host is this machine (loopback), where compressing the
/// response only costs the server and k2 CPU.
bool IsLocalUrl(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  std::string host;
  if (start < url.size() && url[start] == '[') {
    host = url.substr(start + 1, url.find(']', start) - start - 1);
  } else {
    host = url.substr(start, url.find_first_of(":/?", start) - start);
  }
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

/// A time-column predicate selecting [start, end) in the column's own type.
Predicate WindowPredicate(const TimeColumn& time, const Window& w) {
  Predicate p;
  for (const auto& [op, us] :
       {std::pair{CompareOp::kGe, w.start_us}, std::pair{CompareOp::kLt, w.end_us}}) {
    PredicateTerm t;
    t.column = time.name;
    t.op = op;
    t.literal_text = time.ColdLiteral(us);
    p.terms.push_back(std::move(t));
  }
  return p;
}

/// The instant of a file's bound (Iceberg single-value binary) on the time column.
std::optional<int64_t> BoundMicros(const TimeColumn& time, const Field& field,
                                   const std::string& bytes) {
  auto v = DecodeSingleValue(field.type, bytes);
  if (!v) return std::nullopt;
  if (std::holds_alternative<int64_t>(v->data)) {
    return time.MicrosOf(field.type.id, std::get<int64_t>(v->data));
  }
  if (std::holds_alternative<int32_t>(v->data)) {
    return time.MicrosOf(field.type.id, std::get<int32_t>(v->data));
  }
  return std::nullopt;
}

/// Whether the file's bounds on the time column lie inside `w`: every row it
/// holds belongs to the window.
bool FileInsideWindow(const iceberg::DataFile& file, const Field& time_field,
                      const TimeColumn& time, const Window& w) {
  auto lo = file.lower_bounds.find(time_field.id);
  auto hi = file.upper_bounds.find(time_field.id);
  if (lo == file.lower_bounds.end() || hi == file.upper_bounds.end()) return false;
  auto l = BoundMicros(time, time_field, lo->second);
  auto h = BoundMicros(time, time_field, hi->second);
  return l && h && *l >= w.start_us && *h < w.end_us;
}

/// The rows of a file that lie outside a window, rewritten into new files.
struct KeptRows {
  std::unique_ptr<RollingParquetWriter> writer;  ///< for Abort() if the commit fails
  std::vector<iceberg::DataFile> files;
};

/// Rewrites the live rows of `task` (its deletes applied) outside window `w`
/// into new files of the same partition: what an exact replace keeps of a
/// file that also holds other windows (after compaction). One streaming read;
/// holds one batch and one row group at a time.
Result<KeptRows> RewriteOutsideWindow(const iceberg::Table& table, FileIO& io, const Config& config,
                                      const iceberg::FileScanTask& task, const TimeColumn& time,
                                      const Window& w) {
  K2_ASSIGN_OR_RETURN(const iceberg::PartitionSpec* spec,
                      table.metadata().SpecById(task.file.spec_id));
  std::string partition_path = spec->PartitionPath(task.file.partition);
  auto scan = table.NewScan();
  K2_ASSIGN_OR_RETURN(Schema projected, scan.ProjectedSchema());
  auto schema = std::make_shared<const Schema>(std::move(projected));
  std::optional<size_t> time_index = schema->IndexOf(time.name);
  if (!time_index) {
    return MakeError(ErrorKind::kInternal, "time column '{}' is not in the table schema",
                     time.name);
  }
  KeptRows out;
  out.writer = std::make_unique<RollingParquetWriter>(
      io, schema, WriterOptionsFor(config.offload), config.offload.target_file_size_bytes,
      [&table, partition_path] { return table.NewDataFilePath(partition_path); });
  K2_ASSIGN_OR_RETURN(auto reader, scan.ToBatchReader({task}));
  ColumnBatch kept(schema);
  for (;;) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* batch, reader->Next());
    if (batch == nullptr) break;
    const Column& tc = batch->columns[*time_index];
    kept.Clear();
    for (size_t row = 0; row < batch->num_rows(); ++row) {
      if (auto us = time.ColdMicros(tc, row); us && *us >= w.start_us && *us < w.end_us) {
        continue;  // the window's row: replaced
      }
      for (size_t c = 0; c < kept.columns.size(); ++c) {
        kept.columns[c].AppendFrom(batch->columns[c], row);
      }
    }
    if (kept.num_rows() > 0) K2_RETURN_IF_ERROR(out.writer->Write(kept));
  }
  K2_ASSIGN_OR_RETURN(auto written, out.writer->Finish());
  for (const auto& f : written) {
    out.files.push_back(
        iceberg::MakeDataFile(f.metrics, f.path, task.file.spec_id, task.file.partition));
  }
  return out;
}

/// Whether ClickHouse no longer holds window `w`: no rows this old at all.
Result<bool> WarmExpired(warm::WarmDriver& warm, const WarmSource& source, const Window& w,
                         std::optional<std::optional<int64_t>>& oldest_cache) {
  if (!oldest_cache) {
    K2_ASSIGN_OR_RETURN(auto oldest, OldestWarmUs(warm, source));
    oldest_cache = oldest;
  }
  return !*oldest_cache || **oldest_cache >= w.end_us;
}

}  // namespace

Result<std::unique_ptr<warm::WarmDriver>> OpenWarmDriver(const Config& config) {
  warm::TypeMappingOptions types;
  types.uint64_as_decimal = config.offload.uint64_mode == "decimal";
  types.datetime64_nanos = config.offload.datetime64_ns_mode == "nanos";
  if (config.warm.kind == "http") {
    warm::HttpDriverOptions o;
    o.url = config.warm.url;
    o.user = config.warm.user;
    o.password = config.warm.password;
    o.database = config.warm.database;
    o.connect_timeout_s = config.warm.connect_timeout_s;
    o.query_timeout_s = config.warm.query_timeout_s;
    o.retries = config.warm.retries;
    o.ca_file = config.warm.ca_file;
    o.compression = config.warm.compression == "on" ||
                    (config.warm.compression == "auto" && !IsLocalUrl(config.warm.url));
    o.types = types;
    return warm::OpenHttpDriver(o);
  }
  warm::EmbeddedDriverOptions o;
  o.data_dir = config.warm.data_dir;
  o.library_path = config.warm.chdb_library;
  o.types = types;
  return warm::OpenEmbeddedDriver(o);
}

bool OffloadReport::ok() const {
  return std::none_of(tables.begin(), tables.end(), [](const auto& t) { return t.error; });
}

bool OffloadReport::all_failed() const {
  return !tables.empty() &&
         std::all_of(tables.begin(), tables.end(), [](const auto& t) { return t.error; });
}

int64_t OffloadReport::total_rows() const {
  int64_t n = 0;
  for (const auto& t : tables) {
    for (const auto& w : t.windows) n += w.rows;
  }
  return n;
}

nlohmann::json OffloadReport::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tables) {
    nlohmann::json jt = {{"table", t.table}, {"target", t.target}, {"lag_seconds", t.lag_seconds}};
    if (t.watermark_us) jt["watermark"] = FormatTimestampMicros(*t.watermark_us) + "Z";
    if (t.error) {
      jt["error"] = t.error->message;
      jt["error_kind"] = std::string(ErrorKindName(t.error->kind));
    }
    nlohmann::json ws = nlohmann::json::array();
    for (const auto& w : t.windows) {
      nlohmann::json jw = {{"window", w.window.ToString()},
                           {"action", w.action},
                           {"rows", w.rows},
                           {"bytes", w.bytes},
                           {"files", w.files},
                           {"seconds", w.seconds}};
      if (!w.reason.empty()) jw["reason"] = w.reason;
      if (w.snapshot_id) jw["snapshot_id"] = w.snapshot_id;
      ws.push_back(std::move(jw));
    }
    jt["windows"] = std::move(ws);
    out.push_back(std::move(jt));
  }
  return out;
}

OffloadJob::OffloadJob(const Config& config, Catalog& catalog, FileIO& io, WarmFactory warm)
    : config_(config), catalog_(catalog), io_(io), warm_(std::move(warm)) {}

Result<OffloadJob::RunWindows> OffloadJob::ParseWindows(
    const OffloadOptions& options, const std::vector<const TableConfig*>& selected) {
  if (options.replace && options.window.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "--replace needs --window");
  }
  if (!options.until.empty() && options.window.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "--until needs --window");
  }
  if (options.force && !options.replace) {
    return MakeError(ErrorKind::kInvalidInput, "--force goes with --replace");
  }
  // Windows that cannot be right are usage errors, before any table runs.
  RunWindows windows;
  if (!options.window.empty()) {
    auto at = ParseTimestampMicros(options.window);
    if (!at) {
      return MakeError(ErrorKind::kInvalidInput, "--window '{}': {}", options.window,
                       at.error().message);
    }
    constexpr int64_t kMaxUs = int64_t{253402300800} * kMicrosPerSecond;  // 10000-01-01
    if (*at < 0 || *at >= kMaxUs) {
      return MakeError(ErrorKind::kInvalidInput,
                       "--window '{}' is outside 1970-01-01 .. 9999-12-31", options.window);
    }
    int64_t finest = 0;
    for (const TableConfig* t : selected) {
      finest = finest == 0 ? t->window_s : std::min(finest, t->window_s);
    }
    if (finest > 0 && *at % (finest * kMicrosPerSecond) != 0) {
      return MakeError(ErrorKind::kInvalidInput,
                       "--window '{}' is not the start of a {}s window (windows start on the "
                       "{} in UTC)",
                       options.window, finest, finest % 86400 == 0 ? "day" : "hour");
    }
    windows.from_us = *at;
    windows.until_us = *at + 1;
    if (!options.until.empty()) {
      auto until = ParseTimestampMicros(options.until);
      if (!until) {
        return MakeError(ErrorKind::kInvalidInput, "--until '{}': {}", options.until,
                         until.error().message);
      }
      if (*until <= *at) {
        return MakeError(ErrorKind::kInvalidInput, "--until '{}' is not after --window '{}'",
                         options.until, options.window);
      }
      if (*until > kMaxUs) {
        return MakeError(ErrorKind::kInvalidInput, "--until '{}' is after 9999-12-31",
                         options.until);
      }
      windows.until_us = *until;
    }
  }
  return windows;
}

Status CheckOffloadOptions(const Config& config, const OffloadOptions& options) {
  K2_ASSIGN_OR_RETURN(std::vector<const TableConfig*> selected,
                      config.SelectTables(options.tables, options.layer));
  K2_RETURN_IF_ERROR(OffloadJob::ParseWindows(options, selected));
  return OkStatus();
}

Result<OffloadReport> OffloadJob::Run(const OffloadOptions& options) {
  K2_ASSIGN_OR_RETURN(std::vector<const TableConfig*> selected,
                      config_.SelectTables(options.tables, options.layer));
  K2_ASSIGN_OR_RETURN(RunWindows windows, ParseWindows(options, selected));
  int64_t now_us = options.now_us ? options.now_us : SystemNowUs();
  std::string run_id = NewRunId();

  OffloadReport report;
  report.tables.resize(selected.size());
  std::mutex mu;
  size_t next = 0;
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard lock(mu);
        if (next >= selected.size()) return;
        i = next++;
      }
      report.tables[i] = RunTable(*selected[i], options, windows, now_us, run_id);
    }
  };
  size_t n = std::min<size_t>(
      selected.size(), static_cast<size_t>(std::max(1, config_.offload.max_parallel_tables)));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return report;
}

namespace {

/// What the offload of one table's windows shares across them.
struct WindowJob {
  const Config& config;
  FileIO& io;
  TableContext& ctx;
  warm::WarmDriver& warm;
  const OffloadOptions& options;
  const std::string& run_id;
  /// Empty windows written since the last commit: recorded by the next one.
  std::vector<WindowRecord> empties;
  std::optional<std::optional<int64_t>> oldest_warm;  ///< asked once, when needed
};

/// The window commit's metadata change: the schema evolution, and the ledger
/// with this window (and the empty windows before it) recorded, naming the
/// snapshot `update` adds.
template <typename Update>
void RecordInLedger(WindowJob& j, Update& update, const WindowRecord& record) {
  auto schema_change = SchemaChangeFor(j.ctx);
  update.ChangeMetadata(
      [&j, &update, record,
       schema_change](const iceberg::TableMetadata& latest) -> Result<iceberg::TableMetadata> {
        K2_ASSIGN_OR_RETURN(iceberg::TableMetadata evolved, schema_change(latest));
        K2_ASSIGN_OR_RETURN(OffloadLedger ledger, OffloadLedger::FromMetadata(latest));
        for (WindowRecord e : j.empties) {
          if (ledger.Contains(e.window)) continue;
          e.schema_id = evolved.current_schema_id;
          ledger.Record(e);
        }
        WindowRecord r = record;
        r.snapshot_id = update.snapshot_id();
        r.schema_id = evolved.current_schema_id;
        ledger.Record(r);
        evolved.properties[kLedgerProperty] = ledger.ToProperty();
        return evolved;
      });
}

/// Streams and commits one planned window (retrying a lost commit race).
Result<WindowOutcome> OffloadWindow(WindowJob& j, const PlannedWindow& p) {
  auto t0 = Clock::now();
  const TableConfig& cfg = *j.ctx.cfg;
  WindowOutcome wo;
  wo.window = p.window;
  if (p.replace) wo.reason = fmt::format("{}: {}", PlanReasonName(p.reason), p.detail);
  const std::string sql = j.ctx.source.WindowSql(p.window);

  for (int attempt = 1;; ++attempt) {
    K2_RETURN_IF_ERROR(j.ctx.table->Refresh());
    K2_RETURN_IF_ERROR(PrepareSchema(j.ctx, /*log=*/false));
    K2_ASSIGN_OR_RETURN(OffloadLedger latest, OffloadLedger::FromMetadata(j.ctx.table->metadata()));
    std::optional<WindowRecord> existing = latest.Find(p.window);
    if (existing && !p.replace) {
      wo.action = "skipped";
      wo.reason = existing->run_id == j.run_id ? "committed by this run"
                                               : "already committed (run " + existing->run_id + ")";
      return wo;
    }
    const int64_t expected_snapshot = existing ? existing->snapshot_id : 0;

    // The window's count and checksum are those of the rows streamed.
    std::unique_ptr<RollingParquetWriter> writer;
    iceberg::PartitionValues partition;
    WindowStats stats;
    auto files = WriteWindow(j.warm, j.io, j.config, j.ctx, sql, stats, partition, writer);
    if (!files) {
      if (writer) writer->Abort();
      return std::unexpected(files.error().WithContext(p.window.ToString()));
    }
    WindowRecord record;
    record.window = p.window;
    record.source_rows = stats.rows;
    record.source_checksum = stats.checksum;
    record.checksum_kind = ChecksumKindName(kCommitChecksumKind);
    record.run_id = j.run_id;
    if (j.options.cancelled && j.options.cancelled()) {
      writer->Abort();
      return MakeError(ErrorKind::kCancelled, "cancelled before commit");
    }
    if (stats.rows == 0 && !p.replace) {
      // No snapshot for an empty window: the next commit records it.
      writer->Abort();
      j.empties.push_back(record);
      wo.action = "empty";
      wo.reason = "no rows: recorded in the ledger without a snapshot";
      wo.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      return wo;
    }
    if (stats.rows == 0 && p.replace && (!existing || existing->source_rows != 0)) {
      // Never empty a cold window because ClickHouse dropped it.
      K2_ASSIGN_OR_RETURN(bool expired, WarmExpired(j.warm, j.ctx.source, p.window, j.oldest_warm));
      if (expired && !j.options.force) {
        writer->Abort();
        return MakeError(ErrorKind::kInvalidInput,
                         "window {}: ClickHouse no longer holds it (no warm rows this old), so a "
                         "replace would empty the cold window{}; nothing was changed (--force "
                         "replaces it with nothing)",
                         p.window.ToString(),
                         existing && existing->detailed()
                             ? fmt::format(" and its {} committed rows", existing->source_rows)
                             : "");
      }
    }

    // Validation re-run against the latest state on every commit attempt.
    bool lost_race = false;
    bool ours = false;
    auto validate = [&, window = p.window, replace = p.replace,
                     expected_snapshot](const iceberg::TableMetadata& m) -> Status {
      K2_ASSIGN_OR_RETURN(OffloadLedger l, OffloadLedger::FromMetadata(m));
      std::optional<WindowRecord> r = l.Find(window);
      if (!replace && r) {
        (r->run_id == j.run_id ? ours : lost_race) = true;
        return MakeError(ErrorKind::kCommitConflict, "window {} was committed meanwhile",
                         window.ToString());
      }
      if (replace && (r ? r->snapshot_id : 0) != expected_snapshot) {
        lost_race = true;
        return MakeError(ErrorKind::kCommitConflict, "window {} was replaced meanwhile",
                         window.ToString());
      }
      return {};
    };
    int64_t bytes = 0;
    std::vector<iceberg::DataFile> data_files;
    for (const auto& f : *files) {
      bytes += f.metrics.file_size_in_bytes;
      data_files.push_back(iceberg::MakeDataFile(
          f.metrics, f.path, j.ctx.table->metadata().DefaultSpec().spec_id, partition));
    }
    auto summary = SummaryFor(cfg.name, record, p.replace);
    // Writers of files a replace rewrote (their rows outside the window).
    std::vector<std::unique_ptr<RollingParquetWriter>> kept;
    auto abort_all = [&] {
      writer->Abort();
      for (auto& k : kept) k->Abort();
    };
    Result<int64_t> committed = 0;
    if (!p.replace) {
      auto append = j.ctx.table->NewFastAppend();
      for (auto& f : data_files) append.AppendFile(std::move(f));
      for (const auto& [k, v] : summary) append.Set(k, v);
      append.Validate(validate);
      RecordInLedger(j, append, record);
      committed = append.Commit();
    } else {
      // Exact replace: drop every file holding rows of this window. Files
      // that also hold other windows (after compaction) are rewritten
      // without the window's rows; deletes are applied on the way.
      auto scan = j.ctx.table->NewScan();
      scan.Filter(WindowPredicate(j.ctx.source.time, p.window));
      auto tasks = scan.PlanFiles();
      if (!tasks) {
        abort_all();
        return std::unexpected(tasks.error());
      }
      auto overwrite = j.ctx.table->NewOverwrite();
      const Schema& schema = j.ctx.table->schema();
      const Field& tf = schema.fields[*schema.IndexOf(j.ctx.source.time.name)];
      for (const auto& task : *tasks) {
        overwrite.DeleteFile(task.file.file_path);
        if (FileInsideWindow(task.file, tf, j.ctx.source.time, p.window)) continue;
        auto kept_rows =
            RewriteOutsideWindow(*j.ctx.table, j.io, j.config, task, j.ctx.source.time, p.window);
        if (!kept_rows) {
          abort_all();
          return std::unexpected(kept_rows.error().WithContext(
              fmt::format("{}: rewriting {}", p.window.ToString(), task.file.file_path)));
        }
        spdlog::info("{} {}: {} also holds other windows; kept its other rows in {} new file(s)",
                     cfg.name, p.window.ToString(), task.file.file_path, kept_rows->files.size());
        for (auto& f : kept_rows->files) {
          bytes += f.file_size_in_bytes;
          overwrite.AddFile(std::move(f));
        }
        kept.push_back(std::move(kept_rows->writer));
      }
      for (auto& f : data_files) overwrite.AddFile(std::move(f));
      for (const auto& [k, v] : summary) overwrite.Set(k, v);
      overwrite.Validate(validate);
      RecordInLedger(j, overwrite, record);
      committed = overwrite.Commit();
    }
    if (committed || ours) {
      // An unknown outcome that did land shows up as "ours" on the retry.
      j.empties.clear();
      wo.action = p.replace ? "replace" : "append";
      wo.rows = record.source_rows;
      wo.bytes = bytes;
      wo.files = static_cast<int64_t>(files->size());
      if (committed) wo.snapshot_id = *committed;
      wo.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      return wo;
    }
    if (committed.error().kind == ErrorKind::kCommitStateUnknown) {
      // Never delete files that may be committed.
      return std::unexpected(committed.error().WithContext(p.window.ToString()));
    }
    abort_all();  // never committed: remove its files
    if (lost_race && !p.replace) {
      wo.action = "skipped";
      wo.reason = "committed concurrently by another run";
      return wo;
    }
    if (attempt >= 3) return std::unexpected(committed.error().WithContext(p.window.ToString()));
    spdlog::warn("{} {}: {}; retrying", cfg.name, p.window.ToString(),
                 committed.error().ToString());
  }
}

}  // namespace

TableOutcome OffloadJob::RunTable(const TableConfig& cfg, const OffloadOptions& options,
                                  const RunWindows& windows, int64_t now_us,
                                  const std::string& run_id) {
  TableOutcome out;
  out.table = cfg.name;
  out.target = cfg.target;
  auto fail = [&](const Error& e) {
    out.error = e.WithContext(cfg.name);
    spdlog::error("{}", out.error->message);
    return out;
  };

  TableContext ctx;
  ctx.cfg = &cfg;
  auto driver = warm_();
  if (!driver) return fail(driver.error());
  warm::WarmDriver& warm = **driver;
  // 1. Resolve the source: query, time column, FINAL, schema (before any data moves).
  auto source = ResolveWarmSource(warm, cfg);
  if (!source) return fail(source.error());
  ctx.source = std::move(*source);
  ctx.columns = ctx.source.columns;
  for (const auto& p : cfg.partition) {
    int64_t gran = TransformSeconds(p);
    if (gran == 0 || (gran < cfg.window_s)) {
      return fail({ErrorKind::kInvalidInput,
                   fmt::format("partition '{}' is finer than the {}s window: a window must fall "
                               "in one partition",
                               p, cfg.window_s)});
    }
  }
  warm::TypeMappingOptions types;
  types.uint64_as_decimal = config_.offload.uint64_mode == "decimal";
  types.datetime64_nanos = config_.offload.datetime64_ns_mode == "nanos";
  auto mapped = warm::MapClickHouseColumns(ctx.columns, types);
  if (!mapped) return fail(mapped.error());
  ctx.warm_schema = warm::SchemaOf(ctx.columns, *mapped);
  if (options.dry_run) {
    // Plan without creating anything.
    auto id = TableIdentifier::Parse(cfg.target);
    if (!id) return fail(id.error());
    auto loaded = iceberg::Table::Load(catalog_, io_, *id);
    if (loaded) {
      ctx.table.emplace(std::move(*loaded));
    } else if (loaded.error().kind != ErrorKind::kNotFound) {
      return fail(loaded.error());
    }
  } else if (auto st = EnsureTable(catalog_, io_, config_, ctx); !st) {
    return fail(st.error());
  }

  // 2. Plan.
  OffloadLedger ledger;
  if (ctx.table) {
    auto read = OffloadLedger::FromMetadata(ctx.table->metadata());
    if (!read) return fail(read.error());
    ledger = std::move(*read);
  }
  out.watermark_us = ledger.WatermarkUs();
  WindowJob job{config_, io_, ctx, warm, options, run_id, {}, {}};
  std::vector<PlannedWindow> plan;
  if (windows.from_us) {
    Window first = WindowContaining(*windows.from_us, cfg.window_s);
    Window last = WindowContaining(windows.until_us - 1, cfg.window_s);
    if (first.start_us != *windows.from_us) {
      // A coarser table (daily candles in an hourly --window): the windows
      // containing the range, those that have closed; a clear skip otherwise.
      const int64_t settle_us = config_.offload.settle_delay_s * kMicrosPerSecond;
      while (last.start_us >= first.start_us && last.end_us + settle_us > now_us) {
        last = {last.start_us - cfg.window_s * kMicrosPerSecond, last.start_us};
      }
      if (last.start_us < first.start_us) {
        WindowOutcome wo;
        wo.window = first;
        wo.action = "skipped";
        wo.reason = fmt::format("the {}s window containing --window has not closed", cfg.window_s);
        out.windows.push_back(std::move(wo));
        return out;
      }
    }
    auto planned = PlanExplicit(ledger, first, last, cfg.window_s, options.replace, now_us,
                                config_.offload.settle_delay_s);
    if (!planned) return fail(planned.error());
    plan = std::move(*planned);
  } else {
    CatchUpInput in;
    in.ledger = &ledger;
    in.now_us = now_us;
    in.window_s = cfg.window_s;
    in.settle_s = config_.offload.settle_delay_s;
    in.max_windows = static_cast<size_t>(config_.offload.max_windows_per_run);
    // Late rows: windows whose warm count or checksum moved since commit,
    // recomputed the way it was recorded, over the columns the commit had
    // (a column added since then does not make every window look changed).
    for (const WindowRecord& r :
         ledger.Newest(static_cast<size_t>(config_.offload.late_check_windows))) {
      auto kind = ParseChecksumKind(r.checksum_kind);
      if (!kind) return fail(kind.error());
      WarmCheck check;
      check.record = r;
      std::vector<WarmColumn> columns = ColumnsAsOf(ctx, r.schema_id, check.checksum_comparable);
      auto stats = QueryWindowStats(warm, ctx.source.WindowSql(r.window), columns, *kind);
      if (!stats) return fail(stats.error());
      check.warm_rows = stats->rows;
      check.warm_checksum = stats->checksum;
      if (check.warm_rows == 0 && r.source_rows > 0) {
        auto expired = WarmExpired(warm, ctx.source, r.window, job.oldest_warm);
        if (!expired) return fail(expired.error());
        check.warm_expired = *expired;
      }
      in.checks.push_back(std::move(check));
    }
    if (!ledger.WatermarkUs()) {
      auto oldest = OldestWarmUs(warm, ctx.source);
      if (!oldest) return fail(oldest.error());
      in.oldest_warm_us = *oldest;
      job.oldest_warm = *oldest;
    }
    plan = PlanCatchUp(in);
  }
  int64_t closed_end =
      WindowContaining(now_us - config_.offload.settle_delay_s * kMicrosPerSecond, cfg.window_s)
          .start_us;

  // Rows per new window, in one grouped query when there are several: empty
  // windows (an outage's catch-up, a quiet table) are recorded without a
  // stream each; the dry run shows the counts.
  std::map<int64_t, int64_t> warm_rows;
  bool counted = false;
  {
    std::optional<Window> span;
    size_t to_write = 0;
    for (const auto& p : plan) {
      if (p.skip) continue;
      ++to_write;
      span = span ? Window{span->start_us, std::max(span->end_us, p.window.end_us)} : p.window;
      span->start_us = std::min(span->start_us, p.window.start_us);
    }
    if (span && (options.dry_run || to_write > 2)) {
      auto rows = WarmRowsByWindow(warm, ctx.source, span->start_us, span->end_us, cfg.window_s);
      if (!rows) return fail(rows.error());
      warm_rows = std::move(*rows);
      counted = true;
    }
  }

  if (options.dry_run) {
    for (const auto& p : plan) {
      WindowOutcome wo;
      wo.window = p.window;
      if (p.skip) {
        wo.action = "committed";
        wo.reason = "already committed; --replace re-offloads it";
      } else {
        wo.action = "planned";
        wo.reason = p.replace ? fmt::format("replace ({}): {}", PlanReasonName(p.reason), p.detail)
                              : "append (new)";
        auto n = warm_rows.find(p.window.start_us);
        wo.rows = n == warm_rows.end() ? 0 : n->second;
      }
      out.windows.push_back(std::move(wo));
    }
    if (out.watermark_us)
      out.lag_seconds = std::max<int64_t>(0, closed_end - *out.watermark_us) / kMicrosPerSecond;
    return out;
  }

  // 3 + 4. Write and commit each window, oldest first.
  for (const PlannedWindow& p : plan) {
    if (p.skip) {
      auto r = ledger.Find(p.window);
      WindowOutcome wo;
      wo.window = p.window;
      wo.action = "skipped";
      wo.reason = r && r->snapshot_id
                      ? fmt::format("already committed (snapshot {}); --replace re-offloads it",
                                    r->snapshot_id)
                      : "already committed; --replace re-offloads it";
      out.windows.push_back(std::move(wo));
      continue;
    }
    if (counted && !p.replace && !warm_rows.count(p.window.start_us)) {
      // Known empty: recorded by the next commit, nothing streamed. Rows that
      // arrive later are late rows, found by the next run's check.
      WindowRecord r;
      r.window = p.window;
      r.source_rows = 0;
      r.source_checksum = "0";
      r.checksum_kind = ChecksumKindName(kCommitChecksumKind);
      r.run_id = run_id;
      job.empties.push_back(std::move(r));
      WindowOutcome wo;
      wo.window = p.window;
      wo.action = "empty";
      wo.reason = "no rows: recorded in the ledger without a snapshot";
      out.windows.push_back(std::move(wo));
      continue;
    }
    auto wo = OffloadWindow(job, p);
    if (!wo) return fail(wo.error());
    if (wo->action == "append" || wo->action == "replace") {
      spdlog::info("{} {}: {} {} rows in {} files ({} bytes) in {:.2f}s", cfg.name,
                   p.window.ToString(), wo->action, wo->rows, wo->files, wo->bytes, wo->seconds);
    }
    out.windows.push_back(std::move(*wo));
  }
  if (!job.empties.empty()) {
    // Trailing empty windows: one metadata commit records them all.
    LedgerUpdate update(job.empties);
    if (auto st = ctx.table->CommitUpdate(update); !st) {
      return fail(st.error().WithContext("recording empty windows"));
    }
    spdlog::info("{}: recorded {} empty window(s) in the ledger", cfg.name, job.empties.size());
  }
  if (ctx.table) {
    if (ctx.table->Refresh()) {
      if (auto l = OffloadLedger::FromMetadata(ctx.table->metadata())) {
        out.watermark_us = l->WatermarkUs();
      }
    }
  }
  if (out.watermark_us) {
    out.lag_seconds = std::max<int64_t>(0, closed_end - *out.watermark_us) / kMicrosPerSecond;
  }
  return out;
}

}  // namespace k2::jobs
