// Compaction in the order of compaction.h's phases: plan (groups per
// partition and spec), per group read (live rows, deletes applied), write
// (rolling writer, or the sorting writer for sort orders) and one
// RewriteFiles commit; 612 lines, each phase a function under 120 lines.
#include "jobs/maintenance/compaction.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <type_traits>
#include <variant>

#include "common/cancellation.h"
#include "iceberg/expression_eval.h"
#include "iceberg/table.h"
#include "jobs/maintenance/sorting_writer.h"
#include "jobs/rolling_writer.h"
#include "parquet/file_reader.h"

namespace k2::jobs {

nlohmann::json CompactionGroupReport::ToJson() const {
  nlohmann::json j;
  j["partition"] = partition;
  j["status"] = status;
  if (!reason.empty()) j["reason"] = reason;
  j["attempts"] = attempts;
  j["files_before"] = files_before;
  j["bytes_before"] = bytes_before;
  j["files_after"] = files_after;
  j["bytes_after"] = bytes_after;
  j["rows"] = rows;
  j["deleted_rows_applied"] = deleted_rows_applied;
  j["delete_files_applied"] = delete_files_applied;
  j["delete_files_removed"] = delete_files_removed;
  j["sorted"] = sorted;
  if (sorted) {
    j["sort_runs_spilled"] = sort_runs_spilled;
    j["sort_bytes_spilled"] = sort_bytes_spilled;
  }
  if (snapshot_id != 0) j["snapshot_id"] = snapshot_id;
  return j;
}

nlohmann::json CompactionReport::ToJson() const {
  nlohmann::json j;
  j["operation"] = "compact";
  j["table"] = table;
  j["dry_run"] = dry_run;
  j["start_snapshot_id"] = start_snapshot_id;
  j["files_before"] = files_before;
  j["bytes_before"] = bytes_before;
  j["files_after"] = files_after;
  j["bytes_after"] = bytes_after;
  j["rows_rewritten"] = rows_rewritten;
  j["deleted_rows_applied"] = deleted_rows_applied;
  j["delete_files_removed"] = delete_files_removed;
  j["sort_order_id"] = sort_order_id;
  j["groups_committed"] = groups_committed;
  j["groups_failed"] = groups_failed;
  j["groups_skipped"] = groups_skipped;
  j["groups"] = nlohmann::json::array();
  for (const auto& g : groups) j["groups"].push_back(g.ToJson());
  return j;
}

namespace {

/// A set of files of one partition to merge into outputs of the target size.
struct Group {
  std::string key;   ///< PartitionKey
  std::string path;  ///< partition path
  int spec_id = 0;
  iceberg::PartitionValues partition;
  std::vector<iceberg::FileScanTask> tasks;
  std::string skip_reason;
};

bool IsTimeTransform(iceberg::TransformKind k) {
  return k == iceberg::TransformKind::kYear || k == iceberg::TransformKind::kMonth ||
         k == iceberg::TransformKind::kDay || k == iceberg::TransformKind::kHour;
}

/// True if the partition has a time-transform field and every such field
/// holds the value "now" maps to: offloads still write there.
bool IsOpenPartition(const iceberg::PartitionSpec& spec, const Schema& schema,
                     const iceberg::PartitionValues& values, int64_t now_ms) {
  bool any_time = false;
  for (size_t i = 0; i < spec.fields.size() && i < values.size(); ++i) {
    const iceberg::PartitionField& f = spec.fields[i];
    if (!IsTimeTransform(f.transform.kind)) continue;
    auto idx = schema.IndexOfId(f.source_id);
    if (!idx) continue;
    const DataType& type = schema.fields[*idx].type;
    Value now;
    now.type = type;
    switch (type.id) {
      case TypeId::kDate:
        now.data = static_cast<int32_t>(now_ms / 86400000);
        break;
      case TypeId::kTimestamp:
      case TypeId::kTimestampTz:
        now.data = now_ms * 1000;
        break;
      case TypeId::kTimestampNs:
        now.data = now_ms * 1000000;
        break;
      default:
        continue;
    }
    auto t = f.transform.Apply(now);
    if (!t || values[i].is_null() || t->type.id != values[i].type.id) continue;
    any_time = true;
    if (CompareValues(*t, values[i]) != std::strong_ordering::equal) return false;
  }
  return any_time;
}

/// Plans groups from the table's current snapshot; only partitions in `only`
/// when it is non-empty.
Result<std::vector<Group>> PlanGroups(const iceberg::Table& table, const CompactionOptions& o,
                                      int64_t now_ms, const std::set<std::string>& only) {
  const iceberg::TableMetadata& m = table.metadata();
  std::vector<Group> out;
  if (m.CurrentSnapshot() == nullptr) return out;
  K2_ASSIGN_OR_RETURN(std::vector<iceberg::FileScanTask> tasks, table.NewScan().PlanFiles());
  const iceberg::PartitionSpec& spec = m.DefaultSpec();
  std::map<std::string, std::vector<iceberg::FileScanTask>> by_partition;
  for (iceberg::FileScanTask& t : tasks) {
    if (t.file.content != iceberg::FileContent::kData) continue;
    if (t.file.spec_id != spec.spec_id) continue;  // older specs: left as they are
    if (t.file.file_size_in_bytes >= o.min_file_size_bytes) continue;
    if (t.file.file_format != "PARQUET" && t.file.file_format != "parquet") continue;
    std::string key = iceberg::PartitionKey(t.file.spec_id, t.file.partition);
    if (!only.empty() && !only.count(key)) continue;
    by_partition[key].push_back(std::move(t));
  }
  for (auto& [key, files] : by_partition) {
    Group proto;
    proto.key = key;
    proto.spec_id = spec.spec_id;
    proto.partition = files.front().file.partition;
    proto.path = spec.PartitionPath(proto.partition);
    if (o.skip_open_partitions &&
        IsOpenPartition(spec, m.CurrentSchema().schema, proto.partition, now_ms)) {
      proto.skip_reason = "partition still receives offloads (contains now)";
      proto.tasks = std::move(files);
      out.push_back(std::move(proto));
      continue;
    }
    // Oldest data first keeps the output ordered like the offloads were.
    std::stable_sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
      return a.data_sequence_number < b.data_sequence_number;
    });
    Group g = proto;
    int64_t bytes = 0;
    auto close = [&] {
      const bool lone_with_deletes =
          g.tasks.size() == 1 && o.delete_file_threshold > 0 &&
          static_cast<int>(g.tasks[0].deletes.size()) >= o.delete_file_threshold;
      if (static_cast<int>(g.tasks.size()) >= std::max(2, o.min_input_files) || lone_with_deletes) {
        out.push_back(std::move(g));
      }
      g = proto;
      bytes = 0;
    };
    for (auto& t : files) {
      if (!g.tasks.empty() && bytes + t.file.file_size_in_bytes > o.target_file_size_bytes) close();
      bytes += t.file.file_size_in_bytes;
      g.tasks.push_back(std::move(t));
    }
    close();
  }
  return out;
}

/// A one-row column holding `v` (for columns the data files do not store).
Column ConstantColumn(const DataType& type, const Value& v) {
  Column c(type);
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          c.AppendNull();
        } else if constexpr (std::is_same_v<T, bool>) {
          c.Append<uint8_t>(x ? 1 : 0);
        } else if constexpr (std::is_same_v<T, int128_t>) {
          c.AppendDecimal(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          c.AppendBytes(x);
        } else {
          c.Append<T>(x);
        }
      },
      v.data);
  return c;
}

/// What merging a group wrote.
struct MergeResult {
  std::vector<WrittenFile> files;
  int64_t rows = 0;          ///< rows written (live rows)
  int64_t deleted_rows = 0;  ///< rows the group's delete files removed
  bool sorted = false;
  int sort_runs_spilled = 0;
  int64_t sort_bytes_spilled = 0;
};

/// Where a group's rows go: the rolling writer under the partition, through
/// a SortingWriter when the order has fields.
class GroupOutput {
 public:
  GroupOutput(iceberg::Table& table, const Group& g, const CompactionOptions& o)
      : schema_(std::make_shared<const Schema>(table.schema())),
        writer_(table.io(), schema_, WriterOptionsFor(o), o.target_file_size_bytes,
                [&table, path = g.path] { return table.NewDataFilePath(path); }) {}

  /// kInvalidInput for an order naming a column the schema lacks.
  Status Sort(const iceberg::SortOrder& order, const CompactionOptions& o) {
    if (order.fields.empty()) return OkStatus();
    SortOptions so;
    so.memory_bytes = o.sort_memory_bytes;
    so.spill_dir = o.sort_spill_dir;
    so.encode_threads = o.encode_threads;
    K2_ASSIGN_OR_RETURN(sorter_, SortingWriter::Make(schema_, order, writer_, so));
    return OkStatus();
  }
  const std::shared_ptr<const Schema>& schema() const { return schema_; }
  Status Write(const ColumnBatch& b) { return sorter_ ? sorter_->Write(b) : writer_.Write(b); }
  /// As above; the sort takes the batch's buffers (`b` is left empty).
  Status Write(ColumnBatch&& b) {
    return sorter_ ? sorter_->Write(std::move(b)) : writer_.Write(b);
  }
  /// Finishes the sort and the files into `result`.
  Status Finish(MergeResult& result) {
    if (sorter_) {
      K2_RETURN_IF_ERROR(sorter_->Finish());
      result.sorted = true;
      result.sort_runs_spilled = sorter_->runs_spilled();
      result.sort_bytes_spilled = sorter_->bytes_spilled();
    }
    K2_ASSIGN_OR_RETURN(result.files, writer_.Finish());
    return OkStatus();
  }
  /// Deletes every file written and the sort's spill files.
  void Abort() {
    if (sorter_) sorter_->Abort();
    writer_.Abort();
  }

 private:
  static parquet::WriterOptions WriterOptionsFor(const CompactionOptions& o) {
    parquet::WriterOptions wo;
    wo.row_group_bytes = o.row_group_bytes;
    wo.encode_threads = o.encode_threads;
    return wo;
  }
  std::shared_ptr<const Schema> schema_;
  RollingParquetWriter writer_;
  std::unique_ptr<SortingWriter> sorter_;
};

/// Reads a group with delete files through the table scan, which applies
/// position and equality deletes; counts the live and the deleted rows.
Status ReadThroughScan(iceberg::Table& table, const Group& g, GroupOutput& out,
                       MergeResult& result) {
  int64_t expected = 0;
  for (const auto& t : g.tasks) expected += t.file.record_count;
  K2_ASSIGN_OR_RETURN(auto reader, table.NewScan().ToBatchReader(g.tasks));
  for (;;) {
    auto next = reader->Next();
    if (!next) return std::unexpected(next.error().WithContext("compacting " + g.path));
    if (*next == nullptr) break;
    auto st = out.Write(**next);
    if (!st) return std::unexpected(st.error().WithContext("compacting " + g.path));
    result.rows += static_cast<int64_t>((*next)->num_rows());
  }
  if (result.rows > expected) {
    return MakeError(ErrorKind::kCorrupt,
                     "partition {}: read {} live rows from files whose manifests say {} rows in "
                     "all",
                     g.path, result.rows, expected);
  }
  result.deleted_rows = expected - result.rows;
  return OkStatus();
}

/// Per table column, a one-row column to repeat where a file lacks it:
/// identity-partition columns a writer left out of its files
/// (write.data.partition-columns=false) take the partition value, others null.
Result<std::vector<Column>> MissingColumnFill(const iceberg::Table& table, const Group& g,
                                              const Schema& schema) {
  K2_ASSIGN_OR_RETURN(const iceberg::PartitionSpec* spec, table.metadata().SpecById(g.spec_id));
  std::vector<Column> fill(schema.fields.size());
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    Value v;
    v.type = schema.fields[i].type;
    for (size_t k = 0; k < spec->fields.size() && k < g.partition.size(); ++k) {
      if (spec->fields[k].source_id == schema.fields[i].id &&
          spec->fields[k].transform.kind == iceberg::TransformKind::kIdentity) {
        v = g.partition[k];
      }
    }
    fill[i] = ConstantColumn(schema.fields[i].type, v);
  }
  return fill;
}

/// Streams one data file (no deletes) into `out`, its columns matched to the
/// table's by field id; returns its row count, checked against the manifest.
Result<int64_t> CopyFile(FileIO& io, const iceberg::FileScanTask& t, const Schema& schema,
                         const std::vector<Column>& fill, const CompactionOptions& o,
                         GroupOutput& out) {
  K2_ASSIGN_OR_RETURN(auto in, io.OpenInput(t.file.file_path));
  K2_ASSIGN_OR_RETURN(auto reader, parquet::FileReader::Open(std::move(in)));
  const Schema& fs = reader->schema();
  parquet::ReadOptions ro;
  ro.batch_rows = o.batch_rows;
  std::vector<int> source(schema.fields.size(), -1);  // position in the read batch
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    auto j = fs.IndexOfId(f.id);
    if (!j) continue;
    if (!(fs.fields[*j].type == f.type)) {
      return MakeError(ErrorKind::kUnsupported,
                       "{}: column {} has type {} in the file, {} in the table", t.file.file_path,
                       f.name, fs.fields[*j].type.ToString(), f.type.ToString());
    }
    source[i] = static_cast<int>(ro.columns.size());
    ro.columns.push_back(static_cast<int>(*j));
  }
  if (ro.columns.empty()) {
    return MakeError(ErrorKind::kUnsupported, "{}: no column matches the table by field id",
                     t.file.file_path);
  }
  K2_ASSIGN_OR_RETURN(auto batches, reader->Read(ro));
  int64_t rows = 0;
  for (;;) {
    K2_ASSIGN_OR_RETURN(const ColumnBatch* b, batches->Next());
    if (b == nullptr) break;
    const size_t n = b->num_rows();
    if (n == 0) continue;
    ColumnBatch batch(out.schema());
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      if (source[i] >= 0) {
        batch.columns[i] = b->columns[static_cast<size_t>(source[i])];
      } else {
        batch.columns[i] = Column(schema.fields[i].type);
        for (size_t r = 0; r < n; ++r) batch.columns[i].AppendFrom(fill[i], 0);
      }
    }
    auto st = out.Write(std::move(batch));
    if (!st) return std::unexpected(st.error().WithContext("compacting " + t.file.file_path));
    rows += static_cast<int64_t>(n);
  }
  if (rows != t.file.record_count) {
    return MakeError(ErrorKind::kCorrupt, "{}: read {} rows, the manifest says {}",
                     t.file.file_path, rows, t.file.record_count);
  }
  return rows;
}

/// Reads the group's files into `out`: column-wise by field id when no file
/// has delete files (the fast path), through the table scan otherwise.
Status ReadGroup(iceberg::Table& table, const Group& g, const CompactionOptions& o,
                 GroupOutput& out, MergeResult& result) {
  const bool has_deletes =
      std::any_of(g.tasks.begin(), g.tasks.end(), [](const auto& t) { return !t.deletes.empty(); });
  if (has_deletes) return ReadThroughScan(table, g, out, result);
  const Schema& schema = *out.schema();
  K2_ASSIGN_OR_RETURN(std::vector<Column> fill, MissingColumnFill(table, g, schema));
  for (const iceberg::FileScanTask& t : g.tasks) {
    K2_ASSIGN_OR_RETURN(int64_t rows, CopyFile(table.io(), t, schema, fill, o, out));
    result.rows += rows;
  }
  return OkStatus();
}

/// Streams the group's files into rolling outputs under the partition, fully
/// sorted by `order` when it has fields. On failure nothing is left behind:
/// outputs and spill files are deleted.
Result<MergeResult> MergeGroup(iceberg::Table& table, const Group& g, const CompactionOptions& o,
                               const iceberg::SortOrder& order) {
  GroupOutput out(table, g, o);
  MergeResult result;
  Status st = out.Sort(order, o);
  if (st) st = ReadGroup(table, g, o, out, result);
  if (st) st = out.Finish(result);
  if (!st) {
    out.Abort();
    return std::unexpected(st.error());
  }
  return result;
}

constexpr int kDeleteFilePathId = 2147483546;

/// Position delete files that only name files of the group: after the rewrite
/// they match no live file, so the replace removes them with their targets.
/// Decided from the file_path bounds (or referenced_data_file); a delete file
/// whose targets are not provably inside the group is kept.
std::vector<std::string> DanglingPositionDeletes(const Group& g) {
  std::set<std::string> inputs;
  for (const auto& t : g.tasks) inputs.insert(t.file.file_path);
  std::set<std::string> out;
  for (const auto& t : g.tasks) {
    for (const iceberg::DataFile& d : t.deletes) {
      if (d.content != iceberg::FileContent::kPositionDeletes) continue;
      std::optional<std::string> target = d.referenced_data_file;
      if (!target) {
        auto lo = d.lower_bounds.find(kDeleteFilePathId);
        auto hi = d.upper_bounds.find(kDeleteFilePathId);
        if (lo != d.lower_bounds.end() && hi != d.upper_bounds.end() && lo->second == hi->second) {
          target = lo->second;
        }
      }
      if (target && inputs.count(*target)) out.insert(d.file_path);
    }
  }
  return {out.begin(), out.end()};
}

/// Delete files committed after `from` that could apply to the group's
/// partition from another spec (a global equality delete, written with the
/// unpartitioned spec, applies to every partition). The replace's own check
/// covers delete files in the group's partition; both make the group retry,
/// so a concurrent delete is never lost under the new files' sequence number.
Status ValidateNoForeignSpecDeletes(FileIO& io, const iceberg::TableMetadata& latest, int64_t from,
                                    int spec_id) {
  const iceberg::Snapshot* head = latest.CurrentSnapshot();
  if (head == nullptr) return OkStatus();
  for (const iceberg::Snapshot* s : latest.Ancestry(head->snapshot_id)) {
    if (s->snapshot_id == from) break;
    K2_ASSIGN_OR_RETURN(std::vector<iceberg::ManifestFile> ms, iceberg::SnapshotManifests(io, *s));
    for (const iceberg::ManifestFile& m : ms) {
      if (m.content != iceberg::ManifestContent::kDeletes) continue;
      if (m.added_snapshot_id != s->snapshot_id || m.partition_spec_id == spec_id) continue;
      return MakeError(ErrorKind::kCommitConflict,
                       "snapshot {} added delete files under spec {} after snapshot {}",
                       s->snapshot_id, m.partition_spec_id, from);
    }
  }
  return OkStatus();
}

/// A group's numbers before merging: inputs, their bytes and rows, the
/// distinct delete files applying to them.
CompactionGroupReport GroupReportFor(const Group& g, int attempt) {
  CompactionGroupReport gr;
  gr.partition = g.path;
  gr.attempts = attempt;
  gr.files_before = static_cast<int64_t>(g.tasks.size());
  std::set<std::string> delete_files;
  for (const auto& t : g.tasks) {
    gr.bytes_before += t.file.file_size_in_bytes;
    gr.rows += t.file.record_count;
    for (const auto& d : t.deletes) delete_files.insert(d.file_path);
  }
  gr.delete_files_applied = static_cast<int64_t>(delete_files.size());
  return gr;
}

/// Commits the group's replace, validated against every snapshot since
/// `start_id`; fills gr's outcome on success. The report's numbers go into the
/// snapshot summary as well, so the table's history says what each
/// compaction did. Errors: those of RewriteFiles::Commit (kCommitConflict...).
Status CommitGroup(iceberg::Table& table, const Group& g, const MergeResult& merged,
                   const iceberg::SortOrder& order, int64_t start_id, CompactionGroupReport& gr) {
  FileIO& io = table.io();
  const std::vector<std::string> dangling = DanglingPositionDeletes(g);
  int64_t out_bytes = 0;
  for (const WrittenFile& w : merged.files) out_bytes += w.metrics.file_size_in_bytes;
  iceberg::RewriteFiles rewrite = table.NewRewrite();
  rewrite.ValidateFromSnapshot(start_id)
      .Validate([&io, start_id, spec_id = g.spec_id](const iceberg::TableMetadata& latest) {
        return ValidateNoForeignSpecDeletes(io, latest, start_id, spec_id);
      })
      .Set("k2.maintenance", "compaction")
      .Set("k2.compaction.partition", g.path)
      .Set("k2.compaction.input-files", std::to_string(g.tasks.size()))
      .Set("k2.compaction.input-bytes", std::to_string(gr.bytes_before))
      .Set("k2.compaction.output-files", std::to_string(merged.files.size()))
      .Set("k2.compaction.output-bytes", std::to_string(out_bytes))
      .Set("k2.compaction.rows", std::to_string(merged.rows))
      .Set("k2.compaction.deleted-rows-applied", std::to_string(merged.deleted_rows))
      .Set("k2.compaction.delete-files-applied", std::to_string(gr.delete_files_applied))
      .Set("k2.compaction.delete-files-removed", std::to_string(dangling.size()))
      .Set("k2.compaction.start-snapshot-id", std::to_string(start_id));
  if (merged.sorted) rewrite.Set("k2.compaction.sort-order-id", std::to_string(order.order_id));
  for (const auto& t : g.tasks) rewrite.DeleteFile(t.file.file_path);
  for (const std::string& d : dangling) rewrite.DeleteFile(d);
  for (const WrittenFile& w : merged.files) {
    iceberg::DataFile f = iceberg::MakeDataFile(w.metrics, w.path, g.spec_id, g.partition);
    if (merged.sorted) f.sort_order_id = order.order_id;
    rewrite.AddFile(std::move(f));
  }
  K2_ASSIGN_OR_RETURN(gr.snapshot_id, rewrite.Commit());
  gr.status = "committed";
  gr.files_after = static_cast<int64_t>(merged.files.size());
  gr.bytes_after = out_bytes;
  gr.rows = merged.rows;
  gr.deleted_rows_applied = merged.deleted_rows;
  gr.delete_files_removed = static_cast<int64_t>(dangling.size());
  gr.sorted = merged.sorted;
  gr.sort_runs_spilled = merged.sort_runs_spilled;
  gr.sort_bytes_spilled = merged.sort_bytes_spilled;
  return OkStatus();
}

/// Adds a group's outcome to the report's totals and list.
void Record(CompactionReport& report, CompactionGroupReport gr) {
  if (gr.status == "skipped") ++report.groups_skipped;
  if (gr.status == "failed") ++report.groups_failed;
  if (gr.status == "committed") {
    ++report.groups_committed;
    report.files_before += gr.files_before;
    report.bytes_before += gr.bytes_before;
    report.files_after += gr.files_after;
    report.bytes_after += gr.bytes_after;
    report.rows_rewritten += gr.rows;
    report.deleted_rows_applied += gr.deleted_rows_applied;
    report.delete_files_removed += gr.delete_files_removed;
  }
  report.groups.push_back(std::move(gr));
}

/// Whether a group's partition is to be re-planned after a commit conflict.
enum class GroupOutcome { kRecorded, kRetry };

/// Merges and commits one group planned at `start_id`, recording its outcome
/// unless it is to be retried. kCancelled when `cancel` fired before the commit.
Result<GroupOutcome> CompactGroup(iceberg::Table& table, const Group& g, const CompactionOptions& o,
                                  const iceberg::SortOrder& order, int64_t start_id, int attempt,
                                  const CancellationToken* cancel, CompactionReport& report) {
  CompactionGroupReport gr = GroupReportFor(g, attempt);
  if (!g.skip_reason.empty() || o.dry_run) {
    gr.status = g.skip_reason.empty() ? "planned" : "skipped";
    gr.reason = g.skip_reason;
    Record(report, std::move(gr));
    return GroupOutcome::kRecorded;
  }
  auto merged = MergeGroup(table, g, o, order);
  if (!merged) {
    gr.status = "failed";
    gr.reason = merged.error().ToString();
    Record(report, std::move(gr));
    return GroupOutcome::kRecorded;
  }
  auto discard = [&] {
    // Best-effort: never committed; a leftover is an orphan, removed by orphan cleanup.
    for (const WrittenFile& w : merged->files) (void)table.io().Delete(w.path);
  };
  if (cancel != nullptr && cancel->IsCancelled()) {
    discard();
    return MakeError(ErrorKind::kCancelled, "compaction of {}: cancelled before committing {}",
                     report.table, g.path);
  }
  auto committed = CommitGroup(table, g, *merged, order, start_id, gr);
  if (!committed) {
    const ErrorKind kind = committed.error().kind;
    if (kind != ErrorKind::kCommitStateUnknown) discard();
    if (kind == ErrorKind::kCommitConflict && attempt < o.max_attempts) return GroupOutcome::kRetry;
    gr.status = "failed";
    gr.reason = committed.error().ToString();
  }
  Record(report, std::move(gr));
  return GroupOutcome::kRecorded;
}

}  // namespace

Result<CompactionReport> CompactTable(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                                      const CompactionOptions& options,
                                      const CancellationToken* cancel) {
  K2_ASSIGN_OR_RETURN(iceberg::Table table, iceberg::Table::Load(catalog, io, id));
  const int64_t now = options.now_ms > 0 ? options.now_ms : iceberg::NowMillis();
  CompactionReport report;
  report.table = id.ToString();
  report.dry_run = options.dry_run;
  if (const auto* s = table.metadata().CurrentSnapshot()) report.start_snapshot_id = s->snapshot_id;
  iceberg::SortOrder order = iceberg::SortOrder::Unsorted();
  if (options.sort) order = table.metadata().DefaultSortOrder();
  report.sort_order_id = order.fields.empty() ? 0 : order.order_id;

  std::set<std::string> retry;
  for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
    if (attempt > 1) {
      if (retry.empty()) break;
      K2_RETURN_IF_ERROR(table.Refresh());
    }
    const iceberg::Snapshot* start = table.metadata().CurrentSnapshot();
    if (start == nullptr) break;
    const int64_t start_id = start->snapshot_id;
    K2_ASSIGN_OR_RETURN(std::vector<Group> groups, PlanGroups(table, options, now, retry));
    if (attempt > 1 && groups.empty()) {
      // The conflicting change left nothing to compact there.
      for (const std::string& key : retry) {
        CompactionGroupReport gr;
        gr.partition = key;
        gr.status = "skipped";
        gr.attempts = attempt;
        gr.reason = "nothing left to compact after a concurrent change";
        Record(report, std::move(gr));
      }
    }
    retry.clear();
    for (const Group& g : groups) {
      K2_ASSIGN_OR_RETURN(GroupOutcome outcome, CompactGroup(table, g, options, order, start_id,
                                                             attempt, cancel, report));
      if (outcome == GroupOutcome::kRetry) retry.insert(g.key);
    }
  }
  return report;
}

}  // namespace k2::jobs
