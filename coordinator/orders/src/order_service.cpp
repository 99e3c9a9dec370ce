#include "sw/coordinator/orders/order_service.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "sw/common/http_errors.h"
#include "sw/common/log.h"
#include "sw/common/uuid.h"
#include "sw/coordinator/orders/postal_points.h"
#include "sw/coordinator/orders/revenue_sources.h"

namespace sw::coordinator {

using channels::ChannelKind;
using channels::NormalizedOrder;
using channels::OrderStatus;
using common::Error;
using common::Result;
using nlohmann::json;

namespace {

constexpr std::string_view kLog = "orders";
constexpr size_t kMaxScanEvents = 500;
// A pick for a cancelled task is looked for this long after the task was created (a device may
// have picked it offline and send the pick days later).
constexpr int64_t kLatePickWindowMs = 30LL * 86'400'000;
// A task at an offline location that no other location could take is tried again this often.
constexpr int64_t kWithdrawRetryMs = 60'000;

bool endsOrder(OrderStatus s) {
  return s == OrderStatus::kCancelled || s == OrderStatus::kRefunded || s == OrderStatus::kFailed;
}

// The units a line asks for now (after edits and removals where the channel says).
int64_t wanted(const channels::OrderLine& l) { return std::max<int64_t>(0, l.current_quantity.value_or(l.quantity)); }

std::string trackingFor(const std::string& task_id) {
  std::string hex;
  for (char c : task_id) {
    if (c != '-') hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (hex.size() == 12) break;
  }
  return "SW" + hex;
}

// A pick's money (revenue_sources.h), when revenue is recorded at all.
common::Status recordPickRevenue(RevenueBook* revenue, const PickTask& task, const std::map<std::string, int64_t>& picked,
                                 int64_t at_ms) {
  if (!revenue) return {};
  auto lines = pickRevenue(task, picked, at_ms);
  if (!lines) return lines.error();
  if (lines->empty()) return {};
  auto n = revenue->record(*lines);
  if (!n) return n.error();
  return {};
}

// An order line's unit price and currency in the order as taken in (channels::toJson).
std::optional<common::Money> orderLinePrice(const json& normalized, const std::string& line_id) {
  if (!normalized.is_object() || !normalized.contains("lines") || !normalized["lines"].is_array()) return std::nullopt;
  for (const json& l : normalized["lines"]) {
    if (!l.is_object() || l.value("line_id", json()) != line_id || !l.contains("unit_price") ||
        !l["unit_price"].is_string()) {
      continue;
    }
    auto price = common::Decimal::parse(l["unit_price"].get<std::string>());
    if (!price) return std::nullopt;
    const json currency = l.value("currency", json());
    return common::Money{*price, currency.is_string() ? currency.get<std::string>() : ""};
  }
  return std::nullopt;
}

}  // namespace

std::set<std::string> offlineLocations(const std::vector<DeviceRow>& devices, int64_t now_ms, int64_t after_ms) {
  std::set<std::string> offline, present;
  if (after_ms <= 0) return offline;
  for (const DeviceRow& d : devices) {
    if (d.internal || d.location.empty()) continue;
    // Offline as the fleet view counts it (fleet/exposure.h offline_s): not online, for as long as
    // it has not been heard from. A device that never told its presence is not known to be offline.
    const bool gone = !d.online && !d.state_json.empty() && d.last_seen_ms > 0 && now_ms - d.last_seen_ms >= after_ms;
    (gone ? offline : present).insert(d.location);
  }
  for (const std::string& loc : present) offline.erase(loc);
  return offline;
}

OrderService::OrderService(OrderBook& book, Ledger& ledger, Availability* availability, RoutingConfig routing,
                           const common::Clock& clock, OrdersConfig config)
    : book_(book),
      ledger_(ledger),
      availability_(availability),
      routing_(std::move(routing)),
      clock_(clock),
      config_(config) {}

OrderService::~OrderService() { stop(); }

void OrderService::addConnector(std::unique_ptr<channels::ChannelConnector> connector) {
  std::string name = channels::channelName(connector->kind());
  connectors_[name] = std::move(connector);
}

void OrderService::setWebhookSecret(ChannelKind channel, std::string secret) {
  secrets_[channels::channelName(channel)] = std::move(secret);
}

void OrderService::setChannelLocations(ChannelKind channel, std::map<std::string, std::string> locations) {
  channel_locations_[channels::channelName(channel)] = std::move(locations);
}

void OrderService::setAvailabilitySource(ChannelKind channel, AvailabilitySource source) {
  availability_sources_[channels::channelName(channel)] = std::move(source);
}

std::string OrderService::mapLocation(const std::string& channel, const std::string& channel_ref) const {
  auto c = channel_locations_.find(channel);
  if (c == channel_locations_.end() || channel_ref.empty()) return "";
  auto it = c->second.find(channel_ref);
  return it == c->second.end() ? "" : it->second;
}

void OrderService::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stop_) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void OrderService::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OrderService::ledgerChanged() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    kicked_ = true;
  }
  cv_.notify_all();
}

void OrderService::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(config_.tick_ms), [&] { return stop_ || kicked_; });
    if (stop_) break;
    kicked_ = false;
    lock.unlock();
    workOnce();
    lock.lock();
  }
}

void OrderService::workOnce() {
  std::lock_guard<std::mutex> lock(work_mu_);
  pollChannels();
  scanConfirmations();
  recordTillRevenue();
  rerouteOffline();
  routeWaiting();
  reportFulfilments();
  cancelRejected();
  applyRestocks();
  eraseOldShipTo();
}

int64_t OrdersConfig::personalDataRetentionMs() const {
  if (ship_to_retention_ms <= 0) return customer_retention_ms;
  if (customer_retention_ms <= 0) return ship_to_retention_ms;
  return std::min(ship_to_retention_ms, customer_retention_ms);
}

void OrderService::eraseOldShipTo() {
  const int64_t retention_ms = config_.personalDataRetentionMs();
  if (retention_ms <= 0 || clock_.monoMs() < next_erase_mono_ms_) return;
  auto n = book_.eraseShipTo(clock_.nowMs() - retention_ms, 500);
  if (!n) {
    SW_WARN(kLog) << "erasing customer data past its retention: " << n.error().toString();
  } else if (*n > 0) {
    SW_INFO(kLog) << "erased the customer data (buyer, shipping place) of " << *n << " orders past their retention";
  }
  // Again soon while there is a backlog, else once a minute.
  next_erase_mono_ms_ = clock_.monoMs() + (n && *n == 500 ? 0 : 60'000);
}

void OrderService::notify(const BookChange& change) {
  if (sku_changed_) {
    for (const std::string& sku : change.skus) sku_changed_(sku);
  }
  if (tasks_changed_ && !change.locations.empty()) tasks_changed_(change.locations);
}

void OrderService::writeMetrics(common::PrometheusText& out) {
  const OrdersStats& s = stats_;
  out.counter("stockwire_orders_webhooks_total", "Channel webhook deliveries received", s.webhooks.load());
  out.counter("stockwire_orders_webhook_bad_signatures_total", "Webhook deliveries refused: bad or no signature",
              s.webhook_bad_signatures.load());
  out.counter("stockwire_orders_accepted_total", "Orders taken in and reserved", s.accepted.load());
  out.counter("stockwire_orders_rejected_no_stock_total", "Orders refused for want of stock", s.rejected_no_stock.load());
  out.counter("stockwire_orders_poll_errors_total", "Order polls that failed", s.poll_errors.load());
  out.counter("stockwire_orders_fulfilments_reported_total", "Fulfilments the channel took", s.fulfilments_reported.load());
  out.counter("stockwire_orders_fulfilment_errors_total", "Fulfilment reports that failed (retried)", s.fulfilment_errors.load());
  out.counter("stockwire_orders_fulfilments_failed_total", "Fulfilments the channel refused for good", s.fulfilments_failed.load());
  out.counter("stockwire_orders_refunds_applied_total", "Refund lines applied", s.refunds_applied.load());
  out.counter("stockwire_orders_tasks_withdrawn_total", "Pick tasks withdrawn from offline locations and re-routed",
              s.tasks_withdrawn.load());
  out.counter("stockwire_orders_late_pick_units_total", "Units picked for a task no longer open, put back on the shelf",
              s.late_pick_units.load());
  if (auto by_state = book_.countByState()) {
    out.family("stockwire_orders", "Orders in the order book by state", "gauge");
    for (const auto& [state, n] : *by_state) {
      out.sample(std::string("stockwire_orders{state=\"") + toString(state) + "\"}", static_cast<double>(n));
    }
  }
}

// ------------------------------------------------------------------ webhooks

OrderService::WebhookAnswer OrderService::webhook(const std::string& channel_name, const channels::HeaderList& headers,
                                                  const std::string& body) {
  stats_.webhooks++;
  using common::errorBody;
  auto kind = channels::parseChannel(channel_name);
  if (!kind) return {404, errorBody(Error::reject("unknown_channel", kind.error().message))};
  auto secret = secrets_.find(channel_name);
  if (secret == secrets_.end() || secret->second.empty()) {
    return {503, errorBody(Error::retry("no_secret", "no webhook secret is configured for " + channel_name))};
  }
  auto delivery = channels::parseWebhook(*kind, headers, body, secret->second);
  if (!delivery) {
    const Error& e = delivery.error();
    if (e.code == "signature_missing" || e.code == "signature_mismatch") {
      stats_.webhook_bad_signatures++;
      SW_WARN(kLog) << channel_name << " webhook refused: " << e.toString();
      return {401, errorBody(e)};
    }
    if (e.kind == common::ErrorKind::kFatal) return {503, errorBody(e)};
    return {400, errorBody(e)};
  }
  if (delivery->kind == channels::WebhookKind::kPing) return {200, {{"ok", true}, {"ping", true}}};
  if (delivery->kind == channels::WebhookKind::kOther) return {200, {{"ok", true}, {"ignored", delivery->topic}}};

  // One delivery at a time from here, so a retried delivery that races its first attempt
  // waits and then finds it seen.
  std::lock_guard<std::mutex> lock(intake_mu_);
  if (!delivery->delivery_id.empty()) {
    auto first = book_.progress().firstDelivery(channel_name, delivery->delivery_id);
    if (!first) return {500, errorBody(first.error())};
    if (!*first) {
      stats_.webhook_duplicates++;
      return {200, {{"ok", true}, {"duplicate", true}, {"delivery_id", delivery->delivery_id}}};
    }
  }
  json results = json::array();
  for (const NormalizedOrder& o : delivery->orders) {
    auto r = intakeLocked(o);
    if (!r) {
      // Answer 5xx so the channel delivers again (Shopify retries; Woo orders are also polled).
      SW_WARN(kLog) << channel_name << " order " << o.order_id << ": " << r.error().toString();
      return {500, errorBody(r.error())};
    }
    results.push_back({{"order_id", o.order_id}, {"status", r->status}, {"new", r->is_new}, {"reason", r->reason}});
  }
  return {200, {{"ok", true}, {"topic", delivery->topic}, {"orders", results}}};
}

// ------------------------------------------------------------------ intake

Result<IntakeResult> OrderService::intake(const NormalizedOrder& order) {
  std::lock_guard<std::mutex> lock(intake_mu_);
  return intakeLocked(order);
}

Result<IntakeResult> OrderService::intakeLocked(const NormalizedOrder& order) {
  std::string channel = channels::channelName(order.channel);
  auto existing = book_.order(channel, order.order_id);
  if (!existing) return existing.error();
  if (*existing) return intakeUpdate(order, **existing);
  return intakeNew(order);
}

Result<int64_t> OrderService::availableToSell(const std::string& channel, const std::string& sku) {
  if (availability_) {
    auto a = availability_->availableToSell(channel, sku);
    if (a || a.error().code != "unknown_channel") return a;
  }
  // No availability rules for this channel: everything on hand anywhere, minus every hold.
  auto rows = ledger_.stockForSku(sku);
  if (!rows) return rows.error();
  int64_t on_hand = 0;
  for (const StockRow& r : *rows) on_hand += r.on_hand;
  int64_t held = 0;
  for (const auto& [loc, n] : book_.holds().reservedByLocation(sku)) held += n;
  return std::max<int64_t>(0, on_hand - held);
}

Result<FreeStock> OrderService::freeStock(const std::vector<std::string>& skus) {
  FreeStock free;
  for (const std::string& sku : skus) {
    auto rows = ledger_.stockForSku(sku);
    if (!rows) return rows.error();
    auto held = book_.holds().reservedByLocation(sku);
    for (const StockRow& r : *rows) {
      auto h = held.find(r.location);
      free[r.location][sku] = r.on_hand - (h == held.end() ? 0 : h->second);
    }
  }
  return free;
}

RouteLine OrderService::routeLine(const std::string& line_id, const std::string& sku, int64_t quantity) const {
  RouteLine l{line_id, sku, quantity};
  if (weight_of_) {
    if (auto kg = weight_of_(sku)) l.weight_kg = *kg;
  }
  return l;
}

RouteRequest OrderService::routeRequest(const std::string& country, const json& normalized,
                                        const std::string& pickup_location) {
  RouteRequest rr;
  rr.ship_to_country = country;
  rr.pickup_location = pickup_location;
  const json* place = normalized.is_object() && normalized.contains("ship_to") ? &normalized["ship_to"] : nullptr;
  auto part = [&](const char* key) -> std::string {
    if (!place || !place->is_object() || !place->contains(key) || !(*place)[key].is_string()) return "";
    return (*place)[key].get<std::string>();
  };
  ShipToPoint at = locateShipTo(routing_.postal.get(), routing_.countries, country, part("region"), part("postal_code"));
  rr.ship_to = at.point;
  rr.ship_to_source = toString(at.source);
  // Daily capacity: the parcels each location was given since midnight UTC.
  int64_t now = clock_.nowMs();
  auto today = book_.tasks().createdSince(now - now % 86'400'000);
  if (today) {
    rr.shipped_today = std::move(*today);
  } else {
    SW_WARN(kLog) << "daily capacity not applied to this routing: " << today.error().toString();
  }
  return rr;
}

Result<IntakeResult> OrderService::intakeNew(const NormalizedOrder& received) {
  std::string channel = channels::channelName(received.channel);
  NormalizedOrder order = received;
  {
    static const std::map<std::string, std::string> kNone;
    auto c = channel_locations_.find(channel);
    channels::resolvePickup(order, c == channel_locations_.end() ? kNone : c->second);
  }
  if (order.event == "refund" && order.lines.empty()) {
    // A refund delivery alone (Amazon Finances events) for an order never taken in: not an order.
    return IntakeResult{"unknown_order", false, "refund of an order not taken in: nothing held to release"};
  }
  if (!order.lines_complete) {
    // Amazon getOrders without getOrderItems: nothing to reserve from yet; the full order comes later.
    return IntakeResult{"incomplete", false, "order has no lines yet"};
  }
  OrderBook::NewOrder in;
  BookOrder& o = in.order;
  o.channel = channel;
  o.order_id = order.order_id;
  o.order_name = order.order_name;
  o.channel_status = order.channel_status;
  o.ship_to_country = order.ship_to_country.empty() ? order.customer_country : order.ship_to_country;
  o.pickup_location = order.pickup.location;
  o.normalized = channels::toJson(order);  // without the buyer's personal data: that goes to the customer book
  in.customer = order.customer;
  std::map<std::string, int64_t> need;
  std::vector<std::string> notes;
  if (!o.pickup_location.empty()) notes.push_back("pickup at " + o.pickup_location + " (" + order.pickup.ref + ")");
  for (const std::string& w : order.warnings) {
    if (w.rfind("pickup", 0) == 0) notes.push_back(w);
  }
  for (const channels::OrderLine& l : order.lines) {
    if (l.sku_missing || l.sku.empty()) {
      notes.push_back("line " + l.line_id + " has no SKU: no stock held for it");
      continue;
    }
    int64_t q = wanted(l);
    o.lines.push_back({l.line_id, l.sku, q, 0});
    if (q > 0) need[l.sku] += q;
  }
  if (endsOrder(order.status)) {
    o.status = OrderState::kCancelled;
    o.reason = "cancelled before it was taken in";
    auto r = book_.insertOrder(in);
    if (!r) return r.error();
    stats_.cancelled++;
    return IntakeResult{toString(o.status), true, o.reason};
  }
  // Strict policy: every SKU must be covered by what this channel may sell right now.
  auto source = availability_sources_.find(channel);
  for (const auto& [sku, n] : need) {
    auto ats = source != availability_sources_.end() ? source->second(order, sku) : availableToSell(channel, sku);
    if (!ats) return ats.error();
    if (*ats < n) {
      o.status = OrderState::kRejectedNoStock;
      o.reason = sku + ": " + std::to_string(n) + " ordered, " + std::to_string(*ats) + " available to sell on " + channel;
      o.channel_cancel = ChannelCancel::kPending;  // the channel is told (cancelRejected)
      auto r = book_.insertOrder(in);
      if (!r) return r.error();
      stats_.rejected_no_stock++;
      SW_INFO(kLog) << channel << " order " << order.order_id << " rejected: " << o.reason;
      ledgerChanged();  // wake the worker: it tells the channel to cancel the order
      return IntakeResult{toString(o.status), true, o.reason};
    }
  }
  o.status = OrderState::kAccepted;
  std::vector<std::string> skus;
  for (const auto& [sku, n] : need) skus.push_back(sku);
  auto free = freeStock(skus);
  if (!free) return free.error();
  RouteRequest rr = routeRequest(o.ship_to_country, o.normalized, o.pickup_location);
  for (const BookLine& l : o.lines) {
    if (l.quantity > 0) rr.lines.push_back(routeLine(l.line_id, l.sku, l.quantity));
  }
  // Nothing new goes to a location whose every device is offline (a pickup order's store stays its store).
  RoutingConfig cfg = routing_;
  std::set<std::string> away;
  for (const std::string& loc : offline_) {
    if (loc != o.pickup_location) away.insert(loc);
  }
  exclude(away, cfg, *free);
  RoutePlan plan = planRoute(cfg, rr, *free);
  o.routing = toJson(plan);
  if (!away.empty()) {
    o.routing["excluded"] = std::vector<std::string>(away.begin(), away.end());
    std::string names;
    for (const std::string& loc : away) names += (names.empty() ? "" : ", ") + loc;
    notes.push_back("not routed to " + names + ": every device there offline");
  }
  for (const std::string& n : plan.notes) notes.push_back(n);
  std::map<std::string, size_t> task_of;  // location -> index in in.tasks
  for (const RouteAssignment& a : plan.assignments) {
    BookAllocation al;
    al.line_id = a.line_id;
    al.sku = a.sku;
    al.location = a.location;
    al.quantity = a.quantity;
    al.state = a.location.empty() ? AllocationState::kReserved : AllocationState::kTasked;
    if (!a.location.empty()) {
      auto it = task_of.find(a.location);
      if (it == task_of.end()) {
        PickTask t;
        t.task_id = common::newUuid();
        t.channel = channel;
        t.order_id = order.order_id;
        t.location = a.location;
        in.tasks.push_back(t);
        it = task_of.emplace(a.location, in.tasks.size() - 1).first;
      }
      PickTask& t = in.tasks[it->second];
      al.task_id = t.task_id;
      t.lines.push_back({a.line_id, a.sku, a.quantity, static_cast<int64_t>(in.allocations.size())});
    }
    in.allocations.push_back(al);
  }
  std::string reason;
  for (const std::string& n : notes) reason += (reason.empty() ? "" : "; ") + n;
  o.reason = reason;
  auto change = book_.insertOrder(in);
  if (!change) return change.error();
  stats_.accepted++;
  notify(*change);
  return IntakeResult{toString(o.status), true, reason};
}

Result<IntakeResult> OrderService::intakeUpdate(const NormalizedOrder& order, const BookOrder& existing) {
  // An order is taken once: later deliveries only cancel it, release units or restock refunds.
  if (existing.status == OrderState::kRejectedNoStock || existing.status == OrderState::kCancelled) {
    return IntakeResult{toString(existing.status), false, std::string("already ") + toString(existing.status)};
  }
  BookChange all;
  auto merge = [&all](const BookChange& c) {
    all.skus.insert(all.skus.end(), c.skus.begin(), c.skus.end());
    all.locations.insert(all.locations.end(), c.locations.begin(), c.locations.end());
  };
  // Refund lines that name their refund: each (refund, line) once, whichever delivery brings it
  // (Shopify sends a refund in refunds/create and again inside orders/updated).
  int64_t refund_lines = 0, duplicates = 0, released_units = 0, restocked_units = 0;
  for (const channels::Release& r : order.releases) {
    if (r.refund_id.empty() || r.line_id.empty() || r.quantity <= 0) continue;
    refund_lines++;
    std::string location = mapLocation(existing.channel, r.location_ref);
    auto res = book_.applyRefund(existing.channel, existing.order_id, r.refund_id, r.line_id, r.quantity, r.restock,
                                 location, r.restock_limit);
    if (!res) return res.error();
    if (res->duplicate) {
      duplicates++;
      stats_.refunds_duplicate++;
      continue;
    }
    stats_.refunds_applied++;
    released_units += res->released;
    restocked_units += res->restocked;
    stats_.units_restocked += static_cast<uint64_t>(res->restocked);
    if (res->restocked > 0) {
      SW_INFO(kLog) << existing.channel << " order " << existing.order_id << " refund " << r.refund_id << ": "
                    << res->restocked << " x " << r.sku << " back in stock at " << res->location;
    }
    merge(res->change);
  }
  if (order.status == OrderStatus::kCancelled || order.status == OrderStatus::kFailed) {
    auto change = book_.cancelOrder(existing.channel, existing.order_id, order.channel_status);
    if (!change) return change.error();
    stats_.cancelled++;
    merge(*change);
    notify(all);
    if (restocked_units > 0) ledgerChanged();
    return IntakeResult{toString(OrderState::kCancelled), false, "cancelled at the channel"};
  }
  // Other releases: a refund delivery without refund ids carries only that refund's units; an
  // order update carries the line's current quantity, so what to release is what it lost (less
  // what refunds with ids already accounted for) minus what was already released.
  std::map<std::string, int64_t> release;
  for (const channels::Release& r : order.releases) {
    if (order.event == "refund" && r.refund_id.empty()) release[r.line_id] += r.quantity;
  }
  if (order.event != "refund") {
    auto refunded = book_.refundedUnits(existing.channel, existing.order_id);
    if (!refunded) return refunded.error();
    std::map<std::string, int64_t> lost;
    for (const channels::Release& r : order.releases) {
      if (r.refund_id.empty()) lost[r.line_id] += r.quantity;
    }
    for (const channels::OrderLine& l : order.lines) {
      if (!l.current_quantity) continue;
      auto rf = refunded->find(l.line_id);
      int64_t by_refunds = rf == refunded->end() ? 0 : rf->second;
      lost[l.line_id] = std::max(lost[l.line_id], l.quantity - *l.current_quantity - by_refunds);
    }
    for (const BookLine& bl : existing.lines) {
      auto it = lost.find(bl.line_id);
      if (it == lost.end()) continue;
      // bl.quantity was the wanted quantity at intake; lost is measured from the ordered quantity.
      const channels::OrderLine* ol = nullptr;
      for (const auto& l : order.lines) {
        if (l.line_id == bl.line_id) ol = &l;
      }
      int64_t ordered = ol ? ol->quantity : bl.quantity;
      int64_t lost_since_intake = it->second - (ordered - bl.quantity);
      int64_t more = lost_since_intake - bl.released;
      if (more > 0) release[bl.line_id] += more;
    }
  }
  for (const auto& [line, n] : release) {
    if (n <= 0) continue;
    auto c = book_.releaseLine(existing.channel, existing.order_id, line, n);
    if (!c) return c.error();
    merge(*c);
  }
  notify(all);
  if (restocked_units > 0) ledgerChanged();  // the worker writes the restock into the ledger
  if (refund_lines > 0) {
    // Each applied refund line once (by its source), so a delivery after a failed write records it.
    if (auto s = recordRefundRevenue(order, existing.channel, existing.order_id); !s) {
      SW_WARN(kLog) << existing.channel << " order " << existing.order_id << " refund revenue: " << s.error().toString();
    }
  }
  std::string status = toString(existing.status);
  if (!release.empty() || refund_lines > duplicates) {
    auto after = book_.order(existing.channel, existing.order_id);
    if (after && *after) status = toString((*after)->status);
  }
  std::string reason;
  if (refund_lines > 0) {
    reason = refund_lines == duplicates ? "refund seen before"
                                        : "refund: " + std::to_string(released_units) + " held units released, " +
                                              std::to_string(restocked_units) + " shipped units restocked";
  }
  if (!release.empty()) reason += std::string(reason.empty() ? "" : "; ") + "units released";
  if (reason.empty()) reason = "seen before";
  return IntakeResult{status, false, reason};
}

// ------------------------------------------------------------------ worker

void OrderService::pollChannels() {
  int64_t now = clock_.monoMs();
  for (auto& [name, conn] : connectors_) {
    auto due = next_poll_ms_.find(name);
    if (due != next_poll_ms_.end() && now < due->second) continue;
    if (int64_t wait = conn->msUntilReady(channels::Operation::kPollOrders); wait > 0) {
      next_poll_ms_[name] = now + wait;
      continue;
    }
    auto cur = book_.progress().cursor(name);
    if (!cur) {
      SW_WARN(kLog) << "cursor for " << name << ": " << cur.error().toString();
      continue;
    }
    channels::OrderCursor c{cur->first, cur->second};
    stats_.polls++;
    auto page = conn->pollOrders(c);
    if (!page) {
      stats_.poll_errors++;
      SW_WARN(kLog) << "polling " << name << ": " << page.error().toString();
      next_poll_ms_[name] = now + std::max<int64_t>(config_.poll_interval_ms, conn->msUntilReady(channels::Operation::kPollOrders));
      continue;
    }
    bool ok = true;
    for (const NormalizedOrder& o : page->orders) {
      auto r = intake(o);
      if (!r) {
        SW_WARN(kLog) << name << " order " << o.order_id << ": " << r.error().toString();
        ok = false;
        break;
      }
    }
    // The cursor moves only past pages whose orders were all taken in.
    if (ok) {
      common::Status s = page->next_page_token.empty() ? book_.progress().setCursor(name, page->next_updated_since, "")
                                                       : book_.progress().setCursor(name, c.updated_since, page->next_page_token);
      if (!s) SW_WARN(kLog) << "saving the " << name << " cursor: " << s.error().toString();
    }
    // More pages: go on at the next round; otherwise wait for the poll interval.
    next_poll_ms_[name] = ok && !page->next_page_token.empty() ? now : now + config_.poll_interval_ms;
  }
}

void OrderService::scanConfirmations() {
  auto open = book_.tasks().open();
  if (!open) {
    SW_WARN(kLog) << "open tasks: " << open.error().toString();
    return;
  }
  std::map<std::string, const PickTask*> by_id;
  std::set<std::string> locations;
  for (const PickTask& t : *open) {
    by_id[t.task_id] = &t;
    locations.insert(t.location);
  }
  // Tasks cancelled lately (withdrawn from an offline location, or their order cancelled): a
  // device that had one may have picked it offline and its pick may still come.
  auto cancelled = book_.tasks().cancelledSince(clock_.nowMs() - kLatePickWindowMs);
  if (!cancelled) {
    SW_WARN(kLog) << "cancelled tasks: " << cancelled.error().toString();
    return;
  }
  for (const auto& [id, loc] : *cancelled) locations.insert(loc);
  auto devices = ledger_.devices();
  if (!devices) return;
  for (const DeviceRow& d : *devices) {
    auto from = book_.progress().scanned(d.device_id);
    if (!from) continue;
    if (d.last_applied_seq <= *from) continue;
    if (locations.empty() || (!d.location.empty() && !locations.count(d.location))) {
      // Task ids are fresh UUIDs: events applied while no task was open or lately cancelled at
      // the device's location cannot name one, so they need not be read. (A device that has not
      // told its location yet is read.)
      (void)book_.progress().setScanned(d.device_id, d.last_applied_seq);
      continue;
    }
    uint64_t seq = *from;
    while (seq < d.last_applied_seq) {
      auto events = ledger_.eventsForDevice(d.device_id, seq + 1, kMaxScanEvents);
      if (!events || events->empty()) break;
      bool stop = false;
      for (const LedgerEvent& e : *events) {
        // An event naming a task but moving nothing is a second confirmation the ledger refused
        // (task_already_confirmed): the device that confirmed first carries the pick.
        if (!e.ref.empty() && !e.moves.empty()) {
          auto it = by_id.find(e.ref);
          if (it != by_id.end()) {
            // The first event naming the task carries the pick (a sale of what was picked, or,
            // when nothing was picked, only the short counts).
            std::map<std::string, int64_t> picked;
            if (e.type == "sale") {
              for (const LedgerEvent::Move& m : e.moves) picked[m.sku] += m.qty;
            }
            // The order's money for what was picked, before the task is closed: written again
            // (once, by its source) if closing it fails and this event is read again.
            if (auto s = recordPickRevenue(revenue_, *it->second, picked, e.at_ms); !s) {
              SW_WARN(kLog) << "task " << e.ref << " revenue: " << s.error().toString();
              stop = true;
              break;
            }
            auto change = book_.completeTask(e.ref, picked, trackingFor(e.ref));
            if (!change) {
              SW_WARN(kLog) << "task " << e.ref << ": " << change.error().toString();
              stop = true;  // look again next round, from this event
              break;
            }
            stats_.tasks_completed++;
            SW_INFO(kLog) << "task " << e.ref << " at " << it->second->location << " confirmed by " << d.device_id;
            by_id.erase(it);
            notify(*change);
          } else if (e.type == "sale" && cancelled->count(e.ref)) {
            if (auto late = latePick(e, d.device_id); !late) {
              SW_WARN(kLog) << "late pick of task " << e.ref << ": " << late.error().toString();
              stop = true;  // look again next round, from this event
              break;
            }
          }
        }
        seq = e.seq;
      }
      if (stop) break;
      (void)book_.progress().setScanned(d.device_id, seq);
    }
  }
}

void OrderService::recordTillRevenue() {
  if (!revenue_) return;
  auto devices = ledger_.devices();
  if (!devices) return;
  auto cursors = revenue_->scanCursors();
  if (!cursors) {
    SW_WARN(kLog) << "revenue cursors: " << cursors.error().toString();
    return;
  }
  for (const DeviceRow& d : *devices) {
    if (d.internal) continue;
    auto from = cursors->find(d.device_id);
    uint64_t seq = from == cursors->end() ? 0 : from->second;
    while (seq < d.last_applied_seq) {
      auto events = ledger_.eventsForDevice(d.device_id, seq + 1, kMaxScanEvents);
      if (!events || events->empty()) break;
      std::vector<RevenueLine> lines;
      std::vector<RevenueBook::TillVoid> voids;
      for (const LedgerEvent& e : *events) {
        auto till = tillRevenue(e);
        if (!till) {
          SW_WARN(kLog) << "revenue of " << d.device_id << " seq " << e.seq << ": " << till.error().toString();
        } else {
          lines.insert(lines.end(), till->lines.begin(), till->lines.end());
          if (till->void_of) voids.push_back(*till->void_of);
        }
      }
      const uint64_t last = events->back().seq;
      if (auto n = revenue_->recordScanned(d.device_id, last, lines, voids); !n) {
        SW_WARN(kLog) << "revenue of " << d.device_id << ": " << n.error().toString();
        return;  // again next round, from the same cursor
      }
      seq = last;
    }
  }
}

common::Status OrderService::recordRefundRevenue(const NormalizedOrder& delivery, const std::string& channel,
                                         const std::string& order_id) {
  if (!revenue_) return {};
  auto order = book_.order(channel, order_id);
  if (!order) return order.error();
  if (!*order) return {};
  const BookOrder& o = **order;
  std::vector<RevenueLine> lines;
  for (const AppliedRefund& r : o.refunds) {
    const int64_t shipped = r.quantity - r.released;
    if (shipped <= 0 || r.refund_id.rfind(kLatePickRef, 0) == 0) continue;
    RefundFacts f{channel, order_id, r.refund_id, r.line_id, "", "", shipped, std::nullopt, r.at_ms};
    for (const BookLine& bl : o.lines) {
      if (bl.line_id == r.line_id) f.sku = bl.sku;
    }
    for (const BookAllocation& a : o.allocations) {
      if (a.line_id == r.line_id && a.state == AllocationState::kShipped) f.location = a.location;
    }
    for (const channels::OrderLine& l : delivery.lines) {
      if (l.line_id == r.line_id && l.unit_price) f.unit_price = *l.unit_price;
    }
    if (!f.unit_price) f.unit_price = orderLinePrice(o.normalized, r.line_id);
    // The line's tax and discounts as the order was taken in (the refund gives its share back).
    if (o.normalized.is_object() && o.normalized.contains("lines") && o.normalized["lines"].is_array()) {
      for (const json& l : o.normalized["lines"]) {
        if (l.is_object() && l.value("line_id", json()) == r.line_id) f.charges = orderLineCharges(l);
      }
    }
    auto line = refundRevenue(f);
    if (!line) return line.error();
    lines.push_back(std::move(*line));
  }
  if (lines.empty()) return {};
  auto n = revenue_->record(lines);
  if (!n) return n.error();
  return {};
}

common::Status OrderService::latePick(const LedgerEvent& e, const std::string& device) {
  // The sale moved these units off the location's stock, but no order ships them any more (the
  // order went elsewhere, or was cancelled): they go back on the shelf there, once.
  std::map<std::string, int64_t> picked;
  for (const LedgerEvent::Move& m : e.moves) picked[m.sku] += m.qty;
  auto units = book_.restockLatePick(e.ref, picked);
  if (!units) return units.error();
  if (*units > 0) {
    stats_.late_pick_units += static_cast<uint64_t>(*units);
    SW_WARN(kLog) << "task " << e.ref << " was no longer open when " << device << " confirmed its pick (seq " << e.seq
                  << "): " << *units << " units go back on the shelf at " << e.location;
    ledgerChanged();  // the worker writes the restock into the ledger
  }
  return {};
}

void OrderService::exclude(const std::set<std::string>& locations, RoutingConfig& config, FreeStock& free) const {
  for (const std::string& loc : locations) {
    config.locations.erase(loc);
    free.erase(loc);
  }
}

void OrderService::rerouteOffline() {
  if (config_.reroute_offline_after_ms <= 0) return;
  auto devices = ledger_.devices();
  if (!devices) {
    SW_WARN(kLog) << "device presence: " << devices.error().toString();
    return;
  }
  std::set<std::string> offline = offlineLocations(*devices, clock_.nowMs(), config_.reroute_offline_after_ms);
  std::lock_guard<std::mutex> lock(intake_mu_);
  if (offline != offline_) {
    for (const std::string& loc : offline) {
      if (!offline_.count(loc)) SW_WARN(kLog) << loc << ": every device offline for "
                                              << config_.reroute_offline_after_ms / 1000 << " s or more: its pick tasks are re-routed";
    }
    for (const std::string& loc : offline_) {
      if (!offline.count(loc)) SW_INFO(kLog) << loc << ": a device is back: routed to again";
    }
    offline_ = offline;
  }
  if (offline.empty()) {
    next_withdraw_try_ms_.clear();
    return;
  }
  auto open = book_.tasks().open();
  if (!open) {
    SW_WARN(kLog) << "open tasks: " << open.error().toString();
    return;
  }
  const int64_t mono = clock_.monoMs();
  for (const PickTask& t : *open) {
    if (!offline.count(t.location)) continue;
    auto due = next_withdraw_try_ms_.find(t.task_id);
    if (due != next_withdraw_try_ms_.end() && mono < due->second) continue;
    next_withdraw_try_ms_[t.task_id] = mono + kWithdrawRetryMs;
    auto order = book_.order(t.channel, t.order_id);
    if (!order || !*order) continue;
    const BookOrder& o = **order;
    json entry;
    json lines = json::array();
    std::vector<std::string> skus;
    for (const TaskLine& l : t.lines) {
      lines.push_back({{"line_id", l.line_id}, {"sku", l.sku}, {"quantity", l.quantity}});
      skus.push_back(l.sku);
    }
    // Never to a location that is offline too, nor back to one that came back short for a line.
    std::set<std::string> excluded = offline;
    for (const BookAllocation& a : o.allocations) {
      if (a.state != AllocationState::kShort) continue;
      for (const TaskLine& l : t.lines) {
        if (a.line_id == l.line_id) excluded.insert(a.location);
      }
    }
    std::string why;
    std::vector<TaskMove> moves;
    if (!o.pickup_location.empty()) {
      why = "a pickup order: the customer collects it at " + o.pickup_location + ", so it waits there";
    } else {
      auto free = freeStock(skus);
      if (!free) continue;
      RouteRequest rr = routeRequest(o.ship_to_country, o.normalized, o.pickup_location);
      for (const TaskLine& l : t.lines) rr.lines.push_back(routeLine(l.line_id, l.sku, l.quantity));
      RoutingConfig cfg = routing_;
      exclude(excluded, cfg, *free);
      // The same rules, point and costs as the first routing, without the offline locations.
      RoutePlan plan = planRoute(cfg, rr, *free);
      entry = toJson(plan);
      int64_t placed = 0, wanted_units = 0;
      for (const TaskLine& l : t.lines) wanted_units += l.quantity;
      for (const RouteAssignment& a : plan.assignments) {
        if (a.location.empty()) continue;
        moves.push_back({a.line_id, a.location, a.quantity});
        placed += a.quantity;
      }
      if (placed != wanted_units) {
        moves.clear();
        why = "no other location can take every unit of this task now (" + std::to_string(placed) + " of " +
              std::to_string(wanted_units) + "): it stays at " + t.location + " until one can or a device there is back";
      }
    }
    entry["reason"] = "location_offline";
    entry["from"] = t.location;
    entry["task_id"] = t.task_id;
    entry["lines"] = lines;
    entry["excluded"] = std::vector<std::string>(excluded.begin(), excluded.end());
    entry["at_ms"] = clock_.nowMs();
    if (moves.empty()) {
      // Said once per task, not at every try.
      bool said = false;
      if (o.routing.is_object() && o.routing.contains("reroutes") && o.routing["reroutes"].is_array()) {
        for (const json& r : o.routing["reroutes"]) {
          said = said || (r.is_object() && r.value("task_id", "") == t.task_id && r.value("outcome", "") == "stayed");
        }
      }
      if (!said) {
        entry["outcome"] = "stayed";
        entry["why"] = why;
        if (auto s = book_.recordReroute(t.channel, t.order_id, entry); !s) {
          SW_WARN(kLog) << "recording why task " << t.task_id << " stays: " << s.error().toString();
        }
        SW_WARN(kLog) << t.channel << " order " << t.order_id << ": task " << t.task_id << " stays at " << t.location
                      << " (offline): " << why;
      }
      continue;
    }
    entry["outcome"] = "rerouted";
    auto change = book_.withdrawTask(t.task_id, moves, entry);
    if (!change) {
      // not_open: its pick came back first, and completes it as usual.
      if (change.error().code != "not_open") {
        SW_WARN(kLog) << "withdrawing task " << t.task_id << ": " << change.error().toString();
      }
      continue;
    }
    next_withdraw_try_ms_.erase(t.task_id);
    stats_.tasks_withdrawn++;
    SW_INFO(kLog) << t.channel << " order " << t.order_id << ": task " << t.task_id << " withdrawn from " << t.location
                  << " (offline) and re-routed";
    notify(*change);
  }
  // Forget tries of tasks that are gone.
  for (auto it = next_withdraw_try_ms_.begin(); it != next_withdraw_try_ms_.end();) {
    bool still = std::any_of(open->begin(), open->end(), [&](const PickTask& t) { return t.task_id == it->first; });
    it = still ? std::next(it) : next_withdraw_try_ms_.erase(it);
  }
}

void OrderService::routeWaiting() {
  auto waiting = book_.holds().unrouted(100);
  if (!waiting || waiting->empty()) return;
  std::lock_guard<std::mutex> lock(intake_mu_);
  for (const BookAllocation& a : *waiting) {
    auto ref = book_.holds().orderOf(a.id);
    if (!ref) continue;
    auto order = book_.order(ref->channel, ref->order_id);
    if (!order || !*order) continue;
    std::set<std::string> short_at;
    for (const BookAllocation& x : (*order)->allocations) {
      if (x.line_id == a.line_id && x.state == AllocationState::kShort) short_at.insert(x.location);
    }
    auto free = freeStock({a.sku});
    if (!free) continue;
    // The same rules, point and costs as the first routing, without the locations that came back
    // short, nor offline ones (a pickup order's store stays its store).
    std::set<std::string> excluded = short_at;
    for (const std::string& loc : offline_) {
      if (loc != (*order)->pickup_location) excluded.insert(loc);
    }
    RouteRequest rr = routeRequest((*order)->ship_to_country, (*order)->normalized, (*order)->pickup_location);
    rr.lines.push_back(routeLine(a.line_id, a.sku, a.quantity));
    RoutingConfig cfg = routing_;
    exclude(excluded, cfg, *free);
    RoutePlan plan = planRoute(cfg, rr, *free);
    if (std::any_of(plan.assignments.begin(), plan.assignments.end(), [](const RouteAssignment& x) { return !x.location.empty(); })) {
      json entry = toJson(plan);
      entry["reason"] = "short_pick";
      entry["line_id"] = a.line_id;
      entry["sku"] = a.sku;
      entry["quantity"] = a.quantity;
      entry["excluded"] = std::vector<std::string>(excluded.begin(), excluded.end());
      if (auto s = book_.recordReroute(ref->channel, ref->order_id, entry); !s) {
        SW_WARN(kLog) << "recording the re-route of allocation " << a.id << ": " << s.error().toString();
      }
    }
    for (const RouteAssignment& as : plan.assignments) {
      if (as.location.empty()) continue;
      auto change = book_.routeAllocation(a.id, as.location, as.quantity, common::newUuid());
      if (!change) {
        SW_WARN(kLog) << "routing allocation " << a.id << ": " << change.error().toString();
        break;
      }
      SW_INFO(kLog) << ref->channel << " order " << ref->order_id << ": " << as.quantity << " x " << a.sku
                    << " routed to " << as.location;
      notify(*change);
    }
  }
}

void OrderService::reportFulfilments() {
  auto pending = book_.fulfilments().pending(50);
  if (!pending) return;
  int64_t now = clock_.monoMs();
  for (const Fulfilment& f : *pending) {
    auto due = next_fulfilment_try_ms_.find(f.id);
    if (due != next_fulfilment_try_ms_.end() && now < due->second) continue;
    auto conn = connectors_.find(f.channel);
    int64_t backoff = std::min<int64_t>(config_.fulfilment_retry_max_ms, int64_t{500} << std::min<int64_t>(f.attempts, 16));
    if (conn == connectors_.end()) {
      if (f.attempts == 0) (void)book_.fulfilments().triedAndFailed(f.id, "no connector configured for " + f.channel);
      next_fulfilment_try_ms_[f.id] = now + config_.fulfilment_retry_max_ms;
      continue;
    }
    if (conn->second->msUntilReady(channels::Operation::kOrderUpdate) > 0) continue;
    channels::FulfilmentReport rep;
    rep.order_id = f.order_id;
    rep.tracking_number = f.tracking_number;
    rep.ship_from = f.location;
    rep.package_number = f.id;
    rep.shipped_at_ms = f.created_at_ms;
    for (const TaskLine& l : f.lines) rep.lines.push_back({l.line_id, l.sku, l.quantity});
    auto order = book_.order(f.channel, f.order_id);
    rep.order_complete = order && *order && (*order)->status == OrderState::kShipped;
    auto r = conn->second->reportFulfilment(rep);
    if (!r) {
      stats_.fulfilment_errors++;
      SW_WARN(kLog) << f.channel << " order " << f.order_id << " fulfilment: " << r.error().toString();
      if (r.error().kind == common::ErrorKind::kReject) {
        // The channel refused this report for good: a person must look (GET /v1/orders/attention).
        stats_.fulfilments_failed++;
        (void)book_.fulfilments().gaveUp(f.id, r.error().code + ": " + r.error().message);
        next_fulfilment_try_ms_.erase(f.id);
        continue;
      }
      (void)book_.fulfilments().triedAndFailed(f.id, r.error().code + ": " + r.error().message);
      next_fulfilment_try_ms_[f.id] = now + backoff;
      continue;
    }
    if (auto s = book_.fulfilments().reported(f.id, *r); !s) {
      SW_WARN(kLog) << "fulfilment " << f.id << ": " << s.error().toString();
      continue;
    }
    stats_.fulfilments_reported++;
    next_fulfilment_try_ms_.erase(f.id);
  }
}

void OrderService::cancelRejected() {
  auto orders = book_.ordersToCancel(20);
  if (!orders) return;
  int64_t now = clock_.monoMs();
  for (const BookOrder& o : *orders) {
    std::string key = o.channel + "/" + o.order_id;
    auto due = next_cancel_try_ms_.find(key);
    if (due != next_cancel_try_ms_.end() && now < due->second) continue;
    auto conn = connectors_.find(o.channel);
    if (conn == connectors_.end()) {
      stats_.manual_cancels++;
      (void)book_.setChannelCancel(o.channel, o.order_id, ChannelCancel::kManual,
                                   "no connector configured for " + o.channel + ": cancel it at the channel by hand");
      continue;
    }
    if (conn->second->msUntilReady(channels::Operation::kOrderUpdate) > 0) continue;
    auto r = conn->second->cancelOrder({o.order_id, "not enough stock: " + o.reason});
    if (r) {
      stats_.channel_cancels++;
      SW_INFO(kLog) << o.channel << " order " << o.order_id << " cancelled at the channel (" << *r << ")";
      (void)book_.setChannelCancel(o.channel, o.order_id, ChannelCancel::kDone, "");
      next_cancel_try_ms_.erase(key);
      continue;
    }
    const common::Error& e = r.error();
    if (e.code == "not_supported") {
      stats_.manual_cancels++;
      SW_WARN(kLog) << o.channel << " order " << o.order_id << " needs a manual cancel: " << e.message;
      (void)book_.setChannelCancel(o.channel, o.order_id, ChannelCancel::kManual, e.message);
      next_cancel_try_ms_.erase(key);
    } else if (e.kind == common::ErrorKind::kReject) {
      SW_WARN(kLog) << o.channel << " order " << o.order_id << " cancel refused: " << e.toString();
      (void)book_.setChannelCancel(o.channel, o.order_id, ChannelCancel::kFailed, e.code + ": " + e.message);
      next_cancel_try_ms_.erase(key);
    } else {
      int64_t backoff = std::min<int64_t>(config_.fulfilment_retry_max_ms,
                                          int64_t{500} << std::min<int64_t>(o.channel_cancel_attempts, 16));
      (void)book_.setChannelCancel(o.channel, o.order_id, ChannelCancel::kPending, e.code + ": " + e.message);
      next_cancel_try_ms_[key] = now + backoff;
    }
  }
}

Result<OrderService::RefundOutcome> OrderService::refund(const std::string& channel, const channels::RefundRequest& request) {
  if (request.lines.empty()) return Error::reject("nothing_refunded", "a refund needs at least one line");
  // One at a time with the worker's rounds: the connector is theirs too, and a second refund of the
  // same order is checked against the book after the first one is in it.
  std::lock_guard<std::mutex> work(work_mu_);
  auto conn = connectors_.find(channel);
  if (conn == connectors_.end()) return Error::reject("no_connector", "no connector is configured for channel '" + channel + "'");
  auto before = book_.order(channel, request.order_id);
  if (!before) return before.error();
  if (!*before) return Error::reject("not_found", "no " + channel + " order " + request.order_id);
  std::map<std::string, int64_t> refunded;
  for (const AppliedRefund& r : (*before)->refunds) refunded[r.line_id] += r.quantity;
  std::set<std::string> named;
  for (const channels::RefundLine& l : request.lines) {
    auto line = std::find_if((*before)->lines.begin(), (*before)->lines.end(), [&](const BookLine& b) { return b.line_id == l.line_id; });
    if (line == (*before)->lines.end()) return Error::reject("unknown_line", "order " + request.order_id + " has no line " + l.line_id);
    if (!named.insert(l.line_id).second) return Error::reject("bad_refund", "line " + l.line_id + " is named twice");
    const int64_t left = line->quantity - refunded[l.line_id];
    if (l.quantity <= 0 || l.quantity > left) {
      return Error::reject("over_refund", "line " + l.line_id + " has " + std::to_string(left) + " units not refunded yet; cannot refund " +
                                              std::to_string(l.quantity));
    }
  }
  if (int64_t wait = conn->second->msUntilReady(channels::Operation::kOrderUpdate); wait > 0) {
    return Error::retry("rate_limited", channel + " order updates are held back for " + std::to_string(wait) + " ms");
  }
  auto answered = conn->second->refundOrder(request);
  if (!answered) return answered.error();
  SW_INFO(kLog) << channel << " order " << request.order_id << ": refund issued at the channel";
  RefundOutcome out;
  // The refund is made: from here on nothing is an error the caller could retry (that would refund
  // twice). What the book could not take now, the next poll brings.
  auto taken = intake(*answered);
  if (!taken) {
    out.book_error = taken.error().toString();
    SW_WARN(kLog) << channel << " order " << request.order_id << ": refunded at the channel, not yet in the book ("
                  << out.book_error << "); the next poll brings it";
    return out;
  }
  out.intake = *taken;
  auto after = book_.order(channel, request.order_id);
  if (after && *after) {
    std::set<std::pair<std::string, std::string>> had;
    for (const AppliedRefund& r : (*before)->refunds) had.emplace(r.refund_id, r.line_id);
    for (const AppliedRefund& r : (*after)->refunds) {
      if (!had.count({r.refund_id, r.line_id})) out.refunds.push_back(r);
    }
  }
  return out;
}

void OrderService::applyRestocks() {
  auto pending = book_.pendingRestocks(200);
  if (!pending || pending->empty()) return;
  auto devices = ledger_.devices();
  if (!devices) return;
  uint64_t last = 0;
  bool known = false;
  for (const DeviceRow& d : *devices) {
    if (d.device_id == kRestockDevice) {
      last = d.last_applied_seq;
      known = true;
    }
  }
  // The ledger's cursor for the virtual device is the truth: restocks up to it are in the ledger
  // (a crash between the ledger's commit and ours is repaired here), the rest go in now, in seq order.
  int64_t done_up_to = 0;
  uint64_t next = last + 1;
  ApplyGroup group;
  group.applied_at_ms = clock_.nowMs();
  for (const Restock& r : *pending) {
    if (r.seq <= static_cast<int64_t>(last)) {
      done_up_to = r.seq;
      continue;
    }
    if (static_cast<uint64_t>(r.seq) != next) {
      SW_WARN(kLog) << "restock " << r.seq << " does not follow the ledger's seq " << next - 1 << " for " << kRestockDevice;
      break;
    }
    const bool late_pick = r.refund_id.rfind(kLatePickRef, 0) == 0;
    // A late pick may carry a count of 0 (the bin found empty): its units go back only once they
    // are clearly after it, or the count would absorb them (Ledger::countTieMs). Those after
    // wait with it: restocks go in in seq order (the worker's next tick, 500 ms, tries again).
    if (late_pick && group.applied_at_ms <= r.created_at_ms + ledger_.countTieMs()) break;
    common::Event e;
    e.device_id = kRestockDevice;
    e.seq = static_cast<uint64_t>(r.seq);
    e.event_id = r.event_id;
    e.type = common::EventType::kReturn;
    e.occurred_at_ms = group.applied_at_ms;
    e.location = r.location;
    e.lines.push_back({r.sku, r.quantity, std::nullopt});
    std::optional<AnomalyRow> late_pick_anomaly;
    if (late_pick) {
      const std::string task = r.refund_id.substr(kLatePickRef.size());
      e.reason = ("pick of task " + task + " no longer open").substr(0, common::kMaxReasonLength);
      // Someone has these units in hand at the location: a person should see that they go back.
      late_pick_anomaly = AnomalyRow{0, kRestockDevice, static_cast<uint64_t>(r.seq), "late_pick",
                                     "task " + task + " of " + r.channel + " order " + r.order_id +
                                         " was withdrawn or cancelled before its pick came back: " +
                                         std::to_string(r.quantity) + " x " + r.sku + " put back at " + r.location +
                                         " (the order ships from where it was re-routed, if anywhere)",
                                     0};
    } else {
      e.reason = ("refund " + r.refund_id + " of " + r.channel + " order " + r.order_id).substr(0, common::kMaxReasonLength);
    }
    if (auto v = common::validateEvent(e); !v) {
      SW_WARN(kLog) << "restock " << r.seq << " cannot go into the ledger: " << v.error().toString();
      break;
    }
    group.events.push_back({std::move(e), 0});
    if (late_pick_anomaly) group.anomalies.push_back(std::move(*late_pick_anomaly));
    ++next;
  }
  if (!group.events.empty()) {
    if (!known) group.new_devices[kRestockDevice] = "orders";
    group.internal_devices.insert(kRestockDevice);
    group.cursors[kRestockDevice] = next - 1;
    DeviceStateUpdate state;
    state.device_id = kRestockDevice;
    state.online = true;
    state.kind = "coordinator";
    state.state_json = "{}";
    state.at_ms = group.applied_at_ms;
    group.states.push_back(state);
    CommitInfo info;
    if (auto s = ledger_.commit(group, &info); !s) {
      SW_WARN(kLog) << "restocks into the ledger: " << s.error().toString();
      return;  // tried again next round
    }
    done_up_to = static_cast<int64_t>(next - 1);
    if (ledger_hook_) ledger_hook_(info);
  }
  if (done_up_to > 0) {
    if (auto s = book_.restocksApplied(done_up_to); !s) SW_WARN(kLog) << "restocks applied: " << s.error().toString();
  }
}

}  // namespace sw::coordinator
