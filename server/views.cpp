#include "server/views.h"

#include <flatbuffers/reflection.h>

#include "domain/events.h"
#include "domain/sla.h"
#include "server/api_codec.h"

namespace nrpf::server {

namespace {

using flatbuffers::Offset;

Offset<flatbuffers::String> OptionalText(Builder& fbb, const std::optional<std::string>& text) {
  return text ? fbb.CreateString(*text) : Offset<flatbuffers::String>();
}

Offset<fb::PersonView> BuildPerson(Builder& fbb, const domain::PersonState& p) {
  auto subject = fbb.CreateString(p.subject);
  Offset<domain::fb::PersonDetails> details;
  if (p.details) details = domain::CreatePersonDetails(fbb, *p.details);
  fb::PersonViewBuilder b(fbb);
  b.add_subject(subject);
  b.add_details(details);
  b.add_removed(p.removed);
  return b.Finish();
}

Offset<fb::FinanceView> BuildFinance(Builder& fbb, const domain::FinanceState& f) {
  std::vector<Offset<fb::SupportPeriodView>> periods;
  for (const domain::SupportPeriod& p : f.periods) {
    std::vector<Offset<fb::FinanceRateView>> rates;
    for (const domain::FinanceRate& r : p.rates) {
      rates.push_back(fb::CreateFinanceRateViewDirect(fbb, r.from.c_str(), r.person_costs_weekly_pence,
                                                      r.accommodation_costs_weekly_pence));
    }
    periods.push_back(fb::CreateSupportPeriodViewDirect(fbb, p.start_date.c_str(),
                                                        p.end_date.empty() ? nullptr : p.end_date.c_str(), &rates));
  }
  return fb::CreateFinanceViewDirect(fbb, f.recorded, f.active, f.first_start_date.c_str(), f.start_date.c_str(),
                                     f.end_date.c_str(), f.person_costs_weekly_pence,
                                     f.accommodation_costs_weekly_pence, f.accommodation_provided, f.amendments,
                                     &periods);
}

Offset<fb::ImmigrationView> BuildImmigration(Builder& fbb, const domain::ImmigrationState& i) {
  auto note = OptionalText(fbb, i.note);
  fb::ImmigrationViewBuilder b(fbb);
  b.add_checks(i.checks);
  b.add_first_checked_at_us(i.first_checked_at_us);
  b.add_known(i.known);
  if (i.known) b.add_status(i.status);  // before any, "NoRecordFound" would be a finding never made
  b.add_recourse_to_public_funds(i.recourse_to_public_funds);
  b.add_updated_at_us(i.updated_at_us);
  b.add_note(note);
  return b.Finish();
}

// `full`: the reader may see what the alert is about (its kind).
Offset<fb::AlertView> BuildAlert(Builder& fbb, const domain::AlertState& a, bool full) {
  return fb::CreateAlertViewDirect(fbb, a.alert_id.c_str(), full ? flatbuffers::Optional(a.kind) : flatbuffers::nullopt,
                                   a.query_id.c_str(), a.caseworker_id.c_str(),
                                   a.raised_at_us, a.raised_position, a.open, a.closed_at_us, a.closed_by.c_str(),
                                   a.open ? flatbuffers::nullopt : flatbuffers::Optional(a.because));
}

// `full`: the reader may see what the query is about (topic, urgency).
Offset<fb::QueryView> BuildQuery(Builder& fbb, const domain::QueryState& q, bool full) {
  auto id = fbb.CreateString(q.query_id);
  auto raised_by = fbb.CreateString(q.raised_by);
  auto question = OptionalText(fbb, q.question);
  auto answered_by = fbb.CreateString(q.answered_by);
  auto answer = OptionalText(fbb, q.answer);
  fb::QueryViewBuilder b(fbb);
  b.add_query_id(id);
  b.add_direction(q.direction);
  if (full) {
    b.add_topic(q.topic);
    b.add_urgent(q.urgent);
    b.add_urgent_reason(q.urgent_reason);
  }
  b.add_sla_policy_version(q.sla_policy_version);
  b.add_raised_at_us(q.raised_at_us);
  b.add_raised_by(raised_by);
  b.add_question(question);
  b.add_answered(q.answered);
  b.add_answered_at_us(q.answered_at_us);
  b.add_answered_by(answered_by);
  b.add_answer(answer);
  return b.Finish();
}

// A table of the sealed "assessment" section (its answers), copied into
// the view as it stands, by the schema: fields it leaves out stay out.
template <typename T>
Offset<T> CopySealed(Builder& fbb, const T* table, std::string_view name) {
  if (table == nullptr) return {};
  const reflection::Object* object = api::FindObject(name);
  return Offset<T>(flatbuffers::CopyTable(fbb, api::Schema(), *object,
                                          *reinterpret_cast<const flatbuffers::Table*>(table))
                       .o);
}

// `erased`: the case's personal data was erased (else an unreadable
// section was not opened).
Offset<fb::AssessmentView> BuildAssessment(Builder& fbb, const domain::AssessmentRecord& a, bool erased) {
  const domain::fb::SealedAssessment* sealed = a.sealed ? domain::DecodeSealedAssessment(*a.sealed) : nullptr;
  auto id = fbb.CreateString(a.assessment_id);
  auto subject = fbb.CreateString(a.subject);
  auto rule_version = fbb.CreateString(a.rule_version);
  auto assessed_by = fbb.CreateString(a.assessed_by);
  Offset<flatbuffers::String> assessed_on, note;
  Offset<flatbuffers::Vector<domain::fb::AssessmentReason>> reasons;
  Offset<domain::fb::EarlyEducationInputs> early_education;
  Offset<domain::fb::ChangeOfConditionsInputs> change_of_conditions;
  if (sealed != nullptr) {
    if (sealed->assessed_on() != nullptr) assessed_on = fbb.CreateString(sealed->assessed_on()->str());
    if (sealed->reasons() != nullptr) {
      reasons = fbb.CreateVector(reinterpret_cast<const domain::fb::AssessmentReason*>(sealed->reasons()->data()),
                                 sealed->reasons()->size());
    }
    early_education = CopySealed(fbb, sealed->early_education(), "nrpf.domain.fb.EarlyEducationInputs");
    change_of_conditions =
        CopySealed(fbb, sealed->change_of_conditions(), "nrpf.domain.fb.ChangeOfConditionsInputs");
    if (sealed->note() != nullptr) note = fbb.CreateString(sealed->note()->str());
  }
  fb::AssessmentViewBuilder b(fbb);
  b.add_assessment_id(id);
  b.add_kind(a.kind);
  b.add_subject(subject);
  b.add_rule_version(rule_version);
  b.add_assessed_at_us(a.assessed_at_us);
  b.add_assessed_by(assessed_by);
  if (sealed != nullptr) {
    b.add_assessed_on(assessed_on);
    b.add_outcome(sealed->outcome());
    b.add_reasons(reasons);
    if (sealed->income_threshold_pence()) b.add_income_threshold_pence(*sealed->income_threshold_pence());
    b.add_early_education(early_education);
    b.add_change_of_conditions(change_of_conditions);
    b.add_note(note);
  }
  b.add_erased(erased && sealed == nullptr);
  return b.Finish();
}

template <typename T, typename F>
auto Vector(Builder& fbb, const std::vector<T>& items, F build) {
  std::vector<decltype(build(fbb, items.front()))> out;
  out.reserve(items.size());
  for (const T& item : items) out.push_back(build(fbb, item));
  return fbb.CreateVector(out);
}

Offset<fb::SearchHit> BuildHit(Builder& fbb, const projections::SearchHit& h) {
  return fb::CreateSearchHitDirect(fbb, h.case_id.c_str(), h.subject.c_str(), h.score, h.name_matched,
                                   h.date_of_birth_matched, h.reference_matched);
}

}  // namespace

Offset<fb::CaseView> BuildCaseView(Builder& fbb, const domain::RecordedCaseRead& read) {
  const domain::CaseState& c = read.state;
  // A metadata-only read holds no finance, immigration or closure reason
  // (CaseState::MetadataOnly()): the view leaves them out rather than show
  // defaults.
  const bool full = read.visibility == domain::CaseVisibility::kFull;
  auto case_id = fbb.CreateString(c.case_id);
  auto org = fbb.CreateString(c.organisation_id);
  auto team = fbb.CreateString(c.team_id);
  auto caseworker = fbb.CreateString(c.caseworker_id);
  auto referral = fbb.CreateString(c.referral_date);
  auto created_by = fbb.CreateString(c.created_by);
  auto applicant = BuildPerson(fbb, c.applicant);
  auto dependants = Vector(fbb, c.dependants, BuildPerson);
  auto finance = full ? BuildFinance(fbb, c.finance) : Offset<fb::FinanceView>();
  auto immigration = full ? BuildImmigration(fbb, c.immigration) : Offset<fb::ImmigrationView>();
  auto alerts =
      Vector(fbb, c.alerts, [full](Builder& b, const domain::AlertState& a) { return BuildAlert(b, a, full); });
  auto queries =
      Vector(fbb, c.queries, [full](Builder& b, const domain::QueryState& q) { return BuildQuery(b, q, full); });
  auto advice = Vector(fbb, c.advice, [](Builder& b, const domain::AdviceRecord& a) {
    return fb::CreateAdviceViewDirect(b, a.advised_on.c_str(), a.of, a.recorded_at_us, a.recorded_by.c_str(),
                                      a.note ? a.note->c_str() : nullptr);
  });
  auto assessments =
      full ? Vector(fbb, c.assessments,
                    [&c](Builder& b, const domain::AssessmentRecord& a) {
                      return BuildAssessment(b, a, c.personal_data_erased);
                    })
           : Offset<flatbuffers::Vector<Offset<fb::AssessmentView>>>();
  auto closure_date = fbb.CreateString(c.closure_date);
  auto closure_note = OptionalText(fbb, c.closure_note);
  auto duplicate_of = fbb.CreateString(c.duplicate_of);
  auto reopened_on = c.reopenings > 0 ? fbb.CreateString(c.reopened_on) : Offset<flatbuffers::String>();
  fb::CaseViewBuilder b(fbb);
  b.add_case_id(case_id);
  b.add_version(c.version);
  b.add_organisation_id(org);
  b.add_nation(c.nation);
  b.add_team_id(team);
  b.add_caseworker_id(caseworker);
  b.add_status(c.status);
  if (full) {
    b.add_household_type(c.household_type);
    b.add_legislation(c.legislation);
    b.add_advised_details_shared(c.advised_details_shared);
    b.add_urgent(c.urgent);
    b.add_urgent_reason(c.urgent_reason);
  }
  b.add_referral_date(referral);
  b.add_sla_policy_version(c.sla_policy_version);
  b.add_created_at_us(c.created_at_us);
  b.add_created_by(created_by);
  b.add_updated_at_us(c.updated_at_us);
  b.add_personal_data(full);
  b.add_applicant(applicant);
  b.add_dependants(dependants);
  b.add_finance(finance);
  b.add_immigration(immigration);
  b.add_alerts(alerts);
  b.add_queries(queries);
  b.add_advice(advice);
  b.add_closure_date(closure_date);
  if (full && c.closures > 0) b.add_closure_reason(c.closure_reason);
  b.add_closure_note(closure_note);
  b.add_closed_at_us(c.closed_at_us);
  b.add_closures(c.closures);
  b.add_reopenings(c.reopenings);
  b.add_duplicate_of(duplicate_of);
  b.add_removed(c.removed);
  b.add_personal_data_erased(c.personal_data_erased);
  if (full) b.add_access_position(read.access_position);
  b.add_reopened_on(reopened_on);
  b.add_assessments(assessments);
  return b.Finish();
}

Offset<fb::Counters> BuildCounters(Builder& fbb, const projections::HomeCounters& c, std::uint64_t as_of_position) {
  return fb::CreateCounters(fbb, c.open_referrals, c.open_financially_supported, c.closed,
                            c.immigration_update_alerts, c.query_responses, c.new_home_office_queries,
                            c.closure_required_alerts, c.thousand_day_cases, as_of_position);
}

Offset<fb::Caseload> BuildCaseload(Builder& fbb, const std::vector<projections::CaseRow>& rows) {
  auto v = Vector(fbb, rows, [](Builder& b, const projections::CaseRow& r) {
    // A metadata-only row (CaseRow::MetadataOnly()) leaves out what it does
    // not hold rather than show defaults.
    const bool full = !r.metadata_only;
    std::vector<Offset<fb::AlertView>> alerts;
    for (const domain::AlertState& a : r.alerts) alerts.push_back(BuildAlert(b, a, full));
    return fb::CreateCaseRowDirect(
        b, r.case_id.c_str(), r.status, r.team_id.c_str(), r.caseworker_id.c_str(),
        full ? flatbuffers::Optional(r.legislation) : flatbuffers::nullopt,
        full ? flatbuffers::Optional(r.household_type) : flatbuffers::nullopt, r.referral_date.c_str(),
        full ? r.finance_start_date.c_str() : nullptr, r.open_alerts, full, full ? &alerts : nullptr);
  });
  return fb::CreateCaseload(fbb, v);
}

Offset<fb::SearchResult> BuildSearchResult(Builder& fbb, const std::vector<projections::SearchHit>& hits) {
  return fb::CreateSearchResult(fbb, Vector(fbb, hits, BuildHit));
}

Offset<fb::Clocks> BuildClocks(Builder& fbb, const std::vector<domain::SlaClockInstance>& clocks, std::int64_t now_us) {
  auto v = Vector(fbb, clocks, [now_us](Builder& b, const domain::SlaClockInstance& k) {
    const std::string state(domain::ClockStateName(k.StateAsOf(now_us)));
    const std::string party(domain::PartyOf(k.clock));
    return fb::CreateClockViewDirect(b, k.case_id.c_str(), k.organisation_id.c_str(), k.clock, k.query_id.c_str(),
                                     k.policy_version, k.started_at_us, k.deadline_us, k.stopped_at_us,
                                     k.stopped_by_closure, state.c_str(), party.c_str());
  });
  return fb::CreateClocks(fbb, v);
}

Offset<fb::Users> BuildUsers(Builder& fbb, const std::vector<domain::UserState>& users) {
  auto v = Vector(fbb, users, [](Builder& b, const domain::UserState& u) {
    auto id = b.CreateString(u.user_id);
    auto org = b.CreateString(u.organisation_id);
    auto team = b.CreateString(u.team_id);
    auto name = OptionalText(b, u.name);
    auto email = OptionalText(b, u.email);
    fb::UserViewBuilder ub(b);
    ub.add_user_id(id);
    ub.add_organisation_id(org);
    ub.add_team_id(team);
    ub.add_role(u.role);
    ub.add_deleted(u.deleted);
    ub.add_locked(u.locked);
    ub.add_password_resets(u.password_resets);
    ub.add_name(name);
    ub.add_email(email);
    ub.add_version(u.version);
    return ub.Finish();
  });
  return fb::CreateUsers(fbb, v);
}

Offset<fb::Organisations> BuildOrganisations(Builder& fbb, const std::vector<domain::OrganisationState>& orgs) {
  auto v = Vector(fbb, orgs, [](Builder& b, const domain::OrganisationState& o) {
    std::vector<Offset<fb::TeamView>> teams;
    for (const auto& [id, name] : o.teams) teams.push_back(fb::CreateTeamViewDirect(b, id.c_str(), name.c_str()));
    const bool council = o.kind == domain::fb::OrganisationKind::Council;
    return fb::CreateOrganisationViewDirect(b, o.organisation_id.c_str(), o.kind, o.name.c_str(),
                                            council ? flatbuffers::Optional(o.nation) : flatbuffers::nullopt,
                                            o.subscribed, &teams, o.version);
  });
  return fb::CreateOrganisations(fbb, v);
}

Offset<fb::CommandResult> BuildCommandResult(Builder& fbb, const domain::CommandOutcome& o,
                                             const std::string& one_time_password) {
  auto case_id = fbb.CreateString(o.case_id);
  auto lookup_id = fbb.CreateString(o.lookup_id);
  Offset<fb::RtpfView> rtpf;
  if (!o.lookup_id.empty()) {
    const auto current = o.rtpf.current_status
                             ? flatbuffers::Optional<domain::fb::ImmigrationStatus>(*o.rtpf.current_status)
                             : flatbuffers::nullopt;
    rtpf = fb::CreateRtpfViewDirect(fbb, o.rtpf.matched, o.rtpf.status, o.rtpf.leave_valid,
                                    o.rtpf.recourse_to_public_funds, o.rtpf.matched_case_id.c_str(), current);
  }
  auto duplicates = Vector(fbb, o.possible_duplicates, BuildHit);
  Offset<flatbuffers::String> otp;
  if (!one_time_password.empty()) otp = fbb.CreateString(one_time_password);
  // The case's data cannot have been erased since: the assessment was just
  // recorded on an open case (or, retried, it is as the projections hold it).
  auto assessment = o.assessment ? BuildAssessment(fbb, *o.assessment, false) : Offset<fb::AssessmentView>();
  fb::CommandResultBuilder b(fbb);
  b.add_position(o.first_position);
  b.add_events(o.events);
  b.add_duplicate(o.duplicate);
  b.add_case_id(case_id);
  b.add_case_version(o.case_version);
  b.add_lookup_id(lookup_id);
  b.add_rtpf(rtpf);
  b.add_possible_duplicates(duplicates);
  b.add_one_time_password(otp);
  b.add_assessment(assessment);
  return b.Finish();
}

Offset<fb::LogEvent> BuildLogEvent(Builder& fbb, const ledger::StoredEvent& event, bool include_record,
                                   domain::CaseVisibility visibility) {
  const ledger::fb::Record* r = event.record();
  // A metadata-only reader gets no body: its values (costs, statuses, topics,
  // reasons, ...) are not case metadata, nor are the subjects it names.
  const bool withheld = visibility != domain::CaseVisibility::kFull;
  if (withheld) include_record = false;
  auto text = [&](const flatbuffers::String* s) { return fbb.CreateString(s != nullptr ? s->string_view() : ""); };
  auto stream = text(r->stream_id());
  auto type = text(r->event_type());
  const ledger::fb::Actor* actor = r->actor();
  auto user = text(actor ? actor->user_id() : nullptr);
  auto org = text(actor ? actor->organisation_id() : nullptr);
  auto role = text(actor ? actor->role() : nullptr);
  Offset<flatbuffers::String> body_json;
  Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> subjects;
  if (!withheld) {
    // Ledger records are verified on read; the body is verified for its type
    // by DecodeEvent before it is rendered.
    Result<domain::EventView> view = domain::DecodeEvent(event, nullptr);
    const std::string_view table = r->event_type() ? domain::BodyTable(r->event_type()->string_view()) : "";
    if (view.ok() && view->body != nullptr && !table.empty()) {
      Result<std::string> json = api::TableToJson(flatbuffers::GetRoot<flatbuffers::Table>(view->body),
                                                  "nrpf.domain.fb." + std::string(table));
      if (json.ok()) body_json = fbb.CreateString(*json);
    }
    std::vector<Offset<flatbuffers::String>> subject_offsets;
    if (r->subjects() != nullptr) {
      for (const flatbuffers::String* s : *r->subjects()) subject_offsets.push_back(text(s));
    }
    subjects = fbb.CreateVector(subject_offsets);
  }
  Offset<flatbuffers::Vector<std::uint8_t>> record, signature;
  if (include_record) {
    record = fbb.CreateVector(reinterpret_cast<const std::uint8_t*>(event.bytes.data()), event.bytes.size());
    signature = fbb.CreateVector(event.signature.data(), event.signature.size());
  }
  fb::LogEventBuilder b(fbb);
  b.add_position(event.position);
  b.add_stream_id(stream);
  b.add_stream_version(r->stream_version());
  b.add_type(type);
  b.add_recorded_at_us(r->recorded_at_us());
  b.add_actor_user_id(user);
  b.add_actor_organisation_id(org);
  b.add_actor_role(role);
  b.add_body_json(body_json);
  b.add_subjects(subjects);
  b.add_record(record);
  if (include_record) b.add_key_id(event.key_id);
  b.add_signature(signature);
  b.add_body_withheld(withheld);
  return b.Finish();
}

}  // namespace nrpf::server
