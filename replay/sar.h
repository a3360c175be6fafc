// Subject-access reports: everything the log holds about one person, for a
// data-protection officer answering a subject-access request.
//
// A person is one or more data subjects (the applicant or a dependant of a
// case: "case-<id>/applicant", "case-<id>/dependant-<n>"). For each case the
// person appears in, the report carries the case's whole history (who did
// what, when, what changed), with other people's personal details left out;
// every recorded read of the case's personal data (who looked, when, at
// what); the RTPF look-up the case was created from; and the record bytes of
// every event it cites with an inclusion proof in one signed checkpoint, so
// the report itself can be verified like an export bundle.
//
// Personal data is decrypted only when `decrypt` is set, which needs the
// master key: holding it, or an auditor role through the server, is the
// officer's authority. Erased data reads "[erased]".

#ifndef NRPF_REPLAY_SAR_H_
#define NRPF_REPLAY_SAR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "projections/projections.h"
#include "replay/case_history.h"

namespace nrpf::replay {

struct SarCase {
  std::string case_id;
  std::string organisation_id;
  std::vector<std::string> subjects;   // the person's subjects in this case
  CaseHistory history;                 // other people's details removed
  Fields state;                        // the case now, likewise
};

struct SarEvidence {
  std::uint64_t position = 0;
  std::string record;                  // the stored bytes
  std::vector<ledger::Hash> proof;     // inclusion in the report's checkpoint
};

struct SubjectAccessReport {
  std::vector<std::string> subjects;
  bool decrypted = false;
  std::int64_t generated_at_us = 0;
  std::uint64_t tree_size = 0;
  std::string checkpoint;              // signed note
  std::vector<SarCase> cases;
  std::vector<TimelineEntry> lookups;  // RTPF look-ups the cases were created from
  std::vector<SarEvidence> evidence;   // every cited event, in position order
};

struct SarOptions {
  bool decrypt = false;
  std::int64_t now_us = 0;  // generated_at
};

// The subjects of the person `query` describes (name, date of birth,
// Home Office reference or document number; query.organisations are the
// councils searched): every case person whom each given detail matches.
// kInvalidArgument when no detail is given; kNotFound when nobody matches.
Result<std::vector<std::string>> FindPersonSubjects(const projections::Projections& state,
                                                    projections::SearchQuery query);

// The report for `subjects` (at least one; each a case applicant or
// dependant subject). kNotFound when the log names none of them.
Result<SubjectAccessReport> BuildSubjectAccessReport(const ledger::Ledger& ledger,
                                                     const std::vector<std::string>& subjects,
                                                     const SarOptions& options);

// The report as JSON ("nrpf-subject-access/1") and as a self-contained HTML
// document for the person.
std::string SarJson(const SubjectAccessReport& report);
std::string SarHtml(const SubjectAccessReport& report);

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_SAR_H_
