#pragma once
/// An HTTP request and response as the REST catalog server sees them, apart
/// from any HTTP library: the daemon's HTTP server (cpp-httplib) translates,
/// and unit tests call the server directly with these.

#include <map>
#include <string>
#include <vector>

namespace k2::rest {

struct RestRequest {
  std::string method;  ///< GET, HEAD, POST, DELETE
  /// Path below the mount point, still percent-encoded: "/v1/namespaces/a%1Fb".
  std::string path;
  /// Decoded query parameters (the last value of a repeated key wins).
  std::map<std::string, std::string> query;
  /// Headers with lower-case names.
  std::map<std::string, std::string> headers;
  std::string body;

  /// The header `name` (lower-case) or "".
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  /// The query parameter `name` or "".
  std::string Query(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

struct RestResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// A successful commit's new metadata file (not sent: the server keeps
  /// idempotent answers by it instead of by the body).
  std::string commit_location;
};

/// Decodes %XX escapes ('+' stays '+': paths are not forms). Returns false on a
/// malformed escape.
bool PercentDecode(std::string_view in, std::string& out);
/// Encodes everything but unreserved characters (RFC 3986) as %XX.
std::string PercentEncode(std::string_view in);

/// The REST protocol's separator of namespace levels in a path or query
/// parameter ("a%1Fb" for levels a, b).
inline constexpr char kNamespaceSeparator = '\x1f';

/// A namespace as a path or query parameter: its levels joined by
/// kNamespaceSeparator, percent-encoded (the server's ParseNamespaceParam reads it).
std::string NamespaceParam(const std::vector<std::string>& levels);

}  // namespace k2::rest
