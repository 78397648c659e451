#include "parquet/writer/column_writer.h"

#include "parquet/writer/boolean_column_writer.h"
#include "parquet/writer/byte_array_column_writer.h"
#include "parquet/writer/numeric_column_writer.h"

namespace k2::parquet {

format::CompressionCodec ToFormatCodec(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed:
      return format::CompressionCodec::kUncompressed;
    case Codec::kSnappy:
      return format::CompressionCodec::kSnappy;
    case Codec::kGzip:
      return format::CompressionCodec::kGzip;
    case Codec::kZstd:
      return format::CompressionCodec::kZstd;
    case Codec::kLz4Raw:
      return format::CompressionCodec::kLz4Raw;
  }
  return format::CompressionCodec::kUncompressed;
}

std::unique_ptr<ColumnWriter> MakeColumnWriter(const Field& field,
                                               const format::SchemaElement& element,
                                               const WriterOptions& options,
                                               std::shared_ptr<WriterScratch> scratch) {
  switch (field.type.id) {
    case TypeId::kBoolean:
      return std::make_unique<BooleanColumnWriter>(field, element, options, scratch);
    case TypeId::kInt32:
    case TypeId::kDate:
      return std::make_unique<NumericColumnWriter<int32_t, int32_t>>(field, element, options,
                                                                     scratch);
    case TypeId::kInt64:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
    case TypeId::kTimestampNs:
      return std::make_unique<NumericColumnWriter<int64_t, int64_t>>(field, element, options,
                                                                     scratch);
    case TypeId::kFloat:
      return std::make_unique<NumericColumnWriter<float, float>>(field, element, options, scratch);
    case TypeId::kDouble:
      return std::make_unique<NumericColumnWriter<double, double>>(field, element, options,
                                                                   scratch);
    case TypeId::kDecimal:
      if (field.type.precision <= 9) {
        return std::make_unique<NumericColumnWriter<int32_t, int64_t>>(field, element, options,
                                                                       scratch);
      }
      if (field.type.precision <= 18) {
        return std::make_unique<NumericColumnWriter<int64_t, int64_t>>(field, element, options,
                                                                       scratch);
      }
      return std::make_unique<ByteArrayColumnWriter>(field, element, options, scratch);
    case TypeId::kString:
    case TypeId::kBinary:
    case TypeId::kFixed:
    case TypeId::kUuid:
      return std::make_unique<ByteArrayColumnWriter>(field, element, options, scratch);
    case TypeId::kStruct:
    case TypeId::kList:
    case TypeId::kMap:
      break;  // refused by ToSchemaElement: k2 writes flat files
  }
  return nullptr;
}

}  // namespace k2::parquet
