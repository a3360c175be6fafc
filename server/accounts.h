// Accounts and sessions: logins against the credential store, bearer tokens,
// lockout after failed logins, one-time passwords, and what an account
// command means for credentials.
//
// The log and the store split the work: the log (through CaseService) holds
// the facts (an account exists, is locked, had its password reset by an
// admin); the credential store holds the secrets (password hashes, hashed
// tokens) and the count of failed logins.
//
//  * A session token is 32 random bytes; only its BLAKE2b hash is stored.
//    A session ends at its expiry, at logout, and when its account is
//    deleted, locked, changes role, or has its password reset or changed.
//  * max_failed_logins consecutive wrong passwords lock the account: the
//    server, acting as the account itself, writes user.locked with reason
//    FailedLogins. Only the organisation's admin (or network support)
//    unlocks it, which clears the count.
//  * New accounts, admin resets and the first admin get one-time passwords:
//    their sessions may only change the password (or log out).
//  * Logins are limited per client address and per account.
//
// Thread-safe. Login and ChangePassword block for an Argon2id hash (tens of
// milliseconds): call them off the I/O threads.

#ifndef NRPF_SERVER_ACCOUNTS_H_
#define NRPF_SERVER_ACCOUNTS_H_

#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "domain/service.h"
#include "server/config.h"
#include "server/credential_store.h"
#include "server/metrics.h"
#include "server/passwords.h"
#include "server/rate_limiter.h"

namespace nrpf::server {

// An authenticated caller.
struct Session {
  std::string token_key;
  std::string user_id;
  std::int64_t expires_at_us = 0;
  bool must_change_password = false;
};

struct LoginResult {
  std::string token;  // shown to the client once
  Session session;
};

class Accounts {
 public:
  // REQUIRES: `service`, `clock` and `metrics` outlive the Accounts.
  static Result<std::unique_ptr<Accounts>> Open(domain::CaseService* service, const Clock* clock,
                                                AccountOptions options, const std::string& credentials_dir,
                                                Metrics* metrics);
  ~Accounts();

  // On an empty log, creates the network-support organisation and its first
  // admin (CaseService::Bootstrap). When the first admin exists and the
  // credential store is empty (a first start, or a lost store), issues it a
  // one-time password and returns it: print it once.
  Result<std::optional<std::string>> EnsureFirstAdmin();

  // Checks the password and opens a session. Errors:
  // permission_denied/bad_credentials (unknown account or wrong password,
  // alike), permission_denied/account_locked, permission_denied/
  // account_deleted, unavailable/rate_limited.
  Result<LoginResult> Login(const std::string& user_id, std::string_view password, const std::string& peer);

  // The session of `token`. permission_denied/session_invalid (unknown or
  // revoked), session_expired, account_locked, account_deleted. `token_key`
  // is TokenKey(token) when the caller already has it (a connection keeps
  // its session's), so that it is not hashed again on every request; empty,
  // it is computed here.
  Result<Session> Authenticate(const std::string& token, std::string_view token_key = {});

  Status Logout(const Session& session);

  // Called, with no lock held, whenever sessions end here by logout or
  // revocation (not by expiry), so that whatever serves them (live
  // subscriptions) looks at them again now. Set once, before requests are
  // served; null to stop.
  void SetSessionsEndedListener(std::function<void()> listener) { sessions_ended_ = std::move(listener); }

  // Changes the session's own password and ends every other session of the
  // account. permission_denied/bad_credentials (a wrong current password
  // counts as a failed login), invalid_argument/password_invalid,
  // failed_precondition/password_unchanged.
  Status ChangePassword(const Session& session, std::string_view current, std::string_view next);

  // What a command that succeeded means for credentials: a one-time password
  // for create_user and reset_password (returned; "" otherwise); the end of
  // the account's sessions for delete_user, change_user_role, lock_user and
  // reset_password; a cleared failure count for unlock_user. A retried
  // create_user or reset_password issues a fresh one-time password while
  // the account has not yet chosen its own.
  Result<std::string> AfterCommand(const domain::Command& command, const domain::CommandOutcome& outcome);
  // Whether AfterCommand does anything for `command` (an account change).
  static bool ActsAfter(const domain::Command& command);

  // Forgets expired sessions (memory and store).
  void PurgeExpired();
  std::size_t session_count() const;

 private:
  Accounts(domain::CaseService* service, const Clock* clock, AccountOptions options,
           std::unique_ptr<CredentialStore> store, Metrics* metrics);

  // The account as the log has it, copied.
  std::optional<domain::UserState> UserOf(const std::string& user_id) const;
  Result<std::string> IssueOneTimePassword(const std::string& user_id);
  Status RevokeAll(const std::string& user_id, const std::string& except_token_key = "");
  // Ends one session, memory and store, telling no one (an expiry).
  Status Forget(const std::string& token_key, const std::string& user_id);
  // A wrong password: counts it, and locks the account at the limit.
  Status CountFailure(const std::string& user_id);
  void Hashed(const std::function<void()>& work);  // at most max_concurrent_hashes at once
  bool RateLimited(const std::string& peer, const std::string& user_id, std::int64_t now_us);

  domain::CaseService* const service_;
  const Clock* const clock_;
  const AccountOptions options_;
  const HashCost cost_;
  const std::unique_ptr<CredentialStore> store_;
  Metrics* const metrics_;
  std::string dummy_hash_;  // compared against for unknown accounts, so timing says nothing

  RateLimiter per_address_;
  RateLimiter per_account_;

  std::mutex credential_mu_;  // serialises read-modify-write of credentials

  mutable std::shared_mutex sessions_mu_;
  std::unordered_map<std::string, SessionRecord> sessions_;  // token key -> session; guarded by sessions_mu_

  std::mutex hash_mu_;
  std::condition_variable hash_cv_;
  unsigned hashing_ = 0;  // guarded by hash_mu_

  std::function<void()> sessions_ended_;
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_ACCOUNTS_H_
