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

Result<Predicate> Predicate::Parse(std::string_view text) {
  Predicate p;
  Lexer lx{text};
  if (lx.AtEnd()) return p;
  for (;;) {
    PredicateTerm t;
    std::string_view col = lx.Word();
    if (col.empty()) {
      return MakeError(ErrorKind::kInvalidInput, "filter '{}': expected a column name at {}", text,
                       lx.pos);
    }
    t.column = std::string(col);
    lx.SkipSpace();
    if (lx.Keyword("IS")) {
      t.op = lx.Keyword("NOT") ? CompareOp::kNotNull : CompareOp::kIsNull;
      if (!lx.Keyword("NULL")) {
        return MakeError(ErrorKind::kInvalidInput, "filter '{}': expected NULL at {}", text,
                         lx.pos);
      }
    } else {
      static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
          {"<=", CompareOp::kLe},    {">=", CompareOp::kGe}, {"!=", CompareOp::kNotEq},
          {"<>", CompareOp::kNotEq}, {"=", CompareOp::kEq},  {"<", CompareOp::kLt},
          {">", CompareOp::kGt}};
      bool found = false;
      for (const auto& [sym, op] : kOps) {
        if (text.substr(lx.pos).starts_with(sym)) {
          t.op = op;
          lx.pos += sym.size();
          found = true;
          break;
        }
      }
      if (!found) {
        return MakeError(ErrorKind::kInvalidInput,
                         "filter '{}': expected an operator (= != < <= > >= IS) at {}", text,
                         lx.pos);
      }
      lx.SkipSpace();
      if (lx.pos < text.size() && text[lx.pos] == '\'') {
        size_t end = lx.pos + 1;
        std::string lit;
        for (;; ++end) {
          if (end >= text.size()) {
            return MakeError(ErrorKind::kInvalidInput, "filter '{}': unterminated string at {}",
                             text, lx.pos);
          }
          if (text[end] == '\'') {
            if (end + 1 < text.size() && text[end + 1] == '\'') {
              lit.push_back('\'');
              ++end;
              continue;
            }
            break;
          }
          lit.push_back(text[end]);
        }
        t.literal_text = lit;
        lx.pos = end + 1;
      } else {
        std::string_view w = lx.Word();
        if (w.empty()) {
          return MakeError(ErrorKind::kInvalidInput, "filter '{}': expected a literal at {}", text,
                           lx.pos);
        }
        t.literal_text = std::string(w);
      }
    }
    p.terms.push_back(std::move(t));
    if (lx.AtEnd()) break;
    if (!lx.Keyword("AND")) {
      return MakeError(ErrorKind::kInvalidInput, "filter '{}': expected AND at {}", text, lx.pos);
    }
  }
  return p;
}

Status Predicate::Bind(const Schema& schema) {
  for (auto& t : terms) {
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
    if (t.op == CompareOp::kIsNull || t.op == CompareOp::kNotNull) continue;
    auto v = Value::Parse(f.type, t.literal_text);
    if (!v) return std::unexpected(v.error().WithContext("filter on column '" + f.name + "'"));
    t.literal = std::move(*v);
  }
  return {};
}

bool Predicate::Matches(const ColumnBatch& batch, size_t row) const {
  for (const auto& t : terms) {
    const Column& c = batch.columns[t.field_index];
    bool valid = c.IsValid(row);
    if (t.op == CompareOp::kIsNull) {
      if (valid) return false;
      continue;
    }
    if (t.op == CompareOp::kNotNull) {
      if (!valid) return false;
      continue;
    }
    if (!valid) return false;
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
    if (!ok) return false;
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
