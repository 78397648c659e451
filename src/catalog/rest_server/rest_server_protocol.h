#pragma once
/// The REST catalog server's wire shapes, shared by its route groups
/// (rest_catalog_server.cpp: dispatch, config, OAuth tokens;
/// rest_namespaces.cpp; rest_tables.cpp; rest_commits.cpp): JSON responses
/// and the spec's ErrorModel, namespace and identifier parameters, request
/// bodies and forms, page tokens, and LoadTableResult. Internal to rest_server/.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/rest_server/rest_message.h"
#include "common/result.h"
#include "iceberg/catalog.h"
#include "iceberg/table_metadata.h"

namespace k2::rest {

using Json = nlohmann::json;

/// What a 404 is about: the spec names the missing thing in the error type.
enum class Subject { kNamespace, kTable, kOther };

/// `body` with HTTP `status`.
RestResponse JsonResponse(int status, const Json& body);

/// 204, no body.
RestResponse NoContent();

/// The spec's ErrorModel: {"error": {"message", "type", "code"}}.
RestResponse ErrorResponse(int code, std::string_view type, std::string_view message);

/// The ErrorModel for an error kind (404s name `subject`).
RestResponse FromError(const Error& e, Subject subject = Subject::kOther);

/// 400 BadRequestException.
RestResponse BadRequest(std::string_view message);

/// kInvalidInput unless `name` is a valid namespace level or table name
/// (1..255 bytes, no '.', '/', '\\', control characters, not "." or "..").
Status ValidName(std::string_view name, std::string_view what);

/// A namespace as a JSON array of levels. kInvalidInput otherwise.
Result<Namespace> ParseNamespaceJson(const Json& j);

/// A namespace path parameter: levels joined by 0x1F, percent-encoded.
Result<Namespace> ParseNamespaceParam(std::string_view encoded);

/// A TableIdentifier {"namespace": [...], "name": ...}. kInvalidInput otherwise.
Result<TableIdentifier> ParseIdentifierJson(const Json& j);

/// The TableIdentifier JSON of `id`.
Json IdentifierJson(const TableIdentifier& id);

/// The body as a JSON object, nesting-limited: copying and dumping a value
/// recurse once per level, so a body of a million '[' would overflow the stack.
Result<Json> ParseBody(const RestRequest& req);

/// Opaque page tokens: the hex of the last name returned.
std::string HexEncode(std::string_view s);

/// HexEncode's inverse. kInvalidInput for a bad token.
Result<std::string> HexDecode(std::string_view s);

/// Pages `keys` (sorted) by the request's pageToken/pageSize. Without pageSize
/// everything after the token is returned.
Result<std::pair<size_t, size_t>> Page(const RestRequest& req, const std::vector<std::string>& keys,
                                       std::string& next_token);

/// The ETag of a table load: its metadata location and snapshots mode.
std::string EtagOf(std::string_view location, std::string_view snapshots);

/// The metadata JSON of a LoadTableResult; with snapshots=refs only the
/// snapshots that refs point to.
Json MetadataJson(const iceberg::TableMetadata& m, bool refs_only);

/// A LoadTableResult (or, without `config`, a CommitTableResponse) around
/// the metadata file's JSON text, which is embedded as it is: the metadata is
/// neither parsed nor serialized again.
RestResponse LoadAnswer(const std::string& location, const std::string& metadata_json,
                        const Json& config);

/// Splits "k=v&k2=v2" (application/x-www-form-urlencoded, '+' is a space).
std::map<std::string, std::string> ParseForm(std::string_view body);

}  // namespace k2::rest
