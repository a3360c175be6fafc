// The credential store: password hashes and hashed session tokens in a
// RocksDB of their own (DIR/credentials), outside the log. Credentials are
// mutable; the log holds only facts about accounts.
//
// Layout (values are schema/credentials.fbs tables):
//   "p/" user_id                     -> Credential
//   "s/" token_key                   -> StoredSession
//   "u/" user_id "/" token_key       -> ""   (index: a user's sessions)
// token_key = hex BLAKE2b-256(token): a stolen copy of the store holds no
// usable token. Every write is synced before it returns.
//
// Thread-safe.

#ifndef NRPF_SERVER_CREDENTIAL_STORE_H_
#define NRPF_SERVER_CREDENTIAL_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace rocksdb {
class DB;
}

namespace nrpf::server {

struct CredentialRecord {
  std::string password_hash;
  bool must_change = false;
  std::uint32_t failed_attempts = 0;
  std::int64_t updated_at_us = 0;
};

struct SessionRecord {
  std::string user_id;
  std::int64_t created_at_us = 0;
  std::int64_t expires_at_us = 0;
  bool must_change_password = false;
};

class CredentialStore {
 public:
  // Opens or creates the store at `path` (mode 0700).
  static Result<std::unique_ptr<CredentialStore>> Open(const std::string& path);
  ~CredentialStore();
  CredentialStore(const CredentialStore&) = delete;
  CredentialStore& operator=(const CredentialStore&) = delete;

  // nullopt when the account has no credential.
  Result<std::optional<CredentialRecord>> GetCredential(const std::string& user_id) const;
  Status PutCredential(const std::string& user_id, const CredentialRecord& record);
  // Removes the credential and every session of the account.
  Status DeleteCredential(const std::string& user_id);
  // True when no account has a credential (a fresh store).
  Result<bool> NoCredentials() const;

  Status PutSession(const std::string& token_key, const SessionRecord& record);
  Status DeleteSession(const std::string& token_key, const std::string& user_id);
  // Token keys of the account's sessions.
  Result<std::vector<std::string>> SessionsOf(const std::string& user_id) const;
  // Every stored session, for loading at start.
  Status ForEachSession(const std::function<void(const std::string& token_key, const SessionRecord&)>& fn) const;

 private:
  explicit CredentialStore(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_CREDENTIAL_STORE_H_
