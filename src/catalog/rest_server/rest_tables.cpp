// The REST catalog server's table routes: list, create (and stage-create),
// register, load (with its metadata cache), drop (and purge), rename.
#include "catalog/rest_server/rest_catalog_server.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "catalog/rest_server/rest_server_protocol.h"
#include "common/json.h"
#include "iceberg/metadata_version.h"
#include "iceberg/table.h"
#include "iceberg/update/metadata_builder.h"
#include "iceberg/update/table_requirement.h"

namespace k2::rest {

using iceberg::TableMetadata;

namespace {

constexpr size_t kMetadataCacheEntries = 64;

}  // namespace

RestResponse RestCatalogServer::ListTables(const Namespace& ns, const RestRequest& req) {
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  auto tables = catalog_.ListTables(ns);
  if (!tables) return FromError(tables.error(), Subject::kNamespace);
  std::sort(tables->begin(), tables->end());
  std::vector<std::string> keys;
  for (const auto& id : *tables) keys.push_back(id.name);
  std::string next;
  auto page = Page(req, keys, next);
  if (!page) return FromError(page.error());
  Json ids = Json::array();
  for (size_t i = page->first; i < page->second; ++i) ids.push_back(IdentifierJson((*tables)[i]));
  Json body = {{"identifiers", ids}};
  if (!next.empty()) body["next-page-token"] = next;
  return JsonResponse(200, body);
}

Status RestCatalogServer::CheckLocation(const std::string& location) const {
  if (options_.warehouse.empty()) return OkStatus();
  std::string_view loc = location;
  bool under = loc.starts_with(options_.warehouse) &&
               (loc.size() == options_.warehouse.size() || loc[options_.warehouse.size()] == '/');
  bool dots = loc.find("/../") != std::string_view::npos || loc.ends_with("/..") ||
              loc.find("/./") != std::string_view::npos;
  if (!under || dots) {
    return MakeError(ErrorKind::kInvalidInput, "location '{}' is not under the warehouse '{}'",
                     location, options_.warehouse);
  }
  return OkStatus();
}

RestResponse RestCatalogServer::CreateTable(const Namespace& ns, const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  const Json& b = *body;
  if (!b.contains("name") || !b["name"].is_string()) return BadRequest("missing table 'name'");
  if (!b.contains("schema") || !b["schema"].is_object()) return BadRequest("missing 'schema'");
  TableIdentifier id{ns, b["name"].get<std::string>()};
  if (auto st = ValidName(id.name, "table"); !st) return FromError(st.error());
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  if (catalog_.LoadTable(id)) {
    return ErrorResponse(409, "AlreadyExistsException",
                         fmt::format("table '{}' already exists", id.ToString()));
  }
  std::string location = b.value("location", "");
  if (location.empty()) {
    location = fmt::format("{}/{}/{}", options_.warehouse, NamespaceToString(ns), id.name);
  }
  while (location.size() > 1 && location.back() == '/') location.pop_back();
  if (auto st = CheckLocation(location); !st) return FromError(st.error());

  Json properties = Json::object();
  if (b.contains("properties") && !b["properties"].is_null()) properties = b["properties"];
  int64_t format_version = 2;
  if (properties.is_object() && properties.contains("format-version")) {
    const Json& v = properties["format-version"];
    if (v.is_string()) {
      // Not a number: 0, a format version the metadata builder refuses.
      const auto& text = v.get_ref<const std::string&>();
      format_version = 0;
      std::from_chars(text.data(), text.data() + text.size(), format_version);
    }
    properties.erase("format-version");
  }
  if (!properties.is_object() || !properties.contains("write.format.default")) {
    properties["write.format.default"] = "parquet";
  }
  Json spec = b.contains("partition-spec") && !b["partition-spec"].is_null()
                  ? b["partition-spec"]
                  : Json{{"spec-id", 0}, {"fields", Json::array()}};
  Json order = b.contains("write-order") && !b["write-order"].is_null()
                   ? b["write-order"]
                   : Json{{"order-id", 0}, {"fields", Json::array()}};
  std::vector<Json> updates = {
      {{"action", "assign-uuid"}, {"uuid", iceberg::NewUuid()}},
      {{"action", "upgrade-format-version"}, {"format-version", format_version}},
      {{"action", "add-schema"}, {"schema", b["schema"]}},
      {{"action", "set-current-schema"}, {"schema-id", -1}},
      {{"action", "add-spec"}, {"spec", spec}},
      {{"action", "set-default-spec"}, {"spec-id", -1}},
      {{"action", "add-sort-order"}, {"sort-order", order}},
      {{"action", "set-default-sort-order"}, {"sort-order-id", -1}},
      {{"action", "set-location"}, {"location", location}},
      {{"action", "set-properties"}, {"updates", properties}},
  };
  auto builder = iceberg::MetadataBuilder::ForCreate();
  for (const Json& u : updates) {
    if (auto st = builder.Apply(u); !st) return FromError(st.error());
  }
  const bool staged = b.value("stage-create", false);
  std::string file;
  auto built = std::move(builder).Build([&](TableMetadata& m) {
    m.last_updated_ms = iceberg::NowMillis();
    if (!staged) file = iceberg::PrepareNextVersion(m, "", m);
    return OkStatus();
  });
  if (!built) return FromError(built.error());
  if (staged) {
    return JsonResponse(
        200, {{"metadata", built->metadata.ToJsonObject()}, {"config", TableConfig(req)}});
  }
  if (auto st = io_.WriteAll(file, built->json, /*exclusive=*/true); !st) {
    return FromError(st.error());
  }
  if (auto st = catalog_.CreateTable(id, file); !st) {
    (void)io_.Delete(file);  // never registered
    return FromError(st.error(), Subject::kNamespace);
  }
  spdlog::info("REST catalog: created table {}", id.ToString());
  MetadataFile written{std::make_shared<const TableMetadata>(std::move(built->metadata)),
                       std::make_shared<const std::string>(std::move(built->json))};
  CacheMetadata(file, written);
  return LoadAnswer(file, *written.json, TableConfig(req));
}

RestResponse RestCatalogServer::RegisterTable(const Namespace& ns, const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  const Json& b = *body;
  if (!b.contains("name") || !b["name"].is_string()) return BadRequest("missing table 'name'");
  if (!b.contains("metadata-location") || !b["metadata-location"].is_string()) {
    return BadRequest("missing 'metadata-location'");
  }
  TableIdentifier id{ns, b["name"].get<std::string>()};
  if (auto st = ValidName(id.name, "table"); !st) return FromError(st.error());
  std::string location = b["metadata-location"].get<std::string>();
  if (auto st = CheckLocation(location); !st) return FromError(st.error());
  auto m = ReadMetadata(location);
  if (!m) return FromError(m.error());
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  Status st = catalog_.CreateTable(id, location);
  if (!st && st.error().kind == ErrorKind::kAlreadyExists && b.value("overwrite", false)) {
    auto current = catalog_.LoadTable(id);
    st = current ? catalog_.SwapTable(id, *current, location)
                 : Status(std::unexpected(current.error()));
  }
  if (!st) return FromError(st.error(), Subject::kTable);
  return LoadAnswer(location, *m->json, TableConfig(req));
}

Result<RestCatalogServer::MetadataFile> RestCatalogServer::ReadMetadata(
    const std::string& location) {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = metadata_cache_.find(location); it != metadata_cache_.end()) return it->second;
  }
  K2_ASSIGN_OR_RETURN(std::string bytes, io_.ReadAll(location));
  K2_ASSIGN_OR_RETURN(TableMetadata m, TableMetadata::FromFileBytes(bytes, location));
  MetadataFile file;
  file.metadata = std::make_shared<const TableMetadata>(std::move(m));
  // Answers embed the file's text as it is, unless it is gzipped or starts
  // with a byte order mark (JSON inside JSON cannot).
  const bool gzipped = bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
                       static_cast<uint8_t>(bytes[1]) == 0x8b;
  file.json = std::make_shared<const std::string>(
      gzipped || bytes.starts_with("\xEF\xBB\xBF") ? file.metadata->ToJson() : std::move(bytes));
  CacheMetadata(location, file);
  return file;
}

void RestCatalogServer::CacheMetadata(const std::string& location, MetadataFile file) {
  std::lock_guard lock(cache_mu_);
  if (!metadata_cache_.emplace(location, std::move(file)).second) return;
  cache_order_.push_back(location);
  while (cache_order_.size() > kMetadataCacheEntries) {
    metadata_cache_.erase(cache_order_.front());
    cache_order_.pop_front();
  }
}

RestResponse RestCatalogServer::LoadTable(const TableIdentifier& id, const RestRequest& req,
                                          bool head) {
  auto location = catalog_.LoadTable(id);
  if (!location) return FromError(location.error(), Subject::kTable);
  if (head) return NoContent();
  std::string snapshots = req.Query("snapshots");
  if (!snapshots.empty() && snapshots != "all" && snapshots != "refs") {
    return BadRequest("snapshots must be 'all' or 'refs'");
  }
  std::string etag = EtagOf(*location, snapshots);
  if (req.Header("if-none-match") == etag) {
    RestResponse r;
    r.status = 304;
    r.content_type.clear();
    r.headers.emplace_back("ETag", etag);
    return r;
  }
  auto m = ReadMetadata(*location);
  if (!m) return FromError(m.error());
  RestResponse r = snapshots == "refs"
                       ? JsonResponse(200, {{"metadata-location", *location},
                                            {"metadata", MetadataJson(*m->metadata, true)},
                                            {"config", TableConfig(req)}})
                       : LoadAnswer(*location, *m->json, TableConfig(req));
  r.headers.emplace_back("ETag", etag);
  return r;
}

Status RestCatalogServer::PurgeTable(const TableMetadata& m) {
  K2_RETURN_IF_ERROR(CheckLocation(m.location));
  K2_ASSIGN_OR_RETURN(auto files, io_.List(m.location + "/"));
  for (const FileInfo& f : files) K2_RETURN_IF_ERROR(io_.Delete(f.path));
  return OkStatus();
}

RestResponse RestCatalogServer::DropTable(const TableIdentifier& id, const RestRequest& req) {
  const bool purge = req.Query("purgeRequested") == "true";
  std::shared_ptr<const TableMetadata> m;
  if (purge) {
    auto location = catalog_.LoadTable(id);
    if (!location) return FromError(location.error(), Subject::kTable);
    auto read = ReadMetadata(*location);
    if (!read) return FromError(read.error());
    m = read->metadata;
  }
  auto dropped = catalog_.DropTable(id);
  if (!dropped) return FromError(dropped.error(), Subject::kTable);
  if (m) {
    if (auto st = PurgeTable(*m); !st) {
      spdlog::warn("REST catalog: dropped {} but purging its files failed: {}", id.ToString(),
                   st.error().ToString());
    }
  }
  return NoContent();
}

RestResponse RestCatalogServer::RenameTable(const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  if (!body->contains("source") || !body->contains("destination")) {
    return BadRequest("rename needs source and destination");
  }
  auto from = ParseIdentifierJson((*body)["source"]);
  if (!from) return FromError(from.error());
  auto to = ParseIdentifierJson((*body)["destination"]);
  if (!to) return FromError(to.error());
  if (auto st = catalog_.LoadTable(*from); !st) return FromError(st.error(), Subject::kTable);
  if (auto st = catalog_.LoadNamespaceProperties(to->ns); !st) {
    return FromError(st.error(), Subject::kNamespace);
  }
  if (auto st = catalog_.RenameTable(*from, *to); !st) {
    return FromError(st.error(), Subject::kTable);
  }
  return NoContent();
}

}  // namespace k2::rest
