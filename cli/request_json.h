// The body of a request from command-line words: `field=value` pairs,
// nested with dots (`applicant.given_names=Amina`) and indexed into vectors
// (`dependants.0.family_name=Okafor`, `rules.1.amount=10`), typed by the
// op's table in schema/api.fbs. Strings need no quoting; enums take their
// names (`role=CouncilAdmin`); booleans are true or false.

#ifndef NRPF_CLI_REQUEST_JSON_H_
#define NRPF_CLI_REQUEST_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace nrpf::cli {

// The JSON object of table `table` (unqualified) the assignments describe.
// kInvalidArgument naming the word for an unknown field, a missing '=', an
// index out of order or a value of the wrong form.
Result<std::string> AssignmentsToJson(std::string_view table, const std::vector<std::string>& assignments);

// What an operation's table is for: the first line of its documentation
// in schema/api.fbs ("" when it has none).
std::string TableSummary(std::string_view table);
// One line per field of `table`: name, type and, for enums, the values;
// "(required)" after the fields the operation cannot do without.
std::string DescribeTable(std::string_view table);

}  // namespace nrpf::cli

#endif  // NRPF_CLI_REQUEST_JSON_H_
