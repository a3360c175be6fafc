#include "replay/report_json.h"

#include "ledger/coding.h"
#include "ledger/merkle.h"

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
  for (const TimelineEntry& e : h.entries) {
    json entry = TimelineEntryJson(e);
    // Not "changed nothing": what it changed is not the reader's to see.
    if (h.metadata_only) entry.erase("changes");
    entries.push_back(std::move(entry));
  }
  json j = {{"case_id", h.case_id},
            {"as_of", h.as_of_us ? json(FormatTime(*h.as_of_us)) : json(nullptr)},
            {"log_size", h.log_size},
            {"timeline", std::move(entries)},
            {"state", h.metadata_only ? json(nullptr) : FieldsJson(FlattenCase(h.state))}};
  if (h.metadata_only) j["metadata_only"] = true;
  return j;
}

namespace {

nlohmann::json HashesJson(const std::vector<ledger::Hash>& hashes) {
  nlohmann::json j = nlohmann::json::array();
  for (const ledger::Hash& h : hashes) j.push_back(ledger::Base64Encode(ledger::AsBytes(h)));
  return j;
}

}  // namespace

Result<nlohmann::json> InclusionProofJson(const ledger::Ledger& ledger, std::uint64_t position,
                                          std::uint64_t tree_size) {
  Result<std::vector<ledger::Hash>> proof = ledger.ProveInclusion(position, tree_size);
  if (!proof.ok()) return proof.status();
  Result<ledger::StoredEvent> e = ledger.Read(position);
  if (!e.ok()) return e.status();
  Result<std::string> note = ledger.SignedCheckpoint(tree_size);
  if (!note.ok()) return note.status();
  return nlohmann::json{{"position", position},
                        {"tree_size", tree_size},
                        {"record", ledger::Base64Encode(e->bytes)},
                        {"leaf_hash", ledger::Base64Encode(ledger::AsBytes(ledger::LeafHash(e->bytes)))},
                        {"proof", HashesJson(*proof)},
                        {"checkpoint", *note}};
}

Result<nlohmann::json> ConsistencyProofJson(const ledger::Ledger& ledger, std::uint64_t old_size,
                                            std::uint64_t new_size) {
  Result<std::vector<ledger::Hash>> proof = ledger.ProveConsistency(old_size, new_size);
  if (!proof.ok()) return proof.status();
  Result<ledger::Hash> old_root = ledger.RootAt(old_size);
  if (!old_root.ok()) return old_root.status();
  Result<ledger::Hash> new_root = ledger.RootAt(new_size);
  if (!new_root.ok()) return new_root.status();
  nlohmann::json out{{"old_size", old_size},
                     {"new_size", new_size},
                     {"old_root", ledger::Base64Encode(ledger::AsBytes(*old_root))},
                     {"new_root", ledger::Base64Encode(ledger::AsBytes(*new_root))},
                     {"proof", HashesJson(*proof)}};
  Result<std::string> note = ledger.SignedCheckpoint(new_size);
  if (note.ok()) out["new_checkpoint"] = *note;
  return out;
}

nlohmann::json RebuildComparisonJson(const RebuildComparison& c, const std::string& scratch_dir) {
  nlohmann::json j{{"equal", c.equal()},         {"position", c.position},         {"rebuilt_lines", c.rebuilt_lines},
                    {"live_lines", c.live_lines}, {"only_rebuilt", c.only_rebuilt}, {"only_live", c.only_live}};
  if (!scratch_dir.empty()) j["scratch"] = scratch_dir;
  return j;
}

}  // namespace nrpf::replay
