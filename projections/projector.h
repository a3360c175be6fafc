// Projector: keeps a Projections current with the ledger. It folds the log
// from position 0 at start (CatchUp), then follows new commits on its own
// thread, in position order, so the live state is always a prefix fold of the
// log: exactly what a rebuild produces.
//
// Thread-safe: readers share a lock with each other; the follower thread takes
// it exclusively for each applied batch (decoding and opening sealed sections
// happen outside the lock).

#ifndef NRPF_PROJECTIONS_PROJECTOR_H_
#define NRPF_PROJECTIONS_PROJECTOR_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "ledger/ledger.h"
#include "projections/projections.h"

namespace nrpf::projections {

// Opens sealed sections through `ledger`; erased sections come back empty,
// and any other failure is an error. Empty (sections left unopened) when
// the ledger was opened without the master key.
domain::SectionOpener LedgerOpener(const ledger::Ledger& ledger);

// Folds events [state->next_position(), up_to) of `ledger` into `state`.
Status FoldLog(const ledger::Ledger& ledger, std::uint64_t up_to, Projections* state);

// A fresh fold of the whole log as it stands: what a dropped projection
// rebuilds to.
Result<std::unique_ptr<Projections>> Rebuild(const ledger::Ledger& ledger);

class Projector {
 public:
  // REQUIRES: `ledger` outlives the Projector.
  explicit Projector(const ledger::Ledger* ledger);
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // Folds everything committed so far, on the calling thread.
  Status CatchUp();
  // Follows new commits on a background thread until Stop() or destruction.
  void Start();
  void Stop();

  // Blocks until every event before `position` is applied. kUnavailable
  // after `timeout`, or when the follower stopped on an error.
  Status WaitFor(std::uint64_t position, std::chrono::milliseconds timeout) const;
  // Calls fn(Ok) once, when every event before `position` is applied, or
  // fn(error) when the follower stops first (on an error, or by Stop()). fn
  // runs on the follower's thread, or on the caller's when that holds
  // already, and must not block. Unlike WaitFor, no thread waits meanwhile:
  // a ledger callback can hand a command's wait on to the projections.
  void WhenAt(std::uint64_t position, std::function<void(Status)> fn) const;
  std::uint64_t next_position() const { return next_position_.load(); }
  // Ok while the follower runs; its error once it stopped on one, and
  // kUnavailable once Stop() was called.
  Status health() const;

  // Runs fn(const Projections&) under the shared lock and returns its result.
  template <typename F>
  auto Read(F&& fn) const {
    std::shared_lock lock(mu_);
    return fn(static_cast<const Projections&>(*state_));
  }

 private:
  void Follow();
  Status ApplyBatch(std::vector<ledger::StoredEvent> events);
  Status ApplyViews(const std::vector<domain::EventView>& views);

  const ledger::Ledger* const ledger_;
  const domain::SectionOpener opener_;

  mutable std::shared_mutex mu_;
  std::unique_ptr<Projections> state_;  // guarded by mu_

  // Waiters of WaitFor, by the position they wait for: each applied batch
  // wakes only the ones it satisfied (a command's thread waits for its own
  // write; waking every waiter for every batch would wake them all).
  struct Waiter {
    std::uint64_t position;
    std::condition_variable cv;
  };
  void WakeWaiters(bool all);
  // Why nothing more will be applied, or Ok while the follower runs.
  // REQUIRES: wait_mu_ held.
  Status StoppedLocked() const;

  mutable std::mutex wait_mu_;
  mutable std::multimap<std::uint64_t, Waiter*> waiters_;  // guarded by wait_mu_
  mutable std::multimap<std::uint64_t, std::function<void(Status)>> callbacks_;  // guarded by wait_mu_
  std::atomic<std::uint64_t> next_position_{0};
  Status follow_error_;  // guarded by wait_mu_

  std::unique_ptr<ledger::Subscription> subscription_;
  std::atomic<bool> stop_{false};
  std::thread follower_;
};

}  // namespace nrpf::projections

#endif  // NRPF_PROJECTIONS_PROJECTOR_H_
