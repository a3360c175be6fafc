#include "domain/calendar.h"

#include <cstdio>

#include <algorithm>
#include <array>
#include <limits>

namespace nrpf::domain {

namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::weekday;
using std::chrono::year_month_day;

constexpr int kMinYear = 1;
constexpr int kMaxYear = 9999;
// Day numbers (days since 1970-01-01) of the first and last supported dates.
constexpr std::int64_t kMinDay =
    sys_days{std::chrono::year{kMinYear} / std::chrono::January / 1}.time_since_epoch().count();
constexpr std::int64_t kMaxDay =
    sys_days{std::chrono::year{kMaxYear} / std::chrono::December / 31}.time_since_epoch().count();
constexpr std::int64_t kMinUs = kMinDay * kMicrosPerDay;
constexpr std::int64_t kMaxUs = (kMaxDay + 1) * kMicrosPerDay - 1;

constexpr int kNumNations = 3;
constexpr int kNumCachedYears = kLastCalendarYear - kFirstCalendarYear + 1;
// The most any nation has had in a year is 12 (Northern Ireland, 2022).
constexpr int kMaxHolidaysPerYear = 16;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t FloorMod(std::int64_t a, std::int64_t b) { return a - FloorDiv(a, b) * b; }

bool ValidNation(Nation n) { return static_cast<std::uint8_t>(n) < kNumNations; }

bool IsWeekend(sys_days d) {
  const weekday wd{d};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

year_month_day DayToDate(std::int64_t day) { return year_month_day{sys_days{days{day}}}; }

std::int64_t DateToDay(year_month_day date) {
  return sys_days{date}.time_since_epoch().count();
}

// A year's holidays in a fixed-capacity array, so that lists for uncached
// years can live on the stack.
struct HolidayList {
  std::array<BankHoliday, kMaxHolidaysPerYear> items{};
  int size = 0;

  void Add(year_month_day date, std::string_view name) {
    if (size < kMaxHolidaysPerYear) items[size++] = BankHoliday{date, name};
  }
  int Find(year_month_day date) const {
    for (int i = 0; i < size; ++i) {
      if (items[i].date == date) return i;
    }
    return -1;
  }
  bool Contains(year_month_day date) const { return Find(date) >= 0; }
  void Sort() {
    std::stable_sort(items.begin(), items.begin() + size,
                     [](const BankHoliday& a, const BankHoliday& b) { return a.date < b.date; });
  }
};

// A holiday on a fixed calendar date, with a substitute when it is a weekend.
struct FixedRule {
  unsigned month;
  unsigned day;
  std::string_view name;
  std::string_view substitute_name;
};

constexpr FixedRule kNewYear{1, 1, "New Year's Day", "New Year's Day (substitute day)"};
constexpr FixedRule kSecondJanuary{1, 2, "2nd January", "2nd January (substitute day)"};
constexpr FixedRule kStPatrick{3, 17, "St Patrick's Day", "St Patrick's Day (substitute day)"};
constexpr FixedRule kBoyne{7, 12, "Battle of the Boyne (Orangemen's Day)",
                           "Battle of the Boyne (Orangemen's Day) (substitute day)"};
constexpr FixedRule kStAndrew{11, 30, "St Andrew's Day", "St Andrew's Day (substitute day)"};
constexpr FixedRule kChristmas{12, 25, "Christmas Day", "Christmas Day (substitute day)"};
constexpr FixedRule kBoxingDay{12, 26, "Boxing Day", "Boxing Day (substitute day)"};

// In date order; substitutes are assigned in this order.
constexpr std::array<const FixedRule*, 3> kEnglandAndWalesFixed = {&kNewYear, &kChristmas,
                                                                    &kBoxingDay};
constexpr std::array<const FixedRule*, 5> kScotlandFixed = {&kNewYear, &kSecondJanuary, &kStAndrew,
                                                            &kChristmas, &kBoxingDay};
constexpr std::array<const FixedRule*, 5> kNorthernIrelandFixed = {&kNewYear, &kStPatrick, &kBoyne,
                                                                   &kChristmas, &kBoxingDay};

constexpr std::uint8_t kAllNations = 0b111;
constexpr std::uint8_t kScotlandOnly = 1u << static_cast<unsigned>(Nation::kScotland);

// A one-off change: `from` (if ok()) is moved to `to`; otherwise `to` is an
// extra holiday.
struct OneOff {
  std::uint8_t nations;  // bit i set => applies to Nation(i)
  year_month_day from;
  year_month_day to;
  std::string_view name;
};

using std::chrono::year;
constexpr year_month_day kNone{};  // !ok()

constexpr std::array<OneOff, 6> kOneOffs = {{
    {kAllNations, year{2020} / 5 / 4, year{2020} / 5 / 8, "Early May bank holiday (VE day)"},
    {kAllNations, year{2022} / 5 / 30, year{2022} / 6 / 2, "Spring bank holiday"},
    {kAllNations, kNone, year{2022} / 6 / 3, "Platinum Jubilee bank holiday"},
    {kAllNations, kNone, year{2022} / 9 / 19,
     "Bank holiday for the State Funeral of Queen Elizabeth II"},
    {kAllNations, kNone, year{2023} / 5 / 8, "Bank holiday for the coronation of King Charles III"},
    // Royal Proclamation of 3 Feb 2026 (Banking and Financial Dealings Act
    // 1971, s. 1(3)): Scotland only.
    {kScotlandOnly, kNone, year{2026} / 6 / 15, "World Cup bank holiday"},
}};

void AddFixed(const FixedRule* const* rules, std::size_t count, year y, HolidayList* out) {
  // Weekday holidays first, so substitutes never land on a real holiday.
  for (std::size_t i = 0; i < count; ++i) {
    const year_month_day date{y / std::chrono::month{rules[i]->month} / rules[i]->day};
    if (!IsWeekend(sys_days{date})) out->Add(date, rules[i]->name);
  }
  for (std::size_t i = 0; i < count; ++i) {
    const year_month_day date{y / std::chrono::month{rules[i]->month} / rules[i]->day};
    sys_days d{date};
    if (!IsWeekend(d)) continue;
    do {
      d += days{1};
    } while (IsWeekend(d) || out->Contains(year_month_day{d}));
    out->Add(year_month_day{d}, rules[i]->substitute_name);
  }
}

// Fills `out` (empty) with the holidays of a valid nation and year.
void BuildYear(Nation nation, int year_number, bool with_one_offs, HolidayList* out) {
  using namespace std::chrono;
  const year y{year_number};
  const sys_days easter{EasterSunday(year_number)};

  out->Add(year_month_day{easter - days{2}}, "Good Friday");
  if (nation != Nation::kScotland) out->Add(year_month_day{easter + days{1}}, "Easter Monday");
  out->Add(year_month_day{sys_days{y / May / Monday[1]}}, "Early May bank holiday");
  out->Add(year_month_day{sys_days{y / May / Monday[last]}}, "Spring bank holiday");
  if (nation == Nation::kScotland) {
    out->Add(year_month_day{sys_days{y / August / Monday[1]}}, "Summer bank holiday");
  } else {
    out->Add(year_month_day{sys_days{y / August / Monday[last]}}, "Summer bank holiday");
  }

  switch (nation) {
    case Nation::kEnglandAndWales:
      AddFixed(kEnglandAndWalesFixed.data(), kEnglandAndWalesFixed.size(), y, out);
      break;
    case Nation::kScotland:
      AddFixed(kScotlandFixed.data(), kScotlandFixed.size(), y, out);
      break;
    case Nation::kNorthernIreland:
      AddFixed(kNorthernIrelandFixed.data(), kNorthernIrelandFixed.size(), y, out);
      break;
  }

  if (with_one_offs) {
    const unsigned bit = 1u << static_cast<unsigned>(nation);
    for (const OneOff& o : kOneOffs) {
      if ((o.nations & bit) == 0 || static_cast<int>(o.to.year()) != year_number) continue;
      const int moved = o.from.ok() ? out->Find(o.from) : -1;
      if (moved >= 0) {
        out->items[moved] = BankHoliday{o.to, o.name};
      } else if (!out->Contains(o.to)) {
        out->Add(o.to, o.name);
      }
    }
  }
  out->Sort();
}

struct Table {
  std::array<HolidayList, kNumNations * kNumCachedYears> lists;
};

const Table& CachedTable() {
  // Magic static: built exactly once, thread-safe.
  static const Table table = [] {
    Table t;
    for (int n = 0; n < kNumNations; ++n) {
      for (int y = kFirstCalendarYear; y <= kLastCalendarYear; ++y) {
        BuildYear(static_cast<Nation>(n), y, /*with_one_offs=*/true,
                  &t.lists[n * kNumCachedYears + (y - kFirstCalendarYear)]);
      }
    }
    return t;
  }();
  return table;
}

// The holidays of (nation, year): the cached list, or one built into
// `scratch`. Empty for an invalid nation or year.
const HolidayList* Lookup(Nation nation, int year_number, HolidayList* scratch) {
  if (!ValidNation(nation) || year_number < kMinYear || year_number > kMaxYear) {
    scratch->size = 0;
    return scratch;
  }
  if (year_number >= kFirstCalendarYear && year_number <= kLastCalendarYear) {
    const int index =
        static_cast<int>(nation) * kNumCachedYears + (year_number - kFirstCalendarYear);
    return &CachedTable().lists[index];
  }
  scratch->size = 0;
  BuildYear(nation, year_number, /*with_one_offs=*/false, scratch);
  return scratch;
}

// Answers IsWorkingDay for a run of days, looking each year up once.
class WorkingDayCursor {
 public:
  explicit WorkingDayCursor(Nation nation) : nation_(nation) {}

  bool IsWorkingDay(std::int64_t day) {
    const sys_days d{days{day}};
    if (IsWeekend(d)) return false;
    const year_month_day date{d};
    const int y = static_cast<int>(date.year());
    if (list_ == nullptr || y != year_) {
      list_ = Lookup(nation_, y, &scratch_);
      year_ = y;
    }
    return !list_->Contains(date);
  }

 private:
  Nation nation_;
  int year_ = 0;
  const HolidayList* list_ = nullptr;
  HolidayList scratch_;
};

// Local (Europe/London) day number of an instant.
std::int64_t LondonDay(std::int64_t utc_us) {
  return FloorDiv(utc_us + LondonUtcOffsetUs(utc_us), kMicrosPerDay);
}

}  // namespace

std::string_view NationName(Nation n) {
  switch (n) {
    case Nation::kEnglandAndWales:
      return "england-and-wales";
    case Nation::kScotland:
      return "scotland";
    case Nation::kNorthernIreland:
      return "northern-ireland";
  }
  return "unknown";
}

std::optional<Nation> NationFromName(std::string_view name) {
  for (int n = 0; n < kNumNations; ++n) {
    if (NationName(static_cast<Nation>(n)) == name) return static_cast<Nation>(n);
  }
  return std::nullopt;
}

std::vector<BankHoliday> BankHolidays(Nation nation, int year_number) {
  HolidayList scratch;
  const HolidayList* list = Lookup(nation, year_number, &scratch);
  return std::vector<BankHoliday>(list->items.begin(), list->items.begin() + list->size);
}

bool IsBankHoliday(Nation nation, year_month_day date) {
  if (!date.ok()) return false;
  HolidayList scratch;
  return Lookup(nation, static_cast<int>(date.year()), &scratch)->Contains(date);
}

bool IsWorkingDay(Nation nation, year_month_day date) {
  if (!date.ok()) return false;
  if (IsWeekend(sys_days{date})) return false;
  return !IsBankHoliday(nation, date);
}

year_month_day EasterSunday(int year_number) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher), with floor division
  // so that it stays well defined for any input.
  const std::int64_t y = year_number;
  const std::int64_t a = FloorMod(y, 19);
  const std::int64_t b = FloorDiv(y, 100);
  const std::int64_t c = FloorMod(y, 100);
  const std::int64_t d = FloorDiv(b, 4);
  const std::int64_t e = FloorMod(b, 4);
  const std::int64_t f = FloorDiv(b + 8, 25);
  const std::int64_t g = FloorDiv(b - f + 1, 3);
  const std::int64_t h = FloorMod(19 * a + b - d - g + 15, 30);
  const std::int64_t i = FloorDiv(c, 4);
  const std::int64_t k = FloorMod(c, 4);
  const std::int64_t l = FloorMod(32 + 2 * e + 2 * i - h - k, 7);
  const std::int64_t m = FloorDiv(a + 11 * h + 22 * l, 451);
  const std::int64_t n = h + l - 7 * m + 114;
  return year_month_day{year{year_number}, std::chrono::month{static_cast<unsigned>(n / 31)},
                        std::chrono::day{static_cast<unsigned>(n % 31 + 1)}};
}

std::int64_t LondonUtcOffsetUs(std::int64_t utc_us) {
  using namespace std::chrono;
  if (utc_us < kMinUs || utc_us > kMaxUs) return 0;
  const year y = DayToDate(FloorDiv(utc_us, kMicrosPerDay)).year();
  // 01:00 UTC on the last Sundays of March and October.
  const std::int64_t start =
      DateToDay(year_month_day{sys_days{y / March / Sunday[last]}}) * kMicrosPerDay +
      kMicrosPerHour;
  const std::int64_t end =
      DateToDay(year_month_day{sys_days{y / October / Sunday[last]}}) * kMicrosPerDay +
      kMicrosPerHour;
  return (utc_us >= start && utc_us < end) ? kMicrosPerHour : 0;
}

year_month_day LondonDate(std::int64_t utc_us) { return DayToDate(LondonDay(utc_us)); }

std::int64_t LondonMidnightUtcUs(year_month_day date) {
  if (!date.ok()) return std::numeric_limits<std::int64_t>::min();
  const std::int64_t local_us = DateToDay(date) * kMicrosPerDay;
  // Exactly one of the two offsets is consistent with the instant it gives.
  for (const std::int64_t offset : {kMicrosPerHour, std::int64_t{0}}) {
    if (LondonUtcOffsetUs(local_us - offset) == offset) return local_us - offset;
  }
  return local_us;  // unreachable for supported dates
}

std::int64_t WorkingDayDeadline(Nation nation, std::int64_t start_utc_us, int working_days) {
  constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  std::int64_t day = LondonDay(start_utc_us);
  if (day < kMinDay || day > kMaxDay) return kNever;
  WorkingDayCursor cursor(nation);
  for (int counted = 0; counted < working_days;) {
    ++day;
    if (day > kMaxDay) return kNever;
    if (cursor.IsWorkingDay(day)) ++counted;
  }
  if (day + 1 > kMaxDay) return kNever;
  return LondonMidnightUtcUs(DayToDate(day + 1));
}

int WorkingDaysBetween(Nation nation, std::int64_t from_utc_us, std::int64_t to_utc_us) {
  const std::int64_t from_day = std::clamp(LondonDay(from_utc_us), kMinDay - 1, kMaxDay);
  const std::int64_t to_day = std::clamp(LondonDay(to_utc_us), kMinDay - 1, kMaxDay);
  WorkingDayCursor cursor(nation);
  int count = 0;
  for (std::int64_t day = from_day + 1; day <= to_day; ++day) {
    if (cursor.IsWorkingDay(day)) ++count;
  }
  return count;
}

std::string IsoDate(std::chrono::year_month_day d) {
  const int year = static_cast<int>(d.year());
  const auto month = static_cast<unsigned>(d.month()), day = static_cast<unsigned>(d.day());
  if (year < 0 || year > 9999 || month > 99 || day > 99) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", year, month, day);
    return buf;
  }
  // Digit by digit: the home page formats a date on every read.
  const char text[10] = {static_cast<char>('0' + year / 1000),      static_cast<char>('0' + year / 100 % 10),
                         static_cast<char>('0' + year / 10 % 10),   static_cast<char>('0' + year % 10),
                         '-',
                         static_cast<char>('0' + month / 10),       static_cast<char>('0' + month % 10),
                         '-',
                         static_cast<char>('0' + day / 10),         static_cast<char>('0' + day % 10)};
  return std::string(text, sizeof(text));
}

}  // namespace nrpf::domain
