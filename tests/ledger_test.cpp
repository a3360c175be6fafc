// Append, read, optimistic concurrency, idempotency, subscriptions, key
// rotation and reopening, on a real RocksDB in a scratch directory.

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <set>
#include <thread>

#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "test_util.h"

using namespace nrpf;
using namespace nrpf::ledger;
using nrpf::test::Event;
using nrpf::test::Request;

TEST_CASE("a new ledger starts with a genesis event that verifies", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  REQUIRE(l->Size() == 1);
  auto genesis = l->Read(0);
  REQUIRE(genesis.ok());
  CHECK(genesis->record()->event_type()->str() == "ledger.genesis");
  CHECK(genesis->record()->stream_id()->str() == "$ledger");
  auto keys = l->PublicKeys();
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 1);
  auto report = l->Verify({});
  CHECK(report.ok);
  CHECK(report.events_checked == 1);
  CHECK(report.signing_keys == std::vector<std::string>{(*keys)[0].key.ToString()});
}

TEST_CASE("appended events are read back by position, stream and subject", "[ledger]") {
  test::TempDir dir;
  ManualClock clock(1'700'000'000'000'000);
  auto l = test::OpenOrDie(test::OptionsIn(dir, &clock));
  NewEvent a = Event("case-1", "case.created", "A");
  a.subjects = {"person-1"};
  NewEvent b = Event("case-2", "case.created", "B");
  auto r = l->Append(Request("cmd-1", {a, b}, {{"case-1", 0}, {"case-2", 0}}));
  REQUIRE(r.ok());
  CHECK(r->first_position == 1);
  CHECK(r->count == 2);
  CHECK(r->recorded_at_us == 1'700'000'000'000'000);
  CHECK_FALSE(r->duplicate);
  clock.Advance(5);
  REQUIRE(l->Append(Request("cmd-2", {Event("case-1", "case.amended", "C")}, {{"case-1", 1}})).ok());
  CHECK(l->Size() == 4);

  auto range = l->ReadRange(1, 10);
  REQUIRE(range.ok());
  REQUIRE(range->size() == 3);
  const fb::Record* first = (*range)[0].record();
  CHECK(first->position() == 1);
  CHECK(first->stream_id()->str() == "case-1");
  CHECK(first->stream_version() == 1);
  CHECK(first->command_id()->str() == "cmd-1");
  CHECK(first->actor()->user_id()->str() == "user-1");
  CHECK(first->actor()->organisation_id()->str() == "council-1");
  CHECK(first->actor()->role()->str() == "council_user");
  CHECK(first->event_id()->size() == 16);
  CHECK(std::string(reinterpret_cast<const char*>(first->body()->data()), first->body()->size()) == "A");
  CHECK((*range)[2].record()->recorded_at_us() == 1'700'000'000'000'005);

  auto stream = l->ReadStream("case-1", 1, 10);
  REQUIRE(stream.ok());
  REQUIRE(stream->size() == 2);
  CHECK((*stream)[0].position == 1);
  CHECK((*stream)[1].position == 3);
  CHECK((*stream)[1].record()->stream_version() == 2);
  auto from2 = l->ReadStream("case-1", 2, 10);
  REQUIRE(from2.ok());
  REQUIRE(from2->size() == 1);
  CHECK(*l->StreamVersion("case-1") == 2);
  CHECK(*l->StreamVersion("case-2") == 1);
  CHECK(*l->StreamVersion("case-3") == 0);

  auto subject = l->ReadSubject("person-1", 0, 10);
  REQUIRE(subject.ok());
  REQUIRE(subject->size() == 1);
  CHECK((*subject)[0].position == 1);
  CHECK(l->Verify({}).ok);
}

TEST_CASE("a stale expected version is refused with the stream's current version", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  REQUIRE(l->Append(Request("c1", {Event("case-1", "case.created")}, {{"case-1", 0}})).ok());
  REQUIRE(l->Append(Request("c2", {Event("case-1", "case.amended")}, {{"case-1", 1}})).ok());
  auto stale = l->Append(Request("c3", {Event("case-1", "case.amended")}, {{"case-1", 1}}));
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().code() == Code::kWrongExpectedVersion);
  REQUIRE(stale.status().current_version().has_value());
  CHECK(*stale.status().current_version() == 2);
  auto exists = l->Append(Request("c4", {Event("case-1", "case.created")}, {{"case-1", 0}}));
  CHECK(exists.status().code() == Code::kWrongExpectedVersion);
  CHECK(l->Size() == 3);
}

TEST_CASE("an append across streams is all or nothing", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  REQUIRE(l->Append(Request("c1", {Event("case-2", "case.created")})).ok());
  const std::uint64_t before = l->Size();
  // case-1 would be fine; case-2 is stale: neither is written.
  auto r = l->Append(Request("c2", {Event("case-1", "case.created"), Event("case-2", "case.amended")},
                             {{"case-1", 0}, {"case-2", 0}}));
  CHECK(r.status().code() == Code::kWrongExpectedVersion);
  CHECK(l->Size() == before);
  CHECK(*l->StreamVersion("case-1") == 0);
  // The command id of a refused request is free to use again.
  auto ok = l->Append(Request("c2", {Event("case-1", "case.created")}, {{"case-1", 0}}));
  CHECK(ok.ok());
}

TEST_CASE("a retried command returns the original positions and writes nothing", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  auto req = Request("retry-me", {Event("case-1", "case.created"), Event("case-1", "case.amended")},
                     {{"case-1", 0}});
  auto first = l->Append(req);
  REQUIRE(first.ok());
  const std::uint64_t size = l->Size();
  auto again = l->Append(req);  // the expectation would now fail; the retry must not
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->first_position == first->first_position);
  CHECK(again->count == 2);
  CHECK(again->recorded_at_us == first->recorded_at_us);
  CHECK(l->Size() == size);
  auto looked = l->LookupCommand("retry-me");
  REQUIRE(looked.ok());
  CHECK(looked->first_position == first->first_position);
  CHECK(l->LookupCommand("never").status().code() == Code::kNotFound);

  auto changed = req;
  changed.events[0].body = "different";
  auto reused = l->Append(changed);
  CHECK(reused.status().code() == Code::kCommandIdReused);
  CHECK(l->Size() == size);
}

TEST_CASE("retries racing the original are written once and all see the same positions", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  for (int round = 0; round < 20; ++round) {
    const std::string id = "race-" + std::to_string(round);
    auto req = Request(id, {Event("stream-" + std::to_string(round), "thing.happened")});
    std::vector<std::thread> threads;
    std::vector<Result<AppendResult>> results(8, Status::Unavailable("not run"));
    // Unrelated traffic so the retries land in different commit groups.
    std::thread noise([&] {
      for (int i = 0; i < 20; ++i) (void)l->Append(Request("", {Event("noise", "n")}));
    });
    for (int t = 0; t < 8; ++t) threads.emplace_back([&, t] { results[t] = l->Append(req); });
    for (auto& t : threads) t.join();
    noise.join();
    int originals = 0;
    for (auto& r : results) {
      REQUIRE(r.ok());
      CHECK(r->first_position == results[0]->first_position);
      originals += r->duplicate ? 0 : 1;
    }
    CHECK(originals == 1);
    auto stream = l->ReadStream("stream-" + std::to_string(round), 1, 10);
    REQUIRE(stream.ok());
    CHECK(stream->size() == 1);
  }
  CHECK(l->Verify({}).ok);
}

TEST_CASE("a fingerprinted command id matches its fingerprint, whatever the events, racing or stored", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  // Each retry decides other events (another stream, another subject): only
  // the fingerprint, its personal part keyed by the first's subjects, counts.
  auto attempt = [](const std::string& id, int n, const std::string& content, const std::string& personal) {
    auto req = Request(id, {Event("case-" + std::to_string(n), "thing.happened", "body " + std::to_string(n))});
    req.events[0].personal.push_back({"subject-" + std::to_string(n), "person", "secret " + std::to_string(n)});
    req.fingerprint = CommandFingerprint{content, personal};
    return req;
  };
  for (int round = 0; round < 10; ++round) {
    const std::string id = "fp-" + std::to_string(round);
    std::vector<std::thread> threads;
    std::vector<Result<AppendResult>> results(6, Status::Unavailable("not run"));
    std::thread noise([&] {
      for (int i = 0; i < 20; ++i) (void)l->Append(Request("", {Event("noise", "n")}));
    });
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] { results[t] = l->Append(attempt(id, round * 100 + t, "content", "personal")); });
    }
    for (auto& t : threads) t.join();
    noise.join();
    int originals = 0;
    for (auto& r : results) {
      REQUIRE(r.ok());
      CHECK(r->first_position == results[0]->first_position);
      originals += r->duplicate ? 0 : 1;
    }
    CHECK(originals == 1);
    // Stored: the same fingerprint is the first result, any other is reused.
    CommandFingerprint same{"content", "personal"};
    auto looked = l->LookupCommand(id, same);
    REQUIRE(looked.ok());
    CHECK(looked->first_position == results[0]->first_position);
    CHECK(l->Append(attempt(id, 9999, "content", "personal"))->duplicate);
    for (const CommandFingerprint& other : {CommandFingerprint{"other", "personal"}, CommandFingerprint{"content", "other"},
                                            CommandFingerprint{"content", ""}}) {
      CHECK(l->LookupCommand(id, other).status().code() == Code::kCommandIdReused);
      CHECK(l->Append(attempt(id, 9998, other.content, other.personal)).status().code() == Code::kCommandIdReused);
    }
    // Without a fingerprint, the same id is another request.
    CHECK(l->Append(Request(id, {Event("case-x", "thing.happened")})).status().code() == Code::kCommandIdReused);
  }
  // Personal data with nothing sealed to key it is refused.
  auto unsealed = Request("fp-unsealed", {Event("case-u", "thing.happened")});
  unsealed.fingerprint = CommandFingerprint{"content", "personal"};
  CHECK(l->Append(unsealed).status().code() == Code::kInvalidArgument);
  // Once a subject the command sealed is shredded, a fingerprint with
  // personal data cannot be compared; one without can.
  auto sealed = l->Read(l->LookupCommand("fp-0")->first_position);
  REQUIRE(sealed.ok());
  const std::string first_subject = sealed->record()->sealed()->Get(0)->subject_id()->str();
  REQUIRE(l->Shred(first_subject).ok());
  CHECK(l->LookupCommand("fp-0", CommandFingerprint{"content", "personal"}).status().code() == Code::kShredded);
  CHECK(l->LookupCommand("fp-0", CommandFingerprint{"content", "guess"}).status().code() == Code::kShredded);
  CHECK(l->LookupCommand("fp-0", CommandFingerprint{"content", ""}).status().code() == Code::kCommandIdReused);
  CHECK(l->Verify({}).ok);
}

TEST_CASE("concurrent appenders get distinct gap-free positions", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  constexpr int kThreads = 16;
  constexpr int kEach = 50;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::uint64_t> positions;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = l->Append(Request("t" + std::to_string(t) + "-" + std::to_string(i),
                                   {Event("s" + std::to_string(t), "e")}));
        REQUIRE(r.ok());
        std::lock_guard<std::mutex> lock(mu);
        positions.insert(r->first_position);
      }
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(positions.size() == kThreads * kEach);
  CHECK(*positions.begin() == 1);
  CHECK(*positions.rbegin() == kThreads * kEach);
  for (int t = 0; t < kThreads; ++t) CHECK(*l->StreamVersion("s" + std::to_string(t)) == kEach);
  CHECK(l->Verify({}).ok);
}

TEST_CASE("pipeline stats count every acknowledged append and its wait in each stage", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  const PipelineStats before = l->Stats().pipeline;
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::atomic<std::uint64_t> waited_us{0};  // measured around each call
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto start = std::chrono::steady_clock::now();
        auto r = l->Append(Request("p" + std::to_string(t) + "-" + std::to_string(i),
                                   {Event("s" + std::to_string(t), "e")}));
        waited_us += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                         .count();
        REQUIRE(r.ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  const PipelineStats after = l->Stats().pipeline;
  const std::uint64_t appends = after.appends - before.appends;
  const std::uint64_t groups = after.groups - before.groups;
  CHECK(appends == kThreads * kEach);
  CHECK(groups >= 1);
  CHECK(groups <= appends);
  CHECK(after.wal_syncs - before.wal_syncs >= 1);
  CHECK(after.wal_syncs - before.wal_syncs <= groups);
  CHECK(after.wal_sync_us > before.wal_sync_us);  // a real fsync takes time
  CHECK(after.synced_us > before.synced_us);
  // Every stage lies inside the Append call that waited for it.
  const std::uint64_t stages = (after.queued_us - before.queued_us) + (after.sequenced_us - before.sequenced_us) +
                               (after.signed_us - before.signed_us) + (after.written_us - before.written_us) +
                               (after.synced_us - before.synced_us) + (after.completed_us - before.completed_us);
  CHECK(stages > 0);
  CHECK(stages <= waited_us.load() + appends);  // rounding: at most 1 us per append
}

TEST_CASE("bad requests are refused with a clear code and nothing written", "[ledger]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  o.max_record_bytes = 4096;
  auto l = test::OpenOrDie(o);
  CHECK(l->Append(Request("x", {})).status().code() == Code::kInvalidArgument);
  CHECK(l->Append(Request("x", {Event("", "t")})).status().code() == Code::kInvalidArgument);
  CHECK(l->Append(Request("x", {Event("s", "")})).status().code() == Code::kInvalidArgument);
  CHECK(l->Append(Request("x", {Event(std::string("a\0b", 3), "t")})).status().code() == Code::kInvalidArgument);
  CHECK(l->Append(Request("x", {Event("$ledger", "t")})).status().code() == Code::kInvalidArgument);
  CHECK(l->Append(Request(std::string(200, 'c'), {Event("s", "t")})).status().code() == Code::kInvalidArgument);
  CHECK(l->Append(Request("x", {Event("s", "t", std::string(8192, 'b'))})).status().code() == Code::kTooLarge);
  CHECK(l->Append(Request("x", {Event("s", "t")}, {{"s", 0}, {"s", 0}})).status().code() == Code::kInvalidArgument);
  CHECK(l->Size() == 1);

  // A full append queue refuses at once, with a reason to back off and retry.
  l.reset();
  o.max_queued_appends = 0;
  l = test::OpenOrDie(o);
  const Status full = l->Append(Request("y", {Event("s", "t")})).status();
  CHECK(full.code() == Code::kUnavailable);
  CHECK(full.reason() == "busy");
  CHECK(l->Size() == 1);
}

TEST_CASE("checkpoints are signed notes over the tree that ends with each event", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  // Past 2^5 and 2^7 leaves, in appends of varied size, so proofs use stored
  // nodes, nodes folded from stored leaf hashes, and both across commit groups.
  for (int i = 0; i < 150;) {
    std::vector<NewEvent> batch;
    for (int k = 0; k < 1 + i % 4; ++k, ++i) batch.push_back(Event("s", "e" + std::to_string(i)));
    REQUIRE(l->Append(Request("", batch)).ok());
  }
  auto keys = l->PublicKeys();
  REQUIRE(keys.ok());
  const VerifierKey& key = (*keys)[0].key;
  std::vector<Hash> leaves;
  for (std::uint64_t size = 1; size <= l->Size(); ++size) {
    auto event = l->Read(size - 1);
    REQUIRE(event.ok());
    leaves.push_back(LeafHash(event->bytes));
    auto note_text = l->SignedCheckpoint(size);
    REQUIRE(note_text.ok());
    auto note = ParseSignedNote(*note_text);
    REQUIRE(note.ok());
    auto cp = ParseCheckpointBody(note->body);
    REQUIRE(cp.ok());
    CHECK(cp->origin == "test.nrpf.local/log");
    CHECK(cp->size == size);
    CompactRange cr;
    for (const Hash& h : leaves) cr.Append(h, nullptr);
    CHECK(cp->root == cr.Root());
    CHECK(key.Verify(note->body, note->signatures[0].signature));
    CHECK(event->key_id == key.key_id());
    // Every event's inclusion in this checkpoint, and consistency with the previous ones.
    for (std::uint64_t p = 0; p < size; ++p) {
      auto proof = l->ProveInclusion(p, size);
      REQUIRE(proof.ok());
      CHECK(VerifyInclusion(p, size, leaves[p], *proof, cp->root).ok());
    }
    if (size > 1) {
      auto old_root = l->RootAt(size - 1);
      auto proof = l->ProveConsistency(size - 1, size);
      REQUIRE(proof.ok());
      CHECK(VerifyConsistency(size - 1, size, *old_root, cp->root, *proof).ok());
    }
  }
  CHECK(l->ProveInclusion(0, l->Size() + 1).status().code() == Code::kInvalidArgument);
}

TEST_CASE("key rotation is signed by the old key and later events by the new one", "[ledger]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  VerifierKey old_key, new_key;
  {
    auto l = test::OpenOrDie(o);
    REQUIRE(l->Append(Request("", {Event("s", "before")})).ok());
    old_key = (*l->PublicKeys())[0].key;
    auto rotated = l->RotateSigningKey({"ops-1", "network-support", "network_support"});
    REQUIRE(rotated.ok());
    new_key = *rotated;
    CHECK(new_key.key_id() != old_key.key_id());
    REQUIRE(l->Append(Request("", {Event("s", "after")})).ok());
    auto rotation = l->Read(2);
    REQUIRE(rotation.ok());
    CHECK(rotation->record()->event_type()->str() == "ledger.signing_key_rotated");
    CHECK(rotation->key_id == old_key.key_id());
    CHECK(l->Read(3)->key_id == new_key.key_id());
    auto keys = l->PublicKeys();
    REQUIRE(keys->size() == 2);
    CHECK((*keys)[1].first_position == 3);
    CHECK((*keys)[1].key.ToString() == new_key.ToString());
  }
  // Reopened, the ledger keeps signing with the new key and verifies end to end.
  auto l = test::OpenOrDie(o);
  REQUIRE(l->Append(Request("", {Event("s", "reopened")})).ok());
  CHECK(l->Read(4)->key_id == new_key.key_id());
  VerifyOptions vo;
  vo.trusted_keys = {old_key};
  auto report = l->Verify(vo);
  CHECK(report.ok);
  CHECK(report.signing_keys == std::vector<std::string>{old_key.ToString(), new_key.ToString()});
  // A verifier that trusts another genesis key refuses the log at position 0.
  vo.trusted_keys = {new_key};
  report = l->Verify(vo);
  CHECK_FALSE(report.ok);
  CHECK(report.first_bad_position == 0u);
}

TEST_CASE("a reopened ledger continues positions, versions and the tree", "[ledger]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  Hash root_before{};
  {
    auto l = test::OpenOrDie(o);
    for (int i = 0; i < 100; ++i) REQUIRE(l->Append(Request("c" + std::to_string(i), {Event("s", "e")})).ok());
    root_before = *l->RootAt(l->Size());
  }
  auto l = test::OpenOrDie(o);
  CHECK(l->Size() == 101);
  CHECK(*l->RootAt(101) == root_before);
  CHECK(*l->StreamVersion("s") == 100);
  auto dup = l->Append(Request("c5", {Event("s", "e")}));
  REQUIRE(dup.ok());
  CHECK(dup->duplicate);
  CHECK(dup->first_position == 6);
  REQUIRE(l->Append(Request("new", {Event("s", "e")}, {{"s", 100}})).ok());
  CHECK(l->Verify({}).ok);
}

TEST_CASE("a subscription catches up, follows live commits and can be cancelled", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  for (int i = 0; i < 5; ++i) REQUIRE(l->Append(Request("", {Event("s", "e")})).ok());
  auto sub = l->Subscribe(2);
  auto caught = sub->Next(100, std::chrono::milliseconds(0));
  REQUIRE(caught.ok());
  REQUIRE(caught->size() == 4);
  CHECK((*caught)[0].position == 2);
  CHECK(sub->position() == 6);
  auto none = sub->Next(100, std::chrono::milliseconds(20));
  REQUIRE(none.ok());
  CHECK(none->empty());

  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (void)l->Append(Request("", {Event("s", "live")}));
  });
  auto live = sub->Next(100, std::chrono::seconds(10));
  writer.join();
  REQUIRE(live.ok());
  REQUIRE(live->size() == 1);
  CHECK((*live)[0].position == 6);

  // Backpressure: a reader that asks for little gets little, and the rest waits in storage.
  for (int i = 0; i < 10; ++i) REQUIRE(l->Append(Request("", {Event("s", "e")})).ok());
  auto small = sub->Next(3, std::chrono::milliseconds(0));
  REQUIRE(small->size() == 3);
  CHECK(sub->position() == 10);

  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    sub->Cancel();
  });
  auto sub2 = l->Subscribe(l->Size());
  std::thread canceller2([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    sub2->Cancel();
  });
  auto cancelled = sub2->Next(10, std::chrono::seconds(10));
  canceller.join();
  canceller2.join();
  CHECK(cancelled.status().code() == Code::kCancelled);
}

TEST_CASE("a read-only view opens beside a running writer", "[ledger]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  auto writer = test::OpenOrDie(o);
  for (int i = 0; i < 10; ++i) REQUIRE(writer->Append(Request("", {Event("s", "e")})).ok());
  auto ro = o;
  ro.read_only = true;
  auto reader = test::OpenOrDie(ro);
  CHECK(reader->Size() == 11);
  CHECK(reader->Verify({}).ok);
  CHECK(reader->Append(Request("", {Event("s", "e")})).status().code() == Code::kUnavailable);
}

TEST_CASE("an invalid origin is refused before anything is written, a changed one on reopen", "[ledger]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  o.origin = "bad origin";
  CHECK(Ledger::Open(o).status().code() == Code::kInvalidArgument);
  o.origin = "good.example/log";
  REQUIRE(Ledger::Open(o).ok());  // the refused attempt left nothing behind
  o.origin = "other.example/log";
  CHECK(Ledger::Open(o).status().code() == Code::kFailedPrecondition);
}

TEST_CASE("a retried command with personal data is a duplicate until its subject is shredded", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  NewEvent e = Event("case-1", "case.created");
  e.personal.push_back({"person-1", "applicant", "SYNTHETIC Name"});
  auto req = Request("with-personal", {e});
  auto first = l->Append(req);
  REQUIRE(first.ok());
  auto retry = l->Append(req);
  REQUIRE(retry.ok());
  CHECK(retry->duplicate);
  CHECK(retry->first_position == first->first_position);
  auto other = req;
  other.events[0].personal[0].plaintext = "SYNTHETIC Other";
  CHECK(l->Append(other).status().code() == Code::kCommandIdReused);
  REQUIRE(l->Shred("person-1").ok());
  CHECK(l->Append(req).status().code() == Code::kShredded);
}

TEST_CASE("asynchronous appends settle every callback exactly once, in position order per stream", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  constexpr int kAppends = 500;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> calls(kAppends, 0);
  std::vector<std::uint64_t> positions(kAppends, 0);
  int settled = 0;
  for (int i = 0; i < kAppends; ++i) {
    l->AppendAsync(Request("async-" + std::to_string(i), {Event("s" + std::to_string(i % 4), "e")}),
                   [&, i](Result<AppendResult> r) {
                     std::lock_guard<std::mutex> lock(mu);  // Catch2 assertions stay on this thread
                     ++calls[i];
                     positions[i] = r.ok() ? r->first_position : 0;
                     if (++settled == kAppends) cv.notify_all();
                   });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return settled == kAppends; }));
  }
  for (int i = 0; i < kAppends; ++i) CHECK(calls[i] == 1);
  // Appends queued in order are sequenced in order.
  for (int i = 1; i < kAppends; ++i) CHECK(positions[i] > positions[i - 1]);
  CHECK(l->Size() == kAppends + 1);

  // A request refused before queueing is settled inline, with its code.
  bool refused = false;
  l->AppendAsync(Request("bad", {}), [&](Result<AppendResult> r) {
    refused = r.status().code() == Code::kInvalidArgument;
  });
  CHECK(refused);
}

TEST_CASE("closing the ledger settles appends still queued", "[ledger]") {
  test::TempDir dir;
  auto l = test::OpenOrDie(test::OptionsIn(dir));
  std::atomic<int> ok{0};
  std::atomic<int> settled{0};
  for (int i = 0; i < 200; ++i) {
    l->AppendAsync(Request("", {Event("s", "e")}), [&](Result<AppendResult> r) {
      ok += r.ok() ? 1 : 0;
      ++settled;
    });
  }
  l.reset();  // drains the queue: every callback runs before the destructor returns
  CHECK(settled == 200);
  CHECK(ok == 200);
  auto reopened = test::OpenOrDie(test::OptionsIn(dir));
  CHECK(reopened->Size() == 201);
}

TEST_CASE("index entries are found whether ingested into RocksDB or still in the in-memory tail", "[ledger]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  o.index_tail_entries = 40;  // ingest every dozen or so events
  constexpr int kEvents = 300;
  constexpr int kStreams = 7;
  auto check = [&](Ledger& l) {
    for (int s = 0; s < kStreams; ++s) {
      const std::string stream = "case-" + std::to_string(s);
      auto events = l.ReadStream(stream, 1, 1000);
      REQUIRE(events.ok());
      REQUIRE(events->size() == static_cast<std::size_t>((kEvents - s + kStreams - 1) / kStreams));
      for (std::size_t v = 0; v < events->size(); ++v) {
        CHECK((*events)[v].record()->stream_version() == v + 1);
        CHECK((*events)[v].record()->stream_id()->str() == stream);
      }
      CHECK(*l.StreamVersion(stream) == events->size());
      // From the middle, and a bounded page.
      auto tail = l.ReadStream(stream, 10, 5);
      REQUIRE(tail.ok());
      REQUIRE(tail->size() == 5);
      CHECK(tail->front().record()->stream_version() == 10);
    }
    auto person = l.ReadSubject("person-3", 0, 1000);
    REQUIRE(person.ok());
    CHECK(person->size() == kEvents / 5);
    for (const StoredEvent& e : *person) CHECK(e.record()->subjects()->Get(0)->str() == "person-3");
    for (int i = 0; i < kEvents; ++i) {
      auto found = l.LookupCommand("cmd-" + std::to_string(i));
      REQUIRE(found.ok());
      CHECK(l.Read(found->first_position)->record()->command_id()->str() == "cmd-" + std::to_string(i));
    }
  };
  {
    auto l = test::OpenOrDie(o);
    for (int i = 0; i < kEvents; ++i) {
      NewEvent e = test::Event("case-" + std::to_string(i % kStreams), "case.noted");
      e.personal.push_back({"person-" + std::to_string(i % 5), "applicant", "Name " + std::to_string(i)});
      REQUIRE(l->Append(test::Request("cmd-" + std::to_string(i), {e})).ok());
    }
    // Give the indexer a moment (up to 20 s on a loaded machine), then check
    // that both places hold entries.
    for (int wait = 0; wait < 2000 && l->Stats().indexed == 0; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const LedgerStats stats = l->Stats();
    CHECK(stats.events == kEvents + 1);
    CHECK(stats.indexed > 0);
    check(*l);
    // A retry of a command whose entry is already in RocksDB is still a retry.
    NewEvent again = test::Event("case-0", "case.noted");
    again.personal.push_back({"person-0", "applicant", "Name 0"});
    auto retried = l->Append(test::Request("cmd-0", {again}));
    REQUIRE(retried.ok());
    CHECK(retried->duplicate);
  }
  auto reopened = test::OpenOrDie(o);
  CHECK(reopened->Stats().indexed == kEvents + 1);  // the tail went in at close
  CHECK(reopened->Stats().index_tail_entries == 0);
  check(*reopened);
  o.read_only = true;
  auto view = test::OpenOrDie(o);
  check(*view);
}

TEST_CASE("reads racing an ingestion of the index tail miss no event", "[ledger]") {
  // An entry leaves the in-memory tail once RocksDB holds it. A reader that
  // looked in RocksDB before an ingestion and in the tail after it would miss
  // the entries moved between the two; every read here must be whole.
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  o.index_tail_entries = 6;  // an ingestion every couple of appends
  auto l = test::OpenOrDie(o);
  constexpr int kStreams = 3;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      NewEvent e = test::Event("case-" + std::to_string(i % kStreams), "case.noted");
      e.subjects.push_back("person-" + std::to_string(i % kStreams));
      REQUIRE(l->Append(test::Request("cmd-" + std::to_string(i), {e})).ok());
    }
    done = true;
  });
  // Event i is at position i + 1 (the genesis is 0), in stream i % kStreams.
  auto expected = [](std::uint64_t size, int stream) {
    const std::uint64_t events = size - 1;
    return (events + kStreams - 1 - stream) / kStreams;
  };
  int reads = 0;
  int whole = 0;
  while (!done || reads == 0) {
    const int s = reads % kStreams;
    const std::uint64_t size = l->Size();
    auto events = l->ReadStream("case-" + std::to_string(s), 1, 100000);
    auto person = l->ReadSubject("person-" + std::to_string(s), 0, 100000);
    REQUIRE(events.ok());
    REQUIRE(person.ok());
    bool ok = events->size() >= expected(size, s) && person->size() >= expected(size, s);
    for (std::size_t v = 0; ok && v < events->size(); ++v) ok = (*events)[v].record()->stream_version() == v + 1;
    whole += ok ? 1 : 0;
    ++reads;
  }
  writer.join();
  INFO(reads << " reads, " << whole << " whole, indexed " << l->Stats().indexed);
  CHECK(whole == reads);
  CHECK(l->Stats().indexed > 0);
}

TEST_CASE("read-only views open while the writer ingests indexes and compacts", "[ledger]") {
  test::TempDir dir;
  auto o = test::OptionsIn(dir);
  o.index_tail_entries = 30;  // an ingestion, and soon a compaction, every few appends
  auto writer = test::OpenOrDie(o);
  std::atomic<bool> done{false};
  std::thread appender([&] {
    for (int i = 0; !done; ++i) {
      NewEvent e = test::Event("case-" + std::to_string(i % 13), "case.noted");
      REQUIRE(writer->Append(test::Request("cmd-" + std::to_string(i), {e})).ok());
    }
  });
  auto ro = o;
  ro.read_only = true;
  for (int i = 0; i < 40; ++i) {
    auto view = Ledger::Open(ro);
    INFO(view.status().ToString());
    REQUIRE(view.ok());
    CHECK((*view)->Verify({}).ok);
  }
  done = true;
  appender.join();
  CHECK(writer->Stats().indexed > 0);
}
