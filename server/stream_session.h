// The part of a connection that does not depend on its protocol: the TLS
// handshake, registration, the bounded write queue, the idle timer and
// closing. Used by binary_session.cpp and http_session.cpp only.
//
// Everything runs on the connection's I/O thread (the executor of its
// socket, server/io_threads.h); Shutdown and CloseNow post to it.

#ifndef NRPF_SERVER_STREAM_SESSION_H_
#define NRPF_SERVER_STREAM_SESSION_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "server/connection.h"
#include "server/io_threads.h"

namespace nrpf::server {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;
using PlainStream = beast::basic_stream<tcp, IoExecutor>;
using TlsStream = beast::ssl_stream<PlainStream>;

template <class Derived, class Stream>
class StreamSession : public Connection, public std::enable_shared_from_this<Derived> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // Derived must provide: OnReady() (after the handshake), OnDrained() (the
  // write queue emptied), OnShutdown(), OnClosed(), and Idle() (true when
  // nothing is in flight, buffered or subscribed).

  void Start() {
    auto self = this->shared_from_this();
    id_ = ctx_.connections->TryAdd(self);
    beast::error_code ec;
    if (id_ == 0) {
      ctx_.metrics->connections_refused.fetch_add(1);
      Lowest().socket().close(ec);
      closed_ = true;
      return;
    }
    ctx_.metrics->connections_accepted.fetch_add(1);
    ctx_.metrics->connections_open.fetch_add(1);
    counted_ = true;
    const auto remote = Lowest().socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    Lowest().socket().set_option(net::socket_base::keep_alive(true), ec);
    // Writes are tried at once (DoWrite) and must never block the thread.
    beast::error_code nb;
    Lowest().socket().non_blocking(true, nb);
    if (nb) {
      Close();
      return;
    }
    if constexpr (kTls) {
      Lowest().expires_after(ctx_.limits->handshake_timeout);
      stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code hec) {
        if (hec) {
          self->ctx_.metrics->tls_handshake_failures.fetch_add(1);
          self->Close();
          return;
        }
        self->Lowest().expires_never();
        self->Derive().OnReady();
      });
    } else {
      Derive().OnReady();
    }
  }

  void Shutdown() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->closed_) self->Derive().OnShutdown();
    });
  }
  void CloseNow() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->Close(); });
  }

 protected:
  template <class... StreamArgs>
  explicit StreamSession(ConnectionContext ctx, StreamArgs&&... args)
      : ctx_(ctx), stream_(std::forward<StreamArgs>(args)...), idle_timer_(stream_.get_executor()) {}

  Derived& Derive() { return static_cast<Derived&>(*this); }
  PlainStream& Lowest() { return beast::get_lowest_layer(stream_); }
  const Limits& limits() const { return *ctx_.limits; }
  bool room() const { return queued_bytes_ < ctx_.limits->max_queued_bytes; }

  // Sends `bytes` after whatever is queued. Dropped once closed.
  void Queue(std::string bytes) {
    if (closed_) return;
    queued_bytes_ += bytes.size();
    out_.push_back(std::move(bytes));
    if (!writing_) DoWrite();
  }

  // (Re)starts the idle deadline when the connection has nothing to do, and
  // stops it when it has. One wait stays pending meanwhile and is moved on
  // when it fires early, so a busy connection schedules no timer per request.
  void ArmIdle() {
    if (closed_ || !Derive().Idle() || writing_) {
      idle_since_.reset();
      return;
    }
    idle_since_ = std::chrono::steady_clock::now();
    if (!idle_waiting_) WaitIdle(*idle_since_ + ctx_.limits->idle_timeout);
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    idle_since_.reset();
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
    if (id_ != 0) ctx_.connections->Remove(id_);
    if (counted_) ctx_.metrics->connections_open.fetch_sub(1);
    Derive().OnClosed();
  }

  ConnectionContext ctx_;
  Stream stream_;
  std::string peer_;
  bool closed_ = false;
  bool writing_ = false;

 private:
  void WaitIdle(std::chrono::steady_clock::time_point at) {
    idle_waiting_ = true;
    idle_timer_.expires_at(at);
    idle_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      self->idle_waiting_ = false;
      if (ec || self->closed_ || !self->idle_since_) return;  // busy: started again when idle
      const auto due = *self->idle_since_ + self->ctx_.limits->idle_timeout;
      if (std::chrono::steady_clock::now() < due) {
        self->WaitIdle(due);
        return;
      }
      if (self->Derive().Idle()) {
        self->ctx_.metrics->timeouts.fetch_add(1);
        self->Close();
      }
    });
  }

  void DoWrite() {
    writing_ = true;
    batch_.clear();
    std::vector<net::const_buffer> buffers;
    while (!out_.empty() && batch_.size() < 64) {
      batch_.push_back(std::move(out_.front()));
      out_.pop_front();
    }
    for (const std::string& b : batch_) buffers.emplace_back(b.data(), b.size());
    if constexpr (!kTls) {
      // Most answers fit the socket's send buffer: hand them to it now, with
      // no write operation or deadline to schedule. OnWrite still runs after
      // this returns, as it would for an operation.
      beast::error_code ec;
      std::size_t sent = Lowest().socket().write_some(buffers, ec);
      if (ec == net::error::would_block || ec == net::error::try_again) {
        ec = {};
        sent = 0;
      }
      if (ec || sent == net::buffer_size(buffers)) {
        net::post(stream_.get_executor(), [self = this->shared_from_this(), ec] { self->OnWrite(ec); });
        return;
      }
      // The rest waits for the client to read, within write_timeout.
      std::vector<net::const_buffer> rest;
      for (const net::const_buffer& b : buffers) {
        if (sent >= b.size()) {
          sent -= b.size();
          continue;
        }
        rest.push_back(b + sent);
        sent = 0;
      }
      buffers = std::move(rest);
    }
    Lowest().expires_after(ctx_.limits->write_timeout);
    net::async_write(stream_, buffers, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->OnWrite(ec);
    });
  }

  void OnWrite(beast::error_code ec) {
    for (const std::string& b : batch_) queued_bytes_ -= b.size();
    batch_.clear();
    if (closed_) return;  // closed while a finished write's OnWrite was posted
    if (ec) {
      if (ec == beast::error::timeout) ctx_.metrics->timeouts.fetch_add(1);
      Close();
      return;
    }
    if (!out_.empty()) {
      DoWrite();
      return;
    }
    writing_ = false;
    Derive().OnDrained();
  }

  std::uint64_t id_ = 0;
  bool counted_ = false;
  std::deque<std::string> out_;
  std::vector<std::string> batch_;  // being written
  std::size_t queued_bytes_ = 0;
  IoTimer idle_timer_;
  std::optional<std::chrono::steady_clock::time_point> idle_since_;  // unset while busy
  bool idle_waiting_ = false;                                       // idle_timer_ has a wait pending
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_STREAM_SESSION_H_
