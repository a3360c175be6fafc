#include "domain/fold.h"

#include "domain/calendar.h"

namespace nrpf::domain {

namespace {

namespace t = event_type;

std::string Str(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : std::string(s->data(), s->size());
}

std::optional<Person> PersonIn(const EventView& e, const std::string& subject) {
  const std::string* plain = e.Section(section_label::kPerson, subject);
  if (plain == nullptr) return std::nullopt;
  return DecodePerson(*plain);
}

std::optional<std::string> NoteIn(const EventView& e) {
  const std::string* plain = e.Section(section_label::kNote);
  if (plain == nullptr) return std::nullopt;
  return DecodeNote(*plain);
}

// A status just recorded that grants leave becomes the case's last grant.
void NoteGrant(ImmigrationState& im) {
  if (!IsGrantOfLeave(im.status)) return;
  im.last_grant = im.status;
  im.last_grant_recourse = im.recourse_to_public_funds;
  im.granted_at_us = im.updated_at_us;
}

AlertState* FindAlert(CaseState& c, const std::string& id) {
  for (AlertState& a : c.alerts) {
    if (a.alert_id == id) return &a;
  }
  return nullptr;
}

QueryState* FindQuery(CaseState& c, const std::string& id) {
  for (QueryState& q : c.queries) {
    if (q.query_id == id) return &q;
  }
  return nullptr;
}

// The support period's rates after finance is recorded (a new period) or
// amended on `recorded_day`: an amendment's costs apply from the day it was
// recorded, or from the period's start if that is later, or the day the
// period was recorded (a correction); a start date moved later drops the
// rates it overtakes.
void NoteRate(FinanceState& f, const fb::FinanceRecorded* b, bool amendment, const std::string& recorded_day) {
  const FinanceRate rate{Str(b->start_date()), b->person_costs_weekly_pence(), b->accommodation_costs_weekly_pence()};
  if (!amendment || f.periods.empty() || !f.periods.back().end_date.empty()) {
    f.periods.push_back(SupportPeriod{rate.from, {}, recorded_day, {rate}});
    return;
  }
  SupportPeriod& p = f.periods.back();
  p.start_date = rate.from;
  std::vector<FinanceRate>& rates = p.rates;
  // Rates now starting on or before the new start: the latest becomes the first.
  std::size_t first = 0;
  while (first + 1 < rates.size() && rates[first + 1].from <= p.start_date) ++first;
  rates.erase(rates.begin(), rates.begin() + static_cast<std::ptrdiff_t>(first));
  rates.front().from = p.start_date;
  FinanceRate amended = rate;
  amended.from = recorded_day == p.recorded_on ? p.start_date : std::max(recorded_day, p.start_date);
  while (!rates.empty() && rates.back().from >= amended.from) rates.pop_back();
  if (!rates.empty() && rates.back().person_costs_weekly_pence == amended.person_costs_weekly_pence &&
      rates.back().accommodation_costs_weekly_pence == amended.accommodation_costs_weekly_pence) {
    return;  // the costs did not change
  }
  rates.push_back(amended);
}

void ApplyFinance(FinanceState& f, const fb::FinanceRecorded* b, bool amendment, std::int64_t recorded_at_us) {
  NoteRate(f, b, amendment && f.active, IsoDate(LondonDate(recorded_at_us)));
  if (!f.recorded || !f.active) {
    if (f.first_start_date.empty()) f.first_start_date = Str(b->start_date());
  } else if (amendment && !f.ever_ended) {
    // A correction of the first support period's start date moves the
    // 1,000-day counter with it; a later period's never does.
    f.first_start_date = Str(b->start_date());
  }
  f.recorded = true;
  f.active = true;
  f.start_date = Str(b->start_date());
  f.end_date.clear();
  f.person_costs_weekly_pence = b->person_costs_weekly_pence();
  f.accommodation_costs_weekly_pence = b->accommodation_costs_weekly_pence();
  f.accommodation_provided = b->accommodation_provided();
  if (amendment) ++f.amendments;
}

}  // namespace

StreamKind KindOfStream(std::string_view stream_id, std::string_view* id) {
  struct Prefix {
    std::string_view prefix;
    StreamKind kind;
  };
  static constexpr Prefix kPrefixes[] = {{"case-", StreamKind::kCase},
                                         {"user-", StreamKind::kUser},
                                         {"org-", StreamKind::kOrganisation},
                                         {"rtpf-", StreamKind::kRtpf}};
  for (const Prefix& p : kPrefixes) {
    if (stream_id.substr(0, p.prefix.size()) == p.prefix) {
      if (id != nullptr) *id = stream_id.substr(p.prefix.size());
      return p.kind;
    }
  }
  if (stream_id == kSlaPolicyStream) return StreamKind::kSlaPolicy;
  return StreamKind::kOther;
}

void ApplyToOrganisation(OrganisationState& org, const EventView& e) {
  if (e.body == nullptr) return;
  if (e.type == t::kOrganisationRegistered) {
    const auto* b = e.Body<fb::OrganisationRegistered>();
    org.organisation_id = Str(b->organisation_id());
    org.kind = b->kind();
    org.name = Str(b->name());
    org.nation = b->nation();
    org.subscribed = b->subscribed();
  } else if (e.type == t::kTeamCreated) {
    const auto* b = e.Body<fb::TeamCreated>();
    org.teams[Str(b->team_id())] = Str(b->name());
  }
  org.version = e.stream_version;
}

void ApplyToUser(UserState& user, const EventView& e) {
  if (e.body == nullptr) return;
  if (e.type == t::kUserCreated) {
    const auto* b = e.Body<fb::UserCreated>();
    user.user_id = Str(b->user_id());
    user.organisation_id = Str(b->organisation_id());
    user.role = b->role();
    user.team_id = Str(b->team_id());
    if (const std::string* plain = e.Section(section_label::kStaff)) {
      if (auto staff = DecodeStaff(*plain)) {
        user.name = staff->first;
        user.email = staff->second;
      }
    }
  } else if (e.type == t::kUserDeleted) {
    user.deleted = true;
  } else if (e.type == t::kUserRoleChanged) {
    user.role = e.Body<fb::UserRoleChanged>()->role();
  } else if (e.type == t::kUserLocked) {
    user.locked = true;
  } else if (e.type == t::kUserUnlocked) {
    user.locked = false;
  } else if (e.type == t::kPasswordReset) {
    ++user.password_resets;
  }
  user.version = e.stream_version;
}

void ApplyToCase(CaseState& c, const EventView& e) {
  c.version = e.stream_version;
  c.updated_at_us = e.recorded_at_us;
  if (e.body == nullptr) return;
  const std::string actor(e.actor_user);
  if (e.type == t::kCaseCreated) {
    const auto* b = e.Body<fb::CaseCreated>();
    c.case_id = Str(b->case_id());
    c.organisation_id = Str(b->organisation_id());
    c.nation = b->nation();
    c.team_id = Str(b->team_id());
    c.caseworker_id = Str(b->caseworker_id());
    c.status = fb::CaseStatus::OpenReferral;
    c.household_type = b->household_type();
    c.legislation = b->legislation();
    c.referral_date = Str(b->referral_date());
    c.rtpf_lookup_id = Str(b->rtpf_lookup_id());
    c.advised_details_shared = b->advised_details_shared();
    c.urgent = b->urgent();
    c.urgent_reason = b->urgent_reason();
    c.sla_policy_version = b->sla_policy_version();
    c.created_at_us = e.recorded_at_us;
    c.created_by = actor;
    c.applicant.subject = Str(b->applicant_subject());
    c.applicant.details = PersonIn(e, c.applicant.subject);
    if (b->dependant_subjects() != nullptr) {
      for (const flatbuffers::String* s : *b->dependant_subjects()) {
        PersonState d;
        d.subject = Str(s);
        d.details = PersonIn(e, d.subject);
        c.dependants.push_back(std::move(d));
      }
    }
  } else if (e.type == t::kCaseworkerAllocated) {
    c.caseworker_id = Str(e.Body<fb::CaseworkerAllocated>()->caseworker_id());
  } else if (e.type == t::kTeamChanged) {
    c.team_id = Str(e.Body<fb::TeamChanged>()->team_id());
  } else if (e.type == t::kApplicantAmended) {
    const auto* b = e.Body<fb::ApplicantAmended>();
    c.household_type = b->household_type();
    c.legislation = b->legislation();
    if (auto p = PersonIn(e, c.applicant.subject)) c.applicant.details = std::move(p);
  } else if (e.type == t::kDependantAdded) {
    PersonState d;
    d.subject = Str(e.Body<fb::DependantAdded>()->subject());
    d.details = PersonIn(e, d.subject);
    c.dependants.push_back(std::move(d));
  } else if (e.type == t::kDependantRemoved) {
    const std::string subject = Str(e.Body<fb::DependantRemoved>()->subject());
    for (PersonState& d : c.dependants) {
      if (d.subject == subject) d.removed = true;
    }
  } else if (e.type == t::kFinanceRecorded || e.type == t::kFinanceAmended) {
    ApplyFinance(c.finance, e.Body<fb::FinanceRecorded>(), e.type == t::kFinanceAmended, e.recorded_at_us);
    if (c.status == fb::CaseStatus::OpenReferral) c.status = fb::CaseStatus::OpenFinanciallySupported;
  } else if (e.type == t::kFinanceEnded) {
    c.finance.active = false;
    c.finance.ever_ended = true;
    // No longer supported: out of the official caseload until finance is
    // recorded again (a closure sets Closed right after).
    if (c.status == fb::CaseStatus::OpenFinanciallySupported) c.status = fb::CaseStatus::OpenReferral;
    c.finance.end_date = Str(e.Body<fb::FinanceEnded>()->end_date());
    if (!c.finance.periods.empty()) c.finance.periods.back().end_date = c.finance.end_date;
  } else if (e.type == t::kPersonAdvised) {
    const auto* b = e.Body<fb::PersonAdvised>();
    c.advice.push_back({Str(b->advised_on()), b->of(), e.recorded_at_us, actor, NoteIn(e)});
    if (b->of() == fb::AdvisedOf::DetailsSharedWithHomeOffice) c.advised_details_shared = true;
  } else if (e.type == t::kAssessmentRecorded) {
    const auto* b = e.Body<fb::AssessmentRecorded>();
    AssessmentRecord a;
    a.assessment_id = Str(b->assessment_id());
    a.kind = b->kind();
    a.subject = Str(b->subject());
    a.rule_version = Str(b->rule_version());
    a.assessed_at_us = e.recorded_at_us;
    a.assessed_by = actor;
    if (const std::string* sealed = e.Section(section_label::kAssessment)) a.sealed = *sealed;
    c.assessments.push_back(std::move(a));
  } else if (e.type == t::kStatusCheckCompleted) {
    const auto* b = e.Body<fb::StatusCheckCompleted>();
    if (c.immigration.checks++ == 0) c.immigration.first_checked_at_us = e.recorded_at_us;
    c.immigration.known = true;
    c.immigration.status = b->status();
    c.immigration.recourse_to_public_funds = b->recourse_to_public_funds();
    c.immigration.updated_at_us = e.recorded_at_us;
    c.immigration.note = NoteIn(e);
    NoteGrant(c.immigration);
  } else if (e.type == t::kImmigrationStatusUpdated) {
    const auto* b = e.Body<fb::ImmigrationStatusUpdated>();
    c.immigration.known = true;
    c.immigration.status = b->status();
    c.immigration.recourse_to_public_funds = b->recourse_to_public_funds();
    c.immigration.updated_at_us = e.recorded_at_us;
    c.immigration.note = NoteIn(e);
    NoteGrant(c.immigration);
  } else if (e.type == t::kAlertRaised) {
    const auto* b = e.Body<fb::AlertRaised>();
    AlertState a;
    a.alert_id = Str(b->alert_id());
    a.kind = b->kind();
    a.query_id = Str(b->query_id());
    a.caseworker_id = Str(b->caseworker_id());
    a.raised_at_us = e.recorded_at_us;
    a.raised_position = e.position;
    c.alerts.push_back(std::move(a));
  } else if (e.type == t::kAlertClosed) {
    const auto* b = e.Body<fb::AlertClosed>();
    if (AlertState* a = FindAlert(c, Str(b->alert_id()))) {
      a->open = false;
      a->closed_at_us = e.recorded_at_us;
      a->closed_by = Str(b->reviewed_by());
      a->because = b->because();
    }
  } else if (e.type == t::kQueryRaised) {
    const auto* b = e.Body<fb::QueryRaised>();
    QueryState q;
    q.query_id = Str(b->query_id());
    q.direction = b->direction();
    q.topic = b->topic();
    q.urgent = b->urgent();
    q.urgent_reason = b->urgent_reason();
    q.sla_policy_version = b->sla_policy_version();
    q.raised_at_us = e.recorded_at_us;
    q.raised_by = actor;
    q.question = NoteIn(e);
    c.queries.push_back(std::move(q));
  } else if (e.type == t::kQueryAnswered) {
    if (QueryState* q = FindQuery(c, Str(e.Body<fb::QueryAnswered>()->query_id()))) {
      q->answered = true;
      q->answered_at_us = e.recorded_at_us;
      q->answered_by = actor;
      q->answer = NoteIn(e);
    }
  } else if (e.type == t::kCaseClosed) {
    const auto* b = e.Body<fb::CaseClosed>();
    c.status = fb::CaseStatus::Closed;
    c.closure_date = Str(b->closure_date());
    c.closure_reason = b->reason();
    c.closure_note = NoteIn(e);
    c.closed_at_us = e.recorded_at_us;
    ++c.closures;
  } else if (e.type == t::kCaseReopened) {
    c.status = c.finance.active ? fb::CaseStatus::OpenFinanciallySupported
                                : fb::CaseStatus::OpenReferral;
    ++c.reopenings;
    c.reopened_on = Str(e.Body<fb::CaseReopened>()->reopened_on());
    c.closed_periods_us.emplace_back(c.closed_at_us, e.recorded_at_us);
  } else if (e.type == t::kDuplicateFlagged) {
    c.duplicate_of = Str(e.Body<fb::DuplicateFlagged>()->duplicate_of());
  } else if (e.type == t::kDuplicateRemoved) {
    if (c.status == fb::CaseStatus::Closed) c.closed_periods_us.emplace_back(c.closed_at_us, e.recorded_at_us);
    c.removed = true;
    c.closed_at_us = e.recorded_at_us;
    c.personal_data_erased = true;
    c.DropPersonalData();
  }
}

void ApplyToSlaPolicy(SlaPolicy& policy, const EventView& e) {
  if (e.body == nullptr || e.type != t::kSlaPolicyChanged) return;
  const auto* b = e.Body<fb::SlaPolicyChanged>();
  SlaPolicy next = SlaPolicy::Default();
  next.version = b->version();
  next.in_force_from_us = e.recorded_at_us;
  if (b->rules() != nullptr) {
    for (const fb::SlaRule* r : *b->rules()) next.rules[r->clock()] = {r->unit(), r->amount()};
  }
  policy = std::move(next);
}

}  // namespace nrpf::domain
