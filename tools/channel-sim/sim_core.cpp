#include "sim_core.h"

#include "sw/common/http_socket.h"
#include "sw/common/iso_time.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <ctime>

namespace sw::channelsim {

namespace {
int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

json listingJson(const ListingView& v) {
  json j = {{"sku", v.sku},
            {"quantity", v.quantity},
            {"channel_id", v.channel_id},
            {"updated_at_ms", v.updated_at_ms},
            {"updated_at", v.updated_at_ms ? json(isoUtc(v.updated_at_ms)) : json(nullptr)},
            {"update_count", v.update_count}};
  for (auto& [k, val] : v.extra.items()) j[k] = val;
  return j;
}

// --- TimerQueue ---

TimerQueue::TimerQueue() : thread_([this] { loop(); }) {}

TimerQueue::~TimerQueue() { stop(); }

void TimerQueue::schedule(int64_t delay_ms, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (stop_) return;
  queue_.push({steadyMs() + std::max<int64_t>(0, delay_ms), ++seq_, std::move(fn)});
  cv_.notify_all();
}

void TimerQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void TimerQueue::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    int64_t wait = queue_.top().due - steadyMs();
    if (wait > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(wait));
      continue;
    }
    auto fn = queue_.top().fn;
    queue_.pop();
    lock.unlock();
    fn();
    lock.lock();
  }
}

// --- SimContext ---

SimContext::SimContext(SimOptions options) : options_(std::move(options)), faults_(options_.faults), rng_(options_.seed) {}

SimContext::~SimContext() { stop(); }

void SimContext::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  webhooks_.stop();
  work_.stop();
}

int64_t SimContext::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t SimContext::monoMs() const { return steadyMs(); }

void SimContext::sleepMs(int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(0, ms)), [this] { return stopping_; });
}

SimContext::FaultAction SimContext::nextFault() {
  std::lock_guard lock(mu_);
  if (faults_.fail_next > 0) {
    --faults_.fail_next;
    return FaultAction::kError;
  }
  if (faults_.hang_next > 0) {
    --faults_.hang_next;
    return FaultAction::kHang;
  }
  if (faults_.throttle_next > 0) {
    --faults_.throttle_next;
    return FaultAction::kThrottle;
  }
  if (faults_.throttle_until_ms > steadyMs()) return FaultAction::kThrottle;
  std::uniform_real_distribution<double> d(0.0, 1.0);
  if (faults_.error_rate > 0 && d(rng_) < faults_.error_rate) return FaultAction::kError;
  if (faults_.hang_rate > 0 && d(rng_) < faults_.hang_rate) return FaultAction::kHang;
  return FaultAction::kNone;
}

int64_t SimContext::slowMs() {
  std::lock_guard lock(mu_);
  return faults_.slow_ms;
}

int64_t SimContext::hangMs() {
  std::lock_guard lock(mu_);
  return faults_.hang_ms;
}

Faults SimContext::faults() {
  std::lock_guard lock(mu_);
  return faults_;
}

bool SimContext::setFaults(const json& patch, std::string* error) {
  if (!patch.is_object()) {
    *error = "the body must be a JSON object";
    return false;
  }
  Faults f;
  {
    std::lock_guard lock(mu_);
    f = faults_;
  }
  for (const auto& [k, v] : patch.items()) {
    auto rate = [&](double* out) {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
        *error = k + " must be a number from 0 to 1";
        return false;
      }
      *out = v.get<double>();
      return true;
    };
    auto count = [&](int64_t* out) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0) {
        *error = k + " must be a whole number >= 0";
        return false;
      }
      *out = v.get<int64_t>();
      return true;
    };
    int64_t n = 0;
    if (k == "error_rate") {
      if (!rate(&f.error_rate)) return false;
    } else if (k == "hang_rate") {
      if (!rate(&f.hang_rate)) return false;
    } else if (k == "hang_ms") {
      if (!count(&f.hang_ms)) return false;
    } else if (k == "slow_ms") {
      if (!count(&f.slow_ms)) return false;
    } else if (k == "throttle_for_ms") {
      if (!count(&n)) return false;
      f.throttle_until_ms = n == 0 ? 0 : steadyMs() + n;
    } else if (k == "fail_next") {
      if (!count(&f.fail_next)) return false;
    } else if (k == "hang_next") {
      if (!count(&f.hang_next)) return false;
    } else if (k == "throttle_next") {
      if (!count(&f.throttle_next)) return false;
    } else if (k == "webhooks") {
      if (!v.is_boolean()) {
        *error = "webhooks must be true or false";
        return false;
      }
      f.webhooks = v.get<bool>();
    } else if (k == "reset") {
      f = Faults{};
    } else {
      *error = "unknown fault '" + k + "'";
      return false;
    }
  }
  std::lock_guard lock(mu_);
  faults_ = f;
  return true;
}

json SimContext::faultsJson() {
  Faults f = faults();
  return {{"error_rate", f.error_rate},
          {"hang_rate", f.hang_rate},
          {"hang_ms", f.hang_ms},
          {"slow_ms", f.slow_ms},
          {"throttle_for_ms", std::max<int64_t>(0, f.throttle_until_ms - steadyMs())},
          {"fail_next", f.fail_next},
          {"hang_next", f.hang_next},
          {"throttle_next", f.throttle_next},
          {"webhooks", f.webhooks}};
}

double SimContext::random01() {
  std::lock_guard lock(mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

std::string SimContext::uuid() {
  uint64_t a, b;
  {
    std::lock_guard lock(mu_);
    a = rng_();
    b = rng_();
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

void SimContext::schedule(int64_t delay_ms, std::function<void()> fn) { work_.schedule(delay_ms, std::move(fn)); }

void SimContext::deliver(WebhookDelivery delivery) {
  auto d = std::make_shared<WebhookDelivery>(std::move(delivery));
  webhooks_.schedule(0, [this, d] { attempt(d, 1); });
}

void SimContext::attempt(std::shared_ptr<WebhookDelivery> d, int n) {
  json entry = {{"topic", d->topic}, {"url", d->url}, {"attempt", n}, {"at", isoUtc(nowMs())}};
  int status = 0;
  if (!faults().webhooks) {
    entry["result"] = "dropped";
  } else {
    // Real channels give the receiver about 1 s to connect and 5 s in total.
    httplib::Client cli = common::makeHttpClient(d->url.substr(0, d->url.find('/', d->url.find("://") + 3)));
    cli.set_connection_timeout(1, 0);
    cli.set_read_timeout(5, 0);
    cli.set_write_timeout(5, 0);
    std::string path = d->url.substr(std::min(d->url.size(), d->url.find('/', d->url.find("://") + 3)));
    if (path.empty()) path = "/";
    httplib::Headers h(d->headers.begin(), d->headers.end());
    auto r = cli.Post(path, h, d->body, d->content_type);
    status = r ? r->status : 0;
    entry["status"] = status;
    entry["result"] = status >= 200 && status <= 299 ? "delivered" : (status == 0 ? "no answer" : "refused");
    if (d->on_attempt) d->on_attempt(status);
  }
  bool failed = status < 200 || status > 299;
  if (failed && entry["result"] != "dropped" && n < d->max_attempts) {
    int64_t backoff = options_.webhook_retry_ms << std::min(n - 1, 16);
    entry["retry_in_ms"] = backoff;
    webhooks_.schedule(backoff, [this, d, n] { attempt(d, n + 1); });
  }
  std::lock_guard lock(mu_);
  webhook_log_.push_back(std::move(entry));
  if (webhook_log_.size() > 1000) webhook_log_.erase(webhook_log_.begin());
}

json SimContext::webhookLog() {
  std::lock_guard lock(mu_);
  return webhook_log_;
}

void SimContext::count(const std::string& operation, int status) {
  std::lock_guard lock(mu_);
  ++stats_[operation][status];
}

json SimContext::stats() {
  std::lock_guard lock(mu_);
  json out = json::object();
  for (const auto& [op, by_status] : stats_) {
    json s = json::object();
    for (const auto& [status, n] : by_status) s[std::to_string(status)] = n;
    out[op] = s;
  }
  return out;
}

// --- helpers ---

std::string hmacSha256Base64(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const unsigned char kEmpty = 0;
  const unsigned char* data = message.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, message.size(), mac, &len);
  return base64Encode(std::string(reinterpret_cast<const char*>(mac), len));
}

std::string base64Encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64Decode(const std::string& in) {
  if (in.empty() || in.size() % 4 != 0) return {};
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return {};
  size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

namespace {
std::tm utcTm(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}
}  // namespace

std::string isoUtc(int64_t ms, bool millis) {
  std::tm tm = utcTm(ms);
  char buf[64];
  if (millis) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return buf;
}

std::string isoOffset(int64_t ms, int offset_minutes) {
  std::tm tm = utcTm(ms + static_cast<int64_t>(offset_minutes) * 60'000);
  char buf[64];
  int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

std::string isoNoZone(int64_t ms) { return isoUtc(ms, false).substr(0, 19); }

std::optional<int64_t> parseIso(const std::string& s) {
  auto ms = common::parseIsoMs(s, common::IsoPolicy::kChannel);
  if (!ms) return std::nullopt;
  return *ms;
}

void sendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

std::optional<int64_t> jsonInt(const json& v, bool allow_string) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (allow_string && v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
  }
  return std::nullopt;
}

std::optional<int64_t> parseCents(const std::string& text) {
  static const std::regex re(R"((\d{1,9})(?:\.(\d{1,2}))?)");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  std::string frac = m[2].str();
  frac.resize(2, '0');
  return std::stoll(m[1].str()) * 100 + std::stoll(frac);
}

std::string centsText(int64_t cents) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", cents < 0 ? "-" : "", static_cast<long long>(std::llabs(cents) / 100),
                static_cast<long long>(std::llabs(cents) % 100));
  return buf;
}

std::string textField(const json& body, const char* name, const std::string& fallback) {
  if (!body.is_object()) return fallback;
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool readSeedListings(const json& body, SeedRules rules, std::vector<SeedListing>* out, std::string* error) {
  out->clear();
  if (!body.is_object() || !body.contains("listings") || !body["listings"].is_array()) {
    *error = "expected {\"listings\":[...]}";
    return false;
  }
  for (const json& l : body["listings"]) {
    if (!l.is_object() || !l.contains("sku") || !l["sku"].is_string() ||
        (!rules.sku_may_be_empty && l["sku"].get<std::string>().empty())) {
      *error = rules.sku_may_be_empty ? "each listing needs a string sku (\"\" for a product without SKU)"
                                      : "each listing needs a non-empty string sku";
      return false;
    }
    auto qty = l.contains("quantity") ? jsonInt(l["quantity"]) : std::optional<int64_t>(0);
    if (!qty || (!rules.negative_quantity && *qty < 0)) {
      *error = rules.negative_quantity ? "quantity must be a whole number" : "quantity must be a whole number >= 0";
      return false;
    }
    SeedListing s;
    s.sku = l["sku"].get<std::string>();
    s.quantity = *qty;
    s.title = textField(l, "title", "Product " + s.sku);
    s.price = textField(l, "price", "10.00");
    s.raw = &l;
    out->push_back(std::move(s));
  }
  return true;
}

bool readOrderRequest(const json& body, OrderRequest* out, std::string* error) {
  if (!body.is_object() || !body.contains("lines") || !body["lines"].is_array()) {
    *error = "expected {\"lines\":[...]}";
    return false;
  }
  out->currency = textField(body, "currency", "USD");
  out->country = textField(body, "country", "US");
  out->ship_to = {};
  if (body.contains("ship_to")) {
    const json& s = body["ship_to"];
    if (!s.is_object()) {
      *error = "ship_to must be an object {\"postal_code\",\"city\",\"region\"}";
      return false;
    }
    out->ship_to = {textField(s, "postal_code", ""), textField(s, "city", ""), textField(s, "region", "")};
  }
  out->lines.clear();
  for (const json& l : body["lines"]) {
    auto qty = l.is_object() && l.contains("quantity") ? jsonInt(l["quantity"]) : std::nullopt;
    if (!qty || *qty < 1) {
      *error = "each line needs a quantity >= 1";
      return false;
    }
    OrderLineRequest line;
    line.sku = textField(l, "sku", "");
    line.quantity = *qty;
    if (l.contains("price") && l["price"].is_string()) line.price = l["price"].get<std::string>();
    line.raw = &l;
    out->lines.push_back(std::move(line));
  }
  return true;
}

}  // namespace sw::channelsim
