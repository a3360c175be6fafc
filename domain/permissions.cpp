#include "domain/permissions.h"

namespace nrpf::domain {

namespace {

Status Deny(std::string reason, std::string message) {
  return Status::PermissionDenied(std::move(message)).WithReason(std::move(reason));
}

// Role x action, before tenancy.
bool RoleMay(fb::Role role, Action action) {
  switch (role) {
    case fb::Role::CouncilUser:
    case fb::Role::CouncilAdmin:
      switch (action) {
        case Action::kSearch:
        case Action::kRtpfLookup:
        case Action::kCreateCase:
        case Action::kEditCase:
        case Action::kEditFinance:
        case Action::kRaiseQueryToHomeOffice:
        case Action::kAnswerHomeOfficeQuery:
        case Action::kCloseOrReopenCase:
        case Action::kFlagDuplicate:
        case Action::kReadCase:
        case Action::kReadCaseMetadata:
        case Action::kSlaWorkload:
          return true;
        case Action::kManageUsers:
        case Action::kReports:
          return role == fb::Role::CouncilAdmin;
        default:
          return false;
      }
    case fb::Role::HomeOffice:
    case fb::Role::HomeOfficeAdmin:
      switch (action) {
        case Action::kSearch:
        case Action::kReadCase:
        case Action::kReadCaseMetadata:
        case Action::kRecordImmigration:
        case Action::kAnswerCouncilQuery:
        case Action::kRaiseQueryToCouncil:
        case Action::kSlaWorkload:
          return true;
        case Action::kManageUsers:
        case Action::kReports:
          return role == fb::Role::HomeOfficeAdmin;
        default:
          return false;
      }
    case fb::Role::NetworkSupport:
      switch (action) {
        case Action::kReadCaseMetadata:
        case Action::kManageUsers:
        case Action::kRegisterOrganisation:
        case Action::kRemoveDuplicate:
        case Action::kChangeSlaPolicy:
        case Action::kSlaWorkload:
        case Action::kReports:
          return true;
        default:
          return false;
      }
    case fb::Role::Auditor:
      switch (action) {
        case Action::kReadCase:
        case Action::kReadCaseMetadata:
        case Action::kReports:
        case Action::kSlaWorkload:
        case Action::kAudit:
          return true;
        default:
          return false;
      }
  }
  return false;
}

Status CheckAccount(const UserState* actor, const OrganisationState* actor_org) {
  if (actor == nullptr || actor_org == nullptr || actor->user_id.empty()) {
    return Deny("unknown_user", "no such user account");
  }
  if (actor->deleted) return Deny("account_deleted", "user " + actor->user_id + " is deleted");
  if (actor->locked) return Deny("account_locked", "user " + actor->user_id + " is locked");
  return Status::Ok();
}

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kSearch: return "search cases";
    case Action::kRtpfLookup: return "look up a right to public funds";
    case Action::kCreateCase: return "create cases";
    case Action::kEditCase: return "edit cases";
    case Action::kEditFinance: return "record or change finance";
    case Action::kRaiseQueryToHomeOffice: return "raise queries to the Home Office";
    case Action::kRaiseQueryToCouncil: return "raise queries to a council";
    case Action::kAnswerHomeOfficeQuery: return "answer the Home Office's queries";
    case Action::kAnswerCouncilQuery: return "answer a council's queries";
    case Action::kCloseOrReopenCase: return "close or reopen cases";
    case Action::kFlagDuplicate: return "flag duplicates";
    case Action::kRecordImmigration: return "record immigration status checks and updates";
    case Action::kReadCase: return "read cases' personal data";
    case Action::kReadCaseMetadata: return "read cases";
    case Action::kManageUsers: return "manage user accounts";
    case Action::kRegisterOrganisation: return "register organisations";
    case Action::kRemoveDuplicate: return "remove duplicates";
    case Action::kChangeSlaPolicy: return "change the SLA policy";
    case Action::kReports: return "see reports";
    case Action::kSlaWorkload: return "see SLA clocks";
    case Action::kAudit: return "audit the log";
  }
  return "do that";
}

bool IsCouncilRole(fb::Role role) {
  return role == fb::Role::CouncilUser || role == fb::Role::CouncilAdmin;
}
bool IsHomeOfficeRole(fb::Role role) {
  return role == fb::Role::HomeOffice || role == fb::Role::HomeOfficeAdmin;
}
bool MaySeeAssessment(fb::Role role, fb::AssessmentKind kind) {
  return !(IsHomeOfficeRole(role) && kind == fb::AssessmentKind::EarlyEducationTwoYearOld);
}

bool IsAdminRole(fb::Role role) {
  return role == fb::Role::CouncilAdmin || role == fb::Role::HomeOfficeAdmin ||
         role == fb::Role::NetworkSupport;
}

Status Authorize(const UserState* actor, const OrganisationState* actor_org, Action action,
                 const CaseState* case_state, const OrganisationState* case_org) {
  NRPF_RETURN_IF_ERROR(CheckAccount(actor, actor_org));
  const fb::Role role = actor->role;
  if (!RoleMay(role, action)) {
    if (action == Action::kEditFinance && IsHomeOfficeRole(role)) {
      return Deny("finance_read_only", "the Home Office reads finance and never edits it");
    }
    if (action == Action::kReadCase && role == fb::Role::NetworkSupport) {
      return Deny("no_personal_data", "network support has no access to case personal data");
    }
    return Deny("role_not_permitted", "the role " + std::string(fb::EnumNameRole(role)) + " may not " +
                                          std::string(ActionName(action)));
  }
  if (case_state == nullptr) return Status::Ok();
  if (ScopedToOwnOrganisation(*actor, *actor_org)) {
    if (case_state->organisation_id != actor->organisation_id) {
      return Deny("wrong_tenant", IsCouncilRole(role) ? "the case belongs to another council"
                                                      : "the auditor is scoped to another organisation");
    }
  } else if (IsHomeOfficeRole(role)) {
    if (case_org == nullptr || !case_org->subscribed) {
      return Deny("not_subscribed", "the case's council is not subscribed to the service");
    }
  }
  return Status::Ok();
}

bool ScopedToOwnOrganisation(const UserState& actor, const OrganisationState& actor_org) {
  return IsCouncilRole(actor.role) ||
         (actor.role == fb::Role::Auditor && actor_org.kind != fb::OrganisationKind::AuditBody);
}

Status AuthorizeUserAdmin(const UserState* actor, const OrganisationState* actor_org,
                          std::string_view organisation_id) {
  NRPF_RETURN_IF_ERROR(Authorize(actor, actor_org, Action::kManageUsers, nullptr, nullptr));
  if (actor->role != fb::Role::NetworkSupport && actor->organisation_id != organisation_id) {
    return Deny("wrong_tenant", "admins manage only their own organisation's accounts");
  }
  return Status::Ok();
}

std::optional<fb::Role> AdminRoleOf(fb::OrganisationKind kind) {
  switch (kind) {
    case fb::OrganisationKind::Council: return fb::Role::CouncilAdmin;
    case fb::OrganisationKind::HomeOffice: return fb::Role::HomeOfficeAdmin;
    case fb::OrganisationKind::NetworkSupport:
    case fb::OrganisationKind::AuditBody:
      return std::nullopt;
  }
  return std::nullopt;
}

Status AuthorizeRoleGrant(const UserState& actor, const OrganisationState& organisation, fb::Role role,
                          bool organisation_has_admin) {
  if (actor.role != fb::Role::NetworkSupport) return Status::Ok();
  const std::optional<fb::Role> admin = AdminRoleOf(organisation.kind);
  // Network support's own accounts, and audit bodies' auditors.
  if (!admin) return Status::Ok();
  if (role != *admin) {
    return Deny("role_not_permitted", "network support gives " + organisation.organisation_id +
                                          " only its first admin; its admin creates its other accounts");
  }
  if (organisation_has_admin) {
    return Deny("organisation_has_admin", organisation.organisation_id +
                                              " has an admin already, who manages its accounts");
  }
  return Status::Ok();
}

}  // namespace nrpf::domain
