#include "sw/loadgen/metrics_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace sw::loadgen {

using common::Error;

namespace {

// Each line of the page, without its end.
template <typename F>
void forEachLine(std::string_view page, F f) {
  size_t pos = 0;
  while (pos < page.size()) {
    size_t end = page.find('\n', pos);
    if (end == std::string_view::npos) end = page.size();
    f(page.substr(pos, end - pos));
    pos = end + 1;
  }
}

std::optional<double> parseNumber(std::string_view s) {
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<uint64_t> parseCount(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<double> metricValue(std::string_view page, std::string_view name) {
  std::optional<double> out;
  forEachLine(page, [&](std::string_view line) {
    if (out || line.size() <= name.size() + 1 || line.substr(0, name.size()) != name || line[name.size()] != ' ') {
      return;
    }
    out = parseNumber(line.substr(name.size() + 1));
  });
  return out;
}

common::Result<PromHistogram> readHistogram(std::string_view page, std::string_view name) {
  const std::string bucket = std::string(name) + "_bucket{le=\"";
  const std::string sum = std::string(name) + "_sum ";
  PromHistogram h;
  bool have_sum = false;
  std::string error;
  forEachLine(page, [&](std::string_view line) {
    if (!error.empty()) return;
    if (line.substr(0, sum.size()) == sum) {
      auto v = parseNumber(line.substr(sum.size()));
      if (!v) error = "bad " + sum + "value";
      h.sum = v.value_or(0);
      have_sum = true;
      return;
    }
    if (line.substr(0, bucket.size()) != bucket) return;
    std::string_view rest = line.substr(bucket.size());
    const size_t close = rest.find("\"} ");
    if (close == std::string_view::npos) {
      error = "a bucket line of " + std::string(name) + " that does not parse";
      return;
    }
    auto le = parseNumber(rest.substr(0, close));
    auto n = parseCount(rest.substr(close + 3));
    if (!le || !n) {
      error = "a bucket of " + std::string(name) + " with a bad bound or count";
      return;
    }
    if (!h.le.empty() && *le <= h.le.back()) error = "buckets of " + std::string(name) + " not ascending";
    if (!h.cumulative.empty() && *n < h.cumulative.back()) error = "buckets of " + std::string(name) + " not cumulative";
    h.le.push_back(*le);
    h.cumulative.push_back(*n);
  });
  if (!error.empty()) return Error::reject("bad_metrics", error);
  if (h.le.empty()) return Error::reject("bad_metrics", "no histogram " + std::string(name) + " on the page");
  if (!std::isinf(h.le.back())) return Error::reject("bad_metrics", std::string(name) + " has no +Inf bucket");
  if (!have_sum) return Error::reject("bad_metrics", std::string(name) + " has no _sum");
  return h;
}

common::Result<PromHistogram> PromHistogram::since(const PromHistogram& earlier) const {
  if (earlier.le != le) return Error::reject("bad_metrics", "the two readings have other buckets");
  PromHistogram d;
  d.le = le;
  d.sum = sum - earlier.sum;
  for (size_t i = 0; i < le.size(); ++i) {
    if (cumulative[i] < earlier.cumulative[i]) {
      return Error::reject("bad_metrics", "a bucket went down between the readings (a restart?)");
    }
    d.cumulative.push_back(cumulative[i] - earlier.cumulative[i]);
  }
  for (size_t i = 1; i < d.cumulative.size(); ++i) {
    if (d.cumulative[i] < d.cumulative[i - 1]) return Error::reject("bad_metrics", "the difference is not cumulative");
  }
  return d;
}

double PromHistogram::quantile(double q) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(n);
  for (size_t i = 0; i < le.size(); ++i) {
    if (static_cast<double>(cumulative[i]) < rank) continue;
    if (std::isinf(le[i])) return i > 0 ? le[i - 1] : 0;
    const double lo = i > 0 ? le[i - 1] : 0;
    const double below = i > 0 ? static_cast<double>(cumulative[i - 1]) : 0;
    const double in = static_cast<double>(cumulative[i]) - below;
    return in > 0 ? lo + (le[i] - lo) * (rank - below) / in : le[i];
  }
  return le.size() > 1 ? le[le.size() - 2] : 0;
}

std::optional<double> PromHistogram::shareAtMost(double le_s) const {
  for (size_t i = 0; i < le.size(); ++i) {
    if (le[i] == le_s) return count() == 0 ? 1.0 : static_cast<double>(cumulative[i]) / static_cast<double>(count());
  }
  return std::nullopt;
}

}  // namespace sw::loadgen
