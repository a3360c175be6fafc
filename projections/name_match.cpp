#include "projections/name_match.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <utility>

namespace nrpf::projections {
namespace {

// ---------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------

// ASCII folding of U+00C0..U+02AF (Latin-1 Supplement letters, Latin
// Extended-A, Latin Extended-B, IPA Extensions) and U+1E00..U+1EFF (Latin
// Extended Additional). Generated from the Unicode 14 character database:
// the ASCII letters of the compatibility decomposition, or for letters that
// do not decompose (ø, ł, đ, ı, ŋ, ɔ, ə, ...) the base letter of the
// character name; ß, æ, œ, þ and the digraphs are spelt out. "" means the
// code point has no Latin reading and is dropped.
constexpr std::uint32_t kFoldLowBegin = 0x00C0;
constexpr std::uint32_t kFoldLowEnd = 0x02B0;
constexpr std::uint32_t kFoldHighBegin = 0x1E00;
constexpr std::uint32_t kFoldHighEnd = 0x1F00;

constexpr char kFoldLow[kFoldLowEnd - kFoldLowBegin][3] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // U+00C0
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",  // U+00D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // U+00E0
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",  // U+00F0
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",  // U+0100
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",  // U+0110
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",  // U+0120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",  // U+0130
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",  // U+0140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",  // U+0150
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",  // U+0160
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",  // U+0170
    "b", "b", "b", "b", "", "", "o", "c", "c", "d", "d", "d", "d", "", "e", "e",  // U+0180
    "e", "f", "f", "g", "g", "hv", "i", "i", "k", "k", "l", "", "m", "n", "n", "o",  // U+0190
    "o", "o", "oi", "oi", "p", "p", "", "", "", "s", "", "t", "t", "t", "t", "u",  // U+01A0
    "u", "u", "v", "y", "y", "z", "z", "z", "", "", "z", "", "", "", "", "",  // U+01B0
    "", "", "", "", "dz", "dz", "dz", "lj", "lj", "lj", "nj", "nj", "nj", "a", "a", "i",  // U+01C0
    "i", "o", "o", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "e", "a", "a",  // U+01D0
    "a", "a", "ae", "ae", "g", "g", "g", "g", "k", "k", "o", "o", "o", "o", "z", "z",  // U+01E0
    "j", "dz", "dz", "dz", "g", "g", "", "w", "n", "n", "a", "a", "ae", "ae", "o", "o",  // U+01F0
    "a", "a", "a", "a", "e", "e", "e", "e", "i", "i", "i", "i", "o", "o", "o", "o",  // U+0200
    "r", "r", "r", "r", "u", "u", "u", "u", "s", "s", "t", "t", "gh", "gh", "h", "h",  // U+0210
    "n", "d", "ou", "ou", "z", "z", "a", "a", "e", "e", "o", "o", "o", "o", "o", "o",  // U+0220
    "o", "o", "y", "y", "l", "n", "t", "j", "db", "qp", "a", "c", "c", "l", "t", "s",  // U+0230
    "z", "", "", "b", "u", "v", "e", "e", "j", "j", "", "q", "r", "r", "y", "y",  // U+0240
    "a", "a", "a", "b", "o", "c", "d", "d", "e", "e", "e", "e", "e", "e", "e", "j",  // U+0250
    "g", "g", "", "g", "", "h", "h", "", "i", "i", "", "l", "l", "l", "", "m",  // U+0260
    "m", "m", "n", "n", "", "o", "", "", "", "r", "r", "r", "r", "r", "r", "r",  // U+0270
    "", "", "s", "s", "j", "", "s", "t", "t", "u", "u", "v", "v", "w", "y", "",  // U+0280
    "z", "z", "z", "z", "", "", "", "", "", "", "e", "", "", "j", "k", "",  // U+0290
    "q", "", "", "dz", "", "dz", "ts", "", "", "", "", "", "", "", "h", "h",  // U+02A0
};

constexpr char kFoldHigh[kFoldHighEnd - kFoldHighBegin][3] = {
    "a", "a", "b", "b", "b", "b", "b", "b", "c", "c", "d", "d", "d", "d", "d", "d",  // U+1E00
    "d", "d", "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "f", "f",  // U+1E10
    "g", "g", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "i", "i", "i", "i",  // U+1E20
    "k", "k", "k", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", "l", "m", "m",  // U+1E30
    "m", "m", "m", "m", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",  // U+1E40
    "o", "o", "o", "o", "p", "p", "p", "p", "r", "r", "r", "r", "r", "r", "r", "r",  // U+1E50
    "s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t",  // U+1E60
    "t", "t", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "v", "v", "v", "v",  // U+1E70
    "w", "w", "w", "w", "w", "w", "w", "w", "w", "w", "x", "x", "x", "x", "y", "y",  // U+1E80
    "z", "z", "z", "z", "z", "z", "h", "t", "w", "y", "a", "s", "s", "s", "ss", "",  // U+1E90
    "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",  // U+1EA0
    "a", "a", "a", "a", "a", "a", "a", "a", "e", "e", "e", "e", "e", "e", "e", "e",  // U+1EB0
    "e", "e", "e", "e", "e", "e", "e", "e", "i", "i", "i", "i", "o", "o", "o", "o",  // U+1EC0
    "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o",  // U+1ED0
    "o", "o", "o", "o", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u",  // U+1EE0
    "u", "u", "y", "y", "y", "y", "y", "y", "y", "y", "ll", "ll", "v", "v", "y", "y",  // U+1EF0
};

enum class CharKind { kLetters, kSeparator, kDrop };

// Classifies one code point. For kLetters, *letters is the lower-case ASCII
// spelling (one or two letters, NUL-terminated).
CharKind Classify(char32_t cp, const char** letters) {
  static constexpr char kAsciiLower[26][2] = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                              "j", "k", "l", "m", "n", "o", "p", "q", "r",
                                              "s", "t", "u", "v", "w", "x", "y", "z"};
  if (cp < 0x80) {
    if (cp >= 'a' && cp <= 'z') {
      *letters = kAsciiLower[cp - 'a'];
      return CharKind::kLetters;
    }
    if (cp >= 'A' && cp <= 'Z') {
      *letters = kAsciiLower[cp - 'A'];
      return CharKind::kLetters;
    }
    if (cp == '\'' || cp == '`') return CharKind::kDrop;
    if (cp >= '0' && cp <= '9') return CharKind::kDrop;
    if (cp == ' ' || (cp >= '\t' && cp <= '\r')) return CharKind::kSeparator;
    if (cp < 0x20 || cp == 0x7F) return CharKind::kDrop;
    return CharKind::kSeparator;  // Other ASCII punctuation: - . , / ( ) & ...
  }
  if (cp < 0xC0) {
    switch (cp) {
      case 0x85:  // NEXT LINE
      case 0xA0:  // NO-BREAK SPACE
        return CharKind::kSeparator;
      case 0xAA:  // ª
      case 0xAD:  // SOFT HYPHEN
      case 0xB2:  // ²
      case 0xB3:  // ³
      case 0xB4:  // ´ (typed as an apostrophe)
      case 0xB7:  // · (Catalan l·l)
      case 0xB9:  // ¹
      case 0xBA:  // º
      case 0xBC:  // ¼
      case 0xBD:  // ½
      case 0xBE:  // ¾
        return CharKind::kDrop;
      default:
        return cp < 0xA0 ? CharKind::kDrop : CharKind::kSeparator;  // C1 controls; symbols.
    }
  }
  if (cp < kFoldLowEnd) {
    if (cp == 0xD7 || cp == 0xF7) return CharKind::kSeparator;  // × ÷
    const char* f = kFoldLow[cp - kFoldLowBegin];
    if (f[0] == '\0') return CharKind::kDrop;
    *letters = f;
    return CharKind::kLetters;
  }
  if (cp < 0x0370) return CharKind::kDrop;  // Modifier letters (ʼ ʻ ʾ ʿ ˈ), combining marks.
  if (cp >= kFoldHighBegin && cp < kFoldHighEnd) {
    const char* f = kFoldHigh[cp - kFoldHighBegin];
    if (f[0] == '\0') return CharKind::kDrop;
    *letters = f;
    return CharKind::kLetters;
  }
  if (cp >= 0x2000 && cp <= 0x206F) {  // General Punctuation.
    if (cp <= 0x200A) return CharKind::kSeparator;                  // Spaces.
    if (cp <= 0x200F) return CharKind::kDrop;                       // Zero-width, LRM, RLM.
    if (cp >= 0x2018 && cp <= 0x201B) return CharKind::kDrop;       // Single quotes.
    if (cp >= 0x202A && cp <= 0x202E) return CharKind::kDrop;       // Bidi embedding.
    if (cp >= 0x2032 && cp <= 0x2037) return CharKind::kDrop;       // Primes.
    if (cp >= 0x2060) return CharKind::kDrop;                       // Word joiner, invisibles.
    return CharKind::kSeparator;  // Dashes, double quotes, bullets, line separators...
  }
  if (cp == 0x3000) return CharKind::kSeparator;  // IDEOGRAPHIC SPACE
  if (cp >= 0xFB00 && cp <= 0xFB06) {             // Latin ligatures.
    static constexpr char kLigatures[7][4] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
    *letters = kLigatures[cp - 0xFB00];
    return CharKind::kLetters;
  }
  if (cp >= 0xFF01 && cp <= 0xFF5E) {  // Full-width ASCII.
    return Classify(cp - 0xFF01 + 0x21, letters);
  }
  // Other scripts, combining marks (U+1AB0.., U+1DC0.., U+20D0.., U+FE20..),
  // variation selectors, BOM, symbols, emoji.
  return CharKind::kDrop;
}

// Decodes the UTF-8 sequence at s[i]. Returns its length and sets *cp, or
// returns 0 if the bytes at s[i] do not start a valid, shortest-form sequence
// of a Unicode scalar value.
std::size_t DecodeUtf8(std::string_view s, std::size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  std::size_t len;
  char32_t v;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, v = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, v = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, v = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

// ---------------------------------------------------------------------------
// Phonetic key
// ---------------------------------------------------------------------------
//
// PhoneticKey rules, applied left to right to the ASCII letters of a token
// (one lower-case code letter per consonant sound; vowels mostly dropped):
//
// Consonant digraphs and special letters
//   ph -> f            th -> t          dh -> d          kh -> k
//   sh, sch -> s       zh -> j          dj, dzh -> j     ck -> k
//   ch, tch, tsch, cz -> c   (the "ch" sound: Chukwuemeka, Kovalchuk, Czesław)
//   ch before r or l -> k    (Christopher, Chloe)
//   c before e, i, y -> s; other c -> k;  q -> k;  z -> s
//   x -> ks, but x at the start -> s                     (Alexander = Aleksandr)
//   gh -> g at the start or before a vowel; otherwise silent (Leigh, Wright)
//   w -> v at the start or before a vowel (Wolodymyr = Volodymyr, Chukwu);
//        otherwise silent (Andrew)
// h (when not part of a digraph above)
//   at the start -> h; after a consonant -> silent (Siobhan, Bhatt);
//   at the end after a vowel -> silent (Fatimah = Fatima, Sarah, Abdullah);
//   between vowels -> h (Mohammed -> m-h-m-d);
//   after a vowel and before a consonant -> x, a distinct "coda h", so
//        Ahmed/Ahmad -> "axmd" and Mahmoud -> "mxmd" stay apart from
//        Mohammed -> "mhmd" (different names with the same consonants).
// Vowels a e i o u, and y
//   y at the start before a vowel is the consonant y (Yusuf -> "ysf").
//   i or y straight after a, e, o or u is a glide, written y, so Hussein,
//        Husain, Hussain, Husayn -> "hsyn" while Hassan -> "hsn";
//        Zainab = Zaynab = Zeinab; Sergei = Sergey; Aisha = Ayesha.
//   Any other vowel (y included: Maryam = Mariam) is dropped, except that a
//        token starting with a vowel gets the key letter 'a' for it, so
//        initial vowels are interchangeable: Oleksandr = Aleksandr, Osman =
//        Usman, Ibrahim = Ebrahim. (NameSimilarity only trusts that for keys
//        of 4+ letters: Omar and Amir share "amr" but are different names.)
// Repeats
//   The same code twice with no vowel between is written once (Mohammed =
//   Mohamed, Hussein = Husein, Rocco); across a vowel it is kept, so
//   Tatiana -> "ttn" stays apart from Tina -> "tn".
// Arabic article
//   Not stripped here: "alhassan" -> "alsn". NameSimilarity and NameIndex
//   additionally try a token that starts with al/el + consonant with the
//   article removed, when 5+ letters remain ("alhassan" ~ "hassan").

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }
bool IsVowelOrY(char c) { return IsVowel(c) || c == 'y'; }

// Appends the key of the ASCII letters `s` (lower case) to `*out`.
void AppendKey(const char* s, std::size_t n, std::string* out) {
  enum Sym : char { kVowel = 0, kGlide = 1 };
  const std::size_t start = out->size();
  bool first = true;
  bool vowel_since_last = false;
  auto at = [&](std::size_t k) -> char { return k < n ? s[k] : '\0'; };
  auto emit = [&](char code) {
    if (first) {
      first = false;
      out->push_back(code == kVowel || code == kGlide ? 'a' : code);
      vowel_since_last = false;
      return;
    }
    if (code == kVowel) {
      vowel_since_last = true;
      return;
    }
    const char c = code == kGlide ? 'y' : code;
    if (!vowel_since_last && out->size() > start && out->back() == c) return;
    out->push_back(c);
    vowel_since_last = false;
  };

  std::size_t i = 0;
  while (i < n) {
    const char c = s[i];
    const char next = at(i + 1);
    const char next2 = at(i + 2);
    const char prev = i > 0 ? s[i - 1] : '\0';
    std::size_t used = 1;
    switch (c) {
      case 'a':
      case 'e':
      case 'o':
      case 'u':
        emit(kVowel);
        break;
      case 'i':
        emit(prev != '\0' && IsVowel(prev) && prev != 'i' ? kGlide : kVowel);
        break;
      case 'y':
        if (i == 0 && IsVowel(next)) {
          emit('y');
        } else if (prev != '\0' && IsVowel(prev) && prev != 'i') {
          emit(kGlide);
        } else {
          emit(kVowel);
        }
        break;
      case 'c':
        if (next == 'h') {
          emit(next2 == 'r' || next2 == 'l' ? 'k' : 'c');
          used = 2;
        } else if (next == 'k') {
          emit('k');
          used = 2;
        } else if (next == 'z') {
          emit('c');
          used = 2;
        } else {
          emit(next == 'e' || next == 'i' || next == 'y' ? 's' : 'k');
        }
        break;
      case 'd':
        if (next == 'j') {
          emit('j');
          used = 2;
        } else if (next == 'z' && next2 == 'h') {
          emit('j');
          used = 3;
        } else if (next == 'h') {
          emit('d');
          used = 2;
        } else {
          emit('d');
        }
        break;
      case 'g':
        if (next == 'h') {
          if (i == 0 || IsVowelOrY(next2)) emit('g');
          used = 2;
        } else {
          emit('g');
        }
        break;
      case 'h':
        if (i == 0) {
          emit('h');
        } else if (!IsVowelOrY(prev)) {
          // Silent after a consonant.
        } else if (next == '\0') {
          // Silent at the end after a vowel.
        } else if (IsVowelOrY(next)) {
          emit('h');
        } else {
          emit('x');
        }
        break;
      case 'k':
        emit('k');
        if (next == 'h') used = 2;
        break;
      case 'p':
        if (next == 'h') {
          emit('f');
          used = 2;
        } else {
          emit('p');
        }
        break;
      case 'q':
        emit('k');
        break;
      case 's':
        if (next == 'c' && next2 == 'h') {
          used = 3;
        } else if (next == 'h') {
          used = 2;
        }
        emit('s');
        break;
      case 't':
        if (next == 'h') {
          emit('t');
          used = 2;
        } else if (next == 'c' && next2 == 'h') {
          emit('c');
          used = 3;
        } else if (next == 's' && next2 == 'c' && at(i + 3) == 'h') {
          emit('c');
          used = 4;
        } else {
          emit('t');
        }
        break;
      case 'w':
        if (i == 0 || IsVowelOrY(next)) emit('v');
        break;
      case 'x':
        if (i == 0) {
          emit('s');
        } else {
          emit('k');
          emit('s');
        }
        break;
      case 'z':
        if (next == 'h') {
          emit('j');
          used = 2;
        } else {
          emit('s');
        }
        break;
      default:  // b f j l m n r v
        emit(c);
        break;
    }
    i += used;
  }
}

// ---------------------------------------------------------------------------
// Tokens and similarity
// ---------------------------------------------------------------------------

constexpr std::size_t kMaxTokens = 16;
constexpr double kMatchThreshold = 0.7;   // Token pairs below this do not match.
constexpr double kInitialScore = 0.8;     // "j" vs "john".
constexpr double kConcatFactor = 0.97;    // "abdul rahman" vs "abdulrahman".
constexpr double kStripFactor = 0.9;      // "alhassan" vs "hassan".
constexpr double kArticleScore = 0.9;     // "al" vs "el".
constexpr double kParticleWeight = 0.25;
constexpr double kInitialWeight = 0.5;
constexpr double kExtraTokenCost = 0.5;   // Relative cost of a token present on one side only.
constexpr double kMaxUnequalScore = 0.99; // Cap for names whose normalised forms differ.

bool IsParticle(std::string_view t) {
  static constexpr std::string_view kParticles[] = {
      "al",  "el",  "ul",  "ad",   "ar",    "as",  "at",  "bin", "ibn", "bint", "binti",
      "van", "von", "der", "den",  "de",    "da",  "del", "della", "dos", "das"};
  for (std::string_view p : kParticles) {
    if (t == p) return true;
  }
  return false;
}

bool IsArabicArticle(std::string_view t) {
  return t == "al" || t == "el" || t == "ul" || t == "ad" || t == "ar" || t == "as" || t == "at";
}

struct Token {
  std::string text;
  std::string key;
  std::string strip_text;  // Text without a leading al/el article, or "".
  std::string strip_key;
  double weight = 1;
  bool particle = false;
  bool initial = false;
};

// A normalised name split into tokens, with keys, ready for comparison.
// Reusable: Assign keeps allocated capacity.
struct PreparedName {
  std::string norm;
  std::vector<Token> tokens;  // First n are valid.
  std::vector<Token> pairs;   // pairs[i] = tokens i and i+1 run together; first n-1 valid.
  std::size_t n = 0;

  void Assign(std::string_view normalised);
};

void SetKey(std::string_view text, std::string* key) {
  key->clear();
  AppendKey(text.data(), text.size(), key);
}

void PreparedName::Assign(std::string_view normalised) {
  norm.assign(normalised);
  n = 0;
  std::size_t pos = 0;
  while (pos < norm.size() && n < kMaxTokens) {
    std::size_t end = norm.find(' ', pos);
    if (end == std::string::npos) end = norm.size();
    if (tokens.size() <= n) tokens.emplace_back();
    Token& t = tokens[n];
    const std::string_view text(norm.data() + pos, end - pos);
    t.text.assign(text);
    SetKey(text, &t.key);
    t.particle = IsParticle(text);
    t.initial = text.size() == 1;
    t.weight = t.particle ? kParticleWeight : t.initial ? kInitialWeight : 1.0;
    t.strip_text.clear();
    t.strip_key.clear();
    if (text.size() >= 7 && (text[0] == 'a' || text[0] == 'e') && text[1] == 'l' &&
        !IsVowelOrY(text[2])) {
      t.strip_text.assign(text.substr(2));
      SetKey(t.strip_text, &t.strip_key);
    }
    ++n;
    pos = end + 1;
  }
  if (pairs.size() + 1 < n) pairs.resize(n - 1);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    Token& p = pairs[i];
    p.text.assign(tokens[i].text);
    p.text.append(tokens[i + 1].text);
    SetKey(p.text, &p.key);
    p.weight = tokens[i].weight + tokens[i + 1].weight;
  }
}

std::size_t LengthGap(std::size_t a, std::size_t b) { return a > b ? a - b : b - a; }

// Similarity of two distinct single tokens from spelling and phonetic key.
double SpellingSimilarity(std::string_view a, std::string_view a_key, std::string_view b,
                          std::string_view b_key) {
  if (a == b) return 1;
  const auto longest = static_cast<std::uint32_t>(std::max(a.size(), b.size()));
  // Equal keys count only when they cannot come from initial-vowel folding
  // alone on a short key (Omar / Amir both give "amr").
  const bool sound_alike =
      !a_key.empty() && a_key == b_key && (a[0] == b[0] || a_key.size() >= 4);
  if (!sound_alike && LengthGap(a.size(), b.size()) > 2) return 0;
  const std::uint32_t d = EditDistance(a, b, sound_alike ? longest : 2);
  const double closeness = 1.0 - static_cast<double>(d) / longest;
  double s = 0;
  if (d == 1) {
    s = closeness;  // One typo.
  } else if (d == 2) {
    s = 0.8 * closeness;  // Two edits are only a match in long tokens.
  }
  if (sound_alike) s = std::max(s, 0.75 + 0.25 * closeness);
  return s;
}

double TokenSimilarity(const Token& a, const Token& b) {
  if (a.text == b.text) return 1;
  if (a.initial || b.initial) return a.text[0] == b.text[0] ? kInitialScore : 0;
  if (a.particle && b.particle) {
    return IsArabicArticle(a.text) && IsArabicArticle(b.text) ? kArticleScore : 0;
  }
  double s = SpellingSimilarity(a.text, a.key, b.text, b.key);
  if (!a.strip_text.empty()) {
    s = std::max(s, kStripFactor * SpellingSimilarity(a.strip_text, a.strip_key, b.text, b.key));
  }
  if (!b.strip_text.empty()) {
    s = std::max(s, kStripFactor * SpellingSimilarity(a.text, a.key, b.strip_text, b.strip_key));
  }
  return s;
}

// Similarity of tokens a_i a_{i+1} run together against b_j.
double ConcatSimilarity(const Token& pair, const Token& single) {
  if (single.initial || single.particle) return 0;
  return kConcatFactor * SpellingSimilarity(pair.text, pair.key, single.text, single.key);
}

struct Unit {
  double score;
  std::uint8_t kind;  // 0: a_i ~ b_j; 1: a_i a_{i+1} ~ b_j; 2: a_i ~ b_j b_{j+1}.
  std::uint8_t i;
  std::uint8_t j;
};

double Similarity(const PreparedName& a, const PreparedName& b) {
  if (a.n == 0 || b.n == 0) return 0;
  if (a.norm == b.norm) return 1;

  std::array<Unit, kMaxTokens * kMaxTokens * 3> units;
  std::size_t nu = 0;
  auto add = [&](double s, int kind, std::size_t i, std::size_t j) {
    if (s >= kMatchThreshold) {
      units[nu++] = Unit{s, static_cast<std::uint8_t>(kind), static_cast<std::uint8_t>(i),
                         static_cast<std::uint8_t>(j)};
    }
  };
  for (std::size_t i = 0; i < a.n; ++i) {
    for (std::size_t j = 0; j < b.n; ++j) add(TokenSimilarity(a.tokens[i], b.tokens[j]), 0, i, j);
  }
  for (std::size_t i = 0; i + 1 < a.n; ++i) {
    for (std::size_t j = 0; j < b.n; ++j) add(ConcatSimilarity(a.pairs[i], b.tokens[j]), 1, i, j);
  }
  for (std::size_t i = 0; i < a.n; ++i) {
    for (std::size_t j = 0; j + 1 < b.n; ++j) add(ConcatSimilarity(b.pairs[j], a.tokens[i]), 2, i, j);
  }
  std::sort(units.begin(), units.begin() + static_cast<std::ptrdiff_t>(nu),
            [](const Unit& x, const Unit& y) {
              if (x.score != y.score) return x.score > y.score;
              if (x.kind != y.kind) return x.kind < y.kind;
              if (x.i != y.i) return x.i < y.i;
              return x.j < y.j;
            });

  // Greedy one-to-one pairing, best first.
  std::array<bool, kMaxTokens> used_a{};
  std::array<bool, kMaxTokens> used_b{};
  double matched = 0;         // Sum of score * weight over matched tokens.
  double matched_weight = 0;  // Sum of weight over matched tokens.
  for (std::size_t u = 0; u < nu; ++u) {
    const Unit& m = units[u];
    const std::size_t a_last = m.kind == 1 ? m.i + 1 : m.i;
    const std::size_t b_last = m.kind == 2 ? m.j + 1 : m.j;
    if (used_a[m.i] || used_a[a_last] || used_b[m.j] || used_b[b_last]) continue;
    used_a[m.i] = used_a[a_last] = true;
    used_b[m.j] = used_b[b_last] = true;
    const double w = (m.kind == 1 ? a.pairs[m.i].weight : a.tokens[m.i].weight) +
                     (m.kind == 2 ? b.pairs[m.j].weight : b.tokens[m.j].weight);
    matched += m.score * w;
    matched_weight += w;
  }
  if (matched == 0) return 0;
  double left_a = 0;
  double left_b = 0;
  for (std::size_t i = 0; i < a.n; ++i) {
    if (!used_a[i]) left_a += a.tokens[i].weight;
  }
  for (std::size_t j = 0; j < b.n; ++j) {
    if (!used_b[j]) left_b += b.tokens[j].weight;
  }
  // Tokens left on both sides are different names (full cost); tokens left
  // on one side only may just be missing there (reduced cost).
  const double conflicting = std::min(left_a, left_b);
  const double extra = std::max(left_a, left_b) - conflicting;
  const double score = matched / (matched_weight + 2 * conflicting + kExtraTokenCost * extra);
  return std::min(score, kMaxUnequalScore);
}

// ---------------------------------------------------------------------------
// Index keys
// ---------------------------------------------------------------------------

// A key packs up to 12 key letters, 5 bits each (1..26, so the length is
// implicit), and a tag in the top 4 bits. Longer keys are truncated.
constexpr std::uint64_t kTagExact = 0;     // A token's (or token pair's) key.
constexpr std::uint64_t kTagDeletion = 1;  // A key with one letter deleted.
constexpr std::size_t kPackedLetters = 12;
constexpr std::size_t kMinKeyForDeletions = 3;  // Deleting from "al" gives hopeless lists.

std::uint64_t PackKey(std::string_view key, std::size_t skip, std::uint64_t tag) {
  std::uint64_t v = 0;
  std::size_t taken = 0;
  for (std::size_t k = 0; k < key.size() && taken < kPackedLetters; ++k) {
    if (k == skip) continue;
    v = (v << 5) | static_cast<std::uint64_t>(key[k] - 'a' + 1);
    ++taken;
  }
  return v | (tag << 60);
}
constexpr std::size_t kNoSkip = static_cast<std::size_t>(-1);

bool Indexable(const Token& t) { return !t.particle && !t.initial; }

bool AnyIndexable(const PreparedName& p) {
  for (std::size_t i = 0; i < p.n; ++i) {
    if (Indexable(p.tokens[i])) return true;
  }
  return false;
}

// All packed keys a stored name is posted under, ascending and unique.
void StoredKeys(const PreparedName& p, std::vector<std::uint64_t>* out) {
  out->clear();
  const bool any = AnyIndexable(p);
  for (std::size_t i = 0; i < p.n; ++i) {
    const Token& t = p.tokens[i];
    if (any && !Indexable(t)) continue;
    if (t.key.empty()) continue;
    out->push_back(PackKey(t.key, kNoSkip, kTagExact));
    if (t.key.size() >= kMinKeyForDeletions) {
      for (std::size_t k = 0; k < t.key.size(); ++k) out->push_back(PackKey(t.key, k, kTagDeletion));
    }
    if (!t.strip_key.empty()) out->push_back(PackKey(t.strip_key, kNoSkip, kTagExact));
  }
  for (std::size_t i = 0; i + 1 < p.n; ++i) {
    if (!p.pairs[i].key.empty()) out->push_back(PackKey(p.pairs[i].key, kNoSkip, kTagExact));
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

// A key a query looks up, and which query tokens a hit on it stands for:
// `strong` bits for an exact key match, `weak` bits for a match within one
// deletion on either side.
struct Probe {
  std::uint64_t key;
  std::uint32_t strong;
  std::uint32_t weak;
};

void QueryProbes(const PreparedName& q, std::vector<Probe>* out) {
  out->clear();
  const bool any = AnyIndexable(q);
  auto add = [out](std::uint64_t key, std::uint32_t strong, std::uint32_t weak) {
    out->push_back(Probe{key, strong, weak});
  };
  for (std::size_t i = 0; i < q.n; ++i) {
    const Token& t = q.tokens[i];
    if ((any && !Indexable(t)) || t.key.empty()) continue;
    const std::uint32_t bit = 1u << i;
    add(PackKey(t.key, kNoSkip, kTagExact), bit, 0);
    add(PackKey(t.key, kNoSkip, kTagDeletion), 0, bit);  // Stored token has one letter more.
    if (t.key.size() >= kMinKeyForDeletions) {
      for (std::size_t k = 0; k < t.key.size(); ++k) {
        add(PackKey(t.key, k, kTagExact), 0, bit);     // Stored token has one letter less.
        add(PackKey(t.key, k, kTagDeletion), 0, bit);  // One letter differs.
      }
    }
    if (!t.strip_key.empty()) add(PackKey(t.strip_key, kNoSkip, kTagExact), bit, 0);
  }
  for (std::size_t i = 0; i + 1 < q.n; ++i) {
    if (q.pairs[i].key.empty()) continue;
    const std::uint32_t bits = (1u << i) | (1u << (i + 1));
    add(PackKey(q.pairs[i].key, kNoSkip, kTagExact), bits, 0);
  }
  std::sort(out->begin(), out->end(),
            [](const Probe& x, const Probe& y) { return x.key < y.key; });
  std::size_t w = 0;
  for (std::size_t r = 0; r < out->size(); ++r) {
    if (w > 0 && (*out)[w - 1].key == (*out)[r].key) {
      (*out)[w - 1].strong |= (*out)[r].strong;
      (*out)[w - 1].weak |= (*out)[r].weak;
    } else {
      (*out)[w++] = (*out)[r];
    }
  }
  out->resize(w);
}

std::uint64_t Fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// Per-thread scratch for Search: one mark word per slot (low 16 bits: query
// tokens matched exactly; high 16: matched within one edit), always left
// all-zero between searches.
struct SearchScratch {
  std::vector<std::uint32_t> marks;
  std::vector<std::uint32_t> touched;
  std::vector<Probe> probes;
  PreparedName query;
  PreparedName candidate;
};

SearchScratch& Scratch() {
  thread_local SearchScratch scratch;
  return scratch;
}

template <typename T>
std::size_t VectorBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

std::size_t StringBytes(const std::string& s) {
  // libstdc++ keeps up to 15 chars inline.
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public functions
// ---------------------------------------------------------------------------

std::string NormaliseName(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  bool pending_space = false;
  std::size_t i = 0;
  while (i < utf8.size()) {
    char32_t cp = 0;
    const std::size_t len = DecodeUtf8(utf8, i, &cp);
    if (len == 0) {  // Invalid byte: drop it and resynchronise on the next.
      ++i;
      continue;
    }
    i += len;
    const char* letters = nullptr;
    switch (Classify(cp, &letters)) {
      case CharKind::kLetters:
        if (pending_space && !out.empty()) out.push_back(' ');
        pending_space = false;
        out.append(letters);
        break;
      case CharKind::kSeparator:
        pending_space = true;
        break;
      case CharKind::kDrop:
        break;
    }
  }
  return out;
}

std::string PhoneticKey(std::string_view token) {
  std::string letters;
  letters.reserve(token.size());
  for (char c : token) {
    if (c >= 'a' && c <= 'z') {
      letters.push_back(c);
    } else if (c >= 'A' && c <= 'Z') {
      letters.push_back(static_cast<char>(c - 'A' + 'a'));
    }
  }
  std::string key;
  AppendKey(letters.data(), letters.size(), &key);
  return key;
}

std::uint32_t EditDistance(std::string_view a, std::string_view b, std::uint32_t max) {
  if (a.size() < b.size()) std::swap(a, b);  // b is the shorter: it spans the columns.
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  if (n - m > max) return max + 1;  // Cannot overflow: max < n - m here.
  // The distance never exceeds n, so a bound above n changes nothing; with
  // this clamp `over` (and over + 1 below) cannot overflow.
  const auto bound = static_cast<std::uint32_t>(std::min<std::size_t>(max, n));
  const std::uint32_t over = bound + 1;
  if (m == 0) return static_cast<std::uint32_t>(n);

  // Three rows of the DP table (i-2, i-1, i), only cells with |i - j| <= max
  // computed; cells outside that band are known to exceed max.
  constexpr std::size_t kInline = 64;
  std::array<std::uint32_t, 3 * (kInline + 1)> inline_rows;
  std::vector<std::uint32_t> heap_rows;
  std::uint32_t* rows = inline_rows.data();
  if (m > kInline) {
    heap_rows.resize(3 * (m + 1));
    rows = heap_rows.data();
  }
  std::uint32_t* prev2 = rows;
  std::uint32_t* prev = rows + (m + 1);
  std::uint32_t* cur = rows + 2 * (m + 1);
  std::fill(rows, rows + 3 * (m + 1), over);
  for (std::size_t j = 0; j <= m && j <= bound; ++j) prev[j] = static_cast<std::uint32_t>(j);
  std::uint32_t prev_min = 0;

  for (std::size_t i = 1; i <= n; ++i) {
    const std::size_t lo = i > bound ? i - bound : 1;
    const std::size_t hi = std::min<std::size_t>(m, i + bound);
    cur[lo - 1] = lo == 1 ? static_cast<std::uint32_t>(std::min<std::size_t>(i, over)) : over;
    std::uint32_t row_min = cur[lo - 1];
    const char ai = a[i - 1];
    for (std::size_t j = lo; j <= hi; ++j) {
      const char bj = b[j - 1];
      std::uint32_t v = prev[j - 1] + (ai == bj ? 0 : 1);
      v = std::min(v, prev[j] + 1);
      v = std::min(v, cur[j - 1] + 1);
      if (i > 1 && j > 1 && ai == b[j - 2] && a[i - 2] == bj) v = std::min(v, prev2[j - 2] + 1);
      v = std::min(v, over);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (hi < m) cur[hi + 1] = over;
    // Every cell of row i+1 is at least min(row i, row i-1 + 1).
    if (row_min > bound && prev_min >= bound) return max + 1;  // bound == max here.
    prev_min = row_min;
    std::uint32_t* recycled = prev2;
    prev2 = prev;
    prev = cur;
    cur = recycled;
  }
  return prev[m] > max ? max + 1 : prev[m];  // prev[m] <= n, so > max only if bound == max.
}

double NameSimilarity(std::string_view a, std::string_view b) {
  PreparedName pa;
  PreparedName pb;
  pa.Assign(NormaliseName(a));
  pb.Assign(NormaliseName(b));
  return Similarity(pa, pb);
}

// ---------------------------------------------------------------------------
// NameIndex
// ---------------------------------------------------------------------------

void NameIndex::AddKeys(std::uint32_t slot, const std::string& normalised) {
  PreparedName p;
  p.Assign(normalised);
  std::vector<std::uint64_t> keys;
  StoredKeys(p, &keys);
  for (std::uint64_t k : keys) {
    std::vector<std::uint32_t>& list = postings_[k];
    if (list.empty() || list.back() < slot) {
      list.push_back(slot);
    } else {
      auto it = std::lower_bound(list.begin(), list.end(), slot);
      if (it == list.end() || *it != slot) list.insert(it, slot);
    }
  }
}

void NameIndex::RemoveKeys(std::uint32_t slot, const std::string& normalised) {
  PreparedName p;
  p.Assign(normalised);
  std::vector<std::uint64_t> keys;
  StoredKeys(p, &keys);
  for (std::uint64_t k : keys) {
    auto found = postings_.find(k);
    if (found == postings_.end()) continue;
    std::vector<std::uint32_t>& list = found->second;
    auto it = std::lower_bound(list.begin(), list.end(), slot);
    if (it != list.end() && *it == slot) list.erase(it);
    if (list.empty()) postings_.erase(found);
  }
}

void NameIndex::Put(const std::string& id, std::string_view full_name) {
  std::string normalised = NormaliseName(full_name);
  auto found = slot_of_.find(id);
  if (found != slot_of_.end()) {
    Entry& e = entries_[found->second];
    if (e.name == normalised) return;
    RemoveKeys(found->second, e.name);
    e.name = std::move(normalised);
    AddKeys(found->second, e.name);
    return;
  }
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
    id_hash_.push_back(0);
  }
  Entry& e = entries_[slot];
  e.id = id;
  e.name = std::move(normalised);
  e.live = true;
  id_hash_[slot] = Fnv1a64(id);
  slot_of_.emplace(id, slot);
  AddKeys(slot, e.name);
}

void NameIndex::Remove(const std::string& id) {
  auto found = slot_of_.find(id);
  if (found == slot_of_.end()) return;
  const std::uint32_t slot = found->second;
  slot_of_.erase(found);
  Entry& e = entries_[slot];
  RemoveKeys(slot, e.name);
  e.id.clear();
  e.id.shrink_to_fit();
  e.name.clear();
  e.name.shrink_to_fit();
  e.live = false;
  id_hash_[slot] = 0;
  free_slots_.push_back(slot);
}

std::vector<NameIndex::Match> NameIndex::Search(std::string_view query, double min_score,
                                                std::size_t limit) const {
  std::vector<Match> results;
  if (limit == 0 || slot_of_.empty()) return results;
  SearchScratch& s = Scratch();
  s.query.Assign(NormaliseName(query));
  if (s.query.n == 0) return results;
  QueryProbes(s.query, &s.probes);

  // Gather: mark every slot reached by a probe with the query tokens it hit.
  if (s.marks.size() < entries_.size()) s.marks.resize(entries_.size(), 0);
  s.touched.clear();
  for (const Probe& probe : s.probes) {
    auto found = postings_.find(probe.key);
    if (found == postings_.end()) continue;
    const std::uint32_t bits = probe.strong | (probe.weak << 16);
    for (std::uint32_t slot : found->second) {
      std::uint32_t& mark = s.marks[slot];
      if (mark == 0) s.touched.push_back(slot);
      mark |= bits;
    }
  }

  // Rank: 3 points per query token matched exactly, 1 per token matched
  // within an edit. Clears the marks as it goes.
  struct Candidate {
    std::uint32_t slot;
    std::uint32_t hits;
  };
  std::vector<Candidate> candidates;
  candidates.reserve(s.touched.size());
  std::array<std::size_t, 3 * kMaxTokens + 1> per_hits{};
  for (std::uint32_t slot : s.touched) {
    const std::uint32_t strong = s.marks[slot] & 0xFFFF;
    const std::uint32_t weak = (s.marks[slot] >> 16) & ~strong;
    s.marks[slot] = 0;
    const auto hits = static_cast<std::uint32_t>(3 * std::popcount(strong) + std::popcount(weak));
    candidates.push_back(Candidate{slot, hits});
    ++per_hits[hits];
  }

  // Keep the kMaxScoredCandidates best by hits. Within the hits level that
  // straddles the cut, choose by id hash, then id: never by slot, which
  // depends on the history of Put and Remove.
  if (candidates.size() > kMaxScoredCandidates) {
    std::size_t above = 0;
    std::uint32_t cut = 0;
    for (std::size_t h = per_hits.size(); h-- > 0;) {
      if (above + per_hits[h] >= kMaxScoredCandidates) {
        cut = static_cast<std::uint32_t>(h);
        break;
      }
      above += per_hits[h];
    }
    std::vector<Candidate> keep;
    std::vector<Candidate> tied;
    keep.reserve(kMaxScoredCandidates);
    for (const Candidate& c : candidates) {
      if (c.hits > cut) {
        keep.push_back(c);
      } else if (c.hits == cut) {
        tied.push_back(c);
      }
    }
    const std::size_t room = kMaxScoredCandidates - keep.size();
    auto by_id = [this](const Candidate& x, const Candidate& y) {
      if (id_hash_[x.slot] != id_hash_[y.slot]) return id_hash_[x.slot] < id_hash_[y.slot];
      return entries_[x.slot].id < entries_[y.slot].id;
    };
    if (tied.size() > room) {
      std::nth_element(tied.begin(), tied.begin() + static_cast<std::ptrdiff_t>(room), tied.end(),
                       by_id);
      tied.resize(room);
    }
    keep.insert(keep.end(), tied.begin(), tied.end());
    candidates.swap(keep);
  }

  for (const Candidate& c : candidates) {
    const Entry& e = entries_[c.slot];
    s.candidate.Assign(e.name);
    const double score = Similarity(s.query, s.candidate);
    if (score >= min_score) results.push_back(Match{e.id, score});
  }
  std::sort(results.begin(), results.end(), [](const Match& x, const Match& y) {
    if (x.score != y.score) return x.score > y.score;
    return x.id < y.id;
  });
  if (results.size() > limit) results.resize(limit);
  return results;
}

std::size_t NameIndex::ApproximateMemoryBytes() const {
  std::size_t bytes = VectorBytes(entries_) + VectorBytes(id_hash_) + VectorBytes(free_slots_);
  for (const Entry& e : entries_) bytes += StringBytes(e.id) + StringBytes(e.name);
  // Hash nodes: key, value, next pointer and (for strings) the cached hash,
  // plus one bucket pointer each.
  bytes += slot_of_.bucket_count() * sizeof(void*);
  for (const auto& [id, slot] : slot_of_) {
    bytes += sizeof(std::pair<const std::string, std::uint32_t>) + 2 * sizeof(void*) +
             StringBytes(id);
  }
  bytes += postings_.bucket_count() * sizeof(void*);
  for (const auto& [key, list] : postings_) {
    bytes += sizeof(std::pair<const std::uint64_t, std::vector<std::uint32_t>>) + sizeof(void*) +
             VectorBytes(list);
  }
  return bytes;
}

}  // namespace nrpf::projections
