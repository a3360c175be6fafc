// Rebuilds every projection from the log into a scratch directory and
// compares it with the live one, line by line of the projections' canonical
// dump (Projections::Dump). The live dump comes from the running service
// (the API's projection dump), or, offline, from the live code path itself:
// a Projector following the log event batch by event batch, as the service
// does after its start.

#ifndef NRPF_REPLAY_REBUILD_COMPARE_H_
#define NRPF_REPLAY_REBUILD_COMPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace nrpf::replay {

struct RebuildComparison {
  std::uint64_t position = 0;               // both folds cover events [0, position)
  std::size_t rebuilt_lines = 0;
  std::size_t live_lines = 0;
  std::vector<std::string> only_rebuilt;    // lines the live dump lacks (first 100)
  std::vector<std::string> only_live;       // and the other way round
  bool equal() const { return only_rebuilt.empty() && only_live.empty() && rebuilt_lines == live_lines; }
};

// The dump of projections folded by following the log from position 0 up
// to `up_to`, as the live service's follower does.
Result<std::string> FollowedDump(const ledger::Ledger& ledger, std::uint64_t up_to);

// Rebuilds [0, position) (position: the live dump's "next_position") into
// `scratch_dir`/rebuilt.dump, writes `live_dump` beside it as live.dump, and
// compares them. Both files are the owner's only: with the master key they
// hold personal data.
Result<RebuildComparison> CompareRebuild(const ledger::Ledger& ledger, const std::string& live_dump,
                                         const std::string& scratch_dir);

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_REBUILD_COMPARE_H_
