#pragma once
// Command-line options: "--name value", "--name=value" and bare "--flag".
// Every option must be declared; unknown ones are errors, so typos do not pass silently.

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
  std::optional<std::string> get(const std::string& name) const;
  std::string getOr(const std::string& name, const std::string& fallback) const;
  Result<int64_t> getInt(const std::string& name, int64_t fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

// If argv has --config FILE, adds each key of that JSON object as "--key value" unless the
// command line already gives it ('_' in keys reads as '-'). Unknown keys are errors.
Result<std::vector<std::string>> mergeConfigFile(const std::vector<std::string>& argv,
                                                 const std::set<std::string>& value_options);

// "127.0.0.1:8080" -> host, port. Port 0 allowed (any free port).
Result<std::pair<std::string, int>> parseHostPort(const std::string& text);

}  // namespace sw::common
