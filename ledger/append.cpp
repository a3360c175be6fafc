// Appends in and out of the group-commit pipeline: request checks, the
// queue, the sequencer loop, the committer and the syncer. Sequencing one
// group is in sequencer.cpp. See ledger_impl.h for the shape and ledger.h
// for the guarantees.

#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <set>
#include <utility>

#include "ledger/coding.h"
#include "ledger/ledger_impl.h"

namespace nrpf::ledger {

namespace {

constexpr std::size_t kMaxStreamIdBytes = 256;
constexpr std::size_t kMaxTypeBytes = 128;
constexpr std::size_t kMaxCommandIdBytes = 128;
constexpr std::size_t kMaxSubjectIdBytes = 256;
constexpr std::size_t kRecordOverheadBytes = 1024;  // fixed fields and FlatBuffers framing

Status CheckName(std::string_view what, std::string_view value, std::size_t max) {
  if (value.empty() || value.size() > max || value.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + " must be 1.." + std::to_string(max) +
                                   " bytes without NUL");
  }
  return Status::Ok();
}

std::size_t EventCount(const PendingOp* op) {
  return op->kind == PendingOp::Kind::kAppend ? op->request.events.size() : 0;
}

// Set on the syncer thread while it runs completion callbacks: appends those
// callbacks submit wake the sequencer once, after the last callback, so they
// are sequenced together instead of one group each.
thread_local bool t_defer_wake = false;
thread_local bool t_wake_deferred = false;

}  // namespace

Status Ledger::Impl::CheckRequest(const AppendRequest& req) const {
  if (req.events.empty()) return Status::InvalidArgument("an append needs at least one event");
  if (req.events.size() > options.max_events_per_append) {
    return Status::TooLarge("an append holds at most " + std::to_string(options.max_events_per_append) +
                            " events");
  }
  if (req.command_id.size() > kMaxCommandIdBytes) {
    return Status::InvalidArgument("command id is longer than 128 bytes");
  }
  std::set<std::string_view> expected;
  for (const StreamExpectation& x : req.expectations) {
    NRPF_RETURN_IF_ERROR(CheckName("stream id", x.stream_id, kMaxStreamIdBytes));
    if (!expected.insert(x.stream_id).second) {
      return Status::InvalidArgument("stream " + x.stream_id + " has two expected versions");
    }
  }
  for (const NewEvent& e : req.events) {
    NRPF_RETURN_IF_ERROR(CheckName("stream id", e.stream_id, kMaxStreamIdBytes));
    NRPF_RETURN_IF_ERROR(CheckName("event type", e.type, kMaxTypeBytes));
    std::size_t bytes = kRecordOverheadBytes + e.body.size() + e.type.size() + e.stream_id.size() +
                        req.command_id.size() + req.actor.user_id.size() +
                        req.actor.organisation_id.size() + req.actor.role.size();
    for (const std::string& s : e.subjects) {
      NRPF_RETURN_IF_ERROR(CheckName("subject id", s, kMaxSubjectIdBytes));
      bytes += s.size() + 8;
    }
    for (const PersonalSection& p : e.personal) {
      NRPF_RETURN_IF_ERROR(CheckName("subject id", p.subject_id, kMaxSubjectIdBytes));
      bytes += p.plaintext.size() + p.label.size() + 2 * p.subject_id.size() + 96;
    }
    if (bytes > options.max_record_bytes) {
      return Status::TooLarge("event of type " + e.type + " would exceed the record limit of " +
                              std::to_string(options.max_record_bytes) + " bytes");
    }
  }
  if (req.fingerprint) {
    if (req.command_id.empty()) return Status::InvalidArgument("a command fingerprint needs a command id");
    if (req.events.size() > layout::kCommandCountMask) {
      return Status::TooLarge("a fingerprinted command appends fewer than 2^31 events");
    }
    // Personal data is digested only keyed with sealed subjects' keys.
    const bool seals = std::any_of(req.events.begin(), req.events.end(),
                                   [](const NewEvent& e) { return !e.personal.empty(); });
    if (!req.fingerprint->personal.empty() && !seals) {
      return Status::InvalidArgument("a fingerprint with personal data needs an event that seals some");
    }
  }
  return Status::Ok();
}

namespace {
Status CheckClientRequest(const Ledger::Impl& im, const AppendRequest& request) {
  if (im.read_only) return Status::Unavailable("the ledger is open read-only");
  NRPF_RETURN_IF_ERROR(im.CheckRequest(request));
  for (const NewEvent& e : request.events) {
    if (e.stream_id == layout::kLedgerStream) {
      return Status::InvalidArgument("stream $ledger is reserved for the ledger itself");
    }
  }
  return Status::Ok();
}
}  // namespace

Result<AppendResult> Ledger::Append(AppendRequest request) {
  NRPF_RETURN_IF_ERROR(CheckClientRequest(*impl_, request));
  auto op = std::make_unique<PendingOp>();
  op->request = std::move(request);
  if (impl_->options.before_queue) impl_->options.before_queue(op->request);
  return impl_->Submit(std::move(op));
}

void Ledger::AppendAsync(AppendRequest request, AppendCallback done) {
  Status s = CheckClientRequest(*impl_, request);
  if (!s.ok()) {
    done(s);
    return;
  }
  auto op = std::make_unique<PendingOp>();
  op->request = std::move(request);
  op->done = std::move(done);
  if (impl_->options.before_queue) impl_->options.before_queue(op->request);
  impl_->SubmitAsync(std::move(op));
}

void Finish(PendingOp* op, Result<AppendResult> result) {
  AppendCallback done = std::move(op->done);
  delete op;
  done(std::move(result));
}

void Ledger::Impl::SubmitAsync(std::unique_ptr<PendingOp> op) {
  Status refused;
  {
    std::lock_guard<std::mutex> lock(queue_mu);
    if (stop_sequencer) {
      refused = Status::Unavailable("the ledger is closing");
    } else if (queue.size() >= options.max_queued_appends) {
      refused = Status::Unavailable("the append queue is full (" + std::to_string(queue.size()) +
                                    " waiting); retry later")
                    .WithReason("busy");
    } else {
      op->queued_at = SteadyMicros();
      queue.push_back(op.release());
    }
  }
  if (!refused.ok()) {
    Finish(op.release(), refused);
    return;
  }
  if (t_defer_wake) {
    t_wake_deferred = true;
  } else {
    queue_cv.notify_one();
  }
}

Result<AppendResult> Ledger::Impl::Submit(std::unique_ptr<PendingOp> op) {
  std::promise<Result<AppendResult>> promise;
  std::future<Result<AppendResult>> future = promise.get_future();
  op->done = [&promise](Result<AppendResult> r) { promise.set_value(std::move(r)); };
  SubmitAsync(std::move(op));
  return future.get();
}

void Ledger::Impl::StartPipeline() {
  sequencer_thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "nrpf-sequencer");
    SequencerLoop();
  });
  const unsigned signers = std::max(1u, options.threads != 0 ? options.threads : std::thread::hardware_concurrency());
  for (unsigned i = 0; i < signers; ++i) {
    signer_threads.emplace_back([this] {
      pthread_setname_np(pthread_self(), "nrpf-signer");
      SignerLoop();
    });
  }
  committer_thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "nrpf-committer");
    CommitterLoop();
  });
  syncer_thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "nrpf-syncer");
    SyncerLoop();
  });
  indexer_thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "nrpf-indexer");
    IndexerLoop();
  });
}

void Ledger::Impl::StopPipeline() {
  {
    std::lock_guard<std::mutex> lock(queue_mu);
    stop_sequencer = true;
  }
  queue_cv.notify_all();
  if (sequencer_thread.joinable()) sequencer_thread.join();
  // The committer drains the groups in flight, which the signers finish.
  {
    std::lock_guard<std::mutex> lock(group_mu);
    stop_committer = true;
  }
  group_cv.notify_all();
  if (committer_thread.joinable()) committer_thread.join();
  {
    std::lock_guard<std::mutex> lock(group_mu);
    stop_signers = true;
  }
  sign_cv.notify_all();
  for (std::thread& t : signer_threads) t.join();
  signer_threads.clear();
  {
    std::lock_guard<std::mutex> lock(sync_mu);
    stop_syncer = true;
  }
  sync_cv.notify_all();
  if (syncer_thread.joinable()) syncer_thread.join();
  {
    std::lock_guard<std::mutex> lock(index_mu);
    stop_indexer = true;
  }
  index_cv.notify_all();
  if (indexer_thread.joinable()) {
    indexer_thread.join();
    // What is left of the tail goes into RocksDB now, so the next open has
    // nothing to rebuild. Failing that, the next open rebuilds it.
    (void)IngestAll();
  }
  {
    std::lock_guard<std::mutex> lock(commit_mu);
    closing = true;
  }
  commit_cv.notify_all();
}

void Ledger::Impl::SequencerLoop() {
  for (;;) {
    std::vector<PendingOp*> ops;
    {
      std::unique_lock<std::mutex> lock(queue_mu);
      queue_cv.wait(lock, [this] { return stop_sequencer || !queue.empty(); });
      if (queue.empty()) break;  // stopping, and everything queued is sequenced
      std::size_t events = 0;
      while (!queue.empty() &&
             (ops.empty() || events + EventCount(queue.front()) <= options.max_group_events)) {
        events += EventCount(queue.front());
        ops.push_back(queue.front());
        queue.pop_front();
      }
    }
    SequenceGroup(std::move(ops));
  }
}

void Ledger::Impl::SignerLoop() {
  std::unique_lock<std::mutex> lock(group_mu);
  for (;;) {
    CommitGroup* g = nullptr;
    for (const auto& candidate : groups) {
      if (candidate->next_to_sign < candidate->bodies.size()) {
        g = candidate.get();
        break;
      }
    }
    if (g == nullptr) {
      if (stop_signers) return;
      sign_cv.wait(lock);
      continue;
    }
    // g stays in `groups` until it is fully signed, which needs this claim.
    const std::size_t begin = g->next_to_sign;
    const std::size_t end = std::min(g->bodies.size(), begin + kSignClaim);
    g->next_to_sign = end;
    lock.unlock();
    for (std::size_t i = begin; i < end; ++i) g->signatures[i] = g->signers[i]->Sign(g->bodies[i]);
    lock.lock();
    g->signed_count += end - begin;
    if (g->signed_count == g->bodies.size()) g->signed_at = SteadyMicros();
    if (g->signed_count == g->bodies.size() && g == groups.front().get()) group_cv.notify_one();
  }
}

void Ledger::Impl::CommitterLoop() {
  for (;;) {
    std::unique_ptr<CommitGroup> g;
    {
      std::unique_lock<std::mutex> lock(group_mu);
      group_cv.wait(lock, [this] {
        return groups.empty() ? stop_committer : groups.front()->signed_count == groups.front()->bodies.size();
      });
      if (groups.empty()) return;
      g = std::move(groups.front());
      groups.pop_front();
    }
    room_cv.notify_one();  // the committer itself checks whether the next head is signed

    Status s;
    {
      std::lock_guard<std::mutex> lock(commit_mu);
      s = background_error;
    }
    if (s.ok()) {
      if (!g->signatures.empty()) {
        std::string v;
        v.reserve(g->signatures.size() * layout::kSignatureEntrySize);
        for (std::size_t i = 0; i < g->signatures.size(); ++i) {
          PutFixed32BE(&v, g->signers[i]->verifier().key_id());
          v.append(reinterpret_cast<const char*>(g->signatures[i].data()), g->signatures[i].size());
          g->events[i].signature = g->signatures[i];
        }
        (void)g->batch.Put(Cf(layout::kSignatures), layout::PositionKey(g->first_position), v);
      }
      rocksdb::WriteOptions wo;
      wo.sync = false;  // the syncer fsyncs the WAL before anything is acknowledged
      s = FromRocks(db->Write(wo, &g->batch), "writing events " + std::to_string(g->first_position) +
                                                  ".." + std::to_string(g->end_position));
    }
    if (!s.ok()) {
      FailGroup(std::move(g), s);
      continue;
    }
    g->written_at = SteadyMicros();
    {
      std::lock_guard<std::mutex> lock(sync_mu);
      written.push_back(std::move(g));
    }
    sync_cv.notify_one();
  }
}

void Ledger::Impl::SyncerLoop() {
  for (;;) {
    std::deque<std::unique_ptr<CommitGroup>> batch;
    {
      std::unique_lock<std::mutex> lock(sync_mu);
      sync_cv.wait(lock, [this] { return stop_syncer || !written.empty(); });
      if (written.empty()) return;
      batch.swap(written);
    }
    const std::int64_t sync_began = SteadyMicros();
    Status s = options.sync ? FromRocks(db->SyncWAL(), "syncing the WAL") : Status::Ok();
    const std::int64_t synced_at = SteadyMicros();
    if (options.sync) {
      pipeline.wal_syncs.fetch_add(1, std::memory_order_relaxed);
      pipeline.wal_sync_us.fetch_add(synced_at - sync_began, std::memory_order_relaxed);
    }
    if (!s.ok()) {
      for (auto& g : batch) FailGroup(std::move(g), s);
      continue;
    }
    // Durable: the index entries join the tail, and the keys the groups
    // sealed with the readers' cache, before readers can see the new size,
    // so every read bounded by it finds them.
    for (auto& g : batch) {
      if (g->end_position > g->first_position) index_tail->Add(std::move(g->index));
      RememberReaderKeys(*g);
    }
    {
      std::unique_lock<std::shared_mutex> lock(recent_mu);
      for (auto& g : batch) {
        for (StoredEvent& e : g->events) {
          if (recent.empty()) recent_begin = e.position;
          recent.push_back(std::move(e));
        }
      }
      while (recent.size() > kRecentEvents) {
        recent.pop_front();
        ++recent_begin;
      }
    }
    {
      std::lock_guard<std::mutex> lock(commit_mu);
      committed_size.store(batch.back()->end_position);
    }
    commit_cv.notify_all();
    if (index_tail->active_entries() >= options.index_tail_entries) index_cv.notify_one();
    t_defer_wake = true;
    for (auto& g : batch) {
      g->synced_at = synced_at;
      CountStages(*g);
      CompleteGroup(*g, Status::Ok());
    }
    t_defer_wake = false;
    if (std::exchange(t_wake_deferred, false)) queue_cv.notify_one();
  }
}

void Ledger::Impl::CountStages(const CommitGroup& g) {
  const auto n = static_cast<std::uint64_t>(g.completions.size());
  const std::int64_t now = SteadyMicros();
  const auto add = [n](std::atomic<std::uint64_t>& counter, std::int64_t from, std::int64_t to) {
    counter.fetch_add(n * static_cast<std::uint64_t>(std::max<std::int64_t>(0, to - from)), std::memory_order_relaxed);
  };
  pipeline.appends.fetch_add(n, std::memory_order_relaxed);
  pipeline.groups.fetch_add(1, std::memory_order_relaxed);
  pipeline.queued_us.fetch_add(g.queued_us, std::memory_order_relaxed);
  add(pipeline.sequenced_us, g.sequencing_at, g.sequenced_at);
  add(pipeline.signed_us, g.sequenced_at, g.signed_at);
  add(pipeline.written_us, g.signed_at, g.written_at);
  add(pipeline.synced_us, g.written_at, g.synced_at);
  add(pipeline.completed_us, g.synced_at, now);
}

void Ledger::Impl::FailGroup(std::unique_ptr<CommitGroup> g, const Status& cause) {
  Status s;
  {
    std::lock_guard<std::mutex> lock(commit_mu);
    if (background_error.ok()) {
      // Later groups were sequenced on top of this one: nothing more may be
      // written until the ledger is reopened and rebuilt from storage.
      background_error = Status::Unavailable("the ledger stopped after a failed write (" + cause.message() +
                                             "); reopen it");
    }
    s = background_error;
  }
  CompleteGroup(*g, s);
}

void Ledger::Impl::CompleteGroup(CommitGroup& g, const Status& s) {
  {
    std::lock_guard<std::mutex> lock(inflight_mu);
    for (CommitGroup::Completion& c : g.completions) {
      auto it = c.command_id.empty() ? inflight_commands.end() : inflight_commands.find(c.command_id);
      if (it != inflight_commands.end() && it->second.group == &g) inflight_commands.erase(it);
    }
    for (const std::string& subject : g.subject_keys) {
      auto it = inflight_keys.find(subject);
      if (it != inflight_keys.end() && it->second.group == &g) inflight_keys.erase(it);
    }
  }
  // A durable shred: readers must load the subject's key again, and find it gone.
  if (s.ok()) {
    for (CommitGroup::Completion& c : g.completions) {
      if (c.op->kind == PendingOp::Kind::kShred) ForgetReaderKey(c.op->subject_id);
    }
  }
  // No lock needed from here: followers cannot attach once the entries are gone.
  for (CommitGroup::Completion& c : g.completions) {
    std::vector<PendingOp*> followers = std::move(c.followers);
    AppendResult result = c.result;
    if (s.ok()) {
      Finish(c.op, result);
    } else {
      Finish(c.op, s);
    }
    result.duplicate = true;
    for (PendingOp* f : followers) {
      if (s.ok()) {
        Finish(f, result);
      } else {
        Finish(f, s);
      }
    }
  }
}

}  // namespace nrpf::ledger
