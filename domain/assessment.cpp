#include "domain/assessment.h"

#include <chrono>

#include "domain/decide.h"

namespace nrpf::domain {

namespace {

using Reason = fb::AssessmentReason;
using Outcome = fb::AssessmentOutcome;

}  // namespace

int AgeInYears(std::string_view date_of_birth, std::string_view on) {
  const auto born = ParseIsoDate(date_of_birth);
  const auto day = ParseIsoDate(on);
  if (!born || !day) return 0;
  int years = static_cast<int>(day->year()) - static_cast<int>(born->year());
  // Compared as (month, day), 29 February is after 28 February, so a
  // birthday on it is reached on 1 March of other years.
  const unsigned born_md = static_cast<unsigned>(born->month()) * 100 + static_cast<unsigned>(born->day());
  const unsigned on_md = static_cast<unsigned>(day->month()) * 100 + static_cast<unsigned>(day->day());
  if (on_md < born_md) --years;
  return years;
}

std::int64_t EarlyEducationIncomeThresholdPence(bool in_london, std::uint32_t children_in_household) {
  const bool several = children_in_household >= 2;
  if (in_london) return several ? 3'860'000 : 3'450'000;
  return several ? 3'060'000 : 2'650'000;
}

AssessmentResult EarlyEducationRules(const EarlyEducationFacts& f) {
  AssessmentResult r;
  r.rule_version = kEarlyEducationRules;
  r.income_threshold_pence = EarlyEducationIncomeThresholdPence(f.in_london, f.children_in_household);
  // A parent with recourse to public funds takes precedence: the family
  // applies by the usual route, whatever its income.
  if (f.parent_with_recourse) {
    r.outcome = Outcome::OtherRoute;
    r.reasons = {Reason::HouseholdHasRecourse};
    return r;
  }
  const int age = AgeInYears(f.child_date_of_birth, f.assessed_on);
  // From three every child has the universal 15 hours, without applying.
  if (age >= 3) {
    r.outcome = Outcome::OtherRoute;
    r.reasons = {Reason::ChildThreeOrOver};
    return r;
  }
  bool fails = false;
  if (!f.lives_in_england) {
    r.reasons.push_back(Reason::NotLivingInEngland);
    fails = true;
  }
  if (f.household_income_after_tax_pence > r.income_threshold_pence) {
    r.reasons.push_back(Reason::IncomeAboveThreshold);
    fails = true;
  } else {
    r.reasons.push_back(Reason::IncomeWithinThreshold);
  }
  if (f.savings_pence > kEarlyEducationSavingsLimitPence) {
    r.reasons.push_back(Reason::SavingsAboveLimit);
    fails = true;
  } else {
    r.reasons.push_back(Reason::SavingsWithinLimit);
  }
  if (age < 2) r.reasons.push_back(Reason::ChildUnderTwo);
  r.outcome = fails ? Outcome::NotEligible : age < 2 ? Outcome::NotYetEligible : Outcome::Eligible;
  return r;
}

AssessmentResult ChangeOfConditionsRules(const ChangeOfConditionsFacts& f) {
  AssessmentResult r;
  r.rule_version = kChangeOfConditionsRules;
  if (f.route == fb::PermissionRoute::Other) {
    r.outcome = Outcome::OtherRoute;
    r.reasons = {Reason::RouteNotCovered};
    return r;
  }
  // "If the answer to any of the questions in bold is no, you must grant
  // access to public funds": destitution now, or within 3 months.
  const bool destitute = !f.has_accommodation || !f.accommodation_adequate || !f.can_meet_living_needs;
  const bool imminent = !f.has_accommodation_in_3_months || !f.accommodation_adequate_in_3_months ||
                        !f.can_meet_living_needs_in_3_months;
  if (destitute) r.reasons.push_back(Reason::Destitute);
  if (imminent && !destitute) r.reasons.push_back(Reason::ImminentRiskOfDestitution);
  // Someone a local authority supports "will generally be considered destitute".
  if (f.council_supporting) r.reasons.push_back(Reason::LocalAuthoritySupport);
  // The child's welfare and exceptional circumstances are weighed by the
  // decision-maker (the latter approved by a senior caseworker).
  const bool child_welfare = f.income_meets_childrens_needs.has_value() && !*f.income_meets_childrens_needs;
  if (child_welfare) r.reasons.push_back(Reason::ChildWelfare);
  if (f.exceptional_circumstances) r.reasons.push_back(Reason::ExceptionalCircumstances);
  if (destitute || imminent || f.council_supporting) {
    r.outcome = Outcome::Eligible;
  } else if (child_welfare || f.exceptional_circumstances) {
    r.outcome = Outcome::ForConsideration;
  } else {
    r.outcome = Outcome::NotEligible;
    r.reasons.push_back(Reason::NoCriterionMet);
  }
  if (!f.evidence_complete) r.reasons.push_back(Reason::EvidenceIncomplete);
  return r;
}

flatbuffers::Offset<fb::EarlyEducationInputs> CreateInputs(flatbuffers::FlatBufferBuilder& fbb,
                                                           const EarlyEducationFacts& f) {
  return fb::CreateEarlyEducationInputsDirect(fbb, f.lives_in_england, f.in_london,
                                              f.household_income_after_tax_pence, f.children_in_household,
                                              f.savings_pence, f.parent_with_recourse, f.child_date_of_birth.c_str());
}

flatbuffers::Offset<fb::ChangeOfConditionsInputs> CreateInputs(flatbuffers::FlatBufferBuilder& fbb,
                                                               const ChangeOfConditionsFacts& f) {
  fb::ChangeOfConditionsInputsBuilder b(fbb);
  b.add_route(f.route);
  b.add_has_accommodation(f.has_accommodation);
  b.add_accommodation_adequate(f.accommodation_adequate);
  b.add_can_meet_living_needs(f.can_meet_living_needs);
  b.add_has_accommodation_in_3_months(f.has_accommodation_in_3_months);
  b.add_accommodation_adequate_in_3_months(f.accommodation_adequate_in_3_months);
  b.add_can_meet_living_needs_in_3_months(f.can_meet_living_needs_in_3_months);
  if (f.income_meets_childrens_needs) b.add_income_meets_childrens_needs(*f.income_meets_childrens_needs);
  b.add_exceptional_circumstances(f.exceptional_circumstances);
  b.add_evidence_complete(f.evidence_complete);
  return b.Finish();
}

EarlyEducationFacts FactsOf(const fb::EarlyEducationInputs& in) {
  EarlyEducationFacts f;
  f.lives_in_england = in.lives_in_england();
  f.in_london = in.in_london();
  f.household_income_after_tax_pence = in.household_income_after_tax_pence();
  f.children_in_household = in.children_in_household();
  f.savings_pence = in.savings_pence();
  f.parent_with_recourse = in.parent_with_recourse();
  if (in.child_date_of_birth() != nullptr) f.child_date_of_birth = in.child_date_of_birth()->str();
  return f;
}

ChangeOfConditionsFacts FactsOf(const fb::ChangeOfConditionsInputs& in) {
  ChangeOfConditionsFacts f;
  f.route = in.route();
  f.has_accommodation = in.has_accommodation();
  f.accommodation_adequate = in.accommodation_adequate();
  f.can_meet_living_needs = in.can_meet_living_needs();
  f.has_accommodation_in_3_months = in.has_accommodation_in_3_months();
  f.accommodation_adequate_in_3_months = in.accommodation_adequate_in_3_months();
  f.can_meet_living_needs_in_3_months = in.can_meet_living_needs_in_3_months();
  if (in.income_meets_childrens_needs()) f.income_meets_childrens_needs = *in.income_meets_childrens_needs();
  f.exceptional_circumstances = in.exceptional_circumstances();
  f.evidence_complete = in.evidence_complete();
  return f;
}

}  // namespace nrpf::domain
