#include "server/credential_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>

#include <filesystem>

#include "schema/credentials_generated.h"

namespace nrpf::server {

namespace {

constexpr std::string_view kCredentialPrefix = "p/";
constexpr std::string_view kSessionPrefix = "s/";
constexpr std::string_view kUserSessionPrefix = "u/";

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  return Status::IOError("credential store: " + s.ToString());
}

rocksdb::WriteOptions Synced() {
  rocksdb::WriteOptions o;
  o.sync = true;
  return o;
}

std::string Key(std::string_view prefix, std::string_view id) { return std::string(prefix) + std::string(id); }
std::string UserSessionKey(const std::string& user_id, const std::string& token_key) {
  return Key(kUserSessionPrefix, user_id) + "/" + token_key;
}

std::string Bytes(flatbuffers::FlatBufferBuilder& fbb) {
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

template <typename T>
const T* Verified(const std::string& value) {
  flatbuffers::Verifier v(reinterpret_cast<const std::uint8_t*>(value.data()), value.size(), 8, 64);
  if (!v.VerifyBuffer<T>(nullptr)) return nullptr;
  return flatbuffers::GetRoot<T>(value.data());
}

std::string EncodeSession(const SessionRecord& r) {
  flatbuffers::FlatBufferBuilder fbb(128);
  fbb.Finish(fb::CreateStoredSessionDirect(fbb, r.user_id.c_str(), r.created_at_us, r.expires_at_us,
                                           r.must_change_password));
  return Bytes(fbb);
}

}  // namespace

CredentialStore::CredentialStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
CredentialStore::~CredentialStore() = default;

Result<std::unique_ptr<CredentialStore>> CredentialStore::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IOError("cannot create " + path + ": " + ec.message());
  ::chmod(path.c_str(), 0700);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.keep_log_file_num = 4;
  options.max_manifest_file_size = 16u << 20;
  rocksdb::DB* raw = nullptr;
  NRPF_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, path, &raw)));
  return std::unique_ptr<CredentialStore>(new CredentialStore(std::unique_ptr<rocksdb::DB>(raw)));
}

Result<std::optional<CredentialRecord>> CredentialStore::GetCredential(const std::string& user_id) const {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Key(kCredentialPrefix, user_id), &value);
  if (s.IsNotFound()) return std::optional<CredentialRecord>();
  NRPF_RETURN_IF_ERROR(FromRocks(s));
  const fb::Credential* c = Verified<fb::Credential>(value);
  if (c == nullptr) return Status::Corruption("credential store: a malformed credential");
  CredentialRecord r;
  r.password_hash = c->password_hash() ? c->password_hash()->str() : "";
  r.must_change = c->must_change();
  r.failed_attempts = c->failed_attempts();
  r.updated_at_us = c->updated_at_us();
  return std::optional<CredentialRecord>(std::move(r));
}

Status CredentialStore::PutCredential(const std::string& user_id, const CredentialRecord& r) {
  flatbuffers::FlatBufferBuilder fbb(256);
  fbb.Finish(fb::CreateCredentialDirect(fbb, r.password_hash.c_str(), r.must_change, r.failed_attempts,
                                        r.updated_at_us),
             fb::CredentialIdentifier());
  return FromRocks(db_->Put(Synced(), Key(kCredentialPrefix, user_id), Bytes(fbb)));
}

Status CredentialStore::DeleteCredential(const std::string& user_id) {
  Result<std::vector<std::string>> sessions = SessionsOf(user_id);
  if (!sessions.ok()) return sessions.status();
  rocksdb::WriteBatch batch;
  batch.Delete(Key(kCredentialPrefix, user_id));
  for (const std::string& key : *sessions) {
    batch.Delete(Key(kSessionPrefix, key));
    batch.Delete(UserSessionKey(user_id, key));
  }
  return FromRocks(db_->Write(Synced(), &batch));
}

Result<bool> CredentialStore::NoCredentials() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->Seek(std::string(kCredentialPrefix));
  const bool none = !it->Valid() || !it->key().starts_with(std::string(kCredentialPrefix));
  NRPF_RETURN_IF_ERROR(FromRocks(it->status()));
  return none;
}

Status CredentialStore::PutSession(const std::string& token_key, const SessionRecord& record) {
  rocksdb::WriteBatch batch;
  batch.Put(Key(kSessionPrefix, token_key), EncodeSession(record));
  batch.Put(UserSessionKey(record.user_id, token_key), "");
  return FromRocks(db_->Write(Synced(), &batch));
}

Status CredentialStore::DeleteSession(const std::string& token_key, const std::string& user_id) {
  rocksdb::WriteBatch batch;
  batch.Delete(Key(kSessionPrefix, token_key));
  batch.Delete(UserSessionKey(user_id, token_key));
  return FromRocks(db_->Write(Synced(), &batch));
}

Result<std::vector<std::string>> CredentialStore::SessionsOf(const std::string& user_id) const {
  const std::string prefix = Key(kUserSessionPrefix, user_id) + "/";
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.push_back(it->key().ToString().substr(prefix.size()));
  }
  NRPF_RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

Status CredentialStore::ForEachSession(
    const std::function<void(const std::string& token_key, const SessionRecord&)>& fn) const {
  const std::string prefix(kSessionPrefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string value = it->value().ToString();
    const fb::StoredSession* s = Verified<fb::StoredSession>(value);
    if (s == nullptr) return Status::Corruption("credential store: a malformed session");
    SessionRecord r;
    r.user_id = s->user_id() ? s->user_id()->str() : "";
    r.created_at_us = s->created_at_us();
    r.expires_at_us = s->expires_at_us();
    r.must_change_password = s->must_change_password();
    fn(it->key().ToString().substr(prefix.size()), r);
  }
  return FromRocks(it->status());
}

}  // namespace nrpf::server
