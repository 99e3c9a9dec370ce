#pragma once
// MQTT topic layout. Everything a device owns lives under sw/v1/dev/{device}/.

#include <optional>
#include <string>
#include <string_view>

namespace sw::common::topics {

inline constexpr std::string_view kPrefix = "sw/v1/dev/";
inline constexpr std::string_view kEventsFilter = "sw/v1/dev/+/events";
inline constexpr std::string_view kStateFilter = "sw/v1/dev/+/state";
inline constexpr std::string_view kCoordinatorState = "sw/v1/coord/state";

std::string events(std::string_view device);  // device -> coordinator, QoS 1
std::string ack(std::string_view device);     // coordinator -> device, QoS 1
std::string state(std::string_view device);   // retained birth, will = death
std::string down(std::string_view device, std::string_view kind);  // coordinator -> device
std::string request(std::string_view device);                      // device -> coordinator (downlink pulls)
std::string notice(std::string_view location);                     // retained downlink versions per location
inline constexpr std::string_view kRequestFilter = "sw/v1/dev/+/req";
// Certificate renewal: the device's CSR (device -> coordinator, QoS 1); the answer comes on
// down(device, "cert").
std::string csr(std::string_view device);
inline constexpr std::string_view kCsrFilter = "sw/v1/dev/+/csr";

struct DeviceTopic {
  std::string device;
  std::string leaf;  // "events", "ack", "state", "down/..."
};
// Splits "sw/v1/dev/{device}/{leaf...}"; nullopt for anything else.
std::optional<DeviceTopic> parseDeviceTopic(std::string_view topic);

}  // namespace sw::common::topics
