#pragma once
/// Each streamed row's checksum hash (window_stats.h: cityHash64 over the
/// columns as kBinary hashes them), for the offload's one pass over a window.
/// Where k2 reproduces every column's hash argument from the values it
/// decodes (strings, integers, floats, Date, DateTime, decimals and
/// DateTime64 as their binary value), k2 computes it (warm/city_hash.h) and
/// the server only streams; otherwise (Nullable columns, types hashed as
/// text) the server computes it in one extra column. Either way a window's sum of hashes is
/// WindowStatsSql's checksum, so the late-row check and the audit recompute
/// it in the warm tier unchanged, and windows committed before stay
/// verifiable (the kind recorded is the same).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "jobs/window_stats.h"

namespace k2::jobs {

class RowHashes {
 public:
  /// `columns` as DESCRIBE gave them and `schema` the k2 types they decode
  /// to, in the same order; `kind` the checksum kind to compute.
  RowHashes(const std::vector<WarmColumn>& columns, const Schema& schema, ChecksumKind kind);

  /// True when k2 computes the hashes (the stream has no hash column).
  bool local() const { return local_; }

  /// The query to stream for `window_sql`: as is, or with the hash column.
  std::string Query(const std::string& window_sql) const;

  /// The hashes of `batch`'s rows, valid until the next call. When the
  /// server computes them, the hash column is checked (kInvalidInput naming
  /// `table` when the stream's shape differs from DESCRIBE's), moved out of
  /// the batch and its schema set to `schema`; Restore puts it back.
  Result<std::span<const int64_t>> Take(ColumnBatch& batch,
                                        const std::shared_ptr<const Schema>& schema,
                                        const std::string& table);
  /// Gives the batch its hash column back (the reader reuses its buffers).
  void Restore(ColumnBatch& batch);

  /// How k2 hashes one column (public for the tests' sake).
  struct Arg {
    enum class Kind { kBytes, kUInt, kFloat32, kFloat64, kSeconds, kDecimalBytes, kTicksBytes };
    Kind kind = Kind::kBytes;
    int width = 8;        ///< kUInt: bytes of the ClickHouse value; kDecimalBytes: 4, 8, 16
    int64_t divisor = 1;  ///< kTicksBytes: stored units per DateTime64 tick
  };

 private:
  /// Hashes `batch` into hashes_ (k2's computation).
  void Compute(const ColumnBatch& batch);

  ChecksumKind kind_;
  std::vector<WarmColumn> columns_;
  std::vector<Arg> args_;
  bool local_ = false;
  std::vector<uint64_t> scratch_;
  std::vector<int64_t> hashes_;
  Column taken_;
};

}  // namespace k2::jobs
