// The reports a council's admins download into a spreadsheet (seed 000,
// "reports"): finance, referrals, immigration and case resolution,
// performance monitoring, and 1,000-day cases. Each is a table, one row per
// case (per caseworker for performance), with totals, from the projections.
//
// Each case is described as it stands now (status, team, caseworker,
// immigration status); the period selects cases and events by their dates:
//   finance      support that overlaps [from, to], its costs over time
//                (SupportPeriod's rates), in the period and to `to`;
//   referrals    cases whose referral date is in [from, to];
//   resolution   cases open at some point in [from, to];
//   performance  per caseworker: the caseload now (as the home page counts
//                it), and what happened in [from, to] (referrals,
//                closures, alerts, queries, the council's clocks);
//   thousand_day the cases supported 1,000 days or more as of `to`.
// Rows hold no sealed personal data (a case's people, notes, nationality):
// reading those is a recorded read of the case. The referrals report counts
// nationalities in its totals only.
// Dates are London dates (YYYY-MM-DD); costs are pence.

#ifndef NRPF_REPLAY_CASE_REPORT_H_
#define NRPF_REPLAY_CASE_REPORT_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/projections.h"

namespace nrpf::replay {

enum class CaseReportKind { kFinance, kReferrals, kResolution, kPerformance, kThousandDay };
// How referrals are counted by period.
enum class ReportPeriod { kWeek, kMonth, kQuarter, kYear, kFinancialYear };

// As the API names them ("Finance", "ThousandDay"; "FinancialYear").
std::string_view CaseReportName(CaseReportKind kind);
std::string_view ReportPeriodName(ReportPeriod period);
// A report's (or a period's) part of a file name: "finance", "thousand-day";
// "financial-year".
std::string_view CaseReportFileStem(CaseReportKind kind);
std::string_view CaseReportFileStem(ReportPeriod period);
// By the API's name or in lower case with '_' ("thousand_day", "financial_year").
std::optional<CaseReportKind> CaseReportFromName(std::string_view name);
std::optional<ReportPeriod> ReportPeriodFromName(std::string_view name);

// Nationalities of fewer applicants than this are counted together, so that
// a narrow report does not tell one person's nationality.
inline constexpr std::int64_t kMinNationalityCount = 5;

// The label of the period a date falls in: "2025-W10" (ISO week),
// "2025-03", "2025-Q1", "2025", or "2024/25" (April to March).
std::string PeriodLabel(const std::string& date, ReportPeriod period);

struct CaseReportOptions {
  CaseReportKind kind = CaseReportKind::kFinance;
  std::string from;              // YYYY-MM-DD; "" = from the first case
  std::string to;                // YYYY-MM-DD, inclusive (required)
  std::int64_t now_us = 0;       // for the SLA clocks' states
  std::vector<std::string> organisations;  // the councils covered (required)
  std::string team_id;           // "" = every team
  std::string caseworker_id;     // "" = every caseworker
  std::optional<domain::fb::Legislation> legislation;
  std::optional<domain::fb::HouseholdType> household_type;
  ReportPeriod period = ReportPeriod::kMonth;
};

struct CaseReport {
  CaseReportOptions options;
  std::vector<std::string> columns;
  std::vector<nlohmann::json> rows;  // each an array, in column order
  nlohmann::json totals;             // an object
};

// Runs `fn` over the projections; a live service runs it under the
// projector's read lock. A report calls it once per council, so the
// projections' writer (and every command waiting for it) waits for one
// council's part at a time, not the whole report.
using ReadProjections = std::function<void(const std::function<void(const projections::Projections&)>&)>;
CaseReport BuildCaseReport(const ReadProjections& read, const CaseReportOptions& options);
// Over projections that do not change meanwhile (offline, tests).
CaseReport BuildCaseReport(const projections::Projections& state, const CaseReportOptions& options);
// "nrpf-case-report/1": the options, columns, rows as objects and totals.
std::string CaseReportJson(const CaseReport& report);
// The rows under a header line, each field as CsvField.
std::string CaseReportCsv(const CaseReport& report);
// The totals under the header "total,key,value": a count or sum on a line
// of its own ("cases,,12"), a breakdown a line a value
// ("by_nationality,Ghanaian,6").
std::string CaseReportTotalsCsv(const CaseReport& report);

// One CSV field: empty for null, RFC 4180 quoting, and a leading ' on text
// a spreadsheet would read as a formula (starting =, +, -, @, tab or CR).
std::string CsvField(const nlohmann::json& value);

// Cost in pence of `weekly_pence` for `days` days (a week is 7 days),
// rounded to the nearest penny.
std::int64_t CostOfDays(std::int64_t weekly_pence, std::int64_t days);

}  // namespace nrpf::replay

#endif  // NRPF_REPLAY_CASE_REPORT_H_
