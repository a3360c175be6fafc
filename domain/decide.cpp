#include "domain/decide.h"

#include <algorithm>
#include <chrono>

#include "domain/assessment.h"
#include "domain/calendar.h"
#include "domain/event_builder.h"
#include "domain/events.h"
#include "domain/input_checks.h"
#include "domain/permissions.h"

namespace nrpf::domain {

namespace {

namespace t = event_type;

Status Missing(std::string reason, std::string message) {
  return Status::NotFound(std::move(message)).WithReason(std::move(reason));
}
// An id a form gives that names nothing: not found, naming the field.
Status MissingField(std::string path, std::string reason, std::string message) {
  return Missing(std::move(reason), std::move(message)).WithField(std::move(path));
}
Status Refuse(std::string reason, std::string message) {
  return Status::FailedPrecondition(std::move(message)).WithReason(std::move(reason));
}

std::vector<std::string> ChangedFields(const Person& a, const Person& b) {
  std::vector<std::string> out;
  if (a.given_names != b.given_names) out.push_back("given_names");
  if (a.family_name != b.family_name) out.push_back("family_name");
  if (a.date_of_birth != b.date_of_birth) out.push_back("date_of_birth");
  if (a.nationality != b.nationality) out.push_back("nationality");
  if (a.home_office_reference != b.home_office_reference) out.push_back("home_office_reference");
  if (a.documents != b.documents) out.push_back("documents");
  if (a.address != b.address) out.push_back("address");
  if (a.relationship != b.relationship) out.push_back("relationship");
  return out;
}

class Decider {
 public:
  Decider(const DecideInput& input, const StateReader& state) : in_(input), state_(state) {}

  Result<Decision> Run(const Command& command) {
    actor_ = state_.User(in_.actor_user_id);
    actor_org_ = actor_ != nullptr ? state_.Organisation(actor_->organisation_id) : nullptr;
    Status s = std::visit([this](const auto& c) { return Decide(c); }, command);
    if (!s.ok()) return s;
    // The decision holds only while the account that made it is as it was:
    // a lock, a role change or a deletion appended meanwhile voids it.
    if (actor_ != nullptr && actor_->version > 0) Expect(UserStream(actor_->user_id), actor_->version);
    return std::move(out_);
  }

 private:
  // ---- helpers ----

  // The UK local date of the command's time (DecideInput::now_us): no date
  // a command records as having happened may be after it.
  const std::string& Today() {
    if (today_.empty()) today_ = IsoDate(LondonDate(in_.now_us));
    return today_;
  }

  ledger::NewEvent& Emit(std::string stream, std::string_view type,
                         flatbuffers::FlatBufferBuilder& fbb) {
    out_.events.push_back(FinishEvent(std::move(stream), type, fbb));
    return out_.events.back();
  }

  void Expect(std::string stream, std::uint64_t version) {
    for (const auto& e : out_.expectations) {
      if (e.stream_id == stream) return;
    }
    out_.expectations.push_back({std::move(stream), version});
  }

  // Loads the case a command names, checks the version the user saw and the
  // actor's permission, and makes the decision conditional on that version.
  Status LoadCase(const std::string& case_id, Action action) {
    case_ = state_.Case(case_id);
    if (case_ == nullptr || !case_->exists()) {
      // Refuse unknown and foreign cases the same way only after checking the
      // account, so a locked user learns nothing about which ids exist.
      NRPF_RETURN_IF_ERROR(Authorize(actor_, actor_org_, action, nullptr, nullptr));
      return Missing("case_not_found", "no case " + case_id);
    }
    case_org_ = state_.Organisation(case_->organisation_id);
    NRPF_RETURN_IF_ERROR(Authorize(actor_, actor_org_, action, case_, case_org_));
    if (case_->removed) return Refuse("case_removed", "case " + case_id + " was removed as a duplicate");
    if (in_.expected_version && *in_.expected_version != case_->version) {
      return Status::WrongExpectedVersion("case " + case_id + " is at version " +
                                              std::to_string(case_->version) + ", you saw " +
                                              std::to_string(*in_.expected_version),
                                          case_->version)
          .WithReason("stale_version");
    }
    out_.case_id = case_id;
    Expect(CaseStream(case_id), case_->version);
    return Status::Ok();
  }

  Status RequireOpen() const {
    if (case_->status == fb::CaseStatus::Closed) {
      return Refuse("case_closed", "case " + case_->case_id + " is closed; reopen it first");
    }
    return Status::Ok();
  }

  // A user of the case's council who can hold cases.
  // The decision is pinned to the account as read, so a caseworker deleted
  // or moved at the same moment voids it.
  Status CheckCaseworker(const std::string& organisation_id, const std::string& user_id) {
    if (user_id.empty()) return Status::Ok();
    const UserState* u = state_.User(user_id);
    if (u == nullptr || u->deleted) return MissingField("caseworker_id", "user_not_found", "no user " + user_id);
    if (u->organisation_id != organisation_id || !IsCouncilRole(u->role)) {
      return Invalid(Field("caseworker_id", "caseworker"), "the caseworker must be a user of the case's council");
    }
    Expect(UserStream(user_id), u->version);
    return Status::Ok();
  }

  Status CheckTeam(const std::string& organisation_id, const std::string& team_id) const {
    if (team_id.empty()) return Status::Ok();
    const OrganisationState* org = state_.Organisation(organisation_id);
    if (org == nullptr || org->teams.count(team_id) == 0) {
      return MissingField("team_id", "team_not_found", "no team " + team_id + " in " + organisation_id);
    }
    return Status::Ok();
  }

  // A case a duplicate can be kept in: there, not removed, not itself
  // flagged as a duplicate.
  static bool Keepable(const CaseState* c) {
    return c != nullptr && c->exists() && !c->removed && c->duplicate_of.empty();
  }

  std::string NextAlertId() const {
    return "A" + std::to_string(case_->alerts.size() + raised_here_ + 1);
  }

  void RaiseAlert(fb::AlertKind kind, const std::string& query_id) {
    flatbuffers::FlatBufferBuilder fbb(128);
    const std::string alert_id = NextAlertId();
    ++raised_here_;
    fbb.Finish(fb::CreateAlertRaisedDirect(fbb, case_->case_id.c_str(), alert_id.c_str(), kind,
                                           case_->caseworker_id.c_str(), query_id.c_str()));
    Emit(CaseStream(case_->case_id), t::kAlertRaised, fbb);
  }

  void CloseAlertEvent(const AlertState& alert, fb::AlertClosedBecause because) {
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateAlertClosedDirect(fbb, case_->case_id.c_str(), alert.alert_id.c_str(),
                                           alert.kind, in_.actor_user_id.c_str(), because));
    Emit(CaseStream(case_->case_id), t::kAlertClosed, fbb);
  }

  void NoteSection(ledger::NewEvent& e, const std::string& text) {
    if (!text.empty()) AddSection(e, case_->applicant.subject, section_label::kNote, EncodeNote(text));
  }

  // ---- organisations and accounts ----

  Status Decide(const RegisterOrganisation& c) {
    NRPF_RETURN_IF_ERROR(Authorize(actor_, actor_org_, Action::kRegisterOrganisation, nullptr, nullptr));
    Problems problems;
    problems.Add(CheckId("organisation_id", c.organisation_id));
    problems.Add(c.name.empty() ? Invalid("name", "an organisation needs a name") : CheckText("name", c.name, kMaxName));
    problems.Add(CheckEnum("kind", c.kind, fb::OrganisationKind::MAX, fb::EnumNamesOrganisationKind(),
                           "unknown organisation kind"));
    // Only a council's nation decides anything (its bank holidays); the other
    // kinds may leave it out.
    if ((c.kind && *c.kind == fb::OrganisationKind::Council) || c.nation) {
      problems.Add(CheckEnum("nation", c.nation, fb::Nation::MAX, fb::EnumNamesNation(), "unknown nation"));
    }
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    const fb::Nation nation = c.nation.value_or(fb::Nation::EnglandAndWales);
    if (state_.Organisation(c.organisation_id) != nullptr) {
      return Refuse("organisation_exists", "organisation " + c.organisation_id + " already exists");
    }
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateOrganisationRegisteredDirect(fbb, c.organisation_id.c_str(), *c.kind,
                                                      c.name.c_str(), nation, true));
    Emit(OrganisationStream(c.organisation_id), t::kOrganisationRegistered, fbb);
    Expect(OrganisationStream(c.organisation_id), 0);
    return Status::Ok();
  }

  Status Decide(const CreateTeam& c) {
    const OrganisationState* org = state_.Organisation(c.organisation_id);
    NRPF_RETURN_IF_ERROR(AuthorizeUserAdmin(actor_, actor_org_, c.organisation_id));
    if (org == nullptr) return Missing("organisation_not_found", "no organisation " + c.organisation_id);
    Problems problems;
    problems.Add(CheckId("team_id", c.team_id));
    problems.Add(c.name.empty() ? Invalid("name", "a team needs a name") : CheckText("name", c.name, kMaxName));
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    if (org->teams.count(c.team_id) != 0) return Refuse("team_exists", "team " + c.team_id + " exists");
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateTeamCreatedDirect(fbb, c.organisation_id.c_str(), c.team_id.c_str(),
                                           c.name.c_str()));
    Emit(OrganisationStream(c.organisation_id), t::kTeamCreated, fbb);
    Expect(OrganisationStream(c.organisation_id), org->version);
    return Status::Ok();
  }

  // Roles an organisation of `kind` may hold.
  static bool RoleFits(fb::OrganisationKind kind, fb::Role role) {
    switch (kind) {
      case fb::OrganisationKind::Council:
        return IsCouncilRole(role) || role == fb::Role::Auditor;
      case fb::OrganisationKind::HomeOffice:
        return IsHomeOfficeRole(role) || role == fb::Role::Auditor;
      case fb::OrganisationKind::NetworkSupport:
        // No auditors here: network support must never see personal data.
        return role == fb::Role::NetworkSupport;
      case fb::OrganisationKind::AuditBody:
        return role == fb::Role::Auditor;
    }
    return false;
  }

  Status Decide(const CreateUser& c) {
    NRPF_RETURN_IF_ERROR(AuthorizeUserAdmin(actor_, actor_org_, c.organisation_id));
    const OrganisationState* org = state_.Organisation(c.organisation_id);
    if (org == nullptr) return Missing("organisation_not_found", "no organisation " + c.organisation_id);
    // The id and the role decide who may grant the account, so they come
    // before that; the rest of the form after.
    Problems account;
    // The service's own names: its events are recorded as "system", and its
    // first start's command ids are "bootstrap:<command>", the form a
    // user's command ids take ("<user>:<id>").
    account.Add(c.user_id == "system" || c.user_id == "bootstrap"
                    ? Invalid("user_id", "user id " + c.user_id + " is reserved")
                    : CheckId("user_id", c.user_id));
    Status role = CheckEnum("role", c.role, fb::Role::MAX, fb::EnumNamesRole(), "unknown role");
    if (role.ok() && !RoleFits(org->kind, *c.role)) {
      role = Invalid("role", "that role does not exist in this kind of organisation");
    }
    account.Add(role);
    NRPF_RETURN_IF_ERROR(std::move(account).Done());
    NRPF_RETURN_IF_ERROR(AuthorizeRoleGrant(*actor_, *org, *c.role, HasAdmin(*org)));
    if (c.role == fb::Role::NetworkSupport && actor_->role != fb::Role::NetworkSupport) {
      return Status::PermissionDenied("only network support creates network support accounts")
          .WithReason("role_not_permitted");
    }
    NRPF_RETURN_IF_ERROR(CheckTeam(c.organisation_id, c.team_id));
    Problems details;
    details.Add(c.name.empty() ? Invalid("name", "a user needs a name") : CheckText("name", c.name, kMaxName));
    details.Add(CheckText("email", c.email, kMaxName));
    NRPF_RETURN_IF_ERROR(std::move(details).Done());
    if (state_.User(c.user_id) != nullptr) return Refuse("user_exists", "user " + c.user_id + " exists");
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateUserCreatedDirect(fbb, c.user_id.c_str(), c.organisation_id.c_str(), *c.role,
                                           c.team_id.c_str()));
    ledger::NewEvent& e = Emit(UserStream(c.user_id), t::kUserCreated, fbb);
    AddSection(e, StaffSubject(c.user_id), section_label::kStaff, EncodeStaff(c.name, c.email));
    Expect(UserStream(c.user_id), 0);
    return Status::Ok();
  }

  // Whether `org` holds a live account of its own admin role. Commands that
  // could make one take the organisation's turn (CaseService::TurnsOf), so
  // the answer holds until their decision is appended.
  bool HasAdmin(const OrganisationState& org) const {
    const std::optional<fb::Role> admin = AdminRoleOf(org.kind);
    return admin && state_.HasLiveAccount(org.organisation_id, *admin);
  }

  // Loads an account for an admin command.
  Result<const UserState*> LoadTargetUser(const std::string& user_id) {
    const UserState* target = state_.User(user_id);
    if (target == nullptr) {
      NRPF_RETURN_IF_ERROR(Authorize(actor_, actor_org_, Action::kManageUsers, nullptr, nullptr));
      return Missing("user_not_found", "no user " + user_id);
    }
    NRPF_RETURN_IF_ERROR(AuthorizeUserAdmin(actor_, actor_org_, target->organisation_id));
    if (target->deleted) return Refuse("account_deleted", "user " + user_id + " is deleted");
    if (in_.expected_version && *in_.expected_version != target->version) {
      return Status::WrongExpectedVersion("user " + user_id + " moved on", target->version)
          .WithReason("stale_version");
    }
    Expect(UserStream(user_id), target->version);
    return target;
  }

  Status Decide(const DeleteUser& c) {
    auto target = LoadTargetUser(c.user_id);
    if (!target.ok()) return target.status();
    if (c.user_id == in_.actor_user_id) return Refuse("cannot_delete_self", "an admin cannot delete their own account");
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateUserDeletedDirect(fbb, c.user_id.c_str()));
    Emit(UserStream(c.user_id), t::kUserDeleted, fbb);
    return Status::Ok();
  }

  Status Decide(const ChangeUserRole& c) {
    auto target = LoadTargetUser(c.user_id);
    if (!target.ok()) return target.status();
    if (c.user_id == in_.actor_user_id) return Refuse("cannot_change_own_role", "nobody changes their own role");
    const OrganisationState* org = state_.Organisation((*target)->organisation_id);
    NRPF_RETURN_IF_ERROR(CheckEnum("role", c.role, fb::Role::MAX, fb::EnumNamesRole(), "unknown role"));
    if (org == nullptr || !RoleFits(org->kind, *c.role)) {
      return Invalid("role", "that role does not exist in this kind of organisation");
    }
    if ((*target)->role == *c.role) return Refuse("role_unchanged", "the user already has that role");
    NRPF_RETURN_IF_ERROR(AuthorizeRoleGrant(*actor_, *org, *c.role, HasAdmin(*org)));
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateUserRoleChangedDirect(fbb, c.user_id.c_str(), (*target)->role, *c.role));
    Emit(UserStream(c.user_id), t::kUserRoleChanged, fbb);
    return Status::Ok();
  }

  Status Decide(const LockUser& c) {
    // Locking after failed logins is the service acting for the account
    // itself; an admin lock is an admin command.
    const UserState* target = state_.User(c.user_id);
    if (c.reason == fb::LockReason::FailedLogins && c.user_id == in_.actor_user_id) {
      if (target == nullptr || target->deleted) return Missing("user_not_found", "no user " + c.user_id);
      Expect(UserStream(c.user_id), target->version);
    } else {
      auto loaded = LoadTargetUser(c.user_id);
      if (!loaded.ok()) return loaded.status();
      target = *loaded;
    }
    if (target->locked) return Refuse("already_locked", "user " + c.user_id + " is already locked");
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateUserLockedDirect(fbb, c.user_id.c_str(), c.reason, c.failed_attempts));
    Emit(UserStream(c.user_id), t::kUserLocked, fbb);
    return Status::Ok();
  }

  Status Decide(const UnlockUser& c) {
    auto target = LoadTargetUser(c.user_id);
    if (!target.ok()) return target.status();
    if (!(*target)->locked) return Refuse("not_locked", "user " + c.user_id + " is not locked");
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateUserUnlockedDirect(fbb, c.user_id.c_str()));
    Emit(UserStream(c.user_id), t::kUserUnlocked, fbb);
    return Status::Ok();
  }

  Status Decide(const ResetPassword& c) {
    auto target = LoadTargetUser(c.user_id);
    if (!target.ok()) return target.status();
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreatePasswordResetByAdminDirect(fbb, c.user_id.c_str()));
    Emit(UserStream(c.user_id), t::kPasswordReset, fbb);
    return Status::Ok();
  }

  Status Decide(const ChangeSlaPolicy& c) {
    NRPF_RETURN_IF_ERROR(Authorize(actor_, actor_org_, Action::kChangeSlaPolicy, nullptr, nullptr));
    if (c.rules.empty()) return Invalid("rules", "a policy needs at least one rule");
    const SlaPolicy& current = state_.Policy();
    // The event carries the whole policy that results: every clock's rule
    // as in force now, with the rules given replacing theirs. (Events
    // written before 2026-12-04 carry only the rules given; they keep
    // their meaning, the built-in defaults for the others.)
    std::map<fb::SlaClock, SlaRuleValue> whole;
    for (unsigned i = 0; i <= static_cast<unsigned>(fb::SlaClock::MAX); ++i) {
      const auto clock = static_cast<fb::SlaClock>(i);
      whole[clock] = current.Rule(clock);
    }
    Problems problems;
    for (std::size_t i = 0; i < c.rules.size(); ++i) {
      const auto& [clock, rule] = c.rules[i];
      const std::string at = "rules[" + std::to_string(i) + "]";
      if (!InRange(clock, fb::SlaClock::MAX)) problems.Add(Invalid(Field(at + ".clock", "rules"), "unknown clock"));
      if (!InRange(rule.unit, fb::SlaUnit::MAX)) problems.Add(Invalid(Field(at + ".unit", "rules"), "unknown unit"));
      if (rule.amount == 0 || rule.amount > 365) {
        problems.Add(Invalid(Field(at + ".amount", "rules"), "an amount must be 1..365"));
      }
      whole[clock] = rule;
    }
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    flatbuffers::FlatBufferBuilder fbb(128);
    std::vector<flatbuffers::Offset<fb::SlaRule>> rules;
    for (const auto& [clock, rule] : whole) rules.push_back(fb::CreateSlaRule(fbb, clock, rule.unit, rule.amount));
    fbb.Finish(fb::CreateSlaPolicyChangedDirect(fbb, current.version + 1, &rules));
    Emit(std::string(kSlaPolicyStream), t::kSlaPolicyChanged, fbb);
    Expect(std::string(kSlaPolicyStream), current.version);
    return Status::Ok();
  }

  // ---- look-up and case creation ----

  Status Decide(const RtpfLookup& c) {
    NRPF_RETURN_IF_ERROR(Authorize(actor_, actor_org_, Action::kRtpfLookup, nullptr, nullptr));
    Problems problems;
    problems.Add(CheckEnum("document_type", c.document_type, fb::DocumentType::MAX, fb::EnumNamesDocumentType(),
                           "unknown document type"));
    problems.Add(c.document_number.empty() ? Invalid("document_number", "a document number is needed")
                                           : CheckText("document_number", c.document_number, kMaxName));
    problems.Add(CheckPastDate("date_of_birth", c.date_of_birth, Today()));
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    const RtpfResult& r = in_.rtpf;
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateRtpfLookupPerformedDirect(
        fbb, in_.new_lookup_id.c_str(), actor_->organisation_id.c_str(), *c.document_type, r.matched,
        r.status, r.leave_valid, r.recourse_to_public_funds, r.matched_case_id.c_str(),
        r.current_status ? flatbuffers::Optional<fb::ImmigrationStatus>(*r.current_status) : flatbuffers::nullopt));
    ledger::NewEvent& e = Emit(RtpfStream(actor_->organisation_id), t::kRtpfLookup, fbb);
    flatbuffers::FlatBufferBuilder inputs(128);
    inputs.Finish(fb::CreateRtpfInputsDirect(inputs, *c.document_type, c.document_number.c_str(),
                                             c.date_of_birth.c_str()));
    AddSection(e, RtpfSubject(in_.new_lookup_id), section_label::kRtpfInputs,
               std::string(reinterpret_cast<const char*>(inputs.GetBufferPointer()), inputs.GetSize()));
    return Status::Ok();
  }

  Status Decide(const CreateCase& c) {
    NRPF_RETURN_IF_ERROR(Authorize(actor_, actor_org_, Action::kCreateCase, nullptr, nullptr));
    const std::string& org_id = actor_->organisation_id;
    Problems problems;
    problems.Add(CheckId("case_id", in_.new_case_id));
    CheckPerson("applicant", "applicant", c.applicant, &Today(), &problems);
    if (c.dependants.size() > 30) {
      problems.Add(Invalid("dependants", "at most 30 dependants"));
    } else {
      for (std::size_t i = 0; i < c.dependants.size(); ++i) {
        CheckPerson("dependants[" + std::to_string(i) + "]", "dependant", c.dependants[i], &Today(), &problems);
      }
    }
    problems.Add(CheckEnum("household_type", c.household_type, fb::HouseholdType::MAX, fb::EnumNamesHouseholdType(),
                           "unknown household type"));
    problems.Add(CheckEnum("legislation", c.legislation, fb::Legislation::MAX, fb::EnumNamesLegislation(),
                           "unknown legislation"));
    problems.Add(CheckUrgentReason(c.urgent, c.urgent_reason));
    problems.Add(CheckPastDate("referral_date", c.referral_date, Today()));
    if (!c.rtpf_lookup_id.empty()) problems.Add(CheckId("rtpf_lookup_id", c.rtpf_lookup_id));
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    NRPF_RETURN_IF_ERROR(CheckTeam(org_id, c.team_id));
    NRPF_RETURN_IF_ERROR(CheckCaseworker(org_id, c.caseworker_id));
    if (const CaseState* existing = state_.Case(in_.new_case_id); existing != nullptr && existing->exists()) {
      return Refuse("case_exists", "case " + in_.new_case_id + " exists");
    }
    const std::string& id = in_.new_case_id;
    std::vector<std::string> dependant_subjects;
    for (std::size_t i = 0; i < c.dependants.size(); ++i) {
      dependant_subjects.push_back(DependantSubject(id, static_cast<std::uint32_t>(i + 1)));
    }
    const std::string applicant = ApplicantSubject(id);
    flatbuffers::FlatBufferBuilder fbb(256);
    auto dep_offsets = StringOffsets(fbb, dependant_subjects);
    fbb.Finish(fb::CreateCaseCreatedDirect(
        fbb, id.c_str(), org_id.c_str(), c.team_id.c_str(), c.caseworker_id.c_str(),
        applicant.c_str(), &dep_offsets, *c.household_type, *c.legislation,
        c.referral_date.c_str(), c.advised_details_shared, c.urgent, c.urgent_reason,
        state_.Policy().version, actor_org_->nation, c.rtpf_lookup_id.c_str()));
    ledger::NewEvent& e = Emit(CaseStream(id), t::kCaseCreated, fbb);
    AddSection(e, applicant, section_label::kPerson, EncodePerson(c.applicant));
    for (std::size_t i = 0; i < c.dependants.size(); ++i) {
      AddSection(e, dependant_subjects[i], section_label::kPerson, EncodePerson(c.dependants[i]));
    }
    Expect(CaseStream(id), 0);
    out_.case_id = id;
    return Status::Ok();
  }

  // ---- case edits ----

  Status Decide(const AllocateCaseworker& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    NRPF_RETURN_IF_ERROR(CheckCaseworker(case_->organisation_id, c.caseworker_id));
    if (c.caseworker_id == case_->caseworker_id) return Refuse("unchanged", "already allocated to that caseworker");
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateCaseworkerAllocatedDirect(fbb, c.case_id.c_str(), c.caseworker_id.c_str(),
                                                   case_->caseworker_id.c_str()));
    Emit(CaseStream(c.case_id), t::kCaseworkerAllocated, fbb);
    return Status::Ok();
  }

  Status Decide(const ChangeTeam& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    NRPF_RETURN_IF_ERROR(CheckTeam(case_->organisation_id, c.team_id));
    if (c.team_id == case_->team_id) return Refuse("unchanged", "the case is already in that team");
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateTeamChangedDirect(fbb, c.case_id.c_str(), c.team_id.c_str(), case_->team_id.c_str()));
    Emit(CaseStream(c.case_id), t::kTeamChanged, fbb);
    return Status::Ok();
  }

  // The amendment changes only what it carries. The event records, as ever,
  // the whole record that results (sealed) and the names of what changed.
  Status Decide(const AmendApplicant& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    const Person details = c.details.AppliedTo(case_->applicant.details.value_or(Person()));
    const fb::HouseholdType household_type = c.household_type.value_or(case_->household_type);
    const fb::Legislation legislation = c.legislation.value_or(case_->legislation);
    // A date of birth already stored is not checked again: only a new one.
    const bool new_birth_date =
        !case_->applicant.details || case_->applicant.details->date_of_birth != details.date_of_birth;
    Problems problems;
    CheckPerson("details", "applicant", details, new_birth_date ? &Today() : nullptr, &problems);
    if (!InRange(household_type, fb::HouseholdType::MAX)) {
      problems.Add(Invalid("household_type", "unknown household type"));
    }
    if (!InRange(legislation, fb::Legislation::MAX)) problems.Add(Invalid("legislation", "unknown legislation"));
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    std::vector<std::string> changed =
        case_->applicant.details ? ChangedFields(*case_->applicant.details, details)
                                 : std::vector<std::string>{"all"};
    if (household_type != case_->household_type) changed.push_back("household_type");
    if (legislation != case_->legislation) changed.push_back("legislation");
    if (changed.empty()) return Refuse("unchanged", "nothing was changed");
    flatbuffers::FlatBufferBuilder fbb(128);
    auto changed_offsets = StringOffsets(fbb, changed);
    fbb.Finish(fb::CreateApplicantAmendedDirect(fbb, c.case_id.c_str(), case_->applicant.subject.c_str(),
                                                &changed_offsets, household_type, legislation));
    ledger::NewEvent& e = Emit(CaseStream(c.case_id), t::kApplicantAmended, fbb);
    AddSection(e, case_->applicant.subject, section_label::kPerson, EncodePerson(details));
    return Status::Ok();
  }

  Status Decide(const AddDependant& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    Problems problems;
    CheckPerson("details", "dependant", c.details, &Today(), &problems);
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    if (case_->dependants.size() >= 30) return Invalid(Field("details", "dependants"), "at most 30 dependants");
    const std::string subject =
        DependantSubject(c.case_id, static_cast<std::uint32_t>(case_->dependants.size() + 1));
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateDependantAddedDirect(fbb, c.case_id.c_str(), subject.c_str()));
    ledger::NewEvent& e = Emit(CaseStream(c.case_id), t::kDependantAdded, fbb);
    AddSection(e, subject, section_label::kPerson, EncodePerson(c.details));
    return Status::Ok();
  }

  Status Decide(const RemoveDependant& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    const auto it = std::find_if(case_->dependants.begin(), case_->dependants.end(),
                                 [&](const PersonState& d) { return d.subject == c.subject && !d.removed; });
    if (it == case_->dependants.end()) return Missing("dependant_not_found", "no dependant " + c.subject);
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateDependantRemovedDirect(fbb, c.case_id.c_str(), c.subject.c_str()));
    Emit(CaseStream(c.case_id), t::kDependantRemoved, fbb);
    return Status::Ok();
  }

  // REQUIRES: the case is loaded (LoadCase) and open. `c` is the whole
  // record as it is to be: for an amendment, merged with the current one.
  Status FinanceEvent(const RecordFinance& c, bool amendment) {
    Problems problems;
    // Support recorded has started; an amendment leaving the start date as
    // stored is not checked again.
    problems.Add(!amendment || c.start_date != case_->finance.start_date
                     ? CheckPastDate("start_date", c.start_date, Today())
                     : CheckDate("start_date", c.start_date));
    const auto costs = [&](const char* field, std::int64_t pence) {
      if (pence < 0 || pence > 100'000'000) {
        problems.Add(Invalid(Field(field, "costs"), "weekly costs must be between 0 and 1,000,000 pounds"));
      }
    };
    costs("person_costs_weekly_pence", c.person_costs_weekly_pence);
    costs("accommodation_costs_weekly_pence", c.accommodation_costs_weekly_pence);
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    const FinanceState& f = case_->finance;
    std::vector<std::string> changed;
    if (amendment) {
      if (!f.active) return Refuse("no_finance", "there is no current finance record to amend");
      if (c.start_date != f.start_date) changed.push_back("start_date");
      if (c.person_costs_weekly_pence != f.person_costs_weekly_pence) changed.push_back("person_costs");
      if (c.accommodation_costs_weekly_pence != f.accommodation_costs_weekly_pence) {
        changed.push_back("accommodation_costs");
      }
      if (c.accommodation_provided != f.accommodation_provided) changed.push_back("accommodation_provided");
      if (changed.empty()) return Refuse("unchanged", "nothing was changed");
    } else if (f.active) {
      return Refuse("finance_exists", "finance is already recorded; amend it instead");
    }
    flatbuffers::FlatBufferBuilder fbb(128);
    auto changed_offsets = StringOffsets(fbb, changed);
    fbb.Finish(fb::CreateFinanceRecordedDirect(fbb, c.case_id.c_str(), c.start_date.c_str(),
                                               c.person_costs_weekly_pence,
                                               c.accommodation_costs_weekly_pence,
                                               c.accommodation_provided, amendment ? &changed_offsets : nullptr));
    Emit(CaseStream(c.case_id), amendment ? t::kFinanceAmended : t::kFinanceRecorded, fbb);
    return Status::Ok();
  }

  Status Decide(const RecordFinance& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditFinance));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    return FinanceEvent(c, false);
  }

  // The amendment changes only what it carries; the event records the whole
  // record that results and the names of what changed.
  Status Decide(const AmendFinance& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditFinance));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    const FinanceState& f = case_->finance;
    if (!f.active) return Refuse("no_finance", "there is no current finance record to amend");
    RecordFinance merged;
    merged.case_id = c.case_id;
    merged.start_date = c.start_date.value_or(f.start_date);
    merged.person_costs_weekly_pence = c.person_costs_weekly_pence.value_or(f.person_costs_weekly_pence);
    merged.accommodation_costs_weekly_pence =
        c.accommodation_costs_weekly_pence.value_or(f.accommodation_costs_weekly_pence);
    merged.accommodation_provided = c.accommodation_provided.value_or(f.accommodation_provided);
    return FinanceEvent(merged, true);
  }

  void EndFinanceEvent(const std::string& end_date) {
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateFinanceEndedDirect(fbb, case_->case_id.c_str(), end_date.c_str()));
    Emit(CaseStream(case_->case_id), t::kFinanceEnded, fbb);
  }

  Status Decide(const EndFinance& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditFinance));
    NRPF_RETURN_IF_ERROR(CheckDate("end_date", c.end_date));
    if (!case_->finance.active) return Refuse("no_finance", "there is no current finance record");
    if (c.end_date < case_->finance.start_date) return Invalid("end_date", "support cannot end before it started");
    NRPF_RETURN_IF_ERROR(CheckNotFuture("end_date", c.end_date, Today()));
    EndFinanceEvent(c.end_date);
    return Status::Ok();
  }

  Status Decide(const RecordAdvice& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    Problems problems;
    const Status advised_on = CheckDate("advised_on", c.advised_on);
    problems.Add(advised_on);
    problems.Add(CheckEnum("of", c.of, fb::AdvisedOf::MAX, fb::EnumNamesAdvisedOf(), "unknown kind of advice"));
    if (advised_on.ok()) problems.Add(CheckNotFuture("advised_on", c.advised_on, Today()));
    problems.Add(CheckText("note", c.note, kMaxText));
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreatePersonAdvisedDirect(fbb, c.case_id.c_str(), c.advised_on.c_str(), *c.of));
    NoteSection(Emit(CaseStream(c.case_id), t::kPersonAdvised, fbb), c.note);
    return Status::Ok();
  }

  // ---- decision support (assessment.h) ----

  // An answer the caller must give.
  template <typename T>
  static Status Answered(const char* field, const std::optional<T>& answer) {
    return answer ? Status::Ok() : Invalid(field, std::string(field) + " is required");
  }

  static Status CheckPence(const char* field, const std::optional<std::int64_t>& pence) {
    if (!pence) return Answered(field, pence);
    if (*pence < 0 || *pence > 1'000'000'000) {
      return Invalid(field, std::string(field) + " must be between 0 and 10,000,000 pounds, in pence");
    }
    return Status::Ok();
  }

  // Records an assessment of the case loaded: in the clear only its kind,
  // the person assessed and the rules; the rest sealed under the applicant.
  // `sealed` holds the answers (one of the two offsets), not yet finished.
  void AssessmentEvent(fb::AssessmentKind kind, const std::string& subject, const AssessmentResult& result,
                       flatbuffers::FlatBufferBuilder& sealed,
                       flatbuffers::Offset<fb::EarlyEducationInputs> early_education,
                       flatbuffers::Offset<fb::ChangeOfConditionsInputs> change_of_conditions,
                       const std::string& note) {
    const std::string id = "AS" + std::to_string(case_->assessments.size() + 1);
    out_.assessment_id = id;
    auto assessed_on = sealed.CreateString(Today());
    auto reasons = sealed.CreateVector(result.reasons);
    auto note_text = note.empty() ? flatbuffers::Offset<flatbuffers::String>() : sealed.CreateString(note);
    fb::SealedAssessmentBuilder b(sealed);
    b.add_assessed_on(assessed_on);
    b.add_outcome(result.outcome);
    b.add_reasons(reasons);
    if (result.income_threshold_pence) b.add_income_threshold_pence(*result.income_threshold_pence);
    b.add_early_education(early_education);
    b.add_change_of_conditions(change_of_conditions);
    b.add_note(note_text);
    sealed.Finish(b.Finish());
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateAssessmentRecordedDirect(fbb, case_->case_id.c_str(), id.c_str(), kind, subject.c_str(),
                                                  std::string(result.rule_version).c_str()));
    AddSection(Emit(CaseStream(case_->case_id), t::kAssessmentRecorded, fbb), case_->applicant.subject,
               section_label::kAssessment,
               std::string(reinterpret_cast<const char*>(sealed.GetBufferPointer()), sealed.GetSize()));
  }

  Status Decide(const AssessEarlyEducation& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    Problems problems;
    problems.Add(Answered("lives_in_england", c.lives_in_england));
    if (c.in_london && *c.in_london && c.lives_in_england && !*c.lives_in_england) {
      problems.Add(Invalid("in_london", "London is in England: in_london and not lives_in_england cannot both be"));
    } else {
      problems.Add(Answered("in_london", c.in_london));
    }
    problems.Add(CheckPence("household_income_after_tax_pence", c.household_income_after_tax_pence));
    if (!c.children_in_household) {
      problems.Add(Answered("children_in_household", c.children_in_household));
    } else if (*c.children_in_household < 1 || *c.children_in_household > 30) {
      problems.Add(Invalid("children_in_household", "children_in_household must be between 1 and 30"));
    }
    problems.Add(CheckPence("savings_pence", c.savings_pence));
    problems.Add(Answered("parent_with_recourse", c.parent_with_recourse));
    problems.Add(CheckText("note", c.note, kMaxText));
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    const auto child = std::find_if(case_->dependants.begin(), case_->dependants.end(),
                                    [&](const PersonState& d) { return d.subject == c.dependant && !d.removed; });
    if (child == case_->dependants.end()) {
      return MissingField("dependant", "dependant_not_found", "no dependant " + c.dependant + " in the household");
    }
    const std::string birth = child->details ? child->details->date_of_birth : std::string();
    const std::optional<std::uint32_t> age = AgeInMonths(birth, Today());
    if (!age) return Refuse("date_of_birth_unknown", "the child's date of birth on record cannot be read");
    EarlyEducationFacts f;
    f.lives_in_england = *c.lives_in_england;
    f.council_nation = case_->nation;
    f.in_london = *c.in_london;
    f.household_income_after_tax_pence = *c.household_income_after_tax_pence;
    f.children_in_household = *c.children_in_household;
    f.savings_pence = *c.savings_pence;
    f.parent_with_recourse = *c.parent_with_recourse;
    f.child_age_months = *age;
    f.assessed_on = Today();
    f.universal_from = TermAfter(Birthday(birth, 3));
    const std::string place_from = TermAfter(Birthday(birth, 2));
    flatbuffers::FlatBufferBuilder sealed(256);
    const auto inputs = CreateInputs(sealed, f, place_from);
    AssessmentEvent(fb::AssessmentKind::EarlyEducationTwoYearOld, c.dependant, EarlyEducationRules(f), sealed, inputs,
                    {}, c.note);
    return Status::Ok();
  }

  Status Decide(const AssessChangeOfConditions& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    Problems problems;
    // Unknown is what a missing route reads as: it is no answer.
    const auto route = c.route == fb::PermissionRoute::Unknown ? std::nullopt : c.route;
    problems.Add(CheckEnum("route", route, fb::PermissionRoute::MAX, fb::EnumNamesPermissionRoute(), "unknown route",
                           fb::PermissionRoute::FamilyPartnerOrParentTenYear));
    problems.Add(Answered("has_accommodation", c.has_accommodation));
    problems.Add(Answered("accommodation_adequate", c.accommodation_adequate));
    problems.Add(Answered("can_meet_living_needs", c.can_meet_living_needs));
    problems.Add(Answered("has_accommodation_in_3_months", c.has_accommodation_in_3_months));
    problems.Add(Answered("accommodation_adequate_in_3_months", c.accommodation_adequate_in_3_months));
    problems.Add(Answered("can_meet_living_needs_in_3_months", c.can_meet_living_needs_in_3_months));
    // Asked only where a child's welfare is in question, and then always.
    const bool children = ConcernsAChild(*case_, route, Today());
    if (children && !c.income_meets_childrens_needs) {
      problems.Add(Invalid("income_meets_childrens_needs",
                           "income_meets_childrens_needs is required: the applicant or a dependant is under 18, "
                           "or the route is a child's"));
    } else if (!children && c.income_meets_childrens_needs) {
      problems.Add(Invalid("income_meets_childrens_needs", "income_meets_childrens_needs is only asked where a "
                                                           "child's welfare is in question; leave it out"));
    }
    problems.Add(Answered("exceptional_circumstances", c.exceptional_circumstances));
    problems.Add(Answered("evidence_complete", c.evidence_complete));
    // Asked only for a route outside the guidance's, and then always.
    const bool outside = route == fb::PermissionRoute::Other;
    if (outside != c.particularly_compelling_circumstances.has_value()) {
      problems.Add(Invalid("particularly_compelling_circumstances",
                           outside ? "particularly_compelling_circumstances is required for route Other"
                                   : "particularly_compelling_circumstances is only for route Other; leave it out"));
    }
    problems.Add(CheckText("note", c.note, kMaxText));
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    ChangeOfConditionsFacts f;
    f.route = *route;
    f.has_accommodation = *c.has_accommodation;
    f.accommodation_adequate = *c.accommodation_adequate;
    f.can_meet_living_needs = *c.can_meet_living_needs;
    f.has_accommodation_in_3_months = *c.has_accommodation_in_3_months;
    f.accommodation_adequate_in_3_months = *c.accommodation_adequate_in_3_months;
    f.can_meet_living_needs_in_3_months = *c.can_meet_living_needs_in_3_months;
    f.income_meets_childrens_needs = c.income_meets_childrens_needs;
    f.exceptional_circumstances = *c.exceptional_circumstances;
    f.evidence_complete = *c.evidence_complete;
    f.particularly_compelling_circumstances = c.particularly_compelling_circumstances;
    f.council_supporting = case_->finance.active;
    flatbuffers::FlatBufferBuilder sealed(256);
    const auto inputs = CreateInputs(sealed, f);
    AssessmentEvent(fb::AssessmentKind::ChangeOfConditions, case_->applicant.subject, ChangeOfConditionsRules(f),
                    sealed, {}, inputs, c.note);
    return Status::Ok();
  }

  // ---- the Home Office's immigration page ----

  // A Home Office check's or update's status and note.
  static Status CheckStatusAndNote(const std::optional<fb::ImmigrationStatus>& status, const std::string& note) {
    Problems problems;
    problems.Add(CheckEnum("status", status, fb::ImmigrationStatus::MAX, fb::EnumNamesImmigrationStatus(),
                           "unknown immigration status"));
    problems.Add(CheckText("note", note, kMaxText));
    return std::move(problems).Done();
  }

  // Both an initial check and a later update raise an immigration update
  // alert; a status meaning recourse to public funds also raises the closure
  // required alert, unless one is already open.
  void RaiseImmigrationAlerts(fb::ImmigrationStatus status) {
    RaiseAlert(fb::AlertKind::ImmigrationUpdate, "");
    if (MeansRecourseToPublicFunds(status) && case_->OpenAlertOfKind(fb::AlertKind::ClosureRequired) == nullptr) {
      RaiseAlert(fb::AlertKind::ClosureRequired, "");
    }
  }

  Status Decide(const CompleteStatusCheck& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kRecordImmigration));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    NRPF_RETURN_IF_ERROR(CheckStatusAndNote(c.status, c.note));
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateStatusCheckCompletedDirect(fbb, c.case_id.c_str(), *c.status,
                                                    MeansRecourseToPublicFunds(*c.status),
                                                    case_->immigration.checks == 0));
    NoteSection(Emit(CaseStream(c.case_id), t::kStatusCheckCompleted, fbb), c.note);
    RaiseImmigrationAlerts(*c.status);
    return Status::Ok();
  }

  Status Decide(const UpdateImmigrationStatus& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kRecordImmigration));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    NRPF_RETURN_IF_ERROR(CheckStatusAndNote(c.status, c.note));
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateImmigrationStatusUpdatedDirect(fbb, c.case_id.c_str(), *c.status,
                                                        case_->immigration.status,
                                                        MeansRecourseToPublicFunds(*c.status)));
    NoteSection(Emit(CaseStream(c.case_id), t::kImmigrationStatusUpdated, fbb), c.note);
    RaiseImmigrationAlerts(*c.status);
    return Status::Ok();
  }

  Status Decide(const CloseAlert& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kEditCase));
    const AlertState* alert = case_->FindAlert(c.alert_id);
    if (alert == nullptr) return Missing("alert_not_found", "no alert " + c.alert_id);
    if (!alert->open) return Refuse("alert_already_closed", "alert " + c.alert_id + " is already closed");
    if (alert->kind == fb::AlertKind::ClosureRequired) {
      return Refuse("closure_alert_needs_case_closure",
                    "a closure required alert stays until the case is closed");
    }
    if (alert->kind == fb::AlertKind::NewHomeOfficeQuery) {
      const QueryState* q = case_->FindQuery(alert->query_id);
      if (q != nullptr && !q->answered) {
        return Refuse("query_unanswered", "answer the Home Office query to close its alert");
      }
    }
    CloseAlertEvent(*alert, fb::AlertClosedBecause::Reviewed);
    return Status::Ok();
  }

  // ---- queries ----

  Status Decide(const RaiseQuery& c) {
    const bool from_council = actor_ != nullptr && IsCouncilRole(actor_->role);
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, from_council ? Action::kRaiseQueryToHomeOffice
                                                           : Action::kRaiseQueryToCouncil));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    Problems problems;
    Status topic = CheckEnum("topic", c.topic, fb::QueryTopic::MAX, fb::EnumNamesQueryTopic(), "unknown query topic");
    // A council asks the Home Office about the person's immigration matter
    // (status update, expedite, ..., other); the Home Office asks the
    // council for information. Neither raises the other's topic.
    const bool information_request = c.topic == fb::QueryTopic::HomeOfficeInformationRequest;
    if (topic.ok() && from_council && information_request) {
      topic = Invalid("topic", "an information request is the Home Office's topic; a council asks about the "
                               "person's immigration matter");
    } else if (topic.ok() && !from_council && !information_request) {
      topic = Invalid("topic", std::string("a query from the Home Office is an information request; ") +
                                   fb::EnumNameQueryTopic(*c.topic) + " is a council's topic");
    }
    problems.Add(topic);
    if (!InRange(c.urgent_reason, fb::UrgentReason::MAX)) {
      problems.Add(Invalid("urgent_reason", "unknown urgent reason"));
    } else if (c.urgent && !from_council) {
      problems.Add(Invalid("urgent", "only a council raises an urgent request"));
    } else {
      problems.Add(CheckUrgentReason(c.urgent, c.urgent_reason));
    }
    problems.Add(c.text.empty() ? Invalid("text", "a query needs its text") : CheckText("text", c.text, kMaxText));
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    const std::string query_id = "Q" + std::to_string(case_->queries.size() + 1);
    const auto direction = from_council ? fb::QueryDirection::CouncilToHomeOffice
                                        : fb::QueryDirection::HomeOfficeToCouncil;
    flatbuffers::FlatBufferBuilder fbb(128);
    fbb.Finish(fb::CreateQueryRaisedDirect(fbb, c.case_id.c_str(), query_id.c_str(), direction, *c.topic,
                                           c.urgent, c.urgent ? c.urgent_reason : fb::UrgentReason::None,
                                           state_.Policy().version));
    NoteSection(Emit(CaseStream(c.case_id), t::kQueryRaised, fbb), c.text);
    if (!from_council) RaiseAlert(fb::AlertKind::NewHomeOfficeQuery, query_id);
    return Status::Ok();
  }

  Status Decide(const AnswerQuery& c) {
    const bool council = actor_ != nullptr && IsCouncilRole(actor_->role);
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, council ? Action::kAnswerHomeOfficeQuery
                                                      : Action::kAnswerCouncilQuery));
    // The Home Office gives no updates on closed cases; a council may still
    // answer what the Home Office asked before the closure.
    if (!council) NRPF_RETURN_IF_ERROR(RequireOpen());
    const QueryState* q = case_->FindQuery(c.query_id);
    if (q == nullptr) return Missing("query_not_found", "no query " + c.query_id);
    const auto expected = council ? fb::QueryDirection::HomeOfficeToCouncil
                                  : fb::QueryDirection::CouncilToHomeOffice;
    if (q->direction != expected) return Refuse("own_query", "a party answers the other party's queries");
    if (q->answered) return Refuse("query_already_answered", "query " + c.query_id + " is answered");
    NRPF_RETURN_IF_ERROR(c.text.empty() ? Invalid("text", "an answer needs its text") : CheckText("text", c.text, kMaxText));
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateQueryAnsweredDirect(fbb, c.case_id.c_str(), c.query_id.c_str(), q->direction));
    NoteSection(Emit(CaseStream(c.case_id), t::kQueryAnswered, fbb), c.text);
    if (council) {
      for (const AlertState& a : case_->alerts) {
        if (a.open && a.kind == fb::AlertKind::NewHomeOfficeQuery && a.query_id == c.query_id) {
          CloseAlertEvent(a, fb::AlertClosedBecause::QueryAnswered);
        }
      }
    } else {
      RaiseAlert(fb::AlertKind::QueryResponse, c.query_id);
    }
    return Status::Ok();
  }

  // ---- closure, reopening, duplicates ----

  Status Decide(const CloseCase& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kCloseOrReopenCase));
    NRPF_RETURN_IF_ERROR(RequireOpen());
    Problems problems;
    // The date against the case first; against today and the support
    // after the reason and the note, as they were always checked.
    const auto closure_date = [&]() -> Status {
      NRPF_RETURN_IF_ERROR(CheckDate("closure_date", c.closure_date));
      if (c.closure_date < case_->referral_date) {
        return Invalid("closure_date", "a case cannot close before its referral date, " + case_->referral_date);
      }
      if (case_->reopenings > 0 && c.closure_date < case_->reopened_on) {
        return Invalid("closure_date", "a case cannot close before it was last reopened, on " + case_->reopened_on);
      }
      return Status::Ok();
    };
    const Status dated = closure_date();
    problems.Add(dated);
    problems.Add(CheckEnum("reason", c.reason, fb::ClosureReason::MAX, fb::EnumNamesClosureReason(),
                           "unknown closure reason"));
    problems.Add(CheckText("note", c.note, kMaxText));
    if (dated.ok()) {
      Status after = CheckNotFuture("closure_date", c.closure_date, Today());
      if (after.ok() && case_->finance.active && c.closure_date < case_->finance.start_date) {
        after = Invalid("closure_date", "a supported case cannot close before its support started");
      }
      problems.Add(after);
    }
    NRPF_RETURN_IF_ERROR(std::move(problems).Done());
    // The closure date is the end of financial support.
    if (case_->finance.active) EndFinanceEvent(c.closure_date);
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateCaseClosedDirect(fbb, c.case_id.c_str(), c.closure_date.c_str(), *c.reason));
    NoteSection(Emit(CaseStream(c.case_id), t::kCaseClosed, fbb), c.note);
    // The Home Office gives no updates on closed cases, so no alert outlives
    // the case; the closure required alert ends exactly here.
    for (const AlertState& a : case_->alerts) {
      if (a.open) CloseAlertEvent(a, fb::AlertClosedBecause::CaseClosed);
    }
    return Status::Ok();
  }

  Status Decide(const ReopenCase& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kCloseOrReopenCase));
    NRPF_RETURN_IF_ERROR(CheckDate("reopened_on", c.reopened_on));
    if (case_->status != fb::CaseStatus::Closed) return Refuse("case_open", "case " + c.case_id + " is open");
    NRPF_RETURN_IF_ERROR(CheckNotFuture("reopened_on", c.reopened_on, Today()));
    if (c.reopened_on < case_->closure_date) {
      return Invalid("reopened_on", "a case cannot reopen before it closed, on " + case_->closure_date);
    }
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateCaseReopenedDirect(fbb, c.case_id.c_str(), c.reopened_on.c_str()));
    Emit(CaseStream(c.case_id), t::kCaseReopened, fbb);
    return Status::Ok();
  }

  Status Decide(const FlagDuplicate& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kFlagDuplicate));
    const CaseState* keep = state_.Case(c.duplicate_of);
    if (c.duplicate_of == c.case_id) return Invalid("duplicate_of", "a case cannot duplicate itself");
    if (keep == nullptr || !keep->exists() || keep->removed || keep->organisation_id != case_->organisation_id) {
      return Missing("case_not_found", "no case " + c.duplicate_of + " in your council");
    }
    if (!case_->duplicate_of.empty()) {
      // A flag stands while the case it names can be kept; once that case is
      // removed or flagged itself, the council may point this one elsewhere.
      if (Keepable(state_.Case(case_->duplicate_of))) return Refuse("already_flagged", "the case is already flagged");
    }
    // The case kept must not itself be on its way out, or both records of
    // one household could be erased.
    if (!keep->duplicate_of.empty()) {
      return Refuse("keep_is_duplicate", "case " + c.duplicate_of + " is itself flagged as a duplicate");
    }
    Expect(CaseStream(c.duplicate_of), keep->version);
    flatbuffers::FlatBufferBuilder fbb(64);
    fbb.Finish(fb::CreateDuplicateFlaggedDirect(fbb, c.case_id.c_str(), c.duplicate_of.c_str()));
    Emit(CaseStream(c.case_id), t::kDuplicateFlagged, fbb);
    return Status::Ok();
  }

  Status Decide(const RemoveDuplicate& c) {
    NRPF_RETURN_IF_ERROR(LoadCase(c.case_id, Action::kRemoveDuplicate));
    if (case_->duplicate_of.empty()) {
      return Refuse("not_flagged", "the council has not flagged case " + c.case_id + " as a duplicate");
    }
    std::vector<std::string> subjects{case_->applicant.subject};
    for (const PersonState& d : case_->dependants) subjects.push_back(d.subject);
    // The look-up the duplicate was created from holds the same person's
    // document number and date of birth: erased with it, unless the case it
    // duplicates was created from the same look-up.
    const CaseState* keep = state_.Case(case_->duplicate_of);
    if (!Keepable(keep)) {
      return Refuse("keep_unavailable", "case " + case_->duplicate_of +
                                            ", which this case duplicates, is removed or itself flagged; "
                                            "the council must flag the duplicate again");
    }
    Expect(CaseStream(case_->duplicate_of), keep->version);
    if (!case_->rtpf_lookup_id.empty() && keep->rtpf_lookup_id != case_->rtpf_lookup_id) {
      subjects.push_back(RtpfSubject(case_->rtpf_lookup_id));
    }
    for (const AlertState& a : case_->alerts) {
      if (a.open) CloseAlertEvent(a, fb::AlertClosedBecause::CaseRemoved);
    }
    flatbuffers::FlatBufferBuilder fbb(128);
    auto subject_offsets = StringOffsets(fbb, subjects);
    fbb.Finish(fb::CreateDuplicateRemovedDirect(fbb, c.case_id.c_str(), &subject_offsets));
    Emit(CaseStream(c.case_id), t::kDuplicateRemoved, fbb);
    out_.shred_subjects = std::move(subjects);
    return Status::Ok();
  }

  const DecideInput& in_;
  const StateReader& state_;
  const UserState* actor_ = nullptr;
  const OrganisationState* actor_org_ = nullptr;
  const CaseState* case_ = nullptr;
  const OrganisationState* case_org_ = nullptr;
  std::size_t raised_here_ = 0;  // alerts raised by this decision so far
  std::string today_;            // Today(), once computed
  Decision out_;
};

}  // namespace

std::optional<std::chrono::year_month_day> ParseIsoDate(std::string_view date) {
  if (!IsDateShaped(date)) return std::nullopt;
  const int y = std::stoi(std::string(date.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(date.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(date.substr(8, 2))));
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (y < 1900 || !ymd.ok()) return std::nullopt;
  return ymd;
}

bool IsIsoDate(std::string_view date) { return ParseIsoDate(date).has_value(); }

ledger::Actor ActorOf(const UserState& user) {
  return {user.user_id, user.organisation_id, std::string(fb::EnumNameRole(user.role))};
}

Result<Decision> Decide(const Command& command, const DecideInput& input, const StateReader& state) {
  return Decider(input, state).Run(command);
}

}  // namespace nrpf::domain
