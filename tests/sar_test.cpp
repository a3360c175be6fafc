// Subject-access reports, and erasure: after network support removes a
// duplicate, the timeline, the export and the report say the data was
// erased, no RocksDB file holds its plaintext, and every proof and
// signature still verifies.

#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "ledger/coding.h"
#include "replay/bundle.h"
#include "replay/case_history.h"
#include "replay/sar.h"
#include "tests/replay_world.h"

namespace nrpf::test {
namespace {

using nlohmann::json;

replay::SarOptions Decrypted() {
  replay::SarOptions o;
  o.decrypt = true;
  o.now_us = kWorldStart;
  return o;
}

// True when any file under `dir` holds `needle`.
bool AnyFileHolds(const std::string& dir, const std::string& needle) {
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file() && ReadText(f.path().string()).find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("a subject-access report holds the person's data and who read it, and no other person's", "[sar]") {
  World w;
  const std::string id = w.NewCase("camden");  // Amina Okafor and her son Tobi
  w.Do("camden-cw1", RecordAdvice{id, "2025-03-03", fb::AdvisedOf::DetailsSharedWithHomeOffice, "told on the phone"});
  // An assessment: its answers are sealed under the applicant.
  AssessChangeOfConditions assessment;
  assessment.case_id = id;
  assessment.route = fb::PermissionRoute::PrivateLife;
  assessment.has_accommodation = assessment.accommodation_adequate = true;
  assessment.can_meet_living_needs = false;
  assessment.has_accommodation_in_3_months = assessment.accommodation_adequate_in_3_months = true;
  assessment.can_meet_living_needs_in_3_months = false;
  assessment.income_meets_childrens_needs = true;
  assessment.exceptional_circumstances = false;
  assessment.evidence_complete = true;
  assessment.note = "rent arrears since May";
  w.Do("camden-cw1", assessment);
  // And one of Tobi's early education (he is nine: the universal hours).
  AssessEarlyEducation tobi{id, DependantSubject(id, 1), true, false, 2'000'000, 1, 0, false, "nursery asked"};
  w.Do("camden-cw1", tobi);
  w.clock.Advance(kHourUs);
  REQUIRE(w.service->ReadCaseRecorded("camden-cw2", id, {"summary", "people"}).ok());
  w.clock.Advance(kHourUs);
  REQUIRE(w.service->ReadCaseRecorded("ho-1", id, {"immigration"}).ok());
  const std::string other = w.NewCase("camden", SamplePerson("Kemi", "Bello", "1992-01-01"));

  Result<replay::SubjectAccessReport> r =
      replay::BuildSubjectAccessReport(*w.ledger, {DependantSubject(id, 1)}, Decrypted());
  REQUIRE(r.ok());
  REQUIRE(r->cases.size() == 1);
  const replay::SarCase& c = r->cases[0];
  CHECK(c.case_id == id);
  const std::string j = replay::SarJson(*r);
  CHECK(j.find("Tobi Okafor") != std::string::npos);
  CHECK(j.find("Amina") == std::string::npos);   // the applicant is another person
  CHECK(j.find("Kemi") == std::string::npos);    // another case entirely
  // The applicant's assessment: neither its answers nor what it found.
  CHECK(j.find("rent arrears since May") == std::string::npos);
  CHECK(j.find("can_meet_living_needs") == std::string::npos);
  CHECK(j.find("Destitute") == std::string::npos);
  CHECK(j.find("assessment[AS1]") == std::string::npos);
  // His own: that it was made, of him, under which rules; what it found and
  // the household's answers are the applicant's.
  CHECK(j.find("assessment[AS2].kind") != std::string::npos);
  CHECK(j.find("assessment[AS2].sealed") == std::string::npos);
  CHECK(j.find("nursery asked") == std::string::npos);
  const json report = json::parse(j);
  const json& reads = report["cases"][0]["accessed_by"];
  REQUIRE(reads.size() == 2);
  CHECK(reads[0]["by"]["user"] == "camden-cw2");
  CHECK(reads[0]["read"] == json::array({"summary", "people"}));
  CHECK(reads[1]["by"]["organisation"] == "home-office");
  // Every cited record is in the report's checkpoint.
  auto note = ledger::ParseSignedNote(r->checkpoint);
  REQUIRE(note.ok());
  auto cp = ledger::ParseCheckpointBody(note->body);
  REQUIRE(cp.ok());
  REQUIRE(r->evidence.size() == c.history.entries.size());
  for (const replay::SarEvidence& e : r->evidence) {
    CHECK(ledger::VerifyInclusion(e.position, r->tree_size, ledger::LeafHash(e.record), e.proof, cp->root).ok());
  }
  const std::string html = replay::SarHtml(*r);
  CHECK(html.find("Tobi Okafor") != std::string::npos);
  CHECK(html.find("Amina") == std::string::npos);
  CHECK(html.find("camden-cw2") != std::string::npos);

  // The applicant's report has her own details and the advice she was given.
  Result<replay::SubjectAccessReport> a = replay::BuildSubjectAccessReport(*w.ledger, {ApplicantSubject(id)}, Decrypted());
  REQUIRE(a.ok());
  const std::string aj = replay::SarJson(*a);
  CHECK(aj.find("Amina Okafor") != std::string::npos);
  CHECK(aj.find("Tobi") == std::string::npos);
  CHECK(aj.find("case.person_advised") != std::string::npos);
  CHECK(aj.find("case.assessment_recorded") != std::string::npos);
  CHECK(aj.find("rent arrears since May") != std::string::npos);
  CHECK(aj.find("assessment[AS1].sealed.can_meet_living_needs") != std::string::npos);
  CHECK(aj.find("Destitute") != std::string::npos);
  CHECK(aj.find("nursery asked") != std::string::npos);  // the household's answers about her son

  // Not decrypted: the same report, sealed.
  replay::SarOptions sealed = Decrypted();
  sealed.decrypt = false;
  Result<replay::SubjectAccessReport> s = replay::BuildSubjectAccessReport(*w.ledger, {ApplicantSubject(id)}, sealed);
  REQUIRE(s.ok());
  CHECK(replay::SarJson(*s).find("Amina") == std::string::npos);
  CHECK(replay::SarJson(*s).find("[sealed]") != std::string::npos);

  CHECK(replay::BuildSubjectAccessReport(*w.ledger, {"case-999/applicant"}, Decrypted()).status().code() == Code::kNotFound);
  CHECK(replay::BuildSubjectAccessReport(*w.ledger, {"user-camden-cw1"}, Decrypted()).status().code() ==
        Code::kInvalidArgument);
  (void)other;
}

TEST_CASE("a removed duplicate is erased: timeline, export and report show it, no file holds it, proofs hold", "[sar][erasure]") {
  World w;
  const std::string keep = w.NewCase("camden");
  const std::string name_given = "Zanele", name_family = "Mbeki-Oyelaran", dob = "1979-11-23", passport = "Q98765432";
  Person p = SamplePerson(name_given, name_family, dob);
  p.documents = {{fb::DocumentType::Passport, passport}};
  p.home_office_reference = "Z7654321";
  const auto lookup = w.Do("camden-cw1", RtpfLookup{fb::DocumentType::Passport, passport, dob}).lookup_id;
  CreateCase dup_case = MinimalCase(p);
  dup_case.rtpf_lookup_id = lookup;
  const std::string dup = w.Do("camden-cw1", dup_case).case_id;
  w.Do("camden-cw1", RaiseQuery{dup, fb::QueryTopic::StatusUpdate, false, fb::UrgentReason::None,
                                "Zanele asked about her status"});
  AssessChangeOfConditions assessment;
  assessment.case_id = dup;
  assessment.route = fb::PermissionRoute::PrivateLife;
  assessment.has_accommodation = false;
  assessment.accommodation_adequate = assessment.can_meet_living_needs = true;
  assessment.has_accommodation_in_3_months = assessment.accommodation_adequate_in_3_months = true;
  assessment.can_meet_living_needs_in_3_months = true;
  assessment.exceptional_circumstances = false;
  assessment.evidence_complete = true;
  assessment.note = "sleeps on a friend's sofa";
  w.Do("camden-cw1", assessment);
  REQUIRE(w.service->ReadCaseRecorded("camden-cw1", dup, {"summary"}).ok());
  const std::uint64_t size_before = w.ledger->Size();
  const ledger::Hash root_before = *w.ledger->RootAt(size_before);

  // Readable before: the timeline and the report name her.
  Result<replay::CaseHistory> before = replay::ReadCaseHistory(*w.ledger, dup);
  REQUIRE(before.ok());
  const replay::Fields fields_before = replay::FlattenCase(before->state);
  CHECK(std::find(fields_before.begin(), fields_before.end(),
                  std::pair<std::string, std::string>{"applicant.name", name_given + " " + name_family}) !=
        fields_before.end());
  CHECK(std::find(fields_before.begin(), fields_before.end(),
                  std::pair<std::string, std::string>{"assessment[AS1].sealed.note", "sleeps on a friend's sofa"}) !=
        fields_before.end());

  w.Do("camden-cw1", FlagDuplicate{dup, keep});
  w.Do("ns-admin", RemoveDuplicate{dup});
  CHECK(*w.ledger->IsShredded(ApplicantSubject(dup)));
  CHECK(*w.ledger->IsShredded(RtpfSubject(lookup)));

  // The timeline: every event is still there, with its sealed data erased.
  Result<replay::CaseHistory> h = replay::ReadCaseHistory(*w.ledger, dup);
  REQUIRE(h.ok());
  REQUIRE(h->entries.size() >= before->entries.size() + 2);
  CHECK(h->entries[0].type == "case.created");
  CHECK(h->entries[0].erased == std::vector<std::string>{ApplicantSubject(dup)});
  const std::string timeline_text = [&] {
    std::string t;
    for (const auto& e : h->entries) {
      for (const auto& c : e.changes) t += c.field + "=" + c.before + ">" + c.after + "\n";
    }
    for (const auto& [k, v] : replay::FlattenCase(h->state)) t += k + "=" + v + "\n";
    return t;
  }();
  CHECK(timeline_text.find(name_family) == std::string::npos);
  CHECK(timeline_text.find("applicant.details=[erased]") != std::string::npos);
  CHECK(timeline_text.find("sofa") == std::string::npos);
  CHECK(timeline_text.find("assessment[AS1].sealed=[erased]") != std::string::npos);
  CHECK(timeline_text.find("assessment[AS1].rule_version=change-of-conditions/4.0") != std::string::npos);
  CHECK(timeline_text.find("removed_as_duplicate=") != std::string::npos);

  // The export still verifies: erasure changed no hashed byte.
  replay::ExportSelection sel;
  sel.kind = replay::ExportSelection::Kind::kCase;
  sel.id = dup;
  Result<std::string> bundle = replay::ExportBundle(*w.ledger, sel);
  REQUIRE(bundle.ok());
  replay::BundleCheck check = replay::VerifyBundle(*bundle);
  INFO(check.reason);
  CHECK(check.ok);
  CHECK(bundle->find(name_family) == std::string::npos);

  // The report says erased and discloses nothing.
  Result<replay::SubjectAccessReport> r = replay::BuildSubjectAccessReport(*w.ledger, {ApplicantSubject(dup)}, Decrypted());
  REQUIRE(r.ok());
  const std::string j = replay::SarJson(*r);
  CHECK(j.find(name_family) == std::string::npos);
  CHECK(j.find(passport) == std::string::npos);
  CHECK(j.find("[erased]") != std::string::npos);
  REQUIRE(r->lookups.size() == 1);
  CHECK(r->lookups[0].erased == std::vector<std::string>{RtpfSubject(lookup)});

  // No file of the database holds her name, date of birth or document
  // number: they were only ever stored sealed, and their keys are gone.
  w.service.reset();
  w.ledger.reset();
  const std::string db = w.dir.Sub("ledger");
  for (const std::string& plaintext : {name_family, name_given, passport, std::string("Z7654321"),
                                       std::string("Zanele asked about her status"),
                                       std::string("sleeps on a friend's sofa")}) {
    INFO(plaintext);
    CHECK_FALSE(AnyFileHolds(db, plaintext));
  }
  // Every proof and signature still verifies, from the same root.
  auto reopened = OpenOrDie(OptionsIn(w.dir, &w.clock));
  CHECK(reopened->Verify({}).ok);
  CHECK(*reopened->RootAt(size_before) == root_before);
}

}  // namespace
}  // namespace nrpf::test
