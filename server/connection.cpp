#include "server/connection.h"

#include <vector>

#include "server/response_writer.h"

namespace nrpf::server {

std::uint64_t Connections::TryAdd(const std::shared_ptr<Connection>& c) {
  std::lock_guard lock(mu_);
  if (open_.size() >= max_) return 0;
  const std::uint64_t id = next_id_++;
  open_.emplace(id, c);
  return id;
}

void Connections::Remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  open_.erase(id);
}

std::vector<std::shared_ptr<Connection>> Connections::Live() const {
  std::vector<std::shared_ptr<Connection>> live;
  std::lock_guard lock(mu_);
  for (const auto& [id, weak] : open_) {
    if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  return live;
}

void Connections::ShutdownAll() {
  for (auto& c : Live()) c->Shutdown();
}

void Connections::CloseAll() {
  for (auto& c : Live()) c->CloseNow();
}

std::size_t Connections::size() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

bool FeedSet::Pull(std::size_t per_feed, std::vector<std::string>* frames) {
  bool more = false;
  for (auto it = feeds_.begin(); it != feeds_.end();) {
    const std::size_t before = frames->size();
    if (!it->second->Pull(per_feed, frames)) {
      it = feeds_.erase(it);
      continue;
    }
    if (frames->size() - before >= per_feed) more = true;
    ++it;
  }
  return more;
}

void FeedSet::EndAll(const Status& why, std::vector<std::string>* frames) {
  for (auto& [id, feed] : feeds_) frames->push_back(api::ErrorFrame(id, why, fb::FrameKind::End));
  feeds_.clear();
}

}  // namespace nrpf::server
