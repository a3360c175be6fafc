// CaseService's own mechanics, beside the rules: decisions pinned to what
// they read and decided again when it moves on, commands on one case taking
// turns, retries answered by their original, and the first start.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
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
      decide("camden-cw1", RecordAdvice{id, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""});
  w.Do("camden-admin", LockUser{"camden-cw1", fb::LockReason::ByAdmin, 0});
  CHECK(w.ledger->Append(std::move(advice)).status().code() == Code::kWrongExpectedVersion);
  w.Do("camden-admin", UnlockUser{"camden-cw1"});
  // Flagged against a case that moved on (here: itself flagged) meanwhile.
  ledger::AppendRequest flag = decide("camden-cw1", FlagDuplicate{id, keep});
  CHECK(pinned(flag, CaseStream(keep)));
  w.Do("camden-cw1", RecordAdvice{keep, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""});
  CHECK(w.ledger->Append(std::move(flag)).status().code() == Code::kWrongExpectedVersion);
  // Decided afresh, on the state as it now is, the same flag goes through.
  CHECK(w.Try("camden-cw1", FlagDuplicate{id, keep}, w.Case(id).version).ok());
}

TEST_CASE("commands racing on one case take turns and all go through", "[domain]") {
  World w;
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
        if (!w.Try(actor, RecordAdvice{id, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""}).ok()) ++failed;
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
  const RecordAdvice advice{id, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""};
  // Holding the projections still keeps a command that has appended waiting
  // for them, in its case's turn.
  auto held = std::make_unique<HeldProjections>(w);
  const std::uint64_t before = w.ledger->Size();
  Result<CommandOutcome> first = Status::Unavailable("not run");
  std::thread a([&] { first = w.Try("camden-cw1", advice); });
  for (int i = 0; i < 10000 && w.ledger->Size() == before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(w.ledger->Size() == before + 1);  // appended, and waiting in its turn

  Result<CommandOutcome> busy = w.Try("camden-cw2", advice);
  CHECK(busy.status().code() == Code::kUnavailable);
  CHECK(busy.status().reason() == "case_busy");
  // A deleted account does not even queue for a turn.
  CHECK(w.Try("nobody", advice).status().code() == Code::kPermissionDenied);
  CHECK(w.ledger->Size() == before + 1);
  held.reset();
  a.join();
  CHECK(first.ok());
  // The turn was given back: the case and the other one take commands again.
  CHECK(w.Try("camden-cw2", advice).ok());
  CHECK(w.Try("camden-cw2", RecordAdvice{other, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""}).ok());
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
  Result<CommandOutcome> r = w.Try("camden-cw1", RecordAdvice{id, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""});
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
      if (!w.Try("camden-cw2", RecordAdvice{keep, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""}).ok()) {
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
    o.after_prefetch = [&](const ledger::AppendRequest& r) {
      if (r.command_id != "camden-cw1:advice") return;
      advice_held = true;
      while (hold_advice) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
  });
  const std::string id = w.NewCase("camden");
  hold_advice = true;
  Result<CommandOutcome> advice = Status::Unavailable("not run"), lock = Status::Unavailable("not run");
  std::thread a([&] {
    advice = w.Try("camden-cw1", RecordAdvice{id, "2025-03-04", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""},
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

}  // namespace
}  // namespace nrpf::test
