// Writes the seed corpora of the fuzz targets (scripts/fuzz runs it first):
//   seed_gen <out_dir> [fixtures_dir]
// out_dir/<target>/ receives, as that target's input layout wants them:
//   - files k2 writes: a small partitioned Iceberg table (Parquet data files,
//     manifests, manifest lists, metadata JSON with the offload's snapshot
//     summaries, a gzipped metadata file), RowBinary rows, the example k2.yaml,
//     cron expressions, zone files of the system's zone directory, and
//     requests to the REST catalog server (the bodies of its tests);
//   - files other engines wrote, from fixtures_dir when present
//     (../shared/fixtures: parquet-testing and iceberg-tables), never copied
//     into the repository.
// Captured ClickHouse streams (capture_streams.mjs) and S3 answers are checked
// in (fuzz/seeds).
#include <zlib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "columnar/value.h"
#include "common/config.h"
#include "iceberg/manifest/manifest_entry.h"
#include "iceberg/manifest/manifest_list.h"
#include "iceberg/manifest/manifest_writer.h"
#include "iceberg/table_metadata.h"
#include "io/file_io.h"
#include "jobs/offload_ledger.h"
#include "parquet/file_writer.h"
#include "warm/row_binary.h"

namespace fs = std::filesystem;

// The k2 stages are compiled with trace-pc for the fuzzers; this program is
// not one, so their coverage callback does nothing here.
extern "C" void __sanitizer_cov_trace_pc() {}

namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int written = 0;

void WriteSeed(const fs::path& dir, const std::string& name, std::string_view prefix,
               std::string_view bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ++written;
}

std::string Gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Prefix(char c) {
  return std::string(1, c);
}

/// Seeds from one file, by kind, for every target that reads that kind.
void AddFile(const fs::path& out, const fs::path& file, const std::string& tag) {
  std::string bytes = ReadFile(file);
  if (bytes.size() > (1 << 20)) return;
  // Tables reuse file names (v1.metadata.json): number them.
  std::string name = tag + "-" + std::to_string(written) + "-" + file.filename().string();
  std::string ext = file.extension().string();
  if (file.filename().string().starts_with("k2-ledger")) {
    WriteSeed(out / "offload_ledger", name, Prefix(0), bytes);
  } else if (ext == ".parquet") {
    // parquet_fuzz's -max_len (scripts/fuzz): a longer file would be cut
    // before its footer, i.e. read as garbage at a cost per execution.
    if (bytes.size() <= (256u << 10)) WriteSeed(out / "parquet", name, "", bytes);
    if (bytes.size() >= 12 && bytes.compare(bytes.size() - 4, 4, "PAR1") == 0) {
      uint32_t len = 0;
      std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
      if (len <= bytes.size() - 12) {
        std::string footer = bytes.substr(bytes.size() - 8 - len, len);
        WriteSeed(out / "thrift_compact", name + ".footer", Prefix(1), footer);
        WriteSeed(out / "thrift_compact", name + ".walk", Prefix(0), footer);
      }
      WriteSeed(out / "thrift_compact", name + ".page", Prefix(2), bytes.substr(4, 256));
    }
  } else if (ext == ".avro") {
    WriteSeed(out / "avro_container", name, "", bytes);
    bool list = file.filename().string().starts_with("snap-");
    WriteSeed(out / "manifest", name, Prefix(list ? 0 : 1), bytes);
    if (!list) WriteSeed(out / "manifest", name + ".v1", Prefix(5), bytes);
    WriteSeed(out / "manifest", name + ".meta", Prefix(2), bytes);
  } else if (ext == ".json") {
    WriteSeed(out / "table_metadata", name, Prefix(0), bytes);
    WriteSeed(out / "table_metadata", name + ".gz", Prefix(1), Gzip(bytes));
    WriteSeed(out / "offload_ledger", name, Prefix(1), bytes);
  }
}

void AddTree(const fs::path& out, const fs::path& root, const std::string& tag) {
  if (!fs::is_directory(root)) return;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) AddFile(out, e.path(), tag);
  }
}

/// A partitioned trades table as k2's offload writes it, under `dir`: per
/// window a Parquet file, a manifest, a manifest list, and a metadata file
/// whose snapshots carry the offload ledger's summaries. Written with the
/// writers the commit path uses (no catalog needed).
k2::Status WriteK2Table(const fs::path& dir) {
  using namespace k2;
  using namespace k2::iceberg;
  auto io = NewLocalFileIO();
  const std::string location = (dir / "warehouse/market/trades").string();
  Schema schema{{{1, "ts", DataType::Timestamp(), false, ""},
                 {2, "symbol", DataType::String(), true, ""},
                 {3, "price", DataType::Double(), true, ""},
                 {4, "qty", DataType::Int64(), true, ""}}};
  TableSchema table_schema;
  table_schema.schema = schema;
  table_schema.highest_field_id = 4;
  K2_ASSIGN_OR_RETURN(auto spec, PartitionSpec::Make(schema, {{"ts", "day"}}));
  TableMetadata m;
  m.table_uuid = "9c12d441-03fe-4693-9a96-a0705ddf69c1";
  m.location = location;
  m.last_column_id = 4;
  m.schemas = {table_schema};
  m.specs = {spec};
  m.last_partition_id = kFirstPartitionFieldId;
  m.sort_orders = {SortOrder::Unsorted()};
  auto shared = std::make_shared<const Schema>(schema);
  std::vector<ManifestFile> manifests;
  jobs::OffloadLedger ledger;
  for (int day = 0; day < 3; ++day) {
    ColumnBatch batch(shared);
    for (int i = 0; i < 5; ++i) {
      K2_ASSIGN_OR_RETURN(int64_t us, ParseTimestampMicros("2026-11-2" + std::to_string(day) +
                                                           "T10:00:0" + std::to_string(i)));
      batch.columns[0].Append<int64_t>(us);
      if (i == 3) {
        batch.columns[1].AppendNull();
      } else {
        batch.columns[1].AppendBytes(i % 2 ? "BTCUSDT" : "ETHUSDT");
      }
      batch.columns[2].Append<double>(100.5 + i);
      batch.columns[3].Append<int64_t>(i * 7);
    }
    K2_ASSIGN_OR_RETURN(PartitionValues partition, spec.PartitionFor(batch, 0));
    const int64_t snapshot_id = 1000 + day;
    const std::string data_path = location + "/data/" + spec.PartitionPath(partition) + "/" +
                                  std::to_string(day) + ".parquet";
    fs::create_directories(fs::path(data_path).parent_path());
    K2_ASSIGN_OR_RETURN(auto out, io->OpenOutput(data_path));
    K2_ASSIGN_OR_RETURN(auto writer, parquet::FileWriter::Open(std::move(out), shared));
    K2_RETURN_IF_ERROR(writer->Write(batch));
    K2_ASSIGN_OR_RETURN(auto metrics, writer->Finish());

    fs::create_directories(location + "/metadata");
    const std::string manifest_path =
        location + "/metadata/m" + std::to_string(snapshot_id) + ".avro";
    K2_ASSIGN_OR_RETURN(auto mw, ManifestWriter::Open(*io, manifest_path, table_schema, spec,
                                                      ManifestContent::kData, snapshot_id));
    ManifestEntry entry;
    entry.file = MakeDataFile(metrics, data_path, 0, std::move(partition));
    K2_RETURN_IF_ERROR(mw->Add(entry));
    K2_ASSIGN_OR_RETURN(ManifestFile mf, mw->Finish());
    mf.sequence_number = day + 1;
    mf.min_sequence_number = day + 1;
    mf.added_snapshot_id = snapshot_id;
    manifests.push_back(mf);
    const std::string list_path =
        location + "/metadata/snap-" + std::to_string(snapshot_id) + ".avro";
    std::optional<int64_t> parent;
    if (day > 0) parent = snapshot_id - 1;
    K2_RETURN_IF_ERROR(WriteManifestList(*io, list_path, snapshot_id, parent, day + 1, manifests));

    jobs::WindowRecord record;
    record.window = {int64_t{1795600000000000} + day * int64_t{86400000000},
                     int64_t{1795600000000000} + (day + 1) * int64_t{86400000000}};
    record.source_rows = 5;
    record.source_checksum = std::to_string(1234567890123 * (day + 1));
    record.checksum_kind = "binary";
    record.run_id = "run-" + std::to_string(day);
    Snapshot snap;
    snap.snapshot_id = snapshot_id;
    snap.parent_snapshot_id = parent;
    snap.sequence_number = day + 1;
    snap.timestamp_ms = 1795600000000 + day;
    snap.manifest_list = list_path;
    snap.operation = day == 2 ? "overwrite" : "append";
    snap.summary = jobs::SummaryFor("market.trades", record, day == 2);
    snap.summary["added-data-files"] = "1";
    if (day < 2) {  // the last window only in its summary: a carry-over
      ledger.Record(record);
      m.properties[jobs::kLedgerProperty] = ledger.ToProperty();
    }
    snap.schema_id = 0;
    m.snapshots.push_back(snap);
    m.snapshot_log.push_back({snap.timestamp_ms, snapshot_id});
    m.current_snapshot_id = snapshot_id;
    m.refs[kMainBranch] = SnapshotRef{snapshot_id, RefType::kBranch, {}, {}, {}};
    m.last_sequence_number = day + 1;
    m.last_updated_ms = snap.timestamp_ms;
    K2_RETURN_IF_ERROR(io->WriteAll(
        location + "/metadata/0000" + std::to_string(day + 1) + "-9c12d441.metadata.json",
        m.ToJson()));
  }
  K2_RETURN_IF_ERROR(io->WriteAll((dir / "k2-ledger.json").string(), ledger.ToProperty()));
  return OkStatus();
}

/// Requests to the REST catalog server in rest_request_fuzz's layout: requests
/// separated by 0x1E, each [route][flags][line]\n[body] (routes and flags:
/// fuzz/rest_request_fuzz.cpp), with the bodies of the server's tests.
void WriteRestSeeds(const fs::path& out) {
  using Json = nlohmann::json;
  enum Route : char {
    kConfig,
    kTokens,
    kListNs,
    kCreateNs,
    kLoadNs,
    kHeadNs,
    kDropNs,
    kNsProps,
    kListTables,
    kCreateTable,
    kRegister,
    kLoadTable,
    kHeadTable,
    kCommit,
    kDropTable,
    kMetrics,
    kRename,
    kTransaction,
    kRaw
  };
  struct Req {
    char route;
    char flags;
    std::string line;
    std::string body;
  };
  auto write = [&](const std::string& name, const std::vector<Req>& reqs) {
    std::string bytes;
    for (const Req& r : reqs) {
      if (!bytes.empty()) bytes.push_back('\x1e');
      bytes += std::string{r.route, r.flags} + r.line + "\n" + r.body;
    }
    WriteSeed(out / "rest_request", name, "", bytes);
  };
  const std::string uuid = "9c12d441-03fe-4693-9a96-a0705ddf69c1";
  Json schema = {{"type", "struct"},
                 {"schema-id", 0},
                 {"fields",
                  {{{"id", 1}, {"name", "id"}, {"type", "long"}, {"required", true}},
                   {{"id", 2}, {"name", "ts"}, {"type", "timestamptz"}, {"required", false}},
                   {{"id", 3}, {"name", "symbol"}, {"type", "string"}, {"required", false}}}}};
  Json create = {
      {"name", "quotes"},
      {"schema", schema},
      {"partition-spec",
       {{"spec-id", 0},
        {"fields",
         {{{"source-id", 2}, {"field-id", 1000}, {"name", "ts_hour"}, {"transform", "hour"}}}}}},
      {"write-order",
       {{"order-id", 1},
        {"fields",
         {{{"transform", "identity"},
           {"source-id", 3},
           {"direction", "asc"},
           {"null-order", "nulls-first"}}}}}},
      {"properties", {{"owner", "desk"}, {"format-version", "1"}}}};
  auto append = [&](int64_t id, Json parent) {
    Json snap = {{"snapshot-id", id},
                 {"sequence-number", id},
                 {"timestamp-ms", 1700000000000 + id},
                 {"manifest-list", "mem://warehouse/market/trades/metadata/snap.avro"},
                 {"summary", {{"operation", "append"}, {"added-records", "10"}}},
                 {"schema-id", 0}};
    if (!parent.is_null()) snap["parent-snapshot-id"] = parent;
    return Json{{"requirements",
                 {{{"type", "assert-table-uuid"}, {"uuid", uuid}},
                  {{"type", "assert-ref-snapshot-id"}, {"ref", "main"}, {"snapshot-id", parent}}}},
                {"updates",
                 {{{"action", "add-snapshot"}, {"snapshot", snap}},
                  {{"action", "set-snapshot-ref"},
                   {"ref-name", "main"},
                   {"type", "branch"},
                   {"snapshot-id", id}}}}};
  };
  Json schema1 = schema;
  schema1["fields"].push_back(
      {{"id", 4}, {"name", "price"}, {"type", "double"}, {"required", false}});
  Json evolve = {
      {"identifier", {{"namespace", {"market"}}, {"name", "trades"}}},
      {"requirements",
       {{{"type", "assert-current-schema-id"}, {"current-schema-id", 0}},
        {{"type", "assert-last-assigned-field-id"}, {"last-assigned-field-id", 3}},
        {{"type", "assert-last-assigned-partition-id"}, {"last-assigned-partition-id", 1000}},
        {{"type", "assert-default-spec-id"}, {"default-spec-id", 0}},
        {{"type", "assert-default-sort-order-id"}, {"default-sort-order-id", 0}},
        {{"type", "assert-ref-snapshot-id"}, {"ref", "dev"}, {"snapshot-id", nullptr}}}},
      {"updates",
       {{{"action", "add-schema"}, {"schema", schema1}, {"last-column-id", 4}},
        {{"action", "set-current-schema"}, {"schema-id", -1}},
        {{"action", "add-spec"},
         {"spec",
          {{"fields", {{{"source-id", 4}, {"name", "p_bucket"}, {"transform", "bucket[16]"}}}}}}},
        {{"action", "set-default-spec"}, {"spec-id", -1}},
        {{"action", "add-sort-order"},
         {"sort-order",
          {{"order-id", 1},
           {"fields",
            {{{"transform", "truncate[4]"},
              {"source-id", 3},
              {"direction", "desc"},
              {"null-order", "nulls-last"}}}}}}},
        {{"action", "set-default-sort-order"}, {"sort-order-id", -1}},
        {{"action", "set-properties"}, {"updates", {{"a", "1"}}}},
        {{"action", "remove-properties"}, {"removals", {"owner"}}},
        {{"action", "set-snapshot-ref"},
         {"ref-name", "v1"},
         {"type", "tag"},
         {"snapshot-id", 1},
         {"max-ref-age-ms", 86400000}},
        {{"action", "upgrade-format-version"}, {"format-version", 2}}}}};
  Json stats = {{"snapshot-id", 1},
                {"statistics-path", "mem://warehouse/market/trades/metadata/1.puffin"},
                {"file-size-in-bytes", 10},
                {"file-footer-size-in-bytes", 4},
                {"blob-metadata",
                 {{{"type", "apache-datasketches-theta-v1"},
                   {"snapshot-id", 1},
                   {"sequence-number", 1},
                   {"fields", {1}},
                   {"properties", {{"ndv", "3"}}}}}}};
  Json maintain = {
      {"updates",
       {{{"action", "set-statistics"}, {"snapshot-id", 1}, {"statistics", stats}},
        {{"action", "set-partition-statistics"},
         {"partition-statistics",
          {{"snapshot-id", 1},
           {"statistics-path", "mem://warehouse/market/trades/metadata/p1.parquet"},
           {"file-size-in-bytes", 9}}}},
        {{"action", "remove-statistics"}, {"snapshot-id", 1}},
        {{"action", "remove-partition-statistics"}, {"snapshot-id", 1}},
        {{"action", "remove-snapshot-ref"}, {"ref-name", "main"}},
        {{"action", "remove-snapshots"}, {"snapshot-ids", {1}}},
        {{"action", "remove-schemas"}, {"schema-ids", {0}}},
        {{"action", "remove-partition-specs"}, {"spec-ids", {0}}},
        {{"action", "set-location"}, {"location", "mem://warehouse/market/trades2"}}}}};
  Json staged_commit = {
      {"requirements", {{{"type", "assert-create"}}}},
      {"updates",
       {{{"action", "assign-uuid"}, {"uuid", "11111111-2222-4333-8444-555555555555"}},
        {{"action", "upgrade-format-version"}, {"format-version", 2}},
        {{"action", "add-schema"}, {"schema", schema}},
        {{"action", "set-current-schema"}, {"schema-id", -1}},
        {{"action", "set-location"}, {"location", "mem://warehouse/market/staged"}}}}};
  auto change = [](const std::string& name, Json commit) {
    commit["identifier"] = {{"namespace", {"market"}}, {"name", name}};
    return commit;
  };
  Json quotes_append = {
      {"updates", {{{"action", "set-properties"}, {"updates", {{"touched", "yes"}}}}}}};
  Json rename = {{"source", {{"namespace", {"market"}}, {"name", "trades"}}},
                 {"destination", {{"namespace", {"empty"}}, {"name", "fills"}}}};
  Json ns_props = {{"updates", {{"k2", "v2"}}}, {"removals", {"owner", "nope"}}};

  write("config", {{kConfig, 0, "warehouse=anything", ""}});
  write("tokens", {{kTokens, 2, "",
                    "grant_type=client_credentials&client_id=k2-client&client_secret=k2-secret"
                    "&scope=catalog%3Aread"},
                   {kTokens, 3, "azItY2xpZW50OmsyLXNlY3JldA==", "grant_type=client_credentials"},
                   {kTokens, 2, "", "grant_type=password&client_id=x"}});
  write("namespaces", {{kCreateNs, 0, "",
                        Json{{"namespace", {"market", "eu"}}, {"properties", {{"k", "v"}}}}.dump()},
                       {kListNs, 0, "pageSize=1", ""},
                       {kListNs, 0, "pageSize=1&pageToken=656d707479", ""},
                       {kListNs, 0, "parent=market", ""},
                       {kLoadNs, 0, "", ""},
                       {kHeadNs, 0, "", ""},
                       {kNsProps, 0, "", ns_props.dump()},
                       {kDropNs, 0, "", ""},
                       {kRaw, 0, "DELETE /v1/namespaces/market%1Feu", ""}});
  write("tables", {{kCreateTable, 0, "", create.dump()},
                   {kListTables, 0, "pageSize=1", ""},
                   {kRaw, 0, "GET /v1/namespaces/market/tables/quotes?snapshots=refs", ""},
                   {kMetrics, 0, "", Json{{"report-type", "scan-report"}}.dump()}});
  Json staged = create;
  staged["name"] = "staged";
  staged["stage-create"] = true;
  write("staged", {{kCreateTable, 0, "", staged.dump()},
                   {kRaw, 0, "POST /v1/namespaces/market/tables/staged", staged_commit.dump()},
                   {kRaw, 0, "HEAD /v1/namespaces/market/tables/staged", ""}});
  write("load_etag", {{kLoadTable, 0, "snapshots=all", ""},
                      {kLoadTable, 16, "snapshots=all", ""},
                      {kHeadTable, 0, "", ""}});
  write("append", {{kCommit, 0, "", append(2, 1).dump()},
                   {kCommit, 0, "", append(3, 2).dump()},
                   {kCommit, 0, "", append(3, 1).dump()},
                   {kLoadTable, 0, "snapshots=refs", ""}});
  write("evolve", {{kCommit, 0, "", evolve.dump()}, {kLoadTable, 0, "", ""}});
  write("maintain", {{kCommit, 0, "", maintain.dump()}});
  write("transaction",
        {{kCreateTable, 0, "", create.dump()},
         {kTransaction, 0, "",
          Json{{"table-changes", {change("trades", append(2, 1)), change("quotes", quotes_append)}}}
              .dump()}});
  write("rename_register_drop",
        {{kRename, 0, "", rename.dump()},
         {kRaw, 0, "HEAD /v1/namespaces/empty/tables/fills", ""},
         {kRegister, 0, "",
          Json{{"name", "again"},
               {"metadata-location", "mem://warehouse/market/trades/metadata/x"},
               {"overwrite", true}}
              .dump()},
         {kRaw, 0, "DELETE /v1/namespaces/empty/tables/fills?purgeRequested=true", ""},
         {kDropTable, 0, "", ""}});
  write("idempotency", {{kCreateNs, 4, "", Json{{"namespace", {"b"}}}.dump()},
                        {kCreateNs, 4, "", Json{{"namespace", {"b"}}}.dump()},
                        {kCreateNs, 4, "", Json{{"namespace", {"c"}}}.dump()},
                        {kDropTable, 4 | 8, "purgeRequested=true", ""},
                        {kDropTable, 4 | 8, "purgeRequested=true", ""}});
  write("auth", {{kCommit, 1, "", append(2, 1).dump()},
                 {kLoadTable, 1, "", ""},
                 {kLoadTable, 2, "", ""},
                 {kRaw, 0, "PUT /v1/config", ""}});
  write("bad", {{kCreateNs, 0, "", "{\"namespace\": [\"a.b\"]}"},
                {kCreateNs, 0, "", "{\"namespace\": []}"},
                {kCommit, 0, "", "{\"updates\": [{\"action\": \"teleport\"}]}"},
                {kCommit, 0, "", "{\"requirements\": [{\"type\": \"assert-everything\"}]}"},
                {kRaw, 0, "GET /v1/namespaces/a%zz/tables", ""},
                {kRaw, 0, "GET /v2/x", ""}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: seed_gen <out_dir> [fixtures_dir]\n");
    return 2;
  }
  fs::path out = argv[1];
  fs::path work = out / ".k2-table";
  fs::remove_all(work);
  fs::create_directories(work);
  if (auto st = WriteK2Table(work); !st) {
    std::fprintf(stderr, "seed_gen: %s\n", st.error().ToString().c_str());
    return 1;
  }
  AddTree(out, work, "k2");
  // The newest metadata file gzipped as k2 would find it (.gz.metadata.json).
  for (const auto& e : fs::recursive_directory_iterator(work)) {
    if (e.path().extension() == ".json") {
      WriteSeed(out / "table_metadata", "k2-raw-gz-" + e.path().filename().string(), Prefix(2),
                ReadFile(e.path()));
    }
  }
  fs::remove_all(work);

  if (argc > 2) {
    fs::path fixtures = argv[2];
    AddTree(out, fixtures / "parquet-testing/data", "pt");
    AddTree(out, fixtures / "iceberg-tables", "ice");
  }

  // RowBinaryWithNamesAndTypes as k2 encodes it (warm/row_binary).
  {
    using namespace k2;
    std::vector<std::pair<std::string, std::string>> columns = {
        {"ts", "DateTime64(6, 'UTC')"},
        {"symbol", "LowCardinality(String)"},
        {"price", "Decimal(18, 8)"},
        {"qty", "Nullable(UInt32)"},
        {"side", "Enum8('buy' = 1, 'sell' = 2)"}};
    auto types = warm::MapClickHouseColumns(columns);
    if (types) {
      auto schema = std::make_shared<const Schema>(warm::SchemaOf(columns, *types));
      ColumnBatch batch(schema);
      for (int i = 0; i < 4; ++i) {
        batch.columns[0].Append<int64_t>(1795600000000000 + i);
        batch.columns[1].AppendBytes(i % 2 ? "BTCUSDT" : "ETHUSDT");
        batch.columns[2].AppendDecimal(12345678900 + i);
        if (i == 2) {
          batch.columns[3].AppendNull();
        } else {
          batch.columns[3].Append<int64_t>(i);
        }
        batch.columns[4].AppendBytes(i % 2 ? "buy" : "sell");
      }
      std::string body;
      auto varint = [&body](uint64_t v) {
        while (v >= 0x80) {
          body.push_back(static_cast<char>((v & 0x7f) | 0x80));
          v >>= 7;
        }
        body.push_back(static_cast<char>(v));
      };
      varint(columns.size());
      for (const auto& c : columns) {
        varint(c.first.size());
        body += c.first;
      }
      for (const auto& c : columns) {
        varint(c.second.size());
        body += c.second;
      }
      if (warm::EncodeRowBinary(batch, *types, 0, batch.num_rows(), body)) {
        WriteSeed(out / "row_binary", "k2-encoded", std::string("\x07\x20", 2), body);
      }
    }
  }

  WriteSeed(out / "config", "example.yaml", "", k2::ExampleConfigYaml());
  WriteRestSeeds(out);

  const char* crons[] = {"0 5 * * * *",
                         "*/15 * * * *",
                         "0 0 1-30/5 * MON-FRI",
                         "@hourly",
                         "@yearly",
                         "CRON_TZ=Europe/Berlin 30 2 * * *",
                         "TZ=America/New_York 0 0 12 ? JAN,JUL SUN",
                         "0 0 0 29 FEB *",
                         "5/15 1,2,3 * * * 7",
                         "0 0 0 30 FEB *"};
  int n = 0;
  for (const char* c : crons) {
    WriteSeed(out / "cron", "cron" + std::to_string(n++), Prefix(1), c);
  }
  for (const char* z : {"+02:00", "UTC+05:30", "-11:00", "Z", "UTC"}) {
    WriteSeed(out / "cron", "zone" + std::to_string(n++), Prefix(0), z);
  }
  for (const char* z : {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
                        "UTC", "America/Sao_Paulo"}) {
    fs::path p = fs::path("/usr/share/zoneinfo") / z;
    if (fs::is_regular_file(p)) {
      std::string name = z;
      std::replace(name.begin(), name.end(), '/', '_');
      WriteSeed(out / "tzif", name, "", ReadFile(p));
    }
  }
  std::printf("seed_gen: %d seeds in %s\n", written, out.c_str());
  return 0;
}
