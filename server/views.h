// The answers of the API built from the domain's values: what a client sees
// of a case, counters, lists, accounts and log events (schema/api.fbs).
// Personal data goes into a view only when the caller may see it: the
// domain has already redacted what a role may not read.

#ifndef NRPF_SERVER_VIEWS_H_
#define NRPF_SERVER_VIEWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/service.h"
#include "schema/api_generated.h"

namespace nrpf::server {

namespace fb = ::nrpf::api::fb;
using Builder = flatbuffers::FlatBufferBuilder;

flatbuffers::Offset<fb::CaseView> BuildCaseView(Builder& fbb, const domain::RecordedCaseRead& read);
flatbuffers::Offset<fb::Counters> BuildCounters(Builder& fbb, const projections::HomeCounters& c,
                                                std::uint64_t as_of_position);
flatbuffers::Offset<fb::Caseload> BuildCaseload(Builder& fbb, const std::vector<projections::CaseRow>& rows);
flatbuffers::Offset<fb::SearchResult> BuildSearchResult(Builder& fbb, const std::vector<projections::SearchHit>& hits);
flatbuffers::Offset<fb::Clocks> BuildClocks(Builder& fbb, const std::vector<domain::SlaClockInstance>& clocks,
                                            std::int64_t now_us);
flatbuffers::Offset<fb::Users> BuildUsers(Builder& fbb, const std::vector<domain::UserState>& users);
flatbuffers::Offset<fb::Organisations> BuildOrganisations(Builder& fbb,
                                                          const std::vector<domain::OrganisationState>& orgs);
// `one_time_password`: create_user and reset_password only.
flatbuffers::Offset<fb::CommandResult> BuildCommandResult(Builder& fbb, const domain::CommandOutcome& outcome,
                                                          const std::string& one_time_password);

// A stored event as the API shows it: the record's fields, its body as the
// JSON of its nrpf_events.fbs table, and (`include_record`) the exact
// stored bytes and signature so an auditor can check it without this code.
// For a kMetadataOnly reader of the case (CaseService::VisibilityOf) only
// the event's metadata: position, stream, version, type, time and actor,
// with body_withheld set and no body, subjects or stored bytes.
flatbuffers::Offset<fb::LogEvent> BuildLogEvent(Builder& fbb, const ledger::StoredEvent& event, bool include_record,
                                                domain::CaseVisibility visibility);

}  // namespace nrpf::server

#endif  // NRPF_SERVER_VIEWS_H_
