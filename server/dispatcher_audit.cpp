// The dispatcher's audit operations: the published keys and checkpoint, the
// log itself, a case's history, subject-access exports and verification.
// All but the checkpoint read RocksDB and run on the worker pool.

#include <algorithm>
#include <map>

#include "domain/events.h"
#include "domain/permissions.h"
#include "ledger/coding.h"
#include "server/api_error.h"
#include "server/dispatcher.h"
#include "server/response_writer.h"
#include "server/views.h"

namespace nrpf::server {

namespace {

std::string Str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

std::string Base64(const ledger::Hash& h) {
  return ledger::Base64Encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

// Most events one answer carries: ReadLog pages; histories and exports of
// a single case are far smaller in practice.
constexpr std::size_t kMaxLogPage = 1000;
constexpr std::size_t kMaxCaseEvents = 100000;

Answer Failed(std::uint64_t id, const Status& s) {
  Answer a;
  a.frame = api::ErrorFrame(id, s);
  a.status = s;
  return a;
}

Answer Framed(std::string frame) {
  Answer a;
  a.frame = std::move(frame);
  return a;
}

// Events of `stream` merged into `out` by position.
Status ReadWholeStream(const ledger::Ledger& ledger, const std::string& stream,
                       std::map<std::uint64_t, ledger::StoredEvent>* out) {
  Result<std::vector<ledger::StoredEvent>> events = ledger.ReadStream(stream, 1, kMaxCaseEvents);
  if (!events.ok()) return events.status();
  for (ledger::StoredEvent& e : *events) out->emplace(e.position, std::move(e));
  return Status::Ok();
}

flatbuffers::Offset<fb::AccessView> BuildAccess(Builder& fbb, const ledger::StoredEvent& e) {
  const ledger::fb::Record* r = e.record();
  std::vector<std::string> what;
  Result<domain::EventView> view = domain::DecodeEvent(e, nullptr);
  if (view.ok() && view->body != nullptr) {
    if (const auto* w = view->Body<domain::fb::CaseAccessed>()->what()) {
      for (const flatbuffers::String* s : *w) what.push_back(s->str());
    }
  }
  const ledger::fb::Actor* actor = r->actor();
  std::vector<flatbuffers::Offset<flatbuffers::String>> what_offsets;
  for (const std::string& w : what) what_offsets.push_back(fbb.CreateString(w));
  return fb::CreateAccessViewDirect(fbb, e.position, r->recorded_at_us(),
                                    actor && actor->user_id() ? actor->user_id()->c_str() : "",
                                    actor && actor->organisation_id() ? actor->organisation_id()->c_str() : "",
                                    actor && actor->role() ? actor->role()->c_str() : "", &what_offsets);
}

}  // namespace

bool Dispatcher::Audit(const Call& call, const Session& session, const AnswerFn& done) {
  const std::uint64_t id = call.request_id;
  const std::string user = session.user_id;
  ledger::Ledger& ledger = service_.ledger();
  switch (call.op) {
    case fb::Op::GetCheckpoint: {
      const std::uint64_t size = ledger.Size();
      Result<std::string> note = ledger.SignedCheckpoint(size);
      Result<ledger::Checkpoint> cp = ledger.CheckpointAt(size);
      Result<std::vector<ledger::PublishedKey>> keys = ledger.PublicKeys();
      if (!note.ok() || !cp.ok() || !keys.ok()) {
        done(Failed(id, !note.ok() ? note.status() : !cp.ok() ? cp.status() : keys.status()));
        return true;
      }
      api::ResponseWriter w(id);
      std::vector<flatbuffers::Offset<fb::PublicKeyView>> key_views;
      for (const ledger::PublishedKey& k : *keys) {
        key_views.push_back(fb::CreatePublicKeyViewDirect(w.fbb(), k.first_position, k.key.ToString().c_str()));
      }
      done(Framed(w.Finish(fb::CreateCheckpointViewDirect(w.fbb(), size, Base64(cp->root).c_str(), note->c_str(),
                                                          &key_views))));
      return true;
    }
    case fb::Op::ReadLog: {
      const auto* b = static_cast<const fb::ReadLog*>(call.body);
      const std::uint64_t from = b->from_position();
      const std::size_t max = std::min<std::size_t>(b->max(), kMaxLogPage);
      const bool records = b->include_records();
      Submit(call, [this, id, user, from, max, records, &ledger]() -> Answer {
        Status may = MayReadWholeLog(service_, user);
        if (!may.ok()) return Failed(id, may);
        if (from >= ledger.Size()) {
          api::ResponseWriter w(id);
          return Framed(w.Finish(fb::CreateLogEvents(w.fbb(), 0, from)));
        }
        Result<std::vector<ledger::StoredEvent>> events = ledger.ReadRange(from, max);
        if (!events.ok()) return Failed(id, events.status());
        api::ResponseWriter w(id);
        std::vector<flatbuffers::Offset<fb::LogEvent>> v;
        for (const ledger::StoredEvent& e : *events) v.push_back(BuildLogEvent(w.fbb(), e, records));
        const std::uint64_t next = events->empty() ? from : events->back().position + 1;
        return Framed(w.Finish(fb::CreateLogEvents(w.fbb(), w.fbb().CreateVector(v), next)));
      }, done);
      return true;
    }
    case fb::Op::CaseHistory: {
      const std::string case_id = Str(static_cast<const fb::CaseHistory*>(call.body)->case_id());
      Submit(call, [this, id, user, case_id, &ledger]() -> Answer {
        // The history shows ids, states and who acted: case metadata.
        Status may = service_.MayOnCase(user, case_id, domain::Action::kReadCaseMetadata);
        if (!may.ok()) return Failed(id, may);
        std::map<std::uint64_t, ledger::StoredEvent> events;
        Status s = ReadWholeStream(ledger, domain::CaseStream(case_id), &events);
        if (s.ok()) s = ReadWholeStream(ledger, domain::AccessStream(case_id), &events);
        if (!s.ok()) return Failed(id, s);
        api::ResponseWriter w(id);
        std::vector<flatbuffers::Offset<fb::LogEvent>> v;
        for (const auto& [position, e] : events) v.push_back(BuildLogEvent(w.fbb(), e, false));
        return Framed(w.Finish(fb::CreateLogEvents(w.fbb(), w.fbb().CreateVector(v), ledger.Size())));
      }, done);
      return true;
    }
    case fb::Op::SubjectAccessExport: {
      const std::string case_id = Str(static_cast<const fb::SubjectAccessExport*>(call.body)->case_id());
      Submit(call, [this, id, user, case_id, &ledger]() -> Answer {
        Status may = service_.MayOnCase(user, case_id, domain::Action::kAudit);
        if (!may.ok()) return Failed(id, may);
        Result<domain::RecordedCaseRead> read = service_.ReadCaseRecorded(user, case_id, {"subject_access_export"});
        if (!read.ok()) return Failed(id, read.status());
        std::vector<std::string> subjects = {read->state.applicant.subject};
        for (const domain::PersonState& d : read->state.dependants) subjects.push_back(d.subject);
        std::map<std::uint64_t, ledger::StoredEvent> events;
        for (const std::string& subject : subjects) {
          Result<std::vector<ledger::StoredEvent>> named = ledger.ReadSubject(subject, 0, kMaxCaseEvents);
          if (!named.ok()) return Failed(id, named.status());
          for (ledger::StoredEvent& e : *named) events.emplace(e.position, std::move(e));
        }
        api::ResponseWriter w(id);
        auto case_view = BuildCaseView(w.fbb(), *read);
        std::vector<flatbuffers::Offset<fb::LogEvent>> event_views;
        std::vector<flatbuffers::Offset<fb::AccessView>> accesses;
        for (const auto& [position, e] : events) {
          event_views.push_back(BuildLogEvent(w.fbb(), e, false));
          if (e.record()->event_type() && e.record()->event_type()->string_view() == domain::event_type::kCaseAccessed) {
            accesses.push_back(BuildAccess(w.fbb(), e));
          }
        }
        return Framed(w.Finish(fb::CreateSubjectAccessDirect(w.fbb(), case_view, &event_views, &accesses)));
      }, done);
      return true;
    }
    case fb::Op::VerifyLog: {
      const auto* b = static_cast<const fb::VerifyLog*>(call.body);
      Status may = MayReadWholeLog(service_, user);
      if (!may.ok()) {
        done(Failed(id, may));
        return true;
      }
      bool expected = false;
      if (!verifying_.compare_exchange_strong(expected, true)) {
        done(Failed(id, api::Refusal(Code::kUnavailable, api::reason::kBusy, "a verification is already running")));
        return true;
      }
      ledger::VerifyOptions options;
      if (b->up_to()) options.up_to = *b->up_to();
      Submit(call, [this, id, options, &ledger]() -> Answer {
        const ledger::VerifyReport report = ledger.Verify(options);
        verifying_ = false;
        api::ResponseWriter w(id);
        auto why = w.fbb().CreateString(report.reason);
        auto root = w.fbb().CreateString(report.ok ? Base64(report.checkpoint.root) : "");
        fb::VerifyResultBuilder vb(w.fbb());
        vb.add_ok(report.ok);
        vb.add_events_checked(report.events_checked);
        if (report.first_bad_position) vb.add_first_bad_position(*report.first_bad_position);
        vb.add_reason(why);
        vb.add_tree_size(report.checkpoint.size);
        vb.add_root_hash(root);
        return Framed(w.Finish(vb.Finish()));
      }, [this, done](Answer a) {
        if (!a.status.ok()) verifying_ = false;  // refused before it ran
        done(std::move(a));
      });
      return true;
    }
    default:
      return false;
  }
}

}  // namespace nrpf::server
