// Folding events into aggregate state: the one place that says what each
// event does to an organisation, a user, a case or the SLA policy. decide()
// reads what these produce; projections/ and nrpf-replay call them, so live
// state, rebuilt state and state as of a past time agree by construction.

#ifndef NRPF_DOMAIN_FOLD_H_
#define NRPF_DOMAIN_FOLD_H_

#include "domain/events.h"
#include "domain/model.h"

namespace nrpf::domain {

// Each applies one event of the aggregate's stream (other types are ignored)
// and sets the aggregate's version to the event's stream version.
// REQUIRES: events arrive in stream order, each exactly once.
void ApplyToOrganisation(OrganisationState& org, const EventView& event);
void ApplyToUser(UserState& user, const EventView& event);
void ApplyToCase(CaseState& c, const EventView& event);
void ApplyToSlaPolicy(SlaPolicy& policy, const EventView& event);

// The aggregate a stream id belongs to.
enum class StreamKind { kOrganisation, kUser, kCase, kRtpf, kSlaPolicy, kOther };
StreamKind KindOfStream(std::string_view stream_id, std::string_view* id);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_FOLD_H_
