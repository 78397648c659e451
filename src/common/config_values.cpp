// The config's value spellings: durations ("5m"), byte sizes ("128MB"), the
// kinds' names ("embedded", "sql", ...) and URIs with their secrets hidden.
#include <cctype>

#include "common/config.h"

namespace k2 {

std::string_view WarmKindName(WarmKind kind) {
  switch (kind) {
    case WarmKind::kEmbedded:
      return "embedded";
    case WarmKind::kHttp:
      return "http";
  }
  return "embedded";
}

std::string_view CatalogKindName(CatalogKind kind) {
  switch (kind) {
    case CatalogKind::kSql:
      return "sql";
    case CatalogKind::kRest:
      return "rest";
  }
  return "sql";
}

std::string_view VendCredentialsName(VendCredentials vend) {
  switch (vend) {
    case VendCredentials::kOff:
      return "off";
    case VendCredentials::kReadWrite:
      return "read-write";
    case VendCredentials::kAll:
      return "all";
  }
  return "off";
}

Result<int64_t> ParseDurationSeconds(const std::string& text) {
  if (text.empty()) return MakeError(ErrorKind::kInvalidInput, "empty duration");
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    n = n * 10 + (text[i] - '0');
    ++i;
    if (n > (int64_t{1} << 40)) break;
  }
  if (i == 0) {
    return MakeError(ErrorKind::kInvalidInput, "'{}' is not a duration (use e.g. 30s, 5m, 1h, 7d)",
                     text);
  }
  std::string unit = text.substr(i);
  if (unit.empty() || unit == "s") return n;
  if (unit == "m" || unit == "min") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  if (unit == "w") return n * 7 * 86400;
  return MakeError(ErrorKind::kInvalidInput, "'{}' is not a duration (use e.g. 30s, 5m, 1h, 7d)",
                   text);
}

Result<int64_t> ParseByteSize(const std::string& text) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    n = n * 10 + (text[i] - '0');
    ++i;
    if (n > (int64_t{1} << 50)) break;
  }
  if (i == 0)
    return MakeError(ErrorKind::kInvalidInput, "'{}' is not a size (use e.g. 128MB)", text);
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "B") return n;
  if (unit == "K" || unit == "KB" || unit == "KIB") return n << 10;
  if (unit == "M" || unit == "MB" || unit == "MIB") return n << 20;
  if (unit == "G" || unit == "GB" || unit == "GIB") return n << 30;
  return MakeError(ErrorKind::kInvalidInput, "'{}' is not a size (use e.g. 128MB)", text);
}

std::string RedactUri(std::string_view uri) {
  std::string out(uri);
  size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    size_t auth_begin = scheme_end + 3;
    size_t auth_end = out.find_first_of("/?#", auth_begin);
    if (auth_end == std::string::npos) auth_end = out.size();
    size_t at = out.rfind('@', auth_end == 0 ? 0 : auth_end - 1);
    if (at != std::string::npos && at >= auth_begin && at < auth_end) {
      size_t colon = out.find(':', auth_begin);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // libpq also accepts ?password=... and key=value conninfo strings; tokens
  // and secrets in query strings are hidden the same way.
  for (std::string_view key : {"password=", "token=", "secret="}) {
    size_t pos = 0;
    while ((pos = out.find(key, pos)) != std::string::npos) {
      bool at_boundary =
          pos == 0 || out[pos - 1] == '?' || out[pos - 1] == '&' || out[pos - 1] == ' ';
      size_t value_begin = pos + key.size();
      if (!at_boundary) {
        pos = value_begin;
        continue;
      }
      size_t value_end = out.find_first_of("& ", value_begin);
      if (value_end == std::string::npos) value_end = out.size();
      out.replace(value_begin, value_end - value_begin, "***");
      pos = value_begin + 3;
    }
  }
  return out;
}

}  // namespace k2
