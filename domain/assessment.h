// Decision support: the rules of seed 004 (the early education entitlement
// for 2-year-olds in households with no recourse to public funds) and of
// seed 003 (the Home Office's criteria for lifting the NRPF condition),
// applied to a caseworker's answers and the case's facts. Pure functions of
// their inputs: the outcome, every reason for it, and the version of the
// rules applied. docs/domain.md "Assessments" states each rule in the
// users' words.

#ifndef NRPF_DOMAIN_ASSESSMENT_H_
#define NRPF_DOMAIN_ASSESSMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "schema/nrpf_events_generated.h"

namespace nrpf::domain {

namespace fb = ::nrpf::domain::fb;

// Rule versions, as recorded with each assessment. A change of thresholds
// or criteria is a new version; assessments keep the version they used.
inline constexpr std::string_view kEarlyEducationRules = "early-education-2yo/1";
inline constexpr std::string_view kChangeOfConditionsRules = "change-of-conditions/4.0";

// The most savings a household may have: 16,000 pounds (seed 004).
inline constexpr std::int64_t kEarlyEducationSavingsLimitPence = 1'600'000;

struct EarlyEducationFacts {
  bool lives_in_england = false;
  // The council's: England and Wales share bank holidays, so a Welsh
  // council cannot be told from an English one; Scotland and Northern
  // Ireland can.
  fb::Nation council_nation = fb::Nation::EnglandAndWales;
  bool in_london = false;
  std::int64_t household_income_after_tax_pence = 0;  // a year
  std::uint32_t children_in_household = 0;
  std::int64_t savings_pence = 0;
  bool parent_with_recourse = false;
  std::uint32_t child_age_months = 0;  // on the day assessed
  std::string assessed_on;             // YYYY-MM-DD
  std::string universal_from;          // YYYY-MM-DD: the term after the third birthday
};

struct ChangeOfConditionsFacts {
  fb::PermissionRoute route = fb::PermissionRoute::Unknown;
  bool has_accommodation = false;
  bool accommodation_adequate = false;
  bool can_meet_living_needs = false;
  bool has_accommodation_in_3_months = false;
  bool accommodation_adequate_in_3_months = false;
  bool can_meet_living_needs_in_3_months = false;
  std::optional<bool> income_meets_childrens_needs;  // nullopt: no dependent children
  bool exceptional_circumstances = false;
  bool evidence_complete = false;
  std::optional<bool> particularly_compelling_circumstances;  // route Other
  bool council_supporting = false;  // the case's finance is active
};

struct AssessmentResult {
  fb::AssessmentOutcome outcome = fb::AssessmentOutcome::Unknown;
  std::vector<fb::AssessmentReason> reasons;
  std::string_view rule_version;
  std::optional<std::int64_t> income_threshold_pence;  // early education, when income was tested
};

// The most household income after tax, a year, for the entitlement:
// outside London 26,500 pounds for one child and 30,600 for two or more
// (seed 004); in London 34,500 and 38,600 (the Department for Education's
// London thresholds, which seed 004 does not list).
std::int64_t EarlyEducationIncomeThresholdPence(bool in_london, std::uint32_t children_in_household);

// REQUIRES: children_in_household >= 1; dates valid YYYY-MM-DD.
AssessmentResult EarlyEducationRules(const EarlyEducationFacts& facts);
// REQUIRES: route is not Unknown; particularly_compelling_circumstances is
// given for route Other.
AssessmentResult ChangeOfConditionsRules(const ChangeOfConditionsFacts& facts);

// Whether a change of conditions assessment of case `c` asks about a
// child's needs: an applicant or current dependant under 18 on `today`
// (YYYY-MM-DD), or a route on which the applicant is a child (Appendix
// FM's child route, Appendix CNP).
bool ConcernsAChild(const CaseState& c, std::optional<fb::PermissionRoute> route, std::string_view today);

// The answers and facts as a sealed assessment holds them.
flatbuffers::Offset<fb::EarlyEducationInputs> CreateInputs(flatbuffers::FlatBufferBuilder& fbb,
                                                           const EarlyEducationFacts& facts,
                                                           const std::string& place_from);
flatbuffers::Offset<fb::ChangeOfConditionsInputs> CreateInputs(flatbuffers::FlatBufferBuilder& fbb,
                                                               const ChangeOfConditionsFacts& facts);

// Whole months from `date_of_birth` to `on` (both YYYY-MM-DD), nullopt
// unless both are dates and `on` is not before the birth. A month is
// complete on the same day of the month, or on the 1st of the next when
// the month has no such day (born 31 January: one month on 1 March).
std::optional<std::uint32_t> AgeInMonths(std::string_view date_of_birth, std::string_view on);
// The first day of the funded term after `birthday` (YYYY-MM-DD): terms
// start on 1 January, 1 April and 1 September, and a birthday in
// September to December is followed by the January term, in January to
// March by the April term, in April to August by the September term.
// Empty unless `birthday` is a date.
std::string TermAfter(std::string_view birthday);
// The day a person born on `date_of_birth` turns `years`, YYYY-MM-DD (29
// February: 1 March in other years). Empty unless it is a date.
std::string Birthday(std::string_view date_of_birth, int years);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_ASSESSMENT_H_
