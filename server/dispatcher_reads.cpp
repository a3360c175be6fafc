// The dispatcher's reads: projections answered at once, and case reads,
// which are recorded in the log before they are answered (with no thread
// waiting for the record).

#include <algorithm>

#include "server/api_codec.h"
#include "server/dispatcher.h"
#include "server/response_writer.h"
#include "server/views.h"

namespace nrpf::server {

namespace {

using api::Str;

// The largest page a caseload or search answers with.
constexpr std::size_t kMaxCaseloadRows = 1000;
constexpr std::size_t kMaxSearchHits = 100;

template <typename T, typename Build>
Answer Answered(std::uint64_t id, const Result<T>& result, Build build) {
  Answer a;
  if (!result.ok()) {
    a.frame = api::ErrorFrame(id, result.status());
    a.status = result.status();
    return a;
  }
  api::ResponseWriter w(id);
  a.frame = w.Finish(build(w.fbb(), *result));
  return a;
}

}  // namespace

bool Dispatcher::Read(const Call& call, const Session& session, const AnswerFn& done) {
  const std::uint64_t id = call.request_id;
  const std::string& user = session.user_id;
  switch (call.op) {
    case fb::Op::GetCase: {
      // Read here, on the I/O thread; once its record is durable the answer
      // is built on a worker: no thread waits for the write.
      std::string case_id = Str(static_cast<const fb::GetCase*>(call.body)->case_id());
      InFlight<Result<domain::RecordedCaseRead>>(
          id, std::make_shared<AnswerFn>(done),
          [id](Result<domain::RecordedCaseRead> read) { return Answered(id, read, BuildCaseView); },
          [this, &user, &case_id](std::function<void(Result<domain::RecordedCaseRead>)> answer) {
            service_.ReadCaseRecordedAsync(user, case_id, {"case"}, workers_.AsExecutor(), std::move(answer));
          });
      return true;
    }
    case fb::Op::GetCounters: {
      const auto* b = static_cast<const fb::GetCounters*>(call.body);
      const std::uint64_t position = service_.projector().next_position();
      done(Answered(id, service_.Counters(user, b->my_cases(), Str(b->team_id()), Str(b->organisation_id())),
                    [position](Builder& fbb, const projections::HomeCounters& c) {
                      return BuildCounters(fbb, c, position);
                    }));
      return true;
    }
    case fb::Op::GetCaseload: {
      const auto* b = static_cast<const fb::GetCaseload*>(call.body);
      projections::CaseloadFilter f;
      if (b->status()) f.status = *b->status();
      f.team_id = Str(b->team_id());
      f.caseworker_id = Str(b->caseworker_id());
      if (b->legislation()) f.legislation = *b->legislation();
      if (b->household_type()) f.household_type = *b->household_type();
      f.limit = std::min<std::size_t>(b->limit(), kMaxCaseloadRows);
      f.after_case_id = Str(b->after_case_id());
      f.organisation_id = Str(b->organisation_id());
      f.my_cases = b->my_cases();
      if (b->open_alert()) f.open_alert = *b->open_alert();
      f.thousand_day = b->thousand_day();
      done(Answered(id, service_.Caseload(user, f), BuildCaseload));
      return true;
    }
    case fb::Op::Search: {
      const auto* b = static_cast<const fb::Search*>(call.body);
      projections::SearchQuery q;
      q.name = Str(b->name());
      q.date_of_birth = Str(b->date_of_birth());
      q.home_office_reference = Str(b->home_office_reference());
      q.document_number = Str(b->document_number());
      q.limit = std::min<std::size_t>(b->limit(), kMaxSearchHits);
      done(Answered(id, service_.Search(user, q), BuildSearchResult));
      return true;
    }
    case fb::Op::GetClocks: {
      const auto* b = static_cast<const fb::GetClocks*>(call.body);
      projections::ClockFilter f;
      f.organisation_id = Str(b->organisation_id());
      f.party = Str(b->party());
      f.started_from_us = b->started_from_us();
      f.started_before_us = b->started_before_us();
      const std::int64_t now = clock_.NowMicros();
      done(Answered(id, service_.Clocks(user, f), [now](Builder& fbb, const std::vector<domain::SlaClockInstance>& c) {
        return BuildClocks(fbb, c, now);
      }));
      return true;
    }
    case fb::Op::ListUsers: {
      const auto* b = static_cast<const fb::ListUsers*>(call.body);
      done(Answered(id, service_.Users(user, Str(b->organisation_id())), BuildUsers));
      return true;
    }
    case fb::Op::ListOrganisations:
      done(Answered(id, service_.Organisations(user), BuildOrganisations));
      return true;
    default:
      return false;
  }
}

}  // namespace nrpf::server
