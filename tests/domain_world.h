// A small world for the domain tests: a real ledger and CaseService on a
// manual clock, with network support, the Home Office, an audit body and four
// councils (two in England, one in Scotland, one in Northern Ireland), each
// with an admin, two caseworkers and a team.

#ifndef NRPF_TESTS_DOMAIN_WORLD_H_
#define NRPF_TESTS_DOMAIN_WORLD_H_

#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "domain/service.h"
#include "tests/test_util.h"

namespace nrpf::test {

using namespace nrpf::domain;  // NOLINT: tests speak the domain's language

// 2025-03-03 (a Monday) 10:00 UTC.
inline constexpr std::int64_t kWorldStart = 1740996000000000;
inline constexpr std::int64_t kHourUs = 3'600'000'000;
inline constexpr std::int64_t kDayUs = 24 * kHourUs;

inline Person SamplePerson(std::string given, std::string family, std::string dob) {
  Person p;
  p.given_names = std::move(given);
  p.family_name = std::move(family);
  p.date_of_birth = std::move(dob);
  p.nationality = "Nigerian";
  p.home_office_reference = "S1234567";
  p.documents = {{fb::DocumentType::Passport, "P12345678"}};
  p.address = "1 Test Street";
  return p;
}

// A minimal case of `applicant` in team-a, unallocated, with no dependants:
// what a case cannot do without.
inline CreateCase MinimalCase(Person applicant) {
  CreateCase c;
  c.team_id = "team-a";
  c.applicant = std::move(applicant);
  c.household_type = fb::HouseholdType::AdultWithCareNeeds;
  c.legislation = fb::Legislation::CareAct2014;
  c.referral_date = "2025-03-01";
  return c;
}

// A query on `case_id`: to the Home Office when a council raises it, to the
// council when the Home Office does.
inline RaiseQuery QueryOn(std::string case_id, fb::QueryTopic topic = fb::QueryTopic::StatusUpdate,
                          std::string text = "any news?") {
  RaiseQuery q;
  q.case_id = std::move(case_id);
  q.topic = topic;
  q.text = std::move(text);
  return q;
}

class World {
 public:
  // `tweak` may change the ledger's options before it opens.
  explicit World(std::int64_t start_us = kWorldStart, ServiceOptions so = {},
                 const std::function<void(ledger::LedgerOptions&)>& tweak = {})
      : clock(start_us) {
    ledger::LedgerOptions lo = OptionsIn(dir, &clock);
    if (tweak) tweak(lo);
    ledger = OpenOrDie(lo);
    so.clock = &clock;
    auto opened = CaseService::Open(ledger.get(), so);
    REQUIRE(opened.ok());
    service = std::move(opened).value();
    auto boot = service->Bootstrap(
        {"network-support", fb::OrganisationKind::NetworkSupport, "NRPF Network", fb::Nation::EnglandAndWales},
        {"ns-admin", "network-support", fb::Role::NetworkSupport, "", "Operator", "op@example.invalid"});
    REQUIRE(boot.ok());
    Do("ns-admin", RegisterOrganisation{"home-office", fb::OrganisationKind::HomeOffice, "Home Office NRPF team",
                                        fb::Nation::EnglandAndWales});
    Do("ns-admin", CreateUser{"ho-admin", "home-office", fb::Role::HomeOfficeAdmin, "", "HO Admin", ""});
    Do("ho-admin", CreateUser{"ho-1", "home-office", fb::Role::HomeOffice, "", "HO Officer", ""});
    Do("ns-admin", RegisterOrganisation{"audit-body", fb::OrganisationKind::AuditBody, "Auditors",
                                        fb::Nation::EnglandAndWales});
    Do("ns-admin", CreateUser{"auditor-1", "audit-body", fb::Role::Auditor, "", "Auditor", ""});
    for (auto [id, nation] : {std::pair{"camden", fb::Nation::EnglandAndWales},
                              std::pair{"leeds", fb::Nation::EnglandAndWales},
                              std::pair{"glasgow", fb::Nation::Scotland},
                              std::pair{"belfast", fb::Nation::NorthernIreland}}) {
      const std::string c = id;
      Do("ns-admin", RegisterOrganisation{c, fb::OrganisationKind::Council, c + " council", nation});
      Do("ns-admin", CreateUser{c + "-admin", c, fb::Role::CouncilAdmin, "", c + " admin", ""});
      Do(c + "-admin", CreateTeam{c, "team-a", "Team A"});
      Do(c + "-admin", CreateTeam{c, "team-b", "Team B"});
      Do(c + "-admin", CreateUser{c + "-cw1", c, fb::Role::CouncilUser, "team-a", c + " caseworker 1", ""});
      Do(c + "-admin", CreateUser{c + "-cw2", c, fb::Role::CouncilUser, "team-b", c + " caseworker 2", ""});
    }
    Do("camden-admin", CreateUser{"camden-auditor", "camden", fb::Role::Auditor, "", "Camden auditor", ""});
  }

  // Through ExecuteAsync, as nrpf-ledgerd runs commands, waiting here for
  // the answer; through Execute when `async` is false.
  Result<CommandOutcome> Try(const std::string& actor, Command command,
                             std::optional<std::uint64_t> expected = std::nullopt,
                             std::string command_id = {}) {
    CommandRequest r;
    r.actor_user_id = actor;
    r.command = std::move(command);
    r.expected_version = expected;
    r.command_id = std::move(command_id);
    if (!async) return service->Execute(r);
    // Shared with the callback, so that a second answer (a defect) is
    // counted wherever it comes, not written to a finished call.
    struct Answers {
      std::promise<Result<CommandOutcome>> first;
      std::atomic<int> count{0};
    };
    auto answers = std::make_shared<Answers>();
    std::future<Result<CommandOutcome>> answer = answers->first.get_future();
    service->ExecuteAsync(std::move(r), executor.AsExecutor(), [answers](Result<CommandOutcome> out) {
      if (++answers->count == 1) answers->first.set_value(std::move(out));
    });
    Result<CommandOutcome> out = answer.get();
    CHECK(answers->count.load() == 1);  // answered once so far
    return out;
  }

  CommandOutcome Do(const std::string& actor, Command command,
                    std::optional<std::uint64_t> expected = std::nullopt) {
    const std::string name(CommandName(command));
    Result<CommandOutcome> r = Try(actor, std::move(command), expected);
    INFO(actor << " " << name << ": " << r.status().ToString());
    REQUIRE(r.ok());
    return std::move(r).value();
  }

  // A case of `council`, created by its first caseworker and allocated to them.
  std::string NewCase(const std::string& council, Person applicant = SamplePerson("Amina", "Okafor", "1990-05-17"),
                      bool urgent = false) {
    CreateCase c;
    c.team_id = "team-a";
    c.caseworker_id = council + "-cw1";
    c.applicant = std::move(applicant);
    c.dependants = {SamplePerson("Tobi", "Okafor", "2016-02-01")};
    c.dependants[0].relationship = "child";
    c.dependants[0].documents.clear();
    c.dependants[0].home_office_reference.clear();
    c.household_type = fb::HouseholdType::FamilyWithChildren;
    c.legislation = fb::Legislation::ChildrenAct1989S17;
    c.referral_date = "2025-03-01";
    c.advised_details_shared = true;
    c.urgent = urgent;
    c.urgent_reason = urgent ? fb::UrgentReason::SafeguardingOrChildProtection : fb::UrgentReason::None;
    return Do(council + "-cw1", c).case_id;
  }

  CaseState Case(const std::string& id) const {
    return service->projector().Read([&](const projections::Projections& p) {
      const CaseState* c = p.Case(id);
      REQUIRE(c != nullptr);
      return *c;
    });
  }

  TempDir dir;
  ManualClock clock;
  std::unique_ptr<ledger::Ledger> ledger;
  // ExecuteAsync's work that falls due on the projections' thread runs here.
  TaskPool executor{2, 1024, "world-executor"};
  std::unique_ptr<CaseService> service;
  bool async = true;  // Try: ExecuteAsync, or Execute
};

// The stable "code/reason" of a refusal.
template <typename T>
std::string Refusal(const Result<T>& r) {
  if (r.ok()) return "ok";
  return std::string(CodeName(r.status().code())) + "/" + r.status().reason();
}

}  // namespace nrpf::test

#endif  // NRPF_TESTS_DOMAIN_WORLD_H_
