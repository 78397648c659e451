#include "catalog/rest_server/rest_server_protocol.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/json.h"

namespace k2::rest {

using Json = nlohmann::json;
using iceberg::TableMetadata;

namespace {

constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxPageSize = 1000;

}  // namespace

RestResponse JsonResponse(int status, const Json& body) {
  RestResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

RestResponse NoContent() {
  RestResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

RestResponse ErrorResponse(int code, std::string_view type, std::string_view message) {
  return JsonResponse(code, {{"error", {{"message", message}, {"type", type}, {"code", code}}}});
}

RestResponse FromError(const Error& e, Subject subject) {
  switch (e.kind) {
    case ErrorKind::kInvalidInput:
      return ErrorResponse(400, "BadRequestException", e.message);
    case ErrorKind::kNotFound:
      return ErrorResponse(404,
                           subject == Subject::kNamespace ? "NoSuchNamespaceException"
                           : subject == Subject::kTable   ? "NoSuchTableException"
                                                          : "NotFoundException",
                           e.message);
    case ErrorKind::kAlreadyExists:
      return ErrorResponse(409, "AlreadyExistsException", e.message);
    case ErrorKind::kCommitConflict:
      return ErrorResponse(409, "CommitFailedException", e.message);
    case ErrorKind::kUnsupported:
      return ErrorResponse(406, "UnsupportedOperationException", e.message);
    case ErrorKind::kCommitStateUnknown:
      return ErrorResponse(500, "CommitStateUnknownException", e.message);
    case ErrorKind::kIo:
    case ErrorKind::kRemote:
    case ErrorKind::kTimeout:
    case ErrorKind::kCancelled:
      return ErrorResponse(503, "ServiceUnavailableException", e.message);
    default:
      return ErrorResponse(500, "InternalServerError", e.message);
  }
}

RestResponse BadRequest(std::string_view message) {
  return ErrorResponse(400, "BadRequestException", message);
}

Status ValidName(std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= kMaxNameBytes && name != "." && name != "..";
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    ok = ok && u >= 0x20 && u != 0x7f && c != '.' && c != '/' && c != '\\';
  }
  if (!ok) {
    return MakeError(ErrorKind::kInvalidInput,
                     "{} name is empty, longer than {} bytes, or contains '.', '/', '\\' or a "
                     "control character",
                     what, kMaxNameBytes);
  }
  return OkStatus();
}

Result<Namespace> ParseNamespaceJson(const Json& j) {
  if (!j.is_array() || j.empty()) {
    return MakeError(ErrorKind::kInvalidInput, "namespace must be a non-empty list of strings");
  }
  Namespace ns;
  for (const Json& level : j) {
    if (!level.is_string()) {
      return MakeError(ErrorKind::kInvalidInput, "namespace levels must be strings");
    }
    K2_RETURN_IF_ERROR(ValidName(level.get<std::string>(), "namespace level"));
    ns.push_back(level.get<std::string>());
  }
  return ns;
}

Result<Namespace> ParseNamespaceParam(std::string_view encoded) {
  std::string text;
  if (!PercentDecode(encoded, text)) {
    return MakeError(ErrorKind::kInvalidInput, "malformed percent-encoding in namespace");
  }
  Namespace ns;
  size_t begin = 0;
  for (;;) {
    size_t sep = text.find(kNamespaceSeparator, begin);
    std::string level = text.substr(begin, sep == std::string::npos ? sep : sep - begin);
    K2_RETURN_IF_ERROR(ValidName(level, "namespace level"));
    ns.push_back(std::move(level));
    if (sep == std::string::npos) break;
    begin = sep + 1;
  }
  return ns;
}

Result<TableIdentifier> ParseIdentifierJson(const Json& j) {
  if (!j.is_object() || !j.contains("namespace") || !j.contains("name") || !j["name"].is_string()) {
    return MakeError(ErrorKind::kInvalidInput, "table identifier needs namespace and name");
  }
  TableIdentifier id;
  K2_ASSIGN_OR_RETURN(id.ns, ParseNamespaceJson(j["namespace"]));
  id.name = j["name"].get<std::string>();
  K2_RETURN_IF_ERROR(ValidName(id.name, "table"));
  return id;
}

Json IdentifierJson(const TableIdentifier& id) {
  return {{"namespace", id.ns}, {"name", id.name}};
}

Result<Json> ParseBody(const RestRequest& req) {
  auto j = ParseUntrustedJson(req.body, "request body");
  if (!j) return MakeError(ErrorKind::kInvalidInput, "{}", j.error().message);
  if (!j->is_object()) {
    return MakeError(ErrorKind::kInvalidInput, "request body is not a JSON object");
  }
  return j;
}

std::string HexEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

Result<std::string> HexDecode(std::string_view s) {
  if (s.size() % 2 != 0) return MakeError(ErrorKind::kInvalidInput, "malformed pageToken");
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return MakeError(ErrorKind::kInvalidInput, "malformed pageToken");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

Result<std::pair<size_t, size_t>> Page(const RestRequest& req, const std::vector<std::string>& keys,
                                       std::string& next_token) {
  size_t begin = 0;
  std::string token = req.Query("pageToken");
  if (!token.empty()) {
    K2_ASSIGN_OR_RETURN(std::string after, HexDecode(token));
    begin = std::upper_bound(keys.begin(), keys.end(), after) - keys.begin();
  }
  size_t size = keys.size();
  std::string size_text = req.Query("pageSize");
  if (!size_text.empty()) {
    size_t parsed = 0;
    auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), parsed);
    if (ec != std::errc() || ptr != size_text.data() + size_text.size() || parsed == 0) {
      return MakeError(ErrorKind::kInvalidInput, "pageSize must be a positive integer");
    }
    size = std::min(parsed, kMaxPageSize);
  }
  size_t end = std::min(keys.size(), begin + size);
  next_token = end < keys.size() && end > begin ? HexEncode(keys[end - 1]) : std::string();
  return std::make_pair(begin, end);
}

std::string EtagOf(std::string_view location, std::string_view snapshots) {
  size_t h =
      std::hash<std::string_view>{}(location) ^ (std::hash<std::string_view>{}(snapshots) << 1);
  return fmt::format("\"{:016x}\"", h);
}

Json MetadataJson(const TableMetadata& m, bool refs_only) {
  Json j = m.ToJsonObject();
  if (refs_only) {
    std::set<int64_t> keep;
    for (const auto& [name, ref] : m.refs) keep.insert(ref.snapshot_id);
    if (m.current_snapshot_id) keep.insert(*m.current_snapshot_id);
    Json snaps = Json::array();
    for (const Json& s : j["snapshots"]) {
      if (keep.count(s.value("snapshot-id", int64_t{0}))) snaps.push_back(s);
    }
    j["snapshots"] = std::move(snaps);
  }
  return j;
}

RestResponse LoadAnswer(const std::string& location, const std::string& metadata_json,
                        const Json& config) {
  RestResponse r;
  r.body.reserve(metadata_json.size() + location.size() + 64);
  r.body += R"({"metadata-location":)";
  r.body += Json(location).dump();
  r.body += R"(,"metadata":)";
  r.body += metadata_json;
  if (!config.is_null()) {
    r.body += R"(,"config":)";
    r.body += config.dump();
  }
  r.body += '}';
  return r;
}

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t begin = 0;
  while (begin <= body.size()) {
    size_t amp = body.find('&', begin);
    std::string_view pair = body.substr(begin, amp == std::string_view::npos ? amp : amp - begin);
    size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    std::replace(key.begin(), key.end(), '+', ' ');
    std::replace(value.begin(), value.end(), '+', ' ');
    std::string k, v;
    if (PercentDecode(key, k) && PercentDecode(value, v) && !k.empty()) out[k] = v;
    if (amp == std::string_view::npos) break;
    begin = amp + 1;
  }
  return out;
}

}  // namespace k2::rest
