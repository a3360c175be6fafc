// The case lifecycle of docs/domain.md, step by step, through the real
// service: rules, ledger and projections together.

#include <catch2/catch.hpp>

#include "projections/projector.h"
#include "tests/domain_world.h"

namespace nrpf::test {
namespace {

std::size_t OpenAlerts(const CaseState& c, fb::AlertKind kind) { return c.OpenAlerts(kind); }

TEST_CASE("step 1: an RTPF look-up matches only a recorded grant of leave, exactly entered", "[domain]") {
  World w;
  RtpfLookup lookup{fb::DocumentType::Passport, "P12345678", "1990-05-17"};
  CommandOutcome none = w.Do("camden-cw1", lookup);
  CHECK_FALSE(none.rtpf.matched);
  CHECK_FALSE(none.rtpf.current_status.has_value());
  CHECK_FALSE(none.lookup_id.empty());

  const std::string id = w.NewCase("camden");
  w.Do("ho-1", CompleteStatusCheck{id, fb::ImmigrationStatus::LeaveWithNrpfCondition, "granted leave"});
  CommandOutcome own = w.Do("camden-cw1", lookup);
  CHECK(own.rtpf.matched);
  CHECK(own.rtpf.leave_valid);
  CHECK_FALSE(own.rtpf.recourse_to_public_funds);
  CHECK(own.rtpf.status == fb::ImmigrationStatus::LeaveWithNrpfCondition);
  CHECK(own.rtpf.current_status == fb::ImmigrationStatus::LeaveWithNrpfCondition);
  CHECK(own.rtpf.matched_case_id == id);

  // Another council learns the status but not that camden holds a case.
  CommandOutcome other = w.Do("leeds-cw1", lookup);
  CHECK(other.rtpf.matched);
  CHECK(other.rtpf.matched_case_id.empty());

  // The checker needs the exact document number and date of birth.
  CHECK_FALSE(w.Do("camden-cw1", RtpfLookup{fb::DocumentType::Passport, "P1234567", "1990-05-17"}).rtpf.matched);
  CHECK_FALSE(w.Do("camden-cw1", RtpfLookup{fb::DocumentType::Passport, "P12345678", "1990-05-18"}).rtpf.matched);

  // A later status that is no grant leaves the grant as the last one, no
  // longer valid.
  w.clock.Advance(30 * kDayUs);
  w.Do("ho-1", UpdateImmigrationStatus{id, fb::ImmigrationStatus::NoLawfulStatusNoBarrierToReturn, ""});
  CommandOutcome superseded = w.Do("camden-cw1", lookup);
  CHECK(superseded.rtpf.matched);
  CHECK_FALSE(superseded.rtpf.leave_valid);
  CHECK(superseded.rtpf.status == fb::ImmigrationStatus::LeaveWithNrpfCondition);
  // ...and names the status that replaced it.
  CHECK(superseded.rtpf.current_status == fb::ImmigrationStatus::NoLawfulStatusNoBarrierToReturn);

  // A retry of a look-up (the same command id) writes nothing and answers
  // with the result first recorded, even after the record has changed.
  Result<CommandOutcome> first = w.Try("camden-cw1", lookup, std::nullopt, "lookup-retry-1");
  REQUIRE(first.ok());
  w.Do("ho-1", UpdateImmigrationStatus{id, fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds, ""});
  Result<CommandOutcome> again = w.Try("camden-cw1", lookup, std::nullopt, "lookup-retry-1");
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->lookup_id == first->lookup_id);
  CHECK(again->rtpf.matched == first->rtpf.matched);
  CHECK(again->rtpf.status == first->rtpf.status);
  CHECK(again->rtpf.leave_valid == first->rtpf.leave_valid);
  CHECK(again->rtpf.recourse_to_public_funds == first->rtpf.recourse_to_public_funds);
  CHECK(again->rtpf.matched_case_id == first->rtpf.matched_case_id);
  CHECK(again->rtpf.current_status == fb::ImmigrationStatus::NoLawfulStatusNoBarrierToReturn);
  CHECK(w.Do("camden-cw1", lookup).rtpf.current_status == fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds);

  // A grant recorded more than two years ago is no longer returned.
  w.clock.Advance(732 * kDayUs);
  CHECK_FALSE(w.Do("camden-cw1", lookup).rtpf.matched);
}

TEST_CASE("step 2: search finds a person by name variant, date of birth, reference and document", "[domain][search]") {
  World w;
  const std::string id = w.NewCase("camden", SamplePerson("Mohammed", "Hussein", "1985-01-02"));
  w.NewCase("camden", SamplePerson("Maria", "Lopez", "1979-11-30"));
  auto search = [&](projections::SearchQuery q, const std::string& who = "camden-cw1") {
    auto r = w.service->Search(who, std::move(q));
    REQUIRE(r.ok());
    return std::move(r).value();
  };
  projections::SearchQuery by_name;
  by_name.name = "Muhammad Husain";
  auto hits = search(by_name);
  REQUIRE_FALSE(hits.empty());
  CHECK(hits[0].case_id == id);
  CHECK(hits[0].name_matched);

  projections::SearchQuery by_dob;
  by_dob.date_of_birth = "1985-01-02";
  hits = search(by_dob);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].case_id == id);

  projections::SearchQuery by_doc;
  by_doc.document_number = "p 1234 5678";  // spacing and case are ignored
  CHECK(search(by_doc).size() == 2);
  projections::SearchQuery by_ref;
  by_ref.home_office_reference = "s1234567";
  CHECK(search(by_ref).size() == 2);

  // Another council never sees camden's people.
  CHECK(search(by_name, "leeds-cw1").empty());
  // The Home Office searches every subscribed council.
  CHECK_FALSE(search(by_name, "ho-1").empty());
  // Network support may not search personal data.
  CHECK(w.service->Search("ns-admin", by_name).status().code() == Code::kPermissionDenied);
}

TEST_CASE("step 3: a new case is an open referral whose personal data is sealed in the log", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  const CaseState c = w.Case(id);
  CHECK(c.status == fb::CaseStatus::OpenReferral);
  CHECK(c.organisation_id == "camden");
  CHECK(c.caseworker_id == "camden-cw1");
  REQUIRE(c.applicant.details);
  CHECK(c.applicant.details->family_name == "Okafor");
  REQUIRE(c.dependants.size() == 1);
  CHECK(c.dependants[0].details->given_names == "Tobi");
  CHECK(c.advised_details_shared);
  CHECK(c.version == 1);

  // The stored record holds ciphertext only.
  auto events = w.ledger->ReadStream(CaseStream(id), 1, 10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  const std::string& bytes = (*events)[0].bytes;
  CHECK(bytes.find("Okafor") == std::string::npos);
  CHECK(bytes.find("1990-05-17") == std::string::npos);
  CHECK(bytes.find("P12345678") == std::string::npos);
  CHECK((*events)[0].record()->sealed()->size() == 2);

  // Case ids are assigned in sequence.
  CHECK(std::stoull(w.NewCase("leeds")) == std::stoull(id) + 1);
}

TEST_CASE("step 3: a likely duplicate is flagged at creation despite a misspelt name", "[domain][search]") {
  World w;
  const std::string first = w.NewCase("camden", SamplePerson("Oksana", "Kowalczyk", "1988-07-09"));
  CreateCase again = MinimalCase(SamplePerson("Oxana", "Kowalcyk", "1988-07-09"));
  again.applicant.documents.clear();
  again.applicant.home_office_reference.clear();
  again.referral_date = "2025-03-02";
  CommandOutcome out = w.Do("camden-cw2", again);
  REQUIRE(out.possible_duplicates.size() == 1);
  CHECK(out.possible_duplicates[0].case_id == first);
  // A different person with the same birthday is not a likely duplicate.
  again.applicant = SamplePerson("Samuel", "Mensah", "1988-07-09");
  CHECK(w.Do("camden-cw2", again).possible_duplicates.empty());
  // Nor is the same person in another council (who cannot see camden's cases).
  again.applicant = SamplePerson("Oksana", "Kowalczyk", "1988-07-09");
  CHECK(w.Do("leeds-cw1", again).possible_duplicates.empty());
}

TEST_CASE("step 4: finance makes the case open financially supported, the Home Office only reads it", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  RecordFinance f;
  f.case_id = id;
  f.start_date = "2025-03-03";
  f.person_costs_weekly_pence = 12000;
  f.accommodation_costs_weekly_pence = 30000;
  f.accommodation_provided = true;
  CHECK(Refusal(w.Try("ho-1", f)) == "permission_denied/finance_read_only");
  w.Do("camden-cw1", f);
  CaseState c = w.Case(id);
  CHECK(c.status == fb::CaseStatus::OpenFinanciallySupported);
  CHECK(c.finance.person_costs_weekly_pence == 12000);
  CHECK(Refusal(w.Try("camden-cw1", f)) == "failed_precondition/finance_exists");

  auto ho_view = w.service->ReadCase("ho-1", id);
  REQUIRE(ho_view.ok());
  CHECK(ho_view->finance.accommodation_costs_weekly_pence == 30000);

  AmendFinance a = AmendFinance::Whole(f);
  a.person_costs_weekly_pence = 15000;
  w.Do("camden-cw1", a);
  CHECK(w.Case(id).finance.person_costs_weekly_pence == 15000);
  CHECK(w.Case(id).finance.amendments == 1);
  CHECK(Refusal(w.Try("camden-cw1", a)) == "failed_precondition/unchanged");

  // Ending support takes the case out of the official caseload.
  w.Do("camden-cw1", EndFinance{id, "2025-03-03"});
  CHECK(w.Case(id).status == fb::CaseStatus::OpenReferral);
  CHECK(w.service->Counters("camden-cw1", false, "")->open_financially_supported == 0);
  w.Do("camden-cw1", f);
  CHECK(w.Case(id).status == fb::CaseStatus::OpenFinanciallySupported);
  CHECK(w.Case(id).finance.first_start_date == "2025-03-03");

  auto counters = w.service->Counters("camden-cw1", false, "");
  REQUIRE(counters.ok());
  CHECK(counters->open_financially_supported == 1);
  CHECK(counters->open_referrals == 0);
}

TEST_CASE("step 5: a completed status check raises an immigration update alert the council closes", "[domain][alerts]") {
  World w;
  const std::string id = w.NewCase("camden");
  CommandOutcome out = w.Do("ho-1", CompleteStatusCheck{id, fb::ImmigrationStatus::ApplicationPending, "pending"});
  CHECK(out.events == 2);  // the check and the alert the rules raised
  CaseState c = w.Case(id);
  REQUIRE(c.alerts.size() == 1);
  CHECK(c.alerts[0].kind == fb::AlertKind::ImmigrationUpdate);
  CHECK(c.alerts[0].caseworker_id == "camden-cw1");
  CHECK(c.immigration.status == fb::ImmigrationStatus::ApplicationPending);
  CHECK(c.immigration.note == std::optional<std::string>("pending"));

  // The allocated caseworker gets an e-mail.
  auto outbox = w.service->projector().Read([](const projections::Projections& p) { return p.Outbox(0, 100); });
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].recipient_user_id == "camden-cw1");
  CHECK(outbox[0].case_id == id);
  CHECK(outbox[0].kind == fb::AlertKind::ImmigrationUpdate);

  auto home = w.service->Counters("camden-cw1", true, "");
  REQUIRE(home.ok());
  CHECK(home->immigration_update_alerts == 1);
  CHECK(w.service->Counters("camden-cw2", true, "")->immigration_update_alerts == 0);  // "my cases"

  w.Do("camden-cw1", CloseAlert{id, c.alerts[0].alert_id});
  c = w.Case(id);
  CHECK_FALSE(c.alerts[0].open);
  CHECK(c.alerts[0].closed_by == "camden-cw1");
  CHECK(w.service->Counters("camden-cw1", true, "")->immigration_update_alerts == 0);
  CHECK(Refusal(w.Try("camden-cw1", CloseAlert{id, c.alerts[0].alert_id})) ==
        "failed_precondition/alert_already_closed");
  CHECK(Refusal(w.Try("camden-cw1", CloseAlert{id, "A99"})) == "not_found/alert_not_found");

  // A later update raises another.
  w.Do("ho-1", UpdateImmigrationStatus{id, fb::ImmigrationStatus::AppealPending, "appeal lodged"});
  CHECK(OpenAlerts(w.Case(id), fb::AlertKind::ImmigrationUpdate) == 1);
}

TEST_CASE("step 6: queries run both ways as a chain with their alerts", "[domain][alerts]") {
  World w;
  const std::string id = w.NewCase("camden");
  RaiseQuery q = QueryOn(id, fb::QueryTopic::Expedite, "please expedite");
  w.Do("camden-cw1", q);
  CaseState c = w.Case(id);
  REQUIRE(c.queries.size() == 1);
  CHECK(c.queries[0].direction == fb::QueryDirection::CouncilToHomeOffice);
  CHECK(c.alerts.empty());  // a council's own query raises nothing for itself
  CHECK(Refusal(w.Try("camden-cw1", AnswerQuery{id, "Q1", "self"})) == "failed_precondition/own_query");

  w.Do("ho-1", AnswerQuery{id, "Q1", "expedite requested"});
  c = w.Case(id);
  CHECK(c.queries[0].answered);
  CHECK(c.queries[0].answer == std::optional<std::string>("expedite requested"));
  REQUIRE(c.OpenAlerts(fb::AlertKind::QueryResponse) == 1);
  CHECK(w.service->Counters("camden-cw1", true, "")->query_responses == 1);
  CHECK(Refusal(w.Try("ho-1", AnswerQuery{id, "Q1", "again"})) == "failed_precondition/query_already_answered");
  w.Do("camden-cw1", CloseAlert{id, c.OpenAlertOfKind(fb::AlertKind::QueryResponse)->alert_id});

  const RaiseQuery ho = QueryOn(id, fb::QueryTopic::HomeOfficeInformationRequest, "is the family still supported?");
  w.Do("ho-1", ho);
  c = w.Case(id);
  REQUIRE(c.OpenAlerts(fb::AlertKind::NewHomeOfficeQuery) == 1);
  CHECK(w.service->Counters("camden-cw1", false, "")->new_home_office_queries == 1);
  // The alert goes with the answer, not before.
  CHECK(Refusal(w.Try("camden-cw1", CloseAlert{id, c.OpenAlertOfKind(fb::AlertKind::NewHomeOfficeQuery)->alert_id})) ==
        "failed_precondition/query_unanswered");
  w.Do("camden-cw1", AnswerQuery{id, "Q2", "yes"});
  c = w.Case(id);
  CHECK(c.OpenAlerts(fb::AlertKind::NewHomeOfficeQuery) == 0);
  CHECK(c.queries.size() == 2);

  // The Home Office gives no updates on a closed case; a council may still
  // answer what the Home Office asked before the closure.
  w.Do("camden-cw1", q);  // Q3, to the Home Office
  w.Do("ho-1", ho);       // Q4, to the council
  w.Do("camden-cw1", CloseCase{id, "2025-03-03", fb::ClosureReason::Other, ""});
  CHECK(Refusal(w.Try("ho-1", AnswerQuery{id, "Q3", "late"})) == "failed_precondition/case_closed");
  w.Do("camden-cw1", AnswerQuery{id, "Q4", "closed now"});
  c = w.Case(id);
  CHECK(c.FindQuery("Q4")->answered);
  CHECK_FALSE(c.FindQuery("Q3")->answered);
  CHECK(c.OpenAlerts(fb::AlertKind::QueryResponse) == 0);
  CHECK(w.service->Counters("camden-cw1", false, "")->query_responses == 0);
  w.clock.Set(kWorldStart + 8 * kDayUs);  // 2025-03-11
  w.Do("camden-cw1", ReopenCase{id, "2025-03-11"});

  // Urgent needs a reason; only councils raise urgent requests.
  q.urgent = true;
  CHECK(Refusal(w.Try("camden-cw1", q)) == "invalid_argument/urgent_reason_invalid");
  q.urgent_reason = fb::UrgentReason::LegalProceedings;
  w.Do("camden-cw1", q);
  CHECK(w.Case(id).queries.back().urgent);
}

TEST_CASE("step 7: a status with recourse to public funds raises a closure alert that stays until closure", "[domain][alerts]") {
  World w;
  const std::string id = w.NewCase("camden");
  w.Do("ho-1", CompleteStatusCheck{id, fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds, "granted"});
  CaseState c = w.Case(id);
  REQUIRE(c.OpenAlerts(fb::AlertKind::ClosureRequired) == 1);
  CHECK(c.immigration.recourse_to_public_funds);
  const std::string alert = c.OpenAlertOfKind(fb::AlertKind::ClosureRequired)->alert_id;
  CHECK(Refusal(w.Try("camden-cw1", CloseAlert{id, alert})) == "failed_precondition/closure_alert_needs_case_closure");
  // A second recourse update does not stack a second closure alert.
  w.Do("ho-1", UpdateImmigrationStatus{id, fb::ImmigrationStatus::IndefiniteLeaveToRemain, "ILR"});
  CHECK(w.Case(id).OpenAlerts(fb::AlertKind::ClosureRequired) == 1);
  CHECK(w.service->Counters("camden-cw1", true, "")->closure_required_alerts == 1);

  w.Do("camden-cw1", CloseCase{id, "2025-03-03", fb::ClosureReason::RecourseToPublicFundsGranted, ""});
  c = w.Case(id);
  CHECK(c.OpenAlerts(fb::AlertKind::ClosureRequired) == 0);
  CHECK(c.FindAlert(alert)->because == fb::AlertClosedBecause::CaseClosed);
  CHECK(w.service->Counters("camden-cw1", true, "")->closure_required_alerts == 0);
}

TEST_CASE("step 8: closing ends financial support on the closure date, reopening starts again", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  RecordFinance f;
  f.case_id = id;
  f.start_date = "2025-03-03";
  f.person_costs_weekly_pence = 1000;
  w.Do("camden-cw1", f);
  CHECK(Refusal(w.Try("camden-cw1", CloseCase{id, "2025-02-01", fb::ClosureReason::Other, ""})) ==
        "invalid_argument/closure_date_invalid");
  w.clock.Set(kWorldStart + 119 * kDayUs);  // 2025-06-30: a closure is dated no later than today
  w.Do("camden-cw1", CloseCase{id, "2025-06-30", fb::ClosureReason::MovedToAnotherArea, "moved"});
  CaseState c = w.Case(id);
  CHECK(c.status == fb::CaseStatus::Closed);
  CHECK(c.closure_date == "2025-06-30");
  CHECK_FALSE(c.finance.active);
  CHECK(c.finance.end_date == "2025-06-30");
  CHECK(Refusal(w.Try("camden-cw1", RecordFinance(f))) == "failed_precondition/case_closed");
  CHECK(Refusal(w.Try("ho-1", CompleteStatusCheck{id, fb::ImmigrationStatus::NoRecordFound, ""})) ==
        "failed_precondition/case_closed");
  CHECK(Refusal(w.Try("camden-cw1", RemoveDependant{id, DependantSubject(id, 1)})) ==
        "failed_precondition/case_closed");

  // A case reopens neither before it closed nor on a day still to come.
  w.clock.Set(kWorldStart + 182 * kDayUs);  // 2025-09-01, 11:00 in London
  CHECK(Refusal(w.Try("camden-cw1", ReopenCase{id, "2025-06-29"})) == "invalid_argument/reopened_on_invalid");
  CHECK(Refusal(w.Try("camden-cw1", ReopenCase{id, "2025-09-02"})) == "invalid_argument/reopened_on_invalid");
  CHECK(w.Case(id).status == fb::CaseStatus::Closed);
  w.Do("camden-cw1", ReopenCase{id, "2025-09-01"});
  c = w.Case(id);
  CHECK(c.status == fb::CaseStatus::OpenReferral);
  CHECK(c.reopenings == 1);
  CHECK(c.reopened_on == "2025-09-01");
  CHECK(Refusal(w.Try("camden-cw1", ReopenCase{id, "2025-09-02"})) == "failed_precondition/case_open");
  f.start_date = "2025-09-01";
  w.Do("camden-cw1", f);
  c = w.Case(id);
  CHECK(c.status == fb::CaseStatus::OpenFinanciallySupported);
  CHECK(c.finance.first_start_date == "2025-03-03");  // the 1,000-day count runs from the first support
}

TEST_CASE("step 9: a flagged duplicate is removed by network support and its personal data erased", "[domain]") {
  World w;
  const std::string keep = w.NewCase("camden");
  const std::string dup = w.NewCase("camden");
  RemoveDuplicate remove{dup};
  CHECK(Refusal(w.Try("ns-admin", remove)) == "failed_precondition/not_flagged");
  CHECK(Refusal(w.Try("camden-cw1", FlagDuplicate{dup, dup})) == "invalid_argument/duplicate_of_invalid");
  w.Do("camden-cw1", FlagDuplicate{dup, keep});
  CHECK(Refusal(w.Try("camden-cw1", remove)) == "permission_denied/role_not_permitted");
  w.Do("ns-admin", remove);

  const CaseState c = w.Case(dup);
  CHECK(c.removed);
  CHECK_FALSE(c.applicant.details);
  CHECK_FALSE(c.dependants[0].details);
  CHECK(*w.ledger->IsShredded(ApplicantSubject(dup)));
  CHECK(*w.ledger->IsShredded(DependantSubject(dup, 1)));
  CHECK_FALSE(*w.ledger->IsShredded(ApplicantSubject(keep)));
  auto stored = w.ledger->ReadStream(CaseStream(dup), 1, 1);
  REQUIRE(stored.ok());
  CHECK(w.ledger->OpenSealed((*stored)[0], 0).status().code() == Code::kShredded);
  CHECK(w.ledger->Verify({}).ok);
  CHECK(Refusal(w.Try("camden-cw1", RecordAdvice{dup, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""})) ==
        "failed_precondition/case_removed");
  // It no longer counts and is no longer found.
  projections::SearchQuery q;
  q.name = "Amina Okafor";
  auto hits = w.service->Search("camden-cw1", q);
  REQUIRE(hits.ok());
  REQUIRE(hits->size() == 1);
  CHECK((*hits)[0].case_id == keep);
  CHECK(w.service->Counters("camden-cw1", false, "")->open_referrals == 1);
}

TEST_CASE("removing a duplicate erases the RTPF look-up it was created from, not one its original shares", "[domain]") {
  World w;
  const std::string keep = w.NewCase("camden");
  auto lookup = [&] {
    return w.Do("camden-cw1", RtpfLookup{fb::DocumentType::Passport, "P12345678", "1990-05-17"}).lookup_id;
  };
  CreateCase from_lookup = MinimalCase(SamplePerson("Amina", "Okafor", "1990-05-17"));
  from_lookup.rtpf_lookup_id = lookup();
  const std::string dup = w.Do("camden-cw1", from_lookup).case_id;
  w.Do("camden-cw1", FlagDuplicate{dup, keep});
  w.Do("ns-admin", RemoveDuplicate{dup});
  CHECK(*w.ledger->IsShredded(RtpfSubject(from_lookup.rtpf_lookup_id)));
  CHECK(*w.ledger->IsShredded(ApplicantSubject(dup)));

  // Two cases from one look-up: removing the duplicate keeps the original's look-up.
  CreateCase original = MinimalCase(SamplePerson("Bola", "Adeyemi", "1985-01-02"));
  original.rtpf_lookup_id = lookup();
  const std::string first = w.Do("camden-cw1", original).case_id;
  const std::string second = w.Do("camden-cw1", original).case_id;
  w.Do("camden-cw1", FlagDuplicate{second, first});
  w.Do("ns-admin", RemoveDuplicate{second});
  CHECK(*w.ledger->IsShredded(ApplicantSubject(second)));
  CHECK_FALSE(*w.ledger->IsShredded(RtpfSubject(original.rtpf_lookup_id)));
}

TEST_CASE("of two cases flagged as each other's duplicate, one always survives", "[domain]") {
  World w;
  const std::string a = w.NewCase("camden");
  const std::string b = w.NewCase("camden");
  const std::string c = w.NewCase("camden");
  w.Do("camden-cw1", FlagDuplicate{a, b});
  CHECK(Refusal(w.Try("camden-cw1", FlagDuplicate{b, a})) == "failed_precondition/keep_is_duplicate");
  CHECK(Refusal(w.Try("camden-cw1", FlagDuplicate{a, c})) == "failed_precondition/already_flagged");
  // b goes as a duplicate of c: a, flagged against b, cannot go with it...
  w.Do("camden-cw1", FlagDuplicate{b, c});
  CHECK(Refusal(w.Try("ns-admin", RemoveDuplicate{a})) == "failed_precondition/keep_unavailable");
  w.Do("ns-admin", RemoveDuplicate{b});
  CHECK(Refusal(w.Try("ns-admin", RemoveDuplicate{a})) == "failed_precondition/keep_unavailable");
  // ...until the council points it at a case that stays.
  w.Do("camden-cw1", FlagDuplicate{a, c});
  w.Do("ns-admin", RemoveDuplicate{a});
  CHECK(w.Case(a).removed);
  CHECK(w.Case(b).removed);
  CHECK_FALSE(w.Case(c).removed);
  CHECK(w.Case(c).applicant.details);
}

TEST_CASE("step 10: advice given to the person is recorded with its date", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  w.Do("camden-cw1", RecordAdvice{id, "2025-03-03", fb::AdvisedOf::HomeOfficeInformationReturned, "told in person"});
  CHECK(Refusal(w.Try("camden-cw1", RecordAdvice{id, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""})) ==
        "invalid_argument/advised_on_invalid");  // a day still to come
  w.Do("camden-cw1", RecordAdvice{id, "2025-03-02", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""});
  const CaseState c = w.Case(id);
  REQUIRE(c.advice.size() == 2);
  CHECK(c.advice[0].advised_on == "2025-03-03");
  CHECK(c.advice[1].advised_on == "2025-03-02");
  CHECK(c.advice[0].of == fb::AdvisedOf::HomeOfficeInformationReturned);
  CHECK(c.advice[0].recorded_by == "camden-cw1");
  CHECK(c.advice[0].note == std::optional<std::string>("told in person"));
  CHECK_FALSE(c.advice[1].note);
  // The note is personal data: a metadata-only reader gets no advice at all.
  auto metadata = w.service->ReadCase("ns-admin", id);
  REQUIRE(metadata.ok());
  CHECK(metadata->advice.empty());
  auto full = w.service->ReadCase("camden-cw1", id);
  REQUIRE(full.ok());
  CHECK(full->advice[0].note == std::optional<std::string>("told in person"));
  CHECK(Refusal(w.Try("camden-cw1", RecordAdvice{id, "2025-02-30", fb::AdvisedOf::HomeOfficeInformationReturned, ""})) ==
        "invalid_argument/advised_on_invalid");
}

TEST_CASE("a command carrying a stale case version is refused with the current version", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  const std::uint64_t seen = w.Case(id).version;
  w.Do("camden-cw1", AllocateCaseworker{id, "camden-cw2"}, seen);
  auto stale = w.Try("camden-cw2", ChangeTeam{id, "team-b"}, seen);
  CHECK(Refusal(stale) == "wrong_expected_version/stale_version");
  CHECK(stale.status().current_version() == std::optional<std::uint64_t>(seen + 1));
  CHECK(w.Try("camden-cw2", ChangeTeam{id, "team-b"}, seen + 1).ok());
}

TEST_CASE("a retried command returns the first outcome and writes nothing", "[domain]") {
  World w;
  const CreateCase c = MinimalCase(SamplePerson("Grace", "Mensah", "1992-10-10"));
  auto first = w.Try("camden-cw1", c, std::nullopt, "cmd-1");
  REQUIRE(first.ok());
  const std::uint64_t size = w.ledger->Size();
  auto retry = w.Try("camden-cw1", c, std::nullopt, "cmd-1");
  REQUIRE(retry.ok());
  CHECK(retry->duplicate);
  CHECK(retry->case_id == first->case_id);
  CHECK(retry->first_position == first->first_position);
  CHECK(w.ledger->Size() == size);
}

TEST_CASE("bad input is refused with a stable reason and writes nothing", "[domain]") {
  World w;
  const std::uint64_t size = w.ledger->Size();
  CreateCase c;
  c.referral_date = "2025-03-01";
  CHECK(Refusal(w.Try("camden-cw1", c)) == "invalid_argument/applicant_name_invalid");
  c.applicant = SamplePerson("A", "B", "1990-13-01");
  CHECK(Refusal(w.Try("camden-cw1", c)) == "invalid_argument/applicant_date_of_birth_invalid");
  c.applicant.date_of_birth = "1990-01-01";
  // No enum of a case is guessed: each one left out is refused, named.
  CHECK(Refusal(w.Try("camden-cw1", c)) == "invalid_argument/household_type_invalid");
  c.household_type = fb::HouseholdType::AdultWithCareNeeds;
  CHECK(Refusal(w.Try("camden-cw1", c)) == "invalid_argument/legislation_invalid");
  c.legislation = fb::Legislation::CareAct2014;
  c.team_id = "no-such-team";
  CHECK(Refusal(w.Try("camden-cw1", c)) == "not_found/team_not_found");
  c.team_id = "team-a";
  c.caseworker_id = "leeds-cw1";
  CHECK(Refusal(w.Try("camden-cw1", c)) == "invalid_argument/caseworker_invalid");
  c.caseworker_id.clear();
  c.household_type = static_cast<fb::HouseholdType>(42);
  CHECK(Refusal(w.Try("camden-cw1", c)) == "invalid_argument/household_type_invalid");
  CHECK(Refusal(w.Try("camden-cw1", AllocateCaseworker{"99999", "camden-cw1"})) == "not_found/case_not_found");
  CHECK(Refusal(w.Try("nobody", AllocateCaseworker{"1", "camden-cw1"})) == "permission_denied/unknown_user");
  CHECK(w.ledger->Size() == size);
}

// The changed_fields of the event at `position` (an applicant or finance
// amendment); the event itself still records the whole resulting record.
template <typename Body>
std::vector<std::string> ChangedFieldsAt(World& w, std::uint64_t position) {
  auto stored = w.ledger->ReadRange(position, 1);
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 1);
  Result<EventView> e = DecodeEvent(stored->front(), {});
  REQUIRE(e.ok());
  std::vector<std::string> out;
  if (const auto* fields = e->Body<Body>()->changed_fields()) {
    for (const flatbuffers::String* f : *fields) out.push_back(f->str());
  }
  return out;
}

TEST_CASE("a form's mistakes are refused together, each named by its path in the request", "[domain]") {
  World w;
  const std::uint64_t size = w.ledger->Size();
  CreateCase c = MinimalCase(SamplePerson("", "", "1990-02-30"));
  c.applicant.documents = {{fb::DocumentType::Passport, ""}};
  c.dependants = {SamplePerson("Tobi", "Okafor", "2016-02-01"), SamplePerson("Ada", "Okafor", "2031-01-01")};
  c.household_type.reset();
  c.urgent = true;
  c.urgent_reason = fb::UrgentReason::None;
  c.referral_date = "2025-3-1";
  const auto r = w.Try("camden-cw1", c);
  // The refusal itself is the first problem, as a single refusal named it.
  CHECK(Refusal(r) == "invalid_argument/applicant_name_invalid");
  CHECK(FieldsOf(r) == std::vector<std::string>{
                           "applicant.family_name applicant_name_invalid",
                           "applicant.date_of_birth applicant_date_of_birth_invalid",
                           "applicant.documents[0].number applicant_document_invalid",
                           "dependants[1].date_of_birth dependant_date_of_birth_invalid",
                           "household_type household_type_invalid",
                           "urgent_reason urgent_reason_invalid",
                           "referral_date referral_date_invalid",
                       });
  CHECK(r.status().fields()[1].message == "applicant.date_of_birth is not a day of the calendar");
  CHECK(w.ledger->Size() == size);

  // One mistake is one field; a mistake found only against the case's
  // state is named the same way.
  c = MinimalCase(SamplePerson("Grace", "Mensah", "1992-10-10"));
  const std::string id = w.Do("camden-cw1", c).case_id;
  CHECK(FieldsOf(w.Try("camden-cw1", CloseCase{id, "2025-02-01", fb::ClosureReason::Other, ""})) ==
        std::vector<std::string>{"closure_date closure_date_invalid"});
  RecordFinance f{id, "2025-03-01", -1, 100'000'001, false};
  CHECK(FieldsOf(w.Try("camden-cw1", f)) == std::vector<std::string>{
                                                "person_costs_weekly_pence costs_invalid",
                                                "accommodation_costs_weekly_pence costs_invalid",
                                            });
  // An id the form gives that names nothing is not found, and named too.
  const auto nobody = w.Try("camden-cw1", AllocateCaseworker{id, "nobody"});
  CHECK(Refusal(nobody) == "not_found/user_not_found");
  CHECK(FieldsOf(nobody) == std::vector<std::string>{"caseworker_id user_not_found"});
  // A refusal that is not about the input names no field.
  const auto unknown = w.Try("camden-cw1", RecordFinance{"no-such-case", "2025-03-01", 0, 0, false});
  CHECK(Refusal(unknown) == "not_found/case_not_found");
  CHECK(FieldsOf(unknown).empty());
}

TEST_CASE("a command's enum left out is refused naming the field, never read as its first value", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  const std::uint64_t size = w.ledger->Size();
  RegisterOrganisation org{"bristol", std::nullopt, "Bristol", fb::Nation::EnglandAndWales};
  CHECK(Refusal(w.Try("ns-admin", org)) == "invalid_argument/kind_invalid");
  org.kind = fb::OrganisationKind::Council;
  org.nation.reset();
  CHECK(Refusal(w.Try("ns-admin", org)) == "invalid_argument/nation_invalid");  // a council's bank holidays
  CHECK(Refusal(w.Try("camden-admin", CreateUser{"camden-x", "camden", std::nullopt, "", "X", ""})) ==
        "invalid_argument/role_invalid");
  CHECK(Refusal(w.Try("camden-admin", ChangeUserRole{"camden-cw2", std::nullopt})) == "invalid_argument/role_invalid");
  CHECK(Refusal(w.Try("camden-cw1", RtpfLookup{std::nullopt, "P12345678", "1990-05-17"})) ==
        "invalid_argument/document_type_invalid");
  CHECK(Refusal(w.Try("camden-cw1", RecordAdvice{id, "2025-03-03", std::nullopt, ""})) == "invalid_argument/of_invalid");
  CHECK(Refusal(w.Try("ho-1", CompleteStatusCheck{id, std::nullopt, ""})) == "invalid_argument/status_invalid");
  CHECK(Refusal(w.Try("ho-1", UpdateImmigrationStatus{id, std::nullopt, ""})) == "invalid_argument/status_invalid");
  RaiseQuery q = QueryOn(id);
  q.topic.reset();
  CHECK(Refusal(w.Try("camden-cw1", q)) == "invalid_argument/topic_invalid");
  // Named first as it always was, before the closure date's own later
  // check (2025-12-04 is after the test's today); both are listed.
  const auto no_reason = w.Try("camden-cw1", CloseCase{id, "2025-12-04", std::nullopt, ""});
  CHECK(Refusal(no_reason) == "invalid_argument/reason_invalid");
  CHECK(FieldsOf(no_reason) == std::vector<std::string>{"reason reason_invalid", "closure_date closure_date_invalid"});
  CHECK(w.ledger->Size() == size);
  CHECK(w.Case(id).status == fb::CaseStatus::OpenReferral);
  CHECK(w.Case(id).alerts.empty());

  // Only a council's nation decides anything: the other kinds may leave it out.
  w.Do("ns-admin", RegisterOrganisation{"auditors-2", fb::OrganisationKind::AuditBody, "Auditors 2", std::nullopt});
}

TEST_CASE("amend_applicant changes only the fields it carries, and an empty text or list clears one", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  const CaseState before = w.Case(id);
  REQUIRE(before.applicant.details);

  // The address alone: once refused as applicant_name_invalid.
  AmendApplicant address{id, {}, std::nullopt, std::nullopt};
  address.details.address = "2 New Road";
  const std::uint64_t at = w.Do("camden-cw1", address).first_position;
  CaseState c = w.Case(id);
  REQUIRE(c.applicant.details);
  Person expected = *before.applicant.details;
  expected.address = "2 New Road";
  CHECK(*c.applicant.details == expected);
  CHECK(c.household_type == before.household_type);
  CHECK(c.legislation == before.legislation);
  CHECK(ChangedFieldsAt<fb::ApplicantAmended>(w, at) == std::vector<std::string>{"address"});

  // Names and date of birth: nationality, reference, documents, address and
  // household stay.
  AmendApplicant names{id, {}, std::nullopt, std::nullopt};
  names.details.given_names = "Amina J.";
  names.details.family_name = "Okafor";
  names.details.date_of_birth = "1990-05-17";
  w.Do("camden-cw1", names);
  expected.given_names = "Amina J.";
  CHECK(*w.Case(id).applicant.details == expected);
  CHECK(w.Case(id).household_type == fb::HouseholdType::FamilyWithChildren);

  // The household alone keeps every detail.
  AmendApplicant household{id, {}, fb::HouseholdType::AdultWithCareNeeds, fb::Legislation::CareAct2014};
  const std::uint64_t household_at = w.Do("camden-cw1", household).first_position;
  CHECK(*w.Case(id).applicant.details == expected);
  CHECK(w.Case(id).household_type == fb::HouseholdType::AdultWithCareNeeds);
  CHECK(w.Case(id).legislation == fb::Legislation::CareAct2014);
  CHECK(ChangedFieldsAt<fb::ApplicantAmended>(w, household_at) ==
        std::vector<std::string>{"household_type", "legislation"});

  // Given empty, a text or a list is cleared.
  AmendApplicant clear{id, {}, std::nullopt, std::nullopt};
  clear.details.home_office_reference = "";
  clear.details.documents = std::vector<std::pair<fb::DocumentType, std::string>>{};
  const std::uint64_t clear_at = w.Do("camden-cw1", clear).first_position;
  expected.home_office_reference.clear();
  expected.documents.clear();
  CHECK(*w.Case(id).applicant.details == expected);
  CHECK(ChangedFieldsAt<fb::ApplicantAmended>(w, clear_at) ==
        std::vector<std::string>{"home_office_reference", "documents"});

  // A person keeps a name and a date of birth; what changes nothing is refused.
  const std::uint64_t size = w.ledger->Size();
  AmendApplicant nameless{id, {}, std::nullopt, std::nullopt};
  nameless.details.given_names = "";
  nameless.details.family_name = "";
  CHECK(Refusal(w.Try("camden-cw1", nameless)) == "invalid_argument/applicant_name_invalid");
  AmendApplicant undated{id, {}, std::nullopt, std::nullopt};
  undated.details.date_of_birth = "";
  CHECK(Refusal(w.Try("camden-cw1", undated)) == "invalid_argument/applicant_date_of_birth_invalid");
  CHECK(Refusal(w.Try("camden-cw1", AmendApplicant{id, {}, std::nullopt, std::nullopt})) ==
        "failed_precondition/unchanged");
  AmendApplicant same{id, {}, fb::HouseholdType::AdultWithCareNeeds, std::nullopt};
  same.details.address = "2 New Road";
  CHECK(Refusal(w.Try("camden-cw1", same)) == "failed_precondition/unchanged");
  CHECK(w.ledger->Size() == size);
}

TEST_CASE("amend_finance changes only the fields it carries", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  RecordFinance f;
  f.case_id = id;
  f.start_date = "2025-03-03";
  f.person_costs_weekly_pence = 12000;
  f.accommodation_costs_weekly_pence = 30000;
  f.accommodation_provided = true;
  CHECK(Refusal(w.Try("camden-cw1", AmendFinance{id, "2025-03-02", 9000, std::nullopt, std::nullopt})) ==
        "failed_precondition/no_finance");
  w.Do("camden-cw1", f);

  // Start date and person costs: the accommodation stays as recorded.
  const std::uint64_t at =
      w.Do("camden-cw1", AmendFinance{id, "2025-03-02", 9000, std::nullopt, std::nullopt}).first_position;
  FinanceState now = w.Case(id).finance;
  CHECK(now.start_date == "2025-03-02");
  CHECK(now.person_costs_weekly_pence == 9000);
  CHECK(now.accommodation_costs_weekly_pence == 30000);
  CHECK(now.accommodation_provided);
  CHECK(now.amendments == 1);
  CHECK(ChangedFieldsAt<fb::FinanceRecorded>(w, at) == std::vector<std::string>{"start_date", "person_costs"});

  // A false or a zero given is a value, not an absence.
  w.Do("camden-cw1", AmendFinance{id, std::nullopt, std::nullopt, 0, false});
  now = w.Case(id).finance;
  CHECK(now.start_date == "2025-03-02");
  CHECK(now.person_costs_weekly_pence == 9000);
  CHECK(now.accommodation_costs_weekly_pence == 0);
  CHECK_FALSE(now.accommodation_provided);

  const std::uint64_t size = w.ledger->Size();
  CHECK(Refusal(w.Try("camden-cw1", AmendFinance{id, std::nullopt, std::nullopt, std::nullopt, std::nullopt})) ==
        "failed_precondition/unchanged");
  CHECK(Refusal(w.Try("camden-cw1", AmendFinance{id, std::nullopt, 9000, std::nullopt, std::nullopt})) ==
        "failed_precondition/unchanged");
  CHECK(Refusal(w.Try("camden-cw1", AmendFinance{id, "", std::nullopt, std::nullopt, std::nullopt})) ==
        "invalid_argument/start_date_invalid");
  CHECK(w.ledger->Size() == size);
}

TEST_CASE("caseload lists filter by state, team, caseworker, legislation and household", "[domain]") {
  World w;
  const std::string a = w.NewCase("camden");
  const std::string b = w.NewCase("camden");
  w.Do("camden-cw1", ChangeTeam{b, "team-b"});
  RecordFinance f;
  f.case_id = a;
  f.start_date = "2025-03-03";
  w.Do("camden-cw1", f);
  auto list = [&](projections::CaseloadFilter filter) {
    auto r = w.service->Caseload("camden-admin", std::move(filter));
    REQUIRE(r.ok());
    std::vector<std::string> ids;
    for (const auto& row : *r) ids.push_back(row.case_id);
    return ids;
  };
  projections::CaseloadFilter all;
  CHECK(list(all) == std::vector<std::string>{a, b});
  projections::CaseloadFilter supported;
  supported.status = fb::CaseStatus::OpenFinanciallySupported;
  CHECK(list(supported) == std::vector<std::string>{a});
  projections::CaseloadFilter team;
  team.team_id = "team-b";
  CHECK(list(team) == std::vector<std::string>{b});
  projections::CaseloadFilter care;
  care.legislation = fb::Legislation::CareAct2014;
  CHECK(list(care).empty());
  projections::CaseloadFilter families;
  families.household_type = fb::HouseholdType::FamilyWithChildren;
  families.caseworker_id = "camden-cw1";
  CHECK(list(families).size() == 2);
  // Leeds sees none of them.
  CHECK(w.service->Caseload("leeds-admin", all)->empty());
  // A team or caseworker that is not the council's matches nothing: refused,
  // naming the field, rather than a page of noughts.
  projections::CaseloadFilter no_team;
  no_team.team_id = "team-zz";
  CHECK(Refusal(w.service->Caseload("camden-admin", no_team)) == "not_found/team_not_found");
  CHECK(w.service->Caseload("camden-admin", no_team).status().fields()[0].field == "team_id");
  CHECK(Refusal(w.service->Counters("camden-admin", false, "team-zz")) == "not_found/team_not_found");
  projections::CaseloadFilter foreign;
  foreign.caseworker_id = "leeds-cw1";
  CHECK(Refusal(w.service->Caseload("camden-admin", foreign)) == "not_found/user_not_found");
  // A deleted caseworker's cases are still listed: they are the ones to reallocate.
  w.Do("camden-admin", DeleteUser{"camden-cw1"});
  CHECK(list(families).size() == 2);
}

TEST_CASE("the 1,000-day counter counts open supported cases from their first support", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  RecordFinance f;
  f.case_id = id;
  f.start_date = "2025-03-03";
  w.Do("camden-cw1", f);
  CHECK(w.service->Counters("camden-cw1", true, "")->thousand_day_cases == 0);
  w.clock.Advance(999 * kDayUs);
  CHECK(w.service->Counters("camden-cw1", true, "")->thousand_day_cases == 0);
  w.clock.Advance(1 * kDayUs);
  CHECK(w.service->Counters("camden-cw1", true, "")->thousand_day_cases == 1);
  CHECK(w.service->Counters("camden-cw2", true, "")->thousand_day_cases == 0);
  CHECK(w.service->Counters("camden-admin", false, "")->thousand_day_cases == 1);
  // The list behind the counter holds the same case.
  projections::CaseloadFilter thousand;
  thousand.thousand_day = true;
  thousand.my_cases = true;
  auto rows = w.service->Caseload("camden-cw1", thousand);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].case_id == id);
  CHECK(w.service->Caseload("camden-cw2", thousand)->empty());
}

TEST_CASE("each home-page counter opens the list of cases it counts, with their open alerts", "[domain]") {
  World w;
  const std::string a = w.NewCase("camden");
  const std::string b = w.NewCase("camden");
  const std::string c = w.NewCase("camden");
  w.Do("camden-cw1", AllocateCaseworker{c, "camden-cw2"});
  w.Do("ho-1", CompleteStatusCheck{a, fb::ImmigrationStatus::ApplicationPending, ""});
  w.Do("ho-1", CompleteStatusCheck{c, fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds, ""});
  const auto list = [&](const std::string& user, projections::CaseloadFilter filter) {
    auto r = w.service->Caseload(user, std::move(filter));
    REQUIRE(r.ok());
    std::vector<std::string> ids;
    for (const auto& row : *r) ids.push_back(row.case_id);
    return ids;
  };
  projections::CaseloadFilter updates;
  updates.open_alert = fb::AlertKind::ImmigrationUpdate;
  CHECK(list("camden-admin", updates) == std::vector<std::string>{a, c});
  CHECK(w.service->Counters("camden-admin", false, "")->immigration_update_alerts == 2);
  updates.my_cases = true;
  CHECK(list("camden-cw1", updates) == std::vector<std::string>{a});
  CHECK(list("camden-cw2", updates) == std::vector<std::string>{c});
  projections::CaseloadFilter closure;
  closure.open_alert = fb::AlertKind::ClosureRequired;
  CHECK(list("camden-cw1", closure) == std::vector<std::string>{c});
  // A row carries its open alerts, to be reviewed and closed from the list.
  auto rows = w.service->Caseload("camden-cw1", closure);
  REQUIRE(rows->size() == 1);
  REQUIRE((*rows)[0].alerts.size() == 2);
  CHECK((*rows)[0].open_alerts == 2);
  CHECK((*rows)[0].alerts[0].kind == fb::AlertKind::ImmigrationUpdate);
  CHECK((*rows)[0].alerts[1].kind == fb::AlertKind::ClosureRequired);
  // Once reviewed, a case leaves its list; b never had an alert.
  w.Do("camden-cw1", CloseAlert{a, (*w.service->Caseload("camden-cw1", updates))[0].alerts[0].alert_id});
  CHECK(list("camden-cw1", updates).empty());
  CHECK(list("camden-admin", {}) == std::vector<std::string>{a, b, c});
  // "My cases" and another caseworker's id do not mix.
  projections::CaseloadFilter both;
  both.my_cases = true;
  both.caseworker_id = "camden-cw2";
  CHECK(Refusal(w.service->Caseload("camden-cw1", both)) == "invalid_argument/caseworker_id_invalid");
  // Network support sees no alert kinds, and may not list by them.
  projections::CaseloadFilter of_camden;
  of_camden.organisation_id = "camden";
  auto metadata = w.service->Caseload("ns-admin", of_camden);
  REQUIRE(metadata.ok());
  REQUIRE(metadata->size() == 3);
  CHECK(metadata->back().open_alerts == 2);
  CHECK(metadata->back().alerts.empty());
  of_camden.open_alert = fb::AlertKind::ClosureRequired;
  CHECK(Refusal(w.service->Caseload("ns-admin", of_camden)) == "permission_denied/no_personal_data");
  of_camden.open_alert.reset();
  of_camden.thousand_day = true;
  CHECK(Refusal(w.service->Caseload("ns-admin", of_camden)) == "permission_denied/no_personal_data");
}

TEST_CASE("projections rebuilt from the log equal the live ones after every lifecycle step", "[domain][rebuild]") {
  World w;
  const std::string id = w.NewCase("camden");
  w.Do("ho-1", CompleteStatusCheck{id, fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds, "granted"});
  const std::string dup = w.NewCase("camden");
  w.Do("camden-cw1", FlagDuplicate{dup, id});
  w.Do("ns-admin", RemoveDuplicate{dup});
  w.Do("camden-cw1", CloseCase{id, "2025-03-03", fb::ClosureReason::RecourseToPublicFundsGranted, ""});
  const std::string live = w.service->projector().Read([](const projections::Projections& p) { return p.Dump(); });
  auto rebuilt = projections::Rebuild(*w.ledger);
  REQUIRE(rebuilt.ok());
  CHECK((*rebuilt)->Dump() == live);
}

TEST_CASE("correcting the first support's start date moves the 1,000-day counter, a later period's does not", "[domain]") {
  World w;  // 2025-03-03
  const std::string id = w.NewCase("camden");
  RecordFinance f;
  f.case_id = id;
  f.start_date = "2025-03-01";
  f.person_costs_weekly_pence = 1000;
  w.Do("camden-cw1", f);
  CHECK(w.Case(id).finance.first_start_date == "2025-03-01");
  CHECK(w.service->Counters("camden-cw1", true, "")->thousand_day_cases == 0);

  AmendFinance back;
  back.case_id = id;
  back.start_date = "2021-01-01";
  w.Do("camden-cw1", back);
  CaseState c = w.Case(id);
  CHECK(c.finance.start_date == "2021-01-01");
  CHECK(c.finance.first_start_date == "2021-01-01");
  CHECK(w.service->Counters("camden-cw1", true, "")->thousand_day_cases == 1);
  // A correction the other way moves it back.
  back.start_date = "2025-02-01";
  w.Do("camden-cw1", back);
  CHECK(w.Case(id).finance.first_start_date == "2025-02-01");
  CHECK(w.service->Counters("camden-cw1", true, "")->thousand_day_cases == 0);

  // Once that support has ended, a later period's amendments leave the
  // first start alone.
  w.Do("camden-cw1", EndFinance{id, "2025-03-02"});
  f.start_date = "2025-03-03";
  w.Do("camden-cw1", f);
  back.start_date = "2025-03-02";
  w.Do("camden-cw1", back);
  c = w.Case(id);
  CHECK(c.finance.start_date == "2025-03-02");
  CHECK(c.finance.first_start_date == "2025-02-01");

  auto rebuilt = projections::Rebuild(*w.ledger);
  REQUIRE(rebuilt.ok());
  CHECK((*rebuilt)->Dump() == w.service->projector().Read([](const projections::Projections& p) { return p.Dump(); }));
}

TEST_CASE("dates still to come, and a reopening before the closure, are refused", "[domain]") {
  World w;  // 2025-03-03 10:00 UTC
  CreateCase later = MinimalCase(SamplePerson("Amina", "Okafor", "1990-05-17"));
  later.referral_date = "2025-03-04";
  CHECK(Refusal(w.Try("camden-cw1", later)) == "invalid_argument/referral_date_invalid");
  later.referral_date = "2025-03-03";  // today is accepted
  CreateCase unborn = later;
  unborn.applicant.date_of_birth = "2025-03-04";
  CHECK(Refusal(w.Try("camden-cw1", unborn)) == "invalid_argument/applicant_date_of_birth_invalid");
  unborn = later;
  unborn.dependants.push_back(SamplePerson("Baby", "Okafor", "2025-06-01"));
  CHECK(Refusal(w.Try("camden-cw1", unborn)) == "invalid_argument/dependant_date_of_birth_invalid");
  CHECK(Refusal(w.Try("camden-cw1", RtpfLookup{fb::DocumentType::Passport, "X1", "2026-01-01"})) ==
        "invalid_argument/date_of_birth_invalid");
  const std::string id = w.NewCase("camden");  // referred 2025-03-01
  CHECK(Refusal(w.Try("camden-cw1", AddDependant{id, SamplePerson("Baby", "Okafor", "2025-03-04")})) ==
        "invalid_argument/dependant_date_of_birth_invalid");
  w.Do("camden-cw1", AddDependant{id, SamplePerson("Baby", "Okafor", "2025-03-03")});
  AmendApplicant amend;
  amend.case_id = id;
  amend.details.date_of_birth = "2030-01-01";
  CHECK(Refusal(w.Try("camden-cw1", amend)) == "invalid_argument/applicant_date_of_birth_invalid");
  CHECK(w.Case(id).applicant.details->date_of_birth == "1990-05-17");

  // Support is recorded as started, amended and ended on no day still to come.
  CHECK(Refusal(w.Try("camden-cw1", RecordFinance{id, "2025-03-04", 1000, 0, false})) ==
        "invalid_argument/start_date_invalid");
  w.Do("camden-cw1", RecordFinance{id, "2025-03-03", 1000, 0, false});
  AmendFinance later_start;
  later_start.case_id = id;
  later_start.start_date = "2025-03-04";
  CHECK(Refusal(w.Try("camden-cw1", later_start)) == "invalid_argument/start_date_invalid");
  CHECK(Refusal(w.Try("camden-cw1", EndFinance{id, "2025-03-04"})) == "invalid_argument/end_date_invalid");
  CHECK(w.Case(id).finance.start_date == "2025-03-03");
  CHECK(w.Case(id).finance.active);
  w.Do("camden-cw1", EndFinance{id, "2025-03-03"});

  // A case closes no earlier than its referral nor later than today, and reopens no earlier than
  // its closure and no later than today.
  CHECK(Refusal(w.Try("camden-cw1", CloseCase{id, "2025-03-04", fb::ClosureReason::Other, ""})) ==
        "invalid_argument/closure_date_invalid");
  CHECK(Refusal(w.Try("camden-cw1", CloseCase{id, "2025-02-28", fb::ClosureReason::Other, ""})) ==
        "invalid_argument/closure_date_invalid");
  w.Do("camden-cw1", CloseCase{id, "2025-03-02", fb::ClosureReason::Other, ""});
  CHECK(Refusal(w.Try("camden-cw1", ReopenCase{id, "2025-03-01"})) == "invalid_argument/reopened_on_invalid");
  CHECK(Refusal(w.Try("camden-cw1", ReopenCase{id, "2025-03-04"})) == "invalid_argument/reopened_on_invalid");
  CHECK(w.Case(id).status == fb::CaseStatus::Closed);
  CHECK(w.Case(id).reopened_on.empty());
  w.Do("camden-cw1", ReopenCase{id, "2025-03-02"});
  CHECK(w.Case(id).reopened_on == "2025-03-02");
  CHECK(w.Case(id).reopenings == 1);
  // Nor closes again before that reopening.
  CHECK(Refusal(w.Try("camden-cw1", CloseCase{id, "2025-03-01", fb::ClosureReason::Other, ""})) ==
        "invalid_argument/closure_date_invalid");
  w.Do("camden-cw1", CloseCase{id, "2025-03-03", fb::ClosureReason::Other, ""});
  // The UK local date counts: 23:30 UTC on 3 July is 4 July in London.
  w.clock.Set(kWorldStart + 122 * kDayUs + 13 * kHourUs + 30 * 60 * 1'000'000LL);  // 2025-07-03 23:30 UTC
  w.Do("camden-cw1", ReopenCase{id, "2025-07-04"});
  CHECK(w.Case(id).reopened_on == "2025-07-04");
  CHECK(w.Case(id).MetadataOnly().reopened_on == "2025-07-04");
}

TEST_CASE("a query's topic belongs to the party raising it", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  CHECK(Refusal(w.Try("ho-1", QueryOn(id, fb::QueryTopic::Expedite))) == "invalid_argument/topic_invalid");
  CHECK(Refusal(w.Try("ho-1", QueryOn(id, fb::QueryTopic::StatusUpdate))) == "invalid_argument/topic_invalid");
  CHECK(Refusal(w.Try("camden-cw1", QueryOn(id, fb::QueryTopic::HomeOfficeInformationRequest))) ==
        "invalid_argument/topic_invalid");
  CHECK(w.Case(id).queries.empty());
  w.Do("camden-cw1", QueryOn(id, fb::QueryTopic::Expedite));
  w.Do("ho-1", QueryOn(id, fb::QueryTopic::HomeOfficeInformationRequest));
  const CaseState c = w.Case(id);
  REQUIRE(c.queries.size() == 2);
  CHECK(c.queries[0].topic == fb::QueryTopic::Expedite);
  CHECK(c.queries[0].direction == fb::QueryDirection::CouncilToHomeOffice);
  CHECK(c.queries[1].topic == fb::QueryTopic::HomeOfficeInformationRequest);
  CHECK(c.queries[1].direction == fb::QueryDirection::HomeOfficeToCouncil);
}

}  // namespace
}  // namespace nrpf::test
