#include "projections/projector.h"

#include <pthread.h>

#include <deque>
#include <functional>

namespace nrpf::projections {

namespace {

constexpr std::size_t kBatch = 1024;
// Decoded batches the reader may run ahead of the fold.
constexpr std::size_t kReadAhead = 4;

// Events and their views; the views borrow from `events`, so a batch moves
// only as a whole, by pointer.
struct DecodedBatch {
  std::vector<ledger::StoredEvent> events;
  std::vector<domain::EventView> views;
};

Status Decode(DecodedBatch* batch, const domain::SectionOpener& opener) {
  batch->views.clear();
  batch->views.reserve(batch->events.size());
  for (const ledger::StoredEvent& e : batch->events) {
    Result<domain::EventView> v = domain::DecodeEvent(e, opener);
    if (!v.ok()) return v.status();
    batch->views.push_back(std::move(*v));
  }
  return Status::Ok();
}

// Folds [from, up_to): a helper thread reads and decodes (RocksDB reads,
// body verifiers, opening sealed sections) up to kReadAhead batches ahead
// while `apply` consumes them in order on the calling thread, so a fold uses
// two cores. Applied batches go back to the helper, which frees them: memory
// is then freed by the thread that allocated it, without contending for the
// allocator's locks with the fold.
Status FoldPipelined(const ledger::Ledger& ledger, const domain::SectionOpener& opener, std::uint64_t from,
                     std::uint64_t up_to, const std::function<Status(const DecodedBatch&)>& apply) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<DecodedBatch>> ready;  // guarded by mu
  std::vector<std::unique_ptr<DecodedBatch>> spent;  // applied; guarded by mu
  Status reader_status;                            // guarded by mu
  bool reader_done = false;                        // guarded by mu
  bool stop = false;                               // guarded by mu
  std::thread reader([&] {
    Status s;
    std::vector<std::unique_ptr<DecodedBatch>> to_free;
    for (std::uint64_t next = from; next < up_to && s.ok();) {
      {
        std::lock_guard lock(mu);
        to_free.swap(spent);
      }
      to_free.clear();
      auto batch = std::make_unique<DecodedBatch>();
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kBatch, up_to - next));
      Result<std::vector<ledger::StoredEvent>> events = ledger.ReadRange(next, want);
      if (!events.ok()) {
        s = events.status();
        break;
      }
      if (events->empty()) {
        s = Status::NotFound("the log ends before position " + std::to_string(up_to));
        break;
      }
      batch->events = std::move(*events);
      next += batch->events.size();
      s = Decode(batch.get(), opener);
      if (!s.ok()) break;
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return stop || ready.size() < kReadAhead; });
      if (stop) break;
      ready.push_back(std::move(batch));
      cv.notify_all();
    }
    std::lock_guard lock(mu);
    reader_status = s;
    reader_done = true;
    cv.notify_all();
  });
  Status s;
  for (;;) {
    std::unique_ptr<DecodedBatch> batch;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return reader_done || !ready.empty(); });
      if (ready.empty()) {
        s = reader_status;
        break;
      }
      batch = std::move(ready.front());
      ready.pop_front();
      cv.notify_all();
    }
    s = apply(*batch);
    if (!s.ok()) break;
    std::lock_guard lock(mu);
    spent.push_back(std::move(batch));
  }
  {
    std::lock_guard lock(mu);
    stop = true;
    cv.notify_all();
  }
  reader.join();
  return s;
}

}  // namespace

domain::SectionOpener LedgerOpener(const ledger::Ledger& ledger) {
  // Without the master key, sections stay unopened: a reader that was not
  // given it folds metadata only.
  if (!ledger.CanOpenSealed()) return nullptr;
  return [&ledger](const ledger::StoredEvent& e, std::size_t i) -> Result<std::optional<std::string>> {
    Result<std::string> plain = ledger.OpenSealed(e, i);
    if (plain.ok()) return std::optional<std::string>(std::move(*plain));
    // Erased: the subject's key is shredded (its entry then holds the
    // erasure's marker, never nothing).
    if (plain.status().code() == Code::kShredded) return std::optional<std::string>();
    // A key entry that is missing, or of another generation, is damage.
    if (plain.status().code() == Code::kNotFound) return Status::Corruption(plain.status().message());
    return plain.status();
  };
}

Status FoldLog(const ledger::Ledger& ledger, std::uint64_t up_to, Projections* state) {
  if (state->next_position() >= up_to) return Status::Ok();
  return FoldPipelined(ledger, LedgerOpener(ledger), state->next_position(), up_to,
                       [state](const DecodedBatch& batch) {
                         for (const domain::EventView& v : batch.views) state->Apply(v);
                         return Status::Ok();
                       });
}

Result<std::unique_ptr<Projections>> Rebuild(const ledger::Ledger& ledger) {
  auto state = std::make_unique<Projections>();
  NRPF_RETURN_IF_ERROR(FoldLog(ledger, ledger.Size(), state.get()));
  return state;
}

Projector::Projector(const ledger::Ledger* ledger)
    : ledger_(ledger), opener_(LedgerOpener(*ledger)), state_(std::make_unique<Projections>()) {}

Projector::~Projector() { Stop(); }

Status Projector::CatchUp() {
  const std::uint64_t size = ledger_->Size();
  if (next_position_.load() >= size) return Status::Ok();
  return FoldPipelined(*ledger_, opener_, next_position_.load(), size,
                       [this](const DecodedBatch& batch) { return ApplyViews(batch.views); });
}

Status Projector::ApplyBatch(std::vector<ledger::StoredEvent> events) {
  DecodedBatch batch;
  batch.events = std::move(events);
  NRPF_RETURN_IF_ERROR(Decode(&batch, opener_));
  return ApplyViews(batch.views);
}

Status Projector::ApplyViews(const std::vector<domain::EventView>& views) {
  {
    std::unique_lock lock(mu_);
    for (const domain::EventView& v : views) {
      if (v.position != state_->next_position()) {
        return Status::Corruption("projection expected position " + std::to_string(state_->next_position()) +
                                  ", got " + std::to_string(v.position));
      }
      state_->Apply(v);
    }
    next_position_.store(state_->next_position());
  }
  WakeWaiters(false);
  return Status::Ok();
}

void Projector::WakeWaiters(bool all) {
  std::vector<std::pair<std::function<void(Status)>, Status>> due;
  {
    std::lock_guard wait(wait_mu_);
    const std::uint64_t applied = next_position_.load();
    for (auto it = waiters_.begin(); it != waiters_.end() && (all || it->first <= applied); ++it) {
      it->second->cv.notify_one();
    }
    const auto end = all ? callbacks_.end() : callbacks_.upper_bound(applied);
    Status stopped;  // for the callbacks a stop leaves unreached
    if (all) {
      stopped = StoppedLocked();
      if (stopped.ok()) stopped = Status::Unavailable("projections stopped following the log");
    }
    for (auto it = callbacks_.begin(); it != end; ++it) {
      due.emplace_back(std::move(it->second), it->first <= applied ? Status::Ok() : stopped);
    }
    callbacks_.erase(callbacks_.begin(), end);
  }
  for (auto& [fn, s] : due) fn(s);
}

void Projector::WhenAt(std::uint64_t position, std::function<void(Status)> fn) const {
  Status now;
  {
    std::lock_guard wait(wait_mu_);
    if (next_position_.load() < position) {
      now = StoppedLocked();
      if (now.ok()) {
        callbacks_.emplace(position, std::move(fn));
        return;
      }
    }
  }
  fn(now);
}

void Projector::Start() {
  if (follower_.joinable()) return;
  stop_ = false;
  subscription_ = ledger_->Subscribe(next_position_.load());
  follower_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "nrpf-projector");
    Follow();
  });
}

void Projector::Stop() {
  stop_ = true;
  if (subscription_) subscription_->Cancel();
  if (follower_.joinable()) follower_.join();
  subscription_.reset();
  WakeWaiters(true);
}

void Projector::Follow() {
  while (!stop_) {
    Result<std::vector<ledger::StoredEvent>> batch = subscription_->Next(kBatch, std::chrono::milliseconds(200));
    Status s = batch.ok() ? (batch->empty() ? Status::Ok() : ApplyBatch(std::move(*batch))) : batch.status();
    if (!s.ok()) {
      if (s.code() != Code::kCancelled) {
        std::lock_guard wait(wait_mu_);
        follow_error_ = s;
      }
      WakeWaiters(true);
      return;
    }
  }
}

Status Projector::health() const {
  std::lock_guard wait(wait_mu_);
  return StoppedLocked();
}

Status Projector::StoppedLocked() const {
  if (!follow_error_.ok()) return Status::Unavailable("projections stopped: " + follow_error_.ToString());
  if (stop_.load()) return Status::Unavailable("projections stopped following the log");
  return Status::Ok();
}

Status Projector::WaitFor(std::uint64_t position, std::chrono::milliseconds timeout) const {
  if (next_position_.load() >= position) return Status::Ok();
  std::unique_lock lock(wait_mu_);
  Waiter me{position, {}};
  auto entry = waiters_.emplace(position, &me);
  const bool done = me.cv.wait_for(lock, timeout, [&] {
    return next_position_.load() >= position || !follow_error_.ok() || stop_.load();
  });
  waiters_.erase(entry);
  if (next_position_.load() >= position) return Status::Ok();
  if (!follow_error_.ok()) return StoppedLocked();
  if (!done || stop_.load()) return Status::Unavailable("projections did not reach position " + std::to_string(position));
  return Status::Ok();
}

}  // namespace nrpf::projections
