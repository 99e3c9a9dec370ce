#include "sw/coordinator/settlements/settlement_scheduler.h"

#include <algorithm>
#include <climits>

#include <nlohmann/json.hpp>

#include "sw/common/log.h"

namespace sw::coordinator::settlements {

using common::Error;
using common::Result;
using nlohmann::json;

Result<std::vector<FetchPlan>> SettlementScheduler::plansFrom(const json& config, const std::vector<std::string>& enabled) {
  std::vector<FetchPlan> out;
  const json* chans = config.is_object() && config.contains("channels") ? &config["channels"] : nullptr;
  for (const std::string& name : enabled) {
    int64_t minutes = kDefaultMinutes;
    if (chans && chans->is_object() && chans->contains(name) && (*chans)[name].is_object()) {
      const json& c = (*chans)[name];
      if (auto it = c.find("settlement_fetch_minutes"); it != c.end()) {
        if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 43'200) {
          return Error::fatal("bad_config", "channels." + name + ".settlement_fetch_minutes must be a whole number 0..43200 (0 = never)");
        }
        minutes = it->get<int64_t>();
      }
    }
    if (minutes > 0) out.push_back({name, minutes * 60'000});
  }
  return out;
}

SettlementScheduler::SettlementScheduler(std::vector<FetchPlan> plans, Fetch fetch, const common::Clock& clock)
    : fetch_(std::move(fetch)), clock_(clock) {
  for (FetchPlan& p : plans) dues_.push_back({std::move(p), 0, {}});
}

SettlementScheduler::~SettlementScheduler() { stop(); }

int64_t SettlementScheduler::tick() {
  std::vector<std::string> due;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.nowMs();
    for (Due& d : dues_) {
      if (d.next_ms == 0) {
        d.next_ms = now + d.plan.interval_ms;  // the first one interval after start
      } else if (d.next_ms <= now) {
        due.push_back(d.plan.channel);
      }
    }
  }
  for (const std::string& channel : due) {
    auto r = fetch_(channel);  // outside the lock: a fetch is network calls
    if (r) {
      SW_INFO("settlements") << channel << ": periodic fetch, " << r->matched.size() << " payouts matched, "
                             << r->mismatched.size() << " with " << r->findings << " findings";
    } else {
      SW_WARN("settlements") << channel << ": periodic fetch failed: " << r.error().toString();
    }
    std::lock_guard lock(mu_);
    const int64_t now = clock_.nowMs();
    for (Due& d : dues_) {
      if (d.plan.channel != channel) continue;
      d.counts.fetches++;
      if (!r) d.counts.failures++;
      if (!r && r.error().code == "not_supported") {
        d.next_ms = INT64_MAX;  // this channel's payouts are not read: never again
      } else {
        d.next_ms = now + (r ? d.plan.interval_ms : std::min(kRetryMs, d.plan.interval_ms));
      }
    }
  }
  std::lock_guard lock(mu_);
  int64_t next = INT64_MAX;
  for (const Due& d : dues_) next = std::min(next, d.next_ms);
  return next;
}

void SettlementScheduler::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || dues_.empty()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    for (;;) {
      const int64_t next = tick();
      std::unique_lock lock2(mu_);
      const int64_t wait = std::max<int64_t>(1'000, next - clock_.nowMs());
      cv_.wait_for(lock2, std::chrono::milliseconds(std::min<int64_t>(wait, 60'000)), [this] { return stop_; });
      if (stop_) return;
    }
  });
}

void SettlementScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SettlementScheduler::Counts SettlementScheduler::counts(const std::string& channel) const {
  std::lock_guard lock(mu_);
  for (const Due& d : dues_) {
    if (d.plan.channel == channel) return d.counts;
  }
  return {};
}

}  // namespace sw::coordinator::settlements
