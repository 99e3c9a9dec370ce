// Replays a fuzz target's corpus in an ordinary (gcc, uninstrumented) build, so every input the
// fuzzer ever kept is checked by `tools/test` (label `unit`), not only when someone runs the
// fuzzer by hand. Linked with one fuzz_*.cpp in place of libFuzzer's main.
//
//   fuzz_replay_<target> [--min N] PATH...
//
// A PATH is a corpus directory (every regular file in it, in name order) or one file. Each input
// goes through LLVMFuzzerTestOneInput once. The targets abort on any broken invariant; when one
// does (or crashes), the input that did it is named on stderr before the process dies, so ctest
// shows which corpus file to look at. Exit 1 when fewer than N inputs (default 1) were found: a
// corpus that went missing must not pass as an empty success.

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The input being replayed, for the signal handler (which may only use async-signal-safe calls).
char g_current[4096];

void onFatalSignal(int sig) {
  static const char kPrefix[] = "fuzz replay: died on input ";
  ssize_t ignored = write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  ignored = write(STDERR_FILENO, g_current, strnlen(g_current, sizeof g_current));
  ignored = write(STDERR_FILENO, "\n", 1);
  (void)ignored;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

bool readFile(const std::filesystem::path& p, std::vector<uint8_t>* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  long min_inputs = 1;
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--min" && i + 1 < argc) {
      min_inputs = std::strtol(argv[++i], nullptr, 10);
      continue;
    }
    std::error_code ec;
    std::filesystem::path p(arg);
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        if (e.is_regular_file(ec)) files.push_back(e.path());
      }
      if (ec) {
        std::fprintf(stderr, "fuzz replay: cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
        return 1;
      }
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(p, ec)) {
      inputs.push_back(p);
    } else {
      std::fprintf(stderr, "fuzz replay: no such corpus file or directory: %s\n", arg.c_str());
      return 1;
    }
  }
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, onFatalSignal);

  std::vector<uint8_t> data;
  size_t bytes = 0;
  for (const auto& p : inputs) {
    std::snprintf(g_current, sizeof g_current, "%s", p.c_str());
    if (!readFile(p, &data)) {
      std::fprintf(stderr, "fuzz replay: cannot read %s\n", p.c_str());
      return 1;
    }
    bytes += data.size();
    // libFuzzer never passes a null pointer, even for an empty input.
    static const uint8_t kEmpty = 0;
    LLVMFuzzerTestOneInput(data.empty() ? &kEmpty : data.data(), data.size());
  }
  std::printf("fuzz replay: %zu inputs, %zu bytes, no failure\n", inputs.size(), bytes);
  if (static_cast<long>(inputs.size()) < min_inputs) {
    std::fprintf(stderr, "fuzz replay: expected at least %ld inputs, found %zu\n", min_inputs, inputs.size());
    return 1;
  }
  return 0;
}
