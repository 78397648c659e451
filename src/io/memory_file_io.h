#pragma once
/// The in-memory FileIO: files are strings in a map. For tests and fuzzers, and
/// for bytes that are already in memory (no disk round trip). Same contract
/// as every FileIO: a file appears at its path only when Finish() succeeds.

#include <memory>
#include <string>

#include "io/file_io.h"

namespace k2 {

/// A new, empty in-memory FileIO. Thread-safe. Files live as long as it does;
/// InputFiles opened from it hold their own copy of the bytes.
std::unique_ptr<FileIO> NewMemoryFileIO();

/// An InputFile over `bytes` (owned), named `path` in messages.
std::unique_ptr<InputFile> NewMemoryInputFile(std::string path, std::string bytes);

}  // namespace k2
