// Reads the ledger written by an earlier version (tests/fixtures/ledger-v1):
// every record parses, opens or reports its erasure, and the log verifies to
// the very checkpoint that version signed. Stored events are never rewritten.

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "ledger/ledger.h"
#include "test_util.h"

using namespace nrpf;
using namespace nrpf::ledger;

namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A private copy of the fixture (git does not keep the 0600 modes the ledger insists on).
LedgerOptions CopyFixture(const test::TempDir& dir, const std::string& name) {
  const std::filesystem::path src = std::filesystem::path(NRPF_FIXTURES) / name;
  std::filesystem::copy(src, dir.path() / name, std::filesystem::copy_options::recursive);
  LedgerOptions o;
  o.db_path = (dir.path() / name / "ledger").string();
  o.master_key_path = (dir.path() / name / "master.key").string();
  o.signing_key_dir = (dir.path() / name / "keys").string();
  o.origin = "fixture.nrpf-ledger.local/log";
  ::chmod(o.master_key_path.c_str(), 0600);
  for (const auto& k : std::filesystem::directory_iterator(o.signing_key_dir)) ::chmod(k.path().c_str(), 0600);
  return o;
}

std::string Describe(const Ledger& l, std::uint64_t p) {
  auto ev = l.Read(p);
  REQUIRE(ev.ok());
  const fb::Record* r = ev->record();
  std::ostringstream out;
  out << p << ' ' << r->stream_id()->str() << ' ' << r->stream_version() << ' ' << r->event_type()->str()
      << ' ' << r->recorded_at_us();
  if (r->sealed() != nullptr) {
    for (std::size_t i = 0; i < r->sealed()->size(); ++i) {
      auto plain = l.OpenSealed(*ev, i);
      if (!plain.ok()) REQUIRE(plain.status().code() == Code::kShredded);
      out << " | " << (plain.ok() ? *plain : "<shredded>");
    }
  }
  return out.str();
}

}  // namespace

TEST_CASE("records written by format v1 are read, opened and verified by this version", "[fixture]") {
  test::TempDir dir;
  LedgerOptions o = CopyFixture(dir, "ledger-v1");
  const std::filesystem::path src = std::filesystem::path(NRPF_FIXTURES) / "ledger-v1";
  std::istringstream expected(ReadFile(src / "expected.txt"));
  const std::string checkpoint = ReadFile(src / "checkpoint.txt");
  auto signed_note = ParseSignedNote(checkpoint);
  REQUIRE(signed_note.ok());
  auto cp = ParseCheckpointBody(signed_note->body);
  REQUIRE(cp.ok());

  for (bool read_only : {true, false}) {
    o.read_only = read_only;
    auto l = test::OpenOrDie(o);
    REQUIRE(l->Size() == cp->size);
    expected.clear();
    expected.seekg(0);
    std::string line;
    std::uint64_t p = 0;
    while (std::getline(expected, line)) CHECK(Describe(*l, p++) == line);
    CHECK(p == cp->size);
    CHECK(*l->SignedCheckpoint(cp->size) == checkpoint);
    auto report = l->Verify({});
    INFO(report.reason);
    CHECK(report.ok);
    CHECK(report.checkpoint.root == cp->root);
    CHECK(report.signing_keys.size() == 2);
    // Its indexes read as they were written.
    CHECK(*l->StreamVersion("case-1") == 3);
    CHECK(*l->StreamVersion("org-home-office") == 1);
    CHECK(*l->StreamVersion("case-2") == 0);
    auto stream = l->ReadStream("case-1", 2, 10);
    REQUIRE(stream.ok());
    REQUIRE(stream->size() == 2);
    CHECK(stream->front().position == 2);
  }
  // The old log accepts new events and still verifies, and a retry of a
  // command it stored is recognised as the same command.
  o.read_only = false;
  auto l = test::OpenOrDie(o);
  AppendRequest two{"cmd-two-streams", {"user-9", "home-office-nrpf", "home_office"}, {}, {{"case-1", 1}}, {}};
  two.events.push_back({"case-1", "status.checked", 2, "synthetic body 2", {}, {}});
  two.events.push_back({"org-home-office", "workload.counted", 1, "synthetic body 3", {}, {}});
  auto retried = l->Append(two);
  REQUIRE(retried.ok());
  CHECK(retried->duplicate);
  CHECK(retried->first_position == 2);
  REQUIRE(l->Append(test::Request("cmd-new", {test::Event("case-1", "case.reopened")}, {{"case-1", 3}})).ok());
  CHECK(*l->StreamVersion("case-1") == 4);
  CHECK(l->Verify({}).ok);
  // Proofs over old and new events alike: the old ones' leaves come from
  // their records, the new ones' from stored leaf hashes.
  const Hash root = *l->RootAt(l->Size());
  for (std::uint64_t p = 0; p < l->Size(); ++p) {
    auto proof = l->ProveInclusion(p, l->Size());
    REQUIRE(proof.ok());
    CHECK(VerifyInclusion(p, l->Size(), LeafHash(l->Read(p)->bytes), *proof, root).ok());
  }
  auto consistent = l->ProveConsistency(cp->size, l->Size());
  REQUIRE(consistent.ok());
  CHECK(VerifyConsistency(cp->size, l->Size(), cp->root, root, *consistent).ok());
  // And once upgraded, a read-only view reads old and new alike.
  l.reset();
  o.read_only = true;
  auto view = test::OpenOrDie(o);
  CHECK(*view->StreamVersion("case-1") == 4);
  CHECK(view->ReadStream("case-1", 1, 10)->size() == 4);
  CHECK(view->Verify({}).ok);
}
