#pragma once
// A fleet provisioned with the documented stockwire-provision commands in a temp dir, and a
// real Mosquitto run from the config `stockwire-provision broker` generated (mTLS, identity ACL,
// CRL). Device certificates are issued with the fleet's issuing CA, as enrollment does.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "stack.h"
#include "sw/common/clock.h"
#include "sw/common/files.h"
#include "sw/common/paho_transport.h"
#include "sw/common/x509.h"
#include "sw/provision/fleet_dir.h"

namespace sw::test {

struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a binary to completion (at most 60 s).
inline ToolRun runTool(const std::vector<std::string>& argv, const std::string& log_prefix) {
  static std::atomic<int> n{0};
  std::string prefix = log_prefix + "." + std::to_string(n++);
  Child c = Child::spawn(argv, prefix);
  auto st = c.wait(std::chrono::seconds(60));
  ToolRun r;
  if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
  r.out = c.stdoutText();
  r.err = c.stderrText();
  return r;
}

struct DeviceFiles {
  std::string cert;
  std::string key;
  std::string serial;
};

class MtlsFleet {
 public:
  MtlsFleet() : port_(freePort()) {
    // Mosquitto started as root reads its files after dropping to its own user.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
    must({"ca", "init", "--dir", fleetDir()});
    std::vector<std::string> broker = {"broker", "--dir", fleetDir(), "--port", std::to_string(port_),
                                       "--out", brokerDir(), "--bind", "127.0.0.1"};
    if (::geteuid() == 0) {
      broker.push_back("--owner");
      broker.push_back("mosquitto");
    }
    must(broker);
    must({"coordinator-cert", "--dir", fleetDir(), "--out", dir_.file("coord")});
  }
  ~MtlsFleet() { stopBroker(); }

  std::string fleetDir() const { return dir_.file("fleet"); }
  std::string brokerDir() const { return dir_.file("broker"); }
  std::string chain() const { return fleetDir() + "/ca-chain.pem"; }
  std::string file(const std::string& name) const { return dir_.file(name); }
  std::string url() const { return "ssl://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::string pidFile() const { return dir_.file("broker.pid"); }

  ToolRun provision(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {binaryPath("provisioning", "stockwire-provision")};
    argv.insert(argv.end(), args.begin(), args.end());
    return runTool(argv, dir_.file("provision"));
  }
  void must(const std::vector<std::string>& args) {
    ToolRun r = provision(args);
    if (r.exit_code != 0) throw std::runtime_error("stockwire-provision " + args[0] + " failed: " + r.err);
  }
  void addDevice(const std::string& store, const std::string& id, const std::string& role = "pos") {
    must({"device", "add", "--dir", fleetDir(), "--store", store, "--device", id, "--role", role});
  }

  // A certificate for cn from the fleet's issuing CA (or `other`'s), recorded in issued.csv.
  DeviceFiles issue(const std::string& cn, int64_t not_before_ms, int64_t not_after_ms,
                    const std::string& fleet_dir = "") {
    auto fleet = provision::FleetDir::open(fleet_dir.empty() ? fleetDir() : fleet_dir);
    if (!fleet) throw std::runtime_error(fleet.error().toString());
    std::string key = common::x509::generateKey().value();
    std::string csr = common::x509::makeCsr(key, cn).value();
    auto cert = common::x509::signClientCsr(fleet->issuingCa().value(), csr, {{not_before_ms, not_after_ms}, cn});
    if (!cert) throw std::runtime_error(cert.error().toString());
    auto info = common::x509::certInfo(*cert).value();
    (void)fleet->recordIssued({cn, info.serial_hex, info.not_after_ms, not_before_ms});
    DeviceFiles f{dir_.file(cn + "." + info.serial_hex + ".pem"), dir_.file(cn + "." + info.serial_hex + ".key"),
                  info.serial_hex};
    (void)common::writeFileAtomic(f.cert, *cert, 0644);
    (void)common::writeSecretFile(f.key, key);
    return f;
  }
  DeviceFiles issue(const std::string& cn) {
    int64_t now = common::SystemClock().nowMs();
    return issue(cn, now - 60'000, now + 86'400'000);
  }
  DeviceFiles coordinator() const {
    return {dir_.file("coord/coordinator.pem"), dir_.file("coord/coordinator.key"), ""};
  }

  void startBroker() {
    broker_ = Child::spawn({mosquittoPath(), "-c", brokerDir() + "/mosquitto.conf"}, dir_.file("mosquitto"));
    std::ofstream(pidFile(), std::ios::trunc) << broker_.pid() << "\n";
    if (!waitFor([&] { return brokerLog().find("running") != std::string::npos || !broker_.running(); },
                 std::chrono::seconds(10)) ||
        !broker_.running()) {
      throw std::runtime_error("mosquitto did not start: " + brokerLog());
    }
  }
  void stopBroker() {
    if (broker_.running()) broker_.kill(SIGTERM);
  }
  // Mosquitto logs to stderr; every start appends to the same file.
  std::string brokerLog() const { return broker_.stderrText(); }
  size_t countInLog(const std::string& needle) const {
    std::string log = brokerLog();
    size_t n = 0;
    for (size_t p = log.find(needle); p != std::string::npos; p = log.find(needle, p + 1)) ++n;
    return n;
  }

 private:
  static std::string mosquittoPath() {
    const char* bin = std::getenv("SW_MOSQUITTO");
    return bin && *bin ? bin : "/usr/sbin/mosquitto";
  }

  TempDir dir_;
  int port_;
  Child broker_;
};

// An MQTT client over mTLS recording every message it gets on its subscriptions.
struct TlsClient {
  std::unique_ptr<common::MqttTransport> t;
  std::mutex mu;
  std::multiset<std::string> got;  // "topic payload"

  TlsClient(const std::string& url, const std::string& client_id, const std::string& ca, const DeviceFiles& id,
            std::vector<std::string> filters) {
    common::MqttConfig c;
    c.broker_url = url;
    c.client_id = client_id;
    c.ca_file = ca;
    c.cert_file = id.cert;
    c.key_file = id.key;
    c.reconnect_max_ms = 500;
    t = common::makePahoTransport(c);
    for (const auto& f : filters) {
      t->addMessageHandler(f, [this](std::string_view topic, std::string_view payload) {
        std::lock_guard<std::mutex> lock(mu);
        got.insert(std::string(topic) + " " + std::string(payload));
      });
      (void)t->subscribe(f, 1);
    }
    t->start();
  }
  ~TlsClient() { t->stop(); }
  bool has(const std::string& s) {
    std::lock_guard<std::mutex> lock(mu);
    return got.count(s) > 0;
  }
  std::multiset<std::string> all() {
    std::lock_guard<std::mutex> lock(mu);
    return got;
  }
};

}  // namespace sw::test
