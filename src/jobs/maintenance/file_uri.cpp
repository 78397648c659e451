#include "jobs/maintenance/file_uri.h"

#include <algorithm>
#include <cctype>

namespace k2::jobs {

namespace {

std::string CollapseSlashes(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  for (char c : p) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace

NormalizedUri NormalizeUri(std::string_view uri) {
  NormalizedUri n;
  const size_t colon = uri.find(':');
  const size_t slash = uri.find('/');
  const bool has_scheme = colon != std::string_view::npos && colon > 0 &&
                          (slash == std::string_view::npos || colon < slash);
  if (!has_scheme) {
    n.scheme = "file";
    n.path = CollapseSlashes(uri);
    return n;
  }
  std::string scheme(uri.substr(0, colon));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme == "s3a" || scheme == "s3n") scheme = "s3";
  n.scheme = scheme;
  std::string_view rest = uri.substr(colon + 1);
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    const size_t end = rest.find('/');
    n.authority = std::string(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  n.path = CollapseSlashes(rest);
  if (n.path.empty() || n.path.front() != '/') n.path.insert(n.path.begin(), '/');
  return n;
}

}  // namespace k2::jobs
