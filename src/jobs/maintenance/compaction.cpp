#include "jobs/maintenance/compaction.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <type_traits>
#include <variant>

#include "iceberg/expression_eval.h"
#include "iceberg/table.h"
#include "jobs/rolling_writer.h"
#include "parquet/file_reader.h"
#include "service/cancellation.h"

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
      if (static_cast<int>(g.tasks.size()) >= std::max(2, o.min_input_files)) {
        for (const auto& t : g.tasks) {
          if (!t.deletes.empty()) {
            g.skip_reason = "delete files apply to " + t.file.file_path +
                            " (compaction does not apply deletes yet)";
            break;
          }
        }
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

/// Streams the group's files into rolling outputs under the partition.
Result<std::vector<WrittenFile>> MergeGroup(iceberg::Table& table, const Group& g,
                                            const CompactionOptions& o, int64_t* rows) {
  FileIO& io = table.io();
  auto schema = std::make_shared<const Schema>(table.schema());
  parquet::WriterOptions wo;
  wo.row_group_bytes = o.row_group_bytes;
  RollingParquetWriter writer(io, schema, wo, o.target_file_size_bytes,
                              [&] { return table.NewDataFilePath(g.path); });
  auto fail = [&](Error e) -> Result<std::vector<WrittenFile>> {
    writer.Abort();
    return std::unexpected(std::move(e));
  };
  // Identity-partition columns a writer left out of its files
  // (write.data.partition-columns=false) take the partition value, not null.
  K2_ASSIGN_OR_RETURN(const iceberg::PartitionSpec* spec, table.metadata().SpecById(g.spec_id));
  std::vector<Column> fill(schema->fields.size());
  for (size_t i = 0; i < schema->fields.size(); ++i) {
    Value v;
    v.type = schema->fields[i].type;
    for (size_t k = 0; k < spec->fields.size() && k < g.partition.size(); ++k) {
      if (spec->fields[k].source_id == schema->fields[i].id &&
          spec->fields[k].transform.kind == iceberg::TransformKind::kIdentity) {
        v = g.partition[k];
      }
    }
    fill[i] = ConstantColumn(schema->fields[i].type, v);
  }
  ColumnBatch out(schema);
  for (const iceberg::FileScanTask& t : g.tasks) {
    auto in = io.OpenInput(t.file.file_path);
    if (!in) return fail(in.error());
    auto reader = parquet::FileReader::Open(std::move(*in));
    if (!reader) return fail(reader.error());
    const Schema& fs = (*reader)->schema();
    parquet::ReadOptions ro;
    ro.batch_rows = o.batch_rows;
    std::vector<int> source(schema->fields.size(), -1);  // position in the read batch
    for (size_t i = 0; i < schema->fields.size(); ++i) {
      const Field& f = schema->fields[i];
      auto j = fs.IndexOfId(f.id);
      if (!j) continue;
      if (!(fs.fields[*j].type == f.type)) {
        return fail(Error{
            ErrorKind::kUnsupported,
            fmt::format("{}: column {} has type {} in the file, {} in the table", t.file.file_path,
                        f.name, fs.fields[*j].type.ToString(), f.type.ToString())});
      }
      source[i] = static_cast<int>(ro.columns.size());
      ro.columns.push_back(static_cast<int>(*j));
    }
    if (ro.columns.empty()) {
      return fail(
          Error{ErrorKind::kUnsupported,
                fmt::format("{}: no column matches the table by field id", t.file.file_path)});
    }
    auto batches = (*reader)->Read(ro);
    if (!batches) return fail(batches.error());
    int64_t file_rows = 0;
    for (;;) {
      auto next = (*batches)->Next();
      if (!next) return fail(next.error());
      const ColumnBatch* b = *next;
      if (b == nullptr) break;
      const size_t n = b->num_rows();
      if (n == 0) continue;
      for (size_t i = 0; i < schema->fields.size(); ++i) {
        if (source[i] >= 0) {
          out.columns[i] = b->columns[static_cast<size_t>(source[i])];
        } else {
          out.columns[i] = Column(schema->fields[i].type);
          for (size_t r = 0; r < n; ++r) out.columns[i].AppendFrom(fill[i], 0);
        }
      }
      auto st = writer.Write(out);
      if (!st) return fail(st.error().WithContext("compacting " + t.file.file_path));
      file_rows += static_cast<int64_t>(n);
    }
    if (file_rows != t.file.record_count) {
      return fail(Error{ErrorKind::kCorrupt,
                        fmt::format("{}: read {} rows, the manifest says {}", t.file.file_path,
                                    file_rows, t.file.record_count)});
    }
    *rows += file_rows;
  }
  return writer.Finish();
}

}  // namespace

Result<CompactionReport> CompactTable(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                                      const CompactionOptions& options,
                                      const service::CancellationToken* cancel) {
  K2_ASSIGN_OR_RETURN(iceberg::Table table, iceberg::Table::Load(catalog, io, id));
  const int64_t now = options.now_ms > 0 ? options.now_ms : iceberg::NowMillis();
  CompactionReport report;
  report.table = id.ToString();
  report.dry_run = options.dry_run;
  if (const auto* s = table.metadata().CurrentSnapshot()) report.start_snapshot_id = s->snapshot_id;

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
        report.groups.push_back(std::move(gr));
        ++report.groups_skipped;
      }
    }
    retry.clear();
    for (const Group& g : groups) {
      CompactionGroupReport gr;
      gr.partition = g.path;
      gr.attempts = attempt;
      gr.files_before = static_cast<int64_t>(g.tasks.size());
      for (const auto& t : g.tasks) {
        gr.bytes_before += t.file.file_size_in_bytes;
        gr.rows += t.file.record_count;
      }
      if (!g.skip_reason.empty()) {
        gr.status = "skipped";
        gr.reason = g.skip_reason;
        ++report.groups_skipped;
        report.groups.push_back(std::move(gr));
        continue;
      }
      if (options.dry_run) {
        gr.status = "planned";
        report.groups.push_back(std::move(gr));
        continue;
      }
      int64_t rows = 0;
      auto written = MergeGroup(table, g, options, &rows);
      if (!written) {
        gr.status = "failed";
        gr.reason = written.error().ToString();
        ++report.groups_failed;
        report.groups.push_back(std::move(gr));
        continue;
      }
      auto discard = [&] {
        for (const WrittenFile& w : *written) (void)io.Delete(w.path);
      };
      if (cancel != nullptr && cancel->IsCancelled()) {
        discard();
        return MakeError(ErrorKind::kCancelled, "compaction of {}: cancelled before committing {}",
                         report.table, g.path);
      }
      iceberg::RewriteFiles rewrite = table.NewRewrite();
      rewrite.ValidateFromSnapshot(start_id)
          .Set("k2.maintenance", "compaction")
          .Set("k2.compaction.input-files", std::to_string(g.tasks.size()))
          .Set("k2.compaction.output-files", std::to_string(written->size()));
      for (const auto& t : g.tasks) rewrite.DeleteFile(t.file.file_path);
      int64_t out_bytes = 0;
      for (const WrittenFile& w : *written) {
        out_bytes += w.metrics.file_size_in_bytes;
        rewrite.AddFile(iceberg::MakeDataFile(w.metrics, w.path, g.spec_id, g.partition));
      }
      auto committed = rewrite.Commit();
      if (!committed) {
        const ErrorKind kind = committed.error().kind;
        if (kind != ErrorKind::kCommitStateUnknown) discard();
        if (kind == ErrorKind::kCommitConflict && attempt < options.max_attempts) {
          retry.insert(g.key);
          continue;
        }
        gr.status = "failed";
        gr.reason = committed.error().ToString();
        ++report.groups_failed;
        report.groups.push_back(std::move(gr));
        continue;
      }
      gr.status = "committed";
      gr.snapshot_id = *committed;
      gr.files_after = static_cast<int64_t>(written->size());
      gr.bytes_after = out_bytes;
      gr.rows = rows;
      ++report.groups_committed;
      report.files_before += gr.files_before;
      report.bytes_before += gr.bytes_before;
      report.files_after += gr.files_after;
      report.bytes_after += gr.bytes_after;
      report.rows_rewritten += rows;
      report.groups.push_back(std::move(gr));
    }
  }
  return report;
}

}  // namespace k2::jobs
