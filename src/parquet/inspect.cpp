#include "parquet/inspect.h"

#include <fmt/format.h>

namespace k2::parquet {

namespace {

std::string StatText(const std::optional<Value>& v) {
  return v ? v->ToString() : std::string();
}

}  // namespace

nlohmann::json InspectFile(const FileReader& reader) {
  using nlohmann::json;
  const format::FileMetaData& m = reader.metadata();
  json out;
  out["path"] = reader.path();
  out["num_rows"] = m.num_rows;
  out["version"] = m.version;
  out["created_by"] = m.created_by.value_or("");
  json kv = json::object();
  for (const auto& e : m.key_value_metadata) {
    kv[e.key] = e.value ? json(*e.value) : json(nullptr);
  }
  out["key_value_metadata"] = kv;
  json schema = json::array();
  const Schema& s = reader.schema();
  for (size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    json col;
    col["name"] = f.name;
    col["field_id"] = f.id;
    col["nullable"] = f.nullable;
    const format::SchemaElement* e = reader.element(i);
    if (e == nullptr) {
      col["k2_type"] = nullptr;
      col["physical_type"] = "GROUP";
    } else {
      col["k2_type"] = f.type.ToString();
      col["physical_type"] = std::string(format::TypeName(*e->type));
      if (e->type_length) col["type_length"] = *e->type_length;
      std::string lt = format::LogicalTypeName(e->logical_type);
      col["logical_type"] = lt.empty() ? json(nullptr) : json(lt);
      col["converted_type"] = e->converted_type
                                  ? json(std::string(format::ConvertedTypeName(*e->converted_type)))
                                  : json(nullptr);
    }
    schema.push_back(col);
  }
  out["schema"] = schema;
  json groups = json::array();
  for (int g = 0; g < reader.num_row_groups(); ++g) {
    const format::RowGroup& rg = m.row_groups[static_cast<size_t>(g)];
    json group;
    group["num_rows"] = rg.num_rows;
    group["total_byte_size"] = rg.total_byte_size;
    if (rg.file_offset) group["file_offset"] = *rg.file_offset;
    json cols = json::array();
    for (size_t i = 0; i < s.fields.size(); ++i) {
      const format::SchemaElement* e = reader.element(i);
      if (e == nullptr) continue;
      json c;
      c["name"] = s.fields[i].name;
      FileReader::ColumnStats st = reader.Statistics(g, i);
      auto leaf = static_cast<size_t>(reader.leaf_index(i));
      if (leaf < rg.columns.size() && rg.columns[leaf].meta_data) {
        const format::ColumnMetaData& md = *rg.columns[leaf].meta_data;
        c["codec"] = std::string(format::CodecName(md.codec));
        json encs = json::array();
        for (auto enc : md.encodings) encs.push_back(std::string(format::EncodingName(enc)));
        c["encodings"] = encs;
        c["num_values"] = md.num_values;
        c["compressed_bytes"] = md.total_compressed_size;
        c["uncompressed_bytes"] = md.total_uncompressed_size;
        c["data_page_offset"] = md.data_page_offset;
        if (md.dictionary_page_offset) c["dictionary_page_offset"] = *md.dictionary_page_offset;
      }
      json stats;
      stats["min"] = st.min ? json(StatText(st.min)) : json(nullptr);
      stats["max"] = st.max ? json(StatText(st.max)) : json(nullptr);
      stats["null_count"] = st.null_count ? json(*st.null_count) : json(nullptr);
      c["statistics"] = stats;
      cols.push_back(c);
    }
    group["columns"] = cols;
    groups.push_back(group);
  }
  out["row_groups"] = groups;
  return out;
}

std::string FormatInspect(const nlohmann::json& info) {
  std::string out;
  out += fmt::format("file: {}\nrows: {}\nrow groups: {}\ncreated_by: {}\n",
                     info["path"].get<std::string>(), info["num_rows"].get<int64_t>(),
                     info["row_groups"].size(), info["created_by"].get<std::string>());
  for (const auto& [k, v] : info["key_value_metadata"].items()) {
    std::string value = v.is_null() ? "null" : v.get<std::string>();
    if (value.size() > 120) value = value.substr(0, 117) + "...";
    out += fmt::format("metadata: {} = {}\n", k, value);
  }
  out += "schema:\n";
  for (const auto& c : info["schema"]) {
    auto text = [](const nlohmann::json& j) {
      return j.is_null() ? std::string("-") : j.is_string() ? j.get<std::string>() : j.dump();
    };
    out += fmt::format("  {:<24} id={:<5} {:<16} physical={} logical={} converted={} {}\n",
                       c["name"].get<std::string>(), c["field_id"].get<int>(), text(c["k2_type"]),
                       text(c["physical_type"]), text(c.value("logical_type", nlohmann::json())),
                       text(c.value("converted_type", nlohmann::json())),
                       c["nullable"].get<bool>() ? "optional" : "required");
  }
  int g = 0;
  for (const auto& rg : info["row_groups"]) {
    out += fmt::format("row group {}: {} rows, {} bytes\n", g++, rg["num_rows"].get<int64_t>(),
                       rg["total_byte_size"].get<int64_t>());
    for (const auto& c : rg["columns"]) {
      std::string encs;
      for (const auto& e : c.value("encodings", nlohmann::json::array())) {
        if (!encs.empty()) encs += ",";
        encs += e.get<std::string>();
      }
      const auto& st = c["statistics"];
      out += fmt::format("  {:<24} {:<12} {:<40} {:>10} bytes  min={} max={} nulls={}\n",
                         c["name"].get<std::string>(), c.value("codec", std::string("-")), encs,
                         c.value("compressed_bytes", int64_t{0}),
                         st["min"].is_null() ? "-" : st["min"].get<std::string>(),
                         st["max"].is_null() ? "-" : st["max"].get<std::string>(),
                         st["null_count"].is_null() ? "-" : st["null_count"].dump());
    }
  }
  return out;
}

}  // namespace k2::parquet
