#include "projections/projections.h"

#include <algorithm>
#include <chrono>

#include "domain/calendar.h"
#include "domain/fold.h"
#include "ledger/coding.h"

namespace nrpf::projections {

namespace {

namespace t = domain::event_type;
using domain::CaseState;
using domain::EventView;
using domain::PersonState;

constexpr double kNameMatchThreshold = 0.75;

bool ChangesPeople(std::string_view type) {
  return type == t::kCaseCreated || type == t::kApplicantAmended || type == t::kDependantAdded ||
         type == t::kDuplicateRemoved;
}

// The local date `days` before the local date of `now_us`.
std::string DateDaysBefore(std::int64_t now_us, int days) {
  const auto today = std::chrono::sys_days(domain::LondonDate(now_us));
  return domain::IsoDate(std::chrono::year_month_day(today - std::chrono::days(days)));
}

// Canonical text output for Dump(): "key=value" fields separated by '|',
// values with '|', '\n' and '\\' escaped.
class Line {
 public:
  explicit Line(std::string* out, std::string_view kind) : out_(out) { out_->append(kind); }
  ~Line() { out_->push_back('\n'); }
  Line& operator()(std::string_view key, std::string_view value) {
    out_->push_back('|');
    out_->append(key);
    out_->push_back('=');
    for (char c : value) {
      if (c == '|' || c == '\\' || c == '\n') {
        out_->push_back('\\');
        out_->push_back(c == '\n' ? 'n' : c);
      } else {
        out_->push_back(c);
      }
    }
    return *this;
  }
  Line& operator()(std::string_view key, std::int64_t value) { return (*this)(key, std::to_string(value)); }
  Line& operator()(std::string_view key, std::uint64_t value) { return (*this)(key, std::to_string(value)); }
  Line& operator()(std::string_view key, std::uint32_t value) { return (*this)(key, std::to_string(value)); }
  Line& operator()(std::string_view key, bool value) { return (*this)(key, value ? "1" : "0"); }
  Line& operator()(std::string_view key, const char* value) { return (*this)(key, std::string_view(value)); }
  Line& operator()(std::string_view key, const std::string& value) { return (*this)(key, std::string_view(value)); }
  Line& operator()(std::string_view key, const std::optional<std::string>& value) {
    return (*this)(key, value ? std::string_view(*value) : std::string_view("<none>"));
  }
  template <typename E>
    requires std::is_enum_v<E>
  Line& operator()(std::string_view key, E value) {
    return (*this)(key, static_cast<std::uint32_t>(value));
  }

 private:
  std::string* out_;
};

void DumpPerson(std::string* out, const std::string& case_id, const PersonState& p) {
  Line l(out, "person");
  l("case", case_id)("subject", p.subject)("removed", p.removed)("known", p.details.has_value());
  if (p.details) {
    const domain::Person& d = *p.details;
    l("given", d.given_names)("family", d.family_name)("dob", d.date_of_birth)("nationality", d.nationality)(
        "ho_ref", d.home_office_reference)("address", d.address)("relationship", d.relationship);
    for (const auto& [type, number] : d.documents) l("doc", std::to_string(static_cast<int>(type)) + ":" + number);
  }
}

void DumpCase(std::string* out, const CaseState& c) {
  {
    Line line(out, "case");
    line("id", c.case_id)("v", c.version)("org", c.organisation_id)("nation", c.nation)(
        "team", c.team_id)("cw", c.caseworker_id)("status", c.status)("household", c.household_type)(
        "legislation", c.legislation)("referral", c.referral_date)("advised", c.advised_details_shared)(
        "urgent", c.urgent)("urgent_reason", c.urgent_reason)("policy", c.sla_policy_version)(
        "created", c.created_at_us)("by", c.created_by)("updated", c.updated_at_us)(
        "closure", c.closure_date)("closure_reason", c.closure_reason)("closure_note", c.closure_note)(
        "closed_at", c.closed_at_us)("closures", c.closures)("reopenings", c.reopenings)(
        "duplicate_of", c.duplicate_of)("removed", c.removed)("erased", c.personal_data_erased);
    // Absent from the lines of earlier versions, which did not fold it.
    if (c.reopenings > 0) line("reopened_on", c.reopened_on);
  }
  for (const auto& [closed, ended] : c.closed_periods_us) {
    Line(out, "closed_period")("case", c.case_id)("closed_at", closed)("ended_at", ended);
  }
  DumpPerson(out, c.case_id, c.applicant);
  for (const PersonState& d : c.dependants) DumpPerson(out, c.case_id, d);
  const domain::FinanceState& f = c.finance;
  Line(out, "finance")("case", c.case_id)("recorded", f.recorded)("active", f.active)(
      "first", f.first_start_date)("start", f.start_date)("end", f.end_date)(
      "person", f.person_costs_weekly_pence)("accommodation", f.accommodation_costs_weekly_pence)(
      "accommodation_provided", f.accommodation_provided)("amendments", f.amendments);
  for (const domain::SupportPeriod& p : f.periods) {
    for (const domain::FinanceRate& r : p.rates) {
      Line(out, "finance_rate")("case", c.case_id)("start", p.start_date)("end", p.end_date)(
          "recorded", p.recorded_on)("from", r.from)(
          "person", r.person_costs_weekly_pence)("accommodation", r.accommodation_costs_weekly_pence);
    }
  }
  const domain::ImmigrationState& im = c.immigration;
  {
    Line line(out, "immigration");
    line("case", c.case_id)("checks", im.checks)("first", im.first_checked_at_us)("known", im.known)(
        "status", im.status)("recourse", im.recourse_to_public_funds)("updated", im.updated_at_us)("note", im.note);
    // Absent from the lines of earlier versions, which did not fold it.
    if (im.granted_at_us != 0) {
      line("grant", im.last_grant)("grant_recourse", im.last_grant_recourse)("granted", im.granted_at_us);
    }
  }
  for (const domain::AlertState& a : c.alerts) {
    Line(out, "alert")("case", c.case_id)("id", a.alert_id)("kind", a.kind)("query", a.query_id)(
        "cw", a.caseworker_id)("raised", a.raised_at_us)("pos", a.raised_position)("open", a.open)(
        "closed", a.closed_at_us)("by", a.closed_by)("because", a.because);
  }
  for (const domain::QueryState& q : c.queries) {
    Line(out, "query")("case", c.case_id)("id", q.query_id)("dir", q.direction)("topic", q.topic)(
        "urgent", q.urgent)("reason", q.urgent_reason)("policy", q.sla_policy_version)(
        "raised", q.raised_at_us)("by", q.raised_by)("question", q.question)("answered", q.answered)(
        "answered_at", q.answered_at_us)("answered_by", q.answered_by)("answer", q.answer);
  }
  for (const domain::AdviceRecord& a : c.advice) {
    Line line(out, "advice");
    line("case", c.case_id)("on", a.advised_on)("of", a.of)("at", a.recorded_at_us)("by", a.recorded_by);
    if (a.note) line("note", a.note);  // absent from the lines of earlier versions
  }
  for (const domain::AssessmentRecord& a : c.assessments) {
    Line line(out, "assessment");
    line("case", c.case_id)("id", a.assessment_id)("kind", a.kind)("subject", a.subject)("rules", a.rule_version)(
        "at", a.assessed_at_us)("by", a.assessed_by);
    if (a.sealed) line("sealed", ledger::ToHex(*a.sealed));
  }
}

}  // namespace

std::string NormaliseReference(std::string_view reference) {
  std::string out;
  out.reserve(reference.size());
  for (char c : reference) {
    if (c >= 'a' && c <= 'z') {
      out.push_back(static_cast<char>(c - 'a' + 'A'));
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    }
  }
  return out;
}

Projections::Projections() {
  policy_ = domain::SlaPolicy::Default();
  policies_[0] = policy_;
}

const domain::OrganisationState* Projections::Organisation(std::string_view id) const {
  auto it = orgs_.find(id);
  return it == orgs_.end() ? nullptr : &it->second;
}

const domain::UserState* Projections::User(std::string_view id) const {
  auto it = users_.find(id);
  return it == users_.end() ? nullptr : &it->second;
}

const domain::CaseState* Projections::Case(std::string_view id) const {
  auto it = cases_.find(id);
  return it == cases_.end() ? nullptr : &it->second;
}

void Projections::Apply(const EventView& e) {
  next_position_ = e.position + 1;
  std::string_view id;
  switch (domain::KindOfStream(e.stream_id, &id)) {
    case domain::StreamKind::kOrganisation:
      domain::ApplyToOrganisation(orgs_[std::string(id)], e);
      break;
    case domain::StreamKind::kUser:
      domain::ApplyToUser(users_[std::string(id)], e);
      break;
    case domain::StreamKind::kCase:
      ApplyToCase(e, id);
      break;
    case domain::StreamKind::kRtpf:
      if (e.type == t::kRtpfLookup) ++lookups_;
      break;
    case domain::StreamKind::kSlaPolicy:
      domain::ApplyToSlaPolicy(policy_, e);
      policies_[policy_.version] = policy_;
      break;
    case domain::StreamKind::kOther:
      break;
  }
}

std::vector<domain::UserState> Projections::Users(std::string_view organisation_id) const {
  std::vector<domain::UserState> out;
  for (const auto& [id, user] : users_) {
    if (user.organisation_id == organisation_id) out.push_back(user);
  }
  return out;
}

// A walk over every account: asked only by account commands, which are rare.
bool Projections::HasLiveAccount(std::string_view organisation_id, fb::Role role) const {
  for (const auto& [id, user] : users_) {
    if (user.organisation_id == organisation_id && user.role == role && !user.deleted) return true;
  }
  return false;
}

std::vector<domain::OrganisationState> Projections::Organisations() const {
  std::vector<domain::OrganisationState> out;
  out.reserve(orgs_.size());
  for (const auto& [id, org] : orgs_) out.push_back(org);
  return out;
}

void Projections::ApplyToCase(const EventView& e, std::string_view case_id) {
  auto [it, inserted] = cases_.try_emplace(std::string(case_id));
  CaseState& c = it->second;
  std::optional<CaseState> before;
  if (ChangesPeople(e.type)) before = c;
  domain::ApplyToCase(c, e);
  if (inserted || e.type == t::kCaseCreated) {
    org_cases_[c.organisation_id].insert(c.case_id);
    std::uint64_t number = 0;
    for (char ch : c.case_id) number = (ch >= '0' && ch <= '9') ? number * 10 + static_cast<unsigned>(ch - '0') : 0;
    max_case_number_ = std::max(max_case_number_, number);
  }
  if (before) IndexPeople(*before, c);
  if (e.type == t::kDuplicateRemoved && e.body != nullptr) {
    // The subjects the removal erased, as it recorded them.
    if (const auto* subjects = e.Body<fb::DuplicateRemoved>()->erased_subjects()) {
      for (const flatbuffers::String* s : *subjects) erased_subjects_.insert(s->str());
    }
  }
  if (e.type == t::kAlertRaised && !c.alerts.empty() && !c.alerts.back().caseworker_id.empty()) {
    const domain::AlertState& a = c.alerts.back();
    outbox_[e.position] = {e.position, a.caseworker_id, c.case_id, a.alert_id, a.kind, a.raised_at_us};
  }
}

void Projections::IndexPeople(const CaseState& before, const CaseState& after) {
  IndexPerson(after.organisation_id, after.case_id, before.exists() ? &before.applicant : nullptr,
              &after.applicant);
  for (std::size_t i = 0; i < after.dependants.size(); ++i) {
    const PersonState* old = i < before.dependants.size() ? &before.dependants[i] : nullptr;
    IndexPerson(after.organisation_id, after.case_id, old, &after.dependants[i]);
  }
}

void Projections::IndexPerson(const std::string& org, const std::string& case_id,
                              const PersonState* old_person, const PersonState* new_person) {
  auto erase_pair = [](StringMap<std::vector<std::string>>& m, const std::string& key,
                       const std::string& subject) {
    auto it = m.find(key);
    if (it == m.end()) return;
    auto pos = std::find(it->second.begin(), it->second.end(), subject);
    if (pos != it->second.end()) it->second.erase(pos);
    if (it->second.empty()) m.erase(it);
  };
  auto keys_of = [](const domain::Person& p) {
    std::vector<std::string> keys;
    if (!p.home_office_reference.empty()) keys.push_back("ref:" + NormaliseReference(p.home_office_reference));
    for (const auto& doc : p.documents) keys.push_back("doc:" + NormaliseReference(doc.second));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  };
  const std::string& subject = new_person->subject;
  if (old_person != nullptr && old_person->details) {
    erase_pair(by_birth_date_, old_person->details->date_of_birth, subject);
    for (const std::string& k : keys_of(*old_person->details)) erase_pair(by_reference_, k, subject);
  }
  NameIndex& names = names_[org];
  if (!new_person->details) {
    names.Remove(subject);
    subjects_.erase(subject);
    return;
  }
  const domain::Person& p = *new_person->details;
  names.Put(subject, p.FullName());
  by_birth_date_[p.date_of_birth].push_back(subject);
  for (const std::string& k : keys_of(p)) by_reference_[k].push_back(subject);
  subjects_[subject] = {case_id, org};
}

bool IsThousandDayCase(const CaseState& c, const std::string& thousand_days_ago) {
  return c.status == fb::CaseStatus::OpenFinanciallySupported && c.finance.first_start_date <= thousand_days_ago;
}

HomeCounters Projections::Counters(const CounterScope& scope, std::int64_t now_us) const {
  HomeCounters out;
  auto org = org_cases_.find(scope.organisation_id);
  if (org == org_cases_.end()) return out;
  const std::string thousand_days_ago = DateDaysBefore(now_us, 1000);
  for (const std::string& id : org->second) {
    const CaseState& c = cases_.find(id)->second;
    if (c.removed) continue;
    if (!scope.team_id.empty() && c.team_id != scope.team_id) continue;
    if (!scope.caseworker_id.empty() && c.caseworker_id != scope.caseworker_id) continue;
    switch (c.status) {
      case fb::CaseStatus::OpenReferral: ++out.open_referrals; break;
      case fb::CaseStatus::OpenFinanciallySupported:
        ++out.open_financially_supported;
        if (IsThousandDayCase(c, thousand_days_ago)) ++out.thousand_day_cases;
        break;
      case fb::CaseStatus::Closed: ++out.closed; break;
    }
    for (const domain::AlertState& a : c.alerts) {
      if (!a.open) continue;
      switch (a.kind) {
        case fb::AlertKind::ImmigrationUpdate: ++out.immigration_update_alerts; break;
        case fb::AlertKind::QueryResponse: ++out.query_responses; break;
        case fb::AlertKind::NewHomeOfficeQuery: ++out.new_home_office_queries; break;
        case fb::AlertKind::ClosureRequired: ++out.closure_required_alerts; break;
      }
    }
  }
  return out;
}

CaseRow CaseRow::MetadataOnly() const {
  CaseRow m;
  m.case_id = case_id;
  m.status = status;
  m.team_id = team_id;
  m.caseworker_id = caseworker_id;
  m.referral_date = referral_date;
  m.open_alerts = open_alerts;
  m.metadata_only = true;
  return m;
}

std::vector<CaseRow> Projections::Caseload(const CaseloadFilter& f) const {
  std::vector<CaseRow> rows;
  auto org = org_cases_.find(f.organisation_id);
  if (org == org_cases_.end()) return rows;
  const std::string thousand_days_ago = f.thousand_day ? DateDaysBefore(f.now_us, 1000) : std::string();
  auto it = f.after_case_id.empty() ? org->second.begin() : org->second.upper_bound(f.after_case_id);
  for (; it != org->second.end() && rows.size() < f.limit; ++it) {
    const CaseState& c = cases_.find(*it)->second;
    if (c.removed) continue;
    if (f.status && c.status != *f.status) continue;
    if (!f.team_id.empty() && c.team_id != f.team_id) continue;
    if (!f.caseworker_id.empty() && c.caseworker_id != f.caseworker_id) continue;
    if (f.legislation && c.legislation != *f.legislation) continue;
    if (f.household_type && c.household_type != *f.household_type) continue;
    if (f.open_alert && c.OpenAlertOfKind(*f.open_alert) == nullptr) continue;
    if (f.thousand_day && !IsThousandDayCase(c, thousand_days_ago)) continue;
    CaseRow row;
    row.case_id = c.case_id;
    row.status = c.status;
    row.team_id = c.team_id;
    row.caseworker_id = c.caseworker_id;
    row.legislation = c.legislation;
    row.household_type = c.household_type;
    row.referral_date = c.referral_date;
    row.finance_start_date = c.finance.active ? c.finance.start_date : std::string();
    for (const domain::AlertState& a : c.alerts) {
      if (!a.open) continue;
      ++row.open_alerts;
      row.alerts.push_back(a);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

const domain::Person* Projections::PersonOf(const std::string& subject) const {
  auto info = subjects_.find(subject);
  if (info == subjects_.end()) return nullptr;
  const CaseState* c = Case(info->second.case_id);
  if (c == nullptr) return nullptr;
  if (c->applicant.subject == subject) return c->applicant.details ? &*c->applicant.details : nullptr;
  for (const PersonState& d : c->dependants) {
    if (d.subject == subject) return d.details ? &*d.details : nullptr;
  }
  return nullptr;
}

std::vector<SearchHit> Projections::Search(const SearchQuery& q) const {
  const std::set<std::string> orgs(q.organisations.begin(), q.organisations.end());
  std::map<std::string, SearchHit> hits;  // subject -> hit
  auto hit_for = [&](const std::string& subject) -> SearchHit* {
    auto info = subjects_.find(subject);
    if (info == subjects_.end() || orgs.count(info->second.organisation_id) == 0) return nullptr;
    SearchHit& h = hits[subject];
    h.subject = subject;
    h.case_id = info->second.case_id;
    return &h;
  };
  std::map<std::string, double> name_scores;
  if (!q.name.empty()) {
    for (const std::string& org : orgs) {
      auto idx = names_.find(org);
      if (idx == names_.end()) continue;
      for (const NameIndex::Match& m : idx->second.Search(q.name, kNameMatchThreshold, q.limit * 4 + 16)) {
        if (SearchHit* h = hit_for(m.id)) {
          h->name_matched = true;
          name_scores[m.id] = m.score;
        }
      }
    }
  }
  if (!q.date_of_birth.empty()) {
    if (auto it = by_birth_date_.find(q.date_of_birth); it != by_birth_date_.end()) {
      for (const std::string& subject : it->second) {
        if (SearchHit* h = hit_for(subject)) h->date_of_birth_matched = true;
      }
    }
  }
  for (const std::string& ref : {q.home_office_reference, q.document_number}) {
    if (ref.empty()) continue;
    const std::string norm = NormaliseReference(ref);
    for (const char* prefix : {"ref:", "doc:"}) {
      auto it = by_reference_.find(prefix + norm);
      if (it == by_reference_.end()) continue;
      for (const std::string& subject : it->second) {
        if (SearchHit* h = hit_for(subject)) h->reference_matched = true;
      }
    }
  }
  std::vector<SearchHit> out;
  const bool want_ref = !q.home_office_reference.empty() || !q.document_number.empty();
  for (auto& [subject, h] : hits) {
    double total = 0;
    int parts = 0;
    if (!q.name.empty()) {
      auto s = name_scores.find(subject);
      if (s != name_scores.end()) {
        total += s->second;
      } else if (const domain::Person* p = PersonOf(subject)) {
        total += NameSimilarity(q.name, p->FullName());  // found by another field
      }
      ++parts;
    }
    if (!q.date_of_birth.empty()) {
      total += h.date_of_birth_matched ? 1 : 0;
      ++parts;
    }
    if (want_ref) {
      total += h.reference_matched ? 1 : 0;
      ++parts;
    }
    h.score = parts == 0 ? 0 : total / parts;
    out.push_back(std::move(h));
  }
  std::sort(out.begin(), out.end(), [](const SearchHit& a, const SearchHit& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.subject < b.subject;
  });
  if (out.size() > q.limit) out.resize(q.limit);
  return out;
}

domain::RtpfResult Projections::RtpfCheck(fb::DocumentType type, std::string_view number,
                                          std::string_view date_of_birth,
                                          std::string_view organisation_id, std::int64_t now_us) const {
  domain::RtpfResult best;
  std::int64_t best_at = 0;
  const std::int64_t two_years_ago = now_us - 731 * domain::kMicrosPerDay;
  auto keyed = by_reference_.find("doc:" + NormaliseReference(number));
  if (keyed == by_reference_.end()) return best;
  for (const std::string& subject : keyed->second) {
    const CaseState* c = Case(subjects_.at(subject).case_id);
    if (c == nullptr || c->removed || subject != c->applicant.subject || !c->applicant.details) continue;
    const domain::Person& p = *c->applicant.details;
    const bool document_matches = std::any_of(p.documents.begin(), p.documents.end(), [&](const auto& d) {
      return d.first == type && d.second == number;  // entered exactly, as the checker requires
    });
    if (!document_matches || p.date_of_birth != date_of_birth) continue;
    // The current or last grant of leave within two years; valid while no
    // later status has replaced it.
    const domain::ImmigrationState& im = c->immigration;
    if (im.granted_at_us == 0 || im.granted_at_us < two_years_ago || im.granted_at_us <= best_at) continue;
    best_at = im.granted_at_us;
    best.matched = true;
    best.status = im.last_grant;
    best.leave_valid = domain::IsGrantOfLeave(im.status);  // then the current status is the last grant
    best.recourse_to_public_funds = im.last_grant_recourse;
    best.current_status = im.status;
    best.matched_case_id = c->organisation_id == organisation_id ? c->case_id : std::string();
  }
  return best;
}

std::vector<Notification> Projections::Outbox(std::uint64_t from, std::size_t max) const {
  std::vector<Notification> out;
  for (auto it = outbox_.lower_bound(from); it != outbox_.end() && out.size() < max; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<domain::SlaClockInstance> Projections::Clocks(const ClockFilter& f) const {
  std::vector<domain::SlaClockInstance> out;
  auto scan = [&](const std::set<std::string, CaseIdLess>& ids) {
    for (const std::string& id : ids) {
      for (domain::SlaClockInstance& k : domain::ClocksOf(cases_.find(id)->second, policies_)) {
        if (!f.party.empty() && domain::PartyOf(k.clock) != f.party) continue;
        if (k.started_at_us < f.started_from_us || k.started_at_us >= f.started_before_us) continue;
        out.push_back(std::move(k));
      }
    }
  };
  if (!f.organisation_id.empty()) {
    auto org = org_cases_.find(f.organisation_id);
    if (org != org_cases_.end()) scan(org->second);
  } else {
    for (const auto& [org, ids] : org_cases_) {
      if (f.subscribed_only) {
        const domain::OrganisationState* o = Organisation(org);
        if (o == nullptr || !o->subscribed) continue;
      }
      scan(ids);
    }
  }
  return out;
}

std::string Projections::Dump() const {
  std::string out;
  Line(&out, "projections")("next_position", next_position_)("max_case", max_case_number_)("lookups", lookups_);
  for (const auto& [id, o] : orgs_) {
    Line l(&out, "org");
    l("id", id)("kind", o.kind)("name", o.name)("nation", o.nation)("subscribed", o.subscribed)("v", o.version);
    for (const auto& [team, name] : o.teams) l("team", team + ":" + name);
  }
  for (const auto& [id, u] : users_) {
    Line(&out, "user")("id", id)("org", u.organisation_id)("team", u.team_id)("role", u.role)(
        "deleted", u.deleted)("locked", u.locked)("resets", u.password_resets)("name", u.name)(
        "email", u.email)("v", u.version);
  }
  for (const auto& [version, p] : policies_) {
    Line l(&out, "policy");
    l("version", version)("from", p.in_force_from_us);
    for (const auto& [clock, rule] : p.rules) {
      l("rule", std::string(domain::SlaClockName(clock)) + ":" + std::to_string(rule.amount) +
                    (rule.unit == fb::SlaUnit::Hours ? "h" : "wd"));
    }
  }
  std::vector<const CaseState*> cases;
  cases.reserve(cases_.size());
  for (const auto& [id, c] : cases_) cases.push_back(&c);
  std::sort(cases.begin(), cases.end(),
            [](const CaseState* a, const CaseState* b) { return CaseIdLess()(a->case_id, b->case_id); });
  for (const CaseState* c : cases) DumpCase(&out, *c);
  for (const auto& [org, ids] : org_cases_) {
    Line l(&out, "org_cases");
    l("org", org)("count", static_cast<std::uint64_t>(ids.size()));
  }
  for (const auto& [org, idx] : names_) {
    Line(&out, "name_index")("org", org)("size", static_cast<std::uint64_t>(idx.size()));
  }
  for (const char* kind : {"dob", "ref"}) {
    const auto& index = kind[0] == 'd' ? by_birth_date_ : by_reference_;
    std::map<std::string_view, const std::vector<std::string>*> sorted;
    for (const auto& [key, subjects] : index) sorted.emplace(key, &subjects);
    for (const auto& [key, subjects] : sorted) {
      Line l(&out, kind);
      l("key", key);
      for (const std::string& subject : *subjects) l("subject", subject);
    }
  }
  std::map<std::string_view, const SubjectInfo*> subjects;
  for (const auto& [subject, info] : subjects_) subjects.emplace(subject, &info);
  for (const auto& [subject, info] : subjects) {
    Line(&out, "subject")("id", subject)("case", info->case_id)("org", info->organisation_id);
  }
  for (const auto& [pos, n] : outbox_) {
    Line(&out, "outbox")("pos", pos)("to", n.recipient_user_id)("case", n.case_id)("alert", n.alert_id)(
        "kind", n.kind)("at", n.raised_at_us);
  }
  for (const std::string& s : erased_subjects_) Line(&out, "erased")("subject", s);
  return out;
}

}  // namespace nrpf::projections
