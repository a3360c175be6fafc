// CaseService's own mechanics, beside the rules: decisions pinned to what
// they read and decided again when it moves on, commands on one case taking
// turns, retries answered by their original, and the first start.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "projections/projector.h"
#include "tests/domain_world.h"
#include "tests/failing_fs.h"

namespace nrpf::test {
namespace {

// Holds a read of the world's projections from another thread, so the
// follower cannot apply anything, until destroyed.
class HeldProjections {
 public:
  explicit HeldProjections(World& w)
      : thread_([this, &w] {
          w.service->projector().Read([&](const projections::Projections&) {
            holding_ = true;
            while (!release_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return 0;
          });
        }) {
    while (!holding_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~HeldProjections() {
    release_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> release_{false};
  std::atomic<bool> holding_{false};
  std::thread thread_;
};

TEST_CASE("a decision holds only while the accounts and cases it read are unchanged", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  const std::string keep = w.NewCase("camden");
  auto decide = [&](const std::string& actor, const Command& command) {
    DecideInput in;
    in.actor_user_id = actor;
    in.now_us = w.clock.NowMicros();
    return w.service->projector().Read([&](const projections::Projections& p) {
      Result<Decision> d = Decide(command, in, p);
      REQUIRE(d.ok());
      ledger::AppendRequest append;
      append.actor = ActorOf(*p.User(actor));
      append.events = std::move(d->events);
      append.expectations = std::move(d->expectations);
      return append;
    });
  };
  auto pinned = [](const ledger::AppendRequest& a, const std::string& stream) {
    return std::any_of(a.expectations.begin(), a.expectations.end(),
                       [&](const ledger::StreamExpectation& x) { return x.stream_id == stream; });
  };
  // Allocated to an account deleted before the allocation is appended.
  ledger::AppendRequest allocate = decide("camden-admin", AllocateCaseworker{id, "camden-cw2"});
  CHECK(pinned(allocate, UserStream("camden-cw2")));
  CHECK(pinned(allocate, UserStream("camden-admin")));
  w.Do("camden-admin", DeleteUser{"camden-cw2"});
  CHECK(w.ledger->Append(std::move(allocate)).status().code() == Code::kWrongExpectedVersion);
  // Made by an account locked meanwhile.
  ledger::AppendRequest advice =
      decide("camden-cw1", RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""});
  w.Do("camden-admin", LockUser{"camden-cw1", fb::LockReason::ByAdmin, 0});
  CHECK(w.ledger->Append(std::move(advice)).status().code() == Code::kWrongExpectedVersion);
  w.Do("camden-admin", UnlockUser{"camden-cw1"});
  // Flagged against a case that moved on (here: itself flagged) meanwhile.
  ledger::AppendRequest flag = decide("camden-cw1", FlagDuplicate{id, keep});
  CHECK(pinned(flag, CaseStream(keep)));
  w.Do("camden-cw1", RecordAdvice{keep, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""});
  CHECK(w.ledger->Append(std::move(flag)).status().code() == Code::kWrongExpectedVersion);
  // Decided afresh, on the state as it now is, the same flag goes through.
  CHECK(w.Try("camden-cw1", FlagDuplicate{id, keep}, w.Case(id).version).ok());
}

// A command on another thread that has appended and waits, in its case's
// turn, for projections held from yet another thread; `Release()` lets it
// finish and returns its answer.
class WaitingInTurn {
 public:
  WaitingInTurn(World& w, const std::string& actor, Command command)
      : held_(std::make_unique<HeldProjections>(w)), before_(w.ledger->Size()) {
    thread_ = std::thread([this, &w, actor, command] { answer_ = w.Try(actor, command); });
    for (int i = 0; i < 10000 && w.ledger->Size() == before_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    appended_ = w.ledger->Size() == before_ + 1;
  }
  ~WaitingInTurn() { (void)Release(); }
  bool appended() const { return appended_; }
  std::uint64_t size_before() const { return before_; }
  Result<CommandOutcome> Release() {
    held_.reset();
    if (thread_.joinable()) thread_.join();
    return answer_;
  }

 private:
  std::unique_ptr<HeldProjections> held_;
  const std::uint64_t before_;
  bool appended_ = false;
  Result<CommandOutcome> answer_ = Status::Unavailable("not run");
  std::thread thread_;
};

TEST_CASE("commands racing on one case take turns and all go through", "[domain]") {
  World w;
  SECTION("through ExecuteAsync") { w.async = true; }
  SECTION("through Execute") { w.async = false; }
  const std::string id = w.NewCase("camden");
  const std::uint64_t before = w.Case(id).version;
  constexpr int kThreads = 8, kEach = 25;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string actor = t % 2 == 0 ? "camden-cw1" : "camden-cw2";
      for (int i = 0; i < kEach; ++i) {
        // Every one of them moves the case on: at once, they would conflict.
        if (!w.Try(actor, RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""}).ok()) ++failed;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(failed == 0);
  CHECK(w.Case(id).version == before + kThreads * kEach);
  CHECK(w.Case(id).advice.size() == std::size_t{kThreads * kEach});
}

TEST_CASE("past the waiters a case's turn allows, a command is refused at once and writes nothing", "[domain]") {
  ServiceOptions so;
  so.max_turn_waiters = 0;  // only the command whose turn it is
  World w(kWorldStart, so);
  const std::string id = w.NewCase("camden");
  const std::string other = w.NewCase("camden");
  const RecordAdvice advice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""};
  // Holding the projections still keeps a command that has appended waiting
  // for them, in its case's turn.
  WaitingInTurn waiting(w, "camden-cw1", advice);
  REQUIRE(waiting.appended());
  const std::uint64_t before = waiting.size_before();

  Result<CommandOutcome> busy = w.Try("camden-cw2", advice);
  CHECK(busy.status().code() == Code::kUnavailable);
  CHECK(busy.status().reason() == "case_busy");
  // A deleted account does not even queue for a turn.
  CHECK(w.Try("nobody", advice).status().code() == Code::kPermissionDenied);
  CHECK(w.ledger->Size() == before + 1);
  CHECK(waiting.Release().ok());
  // The turn was given back: the case and the other one take commands again.
  CHECK(w.Try("camden-cw2", advice).ok());
  CHECK(w.Try("camden-cw2", RecordAdvice{other, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""}).ok());
  CHECK(w.Case(id).advice.size() == 2);
}

TEST_CASE("a durable command the projections do not show within projection_wait is answered unavailable, and stays written", "[domain]") {
  ServiceOptions so;
  so.projection_wait = std::chrono::milliseconds(300);
  World w(kWorldStart, so);
  const std::string id = w.NewCase("camden");
  // Holding the projections still keeps the durable write out of them.
  auto held = std::make_unique<HeldProjections>(w);
  const std::uint64_t before = w.ledger->Size();
  const auto start = std::chrono::steady_clock::now();
  Result<CommandOutcome> r = w.Try("camden-cw1", RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""});
  const auto waited = std::chrono::steady_clock::now() - start;
  held.reset();
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK_THAT(r.status().message(), Catch::Contains("projections did not reach position " + std::to_string(before + 1)));
  CHECK(waited >= std::chrono::milliseconds(300));
  CHECK(waited < std::chrono::seconds(5));
  CHECK(w.ledger->Size() == before + 1);
  REQUIRE(w.service->projector().WaitFor(before + 1, std::chrono::seconds(30)).ok());
  CHECK(w.Case(id).advice.size() == 1);
}

TEST_CASE("a retry that waits behind its original is answered with it", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  const std::uint64_t before = w.ledger->Size();
  Result<CommandOutcome> first = Status::Unavailable("not run"), second = Status::Unavailable("not run");
  const RaiseQuery q = QueryOn(id);
  std::thread a([&] { first = w.Try("camden-cw1", q, std::nullopt, "ask-once"); });
  std::thread b([&] { second = w.Try("camden-cw1", q, std::nullopt, "ask-once"); });
  a.join();
  b.join();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->duplicate != second->duplicate);  // one ran, the other was answered with it
  CHECK(first->first_position == second->first_position);
  CHECK(w.Case(id).queries.size() == 1);
  CHECK(w.ledger->Size() == before + 1);
}

TEST_CASE("a command id reused for another request is refused and writes nothing", "[domain][idempotency]") {
  World w;
  const std::string id = w.NewCase("camden");
  const std::string other = w.NewCase("camden");
  const RecordAdvice advice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, "first"};
  Result<CommandOutcome> first = w.Try("camden-cw1", advice, std::nullopt, "adv-1");
  REQUIRE(first.ok());
  CHECK_FALSE(first->duplicate);
  const std::uint64_t size = w.ledger->Size();
  const std::uint64_t version = w.Case(id).version;

  // The same request again: the first outcome, nothing written.
  Result<CommandOutcome> again = w.Try("camden-cw1", advice, std::nullopt, "adv-1");
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->first_position == first->first_position);
  CHECK(again->case_id == id);
  CHECK(w.ledger->Size() == size);

  // Anything else under the same id: a different note (personal data), a
  // different plain field, another case, an expected version, another operation.
  RecordAdvice note = advice;
  note.note = "DIFFERENT";
  RecordAdvice no_note = advice;
  no_note.note.clear();
  RecordAdvice day = advice;
  day.advised_on = "2025-03-05";
  RecordAdvice elsewhere = advice;
  elsewhere.case_id = other;
  for (const Command& c : {Command(note), Command(no_note), Command(day), Command(elsewhere), Command(QueryOn(id))}) {
    INFO(CommandName(c));
    CHECK(Refusal(w.Try("camden-cw1", c, std::nullopt, "adv-1")) == "command_id_reused/");
  }
  CHECK(Refusal(w.Try("camden-cw1", advice, version - 1, "adv-1")) == "command_id_reused/");
  CHECK(w.ledger->Size() == size);
  CHECK(w.Case(id).version == version);
  CHECK(w.Case(id).advice.size() == 1);
  CHECK(w.Case(other).advice.empty());
  CHECK(w.Case(id).queries.empty());
  // Clearing a field is another request than clearing another, or than
  // leaving both out: the fingerprint keeps what was given, "" included.
  PersonAmendment both;
  both.address = "1 Road";
  both.nationality = "Ghanaian";
  w.Do("camden-cw1", AmendApplicant{id, both, std::nullopt, std::nullopt});
  PersonAmendment no_address;
  no_address.address = "";
  PersonAmendment no_nationality;
  no_nationality.nationality = "";
  REQUIRE(w.Try("camden-cw1", AmendApplicant{id, no_address, std::nullopt, std::nullopt}, std::nullopt, "amend-1").ok());
  const std::uint64_t amended = w.ledger->Size();
  CHECK(Refusal(w.Try("camden-cw1", AmendApplicant{id, no_nationality, std::nullopt, std::nullopt}, std::nullopt,
                      "amend-1")) == "command_id_reused/");
  CHECK(w.Try("camden-cw1", AmendApplicant{id, no_address, std::nullopt, std::nullopt}, std::nullopt, "amend-1")
            ->duplicate);
  CHECK(w.ledger->Size() == amended);  // neither wrote anything
  // Another account's id of the same name is its own.
  Result<CommandOutcome> theirs = w.Try("camden-cw2", note, std::nullopt, "adv-1");
  REQUIRE(theirs.ok());
  CHECK_FALSE(theirs->duplicate);
}

TEST_CASE("a retried creation is answered with its case, and changed details under its id are refused", "[domain][idempotency]") {
  World w;
  const CreateCase c = MinimalCase(SamplePerson("Grace", "Mensah", "1992-10-10"));
  Result<CommandOutcome> first = w.Try("camden-cw1", c, std::nullopt, "create-1");
  REQUIRE(first.ok());
  const std::uint64_t size = w.ledger->Size();
  Result<CommandOutcome> again = w.Try("camden-cw1", c, std::nullopt, "create-1");
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->case_id == first->case_id);
  CreateCase born = c;
  born.applicant.date_of_birth = "1992-10-11";
  CreateCase more = c;
  more.dependants = {SamplePerson("Ama", "Mensah", "2020-01-01")};
  CreateCase urgent = c;
  urgent.urgent = true;
  urgent.urgent_reason = fb::UrgentReason::SafeguardingOrChildProtection;
  for (const CreateCase& changed : {born, more, urgent}) {
    CHECK(Refusal(w.Try("camden-cw1", changed, std::nullopt, "create-1")) == "command_id_reused/");
  }
  CHECK(w.ledger->Size() == size);
  // The next creation takes the next number: the refusals took none.
  CHECK(w.Do("camden-cw1", born).case_id == std::to_string(std::stoull(first->case_id) + 1));
}

TEST_CASE("a retry of a command whose people were erased is refused as shredded", "[domain][idempotency]") {
  World w;
  const std::string keep = w.NewCase("camden");
  const std::string dup = w.NewCase("camden");
  const RecordAdvice advice{dup, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, "a note"};
  REQUIRE(w.Try("camden-cw1", advice, std::nullopt, "adv-gone").ok());
  w.Do("camden-cw1", FlagDuplicate{dup, keep});
  w.Do("ns-admin", RemoveDuplicate{dup});
  const std::uint64_t size = w.ledger->Size();
  // Its digest can no longer be checked against a note: no answer confirms one.
  CHECK(Refusal(w.Try("camden-cw1", advice, std::nullopt, "adv-gone")).rfind("shredded/", 0) == 0);
  RecordAdvice guess = advice;
  guess.note = "a guess";
  CHECK(Refusal(w.Try("camden-cw1", guess, std::nullopt, "adv-gone")).rfind("shredded/", 0) == 0);
  CHECK(w.ledger->Size() == size);
}

TEST_CASE("a command id stored without a fingerprint is refused, not answered as a retry", "[domain][idempotency]") {
  World w;
  const std::string id = w.NewCase("camden");
  // As an earlier version stored it: the decision's events under the scoped
  // id, digested over the request.
  const RecordAdvice advice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, "first"};
  ledger::AppendRequest old = w.service->projector().Read([&](const projections::Projections& p) {
    DecideInput in;
    in.actor_user_id = "camden-cw1";
    in.now_us = w.clock.NowMicros();
    Result<Decision> d = Decide(advice, in, p);
    REQUIRE(d.ok());
    ledger::AppendRequest append;
    append.command_id = "camden-cw1:old-1";
    append.actor = ActorOf(*p.User("camden-cw1"));
    append.events = std::move(d->events);
    append.expectations = std::move(d->expectations);
    return append;
  });
  Result<ledger::AppendResult> stored = w.ledger->Append(old);
  REQUIRE(stored.ok());
  REQUIRE(w.service->projector().WaitFor(w.ledger->Size(), std::chrono::seconds(10)).ok());
  const std::uint64_t size = w.ledger->Size();
  // The ledger's own retry of the same request still matches it...
  Result<ledger::AppendResult> same = w.ledger->Append(old);
  REQUIRE(same.ok());
  CHECK(same->duplicate);
  // ...but a command cannot be compared with it, a retry or not.
  for (const Command& c : {Command(advice), Command(QueryOn(id))}) {
    Result<CommandOutcome> r = w.Try("camden-cw1", c, std::nullopt, "old-1");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kCommandIdReused);
    CHECK(r.status().message().find("position " + std::to_string(stored->first_position)) != std::string::npos);
  }
  CHECK(w.ledger->Size() == size);
  CHECK(w.Case(id).advice.size() == 1);
}

TEST_CASE("refused creations use up no case number", "[domain]") {
  World w;
  CreateCase bad_date = MinimalCase(SamplePerson("Grace", "Mensah", "1992-13-40"));
  CreateCase no_name = MinimalCase(SamplePerson("", "", "1992-10-10"));
  CreateCase no_referral = MinimalCase(SamplePerson("Grace", "Mensah", "1992-10-10"));
  no_referral.referral_date.clear();
  for (const CreateCase& c : {bad_date, no_name, no_referral}) {
    CHECK(Refusal(w.Try("camden-cw1", c)).rfind("invalid_argument/", 0) == 0);
  }
  CHECK(w.Do("camden-cw1", MinimalCase(SamplePerson("Grace", "Mensah", "1992-10-10"))).case_id == "1");
  CHECK(Refusal(w.Try("camden-cw1", bad_date)).rfind("invalid_argument/", 0) == 0);
  CHECK(w.Do("leeds-cw1", MinimalCase(SamplePerson("Oksana", "Shevchenko", "1979-11-30"))).case_id == "2");
}

TEST_CASE("creations racing for a number each get their own", "[domain]") {
  World w;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      Result<CommandOutcome> r =
          w.Try("camden-cw1", MinimalCase(SamplePerson("Person", "Number" + std::to_string(i), "1990-01-01")));
      std::lock_guard lock(mu);
      ids.push_back(r.ok() ? r->case_id : r.status().ToString());
    });
  }
  for (std::thread& t : threads) t.join();
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"1", "2", "3", "4", "5", "6"});
}

TEST_CASE("a flag takes turns with the case it is kept in", "[domain]") {
  World w;
  const std::string keep = w.NewCase("camden");
  std::vector<std::string> dups;
  for (int i = 0; i < 20; ++i) dups.push_back(w.NewCase("camden"));
  // The kept case moves on all the time while its duplicates are flagged
  // against it, and each flag pins its version: without taking its turn,
  // the flags would lose those races.
  std::atomic<bool> done{false};
  std::atomic<int> advice_failed{0};
  std::thread writer([&] {
    while (!done) {
      if (!w.Try("camden-cw2", RecordAdvice{keep, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""}).ok()) {
        ++advice_failed;
      }
    }
  });
  for (const std::string& dup : dups) {
    Result<CommandOutcome> flagged = w.Try("camden-cw1", FlagDuplicate{dup, keep});
    CHECK(Refusal(flagged) == "ok");
  }
  done = true;
  writer.join();
  CHECK(advice_failed == 0);
  for (const std::string& dup : dups) CHECK(w.Case(dup).duplicate_of == keep);
}

TEST_CASE("a command whose turn comes when its executor refuses is answered with the refusal and gives the turn back", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  const RecordAdvice advice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""};
  WaitingInTurn waiting(w, "camden-cw1", advice);
  REQUIRE(waiting.appended());
  const std::uint64_t before = waiting.size_before();

  // The second waits for the turn; when it is handed over, its executor refuses.
  std::atomic<int> refusals{0};
  const Executor refusing = [&](std::function<void()>, std::function<void(Status)> cancel) {
    ++refusals;
    cancel(Status::Unavailable("no room").WithReason("busy"));
  };
  std::promise<Result<CommandOutcome>> second;
  CommandRequest r;
  r.actor_user_id = "camden-cw2";
  r.command = advice;
  w.service->ExecuteAsync(r, refusing, [&](Result<CommandOutcome> out) { second.set_value(std::move(out)); });
  REQUIRE(waiting.Release().ok());
  Result<CommandOutcome> refused = second.get_future().get();
  CHECK(refusals == 1);
  CHECK(refused.status().code() == Code::kUnavailable);
  CHECK(refused.status().reason() == "busy");
  CHECK(w.ledger->Size() == before + 1);  // the refused one wrote nothing
  // The turn it was handed went back: the case takes commands again.
  CHECK(w.Try("camden-cw2", advice).ok());
  CHECK(w.Case(id).advice.size() == 2);
}

TEST_CASE("a decision voided by an account moving on is decided again", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  // Allocations to camden-cw2 pin that account, whose stream an admin
  // writes every millisecond or so meanwhile.
  std::atomic<bool> done{false};
  std::thread admin([&] {
    while (!done) {
      w.Do("camden-admin", ResetPassword{"camden-cw2"});
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  int failed = 0;
  for (int i = 0; i < 60; ++i) {
    failed += w.Try("camden-admin", AllocateCaseworker{id, "camden-cw2"}).ok() ? 0 : 1;
    failed += w.Try("camden-admin", AllocateCaseworker{id, "camden-cw1"}).ok() ? 0 : 1;
  }
  done = true;
  admin.join();
  CHECK(failed == 0);
  CHECK(w.service->conflict_retries() > 0);  // the races did happen, and were decided again
  CHECK(w.Case(id).caseworker_id == "camden-cw1");
}

TEST_CASE("a command decided again behind an append that then fails is told at once, not at the wait's end", "[domain]") {
  // The decision read the acting account; an admin's change of that account
  // is sequenced before the command's append, so the append conflicts and the
  // command waits for the projections to hold the change, to decide again.
  // The change's fsync fails instead: the ledger stops, and the command must
  // say so at once rather than after projection_wait.
  FailingFileSystem::Switches disk;
  std::unique_ptr<rocksdb::Env> env = FailingEnv(&disk);
  std::atomic<bool> hold_advice{false}, advice_held{false};
  // Waits up to 30 s for `done`; a step that never comes fails the test
  // (releasing what it holds) instead of hanging it.
  auto await = [&](auto done) {
    for (int i = 0; i < 30000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!done()) {
      hold_advice = false;
      disk.hold = false;
    }
    return done();
  };
  ServiceOptions so;
  so.projection_wait = std::chrono::seconds(60);
  World w(kWorldStart, so, [&](ledger::LedgerOptions& o) {
    o.env = env.get();
    o.before_queue = [&](const ledger::AppendRequest& r) {
      if (r.command_id != "camden-cw1:advice") return;
      advice_held = true;
      while (hold_advice) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
  });
  const std::string id = w.NewCase("camden");
  hold_advice = true;
  Result<CommandOutcome> advice = Status::Unavailable("not run"), lock = Status::Unavailable("not run");
  std::thread a([&] {
    advice = w.Try("camden-cw1", RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""},
                   std::nullopt, "advice");
  });
  const bool decided = await([&] { return advice_held.load(); });  // decided, not yet queued
  disk.hold = true;
  std::thread b([&] { lock = w.Try("camden-admin", LockUser{"camden-cw1", fb::LockReason::ByAdmin, 0}); });
  const bool syncing = decided && await([&] { return disk.held_syncs.load() > 0; });  // sequenced, syncing
  const std::uint64_t retries = w.service->conflict_retries();
  hold_advice = false;
  const bool waiting = syncing && await([&] { return w.service->conflict_retries() > retries; });
  const auto failed_at = std::chrono::steady_clock::now();
  disk.hold = false;  // the held fsync fails
  a.join();
  const auto waited = std::chrono::steady_clock::now() - failed_at;
  b.join();
  REQUIRE(decided);
  REQUIRE(syncing);
  REQUIRE(waiting);
  CHECK_FALSE(lock.ok());
  REQUIRE_FALSE(advice.ok());
  CHECK(advice.status().code() == Code::kUnavailable);
  CHECK(advice.status().message().find("failed write") != std::string::npos);
  CHECK(waited < std::chrono::seconds(10));  // not the 60 s of projection_wait
  CHECK_FALSE(w.ledger->Health().ok());

  // Once the ledger has failed, a command is refused with its error, and its
  // answer may ask the ledger anything (here its health) without waiting on
  // a lock the ledger holds while it refuses.
  std::promise<Status> refused;
  std::future<Status> refusal = refused.get_future();
  CommandRequest r;
  r.actor_user_id = "camden-cw1";
  r.command = RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""};
  w.service->ExecuteAsync(r, w.executor.AsExecutor(), [&](Result<CommandOutcome> out) {
    (void)w.ledger->Health();
    refused.set_value(out.status());
  });
  REQUIRE(refusal.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  const Status after = refusal.get();
  CHECK(after.code() == Code::kUnavailable);
  CHECK(after.message().find("failed write") != std::string::npos);
}

TEST_CASE("a wait handed to the projections is answered once: when they include the position, or when they stop", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  projections::Projector p(w.ledger.get());
  REQUIRE(p.CatchUp().ok());
  const std::uint64_t at = p.next_position();
  REQUIRE(at == w.ledger->Size());

  std::mutex mu;
  std::map<std::string, std::vector<std::pair<Status, std::thread::id>>> calls;
  const auto record = [&](const std::string& name) {
    return [&, name](Status s) {
      std::lock_guard lock(mu);
      calls[name].emplace_back(std::move(s), std::this_thread::get_id());
    };
  };
  const auto seen = [&](const std::string& name) {
    std::lock_guard lock(mu);
    return calls[name];
  };
  const auto await = [&](const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (seen(name).empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return seen(name);
  };

  // Already included: answered at once, on the caller's thread.
  p.WhenAt(at, record("now"));
  REQUIRE(seen("now").size() == 1);
  CHECK(seen("now")[0].first.ok());
  CHECK(seen("now")[0].second == std::this_thread::get_id());

  // Not yet: answered by the follower once it applies the position, and only
  // then.
  p.Start();
  p.WhenAt(at + 1, record("next"));
  p.WhenAt(at + 1000, record("far"));
  CHECK(seen("next").empty());
  w.Do("camden-cw1", RecordAdvice{id, "2025-03-03", fb::AdvisedOf::HomeOfficeInformationReturned, "told"});
  const auto next = await("next");
  REQUIRE(next.size() == 1);
  CHECK(next[0].first.ok());
  CHECK(next[0].second != std::this_thread::get_id());
  CHECK(seen("far").empty());

  // Stopped first: answered with why, and a wait handed over later at once.
  p.Stop();
  const auto far = await("far");
  REQUIRE(far.size() == 1);
  CHECK(far[0].first.code() == Code::kUnavailable);
  p.WhenAt(at + 1000, record("late"));
  REQUIRE(seen("late").size() == 1);
  CHECK(seen("late")[0].first.code() == Code::kUnavailable);
  CHECK(seen("next").size() == 1);
  CHECK(seen("far").size() == 1);
}

TEST_CASE("a first start that died between its two steps finishes at the next start", "[domain]") {
  TempDir dir;
  ManualClock clock(kWorldStart);
  auto ledger = OpenOrDie(OptionsIn(dir, &clock));
  ServiceOptions so;
  so.clock = &clock;
  auto service = CaseService::Open(ledger.get(), so);
  REQUIRE(service.ok());
  const RegisterOrganisation ns{"network-support", fb::OrganisationKind::NetworkSupport, "NRPF Network",
                                fb::Nation::EnglandAndWales};
  CreateUser admin{"bad id!", "network-support", fb::Role::NetworkSupport, "", "Operator", ""};
  // The organisation is written, the admin refused: as if the process died in between.
  CHECK_FALSE((*service)->Bootstrap(ns, admin).ok());
  CHECK((*service)->projector().Read([](const projections::Projections& p) {
    return p.Organisation("network-support") != nullptr;
  }));
  admin.user_id = "ns-admin";
  Result<bool> resumed = (*service)->Bootstrap(ns, admin);
  REQUIRE(resumed.ok());
  CHECK(*resumed);
  CHECK((*service)->projector().Read([](const projections::Projections& p) { return p.User("ns-admin") != nullptr; }));
  Result<bool> again = (*service)->Bootstrap(ns, admin);
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  // The service's own names are not for users.
  for (const char* reserved : {"system", "bootstrap"}) {
    CreateUser u{reserved, "network-support", fb::Role::NetworkSupport, "", "Someone", ""};
    CommandRequest r;
    r.actor_user_id = "ns-admin";
    r.command = u;
    CHECK((*service)->Execute(r).status().reason() == "user_id_invalid");
  }
  // A later start configured with another first admin writes nothing.
  const std::uint64_t size = ledger->Size();
  admin.user_id = "other-admin";
  Result<bool> renamed = (*service)->Bootstrap(ns, admin);
  REQUIRE(renamed.ok());
  CHECK_FALSE(*renamed);
  CHECK(ledger->Size() == size);
}

TEST_CASE("a case read shows the date it was last reopened, to its council and to network support", "[domain]") {
  World w;
  const std::string id = w.NewCase("camden");
  w.Do("camden-cw1", CloseCase{id, "2025-03-02", fb::ClosureReason::NoLongerInTouch, ""});
  CHECK(w.service->ReadCase("camden-cw1", id)->reopened_on.empty());
  w.Do("camden-cw1", ReopenCase{id, "2025-03-03"});
  CHECK(w.service->ReadCase("camden-cw1", id)->reopened_on == "2025-03-03");
  auto metadata = w.service->ReadCase("ns-admin", id);
  REQUIRE(metadata.ok());
  CHECK(metadata->reopened_on == "2025-03-03");
  CHECK_FALSE(metadata->applicant.details);
}

TEST_CASE("a case read is answered only once its record is durable, and with no data when the record fails",
          "[domain][access]") {
  FailingFileSystem::Switches disk;
  std::unique_ptr<rocksdb::Env> env = FailingEnv(&disk);
  // Before the world: an answer that comes after a failed REQUIRE still finds it.
  std::promise<Result<RecordedCaseRead>> answered;
  std::future<Result<RecordedCaseRead>> answer = answered.get_future();
  World w(kWorldStart, {}, [&](ledger::LedgerOptions& o) { o.env = env.get(); });
  const std::string id = w.NewCase("camden");
  const std::uint64_t size = w.ledger->Size();

  // The disk holds the WAL sync of the read's record: no answer meanwhile.
  disk.hold = true;
  w.service->ReadCaseRecordedAsync("camden-cw2", id, {"case"}, w.executor.AsExecutor(),
                                   [&](Result<RecordedCaseRead> r) { answered.set_value(std::move(r)); });
  for (int i = 0; i < 30000 && disk.held_syncs.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const bool syncing = disk.held_syncs.load() > 0;
  const bool answered_early = answer.wait_for(std::chrono::milliseconds(200)) == std::future_status::ready;
  disk.hold = false;  // the held sync fails, as on a dying disk
  REQUIRE(syncing);
  CHECK_FALSE(answered_early);

  // No record, no data: the read is refused, and the log holds no record of it.
  REQUIRE(answer.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  const Result<RecordedCaseRead> read = answer.get();
  REQUIRE_FALSE(read.ok());
  CHECK(read.status().code() == Code::kUnavailable);
  CHECK(w.ledger->Size() == size);
  // A read after the failure is refused the same way, at once.
  const auto again_at = std::chrono::steady_clock::now();
  const Result<RecordedCaseRead> again = w.service->ReadCaseRecorded("camden-cw2", id, {"case"});
  CHECK(again.status().code() == Code::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - again_at < std::chrono::seconds(5));
}

}  // namespace
}  // namespace nrpf::test
