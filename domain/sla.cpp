#include "domain/sla.h"

#include <limits>

#include "domain/calendar.h"

namespace nrpf::domain {

namespace {

Nation CalendarNation(fb::Nation n) {
  switch (n) {
    case fb::Nation::Scotland: return Nation::kScotland;
    case fb::Nation::NorthernIreland: return Nation::kNorthernIreland;
    default: return Nation::kEnglandAndWales;
  }
}

const SlaPolicy& PolicyVersion(const SlaPolicyHistory& policies, std::uint32_t version) {
  static const SlaPolicy kDefault = SlaPolicy::Default();
  auto it = policies.find(version);
  return it == policies.end() ? kDefault : it->second;
}

class ClockBuilder {
 public:
  ClockBuilder(const CaseState& c, const SlaPolicyHistory& policies) : c_(c), policies_(policies) {}

  void Add(fb::SlaClock clock, std::string query_id, std::uint32_t version, std::int64_t start,
           std::int64_t stop) {
    SlaClockInstance k;
    k.case_id = c_.case_id;
    k.organisation_id = c_.organisation_id;
    k.clock = clock;
    k.query_id = std::move(query_id);
    k.policy_version = version;
    k.started_at_us = start;
    k.deadline_us = DeadlineOf(c_.nation, PolicyVersion(policies_, version).Rule(clock), start);
    k.stopped_at_us = stop;
    // The first closure after the clock started decides it: a clock already
    // stopped stays as it is; one answered in time while the case stayed
    // closed (a council answering the Home Office) counts as met; any other
    // stops at the closure, and stays so when the case is reopened, even if
    // the obligation is met afterwards.
    auto decided_by = [&](std::int64_t closed, std::int64_t ended) {
      if (closed < start) return false;  // a closure before this clock
      const bool stopped_before = stop != 0 && stop < closed;
      const bool answered_in_time_while_closed = stop != 0 && stop < ended && stop <= k.deadline_us;
      if (!stopped_before && !answered_in_time_while_closed) {
        k.stopped_at_us = closed;
        k.stopped_by_closure = true;
      }
      return true;
    };
    bool decided = false;
    for (const auto& [closed, ended] : c_.closed_periods_us) {
      if ((decided = decided_by(closed, ended))) break;
    }
    if (!decided && (c_.removed || c_.status == fb::CaseStatus::Closed)) {
      decided_by(c_.closed_at_us, std::numeric_limits<std::int64_t>::max());
    }
    out.push_back(std::move(k));
  }

  std::vector<SlaClockInstance> out;

 private:
  const CaseState& c_;
  const SlaPolicyHistory& policies_;
};

}  // namespace

std::string_view ClockStateName(ClockState state) {
  switch (state) {
    case ClockState::kRunning: return "running";
    case ClockState::kMet: return "met";
    case ClockState::kBreached: return "breached";
    case ClockState::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string_view SlaClockName(fb::SlaClock clock) {
  switch (clock) {
    case fb::SlaClock::HomeOfficeInitialCheck: return "home_office_initial_check";
    case fb::SlaClock::HomeOfficeQueryAnswer: return "home_office_query_answer";
    case fb::SlaClock::UrgentRequest: return "urgent_request";
    case fb::SlaClock::CouncilQueryAnswer: return "council_query_answer";
  }
  return "unknown";
}

std::string_view PartyOf(fb::SlaClock clock) {
  return clock == fb::SlaClock::CouncilQueryAnswer ? "council" : "home_office";
}

ClockState SlaClockInstance::StateAsOf(std::int64_t as_of_us) const {
  if (stopped_at_us != 0 && stopped_at_us <= as_of_us) {
    if (stopped_at_us > deadline_us) return ClockState::kBreached;
    return stopped_by_closure ? ClockState::kCancelled : ClockState::kMet;
  }
  return as_of_us > deadline_us ? ClockState::kBreached : ClockState::kRunning;
}

std::int64_t DeadlineOf(fb::Nation nation, SlaRuleValue rule, std::int64_t start_us) {
  if (rule.unit == fb::SlaUnit::Hours) return start_us + static_cast<std::int64_t>(rule.amount) * kMicrosPerHour;
  return WorkingDayDeadline(CalendarNation(nation), start_us, static_cast<int>(rule.amount));
}

std::vector<SlaClockInstance> ClocksOf(const CaseState& c, const SlaPolicyHistory& policies) {
  ClockBuilder b(c, policies);
  if (!c.exists()) return {};
  const std::int64_t first_check = c.immigration.first_checked_at_us;
  b.Add(fb::SlaClock::HomeOfficeInitialCheck, "", c.sla_policy_version, c.created_at_us, first_check);
  if (c.urgent) b.Add(fb::SlaClock::UrgentRequest, "", c.sla_policy_version, c.created_at_us, first_check);
  for (const QueryState& q : c.queries) {
    fb::SlaClock clock = fb::SlaClock::CouncilQueryAnswer;
    if (q.direction == fb::QueryDirection::CouncilToHomeOffice) {
      clock = q.urgent ? fb::SlaClock::UrgentRequest : fb::SlaClock::HomeOfficeQueryAnswer;
    }
    b.Add(clock, q.query_id, q.sla_policy_version, q.raised_at_us, q.answered ? q.answered_at_us : 0);
  }
  return std::move(b.out);
}

}  // namespace nrpf::domain
