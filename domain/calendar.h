// UK working-day calendar: the bank holidays of the UK's three jurisdictions,
// UK civil time (Europe/London), and deadlines counted in working days.
//
// Bank holidays follow the gov.uk lists: the standing rules (the Banking and
// Financial Dealings Act 1971, the St Andrew's Day Bank Holiday (Scotland)
// Act 2007 and the usual royal proclamations of substitute days) plus the
// one-off changes known for kFirstCalendarYear..kLastCalendarYear:
//   2020  Early May bank holiday moved from Mon 4 May to Fri 8 May (VE day).
//   2022  Spring bank holiday moved from Mon 30 May to Thu 2 Jun; extra
//         Fri 3 Jun (Platinum Jubilee); extra Mon 19 Sep (State Funeral of
//         Queen Elizabeth II).
//   2023  Extra Mon 8 May (coronation of King Charles III).
//   2026  Scotland only: extra Mon 15 Jun (World Cup bank holiday, Royal
//         Proclamation of 3 Feb 2026).
// All but the last apply to all three nations.
// Years outside that range are computed from the rules alone, so a one-off
// announced later for such a year is not reflected until it is added here.
//
// A fixed-date holiday that falls on a Saturday or Sunday gets a substitute:
// the next Monday-to-Friday day that is not already a bank holiday. Holidays
// that fall on weekdays are placed first, so e.g. when 25 Dec is a Sunday,
// 26 Dec (Mon) stays Boxing Day and 27 Dec (Tue) is the substitute for
// Christmas Day.
//
// Instants are UTC microseconds since 1970-01-01T00:00:00Z (as Clock gives).
// UK civil time is GMT (UTC+0) except during British Summer Time (UTC+1),
// which runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
// last Sunday of October. That rule is applied to every year; earlier
// history (e.g. British Standard Time 1968-71) is not modelled. Supported
// instants are those whose dates lie in years 1..9999; outside that range the
// offset is taken to be zero.
//
// All functions are pure and thread-safe. Per-(nation, year) holiday lists for
// kFirstCalendarYear..kLastCalendarYear are built once, on first use, into a
// static table; other years are computed on demand without heap allocation
// (except BankHolidays(), which returns a vector). Nothing throws.

#ifndef NRPF_DOMAIN_CALENDAR_H_
#define NRPF_DOMAIN_CALENDAR_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nrpf::domain {

// The UK's three bank-holiday jurisdictions. Values are stable (stored).
enum class Nation : std::uint8_t { kEnglandAndWales = 0, kScotland = 1, kNorthernIreland = 2 };

// Stable lower-case name: "england-and-wales", "scotland", "northern-ireland"
// (the gov.uk division names); "unknown" for a value outside the enum.
std::string_view NationName(Nation n);
// Inverse of NationName(); nullopt for any other string.
std::optional<Nation> NationFromName(std::string_view name);

struct BankHoliday {
  std::chrono::year_month_day date;
  // gov.uk-style title, e.g. "Boxing Day (substitute day)". Points into static
  // storage; valid for the life of the program.
  std::string_view name;
};

// First and last year whose one-off changes (moved or extra bank holidays) are known.
inline constexpr int kFirstCalendarYear = 2015;
inline constexpr int kLastCalendarYear = 2035;

inline constexpr std::int64_t kMicrosPerHour = std::int64_t{3'600'000'000};
inline constexpr std::int64_t kMicrosPerDay = 24 * kMicrosPerHour;

// Bank holidays of `nation` in `year`, in date order: the rules (Easter from
// the Gregorian computus, fixed dates with substitute days when they fall on a
// weekend, first/last Mondays) plus the one-off changes. Empty for a year
// outside 1..9999 or a `nation` outside the enum.
std::vector<BankHoliday> BankHolidays(Nation nation, int year);
// True iff `date` is one of BankHolidays(nation, year of date). False for a
// date that is not ok(). Allocation-free.
bool IsBankHoliday(Nation nation, std::chrono::year_month_day date);
// Monday to Friday and not a bank holiday. False for a date that is not ok().
bool IsWorkingDay(Nation nation, std::chrono::year_month_day date);
// Easter Sunday of the Gregorian calendar (anonymous Gregorian computus).
// Meaningful for years 1583..9999.
std::chrono::year_month_day EasterSunday(int year);

// UK civil time (Europe/London).
// Offset of UK civil time from UTC at instant `utc_us`: 0 or kMicrosPerHour.
std::int64_t LondonUtcOffsetUs(std::int64_t utc_us);
// Local calendar date of an instant (UTC microseconds since 1970).
std::chrono::year_month_day LondonDate(std::int64_t utc_us);
// `date` written YYYY-MM-DD, as dates travel in commands and events.
std::string IsoDate(std::chrono::year_month_day date);
// The instant local midnight starts `date` (midnight is never inside a
// transition hour, so it always exists and is unique). `date` must be ok();
// otherwise returns INT64_MIN.
std::int64_t LondonMidnightUtcUs(std::chrono::year_month_day date);

// The deadline of an obligation of `working_days` (>= 1) working days that
// starts at `start_utc_us`: the end (next local midnight) of the n-th working
// day AFTER the local date of the start (the start day itself never counts,
// whatever time it is). The result is exclusive: an act at any instant
// strictly before it is in time. `working_days` < 1 is treated as 0, giving
// the end of the start's local date. Returns INT64_MAX if the start's local
// date or the deadline falls outside years 1..9999.
std::int64_t WorkingDayDeadline(Nation nation, std::int64_t start_utc_us, int working_days);
// Whole working days after the local date of `from` up to and including the
// local date of `to` (0 if to's local date <= from's local date). Dates are
// clamped to years 1..9999. For n >= 1,
// WorkingDaysBetween(nation, s, WorkingDayDeadline(nation, s, n) - 1) == n.
int WorkingDaysBetween(Nation nation, std::int64_t from_utc_us, std::int64_t to_utc_us);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_CALENDAR_H_
