// What the listeners and connections share: the registry of open
// connections (which bounds their number and stops them at shutdown) and
// the services a connection calls.

#ifndef NRPF_SERVER_CONNECTION_H_
#define NRPF_SERVER_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "server/config.h"
#include "server/dispatcher.h"
#include "server/feeds.h"
#include "server/metrics.h"

namespace nrpf::server {

// An open client connection. Each runs on one I/O thread and keeps itself
// alive (shared_from_this) while an operation of its is pending.
class Connection {
 public:
  virtual ~Connection() = default;
  // Stops reading requests; closes once what is in flight is answered and
  // written. Thread-safe (posts to the connection's I/O thread).
  virtual void Shutdown() = 0;
  // Closes at once. Thread-safe.
  virtual void CloseNow() = 0;
};

// Thread-safe.
class Connections {
 public:
  explicit Connections(std::size_t max) : max_(max) {}

  // Registers `c` and returns its id, or 0 when max connections are open.
  std::uint64_t TryAdd(const std::shared_ptr<Connection>& c);
  void Remove(std::uint64_t id);
  void ShutdownAll();
  void CloseAll();
  std::size_t size() const;

 private:
  std::vector<std::shared_ptr<Connection>> Live() const;

  const std::size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> open_;  // guarded by mu_
  std::uint64_t next_id_ = 1;                                          // guarded by mu_
};

// The services every connection uses. Not owned; outlive every connection.
struct ConnectionContext {
  domain::CaseService* service = nullptr;  // /health
  Dispatcher* dispatcher = nullptr;
  FeedHub* hub = nullptr;
  Metrics* metrics = nullptr;
  Connections* connections = nullptr;
  const Limits* limits = nullptr;
  const std::vector<std::string>* cors_origins = nullptr;  // ServerConfig::cors_origins
};

// A connection's live subscriptions. Used on the connection's I/O thread only.
class FeedSet {
 public:
  explicit FeedSet(std::size_t max) : max_(max) {}
  bool full() const { return feeds_.size() >= max_; }
  bool empty() const { return feeds_.empty(); }
  bool Has(std::uint64_t id) const { return feeds_.count(id) != 0; }
  void Add(std::unique_ptr<Feed> feed) { feeds_.emplace(feed->id(), std::move(feed)); }
  bool Remove(std::uint64_t id) { return feeds_.erase(id) != 0; }
  // Pulls up to `per_feed` frames from each feed into `frames`; ended feeds
  // are dropped. Returns true when a feed may have more.
  bool Pull(std::size_t per_feed, std::vector<std::string>* frames);
  // End frames (with `why`) for every feed, which are then dropped.
  void EndAll(const Status& why, std::vector<std::string>* frames);

 private:
  const std::size_t max_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Feed>> feeds_;
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_CONNECTION_H_
