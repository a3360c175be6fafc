#include "cli/request_json.h"

#include <map>
#include <memory>

#include "server/api_codec.h"

namespace nrpf::cli {

namespace {

const reflection::Object& ObjectAt(int index) {
  return *api::Schema().objects()->Get(static_cast<flatbuffers::uoffset_t>(index));
}

const reflection::Enum* EnumAt(int index) {
  return index < 0 ? nullptr : api::Schema().enums()->Get(static_cast<flatbuffers::uoffset_t>(index));
}

// A JSON value under construction.
struct Node {
  std::string leaf;                                // rendered scalar, when set
  std::map<std::string, std::unique_ptr<Node>> fields;  // objects
  std::map<std::size_t, std::unique_ptr<Node>> items;   // arrays
  bool array = false;

  std::string Render() const {
    if (!leaf.empty()) return leaf;
    std::string out;
    if (array) {
      out = "[";
      for (const auto& [i, n] : items) out += (out.size() > 1 ? "," : "") + n->Render();
      return out + "]";
    }
    out = "{";
    for (const auto& [k, n] : fields) out += (out.size() > 1 ? ",\"" : "\"") + k + "\":" + n->Render();
    return out + "}";
  }
};

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool IsIndex(const std::string& s) {
  if (s.empty() || s.size() > 4) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status Bad(const std::string& word, const std::string& why) {
  return Status::InvalidArgument(word + ": " + why).WithReason("usage");
}

// The rendered JSON of `value` for a scalar field of type `base`, enum `e`.
Result<std::string> Scalar(const std::string& word, reflection::BaseType base, const reflection::Enum* e,
                           const std::string& value) {
  if (base == reflection::String) return "\"" + api::JsonEscape(value) + "\"";
  if (base == reflection::Bool) {
    if (value != "true" && value != "false") return Bad(word, "must be true or false");
    return value;
  }
  if (e != nullptr) {
    for (const reflection::EnumVal* v : *e->values()) {
      if (v->name()->string_view() == value) return "\"" + value + "\"";
    }
    std::string names;
    for (const reflection::EnumVal* v : *e->values()) names += (names.empty() ? "" : ", ") + v->name()->str();
    return Bad(word, "must be one of " + names);
  }
  if (value.empty() || value.find_first_not_of("-+0123456789.eE") != std::string::npos) {
    return Bad(word, "must be a number");
  }
  return value;
}

std::string ShortName(const reflection::Object& o) {
  const std::string name = o.name()->str();
  return name.substr(name.rfind('.') + 1);
}

std::string TypeName(const reflection::Type& t) {
  switch (t.base_type()) {
    case reflection::String: return "text";
    case reflection::Bool: return "true|false";
    case reflection::Obj: return ShortName(ObjectAt(t.index()));
    case reflection::Vector:
      if (t.element() == reflection::Obj) return "list of " + ShortName(ObjectAt(t.index()));
      if (t.element() == reflection::String) return "list of text";
      return "list of numbers";
    case reflection::Union: return "union";
    default: {
      const reflection::Enum* e = EnumAt(t.index());
      if (e == nullptr) return "number";
      std::string names;
      for (const reflection::EnumVal* v : *e->values()) names += (names.empty() ? "" : "|") + v->name()->str();
      return names;
    }
  }
}

// Marked in schema/api.fbs as a field the operation cannot do without.
bool Required(const reflection::Field& f) {
  return f.attributes() != nullptr && f.attributes()->LookupByKey("required_value") != nullptr;
}

}  // namespace

Result<std::string> AssignmentsToJson(std::string_view table, const std::vector<std::string>& assignments) {
  const reflection::Object* root = api::FindObject(table);
  if (root == nullptr) return Status::InvalidArgument("no table " + std::string(table)).WithReason("usage");
  Node top;
  for (const std::string& word : assignments) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0) return Bad(word, "expected field=value");
    const std::vector<std::string> path = Split(std::string_view(word).substr(0, eq));
    const std::string value = word.substr(eq + 1);
    const reflection::Object* object = root;
    Node* node = &top;
    for (std::size_t i = 0; i < path.size(); ++i) {
      const reflection::Field* field = object->fields()->LookupByKey(path[i].c_str());
      if (field == nullptr) {
        std::string in;  // where it was looked for: the operation, or a field of it
        for (std::size_t j = 0; j < i; ++j) in += (j == 0 ? "" : ".") + path[j];
        return Bad(word, "no field " + path[i] + (in.empty() ? "" : " in " + in) +
                             " (nrpf help <operation> lists the fields)");
      }
      const reflection::Type& type = *field->type();
      const bool last = i + 1 == path.size();
      auto& child = node->fields[path[i]];
      if (!child) child = std::make_unique<Node>();
      if (type.base_type() == reflection::Obj) {
        if (last) return Bad(word, path[i] + " is a table: name one of its fields (" + path[i] + ".<field>=...)");
        object = &ObjectAt(type.index());
        node = child.get();
        continue;
      }
      if (type.base_type() == reflection::Vector) {
        child->array = true;
        if (last || !IsIndex(path[i + 1])) return Bad(word, path[i] + " is a list: index it (" + path[i] + ".0...)");
        const std::size_t index = std::stoul(path[i + 1]);
        if (index > child->items.size()) return Bad(word, "give " + path[i] + "." + std::to_string(child->items.size()) + " first");
        auto& item = child->items[index];
        if (!item) item = std::make_unique<Node>();
        ++i;
        if (type.element() == reflection::Obj) {
          if (i + 1 == path.size()) return Bad(word, "name a field of the list's item");
          object = &ObjectAt(type.index());
          node = item.get();
          continue;
        }
        if (i + 1 != path.size()) return Bad(word, "a list of values has no fields");
        Result<std::string> v = Scalar(word, type.element(), EnumAt(type.index()), value);
        if (!v.ok()) return v.status();
        item->leaf = *v;
        break;
      }
      if (!last) return Bad(word, path[i] + " has no fields");
      if (type.base_type() == reflection::Union || type.base_type() == reflection::UType) {
        return Bad(word, "unions cannot be given this way");
      }
      Result<std::string> v = Scalar(word, type.base_type(), EnumAt(type.index()), value);
      if (!v.ok()) return v.status();
      child->leaf = *v;
    }
  }
  return top.Render();
}

std::string TableSummary(std::string_view table) {
  const reflection::Object* object = api::FindObject(table);
  if (object == nullptr || object->documentation() == nullptr || object->documentation()->size() == 0) return "";
  std::string line = object->documentation()->Get(0)->str();
  while (!line.empty() && line.front() == ' ') line.erase(0, 1);
  return line;
}

std::string DescribeTable(std::string_view table) {
  const reflection::Object* object = api::FindObject(table);
  if (object == nullptr) return "";
  std::string out;
  for (const reflection::Field* f : *object->fields()) {
    if (f->type()->base_type() == reflection::UType) continue;
    out += "  " + f->name()->str() + " = " + TypeName(*f->type()) + (Required(*f) ? "  (required)" : "") + "\n";
    if (f->type()->base_type() == reflection::Obj || (f->type()->base_type() == reflection::Vector &&
                                                      f->type()->element() == reflection::Obj)) {
      const reflection::Object& child = ObjectAt(f->type()->index());
      for (const reflection::Field* g : *child.fields()) {
        if (g->type()->base_type() == reflection::UType) continue;
        out += "      ." + g->name()->str() + " = " + TypeName(*g->type()) + "\n";
      }
    }
  }
  return out;
}

}  // namespace nrpf::cli
