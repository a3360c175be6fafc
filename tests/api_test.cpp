// The server's parts in process: configuration, the JSON and binary forms
// of the schema, routes, limits, passwords and the credential store, and
// accounts on a manual clock.

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/render.h"
#include "cli/request_json.h"
#include "server/accounts.h"
#include "server/api_codec.h"
#include "server/api_error.h"
#include "server/config.h"
#include "server/frame.h"
#include "server/http_routes.h"
#include "server/passwords.h"
#include "server/rate_limiter.h"
#include "server/response_writer.h"
#include "domain/task_pool.h"
#include "tests/domain_world.h"

namespace nrpf::test {
namespace {

using namespace std::chrono_literals;
namespace api_fb = ::nrpf::api::fb;

TEST_CASE("configuration: a file, then flags over it, with units on durations", "[api][config]") {
  TempDir dir;
  {
    std::ofstream f(dir.Sub("nrpf.conf"));
    f << "# a comment\ndata_dir = /srv/nrpf\nlisten = 127.0.0.1:9000  # trailing comment\n"
         "read_timeout = 250ms\nsession_ttl = 2h\nlog_format = json\nworkers = 8\n";
  }
  const std::string file = dir.Sub("nrpf.conf");
  std::vector<std::string> args = {"nrpf-ledgerd", "--workers", "16", "--config", file, "--idle-timeout=90s"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  server::ServerConfig c;
  bool help = false;
  REQUIRE(server::ParseCommandLine(static_cast<int>(argv.size()), argv.data(), &c, &help).ok());
  CHECK(c.data_dir == "/srv/nrpf");
  CHECK(c.listen == "127.0.0.1:9000");
  CHECK(c.limits.read_timeout == 250ms);
  CHECK(c.limits.idle_timeout == 90s);
  CHECK(c.accounts.session_ttl == 2h);
  CHECK(c.log_format == server::LogFormat::kJson);
  CHECK(c.limits.workers == 16);  // the flag wins over the file
  c.Resolve();
  CHECK(c.key_dir == "/srv/nrpf/keys");
  CHECK(c.master_key == "/srv/nrpf/master.key");
  CHECK(c.credentials_dir == "/srv/nrpf/credentials");

  CHECK(server::ApplySetting(&c, "no_such_setting", "1").reason() == "config_invalid");
  CHECK_FALSE(server::ApplySetting(&c, "read_timeout", "soon").ok());
  CHECK_FALSE(server::ApplySetting(&c, "workers", "0").ok());
  CHECK_FALSE(server::ApplySetting(&c, "log_format", "xml").ok());
  CHECK(server::ApplySetting(&c, "idle-timeout", "5").ok());  // dashes as flags have them; bare = seconds
  CHECK(c.limits.idle_timeout == 5s);
  CHECK(server::UsageText().find("--max-frame-bytes") != std::string::npos);
  // Web origins: scheme, host and port, each exactly as a browser sends it.
  REQUIRE(server::ApplySetting(&c, "cors_origins", "https://casework.example.gov.uk, http://localhost:3000").ok());
  CHECK(c.cors_origins == std::vector<std::string>{"https://casework.example.gov.uk", "http://localhost:3000"});
  CHECK_FALSE(server::ApplySetting(&c, "cors_origins", "*").ok());
  CHECK_FALSE(server::ApplySetting(&c, "cors_origins", "https://example.org/app").ok());
  CHECK_FALSE(server::ApplySetting(&c, "cors_origins", "example.org").ok());
}

TEST_CASE("endpoints and which of them are loopback", "[api][config]") {
  auto e = server::ParseEndpoint("[::1]:7700");
  REQUIRE(e.ok());
  CHECK(e->host == "::1");
  CHECK(e->port == 7700);
  CHECK(server::ParseEndpoint("127.0.0.1:0").ok());
  CHECK_FALSE(server::ParseEndpoint("127.0.0.1").ok());
  CHECK_FALSE(server::ParseEndpoint("127.0.0.1:70000").ok());
  CHECK(server::IsLoopbackHost("127.0.0.1"));
  CHECK(server::IsLoopbackHost("127.9.9.9"));
  CHECK(server::IsLoopbackHost("::1"));
  CHECK(server::IsLoopbackHost("localhost"));
  CHECK_FALSE(server::IsLoopbackHost("0.0.0.0"));
  CHECK_FALSE(server::IsLoopbackHost("::"));
  CHECK_FALSE(server::IsLoopbackHost("10.0.0.1"));
  CHECK_FALSE(server::IsLoopbackHost("example.org"));
}

TEST_CASE("JSON and binary are one model: JSON to a table and back is stable", "[api][codec]") {
  const std::string json =
      R"({"team_id":"team-a","applicant":{"given_names":"Amina","family_name":"Okafor","date_of_birth":"1988-04-12",)"
      R"("documents":[{"type":"Passport","number":"P1"}]},"household_type":"CareLeaver","referral_date":"2025-03-01"})";
  Result<std::string> table = api::JsonToTable("CreateCase", json);
  REQUIRE(table.ok());
  const auto* c = flatbuffers::GetRoot<api_fb::CreateCase>(table->data());
  CHECK(c->applicant()->documents()->Get(0)->number()->str() == "P1");
  CHECK(c->household_type() == domain::fb::HouseholdType::CareLeaver);
  Result<std::string> text = api::TableToJson(c, "CreateCase");
  REQUIRE(text.ok());
  CHECK(text->find("\"household_type\": \"CareLeaver\"") != std::string::npos);
  Result<std::string> again = api::JsonToTable("CreateCase", *text);
  REQUIRE(again.ok());
  CHECK(api::TableToJson(flatbuffers::GetRoot<api_fb::CreateCase>(again->data()), "CreateCase").value() == *text);

  CHECK(api::JsonToTable("CreateCase", R"({"colour":"red"})").status().reason() == "invalid_json");
  CHECK(api::JsonToTable("CreateCase", "{").status().reason() == "invalid_json");
  CHECK(api::JsonToTable("CreateCase", "[]").status().reason() == "invalid_json");
  CHECK(api::JsonToTable("CreateCase", std::string("{\"team_id\":\"a\0b\"}", 18)).status().reason() == "invalid_json");
  CHECK(api::JsonToTable("NoSuchTable", "{}").status().reason() == "unknown_operation");
  // Nesting deeper than the parser allows is refused, not followed.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "{\"applicant\":";
  CHECK_FALSE(api::JsonToTable("CreateCase", deep).ok());
}

TEST_CASE("JSON that does not fit the op's table is refused naming the field, and an enum's values", "[api][codec]") {
  const Status family = api::JsonToTable("CreateCase", R"({"team_id":"a","household_type":"Family"})").status();
  CHECK(family.reason() == "invalid_json");
  CHECK(FieldsOf(family) == std::vector<std::string>{"household_type invalid_json"});
  CHECK(family.message() ==
        "not JSON of CreateCase: household_type: unknown enum value: Family: one of FamilyWithChildren, "
        "AdultWithCareNeeds, CareLeaver, LookedAfterChild");
  // Inside a person, in a list, over lines: the path the JSON gives it.
  const Status doc = api::JsonToTable(
                         "CreateCase",
                         "{\"applicant\": {\"given_names\": \"A \\\"B\\\"\",\n \"documents\": [{\"type\": \"Passport\", "
                         "\"number\": \"1\"},\n  {\"type\": \"Visa\"}]}}")
                         .status();
  CHECK(FieldsOf(doc) == std::vector<std::string>{"applicant.documents[1].type invalid_json"});
  CHECK(doc.message().find(": one of Passport, BiometricResidencePermit,") != std::string::npos);
  // A number where a date is written, a field the table does not have.
  CHECK(FieldsOf(api::JsonToTable("CreateCase", R"({"team_id":"a","referral_date":20250301})").status()) ==
        std::vector<std::string>{"referral_date invalid_json"});
  CHECK(FieldsOf(api::JsonToTable("CreateCase", R"({"applicant":{"first_name":"A"}})").status()) ==
        std::vector<std::string>{"applicant.first_name invalid_json"});
  // The parser stops after the token it read: a list where text belongs is
  // the field, not an element of it; a bool written as text is the bool.
  CHECK(FieldsOf(api::JsonToTable("CreateCase", R"({"referral_date":[1]})").status()) ==
        std::vector<std::string>{"referral_date invalid_json"});
  CHECK(FieldsOf(api::JsonToTable("CreateCase", R"({"zzz":[[1]]})").status()) ==
        std::vector<std::string>{"zzz invalid_json"});
  CHECK(FieldsOf(api::JsonToTable("CreateCase", R"({"urgent":"yes"})").status()) ==
        std::vector<std::string>{"urgent invalid_json"});
  // The message says what the field takes, in words a form can show.
  CHECK(api::JsonToTable("CreateCase", R"({"urgent":"yes"})").status().message().find("(urgent takes true or false)") !=
        std::string::npos);
  const Status lots = api::JsonToTable("AssessEarlyEducation", R"({"case_id":"1","savings_pence":"lots"})").status();
  CHECK(FieldsOf(lots) == std::vector<std::string>{"savings_pence invalid_json"});
  CHECK(lots.message().find("(savings_pence takes a whole number)") != std::string::npos);
  CHECK(api::JsonToTable("CreateCase", R"({"team_id":"a","referral_date":20250301})").status().message().find(
            "(referral_date takes text in quotes)") != std::string::npos);
  // Such an error is placed by its value; a value that stands twice is not
  // guessed at.
  CHECK(FieldsOf(api::JsonToTable("CreateCase", R"({"advised_details_shared":"yes","urgent":"yes"})").status()).empty());
  // A member that has not named itself is not its neighbour.
  CHECK(FieldsOf(api::JsonToTable("CreateCase", R"({"applicant":{"family_name":"x", 5}})").status()) ==
        std::vector<std::string>{"applicant invalid_json"});
  // Not JSON at all: nothing to name.
  CHECK(FieldsOf(api::JsonToTable("CreateCase", "nonsense").status()).empty());
}

TEST_CASE("docs/api.md lists every value of every enum the API carries, in number order", "[api][docs]") {
  std::ifstream in(std::string(NRPF_SOURCE_DIR) + "/docs/api.md");
  REQUIRE(in);
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t begin = docs.find("\n## Enumerations\n");
  REQUIRE(begin != std::string::npos);
  const std::string section = docs.substr(begin, docs.find("\n## ", begin + 1) - begin);
  const reflection::Schema& schema = api::Schema();
  std::size_t listed = 0;
  for (const reflection::Enum* e : *schema.enums()) {
    if (e->is_union()) continue;  // Op and Reply: the operations and answers, listed under Operations
    std::string name = e->name()->str();
    name = name.substr(name.rfind('.') + 1);
    INFO(name);
    const std::size_t row = section.find("\n| `" + name + "` | ");
    REQUIRE(row != std::string::npos);
    // The values column only: the row's "where" column names values too.
    const std::size_t values = row + 1 + std::string("| `" + name + "` | ").size();
    const std::string line = section.substr(values, section.find(" | ", values) - values);
    std::size_t at = 0;
    for (const reflection::EnumVal* v : *e->values()) {
      INFO(v->name()->str());
      const std::size_t found = line.find("`" + v->name()->str() + "`", at);
      CHECK(found != std::string::npos);
      if (found != std::string::npos) at = found;
    }
    ++listed;
  }
  CHECK(listed >= 20);
}

TEST_CASE("every operation has a name, a table and a route", "[api][codec]") {
  for (std::size_t i = 1; i <= static_cast<std::size_t>(api_fb::Op::MAX); ++i) {
    const auto op = static_cast<api_fb::Op>(i);
    INFO(api::OpTable(op));
    REQUIRE_FALSE(api::OpName(op).empty());
    CHECK(api::OpByName(api::OpName(op)) == op);
    CHECK(api::FindObject(api::OpTable(op)) != nullptr);
    Result<server::Route> post = server::MatchRoute("POST", "/v1/" + std::string(api::OpName(op)));
    REQUIRE(post.ok());
    CHECK(post->op == op);
    CHECK(server::MatchRoute("GET", "/v1/" + std::string(api::OpName(op))).ok() == api::IsReadOnly(op));
  }
  CHECK(api::OpName(api_fb::Op::CreateCase) == "create_case");
  CHECK(api::OpName(api_fb::Op::WhoAmI) == "who_am_i");
  CHECK(server::MatchRoute("GET", "/v1/nothing").status().reason() == "unknown_route");
  CHECK(server::MatchRoute("PUT", "/v1/get_case").status().reason() == "method_not_allowed");
  CHECK(server::MatchRoute("GET", "/health?x=1")->kind == server::Route::Kind::kHealth);
}

TEST_CASE("a large document goes in Part frames that add up to it, a small one in one Reply", "[api]") {
  std::string doc(2 * api::kDocumentPartBytes + 1000, 'x');
  for (std::size_t i = 0; i < doc.size(); ++i) doc[i] = static_cast<char>('a' + i % 26);
  const std::vector<std::string> frames = api::DocumentFrames(7, "application/json", doc);
  REQUIRE(frames.size() == 3);
  std::string joined;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const api::fb::Response* r = api::VerifiedResponse(frames[i]);
    REQUIRE(r != nullptr);
    CHECK(r->request_id() == 7);
    CHECK(r->kind() == (i + 1 < frames.size() ? api::fb::FrameKind::Part : api::fb::FrameKind::Reply));
    const api::fb::Document* d = r->body_as_Document();
    REQUIRE(d != nullptr);
    CHECK(d->offset() == joined.size());
    CHECK(d->total_bytes() == doc.size());
    CHECK(d->media_type()->str() == "application/json");
    joined.append(reinterpret_cast<const char*>(d->data()->data()), d->data()->size());
  }
  CHECK(joined == doc);
  CHECK(api::VerifiedResponse(frames[0])->body_as_Document()->filename() == nullptr);
  const std::vector<std::string> small = api::DocumentFrames(8, "text/csv", "", "finance-camden.csv");
  REQUIRE(small.size() == 1);
  CHECK(api::VerifiedResponse(small[0])->kind() == api::fb::FrameKind::Reply);
  CHECK(api::VerifiedResponse(small[0])->body_as_Document()->total_bytes() == 0);
  CHECK(api::VerifiedResponse(small[0])->body_as_Document()->filename()->str() == "finance-camden.csv");
}

TEST_CASE("query strings become JSON of the op's table, typed by the schema", "[api][codec]") {
  Result<std::string> j = server::QueryToJson("GetCaseload", "status=Closed&limit=5&team_id=team%20a&after_case_id=12");
  REQUIRE(j.ok());
  Result<std::string> t = api::JsonToTable("GetCaseload", *j);
  REQUIRE(t.ok());
  const auto* q = flatbuffers::GetRoot<api_fb::GetCaseload>(t->data());
  CHECK(q->status() == domain::fb::CaseStatus::Closed);
  CHECK(q->limit() == 5);
  CHECK(q->team_id()->str() == "team a");
  CHECK(server::QueryToJson("GetCounters", "my_cases=true").ok());
  CHECK(server::QueryToJson("GetCounters", "my_cases")->find("true") != std::string::npos);
  CHECK_FALSE(server::QueryToJson("GetCounters", "my_cases=maybe").ok());
  CHECK_FALSE(server::QueryToJson("GetCaseload", "limit=many").ok());
  CHECK_FALSE(server::QueryToJson("GetCaseload", "colour=red").ok());
  CHECK_FALSE(server::QueryToJson("GetCase", "case_id=%zz").ok());
  CHECK_FALSE(server::QueryToJson("CreateCase", "applicant=x").ok());
  CHECK(server::ParseIfMatch("\"12\"").value() == std::optional<std::uint64_t>(12));
  CHECK(server::ParseIfMatch("7").value() == std::optional<std::uint64_t>(7));
  CHECK_FALSE(server::ParseIfMatch("").value().has_value());
  CHECK(server::ParseIfMatch("W/\"1\"").status().reason() == "invalid_header");
  CHECK(server::BearerToken("Bearer abc") == "abc");
  CHECK(server::HttpResponse(429, 11, true, "application/json", 60, "{}") ==
        "HTTP/1.1 429 Too Many Requests\r\nServer: nrpf-ledgerd\r\nContent-Type: application/json\r\n"
        "Cache-Control: no-store\r\nRetry-After: 60\r\nContent-Length: 2\r\n\r\n{}");
  CHECK(server::HttpResponse(200, 11, false, "text/plain", 0, "x").find("Connection: close\r\n") != std::string::npos);
  CHECK(server::HttpResponse(200, 10, true, "text/plain", 0, "x").rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(server::BearerToken("Basic abc").empty());
}

TEST_CASE("errors keep the domain's code and reason and map to HTTP and exit codes", "[api][errors]") {
  Status stale = Status::WrongExpectedVersion("moved on", 9).WithReason("stale_version");
  const std::string frame = api::ErrorFrame(5, stale);
  const api_fb::Response* r = api::VerifiedResponse(frame);
  REQUIRE(r != nullptr);
  CHECK(r->request_id() == 5);
  CHECK(r->error()->code() == api_fb::ErrorCode::wrong_expected_version);
  CHECK(r->error()->reason()->str() == "stale_version");
  CHECK(*r->error()->current_version() == 9);
  Status back = api::StatusOf(r->error());
  CHECK(back.code() == Code::kWrongExpectedVersion);
  CHECK(back.reason() == "stale_version");
  CHECK(back.current_version() == std::optional<std::uint64_t>(9));
  CHECK(cli::RenderText(*r) == "error: wrong_expected_version/stale_version: moved on (current version 9)\n");

  struct Row {
    Code code;
    std::string reason;
    unsigned http;
    int exit;
  };
  const std::vector<Row> rows = {
      {Code::kInvalidArgument, "applicant_name_invalid", 400, 8}, {Code::kNotFound, "case_not_found", 404, 6},
      {Code::kWrongExpectedVersion, "stale_version", 409, 7},     {Code::kFailedPrecondition, "case_closed", 409, 7},
      {Code::kPermissionDenied, "wrong_tenant", 403, 5},          {Code::kPermissionDenied, "session_expired", 401, 4},
      {Code::kPermissionDenied, "bad_credentials", 401, 4},       {Code::kPermissionDenied, "account_locked", 403, 5},
      {Code::kTooLarge, "body_too_large", 413, 8},                {Code::kTooLarge, "header_too_large", 431, 8},
      {Code::kUnavailable, "busy", 503, 9},                       {Code::kUnavailable, "rate_limited", 429, 9},
      {Code::kInvalidArgument, "method_not_allowed", 405, 8},     {Code::kShredded, "", 410, 6},
      {Code::kIOError, "", 500, 10},                              {Code::kCommandIdReused, "", 409, 7},
  };
  for (const Row& row : rows) {
    INFO(CodeName(row.code) << "/" << row.reason);
    CHECK(api::HttpStatusOf(row.code, row.reason) == row.http);
    CHECK(cli::ExitCodeOf(Status(row.code, "x").WithReason(row.reason)) == row.exit);
  }
  CHECK(api::RetryAfterMs(api::Refusal(Code::kUnavailable, api::reason::kBusy, "")) > 0);
  CHECK(api::RetryAfterMs(Status::NotFound("x")) == 0);
}

TEST_CASE("the verifier stands between every inbound buffer and its fields", "[api][frames]") {
  cli::RequestSpec spec;
  spec.op = api_fb::Op::CreateCase;
  spec.body_json = R"({"applicant":{"given_names":"A","documents":[{"number":"P1"},{"number":"P2"}]}})";
  spec.request_id = 77;
  spec.command_id = "cmd-1";
  spec.expected_version = 3;
  Result<std::string> frame = cli::BuildRequestFrame(spec);
  REQUIRE(frame.ok());
  const api_fb::Request* request = api::VerifiedRequest(*frame);
  REQUIRE(request != nullptr);
  CHECK(request->request_id() == 77);
  CHECK(*request->expected_version() == 3);
  CHECK(request->body_as_CreateCase()->applicant()->documents()->size() == 2);
  // Every truncation and every single-byte change either fails the verifier
  // or still reads as a well-formed Request.
  for (std::size_t n = 0; n < frame->size(); ++n) {
    const std::string cut = frame->substr(0, n);
    CHECK(api::VerifiedRequest(cut) == nullptr);
  }
  std::mt19937 rng(3);
  int refused = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string bad = *frame;
    bad[rng() % bad.size()] = static_cast<char>(rng());
    const api_fb::Request* r = api::VerifiedRequest(bad);
    if (r == nullptr) {
      ++refused;
      continue;
    }
    const reflection::Object* object = api::FindObject("Request");
    api::StringsAreUtf8(reinterpret_cast<const flatbuffers::Table*>(r), *object);  // reads every string: no crash
  }
  CHECK(refused > 0);
  CHECK(api::VerifiedRequest(std::string(1 << 10, '\0')) == nullptr);
  CHECK(api::VerifiedResponse(*frame) == nullptr);  // a Request is not a Response
}

TEST_CASE("the command line names fields by path and types them by the schema", "[api][cli]") {
  Result<std::string> j = cli::AssignmentsToJson(
      "CreateCase", {"applicant.given_names=Amina", "applicant.documents.0.type=Passport",
                     "applicant.documents.0.number=P1", "applicant.documents.1.number=P2", "urgent=true",
                     "urgent_reason=LegalProceedings", "dependants.0.given_names=Tobi"});
  REQUIRE(j.ok());
  Result<std::string> t = api::JsonToTable("CreateCase", *j);
  REQUIRE(t.ok());
  const auto* c = flatbuffers::GetRoot<api_fb::CreateCase>(t->data());
  CHECK(c->applicant()->documents()->size() == 2);
  CHECK(c->urgent());
  CHECK(c->urgent_reason() == domain::fb::UrgentReason::LegalProceedings);
  CHECK(c->dependants()->Get(0)->given_names()->str() == "Tobi");
  Result<std::string> rules =
      cli::AssignmentsToJson("ChangeSlaPolicy", {"rules.0.clock=UrgentRequest", "rules.0.unit=Hours", "rules.0.amount=12"});
  REQUIRE(rules.ok());
  CHECK(api::JsonToTable("ChangeSlaPolicy", *rules).ok());
  CHECK_FALSE(cli::AssignmentsToJson("CreateCase", {"colour=red"}).ok());
  // An unknown field is named where it was looked for, in the user's words.
  const Status nested = cli::AssignmentsToJson("CreateCase", {"applicant.colour=red"}).status();
  CHECK(nested.message() == "applicant.colour=red: no field colour in applicant (nrpf help <operation> lists the fields)");
  CHECK_FALSE(cli::AssignmentsToJson("CreateCase", {"applicant=Amina"}).ok());
  CHECK_FALSE(cli::AssignmentsToJson("CreateCase", {"urgent=perhaps"}).ok());
  CHECK_FALSE(cli::AssignmentsToJson("CreateCase", {"household_type=Castle"}).ok());
  CHECK_FALSE(cli::AssignmentsToJson("CreateCase", {"dependants.1.given_names=X"}).ok());  // 0 first
  CHECK_FALSE(cli::AssignmentsToJson("CreateCase", {"referral_date"}).ok());
  CHECK(cli::DescribeTable("CreateCase").find("household_type = FamilyWithChildren|") != std::string::npos);
}

TEST_CASE("token buckets refill with time and forget idle keys first", "[api][limits]") {
  server::RateLimiter limiter(60, 2);  // one a second, bursts of 60
  std::int64_t wait = 0;
  std::int64_t now = 1'000'000;
  for (int i = 0; i < 60; ++i) CHECK(limiter.Take("a", now, &wait));
  CHECK_FALSE(limiter.Take("a", now, &wait));
  CHECK(wait > 900'000);
  CHECK(wait <= 1'000'000);
  CHECK(limiter.Take("a", now + 1'000'000, &wait));
  CHECK(limiter.Take("b", now, &wait));
  CHECK_FALSE(limiter.Take("c", now, &wait));  // two keys held, neither full
  CHECK(limiter.Take("c", now + 120'000'000, &wait));  // both refilled: forgotten
}

TEST_CASE("the worker pool refuses work beyond its queue and cancels what never started", "[api][limits]") {
  domain::TaskPool pool(1, 2, "test-worker");
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> ran{0}, cancelled{0};
  auto blocker = [&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    ++ran;
  };
  REQUIRE(pool.TrySubmit({blocker, [&] { ++cancelled; }}));
  while (pool.running() == 0) std::this_thread::sleep_for(1ms);
  CHECK(pool.TrySubmit({[&] { ++ran; }, [&] { ++cancelled; }}));
  CHECK(pool.TrySubmit({[&] { ++ran; }, [&] { ++cancelled; }}));
  CHECK_FALSE(pool.TrySubmit({[&] { ++ran; }, [&] { ++cancelled; }}));  // queue of 2 is full
  std::thread stopper([&] { pool.Shutdown(50ms); });
  std::this_thread::sleep_for(100ms);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  stopper.join();
  CHECK(ran == 1);
  CHECK(cancelled == 2);
  CHECK_FALSE(pool.TrySubmit({[&] { ++ran; }, {}}));
}

TEST_CASE("passwords are Argon2id hashes, tokens and one-time passwords are random", "[api][accounts]") {
  const server::HashCost cheap{1, 64 * 1024};
  Result<std::string> hash = server::HashPassword("correct horse", cheap);
  REQUIRE(hash.ok());
  CHECK(hash->rfind("$argon2id$", 0) == 0);
  CHECK(server::CheckPassword(*hash, "correct horse"));
  CHECK_FALSE(server::CheckPassword(*hash, "correct horsf"));
  CHECK_FALSE(server::CheckPassword("", "x"));
  CHECK(*server::HashPassword("correct horse", cheap) != *hash);  // salted
  CHECK_FALSE(server::HashPassword("x", {0, 1}).ok());
  const std::string a = server::NewSessionToken(), b = server::NewSessionToken();
  CHECK(a.size() == 43);
  CHECK(a != b);
  CHECK(server::TokenKey(a).size() == 64);
  CHECK(server::TokenKey(a) != server::TokenKey(b));
  const std::string otp = server::NewOneTimePassword();
  CHECK(otp.size() == 23);
  CHECK(otp[5] == '-');
}

TEST_CASE("the credential store keeps hashes and sessions across a reopen", "[api][accounts]") {
  TempDir dir;
  {
    auto store = server::CredentialStore::Open(dir.Sub("credentials"));
    REQUIRE(store.ok());
    CHECK(*(*store)->NoCredentials());
    REQUIRE((*store)->PutCredential("u1", {"hash", true, 2, 10}).ok());
    REQUIRE((*store)->PutSession("k1", {"u1", 1, 100, true}).ok());
    REQUIRE((*store)->PutSession("k2", {"u1", 1, 200, false}).ok());
    REQUIRE((*store)->PutSession("k3", {"u2", 1, 300, false}).ok());
  }
  auto store = server::CredentialStore::Open(dir.Sub("credentials"));
  REQUIRE(store.ok());
  auto c = (*store)->GetCredential("u1");
  REQUIRE(c.ok());
  REQUIRE(c->has_value());
  CHECK((*c)->password_hash == "hash");
  CHECK((*c)->must_change);
  CHECK((*c)->failed_attempts == 2);
  CHECK((*store)->SessionsOf("u1")->size() == 2);
  REQUIRE((*store)->DeleteCredential("u1").ok());
  CHECK_FALSE((*store)->GetCredential("u1")->has_value());
  int sessions = 0;
  REQUIRE((*store)->ForEachSession([&](const std::string& key, const server::SessionRecord& r) {
    ++sessions;
    CHECK(key == "k3");
    CHECK(r.user_id == "u2");
  }).ok());
  CHECK(sessions == 1);
}

TEST_CASE("accounts on a manual clock: expiry, lockout count, and a cleared count after unlock", "[api][accounts]") {
  World w;
  server::Metrics metrics;
  server::AccountOptions o;
  o.pwhash_ops = 1;
  o.pwhash_mem_kib = 64;
  o.session_ttl = 1h;
  o.max_failed_logins = 3;
  auto accounts = server::Accounts::Open(w.service.get(), &w.clock, o, w.dir.Sub("credentials"), &metrics);
  REQUIRE(accounts.ok());
  CommandOutcome created;
  Result<std::string> otp = (*accounts)->AfterCommand(CreateUser{"camden-cw1", "camden", fb::Role::CouncilUser, "", "", ""}, created);
  REQUIRE(otp.ok());
  auto login = (*accounts)->Login("camden-cw1", *otp, "127.0.0.1");
  REQUIRE(login.ok());
  CHECK(login->session.must_change_password);
  REQUIRE((*accounts)->ChangePassword(login->session, *otp, "a long new password").ok());
  CHECK_FALSE((*accounts)->Authenticate(login->token)->must_change_password);
  w.clock.Advance(59 * 60 * 1'000'000LL);
  CHECK((*accounts)->Authenticate(login->token).ok());
  w.clock.Advance(2 * 60 * 1'000'000LL);
  CHECK((*accounts)->Authenticate(login->token).status().reason() == "session_expired");
  CHECK((*accounts)->Authenticate(login->token).status().reason() == "session_invalid");  // forgotten

  for (int i = 0; i < 3; ++i) CHECK((*accounts)->Login("camden-cw1", "wrong", "127.0.0.1").status().reason() == "bad_credentials");
  CHECK(w.service->projector().Read([](const projections::Projections& p) { return p.User("camden-cw1")->locked; }));
  CHECK(metrics.lockouts == 1);
  CHECK((*accounts)->Login("camden-cw1", "a long new password", "127.0.0.1").status().reason() == "account_locked");
  CommandOutcome unlocked = w.Do("camden-admin", UnlockUser{"camden-cw1"});
  REQUIRE((*accounts)->AfterCommand(UnlockUser{"camden-cw1"}, unlocked).ok());
  CHECK((*accounts)->Login("camden-cw1", "a long new password", "127.0.0.1").ok());
  // An unknown account and a wrong password are told apart by nothing.
  CHECK((*accounts)->Login("nobody", "x", "127.0.0.1").status().reason() == "bad_credentials");
}

}  // namespace
}  // namespace nrpf::test
