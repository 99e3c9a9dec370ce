#pragma once
// The dictionary's "linters": extra checks on one component of an AI value.
// Private to sw_fw; gs1.cpp calls runLinter() for each name in a component.

#include <optional>
#include <string>
#include <string_view>

#include "sw/common/result.h"

namespace sw::fw::lint {

enum class LintOutcome { kPass, kFail, kNotImplemented };

struct LintResult {
  LintOutcome outcome = LintOutcome::kPass;
  std::string code;     // on kFail: bad_check_digit, bad_date, ...
  std::string message;  // on kFail: what is wrong with the component
};

// current_year: four digits, for the YYMMDD century rule.
LintResult runLinter(std::string_view name, std::string_view component, int current_year);

// YYMMDD (or YYYYMMDD when full_year) with a real month and day; DD=00 only if allow_day_zero.
bool validDate(std::string_view digits, bool full_year, bool allow_day_zero, int current_year);
// The four-digit year a two-digit GS1 year stands for (GS1 General Specifications 7.12).
int resolveCentury(int yy, int current_year);

}  // namespace sw::fw::lint
