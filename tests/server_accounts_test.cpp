// Accounts and sessions through the real server: lockout after failed
// logins (an event the server alone writes), unlock and reset by the
// organisation's admin, expiry, revocation, rate limits, and that no
// credential ever reaches the log.

#include <catch2/catch.hpp>

#include <thread>

#include "tests/server_world.h"

namespace nrpf::test {
namespace {

CliUser::Answer Login(const CliUser& u, const std::string& password) {
  return u.Json({"login", u.id()}, {{"NRPF_PASSWORD", password}});
}

// Every event of the log, with the stored bytes, read by the auditor.
std::vector<std::pair<std::string, std::string>> WholeLog(ServerWorld& w, std::string* bytes) {
  std::vector<std::pair<std::string, std::string>> events;  // type, body JSON
  for (std::uint64_t from = 0;;) {
    CliUser::Answer page = w.Ok("auditor-1", {"read-log", "from_position=" + std::to_string(from), "max=1000",
                                              "include_records=true"});
    const auto* log = page->body_as_LogEvents();
    if (log->events() == nullptr || log->events()->size() == 0) break;
    for (const auto* e : *log->events()) {
      events.emplace_back(e->type()->str(), e->body_json() ? e->body_json()->str() : "");
      bytes->append(reinterpret_cast<const char*>(e->record()->data()), e->record()->size());
    }
    from = log->next_position();
  }
  return events;
}

TEST_CASE("five wrong passwords lock an account by an event, only its own admin unlocks it", "[server][accounts]") {
  ServerWorld w({"--login-rate-per-account", "100"});
  CliUser& cw = w.User("camden-cw2");
  for (int i = 0; i < 4; ++i) {
    CliUser::Answer wrong = Login(cw, "not the password");
    CHECK(wrong.code == 4);
    CHECK(wrong.reason() == "bad_credentials");
  }
  // A right password before the limit clears the count.
  REQUIRE(Login(cw, PasswordOf("camden-cw2")).code == 0);
  for (int i = 0; i < 5; ++i) CHECK(Login(cw, "not the password").reason() == "bad_credentials");
  // Locked now, even with the right password; the session it had has ended.
  CliUser::Answer locked = Login(cw, PasswordOf("camden-cw2"));
  CHECK(locked.code == 5);
  CHECK(locked.reason() == "account_locked");
  CHECK(cw.Json({"who-am-i"}).code == 4);

  std::string bytes;
  const auto log = WholeLog(w, &bytes);
  int locks = 0;
  for (const auto& [type, body] : log) {
    if (type == "user.locked") {
      ++locks;
      CHECK(body.find("\"FailedLogins\"") != std::string::npos);
      CHECK(body.find("\"failed_attempts\": 5") != std::string::npos);
    }
  }
  CHECK(locks == 1);

  CHECK(w.Refused("leeds-admin", {"unlock-user", "user_id=camden-cw2"}, 5) == "wrong_tenant");
  CHECK(w.Refused("camden-cw1", {"unlock-user", "user_id=camden-cw2"}, 5) == "role_not_permitted");
  w.Ok("camden-admin", {"unlock-user", "user_id=camden-cw2"});
  CHECK(Login(cw, PasswordOf("camden-cw2")).code == 0);
  CHECK(w.Refused("camden-admin", {"unlock-user", "user_id=camden-cw2"}, 7) == "not_locked");
}

TEST_CASE("an admin's reset issues a one-time password and ends the account's sessions", "[server][accounts]") {
  ServerWorld w;
  CliUser& cw = w.User("camden-cw2");
  CliUser::Answer me = cw.Json({"who-am-i"});
  REQUIRE(me.code == 0);
  // Enough for a front end's header: who, in which team, by name.
  CHECK(me->body_as_SessionView()->name()->str() == "camden-cw2 (test)");
  CHECK(me->body_as_SessionView()->team_id()->str() == "team-a");
  CliUser::Answer reset = w.Ok("camden-admin", {"reset-password", "user_id=camden-cw2"});
  const std::string otp = reset->body_as_CommandResult()->one_time_password()->str();
  CHECK(otp.size() == 23);
  CHECK(cw.Json({"who-am-i"}).reason() == "session_invalid");
  CHECK(Login(cw, PasswordOf("camden-cw2")).reason() == "bad_credentials");
  CliUser::Answer fresh = Login(cw, otp);
  REQUIRE(fresh.code == 0);
  CHECK(fresh->body_as_SessionView()->must_change_password());
  CHECK(cw.Json({"get-counters"}).reason() == "password_change_required");
  // A wrong current password is a failed login; the same password again is refused.
  CHECK(cw.Run({"change-password"}, {{"NRPF_PASSWORD", "wrong"}, {"NRPF_NEW_PASSWORD", "a new long password"}}).code == 4);
  CHECK(cw.Run({"change-password"}, {{"NRPF_PASSWORD", otp}, {"NRPF_NEW_PASSWORD", otp}}).code == 7);
  const CliResult changed =
      cw.Run({"change-password"}, {{"NRPF_PASSWORD", otp}, {"NRPF_NEW_PASSWORD", "a new long password"}});
  REQUIRE(changed.code == 0);
  CHECK(changed.out == "done\n");  // a person at a terminal sees it worked
  CHECK(changed.err.empty());
  CHECK(cw.Json({"get-counters"}).code == 0);
  // The log records that the admin reset it, never the password.
  std::string bytes;
  const auto log = WholeLog(w, &bytes);
  CHECK(std::count_if(log.begin(), log.end(), [](const auto& e) { return e.first == "user.password_reset"; }) == 1);
}

TEST_CASE("sessions end at logout, at expiry, and when the account is deleted, locked or changes role",
          "[server][accounts]") {
  ServerWorld w({"--session-ttl", "3s"});
  CliUser& cw = w.User("camden-cw1");
  CHECK(cw.Json({"logout"}).code == 0);
  CHECK_FALSE(std::filesystem::exists(cw.token_file()));
  // A stolen copy of a logged-out token is worth nothing.
  REQUIRE(Login(cw, PasswordOf("camden-cw1")).code == 0);
  const std::string token = w.Token("camden-cw1");
  REQUIRE(cw.Json({"logout"}).code == 0);
  CHECK(ReasonOf(HttpAs(token, w.server.http(), "GET", "/v1/who_am_i")) == "session_invalid");

  // Expiry.
  REQUIRE(Login(cw, PasswordOf("camden-cw1")).code == 0);
  CHECK(cw.Json({"who-am-i"}).code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(3300));
  CliUser::Answer expired = cw.Json({"who-am-i"});
  CHECK(expired.code == 4);
  CHECK(expired.reason() == "session_expired");

  // Role change, admin lock and deletion end the account's sessions at once.
  REQUIRE(Login(w.User("camden-admin"), PasswordOf("camden-admin")).code == 0);
  REQUIRE(Login(cw, PasswordOf("camden-cw1")).code == 0);
  w.Ok("camden-admin", {"change-user-role", "user_id=camden-cw1", "role=CouncilAdmin"});
  CHECK(cw.Json({"who-am-i"}).reason() == "session_invalid");
  REQUIRE(Login(cw, PasswordOf("camden-cw1")).code == 0);
  w.Ok("camden-admin", {"lock-user", "user_id=camden-cw1"});
  CHECK(cw.Json({"who-am-i"}).reason() == "session_invalid");
  w.Ok("camden-admin", {"unlock-user", "user_id=camden-cw1"});
  CliUser& cw2 = w.User("camden-cw2");
  REQUIRE(Login(cw2, PasswordOf("camden-cw2")).code == 0);
  w.Ok("camden-admin", {"delete-user", "user_id=camden-cw2"});
  CHECK(cw2.Json({"who-am-i"}).reason() == "session_invalid");
  CliUser::Answer deleted = Login(cw2, PasswordOf("camden-cw2"));
  CHECK(deleted.code == 5);
  CHECK(deleted.reason() == "account_deleted");
  CHECK(w.Refused("camden-admin", {"delete-user", "user_id=camden-admin"}, 7) == "cannot_delete_self");
}

TEST_CASE("logins are limited per address and per account", "[server][accounts]") {
  ServerWorld w({"--login-rate-per-address", "200", "--login-rate-per-account", "3"});
  CliUser& cw = w.User("leeds-cw1");
  // The world's setup logged leeds-cw1 in once; two more are allowed.
  int limited = 0;
  for (int i = 0; i < 4; ++i) {
    CliUser::Answer a = Login(cw, PasswordOf("leeds-cw1"));
    if (a.code == 9) {
      ++limited;
      CHECK(a.reason() == "rate_limited");
      CHECK(a->error()->retry_after_ms() > 0);
    }
  }
  CHECK(limited >= 2);
  // Another account from the same address is not held back.
  CHECK(Login(w.User("camden-cw1"), PasswordOf("camden-cw1")).code == 0);

  ServerWorld few({"--login-rate-per-address", "30"});
  int address_limited = 0;
  for (int i = 0; i < 30; ++i) {
    HttpResult r = Http(few.server.http(), "POST", "/v1/login", R"({"user_id":"nobody","password":"guess"})");
    if (r.status == 429) ++address_limited;
  }
  CHECK(address_limited > 0);
}

TEST_CASE("no password, one-time password or token is ever written to the log", "[server][accounts]") {
  ServerWorld w;
  CliUser::Answer reset = w.Ok("camden-admin", {"reset-password", "user_id=camden-cw1"});
  const std::string otp = reset->body_as_CommandResult()->one_time_password()->str();
  CliUser& cw = w.User("camden-cw1");
  REQUIRE(Login(cw, otp).code == 0);
  REQUIRE(cw.Run({"change-password"}, {{"NRPF_PASSWORD", otp}, {"NRPF_NEW_PASSWORD", "the final password"}}).code == 0);
  REQUIRE(Login(cw, "the final password").code == 0);
  const std::string token = w.Token("camden-cw1");
  std::string bytes;
  WholeLog(w, &bytes);
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes.find(otp) == std::string::npos);
  CHECK(bytes.find("the final password") == std::string::npos);
  CHECK(bytes.find(PasswordOf("camden-admin")) == std::string::npos);
  CHECK(bytes.find(token) == std::string::npos);
  CHECK(bytes.find(w.server.first_password()) == std::string::npos);
  // Nor to the daemon's own log.
  const std::string daemon_log = w.server.Stderr();
  CHECK(daemon_log.find(otp) == std::string::npos);
  CHECK(daemon_log.find(token) == std::string::npos);
  CHECK(daemon_log.find("camden-cw1") == std::string::npos);
}

}  // namespace
}  // namespace nrpf::test
