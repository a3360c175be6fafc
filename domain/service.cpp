#include "domain/service.h"

#include <sodium.h>

#include <algorithm>
#include <condition_variable>
#include <future>

#include "domain/event_builder.h"
#include "domain/events.h"
#include "domain/fingerprint.h"
#include "domain/fold.h"
#include "domain/permissions.h"
#include "ledger/coding.h"

namespace nrpf::domain {

namespace {

// Decides as the "system" actor: the bootstrap of an empty log, before any
// account exists to act.
class SystemReader final : public StateReader {
 public:
  explicit SystemReader(const StateReader& base) : base_(base) {
    user_.user_id = "system";
    user_.organisation_id = "system";
    user_.role = fb::Role::NetworkSupport;
    org_.organisation_id = "system";
    org_.kind = fb::OrganisationKind::NetworkSupport;
  }
  const OrganisationState* Organisation(std::string_view id) const override {
    return id == "system" ? &org_ : base_.Organisation(id);
  }
  const UserState* User(std::string_view id) const override {
    return id == "system" ? &user_ : base_.User(id);
  }
  const CaseState* Case(std::string_view id) const override { return base_.Case(id); }
  const SlaPolicy& Policy() const override { return base_.Policy(); }
  bool HasLiveAccount(std::string_view organisation_id, fb::Role role) const override {
    return base_.HasLiveAccount(organisation_id, role);
  }
  const UserState& user() const { return user_; }

 private:
  const StateReader& base_;
  UserState user_;
  OrganisationState org_;
};

std::string RandomId() {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof(bytes));
  return ledger::ToHex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

// The acting account and its organisation (either may be null).
struct Acting {
  const UserState* user;
  const OrganisationState* org;
};
Acting ActingIn(const projections::Projections& state, const std::string& user_id) {
  const UserState* user = state.User(user_id);
  return {user, user != nullptr ? state.Organisation(user->organisation_id) : nullptr};
}

std::uint64_t CaseVersion(const projections::Projector& projector, const std::string& case_id) {
  return projector.Read([&](const projections::Projections& state) -> std::uint64_t {
    const CaseState* c = state.Case(case_id);
    return c == nullptr ? 0 : c->version;
  });
}

// The organisation whose home page or caseload a caller asked for (the
// caller's own when `requested` is empty), if the caller may see it.
Result<std::string> ScopedOrganisation(const projections::Projections& state, const UserState& actor,
                                       const OrganisationState& org, const std::string& requested) {
  if (requested.empty() && org.kind != fb::OrganisationKind::Council) {
    // Only councils hold cases: the others would see nothing, silently.
    return Status::InvalidArgument("name the council (organisation_id): only councils hold cases")
        .WithReason("organisation_id_invalid");
  }
  if (requested.empty() || requested == actor.organisation_id) return actor.organisation_id;
  if (ScopedToOwnOrganisation(actor, org)) {
    return Status::PermissionDenied("you see only your own organisation's cases").WithReason("wrong_tenant");
  }
  const OrganisationState* target = state.Organisation(requested);
  if (target == nullptr) {
    return Status::NotFound("no organisation " + requested).WithReason("organisation_not_found");
  }
  if (IsHomeOfficeRole(actor.role) && !target->subscribed) {
    return Status::PermissionDenied("the council is not subscribed to the service").WithReason("not_subscribed");
  }
  return requested;
}

// A team or caseworker a home page or caseload is narrowed to, in the
// council `organisation_id`: one that is not there would match nothing and
// show a page of noughts, so it is refused, naming the field.
Status CheckNarrowing(const projections::Projections& state, const std::string& organisation_id,
                      const std::string& team_id, const std::string& caseworker_id) {
  const OrganisationState* org = state.Organisation(organisation_id);
  if (!team_id.empty() && (org == nullptr || org->teams.count(team_id) == 0)) {
    return Status::NotFound("no team " + team_id + " in " + organisation_id)
        .WithReason("team_not_found")
        .WithField("team_id");
  }
  if (!caseworker_id.empty()) {
    const UserState* u = state.User(caseworker_id);
    // A deleted account's cases are still listed: they are the ones to reallocate.
    if (u == nullptr || u->organisation_id != organisation_id) {
      return Status::NotFound("no user " + caseworker_id + " in " + organisation_id)
          .WithReason("user_not_found")
          .WithField("caseworker_id");
    }
  }
  return Status::Ok();
}

// Command ids are the client's own: two users picking the same id never
// collide, and a retry finds only its own account's command.
std::string ScopedCommandId(const CommandRequest& request) {
  return request.actor_user_id + ":" + request.command_id;
}

}  // namespace

Status CaseService::ProjectionsBehind(std::uint64_t position) {
  return Status::Unavailable("projections did not reach position " + std::to_string(position));
}

Status CaseService::Contention() {
  // The version in the conflict may be another stream's (an account, a
  // case kept): not one for the user to send back.
  return Status::Unavailable("what this command reads kept changing while it was decided; try again")
      .WithReason("contention");
}

CaseService::CaseService(ledger::Ledger* ledger, ServiceOptions options)
    : ledger_(ledger),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Default()),
      projector_(std::make_unique<projections::Projector>(ledger)),
      watch_(std::make_unique<Watch>(ledger)) {}

CaseService::~CaseService() { projector_->Stop(); }

Result<std::unique_ptr<CaseService>> CaseService::Open(ledger::Ledger* ledger, ServiceOptions options) {
  std::unique_ptr<CaseService> service(new CaseService(ledger, options));
  NRPF_RETURN_IF_ERROR(service->projector_->CatchUp());
  service->projector_->Start();
  service->next_case_number_ =
      service->projector_->Read([](const projections::Projections& p) { return p.max_case_number(); }) + 1;
  NRPF_RETURN_IF_ERROR(service->FinishErasures());
  return service;
}

// A duplicate's removal is appended before its subjects are shredded; a
// crash in between leaves keys to destroy at the next start.
Status CaseService::FinishErasures() {
  const std::set<std::string> subjects =
      projector_->Read([](const projections::Projections& p) { return p.erased_subjects(); });
  std::vector<std::string> left;
  for (const std::string& subject : subjects) {
    Result<bool> shredded = ledger_->IsShredded(subject);
    if (!shredded.ok()) return shredded.status();
    if (!*shredded) left.push_back(subject);
  }
  return ledger_->Shred(left);
}

Result<CaseService::Admitted> CaseService::Admit(const CommandRequest& request) const {
  // Decisions on projections that stopped following the log would be
  // decisions on stale state.
  NRPF_RETURN_IF_ERROR(projector_->health());
  if (request.command_id.size() > kMaxCommandIdBytes) {
    return Status::InvalidArgument("command id longer than 63 bytes").WithReason("command_id_invalid");
  }
  // Only an account that may still act gets a retry answered, or waits for
  // a case's turn; the decision checks the command itself.
  NRPF_RETURN_IF_ERROR(projector_->Read([&](const projections::Projections& state) {
    const Acting a = ActingIn(state, request.actor_user_id);
    return Authorize(a.user, a.org, Action::kReadCaseMetadata, nullptr, nullptr);
  }));
  // A retry repeats the command (fingerprint.h); the same id with anything
  // else is command_id_reused, and writes nothing.
  Admitted admitted;
  if (!request.command_id.empty()) {
    admitted.fingerprint = FingerprintOf(request.actor_user_id, request.expected_version, request.command);
    Result<std::optional<ledger::AppendResult>> stored = StoredCommand(request, admitted.fingerprint);
    if (!stored.ok()) return stored.status();
    admitted.stored = *stored;
  }
  return admitted;
}

Result<std::optional<ledger::AppendResult>> CaseService::StoredCommand(
    const CommandRequest& request, const std::optional<ledger::CommandFingerprint>& fingerprint) const {
  if (!fingerprint) return std::optional<ledger::AppendResult>();
  Result<ledger::AppendResult> stored = ledger_->LookupCommand(ScopedCommandId(request), *fingerprint);
  if (stored.ok()) return std::optional<ledger::AppendResult>(*stored);
  if (stored.status().code() != Code::kNotFound) return stored.status();
  return std::optional<ledger::AppendResult>();
}

Result<CommandOutcome> CaseService::Execute(const CommandRequest& request) {
  Result<Admitted> admitted = Admit(request);
  if (!admitted.ok()) return admitted.status();
  if (admitted->stored) return Replay(*admitted->stored);
  const std::optional<ledger::CommandFingerprint>& fingerprint = admitted->fingerprint;
  const std::vector<std::string> turns = TurnsOf(request.command);
  Result<std::unique_ptr<CaseTurns::Held>> held = case_turns_.Acquire(turns, options_.max_turn_waiters);
  if (!held.ok()) return held.status();
  // A retry that waited for its turn behind the original finds it now.
  Result<std::optional<ledger::AppendResult>> stored =
      turns.empty() ? std::optional<ledger::AppendResult>() : StoredCommand(request, fingerprint);
  if (!stored.ok()) return stored.status();
  if (*stored) return Replay(**stored);
  return ExecuteHeld(request, fingerprint);
}

Result<CommandOutcome> CaseService::ExecuteHeld(const CommandRequest& request,
                                                const std::optional<ledger::CommandFingerprint>& fingerprint) {
  // A creation's case number, once a decision took it: kept for the
  // decisions made again after a conflict (which was on another stream).
  std::string case_id;
  for (int attempt = 0;; ++attempt) {
    bool retry = false;
    Result<CommandOutcome> out = ExecuteOnce(request, fingerprint, &case_id, &retry);
    if (out.ok() || !retry) return out;
    if (attempt >= options_.max_conflict_retries) return Contention();
    // Another writer moved a stream on, perhaps in an append not yet durable:
    // wait until the projections hold everything the ledger checked this
    // append against, then decide again on that state. (Commands on the same
    // case take turns, so this is another stream: an account, a case kept.)
    conflict_retries_.fetch_add(1, std::memory_order_relaxed);
    NRPF_RETURN_IF_ERROR(WaitForSequenced());
  }
}

Status CaseService::WaitForSequenced() const {
  const std::uint64_t target = ledger_->SequencedSize();
  const auto deadline = std::chrono::steady_clock::now() + options_.projection_wait;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    Status s = projector_->WaitFor(target, std::clamp(left, std::chrono::milliseconds(0), kHealthCheckEvery));
    if (s.ok()) return s;
    // The appends waited for failed, and with them the ledger: say so now
    // rather than at the deadline.
    NRPF_RETURN_IF_ERROR(ledger_->Health());
    NRPF_RETURN_IF_ERROR(projector_->health());
    if (left <= kHealthCheckEvery) return s;
  }
}

Result<ledger::AppendResult> CaseService::AppendVisible(ledger::AppendRequest append) {
  struct Landing {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<ledger::AppendResult>> durable;  // from the ledger
    std::optional<Status> visible;                        // from the projector
  };
  auto landing = std::make_shared<Landing>();
  const auto settle = [landing](Status s) {
    {
      std::lock_guard lock(landing->mu);
      landing->visible = std::move(s);
    }
    landing->cv.notify_one();
  };
  const projections::Projector* projector = projector_.get();
  ledger_->AppendAsync(std::move(append), [landing, settle, projector](Result<ledger::AppendResult> r) {
    // Refusals and duplicates are answered without waiting for anything.
    const bool follow = r.ok() && !r->duplicate;
    const std::uint64_t end = follow ? r->first_position + r->count : 0;
    {
      std::lock_guard lock(landing->mu);
      landing->durable = std::move(r);
    }
    if (follow) {
      projector->WhenAt(end, settle);
    } else {
      settle(Status::Ok());
    }
  });
  std::unique_lock lock(landing->mu);
  std::optional<std::chrono::steady_clock::time_point> durable_by;
  while (!landing->visible) {
    landing->cv.wait_for(lock, kHealthCheckEvery);
    // A refusal is settled at once; only a durable append waits for the projections.
    if (landing->visible || !landing->durable || !landing->durable->ok()) continue;
    const auto now = std::chrono::steady_clock::now();
    if (!durable_by) durable_by = now;
    if (now - *durable_by >= options_.projection_wait) {
      const ledger::AppendResult& w = **landing->durable;
      return ProjectionsBehind(w.first_position + w.count);
    }
  }
  if (!landing->durable->ok()) return landing->durable->status();
  NRPF_RETURN_IF_ERROR(*landing->visible);
  return std::move(*landing->durable);
}

std::vector<std::string> CaseService::TurnsOf(const Command& command) const {
  std::vector<std::string> ids;
  if (std::string id = CaseIdOf(command); !id.empty()) ids.push_back(std::move(id));
  if (const auto* flag = std::get_if<FlagDuplicate>(&command)) ids.push_back(flag->duplicate_of);
  if (const auto* remove = std::get_if<RemoveDuplicate>(&command)) {
    // The case it is kept in, as flagged now; should the flag change before
    // the decision, the decision's own check of that case's version holds.
    std::string keep = projector_->Read([&](const projections::Projections& p) {
      const CaseState* c = p.Case(remove->case_id);
      return c == nullptr ? std::string() : c->duplicate_of;
    });
    if (!keep.empty()) ids.push_back(std::move(keep));
  }
  // Whether an organisation has an admin yet decides whether network
  // support may give it one (AuthorizeRoleGrant): commands that could give
  // it one take its turn, named so that it never meets a case id.
  const auto admin_turn = [](std::string_view organisation_id) {
    return "admins-of/" + std::string(organisation_id);
  };
  const auto* create = std::get_if<CreateUser>(&command);
  if (create != nullptr && create->role && IsAdminRole(*create->role)) {
    ids.push_back(admin_turn(create->organisation_id));
  }
  const auto* change = std::get_if<ChangeUserRole>(&command);
  if (change != nullptr && change->role && IsAdminRole(*change->role)) {
    // The account's organisation never changes.
    std::string org = projector_->Read([&](const projections::Projections& p) {
      const UserState* u = p.User(change->user_id);
      return u == nullptr ? std::string() : u->organisation_id;
    });
    if (!org.empty()) ids.push_back(admin_turn(org));
  }
  return ids;
}

void CaseService::CaseTurns::Acquire(std::vector<std::string> case_ids, std::size_t max_waiters, Executor resume,
                                     Granted granted) {
  std::sort(case_ids.begin(), case_ids.end());
  case_ids.erase(std::unique(case_ids.begin(), case_ids.end()), case_ids.end());
  auto p = std::make_shared<Pending>();
  p->ids = std::move(case_ids);
  p->max_waiters = max_waiters;
  p->resume = std::move(resume);
  p->granted = std::move(granted);
  Continue(std::move(p));
}

Result<std::unique_ptr<CaseService::CaseTurns::Held>> CaseService::CaseTurns::Acquire(
    std::vector<std::string> case_ids, std::size_t max_waiters) {
  std::promise<Result<std::unique_ptr<Held>>> promise;
  std::future<Result<std::unique_ptr<Held>>> future = promise.get_future();
  // Taking the rest on the thread that hands a turn over is quick: it only
  // takes free turns or queues for the next one.
  Acquire(std::move(case_ids), max_waiters, [](std::function<void()> run, std::function<void(Status)>) { run(); },
          [&promise](Result<std::unique_ptr<Held>> held) { promise.set_value(std::move(held)); });
  return future.get();
}

void CaseService::CaseTurns::Continue(std::shared_ptr<Pending> p) {
  std::unique_lock lock(mu_);
  while (p->next < p->ids.size()) {
    const std::string& id = p->ids[p->next];
    auto [turn, free] = turns_.try_emplace(id);
    if (free) {
      ++p->next;
      continue;
    }
    if (turn->second.size() >= p->max_waiters) {
      Status busy = Status::Unavailable("case " + id + " has " + std::to_string(p->max_waiters) +
                                        " commands waiting already; try again")
                        .WithReason("case_busy");
      lock.unlock();
      GiveUp(p, std::move(busy));
      return;
    }
    turn->second.push_back(std::move(p));  // Release hands it the turn
    return;
  }
  lock.unlock();
  p->granted(std::make_unique<Held>(this, std::move(p->ids)));
}

void CaseService::CaseTurns::GiveUp(const std::shared_ptr<Pending>& p, Status why) {
  // In reverse order, as Held gives them back.
  Release(std::vector<std::string>(p->ids.begin(), p->ids.begin() + static_cast<std::ptrdiff_t>(p->next)));
  p->granted(std::move(why));
}

void CaseService::CaseTurns::Release(const std::vector<std::string>& ids) {
  std::vector<std::shared_ptr<Pending>> handed;
  {
    std::lock_guard lock(mu_);
    for (auto id = ids.rbegin(); id != ids.rend(); ++id) {
      auto turn = turns_.find(*id);
      if (turn == turns_.end()) continue;
      if (turn->second.empty()) {
        turns_.erase(turn);  // nobody waits: free
        continue;
      }
      std::shared_ptr<Pending> next = std::move(turn->second.front());
      turn->second.pop_front();
      ++next->next;  // the turn is its now
      handed.push_back(std::move(next));
    }
  }
  for (std::shared_ptr<Pending>& p : handed) {
    p->resume([this, p] { Continue(p); }, [this, p](Status why) { GiveUp(p, std::move(why)); });
  }
}

Result<CaseService::Decided> CaseService::DecideOnce(const CommandRequest& request,
                                                     const std::optional<ledger::CommandFingerprint>& fingerprint,
                                                     std::string* new_case_id) {
  DecideInput in;
  in.actor_user_id = request.actor_user_id;
  in.now_us = clock_->NowMicros();
  in.expected_version = request.expected_version;
  in.new_case_id = *new_case_id;
  const bool numbers_case = std::holds_alternative<CreateCase>(request.command) && new_case_id->empty();
  const auto* lookup = std::get_if<RtpfLookup>(&request.command);
  if (lookup != nullptr) in.new_lookup_id = RandomId();

  Decided decided;
  CommandOutcome& outcome = decided.outcome;
  ledger::AppendRequest& append = decided.append;
  Result<Decision> decision = projector_->Read([&](const projections::Projections& state) -> Result<Decision> {
    const UserState* actor = state.User(request.actor_user_id);
    if (lookup != nullptr && lookup->document_type && actor != nullptr) {  // absent: decide() refuses it
      in.rtpf = state.RtpfCheck(*lookup->document_type, lookup->document_number, lookup->date_of_birth,
                                actor->organisation_id, in.now_us);
    }
    // A creation is decided first on the number it would take, and takes
    // it only once that decision holds: a refusal uses up no case number.
    if (numbers_case) in.new_case_id = std::to_string(next_case_number_.load());
    Result<Decision> d = Decide(request.command, in, state);
    if (!d.ok()) return d;
    if (numbers_case) {
      *new_case_id = std::to_string(next_case_number_.fetch_add(1));
      if (*new_case_id != in.new_case_id) {
        // Another creation took that number meanwhile: decide on this one.
        in.new_case_id = *new_case_id;
        d = Decide(request.command, in, state);
        if (!d.ok()) return d;
      }
    }
    append.actor = ActorOf(*actor);
    if (const auto* create = std::get_if<CreateCase>(&request.command)) {
      projections::SearchQuery q;
      q.name = create->applicant.FullName();
      q.date_of_birth = create->applicant.date_of_birth;
      q.organisations = {actor->organisation_id};
      q.limit = 10;
      for (projections::SearchHit& hit : state.Search(q)) {
        if (hit.name_matched && hit.date_of_birth_matched) outcome.possible_duplicates.push_back(std::move(hit));
      }
    }
    return d;
  });
  if (!decision.ok()) return decision.status();

  append.command_id = request.command_id.empty() ? std::string() : ScopedCommandId(request);
  append.fingerprint = fingerprint;
  append.events = std::move(decision->events);
  append.expectations = std::move(decision->expectations);
  decided.shred_subjects = std::move(decision->shred_subjects);
  outcome.case_id = decision->case_id;
  outcome.lookup_id = in.new_lookup_id;
  outcome.rtpf = in.rtpf;
  if (!decision->assessment_id.empty()) {
    outcome.assessment.emplace();
    outcome.assessment->assessment_id = decision->assessment_id;
  }
  return decided;
}

CommandOutcome CaseService::Landed(const Decided& decided, const ledger::AppendResult& written) const {
  CommandOutcome outcome = decided.outcome;
  outcome.first_position = written.first_position;
  outcome.events = written.count;
  if (!outcome.case_id.empty()) outcome.case_version = CaseVersion(*projector_, outcome.case_id);
  if (outcome.assessment) outcome.assessment = AssessmentOf(outcome.case_id, outcome.assessment->assessment_id);
  return outcome;
}

std::optional<AssessmentRecord> CaseService::AssessmentOf(const std::string& case_id,
                                                          const std::string& assessment_id) const {
  return projector_->Read([&](const projections::Projections& state) -> std::optional<AssessmentRecord> {
    const CaseState* c = state.Case(case_id);
    if (c == nullptr) return std::nullopt;
    for (const AssessmentRecord& a : c->assessments) {
      if (a.assessment_id == assessment_id) return a;
    }
    return std::nullopt;
  });
}

Result<CommandOutcome> CaseService::ExecuteOnce(const CommandRequest& request,
                                                const std::optional<ledger::CommandFingerprint>& fingerprint,
                                                std::string* new_case_id, bool* retry) {
  Result<Decided> decided = DecideOnce(request, fingerprint, new_case_id);
  if (!decided.ok()) return decided.status();
  // An erasure shreds once its events are durable, before the projections
  // show them.
  const bool shreds = !decided->shred_subjects.empty();
  ledger::AppendRequest append = std::move(decided->append);
  Result<ledger::AppendResult> written = shreds ? ledger_->Append(std::move(append)) : AppendVisible(std::move(append));
  if (!written.ok()) {
    if (written.status().code() != Code::kWrongExpectedVersion) return written.status();
    // A stream the decision read moved on between the decision and the
    // append. Deciding again on the new state is always right: when it was
    // the case the user saw, the new decision refuses the stale version.
    *retry = true;
    return written.status();
  }
  if (written->duplicate) return Replay(*written);
  if (shreds) {
    NRPF_RETURN_IF_ERROR(ledger_->Shred(decided->shred_subjects));
    NRPF_RETURN_IF_ERROR(projector_->WaitFor(written->first_position + written->count, options_.projection_wait));
  }
  return Landed(*decided, *written);
}

Result<CommandOutcome> CaseService::Replay(const ledger::AppendResult& stored) {
  NRPF_RETURN_IF_ERROR(projector_->WaitFor(stored.first_position + stored.count, options_.projection_wait));
  CommandOutcome outcome;
  outcome.first_position = stored.first_position;
  outcome.events = stored.count;
  outcome.duplicate = true;
  Result<ledger::StoredEvent> first = ledger_->Read(stored.first_position);
  if (!first.ok()) return first.status();
  std::string_view id;
  const ledger::fb::Record* r = first->record();
  const std::string_view stream = r->stream_id() ? r->stream_id()->string_view() : std::string_view();
  if (KindOfStream(stream, &id) == StreamKind::kCase) {
    outcome.case_id = std::string(id);
    outcome.case_version = CaseVersion(*projector_, outcome.case_id);
  }
  // A retried look-up answers with the result it recorded: the client
  // retried because it lost that answer.
  Result<EventView> view = DecodeEvent(*first, nullptr);
  if (!view.ok()) return view.status();
  if (view->type == event_type::kRtpfLookup && view->body != nullptr) {
    const fb::RtpfLookupPerformed* b = view->Body<fb::RtpfLookupPerformed>();
    outcome.lookup_id = b->lookup_id() ? b->lookup_id()->str() : std::string();
    outcome.rtpf.matched = b->matched();
    outcome.rtpf.status = b->status();
    outcome.rtpf.leave_valid = b->leave_valid();
    outcome.rtpf.recourse_to_public_funds = b->recourse_to_public_funds();
    outcome.rtpf.matched_case_id = b->matched_case_id() ? b->matched_case_id()->str() : std::string();
    if (b->current_status()) outcome.rtpf.current_status = *b->current_status();
  }
  // So does a retried assessment, with what it found.
  if (view->type == event_type::kAssessmentRecorded && view->body != nullptr) {
    const fb::AssessmentRecorded* b = view->Body<fb::AssessmentRecorded>();
    outcome.assessment = AssessmentOf(outcome.case_id, b->assessment_id() ? b->assessment_id()->str() : "");
  }
  return outcome;
}

// Each step is skipped once it is in the log (its command, or what it
// creates), so a start that died between the two resumes where it stopped,
// and a later change of the configured names writes nothing.
Result<bool> CaseService::Bootstrap(const RegisterOrganisation& network_support, const CreateUser& first_admin) {
  bool wrote = false;
  for (const Command& command : {Command(network_support), Command(first_admin)}) {
    const std::string command_id = "bootstrap:" + std::string(CommandName(command));
    Result<ledger::AppendResult> stored = ledger_->LookupCommand(command_id);
    if (stored.ok()) continue;
    if (stored.status().code() != Code::kNotFound) return stored.status();
    DecideInput in;
    in.actor_user_id = "system";
    in.now_us = clock_->NowMicros();
    ledger::AppendRequest append;
    bool done = false;
    Result<Decision> d = projector_->Read([&](const projections::Projections& state) -> Result<Decision> {
      done = std::holds_alternative<RegisterOrganisation>(command)
                 ? state.Organisation(network_support.organisation_id) != nullptr
                 : state.User(first_admin.user_id) != nullptr;
      if (done) return Decision{};
      SystemReader reader(state);
      append.actor = ActorOf(reader.user());
      return Decide(command, in, reader);
    });
    if (done) continue;
    if (!d.ok()) return d.status();
    append.command_id = command_id;
    append.events = std::move(d->events);
    append.expectations = std::move(d->expectations);
    Result<ledger::AppendResult> written = ledger_->Append(std::move(append));
    if (!written.ok()) return written.status();
    NRPF_RETURN_IF_ERROR(projector_->WaitFor(written->first_position + written->count, options_.projection_wait));
    wrote = true;
  }
  return wrote;
}

namespace {

// The one rule of how much of a case a reader sees (CaseService::VisibilityOf).
Result<CaseVisibility> VisibilityIn(const projections::Projections& state, const std::string& actor_user_id,
                                    const std::string& case_id, const CaseState** found) {
  const auto [actor, actor_org] = ActingIn(state, actor_user_id);
  const CaseState* c = state.Case(case_id);
  if (c == nullptr || !c->exists()) {
    NRPF_RETURN_IF_ERROR(Authorize(actor, actor_org, Action::kReadCaseMetadata, nullptr, nullptr));
    return Status::NotFound("no case " + case_id).WithReason("case_not_found");
  }
  if (found != nullptr) *found = c;
  const OrganisationState* case_org = state.Organisation(c->organisation_id);
  if (Authorize(actor, actor_org, Action::kReadCase, c, case_org).ok()) return CaseVisibility::kFull;
  NRPF_RETURN_IF_ERROR(Authorize(actor, actor_org, Action::kReadCaseMetadata, c, case_org));
  return CaseVisibility::kMetadataOnly;
}

}  // namespace

Result<CaseVisibility> CaseService::VisibilityOf(const std::string& actor_user_id, const std::string& case_id) const {
  return projector_->Read([&](const projections::Projections& state) {
    return VisibilityIn(state, actor_user_id, case_id, nullptr);
  });
}

Result<RecordedCaseRead> CaseService::ReadVisible(const std::string& actor_user_id,
                                                  const std::string& case_id) const {
  return projector_->Read([&](const projections::Projections& state) -> Result<RecordedCaseRead> {
    const CaseState* c = nullptr;
    Result<CaseVisibility> visibility = VisibilityIn(state, actor_user_id, case_id, &c);
    if (!visibility.ok()) return visibility.status();
    RecordedCaseRead read;
    read.visibility = *visibility;
    read.state = *visibility == CaseVisibility::kFull ? *c : c->MetadataOnly();
    if (const UserState* reader = state.User(actor_user_id)) {
      for (const auto kind : {fb::AssessmentKind::EarlyEducationTwoYearOld, fb::AssessmentKind::ChangeOfConditions}) {
        if (!MaySeeAssessment(reader->role, kind)) read.hidden_assessments.push_back(kind);
      }
    }
    std::erase_if(read.state.assessments, [&](const AssessmentRecord& a) {
      return std::find(read.hidden_assessments.begin(), read.hidden_assessments.end(), a.kind) !=
             read.hidden_assessments.end();
    });
    return read;
  });
}

Result<CaseState> CaseService::ReadCase(const std::string& actor_user_id, const std::string& case_id) const {
  Result<RecordedCaseRead> read = ReadVisible(actor_user_id, case_id);
  if (!read.ok()) return read.status();
  return std::move(read->state);
}

Result<RecordedCaseRead> CaseService::ReadCaseRecorded(const std::string& actor_user_id,
                                                       const std::string& case_id,
                                                       const std::vector<std::string>& what) {
  std::promise<Result<RecordedCaseRead>> promise;
  std::future<Result<RecordedCaseRead>> future = promise.get_future();
  // The answer is the caller's to take, on whichever thread it comes.
  const Executor here = [](std::function<void()> run, std::function<void(Status)>) { run(); };
  ReadCaseRecordedAsync(actor_user_id, case_id, what, here,
                        [&promise](Result<RecordedCaseRead> read) { promise.set_value(std::move(read)); });
  return future.get();
}

void CaseService::ReadCaseRecordedAsync(const std::string& actor_user_id, const std::string& case_id,
                                        const std::vector<std::string>& what, Executor executor,
                                        RecordedReadDone done) {
  if (Status health = projector_->health(); !health.ok()) return done(std::move(health));
  Result<RecordedCaseRead> read = ReadVisible(actor_user_id, case_id);
  if (!read.ok() || read->visibility != CaseVisibility::kFull) return done(std::move(read));
  const CaseState& c = read->state;
  ledger::AppendRequest append;
  // Accounts are never dropped from the projections (deletion is a flag), so
  // the reader authorised above is still there.
  append.actor = projector_->Read([&](const projections::Projections& state) {
    const UserState* user = state.User(actor_user_id);
    return user != nullptr ? ActorOf(*user) : ledger::Actor{actor_user_id, "", ""};
  });
  flatbuffers::FlatBufferBuilder fbb(128);
  auto what_offsets = StringOffsets(fbb, what);
  fbb.Finish(fb::CreateCaseAccessedDirect(fbb, c.case_id.c_str(), &what_offsets));
  ledger::NewEvent event = FinishEvent(AccessStream(c.case_id), event_type::kCaseAccessed, fbb);
  if (!c.applicant.subject.empty()) event.subjects.push_back(c.applicant.subject);
  for (const PersonState& d : c.dependants) event.subjects.push_back(d.subject);
  append.events.push_back(std::move(event));
  auto recorded = std::make_shared<RecordedCaseRead>(std::move(read).value());
  auto shared_done = std::make_shared<RecordedReadDone>(std::move(done));
  ledger_->AppendAsync(std::move(append), [recorded, shared_done, executor = std::move(executor)](
                                              Result<ledger::AppendResult> written) {
    // On the ledger's thread, which must go on to the next fsync: the
    // answer goes to the executor.
    if (written.ok()) recorded->access_position = written->first_position;
    const Status status = written.status();
    auto answer = [recorded, shared_done, status] {
      if (!status.ok()) return (*shared_done)(status);
      (*shared_done)(std::move(*recorded));
    };
    executor(std::move(answer), [shared_done](Status refused) { (*shared_done)(std::move(refused)); });
  });
}

Status CaseService::MayOnCase(const std::string& actor_user_id, const std::string& case_id, Action action) const {
  return projector_->Read([&](const projections::Projections& state) -> Status {
    const auto [actor, actor_org] = ActingIn(state, actor_user_id);
    const CaseState* c = state.Case(case_id);
    if (c == nullptr || !c->exists()) {
      NRPF_RETURN_IF_ERROR(Authorize(actor, actor_org, action, nullptr, nullptr));
      return Status::NotFound("no case " + case_id).WithReason("case_not_found");
    }
    return Authorize(actor, actor_org, action, c, state.Organisation(c->organisation_id));
  });
}

Result<std::vector<UserState>> CaseService::Users(const std::string& actor_user_id,
                                                  std::string organisation_id) const {
  return projector_->Read([&](const projections::Projections& state) -> Result<std::vector<UserState>> {
    const auto [actor, org] = ActingIn(state, actor_user_id);
    if (organisation_id.empty() && actor != nullptr) organisation_id = actor->organisation_id;
    NRPF_RETURN_IF_ERROR(AuthorizeUserAdmin(actor, org, organisation_id));
    if (state.Organisation(organisation_id) == nullptr) {
      return Status::NotFound("no organisation " + organisation_id).WithReason("organisation_not_found");
    }
    return state.Users(organisation_id);
  });
}

Result<std::vector<OrganisationState>> CaseService::Organisations(const std::string& actor_user_id) const {
  return projector_->Read([&](const projections::Projections& state) -> Result<std::vector<OrganisationState>> {
    const auto [actor, org] = ActingIn(state, actor_user_id);
    NRPF_RETURN_IF_ERROR(Authorize(actor, org, Action::kReadCaseMetadata, nullptr, nullptr));
    return state.Organisations();
  });
}

Result<projections::HomeCounters> CaseService::Counters(const std::string& actor_user_id, bool my_cases,
                                                        const std::string& team_id,
                                                        const std::string& organisation_id) const {
  const std::int64_t now = clock_->NowMicros();
  return projector_->Read([&](const projections::Projections& state) -> Result<projections::HomeCounters> {
    const auto [actor, org] = ActingIn(state, actor_user_id);
    NRPF_RETURN_IF_ERROR(Authorize(actor, org, Action::kReadCaseMetadata, nullptr, nullptr));
    Result<std::string> scoped = ScopedOrganisation(state, *actor, *org, organisation_id);
    if (!scoped.ok()) return scoped.status();
    NRPF_RETURN_IF_ERROR(CheckNarrowing(state, *scoped, team_id, ""));
    projections::CounterScope scope{*scoped, team_id, my_cases ? actor_user_id : ""};
    return state.Counters(scope, now);
  });
}

Result<std::vector<projections::CaseRow>> CaseService::Caseload(const std::string& actor_user_id,
                                                                projections::CaseloadFilter filter) const {
  filter.now_us = clock_->NowMicros();
  return projector_->Read([&](const projections::Projections& state) -> Result<std::vector<projections::CaseRow>> {
    const auto [actor, org] = ActingIn(state, actor_user_id);
    NRPF_RETURN_IF_ERROR(Authorize(actor, org, Action::kReadCaseMetadata, nullptr, nullptr));
    Result<std::string> scoped = ScopedOrganisation(state, *actor, *org, filter.organisation_id);
    if (!scoped.ok()) return scoped.status();
    filter.organisation_id = *scoped;
    if (filter.my_cases) {
      if (!filter.caseworker_id.empty() && filter.caseworker_id != actor_user_id) {
        return Status::InvalidArgument("my_cases and another caseworker's id: ask for one or the other")
            .WithReason("caseworker_id_invalid")
            .WithField("caseworker_id");
      }
      filter.caseworker_id = actor_user_id;
    }
    NRPF_RETURN_IF_ERROR(CheckNarrowing(state, filter.organisation_id, filter.team_id,
                                        filter.my_cases ? "" : filter.caseworker_id));
    // The rows of a council's cases hold personal data for those who may
    // read its cases; others (network support) get their metadata only.
    if (Authorize(actor, org, Action::kReadCase, nullptr, nullptr).ok()) {
      return state.Caseload(filter);
    }
    if (filter.legislation || filter.household_type || filter.open_alert || filter.thousand_day) {
      return Status::PermissionDenied(
                 "legislation, household type, alert kinds and time supported are not case metadata")
          .WithReason("no_personal_data");
    }
    std::vector<projections::CaseRow> rows = state.Caseload(filter);
    for (projections::CaseRow& row : rows) row = row.MetadataOnly();
    return rows;
  });
}

Result<std::vector<std::string>> CaseService::ReportCouncils(const std::string& actor_user_id,
                                                             const ReportScope& scope) const {
  return projector_->Read([&](const projections::Projections& state) -> Result<std::vector<std::string>> {
    const auto [actor, org] = ActingIn(state, actor_user_id);
    NRPF_RETURN_IF_ERROR(Authorize(actor, org, Action::kSlaWorkload, nullptr, nullptr));
    if (!scope.every_user && !Authorize(actor, org, Action::kReports, nullptr, nullptr).ok()) {
      return Status::PermissionDenied("this report is for admins and auditors; Performance is every user's")
          .WithReason("role_not_permitted")
          .WithField("report");
    }
    if (scope.personal && !Authorize(actor, org, Action::kReadCase, nullptr, nullptr).ok()) {
      Status refused = Status::PermissionDenied("this report, or this filter, shows more than case metadata")
                           .WithReason("no_personal_data");
      return scope.personal_field.empty() ? refused : std::move(refused).WithField(scope.personal_field);
    }
    std::vector<std::string> councils;
    if (!scope.organisation_id.empty() || ScopedToOwnOrganisation(*actor, *org)) {
      Result<std::string> scoped = ScopedOrganisation(state, *actor, *org, scope.organisation_id);
      if (!scoped.ok()) return Status(scoped.status()).WithField("organisation_id");
      const OrganisationState* target = state.Organisation(*scoped);
      if (target == nullptr || target->kind != fb::OrganisationKind::Council) {
        return Status::InvalidArgument("only councils hold cases: name a council")
            .WithReason("organisation_id_invalid")
            .WithField("organisation_id");
      }
      councils.push_back(*scoped);
    } else {
      for (const OrganisationState& o : state.Organisations()) {
        if (o.kind != fb::OrganisationKind::Council) continue;
        if (IsHomeOfficeRole(actor->role) && !o.subscribed) continue;
        councils.push_back(o.organisation_id);
      }
    }
    if (!scope.team_id.empty() || !scope.caseworker_id.empty()) {
      if (councils.size() != 1) {
        return Status::InvalidArgument("a team or caseworker is one council's: name the council")
            .WithReason("organisation_id_invalid")
            .WithField("organisation_id");
      }
      NRPF_RETURN_IF_ERROR(CheckNarrowing(state, councils.front(), scope.team_id, scope.caseworker_id));
    }
    return councils;
  });
}

Result<std::vector<projections::SearchHit>> CaseService::Search(const std::string& actor_user_id,
                                                                projections::SearchQuery query) const {
  return projector_->Read([&](const projections::Projections& state) -> Result<std::vector<projections::SearchHit>> {
    const auto [actor, org] = ActingIn(state, actor_user_id);
    NRPF_RETURN_IF_ERROR(Authorize(actor, org, Action::kSearch, nullptr, nullptr));
    query.organisations.clear();
    if (IsHomeOfficeRole(actor->role)) {
      for (const auto& [org_id, ids] : state.organisation_cases()) {
        const OrganisationState* o = state.Organisation(org_id);
        if (o != nullptr && o->subscribed) query.organisations.push_back(org_id);
      }
    } else {
      query.organisations.push_back(actor->organisation_id);
    }
    return state.Search(query);
  });
}

Result<std::vector<SlaClockInstance>> CaseService::Clocks(const std::string& actor_user_id,
                                                          projections::ClockFilter filter) const {
  return projector_->Read([&](const projections::Projections& state) -> Result<std::vector<SlaClockInstance>> {
    const auto [actor, org] = ActingIn(state, actor_user_id);
    NRPF_RETURN_IF_ERROR(Authorize(actor, org, Action::kSlaWorkload, nullptr, nullptr));
    if (!filter.organisation_id.empty()) {
      Result<std::string> scoped = ScopedOrganisation(state, *actor, *org, filter.organisation_id);
      if (!scoped.ok()) return scoped.status();
    } else if (ScopedToOwnOrganisation(*actor, *org)) {
      filter.organisation_id = actor->organisation_id;
    }
    // A party the clocks do not have would match none of them: refused, not
    // answered with an empty list.
    if (!filter.party.empty() && filter.party != "home_office" && filter.party != "council") {
      return Status::InvalidArgument("party must be home_office, council or left out for both")
          .WithReason("party_invalid")
          .WithField("party");
    }
    filter.subscribed_only = IsHomeOfficeRole(actor->role);
    return state.Clocks(filter);
  });
}

}  // namespace nrpf::domain
