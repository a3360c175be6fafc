#include "replay/report_json.h"

namespace nrpf::replay {

using nlohmann::json;

json TimelineEntryJson(const TimelineEntry& e) {
  json changes = json::array();
  for (const Change& c : e.changes) changes.push_back({{"field", c.field}, {"from", c.before}, {"to", c.after}});
  json j = {{"position", e.position},
            {"recorded_at", FormatTime(e.recorded_at_us)},
            {"stream", e.stream},
            {"stream_version", e.stream_version},
            {"type", e.type},
            {"actor", {{"user", e.actor_user}, {"organisation", e.actor_organisation}, {"role", e.actor_role}}},
            {"changes", std::move(changes)}};
  if (!e.read.empty()) j["read"] = e.read;
  if (!e.erased.empty()) j["erased"] = e.erased;
  return j;
}

json FieldsJson(const Fields& fields) {
  json state = json::object();
  for (const auto& [k, v] : fields) state[k] = v;
  return state;
}

json CaseHistoryJson(const CaseHistory& h) {
  json entries = json::array();
  for (const TimelineEntry& e : h.entries) entries.push_back(TimelineEntryJson(e));
  return {{"case_id", h.case_id},
          {"as_of", h.as_of_us ? json(FormatTime(*h.as_of_us)) : json(nullptr)},
          {"log_size", h.log_size},
          {"timeline", std::move(entries)},
          {"state", FieldsJson(FlattenCase(h.state))}};
}

}  // namespace nrpf::replay
