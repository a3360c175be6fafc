// A case's state as named fields ("finance.start_date" -> "2025-03-03"), for
// timelines that say what an event changed from what to what, and for
// reports of the state as of a time. Personal data that could not be opened
// reads "[sealed]" (no master key) or "[erased]" (its subject was shredded).

#ifndef NRPF_REPLAY_CASE_FIELDS_H_
#define NRPF_REPLAY_CASE_FIELDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/model.h"

namespace nrpf::replay {

using Fields = std::vector<std::pair<std::string, std::string>>;

// "2025-03-03T10:00:00.000000Z".
std::string FormatTime(std::int64_t us);
// An enum value's name in the schema (e.g. "OpenFinanciallySupported"), or
// its number for a value a newer version added.
template <typename E>
std::string EnumText(E value, const char* name) {
  return name != nullptr && *name != '\0' ? std::string(name) : std::to_string(static_cast<std::uint32_t>(value));
}

// The parts of a case an event can change, to flatten only those.
enum CaseSection : unsigned {
  kCore = 1,           // status, team, caseworker, legislation, duplicate flags, ...
  kFinance = 2,
  kImmigration = 4,
  kClosure = 8,
  kScalars = 15,       // all of the above
  kPeople = 16,        // applicant and dependants
  kAlertItems = 32,    // alerts
  kQueryItems = 64,    // queries
  kAdviceItems = 128,  // advice records
  kAssessmentItems = 256,  // assessments
  kAllSections = 511,
};
// The sections an event of `type` can change (all scalar sections for a
// type this version does not know).
unsigned SectionsChangedBy(std::string_view type);

// The scalar sections of `sections`.
void FlattenScalars(const domain::CaseState& c, Fields* out, unsigned sections = kScalars);
void FlattenPeople(const domain::CaseState& c, Fields* out);
void FlattenAlert(const domain::AlertState& a, Fields* out);
void FlattenQuery(const domain::CaseState& c, const domain::QueryState& q, Fields* out);
void FlattenAdvice(const domain::AdviceRecord& a, std::size_t index, Fields* out);
// What is sealed ("assessment[AS1].sealed.*": the answers, the outcome and
// its reasons) is the applicant's personal data; `erased` says how to show
// it when it cannot be read.
void FlattenAssessment(const domain::AssessmentRecord& a, bool erased, Fields* out);
// Every field of the case.
Fields FlattenCase(const domain::CaseState& c);

struct Change {
  std::string field;
  std::string before;  // "" when the field is new
  std::string after;   // "" when the field is gone
};
// The fields whose values differ, in the order of `after` (then fields only
// in `before`).
std::vector<Change> Diff(const Fields& before, const Fields& after);

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_CASE_FIELDS_H_
