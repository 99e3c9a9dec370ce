#include "graphql.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace sw::channelsim {

using nlohmann::json;

namespace {

constexpr int kMaxDepth = 64;

enum class Tok { kEnd, kPunct, kName, kInt, kFloat, kString, kBad };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  int line = 1;
  int column = 1;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") advance(3);
  }

  Token next() {
    skipIgnored();
    Token t;
    t.line = line_;
    t.column = col_;
    if (pos_ >= s_.size()) return t;
    char c = s_[pos_];
    if (c == '.' && s_.substr(pos_, 3) == "...") {
      advance(3);
      t.kind = Tok::kPunct;
      t.text = "...";
      return t;
    }
    if (std::string_view("!$()=:@[]{}|&").find(c) != std::string_view::npos) {
      advance(1);
      t.kind = Tok::kPunct;
      t.text = std::string(1, c);
      return t;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t b = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) advance(1);
      t.kind = Tok::kName;
      t.text = std::string(s_.substr(b, pos_ - b));
      return t;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number(t);
    if (c == '"') return str(t);
    t.kind = Tok::kBad;
    t.text = std::string(1, c);
    return t;
  }

 private:
  void advance(size_t n) {
    for (size_t i = 0; i < n && pos_ < s_.size(); ++i) {
      if (s_[pos_] == '\n') {
        ++line_;
        col_ = 1;
      } else {
        ++col_;
      }
      ++pos_;
    }
  }
  void skipIgnored() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
        advance(1);
      } else if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') advance(1);
      } else {
        break;
      }
    }
  }
  Token number(Token t) {
    size_t b = pos_;
    if (s_[pos_] == '-') advance(1);
    if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      t.kind = Tok::kBad;
      t.text = "-";
      return t;
    }
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) advance(1);
    bool is_float = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      is_float = true;
      advance(1);
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) advance(1);
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      is_float = true;
      advance(1);
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) advance(1);
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) advance(1);
    }
    t.kind = is_float ? Tok::kFloat : Tok::kInt;
    t.text = std::string(s_.substr(b, pos_ - b));
    return t;
  }
  Token str(Token t) {
    if (s_.substr(pos_, 3) == "\"\"\"") {
      advance(3);
      std::string out;
      while (pos_ < s_.size() && s_.substr(pos_, 3) != "\"\"\"") {
        if (s_.substr(pos_, 4) == "\\\"\"\"") {
          out += "\"\"\"";
          advance(4);
          continue;
        }
        out.push_back(s_[pos_]);
        advance(1);
      }
      if (pos_ >= s_.size()) {
        t.kind = Tok::kBad;
        t.text = "unterminated block string";
        return t;
      }
      advance(3);
      t.kind = Tok::kString;
      t.text = out;
      return t;
    }
    advance(1);
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_];
      if (c == '\n' || c == '\r') break;
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) break;
        char e = s_[pos_ + 1];
        advance(2);
        switch (e) {
          case '"': out.push_back('"'); break;
          case '\\': out.push_back('\\'); break;
          case '/': out.push_back('/'); break;
          case 'b': out.push_back('\b'); break;
          case 'f': out.push_back('\f'); break;
          case 'n': out.push_back('\n'); break;
          case 'r': out.push_back('\r'); break;
          case 't': out.push_back('\t'); break;
          case 'u': {
            if (pos_ + 4 > s_.size()) {
              t.kind = Tok::kBad;
              t.text = "bad unicode escape";
              return t;
            }
            unsigned cp = 0;
            auto [p, ec] = std::from_chars(s_.data() + pos_, s_.data() + pos_ + 4, cp, 16);
            if (ec != std::errc() || p != s_.data() + pos_ + 4) {
              t.kind = Tok::kBad;
              t.text = "bad unicode escape";
              return t;
            }
            advance(4);
            if (cp < 0x80) {
              out.push_back(static_cast<char>(cp));
            } else if (cp < 0x800) {
              out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
              out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
            } else {
              out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
              out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
              out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
            }
            break;
          }
          default:
            t.kind = Tok::kBad;
            t.text = std::string("bad escape \\") + e;
            return t;
        }
        continue;
      }
      out.push_back(c);
      advance(1);
    }
    if (pos_ >= s_.size() || s_[pos_] != '"') {
      t.kind = Tok::kBad;
      t.text = "unterminated string";
      return t;
    }
    advance(1);
    t.kind = Tok::kString;
    t.text = out;
    return t;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

class Parser {
 public:
  explicit Parser(std::string_view s) : lex_(s) { cur_ = lex_.next(); }

  bool document(std::vector<GqlOperation>* out, GqlError* err) {
    err_ = err;
    if (cur_.kind == Tok::kEnd) return fail("Unexpected end of document");
    while (cur_.kind != Tok::kEnd) {
      GqlOperation op;
      if (!operation(&op)) return false;
      out->push_back(std::move(op));
    }
    return true;
  }

 private:
  bool fail(const std::string& msg) {
    if (err_ && err_->message.empty()) {
      err_->message = msg;
      err_->line = cur_.line;
      err_->column = cur_.column;
    }
    return false;
  }
  bool unexpected() {
    if (cur_.kind == Tok::kBad) return fail("Parse error: " + cur_.text);
    if (cur_.kind == Tok::kEnd) return fail("Unexpected end of document");
    return fail("Parse error on \"" + cur_.text + "\"");
  }
  bool isPunct(const char* p) const { return cur_.kind == Tok::kPunct && cur_.text == p; }
  bool expect(const char* p) {
    if (!isPunct(p)) return unexpected();
    cur_ = lex_.next();
    return true;
  }
  bool name(std::string* out) {
    if (cur_.kind != Tok::kName) return unexpected();
    *out = cur_.text;
    cur_ = lex_.next();
    return true;
  }

  bool operation(GqlOperation* op) {
    if (isPunct("{")) return selectionSet(&op->selections, 0);
    if (cur_.kind != Tok::kName) return unexpected();
    if (cur_.text == "fragment") return fail("Fragments are not supported by this simulator");
    if (cur_.text == "subscription") return fail("Subscriptions are not supported");
    if (cur_.text != "query" && cur_.text != "mutation") return unexpected();
    op->type = cur_.text;
    cur_ = lex_.next();
    if (cur_.kind == Tok::kName) {
      op->name = cur_.text;
      cur_ = lex_.next();
    }
    if (isPunct("(")) {
      cur_ = lex_.next();
      while (!isPunct(")")) {
        GqlVariableDef v;
        if (!expect("$") || !name(&v.name) || !expect(":") || !type(&v.type)) return false;
        if (isPunct("=")) {
          cur_ = lex_.next();
          v.has_default = true;
          if (!value(&v.default_value, true, 0)) return false;
        }
        if (cur_.kind == Tok::kEnd) return unexpected();
        op->variables.push_back(std::move(v));
      }
      cur_ = lex_.next();
    }
    if (!directives(&op->directives)) return false;
    return selectionSet(&op->selections, 0);
  }

  bool type(std::string* out) {
    if (isPunct("[")) {
      cur_ = lex_.next();
      std::string inner;
      if (!type(&inner) || !expect("]")) return false;
      *out = "[" + inner + "]";
    } else if (!name(out)) {
      return false;
    }
    if (isPunct("!")) {
      cur_ = lex_.next();
      *out += "!";
    }
    return true;
  }

  bool directives(std::vector<GqlDirective>* out) {
    while (isPunct("@")) {
      cur_ = lex_.next();
      GqlDirective d;
      if (!name(&d.name)) return false;
      if (isPunct("(") && !arguments(&d.args)) return false;
      out->push_back(std::move(d));
    }
    return true;
  }

  bool arguments(GqlArgs* out) {
    if (!expect("(")) return false;
    if (isPunct(")")) return fail("Parse error on \")\": empty argument list");
    while (!isPunct(")")) {
      std::string n;
      GqlValue v;
      if (!name(&n) || !expect(":") || !value(&v, false, 0)) return false;
      out->emplace_back(std::move(n), std::move(v));
      if (cur_.kind == Tok::kEnd) return unexpected();
    }
    cur_ = lex_.next();
    return true;
  }

  bool selectionSet(std::vector<GqlField>* out, int depth) {
    if (depth > kMaxDepth) return fail("Query is nested too deeply");
    if (!expect("{")) return false;
    if (isPunct("}")) return fail("Parse error on \"}\": empty selection set");
    while (!isPunct("}")) {
      if (isPunct("...")) return fail("Fragments are not supported by this simulator");
      GqlField f;
      f.line = cur_.line;
      f.column = cur_.column;
      std::string first;
      if (!name(&first)) return false;
      if (isPunct(":")) {
        cur_ = lex_.next();
        f.alias = first;
        if (!name(&f.name)) return false;
      } else {
        f.name = first;
      }
      if (isPunct("(") && !arguments(&f.args)) return false;
      if (!directives(&f.directives)) return false;
      if (isPunct("{") && !selectionSet(&f.selections, depth + 1)) return false;
      out->push_back(std::move(f));
      if (cur_.kind == Tok::kEnd) return unexpected();
    }
    cur_ = lex_.next();
    return true;
  }

  bool value(GqlValue* v, bool is_const, int depth) {
    if (depth > kMaxDepth) return fail("Value is nested too deeply");
    switch (cur_.kind) {
      case Tok::kInt:
        v->kind = GqlValue::Kind::kInt;
        v->text = cur_.text;
        cur_ = lex_.next();
        return true;
      case Tok::kFloat:
        v->kind = GqlValue::Kind::kFloat;
        v->text = cur_.text;
        cur_ = lex_.next();
        return true;
      case Tok::kString:
        v->kind = GqlValue::Kind::kString;
        v->text = cur_.text;
        cur_ = lex_.next();
        return true;
      case Tok::kName:
        if (cur_.text == "true" || cur_.text == "false") {
          v->kind = GqlValue::Kind::kBool;
        } else if (cur_.text == "null") {
          v->kind = GqlValue::Kind::kNull;
        } else {
          v->kind = GqlValue::Kind::kEnum;
        }
        v->text = cur_.text;
        cur_ = lex_.next();
        return true;
      case Tok::kPunct:
        if (cur_.text == "$") {
          if (is_const) return fail("Variables are not allowed here");
          cur_ = lex_.next();
          v->kind = GqlValue::Kind::kVariable;
          return name(&v->text);
        }
        if (cur_.text == "[") {
          cur_ = lex_.next();
          v->kind = GqlValue::Kind::kList;
          while (!isPunct("]")) {
            GqlValue item;
            if (!value(&item, is_const, depth + 1)) return false;
            v->list.push_back(std::move(item));
            if (cur_.kind == Tok::kEnd) return unexpected();
          }
          cur_ = lex_.next();
          return true;
        }
        if (cur_.text == "{") {
          cur_ = lex_.next();
          v->kind = GqlValue::Kind::kObject;
          while (!isPunct("}")) {
            std::string n;
            GqlValue item;
            if (!name(&n) || !expect(":") || !value(&item, is_const, depth + 1)) return false;
            v->fields.emplace_back(std::move(n), std::move(item));
            if (cur_.kind == Tok::kEnd) return unexpected();
          }
          cur_ = lex_.next();
          return true;
        }
        return unexpected();
      default:
        return unexpected();
    }
  }

  Lexer lex_;
  Token cur_;
  GqlError* err_ = nullptr;
};

json intJson(const std::string& text) {
  if (!text.empty() && text[0] == '-') {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && p == text.data() + text.size()) return v;
  } else {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && p == text.data() + text.size()) return v;
  }
  return nullptr;
}

bool skipped(const GqlField& f, const json& variables) {
  for (const GqlDirective& d : f.directives) {
    if (d.name != "skip" && d.name != "include") continue;
    json args;
    std::string err;
    if (!resolveArgs(d.args, variables, &args, &err)) continue;
    bool cond = args.contains("if") && args["if"].is_boolean() && args["if"].get<bool>();
    if (d.name == "skip" && cond) return true;
    if (d.name == "include" && !cond) return true;
  }
  return false;
}

int64_t argInt(const GqlField& f, const char* name, const json& variables, int64_t fallback) {
  for (const auto& [n, v] : f.args) {
    if (n != name) continue;
    json j;
    std::string err;
    if (resolveValue(v, variables, &j, &err) && j.is_number_integer()) return j.get<int64_t>();
  }
  return fallback;
}

bool isConnectionField(const GqlField& f) {
  for (const auto& [n, v] : f.args) {
    if (n == "first" || n == "last") return true;
  }
  return false;
}

int64_t nodeCost(const GqlField& connection, const json& variables,
                 int64_t (*cost)(const std::vector<GqlField>&, const json&)) {
  int64_t per = 0;
  for (const GqlField& c : connection.selections) {
    if (c.name == "nodes") per = std::max(per, 1 + cost(c.selections, variables));
    if (c.name == "edges") {
      for (const GqlField& e : c.selections) {
        if (e.name == "node") per = std::max(per, 1 + cost(e.selections, variables));
      }
    }
  }
  return per;
}

}  // namespace

bool parseGraphql(std::string_view source, std::vector<GqlOperation>* out, GqlError* error) {
  Parser p(source);
  return p.document(out, error);
}

bool resolveValue(const GqlValue& v, const json& variables, json* out, std::string* error) {
  switch (v.kind) {
    case GqlValue::Kind::kNull:
      *out = nullptr;
      return true;
    case GqlValue::Kind::kVariable:
      if (!variables.is_object() || !variables.contains(v.text)) {
        *out = nullptr;
        return true;  // an unset nullable variable reads as null; required ones are checked up front
      }
      *out = variables.at(v.text);
      return true;
    case GqlValue::Kind::kInt:
      *out = intJson(v.text);
      if (out->is_null()) {
        *error = "Int out of range: " + v.text;
        return false;
      }
      return true;
    case GqlValue::Kind::kFloat:
      *out = std::strtod(v.text.c_str(), nullptr);
      return true;
    case GqlValue::Kind::kString:
    case GqlValue::Kind::kEnum:
      *out = v.text;
      return true;
    case GqlValue::Kind::kBool:
      *out = v.text == "true";
      return true;
    case GqlValue::Kind::kList: {
      json a = json::array();
      for (const GqlValue& item : v.list) {
        json j;
        if (!resolveValue(item, variables, &j, error)) return false;
        a.push_back(std::move(j));
      }
      *out = std::move(a);
      return true;
    }
    case GqlValue::Kind::kObject: {
      json o = json::object();
      for (const auto& [n, item] : v.fields) {
        json j;
        if (!resolveValue(item, variables, &j, error)) return false;
        o[n] = std::move(j);
      }
      *out = std::move(o);
      return true;
    }
  }
  return false;
}

bool resolveArgs(const GqlArgs& args, const json& variables, json* out, std::string* error) {
  *out = json::object();
  for (const auto& [n, v] : args) {
    json j;
    if (!resolveValue(v, variables, &j, error)) return false;
    (*out)[n] = std::move(j);
  }
  return true;
}

namespace {

bool projectValue(const json& v, const GqlField& f, const json& variables, json* out, GqlError* error,
                  const std::string& parent_type);

bool buildConnection(const json& items, const GqlField& f, const json& args, json* out, GqlError* error) {
  int64_t n = static_cast<int64_t>(items.size());
  int64_t begin = 0;
  int64_t end = n;
  auto cursorIndex = [](const json& c) -> int64_t {
    if (!c.is_string()) return -2;
    const std::string& s = c.get_ref<const std::string&>();
    if (s.size() < 2 || s[0] != 'c') return -2;
    int64_t v = -1;
    auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() ? v : -2;
  };
  if (args.contains("after") && !args["after"].is_null()) {
    int64_t i = cursorIndex(args["after"]);
    if (i < -1) {
      error->message = "Invalid cursor for current pagination sort.";
      error->line = f.line;
      error->column = f.column;
      return false;
    }
    begin = std::max<int64_t>(begin, i + 1);
  }
  if (args.contains("before") && !args["before"].is_null()) {
    int64_t i = cursorIndex(args["before"]);
    if (i < 0) {
      error->message = "Invalid cursor for current pagination sort.";
      return false;
    }
    end = std::min(end, i);
  }
  bool has_first = args.contains("first") && args["first"].is_number_integer();
  bool has_last = args.contains("last") && args["last"].is_number_integer();
  if (!has_first && !has_last) {
    error->message = "you must provide one of first or last";
    error->line = f.line;
    error->column = f.column;
    return false;
  }
  int64_t first = has_first ? args["first"].get<int64_t>() : 0;
  int64_t last = has_last ? args["last"].get<int64_t>() : 0;
  if (first > 250 || last > 250 || first < 0 || last < 0) {
    error->message = "The first and last arguments must be between 0 and 250";
    error->line = f.line;
    error->column = f.column;
    return false;
  }
  begin = std::min(begin, n);
  end = std::max(begin, end);
  if (has_first) end = std::min(end, begin + first);
  if (has_last) begin = std::max(begin, end - last);
  json edges = json::array();
  json nodes = json::array();
  for (int64_t i = begin; i < end; ++i) {
    edges.push_back({{"__typename", "Edge"}, {"cursor", "c" + std::to_string(i)}, {"node", items[static_cast<size_t>(i)]}});
    nodes.push_back(items[static_cast<size_t>(i)]);
  }
  json page = {{"__typename", "PageInfo"},
               {"hasNextPage", end < n},
               {"hasPreviousPage", begin > 0},
               {"startCursor", begin < end ? json("c" + std::to_string(begin)) : json(nullptr)},
               {"endCursor", begin < end ? json("c" + std::to_string(end - 1)) : json(nullptr)}};
  *out = {{"__typename", "Connection"}, {"edges", edges}, {"nodes", nodes}, {"pageInfo", page}};
  return true;
}

bool projectObject(const json& full, const std::vector<GqlField>& selections, const json& variables, json* out,
                   GqlError* error) {
  *out = json::object();
  std::string type = full.contains("__typename") && full["__typename"].is_string() ? full["__typename"].get<std::string>() : "Object";
  for (const GqlField& f : selections) {
    if (skipped(f, variables)) continue;
    if (f.name == "__typename") {
      (*out)[f.key()] = type;
      continue;
    }
    if (!full.contains(f.name) || f.name.rfind("__", 0) == 0) {
      error->message = "Field '" + f.name + "' doesn't exist on type '" + type + "'";
      error->line = f.line;
      error->column = f.column;
      return false;
    }
    json v;
    if (!projectValue(full.at(f.name), f, variables, &v, error, type)) return false;
    (*out)[f.key()] = std::move(v);
  }
  return true;
}

bool projectValue(const json& raw, const GqlField& f, const json& variables, json* out, GqlError* error,
                  const std::string& parent_type) {
  json args;
  std::string arg_err;
  if (!resolveArgs(f.args, variables, &args, &arg_err)) {
    error->message = arg_err;
    error->line = f.line;
    error->column = f.column;
    return false;
  }
  json v = raw;
  if (v.is_object() && v.contains("__connection")) {
    json conn;
    if (!buildConnection(v["__connection"], f, args, &conn, error)) return false;
    v = std::move(conn);
  } else if (v.is_object() && v.contains("__choose")) {
    std::string arg = v["__choose"].get<std::string>();
    if (!args.contains(arg) || !args[arg].is_string()) {
      error->message = "Field '" + f.name + "' is missing required arguments: " + arg;
      error->line = f.line;
      error->column = f.column;
      return false;
    }
    const json& options = v["options"];
    std::string key = args[arg].get<std::string>();
    v = options.contains(key) ? options[key] : json(nullptr);
  } else if (v.is_array() && args.contains("names") && args["names"].is_array()) {
    std::set<std::string> names;
    for (const json& n : args["names"]) {
      if (n.is_string()) names.insert(n.get<std::string>());
    }
    json filtered = json::array();
    for (const json& item : v) {
      if (item.is_object() && item.contains("name") && item["name"].is_string() && names.count(item["name"].get<std::string>())) {
        filtered.push_back(item);
      }
    }
    v = std::move(filtered);
  }
  if (f.selections.empty()) {
    bool composite = v.is_object() || (v.is_array() && !v.empty() && v[0].is_object());
    if (composite) {
      error->message = "Field must have selections (field '" + f.name + "' on type '" + parent_type + "' returns an object)";
      error->line = f.line;
      error->column = f.column;
      return false;
    }
    *out = std::move(v);
    return true;
  }
  if (v.is_null()) {
    *out = nullptr;
    return true;
  }
  if (v.is_array()) {
    *out = json::array();
    for (const json& item : v) {
      json p;
      if (item.is_null()) {
        out->push_back(nullptr);
        continue;
      }
      if (!item.is_object()) {
        error->message = "Selections can't be made on scalars (field '" + f.name + "')";
        return false;
      }
      if (!projectObject(item, f.selections, variables, &p, error)) return false;
      out->push_back(std::move(p));
    }
    return true;
  }
  if (!v.is_object()) {
    error->message = "Selections can't be made on scalars (field '" + f.name + "' on type '" + parent_type + "')";
    error->line = f.line;
    error->column = f.column;
    return false;
  }
  return projectObject(v, f.selections, variables, out, error);
}

}  // namespace

bool project(const json& full, const std::vector<GqlField>& selections, const json& variables, json* out, GqlError* error) {
  return projectObject(full, selections, variables, out, error);
}

int64_t requestedCost(const std::vector<GqlField>& selections, const json& variables) {
  int64_t total = 0;
  for (const GqlField& f : selections) {
    if (f.selections.empty()) continue;
    if (isConnectionField(f)) {
      int64_t n = std::max(argInt(f, "first", variables, 0), argInt(f, "last", variables, 0));
      total += 2 + n * nodeCost(f, variables, &requestedCost);
    } else {
      total += 1 + requestedCost(f.selections, variables);
    }
  }
  return total;
}

int64_t actualCost(const std::vector<GqlField>& selections, const json& result, const json& variables) {
  int64_t total = 0;
  for (const GqlField& f : selections) {
    if (f.selections.empty()) continue;
    const json* v = result.is_object() && result.contains(f.key()) ? &result.at(f.key()) : nullptr;
    if (!v || v->is_null()) continue;
    if (isConnectionField(f)) {
      int64_t per = nodeCost(f, variables, &requestedCost);
      int64_t n = 0;
      if (v->contains("nodes") && (*v)["nodes"].is_array()) n = static_cast<int64_t>((*v)["nodes"].size());
      if (v->contains("edges") && (*v)["edges"].is_array()) n = std::max(n, static_cast<int64_t>((*v)["edges"].size()));
      total += 2 + n * per;
    } else if (v->is_array()) {
      for (const json& item : *v) total += 1 + actualCost(f.selections, item, variables);
    } else {
      total += 1 + actualCost(f.selections, *v, variables);
    }
  }
  return total;
}

}  // namespace sw::channelsim
