// SLA clocks: every obligation with a deadline, derived from a case's state
// and judged by the policy that was in force when the clock started.
//
//   clock                      party        starts                  stops
//   home_office_initial_check  Home Office  case created            first status check completed
//   urgent_request             Home Office  urgent case or query    first status check / answer
//   home_office_query_answer   Home Office  council raises a query  Home Office answers
//   council_query_answer       council      Home Office raises one  council answers
//
// Working days use the bank holidays of the council's nation; hours are
// elapsed time. A clock whose case is closed or removed before it stops is
// "cancelled" when that happened before the deadline, "breached" otherwise.

#ifndef NRPF_DOMAIN_SLA_H_
#define NRPF_DOMAIN_SLA_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"

namespace nrpf::domain {

enum class ClockState { kRunning, kMet, kBreached, kCancelled };
std::string_view ClockStateName(ClockState state);
std::string_view SlaClockName(fb::SlaClock clock);
// "home_office" or "council".
std::string_view PartyOf(fb::SlaClock clock);

struct SlaClockInstance {
  std::string case_id;
  std::string organisation_id;
  fb::SlaClock clock = fb::SlaClock::HomeOfficeInitialCheck;
  std::string query_id;            // query clocks
  std::uint32_t policy_version = 0;
  std::int64_t started_at_us = 0;
  std::int64_t deadline_us = 0;
  std::int64_t stopped_at_us = 0;  // 0 while the obligation is open
  bool stopped_by_closure = false; // the case closed or was removed first

  // The clock's state as of `as_of_us` (events after it are not yet known).
  ClockState StateAsOf(std::int64_t as_of_us) const;
};

// The deadline of `rule` for an obligation starting at `start_us`.
std::int64_t DeadlineOf(fb::Nation nation, SlaRuleValue rule, std::int64_t start_us);

// Every policy version ever in force, by version (0 = the default).
using SlaPolicyHistory = std::map<std::uint32_t, SlaPolicy>;

// The clocks of a case, in the order they started.
std::vector<SlaClockInstance> ClocksOf(const CaseState& c, const SlaPolicyHistory& policies);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_SLA_H_
