#include "sw/common/args.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

namespace sw::common {

Result<Args> Args::parse(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
                         const std::set<std::string>& flags) {
  Args a;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      a.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name)) {
      if (inline_value) return Error::reject("bad_option", "--" + name + " takes no value");
      a.flags_.insert(name);
    } else if (value_options.count(name)) {
      if (inline_value) {
        a.values_[name] = *inline_value;
      } else if (i + 1 < argv.size()) {
        a.values_[name] = argv[++i];
      } else {
        return Error::reject("bad_option", "--" + name + " needs a value");
      }
      a.all_values_[name].push_back(a.values_[name]);
    } else {
      return Error::reject("bad_option", "unknown option --" + name + " (see --help)");
    }
  }
  return a;
}

void Args::takePositionalAs(const std::string& name) {
  if (positional_.empty()) return;
  values_[name] = positional_.front();
  all_values_[name].push_back(positional_.front());
  positional_.erase(positional_.begin());
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::getOr(const std::string& name, const std::string& fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

namespace {

// A whole number as an option's value: digits with an optional '-', nothing else.
Result<int64_t> parseWholeOption(const std::string& name, const std::string& text) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    return Error::reject("bad_option", "--" + name + " must be a whole number, got '" + text + "'");
  }
  return out;
}

// "from 1 to 64" / "at least 0": what a range error says of the option's range.
std::string rangeText(const OptionSpec& o) {
  return o.max == INT64_MAX ? "at least " + std::to_string(o.min)
                            : "from " + std::to_string(o.min) + " to " + std::to_string(o.max);
}

// A kNumber option's value (or its default, "" = 0): finite, in [min, max].
Result<double> parseNumberOption(const OptionSpec& o, const std::optional<std::string>& given) {
  const std::string text = given ? *given : (o.fallback.empty() ? "0" : o.fallback);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v) ||
      std::isspace(static_cast<unsigned char>(text[0]))) {
    if (!given) return Error::fatal("bad_option_table", "the default of --" + o.name + " is not a number");
    return Error::reject("bad_option", "--" + o.name + " must be a number, got '" + text + "'");
  }
  if (v < static_cast<double>(o.min) || v > static_cast<double>(o.max)) {
    return Error::reject("bad_option", "--" + o.name + " must be " + rangeText(o) + ", got " + text);
  }
  return v;
}

}  // namespace

Result<int64_t> wholeOption(const OptionSpec& o, const Args& args) {
  int64_t fallback = 0;
  if (!o.fallback.empty()) {
    // The table's own default goes through the same check as a value typed on the command line.
    auto f = parseWholeOption(o.name, o.fallback);
    if (!f) return Error::fatal("bad_option_table", "the default of --" + o.name + " is not a whole number");
    fallback = *f;
  }
  auto given = args.get(o.name);
  auto v = given ? parseWholeOption(o.name, *given) : Result<int64_t>(fallback);
  if (!v) return v.error();
  if (*v < o.min || *v > o.max) {
    return Error::reject("bad_option", "--" + o.name + " must be " + rangeText(o) + ", got " + std::to_string(*v));
  }
  return v;
}

Result<int64_t> Args::getInt(const std::string& name, int64_t fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  return parseWholeOption(name, *v);
}

Result<std::vector<std::string>> mergeConfigFile(const std::vector<std::string>& argv,
                                                 const std::set<std::string>& value_options,
                                                 const std::set<std::string>& flags) {
  auto pre = Args::parse(argv, value_options, flags);
  if (!pre) return pre.error();
  auto path = pre->get("config");
  if (!path) return argv;
  std::ifstream in(*path);
  if (!in) return Error::reject("bad_config", "cannot read config file " + *path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error::reject("bad_config", *path + " is not a JSON object");
  std::vector<std::string> out = argv;
  for (auto& [key, value] : j.items()) {
    std::string name = key;
    for (char& c : name) {
      if (c == '_') c = '-';
    }
    if (!value_options.count(name) || name == "config") {
      return Error::reject("bad_config", *path + ": unknown key '" + key + "'");
    }
    if (pre->has(name)) continue;
    out.push_back("--" + name);
    out.push_back(value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

Result<std::pair<std::string, int>> parseHostPort(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Error::reject("bad_address", "'" + text + "' is not host:port");
  }
  std::string host = text.substr(0, colon);
  std::string port_s = text.substr(colon + 1);
  int port = -1;
  auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
  if (ec != std::errc() || p != port_s.data() + port_s.size() || port < 0 || port > 65535) {
    return Error::reject("bad_address", "'" + text + "' has no valid port");
  }
  return std::make_pair(host, port);
}

OptionTable::OptionTable(std::vector<OptionSpec> specs) : specs_(std::move(specs)) {}

OptionTable::OptionTable(const std::vector<std::vector<OptionSpec>>& groups) {
  for (const auto& g : groups) specs_.insert(specs_.end(), g.begin(), g.end());
}

Result<ParsedOptions> OptionTable::parse(const std::vector<std::string>& argv) const {
  std::set<std::string> values, flags;
  for (const OptionSpec& o : specs_) (o.kind == OptionSpec::Kind::kFlag ? flags : values).insert(o.name);
  std::vector<std::string> merged = argv;
  if (values.count("config")) {
    auto m = mergeConfigFile(argv, values, flags);
    if (!m) return m.error();
    merged = std::move(*m);
  }
  auto args = Args::parse(merged, values, flags);
  if (!args) return args.error();
  for (const OptionSpec& o : specs_) {
    if (o.positional && o.kind == OptionSpec::Kind::kText && !args->has(o.name)) args->takePositionalAs(o.name);
  }
  if (!args->positional().empty()) {
    return Error::reject("bad_option", "unexpected argument '" + args->positional().front() + "' (see --help)");
  }
  ParsedOptions out;
  out.args_ = std::move(*args);
  for (const OptionSpec& o : specs_) {
    if (o.required && !out.args_.has(o.name)) return Error::reject("bad_option", "--" + o.name + " is required");
    out.fallbacks_[o.name] = o.fallback;
    if (o.kind == OptionSpec::Kind::kNumber) {
      auto v = parseNumberOption(o, out.args_.get(o.name));
      if (!v) return v.error();
      out.numbers_[o.name] = *v;
      continue;
    }
    if (o.kind != OptionSpec::Kind::kInt) continue;
    auto v = wholeOption(o, out.args_);
    if (!v) return v.error();
    out.integers_[o.name] = *v;
  }
  return out;
}

std::string ParsedOptions::text(const std::string& name) const {
  if (auto v = args_.get(name)) return *v;
  auto it = fallbacks_.find(name);
  return it == fallbacks_.end() ? "" : it->second;
}

double ParsedOptions::number(const std::string& name) const {
  auto it = numbers_.find(name);
  return it == numbers_.end() ? 0 : it->second;
}

int64_t ParsedOptions::integer(const std::string& name) const {
  auto it = integers_.find(name);
  return it == integers_.end() ? 0 : it->second;
}

std::string OptionTable::help() const {
  constexpr size_t kColumn = 27;  // where the help text starts
  std::string out;
  for (const OptionSpec& o : specs_) {
    if (o.help.empty()) continue;
    std::string head = "  --" + o.name + (o.value.empty() ? "" : " " + o.value) +
                       (o.kind == OptionSpec::Kind::kList ? " ..." : "");
    std::string text = o.help;
    if (!o.fallback.empty()) text += " (default " + o.fallback + ")";
    if (o.required) text += " (required)";
    if (o.positional) text += " (or give " + (o.value.empty() ? o.name : o.value) + " alone, without --" + o.name + ")";
    out += head;
    out += head.size() + 2 <= kColumn ? std::string(kColumn - head.size(), ' ') : "\n" + std::string(kColumn, ' ');
    for (char c : text) {
      out += c;
      if (c == '\n') out += std::string(kColumn, ' ');
    }
    out += "\n";
  }
  return out;
}

}  // namespace sw::common
