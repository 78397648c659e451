#include "common/result.h"

namespace k2 {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return "invalid_input";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kAlreadyExists:
      return "already_exists";
    case ErrorKind::kCommitConflict:
      return "commit_conflict";
    case ErrorKind::kCommitStateUnknown:
      return "commit_state_unknown";
    case ErrorKind::kIo:
      return "io";
    case ErrorKind::kRemote:
      return "remote";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kCorrupt:
      return "corrupt";
    case ErrorKind::kUnsupported:
      return "unsupported";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorKind> ParseErrorKind(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInternal); ++k) {
    if (ErrorKindName(static_cast<ErrorKind>(k)) == name) return static_cast<ErrorKind>(k);
  }
  return std::nullopt;
}

std::string Error::ToString() const {
  return fmt::format("{}: {}", ErrorKindName(kind), message);
}

Error Error::WithContext(std::string_view context) const {
  return Error{kind, fmt::format("{}: {}", context, message)};
}

}  // namespace k2
