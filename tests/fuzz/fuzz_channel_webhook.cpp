// Webhook deliveries: input = channel byte, then "Name: value" header lines, a blank line, the
// body. A header value "auto" for the signature header is replaced by the correct signature,
// so the fuzzer also gets past the signature check into the decoders.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sw/coordinator/channels/webhook.h"

using namespace sw::coordinator::channels;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ChannelKind channel = data[0] % 2 ? ChannelKind::kWooCommerce : ChannelKind::kShopify;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  auto split = rest.find("\n\n");
  std::string head = split == std::string::npos ? std::string() : rest.substr(0, split);
  std::string body = split == std::string::npos ? rest : rest.substr(split + 2);
  const std::string secret = "fuzz-secret";
  HeaderList headers;
  size_t start = 0;
  while (start < head.size()) {
    size_t end = head.find('\n', start);
    std::string line = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? head.size() : end + 1;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    if (value == " auto" || value == "auto") value = hmacSha256Base64(secret, body);
    headers.emplace_back(name, value);
  }
  auto d = parseWebhook(channel, headers, body, secret);
  if (d.ok() && d->kind == WebhookKind::kOrder && d->orders.empty()) std::abort();
  return 0;
}
