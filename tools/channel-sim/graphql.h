#pragma once
// A small GraphQL reader for the Shopify simulator: executable documents (operations with
// variables, fields with aliases, arguments and directives, all value kinds). Fragments are
// refused: the simulator serves the operations Stockwire uses, not arbitrary clients.
// Projection and cost calculation work on full JSON objects built by the simulator.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sw::channelsim {

struct GqlValue {
  enum class Kind { kNull, kVariable, kInt, kFloat, kString, kBool, kEnum, kList, kObject };
  Kind kind = Kind::kNull;
  std::string text;  // variable name, number text, string, enum name, "true"/"false"
  std::vector<GqlValue> list;
  std::vector<std::pair<std::string, GqlValue>> fields;
};

using GqlArgs = std::vector<std::pair<std::string, GqlValue>>;

struct GqlDirective {
  std::string name;
  GqlArgs args;
};

struct GqlField {
  std::string alias;  // empty if none
  std::string name;
  GqlArgs args;
  std::vector<GqlDirective> directives;
  std::vector<GqlField> selections;
  int line = 1;
  int column = 1;
  const std::string& key() const { return alias.empty() ? name : alias; }
};

struct GqlVariableDef {
  std::string name;
  std::string type;  // as written, e.g. "InventorySetQuantitiesInput!"
  bool has_default = false;
  GqlValue default_value;
};

struct GqlOperation {
  std::string type = "query";  // "query" or "mutation"
  std::string name;
  std::vector<GqlVariableDef> variables;
  std::vector<GqlDirective> directives;
  std::vector<GqlField> selections;
};

struct GqlError {
  std::string message;
  int line = 0;
  int column = 0;
};

// Parses a document; false with *error set (message and location) when it is not valid.
bool parseGraphql(std::string_view source, std::vector<GqlOperation>* out, GqlError* error);

// A value with variables substituted. Integers stay exact (int64/uint64). Unknown variable:
// false with *error set.
bool resolveValue(const GqlValue& v, const nlohmann::json& variables, nlohmann::json* out, std::string* error);
// All arguments of a field as one JSON object.
bool resolveArgs(const GqlArgs& args, const nlohmann::json& variables, nlohmann::json* out, std::string* error);

// Projection of a full object onto a selection set.
//   - every object in `full` carries "__typename";
//   - {"__connection":[items...]} is a connection: first/after/last/before arguments apply,
//     edges/nodes/pageInfo are built (cursors are opaque strings);
//   - {"__choose":"argName","options":{value: object}} picks the option named by an argument;
//   - a list of objects with "name" is filtered by a "names" argument.
// A selected field that the object does not have is an error "Field 'x' doesn't exist on type 'T'".
bool project(const nlohmann::json& full, const std::vector<GqlField>& selections, const nlohmann::json& variables,
             nlohmann::json* out, GqlError* error);

// Requested cost: objects 1, scalars 0, connections 2 + first x (cost of one node).
int64_t requestedCost(const std::vector<GqlField>& selections, const nlohmann::json& variables);
// Actual cost from a projected result: connections count the nodes actually returned.
int64_t actualCost(const std::vector<GqlField>& selections, const nlohmann::json& result, const nlohmann::json& variables);

}  // namespace sw::channelsim
