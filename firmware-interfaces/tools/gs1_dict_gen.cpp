// Build-time generator: turns the GS1 Barcode Syntax Dictionary and Debian's
// iso-codes lists into a C++ table (see include/sw/fw/gs1_dictionary.h).
//
//   sw_gs1_dict_gen DICTIONARY ISO3166_JSON ISO4217_JSON OUT.cpp
//
// It is strict on purpose: a line it does not understand fails the build, so a
// dictionary update can never be half-read.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

struct Component {
  char cset = 'N';
  int min_len = 0;
  int max_len = 0;
  bool optional = false;
  std::string linters;
};

struct Entry {
  std::string ai;
  bool predefined = false;
  bool dl_attr = false;
  std::vector<Component> components;
  std::vector<std::string> req;
  std::vector<std::string> ex;
  bool dlpkey = false;
  std::string dl_qualifiers;
  std::string title;
};

[[noreturn]] void die(int line_no, const std::string& line, const std::string& why) {
  std::fprintf(stderr, "gs1_dict_gen: line %d: %s\n  %s\n", line_no, why.c_str(), line.c_str());
  std::exit(1);
}

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool isSpecStart(const std::string& tok) {
  return !tok.empty() && (tok[0] == 'N' || tok[0] == 'X' || tok[0] == 'Y' || tok[0] == 'Z' || tok[0] == '[');
}

Component parseComponent(const std::string& tok, int line_no, const std::string& line) {
  Component c;
  std::string t = tok;
  std::string type;
  if (t[0] == '[') {
    size_t close = t.find(']');
    if (close == std::string::npos) die(line_no, line, "unclosed '[' in component " + tok);
    c.optional = true;
    type = t.substr(1, close - 1);
    std::string rest = t.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ',') die(line_no, line, "bad text after ']' in " + tok);
      c.linters = rest.substr(1);
    }
  } else {
    size_t comma = t.find(',');
    type = t.substr(0, comma);
    if (comma != std::string::npos) c.linters = t.substr(comma + 1);
  }
  if (type.size() < 2) die(line_no, line, "bad component " + tok);
  c.cset = type[0];
  if (std::string("NXYZ").find(c.cset) == std::string::npos) die(line_no, line, "unknown character set in " + tok);
  std::string len = type.substr(1);
  if (len.rfind("..", 0) == 0) {
    if (!allDigits(len.substr(2))) die(line_no, line, "bad length in " + tok);
    c.min_len = 1;
    c.max_len = std::stoi(len.substr(2));
  } else {
    if (!allDigits(len)) die(line_no, line, "bad length in " + tok);
    c.min_len = c.max_len = std::stoi(len);
  }
  if (c.max_len < 1 || c.max_len > 99) die(line_no, line, "length out of range in " + tok);
  for (char ch : c.linters) {
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == ',')) {
      die(line_no, line, "bad linter list in " + tok);
    }
  }
  return c;
}

std::vector<Entry> parseDictionary(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "gs1_dict_gen: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::vector<Entry> out;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::string body = line;
    std::string title;
    if (size_t hash = line.find('#'); hash != std::string::npos) {
      body = line.substr(0, hash);
      title = trim(line.substr(hash + 1));
    }
    body = trim(body);
    if (body.empty()) continue;
    std::istringstream ss(body);
    std::vector<std::string> toks;
    for (std::string t; ss >> t;) toks.push_back(t);
    size_t i = 0;
    std::string ai_tok = toks[i++];
    std::string first = ai_tok, last = ai_tok;
    if (size_t dash = ai_tok.find('-'); dash != std::string::npos) {
      first = ai_tok.substr(0, dash);
      last = ai_tok.substr(dash + 1);
    }
    if (!allDigits(first) || !allDigits(last) || first.size() != last.size() || first.size() < 2 ||
        first.size() > 4 || first > last) {
      die(line_no, line, "bad AI or AI range '" + ai_tok + "'");
    }
    Entry proto;
    if (i < toks.size() && !isSpecStart(toks[i]) && toks[i].find('=') == std::string::npos) {
      for (char f : toks[i]) {
        if (f == '*') proto.predefined = true;
        else if (f == '?') proto.dl_attr = true;
        else die(line_no, line, std::string("unknown flag '") + f + "'");
      }
      ++i;
    }
    while (i < toks.size() && isSpecStart(toks[i])) proto.components.push_back(parseComponent(toks[i++], line_no, line));
    if (proto.components.empty()) die(line_no, line, "no specification");
    if (proto.components.size() > 6) die(line_no, line, "more than 6 components");
    for (; i < toks.size(); ++i) {
      const std::string& a = toks[i];
      if (a.rfind("req=", 0) == 0) proto.req.push_back(a.substr(4));
      else if (a.rfind("ex=", 0) == 0) proto.ex.push_back(a.substr(3));
      else if (a == "dlpkey") proto.dlpkey = true;
      else if (a.rfind("dlpkey=", 0) == 0) {
        proto.dlpkey = true;
        proto.dl_qualifiers = a.substr(7);
      } else {
        die(line_no, line, "unknown attribute '" + a + "'");
      }
    }
    proto.title = title;
    int lo = std::stoi(first), hi = std::stoi(last);
    for (int v = lo; v <= hi; ++v) {
      Entry e = proto;
      std::string s = std::to_string(v);
      e.ai = std::string(first.size() - s.size(), '0') + s;
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.ai < b.ai; });
  for (size_t k = 1; k < out.size(); ++k) {
    if (out[k].ai == out[k - 1].ai) {
      std::fprintf(stderr, "gs1_dict_gen: AI %s is defined twice\n", out[k].ai.c_str());
      std::exit(1);
    }
    // AIs must be prefix-free, or an element string could be read two ways.
    if (out[k].ai.rfind(out[k - 1].ai, 0) == 0) {
      std::fprintf(stderr, "gs1_dict_gen: AI %s is a prefix of %s\n", out[k - 1].ai.c_str(), out[k].ai.c_str());
      std::exit(1);
    }
  }
  if (out.size() < 100) {
    std::fprintf(stderr, "gs1_dict_gen: only %zu AIs read from %s; refusing a truncated dictionary\n", out.size(),
                 path.c_str());
    std::exit(1);
  }
  return out;
}

std::string cstr(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

std::vector<std::string> isoList(const std::string& path, const char* top, const char* field) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "gs1_dict_gen: cannot read %s (Debian package iso-codes)\n", path.c_str());
    std::exit(1);
  }
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains(top) || !j[top].is_array()) {
    std::fprintf(stderr, "gs1_dict_gen: %s is not the expected iso-codes JSON\n", path.c_str());
    std::exit(1);
  }
  std::set<std::string> out;
  for (const auto& e : j[top]) {
    if (e.contains(field) && e[field].is_string()) out.insert(e[field].get<std::string>());
  }
  if (out.size() < 100) {
    std::fprintf(stderr, "gs1_dict_gen: too few entries in %s\n", path.c_str());
    std::exit(1);
  }
  return {out.begin(), out.end()};
}

void writeList(std::ostream& o, const char* name, const std::vector<std::string>& v) {
  o << "extern const char* const " << name << "[] = {";
  for (size_t i = 0; i < v.size(); ++i) o << (i % 12 ? " " : "\n    ") << cstr(v[i]) << ",";
  o << "\n};\nextern const size_t " << name << "Size = " << v.size() << ";\n\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DICTIONARY ISO3166_JSON ISO4217_JSON OUT.cpp\n", argv[0]);
    return 2;
  }
  std::vector<Entry> entries = parseDictionary(argv[1]);
  std::vector<std::string> iso3166 = isoList(argv[2], "3166-1", "numeric");
  std::vector<std::string> alpha2 = isoList(argv[2], "3166-1", "alpha_2");
  std::vector<std::string> iso4217 = isoList(argv[3], "4217", "numeric");

  std::ostringstream o;
  o << "// GENERATED by firmware-interfaces/tools/gs1_dict_gen.cpp from\n"
    << "// firmware-interfaces/data/gs1-syntax-dictionary.txt and Debian iso-codes. Do not edit.\n\n"
    << "#include <cstddef>\n\n#include \"sw/fw/gs1_dictionary.h\"\n\nnamespace sw::fw::generated {\n\n"
    << "extern const AiSpec kAiTable[] = {\n";
  for (const Entry& e : entries) {
    o << "    {" << cstr(e.ai) << ", " << (e.predefined ? "true" : "false") << ", " << (e.dl_attr ? "true" : "false")
      << ", " << e.components.size() << ", {";
    for (const Component& c : e.components) {
      o << "{'" << c.cset << "', " << c.min_len << ", " << c.max_len << ", " << (c.optional ? "true" : "false") << ", "
        << cstr(c.linters) << "}, ";
    }
    o << "}, " << cstr(join(e.req, " ")) << ", " << cstr(join(e.ex, ",")) << ", " << (e.dlpkey ? "true" : "false")
      << ", " << cstr(e.dl_qualifiers) << ", " << cstr(e.title) << "},\n";
  }
  o << "};\nextern const size_t kAiTableSize = " << entries.size() << ";\n\n";
  writeList(o, "kIso3166Numeric", iso3166);
  writeList(o, "kIso3166Alpha2", alpha2);
  writeList(o, "kIso4217Numeric", iso4217);
  o << "}  // namespace sw::fw::generated\n";

  std::string text = o.str();
  std::ofstream out(argv[4]);
  out << text;
  if (!out) {
    std::fprintf(stderr, "gs1_dict_gen: cannot write %s\n", argv[4]);
    return 1;
  }
  return 0;
}
