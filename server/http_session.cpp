// An HTTP/1.1 connection: the API as JSON (server/http_routes.h), one
// request at a time with keep-alive, and Server-Sent Events for
// subscriptions.
//
//  * The request line and headers are bounded by max_header_bytes, the body
//    by max_body_bytes (too_large, then the connection closes). A request,
//    once its first byte arrived, must arrive whole within read_timeout; a
//    connection waiting for its next request is closed after idle_timeout.
//  * An event stream is close-delimited (no Content-Length): "subscribed",
//    then "push" events, an "end" event when the feed ends, and a comment
//    line every 15 s so that a vanished client is noticed by a failed or
//    timed-out write.

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <optional>

#include "server/api_codec.h"
#include "server/api_error.h"
#include "server/http_routes.h"
#include "server/response_writer.h"
#include "server/sessions.h"
#include "server/stream_session.h"

namespace nrpf::server {

namespace {

namespace http = beast::http;
namespace reason = api::reason;

constexpr auto kHeartbeat = std::chrono::seconds(15);

std::string_view View(beast::string_view s) { return std::string_view(s.data(), s.size()); }

template <class Stream>
class HttpSession final : public StreamSession<HttpSession<Stream>, Stream> {
  using Base = StreamSession<HttpSession<Stream>, Stream>;
  friend Base;

 public:
  template <class... StreamArgs>
  explicit HttpSession(ConnectionContext ctx, StreamArgs&&... args)
      : Base(ctx, std::forward<StreamArgs>(args)...),
        buffer_(ctx.limits->max_header_bytes + (64u << 10)),
        feeds_(1),
        heartbeat_(this->stream_.get_executor()) {}

 private:
  using Base::closed_;
  using Base::ctx_;
  using Base::stream_;

  // ---- StreamSession hooks ----

  void OnReady() { ReadRequest(); }

  void OnDrained() {
    if (close_after_write_) {
      this->Close();
      return;
    }
    if (streaming_) {
      if (pull_wanted_) PullFeeds();
      return;
    }
    if (!keep_alive_ || stopping_) {
      this->Close();
      return;
    }
    if (!in_flight_) ReadRequest();
  }

  void OnShutdown() {
    stopping_ = true;
    if (streaming_) {
      std::vector<std::string> frames;
      feeds_.EndAll(api::ShuttingDown(), &frames);
      for (const std::string& f : frames) this->Queue(Event("end", f));
      close_after_write_ = true;
      return;
    }
    if (!in_flight_ && !this->writing_) this->Close();
  }

  void OnClosed() {
    heartbeat_.cancel();
    if (listener_ != 0) ctx_.hub->RemoveListener(listener_);
    listener_ = 0;
  }

  bool Idle() const { return !in_flight_ && !streaming_ && !reading_request_; }

  // ---- requests ----

  void ReadRequest() {
    if (closed_ || stopping_) return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(this->limits().max_header_bytes));
    parser_->body_limit(this->limits().max_body_bytes);
    if (buffer_.size() > 0) {
      ReadRest();
      return;
    }
    // Waiting for the next request: the idle timer covers it.
    this->Lowest().expires_never();
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) {
        self->Close();
        return;
      }
      self->buffer_.commit(n);
      self->ReadRest();
    });
    this->ArmIdle();
  }

  void ReadRest() {
    reading_request_ = true;
    this->ArmIdle();
    this->Lowest().expires_after(this->limits().read_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->OnRequest(ec);
    });
  }

  void OnRequest(beast::error_code ec) {
    reading_request_ = false;
    if (ec == http::error::end_of_stream || ec == net::error::eof || closed_) {
      this->Close();
      return;
    }
    if (ec == beast::error::timeout) {
      ctx_.metrics->timeouts.fetch_add(1);
      this->Close();
      return;
    }
    if (ec) {
      ctx_.metrics->frames_rejected.fetch_add(1);
      close_after_write_ = true;
      keep_alive_ = false;
      // Only a body too large came with headers to read the Origin from.
      cors_ = ec == http::error::body_limit
                  ? CorsHeaders(View(parser_->get()[http::field::origin]), *ctx_.cors_origins, false)
                  : std::string();
      if (ec == http::error::body_limit) {
        Respond(api::Refusal(Code::kTooLarge, reason::kBodyTooLarge,
                             "a body may hold at most " + std::to_string(this->limits().max_body_bytes) + " bytes"));
      } else if (ec == http::error::header_limit) {
        Respond(api::Refusal(Code::kTooLarge, reason::kHeaderTooLarge, "the request line and headers are too long"));
      } else {
        Respond(api::Refusal(Code::kInvalidArgument, reason::kMalformedRequest, "not an HTTP/1.1 request"));
      }
      return;
    }
    Serve(parser_->release());
  }

  void Serve(http::request<http::string_body> req) {
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    const std::string method(req.method_string());
    const std::string target(req.target());
    const std::string_view origin = View(req[http::field::origin]);
    cors_ = CorsHeaders(origin, *ctx_.cors_origins, false);
    if (req.method() == http::verb::options && !cors_.empty()) {
      // A browser's preflight, from an allowed origin: what it may send.
      this->Queue(HttpResponse(204, version_ != 0 ? version_ : 11, keep_alive_ && !stopping_, "text/plain", 0, "",
                               CorsHeaders(origin, *ctx_.cors_origins, true)));
      return;
    }
    Result<Route> route = MatchRoute(method, target);
    if (!route.ok()) {
      Respond(route.status());
      return;
    }
    if (route->kind == Route::Kind::kHealth) {
      RespondHealth();
      return;
    }
    if (route->kind == Route::Kind::kMetrics) {
      Send(200, "text/plain; version=0.0.4", ctx_.metrics->Render(), 0);
      return;
    }
    const api::fb::Op op = route->op;
    std::string json;
    if (req.method() == http::verb::get) {
      const auto q = target.find('?');
      Result<std::string> from_query =
          QueryToJson(api::OpTable(op), q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1));
      if (!from_query.ok()) {
        Respond(from_query.status());
        return;
      }
      json = std::move(from_query).value();
    } else if (target.find('?') != std::string::npos) {
      // Fields in both places, or the query's silently left out: neither.
      Respond(api::Refusal(Code::kInvalidArgument, reason::kQueryOnPost,
                           "a POST carries its fields in its JSON body, not in a query string"));
      return;
    } else {
      json = std::move(req.body());
    }
    Result<std::string> table = ParseOperation(op, json);
    if (!table.ok()) {
      ctx_.metrics->frames_rejected.fetch_add(1);
      Respond(table.status());
      return;
    }
    Result<std::optional<std::uint64_t>> version = ParseIfMatch(View(req[http::field::if_match]));
    if (!version.ok()) {
      Respond(version.status());
      return;
    }
    body_ = std::move(table).value();
    Call call;
    call.op = op;
    call.body = flatbuffers::GetRoot<flatbuffers::Table>(body_.data());
    call.command_id = std::string(req["Idempotency-Key"]);
    call.expected_version = *version;
    call.token = BearerToken(View(req[http::field::authorization]));
    call.peer = this->peer_;
    if (api::IsSubscription(op)) {
      StartEvents(call);
      return;
    }
    if (op == api::fb::Op::Unsubscribe) {
      Respond(api::Refusal(Code::kInvalidArgument, reason::kUnknownOperation,
                           "an event stream ends when its connection closes"));
      return;
    }
    in_flight_ = true;
    ctx_.dispatcher->Handle(call, [self = this->shared_from_this()](Answer a) {
      net::post(self->stream_.get_executor(), [self, a = std::move(a)]() mutable { self->OnAnswer(std::move(a)); });
    });
  }

  void OnAnswer(Answer a) {
    in_flight_ = false;
    if (closed_) return;
    if (!a.media_type.empty()) {
      // A report opened in a browser is saved under its own name.
      const std::string disposition =
          a.filename.empty() ? std::string() : "Content-Disposition: attachment; filename=\"" + a.filename + "\"\r\n";
      Send(200, a.media_type, std::move(a.document), 0, disposition);
      return;
    }
    RespondFrame(a.status, a.frame);
  }

  void Respond(const Status& error) { RespondFrame(error, api::ErrorFrame(0, error)); }

  void RespondFrame(const Status& status, const std::string& frame) {
    const api::fb::Response* r = api::ResponseOf(frame);
    const std::uint32_t retry_ms = r->error() ? r->error()->retry_after_ms() : 0;
    Send(status.ok() ? 200 : api::HttpStatusOf(status.code(), status.reason()), "application/json",
         ResponseJson(frame), retry_ms);
  }

  void RespondHealth() {
    flatbuffers::FlatBufferBuilder fbb(128);
    // The projections stopped (reads are stale), or the ledger stopped after
    // a failed write (every command is refused until a restart). Said in
    // fixed words: the errors themselves (paths, RocksDB's text) go to the
    // log, not to whoever can reach /health.
    const char* problem = nullptr;
    if (!ctx_.service->projector().health().ok()) {
      problem = "the projections stopped following the log; see the server log";
    } else if (!ctx_.service->ledger().Health().ok()) {
      problem = "the ledger stopped after a failed write and refuses every command; see the server log, "
                "mend the disk and restart";
    }
    const bool healthy = problem == nullptr;
    fbb.Finish(api::fb::CreateHealthDirect(fbb, healthy ? "ok" : "degraded", ctx_.service->ledger().Size(),
                                           ctx_.service->projector().next_position(), problem));
    Result<std::string> json = api::TableToJson(flatbuffers::GetRoot<flatbuffers::Table>(fbb.GetBufferPointer()), "Health");
    Send(healthy ? 200 : 503, "application/json", json.ok() ? *json : "{}", 0);
  }

  void Send(unsigned status, std::string_view content_type, std::string body, std::uint32_t retry_after_ms,
            const std::string& headers = {}) {
    this->Queue(HttpResponse(status, version_ != 0 ? version_ : 11, keep_alive_ && !close_after_write_ && !stopping_,
                             content_type, (retry_after_ms + 999) / 1000, body, cors_ + headers));
  }

  // ---- Server-Sent Events ----

  static std::string Event(std::string_view name, const std::string& frame) {
    return "event: " + std::string(name) + "\ndata: " + ResponseJson(frame) + "\n\n";
  }

  void StartEvents(const Call& call) {
    Result<std::unique_ptr<Feed>> feed = ctx_.dispatcher->OpenFeed(call);
    if (!feed.ok()) {
      Respond(feed.status());
      return;
    }
    streaming_ = true;
    keep_alive_ = false;
    feeds_.Add(std::move(feed).value());
    this->Queue(
        "HTTP/1.1 200 OK\r\nServer: nrpf-ledgerd\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n" +
        cors_ + "Connection: close\r\n\r\n");
    api::ResponseWriter w(0);
    this->Queue(Event("subscribed", w.Finish(api::fb::CreateSubscribed(w.fbb(), 0))));
    std::weak_ptr<HttpSession> weak = this->shared_from_this();
    listener_ = ctx_.hub->AddListener([weak](std::uint64_t) {
      if (auto self = weak.lock()) net::post(self->stream_.get_executor(), [self] { self->PullFeeds(); });
    });
    WatchForClose();
    Heartbeat();
    PullFeeds();
  }

  // Any byte (or the end) from the client ends an event stream.
  void WatchForClose() {
    this->Lowest().expires_never();
    stream_.async_read_some(net::buffer(sink_), [self = this->shared_from_this()](beast::error_code, std::size_t) {
      self->Close();
    });
  }

  void Heartbeat() {
    heartbeat_.expires_after(kHeartbeat);
    heartbeat_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      self->Queue(": keep-alive\n\n");
      self->Heartbeat();
    });
  }

  void PullFeeds() {
    pull_wanted_ = false;
    if (closed_ || !streaming_ || close_after_write_) return;
    if (!this->room()) {
      pull_wanted_ = true;
      return;
    }
    std::vector<std::string> frames;
    const bool more = feeds_.Pull(64, &frames);
    ctx_.metrics->pushes.fetch_add(frames.size());
    for (const std::string& f : frames) {
      const bool end = api::ResponseOf(f)->kind() == api::fb::FrameKind::End;
      this->Queue(Event(end ? "end" : "push", f));
      if (end) close_after_write_ = true;
    }
    if (feeds_.empty()) close_after_write_ = true;
    if (more && !close_after_write_) {
      net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->PullFeeds(); });
    }
  }

  beast::flat_buffer buffer_;  // at most the header limit and a read's worth more
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string body_;  // the parsed op of the request being served
  std::string cors_;  // CORS header lines for the request being served ("" when none)
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool in_flight_ = false;
  bool reading_request_ = false;
  bool stopping_ = false;
  bool close_after_write_ = false;
  bool streaming_ = false;
  bool pull_wanted_ = false;
  FeedSet feeds_;
  std::uint64_t listener_ = 0;
  IoTimer heartbeat_;
  std::array<char, 512> sink_{};
};

}  // namespace

void StartHttpSession(Socket socket, net::ssl::context* tls, ConnectionContext ctx) {
  if (tls != nullptr) {
    std::make_shared<HttpSession<TlsStream>>(ctx, std::move(socket), *tls)->Start();
  } else {
    std::make_shared<HttpSession<PlainStream>>(ctx, std::move(socket))->Start();
  }
}

}  // namespace nrpf::server
