#include "domain/fingerprint.h"

#include <type_traits>

#include "ledger/coding.h"

namespace nrpf::domain {

namespace {

// Two length-prefixed encodings side by side: one of what is not personal
// data, one of what is.
class Writer {
 public:
  // Not personal.
  void Str(std::string_view s) { PutStr(&content_, s); }
  void Int(std::uint64_t v) { ledger::PutFixed64BE(&content_, v); }
  template <typename E>
    requires std::is_enum_v<E>
  void Enum(E e) { Int(static_cast<std::uint64_t>(e)); }
  // A field that may be left out: int(0), or int(1) and the value.
  template <typename E>
    requires std::is_enum_v<E>
  void Enum(const std::optional<E>& e) {
    Int(e ? 1 : 0);
    if (e) Enum(*e);
  }
  // Personal.
  void PersonalStr(std::string_view s) {
    PutStr(&personal_, s);
    any_personal_ |= !s.empty();
  }
  void PersonalInt(std::uint64_t v) { ledger::PutFixed64BE(&personal_, v); }
  // Given, even as "" (an amendment that clears it), counts as personal
  // content: clearing a field is not the same request as leaving it out.
  void PersonalOpt(const std::optional<std::string>& s) {
    PersonalInt(s ? 1 : 0);
    any_personal_ |= s.has_value();
    if (s) PersonalStr(*s);
  }
  // An answer that may be left out (a number, a yes or no, an enum).
  template <typename T>
  void PersonalOptValue(const std::optional<T>& v) {
    PersonalInt(v ? 1 : 0);
    any_personal_ |= v.has_value();
    if (v) PersonalInt(static_cast<std::uint64_t>(*v));
  }
  void AddPerson(const Person& p) {
    PersonalStr(p.given_names);
    PersonalStr(p.family_name);
    PersonalStr(p.date_of_birth);
    PersonalStr(p.nationality);
    PersonalStr(p.home_office_reference);
    PersonalInt(p.documents.size());
    for (const auto& [type, number] : p.documents) {
      PersonalInt(static_cast<std::uint64_t>(type));
      PersonalStr(number);
    }
    PersonalStr(p.address);
    PersonalStr(p.relationship);
  }

  // An amendment: for each field, int(0) when left out, or int(1) and the
  // field as AddPerson writes it.
  void AddAmendment(const PersonAmendment& a) {
    for (const std::optional<std::string>* f :
         {&a.given_names, &a.family_name, &a.date_of_birth, &a.nationality, &a.home_office_reference}) {
      PersonalOpt(*f);
    }
    PersonalInt(a.documents ? 1 : 0);
    any_personal_ |= a.documents.has_value();
    if (a.documents) {
      PersonalInt(a.documents->size());
      for (const auto& [type, number] : *a.documents) {
        PersonalInt(static_cast<std::uint64_t>(type));
        PersonalStr(number);
      }
    }
    PersonalOpt(a.address);
    PersonalOpt(a.relationship);
  }
  template <typename T>
  void Opt(const std::optional<T>& v) {
    Int(v ? 1 : 0);
    if (!v) return;
    if constexpr (std::is_same_v<T, std::string>) {
      Str(*v);
    } else {
      Int(static_cast<std::uint64_t>(*v));
    }
  }

  ledger::CommandFingerprint Finish() && {
    if (!any_personal_) personal_.clear();
    return {std::move(content_), std::move(personal_)};
  }

 private:
  static void PutStr(std::string* out, std::string_view s) {
    ledger::PutFixed64BE(out, s.size());
    out->append(s);
  }
  std::string content_;
  std::string personal_;
  bool any_personal_ = false;
};

// One overload per command: every field, in declaration order.
void Fields(Writer& w, const RegisterOrganisation& c) {
  w.Str(c.organisation_id);
  w.Enum(c.kind);
  w.Str(c.name);
  w.Enum(c.nation);
}
void Fields(Writer& w, const CreateTeam& c) {
  w.Str(c.organisation_id);
  w.Str(c.team_id);
  w.Str(c.name);
}
void Fields(Writer& w, const CreateUser& c) {
  w.Str(c.user_id);
  w.Str(c.organisation_id);
  w.Enum(c.role);
  w.Str(c.team_id);
  w.PersonalStr(c.name);
  w.PersonalStr(c.email);
}
void Fields(Writer& w, const DeleteUser& c) { w.Str(c.user_id); }
void Fields(Writer& w, const ChangeUserRole& c) {
  w.Str(c.user_id);
  w.Enum(c.role);
}
void Fields(Writer& w, const LockUser& c) {
  w.Str(c.user_id);
  w.Enum(c.reason);
  w.Int(c.failed_attempts);
}
void Fields(Writer& w, const UnlockUser& c) { w.Str(c.user_id); }
void Fields(Writer& w, const ResetPassword& c) { w.Str(c.user_id); }
void Fields(Writer& w, const RtpfLookup& c) {
  w.Enum(c.document_type);
  w.PersonalStr(c.document_number);
  w.PersonalStr(c.date_of_birth);
}
void Fields(Writer& w, const CreateCase& c) {
  w.Str(c.team_id);
  w.Str(c.caseworker_id);
  w.AddPerson(c.applicant);
  w.PersonalInt(c.dependants.size());
  for (const Person& d : c.dependants) w.AddPerson(d);
  w.Enum(c.household_type);
  w.Enum(c.legislation);
  w.Str(c.referral_date);
  w.Int(c.advised_details_shared ? 1 : 0);
  w.Int(c.urgent ? 1 : 0);
  w.Enum(c.urgent_reason);
  w.Str(c.rtpf_lookup_id);
}
void Fields(Writer& w, const AllocateCaseworker& c) {
  w.Str(c.case_id);
  w.Str(c.caseworker_id);
}
void Fields(Writer& w, const ChangeTeam& c) {
  w.Str(c.case_id);
  w.Str(c.team_id);
}
void Fields(Writer& w, const AmendApplicant& c) {
  w.Str(c.case_id);
  w.AddAmendment(c.details);
  w.Enum(c.household_type);
  w.Enum(c.legislation);
}
void Fields(Writer& w, const AddDependant& c) {
  w.Str(c.case_id);
  w.AddPerson(c.details);
}
void Fields(Writer& w, const RemoveDependant& c) {
  w.Str(c.case_id);
  w.Str(c.subject);
}
void Fields(Writer& w, const RecordFinance& c) {
  w.Str(c.case_id);
  w.Str(c.start_date);
  w.Int(static_cast<std::uint64_t>(c.person_costs_weekly_pence));
  w.Int(static_cast<std::uint64_t>(c.accommodation_costs_weekly_pence));
  w.Int(c.accommodation_provided ? 1 : 0);
}
void Fields(Writer& w, const AmendFinance& c) {
  w.Str(c.case_id);
  w.Opt(c.start_date);
  w.Opt(c.person_costs_weekly_pence);
  w.Opt(c.accommodation_costs_weekly_pence);
  w.Opt(c.accommodation_provided);
}
void Fields(Writer& w, const EndFinance& c) {
  w.Str(c.case_id);
  w.Str(c.end_date);
}
void Fields(Writer& w, const RecordAdvice& c) {
  w.Str(c.case_id);
  w.Str(c.advised_on);
  w.Enum(c.of);
  w.PersonalStr(c.note);
}
void Fields(Writer& w, const CompleteStatusCheck& c) {
  w.Str(c.case_id);
  w.Enum(c.status);
  w.PersonalStr(c.note);
}
void Fields(Writer& w, const UpdateImmigrationStatus& c) {
  w.Str(c.case_id);
  w.Enum(c.status);
  w.PersonalStr(c.note);
}
void Fields(Writer& w, const CloseAlert& c) {
  w.Str(c.case_id);
  w.Str(c.alert_id);
}
void Fields(Writer& w, const RaiseQuery& c) {
  w.Str(c.case_id);
  w.Enum(c.topic);
  w.Int(c.urgent ? 1 : 0);
  w.Enum(c.urgent_reason);
  w.PersonalStr(c.text);
}
void Fields(Writer& w, const AnswerQuery& c) {
  w.Str(c.case_id);
  w.Str(c.query_id);
  w.PersonalStr(c.text);
}
void Fields(Writer& w, const CloseCase& c) {
  w.Str(c.case_id);
  w.Str(c.closure_date);
  w.Enum(c.reason);
  w.PersonalStr(c.note);
}
void Fields(Writer& w, const ReopenCase& c) {
  w.Str(c.case_id);
  w.Str(c.reopened_on);
}
void Fields(Writer& w, const FlagDuplicate& c) {
  w.Str(c.case_id);
  w.Str(c.duplicate_of);
}
void Fields(Writer& w, const RemoveDuplicate& c) { w.Str(c.case_id); }
void Fields(Writer& w, const ChangeSlaPolicy& c) {
  w.Int(c.rules.size());
  for (const auto& [clock, rule] : c.rules) {
    w.Enum(clock);
    w.Enum(rule.unit);
    w.Int(rule.amount);
  }
}
void Fields(Writer& w, const AssessEarlyEducation& c) {
  w.Str(c.case_id);
  w.Str(c.dependant);
  w.PersonalOptValue(c.lives_in_england);
  w.PersonalOptValue(c.in_london);
  w.PersonalOptValue(c.household_income_after_tax_pence);
  w.PersonalOptValue(c.children_in_household);
  w.PersonalOptValue(c.savings_pence);
  w.PersonalOptValue(c.parent_with_recourse);
  w.PersonalStr(c.note);
}
void Fields(Writer& w, const AssessChangeOfConditions& c) {
  w.Str(c.case_id);
  w.PersonalOptValue(c.route);
  for (const std::optional<bool>* answer :
       {&c.has_accommodation, &c.accommodation_adequate, &c.can_meet_living_needs,
        &c.has_accommodation_in_3_months, &c.accommodation_adequate_in_3_months,
        &c.can_meet_living_needs_in_3_months, &c.income_meets_childrens_needs, &c.exceptional_circumstances,
        &c.evidence_complete, &c.particularly_compelling_circumstances}) {
    w.PersonalOptValue(*answer);
  }
  w.PersonalStr(c.note);
}

}  // namespace

ledger::CommandFingerprint FingerprintOf(const std::string& actor_user_id,
                                         const std::optional<std::uint64_t>& expected_version,
                                         const Command& command) {
  Writer w;
  w.Str("nrpf.command.1");
  w.Str(actor_user_id);
  w.Str(CommandName(command));
  w.Int(expected_version ? 1 : 0);
  w.Int(expected_version.value_or(0));
  std::visit([&](const auto& c) { Fields(w, c); }, command);
  return std::move(w).Finish();
}

}  // namespace nrpf::domain
