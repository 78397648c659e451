#pragma once
/// An in-memory Catalog: the unit-test fake and a scratch catalog for tools.
/// Thread-safe. Optionally injects faults into SwapTable to test commit
/// protocols (conflicts and unknown outcomes).

#include <functional>
#include <memory>
#include <string>

#include "iceberg/catalog.h"

namespace k2 {

/// What an injected fault does to one SwapTable call.
enum class SwapFault {
  kNone,                ///< behave normally
  kConflict,            ///< fail with kCommitConflict without swapping
  kUnknownAfterSwap,    ///< swap, then report kCommitStateUnknown
  kUnknownWithoutSwap,  ///< do not swap, report kCommitStateUnknown
};

/// Creates an empty in-memory catalog called `name`.
std::unique_ptr<Catalog> NewMemoryCatalog(std::string name);

/// Like NewMemoryCatalog; `fault` is asked before every SwapTable (call
/// number from 0) and decides what happens. It is called under the catalog lock.
std::unique_ptr<Catalog> NewFaultyMemoryCatalog(std::string name,
                                                std::function<SwapFault(int call)> fault);

}  // namespace k2
