// The group-commit pipeline: sequencer -> signers -> committer. See
// ledger_impl.h for the shape and ledger.h for the guarantees.

#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <functional>
#include <set>

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

// Keyed BLAKE2b over a length-prefixed encoding of the whole request. Keyed
// (with a key derived from the master key) so the stored digest reveals
// nothing about the request. The encoding is built in one buffer and hashed
// in one call: many small hash updates cost more than the hashing.
class Digest {
 public:
  void Add(std::string_view s) {
    PutFixed64BE(&buf_, s.size());
    buf_.append(s);
  }
  void Add(std::uint64_t v) { PutFixed64BE(&buf_, v); }
  Hash Finish(const DataKey& key) const {
    Hash h{};
    crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(buf_.data()), buf_.size(),
                       key.data(), key.size());
    return h;
  }

 private:
  std::string buf_;
};

// Personal plaintext enters the digest only as BLAKE2b keyed with the
// subject's own data key, which shredding destroys.
Hash RequestDigest(const DataKey& key, const AppendRequest& req,
                   const std::function<const DataKey&(const std::string&)>& subject_key) {
  Digest d;
  d.Add(req.command_id);
  d.Add(req.actor.user_id);
  d.Add(req.actor.organisation_id);
  d.Add(req.actor.role);
  d.Add(req.expectations.size());
  for (const auto& x : req.expectations) {
    d.Add(x.stream_id);
    d.Add(x.expected_version);
  }
  d.Add(req.events.size());
  for (const NewEvent& e : req.events) {
    d.Add(e.stream_id);
    d.Add(e.type);
    d.Add(e.version);
    d.Add(e.body);
    d.Add(e.subjects.size());
    for (const auto& s : e.subjects) d.Add(s);
    d.Add(e.personal.size());
    for (const auto& p : e.personal) {
      d.Add(p.subject_id);
      d.Add(p.label);
      const DataKey& sk = subject_key(p.subject_id);
      Hash h{};
      crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(p.plaintext.data()),
                         p.plaintext.size(), sk.data(), sk.size());
      d.Add(AsBytes(h));
    }
  }
  return d.Finish(key);
}

std::size_t EventCount(const PendingOp* op) {
  return op->kind == PendingOp::Kind::kAppend ? op->request.events.size() : 0;
}

flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> Bytes(flatbuffers::FlatBufferBuilder& b,
                                                              std::string_view s) {
  return b.CreateVector(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

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
                                    " waiting); retry later");
    } else {
      queue.push_back(op.release());
    }
  }
  if (!refused.ok()) {
    Finish(op.release(), refused);
    return;
  }
  queue_cv.notify_one();
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
  committer_thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "nrpf-committer");
    CommitterLoop();
  });
  syncer_thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "nrpf-syncer");
    SyncerLoop();
  });
}

void Ledger::Impl::StopPipeline() {
  {
    std::lock_guard<std::mutex> lock(queue_mu);
    stop_sequencer = true;
  }
  queue_cv.notify_all();
  if (sequencer_thread.joinable()) sequencer_thread.join();
  {
    std::lock_guard<std::mutex> lock(group_mu);
    stop_committer = true;
  }
  group_cv.notify_all();
  if (committer_thread.joinable()) committer_thread.join();
  {
    std::lock_guard<std::mutex> lock(sync_mu);
    stop_syncer = true;
  }
  sync_cv.notify_all();
  if (syncer_thread.joinable()) syncer_thread.join();
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

void Ledger::Impl::SequenceGroup(std::vector<PendingOp*> ops) {
  {
    std::lock_guard<std::mutex> lock(commit_mu);
    if (!background_error.ok()) {
      for (PendingOp* op : ops) Finish(op, background_error);
      return;
    }
  }
  auto g = std::make_unique<CommitGroup>();
  g->first_position = next_position;
  last_time_us = std::max(last_time_us, clock->NowMicros());
  const std::int64_t now = last_time_us;
  std::vector<TreeNode> nodes;

  // Current version of a stream as this sequencer sees it (committed plus in flight).
  auto current_version = [this](const std::string& stream) -> Result<std::uint64_t> {
    auto it = stream_versions.find(stream);
    if (it != stream_versions.end()) return it->second;
    // Not in flight: the stored version is the whole truth.
    Result<std::uint64_t> v = StoredStreamVersion(stream);
    if (v.ok()) stream_versions.emplace(stream, *v);
    return v;
  };

  for (PendingOp* op : ops) {
    if (op->kind == PendingOp::Kind::kShred) {
      subject_key_cache.erase(op->subject_id);
      std::string marker("X");
      PutFixed64BE(&marker, static_cast<std::uint64_t>(now));
      (void)g->batch.Put(Cf(layout::kSubjectKeys), op->subject_id, marker);  // WriteBatch::Put only fails on size overflow
      {
        std::lock_guard<std::mutex> lock(inflight_mu);
        inflight_keys[op->subject_id] = InFlightKey{std::nullopt, 0, g.get()};
      }
      g->subject_keys.push_back(op->subject_id);
      g->completions.push_back({op, AppendResult{next_position, 0, now, false}, "", {}});
      continue;
    }

    const AppendRequest& req = op->request;
    // Data keys first: the command digest covers personal data only through
    // them, so once a subject is shredded no stored digest can confirm a
    // guess at what was erased (a retry then fails with kShredded).
    struct SubjectKey {
      DataKey key;
      std::uint32_t generation;
      bool fresh;
    };
    std::unordered_map<std::string, SubjectKey> keys;
    Status refused;
    for (const NewEvent& e : req.events) {
      for (const PersonalSection& p : e.personal) {
        if (!refused.ok() || keys.count(p.subject_id) != 0) continue;
        std::optional<InFlightKey> inflight;
        {
          std::lock_guard<std::mutex> lock(inflight_mu);
          auto it = inflight_keys.find(p.subject_id);
          if (it != inflight_keys.end()) inflight = it->second;
        }
        if (inflight) {
          if (!inflight->key) {
            refused = Status::Shredded("the personal data of subject " + p.subject_id + " was erased");
          } else {
            keys.emplace(p.subject_id, SubjectKey{*inflight->key, inflight->generation, false});
          }
          continue;
        }
        if (auto cached = subject_key_cache.find(p.subject_id); cached != subject_key_cache.end()) {
          keys.emplace(p.subject_id, SubjectKey{cached->second.first, cached->second.second, false});
          continue;
        }
        auto stored = LoadSubjectKey(p.subject_id);
        if (stored.ok() && stored->has_value()) {
          if (subject_key_cache.size() >= kSubjectKeyCacheMax) subject_key_cache.clear();
          subject_key_cache.emplace(p.subject_id, **stored);
        }
        if (!stored.ok()) {
          refused = stored.status();
        } else if (stored->has_value()) {
          keys.emplace(p.subject_id, SubjectKey{(*stored)->first, (*stored)->second, false});
        } else {
          keys.emplace(p.subject_id, SubjectKey{NewDataKey(), 1, true});
        }
      }
    }
    if (!refused.ok()) {
      Finish(op, refused);
      continue;
    }
    const Hash digest = RequestDigest(command_digest_key, req, [&](const std::string& subject) -> const DataKey& {
      return keys.at(subject).key;
    });
    if (!req.command_id.empty()) {
      bool attached = false;
      bool reused = false;
      {
        std::lock_guard<std::mutex> lock(inflight_mu);
        auto it = inflight_commands.find(req.command_id);
        if (it != inflight_commands.end()) {
          reused = it->second.digest != digest;
          if (!reused) it->second.group->completions[it->second.completion].followers.push_back(op);
          attached = true;
        }
      }
      if (reused) {
        Finish(op, Status(Code::kCommandIdReused,
                          "command id " + req.command_id + " was already used for another request"));
      }
      if (attached) continue;
      std::string v;
      rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kCommands), req.command_id, &v);
      if (s.ok()) {
        Result<AppendResult> stored = DecodeCommandEntry(v);
        if (stored.ok() && std::memcmp(v.data(), digest.data(), 32) != 0) {
          stored = Status(Code::kCommandIdReused, "command id " + req.command_id + " was already used for another request");
        }
        Finish(op, std::move(stored));
        continue;
      }
      if (!s.IsNotFound()) {
        Finish(op, FromRocks(s, "command lookup"));
        continue;
      }
    }

    // Checks that can refuse the request, before any state changes.
    for (const NewEvent& e : req.events) {
      Result<std::uint64_t> cur = current_version(e.stream_id);  // loads the stream's version
      if (!cur.ok()) refused = cur.status();
    }
    for (const StreamExpectation& x : req.expectations) {
      if (!refused.ok()) break;
      Result<std::uint64_t> cur = current_version(x.stream_id);
      if (!cur.ok()) {
        refused = cur.status();
        break;
      }
      if (*cur != x.expected_version) {
        refused = Status::WrongExpectedVersion("stream " + x.stream_id + " is at version " +
                                                   std::to_string(*cur) + ", expected " +
                                                   std::to_string(x.expected_version),
                                               *cur);
        break;
      }
    }
    if (!refused.ok()) {
      Finish(op, refused);
      continue;
    }

    // Build the records.
    CommitGroup::Completion done{op, AppendResult{next_position, static_cast<std::uint32_t>(req.events.size()), now, false},
                                 req.command_id, {}};
    for (auto& [subject, k] : keys) {
      if (!k.fresh) continue;
      std::string value("K");
      PutFixed32BE(&value, k.generation);
      value += master->Wrap(subject, k.key);
      (void)g->batch.Put(Cf(layout::kSubjectKeys), subject, value);
      std::lock_guard<std::mutex> lock(inflight_mu);
      inflight_keys[subject] = InFlightKey{k.key, k.generation, g.get()};
      g->subject_keys.push_back(subject);
      if (subject_key_cache.size() >= kSubjectKeyCacheMax) subject_key_cache.clear();
      subject_key_cache.emplace(subject, std::make_pair(k.key, k.generation));
    }
    for (const NewEvent& e : req.events) {
      const std::uint64_t pos = next_position++;
      const std::uint64_t version = ++stream_versions[e.stream_id];
      std::string event_id(16, '\0');
      random.Fill(event_id.data(), event_id.size());

      std::vector<std::string> subjects = e.subjects;
      for (const PersonalSection& p : e.personal) subjects.push_back(p.subject_id);
      std::sort(subjects.begin(), subjects.end());
      subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());

      flatbuffers::FlatBufferBuilder& b = builder;
      b.Clear();
      std::vector<flatbuffers::Offset<fb::SealedSection>> sealed;
      for (const PersonalSection& p : e.personal) {
        const SubjectKey& k = keys.at(p.subject_id);
        char nonce[24];
        random.Fill(nonce, sizeof(nonce));
        SealedBytes sb = SealSectionWithNonce(k.key, p.subject_id, p.label, event_id, p.plaintext,
                                              std::string_view(nonce, sizeof(nonce)));
        sealed.push_back(fb::CreateSealedSection(b, b.CreateString(p.subject_id), k.generation,
                                                 b.CreateString(p.label), Bytes(b, sb.nonce),
                                                 Bytes(b, sb.ciphertext)));
      }
      std::vector<flatbuffers::Offset<flatbuffers::String>> subject_offsets;
      for (const std::string& s : subjects) subject_offsets.push_back(b.CreateString(s));
      auto actor = fb::CreateActor(b, b.CreateString(req.actor.user_id),
                                   b.CreateString(req.actor.organisation_id),
                                   b.CreateString(req.actor.role));
      auto stream = b.CreateString(e.stream_id);
      auto eid = Bytes(b, event_id);
      auto cmd = b.CreateString(req.command_id);
      auto type = b.CreateString(e.type);
      auto body = Bytes(b, e.body);
      auto subj = b.CreateVector(subject_offsets);
      auto seal = b.CreateVector(sealed);
      fb::RecordBuilder rb(b);
      rb.add_position(pos);
      rb.add_stream_id(stream);
      rb.add_stream_version(version);
      rb.add_event_id(eid);
      rb.add_command_id(cmd);
      rb.add_recorded_at_us(now);
      rb.add_actor(actor);
      rb.add_event_type(type);
      rb.add_event_version(e.version);
      rb.add_body(body);
      rb.add_subjects(subj);
      rb.add_sealed(seal);
      fb::FinishRecordBuffer(b, rb.Finish());
      const std::string_view bytes(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());

      (void)g->batch.Put(Cf(layout::kRecords), layout::PositionKey(pos), bytes);
      nodes.clear();
      frontier.Append(LeafHash(bytes), &nodes);
      for (const TreeNode& n : nodes) {
        if (n.level == 0) continue;  // leaf hashes are recomputed from the records
        (void)g->batch.Put(Cf(layout::kTree), layout::TreeKey(n.level, n.index), AsBytes(n.hash));
        if (n.level >= kCachedLevel) {
          std::unique_lock<std::shared_mutex> lock(cache_mu);
          const std::size_t slot = n.level - kCachedLevel;
          if (upper_nodes.size() <= slot) upper_nodes.resize(slot + 1);
          upper_nodes[slot].push_back(n.hash);
        }
      }
      std::string pos_value;
      PutFixed64BE(&pos_value, pos);
      (void)g->batch.Put(Cf(layout::kStreams), layout::IndexKey(e.stream_id, version), pos_value);
      for (const std::string& s : subjects) {
        (void)g->batch.Put(Cf(layout::kSubjects), layout::IndexKey(s, pos), rocksdb::Slice());
      }
      std::string cp;
      AppendCheckpointBody(origin, pos + 1, frontier.Root(), &cp);
      g->bodies.push_back(std::move(cp));
      g->signers.push_back(signer);
      if (pos == 0) {
        (void)g->batch.Put(Cf(layout::kSigningKeys), layout::PositionKey(0), signer->verifier().ToString());
      }
      if (op->rotate_to) {
        // This event is signed by the outgoing key; the next by the new one.
        signer = op->rotate_to;
        (void)g->batch.Put(Cf(layout::kSigningKeys), layout::PositionKey(pos + 1), signer->verifier().ToString());
      }
    }
    if (!req.command_id.empty()) {
      std::string v(reinterpret_cast<const char*>(digest.data()), digest.size());
      PutFixed64BE(&v, done.result.first_position);
      PutFixed32BE(&v, done.result.count);
      PutFixed64BE(&v, static_cast<std::uint64_t>(now));
      (void)g->batch.Put(Cf(layout::kCommands), req.command_id, v);
      std::lock_guard<std::mutex> lock(inflight_mu);
      inflight_commands[req.command_id] = InFlightCommand{digest, g.get(), g->completions.size()};
    }
    {
      std::lock_guard<std::mutex> lock(inflight_mu);  // followers may attach from here on
      g->completions.push_back(std::move(done));
    }
  }
  g->end_position = next_position;
  if (g->completions.empty()) return;

  // Sign every checkpoint of the group on every core.
  const std::size_t n = g->bodies.size();
  std::vector<Signature> sigs(n);
  pool->ParallelFor(n, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) sigs[i] = g->signers[i]->Sign(g->bodies[i]);
  });
  for (std::size_t i = 0; i < n; ++i) {
    std::string v;
    PutFixed32BE(&v, g->signers[i]->verifier().key_id());
    v.append(reinterpret_cast<const char*>(sigs[i].data()), sigs[i].size());
    (void)g->batch.Put(Cf(layout::kSignatures), layout::PositionKey(g->first_position + i), v);
  }

  std::unique_lock<std::mutex> lock(group_mu);
  group_cv.wait(lock, [this] { return groups.size() < 2; });  // one writing, one ready
  groups.push_back(std::move(g));
  lock.unlock();
  group_cv.notify_all();
}

void Ledger::Impl::CommitterLoop() {
  for (;;) {
    std::unique_ptr<CommitGroup> g;
    {
      std::unique_lock<std::mutex> lock(group_mu);
      group_cv.wait(lock, [this] { return stop_committer || !groups.empty(); });
      if (groups.empty()) return;
      g = std::move(groups.front());
      groups.pop_front();
    }
    group_cv.notify_all();

    Status s;
    {
      std::lock_guard<std::mutex> lock(commit_mu);
      s = background_error;
    }
    if (s.ok()) {
      rocksdb::WriteOptions wo;
      wo.sync = false;  // the syncer fsyncs the WAL before anything is acknowledged
      s = FromRocks(db->Write(wo, &g->batch), "writing events " + std::to_string(g->first_position) +
                                                  ".." + std::to_string(g->end_position));
    }
    if (!s.ok()) {
      FailGroup(std::move(g), s);
      continue;
    }
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
    Status s = FromRocks(db->SyncWAL(), "syncing the WAL");
    if (!s.ok()) {
      for (auto& g : batch) FailGroup(std::move(g), s);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(commit_mu);
      committed_size.store(batch.back()->end_position);
    }
    commit_cv.notify_all();
    for (auto& g : batch) CompleteGroup(*g, Status::Ok());
  }
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
