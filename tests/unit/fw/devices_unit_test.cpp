// Pure protocol code: card data, scanner framing, SSI packets, scale replies, ESC/POS,
// scan decoding, and the scanner reader over a scripted fake port.

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "sw/common/card_data.h"
#include "sw/common/clock.h"
#include "sw/fw/escpos.h"
#include "sw/fw/scale.h"
#include "sw/fw/scan.h"
#include "sw/fw/scan_framer.h"
#include "sw/fw/scanner_reader.h"
#include "sw/fw/ssi.h"
#include "test_support.h"

namespace sw::fw {
namespace {

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(CardData, PansTracksAndGtins) {
  EXPECT_TRUE(common::luhnValid("4111111111111111"));
  EXPECT_FALSE(common::luhnValid("4111111111111112"));
  EXPECT_TRUE(common::containsCardData("4111111111111111"));
  EXPECT_TRUE(common::containsCardData("card 4111 1111 1111 1111 please"));
  EXPECT_TRUE(common::containsCardData("5500-0000-0000-0004"));
  EXPECT_TRUE(common::containsCardData("378282246310005"));         // Amex
  EXPECT_TRUE(common::containsCardData("4222222222222"));           // 13-digit Visa, not a valid GTIN-13
  EXPECT_TRUE(common::containsCardData(";4111111111111111=25121011234?"));
  EXPECT_TRUE(common::containsCardData("%B4111111111111112^DOE/JOHN^2512101?"));  // track 1, Luhn not needed
  EXPECT_FALSE(common::containsCardData("4111111111111112"));       // Luhn fails
  EXPECT_FALSE(common::containsCardData("41111111111111110"));      // 17 digits: not a Visa length
  EXPECT_FALSE(common::containsCardData("09501101530003"));         // GTIN-14 with leading 0
  EXPECT_FALSE(common::containsCardData("SKU-1"));
  EXPECT_FALSE(common::containsCardData("0109501101530003172501014111111111111111"));  // inside a longer run
  // 4006380000094 passes Luhn with a Visa prefix, but is a valid GTIN-13: taken as a GTIN.
  EXPECT_TRUE(common::looksLikePan("4006380000094"));
  EXPECT_FALSE(common::containsCardData("4006380000094"));
  std::string masked = common::maskCardData("pay 4111111111111111 now");
  EXPECT_EQ(masked, "pay ************1111 now");
  EXPECT_EQ(masked.find("4111111111111111"), std::string::npos);
  auto e = common::cardDataRefused("'sku'");
  EXPECT_EQ(e.code, "card_data_refused");
  EXPECT_EQ(e.kind, common::ErrorKind::kReject);
}

TEST(ScanDecode, GtinThatPassesLuhnIsAcceptedFromEan) {
  // 4006381333931 is a valid EAN-13; as a barcode it is never card data.
  ScanDecodeOptions o;
  auto d = decodeScan("]E04006381333931", o);
  ASSERT_TRUE(d.ok()) << d.error().toString();
  EXPECT_EQ(*d->gtin, "04006381333931");
  ScanFailure f;
  auto c = decodeScan("]C04111111111111111", o, &f);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "card_data_refused");
  EXPECT_EQ(f.masked_input, "]C0************1111");
  auto lot = decodeScan("]C1010950110153000310LOT4111111111111111", o, &f);
  ASSERT_FALSE(lot.ok());
  EXPECT_EQ(lot.error().code, "card_data_refused");
  EXPECT_EQ(f.masked_input.find("4111111111111111"), std::string::npos);
}

TEST(ScanDecode, SymbologiesAndErrors) {
  ScanDecodeOptions o;
  o.gs1.current_year = 2025;
  auto e4 = decodeScan("]E495012347", o);  // EAN-8 whose check digit should be 6
  ASSERT_FALSE(e4.ok());
  EXPECT_EQ(e4.error().code, "bad_check_digit");
  auto ean8 = decodeScan("]E402345680", o);
  ASSERT_TRUE(ean8.ok()) << ean8.error().toString();
  EXPECT_EQ(*ean8->gtin, "00000002345680");
  auto itf = decodeScan("]I124012345678905", o);
  ASSERT_TRUE(itf.ok());
  EXPECT_EQ(*itf->gtin, "24012345678905");
  auto plain = decodeScan("]A0HELLO-123", o);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->gtin.has_value());
  EXPECT_TRUE(plain->ais.empty());
  auto qr_plain = decodeScan("]Q1just text", o);
  EXPECT_TRUE(qr_plain.ok());
  auto dl = decodeScan("]Q1https://id.gs1.org/01/09501101530003?17=250101", o);
  ASSERT_TRUE(dl.ok()) << dl.error().toString();
  EXPECT_EQ(*dl->gtin, "09501101530003");
  EXPECT_EQ(decodeScan("0109501101530003", o).error().code, "missing_aim_id");
  EXPECT_EQ(decodeScan("]C1", o).error().code, "no_data");
  EXPECT_EQ(decodeScan("]E04006381333932", o).error().code, "bad_check_digit");
  EXPECT_EQ(decodeScan("]E0400638133393", o).error().code, "bad_length");
  EXPECT_EQ(decodeScan("]E040063813339310", o).error().code, "bad_length");
  EXPECT_EQ(decodeScan("]E0400638133393X", o).error().code, "bad_character");
  auto addon = decodeScan("]E3400638133393112", o);
  ASSERT_TRUE(addon.ok());
  EXPECT_EQ(*addon->gtin, "04006381333931");
}

TEST(ScanFramer, SuffixesTimeoutsAndNoise) {
  ScanFramer f(ScanFramerConfig{75, 64, ""});
  auto in = bytes("]E04006381333931\r\n]C1010950110153000310A\x1d" "99B\r");
  auto out = f.feed(in.data(), in.size(), 0);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "]E04006381333931");
  EXPECT_EQ(out[1], std::string("]C1010950110153000310A\x1d") + "99B");  // GS kept
  // No suffix: the pause ends the message.
  auto part = bytes("]C0ABC");
  EXPECT_TRUE(f.feed(part.data(), part.size(), 1000).empty());
  EXPECT_FALSE(f.poll(1050).has_value());
  EXPECT_EQ(f.msUntilTimeout(1050), 25);
  auto m = f.poll(1075);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, "]C0ABC");
  // Noise bytes are dropped; an overlong message is discarded, the next one is fine.
  std::vector<uint8_t> noisy = {0x00, ']', 'A', '0', 0x07, 'X', '\r'};
  out = f.feed(noisy.data(), noisy.size(), 2000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "]A0X");
  EXPECT_EQ(f.droppedBytes(), 2u);
  std::string longmsg(100, 'A');
  longmsg += "\r]A0OK\r";
  auto lb = bytes(longmsg);
  out = f.feed(lb.data(), lb.size(), 3000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "]A0OK");
  EXPECT_EQ(f.droppedMessages(), 1u);
}

TEST(Ssi, WireExamplesFromTheGuide) {
  EXPECT_EQ(ssi::encode(ssi::ack()), (std::vector<uint8_t>{0x04, 0xD0, 0x04, 0x00, 0xFF, 0x28}));
  EXPECT_EQ(ssi::encode(ssi::nak(ssi::kNakResend)), (std::vector<uint8_t>{0x05, 0xD1, 0x04, 0x00, 0x01, 0xFF, 0x25}));
  EXPECT_EQ(ssi::encode(ssi::Packet{ssi::kScanEnable, ssi::kSourceHost, 0, {}}),
            (std::vector<uint8_t>{0x04, 0xE9, 0x04, 0x00, 0xFF, 0x0F}));
  auto dd = ssi::decodeDataPackets(0x03, "1234");
  ASSERT_EQ(dd.size(), 1u);
  EXPECT_EQ(ssi::encode(dd[0]), (std::vector<uint8_t>{0x09, 0xF3, 0x00, 0x00, 0x03, 0x31, 0x32, 0x33, 0x34, 0xFE, 0x37}));
}

TEST(Ssi, DecoderResyncsBadChecksumAndMultiPacket) {
  ssi::Decoder dec;
  std::vector<uint8_t> stream = {0x00, 0x01, 0x02};  // garbage
  auto good = ssi::encode(ssi::decodeDataPackets(0x03, "1234")[0]);
  auto bad = good;
  bad.back() ^= 1;
  stream.insert(stream.end(), bad.begin(), bad.end());
  stream.insert(stream.end(), good.begin(), good.end());
  std::vector<ssi::Decoder::Event> events;
  for (uint8_t b : stream) {  // one byte at a time
    for (auto& e : dec.feed(&b, 1)) events.push_back(e);
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, ssi::Decoder::Event::kBadChecksum);
  EXPECT_EQ(events[1].kind, ssi::Decoder::Event::kPacket);
  EXPECT_EQ(dec.garbageBytes(), 3u);
  ssi::DecodeAssembler as;
  std::string longcode = "]C1" + std::string(300, '7');
  auto parts = ssi::decodeDataPackets(0x0F, longcode, 100);
  ASSERT_EQ(parts.size(), 4u);
  std::optional<ssi::DecodeAssembler::Barcode> got;
  for (auto& p : parts) got = as.add(p);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(ssi::scanText(*got), longcode);
  EXPECT_EQ(ssi::scanText({0x0B, "4006381333931"}), "]E04006381333931");
  EXPECT_EQ(ssi::scanText({0x08, "416000336108"}), "]E00416000336108");
}

TEST(Scales, ToledoReplies) {
  auto w = toledo::parseReply("01.234", "kg");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->status, WeightStatus::kStable);
  EXPECT_EQ(w->value, 1234);
  EXPECT_EQ(w->decimals, 3);
  EXPECT_EQ(w->valueText(), "1.234");
  EXPECT_EQ(toledo::parseReply(std::string("?") + char(0x61), "kg")->status, WeightStatus::kMotion);
  EXPECT_EQ(toledo::parseReply(std::string("?") + char(0x62), "kg")->status, WeightStatus::kOverRange);
  EXPECT_EQ(toledo::parseReply(std::string("?") + char(0x64), "kg")->status, WeightStatus::kUnderZero);
  EXPECT_EQ(toledo::parseReply("?A", "kg")->status, WeightStatus::kMotion);
  EXPECT_EQ(toledo::parseReply("?C", "kg")->status, WeightStatus::kUnderZero);
  EXPECT_FALSE(toledo::parseReply("01.2x4", "kg").ok());
  EXPECT_FALSE(toledo::parseReply("", "kg").ok());
}

TEST(Scales, MtSicsReplies) {
  auto s = mtsics::parseReply("S S     100.00 g");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, WeightStatus::kStable);
  EXPECT_EQ(s->valueText(), "100.00");
  EXPECT_EQ(s->unit, "g");
  EXPECT_EQ(mtsics::parseReply("S D 0.50 kg")->status, WeightStatus::kMotion);
  EXPECT_EQ(mtsics::parseReply("S +")->status, WeightStatus::kOverRange);
  EXPECT_EQ(mtsics::parseReply("S -")->status, WeightStatus::kUnderZero);
  EXPECT_EQ(mtsics::parseReply("S I")->status, WeightStatus::kNoReading);
  EXPECT_EQ(mtsics::parseReply("ES").error().code, "scale_syntax_error");
  EXPECT_EQ(mtsics::parseReply("EL").error().kind, common::ErrorKind::kRetry);
  EXPECT_FALSE(mtsics::parseReply("garbage here").ok());
  EXPECT_FALSE(mtsics::parseReply("S S abc kg").ok());
}

TEST(Scales, CasFrames) {
  EXPECT_EQ(cas::bcc("S 01.234kg"), 0x65);
  auto f = cas::buildFrame('S', ' ', "01.234", "kg");
  auto w = cas::parseFrame(f);
  ASSERT_TRUE(w.ok()) << w.error().toString();
  EXPECT_EQ(w->value, 1234);
  EXPECT_EQ(w->unit, "kg");
  EXPECT_EQ(cas::parseFrame(cas::buildFrame('U', ' ', "01.234", "kg"))->status, WeightStatus::kMotion);
  EXPECT_EQ(cas::parseFrame(cas::buildFrame('S', 'F', "99.999", "kg"))->status, WeightStatus::kOverRange);
  std::string broken = f;
  broken[12] ^= 1;
  EXPECT_FALSE(cas::parseFrame(broken).ok());
  EXPECT_FALSE(cas::parseFrame("short").ok());
}

TEST(Pricing, WeighedPriceRoundsHalfUpAndRefusesUnstable) {
  WeightReading w;
  w.status = WeightStatus::kStable;
  w.value = 1234;
  w.decimals = 3;
  w.unit = "kg";
  auto p = weighedPrice(w, *common::Decimal::parse("4.99"), "kg");  // 6.15766 -> 6.16
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->toString(), "6.16");
  w.unit = "g";
  w.value = 250;
  w.decimals = 0;
  EXPECT_EQ(weighedPrice(w, *common::Decimal::parse("10.00"), "kg")->toString(), "2.50");
  w.status = WeightStatus::kMotion;
  EXPECT_EQ(weighedPrice(w, *common::Decimal::parse("10.00"), "kg").error().code, "weight_not_stable");
  w.status = WeightStatus::kStable;
  EXPECT_EQ(weighedPrice(w, *common::Decimal::parse("10.00"), "lb").error().code, "unit_mismatch");
}

TEST(EscPos, ReceiptBytesAndStatus) {
  Receipt r;
  r.header = "STORE 1";
  r.lines = {{"Apples", 2, *common::Decimal::parse("1.25"), std::nullopt, ""},
             {"Bread", 1, *common::Decimal::parse("2.00"), std::nullopt, ""}};
  r.open_drawer = true;
  std::string b = renderReceipt(r);
  EXPECT_EQ(b.substr(0, 2), "\x1b@");
  EXPECT_NE(b.find("TOTAL"), std::string::npos);
  EXPECT_NE(b.find("4.50"), std::string::npos);
  EXPECT_NE(b.find("\x1dV\x41"), std::string::npos);        // cut
  EXPECT_NE(b.find(std::string("\x1bp\x00\x19\xfa", 5)), std::string::npos);  // drawer pin 2, 50/500 ms
  PrinterStatus st;
  EXPECT_TRUE(escpos::applyStatusByte(1, 0x12, &st).ok());
  EXPECT_TRUE(st.online);
  EXPECT_TRUE(escpos::applyStatusByte(1, 0x1A, &st).ok());
  EXPECT_FALSE(st.online);
  EXPECT_TRUE(escpos::applyStatusByte(2, 0x16, &st).ok());
  EXPECT_TRUE(st.cover_open);
  EXPECT_TRUE(escpos::applyStatusByte(4, 0x72, &st).ok());
  EXPECT_TRUE(st.paper_out);
  EXPECT_FALSE(escpos::applyStatusByte(1, 0xFF, &st).ok());  // fixed bits wrong
  PrinterStatus want;
  want.cover_open = true;
  want.paper_near_end = true;
  PrinterStatus back;
  for (int n = 1; n <= 4; ++n) ASSERT_TRUE(escpos::applyStatusByte(n, escpos::statusByteFor(n, want), &back).ok());
  EXPECT_EQ(back.summary(), "cover_open,paper_near_end");
}

// A weighed line is charged its amount (not qty x price), the title and the QR code of the
// event id are in the bytes, and the GS ( k lengths count cn, fn and the parameters.
TEST(EscPos, WeighedLineTitleAndQrCode) {
  Receipt r;
  r.header = "STORE 1";
  r.title = "COPY";
  r.lines = {{"Apples", 1234, *common::Decimal::parse("3.49"), *common::Decimal::parse("4.31"), "1.234 kg @ 3.49/kg"},
             {"Bread", 2, *common::Decimal::parse("2.00"), std::nullopt, ""}};
  r.barcode = "0b7e2a4c-0000-4000-8000-000000000001";
  EXPECT_EQ(receiptTotal(r).toString(), "8.31");
  std::string b = renderReceipt(r);
  EXPECT_NE(b.find("COPY\n"), std::string::npos);
  EXPECT_NE(b.find("1.234 kg @ 3.49/kg"), std::string::npos);
  EXPECT_NE(b.find("8.31"), std::string::npos);
  EXPECT_EQ(b.find("1234 x"), std::string::npos);
  std::string store = std::string("\x1d(k\x27\x00" "1P0", 8) + r.barcode;  // 36 data bytes + 3 = 0x27
  EXPECT_NE(b.find(store), std::string::npos);
  EXPECT_NE(b.find(std::string("\x1d(k\x04\x00" "1A2\x00", 9)), std::string::npos);  // model 2
  EXPECT_NE(b.find(std::string("\x1d(k\x03\x00" "1Q0", 8)), std::string::npos);       // print
  EXPECT_LT(b.find(store), b.find(std::string("\x1d(k\x03\x00" "1Q0", 8)));
}

// A serial port scripted by the test: chunks to deliver, then "unplug".
class FakeSerialPort final : public SerialPort {
 public:
  struct Script {
    std::mutex mu;
    std::deque<std::string> chunks;
    bool unplug_after = false;
    std::string written;
    int opens = 0;
  };
  explicit FakeSerialPort(Script& s) : s_(s) {}
  common::Result<size_t> read(uint8_t* buf, size_t max, int timeout_ms) override {
    (void)timeout_ms;
    std::lock_guard<std::mutex> lock(s_.mu);
    if (s_.chunks.empty()) {
      if (s_.unplug_after) {
        s_.unplug_after = false;
        return common::Error::retry("port_gone", "fake unplugged");
      }
      return size_t{0};
    }
    std::string c = s_.chunks.front();
    s_.chunks.pop_front();
    size_t n = std::min(max, c.size());
    std::copy(c.begin(), c.begin() + static_cast<long>(n), buf);
    return n;
  }
  common::Status write(const uint8_t* data, size_t len, int) override {
    std::lock_guard<std::mutex> lock(s_.mu);
    s_.written.append(reinterpret_cast<const char*>(data), len);
    return {};
  }
  void discardInput() override {}
  const std::string& name() const override { return name_; }

 private:
  Script& s_;
  std::string name_ = "fake";
};

TEST(ScannerReader, ReconnectsAfterUnplugAndAcksSsi) {
  FakeSerialPort::Script script;
  auto scan = ssi::encode(ssi::decodeDataPackets(0x0B, "4006381333931")[0]);
  std::vector<uint8_t> corrupt(scan.begin(), scan.end());
  corrupt[corrupt.size() - 1] = static_cast<uint8_t>(corrupt[corrupt.size() - 1] ^ 0x55);
  script.chunks.push_back(std::string(corrupt.begin(), corrupt.end()));
  script.chunks.push_back(std::string(scan.begin(), scan.end()));
  script.unplug_after = true;
  std::mutex mu;
  std::vector<ScannerEvent> events;
  ScannerConfig cfg;
  cfg.mode = ScannerMode::kSsi;
  cfg.reconnect_delay_ms = 10;
  ScannerReader reader(
      [&]() -> common::Result<std::unique_ptr<SerialPort>> {
        std::lock_guard<std::mutex> lock(script.mu);
        ++script.opens;
        return std::unique_ptr<SerialPort>(new FakeSerialPort(script));
      },
      cfg,
      [&](const ScannerEvent& e) {
        std::lock_guard<std::mutex> lock(mu);
        events.push_back(e);
      },
      common::SystemClock::instance());
  reader.start();
  ASSERT_TRUE(test::waitFor([&] {
    std::lock_guard<std::mutex> lock(script.mu);
    return script.opens >= 2;
  }, std::chrono::seconds(5)));
  reader.stop();
  std::lock_guard<std::mutex> lock(mu);
  std::vector<std::string> scans;
  int disconnects = 0;
  for (auto& e : events) {
    if (e.kind == ScannerEvent::kScan) scans.push_back(e.text);
    if (e.kind == ScannerEvent::kDisconnected) ++disconnects;
  }
  ASSERT_EQ(scans.size(), 1u);
  EXPECT_EQ(scans[0], "]E04006381333931");
  EXPECT_GE(disconnects, 1);
  auto nak = ssi::encode(ssi::nak(ssi::kNakResend));
  auto ack = ssi::encode(ssi::ack());
  std::lock_guard<std::mutex> l2(script.mu);
  EXPECT_NE(script.written.find(std::string(nak.begin(), nak.end())), std::string::npos);
  EXPECT_NE(script.written.find(std::string(ack.begin(), ack.end())), std::string::npos);
}

}  // namespace
}  // namespace sw::fw
