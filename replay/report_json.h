// The JSON forms of case histories, proofs and rebuild comparisons, shared
// by nrpf-replay, the reports built on them and the server's audit
// operations, so every one of them writes each the same way.

#ifndef NRPF_REPLAY_REPORT_JSON_H_
#define NRPF_REPLAY_REPORT_JSON_H_

#include <nlohmann/json.hpp>

#include "ledger/ledger.h"
#include "replay/case_history.h"
#include "replay/rebuild_compare.h"

namespace nrpf::replay {

// { position, recorded_at, stream, stream_version, type,
//   actor: { user, organisation, role }, changes: [ { field, from, to } ],
//   read (case.accessed only), erased (when some of its data was erased) }
nlohmann::json TimelineEntryJson(const TimelineEntry& entry);
nlohmann::json FieldsJson(const Fields& fields);
// { case_id, as_of, log_size, timeline: [entry], state: { field: value } };
// for a metadata_only history the entries have no changes, state is null
// and metadata_only is true.
nlohmann::json CaseHistoryJson(const CaseHistory& history);

// { position, tree_size, record (base64 stored bytes), leaf_hash,
//   proof: [ base64 hash ], checkpoint (signed note of tree_size) }
Result<nlohmann::json> InclusionProofJson(const ledger::Ledger& ledger, std::uint64_t position,
                                          std::uint64_t tree_size);
// { old_size, new_size, old_root, new_root, proof: [ base64 hash ],
//   new_checkpoint (signed note of new_size, when it has one) }
Result<nlohmann::json> ConsistencyProofJson(const ledger::Ledger& ledger, std::uint64_t old_size,
                                            std::uint64_t new_size);

// { equal, position, rebuilt_lines, live_lines, only_rebuilt, only_live,
//   scratch (where the dumps are, unless it is "") }
nlohmann::json RebuildComparisonJson(const RebuildComparison& comparison, const std::string& scratch_dir);

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_REPORT_JSON_H_
