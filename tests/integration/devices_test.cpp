// Devices on pseudo-terminals: stockwire-device-emulator drives the real serial code
// (TermiosSerialPort, framing, SSI, scale and printer protocols, reconnect), the
// libserialport adapter's own behaviour, and the agent's scan-decode and handheld
// binaries end to end (card data never reaching the database or the logs), and the agent's
// own devices: the receipt queue (in process, real SQLite) and `run` with a scanner, scale,
// printer and drawer on emulators, through the local API.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "sw/agent/catalog.h"
#include "sw/agent/devices.h"
#include "sw/agent/http_api.h"
#include "sw/agent/tasks.h"
#include "sw/agent/store.h"
#include "sw/common/clock.h"
#include "sw/fw/escpos.h"
#include "sw/fw/libserialport_port.h"
#include "sw/fw/scale.h"
#include "sw/fw/scanner_reader.h"
#include "sw/fw/termios_serial_port.h"
#include "sw/harness/stack.h"
#include "test_support.h"

namespace sw::test {
namespace {

using namespace std::chrono_literals;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child with a pipe on stdin (commands) and stdout/stderr in files.
class PipedChild {
 public:
  PipedChild(const std::vector<std::string>& argv, const std::string& prefix) : out_(prefix + ".out"), err_(prefix + ".err") {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[0], 0);
      close(fds[1]);
      int o = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(fds[0]);
    in_ = fds[1];
  }
  ~PipedChild() {
    if (in_ >= 0) close(in_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void send(const std::string& line) {
    std::string l = line + "\n";
    ASSERT_EQ(write(in_, l.data(), l.size()), static_cast<ssize_t>(l.size()));
  }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }
  bool waitOut(const std::string& needle, std::chrono::milliseconds t = 10s) {
    return waitFor([&] { return out().find(needle) != std::string::npos; }, t);
  }
  // Returns the n-th (1-based) pty path the child printed.
  std::string ptyPath(int n = 1) {
    std::string path;
    waitFor([&] {
      std::istringstream ss(out());
      int seen = 0;
      for (std::string l; std::getline(ss, l);) {
        if (l.rfind("pty ", 0) == 0 && ++seen == n) {
          path = l.substr(4);
          return true;
        }
      }
      return false;
    }, 10s);
    return path;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  std::string out_, err_;
};

std::string emulatorBinary() { return binaryPath("tools/emulators", "stockwire-device-emulator"); }

std::vector<std::string> emulatorArgs(const std::string& device, const std::string& protocol, const std::string& link) {
  return {emulatorBinary(), "--device", device, "--protocol", protocol, "--link", link};
}

struct Collected {
  std::mutex mu;
  std::vector<fw::ScannerEvent> events;
  std::vector<std::string> scans() {
    std::lock_guard<std::mutex> l(mu);
    std::vector<std::string> s;
    for (auto& e : events) {
      if (e.kind == fw::ScannerEvent::kScan) s.push_back(e.text);
    }
    return s;
  }
  int count(fw::ScannerEvent::Kind k) {
    std::lock_guard<std::mutex> l(mu);
    int n = 0;
    for (auto& e : events) n += e.kind == k;
    return n;
  }
};

TEST(ScannerOverPty, LineModeFramingGarbageSlowDeviceAndReplug) {
  TempDir dir;
  std::string link = dir.file("scanner");
  PipedChild emu(emulatorArgs("scanner", "line", link), dir.file("emu"));
  ASSERT_FALSE(emu.ptyPath().empty()) << emu.err();
  Collected got;
  fw::ScannerConfig cfg;
  cfg.reconnect_delay_ms = 20;
  fw::ScannerReader reader(fw::termiosOpener(link, {}), cfg,
                           [&](const fw::ScannerEvent& e) {
                             std::lock_guard<std::mutex> l(got.mu);
                             got.events.push_back(e);
                           },
                           common::SystemClock::instance());
  reader.start();
  ASSERT_TRUE(waitFor([&] { return got.count(fw::ScannerEvent::kConnected) == 1; }, 10s));
  emu.send("raw 00 07 FF");                    // line noise before the scan
  emu.send("scan ]C1010950110153000317250101");
  emu.send("scan ]C10109501101530003{GS}10ABC");
  ASSERT_TRUE(waitFor([&] { return got.scans().size() == 2; }, 10s)) << emu.out();
  EXPECT_EQ(got.scans()[1], std::string("]C10109501101530003\x1d") + "10ABC");
  emu.send("delay 5");                         // a slow device: 5 ms between bytes
  emu.send("scan ]E04006381333931");
  ASSERT_TRUE(waitFor([&] { return got.scans().size() == 3; }, 10s));
  EXPECT_EQ(got.scans()[2], "]E04006381333931");
  emu.send("delay 0");
  emu.send("unplug");
  ASSERT_TRUE(waitFor([&] { return got.count(fw::ScannerEvent::kDisconnected) >= 1; }, 10s));
  emu.send("plug");
  ASSERT_TRUE(waitFor([&] { return got.count(fw::ScannerEvent::kConnected) == 2; }, 10s)) << emu.out();
  emu.send("scan ]A0AFTER-REPLUG");
  ASSERT_TRUE(waitFor([&] { return got.scans().size() == 4; }, 10s));
  EXPECT_EQ(got.scans()[3], "]A0AFTER-REPLUG");
  reader.stop();
}

TEST(ScannerOverPty, SuffixlessScannerEndsOnPause) {
  TempDir dir;
  std::string link = dir.file("scanner");
  auto args = emulatorArgs("scanner", "line", link);
  args.push_back("--suffix");
  args.push_back("none");
  PipedChild emu(args, dir.file("emu"));
  ASSERT_FALSE(emu.ptyPath().empty());
  Collected got;
  fw::ScannerReader reader(fw::termiosOpener(link, {}), {},
                           [&](const fw::ScannerEvent& e) {
                             std::lock_guard<std::mutex> l(got.mu);
                             got.events.push_back(e);
                           },
                           common::SystemClock::instance());
  reader.start();
  ASSERT_TRUE(waitFor([&] { return got.count(fw::ScannerEvent::kConnected) == 1; }, 10s));
  emu.send("scan ]E04006381333931");
  ASSERT_TRUE(waitFor([&] { return got.scans().size() == 1; }, 10s));
  EXPECT_EQ(got.scans()[0], "]E04006381333931");
  reader.stop();
}

TEST(ScannerOverPty, SsiPacketsWithNakRetransmitAndMultiPacket) {
  TempDir dir;
  std::string link = dir.file("scanner");
  auto args = emulatorArgs("scanner", "ssi", link);
  args.insert(args.end(), {"--ssi-type", "0F", "--ssi-max", "20"});
  PipedChild emu(args, dir.file("emu"));
  ASSERT_FALSE(emu.ptyPath().empty());
  Collected got;
  fw::ScannerConfig cfg;
  cfg.mode = fw::ScannerMode::kSsi;
  fw::ScannerReader reader(fw::termiosOpener(link, {}), cfg,
                           [&](const fw::ScannerEvent& e) {
                             std::lock_guard<std::mutex> l(got.mu);
                             got.events.push_back(e);
                           },
                           common::SystemClock::instance());
  reader.start();
  ASSERT_TRUE(emu.waitOut("ssi host command E9")) << emu.out();  // the reader enabled scanning
  emu.send("corrupt-next");
  emu.send("scan 0109501101530003{GS}10LOT-WITH-A-LONG-NAME{GS}21SERIAL123");
  ASSERT_TRUE(waitFor([&] { return got.scans().size() == 1; }, 10s)) << emu.out();
  EXPECT_EQ(got.scans()[0], std::string("]C10109501101530003\x1d") + "10LOT-WITH-A-LONG-NAME\x1d" + "21SERIAL123");
  EXPECT_NE(emu.out().find("ssi nak"), std::string::npos);
  reader.stop();
}

class ScaleOverPty : public ::testing::TestWithParam<std::string> {};

TEST_P(ScaleOverPty, StableMotionOverUnderAndTimeout) {
  TempDir dir;
  std::string link = dir.file("scale");
  PipedChild emu(emulatorArgs("scale", GetParam(), link), dir.file("emu"));
  ASSERT_FALSE(emu.ptyPath().empty());
  auto port = fw::TermiosSerialPort::open(link, {});
  ASSERT_TRUE(port.ok()) << port.error().toString();
  auto proto = fw::parseScaleProtocol(GetParam());
  ASSERT_TRUE(proto.ok());
  fw::Scale scale(**port, *proto, fw::ScaleOptions{"kg", 500});
  emu.send("weight 01.234 kg");
  emu.send("echo w1");
  ASSERT_TRUE(emu.waitOut("echo w1"));
  auto w = scale.read();
  ASSERT_TRUE(w.ok()) << w.error().toString();
  EXPECT_EQ(w->status, fw::WeightStatus::kStable);
  EXPECT_EQ(w->valueText(), "1.234");
  auto price = fw::weighedPrice(*w, *common::Decimal::parse("4.99"), "kg");
  ASSERT_TRUE(price.ok());
  EXPECT_EQ(price->toString(), "6.16");
  emu.send("motion on");
  emu.send("echo w2");
  ASSERT_TRUE(emu.waitOut("echo w2"));
  auto m = scale.read();
  ASSERT_TRUE(m.ok()) << m.error().toString();
  EXPECT_NE(m->status, fw::WeightStatus::kStable);
  EXPECT_FALSE(fw::weighedPrice(*m, *common::Decimal::parse("4.99"), "kg").ok());
  emu.send("over");
  emu.send("echo w3");
  ASSERT_TRUE(emu.waitOut("echo w3"));
  EXPECT_EQ(scale.read()->status, fw::WeightStatus::kOverRange);
  emu.send("under");
  emu.send("echo w4");
  ASSERT_TRUE(emu.waitOut("echo w4"));
  EXPECT_EQ(scale.read()->status, fw::WeightStatus::kUnderZero);
  emu.send("no-reply 5");
  emu.send("echo w5");
  ASSERT_TRUE(emu.waitOut("echo w5"));
  auto t = scale.read();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "scale_timeout");
  EXPECT_EQ(t.error().kind, common::ErrorKind::kRetry);
}

INSTANTIATE_TEST_SUITE_P(Protocols, ScaleOverPty, ::testing::Values("toledo", "mt-sics", "cas"));

TEST(PrinterOverPty, ReceiptCutDrawerAndStatus) {
  TempDir dir;
  std::string link = dir.file("printer");
  PipedChild emu(emulatorArgs("printer", "escpos", link), dir.file("emu"));
  ASSERT_FALSE(emu.ptyPath().empty());
  auto port = fw::TermiosSerialPort::open(link, {});
  ASSERT_TRUE(port.ok());
  fw::EscPosPrinter printer(**port, 500);
  auto st = printer.status();
  ASSERT_TRUE(st.ok()) << st.error().toString();
  EXPECT_EQ(st->summary(), "ok");
  fw::Receipt r;
  r.header = "STORE 1";
  r.lines = {{"Apples", 2, *common::Decimal::parse("1.25"), std::nullopt, ""}};
  r.open_drawer = true;
  ASSERT_TRUE(printer.print(r).ok());
  ASSERT_TRUE(emu.waitOut("printer cut full"));
  ASSERT_TRUE(emu.waitOut("drawer pulse pin=2 on=50 off=500"));
  EXPECT_NE(emu.out().find("TOTAL"), std::string::npos);
  emu.send("paper-out on");
  emu.send("cover-open on");
  emu.send("echo p1");
  ASSERT_TRUE(emu.waitOut("echo p1"));
  auto bad = printer.status();
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(bad->paper_out);
  EXPECT_TRUE(bad->cover_open);
  auto refused = printer.print(r);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "printer_paper_out");
  emu.send("paper-out off");
  emu.send("cover-open off");
  emu.send("offline on");
  emu.send("echo p2");
  ASSERT_TRUE(emu.waitOut("echo p2"));
  EXPECT_FALSE(printer.status()->online);
  EXPECT_EQ(printer.print(r).error().code, "printer_offline");
  emu.send("no-reply 10");
  emu.send("echo p3");
  ASSERT_TRUE(emu.waitOut("echo p3"));
  EXPECT_EQ(printer.status().error().code, "printer_not_responding");
}

TEST(TermiosSerialPort, CleanErrorsForMissingAndBusyPorts) {
  TempDir dir;
  auto missing = fw::TermiosSerialPort::open(dir.file("nope"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "port_not_found");
  std::string link = dir.file("scanner");
  PipedChild emu(emulatorArgs("scanner", "line", link), dir.file("emu"));
  ASSERT_FALSE(emu.ptyPath().empty());
  auto first = fw::TermiosSerialPort::open(link, {});
  ASSERT_TRUE(first.ok());
  auto second = fw::TermiosSerialPort::open(link, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "port_busy");
  std::ofstream(dir.file("plain")) << "x";
  auto notatty = fw::TermiosSerialPort::open(dir.file("plain"), {});
  ASSERT_FALSE(notatty.ok());
  EXPECT_EQ(notatty.error().code, "not_a_serial_port");
  EXPECT_EQ(fw::TermiosSerialPort::open(link, fw::SerialSettings{12345}).error().code, "bad_settings");
}

TEST(LibSerialPort, EnumerationAndCleanErrors) {
  auto ports = fw::LibSerialPort::enumerate();
  ASSERT_TRUE(ports.ok()) << ports.error().toString();  // may be empty in a container
  for (const auto& p : *ports) EXPECT_FALSE(p.name.empty());
  auto missing = fw::LibSerialPort::open("/dev/ttyNOSUCHPORT9", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "port_not_found");
  // libserialport 0.1.1 refuses a pseudo-terminal: the error says so instead of crashing.
  TempDir dir;
  PipedChild emu(emulatorArgs("scanner", "line", dir.file("s")), dir.file("emu"));
  std::string pty = emu.ptyPath();
  ASSERT_FALSE(pty.empty());
  auto on_pty = fw::LibSerialPort::open(pty, {});
  if (!on_pty.ok()) {
    EXPECT_EQ(on_pty.error().code, "not_a_serial_port") << on_pty.error().toString();
  }
  // Hot-plug by re-enumeration: a USB id that is not plugged in gives port_not_found (retry).
  fw::PortMatch m;
  m.usb_vid = 0xFFFE;
  m.usb_pid = 0xFFFE;
  auto absent = fw::libSerialPortOpener(m, {})();
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().code, "port_not_found");
  EXPECT_EQ(absent.error().kind, common::ErrorKind::kRetry);
  std::vector<fw::PortInfo> fake = {{"/dev/ttyACM0", "a", 0x05e0, 0x1200, "S1"}, {"/dev/ttyACM1", "b", 0x05e0, 0x1200, "S2"}};
  fw::PortMatch by_serial{"", 0x05e0, 0x1200, "S2"};
  EXPECT_EQ(fw::findPort(fake, by_serial)->name, "/dev/ttyACM1");
}

TEST(ScanDecodeBinary, OneJsonObjectPerLine) {
  TempDir dir;
  std::ofstream(dir.file("in.txt")) << "]C1010950110153000317250101\r\n]E04006381333932\n\n]C04111111111111111\n";
  std::string cmd = agentBinary() + " scan-decode --current-year 2025 < " + dir.file("in.txt") + " > " + dir.file("out.txt");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::istringstream out(slurp(dir.file("out.txt")));
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(out, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["gtin"], "09501101530003");
  EXPECT_EQ(lines[1]["error"]["code"], "bad_check_digit");
  EXPECT_EQ(lines[2]["error"]["code"], "card_data_refused");
  EXPECT_EQ(slurp(dir.file("out.txt")).find("4111111111111111"), std::string::npos);
}

TEST(HandheldBinary, ScannerToAgentOutboxAndCardDataNeverStored) {
  TempDir dir;
  Broker broker;
  AgentProc agent(dir, "hh-1", "WH-1", broker.url(), "handheld");
  agent.start();
  ASSERT_GT(agent.port(), 0);
  std::string link = dir.file("scanner");
  PipedChild emu(emulatorArgs("scanner", "line", link), dir.file("emu"));
  ASSERT_FALSE(emu.ptyPath().empty());
  PipedChild hh({agentBinary(), "handheld", "--agent", "http://127.0.0.1:" + std::to_string(agent.port()), "--scanner", link},
                dir.file("hh"));
  ASSERT_TRUE(hh.waitOut("SCANNER connected")) << hh.out() << hh.err();
  hh.send("count");
  ASSERT_TRUE(hh.waitOut("STARTED count"));
  emu.send("scan ]E04006381333931");
  emu.send("scan ]C10109501101530003{GS}10LOT1");
  ASSERT_TRUE(hh.waitOut("OK 09501101530003 now 1")) << hh.out();
  emu.send("scan ]C04111111111111111");                     // a card swiped through a wedge
  emu.send("scan %B4111111111111111^DOE/JOHN^2512101?");   // track data with a bad AIM id
  ASSERT_TRUE(waitFor([&] {
    size_t n = 0, at = 0;
    std::string o = hh.out();
    while ((at = o.find("card_data_refused", at)) != std::string::npos) ++n, ++at;
    return n >= 1;
  }, 10s)) << hh.out();
  emu.send("unplug");
  ASSERT_TRUE(hh.waitOut("SCANNER disconnected"));
  emu.send("plug");
  ASSERT_TRUE(waitFor([&] {
    std::string o = hh.out();
    return o.find("SCANNER connected") != o.rfind("SCANNER connected");
  }, 10s)) << hh.out();
  emu.send("scan ]E04006381333931");
  ASSERT_TRUE(hh.waitOut("OK 04006381333931 now 2")) << hh.out();
  hh.send("4111 1111 1111 1111");  // typed on the keyboard
  hh.send("done");
  ASSERT_TRUE(hh.waitOut("RECORDED count 2 lines")) << hh.out() << hh.err();
  HttpReply ev = httpGet(agent.port(), "/v1/events/1");
  ASSERT_EQ(ev.status, 200) << ev.body.dump();
  EXPECT_EQ(ev.body["type"], "count");
  EXPECT_EQ(ev.body["lines"].size(), 2u);
  // The API refuses card data in requests too.
  HttpReply refused = agent.movement({{"type", "receive"}, {"sku", "4111111111111111"}, {"qty", 1}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body["error"]["code"], "card_data_refused");
  EXPECT_EQ(refused.body.dump().find("4111111111111111"), std::string::npos);
  agent.stop();
  // Nothing anywhere holds the card number: database files, agent logs, handheld output.
  std::vector<std::string> places = {hh.out(), hh.err(), agent.logs(), emu.err()};
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind("emu", 0) == 0) continue;  // the emulator itself sent it
    if (entry.is_regular_file()) places.push_back(slurp(entry.path().string()));
  }
  for (const auto& text : places) {
    EXPECT_EQ(text.find("4111111111111111"), std::string::npos);
    EXPECT_EQ(text.find("4111 1111 1111 1111"), std::string::npos);
  }
}

// ---------------------------------------------------------------- the agent's devices

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

agent::EventDraft saleDraft(const std::string& sku, int64_t qty, const std::string& price) {
  agent::EventDraft d;
  d.type = common::EventType::kSale;
  d.lines.push_back({sku, qty, *common::Decimal::parse(price)});
  return d;
}

nlohmann::json receiptFor(agent::ReceiptQueue& q, const std::string& event_id) {
  auto list = q.list(100);
  if (!list.ok()) return nullptr;
  for (const auto& r : (*list)["receipts"]) {
    if (r["event_id"] == event_id) return r;
  }
  return nullptr;
}

// Receipts are queued in the store and printed by the worker: a printer that is unplugged or
// out of paper leaves the sale recorded and its receipt pending (with why), and the receipt
// prints when the printer is back; a reprint prints a COPY; history from before the queue
// existed is not printed, and a sale recorded while the worker was down is caught up.
TEST(ReceiptQueue, SalesNeverWaitForThePrinterAndReceiptsPrintWhenItIsBack) {
  TempDir dir;
  const common::Clock& clock = common::SystemClock::instance();
  agent::StoreConfig sc;
  sc.path = dir.file("till.db");
  sc.device_id = "till-1";
  sc.location = "store-1";
  sc.min_free_bytes = 0;
  auto store = agent::Store::open(sc, clock);
  ASSERT_TRUE(store.ok()) << store.error().toString();
  auto history = (*store)->record(saleDraft("OLD-1", 1, "1.00"));  // before any printer
  ASSERT_TRUE(history.ok());
  ASSERT_TRUE(agent::ReceiptQueue::createTables(**store).ok());

  std::string link = dir.file("printer");  // nothing there yet: the printer is unplugged
  agent::PrinterLink printer(fw::termiosOpener(link, {}), 500);
  agent::ReceiptQueue::Options o;
  o.header = "STORE 1";
  o.min_backoff_ms = 20;
  o.max_backoff_ms = 100;
  o.poll_ms = 50;
  agent::ReceiptQueue queue(**store, printer, clock, o);
  queue.start();

  auto s1 = (*store)->record(saleDraft("SKU-1", 2, "9.99"));
  ASSERT_TRUE(s1.ok());
  queue.notify();
  ASSERT_TRUE(waitFor([&] {
    auto r = receiptFor(queue, s1->event_id);
    return r.is_object() && r["attempts"].get<int64_t>() >= 1;
  }, 10s));
  auto r1 = receiptFor(queue, s1->event_id);
  EXPECT_EQ(r1["state"], "pending");
  EXPECT_EQ(r1["last_error"], "port_not_found");
  EXPECT_EQ(r1["total"], "19.98");
  EXPECT_TRUE(receiptFor(queue, history->event_id).is_null());  // history is not printed

  PipedChild emu(emulatorArgs("printer", "escpos", link), dir.file("emu"));  // plugged in
  ASSERT_FALSE(emu.ptyPath().empty());
  ASSERT_TRUE(emu.waitOut("printer qr " + s1->event_id)) << emu.out();
  ASSERT_TRUE(emu.waitOut("printer cut full"));
  EXPECT_NE(emu.out().find("TOTAL"), std::string::npos);
  EXPECT_NE(emu.out().find("19.98"), std::string::npos);
  EXPECT_NE(emu.out().find("Ref " + s1->event_id), std::string::npos);
  ASSERT_TRUE(waitFor([&] { return receiptFor(queue, s1->event_id)["state"] == "printed"; }, 5s));

  // Out of paper: the sale is recorded at once, the receipt waits and says why.
  emu.send("paper-out on");
  emu.send("echo paper");
  ASSERT_TRUE(emu.waitOut("echo paper"));
  auto s2 = (*store)->record(saleDraft("SKU-2", 1, "4.50"));
  ASSERT_TRUE(s2.ok());
  queue.notify();
  ASSERT_TRUE(waitFor([&] { return receiptFor(queue, s2->event_id)["last_error"] == "printer_paper_out"; }, 10s));
  EXPECT_EQ(receiptFor(queue, s2->event_id)["state"], "pending");
  EXPECT_EQ(emu.out().find("printer qr " + s2->event_id), std::string::npos);
  emu.send("paper-out off");
  ASSERT_TRUE(emu.waitOut("printer qr " + s2->event_id)) << emu.out();
  ASSERT_TRUE(waitFor([&] { return receiptFor(queue, s2->event_id)["state"] == "printed"; }, 5s));

  // A reprint is a copy.
  EXPECT_EQ(queue.reprint(999).error().code, "not_found");
  auto again = queue.reprint(receiptFor(queue, s1->event_id)["id"].get<int64_t>());
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(waitFor([&] { return countOf(emu.out(), "printer qr " + s1->event_id) == 2; }, 10s)) << emu.out();
  EXPECT_NE(emu.out().find("printer line COPY"), std::string::npos);
  ASSERT_TRUE(waitFor([&] { return receiptFor(queue, s1->event_id)["prints"] == 2; }, 5s));

  // A sale recorded while no worker runs (a crash between the sale and the queue) is caught up;
  // a sale confirming a pick task is an online order and gets no till receipt.
  queue.stop();
  ASSERT_TRUE(agent::ensurePickTaskTable(**store).ok());
  const std::string task_id = "7d444840-9dc0-11d1-b245-5ffdce74fad2";
  ASSERT_TRUE((*store)->transaction([&](common::SqliteDb& db) -> common::Status {
    return db.exec("INSERT INTO pick_tasks VALUES ('" + task_id + "','store-1','o-1','#1001','shopify','[]',1,1,NULL,NULL)");
  }).ok());
  auto pick = saleDraft("SKU-4", 1, "5.00");
  pick.ref = task_id;
  auto picked = (*store)->record(pick);
  ASSERT_TRUE(picked.ok()) << picked.error().toString();
  auto s3 = (*store)->record(saleDraft("SKU-3", 1, "1.25"));
  ASSERT_TRUE(s3.ok());
  ASSERT_TRUE(agent::ReceiptQueue::createTables(**store).ok());  // at the next start: the cursor stays
  agent::ReceiptQueue restarted(**store, printer, clock, o);
  ASSERT_TRUE(waitFor([&] { return restarted.step(); }, 5s));
  ASSERT_TRUE(emu.waitOut("printer qr " + s3->event_id)) << emu.out();
  EXPECT_EQ(countOf(emu.out(), "printer qr "), 4u);  // s1 twice, s2, s3: nothing else
  EXPECT_TRUE(receiptFor(restarted, picked->event_id).is_null());
}

// Printed receipts are deleted after keep_printed_ms; pending ones never are. Sales that are
// already old when the queue first sees them are held.
TEST(ReceiptQueue, PrintedReceiptsArePrunedAndStaleSalesHeld) {
  TempDir dir;
  common::ManualClock clock;
  agent::StoreConfig sc;
  sc.path = dir.file("till.db");
  sc.device_id = "till-1";
  sc.location = "store-1";
  sc.min_free_bytes = 0;
  auto store = agent::Store::open(sc, clock);
  ASSERT_TRUE(store.ok()) << store.error().toString();
  ASSERT_TRUE(agent::ReceiptQueue::createTables(**store).ok());
  PipedChild emu(emulatorArgs("printer", "escpos", dir.file("printer")), dir.file("emu"));
  ASSERT_FALSE(emu.ptyPath().empty());
  agent::PrinterLink printer(fw::termiosOpener(dir.file("printer"), {}), 500);
  agent::ReceiptQueue::Options o;
  o.keep_printed_ms = 24 * 3600 * 1000;
  agent::ReceiptQueue queue(**store, printer, clock, o);  // driven by step(), no thread
  auto old_sale = (*store)->record(saleDraft("SKU-1", 1, "1.00"));
  ASSERT_TRUE(old_sale.ok());
  ASSERT_TRUE(queue.step());
  clock.advanceMs(23 * 3600 * 1000);
  auto new_sale = (*store)->record(saleDraft("SKU-2", 1, "2.00"));
  ASSERT_TRUE(new_sale.ok());
  ASSERT_TRUE(queue.step());
  emu.send("paper-out on");
  emu.send("echo p");
  ASSERT_TRUE(emu.waitOut("echo p"));
  auto waiting = (*store)->record(saleDraft("SKU-3", 1, "3.00"));
  ASSERT_TRUE(waiting.ok());
  EXPECT_FALSE(queue.step());
  clock.advanceMs(2 * 3600 * 1000);  // the first receipt is now 25 h old, the second 2 h
  queue.step();
  EXPECT_TRUE(receiptFor(queue, old_sale->event_id).is_null());
  EXPECT_EQ(receiptFor(queue, new_sale->event_id)["state"], "printed");
  EXPECT_EQ(receiptFor(queue, waiting->event_id)["state"], "pending");

  // A sale the queue first sees when it is already old is held, not printed, until asked for.
  emu.send("paper-out off");
  ASSERT_TRUE(waitFor([&] {
    clock.advanceMs(1000);  // past the backoff
    return queue.step();
  }, 5s));  // the waiting one
  auto stale = (*store)->record(saleDraft("SKU-5", 1, "5.00"));
  ASSERT_TRUE(stale.ok());
  clock.advanceMs(11 * 60 * 1000);
  EXPECT_FALSE(queue.step());
  EXPECT_EQ(receiptFor(queue, stale->event_id)["state"], "held");
  ASSERT_TRUE(queue.reprint(receiptFor(queue, stale->event_id)["id"].get<int64_t>()).ok());
  ASSERT_TRUE(waitFor([&] { return queue.step(); }, 5s));
  ASSERT_TRUE(emu.waitOut("printer qr " + stale->event_id));
  EXPECT_EQ(receiptFor(queue, stale->event_id)["state"], "printed");
}

// stockwire-agent run with a scanner, a scale, a printer and its drawer on emulators.
TEST(AgentDevices, ScaleReceiptsDrawerAndScansThroughTheLocalApi) {
  TempDir dir;
  Broker broker;
  std::string scanner_link = dir.file("scanner"), scale_link = dir.file("scale"), printer_link = dir.file("printer");
  PipedChild scanner(emulatorArgs("scanner", "line", scanner_link), dir.file("emu-scanner"));
  PipedChild scale(emulatorArgs("scale", "toledo", scale_link), dir.file("emu-scale"));
  PipedChild printer(emulatorArgs("printer", "escpos", printer_link), dir.file("emu-printer"));
  ASSERT_FALSE(scanner.ptyPath().empty());
  ASSERT_FALSE(scale.ptyPath().empty());
  ASSERT_FALSE(printer.ptyPath().empty());
  AgentProc till(dir, "till-1", "store-1", broker.url(), "till", {},
                 {"--scanner", scanner_link, "--scale", scale_link, "--scale-settle-ms", "300", "--printer", printer_link,
                  "--drawer", "printer", "--receipt-header", "STOCKWIRE STORE 1"});
  till.start();
  ASSERT_GT(till.port(), 0) << till.logs();

  // Scale: nothing on it, a moving load, then a stable weight priced per kg.
  HttpReply empty = httpPost(till.port(), "/v1/scale/read", "");
  EXPECT_EQ(empty.status, 409) << empty.body.dump();
  EXPECT_EQ(empty.body["error"]["code"], "no_reading");
  scale.send("weight 1.234 kg");
  scale.send("motion on");
  HttpReply moving = httpPost(till.port(), "/v1/scale/read", "");
  EXPECT_EQ(moving.status, 409) << moving.body.dump();
  EXPECT_EQ(moving.body["error"]["code"], "weight_not_stable");
  scale.send("motion off");
  HttpReply weighed = httpPost(till.port(), "/v1/scale/read", R"({"unit_price":"3.49","price_unit":"kg"})");
  ASSERT_EQ(weighed.status, 200) << weighed.body.dump();
  EXPECT_EQ(weighed.body["weight"], "1.234");
  EXPECT_EQ(weighed.body["unit"], "kg");
  EXPECT_EQ(weighed.body["grams"], 1234);
  EXPECT_EQ(weighed.body["amount"], "4.31");
  EXPECT_EQ(httpPost(till.port(), "/v1/scale/read", R"({"unit_price":"3.49","price_unit":"each"})").status, 400);

  // Printer unplugged: the sale is answered, its receipt waits, and prints after the replug.
  printer.send("unplug");
  ASSERT_TRUE(printer.waitOut("unplugged"));
  HttpReply sale = httpPost(till.port(), "/v1/sales", R"({"lines":[{"sku":"SKU-1","qty":2,"unit_price":"9.99"}]})");
  ASSERT_EQ(sale.status, 201) << sale.body.dump();
  std::string event_id = sale.body["event_id"];
  ASSERT_TRUE(waitFor([&] {
    HttpReply r = httpGet(till.port(), "/v1/receipts?state=pending");
    return r.status == 200 && r.body["receipts"].size() == 1 && r.body["receipts"][0]["attempts"].get<int64_t>() >= 1;
  }, 10s));
  HttpReply pending = httpGet(till.port(), "/v1/receipts?state=pending");
  EXPECT_EQ(pending.body["receipts"][0]["event_id"], event_id);
  EXPECT_NE(pending.body["receipts"][0]["last_error"], "");
  printer.send("plug");
  ASSERT_TRUE(printer.waitOut("printer qr " + event_id, 20s)) << printer.out() << till.logs();
  EXPECT_NE(printer.out().find("printer line STOCKWIRE STORE 1"), std::string::npos);
  ASSERT_TRUE(waitFor([&] { return httpGet(till.port(), "/v1/receipts?state=pending").body["receipts"].empty(); }, 5s));
  int64_t receipt_id = httpGet(till.port(), "/v1/receipts").body["receipts"][0]["id"];
  HttpReply reprint = httpPost(till.port(), "/v1/receipts/" + std::to_string(receipt_id) + "/print", "");
  EXPECT_EQ(reprint.status, 202) << reprint.body.dump();
  ASSERT_TRUE(waitFor([&] { return countOf(printer.out(), "printer qr " + event_id) == 2; }, 10s)) << printer.out();
  EXPECT_EQ(httpPost(till.port(), "/v1/receipts/424242/print", "").status, 404);

  // The drawer is on the printer's kick-out port.
  HttpReply drawer = httpPost(till.port(), "/v1/drawer/open", "");
  EXPECT_EQ(drawer.status, 200) << drawer.body.dump();
  ASSERT_TRUE(printer.waitOut("drawer pulse pin=2 on=50 off=500")) << printer.out();

  // Scans: decoded, in order; a card swiped through the scanner is refused and not kept.
  scanner.send("scan ]E04006381333931");
  scanner.send("scan ]C04111111111111111");
  ASSERT_TRUE(waitFor([&] { return httpGet(till.port(), "/v1/scans").body["scans"].size() == 2; }, 10s));
  HttpReply scans = httpGet(till.port(), "/v1/scans");
  EXPECT_EQ(scans.body["scans"][0]["gtin"], "04006381333931");
  EXPECT_EQ(scans.body["scans"][1]["error"]["code"], "card_data_refused");
  EXPECT_EQ(scans.body.dump().find("1111"), std::string::npos);
  HttpReply later = httpGet(till.port(), "/v1/scans?after=" + std::to_string(scans.body["last_id"].get<int64_t>()));
  EXPECT_TRUE(later.body["scans"].empty());
  HttpReply devices = httpGet(till.port(), "/v1/devices");
  EXPECT_EQ(devices.body["scanner"]["state"], "connected") << devices.body.dump();
  EXPECT_EQ(devices.body["printer"]["pending"], 0);
  till.stop();
  EXPECT_EQ(till.logs().find("4111111111111111"), std::string::npos);
}

// A weight-priced catalog item: the scale read prices the weight and gives the sale line
// (qty in grams), and the receipt charges weight x price per kg, not grams x price.
TEST(AgentDevices, AWeighedSaleFromTheCatalogAndItsReceipt) {
  TempDir dir;
  const common::Clock& clock = common::SystemClock::instance();
  agent::StoreConfig sc;
  sc.path = dir.file("till.db");
  sc.device_id = "till-1";
  sc.location = "store-1";
  sc.min_free_bytes = 0;
  auto store = agent::Store::open(sc, clock);
  ASSERT_TRUE(store.ok()) << store.error().toString();
  ASSERT_TRUE(agent::createCatalogTables(**store).ok());
  ASSERT_TRUE((*store)->transaction([](common::SqliteDb& db) -> common::Status {
    return db.exec(
        "INSERT INTO catalog_item VALUES ('store-1','APPLES','Apples','kg',1,'food',1,'[]',1,1),"
        " ('store-1','BREAD','Bread','each',0,'food',1,'[]',1,1);"
        "INSERT INTO price_entry VALUES ('store-1','location','APPLES','','3.49','EUR',0,0,1,1),"
        " ('store-1','location','BREAD','','2.00','EUR',0,0,1,1);");
  }).ok());
  PipedChild scale(emulatorArgs("scale", "mt-sics", dir.file("scale")), dir.file("emu-scale"));
  PipedChild printer(emulatorArgs("printer", "escpos", dir.file("printer")), dir.file("emu-printer"));
  ASSERT_FALSE(scale.ptyPath().empty());
  ASSERT_FALSE(printer.ptyPath().empty());
  agent::DevicesConfig dc;
  dc.scale_port = dir.file("scale");
  dc.scale_model = fw::ScaleProtocol::kMtSics;
  dc.scale_settle_ms = 300;
  dc.printer_port = dir.file("printer");
  dc.receipt_header = "STORE 1";
  agent::Devices devices(**store, dc, clock);
  ASSERT_TRUE(devices.start().ok());
  agent::AgentHttpApi api(**store, nullptr, clock);
  api.setDevices(&devices);
  ASSERT_TRUE(api.start("127.0.0.1", 0).ok());

  scale.send("weight 1.234 kg");
  scale.send("echo w");
  ASSERT_TRUE(scale.waitOut("echo w"));
  HttpReply w = httpPost(api.port(), "/v1/scale/read", R"({"sku":"APPLES"})");
  ASSERT_EQ(w.status, 200) << w.body.dump();
  EXPECT_EQ(w.body["amount"], "4.31");
  EXPECT_EQ(w.body["item"]["name"], "Apples");
  EXPECT_EQ(w.body["line"], nlohmann::json({{"sku", "APPLES"}, {"qty", 1234}, {"unit_price", "3.49"}}));
  HttpReply each = httpPost(api.port(), "/v1/scale/read", R"({"sku":"BREAD"})");
  EXPECT_EQ(each.status, 400);
  EXPECT_EQ(each.body["error"]["code"], "not_weight_priced");
  EXPECT_EQ(httpPost(api.port(), "/v1/scale/read", R"({"sku":"NOPE"})").status, 404);

  nlohmann::json sale = {{"lines", {w.body["line"], {{"sku", "BREAD"}, {"qty", 1}, {"unit_price", "2.00"}}}}};
  HttpReply sold = httpPost(api.port(), "/v1/sales", sale.dump());
  ASSERT_EQ(sold.status, 201) << sold.body.dump();
  ASSERT_TRUE(printer.waitOut("printer qr " + sold.body["event_id"].get<std::string>())) << printer.out();
  std::string out = printer.out();
  EXPECT_NE(out.find("printer line Apples"), std::string::npos) << out;
  EXPECT_NE(out.find("  1.234 kg @ 3.49/kg"), std::string::npos) << out;
  EXPECT_NE(out.find("6.31"), std::string::npos) << out;  // 4.31 + 2.00
  EXPECT_EQ(out.find("4306.66"), std::string::npos) << out;
  api.stop();
  devices.stop();
}

// A drawer on a serial port of its own (no printer) gets the same kick, on the pin configured.
TEST(AgentDevices, ADrawerOnItsOwnPort) {
  TempDir dir;
  const common::Clock& clock = common::SystemClock::instance();
  agent::StoreConfig sc;
  sc.path = dir.file("till.db");
  sc.device_id = "till-1";
  sc.location = "store-1";
  sc.min_free_bytes = 0;
  auto store = agent::Store::open(sc, clock);
  ASSERT_TRUE(store.ok());
  PipedChild kick(emulatorArgs("printer", "escpos", dir.file("drawer")), dir.file("emu-drawer"));
  ASSERT_FALSE(kick.ptyPath().empty());
  agent::DevicesConfig dc;
  dc.drawer = dir.file("drawer");
  dc.drawer_pin = 5;
  agent::Devices devices(**store, dc, clock);
  ASSERT_TRUE(devices.start().ok());
  EXPECT_EQ(devices.receipts, nullptr);
  ASSERT_NE(devices.drawer, nullptr);
  ASSERT_TRUE(devices.drawer->open().ok());
  ASSERT_TRUE(kick.waitOut("drawer pulse pin=5 on=50 off=500")) << kick.out();
  kick.send("unplug");
  ASSERT_TRUE(kick.waitOut("unplugged"));
  auto gone = devices.drawer->open();
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, common::ErrorKind::kRetry) << gone.error().toString();
  kick.send("plug");
  ASSERT_TRUE(waitFor([&] { return devices.drawer->open().ok(); }, 10s));  // reopened after the replug
  ASSERT_TRUE(waitFor([&] { return countOf(kick.out(), "drawer pulse pin=5") >= 2; }, 5s));
}

// A till without devices says so instead of pretending.
TEST(AgentDevices, RoutesAnswerNotConfiguredWithoutDevices) {
  TempDir dir;
  AgentProc till(dir, "till-2", "store-1", "tcp://127.0.0.1:" + std::to_string(freePort()));
  till.start();
  ASSERT_GT(till.port(), 0);
  for (const char* path : {"/v1/scale/read", "/v1/drawer/open"}) {
    HttpReply r = httpPost(till.port(), path, "");
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body["error"]["code"], "not_configured") << path;
  }
  EXPECT_EQ(httpGet(till.port(), "/v1/receipts").body["error"]["code"], "not_configured");
  EXPECT_EQ(httpPost(till.port(), "/v1/sales", R"({"lines":[{"sku":"SKU-1","qty":1}]})").status, 201);
}

}  // namespace
}  // namespace sw::test
