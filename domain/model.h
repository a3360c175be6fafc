// The state of the NRPF domain's aggregates (organisations, users, cases, the
// SLA policy) as folded from their events. decide() reads it; projections/
// keep it current and build read models around it; nrpf-replay folds the same
// structs as of a past time. Plain values: copyable, no locking of their own.

#ifndef NRPF_DOMAIN_MODEL_H_
#define NRPF_DOMAIN_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schema/nrpf_events_generated.h"

namespace nrpf::domain {

namespace fb = ::nrpf::domain::fb;

// The personal details of an applicant or dependant (sealed in the log).
struct Person {
  std::string given_names;
  std::string family_name;
  std::string date_of_birth;  // YYYY-MM-DD
  std::string nationality;
  std::string home_office_reference;
  std::vector<std::pair<fb::DocumentType, std::string>> documents;
  std::string address;
  std::string relationship;

  std::string FullName() const;
  bool operator==(const Person&) const = default;
};

struct OrganisationState {
  std::string organisation_id;
  fb::OrganisationKind kind = fb::OrganisationKind::Council;
  std::string name;
  fb::Nation nation = fb::Nation::EnglandAndWales;
  bool subscribed = true;
  std::map<std::string, std::string> teams;  // team id -> name
  std::uint64_t version = 0;                 // of stream org-<id>
};

struct UserState {
  std::string user_id;
  std::string organisation_id;
  std::string team_id;
  fb::Role role = fb::Role::CouncilUser;
  bool deleted = false;
  bool locked = false;
  std::uint32_t password_resets = 0;
  std::optional<std::string> name;   // sealed "staff"; nullopt once unreadable
  std::optional<std::string> email;
  std::uint64_t version = 0;         // of stream user-<id>
};

struct PersonState {
  std::string subject;
  std::optional<Person> details;  // nullopt when erased or not opened
  bool removed = false;           // dependants: removed from the household
};

// The weekly costs in force from a day of a support period: as recorded,
// or as amended from the day the amendment was recorded. An amendment
// recorded the day the support was recorded, or on or before its start,
// corrects the costs from the start.
struct FinanceRate {
  std::string from;  // YYYY-MM-DD
  std::int64_t person_costs_weekly_pence = 0;
  std::int64_t accommodation_costs_weekly_pence = 0;
  bool operator==(const FinanceRate&) const = default;
};

// One period of financial support: from finance recorded to finance ended.
struct SupportPeriod {
  std::string start_date;          // YYYY-MM-DD, as last amended
  std::string end_date;            // YYYY-MM-DD; empty while support lasts
  std::string recorded_on;         // YYYY-MM-DD, the day finance.recorded was
  std::vector<FinanceRate> rates;  // by `from`, the first from start_date
  bool operator==(const SupportPeriod&) const = default;
};

struct FinanceState {
  bool recorded = false;               // ever recorded
  bool active = false;                 // recorded and not ended
  // First support ever recorded (1,000-day counter): the start date of the
  // first support period, as amended while that period lasts.
  std::string first_start_date;
  bool ever_ended = false;             // some support period has ended
  std::string start_date;
  std::string end_date;
  std::int64_t person_costs_weekly_pence = 0;
  std::int64_t accommodation_costs_weekly_pence = 0;
  bool accommodation_provided = false;
  std::uint32_t amendments = 0;
  std::vector<SupportPeriod> periods;  // every support period, oldest first
};

struct ImmigrationState {
  std::uint32_t checks = 0;            // completed status checks
  std::int64_t first_checked_at_us = 0;
  bool known = false;
  fb::ImmigrationStatus status = fb::ImmigrationStatus::NoRecordFound;
  bool recourse_to_public_funds = false;
  std::int64_t updated_at_us = 0;
  std::optional<std::string> note;     // what the Home Office returned
  // The latest grant of leave recorded, which a later status may have
  // superseded: what the RTPF checker returns. granted_at_us == 0: none.
  fb::ImmigrationStatus last_grant = fb::ImmigrationStatus::NoRecordFound;
  bool last_grant_recourse = false;
  std::int64_t granted_at_us = 0;
};

struct AlertState {
  std::string alert_id;
  fb::AlertKind kind = fb::AlertKind::ImmigrationUpdate;
  std::string query_id;
  std::string caseworker_id;
  std::int64_t raised_at_us = 0;
  std::uint64_t raised_position = 0;
  bool open = true;
  std::int64_t closed_at_us = 0;
  std::string closed_by;
  fb::AlertClosedBecause because = fb::AlertClosedBecause::Reviewed;
};

struct QueryState {
  std::string query_id;
  fb::QueryDirection direction = fb::QueryDirection::CouncilToHomeOffice;
  fb::QueryTopic topic = fb::QueryTopic::StatusUpdate;
  bool urgent = false;
  fb::UrgentReason urgent_reason = fb::UrgentReason::None;
  std::uint32_t sla_policy_version = 0;
  std::int64_t raised_at_us = 0;
  std::string raised_by;
  std::optional<std::string> question;
  bool answered = false;
  std::int64_t answered_at_us = 0;
  std::string answered_by;
  std::optional<std::string> answer;
};

struct AdviceRecord {
  std::string advised_on;
  fb::AdvisedOf of = fb::AdvisedOf::DetailsSharedWithHomeOffice;
  std::int64_t recorded_at_us = 0;
  std::string recorded_by;
  std::optional<std::string> note;  // sealed; nullopt when none was written, or erased
};

// A decision-support assessment (assessment.h) as recorded.
struct AssessmentRecord {
  std::string assessment_id;
  fb::AssessmentKind kind = fb::AssessmentKind::Unknown;
  std::string subject;  // the person assessed
  std::string rule_version;
  std::int64_t assessed_at_us = 0;
  std::string assessed_by;
  // The rest, sealed: the plaintext of the "assessment" section (a
  // SealedAssessment table: answers, facts, outcome, reasons); nullopt when
  // erased or not opened.
  std::optional<std::string> sealed;
};

struct CaseState {
  std::string case_id;
  std::uint64_t version = 0;  // of stream case-<id>; 0 = no such case
  std::string organisation_id;
  fb::Nation nation = fb::Nation::EnglandAndWales;
  std::string team_id;
  std::string caseworker_id;
  fb::CaseStatus status = fb::CaseStatus::OpenReferral;
  fb::HouseholdType household_type = fb::HouseholdType::FamilyWithChildren;
  fb::Legislation legislation = fb::Legislation::ChildrenAct1989S17;
  std::string referral_date;
  std::string rtpf_lookup_id;  // the RTPF look-up the case was created from, if any
  bool advised_details_shared = false;
  bool urgent = false;
  fb::UrgentReason urgent_reason = fb::UrgentReason::None;
  std::uint32_t sla_policy_version = 0;
  std::int64_t created_at_us = 0;
  std::string created_by;
  std::int64_t updated_at_us = 0;

  PersonState applicant;
  std::vector<PersonState> dependants;
  FinanceState finance;
  ImmigrationState immigration;
  std::vector<AlertState> alerts;
  std::vector<QueryState> queries;
  std::vector<AdviceRecord> advice;
  std::vector<AssessmentRecord> assessments;

  std::string closure_date;
  fb::ClosureReason closure_reason = fb::ClosureReason::Other;
  std::optional<std::string> closure_note;
  std::int64_t closed_at_us = 0;      // latest closure
  std::uint32_t closures = 0;
  std::uint32_t reopenings = 0;
  std::string reopened_on;            // the latest reopening's date; empty if never reopened
  // Each closure that ended, by a reopening or by the case's removal as a
  // duplicate: (closed, ended), recorded times, oldest first. The latest
  // closure, while the case is closed, is closed_at_us. SLA clocks stop at
  // closures.
  std::vector<std::pair<std::int64_t, std::int64_t>> closed_periods_us;

  std::string duplicate_of;  // set when flagged as a duplicate of another case
  bool removed = false;      // removed as a duplicate; personal data erased
  bool personal_data_erased = false;

  bool exists() const { return version > 0; }
  bool open() const { return exists() && !removed && status != fb::CaseStatus::Closed; }
  const AlertState* FindAlert(const std::string& alert_id) const;
  const QueryState* FindQuery(const std::string& query_id) const;
  const AlertState* OpenAlertOfKind(fb::AlertKind kind) const;
  std::size_t OpenAlerts(fb::AlertKind kind) const;
  // Forgets every piece of personal data: people's details and the notes,
  // questions and answers that may describe them.
  void DropPersonalData();
  // What a metadata-only reader (network support) may see of the case: all
  // it needs to remove duplicates. Copied field by field, so that a field
  // added later stays out until it is added here:
  //   the ids of the case, its council (and nation), team, caseworker,
  //   creator and applicant subject; its status, referral, creation,
  //   update, closure and reopening dates and closed periods; versions; closure and
  //   reopening counts; the duplicate link, removal and erasure flags;
  //   each alert's and query's id, who raised it and when, and whether and
  //   when it was closed or answered and by whom (and a query's direction).
  // Everything else keeps CaseState's defaults: people's details and how
  // many dependants there are, household type, legislation, urgency and its
  // reasons, advice, finance, immigration, the RTPF look-up, alert kinds and
  // why they closed, query topics and text, the closure reason and note,
  // assessments.
  CaseState MetadataOnly() const;
};

// One rule of an SLA policy: how long a party has to act.
struct SlaRuleValue {
  fb::SlaUnit unit = fb::SlaUnit::WorkingDays;
  std::uint32_t amount = 0;
};

// The SLA policy in force: clock -> rule. Version 0 is the built-in default
// (docs/domain.md "SLA clocks"), used until a policy.changed event.
struct SlaPolicy {
  std::uint32_t version = 0;
  std::map<fb::SlaClock, SlaRuleValue> rules;
  std::int64_t in_force_from_us = 0;

  static SlaPolicy Default();
  SlaRuleValue Rule(fb::SlaClock clock) const;
};

// Which immigration statuses mean the person has recourse to public funds
// (and so raise a closure-required alert).
bool MeansRecourseToPublicFunds(fb::ImmigrationStatus status);
// Which statuses are a grant of leave (what the RTPF checker returns).
bool IsGrantOfLeave(fb::ImmigrationStatus status);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_MODEL_H_
