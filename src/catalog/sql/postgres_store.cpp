#include "catalog/sql/postgres_store.h"

#include <libpq-fe.h>

#include <mutex>

namespace k2::sql {

namespace {

struct ResultCloser {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultCloser>;

struct ConnInfoCloser {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

void IgnoreNotice(void*, const char*) {}

/// The raw password in a URI's user-info, or "".
std::string UriPassword(std::string_view uri) {
  size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return "";
  size_t begin = scheme_end + 3;
  size_t end = uri.find_first_of("/?#", begin);
  std::string_view authority = uri.substr(begin, end == std::string_view::npos ? end : end - begin);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return "";
  size_t colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return "";
  return std::string(authority.substr(colon + 1, at - colon - 1));
}

/// Rewrites `?` placeholders (outside quotes) to $1..$n.
std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

ErrorKind KindOfSqlState(std::string_view state) {
  if (state == "23505") return ErrorKind::kAlreadyExists;
  if (state == "40001" || state == "40P01") return ErrorKind::kCommitConflict;
  if (state == "55P03" || state == "57014") return ErrorKind::kTimeout;
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P") ||
      state.starts_with("28")) {
    return ErrorKind::kIo;
  }
  return ErrorKind::kRemote;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return text;
}

class PostgresStore final : public CatalogStore {
 public:
  PostgresStore(std::string uri, std::string password)
      : uri_(std::move(uri)), password_(std::move(password)), display_(RedactUri(uri_)) {}
  ~PostgresStore() override {
    if (conn_) PQfinish(conn_);
  }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  const std::string& display_name() const override { return display_; }

  Result<int64_t> Execute(std::string_view sql, const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mu_);
    K2_ASSIGN_OR_RETURN(ResultPtr result, Run(sql, params, /*write=*/true));
    const char* tuples = PQcmdTuples(result.get());
    if (tuples == nullptr || *tuples == '\0') return 0;
    return ParseInt64Cell(std::string(tuples), "affected row count");
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mu_);
    K2_ASSIGN_OR_RETURN(ResultPtr result, Run(sql, params, /*write=*/false));
    int rows = PQntuples(result.get());
    int cols = PQnfields(result.get());
    std::vector<SqlRow> out(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      SqlRow& row = out[static_cast<size_t>(r)];
      row.resize(static_cast<size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(result.get(), r, c)) continue;
        row[static_cast<size_t>(c)] = std::string(
            PQgetvalue(result.get(), r, c), static_cast<size_t>(PQgetlength(result.get(), r, c)));
      }
    }
    return out;
  }

  Status InTransaction(const std::function<Status()>& body) override {
    std::lock_guard lock(mu_);
    K2_RETURN_IF_ERROR(Run("BEGIN", {}, /*write=*/false));
    in_transaction_ = true;
    Status status = body();
    in_transaction_ = false;
    if (!status) {
      if (conn_ && PQstatus(conn_) == CONNECTION_OK) {
        (void)Run("ROLLBACK", {}, false);  // the transaction's own error is the one reported
      }
      return status;
    }
    auto committed = Run("COMMIT", {}, /*write=*/true);
    if (!committed) return std::unexpected(committed.error());
    return OkStatus();
  }

  /// Opens the connection (again, after it broke). kIo if the server cannot be
  /// reached; kInvalidInput if the server rejects the database name.
  Status Connect() {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) return OkStatus();
    if (conn_) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
    // Later keywords win: the URI may override the defaults before it.
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"10", "k2", uri_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (conn_ == nullptr) {
      return MakeError(ErrorKind::kIo, "{}: cannot allocate a libpq connection", display_);
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string message = Scrub(PQerrorMessage(conn_));
      PQfinish(conn_);
      conn_ = nullptr;
      return MakeError(ErrorKind::kIo, "{}: cannot connect: {}", display_, message);
    }
    PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
    return OkStatus();
  }

 private:
  std::string Scrub(std::string text) const {
    text = Trim(std::move(text));
    if (password_.empty()) return text;
    for (size_t pos; (pos = text.find(password_)) != std::string::npos;) {
      text.replace(pos, password_.size(), "***");
    }
    return text;
  }

  Result<ResultPtr> Run(std::string_view sql, const std::vector<SqlValue>& params, bool write) {
    // A connection the server closed while idle (restart, idle timeout) is only
    // noticed on use. A read or a BEGIN outside a transaction changed nothing,
    // so it is retried once on a new connection.
    const bool retryable = !in_transaction_ && (sql.starts_with("SELECT") || sql == "BEGIN");
    for (int attempt = 0;; ++attempt) {
      auto result = RunOnce(sql, params, write);
      const bool lost = !result && conn_ != nullptr && PQstatus(conn_) != CONNECTION_OK;
      if (!retryable || attempt > 0 || !lost) return result;
    }
  }

  Result<ResultPtr> RunOnce(std::string_view sql, const std::vector<SqlValue>& params, bool write) {
    if (in_transaction_ && (!conn_ || PQstatus(conn_) != CONNECTION_OK)) {
      return MakeError(ErrorKind::kIo, "{}: connection lost inside a transaction", display_);
    }
    K2_RETURN_IF_ERROR(Connect());
    std::string text = NumberPlaceholders(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        storage[i] = std::to_string(*n);
        values[i] = storage[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        values[i] = s->c_str();
      }
    }
    ResultPtr result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0));
    ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    std::string sql_head(sql.substr(0, 80));
    if (PQstatus(conn_) != CONNECTION_OK) {
      // The statement may have reached the server: its outcome is unknown,
      // unless it was part of a transaction that now cannot commit.
      std::string message = Scrub(PQerrorMessage(conn_));
      ErrorKind kind = write && !in_transaction_ ? ErrorKind::kCommitStateUnknown : ErrorKind::kIo;
      return MakeError(kind, "{}: connection lost: {} (in '{}')", display_, message, sql_head);
    }
    const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string message =
        Scrub(result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_));
    return MakeError(KindOfSqlState(state ? state : ""), "{}: {} (in '{}')", display_, message,
                     sql_head);
  }

  std::string uri_;
  std::string password_;
  std::string display_;
  PGconn* conn_ = nullptr;
  bool in_transaction_ = false;
  std::recursive_mutex mu_;
};

}  // namespace

Result<std::unique_ptr<CatalogStore>> OpenPostgresStore(const std::string& uri) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, ConnInfoCloser> options(PQconninfoParse(uri.c_str(), &error));
  if (!options) {
    std::string message = error ? Trim(error) : "out of memory";
    PQfreemem(error);
    // libpq may quote the malformed part, which can be the password.
    if (std::string secret = UriPassword(uri); !secret.empty()) {
      for (size_t pos; (pos = message.find(secret)) != std::string::npos;) {
        message.replace(pos, secret.size(), "***");
      }
    }
    return MakeError(ErrorKind::kInvalidInput, "bad PostgreSQL URI '{}': {}", RedactUri(uri),
                     message);
  }
  std::string password;
  for (PQconninfoOption* o = options.get(); o->keyword; ++o) {
    std::string_view key = o->keyword;
    if (key == "password" && o->val) password = o->val;
    // libpq only checks the port when connecting; a typo there is bad input, not I/O.
    if (key == "port" && o->val) {
      std::string_view port = o->val;
      for (char c : port) {
        if ((c < '0' || c > '9') && c != ',') {
          return MakeError(ErrorKind::kInvalidInput, "bad PostgreSQL URI '{}': port '{}'",
                           RedactUri(uri), port);
        }
      }
    }
  }
  auto store = std::make_unique<PostgresStore>(uri, std::move(password));
  K2_RETURN_IF_ERROR(store->Connect());
  return store;
}

}  // namespace k2::sql
