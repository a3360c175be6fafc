#include "server/feeds.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "domain/events.h"
#include "domain/permissions.h"
#include "server/api_error.h"
#include "server/response_writer.h"
#include "server/views.h"

namespace nrpf::server {

namespace {

// The end of a feed: an End frame, carrying the reason when it is an error.
std::string EndFrame(std::uint64_t id, const Status& why) {
  return api::ErrorFrame(id, why, fb::FrameKind::End);
}

class FeedBase : public Feed {
 public:
  FeedBase(std::uint64_t id, FeedContext context) : Feed(id), context_(std::move(context)) {}

  bool Pull(std::size_t max, std::vector<std::string>* frames) final {
    if (ended_) return false;
    Result<Session> session = context_.accounts->Authenticate(context_.token, context_.token_key);
    Status s = session.ok() ? PullAs(session->user_id, max, frames) : session.status();
    if (!s.ok()) {
      frames->push_back(EndFrame(id(), s));
      ended_ = true;
      return false;
    }
    return true;
  }

 protected:
  // Appends frames for `user_id`; an error ends the feed.
  virtual Status PullAs(const std::string& user_id, std::size_t max, std::vector<std::string>* frames) = 0;

  domain::CaseService& service() { return *context_.service; }

 private:
  FeedContext context_;
  bool ended_ = false;
};

class Counters final : public FeedBase {
 public:
  Counters(std::uint64_t id, FeedContext context, bool my_cases, std::string team_id, std::string organisation_id)
      : FeedBase(id, std::move(context)),
        my_cases_(my_cases),
        team_id_(std::move(team_id)),
        organisation_id_(std::move(organisation_id)) {}

 private:
  Status PullAs(const std::string& user_id, std::size_t, std::vector<std::string>* frames) override {
    const std::uint64_t position = service().projector().next_position();
    Result<projections::HomeCounters> counters = service().Counters(user_id, my_cases_, team_id_, organisation_id_);
    if (!counters.ok()) return counters.status();
    if (last_ && *last_ == *counters) return Status::Ok();
    last_ = *counters;
    api::ResponseWriter w(id(), fb::FrameKind::Push);
    frames->push_back(w.Finish(BuildCounters(w.fbb(), *counters, position)));
    return Status::Ok();
  }

  const bool my_cases_;
  const std::string team_id_;
  const std::string organisation_id_;
  std::optional<projections::HomeCounters> last_;
};

class CaseEvents final : public FeedBase {
 public:
  CaseEvents(std::uint64_t id, FeedContext context, std::string case_id, std::uint64_t from_version)
      : FeedBase(id, std::move(context)), case_id_(std::move(case_id)), next_version_(std::max<std::uint64_t>(1, from_version)) {}

 private:
  Status PullAs(const std::string& user_id, std::size_t max, std::vector<std::string>* frames) override {
    // Checked on every pull: a reader that loses the case's personal data
    // gets the metadata of the events that follow.
    Result<domain::CaseVisibility> visibility = service().VisibilityOf(user_id, case_id_);
    if (!visibility.ok()) return visibility.status();
    Result<std::vector<ledger::StoredEvent>> events =
        service().ledger().ReadStream(domain::CaseStream(case_id_), next_version_, max);
    if (!events.ok()) return events.status();
    for (const ledger::StoredEvent& e : *events) {
      api::ResponseWriter w(id(), fb::FrameKind::Push);
      frames->push_back(w.Finish(BuildLogEvent(w.fbb(), e, false, *visibility)));
      next_version_ = e.record()->stream_version() + 1;
    }
    return Status::Ok();
  }

  const std::string case_id_;
  std::uint64_t next_version_;
};

class WholeLog final : public FeedBase {
 public:
  WholeLog(std::uint64_t id, FeedContext context, std::uint64_t from_position, bool include_records)
      : FeedBase(id, std::move(context)), next_(from_position), include_records_(include_records) {}

 private:
  Status PullAs(const std::string& user_id, std::size_t max, std::vector<std::string>* frames) override {
    NRPF_RETURN_IF_ERROR(MayReadWholeLog(service(), user_id));
    if (next_ >= service().ledger().Size()) return Status::Ok();
    Result<std::vector<ledger::StoredEvent>> events = service().ledger().ReadRange(next_, max);
    if (!events.ok()) return events.status();
    for (const ledger::StoredEvent& e : *events) {
      api::ResponseWriter w(id(), fb::FrameKind::Push);
      frames->push_back(w.Finish(BuildLogEvent(w.fbb(), e, include_records_, domain::CaseVisibility::kFull)));
      next_ = e.position + 1;
    }
    return Status::Ok();
  }

  std::uint64_t next_;
  const bool include_records_;
};

}  // namespace

std::unique_ptr<Feed> CountersFeed(std::uint64_t id, FeedContext context, bool my_cases, std::string team_id,
                                   std::string organisation_id) {
  return std::make_unique<Counters>(id, std::move(context), my_cases, std::move(team_id), std::move(organisation_id));
}

std::unique_ptr<Feed> CaseFeed(std::uint64_t id, FeedContext context, std::string case_id, std::uint64_t from_version) {
  return std::make_unique<CaseEvents>(id, std::move(context), std::move(case_id), from_version);
}

std::unique_ptr<Feed> LogFeed(std::uint64_t id, FeedContext context, std::uint64_t from_position,
                              bool include_records) {
  return std::make_unique<WholeLog>(id, std::move(context), from_position, include_records);
}

Status MayReadWholeLog(const domain::CaseService& service, const std::string& user_id) {
  return service.projector().Read([&](const projections::Projections& state) -> Status {
    const domain::UserState* actor = state.User(user_id);
    const domain::OrganisationState* org = actor ? state.Organisation(actor->organisation_id) : nullptr;
    NRPF_RETURN_IF_ERROR(domain::Authorize(actor, org, domain::Action::kAudit, nullptr, nullptr));
    if (org->kind != domain::fb::OrganisationKind::AuditBody) {
      return Status::PermissionDenied("the whole log spans every organisation: audit-body auditors only")
          .WithReason("wrong_tenant");
    }
    return Status::Ok();
  });
}

FeedHub::FeedHub(const ledger::Ledger* ledger, const projections::Projector* projector, std::chrono::milliseconds tick)
    : ledger_(ledger), projector_(projector), tick_(tick) {}

FeedHub::~FeedHub() { Stop(); }

void FeedHub::Start() {
  thread_ = std::thread([this] { Follow(); });
  pthread_setname_np(thread_.native_handle(), "nrpf-feeds");
}

void FeedHub::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (subscription_) subscription_->Cancel();
  }
  listened_.notify_all();
  if (thread_.joinable()) thread_.join();
  subscription_.reset();
}

std::uint64_t FeedHub::AddListener(std::function<void(std::uint64_t)> listener) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    listeners_.emplace(id, std::move(listener));
  }
  listened_.notify_all();
  return id;
}

void FeedHub::RemoveListener(std::uint64_t id) {
  std::lock_guard lock(mu_);
  listeners_.erase(id);
}

void FeedHub::Poke() { NotifyAll(ledger_->Size()); }

void FeedHub::NotifyAll(std::uint64_t size) {
  std::vector<std::function<void(std::uint64_t)>> copy;
  {
    std::lock_guard lock(mu_);
    copy.reserve(listeners_.size());
    for (const auto& [id, l] : listeners_) copy.push_back(l);
  }
  for (const auto& l : copy) l(size);
}

void FeedHub::Follow() {
  auto last_notify = std::chrono::steady_clock::now();
  ledger::Subscription* subscription = nullptr;
  while (!stop_) {
    {
      std::unique_lock lock(mu_);
      if (stop_) return;
      if (listeners_.empty()) {
        // Nobody to tell: stop reading the log until someone subscribes.
        subscription_.reset();
        subscription = nullptr;
        listened_.wait(lock, [&] { return stop_ || !listeners_.empty(); });
        if (stop_) return;
      }
      if (subscription == nullptr) {
        subscription_ = ledger_->Subscribe(ledger_->Size());
        subscription = subscription_.get();
      }
    }
    Result<std::vector<ledger::StoredEvent>> batch = subscription->Next(4096, tick_);
    if (!batch.ok()) {
      if (batch.status().code() != Code::kCancelled) spdlog::error("feeds stopped: {}", batch.status().ToString());
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (batch->empty() && now - last_notify < tick_) continue;
    std::uint64_t size = subscription->position();
    if (!batch->empty()) {
      // Counters are read from the projections: wait until they include it.
      Status s = projector_->WaitFor(size, std::chrono::seconds(10));
      if (!s.ok()) spdlog::warn("feeds: projections behind the log: {}", s.ToString());
    }
    last_notify = now;
    NotifyAll(size);
  }
}

}  // namespace nrpf::server
