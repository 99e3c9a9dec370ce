#include "sw/loadgen/report.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "sw/common/event.h"

namespace sw::loadgen {

using common::Error;
using nlohmann::json;

namespace {

json lagJson(const LagFigures& l) {
  return {{"count", l.count}, {"p50_ms", l.p50_ms}, {"p99_ms", l.p99_ms}, {"max_ms", l.max_ms}};
}

// Reads fields of one JSON object, remembering the first problem (named by its path).
class Reader {
 public:
  Reader(const json& obj, std::string path, std::string* error) : obj_(obj), path_(std::move(path)), error_(error) {
    if (!obj_.is_object() && error_->empty()) *error_ = path_ + " must be an object";
  }
  const json* field(const char* name) {
    if (!error_->empty()) return nullptr;
    auto it = obj_.find(name);
    if (it == obj_.end()) {
      *error_ = path_ + "." + name + " is missing";
      return nullptr;
    }
    return &*it;
  }
  uint64_t count(const char* name) {
    const json* f = field(name);
    if (f && !f->is_number_unsigned()) *error_ = path_ + "." + name + " must be a whole number >= 0";
    return error_->empty() ? f->get<uint64_t>() : 0;
  }
  int64_t integer(const char* name) {
    const json* f = field(name);
    if (f && !(f->is_number_integer() && (f->is_number_unsigned() ? f->get<uint64_t>() <= INT64_MAX : true))) {
      *error_ = path_ + "." + name + " must be a whole number";
    }
    return error_->empty() ? f->get<int64_t>() : 0;
  }
  double number(const char* name) {
    const json* f = field(name);
    if (f && (!f->is_number() || f->get<double>() < 0)) *error_ = path_ + "." + name + " must be a number >= 0";
    return error_->empty() ? f->get<double>() : 0;
  }
  std::string text(const char* name) {
    const json* f = field(name);
    if (f && !f->is_string()) *error_ = path_ + "." + name + " must be a string";
    return error_->empty() ? f->get<std::string>() : "";
  }
  bool boolean(const char* name) {
    const json* f = field(name);
    if (f && !f->is_boolean()) *error_ = path_ + "." + name + " must be true or false";
    return error_->empty() ? f->get<bool>() : false;
  }
  LagFigures lag(const char* name) {
    const json* f = field(name);
    if (!f) return {};
    Reader r(*f, path_ + "." + name, error_);
    LagFigures l;
    l.count = r.count("count");
    l.p50_ms = r.integer("p50_ms");
    l.p99_ms = r.integer("p99_ms");
    l.max_ms = r.integer("max_ms");
    if (error_->empty() && (l.p50_ms < 0 || l.p99_ms < l.p50_ms || l.max_ms < l.p99_ms)) {
      *error_ = path_ + "." + name + " must have 0 <= p50_ms <= p99_ms <= max_ms";
    }
    return l;
  }

 private:
  const json& obj_;
  std::string path_;
  std::string* error_;
};

}  // namespace

std::string reportToJson(const RunReport& r) {
  json devices = json::array();
  uint64_t recorded = 0, acked = 0;
  for (const DeviceReport& d : r.devices) {
    recorded += d.recorded;
    acked += d.acked;
    devices.push_back({{"device_id", d.device_id},
                       {"location", d.location},
                       {"epoch", d.epoch},
                       {"recorded", d.recorded},
                       {"highest_sent", d.highest_sent},
                       {"acked", d.acked},
                       {"recorded_units", d.recorded_units},
                       {"acked_units", d.acked_units},
                       {"batches", d.batches},
                       {"rewinds", d.rewinds},
                       {"resend_requests", d.resend_requests},
                       {"bad_acks", d.bad_acks},
                       {"states", d.states},
                       {"connects", d.connects},
                       {"losses", d.losses},
                       {"offline_spells", d.offline_spells},
                       {"refused", d.refused}});
  }
  json out = {{"broker", r.broker},
              {"prefix", r.prefix},
              {"selling_s", r.selling_s},
              {"drain_s", r.drain_s},
              {"drained", r.drained},
              {"totals", {{"devices", r.devices.size()}, {"recorded", recorded}, {"acked", acked}}},
              {"lag_live", lagJson(r.live)},
              {"lag_catch_up", lagJson(r.catch_up)},
              {"devices", devices}};
  return out.dump(1) + "\n";
}

common::Result<RunReport> parseReport(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Error::reject("bad_report", "the report is not JSON");
  std::string error;
  Reader top(j, "report", &error);
  RunReport r;
  r.broker = top.text("broker");
  r.prefix = top.text("prefix");
  r.selling_s = top.number("selling_s");
  r.drain_s = top.number("drain_s");
  r.drained = top.boolean("drained");
  r.live = top.lag("lag_live");
  r.catch_up = top.lag("lag_catch_up");
  const json* devices = top.field("devices");
  if (devices && !devices->is_array()) error = "report.devices must be an array";
  std::set<std::string> seen;
  for (size_t i = 0; error.empty() && i < devices->size(); ++i) {
    Reader d((*devices)[i], "report.devices[" + std::to_string(i) + "]", &error);
    DeviceReport dr;
    dr.device_id = d.text("device_id");
    dr.location = d.text("location");
    dr.epoch = d.text("epoch");
    dr.recorded = d.count("recorded");
    dr.highest_sent = d.count("highest_sent");
    dr.acked = d.count("acked");
    dr.recorded_units = d.integer("recorded_units");
    dr.acked_units = d.integer("acked_units");
    dr.batches = d.count("batches");
    dr.rewinds = d.count("rewinds");
    dr.resend_requests = d.count("resend_requests");
    dr.bad_acks = d.count("bad_acks");
    dr.states = d.count("states");
    dr.connects = d.count("connects");
    dr.losses = d.count("losses");
    dr.offline_spells = d.count("offline_spells");
    dr.refused = d.text("refused");
    if (!error.empty()) break;
    const std::string where = "report.devices[" + std::to_string(i) + "]";
    if (!common::isValidId(dr.device_id)) {
      error = where + ".device_id is not a valid device id";
    } else if (!seen.insert(dr.device_id).second) {
      error = where + ".device_id " + dr.device_id + " is listed twice";
    } else if (dr.acked > dr.highest_sent || dr.highest_sent > dr.recorded) {
      error = where + " must have acked <= highest_sent <= recorded";
    }
    r.devices.push_back(std::move(dr));
  }
  if (!error.empty()) return Error::reject("bad_report", error);
  return r;
}

common::Result<std::vector<LedgerMismatch>> compareWithDevices(const RunReport& report, std::string_view devices_json) {
  json j = json::parse(devices_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("devices") || !j["devices"].is_array()) {
    return Error::reject("bad_devices", "not a GET /v1/devices answer: no \"devices\" array");
  }
  struct Known {
    uint64_t applied;
    std::string epoch;
  };
  std::map<std::string, Known> ledger;
  for (const json& d : j["devices"]) {
    if (!d.is_object() || !d.contains("device_id") || !d["device_id"].is_string() || !d.contains("last_applied_seq") ||
        !d["last_applied_seq"].is_number_unsigned()) {
      return Error::reject("bad_devices", "a device without a device_id string and a last_applied_seq count");
    }
    std::string epoch = d.contains("epoch") && d["epoch"].is_string() ? d["epoch"].get<std::string>() : "";
    ledger[d["device_id"].get<std::string>()] = {d["last_applied_seq"].get<uint64_t>(), std::move(epoch)};
  }
  std::vector<LedgerMismatch> out;
  for (const DeviceReport& d : report.devices) {
    auto it = ledger.find(d.device_id);
    if (it == ledger.end()) {
      if (d.acked > 0) out.push_back({d.device_id, d.acked, -1, "acknowledged but not in the ledger"});
      continue;
    }
    const auto applied = static_cast<int64_t>(it->second.applied);
    if (it->second.applied < d.acked) {
      out.push_back({d.device_id, d.acked, applied, "the ledger has less than was acknowledged"});
    } else if (it->second.applied > d.recorded) {
      out.push_back({d.device_id, d.acked, applied, "the ledger has seqs the device never recorded"});
    } else if (it->second.applied > d.acked) {
      out.push_back({d.device_id, d.acked, applied, "the ledger is ahead of the last ack that arrived"});
    } else if (!it->second.epoch.empty() && it->second.epoch != d.epoch) {
      out.push_back({d.device_id, d.acked, applied, "the ledger knows another epoch: " + it->second.epoch});
    }
  }
  return out;
}

}  // namespace sw::loadgen
