#pragma once
// Shared by the EDI tests: the sample files (tests/data/x12) and one small interchange written by
// hand, independent of our writers, to break in every way.

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace sw::coordinator::edi::test {

inline std::string readSample(const std::string& name) {
  std::ifstream in(std::string(SW_X12_TEST_DATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A 106-character ISA (ISA13 000000001, version 00401), one PO group (GS06 7) holding one 850
// (ST02 0001, 5 segments), newline after each terminator.
inline const std::string kIsa =
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261207*1200*U*00401*000000001*0*P*>~";

inline std::string goodInterchange() {
  return kIsa + "\n"
         "GS*PO*SENDER*RECEIVER*20261207*1200*7*X*004010~\n"
         "ST*850*0001~\n"
         "BEG*00*SA*PO-1**20261207~\n"
         "PO1*1*2*EA*9.25**UP*012345678905~\n"
         "CTT*1~\n"
         "SE*5*0001~\n"
         "GE*1*7~\n"
         "IEA*1*000000001~\n";
}

// goodInterchange() with the first `from` replaced by `to` (the test fails if it is not there).
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace sw::coordinator::edi::test
