#include "sw/common/cli.h"

#include <algorithm>
#include <cstdio>
#include <functional>


namespace sw::common {

namespace {

bool isHelp(const std::string& a) { return a == "--help" || a == "-h"; }

void write(std::FILE* f, const std::string& text) { std::fwrite(text.data(), 1, text.size(), f); }

// How many leading words of args name this command (0 = not it).
size_t matchWords(const std::string& name, const std::vector<std::string>& args) {
  size_t words = 0;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find(' ', start);
    if (end == std::string::npos) end = name.size();
    if (words >= args.size() || args[words] != name.substr(start, end - start)) return 0;
    ++words;
    start = end + 1;
  }
  return words;
}

// --help or --version anywhere in args is answered at once; otherwise the options are checked
// (an error as "who: ...", exit 2) and run gets them.
int answerOrRun(const std::string& version_text, const std::string& who, const std::function<std::string()>& help,
                const OptionTable& options, const std::function<int(const ParsedOptions&)>& run,
                const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (isHelp(a)) {
      write(stdout, help());
      return 0;
    }
    if (a == "--version") {
      write(stdout, version_text);
      return 0;
    }
  }
  auto parsed = options.parse(args);
  if (!parsed) {
    std::fprintf(stderr, "%s: %s\n", who.c_str(), parsed.error().toString().c_str());
    return 2;
  }
  return run(*parsed);
}

}  // namespace

std::string programHelp(const CliProgram& p) {
  std::string out = p.about + "\n\nUsage: " + p.name + " COMMAND [options]   (" + p.name +
                    " COMMAND --help lists a command's options)\n       " + p.name + " --help | --version\n\nCommands:\n";
  size_t width = 0;
  for (const CliCommand& c : p.commands) width = std::max(width, c.name.size());
  for (const CliCommand& c : p.commands) {
    out += "  " + c.name + std::string(width - c.name.size() + 2, ' ') + c.summary + "\n";
  }
  if (!p.notes.empty()) out += "\n" + p.notes;
  if (!out.empty() && out.back() != '\n') out += "\n";
  return out;
}

std::string commandHelp(const CliProgram& p, const CliCommand& c) {
  std::string out = "Usage: " + p.name + " " + c.name + " [options]\n" + c.summary + "\n";
  std::string options = c.options.help();
  out += options.empty() ? "\nNo options.\n" : "\nOptions:\n" + options;
  if (!c.notes.empty()) out += "\n" + c.notes;
  if (out.back() != '\n') out += "\n";
  return out;
}

int runCli(const CliProgram& p, int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    write(stderr, programHelp(p));
    return 2;
  }
  if (args[0] == "help" || isHelp(args[0])) {
    write(stdout, programHelp(p));
    return 0;
  }
  if (args[0] == "--version") {
    write(stdout, versionText(p.name, p.schemas));
    return 0;
  }
  const CliCommand* found = nullptr;
  size_t words = 0;
  for (const CliCommand& c : p.commands) {
    if (size_t n = matchWords(c.name, args); n > words) {
      found = &c;
      words = n;
    }
  }
  if (!found) {
    std::string subs;
    for (const CliCommand& c : p.commands) {
      if (c.name.rfind(args[0] + " ", 0) == 0) subs += (subs.empty() ? "" : ", ") + c.name.substr(args[0].size() + 1);
    }
    if (!subs.empty()) {
      std::fprintf(stderr, "%s: %s needs one of: %s (see --help)\n", p.name.c_str(), args[0].c_str(), subs.c_str());
    } else {
      std::fprintf(stderr, "%s: unknown command '%s' (see --help)\n", p.name.c_str(), args[0].c_str());
    }
    return 2;
  }
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(words), args.end());
  return answerOrRun(versionText(p.name, p.schemas), p.name + " " + found->name,
                     [&] { return commandHelp(p, *found); }, found->options, found->run, rest);
}

std::string toolHelp(const CliTool& t) {
  std::string out = t.about + "\n\nUsage: " + t.name + " [options]\n";
  std::string options = t.options.help();
  if (!options.empty()) out += "\nOptions:\n" + options;
  if (!t.notes.empty()) out += "\n" + t.notes;
  if (out.back() != '\n') out += "\n";
  return out;
}

int runTool(const CliTool& t, int argc, char** argv) {
  return answerOrRun(versionText(t.name, t.schemas), t.name, [&] { return toolHelp(t); }, t.options, t.run,
                     std::vector<std::string>(argv + 1, argv + argc));
}

}  // namespace sw::common
