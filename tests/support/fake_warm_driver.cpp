#include "support/fake_warm_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>

#include "warm/type_mapping.h"

namespace k2::testing {

namespace {

/// A reader over batches cut when the stream opened.
class BatchesReader final : public BatchReader {
 public:
  BatchesReader(std::shared_ptr<const Schema> schema, std::vector<ColumnBatch> batches)
      : schema_(std::move(schema)), batches_(std::move(batches)) {}
  const Schema& schema() const override { return *schema_; }
  Result<const ColumnBatch*> Next() override {
    if (next_ >= batches_.size()) return nullptr;
    return &batches_[next_++];
  }

 private:
  std::shared_ptr<const Schema> schema_;
  std::vector<ColumnBatch> batches_;
  size_t next_ = 0;
};

class FakeWarmDriver final : public warm::WarmDriver {
 public:
  explicit FakeWarmDriver(FakeWarmTier& tier) : tier_(tier) {}
  Result<std::unique_ptr<BatchReader>> Query(const std::string& sql, size_t batch_rows) override {
    return tier_.Query(sql, batch_rows);
  }
  Result<std::vector<std::pair<std::string, std::string>>> Describe(
      const std::string& query_or_table) override {
    return tier_.Describe(query_or_table);
  }
  Result<std::string> Execute(const std::string& sql) override { return tier_.Execute(sql); }
  Status Insert(const std::string& table, const ColumnBatch& batch) override {
    return tier_.Insert(table, batch);
  }
  std::string ServerVersion() override { return "26.1.1.1"; }

 private:
  FakeWarmTier& tier_;
};

Error NotUnderstood(const std::string& sql) {
  return Error{ErrorKind::kUnsupported,
               fmt::format("FakeWarmTier does not understand this statement: {}", sql)};
}

constexpr int64_t kMicrosPerSecond = 1000000;

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

}  // namespace

Status FakeWarmTier::CreateTable(FakeWarmTable def) {
  K2_ASSIGN_OR_RETURN(auto types, warm::MapClickHouseColumns(def.columns));
  auto t = std::make_unique<Table>();
  t->schema = std::make_shared<const Schema>(warm::SchemaOf(def.columns, types));
  auto index = t->schema->IndexOf(def.time_column);
  if (!index ||
      (types[*index].wire != warm::WireKind::kDateTime &&
       types[*index].wire != warm::WireKind::kDateTime64) ||
      types[*index].scale > 6) {
    return MakeError(ErrorKind::kInvalidInput,
                     "fake warm table {}: time column '{}' must be a DateTime or DateTime64 "
                     "(precision <= 6) column",
                     def.name, def.time_column);
  }
  t->time_index = *index;
  t->rows = ColumnBatch(t->schema);
  t->def = std::move(def);
  std::lock_guard lock(mu_);
  for (const auto& existing : tables_) {
    if (existing->def.name == t->def.name) {
      return MakeError(ErrorKind::kAlreadyExists, "fake warm table {} exists", t->def.name);
    }
  }
  tables_.push_back(std::move(t));
  return OkStatus();
}

Result<std::shared_ptr<const Schema>> FakeWarmTier::SchemaOf(const std::string& table) const {
  std::lock_guard lock(mu_);
  for (const auto& t : tables_) {
    if (t->def.name == table) return t->schema;
  }
  return MakeError(ErrorKind::kNotFound, "no fake warm table {}", table);
}

Status FakeWarmTier::Insert(const std::string& table, const ColumnBatch& rows) {
  std::lock_guard lock(mu_);
  for (const auto& t : tables_) {
    if (t->def.name != table) continue;
    if (rows.num_columns() != t->rows.num_columns()) {
      return MakeError(ErrorKind::kInvalidInput, "insert into fake {}: {} columns, not {}", table,
                       rows.num_columns(), t->rows.num_columns());
    }
    K2_RETURN_IF_ERROR(rows.Validate());
    for (size_t c = 0; c < rows.num_columns(); ++c) {
      for (size_t r = 0; r < rows.num_rows(); ++r)
        t->rows.columns[c].AppendFrom(rows.columns[c], r);
    }
    return OkStatus();
  }
  return MakeError(ErrorKind::kNotFound, "no fake warm table {}", table);
}

Result<std::unique_ptr<warm::WarmDriver>> FakeWarmTier::Connect() {
  return std::unique_ptr<warm::WarmDriver>(std::make_unique<FakeWarmDriver>(*this));
}

void FakeWarmTier::set_max_batch_rows(size_t rows) {
  std::lock_guard lock(mu_);
  max_batch_rows_ = rows;
}

int FakeWarmTier::streams() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(streams_.size());
}

std::vector<std::string> FakeWarmTier::stream_sql() const {
  std::lock_guard lock(mu_);
  return streams_;
}

Result<FakeWarmTier::WindowRead> FakeWarmTier::ParseWindowRead(const std::string& sql) const {
  static const std::regex kWindow(
      R"(SELECT \* FROM `([^`]+)`(?: FINAL)? WHERE `([^`]+)` >= toDateTime\((-?\d+), 'UTC'\) )"
      R"(AND `([^`]+)` < toDateTime\((-?\d+), 'UTC'\))");
  std::smatch m;
  if (!std::regex_search(sql, m, kWindow)) return std::unexpected(NotUnderstood(sql));
  for (const auto& t : tables_) {
    if (t->def.name != m[1].str()) continue;
    if (m[2].str() != t->def.time_column || m[4].str() != t->def.time_column) {
      return std::unexpected(NotUnderstood(sql));
    }
    return WindowRead{t.get(), std::stoll(m[3].str()), std::stoll(m[5].str())};
  }
  return MakeError(ErrorKind::kNotFound, "Unknown table expression identifier '{}' in {}",
                   m[1].str(), sql);
}

std::vector<size_t> FakeWarmTier::RowsOf(const WindowRead& read) const {
  const Column& time = read.table->rows.columns[read.table->time_index];
  std::vector<size_t> rows;
  for (size_t r = 0; r < time.length(); ++r) {
    int64_t s = FloorDiv(time.Value<int64_t>(r), kMicrosPerSecond);
    if (s >= read.from_s && s < read.to_s) rows.push_back(r);
  }
  return rows;
}

uint64_t FakeWarmTier::RowHash(const ColumnBatch& rows, size_t row) {
  uint64_t h = 0x84222325cbf29ce4ULL;
  for (const Column& c : rows.columns) {
    if (!c.IsValid(row)) {
      h = Mix(h, 0xff);
      continue;
    }
    std::string_view bytes;
    if (c.type().IsVariableWidth()) {
      bytes = c.Bytes(row);
    } else {
      const size_t width = static_cast<size_t>(c.type().FixedWidth());
      bytes = {reinterpret_cast<const char*>(c.data().data()) + row * width, width};
    }
    h = Mix(h, std::hash<std::string_view>{}(bytes));
  }
  return h;
}

Result<std::string> FakeWarmTier::Execute(const std::string& sql) {
  std::lock_guard lock(mu_);
  std::smatch m;
  if (sql.starts_with("SELECT engine FROM system.tables")) {
    static const std::regex kName(R"(name = '([^']*)')");
    if (!std::regex_search(sql, m, kName)) return std::unexpected(NotUnderstood(sql));
    for (const auto& t : tables_) {
      if (t->def.name == m[1].str()) return t->def.engine + "\n";
    }
    return std::string();
  }
  if (sql.starts_with("SELECT type FROM system.columns")) {
    static const std::regex kColumn(R"(table = '([^']*)' AND name = '([^']*)')");
    if (!std::regex_search(sql, m, kColumn)) return std::unexpected(NotUnderstood(sql));
    for (const auto& t : tables_) {
      if (t->def.name != m[1].str()) continue;
      for (const auto& [name, type] : t->def.columns) {
        if (name == m[2].str()) return type + "\n";
      }
    }
    return std::string();
  }
  if (sql.starts_with("EXISTS TABLE ")) return std::string("0\n");
  if (sql == "SELECT version()") return std::string("26.1.1.1\n");
  // The window's count and checksum (jobs/window_stats.h).
  if (sql.starts_with("SELECT count(), sum(cityHash64(")) {
    K2_ASSIGN_OR_RETURN(WindowRead read, ParseWindowRead(sql));
    uint64_t sum = 0;
    std::vector<size_t> rows = RowsOf(read);
    for (size_t r : rows) sum += RowHash(read.table->rows, r);
    return fmt::format("{}\t{}\n", rows.size(), sum);
  }
  // The oldest row (OldestWarmUs): ClickHouse's min() of no rows is 0.
  if (sql.starts_with("SELECT count(), toInt64(toUnixTimestamp(min(")) {
    K2_ASSIGN_OR_RETURN(WindowRead read, ParseWindowRead(sql));
    const Column& time = read.table->rows.columns[read.table->time_index];
    std::vector<size_t> rows = RowsOf(read);
    int64_t oldest = 0;
    for (size_t r : rows) {
      int64_t s = FloorDiv(time.Value<int64_t>(r), kMicrosPerSecond);
      oldest = r == rows.front() ? s : std::min(oldest, s);
    }
    return fmt::format("{}\t{}\n", rows.size(), oldest);
  }
  // Rows per window (WarmRowsByWindow).
  static const std::regex kGrouped(R"(^SELECT intDiv\(.*, (\d+)\) AS w, count\(\) FROM \()");
  if (std::regex_search(sql, m, kGrouped) && sql.ends_with(") GROUP BY w ORDER BY w")) {
    const int64_t window_s = std::stoll(m[1].str());
    K2_ASSIGN_OR_RETURN(WindowRead read, ParseWindowRead(sql));
    const Column& time = read.table->rows.columns[read.table->time_index];
    std::map<int64_t, int64_t> counts;
    for (size_t r : RowsOf(read)) {
      ++counts[FloorDiv(FloorDiv(time.Value<int64_t>(r), kMicrosPerSecond), window_s)];
    }
    std::string out;
    for (const auto& [w, n] : counts) out += fmt::format("{}\t{}\n", w, n);
    return out;
  }
  return std::unexpected(NotUnderstood(sql));
}

Result<std::vector<std::pair<std::string, std::string>>> FakeWarmTier::Describe(
    const std::string& sql) {
  std::lock_guard lock(mu_);
  for (const auto& t : tables_) {
    if (t->def.name == sql) return t->def.columns;
  }
  K2_ASSIGN_OR_RETURN(WindowRead read, ParseWindowRead(sql));
  return read.table->def.columns;
}

Result<std::unique_ptr<BatchReader>> FakeWarmTier::Query(const std::string& sql,
                                                         size_t batch_rows) {
  std::lock_guard lock(mu_);
  K2_ASSIGN_OR_RETURN(WindowRead read, ParseWindowRead(sql));
  // The offload's stream carries each row's checksum hash in a last column
  // (jobs/offload/window_writer.cpp): the same hash the window's checksum sums.
  static const std::regex kRowHash(R"(^SELECT \*, toInt64\(cityHash64\(.*\)\) AS (\w+) FROM \()");
  std::smatch m;
  std::shared_ptr<const Schema> schema = read.table->schema;
  const bool with_hash = std::regex_search(sql, m, kRowHash);
  if (with_hash) {
    Schema s = *schema;
    s.fields.push_back(Field{static_cast<int>(s.fields.size()) + 1, m[1].str(), DataType::Int64(),
                             /*nullable=*/false});
    schema = std::make_shared<const Schema>(std::move(s));
  } else if (!sql.starts_with("SELECT * FROM `")) {
    return std::unexpected(NotUnderstood(sql));
  }
  if (batch_rows == 0) batch_rows = 65536;
  if (max_batch_rows_ > 0) batch_rows = std::min(batch_rows, max_batch_rows_);
  std::vector<ColumnBatch> batches;
  const ColumnBatch& rows = read.table->rows;
  for (size_t r : RowsOf(read)) {
    if (batches.empty() || batches.back().num_rows() >= batch_rows) batches.emplace_back(schema);
    ColumnBatch& b = batches.back();
    for (size_t c = 0; c < rows.num_columns(); ++c) b.columns[c].AppendFrom(rows.columns[c], r);
    if (with_hash) b.columns.back().Append<int64_t>(static_cast<int64_t>(RowHash(rows, r)));
  }
  streams_.push_back(sql);
  return std::unique_ptr<BatchReader>(std::make_unique<BatchesReader>(schema, std::move(batches)));
}

}  // namespace k2::testing
