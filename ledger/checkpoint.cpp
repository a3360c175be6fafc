#include "ledger/checkpoint.h"

#include <sodium.h>

#include <charconv>
#include <cstring>

#include "ledger/coding.h"

namespace nrpf::ledger {

namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";  // U+2014 then a space
constexpr unsigned char kEd25519Alg = 0x01;

bool ValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == '+' || c == 0x7f) return false;
  }
  return true;
}

// Splits "a\nb\n" into lines; nullopt when the text does not end in '\n'.
std::optional<std::vector<std::string_view>> Lines(std::string_view text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace

void AppendCheckpointBody(std::string_view origin, std::uint64_t size, const Hash& root,
                          std::string* out) {
  out->append(origin);
  out->push_back('\n');
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), size);
  out->append(digits, end);
  out->push_back('\n');
  char b64[48];
  sodium_bin2base64(b64, sizeof(b64), root.data(), root.size(), sodium_base64_VARIANT_ORIGINAL);
  out->append(b64);
  out->push_back('\n');
}

std::string CheckpointBody(const Checkpoint& cp) {
  std::string out;
  AppendCheckpointBody(cp.origin, cp.size, cp.root, &out);
  return out;
}

Result<Checkpoint> ParseCheckpointBody(std::string_view body) {
  auto lines = Lines(body);
  if (!lines || lines->size() < 3) {
    return Status::InvalidArgument("checkpoint needs origin, size and root lines");
  }
  Checkpoint cp;
  cp.origin = std::string((*lines)[0]);
  if (cp.origin.empty()) return Status::InvalidArgument("checkpoint origin is empty");
  std::string_view size_text = (*lines)[1];
  auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), cp.size);
  if (ec != std::errc() || ptr != size_text.data() + size_text.size() ||
      (size_text.size() > 1 && size_text[0] == '0')) {
    return Status::InvalidArgument("checkpoint size is not a canonical decimal");
  }
  auto root = Base64Decode((*lines)[2]);
  if (!root || root->size() != 32) {
    return Status::InvalidArgument("checkpoint root is not base64 of 32 bytes");
  }
  std::memcpy(cp.root.data(), root->data(), 32);
  return cp;
}

std::uint32_t NoteKeyId(std::string_view key_name, const std::array<unsigned char, 32>& public_key) {
  std::string material(key_name);
  material.push_back('\n');
  material.push_back(static_cast<char>(kEd25519Alg));
  material.append(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  Hash h = Sha256(material);
  return DecodeFixed32BE(reinterpret_cast<const char*>(h.data()));
}

VerifierKey::VerifierKey(std::string name, const std::array<unsigned char, 32>& public_key)
    : name_(std::move(name)), key_id_(NoteKeyId(name_, public_key)), public_key_(public_key) {}

Result<VerifierKey> VerifierKey::Parse(std::string_view vkey) {
  const std::size_t p1 = vkey.find('+');
  const std::size_t p2 = p1 == std::string_view::npos ? p1 : vkey.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return Status::InvalidArgument("vkey is not name+id+key");
  std::string_view name = vkey.substr(0, p1);
  std::string_view id_hex = vkey.substr(p1 + 1, p2 - p1 - 1);
  auto key = Base64Decode(vkey.substr(p2 + 1));
  if (!ValidKeyName(name)) return Status::InvalidArgument("vkey name is empty or has a space or '+'");
  if (!key || key->size() != 33 || static_cast<unsigned char>((*key)[0]) != kEd25519Alg) {
    return Status::InvalidArgument("vkey key is not base64(0x01 || 32-byte Ed25519 key)");
  }
  std::array<unsigned char, 32> pk{};
  std::memcpy(pk.data(), key->data() + 1, 32);
  VerifierKey v(std::string(name), pk);
  auto id = FromHex(id_hex);
  if (id_hex.size() != 8 || !id || DecodeFixed32BE(id->data()) != v.key_id_) {
    return Status::InvalidArgument("vkey id does not match its name and key");
  }
  return v;
}

std::string VerifierKey::ToString() const {
  std::string id;
  PutFixed32BE(&id, key_id_);
  std::string key(1, static_cast<char>(kEd25519Alg));
  key.append(reinterpret_cast<const char*>(public_key_.data()), public_key_.size());
  return name_ + "+" + ToHex(id) + "+" + Base64Encode(key);
}

bool VerifierKey::Verify(std::string_view message, const Signature& sig) const {
  return crypto_sign_verify_detached(sig.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), public_key_.data()) == 0;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : verifier_(std::move(other.verifier_)), secret_(other.secret_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    verifier_ = std::move(other.verifier_);
    secret_ = other.secret_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }

Result<SigningKey> SigningKey::Generate(std::string name) {
  if (!ValidKeyName(name)) return Status::InvalidArgument("key name is empty or has a space or '+'");
  std::array<unsigned char, 32> seed{};
  randombytes_buf(seed.data(), seed.size());
  std::array<unsigned char, 32> pk{};
  SigningKey key;
  crypto_sign_seed_keypair(pk.data(), key.secret_.data(), seed.data());
  sodium_memzero(seed.data(), seed.size());
  key.verifier_ = VerifierKey(std::move(name), pk);
  return key;
}

Result<SigningKey> SigningKey::Parse(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  constexpr std::string_view kPrefix = "PRIVATE+KEY+";
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return Status::InvalidArgument("private key does not start with PRIVATE+KEY+");
  }
  text.remove_prefix(kPrefix.size());
  const std::size_t p1 = text.find('+');
  const std::size_t p2 = p1 == std::string_view::npos ? p1 : text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return Status::InvalidArgument("private key is not name+id+key");
  std::string name(text.substr(0, p1));
  auto seed = Base64Decode(text.substr(p2 + 1));
  if (!ValidKeyName(name) || !seed || seed->size() != 33 ||
      static_cast<unsigned char>((*seed)[0]) != kEd25519Alg) {
    return Status::InvalidArgument("private key is malformed");
  }
  SigningKey key;
  std::array<unsigned char, 32> pk{};
  crypto_sign_seed_keypair(pk.data(), key.secret_.data(),
                           reinterpret_cast<const unsigned char*>(seed->data() + 1));
  sodium_memzero(seed->data(), seed->size());
  key.verifier_ = VerifierKey(std::move(name), pk);
  auto id = FromHex(text.substr(p1 + 1, p2 - p1 - 1));
  if (!id || id->size() != 4 || DecodeFixed32BE(id->data()) != key.verifier_.key_id()) {
    return Status::InvalidArgument("private key id does not match its name and key");
  }
  return key;
}

std::string SigningKey::ToPrivateText() const {
  std::string id;
  PutFixed32BE(&id, verifier_.key_id());
  std::string seed(1, static_cast<char>(kEd25519Alg));
  seed.append(reinterpret_cast<const char*>(secret_.data()), 32);  // seed half
  std::string text = "PRIVATE+KEY+" + verifier_.name() + "+" + ToHex(id) + "+" + Base64Encode(seed);
  sodium_memzero(seed.data(), seed.size());
  return text;
}

Signature SigningKey::Sign(std::string_view message) const {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return sig;
}

std::string FormatSignatureLine(const NoteSignature& sig) {
  std::string blob;
  PutFixed32BE(&blob, sig.key_id);
  blob.append(reinterpret_cast<const char*>(sig.signature.data()), sig.signature.size());
  std::string line(kEmDashSpace);
  line += sig.key_name;
  line += ' ';
  line += Base64Encode(blob);
  line += '\n';
  return line;
}

std::string FormatSignedNote(std::string_view body, const std::vector<NoteSignature>& sigs) {
  std::string note(body);
  note += '\n';
  for (const NoteSignature& s : sigs) note += FormatSignatureLine(s);
  return note;
}

Result<SignedNote> ParseSignedNote(std::string_view text) {
  const std::size_t split = text.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::InvalidArgument("signed note has no blank line before its signatures");
  }
  SignedNote note;
  note.body = std::string(text.substr(0, split + 1));
  auto lines = Lines(text.substr(split + 2));
  if (!lines || lines->empty()) return Status::InvalidArgument("signed note has no signature");
  for (std::string_view line : *lines) {
    if (line.substr(0, kEmDashSpace.size()) != kEmDashSpace) {
      return Status::InvalidArgument("signature line does not start with an em dash");
    }
    line.remove_prefix(kEmDashSpace.size());
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return Status::InvalidArgument("signature line has no key name");
    NoteSignature sig;
    sig.key_name = std::string(line.substr(0, sp));
    auto blob = Base64Decode(line.substr(sp + 1));
    if (!ValidKeyName(sig.key_name) || !blob || blob->size() < 5) {
      return Status::InvalidArgument("signature line is malformed");
    }
    sig.key_id = DecodeFixed32BE(blob->data());
    sig.ed25519 = blob->size() == 4 + sig.signature.size();
    if (sig.ed25519) std::memcpy(sig.signature.data(), blob->data() + 4, sig.signature.size());
    note.signatures.push_back(std::move(sig));
  }
  return note;
}

bool NoteSignedBy(const SignedNote& note, const VerifierKey& key) {
  bool signed_by = false;
  for (const NoteSignature& s : note.signatures) {
    if (s.key_name != key.name() || s.key_id != key.key_id()) continue;
    if (!s.ed25519 || !key.Verify(note.body, s.signature)) return false;
    signed_by = true;
  }
  return signed_by;
}

}  // namespace nrpf::ledger
