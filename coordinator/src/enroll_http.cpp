#include "enroll_http.h"

#include <nlohmann/json.hpp>

#include "sw/common/http_json.h"
#include "sw/common/http_errors.h"
#include "sw/common/json_text.h"

namespace sw::coordinator {
namespace {

constexpr size_t kMaxBody = 32 * 1024;

void sendEnrollError(httplib::Response& res, const common::Error& e) {
  res.status = enrollHttpStatus(e);
  res.set_content(common::errorJson(e), "application/json");
}

}  // namespace

void installEnrollRoutes(httplib::Server& server, Enrollment& enrollment) {
  server.Post("/v1/enroll", [&enrollment](const httplib::Request& req, httplib::Response& res) {
    if (req.body.size() > kMaxBody) {
      return sendEnrollError(res, common::Error::reject("bad_request", "the enrollment request is larger than 32 KiB"));
    }
    auto body = common::parseJsonObjectBody(req.body, R"({"token":"...","csr_pem":"..."})");
    if (!body) return sendEnrollError(res, common::Error::reject("bad_request", body.error().message));
    const auto token = body->find("token");
    const auto csr = body->find("csr_pem");
    if (token == body->end() || !token->is_string() || csr == body->end() || !csr->is_string()) {
      return sendEnrollError(res, common::Error::reject("bad_request", "token and csr_pem must be strings"));
    }
    auto answer = enrollment.enroll(token->get<std::string>(), csr->get<std::string>());
    if (!answer) return sendEnrollError(res, answer.error());
    nlohmann::json j = {{"certificate_pem", answer->certificate_pem},
                        {"ca_pem", answer->ca_pem},
                        {"serial", answer->serial_hex},
                        {"not_after_ms", answer->not_after_ms},
                        {"config",
                         {{"device_id", answer->device_id},
                          {"location", answer->location},
                          {"role", answer->role},
                          {"broker_url", answer->broker_url}}}};
    common::sendJson(res, j);
  });
}

}  // namespace sw::coordinator
