#include "ledger/sealer.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace nrpf::ledger {

namespace {

constexpr std::size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;

std::string SealAad(std::string_view subject_id, std::string_view label,
                    std::string_view event_id) {
  std::string aad("nrpf-seal-v1");
  aad.push_back('\0');
  aad.append(subject_id);
  aad.push_back('\0');
  aad.append(label);
  aad.push_back('\0');
  aad.append(event_id);
  return aad;
}

std::string WrapAad(std::string_view subject_id) {
  std::string aad("nrpf-subject-key-v1");
  aad.push_back('\0');
  aad.append(subject_id);
  return aad;
}

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

SealedBytes SealSection(const DataKey& key, std::string_view subject_id, std::string_view label,
                        std::string_view event_id, std::string_view plaintext) {
  std::string nonce(kNonceSize, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  return SealSectionWithNonce(key, subject_id, label, event_id, plaintext, nonce);
}

void SealSectionInto(const DataKey& key, std::string_view subject_id, std::string_view label,
                     std::string_view event_id, std::string_view plaintext, std::string_view nonce,
                     unsigned char* out) {
  static_assert(kSealOverhead == kTagSize);
  const std::string aad = SealAad(subject_id, label, event_id);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out, &len, U(plaintext), plaintext.size(), U(aad), aad.size(),
                                             nullptr, U(nonce), key.data());
}

SealedBytes SealSectionWithNonce(const DataKey& key, std::string_view subject_id, std::string_view label,
                                 std::string_view event_id, std::string_view plaintext,
                                 std::string_view nonce) {
  SealedBytes out;
  out.nonce = std::string(nonce);
  out.ciphertext.resize(plaintext.size() + kTagSize);
  SealSectionInto(key, subject_id, label, event_id, plaintext, nonce, U(out.ciphertext));
  return out;
}

Result<std::string> OpenSection(const DataKey& key, std::string_view subject_id, std::string_view label,
                         std::string_view event_id, const SealedBytes& sealed) {
  if (sealed.nonce.size() != kNonceSize || sealed.ciphertext.size() < kTagSize) {
    return Status::Corruption("sealed section has a bad nonce or is too short");
  }
  std::string plain(sealed.ciphertext.size() - kTagSize, '\0');
  const std::string aad = SealAad(subject_id, label, event_id);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(U(plain), &len, nullptr, U(sealed.ciphertext),
                                                 sealed.ciphertext.size(), U(aad), aad.size(),
                                                 U(sealed.nonce), key.data()) != 0) {
    return Status::Corruption("sealed section of subject " + std::string(subject_id) +
                              " does not authenticate");
  }
  plain.resize(len);
  return plain;
}

RandomPool::~RandomPool() {
  sodium_memzero(key_.data(), key_.size());
  sodium_memzero(buf_.data(), buf_.size());
}

void RandomPool::Refill() {
  static_assert(randombytes_SEEDBYTES == 32);
  if (refills_++ % 256 == 0) randombytes_buf(key_.data(), key_.size());
  std::array<unsigned char, 32 + 4096> stream;
  static_assert(stream.size() == 32 + sizeof(buf_));
  randombytes_buf_deterministic(stream.data(), stream.size(), key_.data());
  std::memcpy(key_.data(), stream.data(), key_.size());
  std::memcpy(buf_.data(), stream.data() + key_.size(), buf_.size());
  sodium_memzero(stream.data(), stream.size());
  used_ = 0;
}

void RandomPool::Fill(char* out, std::size_t n) {
  while (n > 0) {
    if (used_ == buf_.size()) Refill();
    const std::size_t take = std::min(n, buf_.size() - used_);
    std::memcpy(out, buf_.data() + used_, take);
    sodium_memzero(buf_.data() + used_, take);  // handed-out bytes are not kept
    used_ += take;
    out += take;
    n -= take;
  }
}

DataKey NewDataKey() {
  DataKey k{};
  crypto_aead_xchacha20poly1305_ietf_keygen(k.data());
  return k;
}

MasterKey::MasterKey(MasterKey&& other) noexcept : key_(other.key_) {
  sodium_memzero(other.key_.data(), other.key_.size());
}

MasterKey& MasterKey::operator=(MasterKey&& other) noexcept {
  if (this != &other) {
    key_ = other.key_;
    sodium_memzero(other.key_.data(), other.key_.size());
  }
  return *this;
}

MasterKey::~MasterKey() { sodium_memzero(key_.data(), key_.size()); }

Result<MasterKey> MasterKey::LoadOrCreate(const std::string& path) {
  MasterKey mk;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    crypto_aead_xchacha20poly1305_ietf_keygen(mk.key_.data());
    std::string bytes(reinterpret_cast<const char*>(mk.key_.data()), mk.key_.size());
    Status s = WriteSecretFile(path, bytes);
    sodium_memzero(bytes.data(), bytes.size());
    if (!s.ok()) return s;
    return mk;
  }
  Result<std::string> bytes = ReadSecretFile(path);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != mk.key_.size()) {
    return Status::Corruption("master key " + path + " is not 32 bytes");
  }
  std::memcpy(mk.key_.data(), bytes->data(), mk.key_.size());
  sodium_memzero(bytes->data(), bytes->size());
  return mk;
}

std::string MasterKey::Wrap(std::string_view subject_id, const DataKey& key) const {
  std::string out(kNonceSize + key.size() + kTagSize, '\0');
  randombytes_buf(out.data(), kNonceSize);
  const std::string aad = WrapAad(subject_id);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(U(out) + kNonceSize, &len, key.data(), key.size(),
                                             U(aad), aad.size(), nullptr, U(out), key_.data());
  return out;
}

Result<DataKey> MasterKey::Unwrap(std::string_view subject_id, std::string_view wrapped) const {
  DataKey key{};
  if (wrapped.size() != kNonceSize + key.size() + kTagSize) {
    return Status::Corruption("wrapped key of subject " + std::string(subject_id) +
                              " has the wrong size");
  }
  const std::string aad = WrapAad(subject_id);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          key.data(), &len, nullptr, U(wrapped) + kNonceSize, wrapped.size() - kNonceSize,
          U(aad), aad.size(), U(wrapped), key_.data()) != 0) {
    return Status::Corruption("wrapped key of subject " + std::string(subject_id) +
                              " does not open with this master key");
  }
  return key;
}

DataKey MasterKey::DeriveSubkey(std::uint64_t id, const char (&context)[9]) const {
  DataKey sub{};
  crypto_kdf_derive_from_key(sub.data(), sub.size(), id, context, key_.data());
  return sub;
}

Status WriteSecretFile(const std::string& path, std::string_view contents) {
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) {
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return Status::IOError("cannot create " + p.parent_path().string() + ": " + ec.message());
  }
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(ErrnoText("cannot create", tmp));
  std::size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return Status::IOError(ErrnoText("cannot write", tmp));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Status::IOError(ErrnoText("cannot sync", tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError(ErrnoText("cannot rename", tmp));
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

Result<std::string> ReadSecretFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound(ErrnoText("cannot stat", path));
  if ((st.st_mode & 0077) != 0) {
    return Status::PermissionDenied(path + " is readable by others; chmod 600 it");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(ErrnoText("cannot open", path));
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return Status::IOError(ErrnoText("cannot read", path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace nrpf::ledger
