#include "replay/case_history.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "domain/events.h"
#include "domain/fold.h"
#include "projections/projector.h"

namespace nrpf::replay {

namespace t = ::nrpf::domain::event_type;

namespace {

std::string Str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

// The alert or query an event names, to flatten just that item before and after.
std::string ItemOf(const domain::EventView& v) {
  if (v.body == nullptr) return {};
  if (v.type == t::kAlertClosed) return Str(v.Body<domain::fb::AlertClosed>()->alert_id());
  if (v.type == t::kQueryAnswered) return Str(v.Body<domain::fb::QueryAnswered>()->query_id());
  return {};
}

// How many of each kind of item a case held before an event: the items
// from there on are the ones it added.
struct ItemCounts {
  explicit ItemCounts(const domain::CaseState& c)
      : alerts(c.alerts.size()), queries(c.queries.size()), advice(c.advice.size()),
        assessments(c.assessments.size()) {}
  std::size_t alerts, queries, advice, assessments;
};

// The fields an event of this kind may change, of `c` as it stands.
Fields Touched(const domain::CaseState& c, unsigned sections, const std::string& item, const ItemCounts& from) {
  Fields f;
  if (!c.exists()) return f;  // before the case was created: nothing to change from
  f.reserve(16);
  if (sections & kScalars) FlattenScalars(c, &f, sections);
  if (sections & kPeople) FlattenPeople(c, &f);
  if (sections & kAlertItems) {
    for (std::size_t i = 0; i < c.alerts.size(); ++i) {
      if (i >= from.alerts || c.alerts[i].alert_id == item || sections == kAllSections) FlattenAlert(c.alerts[i], &f);
    }
  }
  if (sections & kQueryItems) {
    for (std::size_t i = 0; i < c.queries.size(); ++i) {
      if (i >= from.queries || c.queries[i].query_id == item || sections == kAllSections) {
        FlattenQuery(c, c.queries[i], &f);
      }
    }
  }
  if (sections & kAdviceItems) {
    for (std::size_t i = from.advice; i < c.advice.size(); ++i) FlattenAdvice(c.advice[i], i, &f);
  }
  if (sections & kAssessmentItems) {
    // An erasure (every section) shows each assessment's sealed part go.
    const std::size_t first = sections == kAllSections ? 0 : from.assessments;
    for (std::size_t i = first; i < c.assessments.size(); ++i) {
      FlattenAssessment(c.assessments[i], c.personal_data_erased, &f);
    }
  }
  return f;
}

// Leaves out the assessments of `kinds`: from the state, and what their
// events changed ("assessment[<id>]..." fields) from every entry.
void HideAssessments(const std::vector<domain::fb::AssessmentKind>& kinds, CaseHistory* h) {
  if (kinds.empty()) return;
  std::vector<std::string> prefixes;
  std::erase_if(h->state.assessments, [&](const domain::AssessmentRecord& a) {
    if (std::find(kinds.begin(), kinds.end(), a.kind) == kinds.end()) return false;
    prefixes.push_back("assessment[" + a.assessment_id + "]");
    return true;
  });
  for (TimelineEntry& e : h->entries) {
    std::erase_if(e.changes, [&](const Change& c) {
      return std::any_of(prefixes.begin(), prefixes.end(),
                         [&](const std::string& p) { return c.field.rfind(p, 0) == 0; });
    });
  }
}

}  // namespace

Result<std::vector<ledger::StoredEvent>> ReadCaseEvents(const ledger::Ledger& ledger, const std::string& case_id,
                                                        std::size_t max_events) {
  Result<std::vector<ledger::StoredEvent>> events = ledger.ReadStream(domain::CaseStream(case_id), 1, max_events);
  if (!events.ok()) return events.status();
  Result<std::vector<ledger::StoredEvent>> reads = ledger.ReadStream(domain::AccessStream(case_id), 1, max_events);
  if (!reads.ok()) return reads.status();
  // Each stream is in log order already.
  std::vector<ledger::StoredEvent> all;
  all.reserve(events->size() + reads->size());
  std::merge(std::make_move_iterator(events->begin()), std::make_move_iterator(events->end()),
             std::make_move_iterator(reads->begin()), std::make_move_iterator(reads->end()), std::back_inserter(all),
             [](const ledger::StoredEvent& a, const ledger::StoredEvent& b) { return a.position < b.position; });
  return all;
}

Result<CaseHistory> ReadCaseHistory(const ledger::Ledger& ledger, const std::string& case_id,
                                    const HistoryOptions& options) {
  CaseHistory h;
  h.case_id = case_id;
  h.as_of_us = options.as_of_us;
  h.log_size = ledger.Size();
  h.metadata_only = options.metadata_only;
  Result<std::vector<ledger::StoredEvent>> read = ReadCaseEvents(ledger, case_id, options.max_events);
  if (!read.ok()) return read.status();
  const std::vector<ledger::StoredEvent>& all = *read;

  const domain::SectionOpener opener =
      options.open_sealed && !options.metadata_only ? projections::LedgerOpener(ledger) : nullptr;
  std::set<std::string> shredded;  // subjects found erased, checked once each
  std::set<std::string> checked;
  for (const ledger::StoredEvent& e : all) {
    if (e.position >= h.log_size) break;
    const ledger::fb::Record* r = e.record();
    if (options.as_of_us && r->recorded_at_us() > *options.as_of_us) break;
    Result<domain::EventView> view = domain::DecodeEvent(e, opener);
    if (!view.ok()) return view.status();
    TimelineEntry entry;
    entry.position = e.position;
    entry.recorded_at_us = view->recorded_at_us;
    entry.stream = std::string(view->stream_id);
    entry.stream_version = view->stream_version;
    entry.type = std::string(view->type);
    entry.actor_user = std::string(view->actor_user);
    entry.actor_organisation = std::string(view->actor_organisation);
    entry.actor_role = std::string(view->actor_role);
    if (options.metadata_only) {
      // Who read the case and which part is metadata; nothing an event
      // changed is.
      if (view->type == t::kCaseAccessed && view->body != nullptr) {
        if (const auto* what = view->Body<domain::fb::CaseAccessed>()->what()) {
          for (const flatbuffers::String* w : *what) entry.read.push_back(w->str());
        }
      }
      h.entries.push_back(std::move(entry));
      if (options.keep_records) h.records.push_back(e);
      continue;
    }
    if (r->sealed() != nullptr) {
      for (const ledger::fb::SealedSection* s : *r->sealed()) {
        const std::string subject = Str(s->subject_id());
        if (checked.insert(subject).second) {
          Result<bool> gone = ledger.IsShredded(subject);
          if (gone.ok() && *gone) shredded.insert(subject);
        }
        if (shredded.count(subject) != 0 &&
            std::find(entry.erased.begin(), entry.erased.end(), subject) == entry.erased.end()) {
          entry.erased.push_back(subject);
        }
      }
    }
    if (view->type == t::kCaseAccessed) {
      if (view->body != nullptr) {
        if (const auto* what = view->Body<domain::fb::CaseAccessed>()->what()) {
          for (const flatbuffers::String* w : *what) entry.read.push_back(w->str());
        }
      }
    } else {
      const unsigned sections = SectionsChangedBy(view->type);
      const std::string item = ItemOf(*view);
      domain::CaseState& c = h.state;
      const ItemCounts counts(c);
      const Fields before = Touched(c, sections, item, counts);
      domain::ApplyToCase(c, *view);
      entry.changes = Diff(before, Touched(c, sections, item, counts));
    }
    h.entries.push_back(std::move(entry));
    if (options.keep_records) h.records.push_back(e);
  }
  if (h.entries.empty()) return Status::NotFound("the log has no event of case " + case_id).WithReason("case_not_found");
  HideAssessments(options.hidden_assessments, &h);
  return h;
}

}  // namespace nrpf::replay
