// The API schema (schema/api.fbs) at run time: its binary form embedded in
// the program, FlatBuffers' JSON support loaded with it, and the names of
// operations. HTTP bodies and the CLI's --json output are made and read
// here, so JSON and binary frames are one model.
//
// Thread-safety: every function is safe from any thread (each thread gets a
// parser of its own on first use).

#ifndef NRPF_SERVER_API_CODEC_H_
#define NRPF_SERVER_API_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flatbuffers/reflection.h"
#include "ledger/status.h"
#include "schema/api_generated.h"

namespace nrpf::api {

// The reflection schema of api.fbs (it includes nrpf_events.fbs).
const reflection::Schema& Schema();

// Fully qualified name of a table, e.g. "nrpf.api.fb.CreateCase".
std::string QualifiedName(std::string_view table);

// Operation names in URLs and on the command line: the union member in
// snake_case, e.g. Op::CreateCase <-> "create_case".
std::string_view OpName(fb::Op op);
std::optional<fb::Op> OpByName(std::string_view name);
// The table an operation's body is, e.g. "CreateCase".
std::string_view OpTable(fb::Op op);
// Operations that change nothing and may be sent with HTTP GET.
bool IsReadOnly(fb::Op op);
bool IsSubscription(fb::Op op);

// Parses `json` as table `table` (unqualified name). Returns the finished
// buffer (root = that table). kInvalidArgument/invalid_json with the
// parser's message when the text is not JSON of that table (unknown fields
// are refused).
Result<std::string> JsonToTable(std::string_view table, std::string_view json);

// The same, finished with a size prefix: a whole binary frame when `table`
// is "Request" (clients build their frames this way).
Result<std::string> JsonToFrame(std::string_view table, std::string_view json);

// Strict JSON (quoted names, defaults written out, one line) of `table`, a
// table of type `table_name` (unqualified or qualified). kInvalidArgument
// /not_json_encodable when a string in it is not UTF-8.
Result<std::string> TableToJson(const void* table, std::string_view table_name);

// `text` as the inside of a JSON string (quotes, backslashes and control
// characters escaped).
std::string JsonEscape(std::string_view text);

// True when `text` is UTF-8: shortest forms, no surrogates, at most U+10FFFF.
bool IsUtf8(std::string_view text);

// A string field's text; "" when it is absent.
inline std::string Str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

// True when every string reachable from `table` (of `object`) is valid UTF-8.
bool StringsAreUtf8(const flatbuffers::Table* table, const reflection::Object& object);
// invalid_argument/<field>_invalid naming every string, table or list of
// `table` (of `object`) marked required_value in schema/api.fbs that is
// left out, or given as an empty string (the request names no target or
// lacks its substance), in schema order, the first as its reason. Enums are
// the domain's to check, after permissions.
Status CheckRequired(const flatbuffers::Table* table, const reflection::Object& object);
// The reflection object of a table by unqualified or qualified name.
const reflection::Object* FindObject(std::string_view table);

}  // namespace nrpf::api

#endif  // NRPF_SERVER_API_CODEC_H_
