// A stand-in fuzz target for checking replay_main.cpp: it aborts on an input that starts with
// "boom", as a real target aborts on a broken invariant.

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 4 && std::memcmp(data, "boom", 4) == 0) std::abort();
  return 0;
}
