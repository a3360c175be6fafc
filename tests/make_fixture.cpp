// Writes a small ledger of every record shape this version stores, for
// fixture_test to read with every later version. Run once per format change:
//   make_fixture tests/fixtures/ledger-v1
// The fixture is synthetic: no real person's data.

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ledger/ledger.h"

using namespace nrpf::ledger;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fixture DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  if (std::filesystem::exists(dir)) {
    std::fprintf(stderr, "%s exists; fixtures are written once and never rewritten\n", argv[1]);
    return 1;
  }
  nrpf::ManualClock clock(1'767'225'600'000'000);  // 2026-01-01T00:00:00Z
  LedgerOptions o;
  o.db_path = (dir / "ledger").string();
  o.master_key_path = (dir / "master.key").string();
  o.signing_key_dir = (dir / "keys").string();
  o.origin = "fixture.nrpf-ledger.local/log";
  o.clock = &clock;
  auto opened = Ledger::Open(o);
  if (!opened.ok()) return 1;
  Ledger& l = **opened;
  auto append = [&](AppendRequest r) {
    clock.Advance(1'000'000);
    auto res = l.Append(std::move(r));
    if (!res.ok()) {
      std::fprintf(stderr, "%s\n", res.status().ToString().c_str());
      std::exit(1);
    }
  };
  Actor caseworker{"user-7", "council-camden", "council_user"};
  Actor home_office{"user-9", "home-office-nrpf", "home_office"};

  AppendRequest created{"cmd-created", caseworker, {}, {{"case-1", 0}}, {}};
  NewEvent e{"case-1", "case.created", 1, "synthetic body 1", {"person-a"}, {}};
  e.personal.push_back({"person-a", "applicant", "SYNTHETIC Ana Example, 1990-02-03"});
  e.personal.push_back({"person-b", "dependant", "SYNTHETIC Ben Example, 2019-05-06"});
  created.events.push_back(e);
  append(created);

  AppendRequest two{"cmd-two-streams", home_office, {}, {{"case-1", 1}}, {}};
  two.events.push_back({"case-1", "status.checked", 2, "synthetic body 2", {}, {}});
  two.events.push_back({"org-home-office", "workload.counted", 1, "synthetic body 3", {}, {}});
  append(two);

  if (!l.RotateSigningKey({"ops-1", "network-support", "network_support"}).ok()) return 1;

  AppendRequest after{"cmd-after-rotation", caseworker, {}, {}, {}};
  NewEvent a{"case-1", "case.closed", 1, "synthetic body 4", {}, {}};
  a.personal.push_back({"person-b", "dependant", "SYNTHETIC Ben moved away"});
  after.events.push_back(a);
  append(after);
  if (!l.Shred("person-b").ok()) return 1;

  std::ofstream expected(dir / "expected.txt");
  for (std::uint64_t p = 0; p < l.Size(); ++p) {
    auto ev = l.Read(p);
    const fb::Record* r = ev->record();
    expected << p << ' ' << r->stream_id()->str() << ' ' << r->stream_version() << ' '
             << r->event_type()->str() << ' ' << r->recorded_at_us();
    if (r->sealed() != nullptr) {
      for (std::size_t i = 0; i < r->sealed()->size(); ++i) {
        auto plain = l.OpenSealed(*ev, i);
        expected << " | " << (plain.ok() ? *plain : "<shredded>");
      }
    }
    expected << '\n';
  }
  std::ofstream(dir / "checkpoint.txt") << *l.SignedCheckpoint(l.Size());
  return 0;
}
