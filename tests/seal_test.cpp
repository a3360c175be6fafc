// Sealed personal data and crypto-shredding.

#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "ledger/coding.h"
#include "ledger/layout.h"
#include "ledger/ledger.h"
#include "ledger/sealer.h"
#include "test_util.h"

using namespace nrpf;
using namespace nrpf::ledger;

namespace {

// True when any file under `dir` contains `needle`.
bool AnyFileContains(const std::filesystem::path& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.find(needle) != std::string::npos) return true;
  }
  return false;
}

// The subject's wrapped data key as stored (without its tag and
// generation), read through RocksDB directly beside the writer: the ledger
// never hands out wrapped keys.
std::string StoredWrappedKey(const std::string& db_path, const std::string& subject) {
  std::string wrapped;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* n : layout::kCfNames) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> h;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), db_path, cfs, &h, &raw).ok());
  REQUIRE(raw->Get(rocksdb::ReadOptions(), h[layout::kSubjectKeys], subject, &wrapped).ok());
  for (auto* x : h) REQUIRE(raw->DestroyColumnFamilyHandle(x).ok());
  delete raw;
  REQUIRE(wrapped.size() > 40);
  return wrapped.substr(5);  // the wrapped key bytes themselves
}

NewEvent PersonEvent(const std::string& person, const std::string& name) {
  NewEvent e = test::Event("case-" + person, "case.created");
  e.personal.push_back({person, "applicant", name});
  return e;
}

}  // namespace

TEST_CASE("personal data is stored sealed and opens for its subject", "[seal]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  auto l = test::OpenOrDie(o);
  const std::string name = "Amara Okonkwo-Plaintext, born 2011-04-09";
  REQUIRE(l->Append(test::Request("c1", {PersonEvent("person-1", name)})).ok());
  auto e = l->Read(1);
  REQUIRE(e.ok());
  const fb::Record* r = e->record();
  REQUIRE(r->sealed()->size() == 1);
  CHECK(r->sealed()->Get(0)->subject_id()->str() == "person-1");
  CHECK(r->sealed()->Get(0)->label()->str() == "applicant");
  CHECK(r->sealed()->Get(0)->nonce()->size() == 24);
  CHECK(r->subjects()->size() == 1);
  CHECK(e->bytes.find("Amara") == std::string::npos);
  auto plain = l->OpenSealed(*e, 0);
  REQUIRE(plain.ok());
  CHECK(*plain == name);
  CHECK(l->OpenSealed(*e, 1).status().code() == Code::kInvalidArgument);

  // The master key file is private.
  struct stat st {};
  REQUIRE(::stat(o.master_key_path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  l.reset();
  CHECK_FALSE(AnyFileContains(o.db_path, "Amara"));
}

TEST_CASE("a sealed section moved to another subject or event does not open", "[seal]") {
  DataKey k = NewDataKey();
  SealedBytes s = SealSection(k, "person-1", "applicant", std::string(16, 'e'), "secret");
  CHECK(*OpenSection(k, "person-1", "applicant", std::string(16, 'e'), s) == "secret");
  CHECK(OpenSection(k, "person-2", "applicant", std::string(16, 'e'), s).status().code() == Code::kCorruption);
  CHECK(OpenSection(k, "person-1", "dependant", std::string(16, 'e'), s).status().code() == Code::kCorruption);
  CHECK(OpenSection(k, "person-1", "applicant", std::string(16, 'f'), s).status().code() == Code::kCorruption);
  CHECK(OpenSection(NewDataKey(), "person-1", "applicant", std::string(16, 'e'), s).status().code() == Code::kCorruption);
}

TEST_CASE("a readable master key file is refused", "[seal]") {
  test::TempDir dir;
  const std::string path = dir.Sub("master.key");
  REQUIRE(MasterKey::LoadOrCreate(path).ok());
  ::chmod(path.c_str(), 0644);
  CHECK(MasterKey::LoadOrCreate(path).status().code() == Code::kPermissionDenied);
}

TEST_CASE("shredding erases a subject's data from every file while proofs still verify", "[seal]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  auto l = test::OpenOrDie(o);
  REQUIRE(l->Append(test::Request("c1", {PersonEvent("person-1", "Kept Person")})).ok());
  REQUIRE(l->Append(test::Request("c2", {PersonEvent("person-2", "Erased Person")})).ok());
  NewEvent both = test::Event("case-x", "case.amended");
  both.personal.push_back({"person-1", "applicant", "Kept again"});
  both.personal.push_back({"person-2", "dependant", "Erased again"});
  REQUIRE(l->Append(test::Request("c3", {both})).ok());
  for (int i = 0; i < 50; ++i) REQUIRE(l->Append(test::Request("", {test::Event("other", "e")})).ok());
  const std::uint64_t size = l->Size();
  const Hash root = *l->RootAt(size);
  const std::string note_before = *l->SignedCheckpoint(size);

  // The wrapped key as stored, to look for it in the files afterwards.
  const std::string wrapped_tail = StoredWrappedKey(o.db_path, "person-2");
  // Before shredding the wrapped key is on disk (WAL or SST): the search works.
  REQUIRE(AnyFileContains(o.db_path, wrapped_tail));

  // Opened once before: the readers' key cache must not outlive the erasure.
  CHECK(*l->OpenSealed(*l->Read(2), 0) == "Erased Person");
  REQUIRE(l->Shred("person-2").ok());
  CHECK(*l->IsShredded("person-2"));
  CHECK_FALSE(*l->IsShredded("person-1"));
  CHECK_FALSE(AnyFileContains(o.db_path, wrapped_tail));

  auto e2 = l->Read(2);
  CHECK(l->OpenSealed(*e2, 0).status().code() == Code::kShredded);
  auto e3 = l->Read(3);
  CHECK(*l->OpenSealed(*e3, 0) == "Kept again");
  CHECK(l->OpenSealed(*e3, 1).status().code() == Code::kShredded);
  CHECK(*l->OpenSealed(*l->Read(1), 0) == "Kept Person");

  // Nothing about the log changed: same root, same signed checkpoint, proofs hold.
  CHECK(*l->RootAt(size) == root);
  CHECK(*l->SignedCheckpoint(size) == note_before);
  auto proof = l->ProveInclusion(2, size);
  REQUIRE(proof.ok());
  CHECK(VerifyInclusion(2, size, LeafHash(e2->bytes), *proof, root).ok());
  CHECK(l->Verify({}).ok);

  // New personal data for an erased subject is refused; others are not affected.
  CHECK(l->Append(test::Request("c4", {PersonEvent("person-2", "Back again")})).status().code() == Code::kShredded);
  CHECK(l->Append(test::Request("c5", {PersonEvent("person-1", "Still here")})).ok());

  // And it stays erased across a reopen.
  l.reset();
  l = test::OpenOrDie(o);
  CHECK(l->OpenSealed(*l->Read(2), 0).status().code() == Code::kShredded);
  CHECK_FALSE(AnyFileContains(o.db_path, wrapped_tail));
  CHECK(l->Verify({}).ok);
}

TEST_CASE("the small files that erasures leave are merged, and the log and its erasures hold", "[seal]") {
  test::TempDir dir;
  LedgerOptions o = test::OptionsIn(dir);
  o.small_file_merge_interval = std::chrono::milliseconds(0);  // merged by hand below
  constexpr int kSubjects = 40;
  std::uint64_t first_of_kept = 0;
  std::vector<std::string> wrapped;  // of some of the subjects erased
  {
    auto l = test::OpenOrDie(o);
    // Each erasure flushes every family, leaving one small file in each.
    for (int k = 0; k < kSubjects; ++k) {
      for (int i = 0; i < 5; ++i) {
        NewEvent e = test::Event("case-" + std::to_string(k), "case.noted");
        e.personal.push_back({"person-" + std::to_string(k), "applicant", "SECRET-NAME-" + std::to_string(k)});
        e.personal.push_back({"kept-" + std::to_string(k), "dependant", "KEPT-NAME-" + std::to_string(k)});
        auto r = l->Append(test::Request("c" + std::to_string(k) + "-" + std::to_string(i), {e}));
        REQUIRE(r.ok());
        if (k == 0 && i == 0) first_of_kept = r->first_position;
      }
      if (k % 10 == 0) wrapped.push_back(StoredWrappedKey(o.db_path, "person-" + std::to_string(k)));
      REQUIRE(l->Shred("person-" + std::to_string(k)).ok());
    }
    const LedgerStats before = l->Stats();
    Result<std::size_t> merged = l->MergeSmallFiles();
    REQUIRE(merged.ok());
    const LedgerStats after = l->Stats();
    INFO("files before " << before.sst_files << ", merged " << *merged << ", after " << after.sst_files);
    CHECK(*merged >= 3 * (8 - 1));  // records, signatures and leaves at least
    CHECK(after.small_files_merged == *merged);
    CHECK(after.small_file_merges_failed == 0);
    CHECK(after.sst_files + *merged <= before.sst_files);
    // Nothing was lost, nothing came back.
    CHECK(l->Verify({}).ok);
    for (int k = 0; k < kSubjects; ++k) {
      CHECK(*l->IsShredded("person-" + std::to_string(k)));
      CHECK_FALSE(*l->IsShredded("kept-" + std::to_string(k)));
    }
    auto event = l->Read(first_of_kept);
    REQUIRE(event.ok());
    CHECK(l->OpenSealed(*event, 0).status().code() == Code::kShredded);
    CHECK(*l->OpenSealed(*event, 1) == "KEPT-NAME-0");
    CHECK(l->Size() == 1 + kSubjects * 5);
    // A second pass finds nothing left to merge.
    CHECK(*l->MergeSmallFiles() < *merged);
  }
  // No erased key came back in a merged file (nor any plaintext, ever).
  REQUIRE(wrapped.size() == 4);
  for (const std::string& w : wrapped) CHECK_FALSE(AnyFileContains(o.db_path, w));
  CHECK_FALSE(AnyFileContains(dir.path(), "SECRET-NAME-"));
  auto reopened = test::OpenOrDie(o);
  CHECK(reopened->Verify({}).ok);
  CHECK(reopened->Size() == 1 + kSubjects * 5);
}

TEST_CASE("the indexer thread merges small files on its own", "[seal]") {
  test::TempDir dir;
  LedgerOptions o = test::OptionsIn(dir);
  o.small_file_merge_interval = std::chrono::milliseconds(50);
  auto l = test::OpenOrDie(o);
  for (int k = 0; k < 24; ++k) {
    NewEvent e = test::Event("case-" + std::to_string(k), "case.noted");
    e.personal.push_back({"person-" + std::to_string(k), "applicant", "name"});
    REQUIRE(l->Append(test::Request("c" + std::to_string(k), {e})).ok());
    REQUIRE(l->Shred("person-" + std::to_string(k)).ok());
  }
  for (int wait = 0; wait < 2000 && l->Stats().small_files_merged == 0; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(l->Stats().small_files_merged > 0);
  CHECK(l->Verify({}).ok);
}
