#include "domain/events.h"

#include <map>

namespace nrpf::domain {

namespace {

using Verify = bool (*)(const std::uint8_t*, std::size_t);

template <typename T>
bool VerifyTable(const std::uint8_t* data, std::size_t size) {
  // Bodies are small; the limits keep a hostile record from costing much.
  flatbuffers::Verifier verifier(data, size, /*max_depth=*/16, /*max_tables=*/4096);
  return verifier.VerifyBuffer<T>(nullptr);
}

struct TypeEntry {
  std::string_view type;
  Verify verify;
  std::string_view table;  // the body's table in nrpf_events.fbs (namespace nrpf.domain.fb)
};

const std::vector<TypeEntry>& Catalogue() {
  namespace t = event_type;
  static const std::vector<TypeEntry> kCatalogue = {
      {t::kOrganisationRegistered, VerifyTable<fb::OrganisationRegistered>, "OrganisationRegistered"},
      {t::kTeamCreated, VerifyTable<fb::TeamCreated>, "TeamCreated"},
      {t::kUserCreated, VerifyTable<fb::UserCreated>, "UserCreated"},
      {t::kUserDeleted, VerifyTable<fb::UserDeleted>, "UserDeleted"},
      {t::kUserRoleChanged, VerifyTable<fb::UserRoleChanged>, "UserRoleChanged"},
      {t::kUserLocked, VerifyTable<fb::UserLocked>, "UserLocked"},
      {t::kUserUnlocked, VerifyTable<fb::UserUnlocked>, "UserUnlocked"},
      {t::kPasswordReset, VerifyTable<fb::PasswordResetByAdmin>, "PasswordResetByAdmin"},
      {t::kRtpfLookup, VerifyTable<fb::RtpfLookupPerformed>, "RtpfLookupPerformed"},
      {t::kCaseCreated, VerifyTable<fb::CaseCreated>, "CaseCreated"},
      {t::kCaseworkerAllocated, VerifyTable<fb::CaseworkerAllocated>, "CaseworkerAllocated"},
      {t::kTeamChanged, VerifyTable<fb::TeamChanged>, "TeamChanged"},
      {t::kApplicantAmended, VerifyTable<fb::ApplicantAmended>, "ApplicantAmended"},
      {t::kDependantAdded, VerifyTable<fb::DependantAdded>, "DependantAdded"},
      {t::kDependantRemoved, VerifyTable<fb::DependantRemoved>, "DependantRemoved"},
      {t::kFinanceRecorded, VerifyTable<fb::FinanceRecorded>, "FinanceRecorded"},
      {t::kFinanceAmended, VerifyTable<fb::FinanceRecorded>, "FinanceRecorded"},
      {t::kFinanceEnded, VerifyTable<fb::FinanceEnded>, "FinanceEnded"},
      {t::kPersonAdvised, VerifyTable<fb::PersonAdvised>, "PersonAdvised"},
      {t::kStatusCheckCompleted, VerifyTable<fb::StatusCheckCompleted>, "StatusCheckCompleted"},
      {t::kImmigrationStatusUpdated, VerifyTable<fb::ImmigrationStatusUpdated>, "ImmigrationStatusUpdated"},
      {t::kAlertRaised, VerifyTable<fb::AlertRaised>, "AlertRaised"},
      {t::kAlertClosed, VerifyTable<fb::AlertClosed>, "AlertClosed"},
      {t::kQueryRaised, VerifyTable<fb::QueryRaised>, "QueryRaised"},
      {t::kQueryAnswered, VerifyTable<fb::QueryAnswered>, "QueryAnswered"},
      {t::kCaseClosed, VerifyTable<fb::CaseClosed>, "CaseClosed"},
      {t::kCaseReopened, VerifyTable<fb::CaseReopened>, "CaseReopened"},
      {t::kDuplicateFlagged, VerifyTable<fb::DuplicateFlagged>, "DuplicateFlagged"},
      {t::kDuplicateRemoved, VerifyTable<fb::DuplicateRemoved>, "DuplicateRemoved"},
      {t::kSlaPolicyChanged, VerifyTable<fb::SlaPolicyChanged>, "SlaPolicyChanged"},
      {t::kCaseAccessed, VerifyTable<fb::CaseAccessed>, "CaseAccessed"},
      {t::kAssessmentRecorded, VerifyTable<fb::AssessmentRecorded>, "AssessmentRecorded"},
  };
  return kCatalogue;
}

Verify FindVerifier(std::string_view type) {
  static const std::map<std::string_view, Verify> kByType = [] {
    std::map<std::string_view, Verify> m;
    for (const TypeEntry& e : Catalogue()) m.emplace(e.type, e.verify);
    return m;
  }();
  auto it = kByType.find(type);
  return it == kByType.end() ? nullptr : it->second;
}

}  // namespace

std::string_view BodyTable(std::string_view type) {
  static const std::map<std::string_view, std::string_view> kByType = [] {
    std::map<std::string_view, std::string_view> m;
    for (const TypeEntry& e : Catalogue()) m.emplace(e.type, e.table);
    return m;
  }();
  auto it = kByType.find(type);
  return it == kByType.end() ? std::string_view() : it->second;
}

namespace {

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->data(), s->size());
}

std::string Str(const flatbuffers::String* s) { return std::string(View(s)); }

}  // namespace

const std::vector<std::string_view>& AllEventTypes() {
  static const std::vector<std::string_view> kTypes = [] {
    std::vector<std::string_view> v;
    for (const TypeEntry& e : Catalogue()) v.push_back(e.type);
    return v;
  }();
  return kTypes;
}

std::string OrganisationStream(std::string_view id) { return "org-" + std::string(id); }
std::string UserStream(std::string_view id) { return "user-" + std::string(id); }
std::string CaseStream(std::string_view id) { return "case-" + std::string(id); }
std::string RtpfStream(std::string_view id) { return "rtpf-" + std::string(id); }
std::string AccessStream(std::string_view case_id) { return "access-" + std::string(case_id); }
std::string ApplicantSubject(std::string_view case_id) {
  return "case-" + std::string(case_id) + "/applicant";
}
std::string DependantSubject(std::string_view case_id, std::uint32_t n) {
  return "case-" + std::string(case_id) + "/dependant-" + std::to_string(n);
}
std::string StaffSubject(std::string_view user_id) { return "user-" + std::string(user_id); }
std::string RtpfSubject(std::string_view lookup_id) { return "rtpf-" + std::string(lookup_id); }

const std::string* EventView::Section(std::string_view label, std::string_view subject) const {
  for (const OpenedSection& s : sections) {
    if (s.label == label && (subject.empty() || s.subject == subject) && s.plaintext) {
      return &*s.plaintext;
    }
  }
  return nullptr;
}

Result<EventView> DecodeEvent(const ledger::StoredEvent& event, const SectionOpener& opener) {
  const ledger::fb::Record* record = event.record();
  EventView view;
  view.position = event.position;
  view.recorded_at_us = record->recorded_at_us();
  view.stream_id = View(record->stream_id());
  view.stream_version = record->stream_version();
  view.type = View(record->event_type());
  if (const ledger::fb::Actor* actor = record->actor()) {
    view.actor_user = View(actor->user_id());
    view.actor_organisation = View(actor->organisation_id());
    view.actor_role = View(actor->role());
  }
  if (Verify verify = FindVerifier(view.type)) {
    const auto* body = record->body();
    if (body == nullptr || !verify(body->data(), body->size())) {
      return Status::Corruption("event " + std::to_string(event.position) + " of type " +
                                std::string(view.type) + " has a malformed body");
    }
    view.body = body->data();
    view.body_size = body->size();
  }
  if (const auto* sealed = record->sealed()) {
    view.sections.reserve(sealed->size());
    for (flatbuffers::uoffset_t i = 0; i < sealed->size(); ++i) {
      const ledger::fb::SealedSection* s = sealed->Get(i);
      OpenedSection opened;
      opened.subject = Str(s->subject_id());
      opened.label = Str(s->label());
      if (opener) {
        Result<std::optional<std::string>> plain = opener(event, i);
        if (!plain.ok()) {
          return Status(plain.status().code(), "event " + std::to_string(event.position) + ", sealed section " +
                                                   std::to_string(i) + ": " + plain.status().message());
        }
        opened.plaintext = std::move(*plain);
      }
      view.sections.push_back(std::move(opened));
    }
  }
  return view;
}

std::optional<Person> DecodePerson(std::string_view plaintext) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(plaintext.data());
  if (!VerifyTable<fb::PersonDetails>(data, plaintext.size())) return std::nullopt;
  return PersonFrom(*flatbuffers::GetRoot<fb::PersonDetails>(data));
}

Person PersonFrom(const fb::PersonDetails& p) {
  Person person;
  person.given_names = Str(p.given_names());
  person.family_name = Str(p.family_name());
  person.date_of_birth = Str(p.date_of_birth());
  person.nationality = Str(p.nationality());
  person.home_office_reference = Str(p.home_office_reference());
  if (p.documents() != nullptr) {
    for (const fb::IdentityDocument* d : *p.documents()) {
      if (d != nullptr) person.documents.emplace_back(d->type(), Str(d->number()));
    }
  }
  person.address = Str(p.address());
  person.relationship = Str(p.relationship());
  return person;
}

flatbuffers::Offset<fb::PersonDetails> CreatePersonDetails(flatbuffers::FlatBufferBuilder& fbb, const Person& p) {
  std::vector<flatbuffers::Offset<fb::IdentityDocument>> docs;
  for (const auto& [type, number] : p.documents) {
    docs.push_back(fb::CreateIdentityDocumentDirect(fbb, type, number.c_str()));
  }
  return fb::CreatePersonDetailsDirect(fbb, p.given_names.c_str(), p.family_name.c_str(), p.date_of_birth.c_str(),
                                       p.nationality.c_str(), p.home_office_reference.c_str(), &docs,
                                       p.address.c_str(), p.relationship.c_str());
}

std::optional<std::pair<std::string, std::string>> DecodeStaff(std::string_view plaintext) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(plaintext.data());
  if (!VerifyTable<fb::StaffDetails>(data, plaintext.size())) return std::nullopt;
  const auto* s = flatbuffers::GetRoot<fb::StaffDetails>(data);
  return std::make_pair(Str(s->name()), Str(s->email()));
}

std::optional<std::string> DecodeNote(std::string_view plaintext) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(plaintext.data());
  if (!VerifyTable<fb::Note>(data, plaintext.size())) return std::nullopt;
  return Str(flatbuffers::GetRoot<fb::Note>(data)->text());
}

const fb::SealedAssessment* DecodeSealedAssessment(std::string_view plaintext) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(plaintext.data());
  if (!VerifyTable<fb::SealedAssessment>(data, plaintext.size())) return nullptr;
  return flatbuffers::GetRoot<fb::SealedAssessment>(data);
}

}  // namespace nrpf::domain
