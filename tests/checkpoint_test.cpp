// Checkpoints and signed notes against the published C2SP and Go vectors.

#include <catch2/catch.hpp>

#include "ledger/checkpoint.h"
#include "ledger/coding.h"

using namespace nrpf::ledger;

namespace {
// golang.org/x/mod/sumdb/note package documentation.
constexpr const char* kPeterPrivate = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr const char* kPeterVkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr const char* kPeterText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr const char* kPeterSigLine =
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
// c2sp.org/signed-note, "Example".
constexpr const char* kSpecVkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr const char* kSpecNote =
    "This is an example message.\n\n"
    "\xE2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
}  // namespace

TEST_CASE("signing the Go note example reproduces the published signed note", "[checkpoint]") {
  auto key = SigningKey::Parse(kPeterPrivate);
  REQUIRE(key.ok());
  CHECK(key->verifier().ToString() == kPeterVkey);
  CHECK(key->ToPrivateText() == kPeterPrivate);
  NoteSignature sig{"PeterNeumann", key->verifier().key_id(), key->Sign(kPeterText)};
  CHECK(FormatSignedNote(kPeterText, {sig}) == std::string(kPeterText) + "\n" + kPeterSigLine);
}

TEST_CASE("the C2SP signed-note example verifies and a changed byte does not", "[checkpoint]") {
  auto vkey = VerifierKey::Parse(kSpecVkey);
  REQUIRE(vkey.ok());
  CHECK(vkey->key_id() == 0x530d903a);
  auto note = ParseSignedNote(kSpecNote);
  REQUIRE(note.ok());
  REQUIRE(note->signatures.size() == 1);
  CHECK(note->body == "This is an example message.\n");
  CHECK(note->signatures[0].key_id == vkey->key_id());
  CHECK(vkey->Verify(note->body, note->signatures[0].signature));
  CHECK_FALSE(vkey->Verify("This is an example message!\n", note->signatures[0].signature));
}

TEST_CASE("malformed verifier keys are refused", "[checkpoint]") {
  std::string good = kPeterVkey;
  CHECK(VerifierKey::Parse(good).ok());
  CHECK_FALSE(VerifierKey::Parse(good.substr(1)).ok());
  CHECK_FALSE(VerifierKey::Parse(good.substr(0, good.size() - 1)).ok());
  std::string wrong_id = good;
  wrong_id[13] = wrong_id[13] == '0' ? '1' : '0';
  CHECK_FALSE(VerifierKey::Parse(wrong_id).ok());
  CHECK_FALSE(VerifierKey::Parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
  CHECK_FALSE(VerifierKey::Parse("").ok());
}

TEST_CASE("checkpoint body is origin, decimal size and base64 root, each ending in a newline", "[checkpoint]") {
  Checkpoint cp{"example.com/log", 1234, Sha256("x")};
  const std::string body = CheckpointBody(cp);
  CHECK(body == "example.com/log\n1234\n" + Base64Encode(AsBytes(cp.root)) + "\n");
  auto parsed = ParseCheckpointBody(body);
  REQUIRE(parsed.ok());
  CHECK(parsed->origin == cp.origin);
  CHECK(parsed->size == 1234);
  CHECK(parsed->root == cp.root);
  CHECK_FALSE(ParseCheckpointBody("example.com/log\n01234\n" + Base64Encode(AsBytes(cp.root)) + "\n").ok());
  CHECK_FALSE(ParseCheckpointBody("example.com/log\n1234\n" + Base64Encode("short") + "\n").ok());
  CHECK_FALSE(ParseCheckpointBody("example.com/log\n1234\n").ok());
}

TEST_CASE("a generated key signs notes that parse and verify", "[checkpoint]") {
  auto key = SigningKey::Generate("nrpf.example/log");
  REQUIRE(key.ok());
  auto reparsed = SigningKey::Parse(key->ToPrivateText());
  REQUIRE(reparsed.ok());
  CHECK(reparsed->verifier().ToString() == key->verifier().ToString());
  const std::string body = CheckpointBody({"nrpf.example/log", 5, Sha256("root")});
  const std::string note = FormatSignedNote(body, {{"nrpf.example/log", key->verifier().key_id(), key->Sign(body)}});
  auto parsed = ParseSignedNote(note);
  REQUIRE(parsed.ok());
  CHECK(parsed->body == body);
  CHECK(key->verifier().Verify(parsed->body, parsed->signatures[0].signature));
  CHECK_FALSE(SigningKey::Generate("bad name").ok());
}
