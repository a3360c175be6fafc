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

// clang-format off
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
// clang-format on

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
  if (cp >= 0x2000 && cp <= 0x206F) {                          // General Punctuation.
    if (cp <= 0x200A) return CharKind::kSeparator;             // Spaces.
    if (cp <= 0x200F) return CharKind::kDrop;                  // Zero-width, LRM, RLM.
    if (cp >= 0x2018 && cp <= 0x201B) return CharKind::kDrop;  // Single quotes.
    if (cp >= 0x202A && cp <= 0x202E) return CharKind::kDrop;  // Bidi embedding.
    if (cp >= 0x2032 && cp <= 0x2037) return CharKind::kDrop;  // Primes.
    if (cp >= 0x2060) return CharKind::kDrop;                  // Word joiner, invisibles.
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
//   x, and k/ck/c followed by s with no vowel between -> x; x at the start
//        -> s  (Alexander = Aleksandr = Oleksandr -> "alxndr", Oxana = Oksana)
//   gh -> g at the start or before a vowel; otherwise silent (Leigh, Wright)
//   w -> v at the start or before a vowel (Wolodymyr = Volodymyr, Chukwu);
//        otherwise silent (Andrew)
// h (when not part of a digraph above)
//   at the start -> h; after a consonant -> silent (Siobhan, Bhatt);
//   at the end after a vowel -> silent (Fatimah = Fatima, Sarah, Abdullah);
//   between vowels -> h (Mohammed -> m-h-m-d);
//   after a vowel and before a consonant -> q, a distinct "coda h", so
//        Ahmed/Ahmad -> "aqmd" and Mahmoud -> "mqmd" stay apart from
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
    if (c == 's' && !vowel_since_last && out->size() > start && out->back() == 'k') {
      out->back() = 'x';  // ks, cks, x: one letter.
    } else {
      out->push_back(c);
    }
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
          emit('q');
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
        emit(i == 0 ? 's' : 'x');
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
// Prepared names
// ---------------------------------------------------------------------------

constexpr std::size_t kMaxTokens = 16;        // Later tokens are ignored.
constexpr std::size_t kMaxTokenLetters = 64;  // Later letters of a token are ignored.

bool IsParticle(std::string_view t) {
  static constexpr std::string_view kParticles[] = {
      "al",  "el",  "ul",  "ad",  "ar", "as", "at",  "bin",   "ibn", "bint", "binti",
      "van", "von", "der", "den", "de", "da", "del", "della", "dos", "das"};
  for (std::string_view p : kParticles) {
    if (t == p) return true;
  }
  return false;
}

bool IsArabicArticle(std::string_view t) {
  return t == "al" || t == "el" || t == "ul" || t == "ad" || t == "ar" || t == "as" || t == "at";
}

// "alhassan" -> "hassan": al/el, then a consonant, then 5+ letters in all.
bool HasStrippableArticle(std::string_view t) {
  return t.size() >= 7 && (t[0] == 'a' || t[0] == 'e') && t[1] == 'l' && !IsVowelOrY(t[2]);
}

constexpr double kParticleWeight = 0.25;
constexpr double kInitialWeight = 0.5;

struct TokenView {
  std::string_view text;
  std::uint32_t letters = 0;  // Bit c - 'a' set for each letter c in text.
  std::string_view key;
  std::string_view strip_text;  // text without a leading al/el article, or "".
  std::string_view strip_key;
  double weight = 1;
  bool particle = false;
  bool initial = false;
};

// A normalised name split into tokens with their keys, as views into an
// encoded blob (see EncodeName).
struct PreparedName {
  std::string_view norm;
  std::size_t n = 0;
  std::array<TokenView, kMaxTokens> tokens;
  std::array<TokenView, kMaxTokens> pairs;  // pairs[i]: tokens i and i+1 run together.
};

// Splits `norm` into at most kMaxTokens tokens of at most kMaxTokenLetters.
std::size_t SplitTokens(std::string_view norm, std::array<std::string_view, kMaxTokens>* out) {
  std::size_t n = 0;
  std::size_t pos = 0;
  while (pos < norm.size() && n < kMaxTokens) {
    std::size_t end = norm.find(' ', pos);
    if (end == std::string_view::npos) end = norm.size();
    (*out)[n++] = norm.substr(pos, std::min(end - pos, kMaxTokenLetters));
    pos = end + 1;
  }
  return n;
}

// Encodes a normalised name with everything Similarity needs precomputed, so
// that stored names are compared without recomputing keys. Layout:
//   u8 n; u32 norm length (little-endian);
//   n x {u8 text length, u8 key length, u8 strip-key length, u8 flags};
//   (n-1) x {u8 pair-key length};
//   norm; token keys; strip keys; pair texts; pair keys.
void EncodeName(std::string_view norm, std::string* blob) {
  std::array<std::string_view, kMaxTokens> texts;
  const std::size_t n = SplitTokens(norm, &texts);
  const std::size_t header = 1 + 4 + 4 * n + (n > 0 ? n - 1 : 0);
  blob->assign(header, '\0');
  (*blob)[0] = static_cast<char>(n);
  const auto norm_len = static_cast<std::uint32_t>(norm.size());
  for (int k = 0; k < 4; ++k) (*blob)[1 + k] = static_cast<char>((norm_len >> (8 * k)) & 0xFF);
  blob->append(norm);
  auto set_len = [blob](std::size_t at, std::size_t len) {
    (*blob)[at] = static_cast<char>(static_cast<unsigned char>(len));
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t before = blob->size();
    AppendKey(texts[i].data(), texts[i].size(), blob);
    const std::size_t at = 5 + 4 * i;
    set_len(at, texts[i].size());
    set_len(at + 1, blob->size() - before);
    const bool particle = IsParticle(texts[i]);
    const bool initial = texts[i].size() == 1;
    (*blob)[at + 3] = static_cast<char>((particle ? 1 : 0) | (initial ? 2 : 0));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!HasStrippableArticle(texts[i])) continue;
    const std::size_t before = blob->size();
    AppendKey(texts[i].data() + 2, texts[i].size() - 2, blob);
    set_len(5 + 4 * i + 2, blob->size() - before);
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    blob->append(texts[i]);
    blob->append(texts[i + 1]);
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    char pair[2 * kMaxTokenLetters];
    std::memcpy(pair, texts[i].data(), texts[i].size());
    std::memcpy(pair + texts[i].size(), texts[i + 1].data(), texts[i + 1].size());
    const std::size_t before = blob->size();
    AppendKey(pair, texts[i].size() + texts[i + 1].size(), blob);
    set_len(5 + 4 * n + i, blob->size() - before);
  }
}

std::uint32_t LetterMask(std::string_view text) {
  std::uint32_t mask = 0;
  for (char c : text) mask |= 1u << ((c - 'a') & 31);
  return mask;
}

void DecodeName(std::string_view blob, PreparedName* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(blob.data());
  const std::size_t n = u[0];
  const std::uint32_t norm_len =
      static_cast<std::uint32_t>(u[1]) | (static_cast<std::uint32_t>(u[2]) << 8) |
      (static_cast<std::uint32_t>(u[3]) << 16) | (static_cast<std::uint32_t>(u[4]) << 24);
  const unsigned char* meta = u + 5;
  const unsigned char* pair_meta = meta + 4 * n;
  std::size_t pos = 5 + 4 * n + (n > 0 ? n - 1 : 0);
  p->n = n;
  p->norm = blob.substr(pos, norm_len);
  pos += norm_len;
  std::size_t text_pos = 0;  // Offset of token i in norm.
  for (std::size_t i = 0; i < n; ++i) {
    TokenView& t = p->tokens[i];
    t.text = p->norm.substr(text_pos, meta[4 * i]);
    t.letters = LetterMask(t.text);
    const std::size_t space = p->norm.find(' ', text_pos);  // The token may be truncated.
    text_pos = space == std::string_view::npos ? p->norm.size() : space + 1;
    t.key = blob.substr(pos, meta[4 * i + 1]);
    pos += t.key.size();
    t.particle = (meta[4 * i + 3] & 1) != 0;
    t.initial = (meta[4 * i + 3] & 2) != 0;
    t.weight = t.particle ? kParticleWeight : t.initial ? kInitialWeight : 1.0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    TokenView& t = p->tokens[i];
    const std::size_t strip_len = meta[4 * i + 2];
    t.strip_key = blob.substr(pos, strip_len);
    pos += strip_len;
    t.strip_text = strip_len > 0 ? t.text.substr(2) : std::string_view();
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    TokenView& pr = p->pairs[i];
    pr.text = blob.substr(pos, p->tokens[i].text.size() + p->tokens[i + 1].text.size());
    pos += pr.text.size();
    pr.weight = p->tokens[i].weight + p->tokens[i + 1].weight;
    pr.letters = p->tokens[i].letters | p->tokens[i + 1].letters;
    pr.particle = false;
    pr.initial = false;
    pr.strip_text = pr.strip_key = std::string_view();
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    p->pairs[i].key = blob.substr(pos, pair_meta[i]);
    pos += pair_meta[i];
  }
}

// ---------------------------------------------------------------------------
// Similarity
// ---------------------------------------------------------------------------

constexpr double kMatchThreshold = 0.7;    // Token pairs below this do not match.
constexpr double kInitialScore = 0.8;      // "j" vs "john".
constexpr double kConcatFactor = 0.97;     // "abdul rahman" vs "abdulrahman".
constexpr double kStripFactor = 0.9;       // "alhassan" vs "hassan".
constexpr double kArticleScore = 0.9;      // "al" vs "el".
constexpr double kExtraTokenCost = 0.5;    // Relative cost of a token on one side only.
constexpr double kMaxUnequalScore = 0.99;  // Cap for names whose normalised forms differ.

struct PopcountTable {
  std::array<std::uint8_t, 256> v{};
  constexpr PopcountTable() {
    for (std::size_t i = 0; i < 256; ++i) v[i] = static_cast<std::uint8_t>((i & 1) + v[i / 2]);
  }
};
constexpr PopcountTable kPopcount;

std::size_t LengthGap(std::size_t a, std::size_t b) { return a > b ? a - b : b - a; }

// Similarity of two single tokens from their spelling and phonetic keys:
//   same spelling                   1
//   one edit (typo)                 1 - 1/L        (L: the longer length)
//   two edits                       0.8 (1 - 2/L)  (a match only in long tokens)
//   same key ("sound alike")        at least 0.75 + 0.25 (1 - d/L), d = edits
// Keys count as equal only if the tokens start with the same letter or the key
// has 4+ letters: initial-vowel folding alone must not make Omar ~ Amir.
double SpellingSimilarity(std::string_view a, std::string_view a_key, std::uint32_t a_letters,
                          std::string_view b, std::string_view b_key, std::uint32_t b_letters) {
  if (a == b) return 1;
  const auto longest = static_cast<std::uint32_t>(std::max(a.size(), b.size()));
  const bool sound_alike = !a_key.empty() && a_key == b_key && (a[0] == b[0] || a_key.size() >= 4);
  if (!sound_alike) {
    if (LengthGap(a.size(), b.size()) > 2) return 0;
    // Each edit changes the set of letters used by at most two, so more than
    // four differing letters means more than two edits.
    const std::uint32_t differ = a_letters ^ b_letters;
    if (kPopcount.v[differ & 0xFF] + kPopcount.v[(differ >> 8) & 0xFF] +
            kPopcount.v[(differ >> 16) & 0xFF] + kPopcount.v[differ >> 24] >
        4) {
      return 0;
    }
  }
  const std::uint32_t d = EditDistance(a, b, sound_alike ? longest : 2);
  const double closeness = 1.0 - static_cast<double>(d) / longest;
  double s = 0;
  if (d == 1) {
    s = closeness;
  } else if (d == 2) {
    s = 0.8 * closeness;
  }
  if (sound_alike) s = std::max(s, 0.75 + 0.25 * closeness);
  return s;
}

double TokenSimilarity(const TokenView& a, const TokenView& b) {
  if (a.text == b.text) return 1;
  if (a.initial || b.initial) return a.text[0] == b.text[0] ? kInitialScore : 0;
  if (a.particle && b.particle) {
    return IsArabicArticle(a.text) && IsArabicArticle(b.text) ? kArticleScore : 0;
  }
  double s = SpellingSimilarity(a.text, a.key, a.letters, b.text, b.key, b.letters);
  if (!a.strip_text.empty()) {
    s = std::max(
        s, kStripFactor * SpellingSimilarity(a.strip_text, a.strip_key, LetterMask(a.strip_text),
                                             b.text, b.key, b.letters));
  }
  if (!b.strip_text.empty()) {
    s = std::max(s, kStripFactor * SpellingSimilarity(a.text, a.key, a.letters, b.strip_text,
                                                      b.strip_key, LetterMask(b.strip_text)));
  }
  return s;
}

// Similarity of two adjacent tokens run together against one token.
double ConcatSimilarity(const TokenView& pair, const TokenView& single) {
  if (single.initial || single.particle) return 0;
  return kConcatFactor * SpellingSimilarity(pair.text, pair.key, pair.letters, single.text,
                                            single.key, single.letters);
}

struct Unit {
  double score;
  std::uint8_t kind;  // 0: a_i ~ b_j; 1: a_i a_{i+1} ~ b_j; 2: a_i ~ b_j b_{j+1}.
  std::uint8_t i;
  std::uint8_t j;
};

// Pairs tokens greedily, best pair first (ties by kind, then positions), each
// token used at most once, only pairs scoring >= kMatchThreshold. Then
//   score = sum(s * w) / (sum(w) + 2 * conflicting + kExtraTokenCost * extra)
// where sums run over both tokens of each pair (w: 1, 0.5 for an initial,
// 0.25 for a particle), `conflicting` is the unmatched weight present on both
// sides (different names) and `extra` the rest of the unmatched weight (a
// name part one record lacks).
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
    for (std::size_t j = 0; j + 1 < b.n; ++j)
      add(ConcatSimilarity(b.pairs[j], a.tokens[i]), 2, i, j);
  }
  std::sort(units.begin(), units.begin() + static_cast<std::ptrdiff_t>(nu),
            [](const Unit& x, const Unit& y) {
              if (x.score != y.score) return x.score > y.score;
              if (x.kind != y.kind) return x.kind < y.kind;
              if (x.i != y.i) return x.i < y.i;
              return x.j < y.j;
            });

  std::array<bool, kMaxTokens> used_a{};
  std::array<bool, kMaxTokens> used_b{};
  double matched = 0;
  double matched_weight = 0;
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
  const double conflicting = std::min(left_a, left_b);
  const double extra = std::max(left_a, left_b) - conflicting;
  const double score = matched / (matched_weight + 2 * conflicting + kExtraTokenCost * extra);
  return std::min(score, kMaxUnequalScore);
}

// ---------------------------------------------------------------------------
// Index keys
// ---------------------------------------------------------------------------
//
// Stored names are posted only under exact keys: each token's key, the key of
// each adjacent pair run together (tag kTagPair), the key of a token without
// its al/el article, and (tag kTagIrregular) the keys of single-letter deletions of a
// token that are more than one key edit away from the token's key (rare:
// "rahman" -> "rqmn", but "rahan" -> "rhn"). A query probes, for each token
// key K (once per distinct key; kTagRepeated for names repeating it): K itself
// (a strong hit), every key one edit from K (deletion, adjacent transposition,
// substitution or insertion of one key letter; weak hits), the irregular
// deletion keys of the query token (weak), and K among stored irregular
// deletions (weak). So a name is reached whenever some query token is within
// one key edit, or one letter, of one of its tokens (keys of one letter, and
// deletions from keys of two, excepted). Nothing is posted twice, so each
// stored token is scanned at most a few times per query token.

// A key packs up to 12 key letters, 5 bits each (1..26, so the length is
// implicit), and a tag in the top 4 bits. Longer keys are truncated.
constexpr std::uint64_t kTagExact = 0;
constexpr std::uint64_t kTagIrregular = 1;
constexpr std::uint64_t kTagRepeated = 2;  // A key two or more tokens of the name share.
constexpr std::uint64_t kTagPair = 3;      // The key of two adjacent tokens run together.
constexpr std::size_t kPackedLetters = 12;
// One-letter keys have no neighbourhood probes, and two-letter keys none
// that delete a letter: one-letter keys match too much of the index.
constexpr std::size_t kMinKeyForNeighbours = 2;
// The letters keys are made of ('a' only ever first).
constexpr std::string_view kKeyAlphabet = "abcdfghjklmnpqrstvxy";

std::uint64_t PackKey(std::string_view key, std::uint64_t tag) {
  std::uint64_t v = 0;
  const std::size_t len = std::min(key.size(), kPackedLetters);
  for (std::size_t k = 0; k < len; ++k) {
    v = (v << 5) | static_cast<std::uint64_t>(key[k] - 'a' + 1);
  }
  return v | (tag << 60);
}

bool Indexable(const TokenView& t) { return !t.particle && !t.initial; }

bool AnyIndexable(const PreparedName& p) {
  for (std::size_t i = 0; i < p.n; ++i) {
    if (Indexable(p.tokens[i])) return true;
  }
  return false;
}

// Calls f(key) for the key of each single-letter deletion of `text` that is
// neither `key` nor one key edit from it.
template <typename F>
void ForEachIrregularDeletion(std::string_view text, std::string_view key, F&& f) {
  if (text.size() < 3 || key.empty()) return;
  char buf[kMaxTokenLetters];
  std::string k2;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && text[i] == text[i - 1]) continue;  // Same string as deleting i-1.
    std::memcpy(buf, text.data(), i);
    std::memcpy(buf + i, text.data() + i + 1, text.size() - i - 1);
    k2.clear();
    AppendKey(buf, text.size() - 1, &k2);
    if (k2.empty() || k2 == key || EditDistance(k2, key, 1) <= 1) continue;
    f(std::string_view(k2));
  }
}

// All packed keys a stored name is posted under, ascending and unique.
void StoredKeys(const PreparedName& p, std::vector<std::uint64_t>* out) {
  out->clear();
  const bool any = AnyIndexable(p);
  for (std::size_t i = 0; i < p.n; ++i) {
    const TokenView& t = p.tokens[i];
    if ((any && !Indexable(t)) || t.key.empty()) continue;
    out->push_back(PackKey(t.key, kTagExact));
    if (!t.strip_key.empty()) out->push_back(PackKey(t.strip_key, kTagExact));
    ForEachIrregularDeletion(
        t.text, t.key, [out](std::string_view k) { out->push_back(PackKey(k, kTagIrregular)); });
  }
  for (std::size_t i = 0; i + 1 < p.n; ++i) {
    if (!p.pairs[i].key.empty()) out->push_back(PackKey(p.pairs[i].key, kTagPair));
  }
  for (std::size_t i = 0; i < p.n; ++i) {
    const TokenView& t = p.tokens[i];
    if ((any && !Indexable(t)) || t.key.empty()) continue;
    for (std::size_t j = i + 1; j < p.n; ++j) {
      if (p.tokens[j].key == t.key && (!any || Indexable(p.tokens[j]))) {
        out->push_back(PackKey(t.key, kTagRepeated));
        break;
      }
    }
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

// Query tokens beyond this many do not steer blocking (they still count in
// the score): a search mark holds one "exact", one "run-together" and one
// "near" bit per token.
constexpr std::size_t kMaxBlockingTokens = 8;

// A key a query looks up, and the query tokens a hit on it stands for:
// `strong` for an exact key match, `pair` for an exact match between two
// tokens run together and one token (weaker: "minh eze" runs together to the
// key of "mensah"), `weak` for a match within one edit.
struct Probe {
  std::uint64_t key;
  std::uint32_t strong;
  std::uint32_t pair;
  std::uint32_t weak;
};

void AddNeighbourProbes(std::string_view key, std::uint32_t bit, std::vector<Probe>* out) {
  char buf[kPackedLetters + 2];
  const std::size_t n = std::min(key.size(), kPackedLetters);
  auto add = [&](std::size_t len) {
    out->push_back(Probe{PackKey(std::string_view(buf, len), kTagExact), 0, 0, bit});
  };
  // Deletions (not down to one letter: such keys match too much).
  for (std::size_t i = 0; i < n && n > 2; ++i) {
    std::memcpy(buf, key.data(), i);
    std::memcpy(buf + i, key.data() + i + 1, n - i - 1);
    add(n - 1);
  }
  // Adjacent transpositions.
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (key[i] == key[i + 1]) continue;
    std::memcpy(buf, key.data(), n);
    std::swap(buf[i], buf[i + 1]);
    add(n);
  }
  // Substitutions.
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(buf, key.data(), n);
    for (char c : kKeyAlphabet) {
      if (c == key[i] || (c == 'a' && i > 0)) continue;
      buf[i] = c;
      add(n);
    }
  }
  // Insertions.
  for (std::size_t i = 0; i <= n; ++i) {
    std::memcpy(buf, key.data(), i);
    std::memcpy(buf + i + 1, key.data() + i, n - i);
    for (char c : kKeyAlphabet) {
      if (c == 'a' && i > 0) continue;
      buf[i] = c;
      add(n + 1);
    }
  }
}

void QueryProbes(const PreparedName& q, std::vector<Probe>* out) {
  out->clear();
  const bool any = AnyIndexable(q);
  const std::size_t n = std::min(q.n, kMaxBlockingTokens);
  for (std::size_t i = 0; i < n; ++i) {
    const TokenView& t = q.tokens[i];
    if ((any && !Indexable(t)) || t.key.empty()) continue;
    // Tokens sharing a key probe once, for the first of them: one stored
    // "Mohamed" must not count as matching both in "Mohamed Ali Mohamed".
    // Stored names that repeat the key match all of them (kTagRepeated).
    std::uint32_t same = 0;
    bool earlier = false;
    for (std::size_t j = 0; j < n; ++j) {
      if (q.tokens[j].key == t.key && (!any || Indexable(q.tokens[j]))) {
        if (j < i) earlier = true;
        same |= 1u << j;
      }
    }
    if (earlier) continue;
    const std::uint32_t bit = 1u << i;
    out->push_back(Probe{PackKey(t.key, kTagExact), bit, 0, 0});
    out->push_back(Probe{PackKey(t.key, kTagPair), 0, bit, 0});  // Stored split, query joined.
    if (same != bit) out->push_back(Probe{PackKey(t.key, kTagRepeated), same, 0, 0});
    out->push_back(Probe{PackKey(t.key, kTagIrregular), 0, 0, bit});
    if (t.key.size() >= kMinKeyForNeighbours) AddNeighbourProbes(t.key, bit, out);
    ForEachIrregularDeletion(t.text, t.key, [out, bit](std::string_view k) {
      out->push_back(Probe{PackKey(k, kTagExact), 0, 0, bit});
      out->push_back(Probe{PackKey(k, kTagIrregular), 0, 0, bit});
    });
    if (!t.strip_key.empty()) out->push_back(Probe{PackKey(t.strip_key, kTagExact), bit, 0, 0});
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (q.pairs[i].key.empty()) continue;
    // Query split, stored joined. (Not kTagPair: a stored "mohamed ali x"
    // must not count its one "mohamed" for both tokens of "mohamed mohamed
    // ali" through the pair "mohamed ali".)
    const std::uint32_t bits = (1u << i) | (1u << (i + 1));
    out->push_back(Probe{PackKey(q.pairs[i].key, kTagExact), 0, bits, 0});
  }
  std::sort(out->begin(), out->end(), [](const Probe& x, const Probe& y) { return x.key < y.key; });
  std::size_t w = 0;
  for (std::size_t r = 0; r < out->size(); ++r) {
    if (w > 0 && (*out)[w - 1].key == (*out)[r].key) {
      (*out)[w - 1].strong |= (*out)[r].strong;
      (*out)[w - 1].pair |= (*out)[r].pair;
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

// Hits of a search mark (bytes 0, 1, 2: the query tokens matched by exact
// key, through two tokens run together, within one edit): 3 per exact token,
// 2 per run-together-only token, 1 per near-only token.
std::uint32_t Hits(std::uint32_t mark) {
  const std::uint32_t exact = mark & 0xFFu;
  const std::uint32_t pair = (mark >> 8) & ~exact & 0xFFu;
  const std::uint32_t near = (mark >> 16) & ~(exact | pair) & 0xFFu;
  return 3u * kPopcount.v[exact] + 2u * kPopcount.v[pair] + kPopcount.v[near];
}
constexpr std::size_t kMaxHits = 3 * kMaxBlockingTokens;

// A posting is slot << 32 | (high 32 bits of the id's FNV-1a hash). Lists
// ascend by slot, so scanning one sweeps the search marks in address order;
// the hash rides along so that choosing among equally ranked candidates needs
// no random memory access.
std::uint64_t MakePosting(std::string_view id, std::uint32_t slot) {
  return (std::uint64_t{slot} << 32) | (Fnv1a64(id) >> 32);
}
std::uint32_t PostingSlot(std::uint64_t posting) {
  return static_cast<std::uint32_t>(posting >> 32);
}
std::uint32_t PostingHash(std::uint64_t posting) { return static_cast<std::uint32_t>(posting); }

// A bitmap over hashed keys that have ever been posted (bits are not cleared
// on Remove; a stale bit only costs a hash-table lookup). Most probes of a
// query's edit neighbourhood miss, and the bitmap answers those from cache.
constexpr std::size_t kKeyFilterBits = std::size_t{1} << 20;
std::size_t KeyFilterBit(std::uint64_t key) {
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 44);  // Top 20 bits.
}

// Per-thread scratch for Search. `marks` has one mark per slot (see Hits)
// and is all-zero between searches.
struct SearchScratch {
  std::vector<std::uint32_t> marks;
  std::vector<std::uint64_t> touched;  // Postings.
  std::vector<std::uint8_t> touched_hits;
  std::vector<Probe> probes;
  std::vector<std::uint32_t> candidates;  // Slots.
  std::vector<std::uint64_t> tied;        // Postings.
  std::vector<std::uint64_t> edge;        // Postings.
  std::string query_blob;
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
  return s.capacity() > 15 ? s.capacity() + 1 : 0;  // libstdc++ keeps 15 chars inline.
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
  // Row 0; every other cell is written before it is read.
  for (std::size_t j = 0; j <= m && j <= bound; ++j) prev[j] = static_cast<std::uint32_t>(j);
  if (bound < m) prev[bound + 1] = over;
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
  std::string blob_a;
  std::string blob_b;
  EncodeName(NormaliseName(a), &blob_a);
  EncodeName(NormaliseName(b), &blob_b);
  PreparedName pa;
  PreparedName pb;
  DecodeName(blob_a, &pa);
  DecodeName(blob_b, &pb);
  return Similarity(pa, pb);
}

// ---------------------------------------------------------------------------
// NameIndex
// ---------------------------------------------------------------------------

bool NameIndex::MayHaveKey(std::uint64_t key) const {
  const std::size_t bit = KeyFilterBit(key);
  return (key_filter_[bit / 64] >> (bit % 64)) & 1;
}

void NameIndex::AddKeys(std::uint64_t posting, const std::string& blob) {
  if (key_filter_.empty()) key_filter_.resize(kKeyFilterBits / 64);
  PreparedName p;
  DecodeName(blob, &p);
  std::vector<std::uint64_t> keys;
  StoredKeys(p, &keys);
  for (std::uint64_t k : keys) {
    key_filter_[KeyFilterBit(k) / 64] |= std::uint64_t{1} << (KeyFilterBit(k) % 64);
    std::vector<std::uint64_t>& list = postings_[k];
    auto it = std::lower_bound(list.begin(), list.end(), posting);
    if (it == list.end() || *it != posting) list.insert(it, posting);
  }
}

void NameIndex::RemoveKeys(std::uint64_t posting, const std::string& blob) {
  PreparedName p;
  DecodeName(blob, &p);
  std::vector<std::uint64_t> keys;
  StoredKeys(p, &keys);
  for (std::uint64_t k : keys) {
    auto found = postings_.find(k);
    if (found == postings_.end()) continue;
    std::vector<std::uint64_t>& list = found->second;
    auto it = std::lower_bound(list.begin(), list.end(), posting);
    if (it != list.end() && *it == posting) list.erase(it);
    if (list.empty()) postings_.erase(found);
  }
}

void NameIndex::Put(const std::string& id, std::string_view full_name) {
  std::string blob;
  EncodeName(NormaliseName(full_name), &blob);
  auto found = slot_of_.find(id);
  if (found != slot_of_.end()) {
    Entry& e = entries_[found->second];
    if (e.blob == blob) return;
    const std::uint64_t posting = MakePosting(id, found->second);
    RemoveKeys(posting, e.blob);
    e.blob = std::move(blob);
    AddKeys(posting, e.blob);
    return;
  }
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& e = entries_[slot];
  e.id = id;
  e.blob = std::move(blob);
  slot_of_.emplace(id, slot);
  AddKeys(MakePosting(id, slot), e.blob);
}

void NameIndex::Remove(const std::string& id) {
  auto found = slot_of_.find(id);
  if (found == slot_of_.end()) return;
  const std::uint32_t slot = found->second;
  slot_of_.erase(found);
  Entry& e = entries_[slot];
  RemoveKeys(MakePosting(id, slot), e.blob);
  std::string().swap(e.id);
  std::string().swap(e.blob);
  free_slots_.push_back(slot);
}

std::vector<NameIndex::Match> NameIndex::Search(std::string_view query, double min_score,
                                                std::size_t limit) const {
  std::vector<Match> results;
  if (limit == 0 || slot_of_.empty() || key_filter_.empty()) return results;
  SearchScratch& s = Scratch();
  EncodeName(NormaliseName(query), &s.query_blob);
  PreparedName q;
  DecodeName(s.query_blob, &q);
  if (q.n == 0) return results;
  QueryProbes(q, &s.probes);

  // Gather: mark each slot reached by a probe with the query tokens it hit.
  // Exact-key probes go first. If they alone reach enough names to fill the
  // scoring cap, near-key probes only add to names already reached: for
  // queries of up to two tokens a name reached only by near keys has no more
  // hits than any name reached by exact keys, so it could at best tie for a
  // place at the cut.
  if (s.marks.size() < entries_.size()) s.marks.resize(entries_.size(), 0);
  std::uint32_t* const marks = s.marks.data();
  std::vector<std::uint64_t>& touched = s.touched;
  touched.clear();
  for (int pass = 0; pass < 2; ++pass) {
    const bool only_add = pass == 1 && touched.size() >= kMaxScoredCandidates;
    for (const Probe& probe : s.probes) {
      if ((probe.strong != 0 || probe.pair != 0) != (pass == 0)) continue;
      if (!MayHaveKey(probe.key)) continue;
      auto found = postings_.find(probe.key);
      if (found == postings_.end()) continue;
      const std::uint32_t bits = probe.strong | (probe.pair << 8) | (probe.weak << 16);
      if (only_add) {
        for (std::uint64_t posting : found->second) {
          std::uint32_t& mark = marks[PostingSlot(posting)];
          if (mark != 0) mark |= bits;
        }
      } else {
        for (std::uint64_t posting : found->second) {
          std::uint32_t& mark = marks[PostingSlot(posting)];
          if (mark == 0) touched.push_back(posting);
          mark |= bits;
        }
      }
    }
  }

  // Rank by hits (clearing the marks), then keep the kMaxScoredCandidates
  // with most hits. Within the hits level that straddles the cut, choose by
  // id hash, then id: never by slot, which depends on the history of Put and
  // Remove.
  const std::size_t num_touched = touched.size();
  std::array<std::size_t, kMaxHits + 1> per_hits{};
  s.touched_hits.resize(num_touched);
  std::uint8_t* const touched_hits = s.touched_hits.data();
  for (std::size_t k = 0; k < num_touched; ++k) {
    std::uint32_t& mark = marks[PostingSlot(touched[k])];
    const auto hits = static_cast<std::uint8_t>(Hits(mark));
    mark = 0;
    touched_hits[k] = hits;
    ++per_hits[hits];
  }
  const bool capped = num_touched > kMaxScoredCandidates;
  std::uint32_t cut = 0;
  if (capped) {
    std::size_t above = 0;
    for (std::size_t h = per_hits.size(); h-- > 0;) {
      if (above + per_hits[h] >= kMaxScoredCandidates) {
        cut = static_cast<std::uint32_t>(h);
        break;
      }
      above += per_hits[h];
    }
  }
  std::vector<std::uint32_t>& candidates = s.candidates;
  std::vector<std::uint64_t>& tied = s.tied;
  candidates.clear();
  tied.clear();
  for (std::size_t k = 0; k < num_touched; ++k) {
    const std::uint32_t hits = touched_hits[k];
    if (!capped || hits > cut) {
      candidates.push_back(PostingSlot(touched[k]));
    } else if (hits == cut) {
      tied.push_back(touched[k]);
    }
  }
  if (capped) {
    const std::size_t room = kMaxScoredCandidates - candidates.size();
    if (tied.size() > room) {
      // Radix-select on the top byte of the hash; order only the bucket the
      // cut falls in exactly.
      std::array<std::size_t, 256> buckets{};
      for (std::uint64_t posting : tied) ++buckets[PostingHash(posting) >> 24];
      std::size_t below = 0;
      std::uint32_t boundary = 0;
      while (below + buckets[boundary] < room) below += buckets[boundary++];
      std::vector<std::uint64_t>& edge = s.edge;
      edge.clear();
      std::size_t kept = 0;
      for (std::size_t k = 0; k < tied.size(); ++k) {
        const std::uint32_t bucket = PostingHash(tied[k]) >> 24;
        if (bucket < boundary) {
          tied[kept++] = tied[k];
        } else if (bucket == boundary) {
          edge.push_back(tied[k]);
        }
      }
      std::sort(edge.begin(), edge.end(), [this](std::uint64_t x, std::uint64_t y) {
        if (PostingHash(x) != PostingHash(y)) return PostingHash(x) < PostingHash(y);
        return entries_[PostingSlot(x)].id < entries_[PostingSlot(y)].id;
      });
      tied.resize(kept);
      tied.insert(tied.end(), edge.begin(),
                  edge.begin() + static_cast<std::ptrdiff_t>(room - kept));
    }
    for (std::uint64_t posting : tied) candidates.push_back(PostingSlot(posting));
  }

  // Score. Candidates are scattered over memory: fetch each entry a few
  // candidates ahead, and its blob a little less far ahead.
  constexpr std::size_t kEntryAhead = 8;
  constexpr std::size_t kBlobAhead = 4;
  PreparedName c;
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    if (k + kEntryAhead < candidates.size()) {
      __builtin_prefetch(&entries_[candidates[k + kEntryAhead]]);
    }
    if (k + kBlobAhead < candidates.size()) {
      __builtin_prefetch(entries_[candidates[k + kBlobAhead]].blob.data());
    }
    const Entry& e = entries_[candidates[k]];
    DecodeName(e.blob, &c);
    const double score = Similarity(q, c);
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
  std::size_t bytes = VectorBytes(entries_) + VectorBytes(free_slots_) + VectorBytes(key_filter_);
  for (const Entry& e : entries_) bytes += StringBytes(e.id) + StringBytes(e.blob);
  // Hash nodes: value, next pointer and (for string keys) the cached hash,
  // plus one bucket pointer each.
  bytes += slot_of_.bucket_count() * sizeof(void*);
  for (const auto& [id, slot] : slot_of_) {
    bytes +=
        sizeof(std::pair<const std::string, std::uint32_t>) + 2 * sizeof(void*) + StringBytes(id);
  }
  bytes += postings_.bucket_count() * sizeof(void*);
  for (const auto& [key, list] : postings_) {
    bytes += sizeof(std::pair<const std::uint64_t, std::vector<std::uint64_t>>) + sizeof(void*) +
             VectorBytes(list);
  }
  return bytes;
}

}  // namespace nrpf::projections
