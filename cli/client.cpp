#include "cli/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server/api_codec.h"
#include "server/endpoint.h"
#include "server/frame.h"

namespace nrpf::cli {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

Status Unavailable(std::string_view why, std::string message) {
  return Status::Unavailable(std::move(message)).WithReason(std::string(why));
}

}  // namespace

Result<std::string> BuildRequestFrame(const RequestSpec& spec) {
  const std::string_view table = api::OpTable(spec.op);
  if (table.empty()) return Status::InvalidArgument("no such operation").WithReason("unknown_operation");
  std::string json = "{\"request_id\":" + std::to_string(spec.request_id);
  if (!spec.command_id.empty()) json += ",\"command_id\":\"" + api::JsonEscape(spec.command_id) + "\"";
  if (spec.expected_version) json += ",\"expected_version\":" + std::to_string(*spec.expected_version);
  if (!spec.token.empty()) json += ",\"token\":\"" + api::JsonEscape(spec.token) + "\"";
  json += ",\"body_type\":\"" + std::string(table) + "\",\"body\":" + (spec.body_json.empty() ? "{}" : spec.body_json) + "}";
  return api::JsonToFrame("Request", json);
}

Result<std::string> BuildRequestFrame(api::fb::Op op, std::string body_json, std::uint64_t request_id,
                                      std::string token) {
  RequestSpec spec;
  spec.op = op;
  spec.body_json = std::move(body_json);
  spec.request_id = request_id;
  spec.token = std::move(token);
  return BuildRequestFrame(spec);
}

class Client::Impl {
 public:
  explicit Impl(const ClientOptions& o) : options(o), ssl(net::ssl::context::tls_client) {}

  beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Runs the operation `start` begins until it completes or `timeout` passes.
  template <typename Start>
  beast::error_code Run(std::chrono::milliseconds timeout, Start start) {
    beast::error_code result = net::error::would_block;
    Lowest().expires_after(timeout);
    start([&result](beast::error_code ec, std::size_t = 0) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  Status Write(std::string_view bytes) {
    const net::const_buffer buffer(bytes.data(), bytes.size());
    beast::error_code ec = Run(options.timeout, [&](auto handler) {
      if (tls) {
        net::async_write(*tls, buffer, handler);
      } else {
        net::async_write(*plain, buffer, handler);
      }
    });
    if (ec) return Unavailable("connection_closed", "cannot send: " + ec.message());
    return Status::Ok();
  }

  beast::error_code Read(char* into, std::size_t n, std::chrono::milliseconds timeout) {
    const net::mutable_buffer buffer(into, n);
    return Run(timeout, [&](auto handler) {
      if (tls) {
        net::async_read(*tls, buffer, handler);
      } else {
        net::async_read(*plain, buffer, handler);
      }
    });
  }

  ClientOptions options;
  net::io_context ioc;
  net::ssl::context ssl;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), timeout_(impl_->options.timeout) {}
Client::~Client() {
  if (impl_) {
    beast::error_code ec;
    impl_->Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    impl_->Lowest().close();
  }
}

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  Result<server::Endpoint> endpoint = server::ParseEndpoint(options.server);
  if (!endpoint.ok()) return Status::InvalidArgument(endpoint.status().message()).WithReason("server_invalid");
  auto impl = std::make_unique<Impl>(options);
  tcp::resolver resolver(impl->ioc);
  beast::error_code ec;
  const auto results = resolver.resolve(endpoint->host, std::to_string(endpoint->port), ec);
  if (ec) return Unavailable("connect_failed", "cannot resolve " + endpoint->host + ": " + ec.message());
  if (options.tls) {
    impl->ssl.set_verify_mode(net::ssl::verify_peer);
    if (options.ca_file.empty()) {
      impl->ssl.set_default_verify_paths(ec);
    } else {
      impl->ssl.load_verify_file(options.ca_file, ec);
    }
    if (ec) return Unavailable("tls_failed", "cannot load the CA certificates: " + ec.message());
    impl->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(impl->ioc, impl->ssl);
    const std::string name = options.server_name.empty() ? endpoint->host : options.server_name;
    impl->tls->set_verify_callback(net::ssl::host_name_verification(name));
    SSL_set_tlsext_host_name(impl->tls->native_handle(), name.c_str());
  } else {
    impl->plain = std::make_unique<beast::tcp_stream>(impl->ioc);
  }
  ec = impl->Run(options.timeout, [&](auto handler) {
    impl->Lowest().async_connect(results, [handler](beast::error_code e, const tcp::endpoint&) { handler(e); });
  });
  if (ec) return Unavailable("connect_failed", "cannot connect to " + options.server + ": " + ec.message());
  impl->Lowest().socket().set_option(tcp::no_delay(true), ec);
  if (impl->tls) {
    ec = impl->Run(options.timeout, [&](auto handler) { impl->tls->async_handshake(net::ssl::stream_base::client, handler); });
    if (ec) return Unavailable("tls_failed", "TLS handshake with " + options.server + " failed: " + ec.message());
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Status Client::Send(const std::string& frame) { return impl_->Write(frame); }
Status Client::SendRaw(std::string_view bytes) { return impl_->Write(bytes); }

Result<std::string> Client::Receive(std::chrono::milliseconds timeout) {
  std::string frame(api::kFramePrefixBytes, '\0');
  beast::error_code ec = impl_->Read(frame.data(), api::kFramePrefixBytes, timeout);
  if (ec == beast::error::timeout) {
    return Status::Cancelled("no answer in time").WithReason("deadline_exceeded");
  }
  if (ec) return Unavailable("connection_closed", "the server closed the connection: " + ec.message());
  const std::uint32_t size = api::DecodeFramePrefix(reinterpret_cast<const unsigned char*>(frame.data()));
  if (size > impl_->options.max_frame_bytes) {
    return Status::TooLarge("the server sent a frame of " + std::to_string(size) + " bytes").WithReason("frame_too_large");
  }
  frame.resize(api::kFramePrefixBytes + size);
  ec = impl_->Read(frame.data() + api::kFramePrefixBytes, size, timeout_);
  if (ec) return Unavailable("connection_closed", "the server closed the connection mid-frame: " + ec.message());
  if (api::VerifiedResponse(frame) == nullptr) {
    return Status::Corruption("the server sent a frame that is not a Response").WithReason("malformed_frame");
  }
  return frame;
}

namespace {

// Appends a Document piece to `document`; corruption when it is not the next.
Status TakePiece(const api::fb::Response* r, std::string* document) {
  const api::fb::Document* d = r->body_as_Document();
  if (d == nullptr) return Status::Ok();
  if (d->offset() != document->size() || (d->data() != nullptr && d->offset() + d->data()->size() > d->total_bytes())) {
    return Status::Corruption("a document piece arrived out of order").WithReason("malformed_frame");
  }
  if (d->data() != nullptr) document->append(reinterpret_cast<const char*>(d->data()->data()), d->data()->size());
  if (r->kind() == api::fb::FrameKind::Reply && document->size() != d->total_bytes()) {
    return Status::Corruption("the document ended short of its size").WithReason("malformed_frame");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> Client::Call(const std::string& frame, std::uint64_t request_id, std::string* document) {
  NRPF_RETURN_IF_ERROR(Send(frame));
  if (document != nullptr) document->clear();
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status::Cancelled("no answer in time").WithReason("deadline_exceeded");
    Result<std::string> got = Receive(left);
    if (!got.ok()) return got;
    const api::fb::Response* r = api::VerifiedResponse(*got);
    if (r->request_id() == request_id && r->kind() == api::fb::FrameKind::Part) {
      if (document != nullptr) NRPF_RETURN_IF_ERROR(TakePiece(r, document));
      deadline = std::chrono::steady_clock::now() + timeout_;
      continue;
    }
    if (r->request_id() == request_id && r->kind() == api::fb::FrameKind::Reply) {
      if (document != nullptr) NRPF_RETURN_IF_ERROR(TakePiece(r, document));
      return got;
    }
    if (r->request_id() == 0 && r->error() != nullptr) return got;  // a refusal of the frame itself
  }
}

}  // namespace nrpf::cli
