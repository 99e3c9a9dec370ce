#pragma once
// Command-line options: "--name value", "--name=value" and bare "--flag".
// Every option must be declared; unknown ones are errors, so typos do not pass silently.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sw/common/result.h"

namespace sw::common {

class Args {
 public:
  // value_options take a value; flags do not.
  static Result<Args> parse(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
                            const std::set<std::string>& flags);

  bool has(const std::string& name) const { return values_.count(name) > 0 || flags_.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;  // the last value given
  std::vector<std::string> all(const std::string& name) const;      // every value, in order
  std::string getOr(const std::string& name, const std::string& fallback) const;
  Result<int64_t> getInt(const std::string& name, int64_t fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Takes the first positional argument as the value of option `name` (OptionTable::parse, for
  // an OptionSpec::positional).
  void takePositionalAs(const std::string& name);

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

// If argv has --config FILE, adds each key of that JSON object as "--key value" unless the
// command line already gives it ('_' in keys reads as '-'). Unknown keys are errors.
// Flags may be on the command line but not in the file.
Result<std::vector<std::string>> mergeConfigFile(const std::vector<std::string>& argv,
                                                 const std::set<std::string>& value_options,
                                                 const std::set<std::string>& flags = {});

// One option of a command, declared once: what --help says, what parse() accepts and checks,
// and the default every reader gets.
struct OptionSpec {
  // kList: text, may be given more than once; kNumber: a decimal number ("0.25", "1e3").
  enum class Kind { kText, kInt, kFlag, kList, kNumber };
  std::string name;       // without "--"
  Kind kind = Kind::kText;
  std::string value;      // the placeholder --help shows: "URL", "N", "FILE"
  std::string fallback;   // the default ("" = none); for kInt, a whole number
  int64_t min = 0;        // kInt, kNumber: the range it must be in
  int64_t max = INT64_MAX;
  std::string help;       // may hold "\n" for more lines; "" = accepted, described elsewhere in --help
  bool required = false;
  // kText: may also be given bare, as the command's one argument that is not an option
  // ("edi-decode FILE" for "edi-decode --file FILE"); giving both is refused.
  bool positional = false;
};

// One kInt option's value from args (its default when absent), checked against its range: the
// check OptionTable::parse makes, for code that holds Args (agent::parseDevicesConfig).
Result<int64_t> wholeOption(const OptionSpec& spec, const Args& args);

// A command's options, parsed with the table that declares them.
class ParsedOptions {
 public:
  bool has(const std::string& name) const { return args_.has(name); }  // given, not defaulted
  std::string text(const std::string& name) const;                      // the value or the default
  int64_t integer(const std::string& name) const;                       // checked at parse
  double number(const std::string& name) const;                         // kNumber, checked at parse
  bool flag(const std::string& name) const { return args_.has(name); }
  std::vector<std::string> list(const std::string& name) const { return args_.all(name); }  // kList
  const Args& args() const { return args_; }

 private:
  friend class OptionTable;
  Args args_;
  std::map<std::string, std::string> fallbacks_;
  std::map<std::string, int64_t> integers_;
  std::map<std::string, double> numbers_;
};

class OptionTable {
 public:
  explicit OptionTable(std::vector<OptionSpec> specs);
  // One table made of several (a command's own options and a shared group such as the till's
  // serial devices), in that order.
  explicit OptionTable(const std::vector<std::vector<OptionSpec>>& groups);
  // --config FILE (when "config" is declared) merged first, then: unknown options, a value
  // missing, a required option absent, a number that is not whole or outside its range are each
  // a reject "bad_option" naming the option (and the range), as is an argument that is not an
  // option at all (except one, for a positional option not given by name).
  Result<ParsedOptions> parse(const std::vector<std::string>& argv) const;
  // The options part of --help: "  --name VALUE  help (default D)", one option after another.
  std::string help() const;

 private:
  std::vector<OptionSpec> specs_;
};

// "127.0.0.1:8080" -> host, port. Port 0 allowed (any free port).
Result<std::pair<std::string, int>> parseHostPort(const std::string& text);

}  // namespace sw::common
