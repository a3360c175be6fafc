// Compliance with response timeframes for a period: every SLA clock that
// started in it, judged met, breached, still running or cancelled as of the
// period's end (or a later time), with totals per clock, party and council.
// The clocks are the projections' (domain/sla.h), each judged by the policy
// in force when it started.

#ifndef NRPF_REPLAY_SLA_REPORT_H_
#define NRPF_REPLAY_SLA_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "domain/sla.h"
#include "projections/projections.h"

namespace nrpf::replay {

struct SlaReportOptions {
  std::int64_t from_us = 0;              // clocks started in [from_us, to_us)
  std::int64_t to_us = INT64_MAX;
  std::int64_t as_of_us = 0;             // judged as of; 0 = to_us
  std::string organisation_id;           // "" = every council
};

struct SlaTotals {
  std::string clock;        // e.g. "council_query_answer"
  std::string party;        // "home_office" or "council"
  std::string organisation;
  std::uint32_t met = 0;
  std::uint32_t breached = 0;
  std::uint32_t running = 0;
  std::uint32_t cancelled = 0;
};

struct SlaReport {
  SlaReportOptions options;
  std::vector<SlaTotals> totals;                  // by clock, party, council
  std::vector<domain::SlaClockInstance> clocks;   // each one, as started
  std::vector<domain::ClockState> states;         // clocks[i] as of as_of_us
};

SlaReport BuildSlaReport(const projections::Projections& state, const SlaReportOptions& options);
std::string SlaReportJson(const SlaReport& report);
// One line per clock, for spreadsheets.
std::string SlaReportCsv(const SlaReport& report);

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_SLA_REPORT_H_
