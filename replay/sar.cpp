#include "replay/sar.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "domain/events.h"
#include "ledger/coding.h"
#include "projections/projector.h"
#include "replay/report_json.h"

namespace nrpf::replay {

using nlohmann::json;

namespace {

// "case-17/applicant" -> "17".
std::string CaseOfSubject(const std::string& subject) {
  if (subject.rfind("case-", 0) != 0) return {};
  const std::size_t slash = subject.find('/');
  return slash == std::string::npos ? std::string() : subject.substr(5, slash - 5);
}

// Whether a field describes a person who is not the requester. An
// assessment ("assessment[AS1].*") is of its subject, and what is sealed of
// it (answers, outcome, reasons: "assessment[AS1].sealed*") is the
// household's circumstances as the applicant gave them, under the
// applicant's subject: the applicant sees their assessments and those of
// their children, a dependant only that one of them was made.
bool OtherPerson(std::string_view field, const domain::CaseState& c, const std::set<std::string>& mine) {
  const std::string& applicant_subject = c.applicant.subject;
  if (field.rfind("assessment[", 0) == 0) {
    if (mine.count(applicant_subject) != 0) return false;
    const std::size_t end = field.find(']');
    if (end == std::string_view::npos || field.substr(end).rfind("].sealed", 0) == 0) return true;
    const std::string_view id = field.substr(11, end - 11);
    for (const domain::AssessmentRecord& a : c.assessments) {
      if (a.assessment_id == id) return mine.count(a.subject) == 0;
    }
    return true;
  }
  if (field.rfind("applicant.", 0) == 0) return mine.count(applicant_subject) == 0;
  if (field.rfind("dependant[", 0) == 0) {
    const std::size_t end = field.find(']');
    return end == std::string_view::npos || mine.count(std::string(field.substr(10, end - 10))) == 0;
  }
  return false;
}

void Redact(std::vector<Change>* changes, const domain::CaseState& c, const std::set<std::string>& mine) {
  changes->erase(std::remove_if(changes->begin(), changes->end(),
                                [&](const Change& change) { return OtherPerson(change.field, c, mine); }),
                 changes->end());
}

std::string B64(std::string_view s) { return ledger::Base64Encode(s); }

std::string Html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> FindPersonSubjects(const projections::Projections& state,
                                                    projections::SearchQuery q) {
  if (q.name.empty() && q.date_of_birth.empty() && q.home_office_reference.empty() && q.document_number.empty()) {
    return Status::InvalidArgument("describe the person: a name, date of birth, reference or document number")
        .WithReason("invalid_subject");
  }
  q.limit = 1000;
  std::vector<std::string> subjects;
  for (const projections::SearchHit& h : state.Search(q)) {
    const bool all = (q.name.empty() || h.name_matched) && (q.date_of_birth.empty() || h.date_of_birth_matched) &&
                     ((q.home_office_reference.empty() && q.document_number.empty()) || h.reference_matched);
    if (all) subjects.push_back(h.subject);
  }
  if (subjects.empty()) return Status::NotFound("no case person matches every detail given").WithReason("person_not_found");
  return subjects;
}

Result<SubjectAccessReport> BuildSubjectAccessReport(const ledger::Ledger& ledger,
                                                     const std::vector<std::string>& subjects,
                                                     const SarOptions& options) {
  SubjectAccessReport report;
  report.subjects = subjects;
  report.decrypted = options.decrypt;
  report.generated_at_us = options.now_us;
  report.tree_size = ledger.Size();
  if (report.tree_size == 0) return Status::NotFound("the log is empty");
  Result<std::string> note = ledger.SignedCheckpoint(report.tree_size);
  if (!note.ok()) return note.status();
  report.checkpoint = *note;

  // The cases the person appears in, and which of their subjects each holds.
  std::map<std::string, std::set<std::string>> cases;
  for (const std::string& s : subjects) {
    const std::string case_id = CaseOfSubject(s);
    if (case_id.empty()) return Status::InvalidArgument("subject " + s + " is not a case's applicant or dependant");
    cases[case_id].insert(s);
  }
  std::map<std::uint64_t, std::string> cited;  // position -> record bytes
  HistoryOptions ho;
  ho.open_sealed = options.decrypt;
  ho.keep_records = true;
  for (const auto& [case_id, mine] : cases) {
    Result<CaseHistory> h = ReadCaseHistory(ledger, case_id, ho);
    if (!h.ok()) {
      if (h.status().code() == Code::kNotFound) continue;
      return h.status();
    }
    const domain::CaseState& c = h->state;
    const bool named = mine.count(c.applicant.subject) != 0 ||
                       std::any_of(c.dependants.begin(), c.dependants.end(),
                                   [&](const domain::PersonState& d) { return mine.count(d.subject) != 0; });
    if (!named) continue;
    SarCase sc;
    sc.case_id = case_id;
    sc.organisation_id = c.organisation_id;
    sc.subjects.assign(mine.begin(), mine.end());
    for (TimelineEntry& e : h->entries) Redact(&e.changes, c, mine);
    for (ledger::StoredEvent& e : h->records) cited.emplace(e.position, std::move(e.bytes));
    h->records.clear();
    Fields state = FlattenCase(c);
    state.erase(std::remove_if(state.begin(), state.end(),
                               [&](const auto& f) { return OtherPerson(f.first, c, mine); }),
                state.end());
    sc.state = std::move(state);
    // The look-up the case was created from holds the person's document
    // number and date of birth.
    if (!c.rtpf_lookup_id.empty()) {
      Result<std::vector<ledger::StoredEvent>> lookup = ledger.ReadSubject(domain::RtpfSubject(c.rtpf_lookup_id), 0, 16);
      if (!lookup.ok()) return lookup.status();
      for (const ledger::StoredEvent& e : *lookup) {
        const ledger::fb::Record* r = e.record();
        TimelineEntry t;
        t.position = e.position;
        t.recorded_at_us = r->recorded_at_us();
        t.stream = r->stream_id() ? r->stream_id()->str() : "";
        t.stream_version = r->stream_version();
        t.type = r->event_type() ? r->event_type()->str() : "";
        if (const ledger::fb::Actor* a = r->actor()) {
          t.actor_user = a->user_id() ? a->user_id()->str() : "";
          t.actor_organisation = a->organisation_id() ? a->organisation_id()->str() : "";
          t.actor_role = a->role() ? a->role()->str() : "";
        }
        Result<bool> gone = ledger.IsShredded(domain::RtpfSubject(c.rtpf_lookup_id));
        if (gone.ok() && *gone) t.erased.push_back(domain::RtpfSubject(c.rtpf_lookup_id));
        report.lookups.push_back(std::move(t));
        cited.emplace(e.position, e.bytes);
      }
    }
    sc.history = std::move(*h);
    report.cases.push_back(std::move(sc));
  }
  if (report.cases.empty()) return Status::NotFound("the log holds nothing about these subjects").WithReason("subject_not_found");

  std::vector<std::uint64_t> positions;
  for (const auto& [p, bytes] : cited) positions.push_back(p);
  Result<std::vector<std::vector<ledger::Hash>>> proofs = ledger.ProveInclusions(positions, report.tree_size);
  if (!proofs.ok()) return proofs.status();
  std::size_t i = 0;
  for (auto& [p, bytes] : cited) report.evidence.push_back({p, std::move(bytes), std::move((*proofs)[i++])});
  return report;
}

std::string SarJson(const SubjectAccessReport& r) {
  json cases = json::array();
  for (const SarCase& c : r.cases) {
    json timeline = json::array();
    json reads = json::array();
    for (const TimelineEntry& e : c.history.entries) {
      if (e.type == domain::event_type::kCaseAccessed) {
        reads.push_back({{"position", e.position},
                         {"recorded_at", FormatTime(e.recorded_at_us)},
                         {"by", {{"user", e.actor_user}, {"organisation", e.actor_organisation}, {"role", e.actor_role}}},
                         {"read", e.read}});
      } else {
        timeline.push_back(TimelineEntryJson(e));
      }
    }
    cases.push_back({{"case_id", c.case_id},
                     {"organisation", c.organisation_id},
                     {"subjects", c.subjects},
                     {"history", std::move(timeline)},
                     {"accessed_by", std::move(reads)},
                     {"state", FieldsJson(c.state)}});
  }
  json lookups = json::array();
  for (const TimelineEntry& e : r.lookups) lookups.push_back(TimelineEntryJson(e));
  json evidence = json::array();
  for (const SarEvidence& e : r.evidence) {
    json proof = json::array();
    for (const ledger::Hash& h : e.proof) proof.push_back(B64(ledger::AsBytes(h)));
    evidence.push_back({{"position", e.position}, {"record", B64(e.record)}, {"proof", std::move(proof)}});
  }
  json j = {{"format", "nrpf-subject-access/1"},
            {"subjects", r.subjects},
            {"decrypted", r.decrypted},
            {"generated_at", FormatTime(r.generated_at_us)},
            {"tree_size", r.tree_size},
            {"checkpoint", r.checkpoint},
            {"cases", std::move(cases)},
            {"rtpf_lookups", std::move(lookups)},
            {"evidence", std::move(evidence)}};
  return j.dump();
}

std::string SarHtml(const SubjectAccessReport& r) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Subject access report</title>\n"
       "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
       "table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #999;padding:.3em;"
       "text-align:left;vertical-align:top;font-size:.9em}th{background:#eee}code{font-size:.8em;word-break:break-all}"
       "</style></head><body>\n";
  h += "<h1>Subject access report</h1>\n<p>Generated " + Html(FormatTime(r.generated_at_us)) + " from the case ledger at " +
       std::to_string(r.tree_size) + " events. Subjects: ";
  for (std::size_t i = 0; i < r.subjects.size(); ++i) h += (i ? ", " : "") + Html(r.subjects[i]);
  h += ".</p>\n<p>";
  h += r.decrypted ? "Personal data is shown as recorded. Details of other people in the same case are left out."
                   : "Personal data is not decrypted in this copy: it reads [sealed].";
  h += " Data that was erased reads [erased].</p>\n";
  for (const SarCase& c : r.cases) {
    h += "<h2>Case " + Html(c.case_id) + " (" + Html(c.organisation_id) + ")</h2>\n<h3>What is held now</h3>\n<table>";
    for (const auto& [k, v] : c.state) h += "<tr><th>" + Html(k) + "</th><td>" + Html(v) + "</td></tr>";
    h += "</table>\n<h3>History</h3>\n<table><tr><th>When</th><th>Who</th><th>What</th><th>Changes</th></tr>\n";
    std::string reads;
    for (const TimelineEntry& e : c.history.entries) {
      const std::string who = Html(e.actor_user) + " (" + Html(e.actor_organisation) + ", " + Html(e.actor_role) + ")";
      if (e.type == domain::event_type::kCaseAccessed) {
        std::string what;
        for (const std::string& w : e.read) what += (what.empty() ? "" : ", ") + Html(w);
        reads += "<tr><td>" + Html(FormatTime(e.recorded_at_us)) + "</td><td>" + who + "</td><td>" + what + "</td></tr>\n";
        continue;
      }
      h += "<tr><td>" + Html(FormatTime(e.recorded_at_us)) + "</td><td>" + who + "</td><td>" + Html(e.type) +
           " <small>(#" + std::to_string(e.position) + ")</small></td><td>";
      for (const Change& ch : e.changes) {
        h += Html(ch.field) + ": " + (ch.before.empty() ? "" : Html(ch.before) + " &rarr; ") + Html(ch.after) + "<br>";
      }
      if (!e.erased.empty()) h += "<em>personal data erased</em>";
      h += "</td></tr>\n";
    }
    h += "</table>\n<h3>Who looked at the record</h3>\n";
    h += reads.empty() ? "<p>No recorded reads.</p>\n"
                       : "<table><tr><th>When</th><th>Who</th><th>What was read</th></tr>\n" + reads + "</table>\n";
  }
  if (!r.lookups.empty()) {
    h += "<h2>Right to public funds look-ups</h2>\n<table><tr><th>When</th><th>Who</th><th>Record</th></tr>\n";
    for (const TimelineEntry& e : r.lookups) {
      h += "<tr><td>" + Html(FormatTime(e.recorded_at_us)) + "</td><td>" + Html(e.actor_user) + " (" +
           Html(e.actor_organisation) + ")</td><td>#" + std::to_string(e.position) +
           (e.erased.empty() ? "" : " <em>erased</em>") + "</td></tr>\n";
    }
    h += "</table>\n";
  }
  h += "<h2>Evidence</h2>\n<p>Every event above is in the signed checkpoint below; the JSON form of this report "
       "carries each record and its inclusion proof (docs/audit.md).</p>\n<pre>" +
       Html(r.checkpoint) + "</pre>\n</body></html>\n";
  return h;
}

}  // namespace nrpf::replay
