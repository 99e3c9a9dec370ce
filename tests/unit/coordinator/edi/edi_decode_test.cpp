// edi-decode: one JSON object per transaction set for a clean file (the samples), the first
// problem with its X12 code and exit 1 for a broken one, warnings on stderr, and the bare FILE.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sw/coordinator/edi/documents.h"
#include "sw/coordinator/edi/edi_decode.h"
#include "x12_test_data.h"

namespace sw::coordinator::edi {
namespace {

using nlohmann::json;

struct Decoded {
  int code = -1;
  std::vector<json> lines;
  std::string out, err;
};

Decoded decodeFile(const std::string& path, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {path};
  args.insert(args.end(), extra.begin(), extra.end());
  auto parsed = ediDecodeOptions().parse(args);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().toString());
  Decoded r;
  if (!parsed.ok()) return r;
  std::ostringstream out, err;
  r.code = ediDecode(*parsed, out, err);
  r.err = err.str();
  r.out = out.str();
  if (std::find(extra.begin(), extra.end(), "--pretty") != extra.end()) return r;
  std::istringstream lines(out.str());
  std::string line;
  while (std::getline(lines, line)) r.lines.push_back(json::parse(line));
  return r;
}

std::string sample(const std::string& name) { return std::string(SW_X12_TEST_DATA) + "/" + name; }

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/edi_decode_testXXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    path_ = name;
    std::FILE* f = fdopen(fd, "wb");
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(EdiDecode, TheNodeSamplesDecodeCleanly) {
  for (const char* name : {"850.node-x12.edi", "850_2.node-x12.edi", "855.node-x12.edi", "856.node-x12.edi"}) {
    Decoded r = decodeFile(sample(name));
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    ASSERT_EQ(r.lines.size(), 1u) << name;
    EXPECT_TRUE(r.err.empty()) << r.err;
    const json& set = r.lines[0];
    EXPECT_EQ(set["interchange"]["separators"]["element"], "*");
    EXPECT_EQ(set["set"]["segment_count"], set["segments"].size());
    EXPECT_EQ(set["segments"][0][0], "ST");
  }
}

TEST(EdiDecode, An850CarriesItsTypedOrder) {
  Decoded r = decodeFile(sample("850.node-x12.edi"));
  ASSERT_EQ(r.code, 0);
  const json& line = r.lines.at(0);
  EXPECT_EQ(line["interchange"]["control"], "000003438");
  EXPECT_EQ(line["interchange"]["sender"]["id"], "4405197800");
  EXPECT_EQ(line["group"]["functional_id"], "PO");
  EXPECT_EQ(line["group"]["control"], "1421");
  EXPECT_EQ(line["set"]["id"], "850");
  const json& po = line["document"];
  EXPECT_EQ(po["type"], "purchase_order");
  EXPECT_EQ(po["po_number"], "08292233294");
  EXPECT_EQ(po["ship_to"]["name"], "XYZ RETAIL");
  EXPECT_EQ(po["lines"].size(), 6u);
  EXPECT_EQ(po["lines"][0]["quantity"], 120);
  EXPECT_EQ(po["lines"][0]["ids"]["VN"], "AB3542");
  // The newline-terminated copy gives the same document.
  Decoded same = decodeFile(sample("850_2.node-x12.edi"));
  ASSERT_EQ(same.code, 0);
  EXPECT_EQ(same.lines.at(0)["document"], po);
}

TEST(EdiDecode, TheEdiNetSamplesAreRefusedWithTheirTa1Note) {
  for (const char* name : {"850a.edi-net.edi", "810a.edi-net.edi"}) {
    Decoded r = decodeFile(sample(name));
    EXPECT_EQ(r.code, 1) << name;
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0]["error"]["code"], "x12_ta1_011") << name;
    EXPECT_NE(r.lines[0]["error"]["message"].get<std::string>().find("ISA02"), std::string::npos);
    EXPECT_NE(r.err.find("warning: a UTF-8 byte order mark"), std::string::npos) << r.err;
  }
}

TEST(EdiDecode, ABrokenSetOrGroupGivesItsCode) {
  TempFile set(test::replaced(test::goodInterchange(), "SE*5*", "SE*7*"));
  Decoded r = decodeFile(set.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.lines.at(0)["error"]["code"], "x12_ak5_4");
  EXPECT_EQ(r.lines.at(0)["error"]["message"],
            "interchange 000000001, group 7, set 0001: AK5 code 4: SE01 says 7 segments, set 0001 has 5 (ST and SE included)");
  TempFile group(test::replaced(test::goodInterchange(), "GE*1*7", "GE*1*8"));
  EXPECT_EQ(decodeFile(group.path()).lines.at(0)["error"]["code"], "x12_ak9_4");
  TempFile empty("");
  Decoded e = decodeFile(empty.path());
  EXPECT_EQ(e.code, 1);
  EXPECT_EQ(e.lines.at(0)["error"]["code"], "x12_ta1_023");
}

TEST(EdiDecode, Our997AndTa1DecodeAsTheyWereWritten) {
  PartnerConfig c;
  c.sender_id = "RECEIVER";
  c.receiver_id = "SENDER";
  CountingControlNumbers numbers;
  const WriteTime time{"20261207", "1405"};
  ParsedFile received = parseX12(test::replaced(test::goodInterchange(), "SE*5*", "SE*8*"));
  auto ack = write997(c, numbers, time, {ackFor(received.interchanges[0].groups[0])});
  ASSERT_TRUE(ack.ok());
  TempFile ack_file(*ack);
  Decoded a = decodeFile(ack_file.path());
  ASSERT_EQ(a.code, 0) << a.err;
  const json& doc = a.lines.at(0)["document"];
  EXPECT_EQ(doc["type"], "functional_ack");
  EXPECT_EQ(doc["group_control"], "7");
  EXPECT_EQ(doc["status"], "rejected");
  EXPECT_EQ(doc["sets"][0]["codes"], json::array({ak5::kSegmentCountMismatch}));

  ParsedFile broken = parseX12(test::replaced(test::goodInterchange(), "IEA*1*", "IEA*2*"));
  auto ta1 = writeTa1(c, numbers, time, broken.interchanges[0]);
  ASSERT_TRUE(ta1.ok());
  TempFile ta1_file(*ta1);
  Decoded t = decodeFile(ta1_file.path());
  ASSERT_EQ(t.code, 0) << t.err;
  ASSERT_EQ(t.lines.size(), 1u);
  EXPECT_EQ(t.lines[0]["ta1"][0]["note"], "021");
  EXPECT_EQ(t.lines[0]["ta1"][0]["status"], "R");
  EXPECT_EQ(t.lines[0]["ta1"][0]["control"], "000000001");
}

TEST(EdiDecode, AnOrderItsReaderRefusesIsAnError) {
  TempFile file(test::replaced(test::goodInterchange(), "CTT*1~", "CTT*4~"));
  Decoded r = decodeFile(file.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.lines.at(0)["error"]["code"], "x12_bad_850");
}

TEST(EdiDecode, WarningsGoToStderrAndTheFileIsStillDecoded) {
  TempFile file("\xEF\xBB\xBF" + test::replaced(test::goodInterchange(), "\nBEG", "\n\tBEG"));
  Decoded r = decodeFile(file.path(), {"--pretty"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["set"]["id"], "850");  // one set, indented
  EXPECT_NE(r.err.find("byte order mark"), std::string::npos);
  EXPECT_NE(r.err.find("blanks"), std::string::npos);
}

TEST(EdiDecode, NonUtf8BytesAreReplacedNotThrown) {
  TempFile file(test::replaced(test::goodInterchange(), "PO-1", "PO-\xff\xfe"));
  Decoded r = decodeFile(file.path());
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(r.lines.size(), 1u);
}

TEST(EdiDecode, AMissingFileIsExitCode2) {
  auto parsed = ediDecodeOptions().parse({"/nonexistent/x.edi"});
  ASSERT_TRUE(parsed.ok());
  std::ostringstream out, err;
  EXPECT_EQ(ediDecode(*parsed, out, err), 2);
  EXPECT_NE(err.str().find("cannot open"), std::string::npos);
}

TEST(EdiDecode, TheFileIsGivenBareOrAsTheFileOption) {
  using V = std::vector<std::string>;
  for (const V& args : {V{"a.edi"}, V{"--pretty", "a.edi"}, V{"a.edi", "--pretty"}, V{"--file", "a.edi"}, V{"--file=a.edi"}}) {
    auto parsed = ediDecodeOptions().parse(args);
    ASSERT_TRUE(parsed.ok()) << args.front() << ": " << parsed.error().toString();
    EXPECT_EQ(parsed->text("file"), "a.edi");
  }
  EXPECT_FALSE(ediDecodeOptions().parse(V{"a.edi", "b.edi"}).ok());              // one file
  EXPECT_FALSE(ediDecodeOptions().parse(V{"--file", "a.edi", "b.edi"}).ok());    // not both ways
  EXPECT_FALSE(ediDecodeOptions().parse(V{}).ok());                              // FILE is required
  EXPECT_NE(ediDecodeOptions().help().find("or give FILE alone, without --file"), std::string::npos);
}

}  // namespace
}  // namespace sw::coordinator::edi
