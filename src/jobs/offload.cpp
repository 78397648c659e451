#include "jobs/offload.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "iceberg/scan.h"
#include "iceberg/table.h"
#include "jobs/offload_ledger.h"
#include "jobs/rolling_writer.h"
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

/// Where a table's rows come from.
struct Source {
  std::string query_template;  ///< with {start} and {end}
  std::string time_column;
  bool sorted = false;  ///< the query orders rows by (symbol, time)
};

/// The reference table `t` reads by default (no query, no time column in the
/// config), if any.
bool UsesReferenceQuery(const TableConfig& t) {
  if (!t.query.empty() || !t.time_column.empty()) return false;
  for (const auto& r : warm::ReferenceTables()) {
    if (r.name == t.source) return true;
  }
  return false;
}

Source ResolveSource(const TableConfig& t, warm::SchemaFlavor flavor) {
  const warm::ReferenceTable* ref = nullptr;
  for (const auto& r : warm::ReferenceTables(flavor)) {
    if (r.name == t.source) ref = &r;
  }
  Source s;
  s.time_column = !t.time_column.empty() ? t.time_column : (ref ? ref->time_column : "");
  if (!t.query.empty()) {
    s.query_template = t.query;
  } else if (ref && t.time_column.empty()) {
    s.query_template = ref->offload_select;
  } else if (!s.time_column.empty()) {
    s.query_template = fmt::format(
        "SELECT * FROM {} WHERE {} >= {{start}} AND {} < {{end}}", warm::QuoteTableName(t.source),
        warm::QuoteIdentifier(s.time_column), warm::QuoteIdentifier(s.time_column));
  }
  return s;
}

/// Fills {start}/{end} with DateTime literals (whole seconds: windows are
/// aligned). toDateTime(N, 'UTC') compares exactly with DateTime, DateTime64
/// and Date columns on every ClickHouse version k2 supports (18.16 has no
/// DateTime64 literals).
std::string WindowSql(const std::string& tmpl, const Window& w) {
  auto lit = [](int64_t us) { return fmt::format("toDateTime({}, 'UTC')", us / kMicrosPerSecond); };
  std::string out;
  out.reserve(tmpl.size() + 64);
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl.compare(i, 7, "{start}") == 0) {
      out += lit(w.start_us);
      i += 7;
    } else if (tmpl.compare(i, 5, "{end}") == 0) {
      out += lit(w.end_us);
      i += 5;
    } else {
      out.push_back(tmpl[i++]);
    }
  }
  return out;
}

/// Start of the oldest row in the source (for a table's first offload).
Result<std::optional<int64_t>> OldestWarmUs(warm::WarmDriver& driver, const TableConfig& t,
                                            const Source& s) {
  std::string sql =
      fmt::format("SELECT count(), toInt64(toUnixTimestamp(min({}))) FROM {}",
                  warm::QuoteIdentifier(s.time_column), warm::QuoteTableName(t.source));
  K2_ASSIGN_OR_RETURN(std::string out, driver.Execute(sql));
  auto f = warm::TsvFirstRow(out);
  if (f.size() < 2) return MakeError(ErrorKind::kRemote, "unexpected answer to '{}': {}", sql, out);
  K2_ASSIGN_OR_RETURN(int64_t rows, warm::ParseTsvInt(f[0], "row count of " + t.source));
  if (rows == 0) return std::optional<int64_t>{};
  K2_ASSIGN_OR_RETURN(int64_t oldest_s, warm::ParseTsvInt(f[1], "oldest row of " + t.source));
  return std::optional<int64_t>{oldest_s * kMicrosPerSecond};
}

std::vector<AncestorSummary> AncestryOf(const iceberg::TableMetadata& m) {
  std::vector<AncestorSummary> out;
  for (const iceberg::Snapshot* s : m.MainAncestry()) {
    out.push_back({s->snapshot_id, s->summary, s->schema_id});
  }
  return out;
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
  Source source;
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
    for (const auto& p : ctx.cfg->partition) parts.emplace_back(ctx.source.time_column, p);
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
        {"k2.time-column", ctx.source.time_column},
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

/// Pulls batches from a reader on its own thread, one batch ahead of the
/// consumer, so the server keeps streaming (and k2 keeps decoding) while the
/// previous batch is encoded. Three batches rotate between the reader, the
/// hand-over slot and the consumer, keeping their buffers. Unthreaded, it
/// takes the reader's batch on the caller's thread (the embedded engine's
/// streams must stay on the thread that opened them).
class PrefetchingReader {
 public:
  PrefetchingReader(std::unique_ptr<BatchReader> reader, bool threaded)
      : reader_(std::move(reader)) {
    if (threaded) thread_ = std::thread([this] { Produce(); });
  }
  PrefetchingReader(const PrefetchingReader&) = delete;
  PrefetchingReader& operator=(const PrefetchingReader&) = delete;
  ~PrefetchingReader() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  /// The next batch (nullptr at the end), the caller's to change until the
  /// next call.
  Result<ColumnBatch*> Next() {
    if (!thread_.joinable()) {
      K2_ASSIGN_OR_RETURN(const ColumnBatch* next, reader_->Next());
      if (next == nullptr) return nullptr;
      // The reader reuses its batch: moved (or else copied) into current_.
      if (!reader_->TakeBatch(current_)) current_ = *next;
      return &current_;
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return ready_ || done_; });
    if (ready_) {
      std::swap(current_, slot_);  // the old current_ goes back to the producer
      ready_ = false;
      cv_.notify_all();
      return &current_;
    }
    if (error_) return std::unexpected(*error_);
    return nullptr;
  }

 private:
  void Produce() {
    for (;;) {
      auto next = reader_->Next();
      // The reader reuses its batch: it is moved (or else copied) into
      // work_, whose buffers rotate through slot_ and current_ back to the
      // reader, keeping their capacity.
      bool have = next && *next != nullptr;
      if (have && !reader_->TakeBatch(work_)) work_ = **next;
      std::unique_lock lock(mu_);
      if (!have) {
        if (!next) error_ = next.error();
        done_ = true;
        cv_.notify_all();
        return;
      }
      cv_.wait(lock, [this] { return !ready_ || stop_; });
      if (stop_) return;
      std::swap(slot_, work_);
      ready_ = true;
      cv_.notify_all();
    }
  }

  std::unique_ptr<BatchReader> reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  ColumnBatch work_;  ///< producer's copy in progress
  ColumnBatch slot_;  ///< the batch handed over (valid when ready_)
  bool ready_ = false;
  ColumnBatch current_;  ///< the consumer's batch
  std::optional<Error> error_;
  bool done_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

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

/// A time-column predicate selecting [start, end).
Predicate WindowPredicate(const std::string& column, const Window& w) {
  Predicate p;
  for (const auto& [op, us] :
       {std::pair{CompareOp::kGe, w.start_us}, std::pair{CompareOp::kLt, w.end_us}}) {
    PredicateTerm t;
    t.column = column;
    t.op = op;
    t.literal_text = FormatTimestampMicros(us);
    p.terms.push_back(std::move(t));
  }
  return p;
}

/// Whether the file's bounds on `time_field` lie inside `w`: every row it
/// holds belongs to the window.
bool FileInsideWindow(const iceberg::DataFile& file, const Field& time_field, const Window& w) {
  auto lo = file.lower_bounds.find(time_field.id);
  auto hi = file.upper_bounds.find(time_field.id);
  if (lo == file.lower_bounds.end() || hi == file.upper_bounds.end()) return false;
  auto l = DecodeSingleValue(time_field.type, lo->second);
  auto h = DecodeSingleValue(time_field.type, hi->second);
  return l && h && std::holds_alternative<int64_t>(l->data) &&
         std::holds_alternative<int64_t>(h->data) && std::get<int64_t>(l->data) >= w.start_us &&
         std::get<int64_t>(h->data) < w.end_us;
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
                                      const iceberg::FileScanTask& task,
                                      const std::string& time_column, const Window& w) {
  K2_ASSIGN_OR_RETURN(const iceberg::PartitionSpec* spec,
                      table.metadata().SpecById(task.file.spec_id));
  std::string partition_path = spec->PartitionPath(task.file.partition);
  auto scan = table.NewScan();
  K2_ASSIGN_OR_RETURN(Schema projected, scan.ProjectedSchema());
  auto schema = std::make_shared<const Schema>(std::move(projected));
  std::optional<size_t> time_index = schema->IndexOf(time_column);
  if (!time_index) {
    return MakeError(ErrorKind::kInternal, "time column '{}' is not in the table schema",
                     time_column);
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
    const Column& time = batch->columns[*time_index];
    kept.Clear();
    for (size_t row = 0; row < batch->num_rows(); ++row) {
      if (time.IsValid(row)) {
        int64_t us = time.Value<int64_t>(row);
        if (us >= w.start_us && us < w.end_us) continue;  // the window's row: replaced
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

}  // namespace

Result<WarmSource> ResolveWarmSource(const TableConfig& table, warm::SchemaFlavor flavor) {
  Source s = ResolveSource(table, flavor);
  if (s.time_column.empty() || s.query_template.empty()) {
    return MakeError(ErrorKind::kInvalidInput,
                     "{}: no time_column (and no reference table of that name) in the config",
                     table.name);
  }
  return WarmSource{s.query_template, s.time_column};
}

std::string WarmWindowSql(const WarmSource& source, const Window& window) {
  return WindowSql(source.query_template, window);
}

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

Result<OffloadReport> OffloadJob::Run(const OffloadOptions& options) {
  K2_ASSIGN_OR_RETURN(std::vector<const TableConfig*> selected,
                      config_.SelectTables(options.tables, options.layer));
  if (options.replace && options.window.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "--replace needs --window");
  }
  if (!options.until.empty() && options.window.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "--until needs --window");
  }
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
      report.tables[i] = RunTable(*selected[i], options, now_us, run_id);
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

TableOutcome OffloadJob::RunTable(const TableConfig& cfg, const OffloadOptions& options,
                                  int64_t now_us, const std::string& run_id) {
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
  // A reference table reads with the query of the server's dialect (the
  // legacy flavour on ClickHouse before 22).
  warm::SchemaFlavor flavor = warm::SchemaFlavor::kModern;
  if (UsesReferenceQuery(cfg)) {
    auto detected = warm::DetectSchemaFlavor(warm);
    if (!detected) return fail(detected.error());
    flavor = *detected;
  }
  ctx.source = ResolveSource(cfg, flavor);
  if (ctx.source.time_column.empty() || ctx.source.query_template.empty()) {
    return fail({ErrorKind::kInvalidInput,
                 "no time_column (and no reference table of that name) in the config"});
  }
  for (const auto& p : cfg.partition) {
    int64_t gran = TransformSeconds(p);
    if (gran == 0 || (gran < cfg.window_s)) {
      return fail({ErrorKind::kInvalidInput,
                   fmt::format("partition '{}' is finer than the {}s window: a window must fall "
                               "in one partition",
                               p, cfg.window_s)});
    }
  }
  // 1. Resolve the source schema (before any data moves).
  std::string probe = WindowSql(ctx.source.query_template, {0, 0});
  auto columns = warm.Describe(probe);
  if (!columns) return fail(columns.error());
  ctx.columns = *columns;
  warm::TypeMappingOptions types;
  types.uint64_as_decimal = config_.offload.uint64_mode == "decimal";
  types.datetime64_nanos = config_.offload.datetime64_ns_mode == "nanos";
  auto mapped = warm::MapClickHouseColumns(ctx.columns, types);
  if (!mapped) return fail(mapped.error());
  ctx.warm_schema = warm::SchemaOf(ctx.columns, *mapped);
  if (!ctx.warm_schema.IndexOf(ctx.source.time_column)) {
    return fail(
        {ErrorKind::kInvalidInput,
         fmt::format("time column '{}' is not among the query's columns", ctx.source.time_column)});
  }
  if (options.dry_run) {
    // Plan without creating anything.
    TableIdentifier id = *TableIdentifier::Parse(cfg.target);
    auto loaded = iceberg::Table::Load(catalog_, io_, id);
    if (loaded) ctx.table.emplace(std::move(*loaded));
  } else if (auto st = EnsureTable(catalog_, io_, config_, ctx); !st) {
    return fail(st.error());
  }

  // 2. Plan.
  OffloadLedger ledger =
      ctx.table ? OffloadLedger::FromAncestry(AncestryOf(ctx.table->metadata())) : OffloadLedger{};
  out.watermark_us = ledger.WatermarkUs();
  struct Planned {
    Window window;
    bool replace = false;
    std::string reason;
  };
  std::vector<Planned> plan;
  if (!options.window.empty()) {
    auto first = ParseWindow(options.window, cfg.window_s);
    if (!first) return fail(first.error());
    Window last = *first;
    if (!options.until.empty()) {
      auto until = ParseTimestampMicros(options.until);
      if (!until) return fail(until.error());
      last = WindowContaining(*until - 1, cfg.window_s);
    }
    for (Window w = *first; w.start_us <= last.start_us;
         w = {w.end_us, w.end_us + cfg.window_s * kMicrosPerSecond}) {
      if (w.end_us + config_.offload.settle_delay_s * kMicrosPerSecond > now_us) {
        return fail({ErrorKind::kInvalidInput,
                     fmt::format("window {} has not closed (plus the {}s settle delay)",
                                 w.ToString(), config_.offload.settle_delay_s)});
      }
      bool committed = ledger.Find(w) != nullptr;
      if (committed && !options.replace) continue;
      plan.push_back({w, committed, committed ? "--replace" : ""});
    }
  } else {
    std::optional<int64_t> from = ledger.WatermarkUs();
    if (!from) {
      auto oldest = OldestWarmUs(warm, cfg, ctx.source);
      if (!oldest) return fail(oldest.error());
      from = *oldest;
    }
    // Late rows: windows whose warm count or checksum moved since commit,
    // recomputed the way it was recorded, over the columns the commit had
    // (a column added since then does not make every window look changed).
    for (const WindowRecord* r :
         ledger.Newest(static_cast<size_t>(config_.offload.late_check_windows))) {
      auto kind = ParseChecksumKind(r->checksum_kind);
      if (!kind) return fail(kind.error());
      bool complete = true;
      std::vector<WarmColumn> columns = ColumnsAsOf(ctx, r->schema_id, complete);
      auto stats =
          QueryWindowStats(warm, WindowSql(ctx.source.query_template, r->window), columns, *kind);
      if (!stats) return fail(stats.error());
      bool changed =
          stats->rows != r->source_rows || (complete && stats->checksum != r->source_checksum);
      if (changed) {
        plan.push_back({r->window, true,
                        stats->rows != r->source_rows
                            ? fmt::format("late rows: warm has {} rows, {} were committed",
                                          stats->rows, r->source_rows)
                            : "changed rows: the warm checksum differs from the committed one"});
      }
    }
    std::sort(plan.begin(), plan.end(),
              [](const Planned& a, const Planned& b) { return a.window < b.window; });
    if (from) {
      for (const Window& w : DueWindows(*from, now_us, cfg.window_s, config_.offload.settle_delay_s,
                                        static_cast<size_t>(config_.offload.max_windows_per_run))) {
        if (!ledger.Find(w)) plan.push_back({w, false, ""});
      }
    }
  }
  int64_t closed_end =
      WindowContaining(now_us - config_.offload.settle_delay_s * kMicrosPerSecond, cfg.window_s)
          .start_us;

  if (options.dry_run) {
    for (const auto& p : plan) {
      out.windows.push_back({p.window, "planned", p.replace ? "replace: " + p.reason : "append"});
    }
    if (out.watermark_us)
      out.lag_seconds = std::max<int64_t>(0, closed_end - *out.watermark_us) / kMicrosPerSecond;
    return out;
  }

  // 3 + 4. Write and commit each window, oldest first.
  for (const Planned& p : plan) {
    auto t0 = Clock::now();
    WindowOutcome wo;
    wo.window = p.window;
    wo.reason = p.reason;
    std::string sql = WindowSql(ctx.source.query_template, p.window);

    bool done = false;
    for (int attempt = 1; !done; ++attempt) {
      if (auto st = ctx.table->Refresh(); !st) return fail(st.error());
      if (auto st = PrepareSchema(ctx, /*log=*/false); !st) return fail(st.error());
      OffloadLedger latest = OffloadLedger::FromAncestry(AncestryOf(ctx.table->metadata()));
      const WindowRecord* existing = latest.Find(p.window);
      if (existing && !p.replace) {
        wo.action = "skipped";
        wo.reason = existing->run_id == run_id ? "committed by this run"
                                               : "already committed (run " + existing->run_id + ")";
        done = true;
        break;
      }
      int64_t expected_snapshot = existing ? existing->snapshot_id : 0;

      // The window's count and checksum are those of the rows streamed.
      std::unique_ptr<RollingParquetWriter> writer;
      iceberg::PartitionValues partition;
      WindowStats stats;
      auto files = WriteWindow(warm, io_, config_, ctx, sql, stats, partition, writer);
      if (!files) {
        if (writer) writer->Abort();
        return fail(files.error().WithContext(p.window.ToString()));
      }
      WindowRecord record;
      record.window = p.window;
      record.source_rows = stats.rows;
      record.source_checksum = stats.checksum;
      record.checksum_kind = ChecksumKindName(kCommitChecksumKind);
      record.run_id = run_id;
      if (options.cancelled && options.cancelled()) {
        writer->Abort();
        return fail({ErrorKind::kCancelled, "cancelled before commit"});
      }

      // Validation re-run against the latest state on every commit attempt.
      bool lost_race = false;
      bool ours = false;
      auto validate = [&, window = p.window, replace = p.replace,
                       expected_snapshot](const iceberg::TableMetadata& m) -> Status {
        OffloadLedger l = OffloadLedger::FromAncestry(AncestryOf(m));
        const WindowRecord* r = l.Find(window);
        if (!replace && r) {
          (r->run_id == run_id ? ours : lost_race) = true;
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
            f.metrics, f.path, ctx.table->metadata().DefaultSpec().spec_id, partition));
      }
      auto summary = SummaryFor(cfg.name, record, p.replace);
      // Writers of files a replace rewrote (their rows outside the window).
      std::vector<std::unique_ptr<RollingParquetWriter>> kept;
      Result<int64_t> committed = 0;
      if (!p.replace) {
        auto append = ctx.table->NewFastAppend();
        for (auto& f : data_files) append.AppendFile(std::move(f));
        for (const auto& [k, v] : summary) append.Set(k, v);
        append.Validate(validate);
        append.ChangeMetadata(SchemaChangeFor(ctx));
        committed = append.Commit();
      } else {
        // Exact replace: drop every file holding rows of this window. Files
        // that also hold other windows (after compaction) are rewritten
        // without the window's rows; deletes are applied on the way.
        auto scan = ctx.table->NewScan();
        scan.Filter(WindowPredicate(ctx.source.time_column, p.window));
        auto tasks = scan.PlanFiles();
        if (!tasks) {
          writer->Abort();
          return fail(tasks.error());
        }
        auto overwrite = ctx.table->NewOverwrite();
        const Field& tf =
            ctx.table->schema().fields[*ctx.table->schema().IndexOf(ctx.source.time_column)];
        for (const auto& task : *tasks) {
          overwrite.DeleteFile(task.file.file_path);
          if (FileInsideWindow(task.file, tf, p.window)) continue;
          auto kept_rows = RewriteOutsideWindow(*ctx.table, io_, config_, task,
                                                ctx.source.time_column, p.window);
          if (!kept_rows) {
            writer->Abort();
            for (auto& k : kept) k->Abort();
            return fail(kept_rows.error().WithContext(
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
        overwrite.ChangeMetadata(SchemaChangeFor(ctx));
        committed = overwrite.Commit();
      }
      if (committed) {
        wo.action = p.replace ? "replace" : "append";
        wo.rows = record.source_rows;
        wo.bytes = bytes;
        wo.files = static_cast<int64_t>(files->size());
        wo.snapshot_id = *committed;
        done = true;
        break;
      }
      if (committed.error().kind == ErrorKind::kCommitStateUnknown || ours) {
        // Never delete files that may be committed. An unknown outcome that
        // did land shows up as "ours" on the next run.
        if (ours) {
          wo.action = p.replace ? "replace" : "append";
          wo.rows = record.source_rows;
          done = true;
          break;
        }
        return fail(committed.error().WithContext(p.window.ToString()));
      }
      writer->Abort();  // never committed: remove its files
      for (auto& k : kept) k->Abort();
      if (lost_race && !p.replace) {
        wo.action = "skipped";
        wo.reason = "committed concurrently by another run";
        done = true;
        break;
      }
      if (attempt >= 3) return fail(committed.error().WithContext(p.window.ToString()));
      spdlog::warn("{} {}: {}; retrying", cfg.name, p.window.ToString(),
                   committed.error().ToString());
    }
    wo.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (wo.action != "skipped") {
      spdlog::info("{} {}: {} {} rows in {} files ({} bytes) in {:.2f}s", cfg.name,
                   p.window.ToString(), wo.action, wo.rows, wo.files, wo.bytes, wo.seconds);
    }
    out.windows.push_back(std::move(wo));
  }
  if (ctx.table) {
    auto st = ctx.table->Refresh();
    if (st)
      out.watermark_us =
          OffloadLedger::FromAncestry(AncestryOf(ctx.table->metadata())).WatermarkUs();
  }
  if (out.watermark_us) {
    out.lag_seconds = std::max<int64_t>(0, closed_end - *out.watermark_us) / kMicrosPerSecond;
  }
  return out;
}

}  // namespace k2::jobs
