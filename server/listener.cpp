#include "server/listener.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "server/sessions.h"

namespace nrpf::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<net::ip::address> ListenAddress(const std::string& host) {
  if (host == "localhost") return net::ip::address(net::ip::address_v4::loopback());
  boost::system::error_code ec;
  net::ip::address a = net::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("listen on an IP address, not \"" + host + "\"").WithReason("config_invalid");
  return a;
}

Listener::Listener(IoThreads& io, Protocol protocol, net::ssl::context* tls, ConnectionContext ctx)
    : io_(io), protocol_(protocol), tls_(tls), ctx_(ctx), acceptor_(io.first().get_executor()), retry_(acceptor_.get_executor()) {}

Result<std::shared_ptr<Listener>> Listener::Open(IoThreads& io, const Endpoint& endpoint, Protocol protocol,
                                                 net::ssl::context* tls, ConnectionContext ctx) {
  Result<net::ip::address> address = ListenAddress(endpoint.host);
  if (!address.ok()) return address.status();
  auto l = std::make_shared<Listener>(io, protocol, tls, ctx);
  const tcp::endpoint ep(*address, endpoint.port);
  boost::system::error_code ec;
  l->acceptor_.open(ep.protocol(), ec);
  if (!ec) l->acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) l->acceptor_.bind(ep, ec);
  if (!ec) l->acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) l->bound_ = l->acceptor_.local_endpoint(ec);
  if (ec) return Status::IOError("cannot listen on " + endpoint.host + ":" + std::to_string(endpoint.port) + ": " + ec.message());
  return l;
}

std::string Listener::address() const {
  const std::string host = bound_.address().to_string();
  return (bound_.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(bound_.port());
}

void Listener::Start() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
}

void Listener::Stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->retry_.cancel();
    self->acceptor_.close(ec);
  });
}

void Listener::Accept() {
  acceptor_.async_accept(io_.Next().get_executor(), [self = shared_from_this()](boost::system::error_code ec, Socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or memory: wait a moment instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      self->retry_.expires_after(std::chrono::milliseconds(100));
      self->retry_.async_wait([self](boost::system::error_code wec) {
        if (!wec) self->Accept();
      });
      return;
    }
    if (self->protocol_ == Protocol::kBinary) {
      StartBinarySession(std::move(socket), self->tls_, self->ctx_);
    } else {
      StartHttpSession(std::move(socket), self->tls_, self->ctx_);
    }
    self->Accept();
  });
}

}  // namespace nrpf::server
