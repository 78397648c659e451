#include "parquet/writer/boolean_column_writer.h"

#include <algorithm>
#include <string>

#include "columnar/value.h"
#include "parquet/encoding.h"

namespace k2::parquet {

Status BooleanColumnWriter::Append(const Column& column, size_t offset, size_t count) {
  for (size_t s = offset; s < offset + count; s += kSliceRows * 8) {
    size_t n = std::min(kSliceRows * 8, offset + count - s);
    AddLevels(column, s, n);
    const uint8_t* src = column.data().data() + s;
    for (size_t i = 0; i < n; ++i) {
      if (column.has_nulls() && !column.IsValid(s + i)) continue;
      uint8_t v = src[i] != 0;
      values_.push_back(v);
      Observe(v, &chunk_min_, &chunk_max_);
      Observe(v, &file_min_, &file_max_);
    }
    if (PageFull(values_.size() / 8, values_.size())) {
      K2_RETURN_IF_ERROR(ClosePage());
    }
  }
  return OkStatus();
}

Status BooleanColumnWriter::FlushChunk(OutputFile* out, format::ColumnChunk* chunk) {
  K2_RETURN_IF_ERROR(ClosePage());
  format::Statistics st;
  if (chunk_min_ >= 0) {
    st.min_value = st.min = std::string(1, static_cast<char>(chunk_min_));
    st.max_value = st.max = std::string(1, static_cast<char>(chunk_max_));
    st.is_min_value_exact = st.is_max_value_exact = true;
  }
  chunk_min_ = chunk_max_ = -1;
  return WriteChunk(out, chunk, nullptr, 0, std::move(st));
}

Status BooleanColumnWriter::ClosePage() {
  if (page_rows_ == 0) return OkStatus();
  BeginPage();
  BitPack(values_.data(), values_.size(), 1, &page_);
  values_.clear();
  return FinishPage(format::Encoding::kPlain);
}

void BooleanColumnWriter::FillBounds(ColumnMetrics* m) const {
  if (file_min_ < 0) return;
  m->lower_bound = EncodeSingleValue(Value{field_.type, file_min_ != 0});
  m->upper_bound = EncodeSingleValue(Value{field_.type, file_max_ != 0});
}

}  // namespace k2::parquet
