#include "domain/commands.h"

namespace nrpf::domain {

namespace {

template <typename T>
struct Name;
#define NRPF_COMMAND_NAME(T, name) \
  template <>                      \
  struct Name<T> {                 \
    static constexpr std::string_view value = name; \
  }
NRPF_COMMAND_NAME(RegisterOrganisation, "register_organisation");
NRPF_COMMAND_NAME(CreateTeam, "create_team");
NRPF_COMMAND_NAME(CreateUser, "create_user");
NRPF_COMMAND_NAME(DeleteUser, "delete_user");
NRPF_COMMAND_NAME(ChangeUserRole, "change_user_role");
NRPF_COMMAND_NAME(LockUser, "lock_user");
NRPF_COMMAND_NAME(UnlockUser, "unlock_user");
NRPF_COMMAND_NAME(ResetPassword, "reset_password");
NRPF_COMMAND_NAME(RtpfLookup, "rtpf_lookup");
NRPF_COMMAND_NAME(CreateCase, "create_case");
NRPF_COMMAND_NAME(AllocateCaseworker, "allocate_caseworker");
NRPF_COMMAND_NAME(ChangeTeam, "change_team");
NRPF_COMMAND_NAME(AmendApplicant, "amend_applicant");
NRPF_COMMAND_NAME(AddDependant, "add_dependant");
NRPF_COMMAND_NAME(RemoveDependant, "remove_dependant");
NRPF_COMMAND_NAME(RecordFinance, "record_finance");
NRPF_COMMAND_NAME(AmendFinance, "amend_finance");
NRPF_COMMAND_NAME(EndFinance, "end_finance");
NRPF_COMMAND_NAME(RecordAdvice, "record_advice");
NRPF_COMMAND_NAME(CompleteStatusCheck, "complete_status_check");
NRPF_COMMAND_NAME(UpdateImmigrationStatus, "update_immigration_status");
NRPF_COMMAND_NAME(CloseAlert, "close_alert");
NRPF_COMMAND_NAME(RaiseQuery, "raise_query");
NRPF_COMMAND_NAME(AnswerQuery, "answer_query");
NRPF_COMMAND_NAME(CloseCase, "close_case");
NRPF_COMMAND_NAME(ReopenCase, "reopen_case");
NRPF_COMMAND_NAME(FlagDuplicate, "flag_duplicate");
NRPF_COMMAND_NAME(RemoveDuplicate, "remove_duplicate");
NRPF_COMMAND_NAME(ChangeSlaPolicy, "change_sla_policy");
NRPF_COMMAND_NAME(AssessEarlyEducation, "assess_early_education");
NRPF_COMMAND_NAME(AssessChangeOfConditions, "assess_change_of_conditions");
#undef NRPF_COMMAND_NAME

template <typename T>
concept NamesCase = requires(const T& c) { c.case_id; };

}  // namespace

PersonAmendment PersonAmendment::Whole(const Person& p) {
  return {p.given_names, p.family_name, p.date_of_birth, p.nationality, p.home_office_reference,
          p.documents, p.address, p.relationship};
}

Person PersonAmendment::AppliedTo(Person current) const {
  if (given_names) current.given_names = *given_names;
  if (family_name) current.family_name = *family_name;
  if (date_of_birth) current.date_of_birth = *date_of_birth;
  if (nationality) current.nationality = *nationality;
  if (home_office_reference) current.home_office_reference = *home_office_reference;
  if (documents) current.documents = *documents;
  if (address) current.address = *address;
  if (relationship) current.relationship = *relationship;
  return current;
}

AmendFinance AmendFinance::Whole(const RecordFinance& f) {
  return {f.case_id, f.start_date, f.person_costs_weekly_pence, f.accommodation_costs_weekly_pence,
          f.accommodation_provided};
}

std::string_view CommandName(const Command& command) {
  return std::visit([](const auto& c) { return Name<std::decay_t<decltype(c)>>::value; }, command);
}

std::string CaseIdOf(const Command& command) {
  return std::visit(
      [](const auto& c) -> std::string {
        if constexpr (NamesCase<std::decay_t<decltype(c)>>) {
          return c.case_id;
        } else {
          return {};
        }
      },
      command);
}

}  // namespace nrpf::domain
