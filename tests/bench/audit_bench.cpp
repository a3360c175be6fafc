// nrpf-bench audit: what an auditor waits for, on a generated caseload of at
// least 1,000,000 events: a full verify, the timeline of a case with 1,000
// events, the subject-access report of its applicant (1,000 events and the
// reads of the record), and the size of an export bundle per event.

#include <cmath>
#include <filesystem>

#include "replay/bundle.h"
#include "replay/case_history.h"
#include "replay/sar.h"
#include "tests/bench/bench_util.h"
#include "tests/bench/benchmarks.h"
#include "tests/bench/caseload.h"

namespace nrpf::bench {

namespace {

using namespace nrpf::domain;  // NOLINT

Result<CommandOutcome> Run(CaseService& s, ManualClock& clock, const std::string& actor, Command c) {
  clock.Advance(60'000'000);  // a minute between steps
  CommandRequest r;
  r.actor_user_id = actor;
  r.command = std::move(c);
  return s.Execute(r);
}

// A council, one of its caseworkers and a Home Office user of the caseload.
struct Actors {
  std::string council, caseworker, home_office;
};

Result<Actors> FindActors(const CaseService& s) {
  return s.projector().Read([](const projections::Projections& p) -> Result<Actors> {
    Actors a;
    for (const OrganisationState& o : p.Organisations()) {
      if (o.kind == fb::OrganisationKind::Council && a.council.empty()) {
        for (const UserState& u : p.Users(o.organisation_id)) {
          if (!u.deleted && !u.locked && u.role == fb::Role::CouncilUser) {
            a.council = o.organisation_id;
            a.caseworker = u.user_id;
            break;
          }
        }
      }
      if (o.kind == fb::OrganisationKind::HomeOffice && a.home_office.empty()) {
        for (const UserState& u : p.Users(o.organisation_id)) {
          if (!u.deleted && !u.locked && u.role == fb::Role::HomeOffice) {
            a.home_office = u.user_id;
            break;
          }
        }
      }
    }
    if (a.caseworker.empty() || a.home_office.empty()) return Status::NotFound("no active caseworker and Home Office user");
    return a;
  });
}

// A case of `events` events on its stream, and `reads` recorded reads: advice,
// queries both ways and their answers, status updates, as a long-running case
// would gather over years.
Result<std::string> LongCase(CaseService& s, ManualClock& clock, const Actors& a, std::uint64_t events,
                             int reads) {
  CreateCase c;
  c.caseworker_id = a.caseworker;
  c.applicant.given_names = "Synthetic";
  c.applicant.family_name = "Longcase";
  c.applicant.date_of_birth = "1980-01-01";
  c.applicant.nationality = "Synthetic";
  c.applicant.address = "1 Synthetic Street";
  c.referral_date = "2021-04-01";
  c.household_type = fb::HouseholdType::FamilyWithChildren;
  c.legislation = fb::Legislation::ChildrenAct1989S17;
  c.advised_details_shared = true;
  const std::string team = s.projector().Read([&](const projections::Projections& p) {
    const UserState* u = p.User(a.caseworker);
    return u == nullptr ? std::string() : u->team_id;
  });
  c.team_id = team;
  Result<CommandOutcome> created = Run(s, clock, a.caseworker, c);
  if (!created.ok()) return created.status();
  const std::string id = created->case_id;
  for (std::uint64_t i = 0; created->case_version < events; ++i) {
    Command next;
    switch (i % 4) {
      case 0: next = RecordAdvice{id, "2021-04-01", fb::AdvisedOf::HomeOfficeInformationReturned, "[synthetic] advice"}; break;
      case 1: next = RaiseQuery{id, fb::QueryTopic::StatusUpdate, false, fb::UrgentReason::None, "[synthetic] query"}; break;
      case 2: next = UpdateImmigrationStatus{id, fb::ImmigrationStatus::ApplicationPending, "[synthetic] pending"}; break;
      default: {
        // The Home Office answers the oldest open query.
        std::string query = s.projector().Read([&](const projections::Projections& p) {
          for (const QueryState& q : p.Case(id)->queries) {
            if (!q.answered && q.direction == fb::QueryDirection::CouncilToHomeOffice) return q.query_id;
          }
          return std::string();
        });
        if (query.empty()) continue;
        next = AnswerQuery{id, query, "[synthetic] answer"};
      }
    }
    const std::string actor = (i % 4 == 2 || i % 4 == 3) ? a.home_office : a.caseworker;
    Result<CommandOutcome> r = Run(s, clock, actor, next);
    if (!r.ok()) return r.status();
    created->case_version = r->case_version;
  }
  for (int i = 0; i < reads; ++i) {
    clock.Advance(60'000'000);
    Result<RecordedCaseRead> r = s.ReadCaseRecorded(a.caseworker, id, {"summary"});
    if (!r.ok()) return r.status();
  }
  return id;
}

}  // namespace

int RunAuditBench(const BenchArgs& args) {
  JsonReport json;
  if (!args.reuse) {
    const GeneratorOptions g = GeneratorFor(args, 1000000);
    std::fprintf(stderr, "generating %llu events of synthetic caseload into %s\n",
                 static_cast<unsigned long long>(g.max_events), args.dir.c_str());
    auto report = GenerateInto(args.dir, g);
    if (!report.ok()) {
      std::fprintf(stderr, "generate failed: %s\n", report.status().ToString().c_str());
      return 1;
    }
  }
  // The long case is set-up, not measured: no WAL syncs, like the generator.
  auto opened = OpenService(args.dir, /*sync=*/false);
  if (!opened.ok()) {
    std::fprintf(stderr, "open failed: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  Result<Actors> actors = FindActors(*opened->service);
  if (!actors.ok()) {
    std::fprintf(stderr, "%s\n", actors.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "adding a case with 1,000 events\n");
  Result<std::string> case_id = LongCase(*opened->service, *opened->clock, *actors, 1000, 100);
  if (!case_id.ok()) {
    std::fprintf(stderr, "long case: %s\n", case_id.status().ToString().c_str());
    return 1;
  }
  ledger::Ledger& l = *opened->ledger;
  const std::uint64_t events = l.Size();
  json.Set("synthetic", 1);
  json.Set("events", static_cast<double>(events));

  // The timeline of the case, decrypted as an auditor with the key reads it.
  std::vector<double> timeline_ms;
  std::size_t timeline_events = 0;
  for (int i = 0; i < 50; ++i) {
    const auto t = SteadyClock::now();
    Result<replay::CaseHistory> h = replay::ReadCaseHistory(l, *case_id);
    timeline_ms.push_back(SecondsSince(t) * 1e3);
    if (!h.ok()) {
      std::fprintf(stderr, "timeline: %s\n", h.status().ToString().c_str());
      return 1;
    }
    timeline_events = h->entries.size();
  }
  json.Set("case_timeline_events", static_cast<double>(timeline_events));
  json.Set("case_timeline_ms_p50", Percentile(timeline_ms, 50));
  json.Set("case_timeline_ms_p99", Percentile(timeline_ms, 99));

  // The applicant's subject-access report, with every record's proof, as JSON and HTML.
  std::vector<double> sar_ms;
  std::size_t sar_records = 0;
  for (int i = 0; i < 11; ++i) {
    const auto t = SteadyClock::now();
    replay::SarOptions so;
    so.decrypt = true;
    Result<replay::SubjectAccessReport> r = replay::BuildSubjectAccessReport(l, {ApplicantSubject(*case_id)}, so);
    if (!r.ok()) {
      std::fprintf(stderr, "sar: %s\n", r.status().ToString().c_str());
      return 1;
    }
    const std::size_t size = replay::SarJson(*r).size() + replay::SarHtml(*r).size();
    sar_ms.push_back(SecondsSince(t) * 1e3);
    sar_records = r->evidence.size();
    if (size == 0) return 1;
  }
  json.Set("sar_events", static_cast<double>(sar_records));
  json.Set("sar_ms", Percentile(sar_ms, 50));

  // An export of the case: bytes per event.
  replay::ExportSelection sel;
  sel.kind = replay::ExportSelection::Kind::kCase;
  sel.id = *case_id;
  Result<std::string> bundle = replay::ExportBundle(l, sel);
  if (!bundle.ok()) {
    std::fprintf(stderr, "export: %s\n", bundle.status().ToString().c_str());
    return 1;
  }
  const replay::BundleCheck check = replay::VerifyBundle(*bundle);
  if (!check.ok) {
    std::fprintf(stderr, "the export does not verify: %s\n", check.reason.c_str());
    return 1;
  }
  json.Set("export_events", static_cast<double>(check.records));
  json.Set("export_bytes_per_event", static_cast<double>(bundle->size()) / static_cast<double>(check.records));

  // A full verify of the whole log, on every core.
  std::fprintf(stderr, "verifying %llu events\n", static_cast<unsigned long long>(events));
  const auto t = SteadyClock::now();
  const ledger::VerifyReport v = l.Verify({});
  const double verify_s = SecondsSince(t);
  if (!v.ok) {
    std::fprintf(stderr, "verify failed at %llu: %s\n", static_cast<unsigned long long>(v.first_bad_position.value_or(0)),
                 v.reason.c_str());
    return 1;
  }
  json.Set("verify_s", verify_s);
  json.Set("verify_1m_s", verify_s * 1e6 / static_cast<double>(v.events_checked));
  json.Set("peak_rss_mb", std::round(PeakRssMb()));
  std::printf("%s\n", json.ToString().c_str());
  CloseAndClean(args, &opened);
  return 0;
}

}  // namespace nrpf::bench
