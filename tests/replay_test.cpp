// nrpf-replay's case timelines, state as of a time, rebuild comparison and
// SLA compliance, on a generated caseload and on scripted cases; and every
// subcommand of the binary.

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "projections/projector.h"
#include "replay/case_history.h"
#include "replay/rebuild_compare.h"
#include "replay/case_report.h"
#include "replay/sla_report.h"
#include "tests/replay_world.h"

namespace nrpf::test {
namespace {

using replay::FlattenCase;

TEST_CASE("a case's state as of sampled times equals the live projections then", "[replay]") {
  GeneratedCaseload world;
  ledger::Ledger& l = *world.ledger;
  // When each position was recorded (never decreasing).
  std::vector<std::int64_t> at;
  for (std::uint64_t p = 0; p < l.Size(); p += 1024) {
    auto batch = l.ReadRange(p, 1024);
    REQUIRE(batch.ok());
    for (const auto& e : *batch) at.push_back(e.record()->recorded_at_us());
  }
  std::mt19937_64 rng(5);
  std::vector<std::string> cases;
  world.service->projector().Read([&](const projections::Projections& p) {
    for (const auto& [org, ids] : p.organisation_cases()) cases.insert(cases.end(), ids.begin(), ids.end());
    return 0;
  });
  REQUIRE(cases.size() >= 500);
  std::vector<std::int64_t> times;
  for (int i = 0; i < 12; ++i) times.push_back(at[rng() % at.size()] + static_cast<std::int64_t>(rng() % 1000));
  std::sort(times.begin(), times.end());
  projections::Projections live;  // folded forward to each time in turn
  std::size_t compared = 0;
  for (std::int64_t t : times) {
    const auto end = static_cast<std::uint64_t>(std::upper_bound(at.begin(), at.end(), t) - at.begin());
    REQUIRE(projections::FoldLog(l, end, &live).ok());
    for (int k = 0; k < 40; ++k) {
      const std::string& id = cases[rng() % cases.size()];
      const domain::CaseState* then = live.Case(id);
      replay::HistoryOptions ho;
      ho.as_of_us = t;
      Result<replay::CaseHistory> h = replay::ReadCaseHistory(l, id, ho);
      if (then == nullptr || !then->exists()) {
        CHECK(h.status().code() == Code::kNotFound);
        continue;
      }
      REQUIRE(h.ok());
      INFO("case " << id << " as of " << replay::FormatTime(t));
      CHECK(FlattenCase(h->state) == FlattenCase(*then));
      CHECK(h->state.version == then->version);
      for (const replay::TimelineEntry& e : h->entries) CHECK(e.recorded_at_us <= t);
      ++compared;
    }
  }
  CHECK(compared > 100);
  // And with no time given, the live state now.
  for (int k = 0; k < 50; ++k) {
    const std::string& id = cases[rng() % cases.size()];
    Result<replay::CaseHistory> h = replay::ReadCaseHistory(l, id);
    REQUIRE(h.ok());
    const std::vector<std::pair<std::string, std::string>> now =
        world.service->projector().Read([&](const projections::Projections& p) { return FlattenCase(*p.Case(id)); });
    CHECK(FlattenCase(h->state) == now);
  }
}

// The change of `field` in `entry`, or nullptr.
const replay::Change* ChangeOf(const replay::TimelineEntry& entry, std::string_view field) {
  for (const replay::Change& c : entry.changes) {
    if (c.field == field) return &c;
  }
  return nullptr;
}

TEST_CASE("Diff names changed, new and gone fields, whether or not the keys line up", "[replay]") {
  const replay::Fields before = {{"status", "open"}, {"team", "a"}, {"urgent", "no"}, {"note", "x"}};
  const replay::Fields same_keys = {{"status", "closed"}, {"team", "a"}, {"urgent", "no"}, {"note", "y"}};
  std::vector<replay::Change> d = replay::Diff(before, same_keys);
  REQUIRE(d.size() == 2);
  CHECK((d[0].field == "status" && d[0].before == "open" && d[0].after == "closed"));
  CHECK((d[1].field == "note" && d[1].before == "x" && d[1].after == "y"));
  // A field added in the middle and one gone: matched by key after the common run.
  const replay::Fields moved = {{"status", "open"}, {"caseworker", "cw1"}, {"urgent", "yes"}, {"team", "a"}};
  d = replay::Diff(before, moved);
  REQUIRE(d.size() == 3);
  CHECK((d[0].field == "caseworker" && d[0].before.empty() && d[0].after == "cw1"));
  CHECK((d[1].field == "urgent" && d[1].before == "no" && d[1].after == "yes"));
  CHECK((d[2].field == "note" && d[2].before == "x" && d[2].after.empty()));
  CHECK(replay::Diff(before, before).empty());
  CHECK(replay::Diff({}, {{"a", ""}}).empty());  // an empty new field is no change
}

TEST_CASE("a timeline says who did what, when, and what it changed from what to what", "[replay]") {
  World w;
  const std::string id = w.NewCase("camden");
  w.clock.Advance(kDayUs);
  w.Do("camden-admin", AllocateCaseworker{id, "camden-cw2"});
  RecordFinance f{id, "2025-03-04", 12000, 35000, true};
  w.Do("camden-cw2", f);
  w.Do("ho-1", CompleteStatusCheck{id, fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds, "granted"});
  REQUIRE(w.service->ReadCaseRecorded("camden-cw2", id, {"summary"}).ok());

  Result<replay::CaseHistory> h = replay::ReadCaseHistory(*w.ledger, id);
  REQUIRE(h.ok());
  const auto& e = h->entries;
  REQUIRE(e.size() >= 6);
  CHECK(e[0].type == "case.created");
  CHECK(e[0].actor_user == "camden-cw1");
  CHECK(e[0].actor_organisation == "camden");
  REQUIRE(ChangeOf(e[0], "applicant.name") != nullptr);
  CHECK(ChangeOf(e[0], "applicant.name")->after == "Amina Okafor");
  CHECK(e[1].type == "case.caseworker_allocated");
  CHECK(e[1].actor_user == "camden-admin");
  CHECK(e[1].recorded_at_us == kWorldStart + kDayUs);
  REQUIRE(ChangeOf(e[1], "caseworker") != nullptr);
  CHECK(ChangeOf(e[1], "caseworker")->before == "camden-cw1");
  CHECK(ChangeOf(e[1], "caseworker")->after == "camden-cw2");
  CHECK(e[1].changes.size() == 1);
  CHECK(e[2].type == "finance.recorded");
  CHECK(ChangeOf(e[2], "status")->before == "OpenReferral");
  CHECK(ChangeOf(e[2], "status")->after == "OpenFinanciallySupported");
  CHECK(ChangeOf(e[2], "finance.person_costs_weekly")->after == "120.00");
  CHECK(e[3].type == "immigration.status_check_completed");
  CHECK(e[3].actor_organisation == "home-office");
  CHECK(ChangeOf(e[3], "immigration.note")->after == "granted");
  // The rules' alerts, then the recorded read.
  const auto read = std::find_if(e.begin(), e.end(), [](const auto& x) { return x.type == "case.accessed"; });
  REQUIRE(read != e.end());
  CHECK(read->actor_user == "camden-cw2");
  CHECK(read->read == std::vector<std::string>{"summary"});
  CHECK(read->changes.empty());

  // Without the master key the same history, with the personal data sealed.
  replay::HistoryOptions sealed;
  sealed.open_sealed = false;
  Result<replay::CaseHistory> s = replay::ReadCaseHistory(*w.ledger, id, sealed);
  REQUIRE(s.ok());
  CHECK(ChangeOf(s->entries[0], "applicant.details")->after == "[sealed]");
  CHECK(ChangeOf(s->entries[0], "applicant.name") == nullptr);
  CHECK(s->entries.size() == e.size());

  CHECK(replay::ReadCaseHistory(*w.ledger, "999").status().code() == Code::kNotFound);
}

TEST_CASE("rebuild --compare finds the rebuilt projections equal to the followed ones, and a changed line", "[replay]") {
  GeneratedCaseload world(200);
  test::TempDir scratch;
  Result<std::string> live = replay::FollowedDump(*world.ledger, world.ledger->Size());
  REQUIRE(live.ok());
  // The service's own live projections agree with the follower's.
  CHECK(*live == world.service->projector().Read([](const projections::Projections& p) { return p.Dump(); }));
  Result<replay::RebuildComparison> same = replay::CompareRebuild(*world.ledger, *live, scratch.Sub("cmp"));
  REQUIRE(same.ok());
  CHECK(same->equal());
  CHECK(same->position == world.ledger->Size());
  CHECK(ReadText(scratch.Sub("cmp/rebuilt.dump")) == *live);
  std::string changed = *live;
  const std::size_t at = changed.find("\ncase|");
  REQUIRE(at != std::string::npos);
  changed.insert(at + 6, "x");
  Result<replay::RebuildComparison> diff = replay::CompareRebuild(*world.ledger, changed, scratch.Sub("cmp"));
  REQUIRE(diff.ok());
  CHECK_FALSE(diff->equal());
  CHECK(diff->only_rebuilt.size() == 1);
  CHECK(diff->only_live.size() == 1);
}

TEST_CASE("SLA compliance counts every clock started in the period once, judged as of its end", "[replay][sla]") {
  World w;
  const std::string met = w.NewCase("camden");
  const std::string late = w.NewCase("leeds");
  w.clock.Advance(kHourUs);
  w.Do("ho-1", CompleteStatusCheck{met, fb::ImmigrationStatus::ApplicationPending, ""});
  w.clock.Advance(90 * kDayUs);  // the other initial check is long overdue
  w.Do("ho-1", CompleteStatusCheck{late, fb::ImmigrationStatus::ApplicationPending, ""});
  replay::SlaReportOptions o;
  o.from_us = kWorldStart - kDayUs;
  o.to_us = kWorldStart + kDayUs;
  o.as_of_us = w.clock.NowMicros();
  const replay::SlaReport r = w.service->projector().Read(
      [&](const projections::Projections& p) { return replay::BuildSlaReport(p, o); });
  std::map<std::string, replay::SlaTotals> initial;
  for (const replay::SlaTotals& t : r.totals) {
    if (t.clock == "home_office_initial_check") initial[t.organisation] = t;
  }
  CHECK(initial["camden"].met == 1);
  CHECK(initial["camden"].breached == 0);
  CHECK(initial["leeds"].breached == 1);
  CHECK(initial["leeds"].met == 0);
  std::uint32_t judged = 0;
  for (const replay::SlaTotals& t : r.totals) judged += t.met + t.breached + t.running + t.cancelled;
  CHECK(judged == r.clocks.size());
  CHECK(replay::SlaReportCsv(r).find("leeds,home_office_initial_check,home_office") != std::string::npos);
  // A period after both started holds neither.
  o.from_us = kWorldStart + kDayUs;
  o.to_us = INT64_MAX;
  const replay::SlaReport later = w.service->projector().Read(
      [&](const projections::Projections& p) { return replay::BuildSlaReport(p, o); });
  for (const auto& c : later.clocks) CHECK(c.started_at_us >= o.from_us);
}

TEST_CASE("every nrpf-replay subcommand runs on a generated caseload", "[replay][cli]") {
  GeneratedCaseload world(150);
  const std::string bin = NRPF_REPLAY_BIN;
  const std::string dir = " --data-dir " + world.data_dir();
  // The writer stays open beside the read-only views, as a server would.
  Run verify = RunCommand(bin + " verify" + dir + " --json");
  CHECK(verify.exit_code == 0);
  auto v = nlohmann::json::parse(verify.out);
  CHECK(v["ok"] == true);
  CHECK(v["events_checked"] == world.ledger->Size());
  Run range = RunCommand(bin + " verify" + dir + " --from 100 --to 400 --json");
  CHECK(range.exit_code == 0);
  CHECK(nlohmann::json::parse(range.out)["events_checked"] == 300);

  std::string case_id;
  world.service->projector().Read([&](const projections::Projections& p) {
    case_id = *p.organisation_cases().begin()->second.begin();
    return 0;
  });
  Run timeline = RunCommand(bin + " case" + dir + " " + case_id + " --json");
  CHECK(timeline.exit_code == 0);
  auto t = nlohmann::json::parse(timeline.out);
  CHECK(t["timeline"][0]["type"] == "case.created");
  CHECK(RunCommand(bin + " case" + dir + " " + case_id + " --as-of 2021-04-01").exit_code == 3);  // before it began
  CHECK(RunCommand(bin + " case" + dir + " nonexistent").exit_code == 3);

  test::TempDir out;
  CHECK(RunCommand(bin + " export" + dir + " --case " + case_id + " --out " + out.Sub("case.json")).exit_code == 0);
  CHECK(RunCommand(bin + " verify --bundle " + out.Sub("case.json")).exit_code == 0);
  CHECK(RunCommand(bin + " export" + dir + " --range 10:60 --out " + out.Sub("range.json")).exit_code == 0);
  CHECK(RunCommand(bin + " verify --bundle " + out.Sub("range.json") + " --json").exit_code == 0);

  const std::string subject = ApplicantSubject(case_id);
  Run sar = RunCommand(bin + " sar" + dir + " --subject " + subject + " --html " + out.Sub("sar.html") + " --out " +
                       out.Sub("sar.json"));
  CHECK(sar.exit_code == 0);
  auto s = nlohmann::json::parse(ReadText(out.Sub("sar.json")));
  CHECK(s["cases"][0]["case_id"] == case_id);
  CHECK(ReadText(out.Sub("sar.html")).find("<h1>Subject access report</h1>") != std::string::npos);

  Run proof = RunCommand(bin + " proof" + dir + " --position 7");
  CHECK(proof.exit_code == 0);
  auto p = nlohmann::json::parse(proof.out);
  CHECK(p["position"] == 7);
  CHECK(p["tree_size"] == world.ledger->Size());
  Run consistency = RunCommand(bin + " proof" + dir + " --consistency 100 300");
  CHECK(consistency.exit_code == 0);
  CHECK(nlohmann::json::parse(consistency.out)["new_size"] == 300);

  Run sla = RunCommand(bin + " sla" + dir + " --from 2021-01-01 --to 2024-01-01 --json");
  CHECK(sla.exit_code == 0);
  CHECK(nlohmann::json::parse(sla.out)["totals"].size() > 0);
  // The case reports offline are the server's, made from the live projections.
  Run finance = RunCommand(bin + " report" + dir + " --report finance --from 2022-04-01 --to 2023-03-31");
  CHECK(finance.exit_code == 0);
  replay::CaseReportOptions ro;
  ro.kind = replay::CaseReportKind::kFinance;
  ro.from = "2022-04-01";
  ro.to = "2023-03-31";
  const std::string live = world.service->projector().Read([&](const projections::Projections& state) {
    for (const domain::OrganisationState& o : state.Organisations()) {
      if (o.kind == domain::fb::OrganisationKind::Council) ro.organisations.push_back(o.organisation_id);
    }
    return replay::CaseReportJson(replay::BuildCaseReport(state, ro));
  });
  CHECK(finance.out == live + "\n");
  CHECK(nlohmann::json::parse(live)["rows"].size() > 10);
  Run referrals = RunCommand(bin + " report" + dir + " --report referrals --period financial_year --csv");
  CHECK(referrals.exit_code == 0);
  CHECK(referrals.out.rfind("case_id,organisation,period,referral_date,", 0) == 0);
  Run totals = RunCommand(bin + " report" + dir + " --report Referrals --csv --totals");
  CHECK(totals.exit_code == 0);
  CHECK(totals.out.rfind("total,key,value\r\n", 0) == 0);
  CHECK(totals.out.find("\r\ncases,,") != std::string::npos);
  CHECK(RunCommand(bin + " report" + dir + " --report nonsense 2>/dev/null").exit_code == 2);
  Run rebuild = RunCommand(bin + " rebuild" + dir + " --compare --scratch " + out.Sub("scratch") + " --json");
  CHECK(rebuild.exit_code == 0);
  CHECK(nlohmann::json::parse(rebuild.out)["equal"] == true);

  CHECK(RunCommand(bin + " nonsense 2>/dev/null").exit_code == 2);
  CHECK(RunCommand(bin + " verify 2>/dev/null").exit_code == 2);
}

}  // namespace
}  // namespace nrpf::test
