#include "sw/common/topics.h"

namespace sw::common::topics {
namespace {

std::string deviceTopic(std::string_view device, std::string_view leaf) {
  std::string t;
  t.reserve(kPrefix.size() + device.size() + 1 + leaf.size());
  t += kPrefix;
  t += device;
  t += '/';
  t += leaf;
  return t;
}

}  // namespace

std::string events(std::string_view device) { return deviceTopic(device, "events"); }
std::string ack(std::string_view device) { return deviceTopic(device, "ack"); }
std::string state(std::string_view device) { return deviceTopic(device, "state"); }
std::string down(std::string_view device, std::string_view kind) {
  std::string leaf = "down/";
  leaf += kind;
  return deviceTopic(device, leaf);
}

std::string request(std::string_view device) { return deviceTopic(device, "req"); }
std::string csr(std::string_view device) { return deviceTopic(device, "csr"); }

std::string notice(std::string_view location) {
  std::string t = "sw/v1/loc/";
  t += location;
  t += "/notice";
  return t;
}

std::optional<DeviceTopic> parseDeviceTopic(std::string_view topic) {
  if (topic.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = topic.substr(kPrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size()) return std::nullopt;
  return DeviceTopic{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

}  // namespace sw::common::topics
