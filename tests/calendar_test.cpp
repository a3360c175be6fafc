// UK working-day calendar: bank holidays against the published gov.uk lists,
// Easter, substitute days, one-offs, Europe/London time around the BST
// switches, and working-day deadlines across weekends and holidays.

#include "domain/calendar.h"

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono;
using nrpf::domain::BankHolidays;
using nrpf::domain::EasterSunday;
using nrpf::domain::IsBankHoliday;
using nrpf::domain::IsoDate;
using nrpf::domain::IsWorkingDay;
using nrpf::domain::kMicrosPerDay;
using nrpf::domain::kMicrosPerHour;
using nrpf::domain::LondonDate;
using nrpf::domain::LondonMidnightUtcUs;
using nrpf::domain::LondonUtcOffsetUs;
using nrpf::domain::Nation;
using nrpf::domain::NationFromName;
using nrpf::domain::NationName;
using nrpf::domain::WorkingDayDeadline;
using nrpf::domain::WorkingDaysBetween;

constexpr Nation kEW = Nation::kEnglandAndWales;
constexpr Nation kSC = Nation::kScotland;
constexpr Nation kNI = Nation::kNorthernIreland;
constexpr Nation kAll[] = {kEW, kSC, kNI};

year_month_day D(int y, unsigned m, unsigned d) { return year{y} / month{m} / day{d}; }

// UTC instant in microseconds, computed without any London logic.
std::int64_t Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  const std::int64_t days_since_epoch = sys_days{D(y, mo, d)}.time_since_epoch().count();
  return (days_since_epoch * 86400 + h * 3600 + mi * 60 + s) * 1'000'000;
}

std::string Iso(year_month_day date) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buf;
}

std::string IsoInstant(std::int64_t utc_us) {
  const std::int64_t day = utc_us >= 0 ? utc_us / kMicrosPerDay
                                       : -((-utc_us + kMicrosPerDay - 1) / kMicrosPerDay);
  const std::int64_t rem_s = (utc_us - day * kMicrosPerDay) / 1'000'000;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%sT%02d:%02d:%02dZ",
                Iso(year_month_day{sys_days{days{day}}}).c_str(), static_cast<int>(rem_s / 3600),
                static_cast<int>(rem_s / 60 % 60), static_cast<int>(rem_s % 60));
  return buf;
}

std::vector<std::string> HolidayDates(Nation n, int y) {
  std::vector<std::string> out;
  for (const auto& h : BankHolidays(n, y)) out.push_back(Iso(h.date));
  return out;
}

std::string_view NameOf(Nation n, year_month_day date) {
  for (const auto& h : BankHolidays(n, static_cast<int>(date.year()))) {
    if (h.date == date) return h.name;
  }
  return "";
}

// Published gov.uk bank holiday lists (https://www.gov.uk/bank-holidays),
// written out in full, in date order.
using Published = std::map<int, std::vector<std::string>>;

const Published kPublishedEnglandAndWales = {
    {2015, {"2015-01-01", "2015-04-03", "2015-04-06", "2015-05-04", "2015-05-25", "2015-08-31",
            "2015-12-25", "2015-12-28"}},
    {2016, {"2016-01-01", "2016-03-25", "2016-03-28", "2016-05-02", "2016-05-30", "2016-08-29",
            "2016-12-26", "2016-12-27"}},
    {2017, {"2017-01-02", "2017-04-14", "2017-04-17", "2017-05-01", "2017-05-29", "2017-08-28",
            "2017-12-25", "2017-12-26"}},
    {2018, {"2018-01-01", "2018-03-30", "2018-04-02", "2018-05-07", "2018-05-28", "2018-08-27",
            "2018-12-25", "2018-12-26"}},
    {2019, {"2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26",
            "2019-12-25", "2019-12-26"}},
    {2020, {"2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31",
            "2020-12-25", "2020-12-28"}},
    {2021, {"2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30",
            "2021-12-27", "2021-12-28"}},
    {2022, {"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03",
            "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"}},
    {2023, {"2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29",
            "2023-08-28", "2023-12-25", "2023-12-26"}},
    {2024, {"2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26",
            "2024-12-25", "2024-12-26"}},
    {2025, {"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25",
            "2025-12-25", "2025-12-26"}},
    {2026, {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
            "2026-12-25", "2026-12-28"}},
    {2027, {"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30",
            "2027-12-27", "2027-12-28"}},
    {2028, {"2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28",
            "2028-12-25", "2028-12-26"}},
};

const Published kPublishedScotland = {
    {2015, {"2015-01-01", "2015-01-02", "2015-04-03", "2015-05-04", "2015-05-25", "2015-08-03",
            "2015-11-30", "2015-12-25", "2015-12-28"}},
    {2016, {"2016-01-01", "2016-01-04", "2016-03-25", "2016-05-02", "2016-05-30", "2016-08-01",
            "2016-11-30", "2016-12-26", "2016-12-27"}},
    {2017, {"2017-01-02", "2017-01-03", "2017-04-14", "2017-05-01", "2017-05-29", "2017-08-07",
            "2017-11-30", "2017-12-25", "2017-12-26"}},
    {2018, {"2018-01-01", "2018-01-02", "2018-03-30", "2018-05-07", "2018-05-28", "2018-08-06",
            "2018-11-30", "2018-12-25", "2018-12-26"}},
    {2019, {"2019-01-01", "2019-01-02", "2019-04-19", "2019-05-06", "2019-05-27", "2019-08-05",
            "2019-12-02", "2019-12-25", "2019-12-26"}},
    {2020, {"2020-01-01", "2020-01-02", "2020-04-10", "2020-05-08", "2020-05-25", "2020-08-03",
            "2020-11-30", "2020-12-25", "2020-12-28"}},
    {2021, {"2021-01-01", "2021-01-04", "2021-04-02", "2021-05-03", "2021-05-31", "2021-08-02",
            "2021-11-30", "2021-12-27", "2021-12-28"}},
    {2022, {"2022-01-03", "2022-01-04", "2022-04-15", "2022-05-02", "2022-06-02", "2022-06-03",
            "2022-08-01", "2022-09-19", "2022-11-30", "2022-12-26", "2022-12-27"}},
    {2023, {"2023-01-02", "2023-01-03", "2023-04-07", "2023-05-01", "2023-05-08", "2023-05-29",
            "2023-08-07", "2023-11-30", "2023-12-25", "2023-12-26"}},
    {2024, {"2024-01-01", "2024-01-02", "2024-03-29", "2024-05-06", "2024-05-27", "2024-08-05",
            "2024-12-02", "2024-12-25", "2024-12-26"}},
    {2025, {"2025-01-01", "2025-01-02", "2025-04-18", "2025-05-05", "2025-05-26", "2025-08-04",
            "2025-12-01", "2025-12-25", "2025-12-26"}},
    {2026, {"2026-01-01", "2026-01-02", "2026-04-03", "2026-05-04", "2026-05-25", "2026-06-15",
            "2026-08-03", "2026-11-30", "2026-12-25", "2026-12-28"}},
    {2027, {"2027-01-01", "2027-01-04", "2027-03-26", "2027-05-03", "2027-05-31", "2027-08-02",
            "2027-11-30", "2027-12-27", "2027-12-28"}},
    {2028, {"2028-01-03", "2028-01-04", "2028-04-14", "2028-05-01", "2028-05-29", "2028-08-07",
            "2028-11-30", "2028-12-25", "2028-12-26"}},
};

const Published kPublishedNorthernIreland = {
    {2015, {"2015-01-01", "2015-03-17", "2015-04-03", "2015-04-06", "2015-05-04", "2015-05-25",
            "2015-07-13", "2015-08-31", "2015-12-25", "2015-12-28"}},
    {2016, {"2016-01-01", "2016-03-17", "2016-03-25", "2016-03-28", "2016-05-02", "2016-05-30",
            "2016-07-12", "2016-08-29", "2016-12-26", "2016-12-27"}},
    {2017, {"2017-01-02", "2017-03-17", "2017-04-14", "2017-04-17", "2017-05-01", "2017-05-29",
            "2017-07-12", "2017-08-28", "2017-12-25", "2017-12-26"}},
    {2018, {"2018-01-01", "2018-03-19", "2018-03-30", "2018-04-02", "2018-05-07", "2018-05-28",
            "2018-07-12", "2018-08-27", "2018-12-25", "2018-12-26"}},
    {2019, {"2019-01-01", "2019-03-18", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27",
            "2019-07-12", "2019-08-26", "2019-12-25", "2019-12-26"}},
    {2020, {"2020-01-01", "2020-03-17", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25",
            "2020-07-13", "2020-08-31", "2020-12-25", "2020-12-28"}},
    {2021, {"2021-01-01", "2021-03-17", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31",
            "2021-07-12", "2021-08-30", "2021-12-27", "2021-12-28"}},
    {2022, {"2022-01-03", "2022-03-17", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02",
            "2022-06-03", "2022-07-12", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"}},
    {2023, {"2023-01-02", "2023-03-17", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08",
            "2023-05-29", "2023-07-12", "2023-08-28", "2023-12-25", "2023-12-26"}},
    {2024, {"2024-01-01", "2024-03-18", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27",
            "2024-07-12", "2024-08-26", "2024-12-25", "2024-12-26"}},
    {2025, {"2025-01-01", "2025-03-17", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26",
            "2025-07-14", "2025-08-25", "2025-12-25", "2025-12-26"}},
    {2026, {"2026-01-01", "2026-03-17", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25",
            "2026-07-13", "2026-08-31", "2026-12-25", "2026-12-28"}},
    {2027, {"2027-01-01", "2027-03-17", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31",
            "2027-07-12", "2027-08-30", "2027-12-27", "2027-12-28"}},
    {2028, {"2028-01-03", "2028-03-17", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29",
            "2028-07-12", "2028-08-28", "2028-12-25", "2028-12-26"}},
};

void CheckPublished(Nation n, const Published& published) {
  for (int y = 2015; y <= 2028; ++y) {
    INFO(NationName(n) << " " << y);
    const auto it = published.find(y);
    REQUIRE(it != published.end());
    CHECK(HolidayDates(n, y) == it->second);
  }
}

}  // namespace

// First in the file so that, in the default declaration order, several
// threads race to build the static table.
TEST_CASE("calendar: concurrent first use agrees with sequential use", "[calendar]") {
  auto count_working_days = [] {
    int count = 0;
    for (Nation n : kAll) {
      for (sys_days d = sys_days{D(2015, 1, 1)}; d <= sys_days{D(2035, 12, 31)}; d += days{1}) {
        if (IsWorkingDay(n, year_month_day{d})) ++count;
      }
    }
    return count;
  };
  std::vector<int> results(4, -1);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&results, i, &count_working_days] { results[i] = count_working_days(); });
  }
  for (auto& t : threads) t.join();
  const int expected = count_working_days();
  CHECK(expected > 3 * 21 * 240);
  for (int r : results) CHECK(r == expected);
}

TEST_CASE("calendar: nation names", "[calendar]") {
  CHECK(NationName(kEW) == "england-and-wales");
  CHECK(NationName(kSC) == "scotland");
  CHECK(NationName(kNI) == "northern-ireland");
  CHECK(NationName(static_cast<Nation>(7)) == "unknown");
  for (Nation n : kAll) CHECK(NationFromName(NationName(n)) == n);
  CHECK_FALSE(NationFromName("wales").has_value());
  CHECK_FALSE(NationFromName("").has_value());
  CHECK(static_cast<int>(kEW) == 0);
  CHECK(static_cast<int>(kSC) == 1);
  CHECK(static_cast<int>(kNI) == 2);
}

TEST_CASE("calendar: England and Wales matches the published gov.uk lists", "[calendar]") {
  CheckPublished(kEW, kPublishedEnglandAndWales);
}

TEST_CASE("calendar: Scotland matches the published gov.uk lists", "[calendar]") {
  CheckPublished(kSC, kPublishedScotland);
}

TEST_CASE("calendar: Northern Ireland matches the published gov.uk lists", "[calendar]") {
  CheckPublished(kNI, kPublishedNorthernIreland);
}

TEST_CASE("calendar: Easter Sunday", "[calendar]") {
  const std::map<int, std::string> expected = {
      {2015, "2015-04-05"}, {2016, "2016-03-27"}, {2017, "2017-04-16"}, {2018, "2018-04-01"},
      {2019, "2019-04-21"}, {2020, "2020-04-12"}, {2021, "2021-04-04"}, {2022, "2022-04-17"},
      {2023, "2023-04-09"}, {2024, "2024-03-31"}, {2025, "2025-04-20"}, {2026, "2026-04-05"},
      {2027, "2027-03-28"}, {2028, "2028-04-16"}, {2029, "2029-04-01"}, {2030, "2030-04-21"},
      {2031, "2031-04-13"}, {2032, "2032-03-28"}, {2033, "2033-04-17"}, {2034, "2034-04-09"},
      {2035, "2035-03-25"},
      // Extremes and century years.
      {1818, "1818-03-22"}, {1943, "1943-04-25"}, {2000, "2000-04-23"}, {2038, "2038-04-25"},
      {2285, "2285-03-22"}, {1900, "1900-04-15"}, {2100, "2100-03-28"},
  };
  for (const auto& [y, iso] : expected) {
    INFO(y);
    CHECK(Iso(EasterSunday(y)) == iso);
  }
  for (int y = 1583; y <= 4099; ++y) {
    const year_month_day e = EasterSunday(y);
    INFO(y);
    REQUIRE(e.ok());
    REQUIRE(weekday{sys_days{e}} == Sunday);
    REQUIRE(sys_days{e} >= sys_days{D(y, 3, 22)});
    REQUIRE(sys_days{e} <= sys_days{D(y, 4, 25)});
  }
}

TEST_CASE("calendar: holidays per year 2015..2035", "[calendar]") {
  // Base counts: E&W 8, Scotland 9, NI 10. One-offs: 2020 moves a day
  // (no change), 2022 moves one and adds two, 2023 adds one, 2026 adds one in
  // Scotland only.
  const std::map<int, std::array<std::size_t, 3>> exceptions = {
      {2022, {10, 11, 12}},
      {2023, {9, 10, 11}},
      {2026, {8, 10, 10}},
  };
  for (int y = nrpf::domain::kFirstCalendarYear; y <= nrpf::domain::kLastCalendarYear; ++y) {
    std::array<std::size_t, 3> want = {8, 9, 10};
    if (auto it = exceptions.find(y); it != exceptions.end()) want = it->second;
    INFO(y);
    CHECK(BankHolidays(kEW, y).size() == want[0]);
    CHECK(BankHolidays(kSC, y).size() == want[1]);
    CHECK(BankHolidays(kNI, y).size() == want[2]);
  }
  CHECK(nrpf::domain::kFirstCalendarYear == 2015);
  CHECK(nrpf::domain::kLastCalendarYear == 2035);
}

TEST_CASE("calendar: lists are sorted weekdays and agree with IsBankHoliday", "[calendar]") {
  for (Nation n : kAll) {
    for (int y = 1990; y <= 2060; ++y) {
      INFO(NationName(n) << " " << y);
      const auto list = BankHolidays(n, y);
      for (std::size_t i = 0; i < list.size(); ++i) {
        REQUIRE(list[i].date.ok());
        REQUIRE(static_cast<int>(list[i].date.year()) == y);
        const unsigned wd = weekday{sys_days{list[i].date}}.c_encoding();
        REQUIRE(wd >= 1);
        REQUIRE(wd <= 5);
        REQUIRE_FALSE(list[i].name.empty());
        if (i > 0) REQUIRE(list[i - 1].date < list[i].date);
      }
      std::size_t holidays = 0;
      std::size_t working = 0;
      std::size_t weekdays = 0;
      for (sys_days d = sys_days{D(y, 1, 1)}; d <= sys_days{D(y, 12, 31)}; d += days{1}) {
        const year_month_day date{d};
        if (IsBankHoliday(n, date)) ++holidays;
        if (IsWorkingDay(n, date)) ++working;
        const unsigned wd = weekday{d}.c_encoding();
        if (wd >= 1 && wd <= 5) ++weekdays;
        REQUIRE(IsWorkingDay(n, date) == (wd >= 1 && wd <= 5 && !IsBankHoliday(n, date)));
      }
      REQUIRE(holidays == list.size());
      REQUIRE(working + list.size() == weekdays);
    }
  }
}

TEST_CASE("calendar: years outside the one-off range follow the rules only", "[calendar]") {
  for (int y : {1990, 2012, 2014, 2036, 2040, 2100}) {
    INFO(y);
    CHECK(BankHolidays(kEW, y).size() == 8);
    CHECK(BankHolidays(kSC, y).size() == 9);
    CHECK(BankHolidays(kNI, y).size() == 10);
  }
  // 2012's Diamond Jubilee changes are before kFirstCalendarYear: not modelled.
  CHECK(IsBankHoliday(kEW, D(2012, 5, 28)));
  CHECK_FALSE(IsBankHoliday(kEW, D(2012, 6, 5)));
  // 2036: Easter 13 Apr; 1 Jan Tue; 25 Dec Thu.
  CHECK(HolidayDates(kEW, 2036) ==
        std::vector<std::string>{"2036-01-01", "2036-04-11", "2036-04-14", "2036-05-05",
                                 "2036-05-26", "2036-08-25", "2036-12-25", "2036-12-26"});
  CHECK(BankHolidays(kEW, 0).empty());
  CHECK(BankHolidays(kEW, 10000).empty());
  CHECK(BankHolidays(static_cast<Nation>(3), 2025).empty());
  CHECK_FALSE(IsBankHoliday(static_cast<Nation>(3), D(2025, 12, 25)));
}

TEST_CASE("calendar: substitute days", "[calendar]") {
  // Christmas 2021: 25 Sat, 26 Sun -> Mon 27 and Tue 28, everywhere.
  for (Nation n : kAll) {
    INFO(NationName(n));
    CHECK(IsBankHoliday(n, D(2021, 12, 27)));
    CHECK(IsBankHoliday(n, D(2021, 12, 28)));
    CHECK_FALSE(IsBankHoliday(n, D(2021, 12, 29)));
    CHECK_FALSE(IsWorkingDay(n, D(2021, 12, 27)));
    CHECK(IsWorkingDay(n, D(2021, 12, 29)));
    CHECK(NameOf(n, D(2021, 12, 27)) == "Christmas Day (substitute day)");
    CHECK(NameOf(n, D(2021, 12, 28)) == "Boxing Day (substitute day)");
  }
  // Christmas 2016 and 2022: 25 Sun -> Mon 26 is Boxing Day, Tue 27 substitutes Christmas.
  for (int y : {2016, 2022}) {
    CHECK(NameOf(kEW, D(y, 12, 26)) == "Boxing Day");
    CHECK(NameOf(kEW, D(y, 12, 27)) == "Christmas Day (substitute day)");
  }
  // 26 Dec on a Saturday (2015, 2020, 2026) -> Mon 28.
  for (int y : {2015, 2020, 2026}) {
    CHECK(IsBankHoliday(kEW, D(y, 12, 28)));
    CHECK(NameOf(kEW, D(y, 12, 28)) == "Boxing Day (substitute day)");
  }
  // New Year 2022: 1 Sat, 2 Sun.
  CHECK(IsBankHoliday(kEW, D(2022, 1, 3)));
  CHECK_FALSE(IsBankHoliday(kEW, D(2022, 1, 4)));
  CHECK(IsWorkingDay(kEW, D(2022, 1, 4)));
  CHECK(IsBankHoliday(kSC, D(2022, 1, 3)));
  CHECK(IsBankHoliday(kSC, D(2022, 1, 4)));
  CHECK_FALSE(IsWorkingDay(kSC, D(2022, 1, 4)));
  CHECK(IsBankHoliday(kNI, D(2022, 1, 3)));
  CHECK_FALSE(IsBankHoliday(kNI, D(2022, 1, 4)));
  // Scotland 2021: Fri 1 Jan, and Mon 4 Jan for Sat 2 Jan.
  CHECK(IsBankHoliday(kSC, D(2021, 1, 1)));
  CHECK(IsBankHoliday(kSC, D(2021, 1, 4)));
  CHECK(NameOf(kSC, D(2021, 1, 4)) == "2nd January (substitute day)");
  CHECK_FALSE(IsBankHoliday(kEW, D(2021, 1, 4)));
  // St Andrew's Day 2025 is a Sunday -> Mon 1 Dec; 2024 Saturday -> Mon 2 Dec.
  CHECK(IsBankHoliday(kSC, D(2025, 12, 1)));
  CHECK(NameOf(kSC, D(2025, 12, 1)) == "St Andrew's Day (substitute day)");
  CHECK_FALSE(IsBankHoliday(kSC, D(2025, 11, 30)));
  CHECK(IsBankHoliday(kSC, D(2024, 12, 2)));
  CHECK(NameOf(kSC, D(2026, 11, 30)) == "St Andrew's Day");
  CHECK_FALSE(IsBankHoliday(kEW, D(2025, 12, 1)));
  CHECK_FALSE(IsBankHoliday(kNI, D(2025, 12, 1)));
  // St Patrick's Day 2024 is a Sunday -> Mon 18 Mar (NI only).
  CHECK(IsBankHoliday(kNI, D(2024, 3, 18)));
  CHECK(NameOf(kNI, D(2024, 3, 18)) == "St Patrick's Day (substitute day)");
  CHECK_FALSE(IsBankHoliday(kEW, D(2024, 3, 18)));
  CHECK_FALSE(IsBankHoliday(kSC, D(2024, 3, 18)));
  // Boyne 2026 is a Sunday -> Mon 13 Jul; 2025 Saturday -> Mon 14 Jul.
  CHECK(IsBankHoliday(kNI, D(2026, 7, 13)));
  CHECK(NameOf(kNI, D(2026, 7, 13)) == "Battle of the Boyne (Orangemen's Day) (substitute day)");
  CHECK(IsBankHoliday(kNI, D(2025, 7, 14)));
  CHECK_FALSE(IsBankHoliday(kEW, D(2026, 7, 13)));
  CHECK_FALSE(IsBankHoliday(kSC, D(2026, 7, 13)));
}

TEST_CASE("calendar: one-off changes", "[calendar]") {
  for (Nation n : kAll) {
    INFO(NationName(n));
    // 2020: VE Day.
    CHECK_FALSE(IsBankHoliday(n, D(2020, 5, 4)));
    CHECK(IsBankHoliday(n, D(2020, 5, 8)));
    CHECK(NameOf(n, D(2020, 5, 8)) == "Early May bank holiday (VE day)");
    // 2022: Platinum Jubilee and the State Funeral.
    CHECK_FALSE(IsBankHoliday(n, D(2022, 5, 30)));
    CHECK(IsWorkingDay(n, D(2022, 5, 30)));
    CHECK(NameOf(n, D(2022, 6, 2)) == "Spring bank holiday");
    CHECK(NameOf(n, D(2022, 6, 3)) == "Platinum Jubilee bank holiday");
    CHECK(IsBankHoliday(n, D(2022, 9, 19)));
    // 2023: Coronation, in addition to the Early May bank holiday.
    CHECK(IsBankHoliday(n, D(2023, 5, 1)));
    CHECK(IsBankHoliday(n, D(2023, 5, 8)));
  }
  // 2026: Scotland's World Cup bank holiday, Scotland only.
  CHECK(IsBankHoliday(kSC, D(2026, 6, 15)));
  CHECK(NameOf(kSC, D(2026, 6, 15)) == "World Cup bank holiday");
  CHECK(IsWorkingDay(kEW, D(2026, 6, 15)));
  CHECK(IsWorkingDay(kNI, D(2026, 6, 15)));
}

TEST_CASE("calendar: invalid dates are neither holidays nor working days", "[calendar]") {
  CHECK_FALSE(IsBankHoliday(kEW, D(2025, 2, 30)));
  CHECK_FALSE(IsWorkingDay(kEW, D(2025, 2, 30)));
  CHECK_FALSE(IsWorkingDay(kEW, year_month_day{}));
  CHECK(LondonMidnightUtcUs(D(2025, 2, 30)) == std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("calendar: London time around the BST switches", "[calendar]") {
  // Literal anchors for the test helper itself.
  CHECK(Utc(2024, 3, 31, 1) == std::int64_t{1711846800} * 1'000'000);
  CHECK(Utc(2025, 7, 14, 23) == std::int64_t{1752534000} * 1'000'000);

  // Spring forward: 01:00Z on Sun 31 Mar 2024.
  CHECK(LondonUtcOffsetUs(Utc(2024, 3, 31, 0, 59, 59)) == 0);
  CHECK(LondonUtcOffsetUs(Utc(2024, 3, 31, 1) - 1) == 0);
  CHECK(LondonUtcOffsetUs(Utc(2024, 3, 31, 1)) == kMicrosPerHour);
  CHECK(LondonDate(Utc(2024, 3, 31, 0, 59, 59)) == D(2024, 3, 31));
  CHECK(LondonDate(Utc(2024, 3, 31, 1)) == D(2024, 3, 31));
  CHECK(LondonDate(Utc(2024, 3, 30, 23, 30)) == D(2024, 3, 30));  // GMT
  CHECK(LondonDate(Utc(2024, 3, 31, 22, 59, 59)) == D(2024, 3, 31));
  CHECK(LondonDate(Utc(2024, 3, 31, 23)) == D(2024, 4, 1));  // BST
  CHECK(LondonDate(Utc(2024, 3, 31, 23, 30)) == D(2024, 4, 1));

  // Fall back: 01:00Z on Sun 27 Oct 2024.
  CHECK(LondonUtcOffsetUs(Utc(2024, 10, 27, 0, 59, 59)) == kMicrosPerHour);
  CHECK(LondonUtcOffsetUs(Utc(2024, 10, 27, 1) - 1) == kMicrosPerHour);
  CHECK(LondonUtcOffsetUs(Utc(2024, 10, 27, 1)) == 0);
  CHECK(LondonDate(Utc(2024, 10, 26, 22, 59, 59)) == D(2024, 10, 26));
  CHECK(LondonDate(Utc(2024, 10, 26, 23)) == D(2024, 10, 27));  // BST midnight
  CHECK(LondonDate(Utc(2024, 10, 26, 23, 30)) == D(2024, 10, 27));
  CHECK(LondonDate(Utc(2024, 10, 27, 23, 30)) == D(2024, 10, 27));  // GMT again
  CHECK(LondonDate(Utc(2024, 10, 28, 0)) == D(2024, 10, 28));

  // Summer and winter evenings.
  CHECK(LondonDate(Utc(2025, 7, 15, 23, 30)) == D(2025, 7, 16));
  CHECK(LondonDate(Utc(2025, 7, 15, 22, 59, 59)) == D(2025, 7, 15));
  CHECK(LondonDate(Utc(2025, 1, 15, 23, 30)) == D(2025, 1, 15));
  CHECK(LondonDate(Utc(2025, 1, 16, 0)) == D(2025, 1, 16));
  // Before 1970 (negative instants).
  CHECK(LondonDate(-1) == D(1969, 12, 31));
  CHECK(LondonDate(0) == D(1970, 1, 1));

  // Other years' switch instants (last Sundays of March and October).
  CHECK(LondonUtcOffsetUs(Utc(2025, 3, 30, 1) - 1) == 0);
  CHECK(LondonUtcOffsetUs(Utc(2025, 3, 30, 1)) == kMicrosPerHour);
  CHECK(LondonUtcOffsetUs(Utc(2025, 10, 26, 1) - 1) == kMicrosPerHour);
  CHECK(LondonUtcOffsetUs(Utc(2025, 10, 26, 1)) == 0);
  CHECK(LondonUtcOffsetUs(Utc(2026, 3, 29, 1)) == kMicrosPerHour);
  CHECK(LondonUtcOffsetUs(Utc(2026, 3, 22, 12)) == 0);
  CHECK(LondonUtcOffsetUs(Utc(2026, 10, 25, 1) - 1) == kMicrosPerHour);
  CHECK(LondonUtcOffsetUs(Utc(2026, 10, 25, 1)) == 0);
}

TEST_CASE("calendar: London midnight", "[calendar]") {
  CHECK(LondonMidnightUtcUs(D(2025, 1, 15)) == Utc(2025, 1, 15));
  CHECK(LondonMidnightUtcUs(D(2025, 7, 15)) == Utc(2025, 7, 14, 23));
  CHECK(LondonMidnightUtcUs(D(2025, 7, 15)) == std::int64_t{1752534000} * 1'000'000);
  CHECK(LondonMidnightUtcUs(D(2024, 3, 31)) == Utc(2024, 3, 31));  // still GMT at midnight
  CHECK(LondonMidnightUtcUs(D(2024, 4, 1)) == Utc(2024, 3, 31, 23));
  CHECK(LondonMidnightUtcUs(D(2024, 10, 27)) == Utc(2024, 10, 26, 23));  // still BST
  CHECK(LondonMidnightUtcUs(D(2024, 10, 28)) == Utc(2024, 10, 28));
  // The switch days are 23 and 25 hours long.
  CHECK(LondonMidnightUtcUs(D(2024, 4, 1)) - LondonMidnightUtcUs(D(2024, 3, 31)) ==
        23 * kMicrosPerHour);
  CHECK(LondonMidnightUtcUs(D(2024, 10, 28)) - LondonMidnightUtcUs(D(2024, 10, 27)) ==
        25 * kMicrosPerHour);

  // Round trip for every day 2015..2035.
  int short_days = 0;
  int long_days = 0;
  for (sys_days d = sys_days{D(2015, 1, 1)}; d <= sys_days{D(2035, 12, 31)}; d += days{1}) {
    const year_month_day date{d};
    const std::int64_t midnight = LondonMidnightUtcUs(date);
    INFO(Iso(date));
    REQUIRE(LondonDate(midnight) == date);
    REQUIRE(LondonDate(midnight - 1) == year_month_day{d - days{1}});
    const std::int64_t length = LondonMidnightUtcUs(year_month_day{d + days{1}}) - midnight;
    if (length == 23 * kMicrosPerHour) ++short_days;
    else if (length == 25 * kMicrosPerHour) ++long_days;
    else REQUIRE(length == 24 * kMicrosPerHour);
  }
  CHECK(short_days == 21);
  CHECK(long_days == 21);
}

TEST_CASE("calendar: deadline across a weekend", "[calendar]") {
  // Fri 10 Jan 2025, 15:30 GMT; one working day -> end of Mon 13 Jan.
  for (Nation n : kAll) {
    INFO(NationName(n));
    const std::int64_t start = Utc(2025, 1, 10, 15, 30);
    CHECK(IsoInstant(WorkingDayDeadline(n, start, 1)) == "2025-01-14T00:00:00Z");
    CHECK(WorkingDayDeadline(n, start, 1) == Utc(2025, 1, 14));
    CHECK(WorkingDayDeadline(n, start, 2) == Utc(2025, 1, 15));
    CHECK(WorkingDayDeadline(n, start, 5) == Utc(2025, 1, 18));  // end of Fri 17
    CHECK(WorkingDayDeadline(n, start, 6) == Utc(2025, 1, 21));  // end of Mon 20
    // Starting on the Saturday or Sunday gives the same deadline.
    CHECK(WorkingDayDeadline(n, Utc(2025, 1, 11, 10), 1) == Utc(2025, 1, 14));
    CHECK(WorkingDayDeadline(n, Utc(2025, 1, 12, 23, 59, 59), 1) == Utc(2025, 1, 14));
  }
}

TEST_CASE("calendar: the start day never counts", "[calendar]") {
  // Mon 13 Jan 2025 (GMT): from the first to the last microsecond of the day.
  for (std::int64_t start : {Utc(2025, 1, 13), Utc(2025, 1, 13, 9), Utc(2025, 1, 14) - 1}) {
    INFO(IsoInstant(start));
    CHECK(WorkingDayDeadline(kEW, start, 1) == Utc(2025, 1, 15));  // end of Tue 14
  }
  // The first microsecond of Tuesday moves it on by a day.
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 1, 14), 1) == Utc(2025, 1, 16));
  // Zero (or negative) working days: the end of the start's local date.
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 1, 13, 9), 0) == Utc(2025, 1, 14));
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 1, 13, 9), -3) == Utc(2025, 1, 14));
}

TEST_CASE("calendar: deadline late in the evening in BST", "[calendar]") {
  // Tue 10 Jun 2025 22:30Z is Tue 23:30 BST: the local date is Tuesday.
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 6, 10, 22, 30), 1) == Utc(2025, 6, 11, 23));
  // Tue 10 Jun 2025 23:30Z is Wed 00:30 BST: the local date is Wednesday.
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 6, 10, 23, 30), 1) == Utc(2025, 6, 12, 23));
  CHECK(IsoInstant(WorkingDayDeadline(kEW, Utc(2025, 6, 10, 23, 30), 1)) ==
        "2025-06-12T23:00:00Z");
  // Fri 13 Jun 23:00Z is Sat 00:00 BST: one working day -> end of Mon 16.
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 6, 13, 23), 1) == Utc(2025, 6, 16, 23));
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 6, 13, 22, 59, 59), 1) == Utc(2025, 6, 16, 23));
  // Scotland's World Cup bank holiday, Mon 15 Jun 2026.
  CHECK(WorkingDayDeadline(kSC, Utc(2026, 6, 12, 12), 1) == Utc(2026, 6, 16, 23));
  CHECK(WorkingDayDeadline(kEW, Utc(2026, 6, 12, 12), 1) == Utc(2026, 6, 15, 23));
}

TEST_CASE("calendar: deadlines across holidays that differ between nations", "[calendar]") {
  // Easter 2025: Good Friday 18 Apr everywhere; Easter Monday 21 Apr not in Scotland.
  const std::int64_t thu = Utc(2025, 4, 17, 10);  // 11:00 BST
  CHECK(WorkingDayDeadline(kEW, thu, 1) == Utc(2025, 4, 22, 23));  // end of Tue 22
  CHECK(WorkingDayDeadline(kNI, thu, 1) == Utc(2025, 4, 22, 23));
  CHECK(WorkingDayDeadline(kSC, thu, 1) == Utc(2025, 4, 21, 23));  // end of Mon 21

  // Summer 2025: first Monday of August (4 Aug) in Scotland, last (25 Aug) elsewhere.
  const std::int64_t fri1 = Utc(2025, 8, 1, 9);
  CHECK(WorkingDayDeadline(kSC, fri1, 1) == Utc(2025, 8, 5, 23));
  CHECK(WorkingDayDeadline(kEW, fri1, 1) == Utc(2025, 8, 4, 23));
  CHECK(WorkingDayDeadline(kNI, fri1, 1) == Utc(2025, 8, 4, 23));
  const std::int64_t fri22 = Utc(2025, 8, 22, 9);
  CHECK(WorkingDayDeadline(kSC, fri22, 1) == Utc(2025, 8, 25, 23));
  CHECK(WorkingDayDeadline(kEW, fri22, 1) == Utc(2025, 8, 26, 23));
  CHECK(WorkingDayDeadline(kNI, fri22, 1) == Utc(2025, 8, 26, 23));

  // St Patrick's Day, Mon 17 Mar 2025 (GMT), NI only.
  const std::int64_t fri14 = Utc(2025, 3, 14, 12);
  CHECK(WorkingDayDeadline(kNI, fri14, 1) == Utc(2025, 3, 19));
  CHECK(WorkingDayDeadline(kEW, fri14, 1) == Utc(2025, 3, 18));
  CHECK(WorkingDayDeadline(kSC, fri14, 1) == Utc(2025, 3, 18));

  // Boyne (substitute) Mon 14 Jul 2025, NI only.
  CHECK(WorkingDayDeadline(kNI, Utc(2025, 7, 11, 12), 1) == Utc(2025, 7, 15, 23));
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 7, 11, 12), 1) == Utc(2025, 7, 14, 23));

  // St Andrew's Day (substitute) Mon 1 Dec 2025, Scotland only.
  CHECK(WorkingDayDeadline(kSC, Utc(2025, 11, 28, 12), 1) == Utc(2025, 12, 3));
  CHECK(WorkingDayDeadline(kEW, Utc(2025, 11, 28, 12), 1) == Utc(2025, 12, 2));

  // Across the spring-forward weekend and Easter 2024 (GF 29 Mar, EM 1 Apr).
  CHECK(WorkingDayDeadline(kEW, Utc(2024, 3, 28, 12), 1) == Utc(2024, 4, 2, 23));
  CHECK(WorkingDayDeadline(kSC, Utc(2024, 3, 28, 12), 1) == Utc(2024, 4, 1, 23));
}

TEST_CASE("calendar: ten working days over Christmas", "[calendar]") {
  // From Fri 19 Dec 2025: 22, 23, 24 Dec; (25, 26 holidays); 29, 30, 31 Dec;
  // (1 Jan); 2 Jan except in Scotland; then 5, 6, 7 (and 8) Jan.
  const std::int64_t start = Utc(2025, 12, 19, 14);
  CHECK(IsoInstant(WorkingDayDeadline(kEW, start, 10)) == "2026-01-08T00:00:00Z");
  CHECK(WorkingDayDeadline(kEW, start, 10) == Utc(2026, 1, 8));
  CHECK(WorkingDayDeadline(kNI, start, 10) == Utc(2026, 1, 8));
  CHECK(WorkingDayDeadline(kSC, start, 10) == Utc(2026, 1, 9));

  // From Thu 23 Dec 2021, with substitute days on both sides of New Year.
  const std::int64_t start21 = Utc(2021, 12, 23, 12);
  CHECK(WorkingDayDeadline(kEW, start21, 10) == Utc(2022, 1, 12));
  CHECK(WorkingDayDeadline(kNI, start21, 10) == Utc(2022, 1, 12));
  CHECK(WorkingDayDeadline(kSC, start21, 10) == Utc(2022, 1, 13));
}

TEST_CASE("calendar: working days between", "[calendar]") {
  const std::int64_t fri = Utc(2025, 1, 10, 15);
  CHECK(WorkingDaysBetween(kEW, fri, fri) == 0);
  CHECK(WorkingDaysBetween(kEW, fri, Utc(2025, 1, 10, 23, 59, 59)) == 0);  // same local day
  CHECK(WorkingDaysBetween(kEW, fri, Utc(2025, 1, 11, 9)) == 0);            // Saturday
  CHECK(WorkingDaysBetween(kEW, fri, Utc(2025, 1, 13, 0)) == 1);            // Monday
  CHECK(WorkingDaysBetween(kEW, fri, Utc(2025, 1, 17, 9)) == 5);
  CHECK(WorkingDaysBetween(kEW, Utc(2025, 1, 17, 9), fri) == 0);            // backwards
  // Easter 2025 from Thu 17 Apr to Tue 22 Apr.
  CHECK(WorkingDaysBetween(kEW, Utc(2025, 4, 17, 9), Utc(2025, 4, 22, 9)) == 1);
  CHECK(WorkingDaysBetween(kSC, Utc(2025, 4, 17, 9), Utc(2025, 4, 22, 9)) == 2);
  // Local dates, not UTC dates: Sun 22 Jun 2025 23:30Z is Mon 00:30 BST.
  CHECK(WorkingDaysBetween(kEW, Utc(2025, 6, 20, 12), Utc(2025, 6, 22, 23, 30)) == 1);
  CHECK(WorkingDaysBetween(kEW, Utc(2025, 6, 20, 12), Utc(2025, 6, 22, 22, 30)) == 0);
  // A whole year: 2025 has 261 weekdays; E&W 8 holidays, Scotland 9, NI 10.
  CHECK(WorkingDaysBetween(kEW, Utc(2024, 12, 31, 12), Utc(2025, 12, 31, 12)) == 253);
  CHECK(WorkingDaysBetween(kSC, Utc(2024, 12, 31, 12), Utc(2025, 12, 31, 12)) == 252);
  CHECK(WorkingDaysBetween(kNI, Utc(2024, 12, 31, 12), Utc(2025, 12, 31, 12)) == 251);
}

TEST_CASE("calendar: deadline and working days between agree", "[calendar]") {
  // Every 7 hours from Nov 2021 to Feb 2023 (through BST switches, Christmases,
  // the 2022 one-offs), n = 1..15, in all nations.
  for (Nation n : kAll) {
    for (std::int64_t start = Utc(2021, 11, 1, 5); start < Utc(2023, 2, 1);
         start += 7 * kMicrosPerHour) {
      for (int wd = 1; wd <= 15; ++wd) {
        const std::int64_t deadline = WorkingDayDeadline(n, start, wd);
        const year_month_day last_day = LondonDate(deadline - 1);
        INFO(NationName(n) << " start " << IsoInstant(start) << " n " << wd << " deadline "
                           << IsoInstant(deadline));
        REQUIRE(IsWorkingDay(n, last_day));
        REQUIRE(deadline == LondonMidnightUtcUs(year_month_day{sys_days{last_day} + days{1}}));
        REQUIRE(WorkingDaysBetween(n, start, deadline - 1) == wd);
        REQUIRE(deadline > start);
      }
    }
  }
}

TEST_CASE("calendar: ISO dates, every day of 1900 to 2100 as printf writes them", "[calendar]") {
  CHECK(IsoDate(D(2024, 2, 29)) == "2024-02-29");
  CHECK(IsoDate(D(5, 1, 9)) == "0005-01-09");
  CHECK(IsoDate(D(9999, 12, 31)) == "9999-12-31");
  CHECK(IsoDate(D(10000, 1, 1)) == "10000-01-01");
  char want[32];
  int checked = 0;
  for (sys_days d = sys_days(D(1900, 1, 1)); d <= sys_days(D(2100, 12, 31)); d += days(1)) {
    const year_month_day ymd(d);
    std::snprintf(want, sizeof(want), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    if (IsoDate(ymd) != want) FAIL(want);
    ++checked;
  }
  CHECK(checked == 73414);
}
