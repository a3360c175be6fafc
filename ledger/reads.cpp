// Reads of committed events: by position range, by stream, by subject, by
// command id. Records and signatures come from RocksDB; the stream, subject
// and command indexes from RocksDB and, for the newest events, from the
// index tail (index_tail.h). Every read is bounded by committed_size.

#include <rocksdb/db.h>

#include <algorithm>

#include "ledger/coding.h"
#include "ledger/ledger_impl.h"

namespace nrpf::ledger {

// ---- Signatures and leaf hashes.

GroupCursor Ledger::Impl::SignatureCursor(const rocksdb::Snapshot* snapshot) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.fill_cache = snapshot == nullptr;  // a verify walk does not fill the cache
  return GroupCursor(std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ro, Cf(layout::kSignatures))),
                     layout::kSignatureEntrySize, "signature");
}

bool GroupCursor::Load() {
  valid_ = false;
  if (!it_->Valid() || it_->key().size() != 8) return false;
  const std::size_t size = it_->value().size();
  if (size == 0 || size % entry_size_ != 0) return false;
  first_ = DecodeFixed64BE(it_->key().data());
  count_ = size / entry_size_;
  valid_ = true;
  return true;
}

Result<std::string_view> GroupCursor::At(std::uint64_t position) {
  if (!Covers(position)) {
    // Usually the next group; otherwise seek to the group that starts at or
    // before the position.
    if (valid_ && position >= first_ + count_) {
      it_->Next();
      Load();
    }
    if (!Covers(position)) {
      it_->SeekForPrev(layout::PositionKey(position));
      Load();
    }
    if (!it_->status().ok()) return FromRocks(it_->status(), std::string("reading ") + what_);
    if (!Covers(position)) {
      if (it_->Valid() && !valid_) {
        return Status::Corruption(std::string(what_) + " group of " + std::to_string(position) + " is malformed");
      }
      return Status::Corruption(std::string(what_) + " of " + std::to_string(position) + " is missing");
    }
  }
  return it_->value().ToStringView().substr((position - first_) * entry_size_, entry_size_);
}

namespace {

// One stored event from its record and signature values, checked.
Result<StoredEvent> MakeStoredEvent(std::uint64_t pos, std::string_view record, std::string_view sig) {
  StoredEvent e;
  e.position = pos;
  e.bytes = std::string(record);
  Result<const fb::Record*> r = VerifyRecordBytes(e.bytes, pos);
  if (!r.ok()) return r.status();
  e.key_id = DecodeFixed32BE(sig.data());
  std::memcpy(e.signature.data(), sig.data() + 4, 64);
  return e;
}

}  // namespace

namespace {

// The position the records iterator stands at, or UINT64_MAX.
std::uint64_t PositionAt(const rocksdb::Iterator& rec) {
  return rec.Valid() && rec.key().size() == 8 ? DecodeFixed64BE(rec.key().data()) : UINT64_MAX;
}

// Moves the records iterator to `p`: a few steps when it stands just before
// (the next event of a range, or a nearby one of an index), a seek otherwise.
// Then appends the event there.
Status TakeEvent(std::uint64_t p, rocksdb::Iterator* rec, GroupCursor* sigs, std::vector<StoredEvent>* out) {
  constexpr std::uint64_t kStepLimit = 8;
  std::uint64_t at = PositionAt(*rec);
  for (std::uint64_t steps = 0; at < p && p - at <= kStepLimit && steps < kStepLimit; ++steps) {
    rec->Next();
    at = PositionAt(*rec);
  }
  if (at != p) {
    rec->Seek(layout::PositionKey(p));
    at = PositionAt(*rec);
  }
  if (at != p) {
    if (!rec->status().ok()) return FromRocks(rec->status(), "reading event " + std::to_string(p));
    return Status::Corruption("record " + std::to_string(p) + " is missing");
  }
  Result<std::string_view> sig = sigs->At(p);
  if (!sig.ok()) return sig.status();
  Result<StoredEvent> e = MakeStoredEvent(p, rec->value().ToStringView(), *sig);
  if (!e.ok()) return e.status();
  out->push_back(std::move(e).value());
  return Status::Ok();
}

}  // namespace

Result<std::vector<StoredEvent>> Ledger::Impl::ReadFrom(std::uint64_t from, std::size_t max) const {
  std::vector<StoredEvent> out;
  const std::uint64_t size = committed_size.load();
  if (from >= size || max == 0) return out;
  const std::uint64_t end = from + std::min<std::uint64_t>(max, size - from);
  rocksdb::ReadOptions ro;
  const std::string upper = layout::PositionKey(end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> rec(db->NewIterator(ro, Cf(layout::kRecords)));
  GroupCursor sigs = SignatureCursor();
  rec->Seek(layout::PositionKey(from));
  out.reserve(end - from);
  for (std::uint64_t pos = from; pos < end; ++pos) NRPF_RETURN_IF_ERROR(TakeEvent(pos, rec.get(), &sigs, &out));
  return out;
}

Result<std::vector<StoredEvent>> Ledger::Impl::ReadPositions(
    const std::vector<std::uint64_t>& positions) const {
  std::vector<StoredEvent> out;
  out.reserve(positions.size());
  const std::uint64_t size = committed_size.load();
  GroupCursor sigs = SignatureCursor();
  // Ascending positions from an index: one iterator for all of them.
  std::unique_ptr<rocksdb::Iterator> rec(db->NewIterator(rocksdb::ReadOptions(), Cf(layout::kRecords)));
  for (std::uint64_t p : positions) {
    if (p >= size) return Status::NotFound("no event at position " + std::to_string(p));
    NRPF_RETURN_IF_ERROR(TakeEvent(p, rec.get(), &sigs, &out));
  }
  return out;
}

Result<std::vector<StoredEvent>> Ledger::ReadRange(std::uint64_t from, std::size_t max) const {
  return impl_->ReadFrom(from, max);
}

Result<StoredEvent> Ledger::Read(std::uint64_t position) const {
  Result<std::vector<StoredEvent>> one = impl_->ReadFrom(position, 1);
  if (!one.ok()) return one.status();
  if (one->empty()) return Status::NotFound("no event at position " + std::to_string(position));
  return std::move(one->front());
}

// ---- Indexes.

namespace {

// (n, position) pairs from an index (stream or subject) with keys
// prefix || 0x00 || be64(n), n >= from, ascending; n is the stream version
// (value = position) or the position itself.
Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> ScanIndex(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& prefix, std::uint64_t from,
    std::size_t max, bool position_in_key) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;
  const std::string p = layout::IndexPrefix(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  for (it->Seek(layout::IndexKey(prefix, from)); it->Valid() && entries.size() < max; it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(p) || k.size() != p.size() + 8) break;
    const std::uint64_t n = DecodeFixed64BE(k.data() + p.size());
    if (!position_in_key && it->value().size() != 8) return Status::Corruption("stream index value");
    entries.emplace_back(n, position_in_key ? n : DecodeFixed64BE(it->value().data()));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading index");
  return entries;
}

// Stored and tail entries together: ascending by n, each n once, only
// committed positions, at most `max`.
std::vector<std::uint64_t> MergePositions(std::vector<std::pair<std::uint64_t, std::uint64_t>> entries,
                                          std::uint64_t committed, std::size_t max) {
  std::sort(entries.begin(), entries.end());
  std::vector<std::uint64_t> positions;
  for (std::size_t i = 0; i < entries.size() && positions.size() < max; ++i) {
    if (i > 0 && entries[i].first == entries[i - 1].first) continue;
    if (entries[i].second >= committed) break;
    positions.push_back(entries[i].second);
  }
  return positions;
}

}  // namespace

Result<std::vector<StoredEvent>> Ledger::ReadStream(const std::string& stream_id,
                                                    std::uint64_t from_version,
                                                    std::size_t max) const {
  const std::uint64_t committed = Size();
  from_version = std::max<std::uint64_t>(from_version, 1);
  // The tail first, then RocksDB: an entry leaves the tail only once RocksDB
  // holds it, so in this order an ingestion between the two reads cannot
  // hide it.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> tail;
  impl_->index_tail->StreamEntries(stream_id, from_version, &tail);
  auto entries = ScanIndex(impl_->db.get(), impl_->Cf(layout::kStreams), stream_id, from_version, max,
                           /*position_in_key=*/false);
  if (!entries.ok()) return entries.status();
  entries->insert(entries->end(), tail.begin(), tail.end());
  return impl_->ReadPositions(MergePositions(std::move(entries).value(), committed, max));
}

Result<std::uint64_t> Ledger::Impl::StoredStreamVersion(const std::string& stream_id) const {
  const std::uint64_t committed = committed_size.load();
  if (auto last = index_tail->LastOfStream(stream_id)) {
    if (last->second < committed) return last->first;
    // Its newest event is durable but not yet published: the one before.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> tail;
    index_tail->StreamEntries(stream_id, 0, &tail);
    for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
      if (it->second < committed) return it->first;
    }
  }
  if (!stream_heads) {
    // A format 1 log opened read-only: the newest entry of the stream index.
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), Cf(layout::kStreams)));
    const std::string prefix = layout::IndexPrefix(stream_id);
    it->SeekForPrev(layout::IndexKey(stream_id, UINT64_MAX));
    if (!it->status().ok()) return FromRocks(it->status(), "reading stream " + stream_id);
    if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8) return std::uint64_t{0};
    return DecodeFixed64BE(it->key().data() + prefix.size());
  }
  // One point read (a bloom filter answers most new streams) instead of a
  // seek into the stream index.
  rocksdb::PinnableSlice head;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kStreamHeads), stream_id, &head);
  if (s.IsNotFound()) return std::uint64_t{0};
  if (!s.ok()) return FromRocks(s, "reading stream " + stream_id);
  if (head.size() != 8) return Status::Corruption("stream head of " + stream_id + " is malformed");
  return DecodeFixed64BE(head.data());
}

Result<std::uint64_t> Ledger::StreamVersion(const std::string& stream_id) const {
  return impl_->StoredStreamVersion(stream_id);
}

Result<AppendResult> DecodeCommandEntry(std::string_view v) {
  if (v.size() != layout::kCommandValueSize) return Status::Corruption("command entry is malformed");
  AppendResult r;
  r.first_position = DecodeFixed64BE(v.data() + 32);
  r.count = DecodeFixed32BE(v.data() + 40) & layout::kCommandCountMask;
  r.recorded_at_us = static_cast<std::int64_t>(DecodeFixed64BE(v.data() + 44));
  r.duplicate = true;
  return r;
}

Result<std::vector<StoredEvent>> Ledger::ReadSubject(const std::string& subject_id, std::uint64_t from,
                                                     std::size_t max) const {
  const std::uint64_t committed = Size();
  std::vector<std::uint64_t> tail;  // first, as in ReadStream
  impl_->index_tail->SubjectPositions(subject_id, from, &tail);
  auto entries = ScanIndex(impl_->db.get(), impl_->Cf(layout::kSubjects), subject_id, from, max,
                           /*position_in_key=*/true);
  if (!entries.ok()) return entries.status();
  for (std::uint64_t p : tail) entries->emplace_back(p, p);
  return impl_->ReadPositions(MergePositions(std::move(entries).value(), committed, max));
}

Result<std::optional<std::string>> Ledger::Impl::StoredCommand(const std::string& command_id) const {
  if (std::optional<std::string> v = index_tail->Command(command_id)) return v;
  std::string v;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), Cf(layout::kCommands), command_id, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "command " + command_id);
  return std::optional<std::string>(std::move(v));
}

bool CommandEntryFingerprinted(std::string_view v) {
  return v.size() == layout::kCommandValueSize && (DecodeFixed32BE(v.data() + 40) & layout::kCommandFingerprinted) != 0;
}

Result<AppendResult> Ledger::LookupCommand(const std::string& command_id,
                                           const CommandFingerprint& fingerprint) const {
  Result<std::optional<std::string>> v = impl_->StoredCommand(command_id);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return Status::NotFound("command " + command_id + " was never committed");
  // An entry is in the index a moment before its group's events are
  // readable (the syncer publishes the size last): not committed yet. The
  // append of the retry then meets the original in flight and is settled
  // with it.
  Result<AppendResult> entry = DecodeCommandEntry(**v);
  if (entry.ok() && entry->first_position + entry->count > Size()) {
    return Status::NotFound("command " + command_id + " is being committed");
  }
  return impl_->MatchStoredCommand(command_id, **v, &fingerprint, Hash{});
}

Result<AppendResult> Ledger::LookupCommand(const std::string& command_id) const {
  Result<std::optional<std::string>> v = impl_->StoredCommand(command_id);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return Status::NotFound("command " + command_id + " was never committed");
  return DecodeCommandEntry(**v);
}

}  // namespace nrpf::ledger
