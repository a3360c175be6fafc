// The dispatcher: one operation of the API (schema/api.fbs) in, one
// Response frame out, whichever listener it came from. It authenticates the
// caller, translates the request for the domain, runs it where it belongs,
// and builds the answer:
//
//  * reads of the projections (counters, caseloads, search, clocks, lists)
//    run at once on the calling I/O thread: they take microseconds;
//  * commands and recorded case reads (get_case) are decided on the I/O
//    thread too and handed to the ledger; once their writes land, their
//    answers are built on the projections' thread (commands) or a worker
//    (case reads), with no thread waiting for the write (InFlight);
//  * everything else that writes or waits (logins, password changes,
//    account changes, audit reads of the log, commands with an idempotency
//    key) runs on the worker pool, so no I/O thread ever waits for a disk.
//    A full pool queue answers unavailable/busy at once.
//
// Subscriptions are opened here (OpenFeed) and driven by their connection.
//
// Thread-safe.

#ifndef NRPF_SERVER_DISPATCHER_H_
#define NRPF_SERVER_DISPATCHER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "domain/service.h"
#include "server/accounts.h"
#include "server/feeds.h"
#include "server/metrics.h"
#include "domain/task_pool.h"
#include "schema/api_generated.h"

namespace nrpf::server {

namespace fb = ::nrpf::api::fb;

// One request as a transport hands it over.
struct Call {
  std::uint64_t request_id = 0;
  fb::Op op = fb::Op::NONE;
  // The op's table. Valid only until Handle/OpenFeed returns: what runs
  // later works on copies.
  const void* body = nullptr;
  std::string command_id;
  std::optional<std::uint64_t> expected_version;
  std::string token;  // bearer token (HTTP header, Request.token, or the connection's)
  std::string token_key;  // TokenKey(token) when the transport has it already, else empty
  std::string peer;   // the client's address: login rate limits only, never logged
};

struct Answer {
  std::string frame;  // size-prefixed Response
  Status status;      // ok, or the error the frame carries
  // A Document answer (the replay reports) has no frame: its text and media
  // type. Binary connections send api::DocumentFrames; HTTP sends the text
  // as the body.
  std::string document;
  std::string media_type;
  std::string filename;  // a Document's name to save it under; HTTP: Content-Disposition
  std::uint64_t request_id = 0;  // of a Document answer
  // Binary connections: after Login or Authenticate, later requests on the
  // connection carry `token`; after Logout of `token`, none.
  enum class Binding { kNone, kBind, kUnbind } binding = Binding::kNone;
  std::string token;
};
using AnswerFn = std::function<void(Answer)>;

struct DispatcherDeps {
  domain::CaseService* service = nullptr;
  Accounts* accounts = nullptr;
  domain::TaskPool* workers = nullptr;
  Metrics* metrics = nullptr;
  const Clock* clock = nullptr;
  // Where compare_projections rebuilds (emptied after each comparison).
  std::string scratch_dir;
};

class Dispatcher {
 public:
  explicit Dispatcher(DispatcherDeps deps);

  // Answers `call` exactly once through `done`: before returning (reads,
  // refusals) or later, on a worker, on the projections' thread, or with a
  // command's refusal on the ledger's thread that refused it. Never blocks
  // on a disk.
  // Subscriptions and unsubscribe are the connection's (OpenFeed).
  void Handle(const Call& call, AnswerFn done);

  // The feed a subscription op asks for, after checking the caller.
  Result<std::unique_ptr<Feed>> OpenFeed(const Call& call);

  // New work is refused with unavailable/shutting_down from now on.
  void Stop() {
    std::lock_guard lock(in_flight_mu_);
    stopping_ = true;
  }
  // Commands decided and not yet answered, and case reads whose record is
  // being written: no thread waits for their writes (CaseService::
  // ExecuteAsync, ReadCaseRecordedAsync).
  std::size_t in_flight() const;
  // Waits until none is in flight, or until `deadline`; true if none is.
  bool WaitForInFlight(std::chrono::steady_clock::time_point deadline) const;
  void WaitForInFlight() const;

 private:
  using Work = std::function<Answer()>;
  // Runs `work` on the pool and answers with what it returns; busy or
  // shutting_down when the pool will not take it.
  void Submit(const Call& call, Work work, AnswerFn done);
  // Starts work whose answer comes later, from whichever thread its write
  // lands on, without a thread waiting for it: `start` hands the callback
  // it is given on, to be called once with the outcome, which `answer_of`
  // turns into the answer. The work counts as in flight until then (Stop
  // and WaitForInFlight). Answers shutting_down once stopping, and the
  // failure when `start` throws with the callback dropped unrun.
  template <typename Outcome>
  void InFlight(std::uint64_t request_id, std::shared_ptr<AnswerFn> done, std::function<Answer(Outcome)> answer_of,
                const std::function<void(std::function<void(Outcome)>)>& start);
  // The answer to a command, once its outcome is known.
  Answer CommandAnswer(std::uint64_t request_id, const domain::CommandRequest& request,
                       Result<domain::CommandOutcome> outcome);
  Answer Reply(std::string frame) const;
  Answer Refuse(std::uint64_t request_id, const Status& status) const;

  void HandleAuthenticated(const Call& call, const Session& session, AnswerFn done);
  void Login(const Call& call, AnswerFn done);
  void Command(const Call& call, const Session& session, AnswerFn done);
  // Each answers the ops of its kind and returns true, or returns false
  // (and answers nothing) for other ops.
  // dispatcher_reads.cpp: projection reads and recorded case reads.
  bool Read(const Call& call, const Session& session, const AnswerFn& done);
  // dispatcher_audit.cpp: the log, checkpoints, histories, exports, verify.
  bool Audit(const Call& call, const Session& session, const AnswerFn& done);
  std::string SessionFrame(std::uint64_t request_id, const Session& session, const std::string& token) const;

  domain::CaseService& service_;
  Accounts& accounts_;
  domain::TaskPool& workers_;
  Metrics& metrics_;
  const Clock& clock_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> verifying_{false};  // one VerifyLog at a time: it uses every core
  std::atomic<bool> comparing_{false};  // one CompareProjections at a time
  std::atomic<bool> ledger_stop_logged_{false};
  mutable std::mutex in_flight_mu_;
  mutable std::condition_variable in_flight_cv_;
  std::size_t in_flight_ = 0;  // guarded by in_flight_mu_
  const std::string scratch_dir_;
};

}  // namespace nrpf::server

#endif  // NRPF_SERVER_DISPATCHER_H_
