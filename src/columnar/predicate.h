#pragma once
/// A predicate over named columns: `a >= 5 AND (b = 'x' OR c IN (1, 2)) AND
/// NOT d IS NULL`. Its top-level conjunction of plain comparisons (`terms`)
/// skips Parquet row groups and Iceberg data files by their bounds; the other
/// conjuncts (OR, NOT, IN, parentheses: `clauses`) only filter rows, so
/// pruning never drops a file they would keep. Parse text first, then Bind to
/// a schema to type the literals.

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

/// A conjunct that is not a plain comparison: a tree of AND, OR and NOT over
/// comparisons (`leaves` of the Predicate).
struct PredicateNode {
  enum class Kind { kTerm, kAnd, kOr, kNot };
  Kind kind = Kind::kTerm;
  size_t leaf = 0;  ///< kTerm: index into Predicate::leaves
  std::vector<PredicateNode> children;
};

/// `terms` AND every one of `clauses`. An empty predicate matches everything.
struct Predicate {
  std::vector<PredicateTerm> terms;    ///< plain comparisons (used for pruning)
  std::vector<PredicateNode> clauses;  ///< OR/NOT/IN conjuncts (rows only)
  std::vector<PredicateTerm> leaves;   ///< the comparisons of `clauses`

  /// Parses comparisons `col OP literal` (OP one of = != <> < <= > >=),
  /// `col IS [NOT] NULL` and `col [NOT] IN (literal, ...)`, joined by AND and
  /// OR (AND binds tighter), negated by NOT, grouped by parentheses; literals
  /// are numbers or 'quoted text'. kInvalidInput names the position of the
  /// problem.
  static Result<Predicate> Parse(std::string_view text);
  /// Types every literal by its column in `schema`; kInvalidInput names an
  /// unknown column or a literal of the wrong type.
  Status Bind(const Schema& schema);
  /// True if row `row` of `batch` (the schema bound to) satisfies every term
  /// and clause. A comparison with NULL is unknown (SQL's three-valued logic):
  /// NOT of unknown is unknown, and only a true row matches.
  bool Matches(const ColumnBatch& batch, size_t row) const;
  /// False only if no value in [min, max] with `null_count` nulls can satisfy
  /// term `i` (pruning by statistics). Missing bounds mean "maybe".
  bool MightMatch(size_t i, const Value* min, const Value* max, int64_t null_count,
                  int64_t value_count) const;
};

}  // namespace k2
