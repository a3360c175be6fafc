// Every row of the permission table (domain/permissions.h), allowed and
// refused, through the real service.

#include <catch2/catch.hpp>

#include "tests/domain_world.h"

namespace nrpf::test {
namespace {

RecordFinance Finance(const std::string& id) {
  RecordFinance f;
  f.case_id = id;
  f.start_date = "2025-03-03";
  f.person_costs_weekly_pence = 5000;
  return f;
}

RaiseQuery Query(const std::string& id) { return QueryOn(id); }

CreateCase NewCaseCommand() { return MinimalCase(SamplePerson("Kwame", "Osei", "1980-04-04")); }

TEST_CASE("council user: works its own council's cases and nothing else", "[permissions]") {
  World w;
  const std::string own = w.NewCase("camden");
  const std::string other = w.NewCase("leeds");
  const std::string u = "camden-cw2";
  // Allowed.
  CHECK(w.Try(u, RtpfLookup{fb::DocumentType::Passport, "X1", "1990-01-01"}).ok());
  CHECK(w.Try(u, NewCaseCommand()).ok());
  CHECK(w.Try(u, AllocateCaseworker{own, "camden-cw2"}).ok());
  CHECK(w.Try(u, Finance(own)).ok());
  CHECK(w.Try(u, Query(own)).ok());
  CHECK(w.Try(u, RecordAdvice{own, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""}).ok());
  CHECK(w.Try(u, FlagDuplicate{own, w.NewCase("camden")}).ok());
  CHECK(w.Try(u, CloseCase{own, "2025-03-04", fb::ClosureReason::Other, ""}).ok());
  CHECK(w.Try(u, ReopenCase{own, "2025-03-05"}).ok());
  CHECK(w.service->ReadCase(u, own).ok());
  CHECK(w.service->ReadCase(u, own)->applicant.details.has_value());
  // Another council's case: refused for every command and read.
  for (Command c : std::vector<Command>{AllocateCaseworker{other, "camden-cw2"}, Finance(other), Query(other),
                                        RecordAdvice{other, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""},
                                        CloseCase{other, "2025-03-04", fb::ClosureReason::Other, ""},
                                        FlagDuplicate{other, own}, ChangeTeam{other, "team-b"},
                                        AddDependant{other, SamplePerson("A", "B", "2020-01-01")}}) {
    INFO(CommandName(c));
    CHECK(Refusal(w.Try(u, c)) == "permission_denied/wrong_tenant");
  }
  CHECK(w.service->ReadCase(u, other).status().reason() == "wrong_tenant");
  // Not a council user's to do.
  CHECK(Refusal(w.Try(u, CreateUser{"x", "camden", fb::Role::CouncilUser, "", "X", ""})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(u, CompleteStatusCheck{own, fb::ImmigrationStatus::NoRecordFound, ""})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(u, RegisterOrganisation{"x", fb::OrganisationKind::Council, "X", fb::Nation::Scotland})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(u, RemoveDuplicate{own})) == "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(u, ChangeSlaPolicy{{{fb::SlaClock::CouncilQueryAnswer, {fb::SlaUnit::WorkingDays, 5}}}})) ==
        "permission_denied/role_not_permitted");
}

TEST_CASE("council admin: also manages its own council's accounts, and only those", "[permissions]") {
  World w;
  const std::string a = "camden-admin";
  CHECK(w.Try(a, CreateUser{"camden-cw3", "camden", fb::Role::CouncilUser, "team-a", "New", ""}).ok());
  CHECK(w.Try(a, LockUser{"camden-cw3", fb::LockReason::ByAdmin, 0}).ok());
  CHECK(w.Try(a, UnlockUser{"camden-cw3"}).ok());
  CHECK(w.Try(a, ResetPassword{"camden-cw3"}).ok());
  CHECK(w.Try(a, ChangeUserRole{"camden-cw3", fb::Role::CouncilAdmin}).ok());
  CHECK(w.Try(a, DeleteUser{"camden-cw3"}).ok());
  CHECK(w.Try(a, CreateTeam{"camden", "team-c", "Team C"}).ok());
  CHECK(w.Try(a, NewCaseCommand()).ok());
  for (Command c : std::vector<Command>{CreateUser{"leeds-x", "leeds", fb::Role::CouncilUser, "", "X", ""},
                                        DeleteUser{"leeds-cw1"}, UnlockUser{"leeds-cw1"}, ResetPassword{"leeds-cw1"},
                                        LockUser{"leeds-cw1", fb::LockReason::ByAdmin, 0},
                                        CreateTeam{"leeds", "team-z", "Z"}}) {
    INFO(CommandName(c));
    CHECK(Refusal(w.Try(a, c)) == "permission_denied/wrong_tenant");
  }
  CHECK(Refusal(w.Try(a, CreateUser{"camden-ho", "camden", fb::Role::HomeOffice, "", "X", ""})) ==
        "invalid_argument/role_invalid");
  CHECK(Refusal(w.Try(a, DeleteUser{"camden-admin"})) == "failed_precondition/cannot_delete_self");
}

TEST_CASE("Home Office: reads every subscribed council's cases, records immigration, never edits finance", "[permissions]") {
  World w;
  const std::string id = w.NewCase("glasgow");
  const std::string ho = "ho-1";
  auto read = w.service->ReadCase(ho, id);
  REQUIRE(read.ok());
  CHECK(read->applicant.details.has_value());
  CHECK(w.Try(ho, CompleteStatusCheck{id, fb::ImmigrationStatus::ApplicationPending, ""}).ok());
  CHECK(w.Try(ho, UpdateImmigrationStatus{id, fb::ImmigrationStatus::AppealPending, ""}).ok());
  CHECK(w.Try(ho, Query(id)).ok());
  CHECK(w.Try("glasgow-cw1", Query(id)).ok());
  CHECK(w.Try(ho, AnswerQuery{id, "Q2", "answer"}).ok());
  CHECK(w.service->Clocks(ho, {}).ok());
  CHECK(Refusal(w.Try(ho, Finance(id))) == "permission_denied/finance_read_only");
  const AmendFinance amend = AmendFinance::Whole(Finance(id));
  CHECK(Refusal(w.Try(ho, amend)) == "permission_denied/finance_read_only");
  CHECK(Refusal(w.Try(ho, EndFinance{id, "2025-04-01"})) == "permission_denied/finance_read_only");
  CHECK(Refusal(w.Try(ho, NewCaseCommand())) == "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ho, CloseCase{id, "2025-03-04", fb::ClosureReason::Other, ""})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ho, AllocateCaseworker{id, "glasgow-cw2"})) == "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ho, CreateUser{"ho-x", "home-office", fb::Role::HomeOffice, "", "X", ""})) ==
        "permission_denied/role_not_permitted");
  // The Home Office admin manages Home Office accounts.
  CHECK(w.Try("ho-admin", CreateUser{"ho-2", "home-office", fb::Role::HomeOffice, "", "X", ""}).ok());
  CHECK(Refusal(w.Try("ho-admin", CreateUser{"c-x", "camden", fb::Role::CouncilUser, "", "X", ""})) ==
        "permission_denied/wrong_tenant");
}

TEST_CASE("network support: registers, administers and removes duplicates, but never sees personal data", "[permissions]") {
  World w;
  const std::string ns = "ns-admin";
  CHECK(w.Try(ns, RegisterOrganisation{"cardiff", fb::OrganisationKind::Council, "Cardiff", fb::Nation::EnglandAndWales}).ok());
  CHECK(w.Try(ns, CreateUser{"cardiff-admin", "cardiff", fb::Role::CouncilAdmin, "", "Admin", ""}).ok());
  CHECK(w.Try(ns, ResetPassword{"camden-cw1"}).ok());
  CHECK(w.Try(ns, ChangeSlaPolicy{{{fb::SlaClock::HomeOfficeQueryAnswer, {fb::SlaUnit::WorkingDays, 3}}}}).ok());
  const std::string id = w.NewCase("camden");
  auto view = w.service->ReadCase(ns, id);
  REQUIRE(view.ok());
  CHECK_FALSE(view->applicant.details.has_value());
  CHECK_FALSE(view->dependants[0].details.has_value());
  CHECK(view->status == fb::CaseStatus::OpenReferral);
  projections::SearchQuery q;
  q.name = "Amina Okafor";
  CHECK(w.service->Search(ns, q).status().reason() == "role_not_permitted");
  CHECK(Refusal(w.Try(ns, NewCaseCommand())) == "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ns, Finance(id))) == "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ns, RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, ""})) ==
        "permission_denied/role_not_permitted");
  w.Do("camden-cw1", FlagDuplicate{id, w.NewCase("camden")});
  CHECK(w.Try(ns, RemoveDuplicate{id}).ok());
  // No way round the barrier: no auditor accounts in network support, and
  // nobody changes their own role.
  CHECK(Refusal(w.Try(ns, CreateUser{"ns-auditor", "network-support", fb::Role::Auditor, "", "X", ""})) ==
        "invalid_argument/role_invalid");
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"ns-admin", fb::Role::Auditor})) ==
        "failed_precondition/cannot_change_own_role");
}

TEST_CASE("a retried command id belongs to its account and is answered only while it may act", "[permissions]") {
  World w;
  const CreateCase c = MinimalCase(SamplePerson("Efua", "Boateng", "1987-08-08"));
  auto first = w.Try("camden-cw1", c, std::nullopt, "same-id");
  REQUIRE(first.ok());
  // Another user's command with the same id is its own command.
  auto other = w.Try("leeds-cw1", c, std::nullopt, "same-id");
  REQUIRE(other.ok());
  CHECK_FALSE(other->duplicate);
  CHECK(other->case_id != first->case_id);
  // A locked account learns nothing from a retry.
  w.Do("camden-admin", LockUser{"camden-cw1", fb::LockReason::ByAdmin, 0});
  CHECK(Refusal(w.Try("camden-cw1", c, std::nullopt, "same-id")) == "permission_denied/account_locked");
  CHECK(Refusal(w.Try("nobody", c, std::nullopt, "same-id")) == "permission_denied/unknown_user");
}

TEST_CASE("auditor: reads but never writes, a council's auditor reads only that council", "[permissions]") {
  World w;
  const std::string camden = w.NewCase("camden");
  const std::string leeds = w.NewCase("leeds");
  CHECK(w.service->ReadCase("auditor-1", camden).ok());
  CHECK(w.service->ReadCase("auditor-1", leeds).ok());
  CHECK(w.service->ReadCase("camden-auditor", camden).ok());
  CHECK(w.service->ReadCase("camden-auditor", leeds).status().reason() == "wrong_tenant");
  for (Command c : std::vector<Command>{NewCaseCommand(), Finance(camden), Query(camden),
                                        CloseCase{camden, "2025-03-04", fb::ClosureReason::Other, ""},
                                        CompleteStatusCheck{camden, fb::ImmigrationStatus::NoRecordFound, ""},
                                        RemoveDuplicate{camden}, ResetPassword{"camden-cw1"}}) {
    INFO(CommandName(c));
    const std::string refusal = Refusal(w.Try("auditor-1", c));
    CHECK(refusal.rfind("permission_denied/", 0) == 0);
  }
  auto clocks = w.service->Clocks("camden-auditor", {});
  REQUIRE(clocks.ok());
  for (const auto& k : *clocks) CHECK(k.organisation_id == "camden");

  // An audit body names the council whose caseload and counters it reads;
  // a council's auditor and its users see only their own.
  projections::CaseloadFilter of_leeds;
  of_leeds.organisation_id = "leeds";
  auto rows = w.service->Caseload("auditor-1", of_leeds);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].case_id == leeds);
  CHECK(w.service->Counters("auditor-1", false, "", "camden")->open_referrals == 1);
  CHECK(w.service->Caseload("auditor-1", {})->empty());  // its own organisation holds no cases
  CHECK(w.service->Caseload("camden-auditor", of_leeds).status().reason() == "wrong_tenant");
  CHECK(w.service->Caseload("camden-cw1", of_leeds).status().reason() == "wrong_tenant");
  CHECK(w.service->Counters("camden-cw1", false, "", "leeds").status().reason() == "wrong_tenant");
  CHECK(w.service->Counters("camden-cw1", false, "", "camden")->open_referrals == 1);
  CHECK(w.service->Counters("auditor-1", false, "", "nowhere").status().reason() == "organisation_not_found");
  // The Home Office reads a subscribed council's caseload the same way.
  auto ho_rows = w.service->Caseload("ho-1", of_leeds);
  REQUIRE(ho_rows.ok());
  CHECK(ho_rows->size() == 1);
}

TEST_CASE("a locked or deleted account can do nothing until an admin acts", "[permissions]") {
  World w;
  const std::string id = w.NewCase("camden");
  w.Do("camden-cw1", LockUser{"camden-cw1", fb::LockReason::FailedLogins, 5});
  CHECK(Refusal(w.Try("camden-cw1", Query(id))) == "permission_denied/account_locked");
  CHECK(w.service->ReadCase("camden-cw1", id).status().reason() == "account_locked");
  CHECK(Refusal(w.Try("camden-cw1", AllocateCaseworker{"424242", "camden-cw1"})) == "permission_denied/account_locked");
  w.Do("camden-admin", UnlockUser{"camden-cw1"});
  CHECK(w.Try("camden-cw1", Query(id)).ok());

  w.Do("camden-admin", DeleteUser{"camden-cw2"});
  CHECK(Refusal(w.Try("camden-cw2", Query(id))) == "permission_denied/account_deleted");
  CHECK(w.service->Counters("camden-cw2", true, "").status().reason() == "account_deleted");
  CHECK(Refusal(w.Try("camden-admin", UnlockUser{"camden-cw2"})) == "failed_precondition/account_deleted");
  // Nobody can allocate a case to a deleted account.
  CHECK(Refusal(w.Try("camden-admin", AllocateCaseworker{id, "camden-cw2"})) == "not_found/user_not_found");
}

}  // namespace
}  // namespace nrpf::test
