// The cast of the server tests, set up through the real server with the
// nrpf client: network support (the first admin), the Home Office (an admin
// and an officer), two councils (Camden and Leeds, each with an admin, a
// team and caseworkers; Camden also with its own auditor) and an audit
// body's auditor. Every account has logged in and chosen its password.

#ifndef NRPF_TESTS_SERVER_WORLD_H_
#define NRPF_TESTS_SERVER_WORLD_H_

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "schema/api_generated.h"
#include "server/api_codec.h"
#include "tests/server_harness.h"

namespace nrpf::test {

inline std::string PasswordOf(const std::string& user_id) { return "correct horse battery staple " + user_id; }

class ServerWorld {
 public:
  explicit ServerWorld(std::vector<std::string> flags = {})
      : server(dir.Sub("server"), std::move(flags)) {
    REQUIRE(!server.first_password().empty());
    Add(std::make_unique<CliUser>(server, dir, "admin"))->LogIn(server.first_password(), PasswordOf("admin"));
    for (const auto& [org, kind] : std::vector<std::pair<std::string, std::string>>{
             {"home-office", "HomeOffice"}, {"camden", "Council"}, {"leeds", "Council"}, {"audit-body", "AuditBody"}}) {
      Ok("admin", {"register-organisation", "organisation_id=" + org, "kind=" + kind, "name=" + org + " (test)",
                   "nation=EnglandAndWales"});
    }
    CreateUser("admin", "ho-admin", "home-office", "HomeOfficeAdmin", "");
    CreateUser("admin", "camden-admin", "camden", "CouncilAdmin", "");
    CreateUser("admin", "leeds-admin", "leeds", "CouncilAdmin", "");
    CreateUser("admin", "auditor-1", "audit-body", "Auditor", "");
    Ok("camden-admin", {"create-team", "organisation_id=camden", "team_id=team-a", "name=Team A"});
    Ok("leeds-admin", {"create-team", "organisation_id=leeds", "team_id=team-a", "name=Team A"});
    CreateUser("camden-admin", "camden-cw1", "camden", "CouncilUser", "team-a");
    CreateUser("camden-admin", "camden-cw2", "camden", "CouncilUser", "team-a");
    CreateUser("camden-admin", "camden-auditor", "camden", "Auditor", "");
    CreateUser("leeds-admin", "leeds-cw1", "leeds", "CouncilUser", "team-a");
    CreateUser("ho-admin", "ho-1", "home-office", "HomeOffice", "");
  }

  CliUser& User(const std::string& id) {
    auto it = users.find(id);
    REQUIRE(it != users.end());
    return *it->second;
  }

  // nrpf --json <args> as `user`; REQUIREs success and returns the answer.
  CliUser::Answer Ok(const std::string& user, std::vector<std::string> args) {
    CliUser::Answer a = User(user).Json(args);
    INFO(user << " " << args[0] << ": " << a.reason());
    REQUIRE(a.code == 0);
    return a;
  }
  // The same, expecting a refusal: returns its reason and REQUIREs the exit code.
  std::string Refused(const std::string& user, std::vector<std::string> args, int exit_code) {
    CliUser::Answer a = User(user).Json(args);
    INFO(user << " " << args[0] << ": " << a.reason());
    REQUIRE(a.code == exit_code);
    return a.reason();
  }

  // `creator` creates the account; it logs in with the one-time password
  // and sets PasswordOf(user_id).
  void CreateUser(const std::string& creator, const std::string& user_id, const std::string& org,
                  const std::string& role, const std::string& team) {
    std::vector<std::string> args = {"create-user", "user_id=" + user_id, "organisation_id=" + org, "role=" + role,
                                     "name=" + user_id + " (test)", "email=" + user_id + "@example.invalid"};
    if (!team.empty()) args.push_back("team_id=" + team);
    CliUser::Answer a = Ok(creator, args);
    const auto* result = a->body_as_CommandResult();
    REQUIRE(result != nullptr);
    REQUIRE(result->one_time_password() != nullptr);
    Add(std::make_unique<CliUser>(server, dir, user_id))->LogIn(result->one_time_password()->str(), PasswordOf(user_id));
  }

  // The user's session token, as nrpf saved it.
  std::string Token(const std::string& user) {
    std::ifstream in(User(user).token_file());
    std::string token;
    std::getline(in, token);
    return token;
  }

  TempDir dir;
  ServerProcess server;
  std::map<std::string, std::unique_ptr<CliUser>> users;

 private:
  CliUser* Add(std::unique_ptr<CliUser> u) {
    CliUser* raw = u.get();
    users[u->id()] = std::move(u);
    return raw;
  }
};

// The log's size, as GET /health says.
inline std::uint64_t LogSize(const ServerWorld& w) {
  HttpResult h = Http(w.server.http(), "GET", "/health");
  REQUIRE(h.status == 200);
  Result<std::string> parsed = api::JsonToTable("Health", h.body);
  REQUIRE(parsed.ok());
  return flatbuffers::GetRoot<api::fb::Health>(parsed->data())->log_size();
}

}  // namespace nrpf::test

#endif  // NRPF_TESTS_SERVER_WORLD_H_
