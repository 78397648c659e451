#pragma once
/// Each streamed row's checksum hash (window_stats.h: cityHash64 over the
/// columns as kBinary hashes them), for the offload's one pass over a window:
/// computed by the server in one extra column of the stream, or, when asked
/// (RowHashing::kK2) and k2 reproduces every column's hash argument from the
/// values it decodes (strings, LowCardinality strings, integers, floats, Date,
/// DateTime, decimals and DateTime64 as their binary value; not Nullable
/// columns or other types hashed as text), by k2 on the stream's decoding thread
/// (warm/city_hash.h), so the server only streams. Either way a window's sum of hashes is
/// WindowStatsSql's checksum, so the late-row check and the audit recompute
/// it in the warm tier unchanged, and windows committed before stay
/// verifiable (the kind recorded is the same).
///
/// Measured (bench/RESULTS.md, Offload): hashing moves ~0.5 s of CPU per 10M
/// trades from the server to k2, ~47 ns per row either side; on one 2-core
/// machine running both the offload is not faster, so the server hashes by
/// default, and kK2 is for a warm tier short of CPU with a k2 that is not.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "columnar/column_batch.h"
#include "columnar/prefetching_reader.h"
#include "jobs/window_stats.h"

namespace k2::jobs {

/// Who hashes each row: the server (default) or k2 when it can.
enum class RowHashing { kServer, kK2 };

class RowHashes {
 public:
  /// `columns` as DESCRIBE gave them and `schema` the k2 types they decode
  /// to, in the same order; `kind` the checksum kind to compute.
  RowHashes(const std::vector<WarmColumn>& columns, const Schema& schema, ChecksumKind kind,
            RowHashing hashing);

  /// True when k2 computes the hashes (the stream has no hash column).
  bool local() const { return local_; }

  /// The query to stream for `window_sql`: as is, or with the hash column.
  std::string Query(const std::string& window_sql) const;

  /// For the stream's PrefetchingReader when k2 hashes: adds the hash column
  /// to each batch where it is decoded (the prefetch thread), as the server
  /// would have; empty otherwise.
  PrefetchingReader::BatchHook Hook();

  /// The hashes of `batch`'s rows, valid until the next call: the hash
  /// column is checked (kInvalidInput naming `table` when the stream's shape
  /// differs from DESCRIBE's), moved out of the batch and its schema set to
  /// `schema`; Restore gives the batch back as its reader made it.
  Result<std::span<const int64_t>> Take(ColumnBatch& batch,
                                        const std::shared_ptr<const Schema>& schema,
                                        const std::string& table);
  void Restore(ColumnBatch& batch);

  /// How k2 hashes one column (public for the tests' sake).
  struct Arg {
    enum class Kind { kBytes, kUInt, kFloat32, kFloat64, kSeconds, kDecimalBytes, kTicksBytes };
    Kind kind = Kind::kBytes;
    int width = 8;        ///< kUInt: bytes of the ClickHouse value; kDecimalBytes: 4, 8, 16
    int64_t divisor = 1;  ///< kTicksBytes: stored units per DateTime64 tick
  };

 private:
  /// Adds the hash column k2 computes to `batch` (Hook's work).
  Status Attach(ColumnBatch& batch);

  ChecksumKind kind_;
  std::vector<WarmColumn> columns_;
  std::vector<Arg> args_;
  bool local_ = false;
  // The decoded schema and that schema plus the hash field (Attach's thread).
  const Schema* decoded_ = nullptr;
  std::shared_ptr<const Schema> with_hash_;
  Column taken_;
};

}  // namespace k2::jobs
