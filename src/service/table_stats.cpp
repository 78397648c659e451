#include "service/table_stats.h"

namespace k2::service {

nlohmann::json WindowStat::ToJson() const {
  return {{"start", FormatTime(start)},
          {"end", FormatTime(end)},
          {"committed", FormatTime(committed)},
          {"rows", rows},
          {"bytes", bytes},
          {"files", files}};
}

nlohmann::json TableDetail::ToJson() const {
  nlohmann::json out = stats.ToJson();
  nlohmann::json buckets = nlohmann::json::array();
  for (size_t i = 0; i < file_size_buckets.size(); ++i) {
    nlohmann::json b = {{"files", file_size_buckets[i]}};
    b["le_bytes"] = i < std::size(kFileSizeBucketBounds) ? nlohmann::json(kFileSizeBucketBounds[i])
                                                         : nlohmann::json();
    buckets.push_back(std::move(b));
  }
  out["delete_files"] = delete_files;
  out["position_deletes"] = position_deletes;
  out["equality_deletes"] = equality_deletes;
  out["file_sizes"] = {
      {"buckets", std::move(buckets)},
      {"smallest_bytes", smallest_file_bytes},
      {"largest_bytes", largest_file_bytes},
      {"small_files", small_files},
      {"small_bytes", small_file_bytes},
      {"small_threshold_bytes", small_file_threshold_bytes},
      {"small_share", stats.data_files > 0
                          ? static_cast<double>(small_files) / static_cast<double>(stats.data_files)
                          : 0.0}};
  out["last_offload"] = last_offload ? last_offload->ToJson() : nlohmann::json();
  nlohmann::json w = nlohmann::json::array();
  for (const WindowStat& s : windows) w.push_back(s.ToJson());
  out["windows"] = std::move(w);
  return out;
}

}  // namespace k2::service
