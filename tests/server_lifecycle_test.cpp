// The whole life of a case through the real server and the real client,
// played by two councils, the Home Office, network support and an auditor
// (docs/domain.md "The case lifecycle"), then a restart that keeps it all.

#include <catch2/catch.hpp>

#include <map>

#include "tests/server_world.h"

namespace nrpf::test {
namespace {

using api::fb::Response;

const api::fb::CommandResult* Result(const CliUser::Answer& a) { return a->body_as_CommandResult(); }
const api::fb::Counters* CountersOf(const CliUser::Answer& a) { return a->body_as_Counters(); }

// The case's alert of `kind`, from a get-case answer.
std::string AlertId(const CliUser::Answer& a, domain::fb::AlertKind kind, bool open) {
  const auto* c = a->body_as_CaseView();
  REQUIRE(c != nullptr);
  if (c->alerts() == nullptr) return "";
  for (const auto* alert : *c->alerts()) {
    if (alert->kind() == kind && alert->open() == open) return alert->alert_id()->str();
  }
  return "";
}

// The nice value of each thread of `pid`, by thread name (the last seen).
std::map<std::string, int> ThreadNice(pid_t pid) {
  std::map<std::string, int> out;
  for (const auto& [name, fields] : ThreadStats("/proc/" + std::to_string(pid) + "/task")) {
    if (fields.size() > 16) out[name] = std::stoi(fields[16]);
  }
  return out;
}

std::vector<std::string> Types(const api::fb::LogEvents* events) {
  std::vector<std::string> out;
  if (events != nullptr && events->events() != nullptr) {
    for (const auto* e : *events->events()) out.push_back(e->type()->str());
  }
  return out;
}

TEST_CASE("a case lives its whole life through nrpf-ledgerd and nrpf, and survives a restart", "[server][lifecycle]") {
  ServerWorld w;

  // A one-time password allows nothing but changing it.
  {
    CliUser::Answer created = w.Ok("camden-admin", {"create-user", "user_id=camden-cw3", "organisation_id=camden",
                                                    "role=CouncilUser", "team_id=team-a", "name=New Starter"});
    CliUser fresh(w.server, w.dir, "camden-cw3");
    const std::string otp = Result(created)->one_time_password()->str();
    REQUIRE(fresh.Json({"login", "camden-cw3"}, {{"NRPF_PASSWORD", otp}}).code == 0);
    CliUser::Answer blocked = fresh.Json({"get-counters"});
    CHECK(blocked.code == 5);
    CHECK(blocked.reason() == "password_change_required");
    CHECK(fresh.Run({"change-password"}, {{"NRPF_PASSWORD", otp}, {"NRPF_NEW_PASSWORD", "short"}}).code == 8);
    CHECK(fresh.Run({"change-password"}, {{"NRPF_PASSWORD", otp}, {"NRPF_NEW_PASSWORD", PasswordOf("camden-cw3")}}).code == 0);
    CHECK(fresh.Json({"get-counters"}).code == 0);
  }

  // 1. Look-up first: nothing is known of the person.
  CliUser::Answer lookup = w.Ok("camden-cw1", {"rtpf-lookup", "document_type=Passport", "document_number=P99887766",
                                               "date_of_birth=1988-04-12"});
  CHECK_FALSE(Result(lookup)->rtpf()->matched());
  const std::string lookup_id = Result(lookup)->lookup_id()->str();
  CHECK_FALSE(lookup_id.empty());

  // 2. Search before creating.
  CliUser::Answer search = w.Ok("camden-cw1", {"search", "name=Amina Okafor", "date_of_birth=1988-04-12"});
  CHECK(search->body_as_SearchResult()->hits()->size() == 0);

  // 3. Create the case (an open referral) with a dependant.
  CliUser::Answer created = w.Ok(
      "camden-cw1",
      {"create-case", "team_id=team-a", "caseworker_id=camden-cw1", "applicant.given_names=Amina",
       "applicant.family_name=Okafor", "applicant.date_of_birth=1988-04-12", "applicant.nationality=Nigerian",
       "applicant.documents.0.type=Passport", "applicant.documents.0.number=P99887766", "dependants.0.given_names=Tobi",
       "dependants.0.family_name=Okafor", "dependants.0.date_of_birth=2019-02-01", "dependants.0.relationship=child",
       "household_type=FamilyWithChildren", "legislation=ChildrenAct1989S17", "referral_date=2025-03-01",
       "advised_details_shared=true", "rtpf_lookup_id=" + lookup_id});
  const std::string case_id = Result(created)->case_id()->str();
  REQUIRE(case_id == "1");
  CHECK(CountersOf(w.Ok("camden-cw1", {"get-counters"}))->open_referrals() == 1);

  // 4. Finance: open, financially supported; the Home Office reads it and never edits.
  w.Ok("camden-cw1", {"record-finance", "case_id=1", "start_date=2025-03-05", "person_costs_weekly_pence=12000",
                      "accommodation_costs_weekly_pence=25000", "accommodation_provided=true"});
  CliUser::Answer counters = w.Ok("camden-cw1", {"get-counters", "my_cases=true"});
  CHECK(CountersOf(counters)->open_referrals() == 0);
  CHECK(CountersOf(counters)->open_financially_supported() == 1);
  CHECK(w.Refused("ho-1", {"amend-finance", "case_id=1", "start_date=2025-03-05", "person_costs_weekly_pence=1"}, 5) ==
        "finance_read_only");

  // 5. The Home Office finds the case, reads it (recorded), and completes its check.
  CliUser::Answer ho_search = w.Ok("ho-1", {"search", "name=Amina Okafor"});
  REQUIRE(ho_search->body_as_SearchResult()->hits()->size() >= 1);
  CHECK(ho_search->body_as_SearchResult()->hits()->Get(0)->case_id()->str() == "1");
  CliUser::Answer ho_read = w.Ok("ho-1", {"get-case", "case_id=1"});
  const auto* ho_view = ho_read->body_as_CaseView();
  CHECK(ho_view->personal_data());
  CHECK(ho_view->applicant()->details()->family_name()->str() == "Okafor");
  CHECK(ho_view->finance()->person_costs_weekly_pence() == 12000);
  // The finance page's history: one period, its costs from its start.
  REQUIRE(ho_view->finance()->periods() != nullptr);
  REQUIRE(ho_view->finance()->periods()->size() == 1);
  const auto* period = ho_view->finance()->periods()->Get(0);
  CHECK(period->start_date()->str() == "2025-03-05");
  CHECK(period->end_date() == nullptr);
  REQUIRE(period->rates()->size() == 1);
  CHECK(period->rates()->Get(0)->from()->str() == "2025-03-05");
  CHECK(period->rates()->Get(0)->accommodation_costs_weekly_pence() == 25000);
  REQUIRE(ho_view->access_position().has_value());
  w.Ok("ho-1", {"complete-status-check", "case_id=1", "status=LeaveWithNrpfCondition", "note=Leave to 2026"});

  // The council sees the immigration update alert and closes it.
  CHECK(CountersOf(w.Ok("camden-cw1", {"get-counters"}))->immigration_update_alerts() == 1);
  const std::string update_alert = AlertId(w.Ok("camden-cw1", {"get-case", "case_id=1"}),
                                           domain::fb::AlertKind::ImmigrationUpdate, true);
  REQUIRE_FALSE(update_alert.empty());
  w.Ok("camden-cw1", {"close-alert", "case_id=1", "alert_id=" + update_alert});
  CHECK(CountersOf(w.Ok("camden-cw1", {"get-counters"}))->immigration_update_alerts() == 0);
  CHECK(w.Refused("camden-cw1", {"close-alert", "case_id=1", "alert_id=" + update_alert}, 7) == "alert_already_closed");

  // 6. Queries both ways.
  w.Ok("camden-cw1", {"raise-query", "case_id=1", "topic=Expedite", "urgent=true",
                      "urgent_reason=SafeguardingOrChildProtection", "text=Please expedite"});
  const auto* q = w.Ok("ho-1", {"get-case", "case_id=1"})->body_as_CaseView()->queries();
  REQUIRE(q->size() == 1);
  const std::string query_id = q->Get(0)->query_id()->str();
  w.Ok("ho-1", {"answer-query", "case_id=1", "query_id=" + query_id, "text=Expedited"});
  CHECK(CountersOf(w.Ok("camden-cw1", {"get-counters"}))->query_responses() == 1);
  w.Ok("ho-1", {"raise-query", "case_id=1", "topic=HomeOfficeInformationRequest", "text=Address?"});
  CHECK(CountersOf(w.Ok("camden-cw1", {"get-counters"}))->new_home_office_queries() == 1);

  // Optimistic concurrency and retries.
  const std::uint64_t version = w.Ok("camden-cw1", {"get-case", "case_id=1"})->body_as_CaseView()->version();
  w.Ok("camden-cw1", {"record-advice", "case_id=1", "advised_on=2025-03-10", "of=HomeOfficeInformationReturned"});
  CliUser::Answer stale = w.User("camden-cw1").Json({"--expected-version", std::to_string(version), "record-advice",
                                                     "case_id=1", "advised_on=2025-03-11"});
  CHECK(stale.code == 7);
  CHECK(stale.reason() == "stale_version");
  REQUIRE(stale->error()->current_version().has_value());
  CHECK(*stale->error()->current_version() == version + 1);
  CliUser::Answer first = w.User("camden-cw1").Json({"--command-id", "advice-42", "record-advice", "case_id=1",
                                                     "of=DetailsSharedWithHomeOffice", "advised_on=2025-03-12"});
  CliUser::Answer again = w.User("camden-cw1").Json({"--command-id", "advice-42", "record-advice", "case_id=1",
                                                     "of=DetailsSharedWithHomeOffice", "advised_on=2025-03-12"});
  REQUIRE(first.code == 0);
  REQUIRE(again.code == 0);
  CHECK_FALSE(Result(first)->duplicate());
  CHECK(Result(again)->duplicate());
  CHECK(Result(again)->position() == Result(first)->position());

  // 7. Recourse to public funds: closure required, closed only with the case.
  w.Ok("ho-1", {"update-immigration-status", "case_id=1", "status=LeaveWithRecourseToPublicFunds"});
  CHECK(CountersOf(w.Ok("camden-cw1", {"get-counters"}))->closure_required_alerts() == 1);
  const std::string closure_alert =
      AlertId(w.Ok("camden-cw1", {"get-case", "case_id=1"}), domain::fb::AlertKind::ClosureRequired, true);
  CHECK(w.Refused("camden-cw1", {"close-alert", "case_id=1", "alert_id=" + closure_alert}, 7) ==
        "closure_alert_needs_case_closure");

  // 8. Close, and reopen when the household presents again.
  w.Ok("camden-cw1", {"close-case", "case_id=1", "closure_date=2025-04-01", "reason=RecourseToPublicFundsGranted"});
  CliUser::Answer closed = w.Ok("camden-cw1", {"get-counters"});
  CHECK(CountersOf(closed)->closed() == 1);
  CHECK(CountersOf(closed)->closure_required_alerts() == 0);
  CHECK(w.Refused("camden-cw1", {"raise-query", "case_id=1", "topic=StatusUpdate", "text=Any news?"}, 7) == "case_closed");
  w.Ok("camden-cw1", {"reopen-case", "case_id=1", "reopened_on=2025-05-01"});
  CHECK(CountersOf(w.Ok("camden-cw1", {"get-counters"}))->open_referrals() == 1);
  const auto* reopened = w.Ok("camden-cw1", {"get-case", "case_id=1"})->body_as_CaseView();
  REQUIRE(reopened != nullptr);
  REQUIRE(reopened->reopened_on() != nullptr);
  CHECK(reopened->reopened_on()->str() == "2025-05-01");

  // 9. A duplicate, flagged by the council and removed by network support.
  CliUser::Answer dup = w.Ok("camden-cw2", {"create-case", "household_type=FamilyWithChildren",
                                            "legislation=ChildrenAct1989S17", "team_id=team-a",
                                            "applicant.given_names=Amina",
                                            "applicant.family_name=Okafur", "applicant.date_of_birth=1988-04-12",
                                            "referral_date=2025-05-02"});
  CHECK(Result(dup)->possible_duplicates()->size() >= 1);
  const std::string dup_id = Result(dup)->case_id()->str();
  w.Ok("camden-cw2", {"flag-duplicate", "case_id=" + dup_id, "duplicate_of=1"});
  CHECK(w.Refused("admin", {"get-case", "case_id=" + dup_id}, 0).empty());  // metadata only, allowed
  CHECK_FALSE(w.Ok("admin", {"get-case", "case_id=" + dup_id})->body_as_CaseView()->personal_data());
  // Network support's view of a supported case: state and dates, no finance,
  // immigration, dependants or query text (the domain test checks the rest).
  CliUser::Answer meta = w.Ok("admin", {"get-case", "case_id=1"});
  const auto* m = meta->body_as_CaseView();
  CHECK(m->case_id()->str() == "1");
  CHECK(m->referral_date()->size() > 0);
  CHECK_FALSE(m->personal_data());
  CHECK(m->finance() == nullptr);
  CHECK(m->immigration() == nullptr);
  CHECK(m->dependants()->size() == 0);
  // What the case is about is absent, never a default that reads like a fact.
  CHECK_FALSE(m->household_type().has_value());
  CHECK_FALSE(m->legislation().has_value());
  CHECK_FALSE(m->urgent().has_value());
  CHECK_FALSE(m->urgent_reason().has_value());
  CHECK_FALSE(m->advised_details_shared().has_value());
  REQUIRE(m->queries()->size() >= 1);
  for (const auto* query : *m->queries()) {
    CHECK_FALSE(query->topic().has_value());
    CHECK_FALSE(query->urgent().has_value());
    CHECK(query->question() == nullptr);
  }
  REQUIRE(m->alerts()->size() >= 1);
  for (const auto* alert : *m->alerts()) CHECK_FALSE(alert->kind().has_value());
  // The council's own view has them all.
  const auto* own = w.Ok("camden-cw1", {"get-case", "case_id=1"})->body_as_CaseView();
  CHECK(own->household_type() == domain::fb::HouseholdType::FamilyWithChildren);
  CHECK(own->urgent() == false);
  CHECK(own->advised_details_shared().has_value());
  CHECK(own->queries()->Get(0)->topic().has_value());
  CHECK(own->alerts()->Get(0)->kind().has_value());
  w.Ok("admin", {"remove-duplicate", "case_id=" + dup_id});
  CHECK(w.Refused("camden-cw2", {"record-advice", "of=DetailsSharedWithHomeOffice",
                                 "case_id=" + dup_id, "advised_on=2025-05-03"}, 7) == "case_removed");
  CliUser::Answer erased = w.Ok("camden-cw2", {"get-case", "case_id=" + dup_id});
  CHECK(erased->body_as_CaseView()->removed());
  CHECK(erased->body_as_CaseView()->applicant()->details() == nullptr);

  // The other council runs its own case and never sees Camden's.
  const std::string leeds_case =
      Result(w.Ok("leeds-cw1", {"create-case", "household_type=FamilyWithChildren", "legislation=ChildrenAct1989S17",
                                "team_id=team-a", "applicant.given_names=Oksana",
                                "applicant.family_name=Shevchenko", "applicant.date_of_birth=1979-11-30",
                                "referral_date=2025-03-03"}))
          ->case_id()
          ->str();
  CHECK(w.Ok("leeds-cw1", {"search", "name=Amina Okafor"})->body_as_SearchResult()->hits()->size() == 0);
  CHECK(w.Refused("leeds-cw1", {"get-case", "case_id=1"}, 5) == "wrong_tenant");

  // 10. The auditor: the case's history with its recorded reads, a
  // subject-access export that names who read the person's data, and the log.
  CliUser::Answer history = w.Ok("auditor-1", {"case-history", "case_id=1"});
  const std::vector<std::string> types = Types(history->body_as_LogEvents());
  CHECK(types.front() == "case.created");
  CHECK(std::count(types.begin(), types.end(), "case.accessed") >= 3);
  CliUser::Answer sar = w.Ok("auditor-1", {"subject-access-export", "case_id=1"});
  const auto* export_view = sar->body_as_SubjectAccess();
  CHECK(export_view->case_view()->applicant()->details()->given_names()->str() == "Amina");
  bool home_office_read = false, auditor_read = false;
  for (const auto* access : *export_view->accesses()) {
    if (access->user_id()->str() == "ho-1" && access->what()->Get(0)->str() == "case") home_office_read = true;
    if (access->user_id()->str() == "auditor-1" && access->what()->Get(0)->str() == "subject_access_export") {
      auditor_read = true;
    }
  }
  CHECK(home_office_read);
  CHECK(auditor_read);
  CHECK(export_view->events()->size() > export_view->accesses()->size());
  CliUser::Answer verified = w.Ok("auditor-1", {"verify-log"});
  CHECK(verified->body_as_VerifyResult()->ok());
  const std::uint64_t tree_size = verified->body_as_VerifyResult()->tree_size();
  CliUser::Answer log = w.Ok("auditor-1", {"read-log", "from_position=0", "max=5", "include_records=true"});
  REQUIRE(log->body_as_LogEvents()->events()->size() == 5);
  CHECK(log->body_as_LogEvents()->events()->Get(0)->record()->size() > 0);
  CHECK(log->body_as_LogEvents()->events()->Get(0)->signature()->size() == 64);
  CHECK(w.Ok("auditor-1", {"get-checkpoint"})->body_as_CheckpointView()->tree_size() >= tree_size);
  // A council's auditor is scoped to its council; the whole log is not theirs.
  CHECK(w.Refused("camden-auditor", {"read-log"}, 5) == "wrong_tenant");
  CHECK(w.Refused("camden-auditor", {"subject-access-export", "case_id=" + leeds_case}, 5) == "wrong_tenant");
  CHECK(w.Ok("camden-auditor", {"subject-access-export", "case_id=1"})->body_as_SubjectAccess()->accesses()->size() >= 3);

  // 11. A restart keeps the log, the accounts and the sessions. The stop
  // prints the signed checkpoint of the log it closed, the one a backup
  // keeps; the next start prints the same one.
  CHECK(w.server.Stop() == 0);
  const auto checkpoint_after = [](const std::string& out, const std::string& heading) {
    const std::size_t at = out.find(heading + "\n");
    if (at == std::string::npos) return std::string();
    const std::size_t begin = at + heading.size() + 1;
    const std::size_t end = out.find("\n\n", begin);  // a note ends with its blank line and signature
    return end == std::string::npos ? std::string() : out.substr(begin, out.find('\n', end + 2) - begin);
  };
  const std::string at_stop = checkpoint_after(w.server.Stdout(), "checkpoint at stop:");
  INFO(w.server.Stdout());
  REQUIRE_FALSE(at_stop.empty());
  const std::size_t size_line = at_stop.find('\n') + 1;  // origin, then the tree size
  CHECK(std::stoull(at_stop.substr(size_line, at_stop.find('\n', size_line) - size_line)) >= tree_size);
  ServerProcess again_server(w.dir.Sub("server"));
  CHECK(checkpoint_after(again_server.Stdout(), "checkpoint:") == at_stop);
  CHECK(again_server.first_password().empty());  // no second first admin
  CliUser camden(again_server, w.dir, "camden-cw1");  // the same token file
  CliUser::Answer after = camden.Json({"get-counters"});
  REQUIRE(after.code == 0);
  CHECK(after->body_as_Counters()->open_referrals() == 1);
  CHECK(camden.Json({"login", "camden-cw1"}, {{"NRPF_PASSWORD", PasswordOf("camden-cw1")}}).code == 0);
  CHECK(again_server.Stop() == 0);
}

TEST_CASE("GET /metrics counts requests and the ledger's appends, fsyncs and stage waits", "[server][metrics]") {
  ServerWorld w;  // its set-up appended accounts and organisations through the API
  HttpResult before = Http(w.server.http(), "GET", "/metrics");
  REQUIRE(before.status == 200);
  CHECK(before.headers["content-type"].rfind("text/plain", 0) == 0);
  const std::string synced = "nrpf_ledger_append_wait_seconds_total{stage=\"synced\"}";
  const double appends = Sample(before.body, "nrpf_ledger_appends_total");
  const double syncs = Sample(before.body, "nrpf_ledger_wal_syncs_total");
  const double synced_s = Sample(before.body, synced);
  CHECK(appends > 0);
  CHECK(syncs > 0);
  CHECK(Sample(before.body, "nrpf_ledger_commit_groups_total") > 0);
  CHECK(Sample(before.body, "nrpf_ledger_wal_sync_seconds_total") > 0);
  CHECK(synced_s > 0);
  // Present (a missing sample reads as -1).
  CHECK(Sample(before.body, "nrpf_ledger_sst_files") >= 0);
  CHECK(Sample(before.body, "nrpf_ledger_small_files_merged_total") >= 0);
  CHECK(Sample(before.body, "nrpf_ledger_small_file_merges_failed_total") == 0);
  CHECK(Sample(before.body, "nrpf_command_conflict_retries_total") >= 0);

  w.Ok("camden-cw1", {"create-case", "household_type=FamilyWithChildren", "legislation=ChildrenAct1989S17",
                      "team_id=team-a", "applicant.given_names=Amina", "applicant.family_name=Okafor",
                      "applicant.date_of_birth=1988-04-12", "referral_date=2025-03-01"});

  HttpResult after = Http(w.server.http(), "GET", "/metrics");
  REQUIRE(after.status == 200);
  CHECK(Sample(after.body, "nrpf_ledger_appends_total") >= appends + 1);
  CHECK(Sample(after.body, "nrpf_ledger_wal_syncs_total") >= syncs + 1);
  CHECK(Sample(after.body, synced) > synced_s);
  for (const char* stage : {"queued", "sequenced", "signed", "written", "completed"}) {
    INFO(stage);
    CHECK(Sample(after.body, std::string("nrpf_ledger_append_wait_seconds_total{stage=\"") + stage + "\"}") >= 0);
  }
  CHECK(Sample(after.body, "nrpf_requests_total{op=\"create_case\",code=\"ok\"}") == 1);
  // Nothing was erased here, and every append holds one event or more.
  CHECK(Sample(after.body, "nrpf_log_size") >= Sample(after.body, "nrpf_ledger_appends_total"));
  // One HELP and one TYPE line per family, however many samples it has.
  std::size_t types = 0;
  for (std::size_t at = after.body.find("# TYPE nrpf_ledger_append_wait_seconds_total"); at != std::string::npos;
       at = after.body.find("# TYPE nrpf_ledger_append_wait_seconds_total", at + 1)) {
    ++types;
  }
  CHECK(types == 1);
}

}  // namespace
}  // namespace nrpf::test

namespace nrpf::test {
namespace {

TEST_CASE("command workers run below the ledger's pipeline, by worker_nice", "[server][config]") {
  TempDir dir;
  ServerProcess server(dir.Sub("server"), {"--worker-nice", "7"});
  const std::map<std::string, int> nice = ThreadNice(server.pid());
  REQUIRE(nice.count("nrpf-worker-api") == 1);
  REQUIRE(nice.count("nrpf-sequencer") == 1);
  REQUIRE(nice.count("nrpf-ledgerd") == 1);
  const int base = nice.at("nrpf-ledgerd");  // the main thread, as started
  CHECK(nice.at("nrpf-sequencer") == base);
  CHECK(nice.at("nrpf-signer") == base);
  CHECK(nice.at("nrpf-worker-api") == std::min(19, base + 7));
  CHECK(server.Stop() == 0);
  std::string err;
  CHECK(RunServerToExit({"--worker-nice", "20"}, &err, std::chrono::seconds(30)) == 2);
  CHECK(err.find("worker_nice") != std::string::npos);
}

}  // namespace
}  // namespace nrpf::test
