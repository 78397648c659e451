// Predicates with OR, IN, NOT and parentheses: parsing (precedence, errors
// with positions), SQL's three-valued logic on NULLs, and pruning only by the
// plain top-level conjunction.
#include <gtest/gtest.h>

#include "columnar/column_batch.h"
#include "columnar/predicate.h"
#include "support/support.h"

namespace k2 {
namespace {

Schema TestSchema() {
  return Schema{{{1, "id", DataType::Int64(), false}, {2, "sym", DataType::String(), true}}};
}

/// Rows (id, sym): (1,'A') (2,'B') (3,NULL) (4,'C') (5,'A').
ColumnBatch TestBatch() {
  ColumnBatch b(std::make_shared<const Schema>(TestSchema()));
  const std::vector<std::optional<std::string>> syms = {"A", "B", std::nullopt, "C", "A"};
  for (int64_t i = 0; i < 5; ++i) {
    b.columns[0].Append<int64_t>(i + 1);
    if (syms[i]) {
      b.columns[1].AppendBytes(*syms[i]);
    } else {
      b.columns[1].AppendNull();
    }
  }
  return b;
}

/// The ids of the rows `filter` keeps.
std::vector<int64_t> Ids(const std::string& filter) {
  auto p = Predicate::Parse(filter);
  EXPECT_TRUE(p) << filter << ": " << p.error().ToString();
  if (!p) return {};
  auto bound = p->Bind(TestSchema());
  EXPECT_TRUE(bound) << filter << ": " << bound.error().ToString();
  ColumnBatch b = TestBatch();
  std::vector<int64_t> out;
  for (size_t r = 0; r < b.num_rows(); ++r) {
    if (p->Matches(b, r)) out.push_back(static_cast<int64_t>(r) + 1);
  }
  return out;
}

using Ids_ = std::vector<int64_t>;

TEST(PredicateLogicTest, OrInNotAndParentheses) {
  EXPECT_EQ(Ids("id = 1 OR id = 4"), (Ids_{1, 4}));
  EXPECT_EQ(Ids("sym IN ('A', 'C')"), (Ids_{1, 4, 5}));
  EXPECT_EQ(Ids("id in (2,3)"), (Ids_{2, 3}));
  // AND binds tighter than OR.
  EXPECT_EQ(Ids("id = 1 OR id >= 4 AND sym = 'A'"), (Ids_{1, 5}));
  EXPECT_EQ(Ids("(id = 1 OR id >= 4) AND sym = 'A'"), (Ids_{1, 5}));
  EXPECT_EQ(Ids("NOT id = 1"), (Ids_{2, 3, 4, 5}));
  EXPECT_EQ(Ids("NOT (id < 3 OR id > 4)"), (Ids_{3, 4}));
  EXPECT_EQ(Ids("not not id = 2"), (Ids_{2}));
  EXPECT_EQ(Ids("id > 1 AND (sym = 'A' OR sym IS NULL)"), (Ids_{3, 5}));
  EXPECT_EQ(Ids("((id = 2))"), (Ids_{2}));
  // NULL compares as unknown: NOT keeps it unknown, so row 3 never matches.
  EXPECT_EQ(Ids("NOT sym = 'A'"), (Ids_{2, 4}));
  EXPECT_EQ(Ids("sym NOT IN ('A', 'B')"), (Ids_{4}));
  EXPECT_EQ(Ids("NOT sym IN ('A') OR id = 3"), (Ids_{2, 3, 4}));
  EXPECT_EQ(Ids("sym IS NOT NULL AND NOT sym IS NULL"), (Ids_{1, 2, 4, 5}));
}

TEST(PredicateLogicTest, OnlyThePlainConjunctionPrunes) {
  K2_ASSERT_OK_AND_ASSIGN(Predicate p, Predicate::Parse("id >= 2 AND (sym = 'A' OR id = 9)"));
  ASSERT_EQ(p.terms.size(), 1u);
  ASSERT_EQ(p.clauses.size(), 1u);
  EXPECT_EQ(p.leaves.size(), 2u);
  K2_ASSERT_OK(p.Bind(TestSchema()));
  Value lo{DataType::Int64(), int64_t{0}};
  Value hi{DataType::Int64(), int64_t{1}};
  EXPECT_FALSE(p.MightMatch(0, &lo, &hi, 0, 10));  // id >= 2 excludes [0, 1]
  // A disjunction alone gives no terms: nothing is pruned on it.
  K2_ASSERT_OK_AND_ASSIGN(Predicate q, Predicate::Parse("id = 1 OR id = 2"));
  EXPECT_TRUE(q.terms.empty());
  EXPECT_EQ(q.clauses.size(), 1u);
  // Unknown columns inside clauses fail at Bind.
  K2_ASSERT_OK_AND_ASSIGN(Predicate bad, Predicate::Parse("id = 1 OR nope = 2"));
  K2_ASSERT_ERROR_KIND(bad.Bind(TestSchema()), ErrorKind::kInvalidInput);
}

TEST(PredicateLogicTest, ParseErrorsNameThePosition) {
  for (const char* bad : {"(id = 1", "id IN (1, 2", "id IN 1", "id = 1 OR", "NOT", "id = 1 )",
                          "id = 1 XOR id = 2", "sym NOT = 'A'"}) {
    auto p = Predicate::Parse(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_EQ(p.error().kind, ErrorKind::kInvalidInput) << bad;
    EXPECT_NE(p.error().message.find(" at "), std::string::npos) << p.error().message;
  }
}

}  // namespace
}  // namespace k2
