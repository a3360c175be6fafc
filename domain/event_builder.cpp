#include "domain/event_builder.h"

#include "domain/events.h"

namespace nrpf::domain {

namespace {

std::string Finished(flatbuffers::FlatBufferBuilder& fbb) {
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

}  // namespace

ledger::NewEvent FinishEvent(std::string stream, std::string_view type,
                             flatbuffers::FlatBufferBuilder& fbb) {
  ledger::NewEvent e;
  e.stream_id = std::move(stream);
  e.type = std::string(type);
  e.body = Finished(fbb);
  return e;
}

std::string EncodePerson(const Person& p) {
  flatbuffers::FlatBufferBuilder fbb(256);
  fbb.Finish(CreatePersonDetails(fbb, p));
  return Finished(fbb);
}

std::string EncodeStaff(const std::string& name, const std::string& email) {
  flatbuffers::FlatBufferBuilder fbb(128);
  fbb.Finish(fb::CreateStaffDetailsDirect(fbb, name.c_str(), email.c_str()));
  return Finished(fbb);
}

std::string EncodeNote(const std::string& text) {
  flatbuffers::FlatBufferBuilder fbb(64 + text.size());
  fbb.Finish(fb::CreateNoteDirect(fbb, text.c_str()));
  return Finished(fbb);
}

void AddSection(ledger::NewEvent& event, std::string subject, std::string_view label,
                std::string plaintext) {
  ledger::PersonalSection s;
  s.subject_id = std::move(subject);
  s.label = std::string(label);
  s.plaintext = std::move(plaintext);
  event.personal.push_back(std::move(s));
}

std::vector<flatbuffers::Offset<flatbuffers::String>> StringOffsets(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<std::string>& values) {
  std::vector<flatbuffers::Offset<flatbuffers::String>> out;
  out.reserve(values.size());
  for (const std::string& v : values) out.push_back(fbb.CreateString(v));
  return out;
}

}  // namespace nrpf::domain
