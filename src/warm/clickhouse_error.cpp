#include "warm/clickhouse_error.h"

#include <cctype>
#include <charconv>

namespace k2::warm {

ErrorKind KindForClickHouseCode(int code) {
  switch (code) {
    case 16:  // NO_SUCH_COLUMN_IN_TABLE
    case 47:  // UNKNOWN_IDENTIFIER
    case 60:  // UNKNOWN_TABLE
    case 81:  // UNKNOWN_DATABASE
    case 46:  // UNKNOWN_FUNCTION
      return ErrorKind::kNotFound;
    case 62:   // SYNTAX_ERROR
    case 192:  // UNKNOWN_USER
    case 193:  // WRONG_PASSWORD
    case 194:  // REQUIRED_PASSWORD
    case 516:  // AUTHENTICATION_FAILED
    case 497:  // ACCESS_DENIED
    case 73:   // UNKNOWN_FORMAT
    case 43:   // ILLEGAL_TYPE_OF_ARGUMENT
    case 53:   // TYPE_MISMATCH
      return ErrorKind::kInvalidInput;
    case 57:  // TABLE_ALREADY_EXISTS
    case 82:  // DATABASE_ALREADY_EXISTS
      return ErrorKind::kAlreadyExists;
    case 159:  // TIMEOUT_EXCEEDED
    case 209:  // SOCKET_TIMEOUT
      return ErrorKind::kTimeout;
    case 394:  // QUERY_WAS_CANCELLED
      return ErrorKind::kCancelled;
    default:
      return ErrorKind::kRemote;
  }
}

std::optional<int> ParseClickHouseCode(std::string_view text) {
  size_t at = text.find("Code: ");
  if (at == std::string_view::npos) return std::nullopt;
  const char* p = text.data() + at + 6;
  const char* end = text.data() + text.size();
  int code = 0;
  auto [q, ec] = std::from_chars(p, end, code);
  if (ec != std::errc() || q == p) return std::nullopt;
  return code;
}

std::optional<Error> FindClickHouseException(std::string_view text) {
  size_t from = 0;
  while (true) {
    size_t at = text.find("Code: ", from);
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(at);
    size_t i = 6;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
    // "Code: 60. DB::Exception: ..." (modern) or "Code: 60, e.displayText() = DB::Exception: ..."
    // (old)
    if (i > 6 && (rest.substr(i).starts_with(". DB::Exception") ||
                  rest.substr(i).starts_with(", e.displayText() = DB::Exception"))) {
      while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back()))) {
        rest.remove_suffix(1);
      }
      return ClickHouseError(rest);
    }
    from = at + 1;
  }
}

Error ClickHouseError(std::string_view text, std::string_view query_id) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  auto code = ParseClickHouseCode(text);
  Error e;
  e.kind = code ? KindForClickHouseCode(*code) : ErrorKind::kRemote;
  e.message = std::string(text);
  if (!query_id.empty()) e.message += fmt::format(" (query_id {})", query_id);
  return e;
}

}  // namespace k2::warm
