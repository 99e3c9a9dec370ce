#pragma once
// Certificate renewal over a device's own authenticated MQTT connection. The device publishes
// its CSR on sw/v1/dev/{device}/csr (the broker's ACL lets only that device's certificate write
// there, so the topic names who asks); the coordinator signs it through Enrollment::renew (CN
// must be the device, the device must be enrolled and not revoked) and answers on
// sw/v1/dev/{device}/down/cert, which only the coordinator may write.
//   request: {"v":1,"id":"<request id>","csr_pem":"..."}
//   answer:  {"v":1,"id":"...","certificate_pem":"...","ca_pem":"...","not_after_ms":N}
//            or {"v":1,"id":"...","error":{"code":"...","kind":"...","message":"..."}}
// Threads: requests are queued by the transport's handler (at most 256; more are dropped, the
// device asks again) and signed on this service's own worker, between start() and stop().

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "sw/common/mqtt.h"
#include "sw/coordinator/fleet/enrollment.h"

namespace sw::coordinator {

class CertRenewalService {
 public:
  // share_group: as IngestConfig::share_group, so that of several coordinators one answers each CSR.
  CertRenewalService(common::MqttTransport& transport, Enrollment& enrollment, std::string share_group = "");
  ~CertRenewalService();
  CertRenewalService(const CertRenewalService&) = delete;
  CertRenewalService& operator=(const CertRenewalService&) = delete;

  // Adds the message handler: call before the transport starts. Then subscribes.
  common::Status start();
  void stop();

 private:
  struct Request {
    std::string device;
    std::string payload;
  };
  void run();
  void answer(const Request& r);

  common::MqttTransport& transport_;
  Enrollment& enrollment_;
  std::string share_group_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace sw::coordinator
