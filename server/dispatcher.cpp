#include "server/dispatcher.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "server/api_codec.h"
#include "server/api_error.h"
#include "server/command_codec.h"
#include "server/passwords.h"
#include "server/response_writer.h"
#include "server/views.h"

namespace nrpf::server {

namespace {

namespace reason = api::reason;

using api::Str;

// Wipes a copied secret when the work that needed it is done.
struct Secret {
  std::string value;
  explicit Secret(std::string v) : value(std::move(v)) {}
  ~Secret() { sodium_memzero(value.data(), value.size()); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
};

// Ops a session opened with a one-time password may still do.
bool AllowedBeforePasswordChange(fb::Op op) {
  return op == fb::Op::ChangePassword || op == fb::Op::Logout || op == fb::Op::WhoAmI ||
         op == fb::Op::Authenticate;
}

}  // namespace

Dispatcher::Dispatcher(DispatcherDeps deps)
    : service_(*deps.service),
      accounts_(*deps.accounts),
      workers_(*deps.workers),
      metrics_(*deps.metrics),
      clock_(deps.clock != nullptr ? *deps.clock : *SystemClock::Default()),
      scratch_dir_(deps.scratch_dir) {}

Answer Dispatcher::Reply(std::string frame) const {
  Answer a;
  a.frame = std::move(frame);
  return a;
}

Answer Dispatcher::Refuse(std::uint64_t request_id, const Status& status) const {
  Answer a;
  a.frame = api::ErrorFrame(request_id, status);
  a.status = status;
  return a;
}

void Dispatcher::Submit(const Call& call, Work work, AnswerFn done) {
  const std::uint64_t id = call.request_id;
  if (stopping_) {
    done(Refuse(id, api::ShuttingDown()));
    return;
  }
  auto shared_done = std::make_shared<AnswerFn>(std::move(done));
  domain::TaskPool::Task task;
  task.run = [this, id, work = std::move(work), shared_done] {
    Answer a;
    try {
      a = work();
    } catch (const std::exception& e) {
      // Out of memory building a large answer, or a library that throws:
      // this request fails, the server goes on.
      a = Refuse(id, api::Refusal(Code::kIOError, api::reason::kInternal, std::string("the answer failed: ") + e.what()));
    }
    (*shared_done)(std::move(a));
  };
  task.cancel = [this, id, shared_done] { (*shared_done)(Refuse(id, api::ShuttingDown())); };
  if (!workers_.TrySubmit(std::move(task))) {
    const bool stopping = stopping_.load();
    (*shared_done)(Refuse(id, stopping ? api::ShuttingDown()
                                       : api::Refusal(Code::kUnavailable, reason::kBusy,
                                                      "too many requests waiting; retry")));
  }
}

namespace {

// Every string of a call is UTF-8: its body's and its command id.
Status CheckUtf8(const Call& call) {
  const reflection::Object* object = api::FindObject(api::OpTable(call.op));
  if (object == nullptr || !api::StringsAreUtf8(static_cast<const flatbuffers::Table*>(call.body), *object) ||
      !api::IsUtf8(call.command_id)) {
    return api::Refusal(Code::kInvalidArgument, reason::kNotUtf8, "every string must be UTF-8");
  }
  return Status::Ok();
}

// What an operation cannot do without is there: fields marked required_value
// in schema/api.fbs, refused by name, every one missing, once the session is
// checked and before anything is looked up, checked or hashed (a login's
// password is checked for before any session or hash).
Status CheckRequired(const Call& call) {
  const reflection::Object* object = api::FindObject(api::OpTable(call.op));
  if (object == nullptr) return Status::Ok();
  return api::CheckRequired(static_cast<const flatbuffers::Table*>(call.body), *object);
}

}  // namespace

void Dispatcher::Handle(const Call& call, AnswerFn done) {
  const auto start = std::chrono::steady_clock::now();
  const auto op = static_cast<unsigned>(call.op);
  AnswerFn counted = [this, start, op, done = std::move(done)](Answer a) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.CountRequest(op, a.status.code(), seconds);
    done(std::move(a));
  };
  if (call.body == nullptr || api::OpTable(call.op).empty()) {
    counted(Refuse(call.request_id, api::Refusal(Code::kInvalidArgument, reason::kUnknownOperation,
                                                 "the request names no operation this server knows")));
    return;
  }
  if (Status utf8 = CheckUtf8(call); !utf8.ok()) {
    counted(Refuse(call.request_id, utf8));
    return;
  }
  // A request that opens a session is checked for what it cannot do
  // without first (a login without a password is no failed login); any
  // other is first refused for its session, so a front end whose session
  // ended is sent to log in again, whatever its form holds.
  const bool named = call.op == fb::Op::Authenticate;
  const bool opens_session = named || call.op == fb::Op::Login;
  if (Status required = opens_session ? CheckRequired(call) : Status::Ok(); !required.ok()) {
    counted(Refuse(call.request_id, required));
    return;
  }
  if (call.op == fb::Op::Login) {
    Login(call, std::move(counted));
    return;
  }
  const std::string& token = named ? Str(static_cast<const fb::Authenticate*>(call.body)->token()) : call.token;
  Result<Session> session = accounts_.Authenticate(token, named ? std::string_view() : call.token_key);
  if (!session.ok()) {
    counted(Refuse(call.request_id, session.status()));
    return;
  }
  if (session->must_change_password && !AllowedBeforePasswordChange(call.op)) {
    counted(Refuse(call.request_id, api::Refusal(Code::kPermissionDenied, reason::kPasswordChangeRequired,
                                                 "change the one-time password first")));
    return;
  }
  if (Status required = opens_session ? Status::Ok() : CheckRequired(call); !required.ok()) {
    counted(Refuse(call.request_id, required));
    return;
  }
  HandleAuthenticated(call, *session, std::move(counted));
}

std::string Dispatcher::SessionFrame(std::uint64_t request_id, const Session& session, const std::string& token) const {
  api::ResponseWriter w(request_id);
  const domain::UserState user = service_.projector().Read([&](const projections::Projections& p) {
    const domain::UserState* u = p.User(session.user_id);
    return u ? *u : domain::UserState{};
  });
  return w.Finish(fb::CreateSessionViewDirect(w.fbb(), token.empty() ? nullptr : token.c_str(),
                                              session.user_id.c_str(), user.organisation_id.c_str(), user.role,
                                              session.expires_at_us, session.must_change_password,
                                              user.team_id.empty() ? nullptr : user.team_id.c_str(),
                                              user.name ? user.name->c_str() : nullptr));
}

void Dispatcher::Login(const Call& call, AnswerFn done) {
  const auto* body = static_cast<const fb::Login*>(call.body);
  auto user_id = std::make_shared<std::string>(Str(body->user_id()));
  auto password = std::make_shared<Secret>(Str(body->password()));
  const std::string peer = call.peer;
  const std::uint64_t id = call.request_id;
  Submit(call, [this, id, user_id, password, peer]() -> Answer {
    Result<LoginResult> r = accounts_.Login(*user_id, password->value, peer);
    if (!r.ok()) return Refuse(id, r.status());
    Answer a = Reply(SessionFrame(id, r->session, r->token));
    a.binding = Answer::Binding::kBind;
    a.token = r->token;
    return a;
  }, std::move(done));
}

void Dispatcher::HandleAuthenticated(const Call& call, const Session& session, AnswerFn done) {
  const std::uint64_t id = call.request_id;
  switch (call.op) {
    case fb::Op::Authenticate: {
      Answer a = Reply(SessionFrame(id, session, ""));
      a.binding = Answer::Binding::kBind;
      a.token = Str(static_cast<const fb::Authenticate*>(call.body)->token());
      done(std::move(a));
      return;
    }
    case fb::Op::WhoAmI:
      done(Reply(SessionFrame(id, session, "")));
      return;
    case fb::Op::Logout:
      Submit(call, [this, id, session, token = call.token]() -> Answer {
        Status s = accounts_.Logout(session);
        if (!s.ok()) return Refuse(id, s);
        Answer a = Reply(api::AckFrame(id));
        a.binding = Answer::Binding::kUnbind;
        a.token = token;
        return a;
      }, std::move(done));
      return;
    case fb::Op::ChangePassword: {
      const auto* body = static_cast<const fb::ChangePassword*>(call.body);
      auto current = std::make_shared<Secret>(Str(body->current_password()));
      auto next = std::make_shared<Secret>(Str(body->new_password()));
      Submit(call, [this, id, session, current, next]() -> Answer {
        Status s = accounts_.ChangePassword(session, current->value, next->value);
        return s.ok() ? Reply(api::AckFrame(id)) : Refuse(id, s);
      }, std::move(done));
      return;
    }
    case fb::Op::SubscribeCounters:
    case fb::Op::SubscribeCase:
    case fb::Op::SubscribeLog:
    case fb::Op::Unsubscribe:
      done(Refuse(id, api::Refusal(Code::kInvalidArgument, reason::kUnknownOperation,
                                   "subscriptions need a connection that takes pushes")));
      return;
    default:
      break;
  }
  if (Read(call, session, done) || Audit(call, session, done)) return;
  Command(call, session, std::move(done));
}

void Dispatcher::Command(const Call& call, const Session& session, AnswerFn done) {
  std::optional<domain::Command> command = ToCommand(call.op, call.body);
  if (!command) {
    done(Refuse(call.request_id, api::Refusal(Code::kInvalidArgument, reason::kUnknownOperation,
                                              "not an operation of this server")));
    return;
  }
  auto request = std::make_shared<domain::CommandRequest>();
  request->actor_user_id = session.user_id;
  request->command_id = call.command_id;
  request->expected_version = call.expected_version;
  request->command = std::move(*command);
  const std::uint64_t id = call.request_id;
  if (Accounts::ActsAfter(request->command)) {
    // Account changes go on to the credential store (a one-time password
    // is an Argon2id hash): decided, written and answered on the worker.
    Submit(call, [this, id, request]() -> Answer { return CommandAnswer(id, *request, service_.Execute(*request)); },
           std::move(done));
    return;
  }
  // Decided without a thread waiting for the write: the answer is built
  // where the write lands (the projections' thread). What falls due later
  // (a case's turn handed over, a decision made again after a conflict, a
  // retry's stored answer, an erasure) runs on the workers.
  auto shared_done = std::make_shared<AnswerFn>(std::move(done));
  auto execute = [this, id, request, shared_done] {
    InFlight<Result<domain::CommandOutcome>>(
        id, shared_done,
        [this, id, request](Result<domain::CommandOutcome> outcome) {
          return CommandAnswer(id, *request, std::move(outcome));
        },
        [this, request](std::function<void(Result<domain::CommandOutcome>)> answer) {
          service_.ExecuteAsync(*request, workers_.AsExecutor(), std::move(answer));
        });
  };
  if (request->command_id.empty()) {
    // Decided here, on the connection's I/O thread: a read of the
    // projections, microseconds like the reads that run here.
    execute();
    return;
  }
  // A command id is first looked up in the command index, which may read
  // the disk: on a worker, which goes on to other work once it is decided.
  Submit(call, [execute]() -> Answer {
    execute();
    return Answer{};  // answered by `execute`
  }, [shared_done](Answer a) {
    if (!a.frame.empty()) (*shared_done)(std::move(a));  // refused before it was decided
  });
}

template <typename Outcome>
void Dispatcher::InFlight(std::uint64_t request_id, std::shared_ptr<AnswerFn> done,
                          std::function<Answer(Outcome)> answer_of,
                          const std::function<void(std::function<void(Outcome)>)>& start) {
  bool stopping;
  {
    // Counted under the lock the stop is set under, so a stop that then
    // found none in flight refuses this one.
    std::lock_guard lock(in_flight_mu_);
    stopping = stopping_;
    if (!stopping) ++in_flight_;
  }
  if (stopping) {
    (*done)(Refuse(request_id, api::ShuttingDown()));
    return;
  }
  // In flight until the answer is given (or the callback dropped unrun).
  std::shared_ptr<void> in_flight(nullptr, [this](void*) {
    std::lock_guard lock(in_flight_mu_);
    if (--in_flight_ == 0) in_flight_cv_.notify_all();
  });
  // Whether the answer ran, and whether it can still run (it is alive).
  auto answered = std::make_shared<std::atomic<bool>>(false);
  auto alive = std::make_shared<char>(0);
  const std::weak_ptr<char> callback_alive = alive;
  auto answer = [this, request_id, done, in_flight, answered, alive = std::move(alive),
                 answer_of = std::move(answer_of)](Outcome outcome) {
    answered->store(true);
    Answer a;
    try {
      a = answer_of(std::move(outcome));
    } catch (const std::exception& e) {
      a = Refuse(request_id,
                 api::Refusal(Code::kIOError, api::reason::kInternal, std::string("the answer failed: ") + e.what()));
    }
    try {
      (*done)(std::move(a));
    } catch (const std::exception& e) {
      // Out of memory handing the answer to its connection, on a thread
      // (the projections', a worker) that must go on: the answer is lost,
      // as if the connection had broken.
      spdlog::error("request {}: the answer could not be sent: {}", request_id, e.what());
    }
  };
  try {
    start(std::move(answer));
  } catch (const std::exception& e) {
    // Out of memory starting it: answered here only if the answer is gone
    // unrun; one still held somewhere will run.
    if (callback_alive.expired() && !answered->load()) {
      (*done)(Refuse(request_id, api::Refusal(Code::kIOError, api::reason::kInternal,
                                              std::string("the request failed: ") + e.what())));
    }
  }
}

template void Dispatcher::InFlight<Result<domain::CommandOutcome>>(
    std::uint64_t, std::shared_ptr<AnswerFn>, std::function<Answer(Result<domain::CommandOutcome>)>,
    const std::function<void(std::function<void(Result<domain::CommandOutcome>)>)>&);
template void Dispatcher::InFlight<Result<domain::RecordedCaseRead>>(
    std::uint64_t, std::shared_ptr<AnswerFn>, std::function<Answer(Result<domain::RecordedCaseRead>)>,
    const std::function<void(std::function<void(Result<domain::RecordedCaseRead>)>)>&);

Answer Dispatcher::CommandAnswer(std::uint64_t request_id, const domain::CommandRequest& request,
                                 Result<domain::CommandOutcome> outcome) {
  if (!outcome.ok()) {
    if (Status stopped = service_.ledger().Health(); !stopped.ok() && !ledger_stop_logged_.exchange(true)) {
      // Once: the write error itself (RocksDB's words, no personal data).
      spdlog::error("the ledger stopped and refuses every command until a restart: {}", stopped.ToString());
    }
    return Refuse(request_id, outcome.status());
  }
  Result<std::string> otp = accounts_.AfterCommand(request.command, *outcome);
  if (!otp.ok()) return Refuse(request_id, otp.status());
  api::ResponseWriter w(request_id);
  return Reply(w.Finish(BuildCommandResult(w.fbb(), *outcome, *otp)));
}

std::size_t Dispatcher::in_flight() const {
  std::lock_guard lock(in_flight_mu_);
  return in_flight_;
}

bool Dispatcher::WaitForInFlight(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(in_flight_mu_);
  return in_flight_cv_.wait_until(lock, deadline, [&] { return in_flight_ == 0; });
}

void Dispatcher::WaitForInFlight() const {
  std::unique_lock lock(in_flight_mu_);
  in_flight_cv_.wait(lock, [&] { return in_flight_ == 0; });
}

Result<std::unique_ptr<Feed>> Dispatcher::OpenFeed(const Call& call) {
  if (stopping_) return api::ShuttingDown();
  NRPF_RETURN_IF_ERROR(CheckUtf8(call));
  Result<Session> session = accounts_.Authenticate(call.token, call.token_key);
  if (!session.ok()) return session.status();
  if (session->must_change_password) {
    return api::Refusal(Code::kPermissionDenied, reason::kPasswordChangeRequired, "change the one-time password first");
  }
  NRPF_RETURN_IF_ERROR(CheckRequired(call));
  FeedContext context{&service_, &accounts_, call.token, call.token_key.empty() ? TokenKey(call.token) : call.token_key};
  std::unique_ptr<Feed> feed;
  switch (call.op) {
    case fb::Op::SubscribeCounters: {
      const auto* b = static_cast<const fb::SubscribeCounters*>(call.body);
      // Checked now, so that a refusal answers the subscribe itself.
      Result<projections::HomeCounters> first =
          service_.Counters(session->user_id, b->my_cases(), Str(b->team_id()), Str(b->organisation_id()));
      if (!first.ok()) return first.status();
      feed = CountersFeed(call.request_id, context, b->my_cases(), Str(b->team_id()), Str(b->organisation_id()));
      break;
    }
    case fb::Op::SubscribeCase: {
      const auto* b = static_cast<const fb::SubscribeCase*>(call.body);
      NRPF_RETURN_IF_ERROR(service_.MayOnCase(session->user_id, Str(b->case_id()), domain::Action::kReadCaseMetadata));
      feed = CaseFeed(call.request_id, context, Str(b->case_id()), b->from_version());
      break;
    }
    case fb::Op::SubscribeLog: {
      const auto* b = static_cast<const fb::SubscribeLog*>(call.body);
      NRPF_RETURN_IF_ERROR(MayReadWholeLog(service_, session->user_id));
      feed = LogFeed(call.request_id, context, b->from_position(), b->include_records());
      break;
    }
    default:
      return api::Refusal(Code::kInvalidArgument, reason::kUnknownOperation, "not a subscription");
  }
  return feed;
}

}  // namespace nrpf::server
