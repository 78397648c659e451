// Serialization of the Parquet metadata structs (metadata.h) in the Thrift
// compact protocol: the footer and page headers k2's writer emits.
#include "parquet/metadata.h"
#include "parquet/thrift_compact.h"

namespace k2::parquet::format {

using thrift::CType;

namespace {

void WriteEmptyStruct(thrift::Writer& w, int16_t id) {
  w.BeginStruct(id);
  w.EndStruct();
}

void WriteTimeUnit(thrift::Writer& w, int16_t id, TimeUnit unit) {
  w.BeginStruct(id);
  WriteEmptyStruct(w, unit == TimeUnit::kMillis ? 1 : unit == TimeUnit::kMicros ? 2 : 3);
  w.EndStruct();
}

void WriteLogicalType(thrift::Writer& w, const LogicalType& t) {
  using K = LogicalType::Kind;
  if (t.kind == K::kNone || t.kind == K::kOther) return;
  w.BeginStruct(10);
  switch (t.kind) {
    case K::kString:
      WriteEmptyStruct(w, 1);
      break;
    case K::kMap:
      WriteEmptyStruct(w, 2);
      break;
    case K::kList:
      WriteEmptyStruct(w, 3);
      break;
    case K::kEnum:
      WriteEmptyStruct(w, 4);
      break;
    case K::kDecimal:
      w.BeginStruct(5);
      w.I32(1, t.scale);
      w.I32(2, t.precision);
      w.EndStruct();
      break;
    case K::kDate:
      WriteEmptyStruct(w, 6);
      break;
    case K::kTime:
    case K::kTimestamp:
      w.BeginStruct(t.kind == K::kTime ? 7 : 8);
      w.Bool(1, t.adjusted_to_utc);
      WriteTimeUnit(w, 2, t.unit);
      w.EndStruct();
      break;
    case K::kInteger:
      w.BeginStruct(10);
      w.I8(1, t.bit_width);
      w.Bool(2, t.is_signed);
      w.EndStruct();
      break;
    case K::kUnknown:
      WriteEmptyStruct(w, 11);
      break;
    case K::kJson:
      WriteEmptyStruct(w, 12);
      break;
    case K::kBson:
      WriteEmptyStruct(w, 13);
      break;
    case K::kUuid:
      WriteEmptyStruct(w, 14);
      break;
    case K::kFloat16:
      WriteEmptyStruct(w, 15);
      break;
    default:
      break;
  }
  w.EndStruct();
}

void WriteStatistics(thrift::Writer& w, int16_t id, const Statistics& s) {
  w.BeginStruct(id);
  if (s.max) w.Binary(1, *s.max);
  if (s.min) w.Binary(2, *s.min);
  if (s.null_count) w.I64(3, *s.null_count);
  if (s.distinct_count) w.I64(4, *s.distinct_count);
  if (s.max_value) w.Binary(5, *s.max_value);
  if (s.min_value) w.Binary(6, *s.min_value);
  if (s.is_max_value_exact) w.Bool(7, *s.is_max_value_exact);
  if (s.is_min_value_exact) w.Bool(8, *s.is_min_value_exact);
  w.EndStruct();
}

void WriteColumnMetaData(thrift::Writer& w, const ColumnMetaData& m) {
  w.BeginStruct(3);
  w.I32(1, static_cast<int32_t>(m.type));
  w.BeginList(2, CType::kI32, m.encodings.size());
  for (Encoding e : m.encodings) w.ListI32(static_cast<int32_t>(e));
  w.BeginList(3, CType::kBinary, m.path_in_schema.size());
  for (const auto& p : m.path_in_schema) w.ListBinary(p);
  w.I32(4, static_cast<int32_t>(m.codec));
  w.I64(5, m.num_values);
  w.I64(6, m.total_uncompressed_size);
  w.I64(7, m.total_compressed_size);
  w.I64(9, m.data_page_offset);
  if (m.index_page_offset) w.I64(10, *m.index_page_offset);
  if (m.dictionary_page_offset) w.I64(11, *m.dictionary_page_offset);
  if (m.statistics) WriteStatistics(w, 12, *m.statistics);
  w.EndStruct();
}

}  // namespace

void Serialize(const FileMetaData& meta, std::string* out) {
  thrift::Writer w(out);
  w.I32(1, meta.version);
  w.BeginList(2, CType::kStruct, meta.schema.size());
  for (const SchemaElement& e : meta.schema) {
    w.BeginListStruct();
    if (e.type) w.I32(1, static_cast<int32_t>(*e.type));
    if (e.type_length) w.I32(2, *e.type_length);
    if (e.repetition) w.I32(3, static_cast<int32_t>(*e.repetition));
    w.Binary(4, e.name);
    if (e.num_children) w.I32(5, *e.num_children);
    if (e.converted_type) w.I32(6, static_cast<int32_t>(*e.converted_type));
    if (e.scale) w.I32(7, *e.scale);
    if (e.precision) w.I32(8, *e.precision);
    if (e.field_id) w.I32(9, *e.field_id);
    WriteLogicalType(w, e.logical_type);
    w.EndListStruct();
  }
  w.I64(3, meta.num_rows);
  w.BeginList(4, CType::kStruct, meta.row_groups.size());
  for (const RowGroup& g : meta.row_groups) {
    w.BeginListStruct();
    w.BeginList(1, CType::kStruct, g.columns.size());
    for (const ColumnChunk& c : g.columns) {
      w.BeginListStruct();
      if (c.file_path) w.Binary(1, *c.file_path);
      w.I64(2, c.file_offset);
      if (c.meta_data) WriteColumnMetaData(w, *c.meta_data);
      w.EndListStruct();
    }
    w.I64(2, g.total_byte_size);
    w.I64(3, g.num_rows);
    if (g.file_offset) w.I64(5, *g.file_offset);
    if (g.total_compressed_size) w.I64(6, *g.total_compressed_size);
    if (g.ordinal) w.I32(7, *g.ordinal);  // i16 is a zigzag varint like i32
    w.EndListStruct();
  }
  if (!meta.key_value_metadata.empty()) {
    w.BeginList(5, CType::kStruct, meta.key_value_metadata.size());
    for (const KeyValue& kv : meta.key_value_metadata) {
      w.BeginListStruct();
      w.Binary(1, kv.key);
      if (kv.value) w.Binary(2, *kv.value);
      w.EndListStruct();
    }
  }
  if (meta.created_by) w.Binary(6, *meta.created_by);
  if (!meta.column_orders.empty()) {
    w.BeginList(7, CType::kStruct, meta.column_orders.size());
    for (size_t i = 0; i < meta.column_orders.size(); ++i) {
      w.BeginListStruct();
      WriteEmptyStruct(w, 1);
      w.EndListStruct();
    }
  }
  w.Stop();
}

void Serialize(const PageHeader& h, std::string* out) {
  thrift::Writer w(out);
  w.I32(1, static_cast<int32_t>(h.type));
  w.I32(2, h.uncompressed_page_size);
  w.I32(3, h.compressed_page_size);
  if (h.crc) w.I32(4, *h.crc);
  if (h.data_page_header) {
    const auto& d = *h.data_page_header;
    w.BeginStruct(5);
    w.I32(1, d.num_values);
    w.I32(2, static_cast<int32_t>(d.encoding));
    w.I32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.I32(4, static_cast<int32_t>(d.repetition_level_encoding));
    w.EndStruct();
  }
  if (h.dictionary_page_header) {
    const auto& d = *h.dictionary_page_header;
    w.BeginStruct(7);
    w.I32(1, d.num_values);
    w.I32(2, static_cast<int32_t>(d.encoding));
    if (d.is_sorted) w.Bool(3, *d.is_sorted);
    w.EndStruct();
  }
  if (h.data_page_header_v2) {
    const auto& d = *h.data_page_header_v2;
    w.BeginStruct(8);
    w.I32(1, d.num_values);
    w.I32(2, d.num_nulls);
    w.I32(3, d.num_rows);
    w.I32(4, static_cast<int32_t>(d.encoding));
    w.I32(5, d.definition_levels_byte_length);
    w.I32(6, d.repetition_levels_byte_length);
    w.Bool(7, d.is_compressed);
    w.EndStruct();
  }
  w.Stop();
}

}  // namespace k2::parquet::format
