// The JSON forms of case histories, shared by nrpf-replay, the reports
// built on them and the server's audit operations, so every one of them
// writes a timeline the same way.

#ifndef NRPF_REPLAY_REPORT_JSON_H_
#define NRPF_REPLAY_REPORT_JSON_H_

#include <nlohmann/json.hpp>

#include "replay/case_history.h"

namespace nrpf::replay {

// { position, recorded_at, stream, stream_version, type,
//   actor: { user, organisation, role }, changes: [ { field, from, to } ],
//   read (case.accessed only), erased (when some of its data was erased) }
nlohmann::json TimelineEntryJson(const TimelineEntry& entry);
nlohmann::json FieldsJson(const Fields& fields);
// { case_id, as_of, log_size, timeline: [entry], state: { field: value } }
nlohmann::json CaseHistoryJson(const CaseHistory& history);

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_REPORT_JSON_H_
