// Live subscriptions ("feeds") and the hub that tells them the log moved.
//
// A feed never buffers on its own: it keeps a cursor and, when its
// connection has room, pulls what is new straight from the ledger or the
// projections (Pull). So a slow client costs one cursor, not a queue; the
// connection decides when to pull (docs/api.md "Subscriptions").
//
//   counters  the caller's home-page counters, pushed when they change
//   case      the events of one case's stream, from a version on
//   log       every event of the log, from a position on (system-wide
//             auditors), optionally with the exact stored bytes
//
// Every pull checks the session and the permission again: a revoked
// session, a locked account or a lost permission ends the feed with an End
// frame that carries the error.
//
// Thread-compatible: a feed is used by its connection's I/O thread only.
// FeedHub is thread-safe.

#ifndef NRPF_SERVER_FEEDS_H_
#define NRPF_SERVER_FEEDS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "domain/service.h"
#include "server/accounts.h"

namespace nrpf::server {

class Feed {
 public:
  explicit Feed(std::uint64_t id) : id_(id) {}
  virtual ~Feed() = default;
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;

  // Appends up to `max` Push frames (size-prefixed Responses whose
  // request_id is id()) of what is new. Returns false once the feed has
  // ended; its End frame is then the last one appended.
  virtual bool Pull(std::size_t max, std::vector<std::string>* frames) = 0;

  std::uint64_t id() const { return id_; }

 private:
  const std::uint64_t id_;
};

// What every feed needs to check its caller again on each pull.
struct FeedContext {
  domain::CaseService* service = nullptr;
  Accounts* accounts = nullptr;
  std::string token;
  std::string token_key;  // TokenKey(token): each pull checks the session again without hashing it
};

std::unique_ptr<Feed> CountersFeed(std::uint64_t id, FeedContext context, bool my_cases, std::string team_id,
                                   std::string organisation_id);
std::unique_ptr<Feed> CaseFeed(std::uint64_t id, FeedContext context, std::string case_id, std::uint64_t from_version);
std::unique_ptr<Feed> LogFeed(std::uint64_t id, FeedContext context, std::uint64_t from_position,
                              bool include_records);

// Whether `user_id` may follow the whole log: an auditor of an audit body.
Status MayReadWholeLog(const domain::CaseService& service, const std::string& user_id);

// Follows the log's tip on a thread of its own. After each batch of commits
// (once the projections include it), and at least every `tick`, it calls
// every listener with the log's size. Listeners must return at once (post
// to their own executor). With no listener it reads nothing: it waits for
// the first one, then follows from the log's size at that moment.
class FeedHub {
 public:
  FeedHub(const ledger::Ledger* ledger, const projections::Projector* projector, std::chrono::milliseconds tick);
  ~FeedHub();
  FeedHub(const FeedHub&) = delete;
  FeedHub& operator=(const FeedHub&) = delete;

  void Start();
  void Stop();

  std::uint64_t AddListener(std::function<void(std::uint64_t log_size)> listener);
  void RemoveListener(std::uint64_t id);
  // Tells every listener now, as a change of the log would: sessions ended,
  // and the feeds they serve must end with them.
  void Poke();

 private:
  void Follow();
  void NotifyAll(std::uint64_t size);

  const ledger::Ledger* const ledger_;
  const projections::Projector* const projector_;
  const std::chrono::milliseconds tick_;
  std::mutex mu_;
  std::condition_variable listened_;
  std::map<std::uint64_t, std::function<void(std::uint64_t)>> listeners_;  // guarded by mu_
  std::uint64_t next_id_ = 1;                                              // guarded by mu_
  std::unique_ptr<ledger::Subscription> subscription_;                     // guarded by mu_ (Cancel from Stop)
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_FEEDS_H_
