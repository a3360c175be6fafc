// decide(command, state) -> events | refusal: the rules of the service.
//
// Decide() is pure: it reads state through a StateReader, never the clock
// (time comes in DecideInput) and never the ledger. What it returns is
// appended atomically by the caller with the stream expectations it names,
// so two users deciding on the same case version cannot both win.
//
// Refusals are Status values whose code is the class of error and whose
// reason is the stable, finer code (docs/domain.md "Error codes"):
//   invalid_argument/<field>_invalid      malformed input, naming the field
//   not_found/case_not_found, user_not_found, organisation_not_found,
//             team_not_found, alert_not_found, query_not_found, dependant_not_found
//   permission_denied/<see permissions.h>
//   wrong_expected_version/stale_version  the case moved on since the user saw it
//   failed_precondition/<state rule>      e.g. case_closed, alert_already_closed,
//             closure_alert_needs_case_closure, query_already_answered, ...

#ifndef NRPF_DOMAIN_DECIDE_H_
#define NRPF_DOMAIN_DECIDE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/commands.h"
#include "domain/model.h"
#include "ledger/ledger.h"
#include "ledger/status.h"

namespace nrpf::domain {

// Read access to current state. Implementations must keep what they return
// valid and unchanged for the duration of a Decide() call.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual const OrganisationState* Organisation(std::string_view id) const = 0;
  virtual const UserState* User(std::string_view id) const = 0;
  virtual const CaseState* Case(std::string_view id) const = 0;
  virtual const SlaPolicy& Policy() const = 0;
  // Whether `organisation_id` holds an account of `role` that is not
  // deleted (a locked one counts).
  virtual bool HasLiveAccount(std::string_view organisation_id, fb::Role role) const = 0;
};

// The outcome of an RTPF look-up, found by the caller in the records held.
struct RtpfResult {
  bool matched = false;
  fb::ImmigrationStatus status = fb::ImmigrationStatus::NoRecordFound;
  bool leave_valid = false;
  bool recourse_to_public_funds = false;
  std::string matched_case_id;
  // When matched: the status on record now. It is `status` while the leave
  // is valid, and otherwise the status that replaced the grant.
  std::optional<fb::ImmigrationStatus> current_status;
};

struct DecideInput {
  std::string actor_user_id;
  std::int64_t now_us = 0;
  // The version of the case (or user, for account commands) the user saw;
  // nullopt = decide on whatever is current.
  std::optional<std::uint64_t> expected_version;
  std::string new_case_id;    // CreateCase: the id the service assigned
  std::string new_lookup_id;  // RtpfLookup
  RtpfResult rtpf;            // RtpfLookup
};

struct Decision {
  std::vector<ledger::NewEvent> events;
  std::vector<ledger::StreamExpectation> expectations;
  std::string case_id;                     // the case acted on or created
  std::vector<std::string> shred_subjects;  // erase after the append is durable
  std::string assessment_id;               // an assessment recorded
};

Result<Decision> Decide(const Command& command, const DecideInput& input,
                        const StateReader& state);

// The actor fields recorded with the events of a decision.
ledger::Actor ActorOf(const UserState& user);

// The calendar date `date` writes as YYYY-MM-DD (from 1900), if it is one.
std::optional<std::chrono::year_month_day> ParseIsoDate(std::string_view date);
// True when `date` is a valid calendar date written YYYY-MM-DD.
bool IsIsoDate(std::string_view date);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_DECIDE_H_
