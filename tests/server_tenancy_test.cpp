// Tenant isolation over raw HTTP, for every operation that names another
// organisation's case or accounts: a council never touches or sees another
// council's, and a refusal writes nothing.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "server/api_codec.h"
#include "tests/server_world.h"

namespace nrpf::test {
namespace {

struct Attempt {
  std::string user;
  std::string op;
  std::string body;
  int http_status;
  std::string reason;
};

std::string Field(const CliUser::Answer& a, const std::string& which) {
  const auto* c = a->body_as_CaseView();
  if (which == "alert") return c->alerts()->Get(0)->alert_id()->str();
  for (const auto* q : *c->queries()) {
    if (q->direction() == domain::fb::QueryDirection::HomeOfficeToCouncil) return q->query_id()->str();
  }
  return "";
}

TEST_CASE("no operation reaches another council's cases or accounts, and refusals write nothing", "[server][tenancy]") {
  ServerWorld w;
  w.Ok("camden-cw1", {"create-case", "household_type=FamilyWithChildren", "legislation=ChildrenAct1989S17",
                      "team_id=team-a", "applicant.given_names=Amina", "applicant.family_name=Okafor",
                      "applicant.date_of_birth=1988-04-12", "applicant.documents.0.type=Passport",
                      "applicant.documents.0.number=P12121212", "dependants.0.given_names=Tobi",
                      "dependants.0.family_name=Okafor", "dependants.0.date_of_birth=2019-02-01",
                      "referral_date=2025-03-01"});
  w.Ok("camden-cw1", {"record-finance", "case_id=1", "start_date=2025-03-05", "person_costs_weekly_pence=100"});
  w.Ok("ho-1", {"complete-status-check", "case_id=1", "status=LeaveWithNrpfCondition"});
  w.Ok("ho-1", {"raise-query", "case_id=1", "topic=HomeOfficeInformationRequest", "text=Address?"});
  CliUser::Answer camden_case = w.Ok("camden-cw1", {"get-case", "case_id=1"});
  const std::string alert = Field(camden_case, "alert");
  const std::string query = Field(camden_case, "query");
  const std::string leeds_case = w.Ok("leeds-cw1", {"create-case", "household_type=FamilyWithChildren",
                                                    "legislation=ChildrenAct1989S17", "team_id=team-a",
                                                    "applicant.given_names=Oksana",
                                                    "applicant.family_name=Shevchenko",
                                                    "applicant.date_of_birth=1979-11-30", "referral_date=2025-03-03"})
                                     ->body_as_CommandResult()
                                     ->case_id()
                                     ->str();
  const std::string person = R"({"given_names":"X","family_name":"Y","date_of_birth":"1990-01-01"})";

  const std::vector<Attempt> attempts = {
      // Every case operation, by another council's caseworker.
      {"leeds-cw1", "get_case", R"({"case_id":"1"})", 403, "wrong_tenant"},
      {"leeds-cw1", "allocate_caseworker", R"({"case_id":"1","caseworker_id":"leeds-cw1"})", 403, "wrong_tenant"},
      {"leeds-cw1", "change_team", R"({"case_id":"1","team_id":"team-a"})", 403, "wrong_tenant"},
      {"leeds-cw1", "amend_applicant", R"({"case_id":"1","details":)" + person + "}", 403, "wrong_tenant"},
      {"leeds-cw1", "add_dependant", R"({"case_id":"1","details":)" + person + "}", 403, "wrong_tenant"},
      {"leeds-cw1", "remove_dependant", R"({"case_id":"1","subject":"case-1/dependant-1"})", 403, "wrong_tenant"},
      {"leeds-cw1", "record_finance", R"({"case_id":"1","start_date":"2025-03-05"})", 403, "wrong_tenant"},
      {"leeds-cw1", "amend_finance", R"({"case_id":"1","start_date":"2025-03-05"})", 403, "wrong_tenant"},
      {"leeds-cw1", "end_finance", R"({"case_id":"1","end_date":"2025-04-05"})", 403, "wrong_tenant"},
      {"leeds-cw1", "record_advice", R"({"case_id":"1","advised_on":"2025-03-06"})", 403, "wrong_tenant"},
      {"leeds-cw1", "close_alert", R"({"case_id":"1","alert_id":")" + alert + R"("})", 403, "wrong_tenant"},
      {"leeds-cw1", "raise_query", R"({"case_id":"1","text":"x"})", 403, "wrong_tenant"},
      {"leeds-cw1", "answer_query", R"({"case_id":"1","query_id":")" + query + R"(","text":"x"})", 403, "wrong_tenant"},
      {"leeds-cw1", "close_case", R"({"case_id":"1","closure_date":"2025-04-01"})", 403, "wrong_tenant"},
      {"leeds-cw1", "reopen_case", R"({"case_id":"1","reopened_on":"2025-04-01"})", 403, "wrong_tenant"},
      {"leeds-cw1", "flag_duplicate", R"({"case_id":"1","duplicate_of":")" + leeds_case + R"("})", 403, "wrong_tenant"},
      {"leeds-cw1", "flag_duplicate", R"({"case_id":")" + leeds_case + R"(","duplicate_of":"1"})", 404, "case_not_found"},
      {"leeds-cw1", "case_history", R"({"case_id":"1"})", 403, "wrong_tenant"},
      {"leeds-cw1", "subscribe_case", R"({"case_id":"1"})", 403, "wrong_tenant"},
      {"leeds-cw1", "subject_access_export", R"({"case_id":"1"})", 403, "role_not_permitted"},
      {"leeds-cw1", "read_log", "{}", 403, "role_not_permitted"},
      {"leeds-cw1", "list_users", R"({"organisation_id":"camden"})", 403, "role_not_permitted"},
      // Every account operation, by another council's admin.
      {"leeds-admin", "list_users", R"({"organisation_id":"camden"})", 403, "wrong_tenant"},
      {"leeds-admin", "create_team", R"({"organisation_id":"camden","team_id":"t2","name":"T"})", 403, "wrong_tenant"},
      {"leeds-admin", "create_user",
       R"({"user_id":"intruder","organisation_id":"camden","role":"CouncilUser","name":"I"})", 403, "wrong_tenant"},
      {"leeds-admin", "delete_user", R"({"user_id":"camden-cw2"})", 403, "wrong_tenant"},
      {"leeds-admin", "change_user_role", R"({"user_id":"camden-cw2","role":"CouncilAdmin"})", 403, "wrong_tenant"},
      {"leeds-admin", "lock_user", R"({"user_id":"camden-cw2"})", 403, "wrong_tenant"},
      {"leeds-admin", "unlock_user", R"({"user_id":"camden-cw2"})", 403, "wrong_tenant"},
      {"leeds-admin", "reset_password", R"({"user_id":"camden-cw2"})", 403, "wrong_tenant"},
      {"leeds-admin", "get_case", R"({"case_id":"1"})", 403, "wrong_tenant"},
      // A council's auditor is scoped to its council.
      {"camden-auditor", "get_case", R"({"case_id":")" + leeds_case + R"("})", 403, "wrong_tenant"},
      {"camden-auditor", "case_history", R"({"case_id":")" + leeds_case + R"("})", 403, "wrong_tenant"},
      {"camden-auditor", "subject_access_export", R"({"case_id":")" + leeds_case + R"("})", 403, "wrong_tenant"},
      {"camden-auditor", "subscribe_log", "{}", 403, "wrong_tenant"},
      {"camden-auditor", "verify_log", "{}", 403, "wrong_tenant"},
      {"camden-auditor", "record_advice", R"({"case_id":"1","advised_on":"2025-03-06"})", 403, "role_not_permitted"},
      // Roles: the Home Office does not run councils' cases; network support
      // never reads personal data; nobody sends another's server-only lock.
      {"ho-1", "create_case", R"({"applicant":)" + person + R"(,"referral_date":"2025-03-01"})", 403,
       "role_not_permitted"},
      {"ho-1", "close_case", R"({"case_id":"1","closure_date":"2025-04-01"})", 403, "role_not_permitted"},
      {"ho-1", "record_finance", R"({"case_id":"1","start_date":"2025-03-05"})", 403, "finance_read_only"},
      {"ho-1", "list_users", R"({"organisation_id":"camden"})", 403, "role_not_permitted"},
      {"admin", "search", R"({"name":"Amina Okafor"})", 403, "role_not_permitted"},
      {"admin", "subject_access_export", R"({"case_id":"1"})", 403, "role_not_permitted"},
      // Network support creates only a council's first admin: the creator
      // of an account learns its one-time password.
      {"admin", "create_user", R"({"user_id":"ns-made","organisation_id":"camden","role":"CouncilUser","name":"N"})",
       403, "role_not_permitted"},
      {"admin", "create_user", R"({"user_id":"ns-made","organisation_id":"camden","role":"CouncilAdmin","name":"N"})",
       403, "organisation_has_admin"},
      {"admin", "change_user_role", R"({"user_id":"camden-cw2","role":"CouncilAdmin"})", 403, "organisation_has_admin"},
      {"admin", "change_user_role", R"({"user_id":"camden-cw2","role":"Auditor"})", 403, "role_not_permitted"},
      {"camden-cw1", "lock_user", R"({"user_id":"camden-cw2","reason":"FailedLogins"})", 400, "invalid_json"},
      {"leeds-cw1", "get_caseload", R"({"organisation_id":"camden"})", 403, "wrong_tenant"},
      {"leeds-cw1", "get_counters", R"({"organisation_id":"camden"})", 403, "wrong_tenant"},
      {"camden-auditor", "get_caseload", R"({"organisation_id":"leeds"})", 403, "wrong_tenant"},
      {"camden-cw1", "register_organisation",
       R"({"organisation_id":"x","kind":"Council","name":"X","nation":"Scotland"})", 403, "role_not_permitted"},
  };

  const std::uint64_t before = LogSize(w);
  for (const Attempt& a : attempts) {
    INFO(a.user << " " << a.op << " " << a.body);
    HttpResult r = HttpAs(w.Token(a.user), w.server.http(), "POST", "/v1/" + a.op, a.body);
    CHECK(r.status == a.http_status);
    CHECK(ReasonOf(r) == a.reason);
  }
  CHECK(LogSize(w) == before);

  // What another council reads of its own pages holds nothing of Camden's.
  auto body_of = [](const HttpResult& r) {
    REQUIRE(r.status == 200);
    std::optional<std::string> parsed = ParseResponseJson(r.body);
    REQUIRE(parsed);
    return *parsed;
  };
  const std::string leeds = w.Token("leeds-cw1");
  const std::string hits = body_of(HttpAs(leeds, w.server.http(), "GET", "/v1/search?name=Amina+Okafor"));
  CHECK(flatbuffers::GetRoot<api::fb::Response>(hits.data())->body_as_SearchResult()->hits()->size() == 0);
  const std::string by_reference = body_of(HttpAs(leeds, w.server.http(), "GET", "/v1/search?document_number=P12121212"));
  CHECK(flatbuffers::GetRoot<api::fb::Response>(by_reference.data())->body_as_SearchResult()->hits()->size() == 0);
  const std::string caseload = body_of(HttpAs(leeds, w.server.http(), "GET", "/v1/get_caseload"));
  const auto* rows = flatbuffers::GetRoot<api::fb::Response>(caseload.data())->body_as_Caseload()->rows();
  REQUIRE(rows->size() == 1);
  CHECK(rows->Get(0)->case_id()->str() == leeds_case);
  const std::string counters = body_of(HttpAs(leeds, w.server.http(), "GET", "/v1/get_counters"));
  const auto* c = flatbuffers::GetRoot<api::fb::Response>(counters.data())->body_as_Counters();
  CHECK(c->open_financially_supported() == 0);
  CHECK(c->new_home_office_queries() == 0);
  // The Home Office names the council whose caseload it reads.
  const std::string camden_load =
      body_of(HttpAs(w.Token("ho-1"), w.server.http(), "GET", "/v1/get_caseload?organisation_id=camden"));
  const auto* camden_rows = flatbuffers::GetRoot<api::fb::Response>(camden_load.data())->body_as_Caseload()->rows();
  REQUIRE(camden_rows->size() == 1);
  CHECK(camden_rows->Get(0)->case_id()->str() == "1");
  const std::string clocks = body_of(HttpAs(leeds, w.server.http(), "GET", "/v1/get_clocks"));
  for (const auto* k : *flatbuffers::GetRoot<api::fb::Response>(clocks.data())->body_as_Clocks()->clocks()) {
    CHECK(k->organisation_id()->str() == "leeds");
  }
  const std::string lookup = body_of(HttpAs(leeds, w.server.http(), "POST", "/v1/rtpf_lookup",
                                            R"({"document_type":"Passport","document_number":"P12121212",)"
                                            R"("date_of_birth":"1988-04-12"})"));
  const auto* rtpf = flatbuffers::GetRoot<api::fb::Response>(lookup.data())->body_as_CommandResult()->rtpf();
  CHECK(rtpf->matched());                     // the Home Office's record of the person is found...
  CHECK(rtpf->current_status() == domain::fb::ImmigrationStatus::LeaveWithNrpfCondition);
  CHECK(rtpf->matched_case_id()->size() == 0);  // ...but Camden's case is not named to Leeds
  // Camden's own look-up names its case.
  const std::string own = body_of(HttpAs(w.Token("camden-cw1"), w.server.http(), "POST", "/v1/rtpf_lookup",
                                         R"({"document_type":"Passport","document_number":"P12121212",)"
                                         R"("date_of_birth":"1988-04-12"})"));
  CHECK(flatbuffers::GetRoot<api::fb::Response>(own.data())->body_as_CommandResult()->rtpf()->matched_case_id()->str() ==
        "1");
}

// Values of case 1 below that are not case metadata: none may reach network
// support through any read, and a council caseworker reads each.
const std::vector<std::string> kNotMetadata = {
    "12345",                          // person costs, pence
    "123.45",                         // the same, as the timeline shows it
    "CareLeaver",                     // household type
    "ChildrenAct1989LeavingCare",     // legislation
    "LeaveWithNrpfCondition",         // immigration status
    "Expedite",                       // query topic
    "SafeguardingOrChildProtection",  // urgent reason
    "Court hearing on Friday",        // query text
};

void CheckHoldsNone(const std::string& what, const std::string& text) {
  for (const std::string& v : kNotMetadata) {
    INFO(what << " holds " << v);
    CHECK(text.find(v) == std::string::npos);
  }
}

void CheckHoldsAll(const std::string& what, const std::string& text, const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    INFO(what << " lacks " << v);
    CHECK(text.find(v) != std::string::npos);
  }
}

TEST_CASE("network support's case history, timeline, case events and caseload hold case metadata only",
          "[server][tenancy]") {
  using namespace std::chrono_literals;
  ServerWorld w;
  w.Ok("camden-cw1", {"create-case", "household_type=CareLeaver", "legislation=ChildrenAct1989LeavingCare",
                      "team_id=team-a", "applicant.given_names=Amina", "applicant.family_name=Okafor",
                      "applicant.date_of_birth=1988-04-12", "referral_date=2025-03-01"});
  w.Ok("camden-cw1", {"record-finance", "case_id=1", "start_date=2025-03-05", "person_costs_weekly_pence=12345"});
  w.Ok("ho-1", {"complete-status-check", "case_id=1", "status=LeaveWithNrpfCondition"});
  const std::string camden = w.Token("camden-cw1");
  const std::string support = w.Token("admin");
  HttpResult raised = HttpAs(camden, w.server.http(), "POST", "/v1/raise_query",
                             R"({"case_id":"1","topic":"Expedite","urgent":true,)"
                             R"("urgent_reason":"SafeguardingOrChildProtection","text":"Court hearing on Friday"})");
  REQUIRE(raised.status == 200);

  // case_history: every event, each with its metadata and no body.
  HttpResult history = HttpAs(support, w.server.http(), "POST", "/v1/case_history", R"({"case_id":"1"})");
  REQUIRE(history.status == 200);
  CheckHoldsNone("network support's case_history", history.body);
  std::optional<std::string> parsed = ParseResponseJson(history.body);
  REQUIRE(parsed);
  const auto* events = flatbuffers::GetRoot<api::fb::Response>(parsed->data())->body_as_LogEvents()->events();
  std::vector<std::string> types;
  for (const auto* e : *events) {
    types.push_back(e->type()->str());
    CHECK(e->body_withheld());
    CHECK(e->body_json() == nullptr);
    CHECK(e->subjects() == nullptr);
    CHECK(e->stream_id()->size() > 0);
    CHECK(e->stream_version() > 0);
    CHECK(e->recorded_at_us() > 0);
    CHECK(e->actor_user_id()->size() > 0);
  }
  CHECK(std::find(types.begin(), types.end(), "finance.recorded") != types.end());
  CHECK(std::find(types.begin(), types.end(), "query.raised") != types.end());
  HttpResult own_history = HttpAs(camden, w.server.http(), "POST", "/v1/case_history", R"({"case_id":"1"})");
  REQUIRE(own_history.status == 200);
  CheckHoldsAll("the council's case_history", own_history.body,
                {"12345", "CareLeaver", "ChildrenAct1989LeavingCare", "LeaveWithNrpfCondition", "Expedite",
                 "SafeguardingOrChildProtection"});
  parsed = ParseResponseJson(own_history.body);
  REQUIRE(parsed);
  for (const auto* e : *flatbuffers::GetRoot<api::fb::Response>(parsed->data())->body_as_LogEvents()->events()) {
    CHECK_FALSE(e->body_withheld());
  }

  // case_timeline: the events' metadata, no changes and no state.
  HttpResult timeline = HttpAs(support, w.server.http(), "POST", "/v1/case_timeline", R"({"case_id":"1"})");
  REQUIRE(timeline.status == 200);
  CheckHoldsNone("network support's case_timeline", timeline.body);
  const nlohmann::json t = nlohmann::json::parse(timeline.body);
  CHECK(t["metadata_only"] == true);
  CHECK(t["state"].is_null());
  REQUIRE(t["timeline"].size() == events->size());
  for (const nlohmann::json& e : t["timeline"]) {
    CHECK_FALSE(e.contains("changes"));
    CHECK_FALSE(e.contains("erased"));
    CHECK(e["type"].is_string());
    CHECK(e["actor"]["user"].is_string());
  }
  HttpResult own_timeline = HttpAs(camden, w.server.http(), "POST", "/v1/case_timeline", R"({"case_id":"1"})");
  REQUIRE(own_timeline.status == 200);
  CheckHoldsAll("the council's case_timeline", own_timeline.body,
                {"123.45", "CareLeaver", "ChildrenAct1989LeavingCare", "LeaveWithNrpfCondition", "Expedite"});
  CHECK_FALSE(nlohmann::json::parse(own_timeline.body).contains("metadata_only"));

  // get_caseload: ids, status, team, caseworker, dates of referral, alerts.
  HttpResult load = HttpAs(support, w.server.http(), "GET", "/v1/get_caseload?organisation_id=camden");
  REQUIRE(load.status == 200);
  CheckHoldsNone("network support's caseload", load.body);
  CHECK(load.body.find("2025-03-05") == std::string::npos);  // the finance start date
  parsed = ParseResponseJson(load.body);
  REQUIRE(parsed);
  const auto* rows = flatbuffers::GetRoot<api::fb::Response>(parsed->data())->body_as_Caseload()->rows();
  REQUIRE(rows->size() == 1);
  const auto* row = rows->Get(0);
  CHECK(row->case_id()->str() == "1");
  CHECK(row->status() == domain::fb::CaseStatus::OpenFinanciallySupported);
  CHECK(row->referral_date()->str() == "2025-03-01");
  CHECK_FALSE(row->personal_data());
  CHECK_FALSE(row->legislation().has_value());
  CHECK_FALSE(row->household_type().has_value());
  CHECK(row->finance_start_date() == nullptr);
  HttpResult filtered =
      HttpAs(support, w.server.http(), "POST", "/v1/get_caseload", R"({"organisation_id":"camden","legislation":"CareAct2014"})");
  CHECK(filtered.status == 403);
  CHECK(ReasonOf(filtered) == "no_personal_data");
  HttpResult own_load = HttpAs(camden, w.server.http(), "GET", "/v1/get_caseload");
  REQUIRE(own_load.status == 200);
  parsed = ParseResponseJson(own_load.body);
  REQUIRE(parsed);
  const auto* own_row = flatbuffers::GetRoot<api::fb::Response>(parsed->data())->body_as_Caseload()->rows()->Get(0);
  CHECK(own_row->personal_data());
  CHECK(own_row->legislation() == domain::fb::Legislation::ChildrenAct1989LeavingCare);
  CHECK(own_row->household_type() == domain::fb::HouseholdType::CareLeaver);
  CHECK(own_row->finance_start_date()->str() == "2025-03-05");

  // subscribe_case as an event stream: the same metadata, pushed.
  auto follow = [&](const std::string& token) {
    RawSocket sse(w.server.http());
    sse.Send("GET /v1/subscribe_case?case_id=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n");
    bool closed = false;
    std::string stream;
    for (int i = 0; i < 20 && stream.find("\"query.raised\"") == std::string::npos; ++i) {
      stream += sse.Receive(500ms, &closed);
      if (closed) break;
    }
    return stream;
  };
  const std::string pushed = follow(support);
  CHECK(pushed.find("\"finance.recorded\"") != std::string::npos);
  CHECK(pushed.find("\"query.raised\"") != std::string::npos);
  CHECK(pushed.find("\"body_withheld\": true") != std::string::npos);
  CheckHoldsNone("network support's subscribe_case", pushed);
  CheckHoldsAll("the council's subscribe_case", follow(camden), {"12345", "CareLeaver", "Expedite"});
}

}  // namespace
}  // namespace nrpf::test
