// The replay reports through the real server (docs/api.md "Audit"): case
// timelines, export bundles, subject-access reports, proofs, SLA compliance,
// the case reports and the rebuild comparison, asked for with nrpf and raw HTTP; each is the
// document nrpf-replay makes, and each is refused to those it is not for.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "domain/calendar.h"
#include "ledger/checkpoint.h"
#include "ledger/clock.h"
#include "ledger/coding.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "replay/bundle.h"
#include "tests/server_world.h"

namespace nrpf::test {
namespace {

using nlohmann::json;

// A Camden case with a dependant, read by a second caseworker, with
// `advice` more events so that its exports come in several frames.
std::string MakeCase(ServerWorld& w, int advice) {
  CliUser::Answer created = w.Ok(
      "camden-cw1",
      {"create-case", "team_id=team-a", "caseworker_id=camden-cw1", "applicant.given_names=Amina",
       "applicant.family_name=Okafor", "applicant.date_of_birth=1988-04-12", "dependants.0.given_names=Tobi",
       "dependants.0.family_name=Okafor", "dependants.0.date_of_birth=2019-02-01", "dependants.0.relationship=child",
       "household_type=FamilyWithChildren", "legislation=ChildrenAct1989S17", "referral_date=2025-03-01"});
  const std::string case_id = created->body_as_CommandResult()->case_id()->str();
  w.Ok("camden-cw2", {"get-case", "case_id=" + case_id});
  const std::string token = w.Token("camden-cw1");
  for (int i = 0; i < advice; ++i) {
    HttpResult r = HttpAs(token, w.server.http(), "POST", "/v1/record_advice",
                          R"({"case_id":")" + case_id + R"(","advised_on":"2025-03-04","of":"DetailsSharedWithHomeOffice",)"
                          R"("note":"advice )" + std::to_string(i) + "\"}");
    REQUIRE(r.status == 200);
  }
  return case_id;
}

// nrpf <args> as `user`: the document it printed, parsed.
json Document(ServerWorld& w, const std::string& user, std::vector<std::string> args) {
  CliResult r = w.User(user).Run(std::move(args));
  INFO(r.err);
  REQUIRE(r.code == 0);
  return json::parse(r.out);
}

// "field reason" of each of an HTTP error's fields.
std::vector<std::string> HttpFields(const HttpResult& r) {
  std::vector<std::string> out;
  const json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.contains("error") || !body["error"].contains("fields")) return out;
  for (const json& f : body["error"]["fields"]) {
    out.push_back(f["field"].get<std::string>() + " " + f["reason"].get<std::string>());
  }
  return out;
}

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.Sub(name);
  std::ofstream(path) << text;
  return path;
}

TEST_CASE("nrpf-ledgerd --rotate-signing-key rotates the stopped log's key, and the log verifies across it",
          "[server][audit]") {
  ServerWorld w;
  const std::string data = w.dir.Sub("server");
  const std::string first_key = w.Ok("auditor-1", {"get-checkpoint"})->body_as_CheckpointView()->public_keys()->Get(0)->vkey()->str();
  // Not beside a running daemon: the log has one writer.
  std::string err, out;
  CHECK(RunServerToExit({"--data-dir", data, "--rotate-signing-key"}, &err, std::chrono::seconds(60), &out) == 1);
  CHECK(err.find("cannot rotate the signing key") != std::string::npos);

  // Nor where there is no log: a mistyped directory is not a new log.
  const std::string nowhere = w.dir.Sub("no-such-data");
  CHECK(RunServerToExit({"--data-dir", nowhere, "--rotate-signing-key"}, &err, std::chrono::seconds(60), &out) == 1);
  CHECK_FALSE(std::filesystem::exists(nowhere + "/ledger"));

  REQUIRE(w.server.Stop() == 0);
  REQUIRE(RunServerToExit({"--data-dir", data, "--rotate-signing-key"}, &err, std::chrono::seconds(60), &out) == 0);
  INFO(out << err);
  const std::string marker = "new public key (from position ";
  REQUIRE(out.find(marker) != std::string::npos);
  const std::uint64_t from = std::stoull(out.substr(out.find(marker) + marker.size()));

  ServerProcess again(data);
  CHECK(again.Stdout().find("public key (from position " + std::to_string(from) + "): ") != std::string::npos);
  CliUser auditor(again, w.dir, "auditor-1");
  CliUser::Answer checkpoint = auditor.Json({"get-checkpoint"});
  REQUIRE(checkpoint.code == 0);
  const auto* keys = checkpoint->body_as_CheckpointView()->public_keys();
  REQUIRE(keys->size() == 2);
  CHECK(keys->Get(0)->vkey()->str() == first_key);
  CHECK(keys->Get(1)->first_position() == from);
  CHECK(keys->Get(1)->vkey()->str() != first_key);
  // The rotation is an event of the log, signed by the outgoing key, that
  // says who rotated at the host; what follows is signed by the new key.
  CliUser::Answer rotation =
      auditor.Json({"read-log", "from_position=" + std::to_string(from - 1), "max=1", "include_records=true"});
  REQUIRE(rotation.code == 0);
  const auto* event = rotation->body_as_LogEvents()->events()->Get(0);
  CHECK(event->type()->str() == "ledger.signing_key_rotated");
  CHECK(event->actor_user_id()->str().rfind("host:", 0) == 0);
  CliUser camden_admin(again, w.dir, "camden-admin");
  REQUIRE(camden_admin.Json({"create-team", "organisation_id=camden", "team_id=team-z", "name=Team Z"}).code == 0);
  CliUser::Answer after = auditor.Json({"read-log", "from_position=" + std::to_string(from), "include_records=true"});
  REQUIRE(after->body_as_LogEvents()->events()->size() >= 1);
  for (const auto* e : *after->body_as_LogEvents()->events()) CHECK(e->key_id() != event->key_id());
  CliUser::Answer verified = auditor.Json({"verify-log"});
  REQUIRE(verified.code == 0);
  CHECK(verified->body_as_VerifyResult()->ok());
  CHECK(verified->body_as_VerifyResult()->tree_size() > from);
}

TEST_CASE("the replay reports come through the server as the documents nrpf-replay makes", "[server][audit]") {
  ServerWorld w;
  const std::string case_id = MakeCase(w, 600);

  // A timeline with the people's data for those who may read it; the read
  // is recorded before the answer.
  json timeline = Document(w, "auditor-1", {"case-timeline", "case_id=" + case_id});
  REQUIRE(timeline["timeline"].size() >= 602);
  CHECK(timeline["timeline"][0]["type"] == "case.created");
  CHECK(timeline["timeline"][0]["actor"]["user"] == "camden-cw1");
  CHECK(timeline["state"].dump().find("Amina") != std::string::npos);
  CHECK(Document(w, "camden-cw1", {"case-timeline", "case_id=" + case_id})["case_id"] == case_id);
  CHECK(w.User("leeds-cw1").Run({"case-timeline", "case_id=" + case_id}).code == 5);
  // Before the case began there is nothing to show.
  CHECK(w.User("auditor-1").Run({"case-timeline", "case_id=" + case_id, "as_of_us=1"}).code == 6);
  bool timeline_read = false;
  const json again = Document(w, "auditor-1", {"case-timeline", "case_id=" + case_id});
  for (const json& e : again["timeline"]) {
    if (e["type"] == "case.accessed" && e["actor"]["user"] == "auditor-1" && e["read"] == json::array({"case_timeline"})) {
      timeline_read = true;
    }
  }
  CHECK(timeline_read);

  // An export bundle of the case verifies offline; one changed byte fails.
  CliResult bundle = w.User("auditor-1").Run({"export-bundle", "kind=case", "id=" + case_id});
  REQUIRE(bundle.code == 0);
  const replay::BundleCheck check = replay::VerifyBundle(bundle.out);
  INFO(check.reason);
  CHECK(check.ok);
  CHECK(check.records >= 602);
  json altered = json::parse(bundle.out);
  std::string record = *ledger::Base64Decode(altered["records"][3]["record"].get<std::string>());
  record[record.size() / 2] ^= 0x01;
  altered["records"][3]["record"] = ledger::Base64Encode(record);
  CHECK_FALSE(replay::VerifyBundle(altered.dump()).ok);
  CHECK(w.User("camden-auditor").Run({"export-bundle", "kind=case", "id=" + case_id}).code == 0);
  CHECK(w.User("camden-auditor").Run({"export-bundle", "kind=organisation", "id=leeds"}).code == 5);
  CHECK(w.User("camden-auditor").Run({"export-bundle", "kind=range", "to_position=10"}).code == 5);
  CHECK(w.User("auditor-1").Run({"export-bundle", "kind=everything"}).err.find("invalid_selection") != std::string::npos);

  // A range bundle larger than one frame: the binary answer in pieces, the
  // HTTP body, and the bundle nrpf-replay exports from the data directory
  // beside the running server are the same bytes.
  json checkpoint = json::parse(HttpAs(w.Token("auditor-1"), w.server.http(), "GET", "/v1/get_checkpoint").body);
  const std::uint64_t size = checkpoint["body"]["tree_size"].get<std::uint64_t>();
  const std::vector<std::string> range_args = {"export-bundle", "kind=range", "from_position=0",
                                               "to_position=" + std::to_string(size), "tree_size=" + std::to_string(size)};
  CliResult binary = w.User("auditor-1").Run(range_args);
  REQUIRE(binary.code == 0);
  CHECK(binary.out.size() > 2 * (256u << 10));
  HttpResult http = HttpAs(w.Token("auditor-1"), w.server.http(), "GET",
                           "/v1/export_bundle?kind=range&from_position=0&to_position=" + std::to_string(size) +
                               "&tree_size=" + std::to_string(size));
  REQUIRE(http.status == 200);
  CHECK(http.headers["content-type"] == "application/json");
  CHECK(http.body + "\n" == binary.out);
  {
    ledger::LedgerOptions o;
    o.db_path = (std::filesystem::path(w.dir.Sub("server")) / "ledger").string();
    o.master_key_path = w.dir.Sub("no-master-key");
    o.read_only = true;
    o.create_if_missing = false;
    Result<std::unique_ptr<ledger::Ledger>> offline = ledger::Ledger::Open(o);
    REQUIRE(offline.ok());
    replay::ExportSelection all;
    all.kind = replay::ExportSelection::Kind::kRange;
    all.to = size;
    replay::ExportOptions at;
    at.tree_size = size;
    Result<std::string> same = replay::ExportBundle(**offline, all, at);
    REQUIRE(same.ok());
    CHECK(*same == http.body);
  }
  CHECK(replay::VerifyBundle(http.body).ok);

  // A subject-access report of the child: their data, who read it, and a
  // proof of every record it cites; the report is itself recorded.
  const std::string sar_request = WriteFile(w.dir, "sar.json", R"({"subjects":["case-)" + case_id + R"(/dependant-1"]})");
  json sar = Document(w, "auditor-1", {"subject-access-report", "--input", sar_request});
  REQUIRE(sar["cases"].size() == 1);
  CHECK(sar["cases"][0]["case_id"] == case_id);
  CHECK(sar.dump().find("Tobi") != std::string::npos);
  CHECK(sar.dump().find("Amina") == std::string::npos);  // another person
  bool cw2_read = false;
  for (const json& r : sar["cases"][0]["accessed_by"]) {
    if (r["by"]["user"] == "camden-cw2") cw2_read = true;
  }
  CHECK(cw2_read);
  const std::string html_request =
      WriteFile(w.dir, "sar-html.json", R"({"html":true,"subjects":["case-)" + case_id + R"(/dependant-1"]})");
  CliResult html = w.User("auditor-1").Run({"subject-access-report", "--input", html_request});
  CHECK(html.out.find("<h1>Subject access report</h1>") != std::string::npos);
  // Or found by the person's details, among the cases the officer audits.
  const std::string by_name =
      WriteFile(w.dir, "sar-name.json", R"({"name":"Tobi Okafor","date_of_birth":"2019-02-01"})");
  json found = Document(w, "camden-auditor", {"subject-access-report", "--input", by_name});
  CHECK(found["subjects"] == json::array({"case-" + case_id + "/dependant-1"}));
  CHECK(found.dump().find("Amina") == std::string::npos);
  const std::string nobody = WriteFile(w.dir, "sar-nobody.json", R"({"name":"Nobody Known","date_of_birth":"1901-01-01"})");
  CHECK(w.User("camden-auditor").Run({"subject-access-report", "--input", nobody}).code == 6);
  CHECK(w.User("auditor-1").Run({"subject-access-report"}).code == 8);
  // A person's details never go in a URL: the report is POST only.
  CHECK(HttpAs(w.Token("auditor-1"), w.server.http(), "GET", "/v1/subject_access_report?name=Tobi").status == 405);
  HttpResult posted = HttpAs(w.Token("auditor-1"), w.server.http(), "POST", "/v1/subject_access_report",
                             R"({"subjects":["case-)" + case_id + R"(/dependant-1"],"html":true})");
  CHECK(posted.status == 200);
  CHECK(posted.headers["content-type"] == "text/html; charset=utf-8");
  const std::string bad_request = WriteFile(w.dir, "sar-bad.json", R"({"subjects":["somebody"]})");
  CliResult bad = w.User("auditor-1").Run({"subject-access-report", "--input", bad_request});
  CHECK(bad.code == 8);
  CHECK(bad.err.find("invalid_subject") != std::string::npos);
  CHECK(w.User("leeds-cw1").Run({"subject-access-report", "--input", sar_request}).code == 5);
  bool sar_recorded = false;
  const json after_sar = Document(w, "auditor-1", {"case-timeline", "case_id=" + case_id});
  for (const json& e : after_sar["timeline"]) {
    if (e["type"] == "case.accessed" && e["read"] == json::array({"subject_access_report"})) sar_recorded = true;
  }
  CHECK(sar_recorded);

  // Proofs: an inclusion proof checks against its signed checkpoint.
  json proof = Document(w, "auditor-1", {"get-proof", "position=5"});
  Result<ledger::SignedNote> note = ledger::ParseSignedNote(proof["checkpoint"].get<std::string>());
  REQUIRE(note.ok());
  Result<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->body);
  REQUIRE(cp.ok());
  std::vector<ledger::Hash> path;
  for (const json& h : proof["proof"]) {
    const std::string bytes = *ledger::Base64Decode(h.get<std::string>());
    REQUIRE(bytes.size() == 32);
    ledger::Hash hash;
    std::copy(bytes.begin(), bytes.end(), hash.begin());
    path.push_back(hash);
  }
  const std::string leaf = *ledger::Base64Decode(proof["record"].get<std::string>());
  CHECK(ledger::VerifyInclusion(5, cp->size, ledger::LeafHash(leaf), path, cp->root).ok());
  CHECK(w.User("camden-auditor").Run({"get-proof", "position=5"}).code == 5);
  CHECK(Document(w, "camden-auditor", {"get-proof", "old_size=3"})["old_size"] == 3);
  CHECK(w.User("auditor-1").Run({"get-proof"}).code == 8);
  // Sizes and positions out of range have a reason of their own.
  const std::string auditor = w.Token("auditor-1");
  CHECK(ReasonOf(HttpAs(auditor, w.server.http(), "GET", "/v1/get_proof?old_size=10&tree_size=5")) ==
        "tree_size_invalid");
  CHECK(ReasonOf(HttpAs(auditor, w.server.http(), "GET", "/v1/get_proof?position=999999")) == "position_invalid");
  CHECK(ReasonOf(HttpAs(auditor, w.server.http(), "GET", "/v1/get_proof?position=5&tree_size=999999")) ==
        "tree_size_invalid");
  CHECK(ReasonOf(HttpAs(auditor, w.server.http(), "GET",
                        "/v1/export_bundle?kind=range&from_position=100&to_position=5")) == "invalid_selection");
  // verify_log changes nothing, so GET may ask for it.
  HttpResult verified = HttpAs(auditor, w.server.http(), "GET", "/v1/verify_log");
  CHECK(verified.status == 200);
  CHECK(ReasonOf(verified).empty());
  CHECK(verified.body.find("events_checked") != std::string::npos);

  // SLA compliance: everyone's for the Home Office, a council's own only.
  json sla = Document(w, "ho-admin", {"sla-compliance", "from_us=0"});
  CHECK(sla["format"] == "nrpf-sla-compliance/1");
  CHECK(sla["to"].is_string());  // now, when not given
  CHECK(sla["clocks"].size() >= 1);
  CHECK(Document(w, "camden-admin", {"sla-compliance", "from_us=0"})["organisation"] == "camden");
  CHECK(w.User("camden-admin").Run({"sla-compliance", "from_us=0", "organisation_id=leeds"}).code == 5);
  // An auditor outside an audit body reports on their own organisation only.
  w.CreateUser("ho-admin", "ho-auditor", "home-office", "Auditor", "");
  json own = Document(w, "ho-auditor", {"sla-compliance", "from_us=0"});
  CHECK(own["organisation"] == "home-office");
  CHECK(own["clocks"].empty());
  CHECK(w.User("ho-auditor").Run({"sla-compliance", "from_us=0", "organisation_id=camden"}).code == 5);
  CHECK(Document(w, "auditor-1", {"sla-compliance", "from_us=0"})["clocks"].size() == sla["clocks"].size());
  HttpResult csv = HttpAs(w.Token("ho-admin"), w.server.http(), "GET", "/v1/sla_compliance?from_us=0&csv=true");
  CHECK(csv.status == 200);
  CHECK(csv.headers["content-type"] == "text/csv; charset=utf-8");
  CHECK(csv.headers["content-disposition"] == "attachment; filename=\"sla-compliance-all-councils.csv\"");
  // A file name is made of letters, digits, '-', '_' and '.', whatever was asked.
  HttpResult odd = HttpAs(w.Token("ho-admin"), w.server.http(), "GET",
                          "/v1/sla_compliance?from_us=0&csv=true&organisation_id=a%22%0D%0AX-Evil:%201");
  CHECK(odd.status == 200);
  CHECK(odd.headers.count("x-evil") == 0);
  CHECK(odd.headers["content-disposition"] == "attachment; filename=\"sla-compliance-a___X-Evil__1.csv\"");

  // The live projections equal a rebuild from the log, and no dump is left.
  json cmp = Document(w, "auditor-1", {"compare-projections"});
  CHECK(cmp["equal"] == true);
  CHECK(cmp["position"].get<std::uint64_t>() >= size);
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(w.dir.Sub("server")) / "rebuild"));
  CHECK(w.User("camden-auditor").Run({"compare-projections"}).code == 5);
}

TEST_CASE("case reports: a council's admins their own council, the Home Office every subscribed council, "
          "network support counts only, every user performance", "[server][audit][report]") {
  ServerWorld w;
  const std::string camden = MakeCase(w, 0);
  w.Ok("camden-cw1", {"record-finance", "case_id=" + camden, "start_date=2025-03-03",
                      "person_costs_weekly_pence=7000", "accommodation_costs_weekly_pence=14000"});
  w.Ok("leeds-cw1", {"create-case", "team_id=team-a", "applicant.given_names=Omar", "applicant.family_name=Haddad",
                     "applicant.date_of_birth=1970-01-01", "household_type=AdultWithCareNeeds",
                     "legislation=CareAct2014", "referral_date=2025-04-01"});

  // Saved under its own name, never over a file.
  const std::string saved = w.dir.Sub("downloads");
  std::filesystem::create_directories(saved);
  CliResult save = w.User("camden-admin").Run(
      {"--save", saved, "case-report", "report=Finance", "from=2025-03-03", "to=2025-03-09", "csv=true"});
  CHECK(save.code == 0);
  const std::string file = saved + "/finance-camden-2025-03-03-to-2025-03-09.csv";
  CHECK(save.out == file + "\n");
  std::ifstream saved_csv(file);
  std::string header;
  std::getline(saved_csv, header);
  CHECK(header == "case_id,organisation,team_id,caseworker_id,legislation,household_type,status,support_start,"
                  "support_end,person_costs_weekly_pence,accommodation_costs_weekly_pence,weekly_costs_pence,"
                  "days_supported,cost_in_period_pence,days_supported_to_date,cost_to_date_pence,support_periods\r");
  CHECK(w.User("camden-admin")
            .Run({"--save", saved, "case-report", "report=Finance", "from=2025-03-03", "to=2025-03-09", "csv=true"})
            .code != 0);  // the file is there already

  // A week of support at 210 pounds a week.
  json finance = Document(w, "camden-admin",
                          {"case-report", "report=Finance", "from=2025-03-03", "to=2025-03-09"});
  CHECK(finance["format"] == "nrpf-case-report/1");
  CHECK(finance["report"] == "Finance");
  CHECK(finance["organisations"] == json::array({"camden"}));
  REQUIRE(finance["rows"].size() == 1);
  CHECK(finance["rows"][0]["case_id"] == camden);
  CHECK(finance["rows"][0]["days_supported"] == 7);
  CHECK(finance["rows"][0]["cost_in_period_pence"] == 21000);
  CHECK(finance["totals"]["cost_in_period_pence"] == 21000);
  // A period that ends after today is counted to today.
  const std::string before = domain::IsoDate(domain::LondonDate(SystemClock::Default()->NowMicros()));
  const json to_today = Document(w, "camden-admin", {"case-report", "report=Finance", "to=2999-12-31"});
  const std::string after = domain::IsoDate(domain::LondonDate(SystemClock::Default()->NowMicros()));
  CHECK((to_today["to"] == before || to_today["to"] == after));
  CHECK(to_today["from"].is_null());
  CHECK(to_today["rows"].size() == 1);

  // Council admins report on their own council only; their caseworkers see
  // performance monitoring, not the admins' reports.
  CHECK(w.User("camden-admin").Run({"case-report", "report=Finance", "organisation_id=leeds"}).code == 5);
  CHECK(w.User("camden-cw1").Run({"case-report", "report=Finance"}).code == 5);
  const HttpResult not_theirs = HttpAs(w.Token("camden-cw1"), w.server.http(), "GET", "/v1/case_report?report=Finance");
  CHECK(ReasonOf(not_theirs) == "role_not_permitted");
  CHECK(HttpFields(not_theirs) == std::vector<std::string>{"report role_not_permitted"});
  CHECK(not_theirs.body.find("Performance is every user's") != std::string::npos);
  const json performance = Document(w, "camden-cw1", {"case-report", "report=Performance", "from=2025-01-01"});
  REQUIRE(performance["rows"].size() == 1);
  CHECK(performance["rows"][0]["caseworker_id"] == "camden-cw1");
  CHECK(performance["rows"][0]["open_financially_supported"] == 1);

  // The Home Office: every subscribed council, or one named.
  const json referrals = Document(w, "ho-admin", {"case-report", "report=Referrals", "period=FinancialYear"});
  CHECK(referrals["organisations"] == json::array({"camden", "leeds"}));
  CHECK(referrals["totals"]["by_period"] == json({{"2024/25", 1}, {"2025/26", 1}}));
  CHECK(Document(w, "ho-admin", {"case-report", "report=Referrals", "organisation_id=leeds"})["rows"].size() == 1);

  // Network support: counts per caseworker, nothing about the people.
  const std::string ns = w.Token("admin");
  const std::string at = w.server.http();
  CHECK(ReasonOf(HttpAs(ns, at, "GET", "/v1/case_report?report=Finance")) == "no_personal_data");
  const HttpResult by_law = HttpAs(ns, at, "GET", "/v1/case_report?report=Performance&legislation=CareAct2014");
  CHECK(ReasonOf(by_law) == "no_personal_data");
  CHECK(HttpFields(by_law) == std::vector<std::string>{"legislation no_personal_data"});
  HttpResult counts = HttpAs(ns, at, "GET", "/v1/case_report?report=Performance");
  CHECK(counts.status == 200);
  CHECK(json::parse(counts.body)["organisations"].size() == 2);

  // Only a council has a nation (its bank holidays); the others show none.
  const json orgs = json::parse(HttpAs(ns, at, "GET", "/v1/list_organisations").body)["body"]["organisations"];
  REQUIRE(orgs.size() >= 4);
  for (const json& o : orgs) {
    INFO(o.dump());
    const bool has_nation = o.contains("nation") && !o["nation"].is_null();
    CHECK(has_nation == (o["kind"] == "Council"));
  }

  // Bad input names its field.
  const std::string admin = w.Token("camden-admin");
  CHECK(ReasonOf(HttpAs(admin, at, "GET", "/v1/case_report?from=2025-01-01")) == "report_invalid");
  CHECK(ReasonOf(HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&from=2025-02-30")) == "from_invalid");
  CHECK(ReasonOf(HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&from=2025-03-02&to=2025-03-01")) ==
        "period_invalid");
  CHECK(ReasonOf(HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&from=2999-01-01")) == "period_invalid");
  CHECK(ReasonOf(HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&team_id=team-z")) == "team_not_found");
  CHECK(ReasonOf(HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&period=Quarter")) == "period_invalid");
  const HttpResult sums = HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&csv=true&totals=true");
  CHECK(sums.body.rfind("total,key,value\r\ncases,,1\r\n", 0) == 0);
  CHECK(sums.headers.at("content-disposition").find("-totals.csv\"") != std::string::npos);
  CHECK(ReasonOf(HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&totals=true")) == "totals_invalid");
  const HttpResult yes = HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&csv=yes");
  CHECK(HttpFields(yes) == std::vector<std::string>{"csv invalid_json"});
  CHECK(ReasonOf(HttpAs(w.Token("ho-admin"), at, "GET", "/v1/case_report?report=Finance&team_id=team-a")) ==
        "organisation_id_invalid");

  // For a spreadsheet.
  HttpResult csv = HttpAs(admin, at, "GET", "/v1/case_report?report=Finance&csv=true");
  CHECK(csv.status == 200);
  CHECK(csv.headers["content-type"] == "text/csv; charset=utf-8");
  CHECK(csv.body.rfind("case_id,organisation,team_id,", 0) == 0);
  CHECK(csv.headers["content-disposition"] ==
        "attachment; filename=\"finance-camden-start-to-" + to_today["to"].get<std::string>() + ".csv\"");
  HttpResult narrowed = HttpAs(admin, at, "GET",
                               "/v1/case_report?report=ThousandDay&team_id=team-a&legislation=CareAct2014"
                               "&to=2025-06-30");
  CHECK(narrowed.headers["content-disposition"] ==
        "attachment; filename=\"thousand-day-camden-team-a-CareAct2014-as-of-2025-06-30.json\"");
  CHECK(csv.body.find("\r\n" + camden + ",camden,team-a,camden-cw1,ChildrenAct1989S17,") != std::string::npos);
}

}  // namespace
}  // namespace nrpf::test
