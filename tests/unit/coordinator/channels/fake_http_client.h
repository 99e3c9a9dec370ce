#pragma once
// A scripted HttpClient: records every request and answers from a handler, so connector
// logic can be driven without a network.

#include <functional>
#include <memory>
#include <vector>

#include "sw/coordinator/channels/http_client.h"

namespace sw::coordinator::channels {

struct FakeHttp {
  std::vector<HttpRequest> requests;
  std::function<common::Result<HttpResponse>(const HttpRequest&)> handler;
};

class FakeHttpClient final : public HttpClient {
 public:
  explicit FakeHttpClient(std::shared_ptr<FakeHttp> state) : state_(std::move(state)) {}
  common::Result<HttpResponse> send(const HttpRequest& request) override {
    state_->requests.push_back(request);
    if (!state_->handler) return common::Error::retry("no_handler", "the test gave no answer");
    return state_->handler(request);
  }

 private:
  std::shared_ptr<FakeHttp> state_;
};

inline HttpResponse jsonResponse(int status, const std::string& body,
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = body;
  r.headers = std::move(headers);
  return r;
}

inline std::string requestHeader(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace sw::coordinator::channels
