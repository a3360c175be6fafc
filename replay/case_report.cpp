#include "replay/case_report.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>
#include <utility>

#include "domain/calendar.h"
#include "domain/decide.h"
#include "domain/sla.h"
#include "replay/case_fields.h"

namespace nrpf::replay {

namespace fb = ::nrpf::domain::fb;
using nlohmann::json;

namespace {

constexpr std::string_view kKindNames[] = {"Finance", "Referrals", "Resolution", "Performance", "ThousandDay"};
constexpr std::string_view kKindLower[] = {"finance", "referrals", "resolution", "performance", "thousand_day"};
constexpr std::string_view kKindStems[] = {"finance", "referrals", "resolution", "performance", "thousand-day"};
constexpr std::string_view kPeriodNames[] = {"Week", "Month", "Quarter", "Year", "FinancialYear"};
constexpr std::string_view kPeriodLower[] = {"week", "month", "quarter", "year", "financial_year"};
constexpr std::string_view kPeriodStems[] = {"week", "month", "quarter", "year", "financial-year"};

// The index of `name` in `names` or `lower`.
template <std::size_t N>
std::optional<std::size_t> IndexOf(std::string_view name, const std::string_view (&names)[N],
                                   const std::string_view (&lower)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name || lower[i] == name) return i;
  }
  return std::nullopt;
}

// Days since 1970-01-01 of a YYYY-MM-DD date (checked by the caller).
std::int64_t DayNumber(const std::string& date) {
  return std::chrono::sys_days(*domain::ParseIsoDate(date)).time_since_epoch().count();
}

std::string DateOfDay(std::int64_t day) {
  return domain::IsoDate(std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(day))));
}

std::string DateOf(std::int64_t us) { return domain::IsoDate(domain::LondonDate(us)); }

bool InPeriod(const std::string& date, const CaseReportOptions& o) {
  return !date.empty() && (o.from.empty() || date >= o.from) && date <= o.to;
}

std::string Name(fb::Legislation v) { return EnumText(v, fb::EnumNameLegislation(v)); }
std::string Name(fb::HouseholdType v) { return EnumText(v, fb::EnumNameHouseholdType(v)); }
std::string Name(fb::CaseStatus v) { return EnumText(v, fb::EnumNameCaseStatus(v)); }
std::string Name(fb::ImmigrationStatus v) { return EnumText(v, fb::EnumNameImmigrationStatus(v)); }
std::string Name(fb::ClosureReason v) { return EnumText(v, fb::EnumNameClosureReason(v)); }

json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// The cases a report covers, by council and then case id: f(case, state).
// Each council's cases are read in one call of `read`.
template <typename F>
void ForEachCase(const ReadProjections& read, const CaseReportOptions& o, F&& f) {
  for (const std::string& org : o.organisations) {
    read([&](const projections::Projections& state) {
      const auto& by_org = state.organisation_cases();
      auto it = by_org.find(org);
      if (it == by_org.end()) return;
      for (const std::string& id : it->second) {
        const domain::CaseState* c = state.Case(id);
        if (c == nullptr || c->removed) continue;
        if (!o.team_id.empty() && c->team_id != o.team_id) continue;
        if (!o.caseworker_id.empty() && c->caseworker_id != o.caseworker_id) continue;
        if (o.legislation && c->legislation != *o.legislation) continue;
        if (o.household_type && c->household_type != *o.household_type) continue;
        f(*c, state);
      }
    });
  }
}

// ---- finance ----

// Days of support and their cost within [from_day, to_day] (inclusive).
struct Support {
  std::int64_t days = 0;
  std::int64_t pence_days = 0;  // weekly pence x days: / 7 is the cost
};

// The last day of each support period that counts: its end, or the day
// before a later period starts, whichever is first. Finance recorded again
// from a day an earlier period already covered describes those days anew,
// so no day is counted twice.
std::vector<std::int64_t> LastDays(const std::vector<domain::SupportPeriod>& periods, std::int64_t to_day) {
  std::vector<std::int64_t> last(periods.size());
  std::int64_t next_start = INT64_MAX;
  for (std::size_t i = periods.size(); i-- > 0;) {
    const domain::SupportPeriod& p = periods[i];
    last[i] = std::min(p.end_date.empty() ? to_day : DayNumber(p.end_date), next_start - 1);
    next_start = std::min(next_start, DayNumber(p.start_date));
  }
  return last;
}

Support SupportWithin(const domain::SupportPeriod& p, std::int64_t last_day, std::int64_t from_day,
                      std::int64_t to_day) {
  Support s;
  const std::int64_t start = std::max(from_day, DayNumber(p.start_date));
  const std::int64_t end = std::min(to_day, last_day);
  for (std::size_t i = 0; i < p.rates.size(); ++i) {
    const domain::FinanceRate& r = p.rates[i];
    const std::int64_t rate_from = std::max(start, DayNumber(r.from));
    const std::int64_t rate_to = i + 1 < p.rates.size() ? std::min(end, DayNumber(p.rates[i + 1].from) - 1) : end;
    if (rate_to < rate_from) continue;
    const std::int64_t days = rate_to - rate_from + 1;
    s.days += days;
    s.pence_days += days * (r.person_costs_weekly_pence + r.accommodation_costs_weekly_pence);
  }
  return s;
}

std::int64_t Cost(std::int64_t pence_days) { return (pence_days + 3) / 7; }

// The mean of `n` values adding up to `sum`, to a tenth; null for none.
json MeanTenths(std::int64_t sum, std::int64_t n) {
  if (n == 0) return nullptr;
  return std::round(static_cast<double>(sum) / static_cast<double>(n) * 10.0) / 10.0;
}

// The rate in force on `day` of period `p`, which counts to `last_day`, if
// support was given that day.
const domain::FinanceRate* RateOn(const domain::SupportPeriod& p, std::int64_t last_day, std::int64_t day) {
  if (day < DayNumber(p.start_date) || day > last_day) return nullptr;
  const domain::FinanceRate* in_force = nullptr;
  for (const domain::FinanceRate& r : p.rates) {
    if (DayNumber(r.from) <= day) in_force = &r;
  }
  return in_force;
}

void Finance(const ReadProjections& read, CaseReport* r) {
  const CaseReportOptions& o = r->options;
  r->columns = {"case_id", "organisation", "team_id", "caseworker_id", "legislation", "household_type", "status",
                "support_start", "support_end", "person_costs_weekly_pence", "accommodation_costs_weekly_pence",
                "weekly_costs_pence", "days_supported", "cost_in_period_pence", "days_supported_to_date",
                "cost_to_date_pence", "support_periods"};
  const std::int64_t to = DayNumber(o.to);
  const std::int64_t from = o.from.empty() ? INT64_MIN / 2 : DayNumber(o.from);
  std::int64_t cases = 0, at_end = 0, weekly_at_end = 0, in_period = 0, to_date = 0, days_in_period = 0;
  ForEachCase(read, o, [&](const domain::CaseState& c, const projections::Projections&) {
    const std::vector<domain::SupportPeriod>& periods = c.finance.periods;
    const std::vector<std::int64_t> last_days = LastDays(periods, to);
    Support period, total;
    std::size_t last = periods.size();  // the latest period with days in [from, to]
    std::size_t started = 0;            // periods started by `to`
    for (std::size_t i = 0; i < periods.size(); ++i) {
      const Support s = SupportWithin(periods[i], last_days[i], from, to);
      if (s.days > 0) last = i;
      period.days += s.days;
      period.pence_days += s.pence_days;
      const Support t = SupportWithin(periods[i], last_days[i], INT64_MIN / 2, to);
      total.days += t.days;
      total.pence_days += t.pence_days;
      if (DayNumber(periods[i].start_date) <= to) ++started;
    }
    if (last == periods.size()) return;
    // The costs in force on the period's last day of support.
    const domain::SupportPeriod& p = periods[last];
    const domain::FinanceRate* rate = RateOn(p, last_days[last], std::min(to, last_days[last]));
    const std::int64_t person = rate != nullptr ? rate->person_costs_weekly_pence : 0;
    const std::int64_t accommodation = rate != nullptr ? rate->accommodation_costs_weekly_pence : 0;
    if (RateOn(p, last_days[last], to) != nullptr) {
      ++at_end;
      weekly_at_end += person + accommodation;
    }
    ++cases;
    in_period += Cost(period.pence_days);
    to_date += Cost(total.pence_days);
    days_in_period += period.days;
    r->rows.push_back(json::array({c.case_id, c.organisation_id, c.team_id, c.caseworker_id, Name(c.legislation),
                                   Name(c.household_type), Name(c.status), p.start_date, OrNull(p.end_date),
                                   person, accommodation, person + accommodation, period.days,
                                   Cost(period.pence_days), total.days, Cost(total.pence_days), started}));
  });
  r->totals = {{"cases", cases},
               {"supported_on_to_date", at_end},
               {"weekly_costs_on_to_date_pence", weekly_at_end},
               {"cost_in_period_pence", in_period},
               {"cost_to_date_pence", to_date},
               {"mean_cost_in_period_per_case_pence",
                cases == 0 ? json(nullptr) : json((in_period + cases / 2) / cases)},
               {"mean_days_supported_in_period", MeanTenths(days_in_period, cases)}};
}

// ---- referrals ----

void Count(json* counts, const std::string& key) {
  json& n = (*counts)[key];
  n = n.is_null() ? 1 : n.get<std::int64_t>() + 1;
}

void Referrals(const ReadProjections& read, CaseReport* r) {
  const CaseReportOptions& o = r->options;
  // A case's nationality is sealed personal data, shown by a recorded read
  // of the case: the report counts nationalities, and gives no case's.
  r->columns = {"case_id", "organisation", "period", "referral_date", "team_id", "caseworker_id", "household_type",
                "legislation", "dependants", "urgent", "from_rtpf_lookup", "status"};
  json by_period = json::object(), by_household = json::object(), by_legislation = json::object(),
       by_nationality = json::object();
  std::int64_t cases = 0;
  ForEachCase(read, o, [&](const domain::CaseState& c, const projections::Projections&) {
    if (!InPeriod(c.referral_date, o)) return;
    const std::string period = PeriodLabel(c.referral_date, o.period);
    const std::string nationality = c.applicant.details ? c.applicant.details->nationality : std::string();
    std::int64_t dependants = 0;
    for (const domain::PersonState& d : c.dependants) dependants += d.removed ? 0 : 1;
    ++cases;
    Count(&by_period, period);
    Count(&by_household, Name(c.household_type));
    Count(&by_legislation, Name(c.legislation));
    Count(&by_nationality, nationality.empty() ? "(not recorded)" : nationality);
    r->rows.push_back(json::array({c.case_id, c.organisation_id, period, c.referral_date, c.team_id, c.caseworker_id,
                                   Name(c.household_type), Name(c.legislation), dependants, c.urgent,
                                   !c.rtpf_lookup_id.empty(), Name(c.status)}));
  });
  // Small counts are merged: a narrow report must not tell one person's
  // nationality (and no row does).
  json counted = json::object();
  std::int64_t merged = 0;
  for (const auto& [nationality, n] : by_nationality.items()) {
    if (n.get<std::int64_t>() >= kMinNationalityCount) {
      counted[nationality] = n;
    } else {
      merged += n.get<std::int64_t>();
    }
  }
  if (merged > 0) counted["(fewer than " + std::to_string(kMinNationalityCount) + " each)"] = merged;
  by_nationality = std::move(counted);
  r->totals = {{"cases", cases},
               {"by_period", std::move(by_period)},
               {"by_household_type", std::move(by_household)},
               {"by_legislation", std::move(by_legislation)},
               {"by_nationality", std::move(by_nationality)}};
}

// ---- immigration and case resolution ----

json Median(std::vector<std::int64_t> v) {
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? json(v[m]) : json(static_cast<double>(v[m - 1] + v[m]) / 2.0);
}

void Resolution(const ReadProjections& read, CaseReport* r) {
  const CaseReportOptions& o = r->options;
  r->columns = {"case_id", "organisation", "team_id", "caseworker_id", "legislation", "household_type",
                "referral_date", "status", "immigration_status", "recourse_to_public_funds", "status_checks",
                "days_to_first_check", "closure_date", "closure_reason", "days_to_resolution", "reopenings"};
  json by_status = json::object(), by_reason = json::object();
  std::int64_t cases = 0, closed = 0;
  std::vector<std::int64_t> resolution_days;
  ForEachCase(read, o, [&](const domain::CaseState& c, const projections::Projections&) {
    // Open at some point in the period: referred by its end, and not
    // closed before it began.
    if (c.referral_date.empty() || c.referral_date > o.to) return;
    const bool is_closed = c.status == fb::CaseStatus::Closed;
    if (is_closed && !o.from.empty() && c.closure_date < o.from) return;
    ++cases;
    const std::string status = c.immigration.known ? Name(c.immigration.status) : std::string();
    Count(&by_status, status.empty() ? "(no check yet)" : status);
    json first_check = nullptr;
    if (c.immigration.checks > 0) {
      first_check = DayNumber(DateOf(c.immigration.first_checked_at_us)) - DayNumber(DateOf(c.created_at_us));
    }
    json reason = nullptr, days = nullptr;
    if (is_closed) {
      reason = Name(c.closure_reason);
      days = DayNumber(c.closure_date) - DayNumber(c.referral_date);
      if (InPeriod(c.closure_date, o)) {
        ++closed;
        Count(&by_reason, reason.get<std::string>());
        resolution_days.push_back(days.get<std::int64_t>());
      }
    }
    r->rows.push_back(json::array({c.case_id, c.organisation_id, c.team_id, c.caseworker_id, Name(c.legislation),
                                   Name(c.household_type), c.referral_date, Name(c.status), OrNull(status),
                                   c.immigration.known ? json(c.immigration.recourse_to_public_funds) : json(nullptr),
                                   c.immigration.checks, first_check, is_closed ? json(c.closure_date) : json(nullptr),
                                   reason, days, c.reopenings}));
  });
  std::int64_t sum = 0;
  for (std::int64_t d : resolution_days) sum += d;
  r->totals = {{"cases", cases},
               {"closed_in_period", closed},
               {"by_immigration_status", std::move(by_status)},
               {"closed_in_period_by_reason", std::move(by_reason)},
               {"mean_days_to_resolution", MeanTenths(sum, static_cast<std::int64_t>(resolution_days.size()))},
               {"median_days_to_resolution", Median(resolution_days)}};
}

// ---- 1,000-day cases ----

// As the home page counts them, as of the end of `to`: supported, 1,000
// days or more after financial support was first recorded (the first
// support period's start).
void ThousandDay(const ReadProjections& read, CaseReport* r) {
  const CaseReportOptions& o = r->options;
  r->columns = {"case_id", "organisation", "team_id", "caseworker_id", "legislation", "household_type",
                "first_support_date", "days_since_first_support", "immigration_status", "open_queries",
                "open_alerts"};
  const std::int64_t to = DayNumber(o.to);
  std::int64_t cases = 0;
  ForEachCase(read, o, [&](const domain::CaseState& c, const projections::Projections&) {
    const domain::FinanceState& f = c.finance;
    if (f.first_start_date.empty() || f.periods.empty()) return;
    // Still supported at the end of `to`, as the home page counts a case
    // whose finance has not ended (the day support ends is its last).
    bool supported_after_to = false;
    const std::vector<std::int64_t> last_days = LastDays(f.periods, to + 1);
    for (std::size_t i = 0; i < f.periods.size(); ++i) {
      supported_after_to |= RateOn(f.periods[i], last_days[i], to + 1) != nullptr &&
                            DayNumber(f.periods[i].start_date) <= to;
    }
    const std::int64_t days = to - DayNumber(f.first_start_date);
    if (!supported_after_to || days < 1000) return;
    std::int64_t open_queries = 0, open_alerts = 0;
    for (const domain::QueryState& q : c.queries) open_queries += q.answered ? 0 : 1;
    for (const domain::AlertState& a : c.alerts) open_alerts += a.open ? 1 : 0;
    ++cases;
    r->rows.push_back(json::array({c.case_id, c.organisation_id, c.team_id, c.caseworker_id, Name(c.legislation),
                                   Name(c.household_type), f.first_start_date, days,
                                   c.immigration.known ? json(Name(c.immigration.status)) : json(nullptr),
                                   open_queries, open_alerts}));
  });
  r->totals = {{"cases", cases}};
}

// ---- performance monitoring ----

// What performance monitoring counts, per caseworker.
enum Count { kOpenReferrals, kOpenSupported, kThousandDay, kNewReferrals, kClosed, kAlertsRaised, kAlertsClosed,
             kAlertReviewDays, kQueriesRaised, kQueriesAnswered, kClocksMet, kClocksBreached, kClocksRunning, kCounts };
using Counts = std::array<std::int64_t, kCounts>;

// The counts in column order, after organisation, team and caseworker.
json CountColumns(const Counts& n) {
  const json mean_review = MeanTenths(n[kAlertReviewDays], n[kAlertsClosed]);
  return json::array({n[kOpenReferrals], n[kOpenSupported], n[kThousandDay], n[kNewReferrals], n[kClosed],
                      n[kAlertsRaised], n[kAlertsClosed], mean_review, n[kQueriesRaised], n[kQueriesAnswered],
                      n[kClocksMet], n[kClocksBreached], n[kClocksRunning]});
}

void PerformanceReport(const ReadProjections& read, CaseReport* r) {
  const CaseReportOptions& o = r->options;
  r->columns = {"organisation", "team_id", "caseworker_id", "open_referrals", "open_financially_supported",
                "thousand_day_cases", "new_referrals", "closed", "alerts_raised", "alerts_closed",
                "mean_days_to_close_alert", "queries_to_home_office", "home_office_queries_answered",
                "council_clocks_met", "council_clocks_breached", "council_clocks_running"};
  // The caseload columns are as of now, as the home page counts them.
  const std::string thousand_days_ago = DateOfDay(DayNumber(DateOf(o.now_us)) - 1000);
  std::map<std::tuple<std::string, std::string, std::string>, Counts> by;
  ForEachCase(read, o, [&](const domain::CaseState& c, const projections::Projections& state) {
    Counts& n = by.try_emplace({c.organisation_id, c.team_id, c.caseworker_id}, Counts{}).first->second;
    if (c.status == fb::CaseStatus::OpenReferral) ++n[kOpenReferrals];
    if (c.status == fb::CaseStatus::OpenFinanciallySupported) ++n[kOpenSupported];
    if (projections::IsThousandDayCase(c, thousand_days_ago)) ++n[kThousandDay];
    if (InPeriod(c.referral_date, o)) ++n[kNewReferrals];
    if (c.status == fb::CaseStatus::Closed && InPeriod(c.closure_date, o)) ++n[kClosed];
    for (const domain::AlertState& a : c.alerts) {
      if (InPeriod(DateOf(a.raised_at_us), o)) ++n[kAlertsRaised];
      if (!a.open && InPeriod(DateOf(a.closed_at_us), o)) {
        ++n[kAlertsClosed];
        n[kAlertReviewDays] += DayNumber(DateOf(a.closed_at_us)) - DayNumber(DateOf(a.raised_at_us));
      }
    }
    for (const domain::QueryState& q : c.queries) {
      if (q.direction == fb::QueryDirection::CouncilToHomeOffice && InPeriod(DateOf(q.raised_at_us), o)) {
        ++n[kQueriesRaised];
      }
      if (q.direction == fb::QueryDirection::HomeOfficeToCouncil && q.answered &&
          InPeriod(DateOf(q.answered_at_us), o)) {
        ++n[kQueriesAnswered];
      }
    }
    // The council's own deadlines that started in the period, judged now.
    for (const domain::SlaClockInstance& k : domain::ClocksOf(c, state.PolicyHistory())) {
      if (domain::PartyOf(k.clock) != "council" || !InPeriod(DateOf(k.started_at_us), o)) continue;
      switch (k.StateAsOf(o.now_us)) {
        case domain::ClockState::kMet: ++n[kClocksMet]; break;
        case domain::ClockState::kBreached: ++n[kClocksBreached]; break;
        case domain::ClockState::kRunning: ++n[kClocksRunning]; break;
        case domain::ClockState::kCancelled: break;
      }
    }
  });
  Counts all{};
  for (const auto& [key, n] : by) {
    const auto& [org, team, caseworker] = key;
    json row = json::array({org, team, caseworker});
    for (json& v : CountColumns(n)) row.push_back(std::move(v));
    r->rows.push_back(std::move(row));
    for (std::size_t i = 0; i < kCounts; ++i) all[i] += n[i];
  }
  r->totals = json::object();
  const json sums = CountColumns(all);
  for (std::size_t i = 0; i < sums.size(); ++i) r->totals[r->columns[i + 3]] = sums[i];
  const std::int64_t judged = all[kClocksMet] + all[kClocksBreached];
  r->totals["council_clocks_met_fraction"] =
      judged == 0 ? json(nullptr) : json(static_cast<double>(all[kClocksMet]) / static_cast<double>(judged));
}

}  // namespace

std::string_view CaseReportName(CaseReportKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }
std::string_view CaseReportFileStem(CaseReportKind kind) { return kKindStems[static_cast<std::size_t>(kind)]; }
std::string_view CaseReportFileStem(ReportPeriod period) { return kPeriodStems[static_cast<std::size_t>(period)]; }
std::string_view ReportPeriodName(ReportPeriod period) { return kPeriodNames[static_cast<std::size_t>(period)]; }

std::optional<CaseReportKind> CaseReportFromName(std::string_view name) {
  const std::optional<std::size_t> i = IndexOf(name, kKindNames, kKindLower);
  return i ? std::optional<CaseReportKind>(static_cast<CaseReportKind>(*i)) : std::nullopt;
}

std::optional<ReportPeriod> ReportPeriodFromName(std::string_view name) {
  const std::optional<std::size_t> i = IndexOf(name, kPeriodNames, kPeriodLower);
  return i ? std::optional<ReportPeriod>(static_cast<ReportPeriod>(*i)) : std::nullopt;
}

std::string PeriodLabel(const std::string& date, ReportPeriod period) {
  const int year = std::stoi(date.substr(0, 4));
  const int month = std::stoi(date.substr(5, 2));
  char buf[32];
  switch (period) {
    case ReportPeriod::kWeek: {
      // ISO 8601: the week with the year's first Thursday is week 1.
      const std::int64_t day = DayNumber(date);
      const std::int64_t weekday = ((day + 3) % 7 + 7) % 7;  // Monday = 0 (1970-01-01 was a Thursday)
      const std::int64_t thursday = day - weekday + 3;
      const std::string thursday_date = DateOfDay(thursday);
      const int week_year = std::stoi(thursday_date.substr(0, 4));
      const std::int64_t week = (thursday - DayNumber(std::to_string(week_year) + "-01-01")) / 7 + 1;
      std::snprintf(buf, sizeof buf, "%04d-W%02d", week_year, static_cast<int>(week));
      break;
    }
    case ReportPeriod::kMonth: std::snprintf(buf, sizeof buf, "%04d-%02d", year, month); break;
    case ReportPeriod::kQuarter: std::snprintf(buf, sizeof buf, "%04d-Q%d", year, (month - 1) / 3 + 1); break;
    case ReportPeriod::kYear: std::snprintf(buf, sizeof buf, "%04d", year); break;
    case ReportPeriod::kFinancialYear: {
      const int start = month >= 4 ? year : year - 1;
      std::snprintf(buf, sizeof buf, "%04d/%02d", start, (start + 1) % 100);
      break;
    }
  }
  return buf;
}

std::int64_t CostOfDays(std::int64_t weekly_pence, std::int64_t days) { return Cost(weekly_pence * days); }

std::string CsvField(const nlohmann::json& v) {
  if (v.is_null()) return {};
  if (!v.is_string()) return v.dump();
  std::string s = v.get<std::string>();
  // A spreadsheet runs a cell that starts like a formula.
  if (!s.empty() && std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos) s.insert(0, 1, '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char ch : s) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + '"';
}

CaseReport BuildCaseReport(const ReadProjections& read, const CaseReportOptions& options) {
  CaseReport r;
  r.options = options;
  switch (options.kind) {
    case CaseReportKind::kFinance: Finance(read, &r); break;
    case CaseReportKind::kReferrals: Referrals(read, &r); break;
    case CaseReportKind::kResolution: Resolution(read, &r); break;
    case CaseReportKind::kPerformance: PerformanceReport(read, &r); break;
    case CaseReportKind::kThousandDay: ThousandDay(read, &r); break;
  }
  return r;
}

CaseReport BuildCaseReport(const projections::Projections& state, const CaseReportOptions& options) {
  return BuildCaseReport([&](const std::function<void(const projections::Projections&)>& fn) { fn(state); },
                         options);
}

std::string CaseReportJson(const CaseReport& r) {
  const CaseReportOptions& o = r.options;
  json rows = json::array();
  for (const json& row : r.rows) {
    json object = json::object();
    for (std::size_t i = 0; i < r.columns.size(); ++i) object[r.columns[i]] = row[i];
    rows.push_back(std::move(object));
  }
  json filters = {{"team_id", OrNull(o.team_id)},
                  {"caseworker_id", OrNull(o.caseworker_id)},
                  {"legislation", o.legislation ? json(Name(*o.legislation)) : json(nullptr)},
                  {"household_type", o.household_type ? json(Name(*o.household_type)) : json(nullptr)}};
  json j = {{"format", "nrpf-case-report/1"},
            {"report", CaseReportName(o.kind)},
            {"from", OrNull(o.from)},
            {"to", o.to},
            {"organisations", o.organisations},
            {"filters", std::move(filters)},
            {"columns", r.columns},
            {"rows", std::move(rows)},
            {"totals", r.totals}};
  if (o.kind == CaseReportKind::kReferrals) j["period"] = ReportPeriodName(o.period);
  return j.dump(1);
}

std::string CaseReportTotalsCsv(const CaseReport& r) {
  std::string out = "total,key,value\r\n";
  const auto line = [&](const std::string& total, const std::string& key, const json& value) {
    out += CsvField(total) + "," + CsvField(key) + "," + CsvField(value) + "\r\n";
  };
  for (const auto& [total, value] : r.totals.items()) {
    if (!value.is_object()) {
      line(total, "", value);
      continue;
    }
    for (const auto& [key, count] : value.items()) line(total, key, count);
  }
  return out;
}

std::string CaseReportCsv(const CaseReport& r) {
  std::string out;
  for (std::size_t i = 0; i < r.columns.size(); ++i) out += (i == 0 ? "" : ",") + r.columns[i];
  out += "\r\n";
  for (const json& row : r.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i != 0) out += ',';
      out += CsvField(row[i]);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace nrpf::replay
