// stockwire-provision: what IT runs to roll out a fleet (see provisioning/README.md).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <signal.h>

#include "sw/common/args.h"
#include "sw/common/cli.h"
#include "sw/common/clock.h"
#include "sw/common/files.h"
#include "sw/provision/fleet.h"
#include "sw/provision/fleet_dir.h"

namespace {

using namespace sw;

constexpr const char* kAbout =
    "stockwire-provision: the fleet CA, devices, enrollment tokens and broker configs.";

constexpr const char* kNotes = R"(ca init:  creates FLEET (0700): a root CA (root.key can be kept offline afterwards), an issuing CA
          signed by it, ca-chain.pem, the enrollment HMAC key enroll.key, an empty CRL. Keys 0600.
device:   registers devices in FLEET/devices.csv. import reads rows store,device_id,role (a header
          row with those names is optional); bad rows are listed with their row numbers and left
          out (exit 1). Registering regenerates the ACL of every broker made by `broker`.
token:    prints a one-time enrollment token for a registered device (it pins the fleet root, so
          the device trusts no other CA): stockwire-agent enroll --token T --coordinator URL.
broker:   writes DIR/mosquitto.conf (TLS listener on P, client certificates required, the CN is
          the user name, no anonymous access, the CRL, set_tcp_nodelay), DIR/acl (one user per
          active device and the coordinator, no pattern rules), the CA chain and a server
          certificate for the hosts (default 127.0.0.1 and localhost). Run: mosquitto -c DIR/mosquitto.conf
          (as root, give DIR to the broker's user with --owner mosquitto: it reads its key after
          dropping privileges).
coordinator-cert: DIR/coordinator.{key,pem} and DIR/ca-chain.pem, the coordinator's MQTT identity
          (CN stockwire-coordinator): stockwire-coordinator serve --mqtt-ca DIR/ca-chain.pem
          --mqtt-cert DIR/coordinator.pem --mqtt-key DIR/coordinator.key
revoke:   marks the device revoked, regenerates FLEET/crl.pem and every broker's acl and crl.pem,
          and sends SIGHUP to the broker whose pid is in FILE. On SIGHUP Mosquitto 2.0 reloads the
          ACL and the CRL: the device can no longer publish or read anything, and its certificate
          is refused at connect, at once. A coordinator run with --fleet-dir FLEET marks it
          revoked in its registry within about 2 s.

Exit codes: 0 ok, 1 some rows were bad (the rest were used), 2 bad options or refused.
)";

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "stockwire-provision: %s\n", message.c_str());
  return code;
}

common::Result<provision::Fleet> loadFleet(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return common::Error::reject("bad_fleet", "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto fleet = provision::parseFleetCsv(text.str());
  if (!fleet) return fleet.error();
  for (const auto& e : fleet->errors) {
    std::fprintf(stderr, "%s row %zu: %s: %s\n", path.c_str(), e.row, e.code.c_str(), e.message.c_str());
  }
  return fleet;
}

common::Result<provision::FleetDir> openFleet(const common::ParsedOptions& a) {
  return provision::FleetDir::open(a.text("dir"));
}

// SIGHUP to the broker in --broker-pid, if given: Mosquitto then reloads its acl_file.
bool hup(const common::ParsedOptions& a) {
  if (!a.has("broker-pid")) return true;
  auto text = common::readFile(a.text("broker-pid"));
  if (!text) return fail(text.error().message, 2), false;
  long pid = std::strtol(text->c_str(), nullptr, 10);
  if (pid <= 1 || ::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    return fail("cannot signal the broker (pid " + std::to_string(pid) + " from " + a.text("broker-pid") + ")", 2), false;
  }
  std::printf("broker %ld told to reload (SIGHUP)\n", pid);
  return true;
}

int64_t nowMs() { return common::SystemClock().nowMs(); }

int caInit(const common::ParsedOptions& a) {
  auto f = provision::FleetDir::init(a.text("dir"), nowMs());
  if (!f) return fail(f.error().message, 2);
  std::printf("fleet CA created in %s (move root.key offline once you no longer need a new issuing CA)\n",
              f->dir().c_str());
  return 0;
}

int deviceList(const common::ParsedOptions& a) {
  auto f = openFleet(a);
  if (!f) return fail(f.error().message, 2);
  auto all = f->devices();
  if (!all) return fail(all.error().message, 2);
  for (const auto& d : *all) {
    std::printf("%s,%s,%s,%s\n", d.store.c_str(), d.device_id.c_str(), d.role.c_str(), d.revoked ? "revoked" : "active");
  }
  return 0;
}

int deviceAdd(const common::ParsedOptions& a) {
  auto f = openFleet(a);
  if (!f) return fail(f.error().message, 2);
  auto d = f->addDevice(a.text("store"), a.text("device"), a.text("role"), nowMs());
  if (!d) return fail(d.error().code + ": " + d.error().message, 2);
  std::printf("device %s registered at %s as %s\n", d->device_id.c_str(), d->store.c_str(), d->role.c_str());
  return hup(a) ? 0 : 2;
}

int deviceImport(const common::ParsedOptions& a) {
  auto f = openFleet(a);
  if (!f) return fail(f.error().message, 2);
  const std::string csv = a.text("csv");
  auto text = common::readFile(csv);
  if (!text) return fail(text.error().message, 2);
  auto r = f->importCsv(*text, nowMs());
  if (!r) return fail(r.error().message, 2);
  for (const auto& e : r->errors) {
    std::fprintf(stderr, "%s row %zu: %s: %s\n", csv.c_str(), e.row, e.code.c_str(), e.message.c_str());
  }
  std::printf("%zu devices added, %zu already registered, %zu rows refused\n", r->added, r->unchanged, r->errors.size());
  if (!hup(a)) return 2;
  return r->errors.empty() ? 0 : 1;
}

int token(const common::ParsedOptions& a) {
  auto f = openFleet(a);
  if (!f) return fail(f.error().message, 2);
  auto t = f->issueToken(a.text("device"), nowMs(), a.integer("ttl-hours") * 3'600'000);
  if (!t) return fail(t.error().code + ": " + t.error().message, 2);
  std::printf("%s\n", t->c_str());
  return 0;
}

int broker(const common::ParsedOptions& a) {
  auto f = openFleet(a);
  if (!f) return fail(f.error().message, 2);
  provision::BrokerOptions o;
  o.port = static_cast<int>(a.integer("port"));
  o.bind = a.text("bind");
  o.owner = a.text("owner");
  if (auto hosts = a.list("host"); !hosts.empty()) o.hosts = hosts;
  const std::string out = a.text("out");
  if (auto s = f->writeBroker(out, o, nowMs()); !s) return fail(s.error().message, 2);
  std::printf("broker config in %s: mosquitto -c %s/mosquitto.conf\n", out.c_str(), out.c_str());
  return 0;
}

int coordinatorCert(const common::ParsedOptions& a) {
  auto f = openFleet(a);
  if (!f) return fail(f.error().message, 2);
  if (auto s = f->writeCoordinatorCert(a.text("out"), nowMs()); !s) return fail(s.error().message, 2);
  std::printf("coordinator identity %s in %s\n", provision::kCoordinatorIdentity, a.text("out").c_str());
  return 0;
}

int revoke(const common::ParsedOptions& a) {
  auto f = openFleet(a);
  if (!f) return fail(f.error().message, 2);
  if (auto s = f->revoke(a.text("device"), nowMs()); !s) return fail(s.error().code + ": " + s.error().message, 2);
  std::printf("device %s revoked; CRL and broker ACLs regenerated\n", a.text("device").c_str());
  return hup(a) ? 0 : 2;
}

int crl(const common::ParsedOptions& a) {
  auto f = openFleet(a);
  if (!f) return fail(f.error().message, 2);
  auto s = f->writeCrl(nowMs());
  if (s) s = f->refreshBrokers();
  if (!s) return fail(s.error().code + ": " + s.error().message, 2);
  return hup(a) ? 0 : 2;
}

int acl(const common::ParsedOptions& a) {
  if (a.has("dir")) {
    auto f = openFleet(a);
    if (!f) return fail(f.error().message, 2);
    auto text = f->acl();
    if (!text) return fail(text.error().message, 2);
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  if (!a.has("fleet")) return fail("--dir or --fleet is required", 2);
  auto fleet = loadFleet(a.text("fleet"));
  if (!fleet) return fail(fleet.error().message, 2);
  std::fputs(provision::mosquittoAcl(*fleet, a.text("coordinator-user")).c_str(), stdout);
  return fleet->errors.empty() ? 0 : 1;
}

int bundle(const common::ParsedOptions& a) {
  auto fleet = loadFleet(a.text("fleet"));
  if (!fleet) return fail(fleet.error().message, 2);
  provision::BundleOptions o;
  o.broker_url = a.text("broker");
  if (a.has("db-dir")) o.db_dir = a.text("db-dir");
  if (a.has("http")) o.http = a.text("http");
  o.ca_file = a.text("ca");
  const std::string dir = a.text("out");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot create " + dir + ": " + ec.message(), 2);
  for (const auto& d : fleet->devices) {
    std::string path = dir + "/" + d.device_id + ".json";
    std::ofstream out(path, std::ios::trunc);
    out << provision::agentConfig(d, o).dump(2) << "\n";
    if (!out) return fail("cannot write " + path, 2);
  }
  std::printf("wrote %zu agent configs to %s\n", fleet->devices.size(), dir.c_str());
  return fleet->errors.empty() ? 0 : 1;
}

// Every command and its options, declared once: --help, the checks and the dispatch come from here.
common::CliProgram program() {
  using Kind = common::OptionSpec::Kind;
  auto text = [](const char* name, const char* value, const char* help, bool required = false, const char* fallback = "") {
    return common::OptionSpec{name, Kind::kText, value, fallback, 0, 0, help, required};
  };
  const common::OptionSpec dir = text("dir", "FLEET", "the fleet directory (from ca init)", true);
  const common::OptionSpec broker_pid =
      text("broker-pid", "FILE", "the broker's pid file: it is sent SIGHUP to reload its ACL and CRL");
  const provision::BundleOptions bundle_defaults;
  return {
      "stockwire-provision",
      kAbout,
      {
          {"ca init", "create the fleet directory: root and issuing CA, enrollment key, empty CRL",
           common::OptionTable({dir}), caInit},
          {"device add", "register a device of a store (pos or handheld)",
           common::OptionTable({dir, text("store", "S", "its store", true), text("device", "D", "its id", true),
                                text("role", "ROLE", "pos or handheld", true), broker_pid}),
           deviceAdd},
          {"device import", "register devices from a CSV file (store,device_id,role)",
           common::OptionTable({dir, text("csv", "FILE", "the CSV file", true), broker_pid}), deviceImport},
          {"device list", "list the fleet's devices (store,device_id,role,state)", common::OptionTable({dir}),
           deviceList},
          {"token", "print a one-time enrollment token for a registered device",
           common::OptionTable({dir, text("device", "D", "the device", true),
                                {"ttl-hours", Kind::kInt, "N", "24", 1, 24 * 365, "how long the token is valid"}}),
           token},
          {"broker", "write a Mosquitto config for the fleet: TLS, client certificates, ACL, CRL",
           common::OptionTable({dir,
                                {"port", Kind::kInt, "P", "", 1, 65535, "the TLS listener's port", true},
                                text("out", "DIR", "where the config goes", true),
                                {"host", Kind::kList, "NAME", "", 0, 0,
                                 "a name in the server certificate (default 127.0.0.1 and localhost)"},
                                text("bind", "ADDR", "the listener's address (default: all)"),
                                text("owner", "USER", "give DIR to this user (the broker's, when run as root)")}),
           broker},
          {"coordinator-cert", "write the coordinator's MQTT identity (key, certificate, CA chain)",
           common::OptionTable({dir, text("out", "DIR", "where they go", true)}), coordinatorCert},
          {"revoke", "revoke a device: CRL and every broker's ACL regenerated",
           common::OptionTable({dir, text("device", "D", "the device", true), broker_pid}), revoke},
          {"crl", "regenerate the CRL (valid 365 days) and the brokers' copies",
           common::OptionTable({dir, broker_pid}), crl},
          {"acl", "print the identity-bound ACL (no pattern rules) of a fleet directory or a fleet CSV",
           common::OptionTable({text("dir", "FLEET", "the fleet directory"),
                                text("fleet", "FLEET.csv", "or a fleet CSV (device_id,location,kind[,nearby])"),
                                text("coordinator-user", "NAME", "the coordinator's user name", false,
                                     provision::kCoordinatorIdentity)}),
           acl},
          {"bundle", "write DIR/<device_id>.json, an agent config, for each device of a fleet CSV",
           common::OptionTable({text("fleet", "FLEET.csv", "the fleet CSV (device_id,location,kind[,nearby])", true),
                                text("broker", "URL", "the broker the agents connect to", true),
                                text("out", "DIR", "where the configs go", true),
                                {"db-dir", Kind::kText, "DIR", bundle_defaults.db_dir, 0, 0, "the agents' data directory"},
                                {"http", Kind::kText, "HOST:PORT", bundle_defaults.http, 0, 0, "the agents' local API"},
                                text("ca", "FILE", "the broker's CA file on the devices")}),
           bundle},
      },
      kNotes,
  };
}

}  // namespace

int main(int argc, char** argv) { return common::runCli(program(), argc, argv); }
