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
  for (QueryState& q : queries) {
    q.question.reset();
    q.answer.reset();
  }
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
