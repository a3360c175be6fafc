#include "replay/sla_report.h"

#include <nlohmann/json.hpp>

#include <map>
#include <tuple>

#include "replay/case_fields.h"

namespace nrpf::replay {

SlaReport BuildSlaReport(const projections::Projections& state, const SlaReportOptions& options) {
  SlaReport r;
  r.options = options;
  if (r.options.as_of_us == 0) r.options.as_of_us = options.to_us;
  projections::ClockFilter filter;
  filter.organisation_id = options.organisation_id;
  filter.started_from_us = options.from_us;
  filter.started_before_us = options.to_us;
  r.clocks = state.Clocks(filter);
  std::map<std::tuple<std::string, std::string, std::string>, SlaTotals> totals;
  for (const domain::SlaClockInstance& c : r.clocks) {
    const domain::ClockState s = c.StateAsOf(r.options.as_of_us);
    r.states.push_back(s);
    const std::string clock(domain::SlaClockName(c.clock));
    const std::string party(domain::PartyOf(c.clock));
    SlaTotals& t = totals[{clock, party, c.organisation_id}];
    t.clock = clock;
    t.party = party;
    t.organisation = c.organisation_id;
    switch (s) {
      case domain::ClockState::kMet: ++t.met; break;
      case domain::ClockState::kBreached: ++t.breached; break;
      case domain::ClockState::kRunning: ++t.running; break;
      case domain::ClockState::kCancelled: ++t.cancelled; break;
    }
  }
  for (auto& [key, t] : totals) r.totals.push_back(std::move(t));
  return r;
}

std::string SlaReportJson(const SlaReport& r) {
  using nlohmann::json;
  json totals = json::array();
  for (const SlaTotals& t : r.totals) {
    const std::uint32_t judged = t.met + t.breached;
    totals.push_back({{"clock", t.clock},
                      {"party", t.party},
                      {"organisation", t.organisation},
                      {"met", t.met},
                      {"breached", t.breached},
                      {"running", t.running},
                      {"cancelled", t.cancelled},
                      {"met_fraction", judged == 0 ? json(nullptr) : json(static_cast<double>(t.met) / judged)}});
  }
  json clocks = json::array();
  for (std::size_t i = 0; i < r.clocks.size(); ++i) {
    const domain::SlaClockInstance& c = r.clocks[i];
    clocks.push_back({{"case_id", c.case_id},
                      {"organisation", c.organisation_id},
                      {"clock", domain::SlaClockName(c.clock)},
                      {"party", domain::PartyOf(c.clock)},
                      {"query_id", c.query_id},
                      {"policy_version", c.policy_version},
                      {"started_at", FormatTime(c.started_at_us)},
                      {"deadline", FormatTime(c.deadline_us)},
                      {"stopped_at", c.stopped_at_us == 0 ? json(nullptr) : json(FormatTime(c.stopped_at_us))},
                      {"state", domain::ClockStateName(r.states[i])}});
  }
  json j = {{"format", "nrpf-sla-compliance/1"},
            {"from", FormatTime(r.options.from_us)},
            {"to", r.options.to_us == INT64_MAX ? json(nullptr) : json(FormatTime(r.options.to_us))},
            {"as_of", FormatTime(r.options.as_of_us)},
            {"organisation", r.options.organisation_id},
            {"totals", std::move(totals)},
            {"clocks", std::move(clocks)}};
  return j.dump(1);
}

std::string SlaReportCsv(const SlaReport& r) {
  std::string out = "case_id,organisation,clock,party,query_id,policy_version,started_at,deadline,stopped_at,state\n";
  for (std::size_t i = 0; i < r.clocks.size(); ++i) {
    const domain::SlaClockInstance& c = r.clocks[i];
    out += c.case_id + "," + c.organisation_id + "," + std::string(domain::SlaClockName(c.clock)) + "," +
           std::string(domain::PartyOf(c.clock)) + "," + c.query_id + "," + std::to_string(c.policy_version) + "," +
           FormatTime(c.started_at_us) + "," + FormatTime(c.deadline_us) + "," +
           (c.stopped_at_us == 0 ? std::string() : FormatTime(c.stopped_at_us)) + "," +
           std::string(domain::ClockStateName(r.states[i])) + "\n";
  }
  return out;
}

}  // namespace nrpf::replay
