// Fuzzy matching of personal names, for person search and the "this person
// may already have a case" warning.
//
// Names reach caseworkers transliterated many ways (Mohammed / Muhammad /
// Mohamed, Yusuf / Youssef, Aleksandr / Alexander, Abdul Rahman /
// Abdulrahman), with diacritics or without (Nguyễn / Nguyen), with typos, and
// with given and family names in either order. This module turns a name into
// a canonical form (NormaliseName), scores how alike two names are
// (NameSimilarity) and keeps an index of many names that answers "who is
// called something like this?" (NameIndex).
//
// Determinism: every function here is a pure function of its inputs, and
// NameIndex::Search depends only on the current set of (id, name) pairs, not
// on the order or history of Put/Remove calls. No hash-table iteration order
// reaches any result. Results feed a projection whose rebuild must be
// byte-identical, so keep it that way.
//
// Non-Latin scripts (Arabic, Cyrillic, ...) are not transliterated: their
// letters are dropped. Callers store a Latin-script name for every person.

#ifndef NRPF_PROJECTIONS_NAME_MATCH_H_
#define NRPF_PROJECTIONS_NAME_MATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nrpf::projections {

// Scores at or above this are treated as "probably the same person" by the
// duplicate warning.
inline constexpr double kDuplicateNameScore = 0.75;

// Returns `utf8` as lower-case ASCII letters separated by single spaces, with
// no leading or trailing space:
//  - Latin letters with diacritics are folded to their base letters for all of
//    Latin-1 Supplement, Latin Extended-A/B, IPA Extensions and Latin Extended
//    Additional (é->e, ễ->e, ł->l, ğ->g, ş->s, ı->i, đ->d, ɔ->o, ə->e), and
//    letters without a base letter are spelt out (ß->ss, æ->ae, œ->oe,
//    þ->th, ø->o). Decomposed input (e + U+0301) folds the same way; full-width
//    Latin letters and the fi/fl ligatures are folded too.
//  - Apostrophes and look-alikes (' ` ´ ’ ‘ ʼ ʻ ʾ ʿ), soft hyphens, zero-width
//    and bidi format characters vanish: "O'Brien" -> "obrien".
//  - Whitespace (any Unicode space), hyphens and dashes, dots and all other
//    ASCII or general punctuation separate words: "Abdel-Rahman" ->
//    "abdel rahman", "J.R. Smith" -> "j r smith".
//  - Digits, other symbols, controls, letters of non-Latin scripts and bytes
//    that are not valid UTF-8 (overlong forms and surrogates included) are
//    dropped without separating.
// Thread-safe.
std::string NormaliseName(std::string_view utf8);

// Returns a phonetic key of one token, equal for common transliteration
// variants: "mohammed", "muhammad", "mohamed" -> "mhmd"; "yusuf", "youssef"
// -> "ysf"; "aleksandr", "alexander", "oleksandr" -> "alxndr"; "hussein",
// "husain" -> "hsyn". Keys are lower-case ASCII letters (codes, not
// spelling: 'q' is an h before a consonant, 'x' is ks); the rules are
// documented in name_match.cpp. Characters
// other than ASCII letters are ignored (so a multi-word string gives the key
// of its words run together); upper-case ASCII is treated as lower-case.
// Returns "" if `token` has no ASCII letters.
// Thread-safe.
std::string PhoneticKey(std::string_view token);

// Returns the optimal string alignment distance between `a` and `b` (the
// Levenshtein distance with adjacent transpositions costing 1, where no
// substring is edited twice), counting bytes. Gives up as soon as the
// distance is known to exceed `max` and returns max + 1 in that case.
// Runs in O(min(max, |a|, |b|) * max(|a|, |b|)) time; no heap allocation
// when the shorter string is at most 64 bytes.
// REQUIRES: |a| and |b| < 2^32 - 1.
// Thread-safe.
std::uint32_t EditDistance(std::string_view a, std::string_view b, std::uint32_t max);

// Returns how alike two full names are, in [0, 1]. Both are normalised with
// NormaliseName first. 1 exactly when the normalised names are equal and not
// empty; 0 if either normalises to "". Tokens are matched in any order; two
// adjacent tokens on one side may match one token on the other
// ("abdul rahman" ~ "abdulrahman"); a single letter matches a token with that
// initial; particles (al, el, bin, van, de, ...) weigh little; a token missing
// from one side costs less than a token that differs. Symmetric only up to
// tie-breaking between equally good token pairings. Names of more than 16
// tokens are compared on their first 16.
// Thread-safe.
double NameSimilarity(std::string_view a, std::string_view b);

// An in-memory index of the names of many people, each under a caller-chosen
// id, for search and the duplicate warning.
//
// Each name is normalised and split into tokens; each token is posted under
// its phonetic key, and each pair of adjacent tokens under the key of the
// two run together ("abdel rahman" under the key of "abdelrahman"). A search
// looks up, for each query token, its key (an exact hit) and every key one
// edit away from it, plus the keys of the token with one letter deleted (near
// hits), so that one typo or spelling variation in a token still reaches the
// name (see "Index keys" in the .cpp). It ranks the names reached by how many
// query tokens they hit and how exactly, scores at most the best
// kMaxScoredCandidates of them with NameSimilarity, and returns the best.
// Search cost grows with how common the query's names are, not with the size
// of the index as such: ~0.15-0.2 ms median, ~0.3-0.4 ms p99 with 200,000
// generated names, measured on a 2-core VM.
//
// Thread-compatible: const methods may run concurrently with each other;
// callers must serialise Put and Remove against everything else.
class NameIndex {
 public:
  struct Match {
    std::string id;
    double score;
  };

  // How many candidates one Search scores at most. When more names than this
  // match the query's keys equally well, the ones scored are chosen by a
  // fixed hash of their ids (so the choice is still deterministic).
  static constexpr std::size_t kMaxScoredCandidates = 256;

  NameIndex() = default;
  NameIndex(const NameIndex&) = delete;
  NameIndex& operator=(const NameIndex&) = delete;
  NameIndex(NameIndex&&) = default;
  NameIndex& operator=(NameIndex&&) = default;

  // Indexes `full_name` (UTF-8, any form NormaliseName accepts) under `id`,
  // replacing any earlier name of `id`. A name that normalises to "" is kept
  // (it counts in size()) but never found.
  // Cost: O(letters^2) key computation (letters < 64 per token) and O(tokens)
  // posting-list insertions, each an append, or a memmove when a slot freed
  // by Remove is reused.
  void Put(const std::string& id, std::string_view full_name);

  // Forgets `id`. Does nothing if `id` is not present.
  void Remove(const std::string& id);

  // Returns the names most like `query` with NameSimilarity >= min_score:
  // highest score first, equal scores by id ascending (bytewise), at most
  // `limit` of them. Empty if the query normalises to "". Only names reached
  // through the keys described above, and within the kMaxScoredCandidates
  // best reached, are considered.
  std::vector<Match> Search(std::string_view query, double min_score, std::size_t limit) const;

  // Number of ids present.
  std::size_t size() const { return slot_of_.size(); }

  // Approximate heap bytes held by the index (not counting the per-thread
  // search scratch, 4 bytes per slot for each thread that has searched).
  std::size_t ApproximateMemoryBytes() const;

 private:
  struct Entry {
    std::string id;    // Cleared when the slot is freed (free slots are in free_slots_).
    std::string blob;  // Normalised name, tokens and keys (see EncodeName in the .cpp).
  };

  // `posting` is slot << 32 | (high half of the id's 64-bit FNV-1a hash).
  void AddKeys(std::uint64_t posting, const std::string& blob);
  void RemoveKeys(std::uint64_t posting, const std::string& blob);
  bool MayHaveKey(std::uint64_t key) const;

  std::vector<Entry> entries_;  // Indexed by slot.
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<std::string, std::uint32_t> slot_of_;
  // Packed key -> ascending postings. Only looked up, never iterated in a
  // way that reaches results.
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> postings_;
  std::vector<std::uint64_t> key_filter_;  // Bitmap of hashed keys ever posted.
};

}  // namespace nrpf::projections

#endif  // NRPF_PROJECTIONS_NAME_MATCH_H_
