#include "sw/common/metrics.h"

#include <cmath>

namespace sw::common {

namespace {

// A sample's value: whole numbers (up to 2^53, which doubles hold exactly) written in full, so a
// byte count or a seq never turns into 5.00003e+10; other values with 9 significant digits.
void writeNumber(std::ostream& out, double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0) {
    out << static_cast<int64_t>(v);
  } else {
    const auto old = out.precision(9);
    out << v;
    out.precision(old);
  }
}

}  // namespace

uint64_t LatencyHistogram::count() const {
  uint64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

void PrometheusText::family(std::string_view name, std::string_view help, std::string_view type) {
  out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void PrometheusText::sample(std::string_view name_and_labels, double value) {
  out_ << name_and_labels << ' ';
  writeNumber(out_, value);
  out_ << '\n';
}

void PrometheusText::counter(std::string_view name, std::string_view help, uint64_t value) {
  family(name, help, "counter");
  out_ << name << ' ' << value << '\n';
}

void PrometheusText::gauge(std::string_view name, std::string_view help, double value) {
  family(name, help, "gauge");
  sample(name, value);
}

void PrometheusText::histogram(std::string_view name, std::string_view help, const LatencyHistogram& h) {
  family(name, help, "histogram");
  histogramSamples(name, "", h);
}

void PrometheusText::histogramSamples(std::string_view name, std::string_view labels, const LatencyHistogram& h) {
  const std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= LatencyHistogram::kBucketsMs.size(); ++i) {
    cumulative += h.bucket(i);
    out_ << name << "_bucket{" << prefix << "le=\"";
    if (i < LatencyHistogram::kBucketsMs.size()) {
      out_ << LatencyHistogram::kBucketsMs[i] / 1000;
    } else {
      out_ << "+Inf";
    }
    out_ << "\"} " << cumulative << '\n';
  }
  const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out_ << name << "_sum" << braces << ' ';
  writeNumber(out_, static_cast<double>(h.sumUs()) / 1e6);
  out_ << '\n' << name << "_count" << braces << ' ' << cumulative << '\n';
}

}  // namespace sw::common
