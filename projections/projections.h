// The read models: everything users read, folded from the log in position
// order. Projections hold the aggregates decide() needs (it is a
// domain::StateReader) and, around them, the home-page counters, caseload
// lists, person search, RTPF look-up index, notification outbox and SLA
// clocks.
//
// Projections live in memory and are rebuilt from the log at start (the log
// is the only durable copy; personal data is never written to disk outside
// it, so shredding needs no second erasure). Dump() writes the whole state in
// a canonical form: a rebuild equals the incremental state byte for byte.
//
// Thread-compatible: Projector (projector.h) serialises Apply() against
// readers.

#ifndef NRPF_PROJECTIONS_PROJECTIONS_H_
#define NRPF_PROJECTIONS_PROJECTIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/decide.h"
#include "domain/events.h"
#include "domain/model.h"
#include "domain/sla.h"
#include "projections/name_match.h"

namespace nrpf::projections {

namespace fb = ::nrpf::domain::fb;

// Home-page counts for an organisation (or a team, or one caseworker's cases).
struct HomeCounters {
  std::uint32_t open_referrals = 0;
  std::uint32_t open_financially_supported = 0;
  std::uint32_t closed = 0;
  std::uint32_t immigration_update_alerts = 0;
  std::uint32_t query_responses = 0;
  std::uint32_t new_home_office_queries = 0;
  std::uint32_t closure_required_alerts = 0;
  std::uint32_t thousand_day_cases = 0;  // open, supported 1,000+ days since finance first recorded
  bool operator==(const HomeCounters&) const = default;
};

struct CounterScope {
  std::string organisation_id;
  std::string team_id;        // "" = every team
  std::string caseworker_id;  // "" = every caseworker ("my cases" sets it)
};

struct CaseloadFilter {
  std::string organisation_id;  // required
  std::optional<fb::CaseStatus> status;
  std::string team_id;
  std::string caseworker_id;
  std::optional<fb::Legislation> legislation;
  std::optional<fb::HouseholdType> household_type;
  std::size_t limit = 1000;
  std::string after_case_id;  // paging: ids sort numerically
  // The cases behind a home-page counter: those with an open alert of this
  // kind, or (thousand_day) those counted in thousand_day_cases as of now_us.
  std::optional<fb::AlertKind> open_alert;
  bool thousand_day = false;
  std::int64_t now_us = 0;
  // The actor's own cases (CaseService::Caseload sets caseworker_id).
  bool my_cases = false;
};

// Counted in thousand_day_cases: open, financially supported, and first
// supported on or before `thousand_days_ago` (the London date 1,000 days
// before the day counted).
bool IsThousandDayCase(const domain::CaseState& c, const std::string& thousand_days_ago);

// One row of a caseload list: no personal data beyond what the list shows.
struct CaseRow {
  std::string case_id;
  fb::CaseStatus status = fb::CaseStatus::OpenReferral;
  std::string team_id;
  std::string caseworker_id;
  fb::Legislation legislation = fb::Legislation::ChildrenAct1989S17;
  fb::HouseholdType household_type = fb::HouseholdType::FamilyWithChildren;
  std::string referral_date;
  std::string finance_start_date;
  std::uint32_t open_alerts = 0;
  std::vector<domain::AlertState> alerts;  // the open ones, oldest first
  // Set by MetadataOnly(): legislation, household type, finance and the
  // alerts' kinds are left out.
  bool metadata_only = false;

  // What a metadata-only reader (network support) may see of the row, as
  // domain::CaseState::MetadataOnly() of the case: its id, status, team,
  // caseworker, referral date and number of open alerts, copied one by one.
  // The legislation, household type and finance start date keep their
  // defaults; the alerts are left out (their kinds tell of a person's
  // immigration matter).
  CaseRow MetadataOnly() const;
};

struct SearchQuery {
  std::string name;                   // any order, any spelling variant
  std::string date_of_birth;          // YYYY-MM-DD, exact
  std::string home_office_reference;  // case and spacing ignored
  std::string document_number;        // case and spacing ignored
  std::vector<std::string> organisations;  // search only these councils' cases (required)
  std::size_t limit = 20;
};

struct SearchHit {
  std::string case_id;
  std::string subject;  // the person who matched
  double score = 0;     // 1 = every given field matched exactly
  bool name_matched = false;
  bool date_of_birth_matched = false;
  bool reference_matched = false;  // Home Office reference or document number
};

// An e-mail to send (delivery is the server's job).
struct Notification {
  std::uint64_t position = 0;  // of the alert.raised event
  std::string recipient_user_id;
  std::string case_id;
  std::string alert_id;
  fb::AlertKind kind = fb::AlertKind::ImmigrationUpdate;
  std::int64_t raised_at_us = 0;
};

struct ClockFilter {
  std::string organisation_id;  // "" = every council
  bool subscribed_only = false; // only councils subscribed to the service
  std::string party;            // "home_office", "council" or "" for both
  std::int64_t started_from_us = 0;
  std::int64_t started_before_us = INT64_MAX;
};

// Hash maps keyed by string that also look up by string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Case ids are decimal numbers assigned in sequence: shorter sorts first.
struct CaseIdLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  }
};

class Projections final : public domain::StateReader {
 public:
  Projections();

  // Folds one event. REQUIRES: events in position order, each exactly once.
  void Apply(const domain::EventView& event);
  // Position of the next event to apply (= events applied).
  std::uint64_t next_position() const { return next_position_; }

  // domain::StateReader
  const domain::OrganisationState* Organisation(std::string_view id) const override;
  const domain::UserState* User(std::string_view id) const override;
  const domain::CaseState* Case(std::string_view id) const override;
  const domain::SlaPolicy& Policy() const override { return policy_; }
  bool HasLiveAccount(std::string_view organisation_id, fb::Role role) const override;
  const domain::SlaPolicyHistory& PolicyHistory() const { return policies_; }

  // The accounts of an organisation, deleted ones included, by user id.
  std::vector<domain::UserState> Users(std::string_view organisation_id) const;
  // Every organisation, by id.
  std::vector<domain::OrganisationState> Organisations() const;

  HomeCounters Counters(const CounterScope& scope, std::int64_t now_us) const;
  std::vector<CaseRow> Caseload(const CaseloadFilter& filter) const;
  std::vector<SearchHit> Search(const SearchQuery& query) const;
  // The RTPF checker: the current or last grant of leave recorded within two
  // years before `now_us` for a person whose document and date of birth
  // match exactly. matched_case_id is set only for `organisation_id`'s cases.
  domain::RtpfResult RtpfCheck(fb::DocumentType type, std::string_view number,
                               std::string_view date_of_birth, std::string_view organisation_id,
                               std::int64_t now_us) const;
  // Notifications raised at positions >= from, oldest first.
  std::vector<Notification> Outbox(std::uint64_t from, std::size_t max) const;
  std::vector<domain::SlaClockInstance> Clocks(const ClockFilter& filter) const;

  std::size_t case_count() const { return cases_.size(); }
  // The largest numeric case id so far (ids are assigned in sequence).
  std::uint64_t max_case_number() const { return max_case_number_; }
  std::uint64_t lookup_count() const { return lookups_; }
  // Subjects erased by duplicate removal (the service makes sure each is shredded).
  const std::set<std::string>& erased_subjects() const { return erased_subjects_; }
  const std::map<std::string, std::set<std::string, CaseIdLess>>& organisation_cases() const {
    return org_cases_;
  }

  // The whole state in a canonical text form, one line per item.
  std::string Dump() const;

 private:
  void ApplyToCase(const domain::EventView& e, std::string_view case_id);
  const domain::Person* PersonOf(const std::string& subject) const;
  void IndexPeople(const domain::CaseState& before, const domain::CaseState& after);
  void IndexPerson(const std::string& org, const std::string& case_id,
                   const domain::PersonState* old_person, const domain::PersonState* new_person);

  std::uint64_t next_position_ = 0;
  std::map<std::string, domain::OrganisationState, std::less<>> orgs_;
  std::map<std::string, domain::UserState, std::less<>> users_;
  StringMap<domain::CaseState> cases_;  // Dump() sorts
  std::map<std::string, std::set<std::string, CaseIdLess>> org_cases_;  // organisation -> case ids
  domain::SlaPolicy policy_;
  domain::SlaPolicyHistory policies_;
  std::uint64_t max_case_number_ = 0;
  std::uint64_t lookups_ = 0;

  // Search: names per council; exact keys to subjects, in the order indexed.
  struct SubjectInfo {
    std::string case_id;
    std::string organisation_id;
  };
  std::map<std::string, NameIndex> names_;  // organisation -> subject names
  StringMap<std::vector<std::string>> by_birth_date_;  // dob -> subjects
  StringMap<std::vector<std::string>> by_reference_;   // "ref:"/"doc:" + normalised -> subjects
  StringMap<SubjectInfo> subjects_;

  std::map<std::uint64_t, Notification> outbox_;
  std::set<std::string> erased_subjects_;
};

// Reference keys compare without case, spaces or punctuation.
std::string NormaliseReference(std::string_view reference);

}  // namespace nrpf::projections

#endif  // NRPF_PROJECTIONS_PROJECTIONS_H_
