// Hostile and broken clients against both listeners: random bytes,
// truncated and oversize frames and bodies, mutated frames, slow and
// silent clients, clients that never read, too many connections and a full
// worker queue. Each gets a structured error or a close within its
// deadline, and afterwards the server still answers correctly and stops
// cleanly.

#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include "cli/client.h"
#include "server/frame.h"
#include "tests/server_world.h"

namespace nrpf::test {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

const std::vector<std::string> kTightLimits = {"--read-timeout", "1s",           "--idle-timeout", "2s",
                                               "--write-timeout", "2s",          "--max-frame-bytes", "65536",
                                               "--max-body-bytes", "65536",      "--max-header-bytes", "4096",
                                               "--max-queued-bytes", "262144"};

// Reads whole Response frames from a raw socket.
class FrameReader {
 public:
  explicit FrameReader(RawSocket& s) : s_(s) {}
  // The next verified frame, or nullopt on close, timeout or a bad frame.
  std::optional<std::string> Next(std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
      if (buf_.size() >= 4) {
        const std::uint32_t n = api::DecodeFramePrefix(reinterpret_cast<const unsigned char*>(buf_.data()));
        if (buf_.size() >= 4 + n) {
          std::string frame = buf_.substr(0, 4 + n);
          buf_.erase(0, 4 + n);
          if (api::VerifiedResponse(frame) == nullptr) return std::nullopt;
          return frame;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0 || closed_) return std::nullopt;
      buf_ += s_.ReceiveSome(left, &closed_);
    }
  }
  bool closed() const { return closed_; }

 private:
  RawSocket& s_;
  std::string buf_;
  bool closed_ = false;
};

std::string ReasonOfFrame(const std::string& frame) {
  const auto* r = api::VerifiedResponse(frame);
  return r->error() && r->error()->reason() ? r->error()->reason()->str() : "";
}

// Sends `bytes` one every 300 ms; true when the server closed the
// connection before they were all sent (and answered nothing).
bool TrickledUntilClosed(RawSocket& s, const std::string& bytes) {
  bool closed = false;
  for (std::size_t i = 0; i < bytes.size() && !closed; ++i) {
    if (!s.Send(bytes.substr(i, 1))) closed = true;
    if (!s.Receive(300ms, &closed).empty()) return false;
  }
  return closed;
}

// A fresh connection logs in as `user` and asks who it is: the server
// still answers.
void StillAnswers(ServerProcess& server, const std::string& user, const std::string& password) {
  cli::ClientOptions o;
  o.server = server.binary();
  o.timeout = 10s;
  Result<std::unique_ptr<cli::Client>> c = cli::Client::Connect(o);
  REQUIRE(c.ok());
  Result<std::string> login = (*c)->Call(
      RequestFrame(api::fb::Op::Login, R"({"user_id":")" + user + R"(","password":")" + password + "\"}", 7), 7);
  REQUIRE(login.ok());
  REQUIRE(api::VerifiedResponse(*login)->error() == nullptr);
  Result<std::string> who = (*c)->Call(RequestFrame(api::fb::Op::WhoAmI, "{}", 8), 8);
  REQUIRE(who.ok());
  CHECK(api::VerifiedResponse(*who)->body_as_SessionView()->user_id()->str() == user);
  HttpResult health = Http(server.http(), "GET", "/health");
  CHECK(health.status == 200);
}

void StillAnswers(ServerWorld& w) { StillAnswers(w.server, "camden-cw1", PasswordOf("camden-cw1")); }

TEST_CASE("binary listener: random bytes, truncated, oversize and mutated frames get an error or a close",
          "[server][hostile]") {
  ServerWorld w(kTightLimits);
  std::mt19937_64 rng(20251201);

  SECTION("random bytes") {
    for (int round = 0; round < 40; ++round) {
      std::string junk(1 + rng() % 4096, '\0');
      for (char& c : junk) c = static_cast<char>(rng());
      RawSocket s(w.server.binary());
      s.Send(junk);
      CHECK(s.WaitClosed(5s));
    }
  }
  SECTION("a truncated frame is dropped after the read deadline") {
    const std::string frame = RequestFrame(api::fb::Op::WhoAmI, "{}", 1);
    RawSocket s(w.server.binary());
    s.Send(frame.substr(0, frame.size() - 3));
    const auto start = SteadyClock::now();
    FrameReader reader(s);
    CHECK_FALSE(reader.Next(4s).has_value());
    CHECK(reader.closed());
    CHECK(SteadyClock::now() - start >= 900ms);
  }
  SECTION("an oversize frame is refused before it is read") {
    RawSocket s(w.server.binary());
    s.Send(std::string("\x00\x00\x10\x00", 4) + std::string(100, 'x'));  // 1 MiB announced, limit 64 KiB
    FrameReader reader(s);
    std::optional<std::string> answer = reader.Next(5s);
    REQUIRE(answer.has_value());
    CHECK(ReasonOfFrame(*answer) == "frame_too_large");
    CHECK(api::VerifiedResponse(*answer)->error()->code() == api::fb::ErrorCode::too_large);
    CHECK(s.WaitClosed(5s));
  }
  SECTION("a frame that fails the verifier is answered malformed_frame and the connection closed") {
    std::string junk(200, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    const std::uint32_t n = static_cast<std::uint32_t>(junk.size());
    RawSocket s(w.server.binary());
    s.Send(std::string(reinterpret_cast<const char*>(&n), 4) + junk);
    FrameReader reader(s);
    std::optional<std::string> answer = reader.Next(5s);
    REQUIRE(answer.has_value());
    CHECK(ReasonOfFrame(*answer) == "malformed_frame");
    CHECK(s.WaitClosed(5s));
  }
  SECTION("mutated frames never crash the server") {
    const std::string token = w.Token("camden-cw1");
    const std::string good = RequestFrame(api::fb::Op::CreateCase,
                                   R"({"team_id":"team-a","applicant":{"given_names":"Amina","family_name":"Okafor",)"
                                   R"("date_of_birth":"1988-04-12","documents":[{"type":"Passport","number":"P1"}]},)"
                                   R"("referral_date":"2025-03-01"})",
                                   9, token);
    int answered = 0;
    for (int round = 0; round < 300; ++round) {
      std::string bad = good;
      for (int flips = 0; flips < 1 + static_cast<int>(rng() % 4); ++flips) {
        const std::size_t at = 4 + rng() % (bad.size() - 4);  // keep the prefix: reach the verifier
        bad[at] = static_cast<char>(bad[at] ^ (1u << (rng() % 8)));
      }
      RawSocket s(w.server.binary());
      s.Send(bad);
      FrameReader reader(s);
      if (std::optional<std::string> answer = reader.Next(5s)) ++answered;
    }
    CHECK(answered == 300);  // every one answered: a result, a refusal, or malformed_frame
  }
  SECTION("strings that are not UTF-8 are refused by field, and the connection stays usable") {
    const std::string token = w.Token("camden-cw1");
    cli::ClientOptions o;
    o.server = w.server.binary();
    Result<std::unique_ptr<cli::Client>> c = cli::Client::Connect(o);
    REQUIRE(c.ok());
    flatbuffers::FlatBufferBuilder fbb;
    auto text = fbb.CreateString(std::string("\xff\xfe bad", 6));
    auto case_id = fbb.CreateString("1");
    auto body = api::fb::CreateRecordAdvice(fbb, case_id, text);
    auto tok = fbb.CreateString(token);
    api::fb::RequestBuilder rb(fbb);
    rb.add_request_id(3);
    rb.add_token(tok);
    rb.add_body_type(api::fb::Op::RecordAdvice);
    rb.add_body(body.Union());
    fbb.FinishSizePrefixed(rb.Finish(), api::kFileIdentifier);
    Result<std::string> answer =
        (*c)->Call(std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()), 3);
    REQUIRE(answer.ok());
    CHECK(ReasonOfFrame(*answer) == "not_utf8");
    // A subscription's strings, and a command id, are checked alike.
    const auto frame = [&](std::uint64_t id, api::fb::Op op, flatbuffers::Offset<void> b,
                           flatbuffers::Offset<flatbuffers::String> command_id) {
      auto t = fbb.CreateString(token);
      api::fb::RequestBuilder r(fbb);
      r.add_request_id(id);
      r.add_token(t);
      if (!command_id.IsNull()) r.add_command_id(command_id);
      r.add_body_type(op);
      r.add_body(b);
      fbb.FinishSizePrefixed(r.Finish(), api::kFileIdentifier);
      return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
    };
    fbb.Clear();
    auto team = fbb.CreateString(std::string("\xc0\xaf team", 7));
    const std::string subscribe =
        frame(5, api::fb::Op::SubscribeCounters, api::fb::CreateSubscribeCounters(fbb, false, team).Union(), {});
    Result<std::string> refused = (*c)->Call(subscribe, 5);
    REQUIRE(refused.ok());
    CHECK(ReasonOfFrame(*refused) == "not_utf8");
    fbb.Clear();
    auto bad_id = fbb.CreateString(std::string("\xff\xfe-1", 4));
    auto advice_case = fbb.CreateString("1");
    const std::string advice = frame(
        6, api::fb::Op::RecordAdvice, api::fb::CreateRecordAdvice(fbb, advice_case).Union(), bad_id);
    refused = (*c)->Call(advice, 6);
    REQUIRE(refused.ok());
    CHECK(ReasonOfFrame(*refused) == "not_utf8");
    Result<std::string> who = (*c)->Call(RequestFrame(api::fb::Op::WhoAmI, "{}", 4, token), 4);
    REQUIRE(who.ok());
    CHECK(ReasonOfFrame(*who).empty());
  }
  StillAnswers(w);
  CHECK(w.server.Stop() == 0);
}

TEST_CASE("binary listener: pipelined requests are all answered by id", "[server][hostile]") {
  ServerWorld w;
  const std::string token = w.Token("camden-cw1");
  std::string burst;
  // Each command names a case of its own (none exists): commands on one case
  // take turns, and past max_turn_waiters they would be refused as case_busy.
  for (std::uint64_t id = 100; id < 160; ++id) {
    burst += id % 2 ? RequestFrame(api::fb::Op::GetCounters, "{}", id, token)
                    : RequestFrame(api::fb::Op::RecordAdvice,
                                   R"({"case_id":"404-)" + std::to_string(id) + R"(","advised_on":"2025-03-01"})", id,
                                   token);
  }
  RawSocket s(w.server.binary());
  s.Send(burst);
  FrameReader reader(s);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 60; ++i) {
    std::optional<std::string> f = reader.Next(10s);
    REQUIRE(f.has_value());
    const auto* r = api::VerifiedResponse(*f);
    seen.insert(r->request_id());
    if (r->request_id() % 2) {
      CHECK(r->body_as_Counters() != nullptr);
    } else {
      CHECK(ReasonOfFrame(*f) == "case_not_found");
    }
  }
  CHECK(seen.size() == 60);
  CHECK(*seen.begin() == 100);
}

TEST_CASE("slow, silent and non-reading clients are cut off by their deadlines while others are served",
          "[server][hostile]") {
  ServerWorld w(kTightLimits);
  SECTION("a frame trickled in byte by byte misses the read deadline") {
    RawSocket s(w.server.binary());
    CHECK(TrickledUntilClosed(s, RequestFrame(api::fb::Op::WhoAmI, "{}", 1)));
  }
  SECTION("a silent connection is closed after the idle timeout") {
    RawSocket binary(w.server.binary());
    RawSocket http(w.server.http());
    const auto start = SteadyClock::now();
    CHECK(binary.WaitClosed(6s));
    CHECK(http.WaitClosed(6s));
    CHECK(SteadyClock::now() - start >= 1900ms);
  }
  SECTION("a connection that goes quiet is closed the idle timeout after its last answer, not before") {
    RawSocket binary(w.server.binary());
    bool closed = false;
    // Active for longer than the idle timeout (2 s), with pauses shorter than it.
    for (std::uint64_t id = 1; id <= 5; ++id) {
      REQUIRE(binary.Send(RequestFrame(api::fb::Op::WhoAmI, "{}", id)));
      CHECK_FALSE(binary.ReceiveSome(2s, &closed).empty());
      REQUIRE_FALSE(closed);
      std::this_thread::sleep_for(700ms);
    }
    const auto quiet = SteadyClock::now() - 700ms;
    CHECK(binary.WaitClosed(6s));
    CHECK(SteadyClock::now() - quiet >= 1900ms);
  }
  SECTION("a client that asks and never reads is disconnected; the others are not held up") {
    // Enough events that one page of the log with records is large.
    for (int i = 0; i < 30; ++i) {
      w.Ok("camden-cw1", {"create-case", "household_type=FamilyWithChildren", "legislation=ChildrenAct1989S17",
                          "team_id=team-a", "applicant.given_names=Person" + std::to_string(i),
                          "applicant.family_name=Synthetic", "applicant.date_of_birth=1990-01-01",
                          "applicant.address=" + std::string(1000, 'a'), "referral_date=2025-03-01"});
    }
    const std::string token = w.Token("auditor-1");
    RawSocket hog(w.server.binary(), 4096);
    std::string burst;
    for (std::uint64_t id = 1; id <= 64; ++id) {
      burst += RequestFrame(api::fb::Op::ReadLog, R"({"from_position":0,"max":1000,"include_records":true})", id, token);
    }
    REQUIRE(hog.Send(burst));
    // Meanwhile another client is answered promptly, again and again.
    for (int i = 0; i < 5; ++i) {
      const auto start = SteadyClock::now();
      HttpResult h = Http(w.server.http(), "GET", "/health");
      CHECK(h.status == 200);
      CHECK(SteadyClock::now() - start < 1s);
      std::this_thread::sleep_for(300ms);
    }
    // The hog is dropped after the write deadline once its buffers are full.
    std::this_thread::sleep_for(3s);
    CHECK(hog.WaitClosed(20s));
  }
  StillAnswers(w);
  CHECK(w.server.Stop() == 0);
}

TEST_CASE("HTTP listener: bad requests get structured errors with stable codes", "[server][hostile]") {
  ServerWorld w(kTightLimits);
  const std::string token = w.Token("camden-cw1");
  const std::string& at = w.server.http();

  HttpResult unknown = HttpAs(token, at, "GET", "/v1/no_such_thing");
  CHECK(unknown.status == 404);
  CHECK(ReasonOf(unknown) == "unknown_route");
  CHECK(Http(at, "GET", "/elsewhere").status == 404);
  HttpResult bad_json = HttpAs(token, at, "POST", "/v1/record_advice", "{\"case_id\": ");
  CHECK(bad_json.status == 400);
  CHECK(ReasonOf(bad_json) == "invalid_json");
  HttpResult unknown_field = HttpAs(token, at, "POST", "/v1/record_advice", R"({"case_id":"1","colour":"red"})");
  CHECK(unknown_field.status == 400);
  CHECK(ReasonOf(unknown_field) == "invalid_json");
  HttpResult wrong_type = HttpAs(token, at, "POST", "/v1/record_finance", R"({"case_id":"1","person_costs_weekly_pence":"lots"})");
  CHECK(wrong_type.status == 400);
  HttpResult get_change = HttpAs(token, at, "GET", "/v1/close_case?case_id=1");
  CHECK(get_change.status == 405);
  CHECK(ReasonOf(get_change) == "method_not_allowed");
  CHECK(Http(at, "DELETE", "/v1/get_case").status == 405);
  HttpResult no_token = Http(at, "GET", "/v1/get_counters");
  CHECK(no_token.status == 401);
  CHECK(ReasonOf(no_token) == "not_authenticated");
  HttpResult bad_token = HttpAs("x" + token, at, "GET", "/v1/get_counters");
  CHECK(bad_token.status == 401);
  CHECK(ReasonOf(bad_token) == "session_invalid");
  HttpResult bad_version = Http(at, "POST", "/v1/record_advice", R"({"case_id":"1","advised_on":"2025-03-01"})",
                                {{"Authorization", "Bearer " + token}, {"If-Match", "soon"}});
  CHECK(bad_version.status == 400);
  CHECK(ReasonOf(bad_version) == "invalid_header");
  HttpResult big = HttpAs(token, at, "POST", "/v1/record_advice", std::string(70000, ' '));
  CHECK(big.status == 413);
  CHECK(ReasonOf(big) == "body_too_large");
  HttpResult long_header = Http(at, "GET", "/v1/who_am_i", "", {{"X-Filler", std::string(5000, 'a')}});
  CHECK(long_header.status == 431);
  CHECK(ReasonOf(long_header) == "header_too_large");
  HttpResult query = HttpAs(token, at, "GET", "/v1/get_case?case_id=1&colour=red");
  CHECK(query.status == 400);
  HttpResult stale = Http(at, "POST", "/v1/record_advice", R"({"case_id":"404","advised_on":"2025-03-01"})",
                          {{"Authorization", "Bearer " + token}, {"If-Match", "\"3\""}});
  CHECK(stale.status == 404);  // the version is checked against a case that exists
  CHECK(ReasonOf(stale) == "case_not_found");

  SECTION("random bytes") {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 30; ++round) {
      std::string junk(1 + rng() % 3000, '\0');
      for (char& c : junk) c = static_cast<char>(rng());
      RawSocket s(at);
      s.Send(junk);
      bool closed = false;
      const std::string got = s.Receive(5s, &closed);
      if (!got.empty()) {
        CHECK(got.rfind("HTTP/1.1 4", 0) == 0);
        CHECK(got.find("\"code\"") != std::string::npos);
      }
      CHECK((closed || s.WaitClosed(5s)));
    }
  }
  SECTION("a body shorter than its Content-Length is dropped after the read deadline") {
    RawSocket s(at);
    s.Send("POST /v1/who_am_i HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":");
    bool closed = false;
    const std::string got = s.Receive(4s, &closed);
    CHECK(got.empty());
    CHECK(closed);
  }
  SECTION("headers trickled in miss the read deadline") {
    RawSocket s(at);
    CHECK(TrickledUntilClosed(s, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  SECTION("an event stream pushes a case's events and ends with the session") {
    w.Ok("camden-cw1", {"create-case", "household_type=FamilyWithChildren", "legislation=ChildrenAct1989S17",
                        "team_id=team-a", "applicant.given_names=Amina", "applicant.family_name=Okafor",
                        "applicant.date_of_birth=1988-04-12", "referral_date=2025-03-01"});
    RawSocket sse(at);
    sse.Send("GET /v1/subscribe_case?case_id=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n");
    bool closed = false;
    std::string stream = sse.Receive(2s, &closed);
    CHECK(stream.rfind("HTTP/1.1 200 OK", 0) == 0);
    CHECK(stream.find("text/event-stream") != std::string::npos);
    CHECK(stream.find("event: subscribed") != std::string::npos);
    CHECK(stream.find("\"case.created\"") != std::string::npos);
    w.Ok("camden-cw1", {"record-advice", "of=DetailsSharedWithHomeOffice", "case_id=1", "advised_on=2025-03-02"});
    stream = sse.Receive(3s, &closed);
    CHECK(stream.find("\"case.person_advised\"") != std::string::npos);
    w.Ok("camden-cw1", {"logout"});
    w.Ok("camden-cw2", {"record-advice", "of=DetailsSharedWithHomeOffice", "case_id=1", "advised_on=2025-03-03"});
    stream = sse.Receive(3s, &closed);
    CHECK(stream.find("event: end") != std::string::npos);
    CHECK(stream.find("session_invalid") != std::string::npos);
    CHECK((closed || sse.WaitClosed(3s)));
  }
  StillAnswers(w);
  CHECK(w.server.Stop() == 0);
}

TEST_CASE("HTTP listener: pages of the configured web origins may call it, others get no CORS headers",
          "[server][http]") {
  TempDir dir;
  ServerProcess server(dir.Sub("server"), {"--cors-origins", "http://localhost:3000", "--max-body-bytes", "2048"});
  const std::vector<std::pair<std::string, std::string>> preflight = {
      {"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "POST"},
      {"Access-Control-Request-Headers", "authorization, content-type"}};
  HttpResult p = Http(server.http(), "OPTIONS", "/v1/get_counters", "", preflight);
  CHECK(p.status == 204);
  CHECK(p.headers["access-control-allow-origin"] == "http://localhost:3000");
  CHECK(p.headers["access-control-allow-methods"] == "GET, POST");
  CHECK(p.headers["access-control-allow-headers"].find("Authorization") != std::string::npos);
  // The answer itself names the origin, refusals too, so the page can read them.
  HttpResult answer = Http(server.http(), "POST", "/v1/get_counters", "{}", {{"Origin", "http://localhost:3000"}});
  CHECK(answer.status == 401);
  CHECK(answer.headers["access-control-allow-origin"] == "http://localhost:3000");
  CHECK(answer.headers["access-control-expose-headers"] == "Retry-After, Content-Disposition");
  // A body too large is refused before it is read, and still to the page.
  HttpResult large = Http(server.http(), "POST", "/v1/get_counters", std::string(4096, ' '),
                          {{"Origin", "http://localhost:3000"}});
  CHECK(large.status == 413);
  CHECK(large.headers["access-control-allow-origin"] == "http://localhost:3000");
  // Another origin: no CORS headers, and no preflight.
  HttpResult other = Http(server.http(), "POST", "/v1/get_counters", "{}", {{"Origin", "https://evil.example"}});
  CHECK(other.headers.count("access-control-allow-origin") == 0);
  HttpResult other_preflight = Http(server.http(), "OPTIONS", "/v1/get_counters", "",
                                    {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(other_preflight.status == 405);
  CHECK(other_preflight.headers.count("access-control-allow-origin") == 0);
  CHECK(server.Stop() == 0);
}

TEST_CASE("a full server answers at once: too many connections are closed, a full worker queue says busy",
          "[server][hostile]") {
  SECTION("max_connections") {
    ServerWorld w({"--max-connections", "4"});
    std::vector<std::unique_ptr<RawSocket>> held;
    for (int i = 0; i < 4; ++i) {
      held.push_back(std::make_unique<RawSocket>(w.server.binary()));
      // An answer (unauthenticated) shows the server has counted the connection.
      REQUIRE(held.back()->Send(RequestFrame(api::fb::Op::WhoAmI, "{}", 1)));
      FrameReader reader(*held.back());
      std::optional<std::string> f = reader.Next(10s);
      REQUIRE(f.has_value());
      CHECK(ReasonOfFrame(*f) == "not_authenticated");
    }
    RawSocket extra(w.server.http());
    CHECK(extra.WaitClosed(3s));
    held.clear();
    // The server sees the four closes in its own time: until it has, a new
    // connection is refused. Only the asking connection stays open.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    std::string metrics;
    while (Sample(metrics, "nrpf_connections_open") != 1 && std::chrono::steady_clock::now() < deadline) {
      metrics = Http(w.server.http(), "GET", "/metrics").body;
      if (metrics.empty()) std::this_thread::sleep_for(20ms);
    }
    REQUIRE(Sample(metrics, "nrpf_connections_open") == 1);
    CHECK(Sample(metrics, "nrpf_connections_refused_total") >= 1);  // `extra`, and any asked too early
    StillAnswers(w);
  }
  SECTION("worker_queue") {
    // One worker, one place in its queue, and a password hash that costs
    // real time: logins for an unknown user are checked against a dummy
    // hash made at the server's own cost, so the first keeps the worker busy
    // for the whole burst (about 100 ms here, against microseconds for the
    // I/O thread to read a frame). Whether the worker has taken the first
    // from the queue before the second arrives is the scheduler's choice, so
    // one or two logins are checked and the rest find the queue full.
    TempDir dir;
    ServerProcess server(dir.Sub("server"), {"--workers", "1", "--worker-queue", "1", "--pwhash-ops", "3",
                                             "--pwhash-mem-kib", "65536"});
    std::string burst;
    for (std::uint64_t id = 1; id <= 40; ++id) {
      burst += RequestFrame(api::fb::Op::Login, R"({"user_id":"nobody","password":"not it"})", id);
    }
    RawSocket s(server.binary());
    s.Send(burst);
    FrameReader reader(s);
    int busy = 0, refused = 0;
    for (int i = 0; i < 40; ++i) {
      std::optional<std::string> f = reader.Next(30s);
      REQUIRE(f.has_value());
      const std::string reason = ReasonOfFrame(*f);
      if (reason == "busy") {
        ++busy;
        CHECK(api::VerifiedResponse(*f)->error()->retry_after_ms() > 0);
      } else {
        INFO(reason);
        CHECK((reason == "bad_credentials" || reason == "rate_limited"));
        ++refused;
      }
    }
    CHECK(busy >= 1);
    CHECK(refused >= 1);  // the one that ran, and any the worker took in time
    // The queue drains and the server goes on: the first admin logs in.
    StillAnswers(server, "admin", server.first_password());
    CHECK(server.Stop() == 0);
  }
}

}  // namespace
}  // namespace nrpf::test
