#pragma once
/// Evaluating a bound Predicate against Iceberg metadata: manifest partition
/// summaries, a data file's partition tuple (through the spec's transforms)
/// and its column metrics. Used by scan planning (prune what cannot match) and
/// by delete/overwrite by filter (find files whose rows all match).

#include <string>

#include "columnar/predicate.h"
#include "iceberg/manifest/manifest_entry.h"
#include "iceberg/manifest/manifest_list.h"

namespace k2::iceberg {

/// A stable key for (spec id, partition tuple): equal tuples give equal keys.
std::string PartitionKey(int spec_id, const PartitionValues& values);

/// How a file's rows relate to a predicate, as far as metadata can tell.
enum class FileMatch { kNone, kSome, kAll };

/// False only if no row of a manifest with these partition summaries can match
/// `pred` (bound to `schema`).
bool ManifestMightMatch(const Predicate& pred, const Schema& schema, const PartitionSpec& spec,
                        const ManifestFile& manifest);
/// False only if no row of a file with partition tuple `partition` can match.
bool PartitionMightMatch(const Predicate& pred, const Schema& schema, const PartitionSpec& spec,
                         const PartitionValues& partition);
/// kNone if metrics or partition prove no row matches, kAll if they prove
/// every row matches, else kSome.
FileMatch EvaluateFile(const Predicate& pred, const Schema& schema, const PartitionSpec& spec,
                       const DataFile& file);

}  // namespace k2::iceberg
