#include "server/accounts.h"

#include <spdlog/spdlog.h>

#include "domain/permissions.h"
#include "server/api_error.h"

namespace nrpf::server {

namespace {

namespace reason = api::reason;
using domain::fb::Role;

Status BadCredentials() {
  return api::Refusal(Code::kPermissionDenied, reason::kBadCredentials, "unknown account or wrong password");
}

// Longest user id a login looks up (ids are 1..64 characters).
constexpr std::size_t kMaxLoginId = 128;

}  // namespace

Accounts::Accounts(domain::CaseService* service, const Clock* clock, AccountOptions options,
                   std::unique_ptr<CredentialStore> store, Metrics* metrics)
    : service_(service),
      clock_(clock),
      options_(std::move(options)),
      cost_{options_.pwhash_ops, options_.pwhash_mem_kib * 1024},
      store_(std::move(store)),
      metrics_(metrics),
      per_address_(options_.login_rate_per_address, 100000),
      per_account_(options_.login_rate_per_account, 100000) {}

Accounts::~Accounts() = default;

Result<std::unique_ptr<Accounts>> Accounts::Open(domain::CaseService* service, const Clock* clock,
                                                 AccountOptions options, const std::string& credentials_dir,
                                                 Metrics* metrics) {
  Result<std::unique_ptr<CredentialStore>> store = CredentialStore::Open(credentials_dir);
  if (!store.ok()) return store.status();
  std::unique_ptr<Accounts> accounts(new Accounts(service, clock, std::move(options), std::move(store).value(), metrics));
  Result<std::string> dummy = HashPassword(NewOneTimePassword(), accounts->cost_);
  if (!dummy.ok()) return dummy.status();
  accounts->dummy_hash_ = std::move(dummy).value();
  const std::int64_t now = clock->NowMicros();
  std::vector<std::pair<std::string, std::string>> expired;
  NRPF_RETURN_IF_ERROR(accounts->store_->ForEachSession([&](const std::string& key, const SessionRecord& r) {
    if (r.expires_at_us <= now) {
      expired.emplace_back(key, r.user_id);
    } else {
      accounts->sessions_.emplace(key, r);
    }
  }));
  for (const auto& [key, user] : expired) NRPF_RETURN_IF_ERROR(accounts->store_->DeleteSession(key, user));
  return accounts;
}

std::optional<domain::UserState> Accounts::UserOf(const std::string& user_id) const {
  return service_->projector().Read([&](const projections::Projections& p) -> std::optional<domain::UserState> {
    const domain::UserState* u = p.User(user_id);
    if (u == nullptr || u->user_id.empty()) return std::nullopt;
    return *u;
  });
}

Result<std::optional<std::string>> Accounts::EnsureFirstAdmin() {
  domain::RegisterOrganisation org{options_.first_organisation, domain::fb::OrganisationKind::NetworkSupport,
                                   "NRPF Network support", domain::fb::Nation::EnglandAndWales};
  domain::CreateUser admin{options_.first_admin, options_.first_organisation, Role::NetworkSupport, "",
                           "First administrator", ""};
  Result<bool> created = service_->Bootstrap(org, admin);
  if (!created.ok()) return created.status();
  const std::optional<domain::UserState> user = UserOf(options_.first_admin);
  if (!user || user->deleted) return std::optional<std::string>();
  Result<bool> empty = store_->NoCredentials();
  if (!empty.ok()) return empty.status();
  if (!*empty) return std::optional<std::string>();
  Result<std::string> otp = IssueOneTimePassword(options_.first_admin);
  if (!otp.ok()) return otp.status();
  return std::optional<std::string>(std::move(otp).value());
}

void Accounts::Hashed(const std::function<void()>& work) {
  {
    std::unique_lock lock(hash_mu_);
    hash_cv_.wait(lock, [&] { return hashing_ < options_.max_concurrent_hashes; });
    ++hashing_;
  }
  work();
  {
    std::lock_guard lock(hash_mu_);
    --hashing_;
  }
  hash_cv_.notify_one();
}

bool Accounts::RateLimited(const std::string& peer, const std::string& user_id, std::int64_t now_us) {
  std::int64_t wait = 0;
  if (!per_address_.Take(peer, now_us, &wait)) return true;
  return !per_account_.Take(user_id, now_us, &wait);
}

Result<LoginResult> Accounts::Login(const std::string& user_id, std::string_view password, const std::string& peer) {
  const std::int64_t now = clock_->NowMicros();
  if (RateLimited(peer, user_id.substr(0, kMaxLoginId), now)) {
    return api::Refusal(Code::kUnavailable, reason::kRateLimited, "too many logins; wait and try again");
  }
  const std::optional<domain::UserState> user =
      user_id.size() <= kMaxLoginId ? UserOf(user_id) : std::optional<domain::UserState>();
  Result<std::optional<CredentialRecord>> stored =
      user ? store_->GetCredential(user_id) : Result<std::optional<CredentialRecord>>(std::nullopt);
  if (!stored.ok()) return stored.status();
  if (user && user->deleted) {
    return Status::PermissionDenied("the account is deleted").WithReason("account_deleted");
  }
  if (user && user->locked) {
    return Status::PermissionDenied("the account is locked; its organisation's admin can unlock it")
        .WithReason("account_locked");
  }
  const bool known = user && stored->has_value();
  bool match = false;
  Hashed([&] { match = CheckPassword(known ? (*stored)->password_hash : dummy_hash_, password); });
  if (!known || !match) {
    metrics_->logins_failed.fetch_add(1);
    if (known) NRPF_RETURN_IF_ERROR(CountFailure(user_id));
    return BadCredentials();
  }
  {
    std::lock_guard lock(credential_mu_);
    Result<std::optional<CredentialRecord>> again = store_->GetCredential(user_id);
    if (!again.ok()) return again.status();
    if (again->has_value() && (*again)->failed_attempts != 0) {
      CredentialRecord r = **again;
      r.failed_attempts = 0;
      NRPF_RETURN_IF_ERROR(store_->PutCredential(user_id, r));
    }
  }
  LoginResult out;
  out.token = NewSessionToken();
  out.session.token_key = TokenKey(out.token);
  out.session.user_id = user_id;
  out.session.expires_at_us = now + std::chrono::duration_cast<std::chrono::microseconds>(options_.session_ttl).count();
  out.session.must_change_password = (*stored)->must_change;
  SessionRecord record{user_id, now, out.session.expires_at_us, out.session.must_change_password};
  NRPF_RETURN_IF_ERROR(store_->PutSession(out.session.token_key, record));
  {
    std::unique_lock lock(sessions_mu_);
    sessions_[out.session.token_key] = record;
  }
  return out;
}

Status Accounts::CountFailure(const std::string& user_id) {
  std::uint32_t attempts = 0;
  {
    std::lock_guard lock(credential_mu_);
    Result<std::optional<CredentialRecord>> stored = store_->GetCredential(user_id);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return Status::Ok();
    CredentialRecord r = **stored;
    attempts = ++r.failed_attempts;
    r.updated_at_us = clock_->NowMicros();
    NRPF_RETURN_IF_ERROR(store_->PutCredential(user_id, r));
  }
  if (attempts < options_.max_failed_logins) return Status::Ok();
  // The lock is the server acting for the account itself: the one path that
  // writes reason FailedLogins (clients cannot ask for it).
  domain::CommandRequest lock;
  lock.actor_user_id = user_id;
  lock.command = domain::LockUser{user_id, domain::fb::LockReason::FailedLogins, attempts};
  Result<domain::CommandOutcome> locked = service_->Execute(lock);
  if (!locked.ok() && locked.status().reason() != "already_locked") return locked.status();
  if (locked.ok()) {
    metrics_->lockouts.fetch_add(1);
    spdlog::warn("an account was locked after {} failed logins", attempts);
  }
  return RevokeAll(user_id);
}

Result<Session> Accounts::Authenticate(const std::string& token, std::string_view token_key) {
  if (token.empty()) {
    return api::Refusal(Code::kPermissionDenied, reason::kNotAuthenticated, "log in first");
  }
  const std::string key = token_key.empty() ? TokenKey(token) : std::string(token_key);
  SessionRecord record;
  {
    std::shared_lock lock(sessions_mu_);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) {
      return api::Refusal(Code::kPermissionDenied, reason::kSessionInvalid, "the session is unknown or ended");
    }
    record = it->second;
  }
  if (record.expires_at_us <= clock_->NowMicros()) {
    NRPF_RETURN_IF_ERROR(Forget(key, record.user_id));
    return api::Refusal(Code::kPermissionDenied, reason::kSessionExpired, "the session expired; log in again");
  }
  // Every request comes here: read two flags, not a copy of the account.
  enum class Standing { kActive, kLocked, kGone };
  const Standing standing = service_->projector().Read([&](const projections::Projections& p) {
    const domain::UserState* u = p.User(record.user_id);
    if (u == nullptr || u->user_id.empty() || u->deleted) return Standing::kGone;
    return u->locked ? Standing::kLocked : Standing::kActive;
  });
  if (standing != Standing::kActive) {
    NRPF_RETURN_IF_ERROR(RevokeAll(record.user_id));
    if (standing == Standing::kLocked) return Status::PermissionDenied("the account is locked").WithReason("account_locked");
    return Status::PermissionDenied("the account is deleted").WithReason("account_deleted");
  }
  return Session{key, record.user_id, record.expires_at_us, record.must_change_password};
}

Status Accounts::Logout(const Session& session) {
  Status s = Forget(session.token_key, session.user_id);
  if (sessions_ended_) sessions_ended_();
  return s;
}

Status Accounts::Forget(const std::string& token_key, const std::string& user_id) {
  {
    std::unique_lock lock(sessions_mu_);
    sessions_.erase(token_key);
  }
  return store_->DeleteSession(token_key, user_id);
}

Status Accounts::ChangePassword(const Session& session, std::string_view current, std::string_view next) {
  if (next.size() < options_.min_password_length || next.size() > options_.max_password_length) {
    return api::Refusal(Code::kInvalidArgument, reason::kPasswordInvalid,
                        "a password must be " + std::to_string(options_.min_password_length) + " to " +
                            std::to_string(options_.max_password_length) + " bytes")
        .WithField("new_password");
  }
  if (next == current) {
    return api::Refusal(Code::kFailedPrecondition, reason::kPasswordUnchanged, "choose a different password");
  }
  const std::string& user_id = session.user_id;
  Result<std::optional<CredentialRecord>> stored = store_->GetCredential(user_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return BadCredentials();
  bool match = false;
  Result<std::string> hash = Status::Ok();
  Hashed([&] {
    match = CheckPassword((*stored)->password_hash, current);
    if (match) hash = HashPassword(next, cost_);
  });
  if (!match) {
    metrics_->logins_failed.fetch_add(1);
    NRPF_RETURN_IF_ERROR(CountFailure(user_id));
    return BadCredentials();
  }
  if (!hash.ok()) return hash.status();
  {
    std::lock_guard lock(credential_mu_);
    NRPF_RETURN_IF_ERROR(store_->PutCredential(user_id, {*hash, false, 0, clock_->NowMicros()}));
  }
  NRPF_RETURN_IF_ERROR(RevokeAll(user_id, session.token_key));
  SessionRecord record{user_id, clock_->NowMicros(), session.expires_at_us, false};
  {
    std::unique_lock lock(sessions_mu_);
    auto it = sessions_.find(session.token_key);
    if (it == sessions_.end()) return Status::Ok();  // logged out meanwhile
    record.created_at_us = it->second.created_at_us;
    it->second = record;
  }
  return store_->PutSession(session.token_key, record);
}

Result<std::string> Accounts::IssueOneTimePassword(const std::string& user_id) {
  const std::string otp = NewOneTimePassword();
  Result<std::string> hash = Status::Ok();
  Hashed([&] { hash = HashPassword(otp, cost_); });
  if (!hash.ok()) return hash.status();
  {
    std::lock_guard lock(credential_mu_);
    NRPF_RETURN_IF_ERROR(store_->PutCredential(user_id, {*hash, true, 0, clock_->NowMicros()}));
  }
  NRPF_RETURN_IF_ERROR(RevokeAll(user_id));
  return otp;
}

Status Accounts::RevokeAll(const std::string& user_id, const std::string& except_token_key) {
  Result<std::vector<std::string>> keys = store_->SessionsOf(user_id);
  if (!keys.ok()) return keys.status();
  bool ended = false;
  Status s;
  for (const std::string& key : *keys) {
    if (key == except_token_key) continue;
    ended = true;
    s = Forget(key, user_id);
    if (!s.ok()) break;
  }
  if (ended && sessions_ended_) sessions_ended_();
  return s;
}

bool Accounts::ActsAfter(const domain::Command& command) {
  return std::holds_alternative<domain::CreateUser>(command) || std::holds_alternative<domain::ResetPassword>(command) ||
         std::holds_alternative<domain::DeleteUser>(command) || std::holds_alternative<domain::ChangeUserRole>(command) ||
         std::holds_alternative<domain::LockUser>(command) || std::holds_alternative<domain::UnlockUser>(command);
}

Result<std::string> Accounts::AfterCommand(const domain::Command& command, const domain::CommandOutcome& outcome) {
  const std::string* issue_to = nullptr;
  if (const auto* c = std::get_if<domain::CreateUser>(&command)) issue_to = &c->user_id;
  if (const auto* c = std::get_if<domain::ResetPassword>(&command)) issue_to = &c->user_id;
  if (issue_to != nullptr) {
    if (outcome.duplicate) {
      // A retry: a fresh one-time password while the account has not chosen its own.
      Result<std::optional<CredentialRecord>> stored = store_->GetCredential(*issue_to);
      if (!stored.ok()) return stored.status();
      if (stored->has_value() && !(*stored)->must_change) return std::string();
    }
    return IssueOneTimePassword(*issue_to);
  }
  if (const auto* c = std::get_if<domain::DeleteUser>(&command)) {
    NRPF_RETURN_IF_ERROR(RevokeAll(c->user_id));
    NRPF_RETURN_IF_ERROR(store_->DeleteCredential(c->user_id));
    return std::string();
  }
  if (const auto* c = std::get_if<domain::ChangeUserRole>(&command)) {
    NRPF_RETURN_IF_ERROR(RevokeAll(c->user_id));
    return std::string();
  }
  if (const auto* c = std::get_if<domain::LockUser>(&command)) {
    NRPF_RETURN_IF_ERROR(RevokeAll(c->user_id));
    return std::string();
  }
  if (const auto* c = std::get_if<domain::UnlockUser>(&command)) {
    std::lock_guard lock(credential_mu_);
    Result<std::optional<CredentialRecord>> stored = store_->GetCredential(c->user_id);
    if (!stored.ok()) return stored.status();
    if (stored->has_value() && (*stored)->failed_attempts != 0) {
      CredentialRecord r = **stored;
      r.failed_attempts = 0;
      NRPF_RETURN_IF_ERROR(store_->PutCredential(c->user_id, r));
    }
    return std::string();
  }
  return std::string();
}

void Accounts::PurgeExpired() {
  const std::int64_t now = clock_->NowMicros();
  std::vector<std::pair<std::string, std::string>> expired;
  {
    std::shared_lock lock(sessions_mu_);
    for (const auto& [key, r] : sessions_) {
      if (r.expires_at_us <= now) expired.emplace_back(key, r.user_id);
    }
  }
  for (const auto& [key, user] : expired) {
    Status s = Forget(key, user);
    if (!s.ok()) spdlog::warn("cannot forget an expired session: {}", s.ToString());
  }
}

std::size_t Accounts::session_count() const {
  std::shared_lock lock(sessions_mu_);
  return sessions_.size();
}

}  // namespace nrpf::server
