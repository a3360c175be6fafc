#include "server/command_codec.h"

#include "domain/events.h"

namespace nrpf::server {

namespace {

namespace fb = ::nrpf::api::fb;
namespace d = ::nrpf::domain;

std::string S(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

d::Person P(const d::fb::PersonDetails* p) { return p == nullptr ? d::Person() : d::PersonFrom(*p); }

// A field the caller may leave out: absent stays absent (an empty text is
// a text given).
std::optional<std::string> Given(const flatbuffers::String* s) {
  return s == nullptr ? std::nullopt : std::optional<std::string>(s->str());
}
template <typename T>
std::optional<T> Given(const flatbuffers::Optional<T>& v) {
  return v ? std::optional<T>(*v) : std::nullopt;
}

// The fields of `p` that are present, as an amendment.
d::PersonAmendment Amendment(const d::fb::PersonDetails* p) {
  d::PersonAmendment a;
  if (p == nullptr) return a;
  a.given_names = Given(p->given_names());
  a.family_name = Given(p->family_name());
  a.date_of_birth = Given(p->date_of_birth());
  a.nationality = Given(p->nationality());
  a.home_office_reference = Given(p->home_office_reference());
  if (p->documents() != nullptr) a.documents = d::PersonFrom(*p).documents;
  a.address = Given(p->address());
  a.relationship = Given(p->relationship());
  return a;
}

template <typename T>
const T* As(const void* table) {
  return static_cast<const T*>(table);
}

d::RecordFinance FinanceOf(const fb::RecordFinance* t) {
  d::RecordFinance f;
  f.case_id = S(t->case_id());
  f.start_date = S(t->start_date());
  f.person_costs_weekly_pence = t->person_costs_weekly_pence();
  f.accommodation_costs_weekly_pence = t->accommodation_costs_weekly_pence();
  f.accommodation_provided = t->accommodation_provided();
  return f;
}

d::AmendFinance AmendmentOf(const fb::AmendFinance* t) {
  d::AmendFinance f;
  f.case_id = S(t->case_id());
  f.start_date = Given(t->start_date());
  f.person_costs_weekly_pence = Given(t->person_costs_weekly_pence());
  f.accommodation_costs_weekly_pence = Given(t->accommodation_costs_weekly_pence());
  f.accommodation_provided = Given(t->accommodation_provided());
  return f;
}

}  // namespace

std::optional<domain::Command> ToCommand(fb::Op op, const void* table) {
  switch (op) {
    case fb::Op::RegisterOrganisation: {
      const auto* t = As<fb::RegisterOrganisation>(table);
      return d::RegisterOrganisation{S(t->organisation_id()), Given(t->kind()), S(t->name()), Given(t->nation())};
    }
    case fb::Op::CreateTeam: {
      const auto* t = As<fb::CreateTeam>(table);
      return d::CreateTeam{S(t->organisation_id()), S(t->team_id()), S(t->name())};
    }
    case fb::Op::CreateUser: {
      const auto* t = As<fb::CreateUser>(table);
      return d::CreateUser{S(t->user_id()), S(t->organisation_id()), Given(t->role()), S(t->team_id()), S(t->name()),
                           S(t->email())};
    }
    case fb::Op::DeleteUser:
      return d::DeleteUser{S(As<fb::DeleteUser>(table)->user_id())};
    case fb::Op::ChangeUserRole: {
      const auto* t = As<fb::ChangeUserRole>(table);
      return d::ChangeUserRole{S(t->user_id()), Given(t->role())};
    }
    case fb::Op::LockUser:
      return d::LockUser{S(As<fb::LockUser>(table)->user_id()), d::fb::LockReason::ByAdmin, 0};
    case fb::Op::UnlockUser:
      return d::UnlockUser{S(As<fb::UnlockUser>(table)->user_id())};
    case fb::Op::ResetPassword:
      return d::ResetPassword{S(As<fb::ResetPassword>(table)->user_id())};
    case fb::Op::ChangeSlaPolicy: {
      d::ChangeSlaPolicy c;
      if (const auto* rules = As<fb::ChangeSlaPolicy>(table)->rules()) {
        for (const d::fb::SlaRule* r : *rules) c.rules.push_back({r->clock(), {r->unit(), r->amount()}});
      }
      return c;
    }
    case fb::Op::RtpfLookup: {
      const auto* t = As<fb::RtpfLookup>(table);
      return d::RtpfLookup{Given(t->document_type()), S(t->document_number()), S(t->date_of_birth())};
    }
    case fb::Op::CreateCase: {
      const auto* t = As<fb::CreateCase>(table);
      d::CreateCase c;
      c.team_id = S(t->team_id());
      c.caseworker_id = S(t->caseworker_id());
      c.applicant = P(t->applicant());
      if (t->dependants() != nullptr) {
        for (const d::fb::PersonDetails* p : *t->dependants()) c.dependants.push_back(P(p));
      }
      c.household_type = Given(t->household_type());
      c.legislation = Given(t->legislation());
      c.referral_date = S(t->referral_date());
      c.advised_details_shared = t->advised_details_shared();
      c.urgent = t->urgent();
      c.urgent_reason = t->urgent_reason();
      c.rtpf_lookup_id = S(t->rtpf_lookup_id());
      return c;
    }
    case fb::Op::AllocateCaseworker: {
      const auto* t = As<fb::AllocateCaseworker>(table);
      return d::AllocateCaseworker{S(t->case_id()), S(t->caseworker_id())};
    }
    case fb::Op::ChangeTeam: {
      const auto* t = As<fb::ChangeTeam>(table);
      return d::ChangeTeam{S(t->case_id()), S(t->team_id())};
    }
    case fb::Op::AmendApplicant: {
      const auto* t = As<fb::AmendApplicant>(table);
      return d::AmendApplicant{S(t->case_id()), Amendment(t->details()), Given(t->household_type()),
                               Given(t->legislation())};
    }
    case fb::Op::AddDependant: {
      const auto* t = As<fb::AddDependant>(table);
      return d::AddDependant{S(t->case_id()), P(t->details())};
    }
    case fb::Op::RemoveDependant: {
      const auto* t = As<fb::RemoveDependant>(table);
      return d::RemoveDependant{S(t->case_id()), S(t->subject())};
    }
    case fb::Op::RecordFinance:
      return FinanceOf(As<fb::RecordFinance>(table));
    case fb::Op::AmendFinance:
      return AmendmentOf(As<fb::AmendFinance>(table));
    case fb::Op::EndFinance: {
      const auto* t = As<fb::EndFinance>(table);
      return d::EndFinance{S(t->case_id()), S(t->end_date())};
    }
    case fb::Op::RecordAdvice: {
      const auto* t = As<fb::RecordAdvice>(table);
      return d::RecordAdvice{S(t->case_id()), S(t->advised_on()), Given(t->of()), S(t->note())};
    }
    case fb::Op::CompleteStatusCheck: {
      const auto* t = As<fb::CompleteStatusCheck>(table);
      return d::CompleteStatusCheck{S(t->case_id()), Given(t->status()), S(t->note())};
    }
    case fb::Op::UpdateImmigrationStatus: {
      const auto* t = As<fb::UpdateImmigrationStatus>(table);
      return d::UpdateImmigrationStatus{S(t->case_id()), Given(t->status()), S(t->note())};
    }
    case fb::Op::CloseAlert: {
      const auto* t = As<fb::CloseAlert>(table);
      return d::CloseAlert{S(t->case_id()), S(t->alert_id())};
    }
    case fb::Op::RaiseQuery: {
      const auto* t = As<fb::RaiseQuery>(table);
      return d::RaiseQuery{S(t->case_id()), Given(t->topic()), t->urgent(), t->urgent_reason(), S(t->text())};
    }
    case fb::Op::AnswerQuery: {
      const auto* t = As<fb::AnswerQuery>(table);
      return d::AnswerQuery{S(t->case_id()), S(t->query_id()), S(t->text())};
    }
    case fb::Op::CloseCase: {
      const auto* t = As<fb::CloseCase>(table);
      return d::CloseCase{S(t->case_id()), S(t->closure_date()), Given(t->reason()), S(t->note())};
    }
    case fb::Op::ReopenCase: {
      const auto* t = As<fb::ReopenCase>(table);
      return d::ReopenCase{S(t->case_id()), S(t->reopened_on())};
    }
    case fb::Op::FlagDuplicate: {
      const auto* t = As<fb::FlagDuplicate>(table);
      return d::FlagDuplicate{S(t->case_id()), S(t->duplicate_of())};
    }
    case fb::Op::RemoveDuplicate:
      return d::RemoveDuplicate{S(As<fb::RemoveDuplicate>(table)->case_id())};
    case fb::Op::AssessEarlyEducation: {
      const auto* t = As<fb::AssessEarlyEducation>(table);
      return d::AssessEarlyEducation{S(t->case_id()),
                                     S(t->dependant()),
                                     Given(t->lives_in_england()),
                                     Given(t->in_london()),
                                     Given(t->household_income_after_tax_pence()),
                                     Given(t->children_in_household()),
                                     Given(t->savings_pence()),
                                     Given(t->parent_with_recourse()),
                                     S(t->note())};
    }
    case fb::Op::AssessChangeOfConditions: {
      const auto* t = As<fb::AssessChangeOfConditions>(table);
      return d::AssessChangeOfConditions{S(t->case_id()),
                                         Given(t->route()),
                                         Given(t->has_accommodation()),
                                         Given(t->accommodation_adequate()),
                                         Given(t->can_meet_living_needs()),
                                         Given(t->has_accommodation_in_3_months()),
                                         Given(t->accommodation_adequate_in_3_months()),
                                         Given(t->can_meet_living_needs_in_3_months()),
                                         Given(t->income_meets_childrens_needs()),
                                         Given(t->exceptional_circumstances()),
                                         Given(t->evidence_complete()),
                                         Given(t->particularly_compelling_circumstances()),
                                         S(t->note())};
    }
    default:
      return std::nullopt;
  }
}

}  // namespace nrpf::server
