// The permission table of docs/domain.md, transport-free. Every command and
// every read goes through Authorize() before anything else looks at state.
//
//   role              | may
//   council user      | search, RTPF look-up, create and edit own council's cases, finance,
//                     | queries, close alerts, close/reopen, flag duplicate
//   council admin     | the same + user accounts of own council, reports
//   Home Office       | read cases of subscribed councils (finance read-only), record status
//                     | checks and updates, answer and raise queries, SLA workload
//   Home Office admin | the same + user accounts of the Home Office, reports
//   network support   | register organisations and teams, remove duplicates, SLA policy;
//                     | of councils and the Home Office: the first admin (AuthorizeRoleGrant),
//                     | delete, lock, unlock, reset passwords; the accounts of network support
//                     | and audit bodies; case metadata only (CaseState::MetadataOnly()),
//                     | never case personal data
//   auditor           | read-only: cases (own organisation's, or all when the auditor belongs
//                     | to an audit body), reports, verification
//
// A deleted or locked account may do nothing.

#ifndef NRPF_DOMAIN_PERMISSIONS_H_
#define NRPF_DOMAIN_PERMISSIONS_H_

#include <optional>
#include <string_view>

#include "domain/model.h"
#include "ledger/status.h"

namespace nrpf::domain {

enum class Action {
  kSearch,
  kRtpfLookup,
  kCreateCase,
  kEditCase,             // allocation, team, applicant, dependants, advice, alerts
  kEditFinance,
  kRaiseQueryToHomeOffice,
  kRaiseQueryToCouncil,
  kAnswerHomeOfficeQuery,  // a council answers the Home Office
  kAnswerCouncilQuery,     // the Home Office answers a council
  kCloseOrReopenCase,
  kFlagDuplicate,
  kRecordImmigration,
  kReadCase,             // personal data included
  kReadCaseMetadata,     // ids, states and dates only: CaseState::MetadataOnly()
  kManageUsers,
  kRegisterOrganisation,
  kRemoveDuplicate,
  kChangeSlaPolicy,
  kReports,
  kSlaWorkload,
  kAudit,
};

// What `action` lets one do, in words ("manage user accounts"), for messages.
std::string_view ActionName(Action action);

// Whether `actor` (of `actor_org`) may perform `action`, on `case_state` of
// council `case_org` when the action concerns a case (both may be null
// otherwise). Refusals are kPermissionDenied with a reason:
// "unknown_user", "account_deleted", "account_locked", "role_not_permitted",
// "wrong_tenant", "not_subscribed", "finance_read_only", "no_personal_data"
// (and "organisation_has_admin" from AuthorizeRoleGrant).
Status Authorize(const UserState* actor, const OrganisationState* actor_org, Action action,
                 const CaseState* case_state, const OrganisationState* case_org);

// Whether `actor` may manage the accounts of `organisation_id`.
Status AuthorizeUserAdmin(const UserState* actor, const OrganisationState* actor_org,
                          std::string_view organisation_id);

// Whether `actor` may give an account of `organisation` the role `role`, by
// creating the account or changing its role; `organisation_has_admin` says
// whether the organisation holds a live (not deleted) account of its admin
// role. REQUIRES: AuthorizeUserAdmin(actor, ..., organisation) passed and
// `role` fits the kind of organisation.
//
// An organisation's own admin gives any such role. Network support, which
// never reads case personal data, gives a council or the Home Office only
// its first admin: the admin role while the organisation has none
// ("organisation_has_admin" once it has one, "role_not_permitted" for any
// other role), since every role there reads personal data and the creator
// of an account learns its one-time password. It gives network support's
// own accounts and audit bodies' auditors, which no admin of theirs could.
Status AuthorizeRoleGrant(const UserState& actor, const OrganisationState& organisation, fb::Role role,
                          bool organisation_has_admin);

// The role of `kind`'s own admin, if it has one: CouncilAdmin, HomeOfficeAdmin.
std::optional<fb::Role> AdminRoleOf(fb::OrganisationKind kind);

bool IsCouncilRole(fb::Role role);
// Whether the actor reads only its own organisation's cases: a council's
// users, and auditors other than an audit body's.
bool ScopedToOwnOrganisation(const UserState& actor, const OrganisationState& actor_org);
bool IsHomeOfficeRole(fb::Role role);
bool IsAdminRole(fb::Role role);
// Whether a reader of a case's personal data in `role` sees its assessments
// of `kind`: a child's early education is the council's and the family's
// business, not the Home Office's. Every read that shows what an
// assessment asked or found goes through this.
bool MaySeeAssessment(fb::Role role, fb::AssessmentKind kind);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_PERMISSIONS_H_
