#pragma once
/// Opens the warm driver a config describes: the HTTP driver for a ClickHouse
/// server (compression off on loopback, where it only costs CPU), else the
/// embedded engine.

#include <memory>

#include "common/config.h"
#include "warm/warm_driver.h"

namespace k2::warm {

Result<std::unique_ptr<WarmDriver>> OpenWarmDriver(const Config& config);

}  // namespace k2::warm
