// Name normalisation, phonetic keys, edit distance, name similarity and the
// NameIndex used for person search and the duplicate warning. The variant
// tables are the contract: a name written another way must score at least
// 0.8 and be found; a different person must score below 0.6 and not be.

#include "projections/name_match.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

using nrpf::projections::EditDistance;
using nrpf::projections::kDuplicateNameScore;
using nrpf::projections::NameIndex;
using nrpf::projections::NameSimilarity;
using nrpf::projections::NormaliseName;
using nrpf::projections::PhoneticKey;

namespace {

struct NamePair {
  const char* a;
  const char* b;
};

// The same person written two ways.
const NamePair kSamePerson[] = {
    // Transliteration.
    {"Mohammed Ali", "Muhammad Ali"},
    {"Mohamed Hassan", "Mohammad Hasan"},
    {"Yusuf Ahmed", "Youssef Ahmad"},
    {"Yousef Ibrahim", "Yusuf Ebrahim"},
    {"Aleksandr Petrov", "Alexander Petrov"},
    {"Oleksandr Bondarenko", "Aleksandr Bondarenko"},
    {"Oksana Kovalenko", "Oxana Kovalenko"},
    {"Hussein Ali", "Husain Aly"},
    {"Hussain Mahmoud", "Hussein Mahmud"},
    {"Hussein Omar", "Hossain Omar"},
    {"Fatima Begum", "Fatimah Begum"},
    {"Elena Popescu", "Yelena Popescu"},
    {"Jelena Petrovic", "Yelena Petrović"},
    {"Olena Kravchenko", "Elena Kravchenko"},
    {"Giorgi Beridze", "Georgi Beridze"},
    {"Mariam Yusuf", "Maryam Yusuf"},
    {"Zainab Bello", "Zaynab Bello"},
    {"Aisha Mohammed", "Ayesha Mohamed"},
    {"Osman Yilmaz", "Usman Yılmaz"},
    {"Ibrahim Diallo", "Ebrahim Diallo"},
    {"Sergei Ivanov", "Sergey Ivanov"},
    {"Mikhail Kuznetsov", "Mihail Kuznetsov"},
    {"Olga Shevchenko", "Olha Shevchenko"},
    {"Volodymyr Melnyk", "Vladimir Melnik"},
    {"Volodymyr Kovalenko", "Wolodymyr Kowalenko"},
    {"Omar Farouk", "Umar Farooq"},
    {"Mustafa Osman", "Moustapha Usman"},
    {"Khalid Mahmood", "Khaled Mahmoud"},
    {"Tatiana Ivanova", "Tatyana Ivanova"},
    {"Muhammad Yousuf", "Mohamed Yusuf"},
    // Diacritics and punctuation.
    {"Olumide Adeyemi", "Olumidé Adeyemi"},
    {"Nguyen Van Minh", "Nguyễn Văn Minh"},
    {"Siobhán O'Brien", "Siobhan OBrien"},
    {"Sean O'Connor", "Seán O Connor"},
    // Split or joined tokens, particles.
    {"Chukwuemeka Okafor", "Chukwu-Emeka Okafor"},
    {"Abdul Rahman Osman", "Abdulrahman Osman"},
    {"Abdel-Rahman Khalil", "Abdul Rahman Khalil"},
    {"Abdul Karim Hassan", "Abdulkarim Hassan"},
    {"Abdullah Al-Hassan", "Abdulla Alhassan"},
    {"Mohammed Al Amin", "Mohammed Amin"},
    {"João Silva", "Joao da Silva"},
    // Order, middle names.
    {"Ali Hassan", "Hassan Ali"},
    {"Siobhan Murphy", "Murphy Siobhan"},
    {"Maria Lopez", "Maria Isabel Lopez"},
    // One typo: dropped, doubled, swapped or wrong letter.
    {"Christopher Johnson", "Christoper Johnson"},
    {"Amina Yusuf", "Aminna Yusuf"},
    {"Fatima Begum", "Fatmia Begum"},
    {"Grace Okonkwo", "Grace Okonkow"},
    {"Samuel Mensah", "Samuel Mensag"},
};

// Different people, some sharing a given or family name.
const NamePair kDifferentPeople[] = {
    {"Mohammed Ali", "Maria Lopez"},
    {"Ahmed Hassan", "Ahmed Khan"},
    {"Mohammed Ali", "Mohammed Khan"},
    {"Mohammed Ali", "Mahmoud Ali"},
    {"Ahmed Hassan", "Ahmed Hussein"},
    {"Hassan Ali", "Hussein Ali"},
    {"Fatima Begum", "Amina Begum"},
    {"Yusuf Ahmed", "Joseph Adams"},
    {"Olumide Adeyemi", "Oluwaseun Adebayo"},
    {"Elena Popescu", "Elena Ionescu"},
    {"Omar Khan", "Amir Khan"},
    {"Tatiana Petrova", "Tina Petrova"},
    {"Abdul Rahman", "Abdul Karim"},
    {"Oksana Kovalenko", "Oksana Bondarenko"},
    {"Chukwuemeka Okafor", "Chinedu Okafor"},
    {"Grace Okonkwo", "Grace Mensah"},
    {"Nguyen Van Minh", "Nguyen Van Anh"},
    {"Giorgi Beridze", "Giorgi Kapanadze"},
    {"Siobhan Murphy", "Sinead Murphy"},
    {"Mariam Yusuf", "Miriam Cohen"},
};

// `n` distinct names, different from every name in the tables: common given
// and family names crossed, then made-up ones. std::mt19937's output is fixed
// by the standard, so these are the same everywhere.
std::vector<std::string> FillerNames(std::size_t n) {
  static const char* const kGiven[] = {
      "Mohammed", "Ahmed",    "Ali",    "Fatima", "Aisha", "Yusuf",  "Ibrahim", "Omar",
      "Hassan",   "Amina",    "Maryam", "Khalid", "Olena", "Oksana", "Iryna",   "Andriy",
      "Grace",    "Blessing", "Emeka",  "Ngozi",  "Minh",  "Anh",    "Giorgi",  "Nino",
      "Maria",    "Jose",     "Priya",  "Rahul",  "Kwame", "Ama",    "Patrick", "Mary",
      "John",     "Sarah",    "Daniel", "Esther", "Abdi",  "Hodan",  "Bilal",   "Samira",
      "Reza",     "Leila",    "Mehmet", "Elif",   "Dawit", "Selam",  "Tigist",  "Yonas"};
  static const char* const kFamily[] = {
      "Khan",   "Ahmed",     "Rahman",   "Begum",  "Abdi",     "Farah",  "Said",   "Osman",
      "Boyko",  "Tkachenko", "Petrenko", "Okeke",  "Eze",      "Nwosu",  "Tran",   "Pham",
      "Hoang",  "Kapanadze", "Garcia",   "Santos", "Patel",    "Sharma", "Singh",  "Asante",
      "Owusu",  "Kelly",     "Smith",    "Jones",  "Williams", "Taylor", "Evans",  "Kaya",
      "Demir",  "Celik",     "Gebre",    "Bekele", "Tadesse",  "Girma",  "Traore", "Kone",
      "Camara", "Sesay",     "Conteh",   "Jalloh", "Bangura",  "Wright", "Clarke", "Green"};
  static const char* const kSyllables[] = {"ka", "lo", "mi", "ra", "su", "te", "no", "vi", "da",
                                           "be", "zo", "fa", "gu", "hi", "je", "pa", "re", "si",
                                           "to", "wa", "ye", "ul", "ir", "am", "et", "os"};
  std::set<std::string> taken;
  for (const NamePair& p : kSamePerson) {
    taken.insert(NormaliseName(p.a));
    taken.insert(NormaliseName(p.b));
  }
  for (const NamePair& p : kDifferentPeople) {
    taken.insert(NormaliseName(p.a));
    taken.insert(NormaliseName(p.b));
  }
  std::mt19937 rng(20240601);
  auto made_up = [&rng] {
    std::string s;
    const std::uint32_t syllables = 2 + rng() % 3;
    for (std::uint32_t i = 0; i < syllables; ++i) s += kSyllables[rng() % std::size(kSyllables)];
    s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
  };
  std::vector<std::string> out;
  while (out.size() < n) {
    std::string name;
    switch (rng() % 3) {
      case 0:
        name = std::string(kGiven[rng() % std::size(kGiven)]) + " " +
               kFamily[rng() % std::size(kFamily)];
        break;
      case 1:
        name = std::string(kGiven[rng() % std::size(kGiven)]) + " " + made_up();
        break;
      default:
        name = made_up() + " " + made_up();
        break;
    }
    if (taken.insert(NormaliseName(name)).second) out.push_back(name);
  }
  return out;
}

bool Contains(const std::vector<NameIndex::Match>& matches, const std::string& id) {
  return std::any_of(matches.begin(), matches.end(),
                     [&id](const NameIndex::Match& m) { return m.id == id; });
}

// Full-table optimal string alignment distance, straight from the definition.
std::uint32_t ReferenceOsa(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::uint32_t>> d(a.size() + 1, std::vector<std::uint32_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<std::uint32_t>(i);
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<std::uint32_t>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::uint32_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

bool SameResults(const std::vector<NameIndex::Match>& x, const std::vector<NameIndex::Match>& y) {
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i].id != y[i].id || x[i].score != y[i].score) return false;
  }
  return true;
}

bool Ordered(const std::vector<NameIndex::Match>& matches) {
  for (std::size_t i = 1; i < matches.size(); ++i) {
    const NameIndex::Match& p = matches[i - 1];
    const NameIndex::Match& c = matches[i];
    if (p.score < c.score || (p.score == c.score && !(p.id < c.id))) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("NormaliseName folds Latin diacritics to ASCII", "[search]") {
  CHECK(NormaliseName("Olumidé") == "olumide");
  CHECK(NormaliseName("Nguyễn Văn Minh") == "nguyen van minh");
  CHECK(NormaliseName("Siobhán Ó Súilleabháin") == "siobhan o suilleabhain");
  CHECK(NormaliseName("Ayşe Yıldız") == "ayse yildiz");
  CHECK(NormaliseName("Çağrı Gümüş") == "cagri gumus");
  CHECK(NormaliseName("Łukasz Wałęsa") == "lukasz walesa");
  CHECK(NormaliseName("Đorđe Šćepanović") == "dorde scepanovic");
  CHECK(NormaliseName("Jürgen Straße") == "jurgen strasse");
  CHECK(NormaliseName("Ærø Søren Œuvre") == "aero soren oeuvre");
  CHECK(NormaliseName("Þór Guðmundsson") == "thor gudmundsson");
  CHECK(NormaliseName("İsmail Ğ") == "ismail g");
  CHECK(NormaliseName("Ɔdɔ Kwamə") == "odo kwame");  // IPA letters in Akan names
  CHECK(NormaliseName("Trần Thị Hồng Nhung") == "tran thi hong nhung");
  CHECK(NormaliseName("Ưu Đàm Phượng") == "uu dam phuong");  // Vietnamese horned letters
  CHECK(NormaliseName("Jose\xCC\x81 Nun\xCC\x83"
                      "ez") == "jose nunez");                       // Decomposed (NFD)
  CHECK(NormaliseName("ＭＡＲＹ Ｏ’ＮＥＩＬＬ") == "mary oneill");  // Full-width
  CHECK(NormaliseName("ﬁona ﬂynn") == "fiona flynn");               // Ligatures
  CHECK(NormaliseName("MOHAMMED ALI") == "mohammed ali");
}

TEST_CASE("NormaliseName handles punctuation, digits and symbols", "[search]") {
  CHECK(NormaliseName("O'Brien") == "obrien");
  CHECK(NormaliseName("O\xE2\x80\x99"
                      "Brien") == "obrien");  // U+2019
  CHECK(NormaliseName("O`Brien") == "obrien");
  CHECK(NormaliseName("Ka\xCA\xBB"
                      "ahumanu") == "kaahumanu");  // U+02BB okina
  CHECK(NormaliseName("Abdel-Rahman") == "abdel rahman");
  CHECK(NormaliseName("Abdel\xE2\x80\x93Rahman") == "abdel rahman");  // En dash
  CHECK(NormaliseName("Chukwu-Emeka") == "chukwu emeka");
  CHECK(NormaliseName("J.R. Smith") == "j r smith");
  CHECK(NormaliseName("Smith, John") == "smith john");
  CHECK(NormaliseName("Mohammed (Mo) Ali") == "mohammed mo ali");
  CHECK(NormaliseName("John2 Smith3") == "john smith");
  CHECK(NormaliseName("Ali \xF0\x9F\x98\x80 Khan") == "ali khan");  // Emoji
  CHECK(NormaliseName("Ali\xF0\x9F\x98\x80Khan") == "alikhan");     // Dropped, not a separator
  CHECK(NormaliseName("\xD0\x98\xD0\xB2\xD0\xB0\xD0\xBD Petrov") == "petrov");  // Cyrillic dropped
  CHECK(NormaliseName("Mar\xC2\xAD"
                      "ia") == "maria");  // Soft hyphen
}

TEST_CASE("NormaliseName collapses and trims whitespace", "[search]") {
  CHECK(NormaliseName("  Mohammed \t\n  Ali  ") == "mohammed ali");
  CHECK(NormaliseName("Ali\xC2\xA0Khan") == "ali khan");      // NO-BREAK SPACE
  CHECK(NormaliseName("Ali\xE3\x80\x80Khan") == "ali khan");  // IDEOGRAPHIC SPACE
  CHECK(NormaliseName("Ali\xE2\x80\x8B"
                      "Khan") == "alikhan");  // ZERO WIDTH SPACE vanishes
  CHECK(NormaliseName(" - . ' ") == "");
  CHECK(NormaliseName("") == "");
  CHECK(NormaliseName("12345") == "");
}

TEST_CASE("NormaliseName drops invalid UTF-8", "[search]") {
  CHECK(NormaliseName("Ali\xFF Khan") == "ali khan");
  CHECK(NormaliseName("Mar\x80ia") == "maria");  // Stray continuation byte
  CHECK(NormaliseName("Ren\xC3"
                      "e") == "rene");       // Lead byte without continuation
  CHECK(NormaliseName("Jos\xC3") == "jos");  // Truncated at the end
  CHECK(NormaliseName("A\xC0\xAF"
                      "B") == "ab");  // Overlong '/'
  CHECK(NormaliseName("A\xE0\x80\xAF"
                      "B") == "ab");  // Overlong, 3 bytes
  CHECK(NormaliseName("A\xED\xA0\x80"
                      "B") == "ab");  // UTF-16 surrogate
  CHECK(NormaliseName("A\xF4\x90\x80\x80"
                      "B") == "ab");  // Above U+10FFFF
  CHECK(NormaliseName("\xC3\xA9\xC3") == "e");

  // Any bytes at all: only a-z and single inner spaces come out, and the
  // output is its own normal form.
  std::mt19937 rng(7);
  static const unsigned char kInteresting[] = {0x00, 0x20, 0x27, 0x2D, 0x41, 0x7A, 0x80, 0xA0,
                                               0xBF, 0xC0, 0xC3, 0xC5, 0xCC, 0xE1, 0xE2, 0xED,
                                               0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0x8B, 0xBB};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s;
    const std::uint32_t len = rng() % 24;
    for (std::uint32_t k = 0; k < len; ++k) {
      s.push_back(static_cast<char>(rng() % 2 ? kInteresting[rng() % std::size(kInteresting)]
                                              : rng() % 256));
    }
    const std::string n = NormaliseName(s);
    INFO("iteration " << iter);
    CHECK(
        std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == ' '; }));
    CHECK((n.empty() || (n.front() != ' ' && n.back() != ' ')));
    CHECK(n.find("  ") == std::string::npos);
    CHECK(NormaliseName(n) == n);
  }
}

TEST_CASE("PhoneticKey is equal for transliteration variants", "[search]") {
  const std::vector<std::vector<const char*>> kGroups = {
      {"mohammed", "muhammad", "mohamed", "mohamad", "muhammed", "mohammad"},
      {"yusuf", "youssef", "yousef", "yousuf", "yusif"},
      {"aleksandr", "alexander", "oleksandr", "olexander"},
      {"hussein", "husain", "hussain", "husayn", "hossain"},
      {"ahmed", "ahmad"},
      {"mahmoud", "mahmud", "mahmood"},
      {"fatima", "fatimah", "fatma"},
      {"oksana", "oxana"},
      {"giorgi", "georgi"},
      {"mariam", "maryam", "miriam"},
      {"zainab", "zaynab", "zeinab"},
      {"aisha", "ayesha", "ayse"},
      {"volodymyr", "vladimir", "wolodymyr"},
      {"christopher", "kristofer"},
      {"abdulrahman", "abdelrahman", "abdul rahman", "Abdel-Rahman"},
      {"chukwuemeka", "chukwu emeka"},
      {"khalid", "khaled"},
      {"qasim", "kasim", "kassim"},
      {"mustafa", "moustapha", "mostafa"},
      {"sergei", "sergey"},
      {"osman", "usman"},
      {"ibrahim", "ebrahim"},
  };
  for (const auto& group : kGroups) {
    for (const char* name : group) {
      INFO(group[0] << " vs " << name);
      CHECK(PhoneticKey(name) == PhoneticKey(group[0]));
    }
  }
  // Different names stay apart, however alike their consonants.
  CHECK(PhoneticKey("mohammed") != PhoneticKey("mahmoud"));
  CHECK(PhoneticKey("hassan") != PhoneticKey("hussein"));
  CHECK(PhoneticKey("tatiana") != PhoneticKey("tina"));
  CHECK(PhoneticKey("ahmed") != PhoneticKey("mohammed"));
  CHECK(PhoneticKey("said") != PhoneticKey("saad"));

  CHECK(PhoneticKey("MOHAMMED") == PhoneticKey("mohammed"));
  CHECK(PhoneticKey("") == "");
  CHECK(PhoneticKey("123 -") == "");
  CHECK(PhoneticKey("ali") == "al");
  CHECK(PhoneticKey("mohammed") == "mhmd");
}

TEST_CASE("EditDistance counts adjacent transpositions once and stops early", "[search]") {
  CHECK(EditDistance("", "", 5) == 0);
  CHECK(EditDistance("abc", "", 5) == 3);
  CHECK(EditDistance("", "abc", 5) == 3);
  CHECK(EditDistance("mohammed", "mohammed", 0) == 0);
  CHECK(EditDistance("kitten", "sitting", 10) == 3);
  CHECK(EditDistance("ahmed", "ahmde", 5) == 1);  // Transposition
  CHECK(EditDistance("fatima", "fatmia", 5) == 1);
  CHECK(EditDistance("okonkwo", "okonkow", 5) == 1);
  CHECK(EditDistance("amina", "aminna", 5) == 1);   // Doubled letter
  CHECK(EditDistance("mensah", "mensag", 5) == 1);  // Wrong letter
  CHECK(EditDistance("ca", "abc", 5) == 3);         // OSA, not unrestricted Damerau (2)
  CHECK(EditDistance("abc", "abd", 0) == 1);        // max + 1

  // Early exit returns exactly max + 1.
  CHECK(EditDistance("kitten", "sitting", 2) == 3);
  CHECK(EditDistance("kitten", "sitting", 3) == 3);
  CHECK(EditDistance("abcdef", "uvwxyz", 2) == 3);
  CHECK(EditDistance("a", "abcdefgh", 3) == 4);  // Lengths alone exceed max
  CHECK(EditDistance("abc", "xyz", UINT32_MAX) == 3);

  // Longer than the inline buffer.
  const std::string long_a(100, 'a');
  std::string long_b = long_a;
  long_b[10] = 'b';
  long_b.erase(50, 1);
  CHECK(EditDistance(long_a, long_b, 200) == 2);
  CHECK(EditDistance(long_a, long_b, 1) == 2);

  // Against the full-table definition, for every bound.
  std::mt19937 rng(11);
  for (int iter = 0; iter < 4000; ++iter) {
    std::string a;
    std::string b;
    const std::uint32_t alphabet = 2 + rng() % 3;
    const std::uint32_t la = iter % 50 == 0 ? 60 + rng() % 20 : rng() % 10;
    const std::uint32_t lb = iter % 50 == 0 ? 60 + rng() % 20 : rng() % 10;
    for (std::uint32_t k = 0; k < la; ++k) a.push_back(static_cast<char>('a' + rng() % alphabet));
    for (std::uint32_t k = 0; k < lb; ++k) b.push_back(static_cast<char>('a' + rng() % alphabet));
    const std::uint32_t max = rng() % 12;
    const std::uint32_t want = std::min(ReferenceOsa(a, b), max + 1);
    INFO("'" << a << "' vs '" << b << "' max " << max);
    CHECK(EditDistance(a, b, max) == want);
    CHECK(EditDistance(b, a, max) == want);
  }
}

TEST_CASE("NameSimilarity is 1 exactly for equal normalised names", "[search]") {
  CHECK(NameSimilarity("Siobhán O'Brien", "SIOBHAN OBRIEN") == 1.0);
  CHECK(NameSimilarity("  Nguyễn  Văn Minh ", "nguyen van minh") == 1.0);
  CHECK(NameSimilarity("Ali Hassan", "Hassan Ali") < 1.0);
  CHECK(NameSimilarity("Ali Hassan", "Hassan Ali") >= 0.95);
  CHECK(NameSimilarity("Abdul Rahman", "Abdulrahman") < 1.0);
  CHECK(NameSimilarity("", "") == 0.0);
  CHECK(NameSimilarity("Ali", "") == 0.0);
  CHECK(NameSimilarity("---", "Ali") == 0.0);
  CHECK(NameSimilarity("J Smith", "John Smith") >= kDuplicateNameScore);
  CHECK(NameSimilarity("J Smith", "Mary Smith") < kDuplicateNameScore);
}

TEST_CASE("Name variants of one person score at least 0.8", "[search]") {
  REQUIRE(std::size(kSamePerson) >= 30);
  for (const NamePair& p : kSamePerson) {
    INFO(p.a << " ~ " << p.b);
    const double ab = NameSimilarity(p.a, p.b);
    const double ba = NameSimilarity(p.b, p.a);
    CHECK(ab >= 0.8);
    CHECK(ba >= 0.8);
    CHECK(ab <= 1.0);
  }
}

TEST_CASE("Different people score below 0.6", "[search]") {
  REQUIRE(std::size(kDifferentPeople) >= 15);
  for (const NamePair& p : kDifferentPeople) {
    INFO(p.a << " vs " << p.b);
    CHECK(NameSimilarity(p.a, p.b) < 0.6);
    CHECK(NameSimilarity(p.b, p.a) < 0.6);
    CHECK(NameSimilarity(p.a, p.b) >= 0.0);
  }
}

TEST_CASE("NameIndex finds every variant among 2,000 other names", "[search]") {
  const std::vector<std::string> filler = FillerNames(2000);
  // Each direction: index one side of every pair among the filler, search
  // with the other side.
  for (int direction = 0; direction < 2; ++direction) {
    NameIndex index;
    for (std::size_t i = 0; i < filler.size(); ++i)
      index.Put("filler-" + std::to_string(i), filler[i]);
    for (std::size_t i = 0; i < std::size(kSamePerson); ++i) {
      index.Put("person-" + std::to_string(i),
                direction == 0 ? kSamePerson[i].b : kSamePerson[i].a);
    }
    REQUIRE(index.size() == filler.size() + std::size(kSamePerson));
    for (std::size_t i = 0; i < std::size(kSamePerson); ++i) {
      const char* query = direction == 0 ? kSamePerson[i].a : kSamePerson[i].b;
      const auto found = index.Search(query, kDuplicateNameScore, 50);
      INFO("query '" << query << "' for person-" << i);
      CHECK(Contains(found, "person-" + std::to_string(i)));
      CHECK(Ordered(found));
      for (const auto& m : found) CHECK(m.score >= kDuplicateNameScore);
    }
  }
}

TEST_CASE("NameIndex does not offer a different person as a duplicate", "[search]") {
  NameIndex index;
  const std::vector<std::string> filler = FillerNames(2000);
  for (std::size_t i = 0; i < filler.size(); ++i)
    index.Put("filler-" + std::to_string(i), filler[i]);
  for (std::size_t i = 0; i < std::size(kDifferentPeople); ++i) {
    index.Put("other-" + std::to_string(i), kDifferentPeople[i].b);
  }
  for (std::size_t i = 0; i < std::size(kDifferentPeople); ++i) {
    INFO(kDifferentPeople[i].a << " vs " << kDifferentPeople[i].b);
    const auto found = index.Search(kDifferentPeople[i].a, kDuplicateNameScore, 50);
    CHECK_FALSE(Contains(found, "other-" + std::to_string(i)));
  }
}

TEST_CASE("NameIndex orders by score, then id, whatever the insertion order", "[search]") {
  const std::vector<std::string> filler = FillerNames(2000);
  std::vector<std::pair<std::string, std::string>> people;
  for (std::size_t i = 0; i < filler.size(); ++i)
    people.emplace_back("f" + std::to_string(i), filler[i]);
  // Namesakes (equal scores, so order is by id) and near namesakes.
  for (const char* id : {"n-07", "n-03", "n-11", "n-01", "n-05"})
    people.emplace_back(id, "Mohammed Ali");
  people.emplace_back("n-02", "Muhammad Ali");
  people.emplace_back("n-04", "Ali Mohammed");
  // More names sharing a token than one search scores, so the candidate cap
  // and its tie-break are exercised.
  for (int i = 0; i < 700; ++i)
    people.emplace_back("m" + std::to_string(i),
                        "Mohammed " + filler[i].substr(filler[i].find(' ') + 1));

  NameIndex forward;
  for (const auto& [id, name] : people) forward.Put(id, name);

  // Reverse order, with churn: wrong names first, replaced later, and extra
  // ids removed again, so slots and posting lists differ from `forward`.
  NameIndex churned;
  for (std::size_t i = 0; i < 300; ++i) churned.Put("gone-" + std::to_string(i), filler[i]);
  for (auto it = people.rbegin(); it != people.rend(); ++it)
    churned.Put(it->first, "Zzyzx Placeholder");
  for (std::size_t i = 0; i < 300; i += 2) churned.Remove("gone-" + std::to_string(i));
  for (const auto& [id, name] : people) churned.Put(id, name);
  for (std::size_t i = 1; i < 300; i += 2) churned.Remove("gone-" + std::to_string(i));
  REQUIRE(churned.size() == forward.size());

  const auto top = forward.Search("Mohammed Ali", 0.5, 10);
  REQUIRE(top.size() >= 7);
  CHECK(top[0].id == "n-01");
  CHECK(top[1].id == "n-03");
  CHECK(top[2].id == "n-05");
  CHECK(top[3].id == "n-07");
  CHECK(top[4].id == "n-11");
  for (int i = 0; i < 5; ++i) CHECK(top[i].score == 1.0);
  CHECK(top[5].id == "n-04");  // Reordered: 0.99
  CHECK(top[6].id == "n-02");  // Transliterated
  CHECK(top[5].score > top[6].score);

  std::vector<std::string> queries = {"Mohammed Ali",  "Mohammed",  "Muhamad", "Ali",
                                      "Mohamed Okeke", "Fatima",    "Nguyen",  "Smith",
                                      "Ahmed Khan",    "Abdi Farah"};
  for (std::size_t i = 0; i < filler.size(); i += 97) queries.push_back(filler[i]);
  for (const std::string& q : queries) {
    INFO("query " << q);
    const auto a = forward.Search(q, 0.0, 1000);
    const auto b = churned.Search(q, 0.0, 1000);
    CHECK(Ordered(a));
    CHECK(SameResults(a, b));
    CHECK(SameResults(a, forward.Search(q, 0.0, 1000)));  // Repeatable
  }
}

TEST_CASE("NameIndex Put replaces and Remove forgets", "[search]") {
  NameIndex index;
  const std::vector<std::string> filler = FillerNames(200);
  for (std::size_t i = 0; i < filler.size(); ++i) index.Put("f" + std::to_string(i), filler[i]);
  const std::size_t base = index.size();

  index.Put("p1", "Oksana Kovalenko");
  CHECK(index.size() == base + 1);
  CHECK(Contains(index.Search("Oxana Kovalenko", kDuplicateNameScore, 10), "p1"));

  index.Put("p1", "Oksana Kovalenko");  // Same name again: no change.
  CHECK(index.size() == base + 1);

  index.Put("p1", "Grace Okonkwo");  // Renamed.
  CHECK(index.size() == base + 1);
  CHECK_FALSE(Contains(index.Search("Oksana Kovalenko", 0.0, 100), "p1"));
  const auto renamed = index.Search("Grace Okonkwo", kDuplicateNameScore, 10);
  REQUIRE(Contains(renamed, "p1"));
  CHECK(renamed[0].id == "p1");
  CHECK(renamed[0].score == 1.0);

  index.Remove("p1");
  CHECK(index.size() == base);
  CHECK_FALSE(Contains(index.Search("Grace Okonkwo", 0.0, 100), "p1"));
  index.Remove("p1");  // Absent: no-op.
  index.Remove("never-there");
  CHECK(index.size() == base);

  index.Put("p2", "Yusuf Ahmed");  // Reuses the freed slot.
  CHECK(Contains(index.Search("Youssef Ahmad", kDuplicateNameScore, 10), "p2"));
  CHECK_FALSE(Contains(index.Search("Grace Okonkwo", 0.0, 100), "p1"));

  index.Put("p3", "--- 123");  // Normalises to "": kept, never found.
  CHECK(index.size() == base + 2);
  CHECK_FALSE(Contains(index.Search("---", 0.0, 100), "p3"));
  CHECK(index.Search("", 0.0, 100).empty());
  CHECK(index.Search("Yusuf Ahmed", 0.0, 0).empty());
  CHECK(index.Search("Mohammed", 0.0, 3).size() <= 3);
  CHECK(index.ApproximateMemoryBytes() > 0);

  NameIndex empty;
  CHECK(empty.size() == 0);
  CHECK(empty.Search("Mohammed Ali", 0.0, 10).empty());
}

TEST_CASE("NameIndex finds repeated and typed-wrong names behind common ones", "[search]") {
  const std::vector<std::string> filler = FillerNames(1500);
  NameIndex index;
  // Far more "Mohamed ...", "Mohamed Ali ..." and "Omar ..." than one search
  // scores.
  for (std::size_t i = 0; i < filler.size(); ++i) {
    const std::string family = filler[i].substr(filler[i].find(' ') + 1);
    index.Put("m" + std::to_string(i), "Mohamed " + family);
    index.Put("ma" + std::to_string(i), "Mohamed Ali " + family);
    index.Put("o" + std::to_string(i), "Omar " + family);
    // "minh eze" run together has the key of "mensah".
    index.Put("x" + std::to_string(i), filler[i].substr(0, filler[i].find(' ')) + " Mensah");
  }
  index.Put("minh", "Minh Eze");
  index.Put("somali", "Mohamed Ali Mohamed");  // Repeated patronymic.
  index.Put("twice", "Mohamed Mohamed");
  index.Put("typo", "Omar Okonkwo");

  const auto repeated = index.Search("Mohamed Ali Mohamed", kDuplicateNameScore, 5);
  REQUIRE_FALSE(repeated.empty());
  CHECK(repeated[0].id == "somali");
  CHECK(Contains(index.Search("Mohammed Mohamed Ali", kDuplicateNameScore, 5), "somali"));
  const auto twice = index.Search("Mohamed Mohamed", kDuplicateNameScore, 5);
  REQUIRE_FALSE(twice.empty());
  CHECK(twice[0].id == "twice");
  const auto minh = index.Search("Minh Eze", kDuplicateNameScore, 5);
  REQUIRE_FALSE(minh.empty());
  CHECK(minh[0].id == "minh");
  CHECK(Contains(index.Search("Omar Okonkow", kDuplicateNameScore, 5), "typo"));
  CHECK(Contains(index.Search("Umar Okonkwo", kDuplicateNameScore, 5), "typo"));
}

TEST_CASE("NameIndex finds names split or joined differently", "[search]") {
  const std::vector<std::string> filler = FillerNames(2000);
  NameIndex index;
  for (std::size_t i = 0; i < filler.size(); ++i) index.Put("f" + std::to_string(i), filler[i]);
  index.Put("joined", "Abdulrahman");
  index.Put("split", "Chukwu Emeka");
  index.Put("article", "Al Hassan Yusuf");
  index.Put("elsayed", "Elsayed");
  index.Put("hassan", "Hassan");
  // The joined and split forms share no token, only the run-together key.
  CHECK(Contains(index.Search("Abdul Rahman", kDuplicateNameScore, 10), "joined"));
  CHECK(Contains(index.Search("Abdel-Rahman", kDuplicateNameScore, 10), "joined"));
  CHECK(Contains(index.Search("Chukwuemeka", kDuplicateNameScore, 10), "split"));
  CHECK(Contains(index.Search("Alhassan Yusuf", kDuplicateNameScore, 10), "article"));
  // An Arabic article run into the name, on either side.
  CHECK(Contains(index.Search("Sayed", kDuplicateNameScore, 10), "elsayed"));
  CHECK(Contains(index.Search("Alhassan", kDuplicateNameScore, 10), "hassan"));
}

TEST_CASE("NameIndex finds names with a variation in every token", "[search]") {
  const NamePair kEveryToken[] = {
      {"Elena Kovalenko", "Yelena Kovalenro"},
      {"Grace Mensah", "Grate Mensak"},
      {"Tunde Adeyemi", "Tundre Adeyeni"},
  };
  const std::vector<std::string> filler = FillerNames(2000);
  NameIndex index;
  for (std::size_t i = 0; i < filler.size(); ++i) index.Put("f" + std::to_string(i), filler[i]);
  for (std::size_t i = 0; i < std::size(kEveryToken); ++i) {
    index.Put("p" + std::to_string(i), kEveryToken[i].a);
  }
  for (std::size_t i = 0; i < std::size(kEveryToken); ++i) {
    INFO(kEveryToken[i].a << " ~ " << kEveryToken[i].b);
    CHECK(NameSimilarity(kEveryToken[i].a, kEveryToken[i].b) >= 0.8);
    CHECK(
        Contains(index.Search(kEveryToken[i].b, kDuplicateNameScore, 10), "p" + std::to_string(i)));
  }
}
