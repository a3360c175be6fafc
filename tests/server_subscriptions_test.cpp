// Live subscriptions on the binary listener (home-page counters, a case's
// events, the whole log) and what a SIGTERM does to clients in the middle
// of things: in-flight commands and recorded case reads finish,
// subscriptions end with a reason, the daemon exits 0, and the log holds
// exactly what was acknowledged.

#include <catch2/catch.hpp>

#include <signal.h>

#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "server/frame.h"
#include "tests/server_world.h"

namespace nrpf::test {
namespace {

using namespace std::chrono_literals;
namespace fb = ::nrpf::api::fb;

std::unique_ptr<cli::Client> Connect(const ServerWorld& w) {
  cli::ClientOptions o;
  o.server = w.server.binary();
  o.timeout = 15s;
  Result<std::unique_ptr<cli::Client>> c = cli::Client::Connect(o);
  REQUIRE(c.ok());
  return std::move(c).value();
}

// The next frame for subscription `id` (other frames are skipped).
const fb::Response* NextFor(cli::Client& c, std::uint64_t id, std::string* storage) {
  for (;;) {
    Result<std::string> f = c.Receive(10s);
    REQUIRE(f.ok());
    *storage = std::move(f).value();
    const fb::Response* r = api::VerifiedResponse(*storage);
    if (r->request_id() == id) return r;
  }
}

// The answer to request `id`, skipping what its subscription pushes.
const fb::Response* AnswerFor(cli::Client& c, std::uint64_t id, std::string* storage) {
  for (;;) {
    const fb::Response* r = NextFor(c, id, storage);
    if (r->kind() != fb::FrameKind::Push) return r;
  }
}

const std::string kCase = R"({"team_id":"team-a","applicant":{"given_names":"Amina","family_name":"Okafor",)"
                          R"("date_of_birth":"1988-04-12"},"household_type":"FamilyWithChildren",)"
                          R"("legislation":"ChildrenAct1989S17","referral_date":"2025-03-01"})";

TEST_CASE("counters, a case's events and the whole log are pushed to subscribers", "[server][subscriptions]") {
  ServerWorld w;
  auto camden = Connect(w);
  REQUIRE(api::VerifiedResponse(*camden->Call(RequestFrame(fb::Op::Authenticate, R"({"token":")" + w.Token("camden-cw1") + "\"}", 1), 1))
              ->error() == nullptr);
  std::string s;

  // Counters: the current ones at once, then each change.
  const fb::Response* subscribed = api::VerifiedResponse(*camden->Call(RequestFrame(fb::Op::SubscribeCounters, "{}", 10), 10));
  REQUIRE(subscribed->body_as_Subscribed() != nullptr);
  const fb::Response* first = NextFor(*camden, 10, &s);
  CHECK(first->kind() == fb::FrameKind::Push);
  CHECK(first->body_as_Counters()->open_referrals() == 0);
  w.Ok("camden-cw2", {"create-case", "household_type=FamilyWithChildren", "legislation=ChildrenAct1989S17",
                      "team_id=team-a", "applicant.given_names=Amina", "applicant.family_name=Okafor",
                      "applicant.date_of_birth=1988-04-12", "referral_date=2025-03-01"});
  const fb::Response* changed = NextFor(*camden, 10, &s);
  CHECK(changed->body_as_Counters()->open_referrals() == 1);

  // A case's events, from its first version.
  REQUIRE(api::VerifiedResponse(*camden->Call(RequestFrame(fb::Op::SubscribeCase, R"({"case_id":"1"})", 11), 11))->error() ==
          nullptr);
  const fb::Response* created = NextFor(*camden, 11, &s);
  CHECK(created->body_as_LogEvent()->type()->str() == "case.created");
  CHECK(created->body_as_LogEvent()->body_json()->str().find("\"case_id\": \"1\"") != std::string::npos);
  w.Ok("camden-cw2", {"record-advice", "of=DetailsSharedWithHomeOffice", "case_id=1", "advised_on=2025-03-02"});
  CHECK(NextFor(*camden, 11, &s)->body_as_LogEvent()->type()->str() == "case.person_advised");
  // Unsubscribed: no more pushes for it.
  CHECK(api::VerifiedResponse(*camden->Call(RequestFrame(fb::Op::Unsubscribe, R"({"subscription_id":11})", 12), 12))
            ->body_as_Ack() != nullptr);
  CHECK(api::VerifiedResponse(*camden->Call(RequestFrame(fb::Op::Unsubscribe, R"({"subscription_id":11})", 13), 13))
            ->error()
            ->reason()
            ->str() == "subscription_not_found");

  // At max_subscriptions (16), a repeated id replaces its subscription and a
  // new one is refused.
  auto many = Connect(w);
  const std::string token = w.Token("camden-cw2");
  for (std::uint64_t id = 200; id < 216; ++id) {
    REQUIRE(many->Send(RequestFrame(fb::Op::SubscribeCounters, "{}", id, token)).ok());
    REQUIRE(AnswerFor(*many, id, &s)->body_as_Subscribed() != nullptr);
  }
  REQUIRE(many->Send(RequestFrame(fb::Op::SubscribeCounters, "{}", 200, token)).ok());
  CHECK(AnswerFor(*many, 200, &s)->body_as_Subscribed() != nullptr);
  REQUIRE(many->Send(RequestFrame(fb::Op::SubscribeCounters, "{}", 216, token)).ok());
  CHECK(AnswerFor(*many, 216, &s)->error()->reason()->str() == "too_many_subscriptions");

  // Another council may not follow Camden's case; a council may not follow the log.
  auto leeds = Connect(w);
  const fb::Response* refused = api::VerifiedResponse(
      *leeds->Call(RequestFrame(fb::Op::SubscribeCase, R"({"case_id":"1"})", 20, w.Token("leeds-cw1")), 20));
  CHECK(refused->error()->reason()->str() == "wrong_tenant");
  refused = api::VerifiedResponse(*leeds->Call(RequestFrame(fb::Op::SubscribeLog, "{}", 21, w.Token("leeds-cw1")), 21));
  CHECK(refused->error()->reason()->str() == "role_not_permitted");

  // Network support follows a case's events as metadata: no body, no subjects.
  auto support = Connect(w);
  REQUIRE(api::VerifiedResponse(
              *support->Call(RequestFrame(fb::Op::SubscribeCase, R"({"case_id":"1"})", 25, w.Token("admin")), 25))
              ->error() == nullptr);
  const fb::LogEvent* meta = NextFor(*support, 25, &s)->body_as_LogEvent();
  REQUIRE(meta != nullptr);
  CHECK(meta->type()->str() == "case.created");
  CHECK(meta->stream_version() == 1);
  CHECK(meta->actor_user_id()->str() == "camden-cw2");
  CHECK(meta->body_withheld());
  CHECK(meta->body_json() == nullptr);
  CHECK(meta->subjects() == nullptr);

  // The auditor follows the whole log from position 0, records included.
  auto auditor = Connect(w);
  REQUIRE(api::VerifiedResponse(*auditor->Call(RequestFrame(fb::Op::SubscribeLog, R"({"from_position":0,"include_records":true})",
                                                     30, w.Token("auditor-1")),
                                               30))
              ->error() == nullptr);
  std::uint64_t expected = 0;
  std::set<std::string> types;
  for (; expected < 20; ++expected) {
    const fb::Response* e = NextFor(*auditor, 30, &s);
    REQUIRE(e->body_as_LogEvent() != nullptr);
    CHECK(e->body_as_LogEvent()->position() == expected);
    CHECK(e->body_as_LogEvent()->signature()->size() == 64);
    types.insert(e->body_as_LogEvent()->type()->str());
  }
  CHECK(types.count("ledger.genesis") == 1);
  CHECK(types.count("organisation.registered") == 1);

  // Ending the session ends its subscriptions at once, saying why: not at
  // the next change of the log, nor at the feeds' 30 s tick.
  w.Ok("camden-cw1", {"logout"});
  const fb::Response* end = NextFor(*camden, 10, &s);
  CHECK(end->kind() == fb::FrameKind::End);
  CHECK(end->error()->reason()->str() == "session_invalid");
  // And the connection bound to it by Authenticate is refused from then on.
  const fb::Response* after = api::VerifiedResponse(*camden->Call(RequestFrame(fb::Op::GetCounters, "{}", 40), 40));
  REQUIRE(after->error() != nullptr);
  CHECK(after->error()->reason()->str() == "session_invalid");
}

TEST_CASE("SIGTERM: in-flight commands and case reads finish, subscriptions end, exit 0, and the log holds what was "
          "acknowledged",
          "[server][shutdown]") {
  ServerWorld w;
  const std::string token = w.Token("camden-cw1");
  auto subscriber = Connect(w);
  REQUIRE(api::VerifiedResponse(*subscriber->Call(RequestFrame(fb::Op::SubscribeCounters, "{}", 5, token), 5))->error() == nullptr);
  auto writer = Connect(w);
  std::string created_frame;
  REQUIRE(writer->Send(RequestFrame(fb::Op::CreateCase, kCase, 1, token)).ok());
  const fb::Response* created = AnswerFor(*writer, 1, &created_frame);
  REQUIRE(created->error() == nullptr);
  const std::string read_case = created->body_as_CommandResult()->case_id()->str();
  // Commands (odd ids) and recorded reads of the first case (even ids),
  // each answered where its write lands, with no thread waiting for it.
  std::string burst;
  constexpr int kBurst = 600;  // more than the connection works on at once (max_in_flight, 64)
  for (std::uint64_t id = 2; id < 2 + kBurst; ++id) {
    burst += id % 2 == 1 ? RequestFrame(fb::Op::CreateCase, kCase, id, token)
                         : RequestFrame(fb::Op::GetCase, R"({"case_id":")" + read_case + "\"}", id, token);
  }
  REQUIRE(writer->Send(burst).ok());
  std::this_thread::sleep_for(5ms);
  kill(w.server.pid(), SIGTERM);

  int acknowledged = 0, refused = 0, reads = 0;
  std::set<std::uint64_t> read_at;  // the access records of the reads answered with the case
  for (int i = 0; i < kBurst; ++i) {
    Result<std::string> f = writer->Receive(15s);
    if (!f.ok()) break;  // closed: what was not answered was not read
    const fb::Response* r = api::VerifiedResponse(*f);
    if (r->error() != nullptr) {
      CHECK(r->error()->reason()->str() == "shutting_down");
      ++refused;
    } else if (r->request_id() % 2 == 0) {
      const fb::CaseView* view = r->body_as_CaseView();
      REQUIRE(view != nullptr);
      CHECK(view->applicant()->details()->family_name()->str() == "Okafor");
      REQUIRE(view->access_position().has_value());
      read_at.insert(*view->access_position());
      ++reads;
    } else {
      ++acknowledged;
    }
  }
  std::string s;
  const fb::Response* end = nullptr;
  for (;;) {
    Result<std::string> f = subscriber->Receive(15s);
    REQUIRE(f.ok());
    s = std::move(f).value();
    end = api::VerifiedResponse(s);
    if (end->kind() == fb::FrameKind::End) break;
  }
  CHECK(end->error()->reason()->str() == "shutting_down");
  CHECK(w.server.Stop() == 0);
  // The stop came in the middle of the burst, with requests in flight:
  // durable writes cannot all be done in the 5 ms before it.
  CHECK(acknowledged + reads + refused < kBurst);
  CHECK(acknowledged > 0);
  CHECK(reads > 0);
  CHECK(read_at.size() == static_cast<std::size_t>(reads));

  // Every acknowledged case is in the log, and no other; every read answered
  // with the case was recorded first, at the position its answer gave.
  ServerProcess again(w.dir.Sub("server"));
  CliUser camden(again, w.dir, "camden-cw1");
  REQUIRE(camden.Json({"login", "camden-cw1"}, {{"NRPF_PASSWORD", PasswordOf("camden-cw1")}}).code == 0);
  CliUser::Answer counters = camden.Json({"get-counters"});
  REQUIRE(counters.code == 0);
  CHECK(static_cast<int>(counters->body_as_Counters()->open_referrals()) == acknowledged + 1);
  CliResult timeline = camden.Run({"case-timeline", "case_id=" + read_case});
  INFO(timeline.err);
  REQUIRE(timeline.code == 0);
  const nlohmann::json history = nlohmann::json::parse(timeline.out);
  std::set<std::uint64_t> recorded;
  for (const nlohmann::json& e : history["timeline"]) {
    if (e["type"] == "case.accessed" && e["read"] == nlohmann::json::array({"case"})) {
      recorded.insert(e["position"].get<std::uint64_t>());
    }
  }
  for (const std::uint64_t at : read_at) {
    INFO(at);
    CHECK(recorded.count(at) == 1);
  }
  CHECK(again.Stop() == 0);
}

}  // namespace
}  // namespace nrpf::test
