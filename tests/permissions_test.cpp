// Every row of the permission table (domain/permissions.h), allowed and
// refused, through the real service.

#include <catch2/catch.hpp>

#include <algorithm>

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
  w.clock.Advance(2 * kDayUs);  // to 2025-03-05
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
  CHECK(w.Try(ho, QueryOn(id, fb::QueryTopic::HomeOfficeInformationRequest)).ok());
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

TEST_CASE("network support: registers, creates first admins and removes duplicates, but never sees personal data", "[permissions]") {
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
  // No auditor accounts in network support, and nobody changes their own
  // role. (The accounts network support may create are the next test's.)
  CHECK(Refusal(w.Try(ns, CreateUser{"ns-auditor", "network-support", fb::Role::Auditor, "", "X", ""})) ==
        "invalid_argument/role_invalid");
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"ns-admin", fb::Role::Auditor})) ==
        "failed_precondition/cannot_change_own_role");
}

// The creator of an account learns its one-time password, so an account
// network support could create in a council or the Home Office would be a
// way round "no personal data". It creates only an organisation's first
// admin; the admin creates the rest.
TEST_CASE("network support creates a council's or the Home Office's first admin and no other account", "[permissions]") {
  World w;
  const std::string ns = "ns-admin";
  const std::uint64_t before = w.ledger->Size();
  // Camden has its admin: no other account of Camden's or the Home Office's.
  CHECK(Refusal(w.Try(ns, CreateUser{"camden-cw9", "camden", fb::Role::CouncilUser, "team-a", "X", ""})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ns, CreateUser{"camden-aud", "camden", fb::Role::Auditor, "", "X", ""})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ns, CreateUser{"camden-admin2", "camden", fb::Role::CouncilAdmin, "", "X", ""})) ==
        "permission_denied/organisation_has_admin");
  CHECK(Refusal(w.Try(ns, CreateUser{"ho-9", "home-office", fb::Role::HomeOffice, "", "X", ""})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ns, CreateUser{"ho-admin2", "home-office", fb::Role::HomeOfficeAdmin, "", "X", ""})) ==
        "permission_denied/organisation_has_admin");
  // Nor a role change of an existing account, each of which reads personal data.
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"camden-cw1", fb::Role::CouncilAdmin})) ==
        "permission_denied/organisation_has_admin");
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"camden-cw1", fb::Role::Auditor})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"camden-auditor", fb::Role::CouncilUser})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"camden-admin", fb::Role::CouncilUser})) ==
        "permission_denied/role_not_permitted");
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"ho-1", fb::Role::HomeOfficeAdmin})) ==
        "permission_denied/organisation_has_admin");
  CHECK(w.ledger->Size() == before);

  // A new council: its first admin, then nothing more.
  w.Do(ns, RegisterOrganisation{"cardiff", fb::OrganisationKind::Council, "Cardiff", fb::Nation::EnglandAndWales});
  CHECK(Refusal(w.Try(ns, CreateUser{"cardiff-cw1", "cardiff", fb::Role::CouncilUser, "", "X", ""})) ==
        "permission_denied/role_not_permitted");
  CHECK(w.Try(ns, CreateUser{"cardiff-admin", "cardiff", fb::Role::CouncilAdmin, "", "Admin", ""}).ok());
  CHECK(Refusal(w.Try(ns, CreateUser{"cardiff-admin2", "cardiff", fb::Role::CouncilAdmin, "", "X", ""})) ==
        "permission_denied/organisation_has_admin");
  // Its admin creates the rest, any role that fits.
  CHECK(w.Try("cardiff-admin", CreateUser{"cardiff-cw1", "cardiff", fb::Role::CouncilUser, "", "X", ""}).ok());
  CHECK(w.Try("cardiff-admin", CreateUser{"cardiff-admin2", "cardiff", fb::Role::CouncilAdmin, "", "X", ""}).ok());
  CHECK(w.Try("cardiff-admin", ChangeUserRole{"cardiff-cw1", fb::Role::Auditor}).ok());

  // A locked admin is still the council's admin: network support unlocks it
  // or resets its password.
  w.Do("leeds-admin", LockUser{"leeds-admin", fb::LockReason::FailedLogins, 5});
  CHECK(Refusal(w.Try(ns, CreateUser{"leeds-admin2", "leeds", fb::Role::CouncilAdmin, "", "X", ""})) ==
        "permission_denied/organisation_has_admin");
  CHECK(w.Try(ns, UnlockUser{"leeds-admin"}).ok());
  CHECK(w.Try(ns, ResetPassword{"leeds-admin"}).ok());

  // Once every admin of a council is deleted, network support gives it a
  // first admin again: a new account, or one of its users promoted.
  w.Do(ns, DeleteUser{"glasgow-admin"});
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"glasgow-cw1", fb::Role::Auditor})) ==
        "permission_denied/role_not_permitted");
  CHECK(w.Try(ns, ChangeUserRole{"glasgow-cw1", fb::Role::CouncilAdmin}).ok());
  CHECK(Refusal(w.Try(ns, ChangeUserRole{"glasgow-cw2", fb::Role::CouncilAdmin})) ==
        "permission_denied/organisation_has_admin");
  w.Do(ns, DeleteUser{"belfast-admin"});
  CHECK(w.Try(ns, CreateUser{"belfast-admin2", "belfast", fb::Role::CouncilAdmin, "", "Admin", ""}).ok());
  CHECK(Refusal(w.Try(ns, CreateUser{"belfast-cw9", "belfast", fb::Role::CouncilUser, "", "X", ""})) ==
        "permission_denied/role_not_permitted");

  // Audit bodies have no admin of their own: network support creates their
  // auditors, and its own organisation's accounts.
  CHECK(w.Try(ns, CreateUser{"auditor-2", "audit-body", fb::Role::Auditor, "", "Auditor", ""}).ok());
  CHECK(w.Try(ns, CreateUser{"ns-2", "network-support", fb::Role::NetworkSupport, "", "Operator", ""}).ok());
}

TEST_CASE("network support reads a case's metadata and none of its sensitive fields", "[permissions]") {
  World w;
  // Every field set away from its default, so that a default seen below
  // was dropped.
  CreateCase create = MinimalCase(SamplePerson("Amina", "Okafor", "1990-05-17"));
  create.dependants = {SamplePerson("Tobi", "Okafor", "2016-02-01")};
  create.household_type = fb::HouseholdType::AdultWithCareNeeds;
  create.legislation = fb::Legislation::CareAct2014;
  create.advised_details_shared = true;
  create.urgent = true;
  create.urgent_reason = fb::UrgentReason::SafeguardingOrChildProtection;
  const std::string id = w.Do("camden-cw1", create).case_id;
  RecordFinance f = Finance(id);
  f.accommodation_costs_weekly_pence = 9000;
  f.accommodation_provided = true;
  w.Do("camden-cw1", f);
  w.Do("ho-1", CompleteStatusCheck{id, fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds, "granted"});
  w.Do("camden-cw1", RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, "advised"});
  RaiseQuery urgent = QueryOn(id, fb::QueryTopic::Expedite, "please hurry");
  urgent.urgent = true;
  urgent.urgent_reason = fb::UrgentReason::LegalProceedings;
  w.Do("camden-cw1", urgent);
  w.Do("camden-cw1", CloseCase{id, "2025-03-03", fb::ClosureReason::RecourseToPublicFundsGranted, "granted"});
  const CaseState full = w.Case(id);
  // What the full case holds, so that the view below is a real test.
  REQUIRE(full.finance.person_costs_weekly_pence == 5000);
  REQUIRE(full.immigration.known);
  REQUIRE(full.household_type == fb::HouseholdType::AdultWithCareNeeds);
  REQUIRE(full.dependants.size() == 1);
  REQUIRE(full.queries.size() == 1);
  REQUIRE(std::any_of(full.alerts.begin(), full.alerts.end(),
                      [](const AlertState& a) { return a.kind == fb::AlertKind::ClosureRequired; }));

  auto read = w.service->ReadCase("ns-admin", id);
  REQUIRE(read.ok());
  const CaseState& m = *read;
  // Kept: ids, state, dates, versions, counts of closures, alert and query ids.
  CHECK(m.case_id == id);
  CHECK(m.version == full.version);
  CHECK(m.organisation_id == "camden");
  CHECK(m.status == fb::CaseStatus::Closed);
  CHECK(m.referral_date == "2025-03-01");
  CHECK(m.created_at_us == full.created_at_us);
  CHECK(m.closure_date == "2025-03-03");
  CHECK(m.closed_at_us == full.closed_at_us);
  CHECK(m.closures == 1);
  REQUIRE(m.alerts.size() == full.alerts.size());
  for (std::size_t i = 0; i < m.alerts.size(); ++i) {
    CHECK(m.alerts[i].alert_id == full.alerts[i].alert_id);
    CHECK(m.alerts[i].open == full.alerts[i].open);
    CHECK(m.alerts[i].raised_at_us == full.alerts[i].raised_at_us);
    CHECK(m.alerts[i].kind == AlertState{}.kind);
    CHECK(m.alerts[i].because == AlertState{}.because);
  }
  REQUIRE(m.queries.size() == 1);
  CHECK(m.queries[0].query_id == full.queries[0].query_id);
  CHECK(m.queries[0].raised_at_us == full.queries[0].raised_at_us);
  // Dropped: people, household, legislation, urgency, advice, finance,
  // immigration, query topics and text, the closure reason and note.
  CHECK_FALSE(m.applicant.details.has_value());
  CHECK(m.dependants.empty());
  CHECK(m.household_type == CaseState{}.household_type);
  CHECK(m.legislation == CaseState{}.legislation);
  CHECK_FALSE(m.urgent);
  CHECK(m.urgent_reason == fb::UrgentReason::None);
  CHECK_FALSE(m.advised_details_shared);
  CHECK(m.advice.empty());
  CHECK(m.rtpf_lookup_id.empty());
  CHECK_FALSE(m.finance.recorded);
  CHECK(m.finance.person_costs_weekly_pence == 0);
  CHECK(m.finance.accommodation_costs_weekly_pence == 0);
  CHECK_FALSE(m.finance.accommodation_provided);
  CHECK(m.finance.start_date.empty());
  CHECK_FALSE(m.immigration.known);
  CHECK(m.immigration.checks == 0);
  CHECK(m.immigration.status == ImmigrationState{}.status);
  CHECK_FALSE(m.immigration.recourse_to_public_funds);
  CHECK(m.immigration.granted_at_us == 0);
  CHECK_FALSE(m.immigration.note.has_value());
  CHECK(m.queries[0].topic == QueryState{}.topic);
  CHECK_FALSE(m.queries[0].urgent);
  CHECK(m.queries[0].urgent_reason == fb::UrgentReason::None);
  CHECK_FALSE(m.queries[0].question.has_value());
  CHECK(m.closure_reason == CaseState{}.closure_reason);
  CHECK_FALSE(m.closure_note.has_value());
  // Those who may read the case still read all of it.
  auto council = w.service->ReadCase("camden-cw1", id);
  REQUIRE(council.ok());
  CHECK(council->finance.person_costs_weekly_pence == 5000);
  CHECK(council->immigration.status == fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds);

  // The one rule every case read takes: how much of the case a reader sees.
  CHECK(*w.service->VisibilityOf("ns-admin", id) == CaseVisibility::kMetadataOnly);
  CHECK(*w.service->VisibilityOf("camden-cw1", id) == CaseVisibility::kFull);
  CHECK(*w.service->VisibilityOf("ho-1", id) == CaseVisibility::kFull);
  CHECK(w.service->VisibilityOf("leeds-cw1", id).status().reason() == "wrong_tenant");
  CHECK(w.service->VisibilityOf("ns-admin", "999").status().reason() == "case_not_found");

  // Caseload rows: network support's leave out legislation, household type
  // and finance, and it may not filter by them.
  projections::CaseloadFilter of_camden;
  of_camden.organisation_id = "camden";
  auto rows = w.service->Caseload("ns-admin", of_camden);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const projections::CaseRow& row = (*rows)[0];
  CHECK(row.metadata_only);
  CHECK(row.case_id == id);
  CHECK(row.status == fb::CaseStatus::Closed);
  CHECK(row.referral_date == "2025-03-01");
  CHECK(row.team_id == full.team_id);
  CHECK(row.legislation == projections::CaseRow{}.legislation);
  CHECK(row.household_type == projections::CaseRow{}.household_type);
  CHECK(row.finance_start_date.empty());
  projections::CaseloadFilter by_legislation = of_camden;
  by_legislation.legislation = fb::Legislation::CareAct2014;
  CHECK(w.service->Caseload("ns-admin", by_legislation).status().reason() == "no_personal_data");
  projections::CaseloadFilter by_household = of_camden;
  by_household.household_type = fb::HouseholdType::AdultWithCareNeeds;
  CHECK(w.service->Caseload("ns-admin", by_household).status().reason() == "no_personal_data");
  auto council_rows = w.service->Caseload("camden-cw1", by_legislation);
  REQUIRE(council_rows.ok());
  REQUIRE(council_rows->size() == 1);
  CHECK_FALSE((*council_rows)[0].metadata_only);
  CHECK((*council_rows)[0].legislation == fb::Legislation::CareAct2014);
  CHECK((*council_rows)[0].household_type == fb::HouseholdType::AdultWithCareNeeds);
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
  // Its own organisation holds no cases: it must name a council, not be
  // answered with nothing.
  CHECK(w.service->Caseload("auditor-1", {}).status().reason() == "organisation_id_invalid");
  CHECK(w.service->Counters("ho-1", false, "", "").status().reason() == "organisation_id_invalid");
  CHECK(w.service->Counters("ho-1", false, "", "camden").ok());
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
