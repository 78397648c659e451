#include "avro/schema.h"

#include "common/json.h"

namespace k2::avro {

namespace {

using Json = nlohmann::json;
using Names = std::map<std::string, NodePtr>;

std::string FullName(const Json& j, const std::string& enclosing_ns) {
  std::string name = j.value("name", "");
  if (name.find('.') != std::string::npos) return name;
  std::string ns = j.contains("namespace") && j["namespace"].is_string()
                       ? j["namespace"].get<std::string>()
                       : enclosing_ns;
  return ns.empty() ? name : ns + "." + name;
}

int IntAttr(const Json& j, const char* key) {
  if (!j.contains(key)) return -1;
  const Json& v = j[key];
  if (v.is_number_integer()) return v.get<int>();
  if (v.is_string()) {
    try {
      return std::stoi(v.get<std::string>());
    } catch (const std::exception&) {
      return -1;
    }
  }
  return -1;
}

Result<NodePtr> Parse(const Json& j, Names& names, const std::string& ns, int depth) {
  if (depth > 64) return MakeError(ErrorKind::kInvalidInput, "avro schema nested too deeply");
  if (j.is_string()) {
    std::string t = j.get<std::string>();
    auto node = std::make_shared<Node>();
    if (t == "null")
      node->type = Type::kNull;
    else if (t == "boolean")
      node->type = Type::kBoolean;
    else if (t == "int")
      node->type = Type::kInt;
    else if (t == "long")
      node->type = Type::kLong;
    else if (t == "float")
      node->type = Type::kFloat;
    else if (t == "double")
      node->type = Type::kDouble;
    else if (t == "bytes")
      node->type = Type::kBytes;
    else if (t == "string")
      node->type = Type::kString;
    else {
      auto it = names.find(t);
      if (it == names.end() && !ns.empty()) it = names.find(ns + "." + t);
      if (it == names.end()) {
        return MakeError(ErrorKind::kInvalidInput, "avro schema: unknown type name '{}'", t);
      }
      return it->second;
    }
    return NodePtr(node);
  }
  if (j.is_array()) {
    auto node = std::make_shared<Node>();
    node->type = Type::kUnion;
    for (const Json& b : j) {
      K2_ASSIGN_OR_RETURN(NodePtr branch, Parse(b, names, ns, depth + 1));
      node->branches.push_back(std::move(branch));
    }
    if (node->branches.empty()) return MakeError(ErrorKind::kInvalidInput, "avro: empty union");
    return NodePtr(node);
  }
  if (!j.is_object() || !j.contains("type")) {
    return MakeError(ErrorKind::kInvalidInput, "avro schema: expected a type, got {}",
                     j.dump().substr(0, 80));
  }
  const Json& type = j["type"];
  if (!type.is_string()) return Parse(type, names, ns, depth + 1);
  std::string t = type.get<std::string>();
  std::shared_ptr<Node> node;
  if (t == "record" || t == "error") {
    node = std::make_shared<Node>();
    node->type = Type::kRecord;
    node->name = FullName(j, ns);
    std::string inner_ns = node->name.substr(
        0, node->name.rfind('.') == std::string::npos ? 0 : node->name.rfind('.'));
    if (!j.contains("fields") || !j["fields"].is_array()) {
      return MakeError(ErrorKind::kInvalidInput, "avro record '{}' has no fields", node->name);
    }
    for (const Json& f : j["fields"]) {
      if (!f.is_object() || !f.contains("name") || !f.contains("type")) {
        return MakeError(ErrorKind::kInvalidInput, "avro record '{}': malformed field", node->name);
      }
      FieldDef fd;
      fd.name = f["name"].get<std::string>();
      K2_ASSIGN_OR_RETURN(fd.type, Parse(f["type"], names, inner_ns, depth + 1));
      fd.field_id = IntAttr(f, "field-id");
      if (f.contains("default")) fd.default_value = f["default"];
      node->fields.push_back(std::move(fd));
    }
    names[node->name] = node;
  } else if (t == "enum") {
    node = std::make_shared<Node>();
    node->type = Type::kEnum;
    node->name = FullName(j, ns);
    for (const Json& s : j.value("symbols", Json::array())) {
      node->symbols.push_back(s.get<std::string>());
    }
    names[node->name] = node;
  } else if (t == "fixed") {
    node = std::make_shared<Node>();
    node->type = Type::kFixed;
    node->name = FullName(j, ns);
    node->size = j.value("size", 0);
    names[node->name] = node;
  } else if (t == "array") {
    node = std::make_shared<Node>();
    node->type = Type::kArray;
    if (!j.contains("items")) return MakeError(ErrorKind::kInvalidInput, "avro array: no items");
    K2_ASSIGN_OR_RETURN(node->items, Parse(j["items"], names, ns, depth + 1));
    node->element_id = IntAttr(j, "element-id");
  } else if (t == "map") {
    node = std::make_shared<Node>();
    node->type = Type::kMap;
    if (!j.contains("values")) return MakeError(ErrorKind::kInvalidInput, "avro map: no values");
    K2_ASSIGN_OR_RETURN(node->values, Parse(j["values"], names, ns, depth + 1));
    node->key_id = IntAttr(j, "key-id");
    node->value_id = IntAttr(j, "value-id");
  } else {
    K2_ASSIGN_OR_RETURN(NodePtr prim, Parse(type, names, ns, depth + 1));
    node = std::make_shared<Node>(*prim);
  }
  if (j.contains("logicalType") && j["logicalType"].is_string()) {
    node->logical_type = j["logicalType"].get<std::string>();
    node->precision = j.value("precision", 0);
    node->scale = j.value("scale", 0);
  }
  if (j.contains("adjust-to-utc") && j["adjust-to-utc"].is_boolean()) {
    node->adjust_to_utc = j["adjust-to-utc"].get<bool>();
  }
  return NodePtr(node);
}

bool BranchMatches(Type branch, Type value) {
  if (branch == value) return true;
  if (branch == Type::kLong && value == Type::kInt) return true;
  if (branch == Type::kDouble && value == Type::kFloat) return true;
  if ((branch == Type::kBytes || branch == Type::kFixed || branch == Type::kString ||
       branch == Type::kEnum) &&
      (value == Type::kBytes || value == Type::kString || value == Type::kFixed)) {
    return true;
  }
  if (branch == Type::kInt && value == Type::kLong) return true;
  return false;
}

Status EncodeBlocked(const Node& schema, const Datum& v, Encoder& out);

}  // namespace

std::optional<size_t> Node::FieldIndex(std::string_view field_name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == field_name) return i;
  }
  return std::nullopt;
}

const Node* Node::NonNullBranch() const {
  if (type != Type::kUnion || branches.size() != 2) return nullptr;
  if (branches[0]->type == Type::kNull) return branches[1].get();
  if (branches[1]->type == Type::kNull) return branches[0].get();
  return nullptr;
}

Result<NodePtr> ParseSchema(std::string_view json_text) {
  auto j = ParseUntrustedJson(json_text, "avro schema");
  if (!j) return MakeError(ErrorKind::kInvalidInput, "{}", j.error().message);
  Names names;
  return Parse(*j, names, "", 0);
}

Datum Datum::Bool(bool v) {
  Datum d;
  d.type = Type::kBoolean;
  d.b = v;
  return d;
}
Datum Datum::Int(int32_t v) {
  Datum d;
  d.type = Type::kInt;
  d.l = v;
  return d;
}
Datum Datum::Long(int64_t v) {
  Datum d;
  d.type = Type::kLong;
  d.l = v;
  return d;
}
Datum Datum::Float(float v) {
  Datum d;
  d.type = Type::kFloat;
  d.d = v;
  return d;
}
Datum Datum::Double(double v) {
  Datum d;
  d.type = Type::kDouble;
  d.d = v;
  return d;
}
Datum Datum::Bytes(std::string v) {
  Datum d;
  d.type = Type::kBytes;
  d.s = std::move(v);
  return d;
}
Datum Datum::String(std::string v) {
  Datum d;
  d.type = Type::kString;
  d.s = std::move(v);
  return d;
}
Datum Datum::Fixed(std::string v) {
  Datum d;
  d.type = Type::kFixed;
  d.s = std::move(v);
  return d;
}
Datum Datum::Array(std::vector<Datum> items) {
  Datum d;
  d.type = Type::kArray;
  d.items = std::move(items);
  return d;
}
Datum Datum::Record(const Node* node) {
  Datum d;
  d.type = Type::kRecord;
  d.node = node;
  d.items.resize(node->fields.size());
  return d;
}

const Datum* Datum::Get(std::string_view name) const {
  if (type != Type::kRecord || node == nullptr) return nullptr;
  auto idx = node->FieldIndex(name);
  if (!idx || *idx >= items.size()) return nullptr;
  return &items[*idx];
}

bool Datum::Set(std::string_view name, Datum value) {
  if (type != Type::kRecord || node == nullptr) return false;
  auto idx = node->FieldIndex(name);
  if (!idx) return false;
  items[*idx] = std::move(value);
  return true;
}

namespace {

Status EncodeBlocked(const Node& schema, const Datum& v, Encoder& out) {
  if (!v.items.empty()) {
    out.WriteLong(static_cast<int64_t>(v.items.size()));
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (schema.type == Type::kMap) {
        out.WriteBytes(i < v.keys.size() ? v.keys[i] : std::string());
        K2_RETURN_IF_ERROR(EncodeDatum(*schema.values, v.items[i], out));
      } else {
        K2_RETURN_IF_ERROR(EncodeDatum(*schema.items, v.items[i], out));
      }
    }
  }
  out.WriteLong(0);
  return OkStatus();
}

}  // namespace

Status EncodeDatum(const Node& schema, const Datum& v, Encoder& out) {
  auto mismatch = [&]() {
    return MakeError(ErrorKind::kInvalidInput, "avro: value of type {} does not fit schema {} {}",
                     static_cast<int>(v.type), static_cast<int>(schema.type), schema.name);
  };
  switch (schema.type) {
    case Type::kNull:
      if (!v.is_null()) return mismatch();
      return OkStatus();
    case Type::kBoolean:
      if (v.type != Type::kBoolean) return mismatch();
      out.WriteBool(v.b);
      return OkStatus();
    case Type::kInt:
    case Type::kLong:
      if (v.type != Type::kInt && v.type != Type::kLong) return mismatch();
      out.WriteLong(v.l);
      return OkStatus();
    case Type::kFloat:
      if (v.type != Type::kFloat && v.type != Type::kDouble) return mismatch();
      out.WriteFloat(static_cast<float>(v.d));
      return OkStatus();
    case Type::kDouble:
      if (v.type != Type::kFloat && v.type != Type::kDouble) return mismatch();
      out.WriteDouble(v.d);
      return OkStatus();
    case Type::kBytes:
    case Type::kString:
      if (v.type != Type::kBytes && v.type != Type::kString && v.type != Type::kFixed) {
        return mismatch();
      }
      out.WriteBytes(v.s);
      return OkStatus();
    case Type::kFixed:
      if (v.s.size() != schema.size) {
        return MakeError(ErrorKind::kInvalidInput, "avro fixed '{}' needs {} bytes, got {}",
                         schema.name, schema.size, v.s.size());
      }
      out.WriteFixed(v.s);
      return OkStatus();
    case Type::kEnum: {
      for (size_t i = 0; i < schema.symbols.size(); ++i) {
        if (schema.symbols[i] == v.s) {
          out.WriteLong(static_cast<int64_t>(i));
          return OkStatus();
        }
      }
      return MakeError(ErrorKind::kInvalidInput, "avro enum '{}' has no symbol '{}'", schema.name,
                       v.s);
    }
    case Type::kArray:
    case Type::kMap:
      if (v.type != schema.type && !v.is_null()) return mismatch();
      return EncodeBlocked(schema, v, out);
    case Type::kRecord:
      if (v.type != Type::kRecord) return mismatch();
      for (size_t i = 0; i < schema.fields.size(); ++i) {
        static const Datum kNullDatum;
        const Datum& fv = i < v.items.size() ? v.items[i] : kNullDatum;
        auto st = EncodeDatum(*schema.fields[i].type, fv, out);
        if (!st) {
          return std::unexpected(
              st.error().WithContext(fmt::format("field '{}'", schema.fields[i].name)));
        }
      }
      return OkStatus();
    case Type::kUnion:
      for (size_t i = 0; i < schema.branches.size(); ++i) {
        const Node& b = *schema.branches[i];
        if (v.is_null() ? b.type == Type::kNull : BranchMatches(b.type, v.type)) {
          out.WriteLong(static_cast<int64_t>(i));
          return EncodeDatum(b, v, out);
        }
      }
      return mismatch();
  }
  return mismatch();
}

Result<Datum> DecodeDatum(const Node& schema, Decoder& in) {
  Datum d;
  d.type = schema.type;
  switch (schema.type) {
    case Type::kNull:
      return d;
    case Type::kBoolean: {
      K2_ASSIGN_OR_RETURN(d.b, in.ReadBool());
      return d;
    }
    case Type::kInt:
    case Type::kLong: {
      K2_ASSIGN_OR_RETURN(d.l, in.ReadLong());
      return d;
    }
    case Type::kFloat: {
      K2_ASSIGN_OR_RETURN(float f, in.ReadFloat());
      d.d = f;
      return d;
    }
    case Type::kDouble: {
      K2_ASSIGN_OR_RETURN(d.d, in.ReadDouble());
      return d;
    }
    case Type::kBytes:
    case Type::kString: {
      K2_ASSIGN_OR_RETURN(std::string_view s, in.ReadBytes());
      d.s.assign(s);
      return d;
    }
    case Type::kFixed: {
      K2_ASSIGN_OR_RETURN(std::string_view s, in.ReadFixed(schema.size));
      d.s.assign(s);
      return d;
    }
    case Type::kEnum: {
      K2_ASSIGN_OR_RETURN(d.l, in.ReadLong());
      if (d.l < 0 || static_cast<size_t>(d.l) >= schema.symbols.size()) {
        return std::unexpected(in.CorruptError("enum index out of range"));
      }
      d.s = schema.symbols[d.l];
      return d;
    }
    case Type::kArray:
    case Type::kMap: {
      while (true) {
        K2_ASSIGN_OR_RETURN(int64_t count, in.ReadLong());
        if (count == 0) break;
        if (count == INT64_MIN) return std::unexpected(in.CorruptError("bad block count"));
        if (count < 0) {
          count = -count;
          K2_ASSIGN_OR_RETURN(int64_t bytes, in.ReadLong());
          (void)bytes;
        }
        if (static_cast<uint64_t>(count) > in.remaining()) {
          return std::unexpected(in.CorruptError("block count exceeds remaining bytes"));
        }
        K2_RETURN_IF_ERROR(in.CountItems(static_cast<uint64_t>(count)));
        for (int64_t i = 0; i < count; ++i) {
          if (schema.type == Type::kMap) {
            K2_ASSIGN_OR_RETURN(std::string_view k, in.ReadBytes());
            d.keys.emplace_back(k);
            K2_ASSIGN_OR_RETURN(Datum v, DecodeDatum(*schema.values, in));
            d.items.push_back(std::move(v));
          } else {
            K2_ASSIGN_OR_RETURN(Datum v, DecodeDatum(*schema.items, in));
            d.items.push_back(std::move(v));
          }
        }
      }
      return d;
    }
    case Type::kRecord: {
      d.node = &schema;
      d.items.reserve(schema.fields.size());
      for (const FieldDef& f : schema.fields) {
        K2_ASSIGN_OR_RETURN(Datum v, DecodeDatum(*f.type, in));
        d.items.push_back(std::move(v));
      }
      return d;
    }
    case Type::kUnion: {
      K2_ASSIGN_OR_RETURN(int64_t idx, in.ReadLong());
      if (idx < 0 || static_cast<size_t>(idx) >= schema.branches.size()) {
        return std::unexpected(in.CorruptError(fmt::format("union branch {} out of range", idx)));
      }
      K2_ASSIGN_OR_RETURN(Datum v, DecodeDatum(*schema.branches[idx], in));
      v.branch = static_cast<int>(idx);
      return v;
    }
  }
  return std::unexpected(in.CorruptError("unknown schema type"));
}

}  // namespace k2::avro
