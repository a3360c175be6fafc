// Sealed personal data and crypto-shredding.

#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
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

TEST_CASE("readers open what was just written with the key it was sealed with, read from nowhere, until a shred", "[seal]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  auto l = test::OpenOrDie(o);
  const std::uint64_t loads = l->Stats().reader_key_loads;
  REQUIRE(l->Append(test::Request("c1", {PersonEvent("person-1", "First Person")})).ok());
  NewEvent both = test::Event("case-x", "case.amended");
  both.personal.push_back({"person-1", "applicant", "First again"});
  both.personal.push_back({"person-2", "dependant", "Second Person"});
  REQUIRE(l->Append(test::Request("c2", {both})).ok());
  CHECK(*l->OpenSealed(*l->Read(1), 0) == "First Person");
  CHECK(*l->OpenSealed(*l->Read(2), 0) == "First again");
  CHECK(*l->OpenSealed(*l->Read(2), 1) == "Second Person");
  // Both keys came with the durable appends: no reader read one.
  CHECK(l->Stats().reader_key_loads == loads);

  REQUIRE(l->Shred("person-2").ok());
  CHECK(l->OpenSealed(*l->Read(2), 1).status().code() == Code::kShredded);
  CHECK(*l->OpenSealed(*l->Read(2), 0) == "First again");

  // A fresh open has nothing cached: the first read of a key reads it.
  l.reset();
  l = test::OpenOrDie(o);
  const std::uint64_t reopened = l->Stats().reader_key_loads;
  CHECK(*l->OpenSealed(*l->Read(1), 0) == "First Person");
  CHECK(l->Stats().reader_key_loads == reopened + 1);
  CHECK(l->OpenSealed(*l->Read(2), 1).status().code() == Code::kShredded);
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

TEST_CASE("appends racing for the same subjects all seal under one data key per subject", "[seal]") {
  // Many threads appending for the same subjects at once, with no key cache
  // to help: each subject gets one key, every section opens before and after
  // a reopen, and an erasure holds for every append after it, before and
  // after a reopen.
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  o.subject_key_cache_entries = 1;  // no cache to hide a stale read behind
  constexpr int kThreads = 8, kEach = 30, kSubjects = 4;
  auto race = [&](Ledger& l, const std::string& round) {
    std::vector<std::thread> threads;
    std::atomic<int> failed{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          const std::string subject = "person-" + std::to_string((t + i) % kSubjects);
          NewEvent e = test::Event("case-" + std::to_string(t), "case.noted");
          e.personal.push_back({subject, "note", round + " " + subject + " " + std::to_string(t * kEach + i)});
          if (!l.Append(test::Request("", {e})).ok()) ++failed;
        }
      });
    }
    for (std::thread& th : threads) th.join();
    CHECK(failed == 0);
  };
  auto all_open = [&](Ledger& l, std::size_t expected) {
    std::size_t opened = 0;
    for (int s = 0; s < kSubjects; ++s) {
      const std::string subject = "person-" + std::to_string(s);
      auto events = l.ReadSubject(subject, 0, 100000);
      REQUIRE(events.ok());
      for (const StoredEvent& e : *events) {
        auto plain = l.OpenSealed(e, 0);
        REQUIRE(plain.ok());
        CHECK(plain->find(subject + " ") != std::string::npos);
        ++opened;
      }
    }
    CHECK(opened == expected);
  };
  {
    auto l = test::OpenOrDie(o);
    race(*l, "first");  // every subject new: its first key is made while others queue
    all_open(*l, kThreads * kEach);
  }
  // Reopened: the stored keys are now what the sequencer read at the open.
  auto l = test::OpenOrDie(o);
  all_open(*l, kThreads * kEach);
  race(*l, "second");
  REQUIRE(l->Shred("person-0").ok());
  NewEvent after = test::Event("case-0", "case.noted");
  after.personal.push_back({"person-0", "note", "after erasure"});
  CHECK(l->Append(test::Request("", {after})).status().code() == Code::kShredded);
  l.reset();
  auto reopened = test::OpenOrDie(o);
  CHECK(reopened->Append(test::Request("", {after})).status().code() == Code::kShredded);
  auto survivors = reopened->ReadSubject("person-1", 0, 100000);
  REQUIRE(survivors.ok());
  for (const StoredEvent& e : *survivors) CHECK(reopened->OpenSealed(e, 0).ok());
  CHECK(reopened->Verify({}).ok);
}

TEST_CASE("an append held before it is queued is decided on what was sequenced meanwhile", "[seal]") {
  // The window in which an appending thread has built its append but not
  // yet queued it, held open on purpose: meanwhile the subject gets its
  // first key and the stream moves on.
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  o.subject_key_cache_entries = 1;
  std::mutex mu;
  std::condition_variable cv;
  int held = 0;
  bool release = false;
  o.before_queue = [&](const AppendRequest& r) {
    if (r.command_id.rfind("late-", 0) != 0) return;
    std::unique_lock lock(mu);
    ++held;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  auto l = test::OpenOrDie(o);
  NewEvent late_key = test::Event("case-2", "case.noted");
  late_key.personal.push_back({"person-new", "note", "sealed second"});
  AppendRequest late_stream = test::Request("late-stream", {test::Event("case-1", "case.noted")});
  late_stream.expectations.push_back({"case-1", 0});
  Result<AppendResult> key_result = Status::Unavailable("not run"), stream_result = Status::Unavailable("not run");
  std::thread a([&] { key_result = l->Append(test::Request("late-key", {late_key})); });
  std::thread b([&] { stream_result = l->Append(late_stream); });
  bool both_held;
  {
    std::unique_lock lock(mu);
    // Both are built, against no key and version 0.
    both_held = cv.wait_for(lock, std::chrono::seconds(30), [&] { return held == 2; });
    if (!both_held) release = true;
  }
  if (!both_held) {
    cv.notify_all();
    a.join();
    b.join();
  }
  REQUIRE(both_held);
  NewEvent first = test::Event("case-1", "case.noted");
  first.personal.push_back({"person-new", "note", "sealed first"});
  REQUIRE(l->Append(test::Request("early", {first})).ok());  // the first key; case-1 at 1
  NewEvent other = test::Event("case-3", "case.noted");
  other.personal.push_back({"person-other", "note", "evicts the cached key"});
  REQUIRE(l->Append(test::Request("other", {other})).ok());
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  a.join();
  b.join();
  REQUIRE(key_result.ok());
  // case-1 moved on after the append was built: the expectation is checked against that.
  REQUIRE(stream_result.status().code() == Code::kWrongExpectedVersion);
  CHECK(stream_result.status().current_version() == std::optional<std::uint64_t>(1));
  // Both sections of the subject open: one key, not a second one made over it.
  auto events = l->ReadSubject("person-new", 0, 10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK(*l->OpenSealed((*events)[0], 0) == "sealed first");
  CHECK(*l->OpenSealed((*events)[1], 0) == "sealed second");
  l.reset();
  o.before_queue = nullptr;
  auto reopened = test::OpenOrDie(o);
  auto again = reopened->ReadSubject("person-new", 0, 10);
  REQUIRE(again.ok());
  REQUIRE(again->size() == 2);
  CHECK(*reopened->OpenSealed((*again)[0], 0) == "sealed first");
  CHECK(*reopened->OpenSealed((*again)[1], 0) == "sealed second");
}
