#include "projections/projector.h"

namespace nrpf::projections {

namespace {

constexpr std::size_t kBatch = 1024;

Status DecodeAll(const std::vector<ledger::StoredEvent>& events, const domain::SectionOpener& opener,
                 std::vector<domain::EventView>* views) {
  views->clear();
  views->reserve(events.size());
  for (const ledger::StoredEvent& e : events) {
    Result<domain::EventView> v = domain::DecodeEvent(e, opener);
    if (!v.ok()) return v.status();
    views->push_back(std::move(*v));
  }
  return Status::Ok();
}

}  // namespace

domain::SectionOpener LedgerOpener(const ledger::Ledger& ledger) {
  return [&ledger](const ledger::StoredEvent& e, std::size_t i) -> std::optional<std::string> {
    Result<std::string> plain = ledger.OpenSealed(e, i);
    if (!plain.ok()) return std::nullopt;
    return std::move(*plain);
  };
}

Status FoldLog(const ledger::Ledger& ledger, std::uint64_t up_to, Projections* state) {
  const domain::SectionOpener opener = LedgerOpener(ledger);
  std::vector<domain::EventView> views;
  while (state->next_position() < up_to) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(kBatch, up_to - state->next_position()));
    Result<std::vector<ledger::StoredEvent>> batch = ledger.ReadRange(state->next_position(), want);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) return Status::NotFound("the log ends before position " + std::to_string(up_to));
    NRPF_RETURN_IF_ERROR(DecodeAll(*batch, opener, &views));
    for (const domain::EventView& v : views) state->Apply(v);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Projections>> Rebuild(const ledger::Ledger& ledger) {
  auto state = std::make_unique<Projections>();
  NRPF_RETURN_IF_ERROR(FoldLog(ledger, ledger.Size(), state.get()));
  return state;
}

Projector::Projector(const ledger::Ledger* ledger)
    : ledger_(ledger), opener_(LedgerOpener(*ledger)), state_(std::make_unique<Projections>()) {}

Projector::~Projector() { Stop(); }

Status Projector::CatchUp() {
  const std::uint64_t size = ledger_->Size();
  while (next_position_.load() < size) {
    Result<std::vector<ledger::StoredEvent>> batch = ledger_->ReadRange(next_position_.load(), kBatch);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    NRPF_RETURN_IF_ERROR(ApplyBatch(*batch));
  }
  return Status::Ok();
}

Status Projector::ApplyBatch(const std::vector<ledger::StoredEvent>& events) {
  std::vector<domain::EventView> views;
  NRPF_RETURN_IF_ERROR(DecodeAll(events, opener_, &views));
  {
    std::unique_lock lock(mu_);
    for (const domain::EventView& v : views) {
      if (v.position != state_->next_position()) {
        return Status::Corruption("projection expected position " + std::to_string(state_->next_position()) +
                                  ", got " + std::to_string(v.position));
      }
      state_->Apply(v);
    }
    next_position_.store(state_->next_position());
  }
  std::lock_guard wait(wait_mu_);
  applied_cv_.notify_all();
  return Status::Ok();
}

void Projector::Start() {
  if (follower_.joinable()) return;
  stop_ = false;
  subscription_ = ledger_->Subscribe(next_position_.load());
  follower_ = std::thread([this] { Follow(); });
}

void Projector::Stop() {
  stop_ = true;
  if (subscription_) subscription_->Cancel();
  if (follower_.joinable()) follower_.join();
  subscription_.reset();
  std::lock_guard wait(wait_mu_);
  applied_cv_.notify_all();
}

void Projector::Follow() {
  while (!stop_) {
    Result<std::vector<ledger::StoredEvent>> batch = subscription_->Next(kBatch, std::chrono::milliseconds(200));
    Status s = batch.ok() ? (batch->empty() ? Status::Ok() : ApplyBatch(*batch)) : batch.status();
    if (!s.ok()) {
      if (s.code() != Code::kCancelled) {
        std::lock_guard wait(wait_mu_);
        follow_error_ = s;
      }
      std::lock_guard wait(wait_mu_);
      applied_cv_.notify_all();
      return;
    }
  }
}

Status Projector::WaitFor(std::uint64_t position, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(wait_mu_);
  const bool done = applied_cv_.wait_for(lock, timeout, [&] {
    return next_position_.load() >= position || !follow_error_.ok() || stop_.load();
  });
  if (next_position_.load() >= position) return Status::Ok();
  if (!follow_error_.ok()) return Status::Unavailable("projections stopped: " + follow_error_.ToString());
  if (!done || stop_.load()) return Status::Unavailable("projections did not reach position " + std::to_string(position));
  return Status::Ok();
}

}  // namespace nrpf::projections
