#pragma once
/// Who may call the REST catalog server: static bearer tokens from the config
/// (read-only or read-write) and short-lived tokens issued by
/// POST /v1/oauth/tokens to configured OAuth2 clients (client credentials).
/// With nothing configured the server is open (loopback deployments).
///
/// Thread-safe. Tokens are compared in constant time and never logged.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"

namespace k2::rest {

enum class Access { kNone, kReadOnly, kReadWrite };

struct AuthOptions {
  std::vector<std::string> read_write_tokens;  ///< secrets
  std::vector<std::string> read_only_tokens;   ///< secrets
  /// OAuth2 clients as "client_id:client_secret"; their tokens are read-write,
  /// or read-only when the request's scope contains "catalog:read".
  std::vector<std::string> clients;
  int64_t token_ttl_s = 3600;
};

/// A token issued to an OAuth2 client.
struct IssuedToken {
  std::string access_token;
  int64_t expires_in_s = 0;
  Access access = Access::kNone;
};

class TokenAuthority {
 public:
  explicit TokenAuthority(AuthOptions options) : options_(std::move(options)) {}

  /// False when no token and no client is configured: every call is read-write.
  bool enabled() const;
  /// Access granted by an "Authorization" header value ("Bearer <token>").
  /// kNone for a missing, unknown or expired token.
  Access Check(const std::string& authorization);
  /// Client credentials grant. kInvalidInput for an unknown client or a wrong
  /// secret (the message never contains the secret).
  Result<IssuedToken> Issue(const std::string& client_id, const std::string& client_secret,
                            const std::string& scope);

 private:
  struct Live {
    Access access;
    std::chrono::steady_clock::time_point expires;
  };

  AuthOptions options_;
  std::mutex mu_;
  std::map<std::string, Live> issued_;
};

}  // namespace k2::rest
