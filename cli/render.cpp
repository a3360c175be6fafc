#include "cli/render.h"

#include <algorithm>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "ledger/coding.h"
#include "server/api_codec.h"

namespace nrpf::cli {

namespace {

using flatbuffers::Table;

const reflection::Schema& S() { return api::Schema(); }
const reflection::Object& ObjectAt(int i) { return *S().objects()->Get(static_cast<flatbuffers::uoffset_t>(i)); }

std::string EnumName(int index, std::int64_t value) {
  if (index < 0) return std::to_string(value);
  for (const reflection::EnumVal* v : *S().enums()->Get(static_cast<flatbuffers::uoffset_t>(index))->values()) {
    if (v->value() == value) return v->name()->str();
  }
  return std::to_string(value);
}

bool IsScalar(reflection::BaseType t) { return t >= reflection::Bool && t <= reflection::Double; }

// A "*_us" field is a time in microseconds since 1970 (UTC): shown as
// "2026-12-04 03:15:02 UTC", and not at all when 0 (not happened).
std::optional<std::string> Time(std::int64_t us) {
  if (us <= 0) return std::nullopt;
  const std::time_t s = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return std::string(buf);
}

bool IsTime(const reflection::Field& f) {
  const std::string_view name = f.name()->string_view();
  return name.size() > 3 && name.substr(name.size() - 3) == "_us" && f.type()->index() < 0;
}

// The text of a scalar or string field; nullopt when it is not one (or is empty).
std::optional<std::string> Cell(const Table& t, const reflection::Field& f) {
  const reflection::Type& type = *f.type();
  const reflection::BaseType base = type.base_type();
  if (base == reflection::String) {
    const flatbuffers::String* s = flatbuffers::GetFieldS(t, f);
    if (s == nullptr || s->size() == 0) return std::nullopt;
    return s->str();
  }
  // An optional scalar left out is absent, never its default.
  if (IsScalar(base) && f.optional() && !t.CheckField(f.offset())) return std::nullopt;
  if (base == reflection::Bool) return flatbuffers::GetFieldI<std::uint8_t>(t, f) ? "yes" : "no";
  if (base == reflection::Float || base == reflection::Double) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.3g", flatbuffers::GetAnyFieldF(t, f));
    return std::string(buf);
  }
  if (IsScalar(base)) {
    const std::int64_t v = flatbuffers::GetAnyFieldI(t, f);
    if (IsTime(f)) return Time(v);
    // A written case is at version 1 or more; 0 is a command on no case.
    if (v == 0 && f.name()->string_view() == "case_version") return std::nullopt;
    return type.index() >= 0 ? EnumName(type.index(), v) : std::to_string(v);
  }
  if (base == reflection::Vector && type.element() == reflection::String) {
    const auto* v = flatbuffers::GetFieldV<flatbuffers::Offset<flatbuffers::String>>(t, f);
    if (v == nullptr || v->size() == 0) return std::nullopt;
    std::string out;
    for (const flatbuffers::String* s : *v) out += (out.empty() ? "" : ", ") + s->str();
    return out;
  }
  if (base == reflection::Vector && type.element() == reflection::UByte) {
    const auto* v = flatbuffers::GetFieldV<std::uint8_t>(t, f);
    if (v == nullptr || v->size() == 0) return std::nullopt;
    if (type.index() >= 0) {  // a list of an enum's values: their names
      std::string out;
      for (const std::uint8_t e : *v) out += (out.empty() ? "" : ", ") + EnumName(type.index(), e);
      return out;
    }
    return ledger::Base64Encode(std::string_view(reinterpret_cast<const char*>(v->data()), v->size()));
  }
  return std::nullopt;
}

void RenderTable(const Table& t, const reflection::Object& o, const std::string& indent, std::string* out);

void RenderList(const flatbuffers::Vector<flatbuffers::Offset<Table>>& items, const reflection::Object& o,
                const std::string& indent, std::string* out) {
  std::vector<const reflection::Field*> columns;
  bool nested = false;
  for (const reflection::Field* f : *o.fields()) {
    const auto base = f->type()->base_type();
    const bool cell = IsScalar(base) || base == reflection::String ||
                      (base == reflection::Vector && f->type()->element() == reflection::String);
    if (cell && base != reflection::UType) columns.push_back(f);
    if (base == reflection::Obj || (base == reflection::Vector && f->type()->element() == reflection::Obj)) {
      nested = true;
    }
  }
  if (nested) {
    // Items that hold tables of their own (a person and their details) are
    // shown one block each.
    for (const Table* item : items) {
      *out += indent + "-\n";
      RenderTable(*item, o, indent + "  ", out);
    }
    return;
  }
  std::sort(columns.begin(), columns.end(), [](auto* a, auto* b) { return a->id() < b->id(); });
  std::vector<std::vector<std::string>> rows;
  rows.emplace_back();
  for (const reflection::Field* f : columns) rows[0].push_back(f->name()->str());
  for (const Table* item : items) {
    rows.emplace_back();
    for (const reflection::Field* f : columns) rows.back().push_back(Cell(*item, *f).value_or(""));
  }
  std::vector<std::size_t> width(columns.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], std::min<std::size_t>(row[c].size(), 60));
  }
  for (const auto& row : rows) {
    std::string line = indent;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string cell = row[c].size() > 60 ? row[c].substr(0, 57) + "..." : row[c];
      line += cell + std::string(width[c] - cell.size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    *out += line + "\n";
  }
}

void RenderTable(const Table& t, const reflection::Object& o, const std::string& indent, std::string* out) {
  std::vector<const reflection::Field*> fields(o.fields()->begin(), o.fields()->end());
  std::sort(fields.begin(), fields.end(), [](auto* a, auto* b) { return a->id() < b->id(); });
  std::size_t name_width = 0;
  for (const reflection::Field* f : fields) name_width = std::max<std::size_t>(name_width, f->name()->size());
  for (const reflection::Field* f : fields) {
    const reflection::Type& type = *f->type();
    const std::string name = f->name()->str();
    if (name == "token") continue;  // a secret: nrpf keeps it in the token file; --json shows it
    if (std::optional<std::string> cell = Cell(t, *f)) {
      *out += indent + name + std::string(name_width - name.size() + 2, ' ') + *cell + "\n";
      continue;
    }
    if (type.base_type() == reflection::Obj) {
      const Table* child = flatbuffers::GetFieldT(t, *f);
      if (child == nullptr) continue;
      *out += indent + name + ":\n";
      RenderTable(*child, ObjectAt(type.index()), indent + "  ", out);
    } else if (type.base_type() == reflection::Vector && type.element() == reflection::Obj) {
      const auto* v = flatbuffers::GetFieldV<flatbuffers::Offset<Table>>(t, *f);
      if (v == nullptr || v->size() == 0) continue;
      *out += indent + name + ":\n";
      RenderList(*v, ObjectAt(type.index()), indent + "  ", out);
    } else if (type.base_type() == reflection::Union) {
      const Table* child = flatbuffers::GetFieldT(t, *f);
      if (child == nullptr) continue;
      RenderTable(*child, flatbuffers::GetUnionType(S(), o, *f, t), indent, out);
    }
  }
}

}  // namespace

std::string RenderText(const api::fb::Response& response) {
  std::string out;
  if (const api::fb::Error* e = response.error()) {
    out = "error: " + std::string(api::fb::EnumNameErrorCode(e->code()));
    if (e->reason() && e->reason()->size()) out += "/" + e->reason()->str();
    if (e->message() && e->message()->size()) out += ": " + e->message()->str();
    if (e->current_version()) out += " (current version " + std::to_string(*e->current_version()) + ")";
    out += "\n";
    // More than one field found wrong: each on its own line, the first too.
    if (e->fields() != nullptr && e->fields()->size() > 1) {
      for (const api::fb::FieldError* f : *e->fields()) out += "  " + api::Str(f->field()) + ": " + api::Str(f->message()) + "\n";
    }
    return out;
  }
  const reflection::Object* o = api::FindObject("Response");
  const reflection::Field* body = o->fields()->LookupByKey("body");
  const auto* table = reinterpret_cast<const Table*>(&response);
  const Table* child = flatbuffers::GetFieldT(*table, *body);
  if (child == nullptr) return out;
  // Done, with nothing to show (a password change, a logout): say so, so
  // that a person at a terminal is not left guessing.
  if (response.body_type() == api::fb::Reply::Ack) return "done\n";
  RenderTable(*child, flatbuffers::GetUnionType(S(), *o, *body, *table), "", &out);
  return out;
}

}  // namespace nrpf::cli
