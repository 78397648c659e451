#include "iceberg/table.h"

#include <uuid/uuid.h>

#include <algorithm>
#include <chrono>
#include <list>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "iceberg/metadata_version.h"
#include "iceberg/scan.h"

namespace k2::iceberg {

std::string NewUuid() {
  uuid_t u;
  uuid_generate_random(u);
  char text[37];
  uuid_unparse_lower(u, text);
  return text;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<TableMetadata> ReadTableMetadata(FileIO& io, const std::string& location) {
  K2_ASSIGN_OR_RETURN(std::string bytes, io.ReadAll(location));
  return TableMetadata::FromFileBytes(bytes, location);
}

namespace {

/// Iceberg's write.metadata.delete-after-commit.enabled: once `next` is
/// committed, the metadata files that fell out of its metadata log (past
/// write.metadata.previous-versions-max) are deleted, so metadata/ holds
/// about that many files however old the table is (the next commit's version
/// scan lists it). Best effort, as in Iceberg: a file left behind is an orphan.
void DeleteDroppedMetadataFiles(FileIO& io, const TableMetadata& base, const TableMetadata& next) {
  auto it = next.properties.find("write.metadata.delete-after-commit.enabled");
  if (it == next.properties.end() || (it->second != "true" && it->second != "TRUE")) return;
  std::set<std::string> kept;
  for (const auto& e : next.metadata_log) kept.insert(e.metadata_file);
  for (const auto& e : base.metadata_log) {
    // Best-effort, as Java's: the commit is done; a leftover is an orphan.
    if (!kept.count(e.metadata_file)) (void)io.Delete(e.metadata_file);
  }
}

/// The metadata files this process read or wrote last, parsed. A metadata
/// file never changes once written (every commit writes a new name), so a
/// Table loaded again at the same location (each command loads a table
/// several times; a refresh after another writer's commit; the next job of
/// the daemon) reuses the parse instead of reading and parsing it again
/// (a year of hourly snapshots is a few MB of JSON). Bounded by the files
/// JSON size.
class MetadataCache {
 public:
  static MetadataCache& Instance() {
    static MetadataCache* c = new MetadataCache();  // never destroyed: used until exit
    return *c;
  }

  std::shared_ptr<const TableMetadata> Find(const std::string& location) {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->location != location) continue;
      entries_.splice(entries_.begin(), entries_, it);  // most recent first
      return it->metadata;
    }
    return nullptr;
  }

  void Put(const std::string& location, std::shared_ptr<const TableMetadata> m, size_t bytes) {
    if (bytes > kMaxBytes / 4) return;
    std::lock_guard lock(mu_);
    for (const Entry& e : entries_) {
      if (e.location == location) return;
    }
    entries_.push_front({location, std::move(m), bytes});
    bytes_ += bytes;
    while (entries_.size() > kMaxEntries || bytes_ > kMaxBytes) {
      bytes_ -= entries_.back().bytes;
      entries_.pop_back();
    }
  }

 private:
  static constexpr size_t kMaxEntries = 16;
  static constexpr size_t kMaxBytes = 8u << 20;  // parsed, a few times that in memory
  struct Entry {
    std::string location;
    std::shared_ptr<const TableMetadata> metadata;
    size_t bytes = 0;
  };
  std::mutex mu_;
  std::list<Entry> entries_;
  size_t bytes_ = 0;
};

}  // namespace

Status Table::SetFromLocation(const std::string& location) {
  if (auto cached = MetadataCache::Instance().Find(location)) {
    metadata_ = std::move(cached);
    metadata_location_ = location;
    return OkStatus();
  }
  K2_ASSIGN_OR_RETURN(std::string bytes, io_->ReadAll(location));
  K2_ASSIGN_OR_RETURN(TableMetadata m, TableMetadata::FromFileBytes(bytes, location));
  metadata_ = std::make_shared<const TableMetadata>(std::move(m));
  metadata_location_ = location;
  MetadataCache::Instance().Put(location, metadata_, bytes.size());
  return OkStatus();
}

Status Table::SetFrom(LoadedMetadata loaded) {
  if (!loaded.metadata) return SetFromLocation(loaded.location);
  metadata_ = std::move(loaded.metadata);
  metadata_location_ = std::move(loaded.location);
  return OkStatus();
}

Result<Table> Table::Load(Catalog& catalog, FileIO& io, const TableIdentifier& id) {
  Table t;
  t.catalog_ = &catalog;
  t.io_ = &io;
  t.id_ = id;
  K2_ASSIGN_OR_RETURN(LoadedMetadata loaded, catalog.LoadTableMetadata(id));
  auto st = t.SetFrom(std::move(loaded));
  if (!st) return std::unexpected(st.error().WithContext("table " + id.ToString()));
  return t;
}

Result<Table> Table::LoadMetadataFile(FileIO& io, const std::string& metadata_location) {
  Table t;
  t.io_ = &io;
  K2_RETURN_IF_ERROR(t.SetFromLocation(metadata_location));
  return t;
}

Status Table::Refresh() {
  if (catalog_ == nullptr) return SetFromLocation(metadata_location_);
  K2_ASSIGN_OR_RETURN(LoadedMetadata loaded, catalog_->LoadTableMetadata(id_));
  if (loaded.location == metadata_location_ && metadata_) return OkStatus();
  return SetFrom(std::move(loaded));
}

Result<Table> Table::Create(Catalog& catalog, FileIO& io, const TableIdentifier& id,
                            const Schema& schema, const PartitionSpec& spec,
                            const CreateOptions& options) {
  if (options.location.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "create table {}: no location", id.ToString());
  }
  TableMetadata m;
  m.format_version = 2;
  m.table_uuid = NewUuid();
  m.location = options.location;
  while (!m.location.empty() && m.location.back() == '/') m.location.pop_back();
  m.last_updated_ms = NowMillis();
  TableSchema ts;
  ts.schema = schema;
  int next_id = 1;
  for (const Field& f : ts.schema.fields) next_id = std::max(next_id, f.id + 1);
  std::set<int> seen;
  for (Field& f : ts.schema.fields) {
    if (f.id == 0) f.id = next_id++;
    if (!seen.insert(f.id).second) {
      return MakeError(ErrorKind::kInvalidInput, "create table {}: duplicate field id {}",
                       id.ToString(), f.id);
    }
  }
  for (const Field& f : ts.schema.fields) ts.highest_field_id = std::max(ts.highest_field_id, f.id);
  m.last_column_id = ts.highest_field_id;
  m.schemas.push_back(ts);
  PartitionSpec ps = spec;
  ps.spec_id = 0;
  int next_pid = kFirstPartitionFieldId;
  for (const auto& f : ps.fields) next_pid = std::max(next_pid, f.field_id + 1);
  for (auto& f : ps.fields) {
    if (f.field_id == 0) f.field_id = next_pid++;
  }
  K2_RETURN_IF_ERROR(ps.PartitionType(ts.schema));
  m.last_partition_id = kFirstPartitionFieldId - 1;
  for (const auto& f : ps.fields) m.last_partition_id = std::max(m.last_partition_id, f.field_id);
  m.specs.push_back(ps);
  SortOrder order = options.sort_order;
  if (!order.fields.empty() && order.order_id == 0) order.order_id = 1;
  m.sort_orders.push_back(SortOrder::Unsorted());
  if (!order.fields.empty()) m.sort_orders.push_back(order);
  m.default_sort_order_id = order.order_id;
  m.properties = options.properties;
  m.properties.emplace("write.format.default", "parquet");

  const std::string location =
      m.location + "/metadata/" + fmt::format("{:05d}-{}.metadata.json", 0, NewUuid());
  K2_RETURN_IF_ERROR(io.WriteAll(location, m.ToJson(), /*exclusive=*/true));
  auto st = catalog.CreateTable(id, location);
  if (!st) {
    (void)io.Delete(location);  // never registered: safe to remove
    return std::unexpected(st.error());
  }
  Table t;
  t.catalog_ = &catalog;
  t.io_ = &io;
  t.id_ = id;
  t.metadata_ = std::make_shared<const TableMetadata>(std::move(m));
  t.metadata_location_ = location;
  return t;
}

std::string Table::NewDataFilePath(const std::string& partition_path,
                                   const std::string& extension) const {
  std::string dir = metadata_->location + "/data/";
  if (!partition_path.empty()) dir += partition_path + "/";
  return dir + NewUuid() + "." + extension;
}

std::string Table::MetadataPath(const std::string& file_name) const {
  return metadata_->location + "/metadata/" + file_name;
}

TableScan Table::NewScan() const {
  return TableScan(*this);
}

Result<bool> Table::CheckCommitted(const std::string& new_location) {
  K2_ASSIGN_OR_RETURN(std::string current, catalog_->LoadTable(id_));
  if (current == new_location) return true;
  K2_ASSIGN_OR_RETURN(TableMetadata m, ReadTableMetadata(*io_, current));
  for (const auto& e : m.metadata_log) {
    if (e.metadata_file == new_location) return true;
  }
  return false;
}

Result<bool> Table::CommitThroughCatalog(const TableMetadata& base,
                                         const std::string& base_location,
                                         const TableMetadata& next) {
  auto location = catalog_->CommitMetadata(id_, base, base_location, next);
  if (location) {
    K2_RETURN_IF_ERROR(SetFrom(std::move(*location)));
    return true;
  }
  if (location.error().kind != ErrorKind::kCommitStateUnknown) {
    return std::unexpected(location.error());
  }
  // The catalog wrote the file, so its name is unknown: the commit happened
  // if the snapshots it added are in the table now.
  std::vector<int64_t> added;
  for (const Snapshot& s : next.snapshots) {
    if (!base.SnapshotById(s.snapshot_id)) added.push_back(s.snapshot_id);
  }
  if (added.empty()) return std::unexpected(location.error());
  // A read-back that fails leaves the outcome unknown (the files stay).
  auto unknown = [&](const Error& e) {
    return Error{ErrorKind::kCommitStateUnknown,
                 fmt::format("commit to {}: outcome unknown ({}); reading back failed: {}",
                             id_.ToString(), location.error().message, e.ToString())};
  };
  auto loaded = catalog_->LoadTableMetadata(id_);
  if (!loaded) return std::unexpected(unknown(loaded.error()));
  LoadedMetadata current = std::move(*loaded);
  if (!current.metadata) {
    auto m = ReadTableMetadata(*io_, current.location);
    if (!m) return std::unexpected(unknown(m.error()));
    current.metadata = std::make_shared<const TableMetadata>(std::move(*m));
  }
  const TableMetadata& m = *current.metadata;
  bool all = std::all_of(added.begin(), added.end(),
                         [&](int64_t id) { return m.SnapshotById(id).has_value(); });
  bool none = std::none_of(added.begin(), added.end(),
                           [&](int64_t id) { return m.SnapshotById(id).has_value(); });
  if (all) {
    K2_RETURN_IF_ERROR(SetFrom(std::move(current)));
    return true;
  }
  if (none) {
    return MakeError(ErrorKind::kCommitConflict, "commit to {}: not applied ({})", id_.ToString(),
                     location.error().message);
  }
  return std::unexpected(location.error());
}

Status Table::CommitUpdate(PendingUpdate& update) {
  if (catalog_ == nullptr) {
    update.Finished(false);
    return MakeError(ErrorKind::kUnsupported,
                     "table at {} was opened from a metadata file: it cannot be committed",
                     metadata_location_);
  }
  const TableMetadata& props = *metadata_;
  const int64_t retries = std::max<int64_t>(0, props.PropertyAsInt("commit.retry.num-retries", 4));
  const int64_t min_wait =
      std::max<int64_t>(0, props.PropertyAsInt("commit.retry.min-wait-ms", 100));
  const int64_t max_wait =
      std::max<int64_t>(min_wait, props.PropertyAsInt("commit.retry.max-wait-ms", 60000));
  const int64_t total_timeout =
      props.PropertyAsInt("commit.retry.total-timeout-ms", 30 * 60 * 1000);
  const int64_t started = NowMillis();
  std::mt19937_64 rng(std::random_device{}());
  Error last_error{ErrorKind::kCommitConflict, "no attempt made"};

  for (int64_t attempt = 0;; ++attempt) {
    std::shared_ptr<const TableMetadata> base = metadata_;
    const std::string base_location = metadata_location_;
    auto next = update.Apply(*base);
    if (!next) {
      update.AttemptFailed(true);
      update.Finished(false);
      return std::unexpected(next.error().WithContext("commit to " + id_.ToString()));
    }
    TableMetadata& m = *next;
    // A v1 table may lack a uuid; k2 writes v2, which requires one.
    if (m.table_uuid.empty()) m.table_uuid = NewUuid();
    if (catalog_->WritesMetadata()) {
      auto committed = CommitThroughCatalog(*base, base_location, m);
      if (committed && *committed) {
        update.Finished(true);
        return OkStatus();
      }
      if (!committed && committed.error().kind != ErrorKind::kCommitConflict) {
        update.AttemptFailed(committed.error().kind != ErrorKind::kCommitStateUnknown);
        update.Finished(false);
        return std::unexpected(committed.error().WithContext("commit to " + id_.ToString()));
      }
      if (!committed) last_error = committed.error();
      update.AttemptFailed(true);
    } else {
      const std::string new_location =
          PrepareNextVersion(*base, base_location, m, HighestMetadataVersion(*io_, m.location));
      const std::string json = m.ToJson();
      auto written = io_->WriteAll(new_location, json, /*exclusive=*/true);
      if (!written) {
        (void)io_->Delete(new_location);  // best-effort: a partial file nothing references
        update.AttemptFailed(true);
        update.Finished(false);
        return std::unexpected(written.error());
      }
      auto swapped = catalog_->SwapTable(id_, base_location, new_location);
      bool committed = swapped.has_value();
      bool safe_to_delete = true;
      if (!swapped) {
        last_error = swapped.error();
        if (swapped.error().kind == ErrorKind::kCommitStateUnknown) {
          auto check = CheckCommitted(new_location);
          if (!check) {
            update.AttemptFailed(false);
            update.Finished(false);
            return MakeError(ErrorKind::kCommitStateUnknown,
                             "commit to {}: outcome unknown ({}); reading back failed: {}",
                             id_.ToString(), swapped.error().message, check.error().ToString());
          }
          committed = *check;
          safe_to_delete = false;
        } else if (swapped.error().kind != ErrorKind::kCommitConflict) {
          (void)io_->Delete(new_location);  // best-effort: the swap surely failed
          update.AttemptFailed(true);
          update.Finished(false);
          return std::unexpected(swapped.error().WithContext("commit to " + id_.ToString()));
        }
      }
      if (committed) {
        metadata_ = std::make_shared<const TableMetadata>(std::move(m));
        metadata_location_ = new_location;
        MetadataCache::Instance().Put(new_location, metadata_, json.size());
        DeleteDroppedMetadataFiles(*io_, *base, *metadata_);
        update.Finished(true);
        return OkStatus();
      }
      if (safe_to_delete) (void)io_->Delete(new_location);  // best-effort: lost the race
      update.AttemptFailed(safe_to_delete);
    }
    const int64_t elapsed = NowMillis() - started;
    if (attempt >= retries || elapsed >= total_timeout) {
      update.Finished(false);
      return MakeError(ErrorKind::kCommitConflict,
                       "commit to {} failed after {} attempts in {} ms: {}", id_.ToString(),
                       attempt + 1, elapsed, last_error.message);
    }
    int64_t wait = min_wait;
    for (int64_t i = 0; i < attempt && wait < max_wait; ++i) wait *= 2;
    wait = std::min(wait, max_wait);
    if (wait > 0)
      wait = wait / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(wait / 2 + 1));
    wait = std::min(wait, std::max<int64_t>(0, total_timeout - elapsed));
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    auto refreshed = Refresh();
    if (!refreshed) {
      update.Finished(false);
      return std::unexpected(refreshed.error().WithContext("refresh after conflict"));
    }
  }
}

}  // namespace k2::iceberg
