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

constexpr const char* kUsage = R"(stockwire-provision: the fleet CA, devices, enrollment tokens and broker configs.

Usage:
  stockwire-provision ca init --dir FLEET
  stockwire-provision device add --dir FLEET --store S --device D --role pos|handheld [--broker-pid FILE]
  stockwire-provision device import --dir FLEET --csv FILE [--broker-pid FILE]
  stockwire-provision device list --dir FLEET
  stockwire-provision token --dir FLEET --device D [--ttl-hours 24]
  stockwire-provision broker --dir FLEET --port P --out DIR [--host NAME]... [--bind ADDR] [--owner USER]
  stockwire-provision coordinator-cert --dir FLEET --out DIR
  stockwire-provision revoke --dir FLEET --device D [--broker-pid FILE]
  stockwire-provision crl --dir FLEET [--broker-pid FILE]
  stockwire-provision acl --dir FLEET | --fleet FLEET.csv [--coordinator-user NAME]
  stockwire-provision bundle --fleet FLEET.csv --broker URL --out DIR [--db-dir DIR] [--http HOST:PORT] [--ca FILE]
  stockwire-provision --help

ca init:  creates FLEET (0700): a root CA (root.key can be kept offline afterwards), an issuing CA
          signed by it, ca-chain.pem, the enrollment HMAC key enroll.key, an empty CRL. Keys 0600.
device:   registers devices in FLEET/devices.csv. import reads rows store,device_id,role (a header
          row with those names is optional); bad rows are listed with their row numbers and left
          out (exit 1). Registering regenerates the ACL of every broker made by `broker`.
token:    prints a one-time enrollment token for a registered device (default valid 24 hours; it
          pins the fleet root, so the device trusts no other CA):
          stockwire-agent enroll --token T --coordinator URL.
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
crl:      regenerates the CRL (it is valid 365 days) and the brokers' copies.
acl:      prints the identity-bound ACL (no pattern rules) for FLEET, or for a fleet CSV.
bundle:   writes DIR/<device_id>.json for each device of a fleet CSV (device_id,location,kind[,nearby]).

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

common::Result<provision::FleetDir> openFleet(const common::Args& a) {
  if (!a.has("dir")) return common::Error::reject("usage", "--dir FLEET is required");
  return provision::FleetDir::open(*a.get("dir"));
}

// SIGHUP to the broker in --broker-pid, if given: Mosquitto then reloads its acl_file.
bool hup(const common::Args& a) {
  if (!a.has("broker-pid")) return true;
  auto text = common::readFile(*a.get("broker-pid"));
  if (!text) return fail(text.error().message, 2), false;
  long pid = std::strtol(text->c_str(), nullptr, 10);
  if (pid <= 1 || ::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    return fail("cannot signal the broker (pid " + std::to_string(pid) + " from " + *a.get("broker-pid") + ")", 2), false;
  }
  std::printf("broker %ld told to reload (SIGHUP)\n", pid);
  return true;
}

int runCommand(const std::string& cmd, const std::vector<std::string>& args) {
  const int64_t now = common::SystemClock().nowMs();
  if (cmd == "ca") {
    if (args.empty() || args[0] != "init") return fail("usage: ca init --dir FLEET", 2);
    auto a = common::Args::parse({args.begin() + 1, args.end()}, {"dir"}, {});
    if (!a) return fail(a.error().message, 2);
    if (!a->has("dir")) return fail("--dir is required", 2);
    auto f = provision::FleetDir::init(*a->get("dir"), now);
    if (!f) return fail(f.error().message, 2);
    std::printf("fleet CA created in %s (move root.key offline once you no longer need a new issuing CA)\n",
                f->dir().c_str());
    return 0;
  }
  if (cmd == "device") {
    if (args.empty()) return fail("usage: device add|import|list ...", 2);
    const std::string sub = args[0];
    auto a = common::Args::parse({args.begin() + 1, args.end()}, {"dir", "store", "device", "role", "csv", "broker-pid"}, {});
    if (!a) return fail(a.error().message, 2);
    auto f = openFleet(*a);
    if (!f) return fail(f.error().message, 2);
    if (sub == "list") {
      auto all = f->devices();
      if (!all) return fail(all.error().message, 2);
      for (const auto& d : *all) {
        std::printf("%s,%s,%s,%s\n", d.store.c_str(), d.device_id.c_str(), d.role.c_str(), d.revoked ? "revoked" : "active");
      }
      return 0;
    }
    if (sub == "add") {
      for (const char* r : {"store", "device", "role"}) {
        if (!a->has(r)) return fail(std::string("--") + r + " is required", 2);
      }
      auto d = f->addDevice(*a->get("store"), *a->get("device"), *a->get("role"), now);
      if (!d) return fail(d.error().code + ": " + d.error().message, 2);
      std::printf("device %s registered at %s as %s\n", d->device_id.c_str(), d->store.c_str(), d->role.c_str());
      return hup(*a) ? 0 : 2;
    }
    if (sub == "import") {
      if (!a->has("csv")) return fail("--csv is required", 2);
      auto text = common::readFile(*a->get("csv"));
      if (!text) return fail(text.error().message, 2);
      auto r = f->importCsv(*text, now);
      if (!r) return fail(r.error().message, 2);
      for (const auto& e : r->errors) {
        std::fprintf(stderr, "%s row %zu: %s: %s\n", a->get("csv")->c_str(), e.row, e.code.c_str(), e.message.c_str());
      }
      std::printf("%zu devices added, %zu already registered, %zu rows refused\n", r->added, r->unchanged,
                  r->errors.size());
      if (!hup(*a)) return 2;
      return r->errors.empty() ? 0 : 1;
    }
    return fail("unknown device command '" + sub + "' (add, import, list)", 2);
  }
  if (cmd == "token") {
    auto a = common::Args::parse(args, {"dir", "device", "ttl-hours"}, {});
    if (!a) return fail(a.error().message, 2);
    if (!a->has("device")) return fail("--device is required", 2);
    auto ttl = a->getInt("ttl-hours", 24);
    if (!ttl || *ttl <= 0 || *ttl > 24 * 365) return fail("--ttl-hours must be 1-8760", 2);
    auto f = openFleet(*a);
    if (!f) return fail(f.error().message, 2);
    auto t = f->issueToken(*a->get("device"), now, *ttl * 3'600'000);
    if (!t) return fail(t.error().code + ": " + t.error().message, 2);
    std::printf("%s\n", t->c_str());
    return 0;
  }
  if (cmd == "broker") {
    std::vector<std::string> hosts;
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.size(); ++i) {  // --host may be given several times
      if (args[i] == "--host" && i + 1 < args.size()) {
        hosts.push_back(args[++i]);
      } else if (args[i].rfind("--host=", 0) == 0) {
        hosts.push_back(args[i].substr(7));
      } else {
        rest.push_back(args[i]);
      }
    }
    auto a = common::Args::parse(rest, {"dir", "port", "out", "bind", "owner"}, {});
    if (!a) return fail(a.error().message, 2);
    if (!a->has("port") || !a->has("out")) return fail("--port and --out are required", 2);
    auto port = a->getInt("port", 0);
    if (!port) return fail(port.error().message, 2);
    auto f = openFleet(*a);
    if (!f) return fail(f.error().message, 2);
    provision::BrokerOptions o;
    o.port = static_cast<int>(*port);
    o.bind = a->getOr("bind", "");
    o.owner = a->getOr("owner", "");
    if (!hosts.empty()) o.hosts = hosts;
    if (auto s = f->writeBroker(*a->get("out"), o, now); !s) return fail(s.error().message, 2);
    std::printf("broker config in %s: mosquitto -c %s/mosquitto.conf\n", a->get("out")->c_str(), a->get("out")->c_str());
    return 0;
  }
  if (cmd == "coordinator-cert") {
    auto a = common::Args::parse(args, {"dir", "out"}, {});
    if (!a) return fail(a.error().message, 2);
    if (!a->has("out")) return fail("--out is required", 2);
    auto f = openFleet(*a);
    if (!f) return fail(f.error().message, 2);
    if (auto s = f->writeCoordinatorCert(*a->get("out"), now); !s) return fail(s.error().message, 2);
    std::printf("coordinator identity %s in %s\n", provision::kCoordinatorIdentity, a->get("out")->c_str());
    return 0;
  }
  if (cmd == "revoke" || cmd == "crl") {
    auto a = common::Args::parse(args, {"dir", "device", "broker-pid"}, {});
    if (!a) return fail(a.error().message, 2);
    if (cmd == "revoke" && !a->has("device")) return fail("--device is required", 2);
    auto f = openFleet(*a);
    if (!f) return fail(f.error().message, 2);
    auto s = cmd == "revoke" ? f->revoke(*a->get("device"), now) : f->writeCrl(now);
    if (s && cmd == "crl") s = f->refreshBrokers();
    if (!s) return fail(s.error().code + ": " + s.error().message, 2);
    if (cmd == "revoke") std::printf("device %s revoked; CRL and broker ACLs regenerated\n", a->get("device")->c_str());
    return hup(*a) ? 0 : 2;
  }
  if (cmd == "acl") {
    auto a = common::Args::parse(args, {"fleet", "dir", "coordinator-user"}, {});
    if (!a) return fail(a.error().message, 2);
    if (a->has("dir")) {
      auto f = openFleet(*a);
      if (!f) return fail(f.error().message, 2);
      auto acl = f->acl();
      if (!acl) return fail(acl.error().message, 2);
      std::fputs(acl->c_str(), stdout);
      return 0;
    }
    if (!a->has("fleet")) return fail("--dir or --fleet is required", 2);
    auto fleet = loadFleet(*a->get("fleet"));
    if (!fleet) return fail(fleet.error().message, 2);
    std::fputs(provision::mosquittoAcl(*fleet, a->getOr("coordinator-user", provision::kCoordinatorIdentity)).c_str(), stdout);
    return fleet->errors.empty() ? 0 : 1;
  }
  if (cmd == "bundle") {
    auto a = common::Args::parse(args, {"fleet", "broker", "out", "db-dir", "http", "ca"}, {});
    if (!a) return fail(a.error().message, 2);
    for (const char* r : {"fleet", "broker", "out"}) {
      if (!a->has(r)) return fail(std::string("--") + r + " is required", 2);
    }
    auto fleet = loadFleet(*a->get("fleet"));
    if (!fleet) return fail(fleet.error().message, 2);
    provision::BundleOptions o;
    o.broker_url = *a->get("broker");
    o.db_dir = a->getOr("db-dir", o.db_dir);
    o.http = a->getOr("http", o.http);
    o.ca_file = a->getOr("ca", "");
    std::error_code ec;
    std::filesystem::create_directories(*a->get("out"), ec);
    if (ec) return fail("cannot create " + *a->get("out") + ": " + ec.message(), 2);
    for (const auto& d : fleet->devices) {
      std::string path = *a->get("out") + "/" + d.device_id + ".json";
      std::ofstream out(path, std::ios::trunc);
      out << provision::agentConfig(d, o).dump(2) << "\n";
      if (!out) return fail("cannot write " + path, 2);
    }
    std::printf("wrote %zu agent configs to %s\n", fleet->devices.size(), a->get("out")->c_str());
    return fleet->errors.empty() ? 0 : 1;
  }
  return fail("unknown command '" + cmd + "' (see --help)", 2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<common::CliCommand> commands;
  for (const char* name : {"ca", "device", "token", "broker", "coordinator-cert", "revoke", "crl", "acl", "bundle"}) {
    commands.push_back({name, [name](const std::vector<std::string>& args) { return runCommand(name, args); }});
  }
  return common::runCli("stockwire-provision", kUsage, argc, argv, commands);
}
