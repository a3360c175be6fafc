// Idempotency keys over HTTP: a retry of the same request (Idempotency-Key)
// is answered with the first outcome and writes nothing; the same key on any
// other request is 409 command_id_reused and writes nothing either.

#include <catch2/catch.hpp>

#include "server/api_codec.h"
#include "tests/server_world.h"

namespace nrpf::test {
namespace {

// POST /v1/<op> as `user` under Idempotency-Key `key`; the parsed Response.
struct Answer {
  int status = 0;
  std::string buffer;
  const api::fb::Response* operator->() const { return flatbuffers::GetRoot<api::fb::Response>(buffer.data()); }
};
Answer Post(ServerWorld& w, const std::string& user, const std::string& op, const std::string& body,
            const std::string& key) {
  HttpResult r = Http(w.server.http(), "POST", "/v1/" + op, body,
                      {{"Authorization", "Bearer " + w.Token(user)}, {"Idempotency-Key", key}});
  std::optional<std::string> parsed = ParseResponseJson(r.body);
  INFO(r.body);
  REQUIRE(parsed);
  return {r.status, *parsed};
}

TEST_CASE("an idempotency key answers only a retry of its own request", "[server][idempotency]") {
  ServerWorld w;
  for (const char* name : {"Amina", "Grace"}) {
    w.Ok("camden-cw1", {"create-case", "team_id=team-a", "household_type=FamilyWithChildren",
                        "legislation=ChildrenAct1989S17", std::string("applicant.given_names=") + name,
                        "applicant.family_name=Okafor", "applicant.date_of_birth=1988-04-12",
                        "referral_date=2025-03-01"});
  }
  const std::string advice = R"({"case_id":"1","of":"DetailsSharedWithHomeOffice","advised_on":"2025-03-06","note":"first"})";
  Answer first = Post(w, "camden-cw1", "record_advice", advice, "adv-1");
  REQUIRE(first.status == 200);
  REQUIRE(first->body_as_CommandResult() != nullptr);
  CHECK_FALSE(first->body_as_CommandResult()->duplicate());
  const std::uint64_t size = LogSize(w);

  Answer again = Post(w, "camden-cw1", "record_advice", advice, "adv-1");
  REQUIRE(again.status == 200);
  REQUIRE(again->body_as_CommandResult() != nullptr);
  CHECK(again->body_as_CommandResult()->duplicate());
  CHECK(again->body_as_CommandResult()->position() == first->body_as_CommandResult()->position());

  struct Other {
    std::string op, body;
  };
  for (const Other& o : std::vector<Other>{
           {"record_advice", R"({"case_id":"1","of":"DetailsSharedWithHomeOffice","advised_on":"2025-03-06","note":"DIFFERENT"})"},
           {"record_advice", R"({"case_id":"1","of":"DetailsSharedWithHomeOffice","advised_on":"2025-03-07","note":"first"})"},
           {"record_advice", R"({"case_id":"2","of":"DetailsSharedWithHomeOffice","advised_on":"2025-03-06","note":"first"})"},
           {"raise_query", R"({"case_id":"1","topic":"StatusUpdate","text":"first"})"},
       }) {
    INFO(o.op << " " << o.body);
    Answer refused = Post(w, "camden-cw1", o.op, o.body, "adv-1");
    CHECK(refused.status == 409);
    REQUIRE(refused->error() != nullptr);
    CHECK(refused->error()->code() == api::fb::ErrorCode::command_id_reused);
  }
  CHECK(LogSize(w) == size);
  // The client's exit code for it: a conflict.
  CliUser::Answer cli = w.User("camden-cw1").Json({"--command-id", "adv-1", "record-advice", "case_id=1",
                                                   "of=DetailsSharedWithHomeOffice", "advised_on=2025-03-06",
                                                   "note=DIFFERENT"});
  CHECK(cli.code == 7);
  CHECK(cli.reason() == "command_id_reused");  // no finer reason: the code again
  CHECK(LogSize(w) == size);
  // The case holds the first advice only (the read itself is recorded).
  const auto* c = w.Ok("camden-cw1", {"get-case", "case_id=1"})->body_as_CaseView();
  CHECK(c->queries()->size() == 0);
  REQUIRE(c->advice()->size() == 1);
  CHECK(c->advice()->Get(0)->note()->str() == "first");
}

}  // namespace
}  // namespace nrpf::test
