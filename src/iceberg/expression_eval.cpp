#include "iceberg/expression_eval.h"

#include <cmath>

namespace k2::iceberg {

namespace {

using std::strong_ordering;

bool SameType(const Value& a, const Value& b) {
  return a.type.id == b.type.id;
}

/// Might a range [lower, upper] (in transformed space) with `contains_null`
/// hold a value satisfying the term's op against transformed literal `p`?
/// `exact` (identity) keeps strict comparisons; other order-preserving
/// transforms relax them; bucket only answers equality.
bool RangeMightMatch(CompareOp op, const Transform& t, const Value* p, const Value* lower,
                     const Value* upper, bool contains_null, bool has_non_null) {
  switch (op) {
    case CompareOp::kIsNull:
      return contains_null;
    case CompareOp::kNotNull:
      return has_non_null;
    default:
      break;
  }
  if (!has_non_null) return false;  // only nulls: no comparison can hold
  if (p == nullptr || p->is_null() || lower == nullptr || upper == nullptr) return true;
  if (!SameType(*p, *lower) || !SameType(*p, *upper)) return true;
  const bool exact = t.kind == TransformKind::kIdentity;
  if (t.kind == TransformKind::kBucket || t.kind == TransformKind::kVoid) {
    if (op != CompareOp::kEq || t.kind == TransformKind::kVoid) return true;
  } else if (!exact && op == CompareOp::kNotEq) {
    return true;
  }
  auto lo = CompareValues(*lower, *p);
  auto hi = CompareValues(*upper, *p);
  switch (op) {
    case CompareOp::kEq:
      return lo != strong_ordering::greater && hi != strong_ordering::less;
    case CompareOp::kNotEq:
      return !(lo == strong_ordering::equal && hi == strong_ordering::equal);
    case CompareOp::kLt:
      return exact ? lo == strong_ordering::less : lo != strong_ordering::greater;
    case CompareOp::kLe:
      return lo != strong_ordering::greater;
    case CompareOp::kGt:
      return exact ? hi == strong_ordering::greater : hi != strong_ordering::less;
    case CompareOp::kGe:
      return hi != strong_ordering::less;
    default:
      return true;
  }
}

std::optional<Value> TransformedLiteral(const PredicateTerm& term, const PartitionField& f) {
  if (term.op == CompareOp::kIsNull || term.op == CompareOp::kNotNull) return std::nullopt;
  auto v = f.transform.Apply(term.literal);
  if (!v) return std::nullopt;
  return *v;
}

bool IsFloatNaN(const Value& v) {
  if (v.is_null()) return false;
  if (v.type.id == TypeId::kFloat) return std::isnan(std::get<float>(v.data));
  if (v.type.id == TypeId::kDouble) return std::isnan(std::get<double>(v.data));
  return false;
}

}  // namespace

std::string PartitionKey(int spec_id, const PartitionValues& values) {
  std::string key = std::to_string(spec_id);
  for (const Value& v : values) {
    if (v.is_null()) {
      key += "|n";
    } else {
      std::string enc = EncodeSingleValue(v);
      key += "|v" + std::to_string(enc.size()) + ":" + enc;
    }
  }
  return key;
}

bool ManifestMightMatch(const Predicate& pred, const Schema& schema, const PartitionSpec& spec,
                        const ManifestFile& manifest) {
  auto part_type = spec.PartitionType(schema);
  if (!part_type || manifest.partitions.size() != spec.fields.size()) return true;
  for (const PredicateTerm& term : pred.terms) {
    for (size_t i = 0; i < spec.fields.size(); ++i) {
      const PartitionField& f = spec.fields[i];
      if (f.source_id != term.field_id) continue;
      const PartitionFieldSummary& s = manifest.partitions[i];
      const DataType& type = part_type->fields[i].type;
      std::optional<Value> lower, upper;
      if (s.lower_bound) {
        if (auto v = DecodeSingleValue(type, *s.lower_bound)) lower = *v;
      }
      if (s.upper_bound) {
        if (auto v = DecodeSingleValue(type, *s.upper_bound)) upper = *v;
      }
      const bool has_non_null =
          s.lower_bound.has_value() || s.contains_nan.value_or(false) || !s.contains_null;
      if (!s.lower_bound && !s.upper_bound && !s.contains_null && manifest.added_files_count == 0 &&
          manifest.existing_files_count == 0) {
        continue;  // empty or unknown
      }
      std::optional<Value> p = TransformedLiteral(term, f);
      if (!RangeMightMatch(term.op, f.transform, p ? &*p : nullptr, lower ? &*lower : nullptr,
                           upper ? &*upper : nullptr, s.contains_null, has_non_null)) {
        return false;
      }
    }
  }
  return true;
}

bool PartitionMightMatch(const Predicate& pred, const Schema& schema, const PartitionSpec& spec,
                         const PartitionValues& partition) {
  for (const PredicateTerm& term : pred.terms) {
    for (size_t i = 0; i < spec.fields.size() && i < partition.size(); ++i) {
      const PartitionField& f = spec.fields[i];
      if (f.source_id != term.field_id) continue;
      const Value& pv = partition[i];
      std::optional<Value> p = TransformedLiteral(term, f);
      if (!RangeMightMatch(term.op, f.transform, p ? &*p : nullptr, &pv, &pv, pv.is_null(),
                           !pv.is_null())) {
        return false;
      }
    }
  }
  return true;
}

FileMatch EvaluateFile(const Predicate& pred, const Schema& schema, const PartitionSpec& spec,
                       const DataFile& file) {
  if (!PartitionMightMatch(pred, schema, spec, file.partition)) return FileMatch::kNone;
  bool all = true;
  for (size_t ti = 0; ti < pred.terms.size(); ++ti) {
    const PredicateTerm& term = pred.terms[ti];
    auto idx = schema.IndexOfId(term.field_id);
    if (!idx) {
      all = false;
      continue;
    }
    const DataType& type = schema.fields[*idx].type;
    // An identity partition value is the exact value of every row.
    std::optional<Value> exact;
    for (size_t i = 0; i < spec.fields.size() && i < file.partition.size(); ++i) {
      if (spec.fields[i].source_id == term.field_id &&
          spec.fields[i].transform.kind == TransformKind::kIdentity &&
          file.partition[i].type.id == type.id) {
        exact = file.partition[i];
      }
    }
    std::optional<Value> min, max;
    int64_t nulls = -1;
    const int64_t values = file.value_counts.count(term.field_id)
                               ? file.value_counts.at(term.field_id)
                               : file.record_count;
    if (exact) {
      if (exact->is_null()) {
        nulls = file.record_count;
      } else {
        min = max = exact;
        nulls = 0;
      }
    } else {
      if (auto it = file.lower_bounds.find(term.field_id); it != file.lower_bounds.end()) {
        if (auto v = DecodeSingleValue(type, it->second)) min = *v;
      }
      if (auto it = file.upper_bounds.find(term.field_id); it != file.upper_bounds.end()) {
        if (auto v = DecodeSingleValue(type, it->second)) max = *v;
      }
      if (auto it = file.null_value_counts.find(term.field_id);
          it != file.null_value_counts.end()) {
        nulls = it->second;
      }
    }
    if (!pred.MightMatch(ti, min ? &*min : nullptr, max ? &*max : nullptr, nulls, values)) {
      return FileMatch::kNone;
    }
    // Can every row be proven to satisfy the term?
    bool proven = false;
    const bool nan_free =
        !file.nan_value_counts.count(term.field_id) || file.nan_value_counts.at(term.field_id) == 0;
    // Truncated string/binary bounds are exact only when both are equal
    // (a truncated upper bound is incremented, so it differs from the lower).
    const bool exact_bounds = exact.has_value() ||
                              (type.id != TypeId::kString && type.id != TypeId::kBinary) ||
                              (min && max && CompareValues(*min, *max) == strong_ordering::equal);
    if (term.op == CompareOp::kIsNull) {
      proven = nulls >= 0 && nulls == values;
    } else if (term.op == CompareOp::kNotNull) {
      proven = nulls == 0;
    } else if (nulls == 0 && min && max && nan_free && exact_bounds && !IsFloatNaN(*min) &&
               !IsFloatNaN(*max)) {
      auto lo = CompareValues(*min, term.literal);
      auto hi = CompareValues(*max, term.literal);
      switch (term.op) {
        case CompareOp::kEq:
          proven = lo == strong_ordering::equal && hi == strong_ordering::equal;
          break;
        case CompareOp::kNotEq:
          proven = lo == strong_ordering::greater || hi == strong_ordering::less;
          break;
        case CompareOp::kLt:
          proven = hi == strong_ordering::less;
          break;
        case CompareOp::kLe:
          proven = hi != strong_ordering::greater;
          break;
        case CompareOp::kGt:
          proven = lo == strong_ordering::greater;
          break;
        case CompareOp::kGe:
          proven = lo != strong_ordering::less;
          break;
        default:
          break;
      }
    }
    if (!proven) all = false;
  }
  // OR/NOT clauses are not judged by bounds: their files are read row by row.
  return all && pred.clauses.empty() ? FileMatch::kAll : FileMatch::kSome;
}

}  // namespace k2::iceberg
