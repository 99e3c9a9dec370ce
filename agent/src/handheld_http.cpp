// cpp-httplib adapter: the handheld's client for the agent's local API.

#include <httplib.h>

#include "sw/agent/handheld.h"
#include "sw/common/http_socket.h"

namespace sw::agent {

using common::Error;
using common::Result;
using nlohmann::json;

namespace {

class HttpAgentClient final : public AgentClient {
 public:
  explicit HttpAgentClient(const std::string& base) : client_(common::makeHttpClient(base)) {
    client_.set_connection_timeout(2, 0);
    client_.set_read_timeout(5, 0);
    client_.set_write_timeout(5, 0);
  }

  Result<json> get(const std::string& path) override { return answer(client_.Get(path)); }

  Result<json> post(const std::string& path, const json& body, const std::string& key) override {
    httplib::Headers headers;
    if (!key.empty()) headers.emplace("Idempotency-Key", key);
    return answer(client_.Post(path, headers, body.dump(), "application/json"));
  }

 private:
  static Result<json> answer(const httplib::Result& res) {
    if (!res) {
      return Error::retry("agent_unreachable", "the agent's local API did not answer (" + httplib::to_string(res.error()) + ")");
    }
    json j = json::parse(res->body, nullptr, false);
    if (res->status >= 200 && res->status < 300) {
      if (j.is_discarded()) return Error::retry("bad_reply", "the agent answered with something that is not JSON");
      return j;
    }
    std::string code = "http_" + std::to_string(res->status);
    std::string message = "the agent answered " + std::to_string(res->status);
    if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
      code = j["error"].value("code", code);
      message = j["error"].value("message", message);
    }
    if (res->status == 404) return Error::reject("not_found", message);
    if (res->status >= 500) return Error::retry(code, message);
    return Error::reject(code, message);
  }

  httplib::Client client_;
};

}  // namespace

Result<std::unique_ptr<AgentClient>> makeHttpAgentClient(const std::string& base_url) {
  if (base_url.rfind("http://", 0) != 0) {
    return Error::reject("bad_option", "--agent must be an http:// URL such as http://127.0.0.1:8700");
  }
  return std::unique_ptr<AgentClient>(new HttpAgentClient(base_url));
}

}  // namespace sw::agent
