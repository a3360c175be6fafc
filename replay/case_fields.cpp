#include "replay/case_fields.h"

#include <chrono>
#include <cstdio>
#include <unordered_map>

#include "domain/events.h"

namespace nrpf::replay {

namespace fb = ::nrpf::domain::fb;
namespace t = ::nrpf::domain::event_type;

std::string FormatTime(std::int64_t us) {
  using namespace std::chrono;
  const sys_time<microseconds> tp{microseconds(us)};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd(day);
  const hh_mm_ss<microseconds> hms(tp - day);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<long long>(hms.subseconds().count()));
  return buf;
}

unsigned SectionsChangedBy(std::string_view type) {
  if (type == t::kCaseCreated) return kScalars | kPeople;
  if (type == t::kApplicantAmended) return kCore | kPeople;
  if (type == t::kDependantAdded || type == t::kDependantRemoved) return kPeople;
  if (type == t::kCaseworkerAllocated || type == t::kTeamChanged || type == t::kDuplicateFlagged) return kCore;
  if (type == t::kFinanceRecorded || type == t::kFinanceAmended || type == t::kFinanceEnded) return kCore | kFinance;
  if (type == t::kStatusCheckCompleted || type == t::kImmigrationStatusUpdated) return kImmigration;
  if (type == t::kCaseClosed || type == t::kCaseReopened) return kCore | kClosure;
  if (type == t::kDuplicateRemoved) return kAllSections;
  if (type == t::kPersonAdvised) return kCore | kAdviceItems;
  if (type == t::kAssessmentRecorded) return kAssessmentItems;
  if (type == t::kAlertRaised || type == t::kAlertClosed) return kAlertItems;
  if (type == t::kQueryRaised || type == t::kQueryAnswered) return kQueryItems;
  return kScalars;
}

namespace {

std::string Bool(bool b) { return b ? "yes" : "no"; }
std::string Pence(std::int64_t p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%lld.%02lld", p < 0 ? "-" : "", static_cast<long long>((p < 0 ? -p : p) / 100),
                static_cast<long long>((p < 0 ? -p : p) % 100));
  return buf;
}
std::string Time(std::int64_t us) { return us == 0 ? "" : FormatTime(us); }
std::string Text(const std::optional<std::string>& s, bool erased) {
  return s ? *s : (erased ? "[erased]" : "[sealed]");
}

void Put(Fields* out, std::string key, std::string value) { out->emplace_back(std::move(key), std::move(value)); }

void FlattenPerson(const std::string& prefix, const domain::PersonState& p, bool erased, Fields* out) {
  Put(out, prefix + ".subject", p.subject);
  if (p.removed) Put(out, prefix + ".removed", "yes");
  if (!p.details) {
    Put(out, prefix + ".details", erased ? "[erased]" : "[sealed]");
    return;
  }
  const domain::Person& d = *p.details;
  Put(out, prefix + ".name", d.FullName());
  Put(out, prefix + ".date_of_birth", d.date_of_birth);
  Put(out, prefix + ".nationality", d.nationality);
  Put(out, prefix + ".home_office_reference", d.home_office_reference);
  std::string docs;
  for (const auto& [type, number] : d.documents) {
    if (!docs.empty()) docs += ", ";
    docs += EnumText(type, fb::EnumNameDocumentType(type)) + " " + number;
  }
  Put(out, prefix + ".documents", docs);
  Put(out, prefix + ".address", d.address);
  if (!d.relationship.empty()) Put(out, prefix + ".relationship", d.relationship);
}

}  // namespace

void FlattenScalars(const domain::CaseState& c, Fields* out, unsigned sections) {
  if (sections & kCore) {
    Put(out, "organisation", c.organisation_id);
    Put(out, "status", EnumText(c.status, fb::EnumNameCaseStatus(c.status)));
    Put(out, "team", c.team_id);
    Put(out, "caseworker", c.caseworker_id);
    Put(out, "household_type", EnumText(c.household_type, fb::EnumNameHouseholdType(c.household_type)));
    Put(out, "legislation", EnumText(c.legislation, fb::EnumNameLegislation(c.legislation)));
    Put(out, "referral_date", c.referral_date);
    Put(out, "advised_details_shared", Bool(c.advised_details_shared));
    Put(out, "urgent", c.urgent ? EnumText(c.urgent_reason, fb::EnumNameUrgentReason(c.urgent_reason)) : "no");
    if (!c.rtpf_lookup_id.empty()) Put(out, "rtpf_lookup", c.rtpf_lookup_id);
    if (!c.duplicate_of.empty()) Put(out, "duplicate_of", c.duplicate_of);
    if (c.removed) Put(out, "removed_as_duplicate", "yes");
    if (c.personal_data_erased) Put(out, "personal_data", "[erased]");
  }
  const domain::FinanceState& f = c.finance;
  if ((sections & kFinance) && f.recorded) {
    Put(out, "finance.active", Bool(f.active));
    Put(out, "finance.first_start_date", f.first_start_date);
    Put(out, "finance.start_date", f.start_date);
    Put(out, "finance.end_date", f.end_date);
    Put(out, "finance.person_costs_weekly", Pence(f.person_costs_weekly_pence));
    Put(out, "finance.accommodation_costs_weekly", Pence(f.accommodation_costs_weekly_pence));
    Put(out, "finance.accommodation_provided", Bool(f.accommodation_provided));
  }
  const domain::ImmigrationState& im = c.immigration;
  if ((sections & kImmigration) && im.known) {
    Put(out, "immigration.status", EnumText(im.status, fb::EnumNameImmigrationStatus(im.status)));
    Put(out, "immigration.recourse_to_public_funds", Bool(im.recourse_to_public_funds));
    Put(out, "immigration.status_checks", std::to_string(im.checks));
    Put(out, "immigration.note", Text(im.note, c.personal_data_erased));
  }
  if (sections & kClosure) {
    if (c.closures > 0) {
      Put(out, "closure.date", c.closure_date);
      Put(out, "closure.reason", EnumText(c.closure_reason, fb::EnumNameClosureReason(c.closure_reason)));
      Put(out, "closure.note", Text(c.closure_note, c.personal_data_erased));
      Put(out, "closures", std::to_string(c.closures));
    }
    if (c.reopenings > 0) {
      Put(out, "reopenings", std::to_string(c.reopenings));
      Put(out, "reopened_on", c.reopened_on);
    }
  }
}

void FlattenPeople(const domain::CaseState& c, Fields* out) {
  FlattenPerson("applicant", c.applicant, c.personal_data_erased, out);
  for (const domain::PersonState& d : c.dependants) FlattenPerson("dependant[" + d.subject + "]", d, c.personal_data_erased, out);
}

void FlattenAlert(const domain::AlertState& a, Fields* out) {
  const std::string p = "alert[" + a.alert_id + "]";
  Put(out, p + ".kind", EnumText(a.kind, fb::EnumNameAlertKind(a.kind)));
  if (!a.query_id.empty()) Put(out, p + ".query", a.query_id);
  Put(out, p + ".caseworker", a.caseworker_id);
  Put(out, p + ".open", Bool(a.open));
  if (!a.open) {
    Put(out, p + ".closed_by", a.closed_by);
    Put(out, p + ".closed_because", EnumText(a.because, fb::EnumNameAlertClosedBecause(a.because)));
  }
}

void FlattenQuery(const domain::CaseState& c, const domain::QueryState& q, Fields* out) {
  const std::string p = "query[" + q.query_id + "]";
  Put(out, p + ".direction", EnumText(q.direction, fb::EnumNameQueryDirection(q.direction)));
  Put(out, p + ".topic", EnumText(q.topic, fb::EnumNameQueryTopic(q.topic)));
  Put(out, p + ".urgent", q.urgent ? EnumText(q.urgent_reason, fb::EnumNameUrgentReason(q.urgent_reason)) : "no");
  Put(out, p + ".raised_by", q.raised_by);
  Put(out, p + ".question", Text(q.question, c.personal_data_erased));
  Put(out, p + ".answered", Bool(q.answered));
  if (q.answered) {
    Put(out, p + ".answered_by", q.answered_by);
    Put(out, p + ".answer", Text(q.answer, c.personal_data_erased));
  }
}

void FlattenAdvice(const domain::AdviceRecord& a, std::size_t index, Fields* out) {
  const std::string p = "advice[" + std::to_string(index + 1) + "]";
  Put(out, p + ".advised_on", a.advised_on);
  Put(out, p + ".of", EnumText(a.of, fb::EnumNameAdvisedOf(a.of)));
  Put(out, p + ".recorded_by", a.recorded_by);
  if (a.note) Put(out, p + ".note", *a.note);
}

void FlattenAssessment(const domain::AssessmentRecord& a, bool erased, Fields* out) {
  const std::string p = "assessment[" + a.assessment_id + "]";
  Put(out, p + ".kind", EnumText(a.kind, fb::EnumNameAssessmentKind(a.kind)));
  Put(out, p + ".subject", a.subject);
  Put(out, p + ".rule_version", a.rule_version);
  Put(out, p + ".assessed_by", a.assessed_by);
  // The rest is sealed under the applicant: the household's circumstances.
  const std::string q = p + ".sealed";
  const fb::SealedAssessment* in = a.sealed ? domain::DecodeSealedAssessment(*a.sealed) : nullptr;
  if (in == nullptr) {
    Put(out, q, Text(std::nullopt, erased));
    return;
  }
  const auto yes_no = [](const flatbuffers::Optional<bool>& v) { return v ? Bool(*v) : std::string(); };
  const auto pence = [](const flatbuffers::Optional<std::int64_t>& v) { return v ? Pence(*v) : std::string(); };
  Put(out, q + ".assessed_on", in->assessed_on() != nullptr ? in->assessed_on()->str() : "");
  Put(out, q + ".outcome", EnumText(in->outcome(), fb::EnumNameAssessmentOutcome(in->outcome())));
  std::string reasons;
  if (in->reasons() != nullptr) {
    for (const fb::AssessmentReason reason : *in->reasons()) {
      reasons += (reasons.empty() ? "" : ", ") + EnumText(reason, fb::EnumNameAssessmentReason(reason));
    }
  }
  Put(out, q + ".reasons", reasons);
  if (in->income_threshold_pence()) Put(out, q + ".income_threshold", pence(in->income_threshold_pence()));
  if (const fb::EarlyEducationInputs* e = in->early_education()) {
    Put(out, q + ".lives_in_england", yes_no(e->lives_in_england()));
    Put(out, q + ".in_london", yes_no(e->in_london()));
    Put(out, q + ".household_income_after_tax", pence(e->household_income_after_tax_pence()));
    Put(out, q + ".children_in_household",
        e->children_in_household() ? std::to_string(*e->children_in_household()) : std::string());
    Put(out, q + ".savings", pence(e->savings_pence()));
    Put(out, q + ".parent_with_recourse", yes_no(e->parent_with_recourse()));
    Put(out, q + ".child_age_months", e->child_age_months() ? std::to_string(*e->child_age_months()) : std::string());
    Put(out, q + ".place_from", e->place_from() != nullptr ? e->place_from()->str() : "");
    Put(out, q + ".universal_from", e->universal_from() != nullptr ? e->universal_from()->str() : "");
  }
  if (const fb::ChangeOfConditionsInputs* c = in->change_of_conditions()) {
    Put(out, q + ".route", EnumText(c->route(), fb::EnumNamePermissionRoute(c->route())));
    Put(out, q + ".has_accommodation", yes_no(c->has_accommodation()));
    Put(out, q + ".accommodation_adequate", yes_no(c->accommodation_adequate()));
    Put(out, q + ".can_meet_living_needs", yes_no(c->can_meet_living_needs()));
    Put(out, q + ".has_accommodation_in_3_months", yes_no(c->has_accommodation_in_3_months()));
    Put(out, q + ".accommodation_adequate_in_3_months", yes_no(c->accommodation_adequate_in_3_months()));
    Put(out, q + ".can_meet_living_needs_in_3_months", yes_no(c->can_meet_living_needs_in_3_months()));
    if (c->income_meets_childrens_needs()) {
      Put(out, q + ".income_meets_childrens_needs", yes_no(c->income_meets_childrens_needs()));
    }
    Put(out, q + ".exceptional_circumstances", yes_no(c->exceptional_circumstances()));
    Put(out, q + ".evidence_complete", yes_no(c->evidence_complete()));
    if (c->particularly_compelling_circumstances()) {
      Put(out, q + ".particularly_compelling_circumstances", yes_no(c->particularly_compelling_circumstances()));
    }
    Put(out, q + ".council_supporting", yes_no(c->council_supporting()));
  }
  if (in->note() != nullptr) Put(out, q + ".note", in->note()->str());
}

Fields FlattenCase(const domain::CaseState& c) {
  Fields f;
  Put(&f, "case", c.case_id);
  Put(&f, "version", std::to_string(c.version));
  Put(&f, "created_at", Time(c.created_at_us));
  Put(&f, "created_by", c.created_by);
  FlattenScalars(c, &f);
  FlattenPeople(c, &f);
  for (const domain::AlertState& a : c.alerts) FlattenAlert(a, &f);
  for (const domain::QueryState& q : c.queries) FlattenQuery(c, q, &f);
  for (std::size_t i = 0; i < c.advice.size(); ++i) FlattenAdvice(c.advice[i], i, &f);
  for (const domain::AssessmentRecord& a : c.assessments) FlattenAssessment(a, c.personal_data_erased, &f);
  return f;
}

std::vector<Change> Diff(const Fields& before, const Fields& after) {
  std::vector<Change> changes;
  // Flattening writes the fields in a fixed order, and most events leave the
  // keys as they were: the common run of keys is compared pair by pair.
  std::size_t same = 0;
  while (same < before.size() && same < after.size() && before[same].first == after[same].first) {
    if (before[same].second != after[same].second) {
      changes.push_back({after[same].first, before[same].second, after[same].second});
    }
    ++same;
  }
  if (same == before.size() && same == after.size()) return changes;
  // The rest, where fields came or went, is matched by key.
  std::unordered_map<std::string_view, std::string_view> old;
  old.reserve(before.size() - same);
  for (std::size_t i = same; i < before.size(); ++i) old.emplace(before[i].first, before[i].second);
  for (std::size_t i = same; i < after.size(); ++i) {
    const auto& [k, v] = after[i];
    auto it = old.find(k);
    if (it == old.end()) {
      if (!v.empty()) changes.push_back({k, "", v});
    } else {
      if (it->second != v) changes.push_back({k, std::string(it->second), v});
      old.erase(it);
    }
  }
  for (std::size_t i = same; i < before.size(); ++i) {
    const auto& [k, v] = before[i];
    if (old.count(k) != 0 && !v.empty()) changes.push_back({k, v, ""});
  }
  return changes;
}

}  // namespace nrpf::replay
