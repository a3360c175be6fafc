#include "ledger/index_tail.h"

#include <algorithm>
#include <mutex>

namespace nrpf::ledger {

void IndexGeneration::Reserve(std::size_t n) {
  // About one stream, one subject and one command entry an event; streams
  // and subjects repeat, commands do not.
  streams.reserve(n / 6);
  subjects.reserve(n / 6);
  commands.reserve(n / 3);
}

void IndexGeneration::Add(IndexBatch&& batch) {
  for (IndexBatch::Stream& s : batch.streams) {
    streams[std::move(s.stream_id)].emplace_back(s.version, s.position);
  }
  for (IndexBatch::Subject& s : batch.subjects) subjects[std::move(s.subject_id)].push_back(s.position);
  for (IndexBatch::Command& c : batch.commands) commands.insert_or_assign(std::move(c.command_id), std::move(c.value));
  entries += batch.streams.size() + batch.subjects.size() + batch.commands.size();
  end = std::max(end, batch.end);
}

IndexTail::IndexTail(std::uint64_t begin, std::size_t expected_entries)
    : expected_entries_(expected_entries), active_(std::make_unique<IndexGeneration>()) {
  active_->begin = begin;
  active_->end = begin;
  active_->Reserve(expected_entries_);
}

void IndexTail::Add(IndexBatch&& batch) {
  std::unique_lock lock(mu_);
  active_->Add(std::move(batch));
}

namespace {

template <typename F>
void ForEachGeneration(const std::shared_ptr<const IndexGeneration>& frozen, const IndexGeneration& active, F&& fn) {
  if (frozen) fn(*frozen);
  fn(active);
}

}  // namespace

std::optional<std::pair<std::uint64_t, std::uint64_t>> IndexTail::LastOfStream(const std::string& stream_id) const {
  std::shared_lock lock(mu_);
  std::optional<std::pair<std::uint64_t, std::uint64_t>> last;
  ForEachGeneration(frozen_, *active_, [&](const IndexGeneration& g) {
    auto it = g.streams.find(stream_id);
    if (it != g.streams.end() && !it->second.empty()) last = it->second.back();
  });
  return last;
}

void IndexTail::StreamHeads(std::unordered_map<std::string, std::uint64_t>* heads) const {
  std::shared_lock lock(mu_);
  ForEachGeneration(frozen_, *active_, [&](const IndexGeneration& g) {
    for (const auto& [stream_id, entries] : g.streams) {
      if (!entries.empty()) (*heads)[stream_id] = entries.back().first;
    }
  });
}

void IndexTail::StreamEntries(const std::string& stream_id, std::uint64_t from_version,
                              std::vector<std::pair<std::uint64_t, std::uint64_t>>* out) const {
  std::shared_lock lock(mu_);
  ForEachGeneration(frozen_, *active_, [&](const IndexGeneration& g) {
    auto it = g.streams.find(stream_id);
    if (it == g.streams.end()) return;
    const auto& v = it->second;
    auto first = std::lower_bound(v.begin(), v.end(), std::make_pair(from_version, std::uint64_t{0}));
    out->insert(out->end(), first, v.end());
  });
}

void IndexTail::SubjectPositions(const std::string& subject_id, std::uint64_t from,
                                 std::vector<std::uint64_t>* out) const {
  std::shared_lock lock(mu_);
  ForEachGeneration(frozen_, *active_, [&](const IndexGeneration& g) {
    auto it = g.subjects.find(subject_id);
    if (it == g.subjects.end()) return;
    const auto& v = it->second;
    out->insert(out->end(), std::lower_bound(v.begin(), v.end(), from), v.end());
  });
}

std::optional<std::string> IndexTail::Command(const std::string& command_id) const {
  std::shared_lock lock(mu_);
  std::optional<std::string> found;
  ForEachGeneration(frozen_, *active_, [&](const IndexGeneration& g) {
    auto it = g.commands.find(command_id);
    if (it != g.commands.end()) found = it->second;
  });
  return found;
}

std::size_t IndexTail::active_entries() const {
  std::shared_lock lock(mu_);
  return active_->entries;
}

std::size_t IndexTail::entries() const {
  std::shared_lock lock(mu_);
  return active_->entries + (frozen_ ? frozen_->entries : 0);
}

std::uint64_t IndexTail::begin() const {
  std::shared_lock lock(mu_);
  return frozen_ ? frozen_->begin : active_->begin;
}

std::shared_ptr<const IndexGeneration> IndexTail::Freeze() {
  std::unique_lock lock(mu_);
  if (frozen_ || active_->end == active_->begin) return nullptr;
  auto next = std::make_unique<IndexGeneration>();
  next->begin = next->end = active_->end;
  next->Reserve(expected_entries_);
  frozen_ = std::shared_ptr<const IndexGeneration>(std::move(active_));
  active_ = std::move(next);
  return frozen_;
}

void IndexTail::DropFrozen() {
  std::unique_lock lock(mu_);
  frozen_.reset();
}

}  // namespace nrpf::ledger
