#pragma once
/// A simple conjunctive predicate over named columns: `a >= 5 AND b = 'x'`.
/// Used to skip Parquet row groups and Iceberg data files by their bounds and
/// to filter rows in scans. Parse text first, then Bind to a schema to type the
/// literals.

#include <string>
#include <string_view>
#include <vector>

#include "columnar/types.h"
#include "columnar/value.h"

namespace k2 {

enum class CompareOp { kEq, kNotEq, kLt, kLe, kGt, kGe, kIsNull, kNotNull };

/// One comparison `column op literal` (the literal is unused for IS [NOT] NULL).
struct PredicateTerm {
  std::string column;
  CompareOp op = CompareOp::kEq;
  std::string literal_text;  ///< as written, quotes removed
  Value literal;             ///< typed by Bind()
  int field_id = 0;          ///< set by Bind()
  size_t field_index = 0;    ///< set by Bind()
};

/// Terms joined by AND. An empty predicate matches everything.
struct Predicate {
  std::vector<PredicateTerm> terms;

  /// Parses `col OP literal [AND ...]` with OP one of = != <> < <= > >= and
  /// `col IS [NOT] NULL`; literals are numbers or 'quoted text'. kInvalidInput
  /// names the position of the problem.
  static Result<Predicate> Parse(std::string_view text);
  /// Types every literal by its column in `schema`; kInvalidInput names an
  /// unknown column or a literal of the wrong type.
  Status Bind(const Schema& schema);
  /// True if row `row` of `batch` (the schema bound to) satisfies every term.
  bool Matches(const ColumnBatch& batch, size_t row) const;
  /// False only if no value in [min, max] with `null_count` nulls can satisfy
  /// term `i` (pruning by statistics). Missing bounds mean "maybe".
  bool MightMatch(size_t i, const Value* min, const Value* max, int64_t null_count,
                  int64_t value_count) const;
};

}  // namespace k2
