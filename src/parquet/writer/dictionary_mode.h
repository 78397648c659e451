#pragma once
/// DictionaryMode: when the numeric and byte-array column writers encode with
/// a dictionary. On at the start of each chunk if the options ask for it; off
/// for the rest of the chunk once the dictionary outgrew its page or did not
/// pay on the chunk's first page (the chunk still writes the dictionary page
/// its earlier pages index into); and off for every later chunk of the file
/// after such a fall-back: values this varied overflow their dictionary again.

namespace k2::parquet {

class DictionaryMode {
 public:
  /// `enabled`: WriterOptions::dictionary.
  explicit DictionaryMode(bool enabled) : enabled_(enabled), on_(enabled) {}

  /// Whether values go into the dictionary now.
  bool on() const { return on_; }
  /// Whether this chunk fell back to plain values.
  bool fell_back() const { return fell_back_; }

  /// Stops the dictionary for the rest of this chunk and the later chunks. The
  /// writer frees its lookup buffers (hash table, indices); the dictionary
  /// values stay until the chunk is written.
  void FallBack() {
    on_ = false;
    fell_back_ = true;
    sticky_plain_ = true;
  }
  /// A new chunk: on unless disabled or an earlier chunk fell back.
  void StartChunk() {
    on_ = enabled_ && !sticky_plain_;
    fell_back_ = false;
  }

 private:
  bool enabled_;
  bool on_;
  bool fell_back_ = false;
  bool sticky_plain_ = false;
};

}  // namespace k2::parquet
