// Sequencing one commit group: deciding each queued request (idempotency,
// expected versions, data keys), assigning positions, sealing, building the
// records, extending the tree and preparing the checkpoints the signers
// sign. Runs on the sequencer thread only; see ledger_impl.h.

#include <sodium.h>

#include <algorithm>
#include <functional>

#include "ledger/coding.h"
#include "ledger/ledger_impl.h"

namespace nrpf::ledger {

namespace {

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

flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> Bytes(flatbuffers::FlatBufferBuilder& b,
                                                              std::string_view s) {
  return b.CreateVector(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

Status CommandIdReused(const std::string& command_id) {
  return Status(Code::kCommandIdReused, "command id " + command_id + " was already used for another request");
}

// The request's sealed subjects and their keys, sorted by subject id.
std::vector<std::pair<std::string, DataKey>> SortedKeys(const SubjectKeys& keys) {
  std::vector<std::pair<std::string, DataKey>> sorted;
  sorted.reserve(keys.size());
  for (const auto& [subject, k] : keys) sorted.emplace_back(subject, k.key);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return sorted;
}

}  // namespace

std::optional<DataKey> Ledger::Impl::PersonalDigestKey(
    const std::vector<std::pair<std::string, DataKey>>& sealed) const {
  if (sealed.empty()) return std::nullopt;
  Digest d;
  d.Add(sealed.size());
  for (const auto& [subject, key] : sealed) {
    d.Add(subject);
    d.Add(AsBytes(key));
  }
  return d.Finish(command_digest_key);
}

std::optional<Hash> Ledger::Impl::FingerprintDigest(const std::string& command_id,
                                                    const CommandFingerprint& fingerprint,
                                                    const std::optional<DataKey>& personal_key) const {
  Hash personal{};
  if (!fingerprint.personal.empty()) {
    if (!personal_key) return std::nullopt;
    crypto_generichash(personal.data(), personal.size(),
                       reinterpret_cast<const unsigned char*>(fingerprint.personal.data()),
                       fingerprint.personal.size(), personal_key->data(), personal_key->size());
  }
  Digest d;
  d.Add(std::string_view("fingerprint"));
  d.Add(command_id);
  d.Add(fingerprint.content);
  d.Add(fingerprint.personal.empty() ? std::string_view() : AsBytes(personal));
  return d.Finish(command_digest_key);
}

Result<std::optional<DataKey>> Ledger::Impl::StoredPersonalKey(const AppendResult& stored) const {
  Result<std::vector<StoredEvent>> events = ReadFrom(stored.first_position, stored.count);
  if (!events.ok()) return events.status();
  if (events->size() != stored.count) {
    return Status::Corruption("the events of a stored command at " + std::to_string(stored.first_position) +
                              " are missing");
  }
  std::vector<std::string> subjects;
  for (const StoredEvent& e : *events) {
    const fb::Record* r = e.record();
    if (r->sealed() == nullptr) continue;
    for (const fb::SealedSection* sec : *r->sealed()) {
      subjects.push_back(sec->subject_id() ? sec->subject_id()->str() : std::string());
    }
  }
  std::sort(subjects.begin(), subjects.end());
  subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
  std::vector<std::pair<std::string, DataKey>> sealed;
  for (std::string& subject : subjects) {
    std::optional<InFlightKey> inflight;
    {
      std::lock_guard<std::mutex> lock(inflight_mu);
      auto it = inflight_keys.find(subject);
      if (it != inflight_keys.end()) inflight = it->second;
    }
    if (inflight && !inflight->key) {
      return Status::Shredded("the personal data of subject " + subject + " was erased");
    }
    DataKey key{};
    if (inflight) {
      key = *inflight->key;
    } else {
      Result<StoredKey> k = LoadSubjectKey(subject);
      if (!k.ok()) return k.status();
      if (!k->has_value()) return Status::Corruption("no data key for subject " + subject + " of a stored command");
      key = (*k)->first;
    }
    sealed.emplace_back(std::move(subject), key);
  }
  return PersonalDigestKey(sealed);
}

Result<AppendResult> Ledger::Impl::MatchStoredCommand(const std::string& command_id, std::string_view entry,
                                                      const CommandFingerprint* fingerprint,
                                                      const Hash& request_digest) const {
  Result<AppendResult> stored = DecodeCommandEntry(entry);
  if (!stored.ok()) return stored;
  const bool entry_fingerprinted = CommandEntryFingerprinted(entry);
  if (fingerprint == nullptr) {
    if (entry_fingerprinted || std::memcmp(entry.data(), request_digest.data(), request_digest.size()) != 0) {
      return CommandIdReused(command_id);
    }
    return stored;
  }
  if (!entry_fingerprinted) {
    // Its digest is over the events it appended, which a retry decided anew
    // cannot reproduce: a retry and another command look alike. Refused, so
    // that nothing is answered as written that was not.
    return Status(Code::kCommandIdReused,
                  "command id " + command_id + " was stored (at position " + std::to_string(stored->first_position) +
                      ") by a version that kept no fingerprint of the command, so this request cannot be told "
                      "from another one; check what it wrote before sending this under a new command id");
  }
  std::optional<DataKey> personal_key;
  if (!fingerprint->personal.empty()) {
    Result<std::optional<DataKey>> k = StoredPersonalKey(*stored);
    if (!k.ok()) return k.status();
    personal_key = *k;
  }
  const std::optional<Hash> digest = FingerprintDigest(command_id, *fingerprint, personal_key);
  if (!digest || std::memcmp(entry.data(), digest->data(), digest->size()) != 0) return CommandIdReused(command_id);
  return stored;
}

std::uint64_t Ledger::Impl::SequencedStreamVersion(const std::string& stream) const {
  auto it = stream_versions.find(stream);
  return it == stream_versions.end() ? 0 : it->second;
}

Status Ledger::Impl::LoadDataKeys(const PendingOp& op, SubjectKeys* keys) {
  const AppendRequest& req = op.request;
  for (const NewEvent& e : req.events) {
    for (const PersonalSection& p : e.personal) {
      if (keys->count(p.subject_id) != 0) continue;
      // A shred drops the subject from the cache as it sequences the marker.
      if (auto cached = subject_key_cache.find(p.subject_id); cached != subject_key_cache.end()) {
        keys->emplace(p.subject_id, SubjectKey{cached->second.first, cached->second.second, false});
        continue;
      }
      auto entry = subject_key_entries.find(p.subject_id);
      Result<StoredKey> stored =
          entry == subject_key_entries.end() ? StoredKey() : DecodeSubjectKey(p.subject_id, entry->second);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) {
        if (subject_key_cache.size() >= options.subject_key_cache_entries) subject_key_cache.clear();
        subject_key_cache.emplace(p.subject_id, **stored);
        keys->emplace(p.subject_id, SubjectKey{(*stored)->first, (*stored)->second, false});
      } else {
        keys->emplace(p.subject_id, SubjectKey{NewDataKey(), 1, true});
      }
    }
  }
  return Status::Ok();
}

bool Ledger::Impl::SettleIfRepeated(PendingOp* op, const Hash& digest) {
  const std::string& id = op->request.command_id;
  if (id.empty()) return false;
  const std::optional<CommandFingerprint>& fingerprint = op->request.fingerprint;
  bool attached = false;
  bool reused = false;
  {
    std::lock_guard<std::mutex> lock(inflight_mu);
    auto it = inflight_commands.find(id);
    if (it != inflight_commands.end()) {
      // The original is still in flight: settle this retry with it. A
      // fingerprint's personal part is digested with the original's keys.
      const InFlightCommand& original = it->second;
      if (original.fingerprinted != fingerprint.has_value()) {
        reused = true;
      } else if (!fingerprint) {
        reused = original.digest != digest;
      } else {
        const std::optional<Hash> d = FingerprintDigest(id, *fingerprint, original.personal_key);
        reused = !d || *d != original.digest;
      }
      if (!reused) original.group->completions[original.completion].followers.push_back(op);
      attached = true;
    }
  }
  if (reused) Finish(op, CommandIdReused(id));
  if (attached) return true;
  Result<std::optional<std::string>> v = StoredCommand(id);
  if (!v.ok()) {
    Finish(op, v.status());
    return true;
  }
  if (!v->has_value()) return false;
  Finish(op, MatchStoredCommand(id, **v, fingerprint ? &*fingerprint : nullptr, digest));
  return true;
}

Status Ledger::Impl::CheckExpectations(const PendingOp& op) {
  for (const StreamExpectation& x : op.request.expectations) {
    const std::uint64_t cur = SequencedStreamVersion(x.stream_id);
    if (cur != x.expected_version) {
      return Status::WrongExpectedVersion("stream " + x.stream_id + " is at version " + std::to_string(cur) +
                                              ", expected " + std::to_string(x.expected_version),
                                          cur);
    }
  }
  return Status::Ok();
}

void Ledger::Impl::SequenceShred(PendingOp* op, CommitGroup* g, std::int64_t now) {
  subject_key_cache.erase(op->subject_id);
  std::string marker("X");
  PutFixed64BE(&marker, static_cast<std::uint64_t>(now));
  (void)g->batch.Put(Cf(layout::kSubjectKeys), op->subject_id, marker);  // Put fails only past 4 GiB
  subject_key_entries.insert_or_assign(op->subject_id, std::move(marker));
  {
    std::lock_guard<std::mutex> lock(inflight_mu);
    inflight_keys[op->subject_id] = InFlightKey{std::nullopt, 0, g};
  }
  g->subject_keys.push_back(op->subject_id);
  g->completions.push_back({op, AppendResult{next_position, 0, now, false}, "", {}});
}

std::string_view Ledger::Impl::BuildRecord(const AppendRequest& req, const NewEvent& e, std::uint64_t pos,
                                           std::uint64_t version, std::int64_t now, const SubjectKeys& keys,
                                           std::vector<std::string>* subjects) {
  char ids[16 + 24];  // event id, then one nonce at a time
  const std::string_view event_id(ids, 16);
  random.Fill(ids, 16);
  subjects->assign(e.subjects.begin(), e.subjects.end());
  for (const PersonalSection& p : e.personal) subjects->push_back(p.subject_id);
  if (subjects->size() > 1) {
    std::sort(subjects->begin(), subjects->end());
    subjects->erase(std::unique(subjects->begin(), subjects->end()), subjects->end());
  }

  flatbuffers::FlatBufferBuilder& b = builder;
  b.Clear();
  sealed_offsets.clear();
  for (const PersonalSection& p : e.personal) {
    const SubjectKey& k = keys.at(p.subject_id);
    random.Fill(ids + 16, 24);
    const std::string_view nonce(ids + 16, 24);
    // Sealed straight into the record's buffer: no copy of the ciphertext.
    std::uint8_t* out = nullptr;
    auto ciphertext = b.CreateUninitializedVector(p.plaintext.size() + kSealOverhead, &out);
    SealSectionInto(k.key, p.subject_id, p.label, event_id, p.plaintext, nonce, out);
    auto nonce_offset = Bytes(b, nonce);
    auto label = b.CreateString(p.label);
    auto subject = b.CreateString(p.subject_id);
    sealed_offsets.push_back(fb::CreateSealedSection(b, subject, k.generation, label, nonce_offset, ciphertext));
  }
  string_offsets.clear();
  for (const std::string& s : *subjects) string_offsets.push_back(b.CreateString(s));
  auto actor = fb::CreateActor(b, b.CreateString(req.actor.user_id), b.CreateString(req.actor.organisation_id),
                               b.CreateString(req.actor.role));
  auto stream = b.CreateString(e.stream_id);
  auto eid = Bytes(b, event_id);
  auto cmd = b.CreateString(req.command_id);
  auto type = b.CreateString(e.type);
  auto body = Bytes(b, e.body);
  auto subj = b.CreateVector(string_offsets);
  auto seal = b.CreateVector(sealed_offsets);
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
  return {reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()};
}

void Ledger::Impl::SequenceAppend(PendingOp* op, const SubjectKeys& keys, const Hash& digest,
                                  const std::optional<DataKey>& personal_key, CommitGroup* g, std::int64_t now) {
  const AppendRequest& req = op->request;
  CommitGroup::Completion done{
      op, AppendResult{next_position, static_cast<std::uint32_t>(req.events.size()), now, false}, req.command_id, {}};
  for (const auto& [subject, k] : keys) {
    if (!k.fresh) continue;
    std::string value("K");
    PutFixed32BE(&value, k.generation);
    value += master->Wrap(subject, k.key);
    (void)g->batch.Put(Cf(layout::kSubjectKeys), subject, value);
    subject_key_entries.insert_or_assign(subject, std::move(value));
    {
      std::lock_guard<std::mutex> lock(inflight_mu);
      inflight_keys[subject] = InFlightKey{k.key, k.generation, g};
    }
    g->subject_keys.push_back(subject);
    if (subject_key_cache.size() >= options.subject_key_cache_entries) subject_key_cache.clear();
    subject_key_cache.emplace(subject, std::make_pair(k.key, k.generation));
  }
  for (const auto& [subject, k] : keys) g->sealed_with.emplace_back(subject, std::make_pair(k.key, k.generation));
  std::vector<TreeNode> nodes;
  std::vector<std::string> subjects;
  for (const NewEvent& e : req.events) {
    const std::uint64_t pos = next_position++;
    const std::uint64_t version = ++stream_versions[e.stream_id];
    const std::string_view bytes = BuildRecord(req, e, pos, version, now, keys, &subjects);
    (void)g->batch.Put(Cf(layout::kRecords), layout::PositionKey(pos), bytes);
    g->events.push_back(StoredEvent{pos, std::string(bytes), signer->verifier().key_id(), {}});
    nodes.clear();
    const Hash leaf = LeafHash(bytes);
    g->leaves.append(AsBytes(leaf));
    frontier.Append(leaf, &nodes);
    for (const TreeNode& n : nodes) {
      if (n.level < layout::kFirstStoredLevel) continue;  // folded from the leaves
      (void)g->batch.Put(Cf(layout::kTree), layout::TreeKey(n.level, n.index), AsBytes(n.hash));
      if (n.level >= kCachedLevel) {
        std::unique_lock<std::shared_mutex> lock(cache_mu);
        const std::size_t slot = n.level - kCachedLevel;
        if (upper_nodes.size() <= slot) upper_nodes.resize(slot + 1);
        upper_nodes[slot].push_back(n.hash);
      }
    }
    g->index.streams.push_back({e.stream_id, version, pos});
    for (std::string& s : subjects) g->index.subjects.push_back({std::move(s), pos});
    std::string& cp = g->bodies.emplace_back();
    AppendCheckpointBody(origin, pos + 1, frontier.Root(), &cp);
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
  g->index.end = next_position;
  // Before any later op of this group is settled: a refusal it gets was
  // checked against these events too.
  sequenced_size.store(next_position);
  if (!req.command_id.empty()) {
    std::string v(reinterpret_cast<const char*>(digest.data()), digest.size());
    PutFixed64BE(&v, done.result.first_position);
    PutFixed32BE(&v, done.result.count | (req.fingerprint ? layout::kCommandFingerprinted : 0));
    PutFixed64BE(&v, static_cast<std::uint64_t>(now));
    PutFixed32BE(&g->command_log, static_cast<std::uint32_t>(req.command_id.size()));
    g->command_log += req.command_id;
    g->command_log += v;
    g->index.commands.push_back({req.command_id, std::move(v)});
    std::lock_guard<std::mutex> lock(inflight_mu);
    inflight_commands[req.command_id] =
        InFlightCommand{digest, g, g->completions.size(), req.fingerprint.has_value(), personal_key};
  }
  std::lock_guard<std::mutex> lock(inflight_mu);  // retries may attach as followers from here on
  g->completions.push_back(std::move(done));
}

void Ledger::Impl::SequenceGroup(std::vector<PendingOp*> ops) {
  Status failed;
  {
    std::lock_guard<std::mutex> lock(commit_mu);
    failed = background_error;
  }
  if (!failed.ok()) {
    // Outside commit_mu: a callback may ask the ledger's health.
    for (PendingOp* op : ops) Finish(op, failed);
    return;
  }
  auto g = std::make_unique<CommitGroup>();
  g->sequencing_at = SteadyMicros();
  g->first_position = next_position;
  last_time_us = std::max(last_time_us, clock->NowMicros());
  const std::int64_t now = last_time_us;

  for (PendingOp* op : ops) {
    if (op->kind == PendingOp::Kind::kShred) {
      SequenceShred(op, g.get(), now);
      continue;
    }
    // Data keys first: the command digest covers personal data only through
    // them, so once a subject is shredded no stored digest can confirm a
    // guess at what was erased (a retry then fails with kShredded).
    SubjectKeys keys;
    Status s = LoadDataKeys(*op, &keys);
    if (!s.ok()) {
      Finish(op, s);
      continue;
    }
    // A fingerprinted command is digested by its fingerprint: its personal
    // part keyed with the keys of the subjects it seals.
    std::optional<DataKey> personal_key;
    Hash digest{};
    if (op->request.fingerprint) {
      personal_key = PersonalDigestKey(SortedKeys(keys));
      const std::optional<Hash> d = FingerprintDigest(op->request.command_id, *op->request.fingerprint, personal_key);
      if (!d) {  // CheckRequest refuses it before it is queued
        Finish(op, Status::InvalidArgument("a fingerprint with personal data needs an event that seals some"));
        continue;
      }
      digest = *d;
    } else {
      digest = RequestDigest(command_digest_key, op->request,
                             [&](const std::string& subject) -> const DataKey& { return keys.at(subject).key; });
    }
    if (SettleIfRepeated(op, digest)) continue;
    s = CheckExpectations(*op);  // before any state changes
    if (!s.ok()) {
      Finish(op, s);
      continue;
    }
    SequenceAppend(op, keys, digest, personal_key, g.get(), now);
  }
  g->end_position = next_position;
  if (g->completions.empty()) return;
  if (!g->command_log.empty()) {
    (void)g->batch.Put(Cf(layout::kCommandLog), layout::PositionKey(g->first_position), g->command_log);
  }
  if (!g->leaves.empty()) (void)g->batch.Put(Cf(layout::kLeaves), layout::PositionKey(g->first_position), g->leaves);
  g->signatures.resize(g->bodies.size());
  for (const CommitGroup::Completion& c : g->completions) {
    g->queued_us += static_cast<std::uint64_t>(std::max<std::int64_t>(0, g->sequencing_at - c.op->queued_at));
  }

  // The signers sign it while this thread sequences the next group.
  std::unique_lock<std::mutex> lock(group_mu);
  room_cv.wait(lock, [this] { return groups.size() < kMaxGroupsInFlight; });
  g->sequenced_at = SteadyMicros();
  const std::size_t to_sign = g->bodies.size();
  if (to_sign == 0) g->signed_at = g->sequenced_at;  // a group of shreds only: nothing to sign
  groups.push_back(std::move(g));
  lock.unlock();
  if (to_sign == 0) {
    group_cv.notify_one();  // the committer may take it now
  } else if (to_sign <= kSignClaim) {
    sign_cv.notify_one();  // one claim; the signer that finishes it wakes the committer
  } else {
    sign_cv.notify_all();
  }
}

}  // namespace nrpf::ledger
