// The REST catalog server's commits: one table (POST .../tables/{t}) or
// several atomically (/v1/transactions/commit). Each checks requirements,
// applies updates, writes the next metadata file and swaps the catalog
// pointer, re-checking after a lost swap.
#include "catalog/rest_server/rest_catalog_server.h"

#include <spdlog/spdlog.h>

#include <set>

#include "catalog/rest_server/rest_server_protocol.h"
#include "common/json.h"
#include "iceberg/metadata_version.h"
#include "iceberg/update/metadata_builder.h"
#include "iceberg/update/table_requirement.h"

namespace k2::rest {

using iceberg::TableMetadata;

namespace {

constexpr int kCommitAttempts = 4;

}  // namespace

struct RestCatalogServer::PreparedCommit {
  TableIdentifier id;
  std::string base_location;  ///< "" for a table being created
  std::string new_location;
  MetadataFile file;  ///< as written to new_location
};

Result<RestCatalogServer::PreparedCommit> RestCatalogServer::Prepare(const TableIdentifier& id,
                                                                     const Json& change) {
  const Json requirements = change.value("requirements", Json::array());
  const Json updates = change.value("updates", Json::array());
  if (!requirements.is_array() || !updates.is_array()) {
    return MakeError(ErrorKind::kInvalidInput, "requirements and updates must be lists");
  }
  PreparedCommit p;
  p.id = id;
  std::shared_ptr<const TableMetadata> base;
  auto location = catalog_.LoadTable(id);
  if (location) {
    p.base_location = *location;
    K2_ASSIGN_OR_RETURN(MetadataFile file, ReadMetadata(*location));
    base = file.metadata;
  } else if (location.error().kind != ErrorKind::kNotFound) {
    return std::unexpected(location.error());
  }
  bool create = false;
  for (const Json& r : requirements) {
    if (r.is_object() && r.value("type", "") == "assert-create") create = true;
  }
  if (!base && !create) {
    return MakeError(ErrorKind::kNotFound, "table '{}' does not exist", id.ToString());
  }
  for (const Json& r : requirements) K2_RETURN_IF_ERROR(CheckRequirement(r, base.get()));
  auto builder = base ? iceberg::MetadataBuilder(*base) : iceberg::MetadataBuilder::ForCreate();
  for (const Json& u : updates) K2_RETURN_IF_ERROR(builder.Apply(u));
  K2_ASSIGN_OR_RETURN(
      iceberg::BuiltMetadata built, std::move(builder).Build([&](TableMetadata& next) -> Status {
        K2_RETURN_IF_ERROR(CheckLocation(next.location));
        p.new_location =
            iceberg::PrepareNextVersion(base ? *base : next, p.base_location, next,
                                        iceberg::HighestMetadataVersion(io_, next.location));
        if (!base) next.metadata_log.clear();
        return OkStatus();
      }));
  K2_RETURN_IF_ERROR(io_.WriteAll(p.new_location, built.json, /*exclusive=*/true));
  p.file.metadata = std::make_shared<const TableMetadata>(std::move(built.metadata));
  p.file.json = std::make_shared<const std::string>(std::move(built.json));
  return p;
}

void RestCatalogServer::MaybeCrash(std::string_view point) const {
  if (options_.crash_point == point && commits_prepared_ == options_.crash_on_commit) {
    spdlog::critical("REST catalog: crash point {} of commit {} reached (K2_TEST_REST_CRASH)",
                     point, commits_prepared_);
    std::_Exit(86);
  }
}

Result<RestCatalogServer::PreparedCommit> RestCatalogServer::CommitOne(const TableIdentifier& id,
                                                                       const Json& change) {
  std::lock_guard lock(commit_mu_);
  for (int attempt = 1;; ++attempt) {
    K2_ASSIGN_OR_RETURN(PreparedCommit p, Prepare(id, change));
    ++commits_prepared_;
    MaybeCrash("after-write");
    Status st = p.base_location.empty() ? catalog_.CreateTable(id, p.new_location)
                                        : catalog_.SwapTable(id, p.base_location, p.new_location);
    if (st) {
      MaybeCrash("after-swap");
      CacheMetadata(p.new_location, p.file);
      return p;
    }
    if (st.error().kind == ErrorKind::kCommitStateUnknown) {
      // Read back: the swap may have happened before the connection broke.
      auto current = catalog_.LoadTable(id);
      if (current && *current == p.new_location) return p;
      if (!current) return std::unexpected(st.error());
      // Not ours: the file was never referenced, but leave it (it may be).
      return std::unexpected(st.error());
    }
    (void)io_.Delete(p.new_location);  // never referenced
    bool lost_race = st.error().kind == ErrorKind::kCommitConflict ||
                     (p.base_location.empty() && st.error().kind == ErrorKind::kAlreadyExists);
    if (!lost_race || attempt >= kCommitAttempts) return std::unexpected(st.error());
  }
}

RestResponse RestCatalogServer::CommitTable(const TableIdentifier& id, const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  if (body->contains("identifier") && !(*body)["identifier"].is_null()) {
    auto named = ParseIdentifierJson((*body)["identifier"]);
    if (!named) return FromError(named.error());
    if (!(*named == id)) return BadRequest("identifier in the body differs from the path");
  }
  auto committed = CommitOne(id, *body);
  if (!committed) return FromError(committed.error(), Subject::kTable);
  return CommitAnswer(committed->new_location, committed->file);
}

RestResponse RestCatalogServer::CommitAnswer(const std::string& location,
                                             const MetadataFile& file) const {
  RestResponse r = LoadAnswer(location, *file.json, nullptr);
  r.commit_location = location;
  return r;
}

RestResponse RestCatalogServer::CommitTransaction(const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  if (!body->contains("table-changes") || !(*body)["table-changes"].is_array()) {
    return BadRequest("missing 'table-changes' list");
  }
  std::vector<std::pair<TableIdentifier, Json>> changes;
  std::set<TableIdentifier> seen;
  for (const Json& c : (*body)["table-changes"]) {
    if (!c.is_object() || !c.contains("identifier")) {
      return BadRequest("every table change needs an identifier");
    }
    auto id = ParseIdentifierJson(c["identifier"]);
    if (!id) return FromError(id.error());
    if (!seen.insert(*id).second) return BadRequest("a table appears twice in the transaction");
    changes.emplace_back(*id, c);
  }
  std::lock_guard lock(commit_mu_);
  std::vector<PreparedCommit> prepared;
  auto discard = [&] {
    // Best-effort: never referenced; a leftover is an orphan, removed by orphan cleanup.
    for (const auto& p : prepared) (void)io_.Delete(p.new_location);
  };
  for (const auto& [id, change] : changes) {
    auto p = Prepare(id, change);
    if (!p) {
      discard();
      return FromError(p.error(), Subject::kTable);
    }
    if (p->base_location.empty()) {
      prepared.push_back(std::move(*p));
      discard();
      return ErrorResponse(406, "UnsupportedOperationException",
                           "creating tables inside a multi-table transaction is not supported");
    }
    prepared.push_back(std::move(*p));
  }
  std::vector<TableSwap> swaps;
  for (const auto& p : prepared) swaps.push_back({p.id, p.base_location, p.new_location});
  Status st = catalog_.SwapTables(swaps);
  if (!st) {
    if (st.error().kind != ErrorKind::kCommitStateUnknown) discard();
    return FromError(st.error(), Subject::kTable);
  }
  return NoContent();
}

}  // namespace k2::rest
