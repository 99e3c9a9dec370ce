// stockwire-device-emulator: a scriptable scanner, scale or receipt printer on a
// pseudo-terminal, so tests and the demo drive the real serial code path.
// See tools/emulators/README.md for the commands.

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pseudo_terminal.h"
#include "sw/common/cli.h"
#include "sw/common/args.h"
#include "sw/fw/escpos.h"
#include "sw/fw/scale.h"
#include "sw/fw/ssi.h"

namespace {

using namespace sw;

constexpr const char* kAbout = "stockwire-device-emulator: an emulated serial device on a pseudo-terminal.";

constexpr const char* kNotes = R"(Prints "pty PATH" when the port is ready (again after each plug) and one line per event.
Commands (one per line, stdin or --script), escapes in TEXT: \r \n \t \\ \xHH {GS}
  scan TEXT                  scanner: send a scan (suffix or SSI packets added)
  raw HEX...                 send raw bytes (garbage, partial frames)
  garbage N                  send N random bytes
  corrupt-next               SSI: the next packet goes out with a bad checksum
  unplug / plug              hang up the pty / create a new one
  delay MS                   per-byte delay from now on (slow device); 0 = off
  sleep MS                   pause before the next command
  weight VALUE [UNIT]        scale: stable weight, e.g. 1.234 kg
  motion on|off | over | under | clear      scale states (clear = no reading)
  no-reply N                 scale/printer: ignore the next N requests
  paper-out|cover-open|offline|near-end on|off    printer status
  drawer open|closed         printer: drawer switch (DLE EOT 1 bit 2)
  echo TEXT                  print TEXT (a marker for scripts)
  quit
)";

// Every option, declared once: parsing, ranges, defaults and --help come from here.
std::vector<common::OptionSpec> emulatorOptions() {
  using Kind = common::OptionSpec::Kind;
  return {
      {"device", Kind::kText, "D", "", 0, 0, "scanner, scale or printer", true},
      {"protocol", Kind::kText, "P", "", 0, 0,
       "scanner: line (default) or ssi; scale: toledo (default), mt-sics, cas;\nprinter: escpos (default)"},
      {"link", Kind::kText, "PATH", "", 0, 0, "keep a symlink at PATH pointing at the current pty (survives unplug/plug)"},
      {"suffix", Kind::kText, "S", "cr", 0, 0, "scanner line mode: cr, crlf, lf, none"},
      {"ssi-type", Kind::kText, "HEX", "03", 0, 0, "SSI symbology type byte for scans (03 is Code 128)"},
      {"ssi-max", Kind::kInt, "N", "200", 1, 255, "barcode bytes per SSI packet (smaller forces multi-packet)"},
      {"script", Kind::kText, "FILE", "", 0, 0, "read commands from FILE instead of stdin"},
      {"byte-delay-ms", Kind::kInt, "N", "0", 0, 60'000, "send each byte N ms apart (a slow device)"},
  };
}

volatile sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void say(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 4, "{GS}") == 0) {
      out += '\x1d';
      i += 3;
    } else if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      if (c == 'r') out += '\r';
      else if (c == 'n') out += '\n';
      else if (c == 't') out += '\t';
      else if (c == 'x' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else out += c;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string hex(const std::string& bytes) {
  std::string out;
  char b[4];
  for (unsigned char c : bytes) {
    std::snprintf(b, sizeof b, "%02X", c);
    if (!out.empty()) out += ' ';
    out += b;
  }
  return out;
}

struct Options {
  std::string device;
  std::string protocol;
  std::string link;
  std::string suffix = "\r";
  uint8_t ssi_type = 0x03;
  size_t ssi_max = 200;
  int byte_delay_ms = 0;
};

class Emulator {
 public:
  explicit Emulator(Options o) : o_(std::move(o)) {}

  bool plug() {
    std::string err;
    if (!pty_.open(o_.link, &err)) {
      say("error " + err);
      return false;
    }
    say("pty " + pty_.slavePath());
    return true;
  }
  void unplug() {
    pty_.close();
    ssi_queue_.clear();
    awaiting_ack_ = false;
    say("unplugged");
  }

  int masterFd() const { return pty_.masterFd(); }
  int64_t nextDeadlineMs() const { return awaiting_ack_ ? ack_deadline_ms_ : -1; }

  // A command line; false on quit.
  bool command(const std::string& line) {
    std::istringstream ss(line);
    std::string cmd;
    ss >> cmd;
    std::string rest;
    std::getline(ss, rest);
    if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
    if (cmd.empty() || cmd[0] == '#') return true;
    if (cmd == "quit") return false;
    if (cmd == "echo") say("echo " + rest);
    else if (cmd == "scan") scan(unescape(rest));
    else if (cmd == "raw") {
      std::istringstream hs(rest);
      std::string bytes;
      for (std::string h; hs >> h;) bytes += static_cast<char>(std::stoi(h, nullptr, 16));
      send(bytes);
      say("sent raw " + std::to_string(bytes.size()));
    } else if (cmd == "garbage") {
      std::string bytes;
      int n = std::max(0, std::atoi(rest.c_str()));
      for (int i = 0; i < n; ++i) bytes += static_cast<char>(rng_() & 0xff);
      send(bytes);
      say("sent garbage " + std::to_string(n));
    } else if (cmd == "corrupt-next") corrupt_next_ = true;
    else if (cmd == "unplug") unplug();
    else if (cmd == "plug") plug();
    else if (cmd == "delay") o_.byte_delay_ms = std::max(0, std::atoi(rest.c_str()));
    else if (cmd == "sleep") std::this_thread::sleep_for(std::chrono::milliseconds(std::max(0, std::atoi(rest.c_str()))));
    else if (cmd == "weight") {
      std::istringstream ws(rest);
      std::string v, unit = "kg";
      ws >> v >> unit;
      weight_ = v;
      unit_ = unit;
      scale_state_ = "stable";
    } else if (cmd == "motion") scale_state_ = rest == "on" ? "motion" : "stable";
    else if (cmd == "over" || cmd == "under" || cmd == "clear") scale_state_ = cmd;
    else if (cmd == "no-reply") ignore_requests_ = std::max(0, std::atoi(rest.c_str()));
    else if (cmd == "paper-out") printer_.paper_out = rest == "on";
    else if (cmd == "cover-open") printer_.cover_open = rest == "on";
    else if (cmd == "offline") printer_.online = rest != "on";
    else if (cmd == "near-end") printer_.paper_near_end = rest == "on";
    else if (cmd == "drawer") printer_.drawer_pin3_high = rest == "open";
    else say("error unknown command '" + cmd + "'");
    return true;
  }

  // Bytes from the host.
  void hostBytes(const std::string& bytes) {
    if (o_.device == "scanner" && o_.protocol == "ssi") return ssiHost(bytes);
    if (o_.device == "scale") return scaleHost(bytes);
    if (o_.device == "printer") return printerHost(bytes);
    say("host " + hex(bytes));
  }

  void tick() {
    if (awaiting_ack_ && nowMs() >= ack_deadline_ms_) {
      if (++retries_ > 3) {
        say("ssi gave up");
        ssi_queue_.clear();
        awaiting_ack_ = false;
      } else {
        say("ssi timeout, resending");
        sendSsiFront(true);
      }
    }
  }

 private:
  void send(const std::string& bytes) {
    if (!pty_.isOpen()) {
      say("error not plugged in");
      return;
    }
    if (o_.byte_delay_ms <= 0) {
      writeAll(bytes.data(), bytes.size());
      return;
    }
    for (char c : bytes) {
      writeAll(&c, 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(o_.byte_delay_ms));
    }
  }
  void writeAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(pty_.masterFd(), p, n);
      if (w > 0) {
        p += w;
        n -= static_cast<size_t>(w);
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        say(std::string("error write: ") + std::strerror(errno));
        return;
      } else {
        pollfd pf{pty_.masterFd(), POLLOUT, 0};
        ::poll(&pf, 1, 100);
      }
    }
  }

  void scan(const std::string& text) {
    if (o_.device != "scanner") return say("error scan needs --device scanner");
    if (o_.protocol == "ssi") {
      for (auto& p : fw::ssi::decodeDataPackets(o_.ssi_type, text, o_.ssi_max)) ssi_queue_.push_back(p);
      if (!awaiting_ack_) sendSsiFront(false);
      say("queued scan " + std::to_string(text.size()) + " bytes");
      return;
    }
    send(text + o_.suffix);
    say("sent scan " + std::to_string(text.size()) + " bytes");
  }

  void sendSsiFront(bool retransmit) {
    if (ssi_queue_.empty()) {
      awaiting_ack_ = false;
      return;
    }
    fw::ssi::Packet p = ssi_queue_.front();
    if (retransmit) p.status |= fw::ssi::kStatusRetransmit;
    std::vector<uint8_t> bytes = fw::ssi::encode(p);
    if (corrupt_next_) {
      bytes.back() ^= 0x5a;
      corrupt_next_ = false;
      say("ssi sending corrupted packet");
    }
    send(std::string(bytes.begin(), bytes.end()));
    awaiting_ack_ = true;
    ack_deadline_ms_ = nowMs() + 500;
    if (!retransmit) retries_ = 0;
  }

  void ssiHost(const std::string& bytes) {
    for (const auto& ev : ssi_decoder_.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) {
      if (ev.kind == fw::ssi::Decoder::Event::kBadChecksum) {
        say("ssi host packet with bad checksum");
        continue;
      }
      const auto& p = ev.packet;
      if (p.opcode == fw::ssi::kCmdAck) {
        say("ssi ack");
        if (awaiting_ack_ && !ssi_queue_.empty()) {
          ssi_queue_.pop_front();
          awaiting_ack_ = false;
          sendSsiFront(false);
        }
      } else if (p.opcode == fw::ssi::kCmdNak) {
        say("ssi nak");
        if (awaiting_ack_) {
          ++retries_;
          sendSsiFront(true);
        }
      } else {
        char b[8];
        std::snprintf(b, sizeof b, "%02X", p.opcode);
        say(std::string("ssi host command ") + b);
        auto a = fw::ssi::encode(fw::ssi::ack(fw::ssi::kSourceScanner));
        send(std::string(a.begin(), a.end()));
      }
    }
  }

  bool swallowRequest() {
    if (ignore_requests_ > 0) {
      --ignore_requests_;
      say("ignored request");
      return true;
    }
    return false;
  }

  std::string toledoWeightBody() {
    // 6 characters with the point, e.g. 01.234 kg or 002.50 lb.
    std::string v = weight_;
    while (v.size() < 6) v.insert(0, "0");
    return v;
  }

  void scaleHost(const std::string& bytes) {
    if (o_.protocol == "mt-sics") {
      line_ += bytes;
      size_t nl;
      while ((nl = line_.find('\n')) != std::string::npos) {
        std::string req = line_.substr(0, nl);
        line_.erase(0, nl + 1);
        while (!req.empty() && req.back() == '\r') req.pop_back();
        say("scale request " + req);
        if (swallowRequest()) continue;
        std::string reply;
        if (req == "S" || req == "SI") {
          if (scale_state_ == "over") reply = "S +";
          else if (scale_state_ == "under") reply = "S -";
          else if (scale_state_ == "clear") reply = "S I";
          else if (scale_state_ == "motion") reply = req == "S" ? "S I" : "S D " + pad(weight_, 10) + " " + unit_;
          else reply = "S S " + pad(weight_, 10) + " " + unit_;
        } else if (req == "Z") {
          reply = "Z A";
          weight_ = "0.000";
        } else if (req == "T") {
          reply = "T S " + pad(weight_, 10) + " " + unit_;
        } else if (req == "@") {
          reply = "I4 A \"EMULATOR\"";
        } else {
          reply = "ES";
        }
        send(reply + "\r\n");
      }
      return;
    }
    if (o_.protocol == "cas") {
      for (char c : bytes) {
        if (c == fw::cas::kEnq) {
          say("scale request ENQ");
          if (swallowRequest()) continue;
          send(std::string(1, fw::cas::kAck));
        } else if (c == fw::cas::kDc1) {
          say("scale request DC1");
          if (swallowRequest()) continue;
          char sta = scale_state_ == "motion" ? 'U' : 'S';
          char sign = scale_state_ == "over" ? 'F' : scale_state_ == "under" ? '-' : ' ';
          std::string w = toledoWeightBody();
          std::string unit = unit_.size() == 2 ? unit_ : pad(unit_, 2);
          send(fw::cas::buildFrame(sta, sign, w.substr(w.size() - 6), unit));
        }
      }
      return;
    }
    // Toledo 8213 demand mode.
    for (char c : bytes) {
      if (c != 'W' && c != 'Z' && c != 'H') continue;
      say(std::string("scale request ") + c);
      if (swallowRequest()) continue;
      if (c == 'Z') {
        weight_ = "0.000";
        send(std::string("\x02?") + static_cast<char>(0x70) + "\r");
        continue;
      }
      std::string body;
      if (scale_state_ == "stable") body = toledoWeightBody();
      else if (scale_state_ == "motion") body = std::string("?") + static_cast<char>(0x61);
      else if (scale_state_ == "over") body = std::string("?") + static_cast<char>(0x62);
      else if (scale_state_ == "under") body = std::string("?") + static_cast<char>(0x64);
      else body = std::string("?") + static_cast<char>(0x68);
      send("\x02" + body + "\r");
    }
  }

  static std::string pad(const std::string& v, size_t n) { return v.size() >= n ? v : std::string(n - v.size(), ' ') + v; }

  void printerHost(const std::string& bytes) {
    esc_ += bytes;
    size_t i = 0;
    auto need = [&](size_t n) { return i + n <= esc_.size(); };
    while (i < esc_.size()) {
      auto c = static_cast<uint8_t>(esc_[i]);
      if (c == fw::escpos::kDle) {
        if (!need(3)) break;
        int n = esc_[i + 2];
        i += 3;
        if (static_cast<uint8_t>(esc_[i - 2]) != fw::escpos::kEot) continue;
        say("printer status request " + std::to_string(n));
        if (swallowRequest()) continue;
        send(std::string(1, static_cast<char>(fw::escpos::statusByteFor(n, printer_))));
      } else if (c == 0x1b) {
        if (!need(2)) break;
        char op = esc_[i + 1];
        size_t len = op == '@' ? 2 : op == 'p' ? 5 : 3;
        if (!need(len)) break;
        if (op == '@') say("printer init");
        else if (op == 'p') {
          say("drawer pulse pin=" + std::string(esc_[i + 2] == 0 || esc_[i + 2] == '0' ? "2" : "5") +
              " on=" + std::to_string(static_cast<uint8_t>(esc_[i + 3]) * 2) +
              " off=" + std::to_string(static_cast<uint8_t>(esc_[i + 4]) * 2));
        } else if (op == 'd') {
          flushLine();
        }
        i += len;
      } else if (c == 0x1d) {
        if (!need(2)) break;
        char op = esc_[i + 1];
        if (op == 'V') {
          if (!need(3)) break;
          uint8_t m = static_cast<uint8_t>(esc_[i + 2]);
          size_t len = (m == 65 || m == 66) ? 4 : 3;
          if (!need(len)) break;
          flushLine();
          if (paper_used_) say(std::string("printer cut ") + ((m == 1 || m == 49 || m == 66) ? "partial" : "full"));
          i += len;
        } else if (op == '(') {
          // GS ( k pL pH cn fn ...: 2D codes. QR (cn 49): fn 80 stores the data, fn 81 prints it.
          if (!need(5)) break;
          size_t len = static_cast<uint8_t>(esc_[i + 3]) + 256u * static_cast<uint8_t>(esc_[i + 4]);
          if (!need(5 + len)) break;
          std::string fn = esc_.substr(i + 5, len);
          if (esc_[i + 2] == 'k' && fn.size() >= 3 && fn[0] == '1' && fn[1] == 'P') qr_data_ = fn.substr(3);
          if (esc_[i + 2] == 'k' && fn.size() >= 2 && fn[0] == '1' && fn[1] == 'Q') {
            flushLine();
            if (printer_.paper_out || printer_.cover_open || !printer_.online) say("printer dropped qr (not ready)");
            else say("printer qr " + qr_data_);
          }
          i += 5 + len;
        } else {
          if (!need(3)) break;
          i += 3;
        }
      } else if (c == '\n') {
        flushLine(true);
        ++i;
      } else {
        text_ += static_cast<char>(c);
        ++i;
      }
    }
    esc_.erase(0, i);
  }

  void flushLine(bool force = false) {
    if (text_.empty() && !force) return;
    if (printer_.paper_out || printer_.cover_open || !printer_.online) {
      say("printer dropped line (not ready)");
    } else {
      say("printer line " + text_);
      paper_used_ = true;
    }
    text_.clear();
  }

  Options o_;
  emulator::PseudoTerminal pty_;
  std::mt19937 rng_{12345};
  bool corrupt_next_ = false;
  std::deque<fw::ssi::Packet> ssi_queue_;
  bool awaiting_ack_ = false;
  int64_t ack_deadline_ms_ = 0;
  int retries_ = 0;
  fw::ssi::Decoder ssi_decoder_;
  std::string weight_ = "0.000";
  std::string unit_ = "kg";
  std::string scale_state_ = "clear";
  int ignore_requests_ = 0;
  std::string line_;
  fw::PrinterStatus printer_;
  std::string esc_;
  std::string text_;
  std::string qr_data_;
  bool paper_used_ = false;
};

}  // namespace

int runEmulator(const common::ParsedOptions& args) {
  Options o;
  o.device = args.text("device");
  if (o.device != "scanner" && o.device != "scale" && o.device != "printer") {
    std::fprintf(stderr, "stockwire-device-emulator: --device must be scanner, scale or printer\n");
    return 2;
  }
  std::string def = o.device == "scanner" ? "line" : o.device == "scale" ? "toledo" : "escpos";
  o.protocol = args.has("protocol") ? args.text("protocol") : def;
  bool ok_protocol = (o.device == "scanner" && (o.protocol == "line" || o.protocol == "ssi")) ||
                     (o.device == "scale" && (o.protocol == "toledo" || o.protocol == "mt-sics" || o.protocol == "cas")) ||
                     (o.device == "printer" && o.protocol == "escpos");
  if (!ok_protocol) {
    std::fprintf(stderr, "stockwire-device-emulator: protocol '%s' does not fit a %s\n", o.protocol.c_str(), o.device.c_str());
    return 2;
  }
  o.link = args.text("link");
  std::string suffix = args.text("suffix");
  if (suffix == "cr") o.suffix = "\r";
  else if (suffix == "crlf") o.suffix = "\r\n";
  else if (suffix == "lf") o.suffix = "\n";
  else if (suffix == "none") o.suffix = "";
  else {
    std::fprintf(stderr, "stockwire-device-emulator: --suffix must be cr, crlf, lf or none\n");
    return 2;
  }
  const std::string ssi_type = args.text("ssi-type");
  unsigned type = 0;
  auto [tp, tec] = std::from_chars(ssi_type.data(), ssi_type.data() + ssi_type.size(), type, 16);
  if (ssi_type.empty() || ssi_type.size() > 2 || tec != std::errc() || tp != ssi_type.data() + ssi_type.size()) {
    std::fprintf(stderr, "stockwire-device-emulator: --ssi-type is one byte in hex, e.g. 03\n");
    return 2;
  }
  o.ssi_type = static_cast<uint8_t>(type);
  o.ssi_max = static_cast<size_t>(args.integer("ssi-max"));
  o.byte_delay_ms = static_cast<int>(args.integer("byte-delay-ms"));

  signal(SIGINT, onSignal);
  signal(SIGTERM, onSignal);
  signal(SIGPIPE, SIG_IGN);

  int cmd_fd = 0;
  std::ifstream script;
  bool from_script = args.has("script");
  if (from_script) {
    script.open(args.text("script"));
    if (!script) {
      std::fprintf(stderr, "stockwire-device-emulator: cannot read %s\n", args.text("script").c_str());
      return 2;
    }
  }
  Emulator emu(o);
  if (!emu.plug()) return 1;
  say("ready");

  std::string cmd_buf;
  bool cmd_open = !from_script;
  while (!g_stop) {
    if (from_script && script) {
      std::string line;
      if (std::getline(script, line)) {
        if (!emu.command(line)) break;
      }
    }
    pollfd fds[2];
    int nfds = 0;
    int cmd_index = -1, dev_index = -1;
    if (cmd_open) {
      fds[nfds] = {cmd_fd, POLLIN, 0};
      cmd_index = nfds++;
    }
    if (emu.masterFd() >= 0) {
      fds[nfds] = {emu.masterFd(), POLLIN, 0};
      dev_index = nfds++;
    }
    int timeout = (from_script && script) ? 0 : 100;
    int64_t deadline = emu.nextDeadlineMs();
    if (deadline >= 0) timeout = static_cast<int>(std::clamp<int64_t>(deadline - nowMs(), 0, timeout));
    int r = ::poll(fds, static_cast<nfds_t>(nfds), timeout);
    if (r < 0 && errno != EINTR) break;
    if (r > 0 && cmd_index >= 0 && (fds[cmd_index].revents & (POLLIN | POLLHUP))) {
      char buf[4096];
      ssize_t n = ::read(cmd_fd, buf, sizeof buf);
      if (n <= 0) {
        cmd_open = false;  // keep serving the device until a signal
      } else {
        cmd_buf.append(buf, static_cast<size_t>(n));
        size_t nl;
        bool quit = false;
        while ((nl = cmd_buf.find('\n')) != std::string::npos) {
          std::string line = cmd_buf.substr(0, nl);
          cmd_buf.erase(0, nl + 1);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (!emu.command(line)) {
            quit = true;
            break;
          }
        }
        if (quit) break;
      }
    }
    if (r > 0 && dev_index >= 0 && (fds[dev_index].revents & POLLIN)) {
      char buf[1024];
      ssize_t n = ::read(emu.masterFd(), buf, sizeof buf);
      if (n > 0) emu.hostBytes(std::string(buf, static_cast<size_t>(n)));
    }
    emu.tick();
  }
  say("bye");
  return 0;
}

int main(int argc, char** argv) {
  return sw::common::runTool({"stockwire-device-emulator", kAbout, common::OptionTable(emulatorOptions()), runEmulator, kNotes},
                             argc, argv);
}
