// The dispatcher's audit operations: the published keys and checkpoint, the
// log itself, a case's history, subject-access exports and verification;
// and the replay reports (replay/), answered as Documents in the formats
// nrpf-replay writes: timelines, export bundles, subject-access reports,
// proofs, SLA compliance and the rebuild comparison. All but the checkpoint
// read RocksDB and run on the worker pool.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>

#include "domain/calendar.h"
#include "domain/decide.h"
#include "domain/events.h"
#include "domain/permissions.h"
#include "ledger/coding.h"
#include "replay/bundle.h"
#include "replay/case_history.h"
#include "replay/case_report.h"
#include "replay/rebuild_compare.h"
#include "replay/report_json.h"
#include "replay/sar.h"
#include "replay/sla_report.h"
#include "server/api_codec.h"
#include "server/api_error.h"
#include "server/dispatcher.h"
#include "server/response_writer.h"
#include "server/views.h"

namespace nrpf::server {

namespace {

using api::Str;

std::string Base64(const ledger::Hash& h) {
  return ledger::Base64Encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

// Most events one answer carries: ReadLog pages; histories and exports of
// a single case are far smaller in practice.
constexpr std::size_t kMaxLogPage = 1000;
constexpr std::size_t kMaxCaseEvents = 100000;
// Most records of an export bundle through the API (about 1.3 KB each in the
// bundle, several times that while it is built):
// larger selections are exported in ranges, or offline by nrpf-replay.
constexpr std::size_t kMaxExportRecords = 50000;

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

// A name to save a document under: its parts joined by '-', each reduced
// to letters, digits, '-', '_' and '.', and the extension of its type.
std::string FileName(std::initializer_list<std::string_view> parts, std::string_view media_type) {
  std::string name;
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    if (!name.empty()) name += '-';
    for (char c : part) {
      const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      name += plain ? c : '_';
    }
  }
  const std::string_view ext = media_type.rfind("text/csv", 0) == 0    ? ".csv"
                               : media_type.rfind("text/html", 0) == 0 ? ".html"
                                                                       : ".json";
  return name + std::string(ext);
}

Answer DocumentAnswer(std::uint64_t id, std::string media_type, std::string text, std::string filename = {}) {
  Answer a;
  a.request_id = id;
  a.media_type = std::move(media_type);
  a.document = std::move(text);
  a.filename = std::move(filename);
  return a;
}

// A report's answer: its CSV or its JSON, named after `parts`.
Answer ReportAnswer(std::uint64_t id, bool csv, std::initializer_list<std::string_view> parts,
                    const std::function<std::string()>& as_csv, const std::function<std::string()>& as_json) {
  const std::string type = csv ? "text/csv; charset=utf-8" : "application/json";
  return DocumentAnswer(id, type, csv ? as_csv() : as_json(), FileName(parts, type));
}

Answer JsonDocument(std::uint64_t id, const Result<nlohmann::json>& j) {
  if (!j.ok()) return Failed(id, j.status());
  return DocumentAnswer(id, "application/json", j->dump());
}

// The case of a data subject ("case-<id>/applicant", "case-<id>/dependant-<n>").
std::optional<std::string> CaseOfSubject(const std::string& subject) {
  constexpr std::string_view kPrefix = "case-";
  const std::size_t slash = subject.find('/');
  if (subject.rfind(kPrefix, 0) != 0 || slash == std::string::npos || slash <= kPrefix.size()) return std::nullopt;
  const std::string_view rest = std::string_view(subject).substr(slash + 1);
  if (rest != "applicant" && rest.rfind("dependant-", 0) != 0) return std::nullopt;
  return subject.substr(kPrefix.size(), slash - kPrefix.size());
}

// Auditors of an audit body may audit every organisation; other auditors
// only their own.
Status MayAuditOrganisation(const domain::CaseService& service, const std::string& user_id,
                            const std::string& organisation_id) {
  return service.projector().Read([&](const projections::Projections& state) -> Status {
    const domain::UserState* actor = state.User(user_id);
    const domain::OrganisationState* org = actor ? state.Organisation(actor->organisation_id) : nullptr;
    NRPF_RETURN_IF_ERROR(domain::Authorize(actor, org, domain::Action::kAudit, nullptr, nullptr));
    if (org->kind != domain::fb::OrganisationKind::AuditBody && actor->organisation_id != organisation_id) {
      return Status::PermissionDenied("an auditor of an organisation audits only it").WithReason("wrong_tenant");
    }
    return Status::Ok();
  });
}

// Everyone with reports; a council's users, and auditors outside an audit
// body, only for their own organisation, which `organisation_id` is set to.
Status MayReportOn(const projections::Projections& state, const std::string& user_id, std::string* organisation_id) {
  const domain::UserState* actor = state.User(user_id);
  const domain::OrganisationState* org = actor ? state.Organisation(actor->organisation_id) : nullptr;
  NRPF_RETURN_IF_ERROR(domain::Authorize(actor, org, domain::Action::kReports, nullptr, nullptr));
  // Auditors outside an audit body audit only their own organisation.
  const bool own_only = org->kind == domain::fb::OrganisationKind::Council ||
                        (actor->role == domain::fb::Role::Auditor && org->kind != domain::fb::OrganisationKind::AuditBody);
  if (own_only) {
    if (!organisation_id->empty() && *organisation_id != actor->organisation_id) {
      return Status::PermissionDenied("a council reports on its own cases").WithReason("wrong_tenant");
    }
    *organisation_id = actor->organisation_id;
  }
  return Status::Ok();
}

// The wire's enums and the reports' are the same lists.
static_assert(static_cast<int>(replay::CaseReportKind::kThousandDay) == static_cast<int>(fb::ReportKind::ThousandDay) &&
              static_cast<int>(fb::ReportKind::MAX) == static_cast<int>(fb::ReportKind::ThousandDay));
static_assert(static_cast<int>(replay::ReportPeriod::kFinancialYear) ==
                  static_cast<int>(fb::ReportPeriod::FinancialYear) &&
              static_cast<int>(fb::ReportPeriod::MAX) == static_cast<int>(fb::ReportPeriod::FinancialYear));

// A case report's options from its request: every field checked (an enum
// a newer client sends is refused, not matched against nothing), `to`
// defaulted to today and counted to today at most, the organisation asked
// for (if any) as the only council, which CaseService::Report then scopes.
Result<replay::CaseReportOptions> CaseReportOptionsOf(const fb::CaseReport& b, std::int64_t now_us) {
  std::vector<FieldError> problems;
  const auto known = [&](auto value, auto max, const char* field, const char* message) {
    if (static_cast<std::size_t>(value) <= static_cast<std::size_t>(max)) return true;
    problems.push_back({field, std::string(field) + "_invalid", message});
    return false;
  };
  replay::CaseReportOptions o;
  if (!b.report()) {
    problems.push_back({"report", "report_invalid",
                        "report is required: Finance, Referrals, Resolution, Performance or ThousandDay"});
  } else if (known(*b.report(), fb::ReportKind::MAX, "report", "unknown report")) {
    o.kind = static_cast<replay::CaseReportKind>(*b.report());
  }
  o.now_us = now_us;
  o.from = Str(b.from());
  const std::string today = domain::IsoDate(domain::LondonDate(now_us));
  o.to = b.to() != nullptr ? Str(b.to()) : today;
  const bool from_ok = o.from.empty() || domain::IsIsoDate(o.from);
  if (!from_ok) {
    problems.push_back({"from", "from_invalid", "from must be a day of the calendar from 1900, YYYY-MM-DD"});
  }
  const bool to_ok = domain::IsIsoDate(o.to);
  if (!to_ok) problems.push_back({"to", "to_invalid", "to must be a day of the calendar from 1900, YYYY-MM-DD"});
  // Nothing has happened after today: a period that ends later is counted to today.
  o.to = std::min(o.to, today);
  if (from_ok && to_ok && !o.from.empty() && o.from > o.to) {
    problems.push_back({"from", "period_invalid",
                        o.from > today ? "the period starts after today" : "from must not be after to"});
  }
  if (b.period() && known(*b.period(), fb::ReportPeriod::MAX, "period", "unknown period")) {
    if (b.report() && *b.report() != fb::ReportKind::Referrals) {
      problems.push_back({"period", "period_invalid", "period counts the Referrals report's cases, no other's"});
    } else {
      o.period = static_cast<replay::ReportPeriod>(*b.period());
    }
  }
  if (b.totals() && !b.csv()) {
    problems.push_back({"totals", "totals_invalid", "totals asks for the CSV of the totals: give csv too"});
  }
  if (b.legislation() && known(*b.legislation(), domain::fb::Legislation::MAX, "legislation", "unknown legislation")) {
    o.legislation = *b.legislation();
  }
  if (b.household_type() &&
      known(*b.household_type(), domain::fb::HouseholdType::MAX, "household_type", "unknown household type")) {
    o.household_type = *b.household_type();
  }
  if (!problems.empty()) {
    const FieldError first = problems.front();
    return Status::InvalidArgument(first.message).WithReason(first.reason).WithFields(std::move(problems));
  }
  if (const std::string org = Str(b.organisation_id()); !org.empty()) o.organisations.push_back(org);
  o.team_id = Str(b.team_id());
  o.caseworker_id = Str(b.caseworker_id());
  return o;
}

// A projection dump line ("kind|key=value|...") reduced to its kind, and
// its first field when that is an id ("case|id=12").
std::string LineWithoutValues(const std::string& line) {
  const std::size_t bar = line.find('|');
  if (bar == std::string::npos) return line.substr(0, line.find('='));
  const std::size_t next = line.find('|', bar + 1);
  const std::string first = line.substr(bar + 1, next == std::string::npos ? std::string::npos : next - bar - 1);
  for (std::string_view key : {"id=", "case=", "org="}) {
    if (first.rfind(key, 0) == 0) return line.substr(0, bar) + "|" + first;
  }
  return line.substr(0, bar);
}

// Work on the whole log that runs one at a time (it uses every core): the
// refusal, or nullopt once the caller may read the whole log and has taken
// `running`, which it clears when done.
std::optional<Status> TakeWholeLogTurn(const domain::CaseService& service, const std::string& user_id,
                                       std::atomic<bool>* running, const std::string& what) {
  Status may = MayReadWholeLog(service, user_id);
  if (!may.ok()) return may;
  bool expected = false;
  if (!running->compare_exchange_strong(expected, true)) {
    return api::Refusal(Code::kUnavailable, api::reason::kBusy, what + " is already running");
  }
  return std::nullopt;
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
        for (const ledger::StoredEvent& e : *events) {
          v.push_back(BuildLogEvent(w.fbb(), e, records, domain::CaseVisibility::kFull));
        }
        const std::uint64_t next = events->empty() ? from : events->back().position + 1;
        return Framed(w.Finish(fb::CreateLogEvents(w.fbb(), w.fbb().CreateVector(v), next)));
      }, done);
      return true;
    }
    case fb::Op::CaseHistory: {
      const std::string case_id = Str(static_cast<const fb::CaseHistory*>(call.body)->case_id());
      Submit(call, [this, id, user, case_id, &ledger]() -> Answer {
        // Those who may read the case get the events' bodies; metadata-only
        // readers (network support) each event's metadata only.
        Result<domain::CaseVisibility> visibility = service_.VisibilityOf(user, case_id);
        if (!visibility.ok()) return Failed(id, visibility.status());
        Result<std::vector<ledger::StoredEvent>> events = replay::ReadCaseEvents(ledger, case_id, kMaxCaseEvents);
        if (!events.ok()) return Failed(id, events.status());
        api::ResponseWriter w(id);
        std::vector<flatbuffers::Offset<fb::LogEvent>> v;
        for (const ledger::StoredEvent& e : *events) v.push_back(BuildLogEvent(w.fbb(), e, false, *visibility));
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
          event_views.push_back(BuildLogEvent(w.fbb(), e, false, domain::CaseVisibility::kFull));
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
      if (std::optional<Status> refused = TakeWholeLogTurn(service_, user, &verifying_, "a verification")) {
        done(Failed(id, *refused));
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
    case fb::Op::CaseTimeline: {
      const auto* b = static_cast<const fb::CaseTimeline*>(call.body);
      const std::string case_id = Str(b->case_id());
      const std::optional<std::int64_t> as_of = b->as_of_us() ? std::optional<std::int64_t>(*b->as_of_us()) : std::nullopt;
      Submit(call, [this, id, user, case_id, as_of, &ledger]() -> Answer {
        // Those who may read the case get what each event changed, and the
        // read is recorded first; metadata-only readers (network support)
        // each event's metadata only.
        Result<domain::RecordedCaseRead> read = service_.ReadCaseRecorded(user, case_id, {"case_timeline"});
        if (!read.ok()) return Failed(id, read.status());
        replay::HistoryOptions options;
        options.as_of_us = as_of;
        options.metadata_only = read->visibility != domain::CaseVisibility::kFull;
        options.open_sealed = !options.metadata_only;
        options.hidden_assessments = read->hidden_assessments;
        Result<replay::CaseHistory> history = replay::ReadCaseHistory(ledger, case_id, options);
        if (!history.ok()) return Failed(id, history.status());
        return DocumentAnswer(id, "application/json", replay::CaseHistoryJson(*history).dump());
      }, done);
      return true;
    }
    case fb::Op::ExportBundle: {
      const auto* b = static_cast<const fb::ExportBundle*>(call.body);
      const std::string kind = Str(b->kind());
      replay::ExportSelection selection;
      selection.id = Str(b->id());
      selection.from = b->from_position();
      selection.to = b->to_position();
      replay::ExportOptions options;
      if (b->tree_size()) options.tree_size = *b->tree_size();
      options.max_records = kMaxExportRecords;
      if (kind == "case" || kind == "organisation") {
        selection.kind = kind == "case" ? replay::ExportSelection::Kind::kCase : replay::ExportSelection::Kind::kOrganisation;
        if (selection.id.empty()) {
          done(Failed(id, api::Refusal(Code::kInvalidArgument, api::reason::kInvalidSelection, "give the " + kind + "'s id")));
          return true;
        }
      } else if (kind == "range") {
        selection.kind = replay::ExportSelection::Kind::kRange;
      } else {
        done(Failed(id, api::Refusal(Code::kInvalidArgument, api::reason::kInvalidSelection,
                                     "kind is \"case\", \"organisation\" or \"range\"")));
        return true;
      }
      Submit(call, [this, id, user, kind, selection, options, &ledger]() -> Answer {
        Status may = selection.kind == replay::ExportSelection::Kind::kCase
                         ? service_.MayOnCase(user, selection.id, domain::Action::kAudit)
                     : selection.kind == replay::ExportSelection::Kind::kOrganisation
                         ? MayAuditOrganisation(service_, user, selection.id)
                         : MayReadWholeLog(service_, user);
        if (!may.ok()) return Failed(id, may);
        Result<std::string> bundle = replay::ExportBundle(ledger, selection, options);
        if (!bundle.ok()) return Failed(id, bundle.status());
        const std::string range = std::to_string(selection.from) + "-" + std::to_string(selection.to);
        return DocumentAnswer(id, "application/json", std::move(bundle).value(),
                              FileName({"export", kind, kind == "range" ? range : selection.id}, "application/json"));
      }, done);
      return true;
    }
    case fb::Op::SubjectAccessReport: {
      const auto* b = static_cast<const fb::SubjectAccessReport*>(call.body);
      std::vector<std::string> given;
      if (b->subjects() != nullptr) {
        for (const flatbuffers::String* s : *b->subjects()) given.push_back(s->str());
      }
      projections::SearchQuery person;
      person.name = Str(b->name());
      person.date_of_birth = Str(b->date_of_birth());
      person.home_office_reference = Str(b->home_office_reference());
      person.document_number = Str(b->document_number());
      const bool html = b->html();
      Submit(call, [this, id, user, given, person, html, &ledger]() mutable -> Answer {
        std::vector<std::string> subjects = given;
        if (subjects.empty()) {
          // Found by the details, among the cases of the organisations the
          // officer audits.
          Result<std::vector<std::string>> found =
              service_.projector().Read([&](const projections::Projections& state) -> Result<std::vector<std::string>> {
                const domain::UserState* actor = state.User(user);
                const domain::OrganisationState* org = actor ? state.Organisation(actor->organisation_id) : nullptr;
                NRPF_RETURN_IF_ERROR(domain::Authorize(actor, org, domain::Action::kAudit, nullptr, nullptr));
                if (org->kind == domain::fb::OrganisationKind::AuditBody) {
                  for (const auto& [o, cases] : state.organisation_cases()) person.organisations.push_back(o);
                } else {
                  person.organisations.push_back(actor->organisation_id);
                }
                return replay::FindPersonSubjects(state, person);
              });
          if (!found.ok()) return Failed(id, found.status());
          subjects = std::move(found).value();
        }
        std::set<std::string> cases;
        for (const std::string& s : subjects) {
          std::optional<std::string> case_id = CaseOfSubject(s);
          if (!case_id) {
            return Failed(id, api::Refusal(Code::kInvalidArgument, api::reason::kInvalidSubject,
                                           "not a case's applicant or dependant: " + s));
          }
          cases.insert(*case_id);
        }
        // The officer may audit every case the person is in, and each
        // case's record of reads shows the report was made.
        for (const std::string& case_id : cases) {
          Status may = service_.MayOnCase(user, case_id, domain::Action::kAudit);
          if (!may.ok()) return Failed(id, may);
        }
        for (const std::string& case_id : cases) {
          Result<domain::RecordedCaseRead> read = service_.ReadCaseRecorded(user, case_id, {"subject_access_report"});
          if (!read.ok()) return Failed(id, read.status());
        }
        replay::SarOptions options;
        options.decrypt = true;
        options.now_us = clock_.NowMicros();
        Result<replay::SubjectAccessReport> report = replay::BuildSubjectAccessReport(ledger, subjects, options);
        if (!report.ok()) return Failed(id, report.status());
        // No person's name in the file's: it is seen in download lists.
        return html ? DocumentAnswer(id, "text/html; charset=utf-8", replay::SarHtml(*report),
                                     FileName({"subject-access-report"}, "text/html"))
                    : DocumentAnswer(id, "application/json", replay::SarJson(*report),
                                     FileName({"subject-access-report"}, "application/json"));
      }, done);
      return true;
    }
    case fb::Op::GetProof: {
      const auto* b = static_cast<const fb::GetProof*>(call.body);
      const std::optional<std::uint64_t> position =
          b->position() ? std::optional<std::uint64_t>(*b->position()) : std::nullopt;
      const std::optional<std::uint64_t> old_size =
          b->old_size() ? std::optional<std::uint64_t>(*b->old_size()) : std::nullopt;
      const std::optional<std::uint64_t> tree_size =
          b->tree_size() ? std::optional<std::uint64_t>(*b->tree_size()) : std::nullopt;
      if (position.has_value() == old_size.has_value()) {
        done(Failed(id, api::Refusal(Code::kInvalidArgument, api::reason::kInvalidSelection,
                                     "give position (an inclusion proof) or old_size (a consistency proof)")));
        return true;
      }
      Submit(call, [this, id, user, position, old_size, tree_size, &ledger]() -> Answer {
        const std::uint64_t size = tree_size.value_or(ledger.Size());
        // A consistency proof is hashes only; an inclusion proof carries the
        // record, which may belong to any organisation.
        if (old_size) return JsonDocument(id, replay::ConsistencyProofJson(ledger, *old_size, size));
        Status may = MayReadWholeLog(service_, user);
        if (!may.ok()) return Failed(id, may);
        return JsonDocument(id, replay::InclusionProofJson(ledger, *position, size));
      }, done);
      return true;
    }
    case fb::Op::SlaCompliance: {
      const auto* b = static_cast<const fb::SlaCompliance*>(call.body);
      replay::SlaReportOptions options;
      options.from_us = b->from_us();
      options.to_us = b->to_us() ? *b->to_us() : clock_.NowMicros();
      if (b->as_of_us()) options.as_of_us = *b->as_of_us();
      options.organisation_id = Str(b->organisation_id());
      const bool csv = b->csv();
      Submit(call, [this, id, user, options, csv]() mutable -> Answer {
        std::optional<replay::SlaReport> report;
        Status may = service_.projector().Read([&](const projections::Projections& state) -> Status {
          NRPF_RETURN_IF_ERROR(MayReportOn(state, user, &options.organisation_id));
          report = replay::BuildSlaReport(state, options);
          return Status::Ok();
        });
        if (!may.ok()) return Failed(id, may);
        return ReportAnswer(
            id, csv, {"sla-compliance", options.organisation_id.empty() ? "all-councils" : options.organisation_id},
            [&] { return replay::SlaReportCsv(*report); }, [&] { return replay::SlaReportJson(*report); });
      }, done);
      return true;
    }
    case fb::Op::CaseReport: {
      const auto* b = static_cast<const fb::CaseReport*>(call.body);
      Result<replay::CaseReportOptions> options = CaseReportOptionsOf(*b, clock_.NowMicros());
      if (!options.ok()) {
        done(Failed(id, options.status()));
        return true;
      }
      const bool csv = b->csv();
      const bool totals = b->totals();
      Submit(call, [this, id, user, options = std::move(*options), csv, totals]() mutable -> Answer {
        domain::CaseService::ReportScope scope;
        scope.organisation_id = options.organisations.empty() ? std::string() : options.organisations.front();
        scope.team_id = options.team_id;
        scope.caseworker_id = options.caseworker_id;
        // Performance monitoring counts cases and deadlines per caseworker;
        // only its legislation and household filters tell of the people.
        scope.every_user = options.kind == replay::CaseReportKind::kPerformance;
        scope.personal = !scope.every_user || options.legislation || options.household_type;
        scope.personal_field = !scope.every_user          ? "report"
                               : options.legislation      ? "legislation"
                               : options.household_type   ? "household_type"
                                                          : "";
        Result<std::vector<std::string>> councils = service_.ReportCouncils(user, scope);
        if (!councils.ok()) return Failed(id, councils.status());
        options.organisations = std::move(councils).value();
        // A council at a time under the projections' read lock: a report
        // of every council holds up their writer no longer than one council's.
        const replay::CaseReport report = replay::BuildCaseReport(
            [this](const std::function<void(const projections::Projections&)>& fn) { service_.projector().Read(fn); },
            options);
        const std::string covered =
            options.organisations.size() == 1 ? options.organisations.front() : "all-councils";
        const std::string from = options.kind == replay::CaseReportKind::kThousandDay ? ""
                                 : options.from.empty()                               ? "start"
                                                                                      : options.from;
        const char* legislation = options.legislation ? domain::fb::EnumNameLegislation(*options.legislation) : "";
        const char* household =
            options.household_type ? domain::fb::EnumNameHouseholdType(*options.household_type) : "";
        return ReportAnswer(
            id, csv,
            {replay::CaseReportFileStem(options.kind), covered, options.team_id, options.caseworker_id, legislation,
             household,
             options.kind == replay::CaseReportKind::kReferrals ? replay::CaseReportFileStem(options.period) : "",
             from, from.empty() ? "as-of" : "to", options.to, csv && totals ? "totals" : ""},
            [&] { return totals ? replay::CaseReportTotalsCsv(report) : replay::CaseReportCsv(report); },
            [&] { return replay::CaseReportJson(report); });
      }, done);
      return true;
    }
    case fb::Op::CompareProjections: {
      if (std::optional<Status> refused = TakeWholeLogTurn(service_, user, &comparing_, "a comparison")) {
        done(Failed(id, *refused));
        return true;
      }
      auto ran = std::make_shared<bool>(false);
      Submit(call, [this, id, ran, &ledger]() -> Answer {
        *ran = true;
        // The dumps hold personal data: none is left behind, and the turn
        // is given back, whatever happens.
        struct Cleanup {
          Dispatcher* d;
          ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(d->scratch_dir_, ec);
            d->comparing_ = false;
          }
        } cleanup{this};
        const std::string live =
            service_.projector().Read([](const projections::Projections& state) { return state.Dump(); });
        Result<replay::RebuildComparison> cmp = replay::CompareRebuild(ledger, live, scratch_dir_);
        if (!cmp.ok()) return Failed(id, cmp.status());
        // Differing lines by kind and id only: their values may be personal
        // data (nrpf-replay rebuild --compare on the data directory shows
        // them whole, to whoever holds the master key).
        for (std::string& line : cmp->only_live) line = LineWithoutValues(line);
        for (std::string& line : cmp->only_rebuilt) line = LineWithoutValues(line);
        return JsonDocument(id, replay::RebuildComparisonJson(*cmp, ""));
      }, [this, ran, done](Answer a) {
        if (!*ran) comparing_ = false;  // refused before it ran
        done(std::move(a));
      });
      return true;
    }
    default:
      return false;
  }
}

}  // namespace nrpf::server
