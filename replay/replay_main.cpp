// nrpf-replay: the auditor's tool. Works offline on a data directory, opened
// read-only (safe beside a running server), or on an export bundle with no
// database at all. docs/audit.md describes every subcommand.
//
//   nrpf-replay verify  (--data-dir DIR [--from P] [--to P] | --bundle FILE) [--trusted-key VKEY]...
//   nrpf-replay case    --data-dir DIR CASE_ID [--as-of TIME] [--no-decrypt]
//   nrpf-replay rebuild --data-dir DIR --compare [--live DUMP] [--scratch DIR] [--no-decrypt]
//   nrpf-replay export  --data-dir DIR (--case ID | --organisation ID | --range FROM:TO)
//                       [--tree-size N] [--out FILE]
//   nrpf-replay sar     --data-dir DIR (--subject S... | --name N [--dob D] [--reference R] [--document D])
//                       [--html FILE] [--out FILE] [--no-decrypt]
//   nrpf-replay proof   --data-dir DIR (--position P [--size N] | --consistency OLD NEW)
//   nrpf-replay sla     --data-dir DIR --from TIME --to TIME [--council ID] [--as-of TIME] [--csv]
//   nrpf-replay report  --data-dir DIR --report KIND [--from DATE] [--to DATE] [--council ID]
//                       [--period P] [--csv [--totals]] [--no-decrypt]
//
// Common: --master-key FILE (default DIR/master.key; without it personal data
// stays sealed), --json (machine-readable output on stdout).
// Exit codes: 0 success; 1 verification failed or projections differ;
// 2 bad usage; 3 not found; 4 any other error.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "domain/calendar.h"
#include "domain/decide.h"
#include "ledger/clock.h"
#include "ledger/coding.h"
#include "ledger/ledger.h"
#include "projections/projector.h"
#include "replay/bundle.h"
#include "replay/case_history.h"
#include "replay/case_report.h"
#include "replay/rebuild_compare.h"
#include "replay/report_json.h"
#include "replay/sar.h"
#include "replay/sla_report.h"

namespace {

using namespace nrpf;
using nlohmann::json;

enum Exit { kOk = 0, kFailed = 1, kUsage = 2, kNotFound = 3, kError = 4 };

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;  // --name -> values
  bool Has(const std::string& f) const { return flags.count(f) != 0; }
  std::string Get(const std::string& f, const std::string& fallback = "") const {
    auto it = flags.find(f);
    return it == flags.end() || it->second.empty() ? fallback : it->second.back();
  }
};

// Flags that take no value.
bool IsSwitch(const std::string& f) {
  return f == "--json" || f == "--no-decrypt" || f == "--compare" || f == "--csv" || f == "--totals" ||
         f == "--help";
}

int Usage() {
  std::fprintf(stderr,
               "usage: nrpf-replay verify  (--data-dir DIR [--from P] [--to P] | --bundle FILE) [--trusted-key VKEY]...\n"
               "       nrpf-replay case    --data-dir DIR CASE_ID [--as-of TIME] [--no-decrypt]\n"
               "       nrpf-replay rebuild --data-dir DIR --compare [--live DUMP] [--scratch DIR] [--no-decrypt]\n"
               "       nrpf-replay export  --data-dir DIR (--case ID | --organisation ID | --range FROM:TO)\n"
               "                           [--tree-size N] [--out FILE]\n"
               "       nrpf-replay sar     --data-dir DIR (--subject S... | --name N [--dob D] [--reference R]\n"
               "                           [--document D]) [--html FILE] [--out FILE] [--no-decrypt]\n"
               "       nrpf-replay proof   --data-dir DIR (--position P [--size N] | --consistency OLD NEW)\n"
               "       nrpf-replay sla     --data-dir DIR --from TIME --to TIME [--council ID] [--as-of TIME] [--csv]\n"
               "       nrpf-replay report  --data-dir DIR --report KIND [--from DATE] [--to DATE] [--council ID]\n"
               "                           [--period P] [--csv [--totals]] [--no-decrypt]\n"
               "common: --master-key FILE, --json. TIME is YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC).\n");
  return kUsage;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "nrpf-replay: %s\n", s.ToString().c_str());
  return s.code() == Code::kNotFound ? kNotFound : s.code() == Code::kInvalidArgument ? kUsage : kError;
}

std::optional<std::int64_t> ParseTime(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  const int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail);
  if (!(n == 3 || (n == 7 && tail == 'Z'))) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  const auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(s);
  return duration_cast<microseconds>(t.time_since_epoch()).count();
}

std::optional<std::uint64_t> ParseNumber(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(text);
  } catch (...) {
    return std::nullopt;
  }
}

Result<std::unique_ptr<ledger::Ledger>> OpenDataDir(const Args& a, bool decrypt) {
  const std::string dir = a.Get("--data-dir");
  if (dir.empty()) return Status::InvalidArgument("--data-dir is required");
  ledger::LedgerOptions o;
  o.db_path = (std::filesystem::path(dir) / "ledger").string();
  // A read-only view opens sealed data only when the master key file exists;
  // a reader that must not decrypt names one that does not.
  o.master_key_path = decrypt ? a.Get("--master-key", (std::filesystem::path(dir) / "master.key").string())
                              : (std::filesystem::path(dir) / "no-master-key-for-this-reader").string();
  o.read_only = true;
  o.create_if_missing = false;
  return ledger::Ledger::Open(o);
}

std::string ReadWhole(std::istream& in) {
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> ReadFileText(const std::string& path) {
  if (path == "-") return ReadWhole(std::cin);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  return ReadWhole(in);
}

Status WriteOut(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out ? Status::Ok() : Status::IOError("cannot write " + path);
}

Result<std::vector<ledger::VerifierKey>> TrustedKeys(const Args& a) {
  std::vector<ledger::VerifierKey> keys;
  auto it = a.flags.find("--trusted-key");
  if (it == a.flags.end()) return keys;
  for (const std::string& v : it->second) {
    Result<ledger::VerifierKey> k = ledger::VerifierKey::Parse(v);
    if (!k.ok()) return Status::InvalidArgument("--trusted-key " + v + ": " + k.status().message());
    keys.push_back(*k);
  }
  return keys;
}

// ---- Subcommands.

int Verify(const Args& a) {
  Result<std::vector<ledger::VerifierKey>> trusted = TrustedKeys(a);
  if (!trusted.ok()) return Fail(trusted.status());
  if (a.Has("--bundle")) {
    Result<std::string> text = ReadFileText(a.Get("--bundle"));
    if (!text.ok()) return Fail(text.status());
    replay::BundleCheck check = replay::VerifyBundle(*text, *trusted);
    if (a.Has("--json")) {
      json j = {{"ok", check.ok}, {"records", check.records}, {"tree_size", check.checkpoint.size},
                {"root", ledger::Base64Encode(ledger::AsBytes(check.checkpoint.root))}, {"keys", check.keys}};
      if (!check.ok) {
        j["reason"] = check.reason;
        j["position"] = check.position ? json(*check.position) : json(nullptr);
      }
      std::printf("%s\n", j.dump().c_str());
    } else if (check.ok) {
      std::printf("bundle verified: %llu records in the checkpoint of %llu events, signed by %s\n",
                  static_cast<unsigned long long>(check.records),
                  static_cast<unsigned long long>(check.checkpoint.size), check.keys.back().c_str());
      if (trusted->empty()) std::printf("genesis key (compare it with the published one): %s\n", check.keys.front().c_str());
    } else {
      std::printf("bundle REJECTED%s: %s\n",
                  check.position ? (" at position " + std::to_string(*check.position)).c_str() : "", check.reason.c_str());
    }
    return check.ok ? kOk : kFailed;
  }
  Result<std::unique_ptr<ledger::Ledger>> l = OpenDataDir(a, false);
  if (!l.ok()) return Fail(l.status());
  ledger::VerifyOptions vo;
  vo.trusted_keys = *trusted;
  if (a.Has("--from")) {
    auto from = ParseNumber(a.Get("--from"));
    if (!from) return Usage();
    vo.from = *from;
  }
  if (a.Has("--to")) {
    auto to = ParseNumber(a.Get("--to"));
    if (!to) return Usage();
    vo.up_to = *to;
  }
  const ledger::VerifyReport r = (*l)->Verify(vo);
  if (a.Has("--json")) {
    json j = {{"ok", r.ok}, {"events_checked", r.events_checked}, {"signing_keys", r.signing_keys}};
    if (r.ok) {
      j["checkpoint"] = {{"origin", r.checkpoint.origin}, {"size", r.checkpoint.size},
                         {"root", ledger::Base64Encode(ledger::AsBytes(r.checkpoint.root))}};
    } else {
      j["first_bad_position"] = r.first_bad_position ? json(*r.first_bad_position) : json(nullptr);
      j["reason"] = r.reason;
    }
    std::printf("%s\n", j.dump().c_str());
  } else if (r.ok) {
    std::printf("log verified: %llu events from position %llu, tree size %llu, root %s\n",
                static_cast<unsigned long long>(r.events_checked), static_cast<unsigned long long>(vo.from),
                static_cast<unsigned long long>(r.checkpoint.size),
                ledger::Base64Encode(ledger::AsBytes(r.checkpoint.root)).c_str());
    for (const std::string& k : r.signing_keys) std::printf("signing key: %s\n", k.c_str());
  } else {
    std::printf("log FAILED verification at position %llu: %s\n",
                static_cast<unsigned long long>(r.first_bad_position.value_or(0)), r.reason.c_str());
  }
  return r.ok ? kOk : kFailed;
}

int Case(const Args& a) {
  if (a.positional.size() != 1) return Usage();
  replay::HistoryOptions ho;
  ho.open_sealed = !a.Has("--no-decrypt");
  if (a.Has("--as-of")) {
    ho.as_of_us = ParseTime(a.Get("--as-of"));
    if (!ho.as_of_us) return Usage();
  }
  Result<std::unique_ptr<ledger::Ledger>> l = OpenDataDir(a, ho.open_sealed);
  if (!l.ok()) return Fail(l.status());
  Result<replay::CaseHistory> h = replay::ReadCaseHistory(**l, a.positional[0], ho);
  if (!h.ok()) return Fail(h.status());
  if (a.Has("--json")) {
    std::printf("%s\n", replay::CaseHistoryJson(*h).dump(1).c_str());
    return kOk;
  }
  std::printf("case %s%s, %zu events\n", h->case_id.c_str(),
              h->as_of_us ? (" as of " + replay::FormatTime(*h->as_of_us)).c_str() : "", h->entries.size());
  for (const replay::TimelineEntry& e : h->entries) {
    std::printf("%s  #%llu  %-34s by %s (%s, %s)\n", replay::FormatTime(e.recorded_at_us).c_str(),
                static_cast<unsigned long long>(e.position), e.type.c_str(), e.actor_user.c_str(),
                e.actor_organisation.c_str(), e.actor_role.c_str());
    for (const replay::Change& c : e.changes) {
      std::printf("      %s: %s -> %s\n", c.field.c_str(), c.before.empty() ? "(none)" : c.before.c_str(),
                  c.after.empty() ? "(none)" : c.after.c_str());
    }
    if (!e.read.empty()) {
      std::string what;
      for (const std::string& w : e.read) what += (what.empty() ? "" : ", ") + w;
      std::printf("      read: %s\n", what.c_str());
    }
    if (!e.erased.empty()) std::printf("      personal data erased since\n");
  }
  std::printf("state:\n");
  for (const auto& [k, v] : replay::FlattenCase(h->state)) std::printf("  %s = %s\n", k.c_str(), v.c_str());
  return kOk;
}

int Rebuild(const Args& a) {
  if (!a.Has("--compare")) return Usage();
  const bool decrypt = !a.Has("--no-decrypt");
  Result<std::unique_ptr<ledger::Ledger>> l = OpenDataDir(a, decrypt);
  if (!l.ok()) return Fail(l.status());
  std::string live;
  if (a.Has("--live")) {
    Result<std::string> text = ReadFileText(a.Get("--live"));
    if (!text.ok()) return Fail(text.status());
    live = std::move(*text);
  } else {
    Result<std::string> followed = replay::FollowedDump(**l, (*l)->Size());
    if (!followed.ok()) return Fail(followed.status());
    live = std::move(*followed);
  }
  const std::string scratch = a.Get("--scratch", (std::filesystem::temp_directory_path() / "nrpf-rebuild").string());
  Result<replay::RebuildComparison> cmp = replay::CompareRebuild(**l, live, scratch);
  if (!cmp.ok()) return Fail(cmp.status());
  if (a.Has("--json")) {
    std::printf("%s\n", replay::RebuildComparisonJson(*cmp, scratch).dump(1).c_str());
  } else if (cmp->equal()) {
    std::printf("projections rebuilt from %llu events equal the live ones (%zu lines; dumps in %s)\n",
                static_cast<unsigned long long>(cmp->position), cmp->rebuilt_lines, scratch.c_str());
  } else {
    std::printf("projections DIFFER at position %llu (rebuilt %zu lines, live %zu; dumps in %s)\n",
                static_cast<unsigned long long>(cmp->position), cmp->rebuilt_lines, cmp->live_lines, scratch.c_str());
    for (const std::string& s : cmp->only_rebuilt) std::printf("  rebuilt only: %s\n", s.c_str());
    for (const std::string& s : cmp->only_live) std::printf("  live only:    %s\n", s.c_str());
  }
  return cmp->equal() ? kOk : kFailed;
}

int Export(const Args& a) {
  replay::ExportSelection sel;
  if (a.Has("--case")) {
    sel.kind = replay::ExportSelection::Kind::kCase;
    sel.id = a.Get("--case");
  } else if (a.Has("--organisation")) {
    sel.kind = replay::ExportSelection::Kind::kOrganisation;
    sel.id = a.Get("--organisation");
  } else if (a.Has("--range")) {
    const std::string r = a.Get("--range");
    const std::size_t colon = r.find(':');
    auto from = ParseNumber(r.substr(0, colon));
    auto to = colon == std::string::npos ? std::nullopt : ParseNumber(r.substr(colon + 1));
    if (!from || !to) return Usage();
    sel.kind = replay::ExportSelection::Kind::kRange;
    sel.from = *from;
    sel.to = *to;
  } else {
    return Usage();
  }
  replay::ExportOptions eo;
  if (a.Has("--tree-size")) {
    eo.tree_size = ParseNumber(a.Get("--tree-size"));
    if (!eo.tree_size) return Usage();
  }
  Result<std::unique_ptr<ledger::Ledger>> l = OpenDataDir(a, false);
  if (!l.ok()) return Fail(l.status());
  Result<std::string> bundle = replay::ExportBundle(**l, sel, eo);
  if (!bundle.ok()) return Fail(bundle.status());
  Status s = WriteOut(a.Get("--out"), *bundle);
  return s.ok() ? kOk : Fail(s);
}

// The subjects of the person named by --name/--dob/--reference/--document,
// in every council.
Result<std::vector<std::string>> FindPerson(const ledger::Ledger& ledger, const Args& a) {
  Result<std::unique_ptr<projections::Projections>> state = projections::Rebuild(ledger);
  if (!state.ok()) return state.status();
  projections::SearchQuery q;
  q.name = a.Get("--name");
  q.date_of_birth = a.Get("--dob");
  q.home_office_reference = a.Get("--reference");
  q.document_number = a.Get("--document");
  for (const auto& [org, cases] : (*state)->organisation_cases()) q.organisations.push_back(org);
  return replay::FindPersonSubjects(**state, std::move(q));
}

int Sar(const Args& a) {
  const bool decrypt = !a.Has("--no-decrypt");
  Result<std::unique_ptr<ledger::Ledger>> l = OpenDataDir(a, true);
  if (!l.ok()) return Fail(l.status());
  std::vector<std::string> subjects;
  if (auto it = a.flags.find("--subject"); it != a.flags.end()) subjects = it->second;
  if (subjects.empty()) {
    if (!a.Has("--name") && !a.Has("--dob") && !a.Has("--reference") && !a.Has("--document")) return Usage();
    Result<std::vector<std::string>> found = FindPerson(**l, a);
    if (!found.ok()) return Fail(found.status());
    subjects = std::move(*found);
  }
  replay::SarOptions so;
  so.decrypt = decrypt;
  so.now_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  Result<replay::SubjectAccessReport> report = replay::BuildSubjectAccessReport(**l, subjects, so);
  if (!report.ok()) return Fail(report.status());
  if (a.Has("--html")) {
    Status s = WriteOut(a.Get("--html"), replay::SarHtml(*report));
    if (!s.ok()) return Fail(s);
  }
  if (a.Has("--out") || a.Has("--json") || !a.Has("--html")) {
    Status s = WriteOut(a.Get("--out"), replay::SarJson(*report));
    if (!s.ok()) return Fail(s);
  }
  std::fprintf(stderr, "subject access report: %zu subjects, %zu cases, %zu records with proofs\n",
               report->subjects.size(), report->cases.size(), report->evidence.size());
  return kOk;
}

int Proof(const Args& a) {
  Result<std::unique_ptr<ledger::Ledger>> l = OpenDataDir(a, false);
  if (!l.ok()) return Fail(l.status());
  const ledger::Ledger& led = **l;
  std::optional<Result<json>> out;
  if (a.Has("--consistency")) {
    const auto& vals = a.flags.at("--consistency");
    if (vals.size() != 1 || a.positional.size() != 1) return Usage();
    auto old_size = ParseNumber(vals[0]);
    auto new_size = ParseNumber(a.positional[0]);
    if (!old_size || !new_size) return Usage();
    out = replay::ConsistencyProofJson(led, *old_size, *new_size);
  } else if (a.Has("--position")) {
    auto pos = ParseNumber(a.Get("--position"));
    auto size = a.Has("--size") ? ParseNumber(a.Get("--size")) : std::optional<std::uint64_t>(led.Size());
    if (!pos || !size) return Usage();
    out = replay::InclusionProofJson(led, *pos, *size);
  } else {
    return Usage();
  }
  if (!out->ok()) return Fail(out->status());
  std::printf("%s\n", (*out)->dump(1).c_str());
  return kOk;
}

int Sla(const Args& a) {
  auto from = ParseTime(a.Get("--from"));
  auto to = ParseTime(a.Get("--to"));
  if (!from || !to) return Usage();
  replay::SlaReportOptions so;
  so.from_us = *from;
  so.to_us = *to;
  so.organisation_id = a.Get("--council");
  if (a.Has("--as-of")) {
    auto as_of = ParseTime(a.Get("--as-of"));
    if (!as_of) return Usage();
    so.as_of_us = *as_of;
  }
  Result<std::unique_ptr<ledger::Ledger>> l = OpenDataDir(a, false);
  if (!l.ok()) return Fail(l.status());
  Result<std::unique_ptr<projections::Projections>> state = projections::Rebuild(**l);
  if (!state.ok()) return Fail(state.status());
  const replay::SlaReport r = replay::BuildSlaReport(**state, so);
  if (a.Has("--csv")) {
    const std::string csv = replay::SlaReportCsv(r);
    std::fwrite(csv.data(), 1, csv.size(), stdout);
  } else if (a.Has("--json")) {
    std::printf("%s\n", replay::SlaReportJson(r).c_str());
  } else {
    std::printf("%-28s %-12s %-20s %6s %8s %7s %9s\n", "clock", "party", "council", "met", "breached", "running",
                "cancelled");
    for (const replay::SlaTotals& t : r.totals) {
      std::printf("%-28s %-12s %-20s %6u %8u %7u %9u\n", t.clock.c_str(), t.party.c_str(), t.organisation.c_str(),
                  t.met, t.breached, t.running, t.cancelled);
    }
  }
  return kOk;
}

// The councils' case reports (replay/case_report.h), as the server's
// case_report answers them; the referrals' nationality totals need the
// master key (--no-decrypt: "(not recorded)").
int Report(const Args& a) {
  const std::optional<replay::CaseReportKind> kind = replay::CaseReportFromName(a.Get("--report"));
  const std::optional<replay::ReportPeriod> period = replay::ReportPeriodFromName(a.Get("--period", "month"));
  if (!kind || !period) return Usage();
  // As the server refuses them: a period counts Referrals only; totals are a CSV.
  if ((a.Has("--period") && *kind != replay::CaseReportKind::kReferrals) || (a.Has("--totals") && !a.Has("--csv"))) {
    return Usage();
  }
  replay::CaseReportOptions ro;
  ro.kind = *kind;
  ro.period = *period;
  ro.now_us = SystemClock::Default()->NowMicros();
  ro.from = a.Get("--from");
  ro.to = a.Get("--to", domain::IsoDate(domain::LondonDate(ro.now_us)));
  if ((!ro.from.empty() && !domain::IsIsoDate(ro.from)) || !domain::IsIsoDate(ro.to)) return Usage();
  if (!ro.from.empty() && ro.from > ro.to) return Fail(Status::InvalidArgument("--from is after --to"));
  Result<std::unique_ptr<ledger::Ledger>> l = OpenDataDir(a, !a.Has("--no-decrypt"));
  if (!l.ok()) return Fail(l.status());
  Result<std::unique_ptr<projections::Projections>> state = projections::Rebuild(**l);
  if (!state.ok()) return Fail(state.status());
  if (a.Has("--council")) {
    const domain::OrganisationState* council = (*state)->Organisation(a.Get("--council"));
    if (council == nullptr || council->kind != domain::fb::OrganisationKind::Council) {
      return Fail(Status::NotFound("no council " + a.Get("--council") + " in the log"));
    }
    ro.organisations.push_back(council->organisation_id);
  } else {
    for (const domain::OrganisationState& o : (*state)->Organisations()) {
      if (o.kind == domain::fb::OrganisationKind::Council) ro.organisations.push_back(o.organisation_id);
    }
  }
  const replay::CaseReport r = replay::BuildCaseReport(**state, ro);
  const std::string out = !a.Has("--csv")   ? replay::CaseReportJson(r) + "\n"
                          : a.Has("--totals") ? replay::CaseReportTotalsCsv(r)
                                              : replay::CaseReportCsv(r);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) {
      if (IsSwitch(arg)) {
        a.flags[arg];
      } else if (i + 1 < argc) {
        a.flags[arg].push_back(argv[++i]);
      } else {
        return Usage();
      }
    } else {
      a.positional.push_back(arg);
    }
  }
  if (a.Has("--help")) {
    Usage();
    return kOk;
  }
  if (a.command == "verify") return Verify(a);
  if (a.command == "case") return Case(a);
  if (a.command == "rebuild") return Rebuild(a);
  if (a.command == "export") return Export(a);
  if (a.command == "sar") return Sar(a);
  if (a.command == "proof") return Proof(a);
  if (a.command == "sla") return Sla(a);
  if (a.command == "report") return Report(a);
  return Usage();
}
