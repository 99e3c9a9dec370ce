#pragma once
// MqttTransport over Eclipse Paho MQTT C++ (MQTT 5). Paho's in-memory buffer is not
// relied on for anything: callers keep their own durable outbox and resend from it.

#include <memory>

#include "sw/common/mqtt.h"

namespace sw::common {

std::unique_ptr<MqttTransport> makePahoTransport(const MqttConfig& config);

}  // namespace sw::common
