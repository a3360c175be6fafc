// Tenant isolation over raw HTTP, for every operation that names another
// organisation's case or accounts: a council never touches or sees another
// council's, and a refusal writes nothing.

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace nrpf::test
