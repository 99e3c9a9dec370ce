#pragma once
// A fleet as IT describes it (one CSV row per device), and what provisioning derives from it:
// a Mosquitto ACL that confines each device to its own topics, and one agent config file per
// device. Certificates, enrollment and revocation are in fleet_dir.h.
//
// Fleet CSV, with a header row:
//   device_id,location,kind,nearby
//   till-0001,store-1,till,
//   hh-0001,store-1,handheld,store-2|dc-1
// kind is till or handheld; nearby lists other locations whose stock views a handheld follows.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/result.h"

namespace sw::provision {

struct DeviceSpec {
  std::string device_id;
  std::string location;
  std::string kind;
  std::vector<std::string> nearby;
};

struct RowError {
  size_t row = 0;  // 1-based data row (the header is row 0)
  std::string code;
  std::string message;
};

struct Fleet {
  std::vector<DeviceSpec> devices;
  std::vector<RowError> errors;  // rows left out, and why
};

// Reads the CSV. A bad row is reported and left out; a missing or wrong header is an error.
common::Result<Fleet> parseFleetCsv(std::string_view text);

// Mosquitto acl_file text, bound to identities: one user block per device (the user name is
// the CN of its TLS client certificate with use_identity_as_username), no pattern rules. A
// device may publish only its own events, state and requests and read only its own acks and
// downlink pages, its locations' notices and the coordinator's presence. The coordinator's user
// may read and write everything under sw/v1/. A client without a certificate user gets nothing.
std::string mosquittoAcl(const Fleet& fleet, const std::string& coordinator_user);

struct BundleOptions {
  std::string broker_url;
  std::string db_dir = "/var/lib/stockwire";
  std::string http = "127.0.0.1:8700";
  std::string ca_file;  // optional: TLS
};

// The agent's --config file for one device (keys as in stockwire-agent run --help, '-' as '_').
nlohmann::json agentConfig(const DeviceSpec& device, const BundleOptions& options);

}  // namespace sw::provision
