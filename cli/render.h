// Readable text of a Response frame, for people: fields as "name  value"
// lines, nested tables indented under their name, lists of tables as
// aligned columns. Empty texts, empty lists and absent tables are left out.
// Names come from schema/api.fbs, so every operation renders without code
// of its own.

#ifndef NRPF_CLI_RENDER_H_
#define NRPF_CLI_RENDER_H_

#include <string>

#include "schema/api_generated.h"

namespace nrpf::cli {

// The body of `response` as text (the error, when it carries one).
std::string RenderText(const api::fb::Response& response);

}  // namespace nrpf::cli

#endif  // NRPF_CLI_RENDER_H_
