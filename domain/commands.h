// Commands: what a user asks the service to do. Each is decided against the
// current state (decide.h) into events or a refusal. Commands carry no ids the
// server must invent except where the caller names something new (a user,
// team or organisation id); case ids are assigned by the service.

#ifndef NRPF_DOMAIN_COMMANDS_H_
#define NRPF_DOMAIN_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/model.h"

namespace nrpf::domain {

struct RegisterOrganisation {
  std::string organisation_id;
  fb::OrganisationKind kind = fb::OrganisationKind::Council;
  std::string name;
  fb::Nation nation = fb::Nation::EnglandAndWales;
};
struct CreateTeam {
  std::string organisation_id;
  std::string team_id;
  std::string name;
};
struct CreateUser {
  std::string user_id;
  std::string organisation_id;
  fb::Role role = fb::Role::CouncilUser;
  std::string team_id;
  std::string name;
  std::string email;
};
struct DeleteUser { std::string user_id; };
struct ChangeUserRole { std::string user_id; fb::Role role = fb::Role::CouncilUser; };
// Locking after failed logins is issued by the service on the user's behalf.
struct LockUser {
  std::string user_id;
  fb::LockReason reason = fb::LockReason::ByAdmin;
  std::uint32_t failed_attempts = 0;
};
struct UnlockUser { std::string user_id; };
struct ResetPassword { std::string user_id; };

struct RtpfLookup {
  fb::DocumentType document_type = fb::DocumentType::Passport;
  std::string document_number;
  std::string date_of_birth;  // YYYY-MM-DD
};

struct CreateCase {
  std::string team_id;
  std::string caseworker_id;  // empty: unallocated
  Person applicant;
  std::vector<Person> dependants;
  fb::HouseholdType household_type = fb::HouseholdType::FamilyWithChildren;
  fb::Legislation legislation = fb::Legislation::ChildrenAct1989S17;
  std::string referral_date;  // YYYY-MM-DD
  bool advised_details_shared = false;
  bool urgent = false;
  fb::UrgentReason urgent_reason = fb::UrgentReason::None;
  std::string rtpf_lookup_id;
};
struct AllocateCaseworker { std::string case_id; std::string caseworker_id; };
struct ChangeTeam { std::string case_id; std::string team_id; };
struct AmendApplicant {
  std::string case_id;
  Person details;
  fb::HouseholdType household_type = fb::HouseholdType::FamilyWithChildren;
  fb::Legislation legislation = fb::Legislation::ChildrenAct1989S17;
};
struct AddDependant { std::string case_id; Person details; };
struct RemoveDependant { std::string case_id; std::string subject; };
struct RecordFinance {
  std::string case_id;
  std::string start_date;
  std::int64_t person_costs_weekly_pence = 0;
  std::int64_t accommodation_costs_weekly_pence = 0;
  bool accommodation_provided = false;
};
struct AmendFinance : RecordFinance {};
struct EndFinance { std::string case_id; std::string end_date; };
struct RecordAdvice {
  std::string case_id;
  std::string advised_on;
  fb::AdvisedOf of = fb::AdvisedOf::DetailsSharedWithHomeOffice;
  std::string note;
};
struct CompleteStatusCheck {
  std::string case_id;
  fb::ImmigrationStatus status = fb::ImmigrationStatus::NoRecordFound;
  std::string note;
};
struct UpdateImmigrationStatus {
  std::string case_id;
  fb::ImmigrationStatus status = fb::ImmigrationStatus::NoRecordFound;
  std::string note;
};
struct CloseAlert { std::string case_id; std::string alert_id; };
// The direction follows from who raises it: a council asks the Home Office,
// the Home Office asks the council.
struct RaiseQuery {
  std::string case_id;
  fb::QueryTopic topic = fb::QueryTopic::StatusUpdate;
  bool urgent = false;
  fb::UrgentReason urgent_reason = fb::UrgentReason::None;
  std::string text;
};
struct AnswerQuery { std::string case_id; std::string query_id; std::string text; };
struct CloseCase {
  std::string case_id;
  std::string closure_date;
  fb::ClosureReason reason = fb::ClosureReason::Other;
  std::string note;
};
struct ReopenCase { std::string case_id; std::string reopened_on; };
struct FlagDuplicate { std::string case_id; std::string duplicate_of; };
struct RemoveDuplicate { std::string case_id; };
struct ChangeSlaPolicy {
  std::vector<std::pair<fb::SlaClock, SlaRuleValue>> rules;
};

using Command =
    std::variant<RegisterOrganisation, CreateTeam, CreateUser, DeleteUser, ChangeUserRole, LockUser,
                 UnlockUser, ResetPassword, RtpfLookup, CreateCase, AllocateCaseworker, ChangeTeam,
                 AmendApplicant, AddDependant, RemoveDependant, RecordFinance, AmendFinance,
                 EndFinance, RecordAdvice, CompleteStatusCheck, UpdateImmigrationStatus, CloseAlert,
                 RaiseQuery, AnswerQuery, CloseCase, ReopenCase, FlagDuplicate, RemoveDuplicate,
                 ChangeSlaPolicy>;

// Stable name of a command, e.g. "create_case".
std::string_view CommandName(const Command& command);
// The case a command acts on, or "" for commands that name none.
std::string CaseIdOf(const Command& command);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_COMMANDS_H_
