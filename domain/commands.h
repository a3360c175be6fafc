// Commands: what a user asks the service to do. Each is decided against the
// current state (decide.h) into events or a refusal. Commands carry no ids the
// server must invent except where the caller names something new (a user,
// team or organisation id); case ids are assigned by the service.
//
// An enum held in a std::optional is one the caller must give (or, in an
// amendment, may leave out to keep the current value): no value of an enum
// is a safe guess, so a missing one is refused as invalid_argument/
// <field>_invalid rather than read as the enum's first value.

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
  std::optional<fb::OrganisationKind> kind;
  std::string name;
  std::optional<fb::Nation> nation;  // councils only: it decides their bank holidays
};
struct CreateTeam {
  std::string organisation_id;
  std::string team_id;
  std::string name;
};
struct CreateUser {
  std::string user_id;
  std::string organisation_id;
  std::optional<fb::Role> role;
  std::string team_id;
  std::string name;
  std::string email;
};
struct DeleteUser { std::string user_id; };
struct ChangeUserRole { std::string user_id; std::optional<fb::Role> role; };
// Locking after failed logins is issued by the service on the user's behalf.
struct LockUser {
  std::string user_id;
  fb::LockReason reason = fb::LockReason::ByAdmin;
  std::uint32_t failed_attempts = 0;
};
struct UnlockUser { std::string user_id; };
struct ResetPassword { std::string user_id; };

struct RtpfLookup {
  std::optional<fb::DocumentType> document_type;
  std::string document_number;
  std::string date_of_birth;  // YYYY-MM-DD
};

struct CreateCase {
  std::string team_id;
  std::string caseworker_id;  // empty: unallocated
  Person applicant;
  std::vector<Person> dependants;
  std::optional<fb::HouseholdType> household_type;
  std::optional<fb::Legislation> legislation;
  std::string referral_date;  // YYYY-MM-DD
  bool advised_details_shared = false;
  bool urgent = false;
  fb::UrgentReason urgent_reason = fb::UrgentReason::None;
  std::string rtpf_lookup_id;
};
struct AllocateCaseworker { std::string case_id; std::string caseworker_id; };
struct ChangeTeam { std::string case_id; std::string team_id; };
// A change of some of a person's details: each field given replaces the
// current value (an empty text or list clears it), each field left out keeps
// its current value.
struct PersonAmendment {
  std::optional<std::string> given_names;
  std::optional<std::string> family_name;
  std::optional<std::string> date_of_birth;
  std::optional<std::string> nationality;
  std::optional<std::string> home_office_reference;
  std::optional<std::vector<std::pair<fb::DocumentType, std::string>>> documents;
  std::optional<std::string> address;
  std::optional<std::string> relationship;

  // Every field given: the amendment that makes a record exactly `p`.
  static PersonAmendment Whole(const Person& p);
  // `current` with the fields given replaced.
  Person AppliedTo(Person current) const;
};
// Changes only what it carries; see PersonAmendment. An amendment that
// changes nothing is refused (failed_precondition/unchanged).
struct AmendApplicant {
  std::string case_id;
  PersonAmendment details;
  std::optional<fb::HouseholdType> household_type;  // absent: unchanged
  std::optional<fb::Legislation> legislation;        // absent: unchanged
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
// Changes only the fields it carries; those left out keep their values.
struct AmendFinance {
  std::string case_id;
  std::optional<std::string> start_date;
  std::optional<std::int64_t> person_costs_weekly_pence;
  std::optional<std::int64_t> accommodation_costs_weekly_pence;
  std::optional<bool> accommodation_provided;

  // Every field given: the amendment that makes the record exactly `f`.
  static AmendFinance Whole(const RecordFinance& f);
};
struct EndFinance { std::string case_id; std::string end_date; };
struct RecordAdvice {
  std::string case_id;
  std::string advised_on;
  std::optional<fb::AdvisedOf> of;
  std::string note;
};
struct CompleteStatusCheck {
  std::string case_id;
  std::optional<fb::ImmigrationStatus> status;
  std::string note;
};
struct UpdateImmigrationStatus {
  std::string case_id;
  std::optional<fb::ImmigrationStatus> status;
  std::string note;
};
struct CloseAlert { std::string case_id; std::string alert_id; };
// The direction follows from who raises it: a council asks the Home Office,
// the Home Office asks the council.
struct RaiseQuery {
  std::string case_id;
  std::optional<fb::QueryTopic> topic;
  bool urgent = false;
  fb::UrgentReason urgent_reason = fb::UrgentReason::None;
  std::string text;
};
struct AnswerQuery { std::string case_id; std::string query_id; std::string text; };
struct CloseCase {
  std::string case_id;
  std::string closure_date;
  std::optional<fb::ClosureReason> reason;
  std::string note;
};
struct ReopenCase { std::string case_id; std::string reopened_on; };
struct FlagDuplicate { std::string case_id; std::string duplicate_of; };
struct RemoveDuplicate { std::string case_id; };
// Decision support (assessment.h): the answers a caseworker gives; the
// outcome is worked out by the rules, never given. Optional answers are
// ones the caller must give (a missing one is refused, naming it), except
// income_meets_childrens_needs, needed only when the household has a
// child under 18, and particularly_compelling_circumstances, needed only
// for route Other.
struct AssessEarlyEducation {
  std::string case_id;
  std::string dependant;  // the child's subject
  std::optional<bool> lives_in_england;
  std::optional<bool> in_london;
  std::optional<std::int64_t> household_income_after_tax_pence;
  std::optional<std::uint32_t> children_in_household;
  std::optional<std::int64_t> savings_pence;
  std::optional<bool> parent_with_recourse;
  std::string note;
};
struct AssessChangeOfConditions {
  std::string case_id;
  std::optional<fb::PermissionRoute> route;
  std::optional<bool> has_accommodation;
  std::optional<bool> accommodation_adequate;
  std::optional<bool> can_meet_living_needs;
  std::optional<bool> has_accommodation_in_3_months;
  std::optional<bool> accommodation_adequate_in_3_months;
  std::optional<bool> can_meet_living_needs_in_3_months;
  std::optional<bool> income_meets_childrens_needs;
  std::optional<bool> exceptional_circumstances;
  std::optional<bool> evidence_complete;
  std::optional<bool> particularly_compelling_circumstances;
  std::string note;
};
struct ChangeSlaPolicy {
  std::vector<std::pair<fb::SlaClock, SlaRuleValue>> rules;
};

using Command =
    std::variant<RegisterOrganisation, CreateTeam, CreateUser, DeleteUser, ChangeUserRole, LockUser,
                 UnlockUser, ResetPassword, RtpfLookup, CreateCase, AllocateCaseworker, ChangeTeam,
                 AmendApplicant, AddDependant, RemoveDependant, RecordFinance, AmendFinance,
                 EndFinance, RecordAdvice, CompleteStatusCheck, UpdateImmigrationStatus, CloseAlert,
                 RaiseQuery, AnswerQuery, CloseCase, ReopenCase, FlagDuplicate, RemoveDuplicate,
                 ChangeSlaPolicy, AssessEarlyEducation, AssessChangeOfConditions>;

// Stable name of a command, e.g. "create_case".
std::string_view CommandName(const Command& command);
// The case a command acts on, or "" for commands that name none.
std::string CaseIdOf(const Command& command);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_COMMANDS_H_
