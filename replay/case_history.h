// A case's history for auditors: every event of the case and every recorded
// read of its personal data, in log order, each with who did it (user,
// organisation, role), when, and what it changed from what to what; and the
// case's state as of any time, folded from the same events by the same code
// as the live projections (domain/fold.h).

#ifndef NRPF_REPLAY_CASE_HISTORY_H_
#define NRPF_REPLAY_CASE_HISTORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/model.h"
#include "ledger/ledger.h"
#include "replay/case_fields.h"

namespace nrpf::replay {

struct TimelineEntry {
  std::uint64_t position = 0;
  std::int64_t recorded_at_us = 0;
  std::string stream;
  std::uint64_t stream_version = 0;
  std::string type;
  std::string actor_user;
  std::string actor_organisation;
  std::string actor_role;
  std::vector<Change> changes;         // case fields the event changed
  std::vector<std::string> read;       // case.accessed: which parts were read
  std::vector<std::string> erased;     // subjects of its sealed data that were erased since
};

struct HistoryOptions {
  // Events recorded after this time are left out, and the state is the
  // state as of it. Default: nullopt = everything.
  std::optional<std::int64_t> as_of_us;
  // Open the sealed personal data (needs the master key). Default: true.
  bool open_sealed = true;
  // For a reader of the case's metadata only (network support): each entry
  // is the event's metadata (position, stream, version, type, time, actor,
  // and what a case.accessed read), without what it changed or which
  // subjects were erased, and the history holds no state. Default: false.
  bool metadata_only = false;
  // Assessments of these kinds are left out of the state, and what their
  // events changed out of the entries (the entries stay, with the event's
  // type, time and actor): RecordedCaseRead::hidden_assessments. Default:
  // none.
  std::vector<domain::fb::AssessmentKind> hidden_assessments;
  // Most events read. Default: 1,000,000.
  std::size_t max_events = 1'000'000;
  // Keep the stored events of the entries (CaseHistory::records), for
  // callers that cite them. Default: false.
  bool keep_records = false;
};

struct CaseHistory {
  std::string case_id;
  std::optional<std::int64_t> as_of_us;
  std::uint64_t log_size = 0;  // the log was read up to here
  std::vector<TimelineEntry> entries;
  bool metadata_only = false;  // HistoryOptions::metadata_only: no changes, no state
  domain::CaseState state;     // as of as_of_us; default when metadata_only
  std::vector<ledger::StoredEvent> records;  // of entries[i], when keep_records
};

// Every event of the case's stream and of its record of reads (at most
// `max_events` of each), in log order.
Result<std::vector<ledger::StoredEvent>> ReadCaseEvents(const ledger::Ledger& ledger, const std::string& case_id,
                                                        std::size_t max_events);

// kNotFound when the log has no event of the case (before as_of_us).
Result<CaseHistory> ReadCaseHistory(const ledger::Ledger& ledger, const std::string& case_id,
                                    const HistoryOptions& options = {});

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_CASE_HISTORY_H_
