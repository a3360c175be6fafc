#include "replay/bundle.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "domain/events.h"
#include "domain/fold.h"
#include "ledger/coding.h"
#include "ledger/merkle.h"
#include "replay/case_history.h"
#include "schema/ledger_events_generated.h"
#include "schema/record_generated.h"

namespace nrpf::replay {

using nlohmann::json;

namespace {

std::string B64(std::string_view bytes) { return ledger::Base64Encode(bytes); }
std::string B64(const ledger::Hash& h) { return B64(ledger::AsBytes(h)); }

json Hashes(const std::vector<ledger::Hash>& hashes) {
  json a = json::array();
  for (const ledger::Hash& h : hashes) a.push_back(B64(h));
  return a;
}

std::string SignatureEntry(const ledger::StoredEvent& e) {
  std::string v;
  ledger::PutFixed32BE(&v, e.key_id);
  v.append(reinterpret_cast<const char*>(e.signature.data()), e.signature.size());
  return v;
}

// The streams of an organisation: its own, its look-ups', its users' and
// its cases' (and their access records), found by one walk of [0, size).
Result<std::map<std::string, std::uint64_t>> OrganisationStreams(const ledger::Ledger& ledger, const std::string& org,
                                                                  std::uint64_t size) {
  std::map<std::string, std::uint64_t> heads;
  std::set<std::string> members{domain::OrganisationStream(org), domain::RtpfStream(org)};
  for (std::uint64_t next = 0; next < size;) {
    Result<std::vector<ledger::StoredEvent>> batch =
        ledger.ReadRange(next, static_cast<std::size_t>(std::min<std::uint64_t>(4096, size - next)));
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    for (const ledger::StoredEvent& e : *batch) {
      Result<domain::EventView> v = domain::DecodeEvent(e, nullptr);
      if (!v.ok()) return v.status();
      if (v->body != nullptr && v->type == domain::event_type::kCaseCreated) {
        const auto* b = v->Body<domain::fb::CaseCreated>();
        if (b->organisation_id() != nullptr && b->organisation_id()->string_view() == org && b->case_id() != nullptr) {
          members.insert(domain::CaseStream(b->case_id()->string_view()));
          members.insert(domain::AccessStream(b->case_id()->string_view()));
        }
      } else if (v->body != nullptr && v->type == domain::event_type::kUserCreated) {
        const auto* b = v->Body<domain::fb::UserCreated>();
        if (b->organisation_id() != nullptr && b->organisation_id()->string_view() == org && b->user_id() != nullptr) {
          members.insert(domain::UserStream(b->user_id()->string_view()));
        }
      }
      const std::string stream(v->stream_id);
      if (members.count(stream) != 0) heads[stream] = v->stream_version;
    }
    next += batch->size();
  }
  return heads;
}

Status TooMany(std::uint64_t records, std::size_t max) {
  return Status::TooLarge("the selection has " + std::to_string(records) + " records; an export may hold " +
                          std::to_string(max) + ": export it in ranges of positions")
      .WithReason("selection_too_large");
}

}  // namespace

Result<std::string> ExportBundle(const ledger::Ledger& ledger, const ExportSelection& selection,
                                 const ExportOptions& options) {
  const std::uint64_t size = options.tree_size.value_or(ledger.Size());
  if (size == 0 || size > ledger.Size()) {
    return Status::InvalidArgument("no checkpoint of size " + std::to_string(size) + " (the log has " +
                                   std::to_string(ledger.Size()) + " events)")
        .WithReason("tree_size_invalid");
  }
  Result<std::string> note = ledger.SignedCheckpoint(size);
  if (!note.ok()) return note.status();

  json bundle;
  bundle["format"] = std::string(kBundleFormat);
  bundle["origin"] = ledger.origin();
  bundle["tree_size"] = size;
  bundle["checkpoint"] = *note;

  // The key chain, up to the key that signed the checkpoint.
  Result<std::vector<ledger::PublishedKey>> keys = ledger.PublicKeys();
  if (!keys.ok()) return keys.status();
  json chain = json::array();
  for (const ledger::PublishedKey& k : *keys) {
    if (k.first_position > size - 1) break;
    const std::uint64_t at = k.first_position == 0 ? 0 : k.first_position - 1;
    Result<ledger::StoredEvent> intro = ledger.Read(at);
    if (!intro.ok()) return intro.status();
    Result<ledger::Hash> root = ledger.RootAt(at + 1);
    if (!root.ok()) return root.status();
    Result<std::vector<ledger::Hash>> inclusion = ledger.ProveInclusion(at, at + 1);
    if (!inclusion.ok()) return inclusion.status();
    std::vector<ledger::Hash> consistency;
    if (at + 1 < size) {
      Result<std::vector<ledger::Hash>> c = ledger.ProveConsistency(at + 1, size);
      if (!c.ok()) return c.status();
      consistency = std::move(*c);
    }
    chain.push_back({{"first_position", k.first_position},
                     {"vkey", k.key.ToString()},
                     {"position", at},
                     {"record", B64(intro->bytes)},
                     {"signature", B64(SignatureEntry(*intro))},
                     {"root", B64(*root)},
                     {"inclusion", Hashes(*inclusion)},
                     {"consistency", Hashes(consistency)}});
  }
  bundle["keys"] = std::move(chain);

  // The selected positions.
  std::vector<std::uint64_t> positions;
  json sel;
  if (selection.kind == ExportSelection::Kind::kRange) {
    const std::uint64_t to = std::min(selection.to, size);
    if (selection.from >= to) {
      return Status::InvalidArgument("the range selects no event below the checkpoint size")
          .WithReason("invalid_selection");
    }
    if (to - selection.from > options.max_records) return TooMany(to - selection.from, options.max_records);
    for (std::uint64_t p = selection.from; p < to; ++p) positions.push_back(p);
    sel = {{"kind", "range"}, {"from", selection.from}, {"to", to}};
  } else {
    std::map<std::string, std::uint64_t> heads;
    if (selection.kind == ExportSelection::Kind::kCase) {
      Result<std::vector<ledger::StoredEvent>> events = ReadCaseEvents(ledger, selection.id, SIZE_MAX);
      if (!events.ok()) return events.status();
      for (const ledger::StoredEvent& e : *events) {
        if (e.position >= size) break;
        positions.push_back(e.position);
        heads[e.record()->stream_id()->str()] = e.record()->stream_version();
      }
      sel = {{"kind", "case"}, {"case_id", selection.id}};
    } else {
      Result<std::map<std::string, std::uint64_t>> org = OrganisationStreams(ledger, selection.id, size);
      if (!org.ok()) return org.status();
      heads = std::move(*org);
      for (const auto& [stream, head] : heads) {
        Result<std::vector<ledger::StoredEvent>> events = ledger.ReadStream(stream, 1, head);
        if (!events.ok()) return events.status();
        for (const ledger::StoredEvent& e : *events) positions.push_back(e.position);
      }
      sel = {{"kind", "organisation"}, {"organisation_id", selection.id}};
    }
    if (positions.empty()) return Status::NotFound("the selection has no event").WithReason("selection_empty");
    sel["streams"] = heads;
    std::sort(positions.begin(), positions.end());
  }
  if (positions.size() > options.max_records) return TooMany(positions.size(), options.max_records);
  bundle["selection"] = std::move(sel);

  Result<std::vector<std::vector<ledger::Hash>>> proofs = ledger.ProveInclusions(positions, size);
  if (!proofs.ok()) return proofs.status();
  json records = json::array();
  for (std::size_t i = 0; i < positions.size();) {
    // Contiguous runs of positions are read in one go.
    std::size_t run = 1;
    while (i + run < positions.size() && positions[i + run] == positions[i] + run && run < 1024) ++run;
    Result<std::vector<ledger::StoredEvent>> events = ledger.ReadRange(positions[i], run);
    if (!events.ok()) return events.status();
    if (events->size() != run) return Status::Corruption("the log ends before position " + std::to_string(positions[i] + run));
    for (const ledger::StoredEvent& e : *events) {
      records.push_back({{"position", e.position}, {"record", B64(e.bytes)}, {"proof", Hashes((*proofs)[i++])}});
    }
  }
  bundle["records"] = std::move(records);
  return bundle.dump();
}

// ---- Verification.

namespace {

// What CheckBundle throws at the first problem; VerifyBundle turns it into
// the BundleCheck it returns (nothing escapes this file).
struct Failure {
  Failure(std::string r, std::optional<std::uint64_t> p = std::nullopt) : reason(std::move(r)), position(p) {}
  std::string reason;
  std::optional<std::uint64_t> position;
};

std::string Bytes(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) throw Failure{std::string("\"") + key + "\" is missing"};
  std::optional<std::string> b = ledger::Base64Decode(j[key].get<std::string>());
  if (!b) throw Failure{std::string("\"") + key + "\" is not base64"};
  return *b;
}

std::uint64_t Number(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number_unsigned()) throw Failure{std::string("\"") + key + "\" is missing"};
  return j[key].get<std::uint64_t>();
}

ledger::Hash HashAt(const json& j, const char* key) {
  std::optional<ledger::Hash> h = ledger::HashFromBytes(Bytes(j, key));
  if (!h) throw Failure{std::string("\"") + key + "\" is not a 32-byte hash"};
  return *h;
}

std::vector<ledger::Hash> HashList(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_array()) throw Failure{std::string("\"") + key + "\" is missing"};
  std::vector<ledger::Hash> out;
  for (const json& e : j[key]) {
    std::optional<std::string> b = e.is_string() ? ledger::Base64Decode(e.get<std::string>()) : std::nullopt;
    std::optional<ledger::Hash> h = b ? ledger::HashFromBytes(*b) : std::nullopt;
    if (!h) throw Failure{std::string("\"") + key + "\" holds something that is not a hash"};
    out.push_back(*h);
  }
  return out;
}

// The record's table, checked like the ledger checks its own.
const ledger::fb::Record* ParseRecord(const std::string& bytes, std::uint64_t position) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  flatbuffers::Verifier v(data, bytes.size(), 16, 100000);
  if (bytes.size() < 8 || !ledger::fb::RecordBufferHasIdentifier(data) || !ledger::fb::VerifyRecordBuffer(v)) {
    throw Failure{"not a well-formed NRPL record", position};
  }
  const ledger::fb::Record* r = ledger::fb::GetRecord(data);
  if (r->position() != position) throw Failure{"the record says it is at " + std::to_string(r->position()), position};
  return r;
}

// Whether a genesis or rotation record introduces `key`: its vkey, and the
// name, key id and public key beside it (ledger-format.md section 1.3).
bool IntroducesKey(const ledger::fb::Record* r, const ledger::VerifierKey& key, std::uint64_t position) {
  const auto* body = r->body();
  if (body == nullptr) throw Failure{"key event has no body", position};
  flatbuffers::Verifier v(body->data(), body->size(), 8, 64);
  if (!ledger::fb::VerifySigningKeyIntroducedBuffer(v)) throw Failure{"key event body is malformed", position};
  const auto* k = ledger::fb::GetSigningKeyIntroduced(body->data());
  if (k->vkey() == nullptr) throw Failure{"key event has no vkey", position};
  const auto* public_key = k->public_key();
  return k->vkey()->string_view() == key.ToString() && k->key_name() != nullptr &&
         k->key_name()->string_view() == key.name() && k->key_hash() == key.key_id() && public_key != nullptr &&
         std::equal(public_key->begin(), public_key->end(), key.public_key().begin(), key.public_key().end());
}

std::string Text(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) throw Failure{std::string("\"") + key + "\" is missing"};
  return j[key].get<std::string>();
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The streams a case or organisation selection may list (docs/audit.md,
// step 5): a case's own and its access stream; an organisation's own, its
// look-ups', and user, case and access streams, each user and case stream
// tied to the organisation by its first record (CheckMember).
void CheckSelectionStreams(const std::string& kind, const json& sel, const std::map<std::string, std::uint64_t>& heads) {
  for (const auto& [stream, head] : heads) {
    if (head == 0) throw Failure{"the selection lists stream " + stream + " with no event"};
  }
  if (kind == "case") {
    const std::string id = Text(sel, "case_id");
    if (heads.count(domain::CaseStream(id)) == 0) throw Failure{"the selection does not list the stream of case " + id};
    for (const auto& [stream, head] : heads) {
      if (stream != domain::CaseStream(id) && stream != domain::AccessStream(id)) {
        throw Failure{"the selection lists stream " + stream + ", which is not case " + id + "'s"};
      }
    }
    return;
  }
  const std::string id = Text(sel, "organisation_id");
  if (heads.count(domain::OrganisationStream(id)) == 0) {
    throw Failure{"the selection does not list the stream of organisation " + id};
  }
  for (const auto& [stream, head] : heads) {
    if (stream == domain::OrganisationStream(id) || stream == domain::RtpfStream(id) || StartsWith(stream, "user-") ||
        StartsWith(stream, "case-")) {
      continue;
    }
    if (StartsWith(stream, "access-") && heads.count(domain::CaseStream(stream.substr(7))) != 0) continue;
    throw Failure{"the selection lists stream " + stream + ", which is not organisation " + id + "'s"};
  }
}

// An organisation's user and case streams begin with the event that put
// them in it: user.created or case.created naming the organisation.
void CheckMember(const std::string& organisation_id, std::string_view stream, const std::string& bytes,
                 std::uint64_t position) {
  const bool user = StartsWith(stream, "user-");
  if (!user && !StartsWith(stream, "case-")) return;
  ledger::StoredEvent e;
  e.position = position;
  e.bytes = bytes;
  Result<domain::EventView> v = domain::DecodeEvent(e, nullptr);
  const std::string_view want = user ? domain::event_type::kUserCreated : domain::event_type::kCaseCreated;
  if (!v.ok() || v->body == nullptr || v->type != want) {
    throw Failure{"stream " + std::string(stream) + " does not begin with " + std::string(want), position};
  }
  const flatbuffers::String* org = user ? v->Body<domain::fb::UserCreated>()->organisation_id()
                                        : v->Body<domain::fb::CaseCreated>()->organisation_id();
  if (org == nullptr || org->string_view() != organisation_id) {
    throw Failure{"stream " + std::string(stream) + " is not of organisation " + organisation_id, position};
  }
}

void CheckBundle(const json& b, const std::vector<ledger::VerifierKey>& trusted, BundleCheck* out) {
  if (!b.is_object() || b.value("format", "") != std::string(kBundleFormat)) throw Failure{"not an nrpf-ledger-export/1 bundle"};
  if (!b.contains("origin") || !b["origin"].is_string()) throw Failure{"\"origin\" is missing"};
  const std::string origin = b["origin"].get<std::string>();
  const std::uint64_t size = Number(b, "tree_size");
  if (!b.contains("checkpoint") || !b["checkpoint"].is_string()) throw Failure{"\"checkpoint\" is missing"};
  Result<ledger::SignedNote> note = ledger::ParseSignedNote(b["checkpoint"].get<std::string>());
  if (!note.ok()) throw Failure{"the checkpoint is not a signed note: " + note.status().message()};
  Result<ledger::Checkpoint> cp = ledger::ParseCheckpointBody(note->body);
  if (!cp.ok()) throw Failure{"the checkpoint body is malformed: " + cp.status().message()};
  if (cp->origin != origin || cp->size != size) throw Failure{"the checkpoint is not of this log's tree of tree_size events"};
  out->checkpoint = *cp;

  // The key chain: each key introduced by a record in the log, signed by the
  // key before it (the genesis by itself), and the tree ending with that
  // record a prefix of the checkpoint's.
  if (!b.contains("keys") || !b["keys"].is_array() || b["keys"].empty()) throw Failure{"\"keys\" is missing"};
  std::vector<ledger::VerifierKey> chain;
  std::vector<std::uint64_t> first_positions;
  for (const json& k : b["keys"]) {
    const std::uint64_t first = Number(k, "first_position");
    const std::uint64_t at = Number(k, "position");
    if (!k.contains("vkey") || !k["vkey"].is_string()) throw Failure{"a key has no vkey"};
    Result<ledger::VerifierKey> key = ledger::VerifierKey::Parse(k["vkey"].get<std::string>());
    if (!key.ok()) throw Failure{"a key's vkey does not parse: " + key.status().message()};
    const bool genesis = chain.empty();
    if (genesis ? (first != 0 || at != 0) : (at + 1 != first || first <= first_positions.back() || first >= size)) {
      throw Failure{"the key chain's positions are out of order", at};
    }
    const std::string bytes = Bytes(k, "record");
    const ledger::fb::Record* r = ParseRecord(bytes, at);
    const std::string_view type = r->event_type() ? r->event_type()->string_view() : "";
    const bool ledger_stream = r->stream_id() && r->stream_id()->string_view() == "$ledger";
    if (!ledger_stream || type != (genesis ? "ledger.genesis" : "ledger.signing_key_rotated")) {
      throw Failure{"the record introducing a key is not a key event", at};
    }
    if (!IntroducesKey(r, *key, at)) throw Failure{"the key event introduces another key", at};
    const ledger::Hash root = HashAt(k, "root");
    if (!ledger::VerifyInclusion(at, at + 1, ledger::LeafHash(bytes), HashList(k, "inclusion"), root).ok()) {
      throw Failure{"the key event is not the last leaf of the tree it says it ends", at};
    }
    const std::string sig = Bytes(k, "signature");
    const ledger::VerifierKey& signer = genesis ? *key : chain.back();
    ledger::Signature s{};
    if (sig.size() != 68 || ledger::DecodeFixed32BE(sig.data()) != signer.key_id()) {
      throw Failure{"the key event is not signed by the key before it", at};
    }
    std::copy(sig.begin() + 4, sig.end(), s.begin());
    if (!signer.Verify(ledger::CheckpointBody({origin, at + 1, root}), s)) {
      throw Failure{"the key event's signature does not verify", at};
    }
    if (at + 1 == size ? root != cp->root
                       : !ledger::VerifyConsistency(at + 1, size, root, cp->root, HashList(k, "consistency")).ok()) {
      throw Failure{"the checkpoint's tree does not extend the tree that introduced the key", at};
    }
    if (genesis && !trusted.empty() &&
        std::none_of(trusted.begin(), trusted.end(), [&](const ledger::VerifierKey& t) { return t.ToString() == key->ToString(); })) {
      throw Failure{"the genesis key " + key->ToString() + " is not trusted"};
    }
    chain.push_back(*key);
    first_positions.push_back(first);
    out->keys.push_back(key->ToString());
  }
  // The checkpoint is signed by the key of its last event.
  const ledger::VerifierKey& last = chain.back();
  if (!ledger::NoteSignedBy(*note, last)) throw Failure{"the checkpoint is not signed by " + last.ToString()};

  // The records: each in the tree, in position order, and the selection whole.
  if (!b.contains("selection") || !b["selection"].is_object()) throw Failure{"\"selection\" is missing"};
  const json& sel = b["selection"];
  const std::string kind = sel.value("kind", "");
  std::map<std::string, std::uint64_t> heads;
  if (kind == "case" || kind == "organisation") {
    if (!sel.contains("streams") || !sel["streams"].is_object()) throw Failure{"the selection lists no streams"};
    for (const auto& [stream, head] : sel["streams"].items()) {
      if (!head.is_number_unsigned()) throw Failure{"the selection's stream versions are malformed"};
      heads[stream] = head.get<std::uint64_t>();
    }
  } else if (kind != "range") {
    throw Failure{"unknown selection kind \"" + kind + "\""};
  }
  if (kind != "range") CheckSelectionStreams(kind, sel, heads);
  const std::string organisation_id = kind == "organisation" ? Text(sel, "organisation_id") : "";
  if (!b.contains("records") || !b["records"].is_array()) throw Failure{"\"records\" is missing"};
  std::map<std::string, std::uint64_t> seen;  // stream -> last version seen
  std::optional<std::uint64_t> previous;
  std::uint64_t expected = kind == "range" ? Number(sel, "from") : 0;
  for (const json& rec : b["records"]) {
    const std::uint64_t p = Number(rec, "position");
    if (previous && p <= *previous) throw Failure{"records are out of position order", p};
    if (p >= size) throw Failure{"a record is beyond the checkpoint", p};
    const std::string bytes = Bytes(rec, "record");
    if (!ledger::VerifyInclusion(p, size, ledger::LeafHash(bytes), HashList(rec, "proof"), cp->root).ok()) {
      throw Failure{"the record is not in the checkpoint's tree (altered, or not from this log)", p};
    }
    const ledger::fb::Record* r = ParseRecord(bytes, p);
    if (kind == "range") {
      if (p != expected) throw Failure{"the range is missing position " + std::to_string(expected), expected};
      ++expected;
    } else {
      const std::string stream = r->stream_id() ? r->stream_id()->str() : "";
      auto head = heads.find(stream);
      if (head == heads.end()) throw Failure{"the record belongs to stream " + stream + ", outside the selection", p};
      const std::uint64_t want = seen[stream] + 1;
      if (r->stream_version() != want) {
        throw Failure{"stream " + stream + " is missing version " + std::to_string(want), p};
      }
      seen[stream] = want;
      if (want == 1 && kind == "organisation") CheckMember(organisation_id, stream, bytes, p);
    }
    previous = p;
    ++out->records;
  }
  if (kind == "range") {
    if (expected != Number(sel, "to")) throw Failure{"the range is missing position " + std::to_string(expected), expected};
  } else {
    for (const auto& [stream, head] : heads) {
      if (seen[stream] != head) {
        throw Failure{"stream " + stream + " is missing version " + std::to_string(seen[stream] + 1)};
      }
    }
  }
}

}  // namespace

BundleCheck VerifyBundle(std::string_view text, const std::vector<ledger::VerifierKey>& trusted_genesis) {
  BundleCheck out;
  try {
    const json b = json::parse(text);
    CheckBundle(b, trusted_genesis, &out);
    out.ok = true;
  } catch (const Failure& f) {
    out.reason = f.reason;
    out.position = f.position;
  } catch (const json::exception& e) {
    out.reason = std::string("the bundle is not valid JSON of the expected shape: ") + e.what();
  }
  return out;
}

}  // namespace nrpf::replay
