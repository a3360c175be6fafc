// The checks of a command's input, field by field: each names the field it
// refuses by its path in the request (Field) and a stable reason
// ("<stem>_invalid"), and Problems gathers them so that a form's mistakes
// are refused together. The rules that need the state (a case, an account)
// are decide.cpp's.

#ifndef NRPF_DOMAIN_INPUT_CHECKS_H_
#define NRPF_DOMAIN_INPUT_CHECKS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/model.h"
#include "ledger/status.h"

namespace nrpf::domain {

// A field of a command: its path in the request, as the JSON names it
// ("applicant.date_of_birth", "dependants[1].family_name"), and the stem of
// the stable reason its problems are refused with ("<stem>_invalid"). A
// top-level field's stem is its name.
struct Field {
  Field(const char* name) : path(name), stem(name) {}          // NOLINT: a top-level field
  Field(const std::string& name) : path(name), stem(name) {}   // NOLINT: a top-level field
  Field(std::string path_in, std::string stem_in) : path(std::move(path_in)), stem(std::move(stem_in)) {}
  std::string path;
  std::string stem;
};

// A problem with one field: invalid_argument/<stem>_invalid, naming the field.
Status Invalid(const Field& field, std::string message);

// The problems with a command's input, gathered so that a form can show
// them all at once instead of one per attempt. Checks run in the order a
// single refusal would have named them: the first problem found is the
// refusal's own reason and message.
class Problems {
 public:
  // Adds the fields `s` names (a status from Invalid or a Check function).
  void Add(const Status& s) {
    if (s.ok()) return;
    if (s.fields().empty()) {
      errors_.push_back({"", s.reason(), s.message()});
      return;
    }
    errors_.insert(errors_.end(), s.fields().begin(), s.fields().end());
  }
  // Ok, or invalid_argument with the first problem's reason, carrying all.
  Status Done() && {
    if (errors_.empty()) return Status::Ok();
    const FieldError first = errors_.front();
    return Status::InvalidArgument(first.message).WithReason(first.reason).WithFields(std::move(errors_));
  }

 private:
  std::vector<FieldError> errors_;
};

// Written as YYYY-MM-DD, whether or not it is a day of the calendar.
bool IsDateShaped(std::string_view date);

template <typename E>
bool InRange(E value, E max) {
  return static_cast<unsigned>(value) <= static_cast<unsigned>(max);
}

// An enum a command cannot do without. Refused, naming the field, when the
// caller left it out (no value of an enum is a safe guess: the first one
// would be recorded as if chosen) or sent a value this build does not know.
// Values below `first` (an enum's Unknown) count as left out.
template <typename E>
Status CheckEnum(const Field& field, const std::optional<E>& value, E max, const char* const* names,
                 const std::string& unknown, E first = E(0)) {
  const bool given = value && static_cast<unsigned>(*value) >= static_cast<unsigned>(first);
  if (given && InRange(*value, max)) return Status::Ok();
  std::string one_of;
  for (unsigned i = static_cast<unsigned>(first); i <= static_cast<unsigned>(max); ++i) {
    one_of += (i == static_cast<unsigned>(first) ? "" : ", ") + std::string(names[i]);
  }
  return Invalid(field, (given ? unknown : field.path + " is required") + ": one of " + one_of);
}

// Longest text a field may hold; beyond it the input is refused rather than cut.
inline constexpr std::size_t kMaxName = 200;
inline constexpr std::size_t kMaxText = 20000;
inline constexpr std::size_t kMaxId = 64;

// 1..64 letters, digits, '-', '_' or '.'.
Status CheckId(const Field& field, const std::string& id);
// At most `max` bytes, no NUL.
Status CheckText(const Field& field, const std::string& text, std::size_t max);
// A day of the calendar from 1900, written YYYY-MM-DD.
Status CheckDate(const Field& field, const std::string& date);
// A date that has happened: on or before `today` (the UK local date of the
// command's own time). Dates are compared as written, YYYY-MM-DD.
Status CheckNotFuture(const Field& field, const std::string& date, const std::string& today);
// A date written YYYY-MM-DD that is not after `today`.
Status CheckPastDate(const Field& field, const std::string& date, const std::string& today);
// An urgent request's reason: known, and given when the request is urgent.
Status CheckUrgentReason(bool urgent, fb::UrgentReason reason);
// A person's details. `path` is where the person is in the request
// ("applicant", "dependants[0]", "details") and `stem` what its reasons
// begin with ("applicant", "dependant"). `today`, when given, is the date
// the date of birth may not be after (a person not yet born); an amendment
// leaving the date as stored passes null.
void CheckPerson(const std::string& path, const std::string& stem, const Person& p, const std::string* today,
                 Problems* problems);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_INPUT_CHECKS_H_
