#include "columnar/value_json.h"

#include <cmath>

#include "columnar/value.h"

namespace k2 {

nlohmann::json ColumnValueToJson(const Column& c, size_t row) {
  using Json = nlohmann::json;
  if (!c.IsValid(row)) return nullptr;
  const DataType& t = c.type();
  switch (t.id) {
    case TypeId::kBoolean:
      return c.Value<uint8_t>(row) != 0;
    case TypeId::kInt32:
      return c.Value<int32_t>(row);
    case TypeId::kInt64:
      return c.Value<int64_t>(row);
    case TypeId::kFloat: {
      float f = c.Value<float>(row);
      if (std::isfinite(f)) return f;
      break;
    }
    case TypeId::kDouble: {
      double d = c.Value<double>(row);
      if (std::isfinite(d)) return d;
      break;
    }
    case TypeId::kStruct: {
      Json out = Json::object();
      for (size_t i = 0; i < t.children.size() && i < c.children().size(); ++i) {
        out[t.children[i].name] = ColumnValueToJson(c.children()[i], row);
      }
      return out;
    }
    case TypeId::kList: {
      Json out = Json::array();
      auto [begin, end] = c.ChildRange(row);
      for (size_t i = begin; i < end; ++i) out.push_back(ColumnValueToJson(c.children()[0], i));
      return out;
    }
    case TypeId::kMap: {
      Json out = Json::object();
      auto [begin, end] = c.ChildRange(row);
      for (size_t i = begin; i < end; ++i) {
        Json key = ColumnValueToJson(c.children()[0], i);
        std::string text = key.is_string() ? key.get<std::string>() : key.dump();
        out[text] = ColumnValueToJson(c.children()[1], i);
      }
      return out;
    }
    default:
      break;
  }
  return Value::FromColumn(c, row).ToString();
}

}  // namespace k2
