// stockwire-provision: what IT runs to roll out a fleet (see provisioning/README.md).

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sw/common/args.h"
#include "sw/provision/fleet.h"

namespace {

using namespace sw;

constexpr const char* kUsage = R"(stockwire-provision: broker ACLs and agent configs for a fleet of devices.

Usage:
  stockwire-provision acl --fleet FLEET.csv [--coordinator-user NAME]
  stockwire-provision bundle --fleet FLEET.csv --broker URL --out DIR [--db-dir DIR] [--http HOST:PORT] [--ca FILE]
  stockwire-provision --help

FLEET.csv has a header row device_id,location,kind[,nearby]; kind is till or handheld; nearby lists
other locations separated by '|'. Bad rows are listed on stderr and left out (exit code 1 if any).

acl:    prints a Mosquitto acl_file that confines each device to its own topics (by user name, or by
        client id for clients without one); the coordinator user (default stockwire-coordinator)
        may use everything under sw/v1/.
bundle: writes DIR/<device_id>.json for each device, to be passed as stockwire-agent run --config.

Exit codes: 0 ok, 1 some rows were bad (the rest were used), 2 bad options or an unusable fleet file.
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "acl") {
    auto a = common::Args::parse(args, {"fleet", "coordinator-user"}, {});
    if (!a) return fail(a.error().message, 2);
    if (!a->has("fleet")) return fail("--fleet is required", 2);
    auto fleet = loadFleet(*a->get("fleet"));
    if (!fleet) return fail(fleet.error().message, 2);
    std::fputs(provision::mosquittoAcl(*fleet, a->getOr("coordinator-user", "stockwire-coordinator")).c_str(), stdout);
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
  return fail("unknown command '" + cmd + "' (acl, bundle, --help)", 2);
}
