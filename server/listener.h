// A listening socket of the daemon: accepts connections on the first I/O
// thread and gives each to a binary or HTTP session (with TLS when `tls` is
// set), which lives on the next I/O thread in turn (server/io_threads.h).

#ifndef NRPF_SERVER_LISTENER_H_
#define NRPF_SERVER_LISTENER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "server/config.h"
#include "server/connection.h"
#include "server/io_threads.h"

namespace nrpf::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  enum class Protocol { kBinary, kHttp };

  // Binds and listens. kInvalidArgument for an address that is not an IP
  // literal (or "localhost"); kIOError when it cannot be bound.
  static Result<std::shared_ptr<Listener>> Open(IoThreads& io, const Endpoint& endpoint,
                                                Protocol protocol, boost::asio::ssl::context* tls,
                                                ConnectionContext ctx);

  void Start();
  // Closes the listening socket; open connections are not touched.
  void Stop();
  // The bound address, "host:port" (the port the OS chose for port 0).
  std::string address() const;

  Listener(IoThreads& io, Protocol protocol, boost::asio::ssl::context* tls, ConnectionContext ctx);

 private:
  void Accept();

  IoThreads& io_;
  const Protocol protocol_;
  boost::asio::ssl::context* const tls_;
  const ConnectionContext ctx_;
  boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, IoExecutor> acceptor_;
  IoTimer retry_;
  boost::asio::ip::tcp::endpoint bound_;
};

// The address to bind for `host`: an IP literal, or "localhost" as 127.0.0.1.
Result<boost::asio::ip::address> ListenAddress(const std::string& host);

}  // namespace nrpf::server

#endif  // NRPF_SERVER_LISTENER_H_
