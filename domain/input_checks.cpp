#include "domain/input_checks.h"

#include "domain/decide.h"

namespace nrpf::domain {

Status Invalid(const Field& field, std::string message) {
  return Status::InvalidArgument(std::move(message)).WithReason(field.stem + "_invalid").WithField(field.path);
}

bool IsDateShaped(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (date[i] < '0' || date[i] > '9') return false;
  }
  return true;
}

Status CheckId(const Field& field, const std::string& id) {
  if (id.empty() || id.size() > kMaxId) return Invalid(field, field.path + " must be 1..64 characters");
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return Invalid(field, field.path + " may hold only letters, digits, '-', '_' and '.'");
  }
  return Status::Ok();
}

Status CheckText(const Field& field, const std::string& text, std::size_t max) {
  if (text.size() > max) return Invalid(field, field.path + " is longer than " + std::to_string(max));
  if (text.find('\0') != std::string::npos) return Invalid(field, field.path + " holds a NUL byte");
  return Status::Ok();
}

Status CheckDate(const Field& field, const std::string& date) {
  if (IsIsoDate(date)) return Status::Ok();
  if (!IsDateShaped(date)) return Invalid(field, field.path + " must be a date written YYYY-MM-DD");
  if (date < "1900") return Invalid(field, field.path + " is before 1900");
  return Invalid(field, field.path + " is not a day of the calendar");
}

Status CheckNotFuture(const Field& field, const std::string& date, const std::string& today) {
  if (date > today) return Invalid(field, field.path + " " + date + " is in the future (today is " + today + ")");
  return Status::Ok();
}

Status CheckPastDate(const Field& field, const std::string& date, const std::string& today) {
  NRPF_RETURN_IF_ERROR(CheckDate(field, date));
  return CheckNotFuture(field, date, today);
}

Status CheckUrgentReason(bool urgent, fb::UrgentReason reason) {
  if (!InRange(reason, fb::UrgentReason::MAX)) return Invalid("urgent_reason", "unknown urgent reason");
  if (urgent && reason == fb::UrgentReason::None) return Invalid("urgent_reason", "an urgent request needs its reason");
  return Status::Ok();
}

void CheckPerson(const std::string& path, const std::string& stem, const Person& p, const std::string* today,
                 Problems* problems) {
  const auto at = [&](const char* name, const char* reason) { return Field(path + "." + name, stem + reason); };
  if (p.given_names.empty() && p.family_name.empty()) {
    problems->Add(Invalid(at("family_name", "_name"), path + " needs a name: given_names or family_name"));
  }
  problems->Add(CheckText(at("given_names", "_name"), p.given_names, kMaxName));
  problems->Add(CheckText(at("family_name", "_name"), p.family_name, kMaxName));
  const Field born = at("date_of_birth", "_date_of_birth");
  problems->Add(today != nullptr ? CheckPastDate(born, p.date_of_birth, *today) : CheckDate(born, p.date_of_birth));
  problems->Add(CheckText(at("nationality", "_nationality"), p.nationality, kMaxName));
  problems->Add(CheckText(at("home_office_reference", "_home_office_reference"), p.home_office_reference, kMaxName));
  problems->Add(CheckText(at("address", "_address"), p.address, kMaxText));
  problems->Add(CheckText(at("relationship", "_relationship"), p.relationship, kMaxName));
  for (std::size_t i = 0; i < p.documents.size(); ++i) {
    const auto& [type, number] = p.documents[i];
    const std::string doc = path + ".documents[" + std::to_string(i) + "]";
    if (!InRange(type, fb::DocumentType::MAX)) {
      problems->Add(Invalid(Field(doc + ".type", stem + "_document"), "unknown document type"));
    }
    const Field num(doc + ".number", stem + "_document");
    problems->Add(number.empty() ? Invalid(num, "a document needs its number") : CheckText(num, number, kMaxName));
  }
}

}  // namespace nrpf::domain
