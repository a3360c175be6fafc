// Decision support: the rules of seeds 003 and 004 on their own, then
// assessments recorded on cases through the real service.

#include <catch2/catch.hpp>

#include "domain/assessment.h"
#include "domain/events.h"
#include "replay/case_fields.h"
#include "server/views.h"
#include "replay/case_history.h"
#include "tests/domain_world.h"

namespace nrpf::test {
namespace {

using Outcome = fb::AssessmentOutcome;
using Reason = fb::AssessmentReason;
using Reasons = std::vector<Reason>;

// A household of one 2-year-old outside London, well within every limit.
EarlyEducationFacts Household() {
  EarlyEducationFacts f;
  f.lives_in_england = true;
  f.council_nation = fb::Nation::EnglandAndWales;
  f.in_london = false;
  f.household_income_after_tax_pence = 2'000'000;
  f.children_in_household = 1;
  f.savings_pence = 50'000;
  f.parent_with_recourse = false;
  f.child_age_months = 25;
  f.assessed_on = "2025-03-03";
  f.universal_from = "2026-04-01";
  return f;
}

// Somebody on a family route with somewhere adequate to live who can meet
// their needs, now and in three months: none of seed 003's criteria.
ChangeOfConditionsFacts Secure() {
  ChangeOfConditionsFacts f;
  f.route = fb::PermissionRoute::PrivateLife;
  f.has_accommodation = true;
  f.accommodation_adequate = true;
  f.can_meet_living_needs = true;
  f.has_accommodation_in_3_months = true;
  f.accommodation_adequate_in_3_months = true;
  f.can_meet_living_needs_in_3_months = true;
  f.exceptional_circumstances = false;
  f.evidence_complete = true;
  return f;
}

TEST_CASE("early education: the income thresholds of seed 004 (and London's) hold to the penny", "[assessment]") {
  CHECK(EarlyEducationIncomeThresholdPence(false, 1) == 2'650'000);
  CHECK(EarlyEducationIncomeThresholdPence(false, 2) == 3'060'000);
  CHECK(EarlyEducationIncomeThresholdPence(false, 5) == 3'060'000);
  CHECK(EarlyEducationIncomeThresholdPence(true, 1) == 3'450'000);
  CHECK(EarlyEducationIncomeThresholdPence(true, 3) == 3'860'000);

  EarlyEducationFacts f = Household();
  f.household_income_after_tax_pence = 2'650'000;  // "no more than": the threshold itself passes
  AssessmentResult at = EarlyEducationRules(f);
  CHECK(at.outcome == Outcome::Eligible);
  CHECK(at.reasons == Reasons{Reason::IncomeWithinThreshold, Reason::SavingsWithinLimit});
  CHECK(at.income_threshold_pence == 2'650'000);
  CHECK(at.rule_version == "early-education-2yo/1");

  f.household_income_after_tax_pence = 2'650'001;
  AssessmentResult over = EarlyEducationRules(f);
  CHECK(over.outcome == Outcome::NotEligible);
  CHECK(over.reasons == Reasons{Reason::IncomeAboveThreshold, Reason::SavingsWithinLimit});

  // The same income is within the threshold for two children, and in London.
  f.children_in_household = 2;
  CHECK(EarlyEducationRules(f).outcome == Outcome::Eligible);
  f.children_in_household = 1;
  f.in_london = true;
  AssessmentResult london = EarlyEducationRules(f);
  CHECK(london.outcome == Outcome::Eligible);
  CHECK(london.income_threshold_pence == 3'450'000);
}

TEST_CASE("early education: savings of at most 16,000 pounds, in England, a parent without recourse",
          "[assessment]") {
  EarlyEducationFacts f = Household();
  f.savings_pence = 1'600'000;
  CHECK(EarlyEducationRules(f).outcome == Outcome::Eligible);
  f.savings_pence = 1'600'001;
  AssessmentResult savings = EarlyEducationRules(f);
  CHECK(savings.outcome == Outcome::NotEligible);
  CHECK(savings.reasons == Reasons{Reason::IncomeWithinThreshold, Reason::SavingsAboveLimit});

  // Every reason is given, not just the first.
  f.lives_in_england = false;
  f.council_nation = fb::Nation::Scotland;
  f.household_income_after_tax_pence = 5'000'000;
  AssessmentResult all = EarlyEducationRules(f);
  CHECK(all.outcome == Outcome::NotEligible);
  CHECK(all.reasons == Reasons{Reason::CouncilInScotlandOrNorthernIreland, Reason::NotLivingInEngland,
                               Reason::IncomeAboveThreshold, Reason::SavingsAboveLimit});

  // A parent with recourse to public funds applies by the usual route,
  // whatever the income.
  f = Household();
  f.parent_with_recourse = true;
  f.household_income_after_tax_pence = 9'000'000;
  AssessmentResult recourse = EarlyEducationRules(f);
  CHECK(recourse.outcome == Outcome::OtherRoute);
  CHECK(recourse.reasons == Reasons{Reason::HouseholdHasRecourse});
  CHECK_FALSE(recourse.income_threshold_pence.has_value());  // no income test was applied
}

TEST_CASE("early education: not yet two, two, and from the term after the third birthday the universal hours",
          "[assessment]") {
  EarlyEducationFacts f = Household();
  f.child_age_months = 23;
  AssessmentResult young = EarlyEducationRules(f);
  CHECK(young.outcome == Outcome::NotYetEligible);
  CHECK(young.reasons == Reasons{Reason::IncomeWithinThreshold, Reason::SavingsWithinLimit, Reason::ChildUnderTwo});
  f.child_age_months = 24;
  CHECK(EarlyEducationRules(f).outcome == Outcome::Eligible);
  // Three, but the term after the birthday has not begun: still the
  // 2-year-old entitlement.
  f.child_age_months = 37;
  f.universal_from = "2025-04-01";
  CHECK(EarlyEducationRules(f).outcome == Outcome::Eligible);
  f.assessed_on = "2025-04-01";
  AssessmentResult three = EarlyEducationRules(f);
  CHECK(three.outcome == Outcome::OtherRoute);
  CHECK(three.reasons == Reasons{Reason::UniversalHoursApply});
  CHECK_FALSE(three.income_threshold_pence.has_value());
  f.child_age_months = 59;  // four: still the universal hours
  CHECK(EarlyEducationRules(f).outcome == Outcome::OtherRoute);
  // Five or more: past the early years, whatever else is true.
  f.child_age_months = 60;
  f.parent_with_recourse = true;
  AssessmentResult five = EarlyEducationRules(f);
  CHECK(five.outcome == Outcome::NotEligible);
  CHECK(five.reasons == Reasons{Reason::ChildOverEarlyYears});
  // Under two and over the threshold: not eligible, both said.
  f = Household();
  f.child_age_months = 10;
  f.household_income_after_tax_pence = 3'000'000;
  AssessmentResult both = EarlyEducationRules(f);
  CHECK(both.outcome == Outcome::NotEligible);
  CHECK(both.reasons == Reasons{Reason::IncomeAboveThreshold, Reason::SavingsWithinLimit, Reason::ChildUnderTwo});
}

TEST_CASE("ages in months, birthdays and the funded terms after them", "[assessment]") {
  CHECK(AgeInMonths("2023-01-10", "2025-01-09") == 23u);
  CHECK(AgeInMonths("2023-01-10", "2025-01-10") == 24u);
  CHECK(AgeInMonths("2023-01-31", "2023-02-28") == 0u);
  CHECK(AgeInMonths("2023-01-31", "2023-03-01") == 1u);
  CHECK(AgeInMonths("2020-02-29", "2022-02-28") == 23u);
  CHECK(AgeInMonths("2020-02-29", "2022-03-01") == 24u);
  CHECK_FALSE(AgeInMonths("2025-03-04", "2025-03-03").has_value());  // not yet born
  CHECK_FALSE(AgeInMonths("", "2025-03-03").has_value());
  CHECK_FALSE(AgeInMonths("2025-02-30", "2025-03-03").has_value());

  CHECK(Birthday("2022-06-15", 3) == "2025-06-15");
  CHECK(Birthday("2020-02-29", 3) == "2023-03-01");
  CHECK(Birthday("2020-02-29", 4) == "2024-02-29");
  CHECK(Birthday("", 3).empty());

  CHECK(TermAfter("2025-01-01") == "2025-04-01");
  CHECK(TermAfter("2025-03-31") == "2025-04-01");
  CHECK(TermAfter("2025-04-01") == "2025-09-01");
  CHECK(TermAfter("2025-08-31") == "2025-09-01");
  CHECK(TermAfter("2025-09-01") == "2026-01-01");
  CHECK(TermAfter("2025-12-31") == "2026-01-01");
  CHECK(TermAfter("no date").empty());
}

TEST_CASE("change of conditions: any 'no' to the guidance's bold questions means destitution, now or within "
          "3 months",
          "[assessment]") {
  CHECK(ChangeOfConditionsRules(Secure()).outcome == Outcome::NotEligible);
  CHECK(ChangeOfConditionsRules(Secure()).reasons == Reasons{Reason::NoCriterionMet});
  CHECK(ChangeOfConditionsRules(Secure()).rule_version == "change-of-conditions/4.0");
  CHECK_FALSE(ChangeOfConditionsRules(Secure()).income_threshold_pence.has_value());

  for (bool ChangeOfConditionsFacts::*now : {&ChangeOfConditionsFacts::has_accommodation,
                                             &ChangeOfConditionsFacts::accommodation_adequate,
                                             &ChangeOfConditionsFacts::can_meet_living_needs}) {
    ChangeOfConditionsFacts f = Secure();
    f.*now = false;
    AssessmentResult r = ChangeOfConditionsRules(f);
    CHECK(r.outcome == Outcome::Eligible);
    CHECK(r.reasons == Reasons{Reason::Destitute});
  }
  for (bool ChangeOfConditionsFacts::*later : {&ChangeOfConditionsFacts::has_accommodation_in_3_months,
                                               &ChangeOfConditionsFacts::accommodation_adequate_in_3_months,
                                               &ChangeOfConditionsFacts::can_meet_living_needs_in_3_months}) {
    ChangeOfConditionsFacts f = Secure();
    f.*later = false;
    AssessmentResult r = ChangeOfConditionsRules(f);
    CHECK(r.outcome == Outcome::Eligible);
    CHECK(r.reasons == Reasons{Reason::ImminentRiskOfDestitution});
  }
  // Destitute now is the stronger finding: imminent risk is not added to it.
  ChangeOfConditionsFacts both = Secure();
  both.can_meet_living_needs = false;
  both.can_meet_living_needs_in_3_months = false;
  CHECK(ChangeOfConditionsRules(both).reasons == Reasons{Reason::Destitute});

  // The 5-year partner route may ask for the condition to be lifted too.
  ChangeOfConditionsFacts five = Secure();
  five.route = fb::PermissionRoute::FamilyPartnerOrParentFiveYear;
  five.has_accommodation = false;
  CHECK(ChangeOfConditionsRules(five).outcome == Outcome::Eligible);
}

TEST_CASE("change of conditions: council support, a child's welfare and exceptional circumstances are for the "
          "decision-maker to weigh",
          "[assessment]") {
  // Someone a council supports is generally considered destitute, but the
  // decision-maker need not agree.
  ChangeOfConditionsFacts supported = Secure();
  supported.council_supporting = true;
  AssessmentResult s = ChangeOfConditionsRules(supported);
  CHECK(s.outcome == Outcome::ForConsideration);
  CHECK(s.reasons == Reasons{Reason::LocalAuthoritySupport});

  ChangeOfConditionsFacts f = Secure();
  f.income_meets_childrens_needs = true;
  CHECK(ChangeOfConditionsRules(f).outcome == Outcome::NotEligible);
  f.income_meets_childrens_needs = false;
  AssessmentResult child = ChangeOfConditionsRules(f);
  CHECK(child.outcome == Outcome::ForConsideration);
  CHECK(child.reasons == Reasons{Reason::ChildWelfare});

  f = Secure();
  f.exceptional_circumstances = true;
  AssessmentResult exceptional = ChangeOfConditionsRules(f);
  CHECK(exceptional.outcome == Outcome::ForConsideration);
  CHECK(exceptional.reasons == Reasons{Reason::ExceptionalCircumstances});

  // Destitution with a child whose needs go unmet: every reason, the
  // strongest outcome.
  f = Secure();
  f.has_accommodation = false;
  f.income_meets_childrens_needs = false;
  f.council_supporting = true;
  AssessmentResult many = ChangeOfConditionsRules(f);
  CHECK(many.outcome == Outcome::Eligible);
  CHECK(many.reasons == Reasons{Reason::Destitute, Reason::LocalAuthoritySupport, Reason::ChildWelfare});
}

TEST_CASE("change of conditions: incomplete evidence and routes outside the guidance's are never more than a case "
          "to consider",
          "[assessment]") {
  ChangeOfConditionsFacts f = Secure();
  f.has_accommodation = false;
  f.evidence_complete = false;
  AssessmentResult incomplete = ChangeOfConditionsRules(f);
  CHECK(incomplete.outcome == Outcome::ForConsideration);
  CHECK(incomplete.reasons == Reasons{Reason::Destitute, Reason::EvidenceIncomplete});
  f.has_accommodation = true;
  AssessmentResult none = ChangeOfConditionsRules(f);
  CHECK(none.outcome == Outcome::NotEligible);
  CHECK(none.reasons == Reasons{Reason::NoCriterionMet, Reason::EvidenceIncomplete});

  // Outside the routes: without particularly compelling circumstances,
  // destitution is not considered at all.
  f = Secure();
  f.route = fb::PermissionRoute::Other;
  f.has_accommodation = false;
  f.particularly_compelling_circumstances = false;
  AssessmentResult no_discretion = ChangeOfConditionsRules(f);
  CHECK(no_discretion.outcome == Outcome::NotEligible);
  CHECK(no_discretion.reasons == Reasons{Reason::NoParticularlyCompellingCircumstances});
  f.evidence_complete = false;  // the applicant is asked for it
  CHECK(ChangeOfConditionsRules(f).reasons ==
        Reasons{Reason::NoParticularlyCompellingCircumstances, Reason::EvidenceIncomplete});
  f.evidence_complete = true;
  // With them, and a criterion met: discretion, for the decision-maker.
  f.particularly_compelling_circumstances = true;
  AssessmentResult discretion = ChangeOfConditionsRules(f);
  CHECK(discretion.outcome == Outcome::ForConsideration);
  CHECK(discretion.reasons == Reasons{Reason::Destitute, Reason::DiscretionOutsideRoutes});
  // With them but no criterion: not eligible.
  f.has_accommodation = true;
  AssessmentResult nothing = ChangeOfConditionsRules(f);
  CHECK(nothing.outcome == Outcome::NotEligible);
  CHECK(nothing.reasons == Reasons{Reason::NoCriterionMet});
}

// ---- through the service ----

AssessEarlyEducation EarlyEducationOn(const std::string& case_id, const std::string& dependant) {
  AssessEarlyEducation a;
  a.case_id = case_id;
  a.dependant = dependant;
  a.lives_in_england = true;
  a.in_london = true;
  a.household_income_after_tax_pence = 3'000'000;
  a.children_in_household = 2;
  a.savings_pence = 0;
  a.parent_with_recourse = false;
  a.note = "payslips seen";
  return a;
}

AssessChangeOfConditions ChangeOfConditionsOn(const std::string& case_id) {
  AssessChangeOfConditions a;
  a.case_id = case_id;
  a.route = fb::PermissionRoute::FamilyPartnerOrParentTenYear;
  a.has_accommodation = true;
  a.accommodation_adequate = true;
  a.can_meet_living_needs = true;
  a.has_accommodation_in_3_months = true;
  a.accommodation_adequate_in_3_months = true;
  a.can_meet_living_needs_in_3_months = false;  // the job ends next month
  a.income_meets_childrens_needs = true;
  a.exceptional_circumstances = false;
  a.evidence_complete = true;
  return a;
}

// A case of `council` with a 2-year-old (born 2023-01-10) besides the
// 9-year-old every test case has.
std::string CaseWithToddler(World& w, const std::string& council) {
  const std::string id = w.NewCase(council);
  Person child = SamplePerson("Ada", "Okafor", "2023-01-10");
  child.relationship = "child";
  w.Do(council + "-cw1", AddDependant{id, child});
  return id;
}

// What an assessment sealed, as the projections opened it.
const fb::SealedAssessment& Sealed(const AssessmentRecord& a) {
  REQUIRE(a.sealed.has_value());
  const fb::SealedAssessment* s = DecodeSealedAssessment(*a.sealed);
  REQUIRE(s != nullptr);
  return *s;
}

Reasons ReasonsOf(const fb::SealedAssessment& s) {
  Reasons out;
  if (s.reasons() != nullptr) {
    for (fb::AssessmentReason r : *s.reasons()) out.push_back(r);
  }
  return out;
}

TEST_CASE("an assessment is recorded with its rules in the clear, everything else sealed", "[assessment]") {
  World w;
  const std::string id = CaseWithToddler(w, "camden");
  const std::string toddler = DependantSubject(id, 2);
  CommandOutcome out = w.Do("camden-cw1", EarlyEducationOn(id, toddler), std::nullopt);
  CHECK(out.case_id == id);

  CaseState c = w.Case(id);
  REQUIRE(c.assessments.size() == 1);
  const AssessmentRecord& a = c.assessments[0];
  CHECK(a.assessment_id == "AS1");
  CHECK(a.kind == fb::AssessmentKind::EarlyEducationTwoYearOld);
  CHECK(a.subject == toddler);
  CHECK(a.rule_version == "early-education-2yo/1");
  CHECK(a.assessed_by == "camden-cw1");
  CHECK(a.assessed_at_us == w.clock.NowMicros());
  const fb::SealedAssessment& s = Sealed(a);
  CHECK(s.assessed_on()->str() == "2025-03-03");
  CHECK(s.outcome() == Outcome::Eligible);  // 30,000 within London's 38,600 for two children
  CHECK(ReasonsOf(s) == Reasons{Reason::IncomeWithinThreshold, Reason::SavingsWithinLimit});
  CHECK(s.income_threshold_pence() == 3'860'000);
  REQUIRE(s.early_education() != nullptr);
  CHECK(s.early_education()->household_income_after_tax_pence() == 3'000'000);
  CHECK(s.early_education()->child_age_months() == 25u);  // born 2023-01-10, assessed 2025-03-03
  CHECK(s.early_education()->place_from()->str() == "2025-04-01");
  CHECK(s.early_education()->universal_from()->str() == "2026-04-01");
  CHECK(s.note()->str() == "payslips seen");
  CHECK(s.change_of_conditions() == nullptr);

  // The stored event's body says only which assessment of whom under which
  // rules; the rest is in its one sealed section, under the applicant.
  auto events = w.ledger->ReadStream(CaseStream(id), 1, 100);
  REQUIRE(events.ok());
  const ledger::StoredEvent& e = events->back();
  REQUIRE(e.record()->event_type()->str() == event_type::kAssessmentRecorded);
  const auto* body = flatbuffers::GetRoot<fb::AssessmentRecorded>(e.record()->body()->data());
  CHECK(body->case_id()->str() == id);
  CHECK(body->assessment_id()->str() == "AS1");
  CHECK(body->kind() == fb::AssessmentKind::EarlyEducationTwoYearOld);
  CHECK(body->subject()->str() == toddler);
  CHECK(body->rule_version()->str() == "early-education-2yo/1");
  REQUIRE(e.record()->sealed() != nullptr);
  CHECK(e.record()->sealed()->size() == 1);
  CHECK(e.record()->sealed()->Get(0)->label()->str() == section_label::kAssessment);
  CHECK(e.record()->sealed()->Get(0)->subject_id()->str() == ApplicantSubject(id));
  CHECK(e.bytes.find("payslips seen") == std::string::npos);
  CHECK(e.bytes.find("2025-04-01") == std::string::npos);

  // A change of conditions assessment numbers on, and weighs the case's own
  // facts: once the council supports the household, that is a reason too.
  w.Do("camden-cw1", ChangeOfConditionsOn(id));
  w.Do("camden-cw1", RecordFinance{id, "2025-03-01", 10000, 0, false});
  w.Do("camden-cw1", ChangeOfConditionsOn(id));
  c = w.Case(id);
  REQUIRE(c.assessments.size() == 3);
  CHECK(c.assessments[1].assessment_id == "AS2");
  CHECK(c.assessments[1].subject == ApplicantSubject(id));
  CHECK(c.assessments[1].rule_version == "change-of-conditions/4.0");
  CHECK(Sealed(c.assessments[1]).outcome() == Outcome::Eligible);
  CHECK(ReasonsOf(Sealed(c.assessments[1])) == Reasons{Reason::ImminentRiskOfDestitution});
  CHECK_FALSE(Sealed(c.assessments[1]).income_threshold_pence().has_value());
  CHECK(Sealed(c.assessments[1]).change_of_conditions()->council_supporting() == false);
  CHECK(ReasonsOf(Sealed(c.assessments[2])) ==
        Reasons{Reason::ImminentRiskOfDestitution, Reason::LocalAuthoritySupport});
  CHECK(Sealed(c.assessments[2]).change_of_conditions()->council_supporting() == true);
}

TEST_CASE("an assessment retried under its command id is answered once, and other answers under it are refused",
          "[assessment]") {
  World w;
  const std::string id = w.NewCase("camden");
  Result<CommandOutcome> first = w.Try("camden-cw1", ChangeOfConditionsOn(id), std::nullopt, "assess-1");
  REQUIRE(first.ok());
  // The answer says what the assessment found, for the form that asked.
  REQUIRE(first->assessment.has_value());
  CHECK(first->assessment->assessment_id == "AS1");
  CHECK(Sealed(*first->assessment).outcome() == Outcome::Eligible);
  CHECK(ReasonsOf(Sealed(*first->assessment)) == Reasons{Reason::ImminentRiskOfDestitution});
  // A later assessment does not stand in for it.
  AssessChangeOfConditions later = ChangeOfConditionsOn(id);
  later.has_accommodation = false;
  CHECK(w.Do("camden-cw1", later).assessment->assessment_id == "AS2");
  Result<CommandOutcome> again = w.Try("camden-cw1", ChangeOfConditionsOn(id), std::nullopt, "assess-1");
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->first_position == first->first_position);
  REQUIRE(again->assessment.has_value());
  CHECK(again->assessment->assessment_id == "AS1");
  CHECK(ReasonsOf(Sealed(*again->assessment)) == Reasons{Reason::ImminentRiskOfDestitution});
  // Other commands answer with none.
  CHECK_FALSE(w.Do("camden-cw1", RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""})
                  .assessment.has_value());
  AssessChangeOfConditions changed = ChangeOfConditionsOn(id);
  changed.evidence_complete = false;
  CHECK(w.Try("camden-cw1", changed, std::nullopt, "assess-1").status().code() == Code::kCommandIdReused);
  CHECK(w.Case(id).assessments.size() == 2);
}

TEST_CASE("an assessment is refused, naming what is wrong, and only a council's own users make one",
          "[assessment]") {
  World w;
  const std::string id = CaseWithToddler(w, "camden");
  const std::string toddler = DependantSubject(id, 2);

  AssessEarlyEducation missing = EarlyEducationOn(id, toddler);
  missing.in_london.reset();
  missing.savings_pence = -1;
  missing.children_in_household = 0;
  Result<CommandOutcome> r = w.Try("camden-cw1", missing);
  CHECK(Refusal(r) == "invalid_argument/in_london_invalid");
  std::vector<std::string> fields;
  for (const auto& f : r.status().fields()) fields.push_back(f.field);
  CHECK(fields == std::vector<std::string>{"in_london", "children_in_household", "savings_pence"});

  AssessChangeOfConditions unanswered = ChangeOfConditionsOn(id);
  unanswered.route.reset();
  unanswered.evidence_complete.reset();
  unanswered.income_meets_childrens_needs.reset();  // the household has children under 18
  r = w.Try("camden-cw1", unanswered);
  CHECK(Refusal(r) == "invalid_argument/route_invalid");
  fields.clear();
  for (const auto& f : r.status().fields()) fields.push_back(f.field);
  CHECK(fields == std::vector<std::string>{"route", "income_meets_childrens_needs", "evidence_complete"});
  for (const auto route : {fb::PermissionRoute::Unknown, static_cast<fb::PermissionRoute>(99)}) {
    unanswered = ChangeOfConditionsOn(id);
    unanswered.route = route;
    const Result<CommandOutcome> refused = w.Try("camden-cw1", unanswered);
    CHECK(Refusal(refused) == "invalid_argument/route_invalid");
    // The routes it takes, not the Unknown it refuses.
    CHECK(refused.status().message().find(": one of FamilyPartnerOrParentTenYear, ") != std::string::npos);
    CHECK(refused.status().message().find("Unknown") == std::string::npos);
  }
  unanswered = ChangeOfConditionsOn(id);
  unanswered.route = fb::PermissionRoute::Other;
  CHECK(Refusal(w.Try("camden-cw1", unanswered)) == "invalid_argument/particularly_compelling_circumstances_invalid");

  // A question that does not apply is refused rather than ignored.
  AssessEarlyEducation london = EarlyEducationOn(id, toddler);
  london.lives_in_england = false;
  CHECK(Refusal(w.Try("camden-cw1", london)) == "invalid_argument/in_london_invalid");
  AssessChangeOfConditions compelling = ChangeOfConditionsOn(id);
  compelling.particularly_compelling_circumstances = true;  // the route is a family route
  CHECK(Refusal(w.Try("camden-cw1", compelling)) ==
        "invalid_argument/particularly_compelling_circumstances_invalid");

  CHECK(Refusal(w.Try("camden-cw1", EarlyEducationOn(id, "case-" + id + "/dependant-9"))) ==
        "not_found/dependant_not_found");
  w.Do("camden-cw1", RemoveDependant{id, toddler});
  CHECK(Refusal(w.Try("camden-cw1", EarlyEducationOn(id, toddler))) == "not_found/dependant_not_found");

  // Who may: the council's users, not another council, the Home Office,
  // network support or an auditor.
  CHECK(Refusal(w.Try("leeds-cw1", ChangeOfConditionsOn(id))) == "permission_denied/wrong_tenant");
  CHECK(Refusal(w.Try("ho-1", ChangeOfConditionsOn(id))) == "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try("ns-admin", ChangeOfConditionsOn(id))) == "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try("camden-auditor", ChangeOfConditionsOn(id))) == "permission_denied/role_not_permitted");
  CHECK(w.Try("camden-admin", ChangeOfConditionsOn(id)).ok());

  // Not on a closed case.
  w.Do("camden-cw1", CloseCase{id, "2025-03-03", fb::ClosureReason::NoLongerInTouch, ""});
  CHECK(Refusal(w.Try("camden-cw1", ChangeOfConditionsOn(id))) == "failed_precondition/case_closed");
  CHECK(w.Case(id).assessments.size() == 1);
}

TEST_CASE("children's needs are asked where a child's welfare is in question, and only there", "[assessment]") {
  World w;
  const std::string id = w.Do("camden-cw1", MinimalCase(SamplePerson("Kemi", "Bello", "1992-01-01"))).case_id;
  AssessChangeOfConditions a = ChangeOfConditionsOn(id);  // it answers the children's needs
  CHECK(Refusal(w.Try("camden-cw1", a)) == "invalid_argument/income_meets_childrens_needs_invalid");
  a.income_meets_childrens_needs.reset();
  w.Do("camden-cw1", a);
  const CaseState c = w.Case(id);
  REQUIRE(c.assessments.size() == 1);
  CHECK_FALSE(Sealed(c.assessments[0]).change_of_conditions()->income_meets_childrens_needs().has_value());
  // On a child's route the applicant is the child: asked.
  a.route = fb::PermissionRoute::ChildWithNonParentRelative;
  CHECK(Refusal(w.Try("camden-cw1", a)) == "invalid_argument/income_meets_childrens_needs_invalid");
  // So with an applicant under 18, whatever the route.
  const std::string young = w.Do("camden-cw1", MinimalCase(SamplePerson("Femi", "Ade", "2009-06-01"))).case_id;
  AssessChangeOfConditions b = ChangeOfConditionsOn(young);
  b.income_meets_childrens_needs.reset();
  CHECK(Refusal(w.Try("camden-cw1", b)) == "invalid_argument/income_meets_childrens_needs_invalid");
  b.income_meets_childrens_needs = false;
  w.Do("camden-cw1", b);
  CHECK(ReasonsOf(Sealed(w.Case(young).assessments[0])) ==
        Reasons{Reason::ImminentRiskOfDestitution, Reason::ChildWelfare});
}

TEST_CASE("a council in Scotland records the answer given, and the rules refuse it for England's entitlement",
          "[assessment]") {
  World w;
  const std::string id = CaseWithToddler(w, "glasgow");
  AssessEarlyEducation a = EarlyEducationOn(id, DependantSubject(id, 2));
  a.in_london = false;
  a.household_income_after_tax_pence = 1'000'000;
  w.Do("glasgow-cw1", a);
  const CaseState c = w.Case(id);
  REQUIRE(c.assessments.size() == 1);
  const fb::SealedAssessment& s = Sealed(c.assessments[0]);
  CHECK(s.outcome() == Outcome::NotEligible);
  CHECK(ReasonsOf(s) ==
        Reasons{Reason::CouncilInScotlandOrNorthernIreland, Reason::IncomeWithinThreshold, Reason::SavingsWithinLimit});
  CHECK(s.early_education()->lives_in_england() == true);  // as answered
}

TEST_CASE("the Home Office reads a case's change of conditions assessments, not its children's early education",
          "[assessment]") {
  World w;
  const std::string id = CaseWithToddler(w, "camden");
  w.Do("camden-cw1", EarlyEducationOn(id, DependantSubject(id, 2)));
  w.Do("camden-cw1", ChangeOfConditionsOn(id));
  Result<CaseState> ho = w.service->ReadCase("ho-1", id);
  REQUIRE(ho.ok());
  REQUIRE(ho->assessments.size() == 1);
  CHECK(ho->assessments[0].kind == fb::AssessmentKind::ChangeOfConditions);
  CHECK(ho->assessments[0].sealed.has_value());
  // Nor in its timeline: the event is there, not what it asked or found.
  Result<RecordedCaseRead> read = w.service->ReadCaseRecorded("ho-1", id, {"case_timeline"});
  REQUIRE(read.ok());
  CHECK(read->hidden_assessments == std::vector<fb::AssessmentKind>{fb::AssessmentKind::EarlyEducationTwoYearOld});
  replay::HistoryOptions options;
  options.hidden_assessments = read->hidden_assessments;
  Result<replay::CaseHistory> history = replay::ReadCaseHistory(*w.ledger, id, options);
  REQUIRE(history.ok());
  std::size_t events = 0;
  for (const replay::TimelineEntry& e : history->entries) {
    if (e.type != event_type::kAssessmentRecorded) continue;
    ++events;
    for (const replay::Change& change : e.changes) {
      INFO(change.field);
      CHECK(change.field.rfind("assessment[AS1]", 0) != 0);
    }
  }
  CHECK(events == 2);
  REQUIRE(history->state.assessments.size() == 1);
  CHECK(history->state.assessments[0].assessment_id == "AS2");
  const replay::Fields fields = replay::FlattenCase(history->state);
  CHECK(std::none_of(fields.begin(), fields.end(),
                     [](const auto& f) { return f.first.rfind("assessment[AS1]", 0) == 0; }));
  Result<CaseState> auditor = w.service->ReadCase("camden-auditor", id);
  REQUIRE(auditor.ok());
  CHECK(auditor->assessments.size() == 2);
  Result<CaseState> support = w.service->ReadCase("ns-admin", id);
  REQUIRE(support.ok());
  CHECK(support->assessments.empty());
}

TEST_CASE("an assessment's sealed part goes with the household's erasure, its kind and rules stay", "[assessment]") {
  World w;
  const std::string keep = w.NewCase("camden");
  const std::string dup = w.NewCase("camden", SamplePerson("Amina", "Okafor", "1990-05-17"));
  w.Do("camden-cw1", ChangeOfConditionsOn(dup));
  w.Do("camden-cw1", FlagDuplicate{dup, keep});
  w.Do("ns-admin", RemoveDuplicate{dup});
  const CaseState c = w.Case(dup);
  REQUIRE(c.assessments.size() == 1);
  CHECK_FALSE(c.assessments[0].sealed.has_value());
  CHECK(c.assessments[0].kind == fb::AssessmentKind::ChangeOfConditions);
  CHECK(c.assessments[0].rule_version == "change-of-conditions/4.0");

  // The case view says so: erased, and nothing of what was sealed.
  RecordedCaseRead read;
  read.state = c;
  read.visibility = CaseVisibility::kFull;
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(server::BuildCaseView(fbb, read));
  const auto* view = flatbuffers::GetRoot<api::fb::CaseView>(fbb.GetBufferPointer());
  REQUIRE(view->assessments() != nullptr);
  REQUIRE(view->assessments()->size() == 1);
  const api::fb::AssessmentView* a = view->assessments()->Get(0);
  CHECK(a->erased());
  CHECK(a->kind() == fb::AssessmentKind::ChangeOfConditions);
  CHECK(a->rule_version()->str() == "change-of-conditions/4.0");
  CHECK_FALSE(a->outcome().has_value());
  CHECK(a->reasons() == nullptr);
  CHECK(a->change_of_conditions() == nullptr);
  CHECK(a->note() == nullptr);
}

}  // namespace
}  // namespace nrpf::test
