// SLA clocks through the real service: every clock met and breached, across
// weekends and bank holidays that differ between the nations, judged by the
// policy in force when each clock started.

#include <catch2/catch.hpp>

#include <chrono>

#include "domain/sla.h"
#include "tests/domain_world.h"

namespace nrpf::test {
namespace {

std::int64_t Utc(int y, unsigned m, unsigned d, int hour, int minute = 0) {
  const auto days = std::chrono::sys_days(std::chrono::year_month_day(
      std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)));
  return (static_cast<std::int64_t>(days.time_since_epoch().count()) * 24 + hour) * kHourUs +
         static_cast<std::int64_t>(minute) * 60'000'000;
}

SlaClockInstance ClockOf(World& w, const std::string& case_id, fb::SlaClock clock, const std::string& query_id = "") {
  auto clocks = w.service->Clocks("auditor-1", {});
  REQUIRE(clocks.ok());
  for (const SlaClockInstance& k : *clocks) {
    if (k.case_id == case_id && k.clock == clock && k.query_id == query_id) return k;
  }
  FAIL("no such clock");
  return {};
}

std::string StateOf(World& w, const std::string& case_id, fb::SlaClock clock, const std::string& query_id = "") {
  return std::string(ClockStateName(ClockOf(w, case_id, clock, query_id).StateAsOf(w.clock.NowMicros())));
}

TEST_CASE("initial check over Easter: 5 working days differ by nation", "[sla]") {
  World w;
  // Thursday 17 April 2025, before Good Friday (all nations) and Easter
  // Monday (not Scotland).
  w.clock.Set(Utc(2025, 4, 17, 10));
  const std::string england = w.NewCase("camden");
  const std::string scotland = w.NewCase("glasgow");
  const std::string ireland = w.NewCase("belfast");
  CHECK(ClockOf(w, england, fb::SlaClock::HomeOfficeInitialCheck).deadline_us == Utc(2025, 4, 28, 23));
  CHECK(ClockOf(w, ireland, fb::SlaClock::HomeOfficeInitialCheck).deadline_us == Utc(2025, 4, 28, 23));
  CHECK(ClockOf(w, scotland, fb::SlaClock::HomeOfficeInitialCheck).deadline_us == Utc(2025, 4, 25, 23));

  w.clock.Set(Utc(2025, 4, 25, 12));
  CHECK(StateOf(w, scotland, fb::SlaClock::HomeOfficeInitialCheck) == "running");
  // Monday 28 April: met in England and Northern Ireland, late in Scotland.
  w.clock.Set(Utc(2025, 4, 28, 12));
  CHECK(StateOf(w, scotland, fb::SlaClock::HomeOfficeInitialCheck) == "breached");
  CHECK(StateOf(w, england, fb::SlaClock::HomeOfficeInitialCheck) == "running");
  for (const std::string& id : {england, scotland, ireland}) {
    w.Do("ho-1", CompleteStatusCheck{id, fb::ImmigrationStatus::ApplicationPending, ""});
  }
  w.clock.Set(Utc(2025, 6, 1, 12));
  CHECK(StateOf(w, england, fb::SlaClock::HomeOfficeInitialCheck) == "met");
  CHECK(StateOf(w, ireland, fb::SlaClock::HomeOfficeInitialCheck) == "met");
  CHECK(StateOf(w, scotland, fb::SlaClock::HomeOfficeInitialCheck) == "breached");
  // Judged as of a time before the check, the same clock was still running.
  CHECK(ClockOf(w, england, fb::SlaClock::HomeOfficeInitialCheck).StateAsOf(Utc(2025, 4, 28, 11)) == ClockState::kRunning);
}

TEST_CASE("initial check over St Patrick's Day: Northern Ireland has a day more", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 3, 14, 10));  // Friday; Monday 17 March is a holiday in NI only
  const std::string england = w.NewCase("leeds");
  const std::string ireland = w.NewCase("belfast");
  CHECK(ClockOf(w, england, fb::SlaClock::HomeOfficeInitialCheck).deadline_us == Utc(2025, 3, 22, 0));
  CHECK(ClockOf(w, ireland, fb::SlaClock::HomeOfficeInitialCheck).deadline_us == Utc(2025, 3, 25, 0));
  w.clock.Set(Utc(2025, 3, 24, 10));
  w.Do("ho-1", CompleteStatusCheck{england, fb::ImmigrationStatus::NoRecordFound, ""});
  w.Do("ho-1", CompleteStatusCheck{ireland, fb::ImmigrationStatus::NoRecordFound, ""});
  CHECK(StateOf(w, england, fb::SlaClock::HomeOfficeInitialCheck) == "breached");
  CHECK(StateOf(w, ireland, fb::SlaClock::HomeOfficeInitialCheck) == "met");
}

TEST_CASE("council answer to a Home Office query: 10 working days over the summer bank holiday", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 8, 18, 9));
  const std::string england = w.NewCase("camden");
  const std::string scotland = w.NewCase("glasgow");
  RaiseQuery q;
  q.topic = fb::QueryTopic::HomeOfficeInformationRequest;
  q.text = "please confirm support";
  w.clock.Set(Utc(2025, 8, 18, 10));
  q.case_id = england;
  w.Do("ho-1", q);
  q.case_id = scotland;
  w.Do("ho-1", q);
  // Monday 25 August is a holiday in England and Wales, not in Scotland.
  CHECK(ClockOf(w, england, fb::SlaClock::CouncilQueryAnswer, "Q1").deadline_us == Utc(2025, 9, 2, 23));
  CHECK(ClockOf(w, scotland, fb::SlaClock::CouncilQueryAnswer, "Q1").deadline_us == Utc(2025, 9, 1, 23));
  CHECK(PartyOf(fb::SlaClock::CouncilQueryAnswer) == "council");
  w.clock.Set(Utc(2025, 9, 2, 10));
  w.Do("camden-cw1", AnswerQuery{england, "Q1", "yes"});
  w.Do("glasgow-cw1", AnswerQuery{scotland, "Q1", "yes"});
  CHECK(StateOf(w, england, fb::SlaClock::CouncilQueryAnswer, "Q1") == "met");
  CHECK(StateOf(w, scotland, fb::SlaClock::CouncilQueryAnswer, "Q1") == "breached");
}

TEST_CASE("Home Office answer to a council query: 5 working days by default, met and breached", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 5, 2, 15));  // Friday before the early May bank holiday
  const std::string id = w.NewCase("camden");
  const RaiseQuery q = QueryOn(id, fb::QueryTopic::StatusUpdate, "update please");
  w.Do("camden-cw1", q);
  w.Do("camden-cw1", q);
  // Tue 6, Wed 7, Thu 8, Fri 9, Mon 12 May (Monday 5 May is a holiday).
  CHECK(ClockOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q1").deadline_us == Utc(2025, 5, 12, 23));
  w.clock.Set(Utc(2025, 5, 12, 16));
  w.Do("ho-1", AnswerQuery{id, "Q1", "here"});
  w.clock.Set(Utc(2025, 5, 13, 9));
  CHECK(StateOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q1") == "met");
  CHECK(StateOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q2") == "breached");  // still unanswered
  w.Do("ho-1", AnswerQuery{id, "Q2", "late"});
  CHECK(StateOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q2") == "breached");
}

TEST_CASE("urgent requests: 24 hours, weekends included", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 6, 6, 14));  // a Friday afternoon
  const std::string urgent_case = w.NewCase("camden", SamplePerson("Ama", "Mensah", "1991-01-01"), /*urgent=*/true);
  CHECK(ClockOf(w, urgent_case, fb::SlaClock::UrgentRequest).deadline_us == Utc(2025, 6, 7, 14));
  RaiseQuery q;
  q.case_id = urgent_case;
  q.topic = fb::QueryTopic::Expedite;
  q.urgent = true;
  q.urgent_reason = fb::UrgentReason::LegalProceedings;
  q.text = "court hearing on Monday";
  w.Do("camden-cw1", q);
  w.clock.Set(Utc(2025, 6, 7, 13));  // Saturday, 23 hours later
  w.Do("ho-1", AnswerQuery{urgent_case, "Q1", "done"});
  CHECK(StateOf(w, urgent_case, fb::SlaClock::UrgentRequest, "Q1") == "met");
  CHECK(StateOf(w, urgent_case, fb::SlaClock::UrgentRequest) == "running");
  w.clock.Set(Utc(2025, 6, 7, 15));  // 25 hours: the urgent case's check is late
  CHECK(StateOf(w, urgent_case, fb::SlaClock::UrgentRequest) == "breached");
  w.Do("ho-1", CompleteStatusCheck{urgent_case, fb::ImmigrationStatus::ApplicationPending, ""});
  CHECK(StateOf(w, urgent_case, fb::SlaClock::UrgentRequest) == "breached");
  // The ordinary initial check of the same case is still within its 5 days.
  CHECK(StateOf(w, urgent_case, fb::SlaClock::HomeOfficeInitialCheck) == "met");
}

TEST_CASE("a clock is judged by the policy in force when it started", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 7, 7, 10));  // Monday
  const std::string before = w.NewCase("camden");
  w.Do("ns-admin", ChangeSlaPolicy{{{fb::SlaClock::HomeOfficeInitialCheck, {fb::SlaUnit::WorkingDays, 2}}}});
  const std::string after = w.NewCase("camden");
  CHECK(w.Case(before).sla_policy_version == 0);
  CHECK(w.Case(after).sla_policy_version == 1);
  CHECK(ClockOf(w, before, fb::SlaClock::HomeOfficeInitialCheck).deadline_us == Utc(2025, 7, 14, 23));
  CHECK(ClockOf(w, after, fb::SlaClock::HomeOfficeInitialCheck).deadline_us == Utc(2025, 7, 9, 23));
  w.clock.Set(Utc(2025, 7, 10, 10));
  w.Do("ho-1", CompleteStatusCheck{before, fb::ImmigrationStatus::NoRecordFound, ""});
  w.Do("ho-1", CompleteStatusCheck{after, fb::ImmigrationStatus::NoRecordFound, ""});
  CHECK(StateOf(w, before, fb::SlaClock::HomeOfficeInitialCheck) == "met");
  CHECK(StateOf(w, after, fb::SlaClock::HomeOfficeInitialCheck) == "breached");
  // The rules not named by the change keep their defaults.
  const SlaPolicy policy = w.service->projector().Read([](const projections::Projections& p) { return p.Policy(); });
  CHECK(policy.Rule(fb::SlaClock::CouncilQueryAnswer).amount == 10);
}

TEST_CASE("a clock whose case closes first is cancelled, unless it was already late", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 7, 7, 10));
  const std::string early = w.NewCase("camden");
  const std::string late = w.NewCase("camden");
  w.clock.Set(Utc(2025, 7, 8, 10));
  w.Do("camden-cw1", CloseCase{early, "2025-07-08", fb::ClosureReason::NoLongerInTouch, ""});
  w.clock.Set(Utc(2025, 7, 20, 10));
  w.Do("camden-cw1", CloseCase{late, "2025-07-20", fb::ClosureReason::NoLongerInTouch, ""});
  CHECK(StateOf(w, early, fb::SlaClock::HomeOfficeInitialCheck) == "cancelled");
  CHECK(StateOf(w, late, fb::SlaClock::HomeOfficeInitialCheck) == "breached");
}

TEST_CASE("a clock cancelled by a closure stays cancelled after the case is reopened", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 7, 7, 10));
  const std::string id = w.NewCase("camden");
  const RaiseQuery to_ho = QueryOn(id, fb::QueryTopic::StatusUpdate, "update please");
  w.Do("camden-cw1", to_ho);  // Q1, for the Home Office
  w.Do("ho-1", QueryOn(id, fb::QueryTopic::HomeOfficeInformationRequest, "still supported?"));  // Q2, for the council
  w.clock.Set(Utc(2025, 7, 8, 10));
  w.Do("camden-cw1", CloseCase{id, "2025-07-08", fb::ClosureReason::NoLongerInTouch, ""});
  // The council may still answer what it was asked; that answer stands.
  w.clock.Set(Utc(2025, 7, 9, 10));
  w.Do("camden-cw1", AnswerQuery{id, "Q2", "no longer"});
  w.clock.Set(Utc(2025, 9, 1, 10));
  w.Do("camden-cw1", ReopenCase{id, "2025-09-01"});
  w.clock.Set(Utc(2025, 9, 2, 10));
  CHECK(StateOf(w, id, fb::SlaClock::HomeOfficeInitialCheck) == "cancelled");
  CHECK(StateOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q1") == "cancelled");
  CHECK(StateOf(w, id, fb::SlaClock::CouncilQueryAnswer, "Q2") == "met");
  CHECK(ClockOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q1").stopped_at_us == Utc(2025, 7, 8, 10));
  // Answered after the reopening, the query's clock still ended at the closure.
  w.Do("ho-1", AnswerQuery{id, "Q1", "here"});
  CHECK(StateOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q1") == "cancelled");
  // A query raised after the reopening runs on its own.
  w.Do("camden-cw1", to_ho);  // Q3
  w.clock.Set(Utc(2025, 9, 30, 10));
  CHECK(StateOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q3") == "breached");
}

TEST_CASE("a late answer on a closed case does not breach a clock the closure cancelled", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 9, 1, 10));  // Monday; ten working days end on Monday 15 September
  const std::string id = w.NewCase("camden");
  const std::string dup = w.NewCase("camden");
  w.Do("ho-1", QueryOn(id, fb::QueryTopic::HomeOfficeInformationRequest, "still supported?"));
  w.clock.Set(Utc(2025, 9, 5, 10));
  w.Do("camden-cw1", CloseCase{id, "2025-09-05", fb::ClosureReason::NoLongerInTouch, ""});
  w.Do("camden-cw1", CloseCase{dup, "2025-09-05", fb::ClosureReason::Other, ""});
  w.clock.Set(Utc(2025, 9, 20, 10));
  w.Do("camden-cw1", AnswerQuery{id, "Q1", "no longer in touch"});  // after the deadline, still closed
  CHECK(StateOf(w, id, fb::SlaClock::CouncilQueryAnswer, "Q1") == "cancelled");
  // A closed duplicate removed later keeps the closure as the end of its clocks.
  w.Do("camden-cw1", FlagDuplicate{dup, id});
  w.Do("ns-admin", RemoveDuplicate{dup});
  const SlaClockInstance k = ClockOf(w, dup, fb::SlaClock::HomeOfficeInitialCheck);
  CHECK(k.stopped_at_us == Utc(2025, 9, 5, 10));
  CHECK(StateOf(w, dup, fb::SlaClock::HomeOfficeInitialCheck) == "cancelled");
}

TEST_CASE("a council sees only its own clocks", "[sla]") {
  World w;
  w.NewCase("camden");
  w.NewCase("leeds");
  auto clocks = w.service->Clocks("leeds-cw1", {});
  REQUIRE(clocks.ok());
  REQUIRE(clocks->size() == 1);
  CHECK((*clocks)[0].organisation_id == "leeds");
  CHECK(w.service->Clocks("auditor-1", {})->size() == 2);
}

TEST_CASE("a policy change replaces only the rules it names, the others stay as in force", "[sla]") {
  World w;
  w.clock.Set(Utc(2025, 7, 7, 10));  // Monday
  w.Do("ns-admin", ChangeSlaPolicy{{{fb::SlaClock::HomeOfficeQueryAnswer, {fb::SlaUnit::WorkingDays, 7}}}});
  w.Do("ns-admin", ChangeSlaPolicy{{{fb::SlaClock::HomeOfficeInitialCheck, {fb::SlaUnit::WorkingDays, 2}}}});
  const SlaPolicy policy = w.service->projector().Read([](const projections::Projections& p) { return p.Policy(); });
  CHECK(policy.version == 2);
  CHECK(policy.Rule(fb::SlaClock::HomeOfficeQueryAnswer).amount == 7);  // kept from v1, not reset to 5
  CHECK(policy.Rule(fb::SlaClock::HomeOfficeInitialCheck).amount == 2);
  CHECK(policy.Rule(fb::SlaClock::UrgentRequest).unit == fb::SlaUnit::Hours);
  CHECK(policy.Rule(fb::SlaClock::UrgentRequest).amount == 24);
  CHECK(policy.Rule(fb::SlaClock::CouncilQueryAnswer).amount == 10);
  // The event itself carries every rule, so it means the same on its own.
  CHECK(policy.rules.size() == static_cast<std::size_t>(fb::SlaClock::MAX) + 1);
  // A query raised under v2 is answered within v1's 7 working days.
  const std::string id = w.NewCase("camden");
  w.Do("camden-cw1", QueryOn(id));
  CHECK(ClockOf(w, id, fb::SlaClock::HomeOfficeQueryAnswer, "Q1").deadline_us == Utc(2025, 7, 16, 23));
  // Rebuilt from the log, the policy is the same.
  auto rebuilt = projections::Rebuild(*w.ledger);
  REQUIRE(rebuilt.ok());
  CHECK((*rebuilt)->Policy().Rule(fb::SlaClock::HomeOfficeQueryAnswer).amount == 7);
}

}  // namespace
}  // namespace nrpf::test
