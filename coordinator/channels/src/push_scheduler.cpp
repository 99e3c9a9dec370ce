#include "sw/coordinator/channels/push_scheduler.h"

#include <algorithm>
#include <condition_variable>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "sw/common/log.h"
#include "sw/common/uuid.h"

namespace sw::coordinator::channels {

using common::Error;
using common::Result;
using nlohmann::json;

// ---- dead letters ----------------------------------------------------------------------------

namespace {

const std::vector<std::string> kDeadLetterSchema = {
    // v1
    "CREATE TABLE dead_letters ("
    "  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,"
    "  code TEXT NOT NULL, message TEXT NOT NULL, attempts INTEGER NOT NULL, created_at_ms INTEGER NOT NULL,"
    "  replayed_at_ms INTEGER);"
    "CREATE INDEX dead_letters_open ON dead_letters(replayed_at_ms, id);",
};

DeadLetter readDeadLetter(const common::SqliteStmt& st) {
  DeadLetter d;
  d.id = st.columnInt(0);
  d.channel = st.columnText(1);
  d.sku = st.columnText(2);
  d.quantity = st.columnInt(3);
  d.code = st.columnText(4);
  d.message = st.columnText(5);
  d.attempts = st.columnInt(6);
  d.created_at_ms = st.columnInt(7);
  if (!st.columnIsNull(8)) d.replayed_at_ms = st.columnInt(8);
  return d;
}

constexpr const char* kDeadLetterColumns =
    "SELECT id, channel, sku, quantity, code, message, attempts, created_at_ms, replayed_at_ms FROM dead_letters";

}  // namespace

json toJson(const DeadLetter& d) {
  return {{"id", d.id},
          {"channel", d.channel},
          {"sku", d.sku},
          {"quantity", d.quantity},
          {"code", d.code},
          {"message", d.message},
          {"attempts", d.attempts},
          {"created_at_ms", d.created_at_ms},
          {"replayed_at_ms", d.replayed_at_ms ? json(*d.replayed_at_ms) : json(nullptr)}};
}

Result<std::unique_ptr<DeadLetterStore>> DeadLetterStore::open(const std::string& path) {
  std::unique_ptr<DeadLetterStore> s(new DeadLetterStore());
  auto db = common::SqliteDb::open({.path = path});
  if (!db) return db.error();
  s->db_ = std::move(*db);
  if (auto m = s->db_.migrate(kDeadLetterSchema); !m) return m.error();
  return s;
}

Result<int64_t> DeadLetterStore::add(const DeadLetter& d) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(
      "INSERT INTO dead_letters (channel, sku, quantity, code, message, attempts, created_at_ms)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!st) return st.error();
  st->bind(1, d.channel).bind(2, d.sku).bind(3, d.quantity).bind(4, d.code).bind(5, d.message).bind(6, d.attempts)
      .bind(7, d.created_at_ms);
  if (auto r = st->run(); !r) return r.error();
  return db_.lastInsertRowid();
}

Result<std::vector<DeadLetter>> DeadLetterStore::list(bool include_replayed, int64_t limit) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kDeadLetterColumns) +
                        (include_replayed ? "" : " WHERE replayed_at_ms IS NULL") + " ORDER BY id DESC LIMIT ?");
  if (!st) return st.error();
  st->bind(1, limit);
  std::vector<DeadLetter> out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(readDeadLetter(*st));
  }
  return out;
}

Result<DeadLetter> DeadLetterStore::markReplayed(int64_t id, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto st = db_.prepare(std::string(kDeadLetterColumns) + " WHERE id = ?");
  if (!st) return st.error();
  st->bind(1, id);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return Error::reject("not_found", "no dead letter " + std::to_string(id));
  DeadLetter d = readDeadLetter(*st);
  if (d.replayed_at_ms) {
    return Error::reject("already_replayed", "dead letter " + std::to_string(id) + " was replayed at " +
                                                 std::to_string(*d.replayed_at_ms));
  }
  auto up = db_.prepare("UPDATE dead_letters SET replayed_at_ms = ? WHERE id = ? AND replayed_at_ms IS NULL");
  if (!up) return up.error();
  up->bind(1, now_ms).bind(2, id);
  if (auto r = up->run(); !r) return r.error();
  d.replayed_at_ms = now_ms;
  return d;
}

Result<int64_t> DeadLetterStore::openCount() {
  std::lock_guard lock(mu_);
  return db_.queryInt("SELECT COUNT(*) FROM dead_letters WHERE replayed_at_ms IS NULL");
}

// ---- JSON ------------------------------------------------------------------------------------

json toJson(const ReconcileReport& r) {
  return {{"channel", r.channel},         {"done", r.done},          {"skus", r.skus},
          {"checked", r.checked},         {"in_step", r.in_step},    {"drifted", r.drifted},
          {"not_listed", r.not_listed},   {"read_errors", r.read_errors}, {"last_error", r.last_error},
          {"started_at_ms", r.started_at_ms}, {"finished_at_ms", r.finished_at_ms}};
}

json toJson(const ChannelStatus& s) {
  json rate = {{"known", s.rate.known},
               {"capacity", s.rate.capacity},
               {"available", s.rate.available},
               {"refill_per_sec", s.rate.refill_per_sec},
               {"blocked_until_ms", s.rate.blocked_until_ms},
               {"throttled_count", s.rate.throttled_count},
               {"source", s.rate.source}};
  json j = {{"channel", s.channel},
            {"queue", s.queue},
            {"awaiting_accept", s.awaiting_accept},
            {"last_push_at_ms", s.last_push_at_ms},
            {"last_error", s.last_error},
            {"pushed", s.pushed},
            {"failed", s.failed},
            {"retried", s.retried},
            {"stale", s.stale},
            {"calls", s.calls},
            {"changes", s.changes},
            {"skipped_unchanged", s.skipped_unchanged},
            {"not_listed", s.not_listed},
            {"rate", rate}};
  j["reconcile"] = s.reconcile ? toJson(*s.reconcile) : json(nullptr);
  return j;
}

// ---- the scheduler ----------------------------------------------------------------------------

namespace {

struct ReconcileJob {
  ReconcileReport report;          // read and written under the worker's mutex
  std::vector<std::string> skus;   // worker thread only
  size_t pos = 0;
  bool loaded = false;
  int64_t errors_in_row = 0;
};

}  // namespace

struct PushScheduler::Worker {
  std::string name;
  std::unique_ptr<ChannelConnector> conn;
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable cv;       // wakes the worker
  std::condition_variable done_cv;  // reconcile finished
  bool stop = false;
  bool poked = false;
  struct Pending {
    uint64_t gen = 0;  // bumped by every change: a result only retires the generation it sent
    int64_t not_before_ms = 0;
    int64_t attempts = 0;
    int64_t stale = 0;
    bool solo = false;  // a batch containing it was refused as a whole: send it alone
  };
  std::map<std::string, Pending> pending;
  uint64_t next_gen = 1;
  std::shared_ptr<ReconcileJob> job;
  ChannelStatus stats;

  // Worker thread only.
  std::map<std::string, int64_t> known;  // what the channel was last seen (or told) to hold
  // SKUs the channel has no listing for, as the channel itself said: a read found none, or a
  // push was answered kNotListed. Not pushed, so a SKU sold in stores but never listed online
  // does not fill the dead-letter list. Only a reconciliation's read that finds a listing takes
  // one off (then the figure is pushed).
  std::set<std::string> unlisted;
  // SKUs a read found listed (quantity or not). A SKU in neither set has never been asked
  // about: it is read before its first push on every channel.
  std::set<std::string> listed;
  void markUnlisted(const std::string& sku) {
    unlisted.insert(sku);
    listed.erase(sku);
    known.erase(sku);
    accepted.erase(sku);
    keys.erase(sku);
  }
  void markListed(const ChannelLevel& l) {
    unlisted.erase(l.sku);
    listed.insert(l.sku);
    if (l.quantity) known[l.sku] = *l.quantity;
  }
  struct Accepted {
    int64_t value = 0;
    int64_t sent_at_ms = 0;
    int64_t check_at_ms = 0;
    int64_t delay_ms = 0;
  };
  std::map<std::string, Accepted> accepted;
  struct Key {
    int64_t value = 0;
    std::optional<int64_t> expected;
    std::string key;
  };
  std::map<std::string, Key> keys;  // one idempotency key per logical change, reused on retry
  int64_t next_collect_ms = 0;
  int64_t next_reconcile_ms = 0;
  int64_t next_refresh_ms = 0;

  // Callers hold mu.
  void markLocked(const std::string& sku, int64_t not_before_ms) {
    Pending& p = pending[sku];
    p.gen = next_gen++;
    p.not_before_ms = std::max(p.not_before_ms, not_before_ms);
    poked = true;
  }
  void mark(const std::string& sku, int64_t not_before_ms = 0) {
    std::lock_guard lock(mu);
    markLocked(sku, not_before_ms);
    cv.notify_one();
  }
  void finish(const std::string& sku, uint64_t gen) {
    std::lock_guard lock(mu);
    auto it = pending.find(sku);
    if (it != pending.end() && it->second.gen == gen) pending.erase(it);
  }
};

PushScheduler::PushScheduler(AtsFunction ats, SkuListFunction skus, DeadLetterStore& dead_letters,
                             const common::Clock& clock, PushOptions options)
    : ats_(std::move(ats)), skus_(std::move(skus)), dead_(dead_letters), clock_(clock), options_(options) {}

PushScheduler::~PushScheduler() { stop(); }

void PushScheduler::addChannel(const std::string& name, std::unique_ptr<ChannelConnector> connector) {
  auto w = std::make_unique<Worker>();
  w->name = name;
  w->conn = std::move(connector);
  w->stats.channel = name;
  workers_.push_back(std::move(w));
}

void PushScheduler::start() {
  if (started_) return;
  started_ = true;
  for (auto& w : workers_) {
    if (options_.reconcile_at_start) {
      w->job = std::make_shared<ReconcileJob>();
      w->job->report.channel = w->name;
      w->job->report.started_at_ms = clock_.nowMs();
    }
    w->next_reconcile_ms = clock_.monoMs() + options_.reconcile_interval_s * 1000;
    w->next_refresh_ms = clock_.monoMs() + options_.refresh_interval_s * 1000;
    Worker* raw = w.get();
    w->thread = std::thread([this, raw] { run(*raw); });
  }
}

void PushScheduler::stop() {
  for (auto& w : workers_) {
    {
      std::lock_guard lock(w->mu);
      w->stop = true;
    }
    w->cv.notify_all();
    w->done_cv.notify_all();
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void PushScheduler::stockChanged(const std::vector<std::string>& skus) {
  if (skus.empty()) return;
  for (auto& w : workers_) {
    {
      std::lock_guard lock(w->mu);
      for (const auto& sku : skus) w->markLocked(sku, 0);
      w->stats.changes += static_cast<int64_t>(skus.size());
    }
    w->cv.notify_one();
  }
}

void PushScheduler::skuChanged(const std::string& sku) { stockChanged({sku}); }

PushScheduler::Worker* PushScheduler::find(const std::string& channel) const {
  for (const auto& w : workers_) {
    if (w->name == channel) return w.get();
  }
  return nullptr;
}

std::vector<std::string> PushScheduler::channels() const {
  std::vector<std::string> out;
  for (const auto& w : workers_) out.push_back(w->name);
  return out;
}

std::vector<ChannelStatus> PushScheduler::status() const {
  std::vector<ChannelStatus> out;
  for (const auto& w : workers_) {
    ChannelStatus s;
    {
      std::lock_guard lock(w->mu);
      s = w->stats;
      s.queue = w->pending.size();
      if (w->job) s.reconcile = w->job->report;
    }
    s.rate = w->conn->rateState();  // documented as callable from any thread
    out.push_back(std::move(s));
  }
  return out;
}

Result<ReconcileReport> PushScheduler::reconcile(const std::string& channel, std::chrono::milliseconds wait) {
  Worker* w = find(channel);
  if (!w) return Error::reject("unknown_channel", "channel '" + channel + "' is not enabled");
  std::unique_lock lock(w->mu);
  // One reconciliation at a time per channel: asking again while one runs waits for that one.
  if (!w->job || w->job->report.done) {
    w->job = std::make_shared<ReconcileJob>();
    w->job->report.channel = channel;
    w->job->report.started_at_ms = clock_.nowMs();
    w->poked = true;
    w->cv.notify_one();
  }
  std::shared_ptr<ReconcileJob> job = w->job;
  w->done_cv.wait_for(lock, wait, [&] { return job->report.done || w->stop; });
  return job->report;
}

Result<DeadLetter> PushScheduler::replay(int64_t id) {
  // Check the channel before marking, so a letter for a channel not enabled now stays open.
  auto open = dead_.list(true, 1'000'000);
  if (!open) return open.error();
  auto it = std::find_if(open->begin(), open->end(), [id](const DeadLetter& d) { return d.id == id; });
  if (it == open->end()) return Error::reject("not_found", "no dead letter " + std::to_string(id));
  Worker* w = find(it->channel);
  if (!w) return Error::reject("unknown_channel", "channel '" + it->channel + "' is not enabled; cannot replay");
  auto d = dead_.markReplayed(id, clock_.nowMs());
  if (!d) return d.error();
  {
    std::lock_guard lock(w->mu);
    w->markLocked(d->sku, 0);
    w->pending[d->sku].stale = 0;
    w->pending[d->sku].attempts = 0;
  }
  w->cv.notify_one();
  return d;
}

Result<std::vector<DeadLetter>> PushScheduler::deadLetters(bool include_replayed, int64_t limit) {
  return dead_.list(include_replayed, limit);
}

namespace {

int64_t backoffMs(const PushOptions& o, int64_t attempts) {
  int64_t shift = std::clamp<int64_t>(attempts - 1, 0, 20);
  return std::min(o.backoff_max_ms, o.backoff_initial_ms << shift);
}

}  // namespace

void PushScheduler::run(Worker& w) {
  struct Ready {
    std::string sku;
    uint64_t gen = 0;
    int64_t attempts = 0;
    bool solo = false;
  };
  struct Cand {
    Ready r;
    int64_t value = 0;
  };
  auto setError = [&w](const std::string& e) {
    std::lock_guard lock(w.mu);
    w.stats.last_error = e;
  };
  auto retryLater = [&w](const std::string& sku, int64_t at_ms, bool count_attempt) {
    std::lock_guard lock(w.mu);
    auto it = w.pending.find(sku);
    if (it == w.pending.end()) it = w.pending.emplace(sku, Worker::Pending{w.next_gen++, 0, 0, 0, false}).first;
    if (count_attempt) it->second.attempts++;
    it->second.not_before_ms = std::max(it->second.not_before_ms, at_ms);
  };
  auto deadLetter = [&](const std::string& sku, int64_t value, const std::string& code, const std::string& message,
                        int64_t attempts) {
    DeadLetter d;
    d.channel = w.name;
    d.sku = sku;
    d.quantity = value;
    d.code = code;
    d.message = message;
    d.attempts = attempts;
    d.created_at_ms = clock_.nowMs();
    auto id = dead_.add(d);
    if (!id) SW_ERROR("push") << w.name << ": could not store dead letter for " << sku << ": " << id.error().toString();
    SW_WARN("push") << w.name << ": " << sku << " = " << value << " dead-lettered: " << code << " " << message;
    std::lock_guard lock(w.mu);
    w.stats.failed++;
  };

  // One chunk of a reconciliation. Returns ms to wait before the next chunk can be read (0 = went on).
  auto reconcileStep = [&](ReconcileJob& job) -> int64_t {
    if (!job.loaded) {
      std::set<std::string> all;
      auto skus = skus_();
      if (skus) {
        all.insert(skus->begin(), skus->end());
      } else {
        std::lock_guard lock(w.mu);
        job.report.last_error = skus.error().toString();
      }
      for (const auto& [sku, q] : w.known) all.insert(sku);
      job.skus.assign(all.begin(), all.end());
      job.loaded = true;
      std::lock_guard lock(w.mu);
      job.report.skus = static_cast<int64_t>(job.skus.size());
    }
    if (job.pos >= job.skus.size()) {
      std::lock_guard lock(w.mu);
      job.report.done = true;
      job.report.finished_at_ms = clock_.nowMs();
      w.next_reconcile_ms = clock_.monoMs() + options_.reconcile_interval_s * 1000;
      w.done_cv.notify_all();
      return 0;
    }
    size_t n = std::min(options_.reconcile_chunk, job.skus.size() - job.pos);
    std::vector<std::string> chunk(job.skus.begin() + static_cast<std::ptrdiff_t>(job.pos),
                                   job.skus.begin() + static_cast<std::ptrdiff_t>(job.pos + n));
    int64_t wait = w.conn->msUntilReady(Operation::kRead, chunk.size());
    if (wait > 0) return wait;
    auto levels = w.conn->readQuantities(chunk);
    if (!levels || levels->empty()) {
      std::string err = levels ? "read returned nothing" : levels.error().toString();
      job.errors_in_row++;
      std::lock_guard lock(w.mu);
      job.report.last_error = err;
      if (job.errors_in_row < 3 && (!levels ? levels.error().kind == common::ErrorKind::kRetry : true)) {
        return backoffMs(options_, job.errors_in_row);
      }
      // Give up on this chunk; the next reconciliation tries again.
      job.report.read_errors += static_cast<int64_t>(chunk.size());
      job.pos += chunk.size();
      job.errors_in_row = 0;
      return 0;
    }
    job.errors_in_row = 0;
    std::set<std::string> seen;
    for (const ChannelLevel& l : *levels) {
      seen.insert(l.sku);
      ReconcileReport delta;
      delta.checked = 1;
      if (!l.found) {
        delta.not_listed = 1;
        w.markUnlisted(l.sku);
      } else {
        w.markListed(l);
        auto ats = ats_(w.name, l.sku);
        if (!ats) {
          delta.read_errors = 1;
        } else if (l.quantity && *l.quantity == std::max<int64_t>(0, *ats)) {
          delta.in_step = 1;
        } else {
          delta.drifted = 1;
          if (!l.quantity) w.known.erase(l.sku);
          w.mark(l.sku);
        }
      }
      std::lock_guard lock(w.mu);
      job.report.checked += delta.checked;
      job.report.not_listed += delta.not_listed;
      job.report.in_step += delta.in_step;
      job.report.drifted += delta.drifted;
      job.report.read_errors += delta.read_errors;
    }
    // A connector may stop part way (rate limit): move on by what it read, in order.
    size_t advanced = 0;
    while (advanced < chunk.size() && seen.count(chunk[advanced])) advanced++;
    job.pos += std::max<size_t>(advanced, 1);
    return 0;
  };

  // Follows items a channel accepted to apply later. Returns true if it did anything.
  auto checkAccepted = [&]() -> bool {
    int64_t now = clock_.monoMs();
    if (w.accepted.empty() || now < w.next_collect_ms) return false;
    w.next_collect_ms = now + 250;
    auto fin = w.conn->collectAccepted();
    if (!fin) {
      setError("collectAccepted: " + fin.error().toString());
    } else {
      for (const ItemResult& r : *fin) {
        auto a = w.accepted.find(r.sku);
        int64_t value = a != w.accepted.end() ? a->second.value : r.channel_quantity.value_or(0);
        if (a != w.accepted.end()) w.accepted.erase(a);
        if (r.outcome == ItemOutcome::kApplied) continue;
        w.known.erase(r.sku);
        if (r.outcome == ItemOutcome::kNotListed) {
          w.markUnlisted(r.sku);
        } else if (r.outcome == ItemOutcome::kRejected) {
          deadLetter(r.sku, value, r.code, r.message, 1);
        } else {
          w.mark(r.sku);
        }
      }
    }
    std::vector<std::string> due;
    for (const auto& [sku, a] : w.accepted) {
      if (a.check_at_ms <= now) due.push_back(sku);
      if (due.size() >= 20) break;
    }
    if (due.empty() || w.conn->msUntilReady(Operation::kRead, due.size()) > 0) return true;
    auto levels = w.conn->readQuantities(due);
    if (!levels) {
      setError("read back: " + levels.error().toString());
      return true;
    }
    for (const ChannelLevel& l : *levels) {
      auto a = w.accepted.find(l.sku);
      if (a == w.accepted.end()) continue;
      if (l.found && l.quantity && *l.quantity == a->second.value) {
        w.accepted.erase(a);
        continue;
      }
      if (now - a->second.sent_at_ms >= options_.accepted_timeout_ms) {
        // Accepted but never applied: what the channel shows is what it holds; send again.
        if (l.quantity) {
          w.known[l.sku] = *l.quantity;
        } else {
          w.known.erase(l.sku);
        }
        w.accepted.erase(a);
        w.mark(l.sku);
        continue;
      }
      a->second.delay_ms = std::min<int64_t>(a->second.delay_ms * 2, 30'000);
      a->second.check_at_ms = now + a->second.delay_ms;
    }
    return true;
  };

  // One push round. Returns ms to wait (the channel is not ready), or 0 when it went on.
  auto pushRound = [&](std::vector<Ready>& ready) -> int64_t {
    int64_t now = clock_.monoMs();
    std::vector<Cand> cands;
    int64_t skipped = 0;
    for (Ready& r : ready) {
      auto v = ats_(w.name, r.sku);
      if (!v) {
        setError("available to sell for " + r.sku + ": " + v.error().toString());
        retryLater(r.sku, now + backoffMs(options_, r.attempts + 1), true);
        continue;
      }
      int64_t value = std::max<int64_t>(0, *v);
      auto k = w.known.find(r.sku);
      if (w.unlisted.count(r.sku) || (k != w.known.end() && k->second == value && !w.accepted.count(r.sku))) {
        w.finish(r.sku, r.gen);
        skipped++;
        continue;
      }
      cands.push_back({r, value});
    }
    if (skipped) {
      std::lock_guard lock(w.mu);
      w.stats.skipped_unchanged += skipped;
    }
    if (cands.empty()) return 0;
    // Lowest figure first: a listing about to run out matters most. Ties: decreases first.
    std::sort(cands.begin(), cands.end(), [&w](const Cand& a, const Cand& b) {
      if (a.value != b.value) return a.value < b.value;
      auto ka = w.known.find(a.r.sku);
      auto kb = w.known.find(b.r.sku);
      bool da = ka != w.known.end() && ka->second > a.value;
      bool db = kb != w.known.end() && kb->second > b.value;
      if (da != db) return da;
      return a.r.sku < b.r.sku;
    });
    std::vector<Cand> batch;
    if (cands.front().r.solo) {
      batch.push_back(cands.front());
    } else {
      size_t max = std::max<size_t>(1, w.conn->maxBatch());
      for (Cand& c : cands) {
        if (c.r.solo) continue;
        batch.push_back(c);
        if (batch.size() >= max) break;
      }
    }
    // Read SKUs never asked about first, on every channel: the channel's answer says whether it
    // lists the SKU at all (a SKU sold only in stores is then never pushed, so it is no dead
    // letter), and compare-and-set needs the channel's current figure (so there a SKU whose
    // figure is unknown is read again).
    {
      const bool cas = w.conn->supportsCompareAndSet();
      std::vector<std::string> unknown;
      for (const Cand& c : batch) {
        if (!w.known.count(c.r.sku) && (cas || !w.listed.count(c.r.sku))) unknown.push_back(c.r.sku);
      }
      if (!unknown.empty()) {
        int64_t wait = w.conn->msUntilReady(Operation::kRead, unknown.size());
        if (wait > 0) return wait;
        auto levels = w.conn->readQuantities(unknown);
        if (!levels) {
          setError("read before compare-and-set: " + levels.error().toString());
          for (const Cand& c : batch) retryLater(c.r.sku, now + backoffMs(options_, c.r.attempts + 1), true);
          return 0;
        }
        for (const ChannelLevel& l : *levels) {
          if (l.found) {
            w.markListed(l);
          } else {
            w.markUnlisted(l.sku);
          }
        }
        // Those already showing the figure, or not listed at all, need nothing more.
        std::vector<Cand> left;
        for (const Cand& c : batch) {
          auto k = w.known.find(c.r.sku);
          if (w.unlisted.count(c.r.sku) || (k != w.known.end() && k->second == c.value)) {
            w.finish(c.r.sku, c.r.gen);
          } else {
            left.push_back(c);
          }
        }
        batch.swap(left);
        if (batch.empty()) return 0;
      }
    }
    int64_t wait = w.conn->msUntilReady(Operation::kPush, batch.size());
    if (wait > 0) return wait;

    std::vector<QuantityUpdate> updates;
    for (const Cand& c : batch) {
      QuantityUpdate u;
      u.sku = c.r.sku;
      u.quantity = c.value;
      if (w.conn->supportsCompareAndSet()) {
        auto k = w.known.find(c.r.sku);
        if (k != w.known.end()) u.expected_previous = k->second;
      }
      Worker::Key& key = w.keys[c.r.sku];
      if (key.key.empty() || key.value != u.quantity || key.expected != u.expected_previous) {
        key = {u.quantity, u.expected_previous, common::newUuid()};
      }
      u.idempotency_key = key.key;
      updates.push_back(std::move(u));
    }
    auto res = w.conn->pushQuantities(updates);
    now = clock_.monoMs();
    {
      std::lock_guard lock(w.mu);
      w.stats.calls++;
      w.stats.last_push_at_ms = clock_.nowMs();
    }
    if (!res) {
      const Error& e = res.error();
      setError(e.toString());
      if (e.kind == common::ErrorKind::kReject && batch.size() > 1) {
        // The channel refused the whole request: find the item it objects to by sending each alone.
        std::lock_guard lock(w.mu);
        for (const Cand& c : batch) {
          auto it = w.pending.find(c.r.sku);
          if (it != w.pending.end()) it->second.solo = true;
        }
        return 0;
      }
      if (e.kind == common::ErrorKind::kReject) {
        deadLetter(batch[0].r.sku, batch[0].value, e.code, e.message, batch[0].r.attempts + 1);
        w.keys.erase(batch[0].r.sku);
        w.finish(batch[0].r.sku, batch[0].r.gen);
        return 0;
      }
      // Retry (network, 5xx, throttled) or fatal (credentials): the whole batch waits. Fatal
      // waits the longest backoff, since only a person can fix it; it is shown in last_error.
      int64_t channel_wait = w.conn->msUntilReady(Operation::kPush, batch.size());
      for (const Cand& c : batch) {
        int64_t delay = e.kind == common::ErrorKind::kFatal ? options_.backoff_max_ms
                                                             : std::max(channel_wait, backoffMs(options_, c.r.attempts + 1));
        retryLater(c.r.sku, now + delay, true);
      }
      std::lock_guard lock(w.mu);
      w.stats.retried += static_cast<int64_t>(batch.size());
      return 0;
    }
    int64_t pushed = 0, retried = 0, stale = 0, notlisted = 0;
    for (size_t i = 0; i < batch.size() && i < res->items.size(); ++i) {
      const Cand& c = batch[i];
      const ItemResult& r = res->items[i];
      switch (r.outcome) {
        case ItemOutcome::kApplied:
          w.known[c.r.sku] = c.value;
          w.accepted.erase(c.r.sku);
          w.keys.erase(c.r.sku);
          w.finish(c.r.sku, c.r.gen);
          pushed++;
          break;
        case ItemOutcome::kAccepted:
          w.known[c.r.sku] = c.value;
          w.accepted[c.r.sku] = {c.value, now, now + options_.accepted_readback_ms, options_.accepted_readback_ms};
          w.keys.erase(c.r.sku);
          w.finish(c.r.sku, c.r.gen);
          pushed++;
          break;
        case ItemOutcome::kStale: {
          stale++;
          if (r.channel_quantity) {
            w.known[c.r.sku] = *r.channel_quantity;
          } else {
            w.known.erase(c.r.sku);  // read again before the next compare-and-set
          }
          w.keys.erase(c.r.sku);
          bool give_up = false;
          {
            std::lock_guard lock(w.mu);
            auto it = w.pending.find(c.r.sku);
            if (it != w.pending.end()) give_up = ++it->second.stale > options_.max_stale;
          }
          if (give_up) {
            deadLetter(c.r.sku, c.value, "stale_loop",
                       "compare-and-set refused " + std::to_string(options_.max_stale) +
                           " times in a row; something else keeps changing this listing (" + r.code + ")",
                       c.r.attempts + 1);
            std::lock_guard lock(w.mu);
            w.pending.erase(c.r.sku);
          } else {
            w.mark(c.r.sku);
          }
          break;
        }
        case ItemOutcome::kNotListed:
          // The channel has no listing for it: not an error, and not sent again until a
          // reconciliation finds one.
          SW_INFO("push") << w.name << ": " << c.r.sku << " is not listed there (" << r.code << "); not pushed until a reconcile finds it";
          w.markUnlisted(c.r.sku);
          w.finish(c.r.sku, c.r.gen);
          notlisted++;
          break;
        case ItemOutcome::kRejected:
          deadLetter(c.r.sku, c.value, r.code, r.message, c.r.attempts + 1);
          w.keys.erase(c.r.sku);
          w.finish(c.r.sku, c.r.gen);
          break;
        case ItemOutcome::kRetry:
          retried++;
          retryLater(c.r.sku,
                     now + (r.retry_after_ms > 0 ? r.retry_after_ms : backoffMs(options_, c.r.attempts + 1)), true);
          break;
      }
    }
    // A connector that answered fewer items than sent: the rest go round again.
    for (size_t i = res->items.size(); i < batch.size(); ++i) retryLater(batch[i].r.sku, now, false);
    std::lock_guard lock(w.mu);
    w.stats.pushed += pushed;
    w.stats.retried += retried;
    w.stats.stale += stale;
    w.stats.not_listed = w.unlisted.size();
    w.stats.awaiting_accept = w.accepted.size();
    return 0;
  };

  while (true) {
    int64_t now = clock_.monoMs();
    int64_t wake = now + 1'000;  // at least once a second: read-backs, interval reconciliation
    std::vector<Ready> ready;
    std::shared_ptr<ReconcileJob> job;
    {
      std::lock_guard lock(w.mu);
      if (w.stop) return;
      w.poked = false;
      for (auto& [sku, p] : w.pending) {
        if (p.not_before_ms <= now) {
          if (ready.size() < options_.max_compute_per_round) ready.push_back({sku, p.gen, p.attempts, p.solo});
        } else {
          wake = std::min(wake, p.not_before_ms);
        }
      }
      if (w.job && !w.job->report.done) {
        job = w.job;
      } else if (options_.reconcile_interval_s > 0 && now >= w.next_reconcile_ms) {
        w.job = std::make_shared<ReconcileJob>();
        w.job->report.channel = w.name;
        w.job->report.started_at_ms = clock_.nowMs();
        job = w.job;
      }
      w.stats.awaiting_accept = w.accepted.size();
      w.stats.not_listed = w.unlisted.size();
    }
    if (options_.refresh_interval_s > 0 && now >= w.next_refresh_ms) {
      w.next_refresh_ms = now + options_.refresh_interval_s * 1000;
      std::lock_guard lock(w.mu);
      for (const auto& [sku, q] : w.known) {
        // Not counted as a change notice; gen bumped so an in-flight result does not retire it.
        Worker::Pending& p = w.pending[sku];
        p.gen = w.next_gen++;
      }
      if (!w.known.empty()) continue;
    }
    bool went_on = false;
    if (!ready.empty()) {
      int64_t wait = std::min<int64_t>(pushRound(ready), 60'000);
      if (wait > 0) {
        wake = std::min(wake, now + wait);
      } else {
        went_on = true;
      }
    }
    if (checkAccepted()) {  // paced by next_collect_ms
      std::lock_guard lock(w.mu);
      w.stats.awaiting_accept = w.accepted.size();
    }
    if (!w.accepted.empty()) wake = std::min(wake, w.next_collect_ms);
    if (job) {
      int64_t wait = std::min<int64_t>(reconcileStep(*job), 60'000);
      if (wait > 0) {
        wake = std::min(wake, now + wait);
      } else {
        went_on = true;
      }
    }
    if (went_on) continue;
    std::unique_lock lock(w.mu);
    if (w.stop) return;
    int64_t sleep_ms = std::max<int64_t>(1, wake - clock_.monoMs());
    w.cv.wait_for(lock, std::chrono::milliseconds(sleep_ms), [&w] { return w.stop || w.poked; });
  }
}

}  // namespace sw::coordinator::channels
