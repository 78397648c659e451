#pragma once
/// Expected failures as values: Result<T> and Status on std::expected, with a
/// domain error kind. Callers decide what to do (retry, skip, abort) from the
/// kind, never from the message text. Messages name the thing: file and byte
/// offset, table and column, config key and line.

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace k2 {

/// What went wrong, coarse enough to act on.
enum class ErrorKind {
  kInvalidInput,        ///< Bad config, CLI argument, expression or user data.
  kNotFound,            ///< A file, table, namespace, snapshot or key does not exist.
  kAlreadyExists,       ///< Creating something that is already there.
  kCommitConflict,      ///< Optimistic commit lost the race; refresh and retry.
  kCommitStateUnknown,  ///< The commit may or may not have happened; read back before acting.
  kIo,                  ///< Local or object-store I/O failed.
  kRemote,              ///< A server (ClickHouse, catalog, S3) returned an error.
  kTimeout,             ///< A deadline passed.
  kCorrupt,             ///< A file's bytes do not follow its format.
  kUnsupported,         ///< Valid input that k2 does not handle (yet): a type, encoding, feature.
  kCancelled,           ///< The operation was asked to stop.
  kInternal,            ///< A bug in k2.
};

/// Stable lower_snake name of a kind, used in logs, JSON output and metrics labels.
std::string_view ErrorKindName(ErrorKind kind);
/// The kind named `name` (ErrorKindName's spelling), or nullopt if none is.
std::optional<ErrorKind> ParseErrorKind(std::string_view name);

/// An error: its kind and a message that names the thing it is about.
struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;

  /// Returns "kind: message".
  std::string ToString() const;
  /// Returns a copy with `context: ` prepended to the message (same kind).
  Error WithContext(std::string_view context) const;
};

/// A value or an Error. [[nodiscard]]: a dropped Result is a dropped error;
/// a deliberate ignore says why, with `(void)`. Converts from values and from
/// std::unexpected<Error> (MakeError) as std::expected does.
template <typename T>
class [[nodiscard]] Result : public std::expected<T, Error> {
 public:
  using std::expected<T, Error>::expected;
  Result() = default;
  Result(std::expected<T, Error> base) : std::expected<T, Error>(std::move(base)) {}
};

/// Success or an Error. [[nodiscard]] as Result.
class [[nodiscard]] Status : public std::expected<void, Error> {
 public:
  using std::expected<void, Error>::expected;
  Status() = default;
  Status(std::expected<void, Error> base) : std::expected<void, Error>(std::move(base)) {}
};

/// Builds an unexpected Error with a fmt-formatted message.
template <typename... Args>
std::unexpected<Error> MakeError(ErrorKind kind, fmt::format_string<Args...> format,
                                 Args&&... args) {
  return std::unexpected<Error>(Error{kind, fmt::format(format, std::forward<Args>(args)...)});
}

inline Status OkStatus() {
  return {};
}

}  // namespace k2

#define K2_CONCAT_INNER(a, b) a##b
#define K2_CONCAT(a, b) K2_CONCAT_INNER(a, b)

/// Returns the error of a Result/Status expression from the enclosing function.
#define K2_RETURN_IF_ERROR(expr)                                 \
  do {                                                           \
    auto&& k2_status_ = (expr);                                  \
    if (!k2_status_) return std::unexpected(k2_status_.error()); \
  } while (false)

#define K2_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)            \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)

/// `K2_ASSIGN_OR_RETURN(auto x, Foo());` binds the value or returns the error.
#define K2_ASSIGN_OR_RETURN(lhs, expr) \
  K2_ASSIGN_OR_RETURN_IMPL(K2_CONCAT(k2_result_, __LINE__), lhs, expr)
