// A binary connection: size-prefixed FlatBuffers frames (server/frame.h).
//
//  * Frames are read into a buffer and taken whole; each passes the
//    verifier before any field is read. A frame whose prefix exceeds
//    max_frame_bytes, or that fails the verifier, is answered with an error
//    (request_id 0) and the connection is closed after it: framing cannot
//    be trusted past it.
//  * Requests are pipelined: up to max_in_flight are worked on at once and
//    answered as they finish, by request id. Beyond that, or while more
//    than max_queued_bytes wait to be written, nothing more is read.
//  * A frame once begun must arrive whole within read_timeout of its first
//    byte; a connection with
//    nothing in flight, buffered or subscribed is closed after
//    idle_timeout.

#include <array>
#include <atomic>
#include <thread>

#include "server/api_codec.h"
#include "server/api_error.h"
#include "server/frame.h"
#include "server/passwords.h"
#include "server/response_writer.h"
#include "server/sessions.h"
#include "server/stream_session.h"

namespace nrpf::server {

namespace {

namespace reason = api::reason;

template <class Stream>
class BinarySession final : public StreamSession<BinarySession<Stream>, Stream> {
  using Base = StreamSession<BinarySession<Stream>, Stream>;
  friend Base;

 public:
  template <class... StreamArgs>
  explicit BinarySession(ConnectionContext ctx, StreamArgs&&... args)
      : Base(ctx, std::forward<StreamArgs>(args)...), feeds_(ctx.limits->max_subscriptions) {}

 private:
  using Base::closed_;
  using Base::ctx_;
  using Base::stream_;

  // ---- StreamSession hooks ----

  void OnReady() {
    DoRead();
    this->ArmIdle();
  }

  void OnDrained() {
    if (close_after_write_) {
      this->Close();
      return;
    }
    if (pull_wanted_) PullFeeds();
    DoRead();
    this->ArmIdle();
  }

  void OnShutdown() {
    stopping_ = true;
    std::vector<std::string> frames;
    feeds_.EndAll(api::ShuttingDown(), &frames);
    for (std::string& f : frames) this->Queue(std::move(f));
    CloseWhenDone();
  }

  void OnClosed() {
    if (listener_ != 0) ctx_.hub->RemoveListener(listener_);
    listener_ = 0;
  }

  bool Idle() const { return in_flight_ == 0 && feeds_.empty() && in_.size() == in_pos_; }

  // ---- reading ----

  void DoRead() {
    if (closed_ || stopping_ || reading_ || close_after_write_) return;
    while (in_flight_ < this->limits().max_in_flight && this->room()) {
      if (!TakeFrame()) break;
      if (closed_ || close_after_write_) return;
    }
    if (in_flight_ >= this->limits().max_in_flight || !this->room()) return;  // resumed as answers drain
    if (in_.size() > in_pos_) {
      // One deadline for the whole frame, from its first byte: trickling it
      // in does not buy time.
      this->Lowest().expires_at(frame_began_ + this->limits().read_timeout);
    } else {
      this->Lowest().expires_never();  // the idle timer covers a quiet connection
    }
    reading_ = true;
    stream_.async_read_some(net::buffer(read_buf_), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
      self->OnRead(ec, n);
    });
  }

  void OnRead(beast::error_code ec, std::size_t n) {
    reading_ = false;
    if (ec) {
      if (ec == beast::error::timeout) ctx_.metrics->timeouts.fetch_add(1);
      this->Close();
      return;
    }
    if (in_.size() == in_pos_) frame_began_ = std::chrono::steady_clock::now();
    in_.append(read_buf_.data(), n);
    DoRead();
    this->ArmIdle();
  }

  // Takes one whole frame from the buffer and handles it; false when none is there yet.
  bool TakeFrame() {
    const std::size_t available = in_.size() - in_pos_;
    if (available < api::kFramePrefixBytes) return false;
    const std::uint32_t size = api::DecodeFramePrefix(reinterpret_cast<const unsigned char*>(in_.data() + in_pos_));
    if (size > this->limits().max_frame_bytes) {
      Reject(api::Refusal(Code::kTooLarge, reason::kFrameTooLarge,
                          "a frame may hold at most " + std::to_string(this->limits().max_frame_bytes) + " bytes"));
      return false;
    }
    if (available < api::kFramePrefixBytes + size) return false;
    std::string frame = in_.substr(in_pos_, api::kFramePrefixBytes + size);
    in_pos_ += frame.size();
    if (in_pos_ == in_.size()) {
      in_.clear();
      in_pos_ = 0;
    } else if (in_pos_ > (64u << 10)) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    // What stays buffered is the start of the next frame, begun now.
    if (in_.size() > in_pos_) frame_began_ = std::chrono::steady_clock::now();
    HandleFrame(frame);
    return true;
  }

  void Reject(const Status& why) {
    ctx_.metrics->frames_rejected.fetch_add(1);
    this->Queue(api::ErrorFrame(0, why));
    close_after_write_ = true;
    in_.clear();
    in_pos_ = 0;
  }

  void HandleFrame(const std::string& frame) {
    const api::fb::Request* request = api::VerifiedRequest(frame);
    if (request == nullptr) {
      Reject(api::Refusal(Code::kInvalidArgument, reason::kMalformedFrame,
                          "the frame is not a Request of schema/api.fbs"));
      return;
    }
    Call call;
    call.request_id = request->request_id();
    call.op = request->body_type();
    call.body = request->body();
    if (request->command_id()) call.command_id = request->command_id()->str();
    if (request->expected_version()) call.expected_version = *request->expected_version();
    if (request->token() && request->token()->size() > 0) {
      call.token = request->token()->str();
    } else {
      call.token = token_;
      call.token_key = token_key_;
    }
    call.peer = this->peer_;
    if (api::IsSubscription(call.op) && call.body != nullptr) {
      Subscribe(call);
      return;
    }
    if (call.op == api::fb::Op::Unsubscribe && call.body != nullptr) {
      const auto id = static_cast<const api::fb::Unsubscribe*>(call.body)->subscription_id();
      this->Queue(feeds_.Remove(id) ? api::AckFrame(call.request_id)
                                    : api::ErrorFrame(call.request_id, api::Refusal(Code::kNotFound,
                                                                                    reason::kSubscriptionNotFound,
                                                                                    "no such subscription")));
      return;
    }
    ++in_flight_;
    // Reads are answered before Handle returns, on this connection's I/O
    // thread: those are taken at once; answers from the worker pool are
    // posted to that thread.
    dispatching_on_ = std::this_thread::get_id();
    ctx_.dispatcher->Handle(call, [self = this->shared_from_this()](Answer a) {
      if (self->dispatching_on_.load() == std::this_thread::get_id()) {
        self->TakeAnswer(std::move(a));
        return;
      }
      net::post(self->stream_.get_executor(), [self, a = std::move(a)]() mutable { self->OnAnswer(std::move(a)); });
    });
    dispatching_on_ = std::thread::id();
  }

  // REQUIRES: on the connection's I/O thread.
  void TakeAnswer(Answer a) {
    --in_flight_;
    if (closed_) return;
    if (a.binding == Answer::Binding::kBind) {
      token_ = a.token;
      token_key_ = TokenKey(token_);
    }
    if (a.binding == Answer::Binding::kUnbind && a.token == token_) {
      token_.clear();
      token_key_.clear();
    }
    if (!a.media_type.empty()) {
      // A document: its pieces count against the write queue like any frame,
      // so reading pauses until they drain.
      for (std::string& f : api::DocumentFrames(a.request_id, a.media_type, a.document, a.filename)) {
        this->Queue(std::move(f));
      }
      return;
    }
    this->Queue(std::move(a.frame));
  }

  void OnAnswer(Answer a) {
    TakeAnswer(std::move(a));
    if (closed_) return;
    if (stopping_) {
      CloseWhenDone();
      return;
    }
    DoRead();
    this->ArmIdle();
  }

  void CloseWhenDone() {
    if (in_flight_ != 0) return;
    close_after_write_ = true;
    if (!this->writing_) this->Close();
  }

  // ---- subscriptions ----

  void Subscribe(const Call& call) {
    const std::uint64_t id = call.request_id;
    if (stopping_) {
      this->Queue(api::ErrorFrame(id, api::ShuttingDown()));
      return;
    }
    if (feeds_.full() && !feeds_.Has(id)) {  // a repeated id replaces its subscription
      this->Queue(api::ErrorFrame(id, api::Refusal(Code::kFailedPrecondition, reason::kTooManySubscriptions,
                                                   "at most " + std::to_string(this->limits().max_subscriptions) +
                                                       " subscriptions on one connection")));
      return;
    }
    Result<std::unique_ptr<Feed>> feed = ctx_.dispatcher->OpenFeed(call);
    if (!feed.ok()) {
      this->Queue(api::ErrorFrame(id, feed.status()));
      return;
    }
    feeds_.Remove(id);  // a repeated id replaces the earlier subscription
    feeds_.Add(std::move(feed).value());
    api::ResponseWriter w(id);
    this->Queue(w.Finish(api::fb::CreateSubscribed(w.fbb(), id)));
    if (listener_ == 0) {
      std::weak_ptr<BinarySession> weak = this->shared_from_this();
      listener_ = ctx_.hub->AddListener([weak](std::uint64_t) {
        if (auto self = weak.lock()) {
          net::post(self->stream_.get_executor(), [self] { self->PullFeeds(); });
        }
      });
    }
    PullFeeds();
  }

  void PullFeeds() {
    pull_wanted_ = false;
    if (closed_ || stopping_ || feeds_.empty()) return;
    std::vector<std::string> frames;
    bool more = true;
    for (int round = 0; round < 8 && more && this->room(); ++round) {
      frames.clear();
      more = feeds_.Pull(64, &frames);
      ctx_.metrics->pushes.fetch_add(frames.size());
      for (std::string& f : frames) this->Queue(std::move(f));
    }
    if (more) {
      // Over the queue bound: resume when it drains. Otherwise yield to the
      // other connections of this thread and go on.
      if (!this->room()) {
        pull_wanted_ = true;
      } else {
        net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->PullFeeds(); });
      }
    }
    this->ArmIdle();
  }

  std::array<char, 16 << 10> read_buf_{};
  std::string in_;          // bytes read, from in_pos_ on not yet taken
  std::size_t in_pos_ = 0;
  std::chrono::steady_clock::time_point frame_began_;  // of the frame at in_pos_
  bool reading_ = false;
  std::size_t in_flight_ = 0;
  // The thread running Handle for this connection, while it does; read by
  // answer callbacks on any thread.
  std::atomic<std::thread::id> dispatching_on_{};
  bool stopping_ = false;
  bool close_after_write_ = false;
  bool pull_wanted_ = false;
  std::string token_;       // the connection's session, after Login or Authenticate
  std::string token_key_;   // TokenKey(token_), hashed once at binding
  FeedSet feeds_;
  std::uint64_t listener_ = 0;
};

}  // namespace

void StartBinarySession(Socket socket, net::ssl::context* tls, ConnectionContext ctx) {
  if (tls != nullptr) {
    std::make_shared<BinarySession<TlsStream>>(ctx, std::move(socket), *tls)->Start();
  } else {
    std::make_shared<BinarySession<PlainStream>>(ctx, std::move(socket))->Start();
  }
}

}  // namespace nrpf::server
