#include "sw/common/mqtt.h"

#include <algorithm>
#include <cmath>

namespace sw::common {

void MqttTransport::addMessageHandler(std::string filter, MessageHandler handler) {
  message_handlers_.emplace_back(std::move(filter), std::move(handler));
}

void MqttTransport::addConnectionHandler(ConnectionHandler handler) {
  connection_handlers_.push_back(std::move(handler));
}

void MqttTransport::dispatchMessage(std::string_view topic, std::string_view payload) const {
  for (const auto& [filter, handler] : message_handlers_) {
    if (topicMatches(filter, topic)) handler(topic, payload);
  }
}

void MqttTransport::dispatchConnection(bool connected) const {
  for (const auto& h : connection_handlers_) h(connected);
}

bool topicMatches(std::string_view filter, std::string_view topic) {
  if (filter.substr(0, 7) == "$share/") {
    size_t slash = filter.find('/', 7);
    if (slash == std::string_view::npos) return false;
    filter = filter.substr(slash + 1);
  }
  size_t f = 0, t = 0;
  while (true) {
    size_t fe = filter.find('/', f);
    std::string_view flevel = filter.substr(f, fe == std::string_view::npos ? std::string_view::npos : fe - f);
    if (flevel == "#") return true;
    if (t > topic.size()) return false;
    size_t te = topic.find('/', t);
    std::string_view tlevel = topic.substr(t, te == std::string_view::npos ? std::string_view::npos : te - t);
    if (flevel != "+" && flevel != tlevel) return false;
    bool flast = fe == std::string_view::npos;
    bool tlast = te == std::string_view::npos;
    if (flast || tlast) {
      if (flast && tlast) return true;
      // "a/#" also matches "a": the filter's next (last) level is '#'.
      return tlast && !flast && filter.substr(fe + 1) == "#";
    }
    f = fe + 1;
    t = te + 1;
  }
}

int64_t reconnectDelayMs(int attempt, int min_ms, int max_ms, double random01) {
  double cap = static_cast<double>(min_ms) * std::pow(2.0, std::min(attempt, 30));
  cap = std::min(cap, static_cast<double>(max_ms));
  double r = std::clamp(random01, 0.0, 1.0);
  // Full jitter, but never below min_ms/2, so a flapping broker is not hammered.
  double d = std::max(static_cast<double>(min_ms) / 2.0, cap * r);
  return static_cast<int64_t>(d);
}

}  // namespace sw::common
