// The NRPF event catalogue: type strings, stream names, and the decoding of a
// stored record into an EventView whose body has passed the FlatBuffers
// verifier for its type. Encoding lives beside decide() (event_builder.h).

#ifndef NRPF_DOMAIN_EVENTS_H_
#define NRPF_DOMAIN_EVENTS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "ledger/ledger.h"
#include "ledger/status.h"

namespace nrpf::domain {

// Event type strings, as stored in Record.event_type. Only ever added.
namespace event_type {
inline constexpr std::string_view kOrganisationRegistered = "organisation.registered";
inline constexpr std::string_view kTeamCreated = "team.created";
inline constexpr std::string_view kUserCreated = "user.created";
inline constexpr std::string_view kUserDeleted = "user.deleted";
inline constexpr std::string_view kUserRoleChanged = "user.role_changed";
inline constexpr std::string_view kUserLocked = "user.locked";
inline constexpr std::string_view kUserUnlocked = "user.unlocked";
inline constexpr std::string_view kPasswordReset = "user.password_reset";
inline constexpr std::string_view kRtpfLookup = "rtpf.lookup_performed";
inline constexpr std::string_view kCaseCreated = "case.created";
inline constexpr std::string_view kCaseworkerAllocated = "case.caseworker_allocated";
inline constexpr std::string_view kTeamChanged = "case.team_changed";
inline constexpr std::string_view kApplicantAmended = "case.applicant_amended";
inline constexpr std::string_view kDependantAdded = "case.dependant_added";
inline constexpr std::string_view kDependantRemoved = "case.dependant_removed";
inline constexpr std::string_view kFinanceRecorded = "finance.recorded";
inline constexpr std::string_view kFinanceAmended = "finance.amended";
inline constexpr std::string_view kFinanceEnded = "finance.ended";
inline constexpr std::string_view kPersonAdvised = "case.person_advised";
inline constexpr std::string_view kStatusCheckCompleted = "immigration.status_check_completed";
inline constexpr std::string_view kImmigrationStatusUpdated = "immigration.status_updated";
inline constexpr std::string_view kAlertRaised = "alert.raised";
inline constexpr std::string_view kAlertClosed = "alert.closed";
inline constexpr std::string_view kQueryRaised = "query.raised";
inline constexpr std::string_view kQueryAnswered = "query.answered";
inline constexpr std::string_view kCaseClosed = "case.closed";
inline constexpr std::string_view kCaseReopened = "case.reopened";
inline constexpr std::string_view kDuplicateFlagged = "case.duplicate_flagged";
inline constexpr std::string_view kDuplicateRemoved = "case.duplicate_removed";
inline constexpr std::string_view kSlaPolicyChanged = "sla.policy_changed";
inline constexpr std::string_view kCaseAccessed = "case.accessed";
inline constexpr std::string_view kAssessmentRecorded = "case.assessment_recorded";
}  // namespace event_type

// Every type above, in catalogue order.
const std::vector<std::string_view>& AllEventTypes();
// The table of nrpf_events.fbs (namespace nrpf.domain.fb) a type's body is,
// e.g. "CaseCreated"; empty for types this version does not know.
std::string_view BodyTable(std::string_view type);

// Sealed-section labels and the table their plaintext holds.
namespace section_label {
inline constexpr std::string_view kPerson = "person";         // PersonDetails
inline constexpr std::string_view kStaff = "staff";           // StaffDetails
inline constexpr std::string_view kNote = "note";             // Note
inline constexpr std::string_view kRtpfInputs = "rtpf_inputs";  // RtpfInputs
inline constexpr std::string_view kAssessment = "assessment";   // SealedAssessment
}  // namespace section_label

// Stream ids.
std::string OrganisationStream(std::string_view organisation_id);
std::string UserStream(std::string_view user_id);
std::string CaseStream(std::string_view case_id);
std::string RtpfStream(std::string_view organisation_id);
// The reads of a case's personal data (case.accessed). A stream of its own,
// so that recording a read never moves the case's version on.
std::string AccessStream(std::string_view case_id);
inline constexpr std::string_view kSlaPolicyStream = "sla-policy";
// Data subjects of a case's people and of a user account.
std::string ApplicantSubject(std::string_view case_id);
std::string DependantSubject(std::string_view case_id, std::uint32_t n);
std::string StaffSubject(std::string_view user_id);
// The data subject of an RTPF look-up's inputs (document number, date of birth).
std::string RtpfSubject(std::string_view lookup_id);

// One sealed section of an event, opened when possible.
struct OpenedSection {
  std::string subject;
  std::string label;
  std::optional<std::string> plaintext;  // nullopt: shredded, or not opened
};

// A stored record decoded for folding. Borrows from the StoredEvent it was
// made from, which must outlive it.
struct EventView {
  std::uint64_t position = 0;
  std::int64_t recorded_at_us = 0;
  std::string_view stream_id;
  std::uint64_t stream_version = 0;
  std::string_view type;
  std::string_view actor_user;
  std::string_view actor_organisation;
  std::string_view actor_role;
  const std::uint8_t* body = nullptr;  // verified for `type`
  std::size_t body_size = 0;
  std::vector<OpenedSection> sections;

  template <typename T>
  const T* Body() const { return flatbuffers::GetRoot<T>(body); }
  // Plaintext of the first opened section with `label` (and `subject`, when
  // given); nullptr when absent or unreadable.
  const std::string* Section(std::string_view label, std::string_view subject = {}) const;
};

// Opens sealed section `index` of an event: its plaintext, or nullopt when
// the subject's data was erased. Any other failure (an unreadable key, a
// section that does not authenticate, no master key) is an error, never
// shown as an erasure.
using SectionOpener =
    std::function<Result<std::optional<std::string>>(const ledger::StoredEvent&, std::size_t)>;

// Decodes `event`. Bodies of unknown types (written by a newer version) and
// of the ledger's own events decode with body == nullptr; a known type whose
// body fails its verifier is kCorruption, and an opener's error is returned.
// `opener` may be empty: sections are then left unopened.
Result<EventView> DecodeEvent(const ledger::StoredEvent& event, const SectionOpener& opener);

// Plaintext decoders; nullopt when the bytes are not a valid table.
std::optional<Person> DecodePerson(std::string_view plaintext);
// A PersonDetails table (what a "person" section holds) and back, for
// encoders and transports that carry the same table.
flatbuffers::Offset<fb::PersonDetails> CreatePersonDetails(flatbuffers::FlatBufferBuilder& fbb,
                                                           const Person& person);
Person PersonFrom(const fb::PersonDetails& details);
std::optional<std::pair<std::string, std::string>> DecodeStaff(std::string_view plaintext);
std::optional<std::string> DecodeNote(std::string_view plaintext);
// An "assessment" section's table, verified; nullptr when the bytes are not one.
const fb::SealedAssessment* DecodeSealedAssessment(std::string_view plaintext);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_EVENTS_H_
