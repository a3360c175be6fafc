#include "tests/bench/generator.h"

#include "domain/assessment.h"
#include "domain/calendar.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <random>

namespace nrpf::bench {

namespace {

using namespace nrpf::domain;  // NOLINT: the generator speaks the domain's language

constexpr std::int64_t kHour = kMicrosPerHour;
constexpr std::int64_t kDay = kMicrosPerDay;

const char* const kGiven[] = {
    "Mohammed", "Fatima",  "Amina",   "Yusuf",    "Olumide",  "Chukwuemeka", "Oksana",  "Elena",
    "Giorgi",   "Siobhan", "Abdul Rahman", "Maryam", "Hussein", "Ahmed",      "Blessing", "Precious",
    "Tendai",   "Grace",   "Joseph",  "Samuel",   "Aisha",    "Ibrahim",     "Kwame",   "Ama",
    "Adebayo",  "Folasade", "Priya",  "Rahul",    "Mei",      "Wei",         "Ana",     "Maria",
    "Jose",     "Svetlana", "Irina",  "Aleksandr", "Zainab",  "Khadija",     "Omar",    "Bilal",
    "Tariq",    "Sana",    "Hawa",    "Abdi",     "Nasra",    "Kofi",        "Efua",    "Nneka",
    "Emeka",    "Thi Lan", "Van Minh", "Luis",    "Camila",   "Darius",      "Leyla",   "Samira"};
const char* const kFamily[] = {
    "Ali",     "Khan",    "Ahmed",   "Hussain",  "Okafor",  "Adeyemi", "Mensah",  "Nguyen",
    "Tran",    "Kowalski", "Petrov", "Ivanova",  "Rodriguez", "Santos", "Silva",  "Hassan",
    "Abdi",    "Mohamed", "Osei",    "Boateng",  "Chen",    "Wang",    "Singh",   "Patel",
    "Begum",   "Rahman",  "Islam",   "Uddin",    "Yilmaz",  "Demir",   "Kaya",    "Haile",
    "Tesfaye", "Bekele",  "Okonkwo", "Eze",      "Nwosu",   "Mwangi",  "Otieno",  "Kamau",
    "Banda",   "Phiri",   "Moyo",    "Dlamini",  "Abubakar", "Diallo", "Traore",  "Ndiaye"};
const char* const kNationality[] = {"Nigerian", "Pakistani", "Bangladeshi", "Ghanaian", "Jamaican",
                                    "Indian",   "Somali",    "Eritrean",    "Albanian", "Vietnamese",
                                    "Zimbabwean", "Ukrainian", "Brazilian", "Chinese",  "Filipino"};

template <typename T, std::size_t N>
constexpr std::size_t Count(const T (&)[N]) { return N; }

struct Council {
  std::string id;
  fb::Nation nation = fb::Nation::EnglandAndWales;
  std::string admin;
  std::vector<std::string> teams;
  std::vector<std::string> caseworkers;
  double weight = 1;
  std::uint32_t next_user = 1;
};

struct Task {
  std::int64_t at;
  std::uint64_t seq;
  std::function<void()> run;
  bool operator>(const Task& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

// The UTC calendar date of `us`.
std::string Date(std::int64_t us) {
  return IsoDate(std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(us / kDay))));
}

class Simulation {
 public:
  Simulation(CaseService& service, ManualClock& clock, const GeneratorOptions& options)
      : svc_(service), clock_(clock), o_(options), rng_(options.seed) {}

  Result<GeneratorReport> Run() {
    clock_.Set(o_.start_us);
    NRPF_RETURN_IF_ERROR(Setup());
    const std::int64_t span = static_cast<std::int64_t>(o_.years) * 365 * kDay;
    for (std::size_t i = 0; i < o_.cases; ++i) {
      const std::int64_t at = o_.start_us + kDay + static_cast<std::int64_t>(
          static_cast<double>(span) * static_cast<double>(i) / static_cast<double>(o_.cases));
      At(WorkingHour(at), [this] { NewCase(); });
    }
    // Once, half way through, the operator shortens the initial check.
    At(o_.start_us + span / 2, [this] {
      ChangeSlaPolicy p;
      p.rules = {{fb::SlaClock::HomeOfficeInitialCheck, {fb::SlaUnit::WorkingDays, 4}}};
      Exec(ns_admin_, p);
    });
    for (std::size_t i = 0; i < councils_.size(); ++i) {
      for (int y = 0; y < o_.years; ++y) {
        At(o_.start_us + y * 365 * kDay + Uniform(30, 330) * kDay, [this, i] { StaffChurn(i); });
      }
    }
    while (!queue_.empty()) {
      if (o_.max_events != 0 && svc_.ledger().Size() >= o_.max_events) break;
      Task task = queue_.top();
      queue_.pop();
      if (task.at > clock_.NowMicros()) clock_.Set(task.at);
      task.run();
      if (!fatal_.ok()) return fatal_;
    }
    report_.events = svc_.ledger().Size();
    report_.end_us = clock_.NowMicros();
    report_.cases = cases_created_;
    return report_;
  }

 private:
  // ---- randomness ----
  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T, std::size_t N>
  const T& Pick(const T (&a)[N]) { return a[static_cast<std::size_t>(Uniform(0, N - 1))]; }
  const std::string& Pick(const std::vector<std::string>& v) {
    return v[static_cast<std::size_t>(Uniform(0, static_cast<std::int64_t>(v.size()) - 1))];
  }
  // 09:00-17:00 UTC on the day of `us`.
  std::int64_t WorkingHour(std::int64_t us) { return (us / kDay) * kDay + 9 * kHour + Uniform(0, 8 * kHour); }

  void At(std::int64_t at, std::function<void()> fn) {
    queue_.push({std::max(at, clock_.NowMicros()), seq_++, std::move(fn)});
  }
  void After(std::int64_t delay, std::function<void()> fn) { At(clock_.NowMicros() + delay, std::move(fn)); }

  // Runs a command; refusals by the rules are counted, other failures stop the run.
  bool Exec(const std::string& actor, Command command, CommandOutcome* out = nullptr) {
    CommandRequest r;
    r.actor_user_id = actor;
    r.command_id = "gen-" + std::to_string(o_.seed) + "-" + std::to_string(report_.commands);
    const std::string name(CommandName(command));
    r.command = std::move(command);
    ++report_.commands;
    Result<CommandOutcome> result = svc_.Execute(r);
    if (!result.ok()) {
      const Code code = result.status().code();
      if (code == Code::kIOError || code == Code::kCorruption || code == Code::kUnavailable) {
        fatal_ = result.status();
      }
      ++report_.refusals_by_reason[std::string(CodeName(code)) + "/" + result.status().reason()];
      return false;
    }
    ++report_.commands_by_name[name];
    if (out != nullptr) *out = std::move(*result);
    return true;
  }

  // ---- organisations and staff ----
  Status Setup() {
    RegisterOrganisation ns{"network-support", fb::OrganisationKind::NetworkSupport,
                            "Synthetic NRPF Network support", fb::Nation::EnglandAndWales};
    CreateUser admin{kSyntheticOperator, "network-support", fb::Role::NetworkSupport, "", "Synthetic Operator",
                     "operator@synthetic.invalid"};
    Result<bool> boot = svc_.Bootstrap(ns, admin);
    if (!boot.ok()) return boot.status();
    ns_admin_ = kSyntheticOperator;
    report_.organisations = 1;
    report_.users = 1;
    auto org = [&](const std::string& id, fb::OrganisationKind kind, const std::string& name, fb::Nation n) {
      ++report_.organisations;
      return Exec(ns_admin_, RegisterOrganisation{id, kind, name, n});
    };
    // Network support creates each organisation's first admin (and the
    // auditors of the audit body); the admins create the rest.
    auto user_by = [&](const std::string& creator, const std::string& id, const std::string& org_id, fb::Role role,
                       const std::string& team) {
      ++report_.users;
      return Exec(creator, CreateUser{id, org_id, role, team, "Synthetic " + id, id + "@synthetic.invalid"});
    };
    auto user = [&](const std::string& id, const std::string& org_id, fb::Role role, const std::string& team) {
      return user_by(ns_admin_, id, org_id, role, team);
    };
    org("home-office", fb::OrganisationKind::HomeOffice, "Synthetic Home Office NRPF team",
        fb::Nation::EnglandAndWales);
    user("ho-admin", "home-office", fb::Role::HomeOfficeAdmin, "");
    for (int i = 1; i <= 8; ++i) {
      const std::string id = "ho-" + std::to_string(i);
      user_by("ho-admin", id, "home-office", fb::Role::HomeOffice, "");
      ho_users_.push_back(id);
    }
    org("audit-body", fb::OrganisationKind::AuditBody, "Synthetic audit body", fb::Nation::EnglandAndWales);
    user("auditor-1", "audit-body", fb::Role::Auditor, "");
    for (std::size_t i = 0; i < o_.councils; ++i) {
      Council c;
      char id[32];
      std::snprintf(id, sizeof(id), "council-%03zu", i + 1);
      c.id = id;
      const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
      c.nation = r < 0.88 ? fb::Nation::EnglandAndWales : r < 0.96 ? fb::Nation::Scotland : fb::Nation::NorthernIreland;
      c.weight = 1.0 / std::sqrt(static_cast<double>(i + 1));
      org(c.id, fb::OrganisationKind::Council, "Synthetic Council " + std::string(id + 8), c.nation);
      c.admin = c.id + "-admin";
      user(c.admin, c.id, fb::Role::CouncilAdmin, "");
      const int teams = static_cast<int>(Uniform(1, 3));
      for (int t = 1; t <= teams; ++t) {
        const std::string team = "team-" + std::to_string(t);
        Exec(c.admin, CreateTeam{c.id, team, "Synthetic team " + std::to_string(t)});
        c.teams.push_back(team);
      }
      const int workers = static_cast<int>(Uniform(2, 6));
      for (int w = 0; w < workers; ++w) AddCaseworker(c);
      councils_.push_back(std::move(c));
      total_weight_ += councils_.back().weight;
    }
    for (const Council& c : councils_) report_.council_users.push_back(c.caseworkers.front());
    report_.home_office_users = ho_users_;
    return fatal_;
  }

  void AddCaseworker(Council& c) {
    const std::string id = c.id + "-cw" + std::to_string(c.next_user++);
    if (Exec(c.admin, CreateUser{id, c.id, fb::Role::CouncilUser, Pick(c.teams), "Synthetic " + id,
                                 id + "@synthetic.invalid"})) {
      c.caseworkers.push_back(id);
      ++report_.users;
    }
  }

  // A caseworker leaves (another joins), one forgets a password and is
  // locked out, and an admin resets a password.
  void StaffChurn(std::size_t i) {
    Council& c = councils_[i];
    if (c.caseworkers.size() > 2 && Chance(0.5)) {
      const std::string leaver = c.caseworkers.back();
      c.caseworkers.pop_back();
      Exec(c.admin, DeleteUser{leaver});
      AddCaseworker(c);
    }
    if (Chance(0.2)) Exec(c.admin, ChangeUserRole{Pick(c.caseworkers), fb::Role::CouncilAdmin});
    const std::string& u = Pick(c.caseworkers);
    if (Exec(u, LockUser{u, fb::LockReason::FailedLogins, 5})) {
      const std::string who = u;
      After(Uniform(1, 48) * kHour, [this, i, who] {
        Exec(councils_[i].admin, UnlockUser{who});
        Exec(councils_[i].admin, ResetPassword{who});
      });
    }
  }

  Council& PickCouncil() {
    double r = std::uniform_real_distribution<double>(0, total_weight_)(rng_);
    for (Council& c : councils_) {
      if ((r -= c.weight) <= 0) return c;
    }
    return councils_.back();
  }

  Person RandomPerson(std::int64_t now, int min_age, int max_age, const std::string& relationship) {
    Person p;
    p.given_names = Pick(kGiven);
    p.family_name = Pick(kFamily);
    p.date_of_birth = Date(now - Uniform(min_age * 365, max_age * 365) * kDay);
    p.nationality = Pick(kNationality);
    if (Chance(0.6)) p.home_office_reference = "S" + std::to_string(Uniform(1000000, 9999999));
    if (Chance(0.7)) p.documents.emplace_back(fb::DocumentType::Passport, "P" + std::to_string(Uniform(10000000, 99999999)));
    if (Chance(0.3)) p.documents.emplace_back(fb::DocumentType::BiometricResidencePermit, "ZU" + std::to_string(Uniform(1000000, 9999999)));
    p.address = std::to_string(Uniform(1, 200)) + " Synthetic Street";
    p.relationship = relationship;
    return p;
  }

  // A caseworker's misspelling of a name: a dropped, doubled or swapped letter.
  std::string Misspell(std::string name) {
    if (name.size() < 4) return name + "e";
    const std::size_t i = static_cast<std::size_t>(Uniform(1, static_cast<std::int64_t>(name.size()) - 2));
    switch (Uniform(0, 2)) {
      case 0: name.erase(i, 1); break;
      case 1: name.insert(i, 1, name[i]); break;
      default: std::swap(name[i], name[i + 1]); break;
    }
    return name;
  }

  // ---- a case's life ----
  void NewCase() {
    Council& c = PickCouncil();
    const std::int64_t now = clock_.NowMicros();
    const double h = std::uniform_real_distribution<double>(0, 1)(rng_);
    CreateCase cc;
    cc.household_type = h < 0.70 ? fb::HouseholdType::FamilyWithChildren
                        : h < 0.90 ? fb::HouseholdType::AdultWithCareNeeds
                        : h < 0.98 ? fb::HouseholdType::CareLeaver
                                   : fb::HouseholdType::LookedAfterChild;
    switch (*cc.household_type) {
      case fb::HouseholdType::FamilyWithChildren: cc.legislation = fb::Legislation::ChildrenAct1989S17; break;
      case fb::HouseholdType::AdultWithCareNeeds: cc.legislation = fb::Legislation::CareAct2014; break;
      default: cc.legislation = fb::Legislation::ChildrenAct1989LeavingCare; break;
    }
    if (Chance(0.03)) cc.legislation = fb::Legislation::Other;
    const bool young = cc.household_type == fb::HouseholdType::CareLeaver ||
                       cc.household_type == fb::HouseholdType::LookedAfterChild;
    cc.applicant = RandomPerson(now, young ? 16 : 20, young ? 21 : 55, "");
    if (cc.household_type == fb::HouseholdType::FamilyWithChildren) {
      const int kids = static_cast<int>(Uniform(1, 4));
      for (int k = 0; k < kids; ++k) {
        Person kid = RandomPerson(now, 0, 15, "child");
        kid.family_name = cc.applicant.family_name;
        kid.documents.clear();
        cc.dependants.push_back(std::move(kid));
      }
    }
    cc.team_id = Pick(c.teams);
    const std::string worker = Pick(c.caseworkers);
    cc.caseworker_id = Chance(0.95) ? worker : "";
    cc.referral_date = Date(now - Uniform(0, 14) * kDay);
    cc.advised_details_shared = Chance(0.8);
    if (Chance(0.05)) {
      cc.urgent = true;
      cc.urgent_reason = static_cast<fb::UrgentReason>(Uniform(1, 3));
    }
    if (!cc.applicant.documents.empty() && Chance(0.3)) {
      CommandOutcome lookup;
      RtpfLookup l{cc.applicant.documents.front().first, cc.applicant.documents.front().second,
                   cc.applicant.date_of_birth};
      if (Exec(worker, l, &lookup)) cc.rtpf_lookup_id = lookup.lookup_id;
    }
    const Person applicant = cc.applicant;
    CommandOutcome created;
    if (!Exec(worker, cc, &created)) return;
    ++cases_created_;
    const std::string id = created.case_id;
    const std::size_t ci = static_cast<std::size_t>(&c - councils_.data());
    PlanCase(ci, id, worker, cc.advised_details_shared, cc.urgent);
    if (Chance(0.015)) PlanDuplicate(ci, id, worker, applicant);
  }

  void PlanCase(std::size_t ci, const std::string& id, const std::string& worker, bool advised, bool urgent) {
    const std::int64_t now = clock_.NowMicros();
    if (!advised) {
      After(Uniform(1, 72) * kHour, [=, this] {
        Exec(worker, RecordAdvice{id, Date(clock_.NowMicros()), fb::AdvisedOf::DetailsSharedWithHomeOffice,
                                  "[synthetic] advised in person"});
      });
    }
    if (Chance(0.75)) {
      After(Uniform(0, 30) * kDay + Uniform(0, 8) * kHour, [=, this] {
        RecordFinance f;
        f.case_id = id;
        f.start_date = Date(clock_.NowMicros() - Uniform(0, 10) * kDay);
        f.person_costs_weekly_pence = Uniform(4000, 25000);
        f.accommodation_provided = Chance(0.8);
        f.accommodation_costs_weekly_pence = f.accommodation_provided ? Uniform(10000, 60000) : 0;
        if (Exec(worker, f) && Chance(0.2)) {
          After(Uniform(30, 400) * kDay, [=, this] {
            AmendFinance a = AmendFinance::Whole(f);
            a.person_costs_weekly_pence = f.person_costs_weekly_pence + Uniform(500, 3000);
            Exec(worker, a);
          });
        }
      });
    }
    if (Chance(0.92)) {
      // Most checks land within the default five working days; some do not.
      const std::int64_t delay = urgent ? Uniform(2, 30) * kHour : Uniform(4, 200) * kHour;
      After(delay, [=, this] { StatusCheck(ci, id, worker); });
    }
    const int queries = static_cast<int>(Uniform(0, 3));
    for (int q = 0; q < queries; ++q) {
      At(now + Uniform(10, 300) * kDay, [=, this] { CouncilQuery(id, worker); });
    }
    if (Chance(0.15)) At(now + Uniform(20, 200) * kDay, [=, this] { HomeOfficeQuery(id, worker); });
    if (Chance(0.35)) At(now + Uniform(60, 700) * kDay, [=, this] { StatusUpdate(id, worker); });
    if (Chance(0.30)) {
      At(now + Uniform(90, 900) * kDay, [=, this] {
        const auto reason = static_cast<fb::ClosureReason>(Uniform(1, 8));
        CloseAfterDecision(id, worker, reason);
      });
    }
    if (Chance(0.08)) {
      At(now + Uniform(5, 300) * kDay, [=, this] {
        Result<CaseState> c = svc_.ReadCase(worker, id);
        if (!c.ok() || !c->applicant.details) return;
        AmendApplicant a{id, PersonAmendment::Whole(*c->applicant.details), c->household_type, c->legislation};
        a.details.address = std::to_string(Uniform(1, 200)) + " Synthetic Street";
        Exec(worker, a);
      });
    }
    if (Chance(0.08)) {
      At(now + Uniform(30, 500) * kDay, [=, this] {
        Exec(worker, AddDependant{id, RandomPerson(clock_.NowMicros(), 0, 1, "child")});
      });
    }
    if (Chance(0.03)) {
      At(now + Uniform(30, 500) * kDay, [=, this] {
        Exec(worker, RemoveDependant{id, DependantSubject(id, 1)});  // a child left the household
      });
    }
    if (Chance(0.2)) {
      At(now + Uniform(10, 400) * kDay, [=, this] {
        Council& c = councils_[ci];
        Exec(c.admin, AllocateCaseworker{id, Pick(c.caseworkers)});
      });
    }
    if (Chance(0.05) && councils_[ci].teams.size() > 1) {
      At(now + Uniform(10, 400) * kDay, [=, this] {
        Council& c = councils_[ci];
        Exec(c.admin, ChangeTeam{id, Pick(c.teams)});
      });
    }
    if (Chance(0.06)) At(now + Uniform(20, 300) * kDay, [=, this] { ChangeOfConditions(id, worker); });
    if (Chance(0.04)) At(now + Uniform(20, 300) * kDay, [=, this] { EarlyEducation(id, worker); });
  }

  // Decision support: the answers a caseworker might give.
  void ChangeOfConditions(const std::string& id, const std::string& worker) {
    Result<CaseState> c = svc_.ReadCase(worker, id);
    if (!c.ok()) return;
    AssessChangeOfConditions a;
    a.case_id = id;
    a.route = static_cast<fb::PermissionRoute>(Uniform(1, 7));
    a.has_accommodation = Chance(0.7);
    a.accommodation_adequate = Chance(0.8);
    a.can_meet_living_needs = Chance(0.3);
    a.has_accommodation_in_3_months = Chance(0.6);
    a.accommodation_adequate_in_3_months = Chance(0.8);
    a.can_meet_living_needs_in_3_months = Chance(0.4);
    // Asked only where a child's welfare is in question, as the rules ask.
    const bool children = ConcernsAChild(*c, a.route, IsoDate(LondonDate(clock_.NowMicros())));
    if (children) a.income_meets_childrens_needs = Chance(0.3);
    a.exceptional_circumstances = Chance(0.1);
    a.evidence_complete = Chance(0.8);
    if (a.route == fb::PermissionRoute::Other) a.particularly_compelling_circumstances = Chance(0.3);
    a.note = "[synthetic] assessed with the family";
    Exec(worker, a);
  }

  void EarlyEducation(const std::string& id, const std::string& worker) {
    Result<CaseState> c = svc_.ReadCase(worker, id);
    if (!c.ok() || c->dependants.empty() || c->dependants.front().removed) return;
    AssessEarlyEducation a;
    a.case_id = id;
    a.dependant = c->dependants.front().subject;
    a.lives_in_england = Chance(0.95);
    a.in_london = *a.lives_in_england && Chance(0.4);
    a.household_income_after_tax_pence = Uniform(0, 4'000'000);
    a.children_in_household = static_cast<std::uint32_t>(c->dependants.size());
    a.savings_pence = Chance(0.9) ? Uniform(0, 300'000) : Uniform(1'600'000, 3'000'000);
    a.parent_with_recourse = Chance(0.05);
    Exec(worker, a);
  }

  // Reviews and closes the case's open alerts of `kind` after a while.
  void ReviewAlerts(const std::string& id, const std::string& worker, fb::AlertKind kind) {
    After(Uniform(1, 120) * kHour, [=, this] {
      Result<CaseState> c = svc_.ReadCase(worker, id);
      if (!c.ok()) return;
      for (const AlertState& a : c->alerts) {
        if (a.open && a.kind == kind) Exec(worker, CloseAlert{id, a.alert_id});
      }
    });
  }

  static fb::ImmigrationStatus RandomStatus(double r) {
    if (r < 0.33) return fb::ImmigrationStatus::ApplicationPending;
    if (r < 0.48) return fb::ImmigrationStatus::NoApplicationPending;
    if (r < 0.58) return fb::ImmigrationStatus::AppealPending;
    if (r < 0.73) return fb::ImmigrationStatus::LeaveWithNrpfCondition;
    if (r < 0.78) return fb::ImmigrationStatus::AsylumClaimPending;
    if (r < 0.83) return fb::ImmigrationStatus::NoRecordFound;
    if (r < 0.91) return fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds;
    if (r < 0.95) return fb::ImmigrationStatus::EuPreSettledStatus;
    return fb::ImmigrationStatus::NoLawfulStatusNoBarrierToReturn;
  }

  void StatusCheck(std::size_t ci, const std::string& id, const std::string& worker) {
    (void)ci;
    const auto status = RandomStatus(std::uniform_real_distribution<double>(0, 1)(rng_));
    if (!Exec(Pick(ho_users_), CompleteStatusCheck{id, status, "[synthetic] status check result"})) return;
    ReviewAlerts(id, worker, fb::AlertKind::ImmigrationUpdate);
    if (Chance(0.5)) {
      After(Uniform(1, 10) * kDay, [=, this] {
        Exec(worker, RecordAdvice{id, Date(clock_.NowMicros()), fb::AdvisedOf::HomeOfficeInformationReturned,
                                  "[synthetic] told the family what the Home Office returned"});
      });
    }
    if (MeansRecourseToPublicFunds(status)) CloseAfterDecision(id, worker, fb::ClosureReason::RecourseToPublicFundsGranted);
  }

  void StatusUpdate(const std::string& id, const std::string& worker) {
    const bool recourse = Chance(0.4);
    const auto status = recourse ? fb::ImmigrationStatus::LeaveWithRecourseToPublicFunds
                                 : RandomStatus(std::uniform_real_distribution<double>(0, 0.83)(rng_));
    if (!Exec(Pick(ho_users_), UpdateImmigrationStatus{id, status, "[synthetic] status updated"})) return;
    ReviewAlerts(id, worker, fb::AlertKind::ImmigrationUpdate);
    if (recourse) CloseAfterDecision(id, worker, fb::ClosureReason::RecourseToPublicFundsGranted);
  }

  void CloseAfterDecision(const std::string& id, const std::string& worker, fb::ClosureReason reason) {
    After(Uniform(10, 90) * kDay, [=, this] {
      if (!Exec(worker, CloseCase{id, Date(clock_.NowMicros()), reason, "[synthetic] support ended"})) return;
      if (Chance(0.06)) {
        After(Uniform(30, 200) * kDay, [=, this] { Exec(worker, ReopenCase{id, Date(clock_.NowMicros())}); });
      }
    });
  }

  void CouncilQuery(const std::string& id, const std::string& worker) {
    RaiseQuery q;
    q.case_id = id;
    q.topic = static_cast<fb::QueryTopic>(Uniform(0, 7));
    q.urgent = Chance(0.05);
    if (q.urgent) q.urgent_reason = static_cast<fb::UrgentReason>(Uniform(1, 3));
    q.text = "[synthetic] please give an update";
    CommandOutcome out;
    if (!Exec(worker, q, &out)) return;
    Result<CaseState> c = svc_.ReadCase(worker, id);
    if (!c.ok() || c->queries.empty()) return;
    const std::string query_id = c->queries.back().query_id;
    const std::int64_t delay = q.urgent ? Uniform(2, 40) * kHour : Uniform(12, 300) * kHour;
    After(delay, [=, this] {
      if (Exec(Pick(ho_users_), AnswerQuery{id, query_id, "[synthetic] answer from the Home Office"})) {
        ReviewAlerts(id, worker, fb::AlertKind::QueryResponse);
      }
    });
  }

  void HomeOfficeQuery(const std::string& id, const std::string& worker) {
    RaiseQuery q;
    q.case_id = id;
    q.topic = fb::QueryTopic::HomeOfficeInformationRequest;
    q.text = "[synthetic] please confirm the household's support";
    const std::string ho = Pick(ho_users_);
    if (!Exec(ho, q)) return;
    Result<CaseState> c = svc_.ReadCase(ho, id);
    if (!c.ok() || c->queries.empty()) return;
    const std::string query_id = c->queries.back().query_id;
    After(Uniform(1, 18) * kDay, [=, this] {
      Exec(worker, AnswerQuery{id, query_id, "[synthetic] the council's answer"});
    });
  }

  void PlanDuplicate(std::size_t ci, const std::string& original, const std::string& worker, const Person& person) {
    After(Uniform(1, 20) * kDay, [=, this] {
      CreateCase dup;
      dup.applicant = person;
      dup.applicant.family_name = Misspell(person.family_name);
      dup.team_id = councils_[ci].teams.front();
      dup.caseworker_id = worker;
      dup.household_type = fb::HouseholdType::FamilyWithChildren;
      dup.legislation = fb::Legislation::ChildrenAct1989S17;
      dup.referral_date = Date(clock_.NowMicros());
      dup.advised_details_shared = true;
      CommandOutcome out;
      if (!Exec(worker, dup, &out)) return;
      ++cases_created_;
      const std::string id = out.case_id;
      After(Uniform(1, 5) * kDay, [=, this] {
        if (!Exec(worker, FlagDuplicate{id, original})) return;
        After(Uniform(1, 10) * kDay, [=, this] { Exec(ns_admin_, RemoveDuplicate{id}); });
      });
    });
  }

  CaseService& svc_;
  ManualClock& clock_;
  const GeneratorOptions o_;
  std::mt19937_64 rng_;
  std::priority_queue<Task, std::vector<Task>, std::greater<>> queue_;
  std::uint64_t seq_ = 0;
  std::vector<Council> councils_;
  double total_weight_ = 0;
  std::vector<std::string> ho_users_;
  std::string ns_admin_;
  std::size_t cases_created_ = 0;
  GeneratorReport report_;
  Status fatal_;
};

}  // namespace

Result<GeneratorReport> GenerateCaseload(CaseService& service, ManualClock& clock, const GeneratorOptions& options) {
  if (service.ledger().Size() > 1) return Status::FailedPrecondition("the generator needs an empty log");
  Simulation sim(service, clock, options);
  return sim.Run();
}

}  // namespace nrpf::bench
