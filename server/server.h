// nrpf-ledgerd as an object: opens the ledger, the case service, the
// credential store and the listeners, runs the I/O threads and the worker
// pool, and stops them in order.
//
// Shutdown order: refuse new work and close the listening sockets; ask
// every connection to finish what is in flight and close; after
// shutdown_grace cancel what is still queued and close what is still open;
// then stop the threads and close the ledger (which flushes).

#ifndef NRPF_SERVER_SERVER_H_
#define NRPF_SERVER_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/accounts.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/dispatcher.h"
#include "server/feeds.h"
#include "server/io_threads.h"
#include "server/listener.h"
#include "server/metrics.h"
#include "domain/task_pool.h"

namespace nrpf::server {

// nrpf-ledgerd --rotate-signing-key, with the daemon stopped: opens the
// ledger of `config`, appends "ledger.signing_key_rotated" signed by the
// current key (its actor "host:<operator_name>"), writes the new private
// key beside the old and closes the ledger. The new key, from the position
// it signs on.
Result<ledger::PublishedKey> RotateSigningKey(ServerConfig config, const std::string& operator_name);

class Server {
 public:
  // Checks the configuration (TLS files; plaintext only on loopback:
  // kInvalidArgument/plaintext_not_loopback otherwise), opens everything and
  // binds the listeners. Nothing is served until Start.
  static Result<std::unique_ptr<Server>> Open(ServerConfig config);
  ~Server();

  void Start();
  // Graceful stop, bounded by shutdown_grace (plus the longest command
  // already running). Idempotent.
  void Shutdown();
  // After Shutdown: the signed checkpoint of the log as it was closed (a
  // C2SP note), or "" when it could not be signed. What a backup of this
  // data directory must match.
  const std::string& final_checkpoint() const { return final_checkpoint_; }
  // Forgets expired sessions; call now and then.
  void Housekeeping();

  // Set when this start issued the first admin a one-time password.
  const std::optional<std::string>& first_admin_password() const { return first_admin_password_; }
  const std::string& first_admin() const { return config_.accounts.first_admin; }
  // "" for a disabled listener.
  std::string binary_address() const;
  std::string http_address() const;
  ledger::Ledger& ledger() { return *ledger_; }

 private:
  explicit Server(ServerConfig config);
  Status OpenAll();
  // The ledger pipeline's counters on GET /metrics.
  void AddLedgerMetrics();

  const ServerConfig config_;
  Metrics metrics_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<domain::CaseService> service_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<domain::TaskPool> workers_;
  std::unique_ptr<FeedHub> hub_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Connections> connections_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<IoThreads> io_;
  std::shared_ptr<Listener> binary_;
  std::shared_ptr<Listener> http_;
  std::optional<std::string> first_admin_password_;
  std::string final_checkpoint_;
  bool stopped_ = false;
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_SERVER_H_
