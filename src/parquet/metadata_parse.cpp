// Parsing of the Parquet metadata structs (metadata.h) from the Thrift
// compact protocol: footers and page headers of files any writer made, so every
// read is bounds-checked, unknown fields are skipped and errors are kCorrupt
// with the byte offset. Over 600 lines because it is one parser per struct
// of the footer and page headers (each short), sharing the field-walking
// helpers at the top; splitting them would only scatter those helpers.
#include "parquet/metadata.h"
#include "parquet/thrift_compact.h"

namespace k2::parquet::format {

using thrift::CType;

namespace {

/// Reads the fields of a struct up to its stop: `field(type, id)` reads a
/// field it knows and returns true, or returns false and the field is skipped.
template <typename Fn>
Status ForEachField(thrift::Reader& r, Fn&& field) {
  for (;;) {
    CType t;
    int16_t id;
    K2_RETURN_IF_ERROR(r.FieldHeader(&t, &id));
    if (t == CType::kStop) return OkStatus();
    K2_ASSIGN_OR_RETURN(bool handled, field(t, id));
    if (!handled) K2_RETURN_IF_ERROR(r.Skip(t));
  }
}

Status Expect(thrift::Reader& r, CType got, CType want) {
  if (got != want) return r.Corrupt("unexpected thrift field type");
  return OkStatus();
}

Result<bool> ReadBoolField(thrift::Reader& r, CType t) {
  if (t == CType::kTrue) return true;
  if (t == CType::kFalse) return false;
  return r.Corrupt("expected a bool field");
}

Result<int32_t> ReadI32Field(thrift::Reader& r, CType t) {
  if (t == CType::kByte || t == CType::kI16 || t == CType::kI32) {
    if (t == CType::kByte) {
      // Bytes are raw (not zigzag varints) in compact protocol.
      return r.Corrupt("unexpected byte field");
    }
    return r.I32();
  }
  return r.Corrupt("expected an i32 field");
}

Status ParseEmptyOrSkip(thrift::Reader& r) {
  return r.Skip(CType::kStruct);
}

Status ParseTimeUnit(thrift::Reader& r, TimeUnit* unit) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    if (t != CType::kStruct) return false;
    if (id == 1) *unit = TimeUnit::kMillis;
    if (id == 2) *unit = TimeUnit::kMicros;
    if (id == 3) *unit = TimeUnit::kNanos;
    K2_RETURN_IF_ERROR(ParseEmptyOrSkip(r));
    return true;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseLogicalType(thrift::Reader& r, LogicalType* lt) {
  using K = LogicalType::Kind;
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    if (t != CType::kStruct) return false;
    switch (id) {
      case 1:
        lt->kind = K::kString;
        break;
      case 2:
        lt->kind = K::kMap;
        break;
      case 3:
        lt->kind = K::kList;
        break;
      case 4:
        lt->kind = K::kEnum;
        break;
      case 6:
        lt->kind = K::kDate;
        break;
      case 11:
        lt->kind = K::kUnknown;
        break;
      case 12:
        lt->kind = K::kJson;
        break;
      case 13:
        lt->kind = K::kBson;
        break;
      case 14:
        lt->kind = K::kUuid;
        break;
      case 15:
        lt->kind = K::kFloat16;
        break;
      case 5: {
        lt->kind = K::kDecimal;
        K2_RETURN_IF_ERROR(r.BeginStruct());
        K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
          if (id == 1 && t == CType::kI32) {
            K2_ASSIGN_OR_RETURN(lt->scale, r.I32());
            return true;
          }
          if (id == 2 && t == CType::kI32) {
            K2_ASSIGN_OR_RETURN(lt->precision, r.I32());
            return true;
          }
          return false;
        }));
        r.EndStruct();
        return true;
      }
      case 7:
      case 8: {
        lt->kind = id == 7 ? K::kTime : K::kTimestamp;
        K2_RETURN_IF_ERROR(r.BeginStruct());
        K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
          if (id == 1 && (t == CType::kTrue || t == CType::kFalse)) {
            lt->adjusted_to_utc = t == CType::kTrue;
            return true;
          }
          if (id == 2 && t == CType::kStruct) {
            K2_RETURN_IF_ERROR(ParseTimeUnit(r, &lt->unit));
            return true;
          }
          return false;
        }));
        r.EndStruct();
        return true;
      }
      case 10: {
        lt->kind = K::kInteger;
        K2_RETURN_IF_ERROR(r.BeginStruct());
        K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
          if (id == 1 && t == CType::kByte) {
            K2_ASSIGN_OR_RETURN(lt->bit_width, r.I8());
            return true;
          }
          if (id == 1 && t == CType::kI32) {
            K2_ASSIGN_OR_RETURN(int32_t v, r.I32());
            lt->bit_width = static_cast<int8_t>(v);
            return true;
          }
          if (id == 2 && (t == CType::kTrue || t == CType::kFalse)) {
            lt->is_signed = t == CType::kTrue;
            return true;
          }
          return false;
        }));
        r.EndStruct();
        return true;
      }
      default:
        lt->kind = K::kOther;
        return false;
    }
    K2_RETURN_IF_ERROR(ParseEmptyOrSkip(r));
    return true;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseSchemaElement(thrift::Reader& r, SchemaElement* e) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  bool has_name = false;
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    switch (id) {
      case 1: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        if (v < 0 || v > 7) return r.Corrupt("bad physical type");
        e->type = static_cast<Type>(v);
        return true;
      }
      case 2: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        e->type_length = v;
        return true;
      }
      case 3: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        if (v < 0 || v > 2) return r.Corrupt("bad repetition type");
        e->repetition = static_cast<Repetition>(v);
        return true;
      }
      case 4: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kBinary));
        K2_ASSIGN_OR_RETURN(e->name, r.Binary());
        has_name = true;
        return true;
      }
      case 5: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        e->num_children = v;
        return true;
      }
      case 6: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        e->converted_type = static_cast<ConvertedType>(v);
        return true;
      }
      case 7: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        e->scale = v;
        return true;
      }
      case 8: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        e->precision = v;
        return true;
      }
      case 9: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        e->field_id = v;
        return true;
      }
      case 10: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kStruct));
        K2_RETURN_IF_ERROR(ParseLogicalType(r, &e->logical_type));
        return true;
      }
      default:
        return false;
    }
    return false;
  }));
  r.EndStruct();
  if (!has_name) return r.Corrupt("schema element without a name");
  return OkStatus();
}

Status ParseStatistics(thrift::Reader& r, Statistics* s) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    switch (id) {
      case 1:
      case 2:
      case 5:
      case 6: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kBinary));
        K2_ASSIGN_OR_RETURN(std::string v, r.Binary());
        (id == 1   ? s->max
         : id == 2 ? s->min
         : id == 5 ? s->max_value
                   : s->min_value) = std::move(v);
        return true;
      }
      case 3:
      case 4: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kI64));
        K2_ASSIGN_OR_RETURN(int64_t v, r.I64());
        (id == 3 ? s->null_count : s->distinct_count) = v;
        return true;
      }
      case 7:
      case 8: {
        K2_ASSIGN_OR_RETURN(bool v, ReadBoolField(r, t));
        (id == 7 ? s->is_max_value_exact : s->is_min_value_exact) = v;
        return true;
      }
      default:
        return false;
    }
    return false;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseColumnMetaData(thrift::Reader& r, ColumnMetaData* m) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    switch (id) {
      case 1: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        if (v < 0 || v > 7) return r.Corrupt("bad physical type");
        m->type = static_cast<Type>(v);
        return true;
      }
      case 2: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kList));
        CType elem;
        uint32_t n;
        K2_RETURN_IF_ERROR(r.ListHeader(&elem, &n));
        if (elem != CType::kI32) return r.Corrupt("bad encodings list");
        for (uint32_t i = 0; i < n; ++i) {
          K2_ASSIGN_OR_RETURN(int32_t v, r.I32());
          m->encodings.push_back(static_cast<Encoding>(v));
        }
        return true;
      }
      case 3: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kList));
        CType elem;
        uint32_t n;
        K2_RETURN_IF_ERROR(r.ListHeader(&elem, &n));
        if (elem != CType::kBinary) return r.Corrupt("bad path_in_schema list");
        for (uint32_t i = 0; i < n; ++i) {
          K2_ASSIGN_OR_RETURN(std::string v, r.Binary());
          m->path_in_schema.push_back(std::move(v));
        }
        return true;
      }
      case 4: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        m->codec = static_cast<CompressionCodec>(v);
        return true;
      }
      case 5:
      case 6:
      case 7:
      case 9:
      case 10:
      case 11: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kI64));
        K2_ASSIGN_OR_RETURN(int64_t v, r.I64());
        if (id == 5) m->num_values = v;
        if (id == 6) m->total_uncompressed_size = v;
        if (id == 7) m->total_compressed_size = v;
        if (id == 9) m->data_page_offset = v;
        if (id == 10) m->index_page_offset = v;
        if (id == 11) m->dictionary_page_offset = v;
        return true;
      }
      case 12: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kStruct));
        Statistics s;
        K2_RETURN_IF_ERROR(ParseStatistics(r, &s));
        m->statistics = std::move(s);
        return true;
      }
      default:
        return false;
    }
    return false;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseColumnChunk(thrift::Reader& r, ColumnChunk* c) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    switch (id) {
      case 1: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kBinary));
        K2_ASSIGN_OR_RETURN(std::string v, r.Binary());
        c->file_path = std::move(v);
        return true;
      }
      case 2: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kI64));
        K2_ASSIGN_OR_RETURN(c->file_offset, r.I64());
        return true;
      }
      case 3: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kStruct));
        ColumnMetaData m;
        K2_RETURN_IF_ERROR(ParseColumnMetaData(r, &m));
        c->meta_data = std::move(m);
        return true;
      }
      default:
        return false;
    }
    return false;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseRowGroup(thrift::Reader& r, RowGroup* g) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    switch (id) {
      case 1: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kList));
        CType elem;
        uint32_t n;
        K2_RETURN_IF_ERROR(r.ListHeader(&elem, &n));
        if (elem != CType::kStruct) return r.Corrupt("bad columns list");
        for (uint32_t i = 0; i < n; ++i) {
          ColumnChunk c;
          K2_RETURN_IF_ERROR(ParseColumnChunk(r, &c));
          g->columns.push_back(std::move(c));
        }
        return true;
      }
      case 2:
      case 3:
      case 5:
      case 6: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kI64));
        K2_ASSIGN_OR_RETURN(int64_t v, r.I64());
        if (id == 2) g->total_byte_size = v;
        if (id == 3) g->num_rows = v;
        if (id == 5) g->file_offset = v;
        if (id == 6) g->total_compressed_size = v;
        return true;
      }
      default:
        return false;
    }
    return false;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseKeyValue(thrift::Reader& r, KeyValue* kv) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    if ((id == 1 || id == 2) && t == CType::kBinary) {
      K2_ASSIGN_OR_RETURN(std::string v, r.Binary());
      if (id == 1) {
        kv->key = std::move(v);
      } else {
        kv->value = std::move(v);
      }
      return true;
    }
    return false;
    return false;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseDataPageHeader(thrift::Reader& r, DataPageHeader* h) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    if (id >= 1 && id <= 4) {
      K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
      if (id == 1) h->num_values = v;
      if (id == 2) h->encoding = static_cast<Encoding>(v);
      if (id == 3) h->definition_level_encoding = static_cast<Encoding>(v);
      if (id == 4) h->repetition_level_encoding = static_cast<Encoding>(v);
      return true;
    }
    return false;
    return false;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseDictionaryPageHeader(thrift::Reader& r, DictionaryPageHeader* h) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    if (id == 1 || id == 2) {
      K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
      if (id == 1) h->num_values = v;
      if (id == 2) h->encoding = static_cast<Encoding>(v);
      return true;
    }
    if (id == 3) {
      K2_ASSIGN_OR_RETURN(bool v, ReadBoolField(r, t));
      h->is_sorted = v;
      return true;
    }
    return false;
    return false;
  }));
  r.EndStruct();
  return OkStatus();
}

Status ParseDataPageHeaderV2(thrift::Reader& r, DataPageHeaderV2* h) {
  K2_RETURN_IF_ERROR(r.BeginStruct());
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    if (id >= 1 && id <= 6) {
      K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
      if (id == 1) h->num_values = v;
      if (id == 2) h->num_nulls = v;
      if (id == 3) h->num_rows = v;
      if (id == 4) h->encoding = static_cast<Encoding>(v);
      if (id == 5) h->definition_levels_byte_length = v;
      if (id == 6) h->repetition_levels_byte_length = v;
      return true;
    }
    if (id == 7) {
      K2_ASSIGN_OR_RETURN(bool v, ReadBoolField(r, t));
      h->is_compressed = v;
      return true;
    }
    return false;
    return false;
  }));
  r.EndStruct();
  return OkStatus();
}

template <typename T, typename F>
Status ParseStructList(thrift::Reader& r, CType t, std::vector<T>* out, F parse) {
  K2_RETURN_IF_ERROR(Expect(r, t, CType::kList));
  CType elem;
  uint32_t n;
  K2_RETURN_IF_ERROR(r.ListHeader(&elem, &n));
  if (elem != CType::kStruct) return r.Corrupt("expected a list of structs");
  for (uint32_t i = 0; i < n; ++i) {
    T v;
    K2_RETURN_IF_ERROR(parse(r, &v));
    out->push_back(std::move(v));
  }
  return OkStatus();
}

}  // namespace

Result<FileMetaData> ParseFileMetaData(const uint8_t* data, size_t size, std::string_view what,
                                       uint64_t base_offset) {
  thrift::Reader r(data, size, what, base_offset);
  FileMetaData m;
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    switch (id) {
      case 1: {
        K2_ASSIGN_OR_RETURN(m.version, ReadI32Field(r, t));
        return true;
      }
      case 2:
        K2_RETURN_IF_ERROR(ParseStructList(r, t, &m.schema, ParseSchemaElement));
        return true;
      case 3: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kI64));
        K2_ASSIGN_OR_RETURN(m.num_rows, r.I64());
        return true;
      }
      case 4:
        K2_RETURN_IF_ERROR(ParseStructList(r, t, &m.row_groups, ParseRowGroup));
        return true;
      case 5:
        K2_RETURN_IF_ERROR(ParseStructList(r, t, &m.key_value_metadata, ParseKeyValue));
        return true;
      case 6: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kBinary));
        K2_ASSIGN_OR_RETURN(std::string v, r.Binary());
        m.created_by = std::move(v);
        return true;
      }
      case 7: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kList));
        CType elem;
        uint32_t n;
        K2_RETURN_IF_ERROR(r.ListHeader(&elem, &n));
        if (elem != CType::kStruct) return r.Corrupt("bad column_orders list");
        for (uint32_t i = 0; i < n; ++i) {
          bool type_order = false;
          K2_RETURN_IF_ERROR(r.BeginStruct());
          K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
            if (id == 1 && t == CType::kStruct) type_order = true;
            return false;
            return false;
          }));
          r.EndStruct();
          m.column_orders.push_back(type_order);
        }
        return true;
      }
      case 8:
        m.encrypted = true;
        return false;
      default:
        return false;
    }
    return false;
  }));
  if (m.schema.empty()) return r.Corrupt("footer has no schema");
  return m;
}

Result<PageHeader> ParsePageHeader(const uint8_t* data, size_t size, std::string_view what,
                                   uint64_t base_offset, size_t* consumed) {
  thrift::Reader r(data, size, what, base_offset);
  PageHeader h;
  bool has_type = false, has_sizes = false;
  K2_RETURN_IF_ERROR(ForEachField(r, [&](CType t, int16_t id) -> Result<bool> {
    switch (id) {
      case 1:
      case 2:
      case 3:
      case 4: {
        K2_ASSIGN_OR_RETURN(int32_t v, ReadI32Field(r, t));
        if (id == 1) {
          h.type = static_cast<PageType>(v);
          has_type = true;
        }
        if (id == 2) h.uncompressed_page_size = v;
        if (id == 3) {
          h.compressed_page_size = v;
          has_sizes = true;
        }
        if (id == 4) h.crc = v;
        return true;
      }
      case 5: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kStruct));
        DataPageHeader d;
        K2_RETURN_IF_ERROR(ParseDataPageHeader(r, &d));
        h.data_page_header = d;
        return true;
      }
      case 7: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kStruct));
        DictionaryPageHeader d;
        K2_RETURN_IF_ERROR(ParseDictionaryPageHeader(r, &d));
        h.dictionary_page_header = d;
        return true;
      }
      case 8: {
        K2_RETURN_IF_ERROR(Expect(r, t, CType::kStruct));
        DataPageHeaderV2 d;
        K2_RETURN_IF_ERROR(ParseDataPageHeaderV2(r, &d));
        h.data_page_header_v2 = d;
        return true;
      }
      default:
        return false;
    }
    return false;
  }));
  if (!has_type || !has_sizes) return r.Corrupt("page header without type or size");
  if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0) {
    return r.Corrupt("negative page size");
  }
  *consumed = r.position();
  return h;
}

}  // namespace k2::parquet::format
