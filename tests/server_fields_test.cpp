// What a request leaves out, over both listeners: an enum a command needs is
// refused rather than guessed, an amendment keeps what it does not carry,
// and a view leaves out what does not apply to the case.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "tests/server_world.h"

namespace nrpf::test {
namespace {

namespace fb = ::nrpf::api::fb;
namespace dfb = ::nrpf::domain::fb;

constexpr int kExitInvalid = 8;  // invalid_argument

const std::string kApplicant =
    R"({"given_names":"Amina","family_name":"Okafor","date_of_birth":"1988-04-12","nationality":"Nigerian",)"
    R"("home_office_reference":"O1234567","documents":[{"type":"Passport","number":"P99887766"}],)"
    R"("address":"1 Test Street"})";

const fb::CaseView* CaseOf(const CliUser::Answer& a) { return a->body_as_CaseView(); }

// A case of Camden's caseworker, with everything it needs; its id.
std::string NewCase(ServerWorld& w) {
  return w.Ok("camden-cw1", {"create-case", "team_id=team-a", "applicant.given_names=Amina",
                             "applicant.family_name=Okafor", "applicant.date_of_birth=1988-04-12",
                             "household_type=AdultWithCareNeeds", "legislation=CareAct2014",
                             "referral_date=2025-03-01"})
      ->body_as_CommandResult()
      ->case_id()
      ->str();
}

TEST_CASE("an enum a command needs is refused when left out, over HTTP and binary frames", "[server][fields]") {
  ServerWorld w;
  const std::string token = w.Token("camden-cw1");
  const std::string& at = w.server.http();

  HttpResult no_household = HttpAs(token, at, "POST", "/v1/create_case",
                                   R"({"team_id":"team-a","applicant":)" + kApplicant +
                                       R"(,"legislation":"CareAct2014","referral_date":"2025-03-01"})");
  CHECK(no_household.status == 400);
  CHECK(ReasonOf(no_household) == "household_type_invalid");
  CHECK(no_household.body.find("household_type is required") != std::string::npos);
  HttpResult no_legislation = HttpAs(token, at, "POST", "/v1/create_case",
                                     R"({"team_id":"team-a","applicant":)" + kApplicant +
                                         R"(,"household_type":"AdultWithCareNeeds","referral_date":"2025-03-01"})");
  CHECK(ReasonOf(no_legislation) == "legislation_invalid");
  CHECK(w.Refused("camden-cw1", {"create-case", "team_id=team-a", "applicant.given_names=Amina",
                                 "applicant.family_name=Okafor", "applicant.date_of_birth=1988-04-12",
                                 "household_type=AdultWithCareNeeds", "referral_date=2025-03-01"},
                  kExitInvalid) == "legislation_invalid");

  const std::string id = NewCase(w);

  const std::string ho = w.Token("ho-1");
  HttpResult no_status = HttpAs(ho, at, "POST", "/v1/complete_status_check", R"({"case_id":")" + id + R"("})");
  CHECK(no_status.status == 400);
  CHECK(ReasonOf(no_status) == "status_invalid");
  CHECK(w.Refused("ho-1", {"update-immigration-status", "case_id=" + id}, kExitInvalid) == "status_invalid");
  CHECK(w.Refused("camden-cw1", {"record-advice", "case_id=" + id, "advised_on=2025-03-02"}, kExitInvalid) ==
        "of_invalid");
  CHECK(w.Refused("camden-cw1", {"raise-query", "case_id=" + id, "text=Any news?"}, kExitInvalid) ==
        "topic_invalid");
  HttpResult no_reason =
      HttpAs(token, at, "POST", "/v1/close_case", R"({"case_id":")" + id + R"(","closure_date":"2025-12-04"})");
  CHECK(no_reason.status == 400);
  CHECK(ReasonOf(no_reason) == "reason_invalid");
  CHECK(w.Refused("camden-cw1", {"close-case", "case_id=" + id, "closure_date=2025-12-04"}, kExitInvalid) ==
        "reason_invalid");
  CHECK(w.Refused("camden-cw1", {"rtpf-lookup", "document_number=P99887766", "date_of_birth=1988-04-12"},
                  kExitInvalid) == "document_type_invalid");
  CHECK(w.Refused("camden-admin", {"create-user", "user_id=camden-x", "organisation_id=camden", "name=X"},
                  kExitInvalid) == "role_invalid");
  CHECK(w.Refused("admin", {"register-organisation", "organisation_id=bristol", "name=Bristol", "nation=Scotland"},
                  kExitInvalid) == "kind_invalid");
  CHECK(w.Refused("admin", {"register-organisation", "organisation_id=bristol", "name=Bristol", "kind=Council"},
                  kExitInvalid) == "nation_invalid");

  // Nothing of it was recorded: the case is open, unchecked, with no alert.
  const fb::CaseView* c = CaseOf(w.Ok("camden-cw1", {"get-case", "case_id=" + id}));
  CHECK(c->status() == dfb::CaseStatus::OpenReferral);
  CHECK(c->immigration()->checks() == 0);
  CHECK(c->alerts()->size() == 0);
  CHECK(c->version() == 1);

  // nrpf help marks what an operation cannot do without.
  CliResult help = w.User("camden-cw1").Run({"help", "close-case"});
  CHECK(help.code == 0);
  CHECK(help.out.find("reason = RecourseToPublicFundsGranted|") != std::string::npos);
  CHECK(help.out.find("|Other  (required)\n") != std::string::npos);
  CHECK(help.out.find("  note = text\n") != std::string::npos);
  // What each operation is for, from the schema's documentation.
  CHECK(help.out.rfind("close_case: Closes a case, with its reason.\n", 0) == 0);
  CliResult ops = w.User("camden-cw1").Run({"ops"});
  CHECK(ops.code == 0);
  CHECK(ops.out.find("\nget_case ") != std::string::npos);
  CHECK(ops.out.find("A case, with its people's details") != std::string::npos);
  CHECK(w.User("camden-cw1").Run({"help"}).code == 0);
  // nrpf --help lists the flags, on stdout, and succeeds; an unknown flag
  // is a usage error that points at it.
  CliResult flags = w.User("camden-cw1").Run({"--help"});
  CHECK(flags.code == 0);
  for (const char* flag : {"--server", "--count", "--wait", "--timeout", "--password-file", "--server-name"}) {
    CHECK(flags.out.find(flag) != std::string::npos);
  }
  // Times read as times, not microseconds.
  CliResult who = w.User("camden-cw1").Run({"who-am-i"});
  INFO(who.out);
  CHECK(who.code == 0);
  CHECK(who.out.find(" UTC\n") != std::string::npos);
  CliResult unknown = w.User("camden-cw1").Run({"--no-such-flag", "who-am-i"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("nrpf --help") != std::string::npos);
}

TEST_CASE("an id or text an operation cannot do without is refused by name when left out or empty",
          "[server][fields]") {
  ServerWorld w;
  const std::string token = w.Token("camden-cw1");
  const std::string& at = w.server.http();
  const std::string id = NewCase(w);
  const std::uint64_t size = LogSize(w);

  // Reads: no case named is not "no case ''".
  HttpResult no_case = HttpAs(token, at, "POST", "/v1/get_case", "{}");
  CHECK(no_case.status == 400);
  CHECK(ReasonOf(no_case) == "case_id_invalid");
  CHECK(no_case.body.find("case_id is required") != std::string::npos);
  CHECK(ReasonOf(HttpAs(token, at, "POST", "/v1/get_case", R"({"case_id":""})")) == "case_id_invalid");
  CHECK(w.Refused("camden-cw1", {"get-case"}, kExitInvalid) == "case_id_invalid");
  CHECK(w.Refused("camden-cw1", {"case-timeline"}, kExitInvalid) == "case_id_invalid");
  // Commands: before who may act is asked, since the request has no target.
  CHECK(w.Refused("camden-admin", {"create-team", "team_id=team-b", "name=Team B"}, kExitInvalid) ==
        "organisation_id_invalid");
  CHECK(w.Refused("camden-admin", {"create-user", "user_id=camden-x", "name=X", "role=CouncilAdmin"},
                  kExitInvalid) == "organisation_id_invalid");
  CHECK(w.Refused("camden-cw1", {"answer-query", "case_id=" + id, "text=Yes"}, kExitInvalid) == "query_id_invalid");
  CHECK(w.Refused("camden-cw1", {"close-alert", "case_id=" + id}, kExitInvalid) == "alert_id_invalid");
  CHECK(w.Refused("camden-cw1", {"record-advice", "advised_on=2025-03-02", "of=DetailsSharedWithHomeOffice"},
                  kExitInvalid) == "case_id_invalid");
  HttpResult no_text = HttpAs(token, at, "POST", "/v1/raise_query",
                              R"({"case_id":")" + id + R"(","topic":"StatusUpdate","text":""})");
  CHECK(no_text.status == 400);
  CHECK(ReasonOf(no_text) == "text_invalid");
  // Before who may act is asked: a caseworker may not create teams at all.
  CHECK(w.Refused("camden-cw1", {"create-team", "team_id=team-b", "name=Team B"}, kExitInvalid) ==
        "organisation_id_invalid");
  // Before the session, or a password hash: a login without a password is
  // no failed login (it does not count towards a lock).
  for (int i = 0; i < 6; ++i) {
    HttpResult no_password = Http(at, "POST", "/v1/login", R"({"user_id":"camden-cw2"})");
    CHECK(no_password.status == 400);
    CHECK(ReasonOf(no_password) == "password_invalid");
  }
  // Any other request is first refused for its session: a front end whose
  // session ended is sent to log in again, whatever its form holds.
  const HttpResult no_session = HttpAs("", at, "POST", "/v1/get_case", "{}");
  CHECK(no_session.status == 401);
  CHECK(ReasonOf(no_session) == "not_authenticated");
  CHECK(ReasonOf(HttpAs("not-a-token", at, "POST", "/v1/create_case", "{}")) == "session_invalid");
  // Every field left out is named, in the order the schema declares them.
  const HttpResult empty_form = HttpAs(token, at, "POST", "/v1/create_case", "{}");
  CHECK(empty_form.status == 400);
  CHECK(ReasonOf(empty_form) == "applicant_invalid");
  CHECK(FieldErrorsOf(empty_form) ==
        std::vector<std::string>{"applicant applicant_invalid", "referral_date referral_date_invalid"});
  // A form's mistakes beyond what is left out are named together too, each
  // by its path in the request.
  const HttpResult mistakes =
      HttpAs(token, at, "POST", "/v1/create_case",
             R"({"team_id":"team-a","applicant":{"family_name":"Okafor","date_of_birth":"1988-02-30"},)"
             R"("dependants":[{"given_names":"Tobi","date_of_birth":"2016-02-01"},{"date_of_birth":"2099-01-01"}],)"
             R"("household_type":"FamilyWithChildren","referral_date":"01/03/2025"})");
  CHECK(mistakes.status == 400);
  CHECK(FieldErrorsOf(mistakes) == std::vector<std::string>{
                                       "applicant.date_of_birth applicant_date_of_birth_invalid",
                                       "dependants[1].family_name dependant_name_invalid",
                                       "dependants[1].date_of_birth dependant_date_of_birth_invalid",
                                       "legislation legislation_invalid",
                                       "referral_date referral_date_invalid",
                                   });
  CliResult cli = w.User("camden-cw1").Run({"create-case", "team_id=team-a", "applicant.family_name=Okafor",
                                            "applicant.date_of_birth=1988-02-30", "referral_date=2025-03-01",
                                            "legislation=CareAct2014"});
  CHECK(cli.code == kExitInvalid);
  CHECK(cli.err.find("  applicant.date_of_birth: applicant.date_of_birth is not a day of the calendar\n") !=
        std::string::npos);
  CHECK(cli.err.find("  household_type: ") != std::string::npos);
  // Optional ids stay optional: the caller's own council's counters.
  w.Ok("camden-cw1", {"get-counters"});
  // A filter no clock can match is refused, not answered with nothing.
  const HttpResult bogus_party = HttpAs(token, at, "GET", "/v1/get_clocks?party=HomeOffice");
  CHECK(bogus_party.status == 400);
  CHECK(ReasonOf(bogus_party) == "party_invalid");
  CHECK(FieldErrorsOf(bogus_party) == std::vector<std::string>{"party party_invalid"});
  CHECK(HttpAs(token, at, "GET", "/v1/get_clocks?party=home_office").status == 200);
  // A POST's fields are in its body: a query string on one is refused,
  // never silently left out.
  const HttpResult post_query = HttpAs(token, at, "POST", "/v1/get_counters?my_cases=true", "{}");
  CHECK(post_query.status == 400);
  CHECK(ReasonOf(post_query) == "query_on_post");
  // Nothing was written by any of it (reads of a case record theirs only
  // when they answer with it), and camden-cw2 is not locked.
  CHECK(LogSize(w) == size);
  const HttpResult logged_in =
      Http(at, "POST", "/v1/login", R"({"user_id":"camden-cw2","password":")" + PasswordOf("camden-cw2") + "\"}");
  CHECK(logged_in.status == 200);
}

TEST_CASE("amendments over HTTP keep what they leave out and clear what is given empty", "[server][fields]") {
  ServerWorld w;
  const std::string token = w.Token("camden-cw1");
  const std::string& at = w.server.http();
  HttpResult created = HttpAs(token, at, "POST", "/v1/create_case",
                              R"({"team_id":"team-a","applicant":)" + kApplicant +
                                  R"(,"household_type":"FamilyWithChildren","legislation":"ChildrenAct1989S17",)"
                                  R"("referral_date":"2025-03-01"})");
  REQUIRE(created.status == 200);
  const std::string id = "1";
  auto read = [&] { return w.Ok("camden-cw1", {"get-case", "case_id=" + id}); };

  HttpResult address = HttpAs(token, at, "POST", "/v1/amend_applicant",
                              R"({"case_id":"1","details":{"address":"2 New Road"}})");
  CHECK(address.status == 200);
  CliUser::Answer a = read();
  const dfb::PersonDetails* p = CaseOf(a)->applicant()->details();
  CHECK(p->given_names()->str() == "Amina");
  CHECK(p->family_name()->str() == "Okafor");
  CHECK(p->date_of_birth()->str() == "1988-04-12");
  CHECK(p->nationality()->str() == "Nigerian");
  CHECK(p->home_office_reference()->str() == "O1234567");
  REQUIRE(p->documents()->size() == 1);
  CHECK(p->documents()->Get(0)->number()->str() == "P99887766");
  CHECK(p->address()->str() == "2 New Road");
  CHECK(CaseOf(a)->household_type() == dfb::HouseholdType::FamilyWithChildren);
  CHECK(CaseOf(a)->legislation() == dfb::Legislation::ChildrenAct1989S17);

  CHECK(HttpAs(token, at, "POST", "/v1/amend_applicant",
               R"({"case_id":"1","details":{"nationality":"","documents":[]},"legislation":"Other"})")
            .status == 200);
  a = read();
  p = CaseOf(a)->applicant()->details();
  CHECK(p->nationality()->str().empty());
  CHECK((p->documents() == nullptr || p->documents()->size() == 0));
  CHECK(p->home_office_reference()->str() == "O1234567");
  CHECK(p->address()->str() == "2 New Road");
  CHECK(CaseOf(a)->household_type() == dfb::HouseholdType::FamilyWithChildren);
  CHECK(CaseOf(a)->legislation() == dfb::Legislation::Other);
  HttpResult same = HttpAs(token, at, "POST", "/v1/amend_applicant",
                           R"({"case_id":"1","details":{"address":"2 New Road"}})");
  CHECK(same.status == 409);
  CHECK(ReasonOf(same) == "unchanged");

  REQUIRE(HttpAs(token, at, "POST", "/v1/record_finance",
                 R"({"case_id":"1","start_date":"2025-03-03","person_costs_weekly_pence":12000,)"
                 R"("accommodation_costs_weekly_pence":30000,"accommodation_provided":true})")
              .status == 200);
  CHECK(HttpAs(token, at, "POST", "/v1/amend_finance",
               R"({"case_id":"1","start_date":"2025-03-05","person_costs_weekly_pence":9000})")
            .status == 200);
  a = read();
  const fb::FinanceView* f = CaseOf(a)->finance();
  CHECK(f->start_date()->str() == "2025-03-05");
  CHECK(f->person_costs_weekly_pence() == 9000);
  CHECK(f->accommodation_costs_weekly_pence() == 30000);
  CHECK(f->accommodation_provided());
  CHECK(HttpAs(token, at, "POST", "/v1/amend_finance", R"({"case_id":"1","accommodation_provided":false})").status ==
        200);
  f = CaseOf(a = read())->finance();
  CHECK_FALSE(f->accommodation_provided());
  CHECK(f->accommodation_costs_weekly_pence() == 30000);
  CHECK(f->amendments() == 2);
}

TEST_CASE("a case view leaves out a closure reason, a status and an alert's because that do not apply yet",
          "[server][fields]") {
  ServerWorld w;
  const std::string token = w.Token("camden-cw1");
  const std::string& at = w.server.http();
  w.Ok("camden-cw1", {"create-case", "team_id=team-a", "applicant.given_names=Amina", "applicant.family_name=Okafor",
                      "applicant.date_of_birth=1988-04-12", "household_type=AdultWithCareNeeds",
                      "legislation=CareAct2014", "referral_date=2025-03-01"});
  CliUser::Answer fresh = w.Ok("camden-cw1", {"get-case", "case_id=1"});
  CHECK_FALSE(CaseOf(fresh)->closure_reason().has_value());
  CHECK_FALSE(CaseOf(fresh)->immigration()->status().has_value());
  HttpResult json = HttpAs(token, at, "GET", "/v1/get_case?case_id=1");
  REQUIRE(json.status == 200);
  INFO(json.body);
  CHECK(json.body.find("\"closure_reason\": \"") == std::string::npos);
  CHECK(json.body.find("\"NoRecordFound\"") == std::string::npos);

  w.Ok("ho-1", {"complete-status-check", "case_id=1", "status=ApplicationPending"});
  CliUser::Answer checked = w.Ok("camden-cw1", {"get-case", "case_id=1"});
  CHECK(CaseOf(checked)->immigration()->status() == dfb::ImmigrationStatus::ApplicationPending);
  REQUIRE(CaseOf(checked)->alerts()->size() == 1);
  const fb::AlertView* alert = CaseOf(checked)->alerts()->Get(0);
  CHECK(alert->open());
  CHECK_FALSE(alert->because().has_value());
  json = HttpAs(token, at, "GET", "/v1/get_case?case_id=1");
  CHECK(json.body.find("\"because\": \"") == std::string::npos);

  w.Ok("camden-cw1", {"close-alert", "case_id=1", "alert_id=" + alert->alert_id()->str()});
  w.Ok("camden-cw1", {"close-case", "case_id=1", "closure_date=2025-12-04", "reason=NoLongerInTouch"});
  CliUser::Answer closed = w.Ok("camden-cw1", {"get-case", "case_id=1"});
  CHECK(CaseOf(closed)->closure_reason() == dfb::ClosureReason::NoLongerInTouch);
  CHECK(CaseOf(closed)->alerts()->Get(0)->because() == dfb::AlertClosedBecause::Reviewed);
  json = HttpAs(token, at, "GET", "/v1/get_case?case_id=1");
  CHECK(json.body.find("\"closure_reason\": \"NoLongerInTouch\"") != std::string::npos);
  CHECK(json.body.find("\"because\": \"Reviewed\"") != std::string::npos);
}

TEST_CASE("a home-page counter's cases are listed over HTTP, for my cases too, with the alerts to review",
          "[server][fields]") {
  ServerWorld w;
  const std::string token = w.Token("camden-cw1");
  const std::string& at = w.server.http();
  const std::string mine = NewCase(w);
  const std::string other = NewCase(w);
  w.Ok("camden-cw1", {"allocate-caseworker", "case_id=" + mine, "caseworker_id=camden-cw1"});
  w.Ok("ho-1", {"complete-status-check", "case_id=" + mine, "status=ApplicationPending"});
  w.Ok("ho-1", {"complete-status-check", "case_id=" + other, "status=ApplicationPending"});
  const auto* counters =
      w.Ok("camden-cw1", {"get-counters", "my_cases=true"})->body_as_Counters();
  CHECK(counters->immigration_update_alerts() == 1);
  const HttpResult listed = HttpAs(token, at, "GET", "/v1/get_caseload?my_cases=true&open_alert=ImmigrationUpdate");
  REQUIRE(listed.status == 200);
  INFO(listed.body);
  const std::optional<std::string> parsed = ParseResponseJson(listed.body);
  REQUIRE(parsed);
  const auto* rows = flatbuffers::GetRoot<fb::Response>(parsed->data())->body_as_Caseload()->rows();
  REQUIRE(rows->size() == 1);
  CHECK(rows->Get(0)->case_id()->str() == mine);
  REQUIRE(rows->Get(0)->alerts()->size() == 1);
  CHECK(rows->Get(0)->alerts()->Get(0)->kind() == dfb::AlertKind::ImmigrationUpdate);
  CHECK(rows->Get(0)->alerts()->Get(0)->open());
  // The whole council's, through the CLI.
  CHECK(w.Ok("camden-admin", {"get-caseload", "open_alert=ImmigrationUpdate"})->body_as_Caseload()->rows()->size() == 2);
  CHECK(w.Ok("camden-admin", {"get-caseload", "thousand_day=true"})->body_as_Caseload()->rows()->size() == 0);
  // Network support: no alert kinds in its rows, and no list by them.
  CHECK(ReasonOf(HttpAs(w.Token("admin"), at, "GET", "/v1/get_caseload?organisation_id=camden&open_alert=ClosureRequired")) ==
        "no_personal_data");
}

// YYYY-MM-DD, `days` before today (UTC).
std::string DaysAgo(int days) {
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - std::chrono::days(days);
  const std::chrono::year_month_day ymd(day);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

TEST_CASE("assessments over HTTP and nrpf: the outcome worked out, the answers shown to those who may read them",
          "[server][fields]") {
  ServerWorld w;
  const std::string token = w.Token("camden-cw1");
  const std::string& at = w.server.http();
  const std::string id = NewCase(w);
  // A child of two years and two months or so.
  w.Ok("camden-cw1", {"add-dependant", "case_id=" + id, "details.given_names=Ada", "details.family_name=Okafor",
                      "details.date_of_birth=" + DaysAgo(800), "details.relationship=child"});
  const std::string child = "case-" + id + "/dependant-1";

  HttpResult missing = HttpAs(token, at, "POST", "/v1/assess_early_education",
                              R"({"case_id":")" + id + R"(","dependant":")" + child + R"("})");
  CHECK(missing.status == 400);
  CHECK(ReasonOf(missing) == "lives_in_england_invalid");
  CHECK(missing.body.find("savings_pence") != std::string::npos);

  HttpResult assessed = HttpAs(token, at, "POST", "/v1/assess_early_education",
                               R"({"case_id":")" + id + R"(","dependant":")" + child +
                                   R"(","lives_in_england":true,"in_london":false,)"
                                   R"("household_income_after_tax_pence":2700000,"children_in_household":1,)"
                                   R"("savings_pence":0,"parent_with_recourse":false,"note":"payslips seen"})");
  INFO(assessed.body);
  REQUIRE(assessed.status == 200);
  // The answer carries the assessment as recorded, what it found included.
  CHECK(assessed.body.find(R"("assessment_id": "AS1")") != std::string::npos);
  CHECK(assessed.body.find(R"("outcome": "NotEligible")") != std::string::npos);
  w.Ok("camden-cw1", {"assess-change-of-conditions", "case_id=" + id, "route=PrivateLife", "has_accommodation=false",
                      "accommodation_adequate=true", "can_meet_living_needs=false",
                      "has_accommodation_in_3_months=false", "accommodation_adequate_in_3_months=true",
                      "can_meet_living_needs_in_3_months=false", "income_meets_childrens_needs=false",
                      "exceptional_circumstances=false", "evidence_complete=true"});

  CliUser::Answer view = w.Ok("camden-cw1", {"get-case", "case_id=" + id});
  REQUIRE(CaseOf(view)->assessments() != nullptr);
  REQUIRE(CaseOf(view)->assessments()->size() == 2);
  const fb::AssessmentView* ee = CaseOf(view)->assessments()->Get(0);
  CHECK(ee->outcome() == dfb::AssessmentOutcome::NotEligible);  // 27,000 over 26,500
  CHECK(ee->income_threshold_pence() == 2'650'000);
  REQUIRE(ee->early_education() != nullptr);
  CHECK(ee->early_education()->child_age_months() >= 25u);  // 800 days, in whole months
  CHECK(ee->early_education()->child_age_months() <= 27u);
  CHECK(ee->assessed_on() != nullptr);
  CHECK_FALSE(ee->erased());
  CHECK(ee->note()->str() == "payslips seen");
  const fb::AssessmentView* coc = CaseOf(view)->assessments()->Get(1);
  CHECK(coc->outcome() == dfb::AssessmentOutcome::Eligible);
  CHECK_FALSE(coc->income_threshold_pence().has_value());
  REQUIRE(coc->change_of_conditions() != nullptr);
  CHECK(coc->change_of_conditions()->income_meets_childrens_needs() == false);

  // nrpf's text names the reasons, and shows no answer to a question that
  // was not asked.
  const CliResult text = w.User("camden-cw1").Run({"get-case", "case_id=" + id});
  REQUIRE(text.code == 0);
  INFO(text.out);
  CHECK(text.out.find("IncomeAboveThreshold, SavingsWithinLimit") != std::string::npos);
  CHECK(text.out.find("Destitute, ChildWelfare") != std::string::npos);
  CHECK(text.out.find("particularly_compelling_circumstances") == std::string::npos);

  HttpResult json = HttpAs(token, at, "GET", "/v1/get_case?case_id=" + id);
  REQUIRE(json.status == 200);
  INFO(json.body);
  CHECK(json.body.find(R"("reasons": ["IncomeAboveThreshold","SavingsWithinLimit"])") != std::string::npos);
  CHECK(json.body.find(R"("reasons": ["Destitute","ChildWelfare"])") != std::string::npos);
  CHECK(json.body.find(R"("rule_version": "change-of-conditions/4.0")") != std::string::npos);
  CHECK(json.body.find(R"("household_income_after_tax_pence": 2700000)") != std::string::npos);

  // Network support sees no assessments at all; the Home Office reads the
  // change of conditions, not the child's early education.
  CliUser::Answer metadata = w.Ok("admin", {"get-case", "case_id=" + id});
  CHECK(CaseOf(metadata)->assessments() == nullptr);
  CliUser::Answer home_office = w.Ok("ho-1", {"get-case", "case_id=" + id});
  REQUIRE(CaseOf(home_office)->assessments() != nullptr);
  REQUIRE(CaseOf(home_office)->assessments()->size() == 1);
  CHECK(CaseOf(home_office)->assessments()->Get(0)->kind() == dfb::AssessmentKind::ChangeOfConditions);
  CHECK(w.Refused("ho-1",
                  {"assess-change-of-conditions", "case_id=" + id, "route=PrivateLife", "has_accommodation=true",
                   "accommodation_adequate=true", "can_meet_living_needs=true", "has_accommodation_in_3_months=true",
                   "accommodation_adequate_in_3_months=true", "can_meet_living_needs_in_3_months=true",
                   "exceptional_circumstances=false", "evidence_complete=true"},
                  5) == "role_not_permitted");
}

}  // namespace
}  // namespace nrpf::test
