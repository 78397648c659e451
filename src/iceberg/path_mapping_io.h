#pragma once
/// A FileIO that reads tables moved after they were written: paths inside
/// their metadata (location, manifest lists, manifests, data files) start with
/// the writer's prefix, which this FileIO rewrites before delegating.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/file_io.h"

namespace k2::iceberg {

/// Wraps `base` (which must outlive the result). Every path starting with a
/// mapping's `first` is rewritten to `second` + the rest (first match wins);
/// "file:" URIs are reduced to local paths first.
std::unique_ptr<FileIO> NewPathMappingFileIO(FileIO& base,
                                             std::vector<std::pair<std::string, std::string>> map);

}  // namespace k2::iceberg
