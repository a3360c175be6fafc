#include "domain/model.h"

namespace nrpf::domain {

std::string Person::FullName() const {
  if (given_names.empty()) return family_name;
  if (family_name.empty()) return given_names;
  return given_names + " " + family_name;
}

const AlertState* CaseState::FindAlert(const std::string& alert_id) const {
  for (const AlertState& a : alerts) {
    if (a.alert_id == alert_id) return &a;
  }
  return nullptr;
}

const QueryState* CaseState::FindQuery(const std::string& query_id) const {
  for (const QueryState& q : queries) {
    if (q.query_id == query_id) return &q;
  }
  return nullptr;
}

const AlertState* CaseState::OpenAlertOfKind(fb::AlertKind kind) const {
  for (const AlertState& a : alerts) {
    if (a.open && a.kind == kind) return &a;
  }
  return nullptr;
}

std::size_t CaseState::OpenAlerts(fb::AlertKind kind) const {
  std::size_t n = 0;
  for (const AlertState& a : alerts) n += (a.open && a.kind == kind) ? 1 : 0;
  return n;
}

void CaseState::DropPersonalData() {
  applicant.details.reset();
  for (PersonState& d : dependants) d.details.reset();
  immigration.note.reset();
  closure_note.reset();
  for (AdviceRecord& a : advice) a.note.reset();
  for (AssessmentRecord& a : assessments) a.sealed.reset();
  for (QueryState& q : queries) {
    q.question.reset();
    q.answer.reset();
  }
}

CaseState CaseState::MetadataOnly() const {
  CaseState m;
  m.case_id = case_id;
  m.version = version;
  m.organisation_id = organisation_id;
  m.nation = nation;
  m.team_id = team_id;
  m.caseworker_id = caseworker_id;
  m.status = status;
  m.referral_date = referral_date;
  m.sla_policy_version = sla_policy_version;
  m.created_at_us = created_at_us;
  m.created_by = created_by;
  m.updated_at_us = updated_at_us;
  m.applicant.subject = applicant.subject;
  for (const AlertState& a : alerts) {
    AlertState k;
    k.alert_id = a.alert_id;
    k.query_id = a.query_id;
    k.caseworker_id = a.caseworker_id;
    k.raised_at_us = a.raised_at_us;
    k.raised_position = a.raised_position;
    k.open = a.open;
    k.closed_at_us = a.closed_at_us;
    k.closed_by = a.closed_by;
    m.alerts.push_back(std::move(k));
  }
  for (const QueryState& q : queries) {
    QueryState k;
    k.query_id = q.query_id;
    k.direction = q.direction;
    k.sla_policy_version = q.sla_policy_version;
    k.raised_at_us = q.raised_at_us;
    k.raised_by = q.raised_by;
    k.answered = q.answered;
    k.answered_at_us = q.answered_at_us;
    k.answered_by = q.answered_by;
    m.queries.push_back(std::move(k));
  }
  m.closure_date = closure_date;
  m.closed_at_us = closed_at_us;
  m.closures = closures;
  m.reopenings = reopenings;
  m.reopened_on = reopened_on;
  m.closed_periods_us = closed_periods_us;
  m.duplicate_of = duplicate_of;
  m.removed = removed;
  m.personal_data_erased = personal_data_erased;
  return m;
}

// The seeds fix two timeframes: urgent requests within 24 hours and a
// council's answer to a Home Office query within 10 working days. The Home
// Office's initial status check and its answer to a routine query are the
// operator's to set; these defaults are documented in docs/domain.md.
SlaPolicy SlaPolicy::Default() {
  SlaPolicy p;
  p.version = 0;
  p.rules[fb::SlaClock::HomeOfficeInitialCheck] = {fb::SlaUnit::WorkingDays, 5};
  p.rules[fb::SlaClock::HomeOfficeQueryAnswer] = {fb::SlaUnit::WorkingDays, 5};
  p.rules[fb::SlaClock::UrgentRequest] = {fb::SlaUnit::Hours, 24};
  p.rules[fb::SlaClock::CouncilQueryAnswer] = {fb::SlaUnit::WorkingDays, 10};
  return p;
}

SlaRuleValue SlaPolicy::Rule(fb::SlaClock clock) const {
  auto it = rules.find(clock);
  if (it != rules.end()) return it->second;
  return Default().rules.at(clock);
}

bool MeansRecourseToPublicFunds(fb::ImmigrationStatus status) {
  switch (status) {
    case fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds:
    case fb::ImmigrationStatus::IndefiniteLeaveToRemain:
    case fb::ImmigrationStatus::RefugeeOrHumanitarianProtection:
    case fb::ImmigrationStatus::EuSettledStatus:
    case fb::ImmigrationStatus::BritishCitizen:
      return true;
    default:
      return false;
  }
}

bool IsGrantOfLeave(fb::ImmigrationStatus status) {
  return MeansRecourseToPublicFunds(status) || status == fb::ImmigrationStatus::LeaveWithNrpfCondition ||
         status == fb::ImmigrationStatus::EuPreSettledStatus;
}

}  // namespace nrpf::domain
