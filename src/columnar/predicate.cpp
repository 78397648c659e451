#include "columnar/predicate.h"

#include <cctype>

namespace k2 {

namespace {

struct Lexer {
  std::string_view text;
  size_t pos = 0;

  void SkipSpace() {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  }
  bool AtEnd() {
    SkipSpace();
    return pos >= text.size();
  }
  std::string_view Word() {
    SkipSpace();
    size_t start = pos;
    while (pos < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_' ||
            text[pos] == '.' || text[pos] == '-' || text[pos] == '+' || text[pos] == ':')) {
      ++pos;
    }
    return text.substr(start, pos - start);
  }
  bool Keyword(std::string_view kw) {
    SkipSpace();
    size_t save = pos;
    std::string_view w = Word();
    if (w.size() == kw.size()) {
      bool same = true;
      for (size_t i = 0; i < w.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(w[i])) != kw[i]) same = false;
      }
      if (same) return true;
    }
    pos = save;
    return false;
  }
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

namespace {

/// The parse tree before the top-level conjunction is split into plain terms
/// and clauses.
struct ParseNode {
  PredicateNode::Kind kind = PredicateNode::Kind::kTerm;
  PredicateTerm term;
  std::vector<ParseNode> children;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), lx_{text} {}

  Result<ParseNode> Parse() {
    K2_ASSIGN_OR_RETURN(ParseNode n, Or());
    if (!lx_.AtEnd()) {
      return Fail(fmt::format("expected AND, OR or the end at {}", lx_.pos));
    }
    return n;
  }

 private:
  std::unexpected<Error> Fail(const std::string& what) const {
    return std::unexpected(
        Error{ErrorKind::kInvalidInput, fmt::format("filter '{}': {}", text_, what)});
  }

  static ParseNode Join(PredicateNode::Kind kind, std::vector<ParseNode> parts) {
    if (parts.size() == 1) return std::move(parts[0]);
    ParseNode n;
    n.kind = kind;
    n.children = std::move(parts);
    return n;
  }

  Result<ParseNode> Or() {
    std::vector<ParseNode> parts;
    do {
      K2_ASSIGN_OR_RETURN(ParseNode n, And());
      parts.push_back(std::move(n));
    } while (lx_.Keyword("OR"));
    return Join(PredicateNode::Kind::kOr, std::move(parts));
  }

  Result<ParseNode> And() {
    std::vector<ParseNode> parts;
    do {
      K2_ASSIGN_OR_RETURN(ParseNode n, Not());
      parts.push_back(std::move(n));
    } while (lx_.Keyword("AND"));
    return Join(PredicateNode::Kind::kAnd, std::move(parts));
  }

  Result<ParseNode> Not() {
    if (lx_.Keyword("NOT")) {
      K2_ASSIGN_OR_RETURN(ParseNode inner, Not());
      ParseNode n;
      n.kind = PredicateNode::Kind::kNot;
      n.children.push_back(std::move(inner));
      return n;
    }
    lx_.SkipSpace();
    if (lx_.pos < text_.size() && text_[lx_.pos] == '(') {
      ++lx_.pos;
      K2_ASSIGN_OR_RETURN(ParseNode inner, Or());
      lx_.SkipSpace();
      if (lx_.pos >= text_.size() || text_[lx_.pos] != ')') {
        return Fail(fmt::format("expected ) at {}", lx_.pos));
      }
      ++lx_.pos;
      return inner;
    }
    return Comparison();
  }

  Result<std::string> Literal() {
    lx_.SkipSpace();
    if (lx_.pos < text_.size() && text_[lx_.pos] == '\'') {
      size_t end = lx_.pos + 1;
      std::string lit;
      for (;; ++end) {
        if (end >= text_.size()) return Fail(fmt::format("unterminated string at {}", lx_.pos));
        if (text_[end] == '\'') {
          if (end + 1 < text_.size() && text_[end + 1] == '\'') {
            lit.push_back('\'');
            ++end;
            continue;
          }
          break;
        }
        lit.push_back(text_[end]);
      }
      lx_.pos = end + 1;
      return lit;
    }
    std::string_view w = lx_.Word();
    if (w.empty()) return Fail(fmt::format("expected a literal at {}", lx_.pos));
    return std::string(w);
  }

  Result<ParseNode> Comparison() {
    ParseNode n;
    PredicateTerm& t = n.term;
    std::string_view col = lx_.Word();
    if (col.empty()) return Fail(fmt::format("expected a column name at {}", lx_.pos));
    t.column = std::string(col);
    lx_.SkipSpace();
    if (lx_.Keyword("IS")) {
      t.op = lx_.Keyword("NOT") ? CompareOp::kNotNull : CompareOp::kIsNull;
      if (!lx_.Keyword("NULL")) return Fail(fmt::format("expected NULL at {}", lx_.pos));
      return n;
    }
    size_t save = lx_.pos;
    bool negated = lx_.Keyword("NOT");
    if (lx_.Keyword("IN")) return InList(t.column, negated);
    lx_.pos = save;
    static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
        {"<=", CompareOp::kLe},    {">=", CompareOp::kGe}, {"!=", CompareOp::kNotEq},
        {"<>", CompareOp::kNotEq}, {"=", CompareOp::kEq},  {"<", CompareOp::kLt},
        {">", CompareOp::kGt}};
    bool found = false;
    for (const auto& [sym, op] : kOps) {
      if (text_.substr(lx_.pos).starts_with(sym)) {
        t.op = op;
        lx_.pos += sym.size();
        found = true;
        break;
      }
    }
    if (!found) {
      return Fail(fmt::format("expected an operator (= != < <= > >= IS IN NOT IN) at {}", lx_.pos));
    }
    K2_ASSIGN_OR_RETURN(t.literal_text, Literal());
    return n;
  }

  /// `col [NOT] IN (a, b, ...)`: an OR of equalities (negated for NOT IN).
  Result<ParseNode> InList(const std::string& column, bool negated) {
    lx_.SkipSpace();
    if (lx_.pos >= text_.size() || text_[lx_.pos] != '(') {
      return Fail(fmt::format("expected ( after IN at {}", lx_.pos));
    }
    ++lx_.pos;
    std::vector<ParseNode> parts;
    for (;;) {
      ParseNode eq;
      eq.term.column = column;
      eq.term.op = CompareOp::kEq;
      K2_ASSIGN_OR_RETURN(eq.term.literal_text, Literal());
      parts.push_back(std::move(eq));
      lx_.SkipSpace();
      if (lx_.pos < text_.size() && text_[lx_.pos] == ',') {
        ++lx_.pos;
        continue;
      }
      if (lx_.pos < text_.size() && text_[lx_.pos] == ')') {
        ++lx_.pos;
        break;
      }
      return Fail(fmt::format("expected , or ) in the IN list at {}", lx_.pos));
    }
    ParseNode n = Join(PredicateNode::Kind::kOr, std::move(parts));
    if (!negated) return n;
    ParseNode neg;
    neg.kind = PredicateNode::Kind::kNot;
    neg.children.push_back(std::move(n));
    return neg;
  }

  std::string_view text_;
  Lexer lx_;
};

PredicateNode Flatten(ParseNode&& n, std::vector<PredicateTerm>& leaves) {
  PredicateNode out;
  out.kind = n.kind;
  if (n.kind == PredicateNode::Kind::kTerm) {
    out.leaf = leaves.size();
    leaves.push_back(std::move(n.term));
    return out;
  }
  for (auto& c : n.children) out.children.push_back(Flatten(std::move(c), leaves));
  return out;
}

enum class Truth { kFalse, kTrue, kUnknown };

Truth EvalTerm(const PredicateTerm& t, const ColumnBatch& batch, size_t row) {
  const Column& c = batch.columns[t.field_index];
  bool valid = c.IsValid(row);
  if (t.op == CompareOp::kIsNull) return valid ? Truth::kFalse : Truth::kTrue;
  if (t.op == CompareOp::kNotNull) return valid ? Truth::kTrue : Truth::kFalse;
  if (!valid) return Truth::kUnknown;
  auto cmp = CompareValues(Value::FromColumn(c, row), t.literal);
  bool ok = false;
  switch (t.op) {
    case CompareOp::kEq:
      ok = cmp == 0;
      break;
    case CompareOp::kNotEq:
      ok = cmp != 0;
      break;
    case CompareOp::kLt:
      ok = cmp < 0;
      break;
    case CompareOp::kLe:
      ok = cmp <= 0;
      break;
    case CompareOp::kGt:
      ok = cmp > 0;
      break;
    case CompareOp::kGe:
      ok = cmp >= 0;
      break;
    default:
      break;
  }
  return ok ? Truth::kTrue : Truth::kFalse;
}

Truth EvalNode(const PredicateNode& n, const std::vector<PredicateTerm>& leaves,
               const ColumnBatch& batch, size_t row) {
  switch (n.kind) {
    case PredicateNode::Kind::kTerm:
      return EvalTerm(leaves[n.leaf], batch, row);
    case PredicateNode::Kind::kNot: {
      Truth t = EvalNode(n.children[0], leaves, batch, row);
      return t == Truth::kUnknown ? t : t == Truth::kTrue ? Truth::kFalse : Truth::kTrue;
    }
    case PredicateNode::Kind::kAnd:
    case PredicateNode::Kind::kOr: {
      const bool is_and = n.kind == PredicateNode::Kind::kAnd;
      Truth acc = is_and ? Truth::kTrue : Truth::kFalse;
      for (const auto& c : n.children) {
        Truth t = EvalNode(c, leaves, batch, row);
        if (t == (is_and ? Truth::kFalse : Truth::kTrue)) return t;
        if (t == Truth::kUnknown) acc = Truth::kUnknown;
      }
      return acc;
    }
  }
  return Truth::kUnknown;
}

Status BindTerm(PredicateTerm& t, const Schema& schema) {
  std::optional<size_t> idx = schema.IndexOf(t.column);
  if (!idx) {
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      if (EqualsIgnoreCase(schema.fields[i].name, t.column)) idx = i;
    }
  }
  if (!idx) return MakeError(ErrorKind::kInvalidInput, "filter: unknown column '{}'", t.column);
  const Field& f = schema.fields[*idx];
  t.field_index = *idx;
  t.field_id = f.id;
  if (t.op == CompareOp::kIsNull || t.op == CompareOp::kNotNull) return OkStatus();
  auto v = Value::Parse(f.type, t.literal_text);
  if (!v) return std::unexpected(v.error().WithContext("filter on column '" + f.name + "'"));
  t.literal = std::move(*v);
  return OkStatus();
}

}  // namespace

Result<Predicate> Predicate::Parse(std::string_view text) {
  Predicate p;
  Lexer probe{text};
  if (probe.AtEnd()) return p;
  K2_ASSIGN_OR_RETURN(ParseNode root, Parser(text).Parse());
  // The top-level conjunction: plain comparisons prune, the rest filter rows.
  std::vector<ParseNode> conjuncts;
  if (root.kind == PredicateNode::Kind::kAnd) {
    conjuncts = std::move(root.children);
  } else {
    conjuncts.push_back(std::move(root));
  }
  for (auto& c : conjuncts) {
    if (c.kind == PredicateNode::Kind::kTerm) {
      p.terms.push_back(std::move(c.term));
    } else {
      p.clauses.push_back(Flatten(std::move(c), p.leaves));
    }
  }
  return p;
}

Status Predicate::Bind(const Schema& schema) {
  for (auto& t : terms) K2_RETURN_IF_ERROR(BindTerm(t, schema));
  for (auto& t : leaves) K2_RETURN_IF_ERROR(BindTerm(t, schema));
  return {};
}

bool Predicate::Matches(const ColumnBatch& batch, size_t row) const {
  for (const auto& t : terms) {
    if (EvalTerm(t, batch, row) != Truth::kTrue) return false;
  }
  for (const auto& c : clauses) {
    if (EvalNode(c, leaves, batch, row) != Truth::kTrue) return false;
  }
  return true;
}

bool Predicate::MightMatch(size_t i, const Value* min, const Value* max, int64_t null_count,
                           int64_t value_count) const {
  const PredicateTerm& t = terms[i];
  switch (t.op) {
    case CompareOp::kIsNull:
      return null_count != 0;
    case CompareOp::kNotNull:
      return null_count < 0 || value_count < 0 || null_count < value_count;
    default:
      break;
  }
  if (null_count >= 0 && value_count >= 0 && null_count == value_count && value_count > 0) {
    return false;  // only nulls: no comparison can be true
  }
  switch (t.op) {
    case CompareOp::kEq:
      if (min && CompareValues(t.literal, *min) < 0) return false;
      if (max && CompareValues(t.literal, *max) > 0) return false;
      return true;
    case CompareOp::kNotEq:
      return !(min && max && CompareValues(*min, *max) == 0 && CompareValues(*min, t.literal) == 0);
    case CompareOp::kLt:
      return !(min && CompareValues(*min, t.literal) >= 0);
    case CompareOp::kLe:
      return !(min && CompareValues(*min, t.literal) > 0);
    case CompareOp::kGt:
      return !(max && CompareValues(*max, t.literal) <= 0);
    case CompareOp::kGe:
      return !(max && CompareValues(*max, t.literal) < 0);
    default:
      return true;
  }
}

}  // namespace k2
