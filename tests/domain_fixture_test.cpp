// Folds the NRPF caseloads written by earlier versions
// (tests/fixtures/domain-v1, domain-v2): every stored body passes its
// verifier and the projections come out exactly as that version folded
// them, apart from what later versions fold in addition. Stored events are never rewritten; only
// the fold may grow.

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "domain/assessment.h"
#include "domain/decide.h"
#include "domain/events.h"
#include "domain/model.h"
#include "domain/fingerprint.h"
#include "domain/service.h"
#include "projections/projector.h"
#include "tests/test_util.h"

namespace nrpf::test {
namespace {

// What later versions fold from the same events and version 1 did not:
// advice notes, the last grant of leave, the closures that ended (by a
// reopening or a removal), the latest reopening's date and each support
// period's weekly costs over time. Strips them from `dump`, counting each and
// checking that its values hold together, so the rest can be compared with
// version 1's dump byte for byte.
struct Additions {
  std::size_t advice_notes = 0, grants = 0, closed_periods = 0, reopened_on = 0, finance_rates = 0, inconsistent = 0;
};

// The number after "|<key>=" in `line`, or -1.
std::int64_t Field(const std::string& line, const std::string& key) {
  const std::size_t at = line.find("|" + key + "=");
  if (at == std::string::npos) return -1;
  return std::stoll(line.substr(at + key.size() + 2));
}

std::string WithoutLaterFields(const std::string& dump, Additions* added) {
  std::string out;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("closed_period|", 0) == 0) {
      ++added->closed_periods;
      const std::int64_t closed = Field(line, "closed_at"), ended = Field(line, "ended_at");
      if (closed <= 0 || ended < closed) ++added->inconsistent;
      continue;
    }
    if (line.rfind("finance_rate|", 0) == 0) {
      // A rate applies within its support period: from its start, before its end.
      ++added->finance_rates;
      auto text = [&](const std::string& key) {
        const std::size_t at = line.find("|" + key + "=") + key.size() + 2;
        return line.substr(at, line.find('|', at) - at);
      };
      const std::string start = text("start"), end = text("end"), from = text("from");
      if (!domain::IsIsoDate(from) || from < start || (!end.empty() && from > end)) ++added->inconsistent;
      if (!domain::IsIsoDate(text("recorded"))) ++added->inconsistent;
      if (Field(line, "person") < 0 || Field(line, "accommodation") < 0) ++added->inconsistent;
      continue;
    }
    auto cut = [&](std::string_view kind, std::string_view field, std::size_t* n) {
      if (line.rfind(kind, 0) != 0) return false;
      const std::size_t at = line.find(field);
      if (at == std::string::npos) return false;
      line.resize(at);  // the added fields come last
      ++*n;
      return true;
    };
    const std::string whole = line;
    cut("advice|", "|note=", &added->advice_notes);
    if (cut("case|", "|reopened_on=", &added->reopened_on)) {
      // Only a reopened case has one, and it is a date.
      const std::size_t at = whole.find("|reopened_on=");
      if (Field(whole, "reopenings") <= 0 || !domain::IsIsoDate(whole.substr(at + 13))) ++added->inconsistent;
    }
    if (cut("immigration|", "|grant=", &added->grants)) {
      // The grant is a grant of leave, recorded by one of the case's checks
      // or updates, no later than its latest.
      const auto grant = static_cast<domain::fb::ImmigrationStatus>(Field(whole, "grant"));
      const std::int64_t granted = Field(whole, "granted"), updated = Field(whole, "updated");
      if (!domain::IsGrantOfLeave(grant) || granted <= 0 || granted > updated) ++added->inconsistent;
      if (Field(whole, "status") == Field(whole, "grant") && granted != updated) ++added->inconsistent;
    }
    out += line;
    out += '\n';
  }
  return out;
}

// A fixture's log, opened read-only from a copy in `dir`, and the dump
// its version wrote when it folded that log.
struct Fixture {
  std::unique_ptr<ledger::Ledger> ledger;
  std::string expected_dump;
};

Fixture OpenFixture(const TempDir& dir, const std::string& name) {
  const std::filesystem::path src = std::filesystem::path(NRPF_FIXTURES) / name;
  std::filesystem::copy(src, dir.path() / name, std::filesystem::copy_options::recursive);
  ledger::LedgerOptions o;
  o.db_path = dir.Sub(name + "/ledger");
  o.master_key_path = dir.Sub(name + "/master.key");
  o.signing_key_dir = dir.Sub(name + "/keys");
  o.origin = "fixture.nrpf-ledger.local/log";
  o.read_only = true;
  ::chmod(o.master_key_path.c_str(), 0600);
  Fixture f;
  f.ledger = OpenOrDie(o);
  std::ifstream in(src / "expected-dump.txt", std::ios::binary);
  std::stringstream expected;
  expected << in.rdbuf();
  f.expected_dump = expected.str();
  REQUIRE(f.expected_dump.size() > 1000);
  // Every stored body passes its verifier.
  std::size_t decoded = 0;
  for (std::uint64_t p = 0; p < f.ledger->Size(); p += 512) {
    auto batch = f.ledger->ReadRange(p, 512);
    REQUIRE(batch.ok());
    for (const auto& e : *batch) {
      auto view = domain::DecodeEvent(e, {});
      REQUIRE(view.ok());
      decoded += view->body != nullptr ? 1 : 0;
    }
  }
  CHECK(decoded + 1 >= f.ledger->Size());  // all but the ledger's own genesis
  return f;
}

TEST_CASE("a caseload written by version 1 folds to the same projections", "[domain][fixture]") {
  TempDir dir;
  Fixture f = OpenFixture(dir, "domain-v1");
  auto rebuilt = projections::Rebuild(*f.ledger);
  REQUIRE(rebuilt.ok());
  Additions added;
  const std::string dump = WithoutLaterFields((*rebuilt)->Dump(), &added);
  CHECK(dump.size() == f.expected_dump.size());
  CHECK(dump == f.expected_dump);
  // The fixture holds every kind of addition (counted when it was first
  // folded with them).
  CHECK(added.advice_notes == 202);
  CHECK(added.grants == 107);
  CHECK(added.closed_periods == 14);
  CHECK(added.reopened_on == 14);  // every reopened case's latest reopening
  CHECK(added.finance_rates == 246);
  CHECK(added.inconsistent == 0);
  CHECK(f.ledger->Verify({}).ok);
}

// Each assessment's outcome and reasons, worked out again from what it
// sealed alone: how many differ.
std::size_t AssessmentsThatDisagree(const projections::Projections& p, std::size_t* checked) {
  std::size_t disagree = 0;
  for (const auto& [org, ids] : p.organisation_cases()) {
    for (const std::string& id : ids) {
      const domain::CaseState* c = p.Case(id);
      for (const domain::AssessmentRecord& a : c->assessments) {
        REQUIRE(a.sealed.has_value());
        const domain::fb::SealedAssessment* s = domain::DecodeSealedAssessment(*a.sealed);
        REQUIRE(s != nullptr);
        domain::AssessmentResult again;
        if (const auto* e = s->early_education()) {
          REQUIRE(a.kind == domain::fb::AssessmentKind::EarlyEducationTwoYearOld);
          domain::EarlyEducationFacts f;
          f.lives_in_england = e->lives_in_england().value();
          f.council_nation = e->council_nation().value();
          f.in_london = e->in_london().value();
          f.household_income_after_tax_pence = e->household_income_after_tax_pence().value();
          f.children_in_household = e->children_in_household().value();
          f.savings_pence = e->savings_pence().value();
          f.parent_with_recourse = e->parent_with_recourse().value();
          f.child_age_months = e->child_age_months().value();
          f.assessed_on = s->assessed_on()->str();
          f.universal_from = e->universal_from()->str();
          again = domain::EarlyEducationRules(f);
        } else {
          const auto* k = s->change_of_conditions();
          REQUIRE(k != nullptr);
          REQUIRE(a.kind == domain::fb::AssessmentKind::ChangeOfConditions);
          domain::ChangeOfConditionsFacts f;
          f.route = k->route();
          f.has_accommodation = k->has_accommodation().value();
          f.accommodation_adequate = k->accommodation_adequate().value();
          f.can_meet_living_needs = k->can_meet_living_needs().value();
          f.has_accommodation_in_3_months = k->has_accommodation_in_3_months().value();
          f.accommodation_adequate_in_3_months = k->accommodation_adequate_in_3_months().value();
          f.can_meet_living_needs_in_3_months = k->can_meet_living_needs_in_3_months().value();
          if (k->income_meets_childrens_needs()) f.income_meets_childrens_needs = *k->income_meets_childrens_needs();
          f.exceptional_circumstances = k->exceptional_circumstances().value();
          f.evidence_complete = k->evidence_complete().value();
          if (k->particularly_compelling_circumstances()) {
            f.particularly_compelling_circumstances = *k->particularly_compelling_circumstances();
          }
          f.council_supporting = k->council_supporting().value();
          again = domain::ChangeOfConditionsRules(f);
        }
        std::vector<domain::fb::AssessmentReason> reasons;
        for (domain::fb::AssessmentReason r : *s->reasons()) reasons.push_back(r);
        if (again.outcome != s->outcome() || again.reasons != reasons || again.rule_version != a.rule_version ||
            again.income_threshold_pence != s->income_threshold_pence()) {
          ++disagree;
        }
        ++*checked;
      }
    }
  }
  return disagree;
}

TEST_CASE("a caseload written by version 2, with assessments, folds to the same projections", "[domain][fixture]") {
  TempDir dir;
  Fixture f = OpenFixture(dir, "domain-v2");
  auto rebuilt = projections::Rebuild(*f.ledger);
  REQUIRE(rebuilt.ok());
  const std::string dump = (*rebuilt)->Dump();
  CHECK(dump.size() == f.expected_dump.size());
  CHECK(dump == f.expected_dump);
  // It holds assessments of both kinds, each of whose findings the rules
  // of its version give again from what it sealed.
  std::size_t early_education = 0, change_of_conditions = 0;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("assessment|", 0) != 0) continue;
    early_education += line.find("|kind=1|") != std::string::npos ? 1 : 0;
    change_of_conditions += line.find("|kind=2|") != std::string::npos ? 1 : 0;
  }
  CHECK(early_education == 10);
  CHECK(change_of_conditions == 12);
  std::size_t checked = 0;
  CHECK(AssessmentsThatDisagree(**rebuilt, &checked) == 0);
  CHECK(checked == 22);
  CHECK(f.ledger->Verify({}).ok);
}

TEST_CASE("a command id stored by version 1 is never answered as a retry of a request it cannot be compared with", "[domain][fixture][idempotency]") {
  TempDir dir;
  const std::filesystem::path src = std::filesystem::path(NRPF_FIXTURES) / "domain-v1";
  std::filesystem::copy(src, dir.path() / "domain-v1", std::filesystem::copy_options::recursive);
  ledger::LedgerOptions o;
  o.db_path = dir.Sub("domain-v1/ledger");
  o.master_key_path = dir.Sub("domain-v1/master.key");
  o.signing_key_dir = dir.Sub("domain-v1/keys");
  o.origin = "fixture.nrpf-ledger.local/log";
  ::chmod(o.master_key_path.c_str(), 0600);
  for (const auto& key : std::filesystem::directory_iterator(o.signing_key_dir)) ::chmod(key.path().c_str(), 0600);
  auto ledger = OpenOrDie(o);
  auto opened = domain::CaseService::Open(ledger.get(), {});
  REQUIRE(opened.ok());
  domain::CaseService& service = **opened;

  // A case command version 1 stored under a command id (its digest over the
  // events), by an account that may still act on the case.
  std::string actor, command_id, case_id;
  for (std::uint64_t p = 1; p < ledger->Size() && command_id.empty(); ++p) {
    auto e = ledger->Read(p);
    REQUIRE(e.ok());
    const ledger::fb::Record* r = e->record();
    const std::string id = r->command_id() ? r->command_id()->str() : "";
    const std::string stream = r->stream_id()->str();
    const std::string user = r->actor()->user_id()->str();
    if (id.rfind("gen-", 0) != 0 || stream.rfind("case-", 0) != 0) continue;
    if (!service.MayOnCase(user, stream.substr(5), domain::Action::kEditCase).ok()) continue;
    actor = user;
    command_id = id;
    case_id = stream.substr(5);
  }
  REQUIRE(!command_id.empty());
  // Asked for whatever it holds, it is there as it was.
  auto stored = ledger->LookupCommand(command_id);
  REQUIRE(stored.ok());
  CHECK(stored->duplicate);
  // Compared with a command's fingerprint, it cannot tell a retry from
  // another command: refused, naming where the stored command wrote.
  const domain::RecordAdvice advice{case_id, "2025-03-04", domain::fb::AdvisedOf::DetailsSharedWithHomeOffice, "a note"};
  auto compared = ledger->LookupCommand(command_id, domain::FingerprintOf(actor, std::nullopt, advice));
  REQUIRE_FALSE(compared.ok());
  CHECK(compared.status().code() == Code::kCommandIdReused);
  CHECK(compared.status().message().find("position " + std::to_string(stored->first_position)) != std::string::npos);

  // New ids on the old log are fingerprinted: a retry is answered, anything
  // else under them refused, and only the first writes.
  const std::uint64_t size = ledger->Size();
  domain::CommandRequest request;
  request.actor_user_id = actor;
  request.command_id = "after-upgrade";
  request.command = advice;
  auto first = service.Execute(request);
  REQUIRE(first.ok());
  CHECK_FALSE(first->duplicate);
  auto again = service.Execute(request);
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(again->first_position == first->first_position);
  std::get<domain::RecordAdvice>(request.command).note = "another note";
  CHECK(service.Execute(request).status().code() == Code::kCommandIdReused);
  CHECK(ledger->Size() == size + first->events);
  CHECK(ledger->Verify({}).ok);
}

}  // namespace
}  // namespace nrpf::test
