#pragma once
/// Test data for the Parquet tests: deterministic values of every k2 type from
/// an integer key, and the text DuckDB prints for them (through DuckExpr).

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "columnar/value.h"
#include "io/file_io.h"
#include "parquet/file_writer.h"

namespace k2::parquet::testing {

/// Writes `batches` (of `schema`) to a local Parquet file at `path`.
inline Result<DataFileMetrics> WriteLocalFile(const std::string& path,
                                              const std::shared_ptr<const Schema>& schema,
                                              const std::vector<ColumnBatch>& batches,
                                              WriterOptions options = {}) {
  auto io = NewLocalFileIO();
  K2_ASSIGN_OR_RETURN(auto out, io->OpenOutput(path));
  K2_ASSIGN_OR_RETURN(auto writer, FileWriter::Open(std::move(out), schema, std::move(options)));
  for (const auto& b : batches) K2_RETURN_IF_ERROR(writer->Write(b));
  return writer->Finish();
}

/// Every k2 type the writer maps.
inline std::vector<DataType> AllTypes() {
  return {DataType::Boolean(),      DataType::Int32(),         DataType::Int64(),
          DataType::Float(),        DataType::Double(),        DataType::Decimal(9, 2),
          DataType::Decimal(18, 8), DataType::Decimal(38, 10), DataType::Date(),
          DataType::Time(),         DataType::Timestamp(),     DataType::TimestampTz(),
          DataType::TimestampNs(),  DataType::String(),        DataType::Binary(),
          DataType::Fixed(5),       DataType::Uuid()};
}

/// Appends the value for `key` (same key, same value; different keys differ
/// except for boolean).
inline void AppendKey(Column& c, const DataType& t, int64_t key) {
  switch (t.id) {
    case TypeId::kBoolean:
      c.Append<uint8_t>(key % 2);
      break;
    case TypeId::kInt32:
      c.Append<int32_t>(static_cast<int32_t>(key * 7919 - 100000));
      break;
    case TypeId::kInt64:
      c.Append<int64_t>(key * 1000003 - 5000000000LL);
      break;
    case TypeId::kFloat:
      c.Append<float>(key % 101 == 50 ? std::numeric_limits<float>::quiet_NaN()
                                      : static_cast<float>(key) * 0.5f - 100.0f);
      break;
    case TypeId::kDouble:
      c.Append<double>(key % 101 == 50 ? std::numeric_limits<double>::quiet_NaN()
                                       : static_cast<double>(key) * 0.25 - 1e6);
      break;
    case TypeId::kDecimal:
      if (t.precision <= 9) {
        c.AppendDecimal(key * 13 - 500);
      } else if (t.precision <= 18) {
        c.AppendDecimal(key * 100000007LL - 123456789LL);
      } else {
        int128_t big = static_cast<int128_t>(key) * 100000000000000000LL * 1000 + key;
        c.AppendDecimal(key % 2 == 0 ? big : -big);
      }
      break;
    case TypeId::kDate:
      c.Append<int32_t>(static_cast<int32_t>(key - 1000));
      break;
    case TypeId::kTime:
      c.Append<int64_t>((key * 1000003) % 86400000000LL);
      break;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      c.Append<int64_t>(1700000000000000LL + key * 1000001);
      break;
    case TypeId::kTimestampNs:
      c.Append<int64_t>(1700000000000000000LL + key * 1001);
      break;
    case TypeId::kString: {
      std::string s = fmt::format("s{}é", key);
      if (key % 50 == 7) s += std::string(100, 'x');
      c.AppendBytes(s);
      break;
    }
    case TypeId::kBinary: {
      std::string s;
      s.push_back('\0');
      s.push_back(static_cast<char>(0xFF));
      s += std::to_string(key);
      c.AppendBytes(s);
      break;
    }
    case TypeId::kFixed:
    case TypeId::kUuid: {
      std::string s(static_cast<size_t>(t.FixedWidth()), '\0');
      for (size_t i = 0; i < s.size() && i < 8; ++i) {
        s[s.size() - 1 - i] = static_cast<char>(static_cast<uint64_t>(key) >> (8 * i));
      }
      s[0] = static_cast<char>(0xA0 | (key & 0xF));
      c.AppendBytes(s);
      break;
    }
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;  // the writer is flat; AllTypes() lists no nested type
  }
}

/// A DuckDB SQL expression that prints column `name` of type `t` as text.
inline std::string DuckExpr(const std::string& name, const DataType& t) {
  std::string c = "\"" + name + "\"";
  switch (t.id) {
    case TypeId::kFloat:
    case TypeId::kDouble:
      return fmt::format("CASE WHEN isnan({0}) THEN 'nan' ELSE printf('%.9g', {0}::DOUBLE) END", c);
    case TypeId::kTime:
      return fmt::format("datediff('microsecond', TIME '00:00:00', {})::VARCHAR", c);
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return fmt::format("epoch_us({})::VARCHAR", c);
    case TypeId::kTimestampNs:
      return fmt::format("epoch_ns({})::VARCHAR", c);
    case TypeId::kBinary:
    case TypeId::kFixed:
      return fmt::format("lower(hex({}))", c);
    default:
      return fmt::format("CAST({} AS VARCHAR)", c);
  }
}

/// The text DuckExpr produces for row `row` of `c`; "null" for nulls.
inline std::string ExpectedText(const Column& c, size_t row) {
  if (!c.IsValid(row)) return "null";
  Value v = Value::FromColumn(c, row);
  switch (c.type().id) {
    case TypeId::kFloat: {
      float f = std::get<float>(v.data);
      return std::isnan(f) ? "nan" : fmt::format("{:.9g}", static_cast<double>(f));
    }
    case TypeId::kDouble: {
      double d = std::get<double>(v.data);
      return std::isnan(d) ? "nan" : fmt::format("{:.9g}", d);
    }
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return std::to_string(std::get<int64_t>(v.data));
    case TypeId::kTimestampNs: {
      // DuckDB reads TIMESTAMP(NANOS, UTC) as TIMESTAMPTZ: microsecond precision.
      int64_t ns = std::get<int64_t>(v.data);
      int64_t us = ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000);
      return std::to_string(us * 1000);
    }
    default:
      return v.ToString();
  }
}

/// Writes "row<TAB>text" lines (\\N for null) of column `col` across `batches`
/// for DuckDB to compare against (the oracle's output must stay small).
inline void WriteExpectedCsv(const std::string& path, const std::vector<ColumnBatch>& batches,
                             size_t col) {
  std::ofstream out(path, std::ios::binary);
  size_t row = 0;
  for (const ColumnBatch& b : batches) {
    for (size_t k = 0; k < b.num_rows(); ++k, ++row) {
      std::string text = b.columns[col].IsValid(k) ? ExpectedText(b.columns[col], k) : "\\N";
      out << row << '\t' << text << '\n';
    }
  }
}

/// A DuckDB statement returning one row {bad, n, example}: the number of rows
/// whose text differs from the expected CSV, the row count, and one mismatch.
inline std::string CompareStatement(const std::string& parquet, const std::string& csv,
                                    const std::string& expr) {
  return fmt::format(
      "SELECT count(*)::VARCHAR AS bad, (SELECT count(*) FROM read_parquet('{0}'))::VARCHAR AS n,"
      " min(coalesce(p.r, e.r)::VARCHAR || ': got ' || coalesce(p.v, 'null') || ' want ' ||"
      " coalesce(e.v, 'null')) AS example"
      " FROM (SELECT file_row_number AS r, {2} AS v FROM read_parquet('{0}', "
      "file_row_number=true)) p"
      " FULL JOIN read_csv('{1}', header=false, delim='\t', quote='', escape='', nullstr='\\N',"
      " columns={{'r': 'BIGINT', 'v': 'VARCHAR'}}) e ON p.r = e.r"
      " WHERE p.v IS DISTINCT FROM e.v",
      parquet, csv, expr);
}

}  // namespace k2::parquet::testing
