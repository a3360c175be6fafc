// Encoding of event bodies and personal-data sections for decide(). Internal
// to domain/.

#ifndef NRPF_DOMAIN_EVENT_BUILDER_H_
#define NRPF_DOMAIN_EVENT_BUILDER_H_

#include <string>
#include <string_view>
#include <vector>

#include "domain/model.h"
#include "ledger/ledger.h"

namespace nrpf::domain {

// Starts an event on `stream` of `type` whose body `fbb` has finished.
ledger::NewEvent FinishEvent(std::string stream, std::string_view type,
                             flatbuffers::FlatBufferBuilder& fbb);

// Sealed-section plaintexts.
std::string EncodePerson(const Person& person);
std::string EncodeStaff(const std::string& name, const std::string& email);
std::string EncodeNote(const std::string& text);

// Adds a sealed section to `event` (its subject is named by the ledger).
void AddSection(ledger::NewEvent& event, std::string subject, std::string_view label,
                std::string plaintext);

// The strings of `values`, created in `fbb`, for a generated Create*Direct().
std::vector<flatbuffers::Offset<flatbuffers::String>> StringOffsets(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<std::string>& values);

}  // namespace nrpf::domain

#endif  // NRPF_DOMAIN_EVENT_BUILDER_H_
