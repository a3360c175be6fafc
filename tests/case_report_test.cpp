// The case reports (replay/case_report.h) over a real service: costs over
// support periods and amendments, counted to the penny; referrals by period
// label; resolution times; 1,000-day cases; performance per caseworker;
// and the CSV a spreadsheet opens.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "replay/case_report.h"
#include "tests/domain_world.h"

namespace nrpf::test {
namespace {

using nlohmann::json;

replay::CaseReport ReportOf(World& w, replay::CaseReportOptions o) {
  if (o.organisations.empty()) o.organisations = {"camden"};
  if (o.now_us == 0) o.now_us = w.clock.NowMicros();
  return w.service->projector().Read(
      [&](const projections::Projections& p) { return replay::BuildCaseReport(p, o); });
}

replay::CaseReportOptions For(replay::CaseReportKind kind, std::string from, std::string to) {
  replay::CaseReportOptions o;
  o.kind = kind;
  o.from = std::move(from);
  o.to = std::move(to);
  return o;
}

// The report's rows as objects, by case id (or caseworker for performance).
std::map<std::string, json> RowsBy(const replay::CaseReport& r, const std::string& column) {
  const json doc = json::parse(replay::CaseReportJson(r));
  std::map<std::string, json> out;
  for (const json& row : doc["rows"]) out[row[column].get<std::string>()] = row;
  return out;
}

TEST_CASE("period labels: ISO weeks, months, quarters, years and April-to-March financial years", "[replay][report]") {
  using replay::PeriodLabel;
  using replay::ReportPeriod;
  CHECK(PeriodLabel("2025-03-01", ReportPeriod::kWeek) == "2025-W09");  // a Saturday
  CHECK(PeriodLabel("2025-03-03", ReportPeriod::kWeek) == "2025-W10");  // the Monday after
  CHECK(PeriodLabel("2024-12-30", ReportPeriod::kWeek) == "2025-W01");  // week 1 holds 2 January
  CHECK(PeriodLabel("2021-01-03", ReportPeriod::kWeek) == "2020-W53");
  CHECK(PeriodLabel("2026-12-31", ReportPeriod::kWeek) == "2026-W53");
  CHECK(PeriodLabel("2025-03-31", ReportPeriod::kMonth) == "2025-03");
  CHECK(PeriodLabel("2025-03-31", ReportPeriod::kQuarter) == "2025-Q1");
  CHECK(PeriodLabel("2025-10-01", ReportPeriod::kQuarter) == "2025-Q4");
  CHECK(PeriodLabel("2025-03-31", ReportPeriod::kYear) == "2025");
  CHECK(PeriodLabel("2025-03-31", ReportPeriod::kFinancialYear) == "2024/25");
  CHECK(PeriodLabel("2025-04-01", ReportPeriod::kFinancialYear) == "2025/26");
  CHECK(PeriodLabel("1999-04-01", ReportPeriod::kFinancialYear) == "1999/00");
  CHECK(replay::CostOfDays(21000, 7) == 21000);
  CHECK(replay::CostOfDays(1000, 1) == 143);  // 142.857 pence, to the nearest penny
  CHECK(replay::CostOfDays(1000, 3) == 429);  // 428.571
}

TEST_CASE("the finance report counts each day of support at the weekly costs in force that day", "[replay][report]") {
  World w;  // today 2025-03-03
  const std::string a = w.NewCase("camden");
  w.Do("camden-cw1", RecordFinance{a, "2025-03-01", 7000, 14000, true});
  // Two weeks later the person's costs double, from that day.
  w.clock.Advance(14 * kDayUs);  // 2025-03-17
  AmendFinance up;
  up.case_id = a;
  up.person_costs_weekly_pence = 14000;
  w.Do("camden-cw1", up);
  w.clock.Advance(14 * kDayUs);  // 2025-03-31
  w.Do("camden-cw1", EndFinance{a, "2025-03-30"});

  // A correction on the day support is recorded replaces the costs from the start.
  const std::string b = w.NewCase("camden");
  w.Do("camden-cw1", RecordFinance{b, "2025-03-31", 7000, 0, false});
  AmendFinance fix;
  fix.case_id = b;
  fix.person_costs_weekly_pence = 3500;
  fix.start_date = "2025-03-24";
  w.Do("camden-cw1", fix);
  // No finance: not in the report. Another council's: not in Camden's.
  w.NewCase("camden");
  const std::string leeds = w.NewCase("leeds");
  w.Do("leeds-cw1", RecordFinance{leeds, "2025-03-01", 70000, 0, false});

  const CaseState sb = w.Case(b);
  REQUIRE(sb.finance.periods.size() == 1);
  CHECK(sb.finance.periods[0].start_date == "2025-03-24");
  CHECK(sb.finance.periods[0].rates == std::vector<FinanceRate>{{"2025-03-24", 3500, 0}});
  const CaseState sa = w.Case(a);
  REQUIRE(sa.finance.periods.size() == 1);
  CHECK(sa.finance.periods[0].end_date == "2025-03-30");
  CHECK(sa.finance.periods[0].rates ==
        std::vector<FinanceRate>{{"2025-03-01", 7000, 14000}, {"2025-03-17", 14000, 14000}});

  replay::CaseReportOptions o = For(replay::CaseReportKind::kFinance, "2025-03-10", "2025-03-20");
  replay::CaseReport r = ReportOf(w, o);
  auto rows = RowsBy(r, "case_id");
  REQUIRE(rows.size() == 1);  // b's support starts after the period
  const json& ra = rows.at(a);
  // 10 to 16 March: 7 days at 210 pounds a week; 17 to 20 March: 4 days at 280.
  CHECK(ra["days_supported"] == 11);
  CHECK(ra["cost_in_period_pence"] == 21000 + 16000);
  // From 1 March: 16 days at 210, then the same 4 days at 280.
  CHECK(ra["days_supported_to_date"] == 20);
  CHECK(ra["cost_to_date_pence"] == 48000 + 16000);
  CHECK(ra["weekly_costs_pence"] == 28000);
  CHECK(ra["person_costs_weekly_pence"] == 14000);
  CHECK(ra["support_start"] == "2025-03-01");
  CHECK(ra["support_end"] == "2025-03-30");
  CHECK(ra["legislation"] == "ChildrenAct1989S17");
  CHECK(r.totals["cases"] == 1);
  CHECK(r.totals["supported_on_to_date"] == 1);
  CHECK(r.totals["weekly_costs_on_to_date_pence"] == 28000);

  // The whole of March: a's 30 days, and b's 8 days from 24 March at 35 pounds.
  o.from = "2025-03-01";
  o.to = "2025-03-31";
  r = ReportOf(w, o);
  rows = RowsBy(r, "case_id");
  REQUIRE(rows.size() == 2);
  CHECK(rows.at(a)["days_supported"] == 30);
  CHECK(rows.at(a)["cost_in_period_pence"] == 48000 + 56000);
  CHECK(rows.at(b)["days_supported"] == 8);
  CHECK(rows.at(b)["cost_in_period_pence"] == 4000);
  CHECK(rows.at(b)["support_end"].is_null());
  CHECK(r.totals["cost_in_period_pence"] == 108000);
  CHECK(r.totals["supported_on_to_date"] == 1);  // a's support ended on the 30th
  CHECK(r.totals["weekly_costs_on_to_date_pence"] == 3500);
  CHECK(r.totals["mean_cost_in_period_per_case_pence"] == 54000);

  // Narrowed to a legislation no case is under: nothing.
  o.legislation = fb::Legislation::CareAct2014;
  CHECK(ReportOf(w, o).rows.empty());
  // Leeds's report has Leeds's case only.
  o.legislation.reset();
  o.organisations = {"leeds"};
  CHECK(RowsBy(ReportOf(w, o), "case_id").count(leeds) == 1);
}

TEST_CASE("referrals, resolution and 1,000-day reports, and performance per caseworker", "[replay][report]") {
  World w;  // today 2025-03-03
  const std::string a = w.NewCase("camden");
  CreateCase adult = MinimalCase(SamplePerson("Omar", "Haddad", "1970-01-01"));
  adult.referral_date = "2025-02-14";
  adult.caseworker_id = "camden-cw2";
  adult.team_id = "team-b";
  const std::string b = w.Do("camden-cw1", adult).case_id;
  // A family supported since 2022: a 1,000-day case.
  const std::string c = w.NewCase("camden", SamplePerson("Lina", "Haddad", "1985-07-07"));
  w.Do("camden-cw1", RecordFinance{c, "2022-01-10", 10000, 0, false});
  // The Home Office checks a's status; the council reviews the alert and
  // closes the case four days later.
  CompleteStatusCheck check;
  check.case_id = a;
  check.status = fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds;
  w.Do("ho-1", check);
  w.clock.Advance(4 * kDayUs);  // 2025-03-07
  const CaseState sa = w.Case(a);
  REQUIRE(!sa.alerts.empty());
  // The closure-required alert closes with the case.
  for (const AlertState& alert : sa.alerts) {
    if (alert.kind != fb::AlertKind::ClosureRequired) w.Do("camden-cw1", CloseAlert{a, alert.alert_id});
  }
  CloseCase close;
  close.case_id = a;
  close.closure_date = "2025-03-06";
  close.reason = fb::ClosureReason::RecourseToPublicFundsGranted;
  w.Do("camden-cw1", close);

  replay::CaseReportOptions o = For(replay::CaseReportKind::kReferrals, "2025-02-01", "2025-03-07");
  replay::CaseReport r = ReportOf(w, o);
  auto rows = RowsBy(r, "case_id");
  REQUIRE(rows.size() == 3);
  CHECK(rows.at(a)["period"] == "2025-03");
  CHECK(rows.at(b)["period"] == "2025-02");
  CHECK(rows.at(a).count("nationality") == 0);  // sealed: counted, never a case's
  CHECK(rows.at(a)["dependants"] == 1);
  CHECK(rows.at(b)["household_type"] == "AdultWithCareNeeds");
  CHECK(r.totals["by_period"] == json({{"2025-02", 1}, {"2025-03", 2}}));
  CHECK(r.totals["by_legislation"] == json({{"CareAct2014", 1}, {"ChildrenAct1989S17", 2}}));
  // Three applicants of one nationality: too few to name it.
  CHECK(r.totals["by_nationality"] == json({{"(fewer than 5 each)", 3}}));
  o.period = replay::ReportPeriod::kFinancialYear;
  CHECK(ReportOf(w, o).totals["by_period"] == json({{"2024/25", 3}}));
  o.from = "2025-03-01";
  CHECK(ReportOf(w, o).rows.size() == 2);  // b was referred before the period

  o.kind = replay::CaseReportKind::kResolution;
  o.from = "2025-03-01";
  r = ReportOf(w, o);
  rows = RowsBy(r, "case_id");
  REQUIRE(rows.size() == 3);
  CHECK(rows.at(a)["immigration_status"] == "LeaveWithRecourseToPublicFunds");
  CHECK(rows.at(a)["recourse_to_public_funds"] == true);
  CHECK(rows.at(a)["days_to_first_check"] == 0);
  CHECK(rows.at(a)["closure_reason"] == "RecourseToPublicFundsGranted");
  CHECK(rows.at(a)["days_to_resolution"] == 5);  // referred 1 March, closed 6 March
  CHECK(rows.at(b)["immigration_status"].is_null());
  CHECK(rows.at(b)["closure_date"].is_null());
  CHECK(r.totals["closed_in_period"] == 1);
  CHECK(r.totals["median_days_to_resolution"] == 5);
  CHECK(r.totals["by_immigration_status"] == json({{"(no check yet)", 2}, {"LeaveWithRecourseToPublicFunds", 1}}));
  // A case closed before the period began is not in it.
  o.from = "2025-03-07";
  CHECK(RowsBy(ReportOf(w, o), "case_id").count(a) == 0);

  o.kind = replay::CaseReportKind::kThousandDay;
  r = ReportOf(w, o);
  rows = RowsBy(r, "case_id");
  REQUIRE(rows.size() == 1);
  CHECK(rows.at(c)["first_support_date"] == "2022-01-10");
  CHECK(rows.at(c)["days_since_first_support"] == 1152);  // 2022-01-10 to 2025-03-07
  // As of a day before the 1,000th, it is not one yet.
  o.to = "2024-10-05";  // 999 days
  CHECK(ReportOf(w, o).rows.empty());
  o.to = "2024-10-06";
  CHECK(ReportOf(w, o).rows.size() == 1);

  o.kind = replay::CaseReportKind::kPerformance;
  o.from = "2025-03-01";
  o.to = "2025-03-07";
  r = ReportOf(w, o);
  rows = RowsBy(r, "caseworker_id");
  REQUIRE(rows.size() == 2);
  const json& cw1 = rows.at("camden-cw1");
  CHECK(cw1["team_id"] == "team-a");
  CHECK(cw1["new_referrals"] == 2);
  CHECK(cw1["closed"] == 1);
  CHECK(cw1["open_financially_supported"] == 1);
  CHECK(cw1["thousand_day_cases"] == 1);
  CHECK(cw1["alerts_raised"].get<int>() >= 1);
  CHECK(cw1["alerts_closed"] == cw1["alerts_raised"]);
  CHECK(cw1["mean_days_to_close_alert"] == 4.0);
  CHECK(rows.at("camden-cw2")["open_referrals"] == 1);
  CHECK(rows.at("camden-cw2")["new_referrals"] == 0);
  CHECK(r.totals["closed"] == 1);
  CHECK(r.totals["open_referrals"] == 1);
}

TEST_CASE("the CSV quotes what needs quoting and never hands a spreadsheet a formula", "[replay][report]") {
  using replay::CsvField;
  CHECK(CsvField(json(nullptr)).empty());
  CHECK(CsvField(json(12)) == "12");
  CHECK(CsvField(json(-3)) == "-3");  // a number is a number
  CHECK(CsvField(json(true)) == "true");
  CHECK(CsvField(json("team-a")) == "team-a");
  CHECK(CsvField(json("a, b")) == "\"a, b\"");
  CHECK(CsvField(json("say \"hi\"")) == "\"say \"\"hi\"\"\"");
  CHECK(CsvField(json("two\nlines")) == "\"two\nlines\"");
  for (const char* formula : {"=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"}) {
    INFO(formula);
    CHECK(CsvField(json(formula)).find("'" + std::string(formula).substr(0, 1)) <= 1);
  }
  CHECK(CsvField(json("=HYPERLINK(\"http://x\",\"a, b\")")) == R"csv("'=HYPERLINK(""http://x"",""a, b"")")csv");

  World w;
  const std::string id = w.NewCase("camden");
  const std::string csv =
      replay::CaseReportCsv(ReportOf(w, For(replay::CaseReportKind::kReferrals, "", "2025-03-03")));
  const std::string header =
      "case_id,organisation,period,referral_date,team_id,caseworker_id,household_type,legislation,"
      "dependants,urgent,from_rtpf_lookup,status\r\n";
  CHECK(csv == header + id + ",camden,2025-03,2025-03-01,team-a,camden-cw1,FamilyWithChildren,ChildrenAct1989S17,"
                               "1,false,false,OpenReferral\r\n");
}

TEST_CASE("the referrals report names a nationality only when five or more applicants have it", "[replay][report]") {
  World w;
  for (int i = 0; i < 5; ++i) w.NewCase("camden");  // Nigerian applicants, families
  Person other = SamplePerson("Kofi", "Mensah", "1980-01-01");
  other.nationality = "Ghanaian";
  w.Do("camden-cw1", MinimalCase(other));  // an adult with care needs
  replay::CaseReport r = ReportOf(w, For(replay::CaseReportKind::kReferrals, "2025-03-01", "2025-03-03"));
  CHECK(r.rows.size() == 6);
  CHECK(r.totals["by_nationality"] == json({{"Nigerian", 5}, {"(fewer than 5 each)", 1}}));
  // The totals as a spreadsheet takes them, a line each.
  const std::string totals = replay::CaseReportTotalsCsv(r);
  CHECK(totals.rfind("total,key,value\r\n", 0) == 0);
  CHECK(totals.find("\r\ncases,,6\r\n") != std::string::npos);
  CHECK(totals.find("\r\nby_nationality,Nigerian,5\r\n") != std::string::npos);
  CHECK(totals.find("\r\nby_nationality,(fewer than 5 each),1\r\n") != std::string::npos);
  CHECK(totals.find("\r\nby_period,2025-03,6\r\n") != std::string::npos);
  // Narrowed to the Ghanaian's household type, one case: still not named.
  replay::CaseReportOptions o = For(replay::CaseReportKind::kReferrals, "2025-03-01", "2025-03-03");
  o.household_type = fb::HouseholdType::AdultWithCareNeeds;
  const replay::CaseReport one = ReportOf(w, o);
  CHECK(one.rows.size() == 1);
  CHECK(one.totals["by_nationality"] == json({{"(fewer than 5 each)", 1}}));
}

TEST_CASE("support recorded again over days an ended period covered counts each day once", "[replay][report]") {
  World w;  // today 2025-03-03
  const std::string id = w.NewCase("camden");
  w.Do("camden-cw1", RecordFinance{id, "2025-01-01", 7000, 0, false});
  w.Do("camden-cw1", EndFinance{id, "2025-02-28"});
  // Ended by mistake: recorded again from the first day, at new costs.
  w.Do("camden-cw1", RecordFinance{id, "2025-01-01", 14000, 0, false});
  replay::CaseReport r = ReportOf(w, For(replay::CaseReportKind::kFinance, "2025-01-01", "2025-03-03"));
  REQUIRE(r.rows.size() == 1);
  const json row = json::parse(replay::CaseReportJson(r))["rows"][0];
  CHECK(row["days_supported"] == 62);  // 1 January to 3 March
  CHECK(row["cost_in_period_pence"] == 124000);  // every day at the costs recorded last
  CHECK(row["days_supported_to_date"] == 62);
  CHECK(row["support_periods"] == 2);
  CHECK(row["support_end"].is_null());

  // Support that ends on `to` is not a 1,000-day case at its end, as the
  // home page no longer counts it once the end is recorded.
  const std::string old = w.NewCase("camden");
  w.Do("camden-cw1", RecordFinance{old, "2022-01-10", 7000, 0, false});
  CHECK(ReportOf(w, For(replay::CaseReportKind::kThousandDay, "", "2025-03-03")).rows.size() == 1);
  w.Do("camden-cw1", EndFinance{old, "2025-03-03"});
  CHECK(ReportOf(w, For(replay::CaseReportKind::kThousandDay, "", "2025-03-03")).rows.empty());
  CHECK(ReportOf(w, For(replay::CaseReportKind::kThousandDay, "", "2025-03-02")).rows.size() == 1);
  const projections::HomeCounters home = w.service->projector().Read(
      [&](const projections::Projections& p) { return p.Counters({"camden", "", ""}, w.clock.NowMicros()); });
  CHECK(home.thousand_day_cases == 0);
}

}  // namespace
}  // namespace nrpf::test
