// Decision support: the rules of seed 004 (the early education entitlement
// for 2-year-olds in households with no recourse to public funds) and of
// seed 003 (the Home Office's criteria for lifting the NRPF condition),
// applied to a caseworker's answers. Pure functions of their inputs: the
// outcome, every reason for it, and the version of the rules applied.
// docs/domain.md "Assessments" states each rule in the users' words.

#ifndef NRPF_DOMAIN_ASSESSMENT_H_
#define NRPF_DOMAIN_ASSESSMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  bool in_london = false;
  std::int64_t household_income_after_tax_pence = 0;  // a year
  std::uint32_t children_in_household = 0;
  std::int64_t savings_pence = 0;
  bool parent_with_recourse = false;
  std::string child_date_of_birth;  // YYYY-MM-DD
  std::string assessed_on;          // YYYY-MM-DD
};

struct ChangeOfConditionsFacts {
  fb::PermissionRoute route = fb::PermissionRoute::Other;
  bool has_accommodation = false;
  bool accommodation_adequate = false;
  bool can_meet_living_needs = false;
  bool has_accommodation_in_3_months = false;
  bool accommodation_adequate_in_3_months = false;
  bool can_meet_living_needs_in_3_months = false;
  std::optional<bool> income_meets_childrens_needs;  // nullopt: no dependent children
  bool exceptional_circumstances = false;
  bool evidence_complete = false;
  bool council_supporting = false;  // the case's finance is active
};

struct AssessmentResult {
  fb::AssessmentOutcome outcome = fb::AssessmentOutcome::NotEligible;
  std::vector<fb::AssessmentReason> reasons;
  std::string_view rule_version;
  std::int64_t income_threshold_pence = 0;  // early education
};

// The most household income after tax, a year, for the entitlement:
// outside London 26,500 pounds for one child and 30,600 for two or more
// (seed 004); in London 34,500 and 38,600 (the Department for Education's
// published London thresholds, which seed 004 does not list).
std::int64_t EarlyEducationIncomeThresholdPence(bool in_london, std::uint32_t children_in_household);

// REQUIRES: both dates are valid YYYY-MM-DD dates, children_in_household >= 1.
AssessmentResult EarlyEducationRules(const EarlyEducationFacts& facts);
AssessmentResult ChangeOfConditionsRules(const ChangeOfConditionsFacts& facts);

// The answers as an "assessment" section holds them (AssessmentInputs),
// and back. What is not an answer stays out: the day assessed, and whether
// the council supports the household (the case says).
flatbuffers::Offset<fb::EarlyEducationInputs> CreateInputs(flatbuffers::FlatBufferBuilder& fbb,
                                                           const EarlyEducationFacts& facts);
flatbuffers::Offset<fb::ChangeOfConditionsInputs> CreateInputs(flatbuffers::FlatBufferBuilder& fbb,
                                                               const ChangeOfConditionsFacts& facts);
EarlyEducationFacts FactsOf(const fb::EarlyEducationInputs& inputs);
ChangeOfConditionsFacts FactsOf(const fb::ChangeOfConditionsInputs& inputs);

// Whole years from `date_of_birth` to `on` (both YYYY-MM-DD); a birthday on
// 29 February counts as reached on 1 March in other years.
int AgeInYears(std::string_view date_of_birth, std::string_view on);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_ASSESSMENT_H_
