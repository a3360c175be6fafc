// CaseService: the one entry point a transport calls. It runs a command
// through decide() against the projections, appends the decision to the
// ledger (sealed, signed, durable), and answers once the projections
// include it, with the ledger position of the write: Execute waits for that
// on the calling thread, ExecuteAsync calls back. Reads check the same
// permission table and redact what the role may not see.
//
// Thread-safe: any number of threads may call any method.

#ifndef NRPF_DOMAIN_SERVICE_H_
#define NRPF_DOMAIN_SERVICE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "domain/commands.h"
#include "domain/decide.h"
#include "domain/permissions.h"
#include "domain/task_pool.h"
#include "ledger/clock.h"
#include "ledger/ledger.h"
#include "projections/projector.h"

namespace nrpf::domain {

struct ServiceOptions {
  // Time source for rules (RTPF two-year window, counters). Not owned.
  // Default: SystemClock::Default().
  const Clock* clock = nullptr;
  // How long a command waits for the projections to include its write.
  // Default: 10 s.
  std::chrono::milliseconds projection_wait{10000};
  // Re-decisions after another writer moved on a stream the decision read
  // (the case, the acting account, a caseworker, a case kept); past them the
  // command fails with unavailable/contention. Default: 8.
  int max_conflict_retries = 8;
  // Commands on one case take turns; past this many waiting for one case's
  // turn, another fails at once with unavailable/case_busy instead of
  // queueing without end. Default: 16.
  std::size_t max_turn_waiters = 16;
};

// A user id (<= 64 bytes) + ':' + this fits the ledger's 128-byte command id.
inline constexpr std::size_t kMaxCommandIdBytes = 63;

struct CommandRequest {
  std::string actor_user_id;
  // Idempotency key, at most kMaxCommandIdBytes, scoped to the actor: a
  // retry by the same account (the same operation, fields and expected
  // version) returns the first outcome and writes nothing; the same key with
  // anything else is command_id_reused and writes nothing.
  std::string command_id;
  // The version of the case (or account) the user saw; a newer one is
  // wrong_expected_version/stale_version.
  std::optional<std::uint64_t> expected_version;
  Command command;
};

struct CommandOutcome {
  std::uint64_t first_position = 0;  // ledger position of the first event written
  std::uint32_t events = 0;
  bool duplicate = false;            // a retry of a stored command
  std::string case_id;               // the case acted on or created
  std::uint64_t case_version = 0;    // after the write
  std::string lookup_id;             // RTPF look-ups
  RtpfResult rtpf;                   // RTPF look-ups
  // Create case: existing cases of the council that look like the same person.
  std::vector<projections::SearchHit> possible_duplicates;
  // Assessments: the assessment as recorded, what it found included, for
  // the user who made it (a retry answers with the one first recorded).
  std::optional<AssessmentRecord> assessment;
};

// The answer to a command, called once.
using CommandDone = std::function<void(Result<CommandOutcome>)>;

// Who may see what of a case.
enum class CaseVisibility { kFull, kMetadataOnly };

// A case read through ReadCaseRecorded.
struct RecordedCaseRead {
  CaseState state;
  CaseVisibility visibility = CaseVisibility::kMetadataOnly;
  // kFull: the case.accessed event that recorded the read.
  std::uint64_t access_position = 0;
  // The kinds of assessment this reader may not see (MaySeeAssessment),
  // already left out of `state`: any other view of the case leaves them out too.
  std::vector<fb::AssessmentKind> hidden_assessments;
};

// The answer to a recorded case read, called once.
using RecordedReadDone = std::function<void(Result<RecordedCaseRead>)>;

class CaseService {
 public:
  // Folds the log, starts following it, and finishes any erasure a crash
  // interrupted. REQUIRES: `ledger` outlives the service.
  static Result<std::unique_ptr<CaseService>> Open(ledger::Ledger* ledger, ServiceOptions options);
  ~CaseService();

  Result<CommandOutcome> Execute(const CommandRequest& request);
  // Execute without a thread waiting for the write. Decides on the calling
  // thread, appends, and calls `done` once: when the write is durable and
  // in the projections (on the projections' thread), or with the refusal
  // (on whichever thread refused it). `done` must be quick and must not
  // block. What cannot run where it falls due runs through `executor`: a
  // command whose case's turn was handed to it, a decision made again after
  // a conflict, a retry answered from the log, an erasure (which waits for
  // its shreds). REQUIRES: the service outlives every `done`.
  void ExecuteAsync(CommandRequest request, Executor executor, CommandDone done);

  // Creates the network-support organisation and its first admin, each
  // unless the log already holds it, so a first start that died between
  // the two finishes at the next. True when it wrote anything. The events
  // are recorded as the "system" actor.
  Result<bool> Bootstrap(const RegisterOrganisation& network_support, const CreateUser& first_admin);

  // A case as `actor` may see it: network support (a metadata-only reader)
  // gets CaseState::MetadataOnly().
  Result<CaseState> ReadCase(const std::string& actor_user_id, const std::string& case_id) const;
  // ReadCase for a network API: when the answer includes personal data, the
  // read is first recorded in the log, durably: "case.accessed" on
  // AccessStream(case_id), naming every person of the case as a data subject
  // (so ReadSubject lists it for a subject-access export), with `what` was
  // read. No record, no data: a failed append is the answer. Blocks like
  // Execute; metadata-only answers write nothing.
  Result<RecordedCaseRead> ReadCaseRecorded(const std::string& actor_user_id, const std::string& case_id,
                                            const std::vector<std::string>& what);
  // ReadCaseRecorded without a thread waiting for the record: `done` is
  // called once, at once on the calling thread with a refusal or a
  // metadata-only read, or through `executor` once the record is durable
  // (with the read) or failed (the ledger's thread only hands it over); with
  // the executor's refusal if it refuses. REQUIRES: the service outlives
  // every `done`.
  void ReadCaseRecordedAsync(const std::string& actor_user_id, const std::string& case_id,
                             const std::vector<std::string>& what, Executor executor, RecordedReadDone done);
  // Home-page counters of an organisation; `my_cases` narrows to the
  // actor's own cases, `team_id` to a team. A council's users and auditors
  // see their own council; the Home Office (subscribed councils only),
  // audit-body auditors and network support name the council in
  // `organisation_id`, and see their own organisation when they name none.
  Result<projections::HomeCounters> Counters(const std::string& actor_user_id, bool my_cases,
                                             const std::string& team_id,
                                             const std::string& organisation_id = "") const;
  // Caseload of a council, scoped as Counters by filter.organisation_id.
  // A metadata-only reader (network support) gets CaseRow::MetadataOnly()
  // rows, and may not filter by legislation or household type
  // (permission_denied/no_personal_data).
  Result<std::vector<projections::CaseRow>> Caseload(const std::string& actor_user_id,
                                                     projections::CaseloadFilter filter) const;
  // Search among the cases the actor may read (filter.organisations set here).
  Result<std::vector<projections::SearchHit>> Search(const std::string& actor_user_id,
                                                     projections::SearchQuery query) const;
  // SLA clocks the actor may see: a council's users and auditors (and
  // auditors of the Home Office) their own organisation's; the Home Office
  // every subscribed council's; audit-body auditors and network support
  // every council's. filter.organisation_id narrows to one council, scoped
  // as Counters.
  Result<std::vector<SlaClockInstance>> Clocks(const std::string& actor_user_id,
                                               projections::ClockFilter filter) const;

  // What a report (replay/case_report.h) asks to cover.
  struct ReportScope {
    std::string organisation_id;  // "" = every council the actor may report on
    std::string team_id;          // narrows one council's cases
    std::string caseworker_id;
    // Performance monitoring is every user's (each sees the councils whose
    // SLA clocks they see); the other reports are those with kReports.
    bool every_user = false;
    // The report shows more than case metadata: refused to network support
    // (permission_denied/no_personal_data), naming `personal_field` (the
    // report, or a filter that tells of the people) if set.
    bool personal = true;
    std::string personal_field;
  };
  // The councils a report covers for the actor, or why it may not have it:
  // a council's users and auditors their own; the Home Office every
  // subscribed council; audit-body auditors and network support every
  // council; `scope.organisation_id` narrows to one (scoped as Counters).
  // A team or caseworker the council does not have is not_found, naming
  // the field.
  Result<std::vector<std::string>> ReportCouncils(const std::string& actor_user_id, const ReportScope& scope) const;

  // How much of the case `actor` may see: kFull with kReadCase, else
  // kMetadataOnly with kReadCaseMetadata, else the refusal. Every case read
  // (the case, its history, timeline and feed) takes this answer.
  Result<CaseVisibility> VisibilityOf(const std::string& actor_user_id, const std::string& case_id) const;

  // Whether the actor may do `action` to the case (the permission table,
  // tenancy included). not_found/case_not_found when there is no such case,
  // said only after the account itself is checked, as decide() does.
  Status MayOnCase(const std::string& actor_user_id, const std::string& case_id, Action action) const;

  // The accounts of `organisation_id` ("" = the actor's own), for the admins
  // who manage them (AuthorizeUserAdmin).
  Result<std::vector<UserState>> Users(const std::string& actor_user_id, std::string organisation_id) const;
  // Every organisation and its teams, for any account that may act.
  Result<std::vector<OrganisationState>> Organisations(const std::string& actor_user_id) const;

  const projections::Projector& projector() const { return *projector_; }
  // Decisions made again because a stream they read moved on before their
  // append, since the service opened.
  std::uint64_t conflict_retries() const { return conflict_retries_.load(std::memory_order_relaxed); }
  ledger::Ledger& ledger() { return *ledger_; }

 private:
  CaseService(ledger::Ledger* ledger, ServiceOptions options);
  // The checks of a command before it takes its turns: the service and the
  // account may act, the command id. A retry of a stored command comes back
  // in `stored`.
  struct Admitted {
    std::optional<ledger::CommandFingerprint> fingerprint;  // with a command id
    std::optional<ledger::AppendResult> stored;
  };
  Result<Admitted> Admit(const CommandRequest& request) const;
  // What the ledger stored for the request's command id, if it has one.
  Result<std::optional<ledger::AppendResult>> StoredCommand(
      const CommandRequest& request, const std::optional<ledger::CommandFingerprint>& fingerprint) const;
  // One decision, ready to append.
  struct Decided {
    ledger::AppendRequest append;
    CommandOutcome outcome;  // all but what the write decides
    std::vector<std::string> shred_subjects;
  };
  // `new_case_id`: a creation's case number, "" until a decision takes one.
  Result<Decided> DecideOnce(const CommandRequest& request,
                             const std::optional<ledger::CommandFingerprint>& fingerprint,
                             std::string* new_case_id);
  // The outcome of `decided` once `written` is durable and in the projections.
  CommandOutcome Landed(const Decided& decided, const ledger::AppendResult& written) const;
  // Assessment `assessment_id` of the case, as the projections hold it.
  std::optional<AssessmentRecord> AssessmentOf(const std::string& case_id, const std::string& assessment_id) const;
  Result<CommandOutcome> ExecuteOnce(const CommandRequest& request,
                                     const std::optional<ledger::CommandFingerprint>& fingerprint,
                                     std::string* new_case_id, bool* retry);
  // ExecuteAsync's steps: one command in flight.
  struct AsyncCommand;
  // Where an ExecuteAsync command waits for the projections, nothing waits
  // with it: this thread answers it instead when the wait outlasts
  // projection_wait, or at once when the ledger fails meanwhile (as
  // Execute's waiting thread would). An answered command's wait is dropped.
  class Watch {
   public:
    explicit Watch(const ledger::Ledger* ledger);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    // Answers `cmd` with `on_expiry` at `deadline` unless the wait is
    // settled by then (whoever sets `settled` first acts); with
    // `ledger_failure`, also with the ledger's error once it fails.
    void Add(const std::shared_ptr<AsyncCommand>& cmd, std::shared_ptr<std::atomic<bool>> settled,
             std::chrono::steady_clock::time_point deadline, Status on_expiry, bool ledger_failure);

   private:
    struct Entry {
      std::weak_ptr<AsyncCommand> cmd;
      std::shared_ptr<std::atomic<bool>> settled;  // the wait, shared with its callback
      Status on_expiry;
      bool ledger_failure = false;
    };
    void Run();
    const ledger::Ledger* const ledger_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::multimap<std::chrono::steady_clock::time_point, Entry> waits_;  // guarded by mu_
    bool stop_ = false;                                                  // guarded by mu_
    std::thread thread_;
  };
  // Waits for the projections to reach `position`, then `then(Ok)`; or
  // `then(error)` when they stop first. Watched (Watch): past
  // projection_wait the command is answered ProjectionsBehind(position),
  // and with `ledger_failure` at once when the ledger fails.
  void WhenVisible(const std::shared_ptr<AsyncCommand>& cmd, std::uint64_t position, bool ledger_failure,
                   std::function<void(Status)> then);
  void DecideAndAppend(std::shared_ptr<AsyncCommand> cmd);
  void RetryAfterConflict(std::shared_ptr<AsyncCommand> cmd);
  // Runs `fn` through the command's executor; its refusal answers the
  // command, and so does an exception `fn` throws.
  void Later(const std::shared_ptr<AsyncCommand>& cmd, std::function<void()> fn);
  // The command's executor, with an exception of what it runs answering
  // the command.
  static Executor Guarded(const std::shared_ptr<AsyncCommand>& cmd);
  // Execute's part once the command holds its turns: decide, append, wait,
  // deciding again after a conflict.
  Result<CommandOutcome> ExecuteHeld(const CommandRequest& request,
                                     const std::optional<ledger::CommandFingerprint>& fingerprint);
  static void Answer(const std::shared_ptr<AsyncCommand>& cmd, Result<CommandOutcome> result);
  // Past max_conflict_retries.
  static Status Contention();
  // The projections did not reach `position` within projection_wait.
  static Status ProjectionsBehind(std::uint64_t position);
  Result<CommandOutcome> Replay(const ledger::AppendResult& stored);
  Status FinishErasures();
  Result<RecordedCaseRead> ReadVisible(const std::string& actor_user_id, const std::string& case_id) const;

  ledger::Ledger* const ledger_;
  const ServiceOptions options_;
  const Clock* const clock_;
  std::unique_ptr<projections::Projector> projector_;
  std::atomic<std::uint64_t> next_case_number_{1};
  std::atomic<std::uint64_t> conflict_retries_{0};

  // Commands on one case take turns, decision to projections: each of them
  // moves the case's version on, so two at once would only conflict and
  // decide again, and under a steady stream of them the one deciding again
  // could lose every time. A command that also reads another case (the one
  // a duplicate is kept in) takes that case's turn too. A lock per case in
  // use, dropped when unused; several are taken in id order, so two
  // commands never wait for each other.
  class CaseTurns {
   public:
    // Turns held; given back (each to its first waiter) when destroyed.
    class Held {
     public:
      Held(CaseTurns* turns, std::vector<std::string> ids) : turns_(turns), ids_(std::move(ids)) {}
      Held(const Held&) = delete;
      Held& operator=(const Held&) = delete;
      ~Held() { turns_->Release(ids_); }
      bool empty() const { return ids_.empty(); }

     private:
      CaseTurns* const turns_;
      const std::vector<std::string> ids_;
    };
    using Granted = std::function<void(Result<std::unique_ptr<Held>>)>;
    // Takes the turns of `case_ids` in id order and calls `granted` once
    // with them, or with unavailable/case_busy when `max_waiters` already
    // wait for one. When every turn is free, `granted` runs on this thread;
    // otherwise the thread that hands over an awaited turn passes the rest
    // of the taking to `resume`; should it cancel that, the turns taken so
    // far are given back and `granted` gets the reason.
    void Acquire(std::vector<std::string> case_ids, std::size_t max_waiters, Executor resume, Granted granted);
    // The same, waiting on this thread.
    Result<std::unique_ptr<Held>> Acquire(std::vector<std::string> case_ids, std::size_t max_waiters);

   private:
    struct Pending {
      std::vector<std::string> ids;  // sorted, unique
      std::size_t next = 0;          // ids[0, next) are held
      std::size_t max_waiters = 0;
      Executor resume;
      Granted granted;
    };
    void Continue(std::shared_ptr<Pending> p);
    // Gives back the turns `p` holds and refuses it.
    void GiveUp(const std::shared_ptr<Pending>& p, Status why);
    void Release(const std::vector<std::string>& ids);

    std::mutex mu_;
    // A case's entry exists while its turn is held, with whoever waits for it.
    std::unordered_map<std::string, std::deque<std::shared_ptr<Pending>>> turns_;  // guarded by mu_
  };
  // Appends, and waits until the append is durable and in the projections,
  // for at most projection_wait once it is durable. The ledger's callback
  // hands the wait on to the projector, so this thread is woken once, by
  // the projections, instead of first by the ledger and then by them.
  Result<ledger::AppendResult> AppendVisible(ledger::AppendRequest append);
  // Waits until the projections hold every event the ledger has sequenced,
  // at most projection_wait; fails at once if the ledger or the projections
  // stop meanwhile.
  Status WaitForSequenced() const;
  static constexpr std::chrono::milliseconds kHealthCheckEvery{100};
  // The cases whose turns `command` takes, and the organisation's whose
  // admin it could create.
  std::vector<std::string> TurnsOf(const Command& command) const;
  CaseTurns case_turns_;
  std::unique_ptr<Watch> watch_;  // ExecuteAsync's waits
};

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_SERVICE_H_
