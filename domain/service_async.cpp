// CaseService::ExecuteAsync: a command in flight with no thread waiting for
// its write (turns handed over through an executor, waits watched for their
// bound). The rest of the service is in service.cpp.

#include "domain/service.h"

#include <pthread.h>

namespace nrpf::domain {

struct CaseService::AsyncCommand {
  std::atomic<bool> answered{false};
  CommandRequest request;
  Executor executor;
  CommandDone done;
  std::optional<ledger::CommandFingerprint> fingerprint;
  std::unique_ptr<CaseTurns::Held> turns;
  std::string case_id;  // as in Execute
  int attempt = 0;
};

void CaseService::ExecuteAsync(CommandRequest request, Executor executor, CommandDone done) {
  auto cmd = std::make_shared<AsyncCommand>();
  cmd->request = std::move(request);
  cmd->executor = std::move(executor);
  cmd->done = std::move(done);
  Result<Admitted> admitted = Admit(cmd->request);
  if (!admitted.ok()) return Answer(cmd, admitted.status());
  if (admitted->stored) {
    const ledger::AppendResult stored = *admitted->stored;
    Later(cmd, [this, cmd, stored] { Answer(cmd, Replay(stored)); });
    return;
  }
  cmd->fingerprint = std::move(admitted->fingerprint);
  std::vector<std::string> turns = TurnsOf(cmd->request.command);
  case_turns_.Acquire(
      std::move(turns), options_.max_turn_waiters, Guarded(cmd),
      [this, cmd](Result<std::unique_ptr<CaseTurns::Held>> held) {
        if (!held.ok()) return Answer(cmd, held.status());
        cmd->turns = std::move(*held);
        // A retry that waited for its turn behind the original finds it now.
        Result<std::optional<ledger::AppendResult>> stored =
            cmd->turns->empty() ? std::optional<ledger::AppendResult>() : StoredCommand(cmd->request, cmd->fingerprint);
        if (!stored.ok()) return Answer(cmd, stored.status());
        if (*stored) {
          // Replay waits for the projections: not on the thread that called.
          const ledger::AppendResult found = **stored;
          Later(cmd, [this, cmd, found] { Answer(cmd, Replay(found)); });
          return;
        }
        if (std::holds_alternative<RemoveDuplicate>(cmd->request.command)) {
          // An erasure waits for its shreds: in its turns, on the executor
          // (never waiting there for a turn, which may need a free worker).
          Later(cmd, [this, cmd] { Answer(cmd, ExecuteHeld(cmd->request, cmd->fingerprint)); });
          return;
        }
        DecideAndAppend(cmd);
      });
}

void CaseService::DecideAndAppend(std::shared_ptr<AsyncCommand> cmd) {
  Result<Decided> decided = DecideOnce(cmd->request, cmd->fingerprint, &cmd->case_id);
  if (!decided.ok()) return Answer(cmd, decided.status());
  auto landing = std::make_shared<Decided>(std::move(*decided));
  ledger::AppendRequest append = std::move(landing->append);
  ledger_->AppendAsync(std::move(append), [this, cmd, landing](Result<ledger::AppendResult> r) {
    if (!r.ok()) {
      if (r.status().code() == Code::kWrongExpectedVersion) return RetryAfterConflict(cmd);
      return Answer(cmd, r.status());
    }
    const ledger::AppendResult written = *r;
    if (written.duplicate) {
      Later(cmd, [this, cmd, written] { Answer(cmd, Replay(written)); });
      return;
    }
    // The ledger's callback hands the wait on to the projections: no
    // thread waits for either.
    const std::uint64_t end = written.first_position + written.count;
    WhenVisible(cmd, end, /*ledger_failure=*/false, [this, cmd, landing, written](Status s) {
      if (!s.ok()) return Answer(cmd, s);
      Answer(cmd, Landed(*landing, written));
    });
  });
}

void CaseService::RetryAfterConflict(std::shared_ptr<AsyncCommand> cmd) {
  // As Execute does: once the projections hold everything the ledger
  // checked this append against, decide again on that state.
  if (cmd->attempt >= options_.max_conflict_retries) return Answer(cmd, Contention());
  ++cmd->attempt;
  conflict_retries_.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t sequenced = ledger_->SequencedSize();
  // Appends the ledger sequenced may yet fail, and with them the ledger:
  // then this is told at once, not at the wait's end.
  WhenVisible(cmd, sequenced, /*ledger_failure=*/true, [this, cmd](Status s) {
    if (!s.ok()) return Answer(cmd, s);
    Later(cmd, [this, cmd] { DecideAndAppend(cmd); });
  });
}

void CaseService::WhenVisible(const std::shared_ptr<AsyncCommand>& cmd, std::uint64_t position, bool ledger_failure,
                              std::function<void(Status)> then) {
  // The wait ends once: by the projections, or by the watch (which then
  // answers the command itself). Whichever comes second does nothing.
  auto settled = std::make_shared<std::atomic<bool>>(false);
  if (projector_->next_position() < position) {
    watch_->Add(cmd, settled, std::chrono::steady_clock::now() + options_.projection_wait,
                ProjectionsBehind(position), ledger_failure);
  }
  projector_->WhenAt(position, [settled, then = std::move(then)](Status s) {
    if (!settled->exchange(true)) then(std::move(s));
  });
}

CaseService::Watch::Watch(const ledger::Ledger* ledger) : ledger_(ledger) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "nrpf-cmd-watch");
    Run();
  });
}

CaseService::Watch::~Watch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CaseService::Watch::Add(const std::shared_ptr<AsyncCommand>& cmd, std::shared_ptr<std::atomic<bool>> settled,
                             std::chrono::steady_clock::time_point deadline, Status on_expiry,
                             bool ledger_failure) {
  std::lock_guard lock(mu_);
  waits_.emplace(deadline, Entry{cmd, std::move(settled), std::move(on_expiry), ledger_failure});
}

void CaseService::Watch::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, kHealthCheckEvery);
    if (waits_.empty()) continue;
    lock.unlock();
    const Status ledger = ledger_->Health();  // no lock of ours held while the ledger takes its own
    lock.lock();
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::pair<std::shared_ptr<AsyncCommand>, Status>> due;
    for (auto it = waits_.begin(); it != waits_.end();) {
      std::shared_ptr<AsyncCommand> cmd = it->second.cmd.lock();
      const bool expired = it->first <= now, failed = it->second.ledger_failure && !ledger.ok();
      if (cmd == nullptr || *it->second.settled) {
        it = waits_.erase(it);  // answered, or the projections ended the wait
      } else if ((failed || expired) && !it->second.settled->exchange(true)) {
        due.emplace_back(std::move(cmd), failed ? ledger : std::move(it->second.on_expiry));
        it = waits_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (auto& [cmd, why] : due) Answer(cmd, std::move(why));
    lock.lock();
  }
}

void CaseService::Later(const std::shared_ptr<AsyncCommand>& cmd, std::function<void()> fn) {
  Guarded(cmd)(std::move(fn), [cmd](Status why) { Answer(cmd, std::move(why)); });
}

Executor CaseService::Guarded(const std::shared_ptr<AsyncCommand>& cmd) {
  return [cmd](std::function<void()> run, std::function<void(Status)> cancel) {
    cmd->executor(
        [cmd, run = std::move(run)] {
          try {
            run();
          } catch (const std::exception& e) {
            // Out of memory, or a library that throws: this command fails.
            Answer(cmd, Status::IOError(std::string("the command failed: ") + e.what()).WithReason("internal"));
          }
        },
        std::move(cancel));
  };
}

void CaseService::Answer(const std::shared_ptr<AsyncCommand>& cmd, Result<CommandOutcome> result) {
  if (cmd->answered.exchange(true)) return;  // the watch answered first
  cmd->turns.reset();  // the next command on the case may go on meanwhile
  CommandDone done = std::move(cmd->done);
  done(std::move(result));
}

}  // namespace nrpf::domain
