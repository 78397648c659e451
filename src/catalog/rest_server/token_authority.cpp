#include "catalog/rest_server/token_authority.h"

#include <random>

#include "common/strings.h"

namespace k2::rest {

namespace {

bool SameSecret(std::string_view a, std::string_view b) {
  return ConstantTimeEquals(a, b);
}

std::string RandomToken() {
  std::random_device rd;  // /dev/urandom on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    uint32_t word = rd();
    for (int b = 0; b < 8; ++b) out.push_back(kHex[(word >> (b * 4)) & 15]);
  }
  return out;
}

}  // namespace

bool TokenAuthority::enabled() const {
  return !options_.read_write_tokens.empty() || !options_.read_only_tokens.empty() ||
         !options_.clients.empty();
}

Access TokenAuthority::Check(const std::string& authorization) {
  if (!enabled()) return Access::kReadWrite;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return Access::kNone;
  }
  std::string_view token = std::string_view(authorization).substr(kBearer.size());
  Access access = Access::kNone;
  for (const auto& t : options_.read_only_tokens) {
    if (SameSecret(token, t)) access = Access::kReadOnly;
  }
  for (const auto& t : options_.read_write_tokens) {
    if (SameSecret(token, t)) access = Access::kReadWrite;
  }
  if (access != Access::kNone) return access;
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  std::erase_if(issued_, [&](const auto& entry) { return entry.second.expires <= now; });
  auto it = issued_.find(std::string(token));
  return it == issued_.end() ? Access::kNone : it->second.access;
}

Result<IssuedToken> TokenAuthority::Issue(const std::string& client_id,
                                          const std::string& client_secret,
                                          const std::string& scope) {
  bool ok = false;
  for (const auto& c : options_.clients) {
    size_t colon = c.find(':');
    if (colon == std::string::npos) continue;
    // Evaluate both comparisons every time: no early exit on the id.
    bool id_ok = SameSecret(client_id, std::string_view(c).substr(0, colon));
    bool secret_ok = SameSecret(client_secret, std::string_view(c).substr(colon + 1));
    ok = ok || (id_ok && secret_ok);
  }
  if (!ok) {
    return MakeError(ErrorKind::kInvalidInput, "unknown client '{}' or wrong secret", client_id);
  }
  IssuedToken t;
  t.access_token = RandomToken();
  t.expires_in_s = options_.token_ttl_s;
  t.access =
      scope.find("catalog:read") != std::string::npos ? Access::kReadOnly : Access::kReadWrite;
  std::lock_guard lock(mu_);
  issued_[t.access_token] =
      Live{t.access, std::chrono::steady_clock::now() + std::chrono::seconds(t.expires_in_s)};
  return t;
}

}  // namespace k2::rest
