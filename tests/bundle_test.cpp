// Export bundles verify offline, with nrpf-replay's verifier and with the
// worked example of docs/audit.md (Python, hashlib and PyNaCl only), and
// every kind of tampering is rejected by both.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "ledger/coding.h"
#include "replay/bundle.h"
#include "tests/replay_world.h"

namespace nrpf::test {
namespace {

using nlohmann::json;

std::string Export(const ledger::Ledger& l, replay::ExportSelection sel) {
  Result<std::string> b = replay::ExportBundle(l, sel);
  REQUIRE(b.ok());
  return *b;
}

replay::ExportSelection CaseSelection(const std::string& id) {
  replay::ExportSelection s;
  s.kind = replay::ExportSelection::Kind::kCase;
  s.id = id;
  return s;
}

// A ledger with three cases of one council, a few reads, and a key rotation
// part-way, so bundles carry a key chain of two.
struct SmallLog {
  SmallLog() {
    a = w.NewCase("camden");
    b = w.NewCase("camden");
    REQUIRE(w.service->ReadCaseRecorded("camden-cw1", a, {"summary"}).ok());
    REQUIRE(w.ledger->RotateSigningKey({"ns-admin", "network-support", "NetworkSupport"}).ok());
    w.Do("camden-cw1", RecordFinance{a, "2025-03-03", 12000, 35000, true});
    w.Do("ho-1", CompleteStatusCheck{a, fb::ImmigrationStatus::ApplicationPending, "pending"});
    c = w.NewCase("leeds");
    REQUIRE(w.service->ReadCaseRecorded("camden-cw1", a, {"finance"}).ok());
  }
  World w;
  std::string a, b, c;
};

std::string Recode(json j) { return j.dump(1); }

// Runs docs/examples/verify_bundle.py on `bundle`.
Run PythonVerify(const std::string& bundle, const std::string& path) {
  WriteText(path, bundle);
  return RunCommand(std::string(NRPF_PYTHON3) + " " + NRPF_SOURCE_DIR + "/docs/examples/verify_bundle.py " + path);
}

// The checkpoint of `b` with one more signature line.
std::string WithSignatureLine(const json& b, const std::string& name, const std::string& blob) {
  return b["checkpoint"].get<std::string>() + "\u2014 " + name + " " + ledger::Base64Encode(blob) + "\n";
}

std::string FlipRecordByte(const std::string& b64, std::size_t at) {
  std::string raw = *ledger::Base64Decode(b64);
  raw[at % raw.size()] ^= 0x20;
  return ledger::Base64Encode(raw);
}

TEST_CASE("case, organisation and range bundles verify offline", "[bundle]") {
  SmallLog s;
  const ledger::Ledger& l = *s.w.ledger;
  replay::BundleCheck whole = replay::VerifyBundle(Export(l, CaseSelection(s.a)));
  INFO(whole.reason);
  REQUIRE(whole.ok);
  CHECK(whole.keys.size() == 2);  // the genesis key and the rotated one
  CHECK(whole.checkpoint.size == l.Size());
  auto history = l.ReadStream(CaseStream(s.a), 1, 100);
  auto reads = l.ReadStream(AccessStream(s.a), 1, 100);
  CHECK(whole.records == history->size() + reads->size());

  replay::ExportSelection org;
  org.kind = replay::ExportSelection::Kind::kOrganisation;
  org.id = "camden";
  const std::string org_bundle = Export(l, org);
  replay::BundleCheck o = replay::VerifyBundle(org_bundle);
  INFO(o.reason);
  CHECK(o.ok);
  const json ob = json::parse(org_bundle);
  CHECK(ob["selection"]["streams"].contains(CaseStream(s.b)));
  CHECK(ob["selection"]["streams"].contains("org-camden"));
  CHECK_FALSE(ob["selection"]["streams"].contains(CaseStream(s.c)));  // a Leeds case

  replay::ExportSelection range;
  range.kind = replay::ExportSelection::Kind::kRange;
  range.from = 5;
  range.to = 25;
  replay::BundleCheck r = replay::VerifyBundle(Export(l, range));
  CHECK(r.ok);
  CHECK(r.records == 20);

  // At an earlier checkpoint, before the rotation: a chain of one key.
  replay::ExportOptions early;
  early.tree_size = 20;
  Result<std::string> before = replay::ExportBundle(l, range, early);
  REQUIRE(before.ok());
  replay::BundleCheck e = replay::VerifyBundle(*before);
  CHECK(e.ok);
  CHECK(e.records == 15);
  CHECK(e.keys.size() == 1);

  // A trusted genesis key is accepted, another refused.
  auto keys = l.PublicKeys();
  REQUIRE(keys.ok());
  CHECK(replay::VerifyBundle(Export(l, range), {keys->front().key}).ok);
  CHECK_FALSE(replay::VerifyBundle(Export(l, range), {keys->back().key}).ok);
}

TEST_CASE("every kind of tampering with a bundle is rejected", "[bundle]") {
  SmallLog s;
  TempDir dir;
  const ledger::Ledger& l = *s.w.ledger;
  const json good = json::parse(Export(l, CaseSelection(s.a)));
  replay::ExportSelection org;
  org.kind = replay::ExportSelection::Kind::kOrganisation;
  org.id = "camden";
  const json camden = json::parse(Export(l, org));
  org.id = "leeds";
  const json leeds = json::parse(Export(l, org));
  REQUIRE(good["records"].size() >= 6);
  struct Tamper {
    const char* what;
    std::function<void(json&)> edit;
    const char* reason;  // a word the rejection must contain
  };
  // A record of another log, with a proof valid in that log.
  World other;
  const std::string foreign_case = other.NewCase("camden");
  const json foreign = json::parse(Export(*other.ledger, CaseSelection(foreign_case)));
  // A record of another case of this log, with a valid proof.
  const json neighbour = json::parse(Export(l, CaseSelection(s.b)));
  const auto log_key = l.PublicKeys()->back().key;
  std::string own_line;  // the log's key id and 64 bytes that are no signature
  ledger::PutFixed32BE(&own_line, log_key.key_id());
  own_line.append(64, '\x5a');
  // Lists another case's stream, with its records, as part of a selection.
  const auto stream_of = [&](const json& record) { return l.Read(record["position"])->record()->stream_id()->str(); };
  const auto add_case = [&](json& b, const json& from, const std::string& stream) {
    b["selection"]["streams"][stream] = from["selection"]["streams"][stream];
    for (const json& r : from["records"]) {
      if (stream_of(r) == stream) b["records"].push_back(r);
    }
    std::sort(b["records"].begin(), b["records"].end(),
              [](const json& x, const json& y) { return x["position"] < y["position"]; });
    b["records"].erase(std::unique(b["records"].begin(), b["records"].end(),
                                   [](const json& x, const json& y) { return x["position"] == y["position"]; }),
                       b["records"].end());
  };
  std::vector<Tamper> tampers = {
      {"a flipped byte in a record", [](json& b) { b["records"][2]["record"] = FlipRecordByte(b["records"][2]["record"], 40); }, "not in the checkpoint"},
      {"a missing record", [](json& b) { b["records"].erase(3); }, "missing"},
      {"the last record missing", [](json& b) { b["records"].erase(b["records"].size() - 1); }, "missing"},
      {"two records swapped", [](json& b) { std::swap(b["records"][1], b["records"][2]); }, "order"},
      {"a record from another log",
       [&](json& b) {
         json f = foreign["records"][0];
         f["position"] = b["records"][1]["position"];
         b["records"][1] = f;
       },
       "not in the checkpoint"},
      {"a record of another case",
       [&](json& b) {
         b["records"].push_back(neighbour["records"][0]);
         std::sort(b["records"].begin(), b["records"].end(),
                   [](const json& x, const json& y) { return x["position"] < y["position"]; });
       },
       "outside the selection"},
      {"a record moved to another position", [](json& b) { b["records"][2]["position"] = b["records"][2]["position"].get<std::uint64_t>() + 1; }, "not in the checkpoint"},
      {"a proof hash changed", [](json& b) { b["records"][0]["proof"][0] = b["records"][0]["proof"][1]; }, "not in the checkpoint"},
      {"a record duplicated", [](json& b) { b["records"].insert(b["records"].begin() + 1, b["records"][1]); }, "order"},
      {"the checkpoint's signature changed",
       [](json& b) {
         std::string note = b["checkpoint"];
         note[note.size() - 6] = note[note.size() - 6] == 'A' ? 'B' : 'A';
         b["checkpoint"] = note;
       },
       "signed"},
      {"a larger tree size claimed", [](json& b) { b["tree_size"] = b["tree_size"].get<std::uint64_t>() + 1; }, "checkpoint"},
      {"the rotated key replaced by another", [&](json& b) { b["keys"][1]["vkey"] = b["keys"][0]["vkey"]; }, "key"},
      {"the rotation's signature changed", [](json& b) { b["keys"][1]["signature"] = b["keys"][0]["signature"]; }, "signature"},
      {"the key chain cut", [](json& b) { b["keys"].erase(1); }, "signed"},
      {"a stream version raised in the selection", [&](json& b) {
         auto& v = b["selection"]["streams"][CaseStream(s.a)];
         v = v.get<std::uint64_t>() + 1;
       }, "missing"},
      {"the bundle relabelled as another case", [&](json& b) { b["selection"]["case_id"] = s.b; }, "stream of case"},
      {"another case's stream listed, with its records",
       [&](json& b) { add_case(b, neighbour, CaseStream(s.b)); }, "not case"},
      {"a case bundle of its access stream only",
       [&](json& b) {
         b["selection"]["streams"].erase(CaseStream(s.a));
         json kept = json::array();
         for (const json& r : b["records"]) {
           if (stream_of(r) != CaseStream(s.a)) kept.push_back(r);
         }
         b["records"] = kept;
       },
       "does not list the stream of case"},
      {"a second line by the log's key that does not verify",
       [&](json& b) { b["checkpoint"] = WithSignatureLine(b, log_key.name(), own_line); }, "not signed"},
      {"an organisation bundle relabelled", [&](json& b) {
         b = camden;
         b["selection"]["organisation_id"] = "leeds";
       }, "organisation"},
      {"another council's case listed in an organisation bundle",
       [&](json& b) {
         b = camden;
         add_case(b, leeds, CaseStream(s.c));
       },
       "not of organisation camden"},
  };
  for (const Tamper& t : tampers) {
    json b = good;
    t.edit(b);
    replay::BundleCheck check = replay::VerifyBundle(Recode(b));
    INFO(t.what << ": " << check.reason);
    CHECK_FALSE(check.ok);
    CHECK(check.reason.find(t.reason) != std::string::npos);
    // The worked example agrees.
    Run py = PythonVerify(Recode(b), dir.Sub("tampered.json"));
    INFO("verify_bundle.py: " << py.out);
    CHECK(py.exit_code == 1);
    CHECK(py.out.find("bundle REJECTED") != std::string::npos);
  }
  // A witness's cosignature (72 bytes, another key) is ignored by both.
  json witnessed = good;
  witnessed["checkpoint"] = WithSignatureLine(good, "witness.example/w1", std::string(72, '\x07'));
  replay::BundleCheck w = replay::VerifyBundle(Recode(witnessed));
  INFO(w.reason);
  CHECK(w.ok);
  CHECK(PythonVerify(Recode(witnessed), dir.Sub("witnessed.json")).exit_code == 0);
  CHECK(replay::VerifyBundle("{\"format\": ").reason.find("not valid JSON") != std::string::npos);
  CHECK(replay::VerifyBundle("[]").reason.find("not an nrpf-ledger-export/1 bundle") != std::string::npos);
}

TEST_CASE("the worked example verifies a real export and rejects an altered one", "[bundle][example]") {
  SmallLog s;
  TempDir dir;
  const std::string script = std::string(NRPF_SOURCE_DIR) + "/docs/examples/verify_bundle.py";
  const std::string python = NRPF_PYTHON3;
  const std::string bundle = Export(*s.w.ledger, CaseSelection(s.a));
  WriteText(dir.Sub("good.json"), bundle);
  Run good = RunCommand(python + " " + script + " " + dir.Sub("good.json"));
  INFO(good.out);
  CHECK(good.exit_code == 0);
  CHECK(good.out.find("bundle verified") != std::string::npos);
  auto keys = s.w.ledger->PublicKeys();
  CHECK(RunCommand(python + " " + script + " " + dir.Sub("good.json") + " --trusted-key " +
                   keys->front().key.ToString()).exit_code == 0);
  CHECK(RunCommand(python + " " + script + " " + dir.Sub("good.json") + " --trusted-key " +
                   keys->back().key.ToString()).exit_code == 1);

  json b = json::parse(bundle);
  b["records"][1]["record"] = FlipRecordByte(b["records"][1]["record"], 50);
  WriteText(dir.Sub("altered.json"), b.dump());
  Run altered = RunCommand(python + " " + script + " " + dir.Sub("altered.json"));
  CHECK(altered.exit_code == 1);
  CHECK(altered.out.find("REJECTED") != std::string::npos);

  json m = json::parse(bundle);
  m["records"].erase(2);
  WriteText(dir.Sub("missing.json"), m.dump());
  CHECK(RunCommand(python + " " + script + " " + dir.Sub("missing.json")).exit_code == 1);

  // An organisation bundle and a range too.
  replay::ExportSelection org;
  org.kind = replay::ExportSelection::Kind::kOrganisation;
  org.id = "camden";
  Run org_check = PythonVerify(Export(*s.w.ledger, org), dir.Sub("org.json"));
  INFO(org_check.out);
  CHECK(org_check.exit_code == 0);
}

}  // namespace
}  // namespace nrpf::test
