#include "domain/assessment.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "domain/decide.h"

namespace nrpf::domain {

namespace {

using Reason = fb::AssessmentReason;
using Outcome = fb::AssessmentOutcome;

std::string Iso(const std::chrono::year_month_day& d) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return buf;
}

}  // namespace

std::optional<std::uint32_t> AgeInMonths(std::string_view date_of_birth, std::string_view on) {
  const auto born = ParseIsoDate(date_of_birth);
  const auto day = ParseIsoDate(on);
  if (!born || !day || std::chrono::sys_days(*day) < std::chrono::sys_days(*born)) return std::nullopt;
  int months = (static_cast<int>(day->year()) - static_cast<int>(born->year())) * 12 +
               (static_cast<int>(static_cast<unsigned>(day->month())) -
                static_cast<int>(static_cast<unsigned>(born->month())));
  // The month is complete on the birth's day of the month; in a month too
  // short for that day, on the 1st of the next (so not within this one).
  if (static_cast<unsigned>(day->day()) < static_cast<unsigned>(born->day())) --months;
  return static_cast<std::uint32_t>(months);
}

std::string Birthday(std::string_view date_of_birth, int years) {
  const auto born = ParseIsoDate(date_of_birth);
  if (!born) return {};
  std::chrono::year_month_day d{born->year() + std::chrono::years(years), born->month(), born->day()};
  if (!d.ok()) d = std::chrono::year_month_day{d.year(), std::chrono::March, std::chrono::day(1)};
  return Iso(d);
}

std::string TermAfter(std::string_view birthday) {
  const auto d = ParseIsoDate(birthday);
  if (!d) return {};
  const unsigned month = static_cast<unsigned>(d->month());
  if (month >= 9) return Iso({d->year() + std::chrono::years(1), std::chrono::January, std::chrono::day(1)});
  if (month <= 3) return Iso({d->year(), std::chrono::April, std::chrono::day(1)});
  return Iso({d->year(), std::chrono::September, std::chrono::day(1)});
}

std::int64_t EarlyEducationIncomeThresholdPence(bool in_london, std::uint32_t children_in_household) {
  const bool several = children_in_household >= 2;
  if (in_london) return several ? 3'860'000 : 3'450'000;
  return several ? 3'060'000 : 2'650'000;
}

AssessmentResult EarlyEducationRules(const EarlyEducationFacts& f) {
  AssessmentResult r;
  r.rule_version = kEarlyEducationRules;
  // The early years end at five: the universal hours are for 3- and
  // 4-year-olds, and a child of five is of school age.
  if (f.child_age_months >= 60) {
    r.outcome = Outcome::NotEligible;
    r.reasons = {Reason::ChildOverEarlyYears};
    return r;
  }
  // A parent with recourse to public funds takes precedence: the family
  // applies by the usual route, whatever its income.
  if (f.parent_with_recourse) {
    r.outcome = Outcome::OtherRoute;
    r.reasons = {Reason::HouseholdHasRecourse};
    return r;
  }
  // From the term after the third birthday every child has the universal
  // 15 hours, without applying.
  if (!f.universal_from.empty() && f.assessed_on >= f.universal_from) {
    r.outcome = Outcome::OtherRoute;
    r.reasons = {Reason::UniversalHoursApply};
    return r;
  }
  const std::int64_t threshold = EarlyEducationIncomeThresholdPence(f.in_london, f.children_in_household);
  r.income_threshold_pence = threshold;
  bool fails = false;
  if (f.council_nation != fb::Nation::EnglandAndWales) {
    r.reasons.push_back(Reason::CouncilInScotlandOrNorthernIreland);
    fails = true;
  }
  if (!f.lives_in_england) {
    r.reasons.push_back(Reason::NotLivingInEngland);
    fails = true;
  }
  if (f.household_income_after_tax_pence > threshold) {
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
  const bool under_two = f.child_age_months < 24;
  if (under_two) r.reasons.push_back(Reason::ChildUnderTwo);
  r.outcome = fails ? Outcome::NotEligible : under_two ? Outcome::NotYetEligible : Outcome::Eligible;
  return r;
}

AssessmentResult ChangeOfConditionsRules(const ChangeOfConditionsFacts& f) {
  AssessmentResult r;
  r.rule_version = kChangeOfConditionsRules;
  // Outside the family, private life, CNP and BN(O) routes the Home Office
  // uses its discretion only in particularly compelling circumstances;
  // without them, destitution is not considered at all.
  const bool outside_routes = f.route == fb::PermissionRoute::Other;
  if (outside_routes && !f.particularly_compelling_circumstances.value_or(false)) {
    r.outcome = Outcome::NotEligible;
    r.reasons = {Reason::NoParticularlyCompellingCircumstances};
    // "If evidence has not been provided to show particularly compelling
    // circumstances ... contact the applicant to ask them to provide it."
    if (!f.evidence_complete) r.reasons.push_back(Reason::EvidenceIncomplete);
    return r;
  }
  // "If the answer to any of the questions in bold is no, you must grant
  // access to public funds": destitution now, or within 3 months.
  const bool destitute = !f.has_accommodation || !f.accommodation_adequate || !f.can_meet_living_needs;
  const bool imminent = !destitute && (!f.has_accommodation_in_3_months ||
                                       !f.accommodation_adequate_in_3_months ||
                                       !f.can_meet_living_needs_in_3_months);
  const bool child_welfare = f.income_meets_childrens_needs.has_value() && !*f.income_meets_childrens_needs;
  if (destitute) r.reasons.push_back(Reason::Destitute);
  if (imminent) r.reasons.push_back(Reason::ImminentRiskOfDestitution);
  // Someone a local authority supports "will generally be considered
  // destitute", though the decision-maker need not reach the same view.
  if (f.council_supporting) r.reasons.push_back(Reason::LocalAuthoritySupport);
  if (child_welfare) r.reasons.push_back(Reason::ChildWelfare);
  if (f.exceptional_circumstances) r.reasons.push_back(Reason::ExceptionalCircumstances);
  if (destitute || imminent) {
    r.outcome = Outcome::Eligible;
  } else if (f.council_supporting || child_welfare || f.exceptional_circumstances) {
    // Weighed by the decision-maker: the child's best interests, and
    // exceptional circumstances with a senior caseworker's approval.
    r.outcome = Outcome::ForConsideration;
  } else {
    r.outcome = Outcome::NotEligible;
    r.reasons.push_back(Reason::NoCriterionMet);
  }
  // Discretion outside the routes, and evidence that is not complete
  // (evidential flexibility is for a senior caseworker), are never more
  // than a case to consider.
  if (outside_routes && r.outcome != Outcome::NotEligible) {
    r.reasons.push_back(Reason::DiscretionOutsideRoutes);
    r.outcome = Outcome::ForConsideration;
  }
  if (!f.evidence_complete) {
    r.reasons.push_back(Reason::EvidenceIncomplete);
    if (r.outcome == Outcome::Eligible) r.outcome = Outcome::ForConsideration;
  }
  return r;
}

bool ConcernsAChild(const CaseState& c, std::optional<fb::PermissionRoute> route, std::string_view today) {
  const auto child = [&](const PersonState& p) {
    if (p.removed || !p.details) return false;
    const std::optional<std::uint32_t> months = AgeInMonths(p.details->date_of_birth, today);
    return months && *months < 18 * 12;
  };
  return route == fb::PermissionRoute::FamilyChild || route == fb::PermissionRoute::ChildWithNonParentRelative ||
         child(c.applicant) || std::any_of(c.dependants.begin(), c.dependants.end(), child);
}

flatbuffers::Offset<fb::EarlyEducationInputs> CreateInputs(flatbuffers::FlatBufferBuilder& fbb,
                                                           const EarlyEducationFacts& f,
                                                           const std::string& place_from) {
  return fb::CreateEarlyEducationInputsDirect(fbb, f.lives_in_england, f.in_london,
                                              f.household_income_after_tax_pence, f.children_in_household,
                                              f.savings_pence, f.parent_with_recourse, f.council_nation,
                                              f.child_age_months, place_from.c_str(), f.universal_from.c_str());
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
  if (f.particularly_compelling_circumstances) {
    b.add_particularly_compelling_circumstances(*f.particularly_compelling_circumstances);
  }
  b.add_council_supporting(f.council_supporting);
  return b.Finish();
}

}  // namespace nrpf::domain
