#include "service/metrics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace k2::service {

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const LabelValues& values, const std::string* le = nullptr) {
  if (names.empty() && !le) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(i < values.size() ? values[i] : std::string());
    out += '"';
  }
  if (le) {
    if (!first) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

MetricFamily::MetricFamily(std::mutex& mu, std::string name, std::string help, MetricType type,
                           std::vector<std::string> label_names, std::vector<double> bounds)
    : mu_(mu),
      name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

MetricFamily::Series& MetricFamily::SeriesFor(const LabelValues& labels) {
  LabelValues key = labels;
  key.resize(label_names_.size());
  Series& s = series_[key];
  if (type_ == MetricType::kHistogram && s.buckets.size() != bounds_.size()) {
    s.buckets.assign(bounds_.size(), 0);
  }
  return s;
}

void MetricFamily::Inc(const LabelValues& labels, double delta) {
  if (!(delta >= 0)) return;
  std::lock_guard<std::mutex> guard(mu_);
  SeriesFor(labels).value += delta;
}

void MetricFamily::Set(const LabelValues& labels, double value) {
  std::lock_guard<std::mutex> guard(mu_);
  SeriesFor(labels).value = value;
}

void MetricFamily::Observe(const LabelValues& labels, double value) {
  std::lock_guard<std::mutex> guard(mu_);
  Series& s = SeriesFor(labels);
  s.value += value;
  ++s.count;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      ++s.buckets[i];
      break;
    }
  }
}

void MetricFamily::Clear() {
  std::lock_guard<std::mutex> guard(mu_);
  series_.clear();
}

double MetricFamily::Value(const LabelValues& labels) const {
  std::lock_guard<std::mutex> guard(mu_);
  LabelValues key = labels;
  key.resize(label_names_.size());
  auto it = series_.find(key);
  if (it == series_.end()) return 0;
  return type_ == MetricType::kHistogram ? static_cast<double>(it->second.count) : it->second.value;
}

double MetricFamily::Sum(const LabelValues& labels) const {
  std::lock_guard<std::mutex> guard(mu_);
  LabelValues key = labels;
  key.resize(label_names_.size());
  auto it = series_.find(key);
  return it == series_.end() ? 0 : it->second.value;
}

void MetricFamily::Render(std::string& out) const {
  const char* type = type_ == MetricType::kCounter ? "counter"
                     : type_ == MetricType::kGauge ? "gauge"
                                                   : "histogram";
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name_, EscapeHelp(help_), name_, type);
  for (const auto& [labels, s] : series_) {
    if (type_ != MetricType::kHistogram) {
      out += name_;
      AppendLabels(out, label_names_, labels);
      out += ' ';
      out += FormatMetricValue(s.value);
      out += '\n';
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      std::string le = FormatMetricValue(bounds_[i]);
      out += name_ + "_bucket";
      AppendLabels(out, label_names_, labels, &le);
      out += fmt::format(" {}\n", cumulative);
    }
    std::string inf = "+Inf";
    out += name_ + "_bucket";
    AppendLabels(out, label_names_, labels, &inf);
    out += fmt::format(" {}\n", s.count);
    out += name_ + "_sum";
    AppendLabels(out, label_names_, labels);
    out += ' ' + FormatMetricValue(s.value) + '\n';
    out += name_ + "_count";
    AppendLabels(out, label_names_, labels);
    out += fmt::format(" {}\n", s.count);
  }
}

MetricFamily& MetricsRegistry::Add(const std::string& name, const std::string& help,
                                   MetricType type, std::vector<std::string> label_names,
                                   std::vector<double> bounds) {
  std::lock_guard<std::mutex> guard(mu_);
  for (auto& f : families_) {
    if (f->name() == name) return *f;
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  families_.push_back(std::unique_ptr<MetricFamily>(
      new MetricFamily(mu_, name, help, type, std::move(label_names), std::move(bounds))));
  return *families_.back();
}

MetricFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names) {
  return Add(name, help, MetricType::kCounter, std::move(label_names), {});
}

MetricFamily& MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names) {
  return Add(name, help, MetricType::kGauge, std::move(label_names), {});
}

MetricFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names,
                                         std::vector<double> bounds) {
  return Add(name, help, MetricType::kHistogram, std::move(label_names), std::move(bounds));
}

void MetricsRegistry::AddCollector(std::function<void()> collector) {
  std::lock_guard<std::mutex> guard(collectors_mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() {
  {
    std::lock_guard<std::mutex> guard(collectors_mu_);
    for (auto& c : collectors_) c();
  }
  std::lock_guard<std::mutex> guard(mu_);
  std::string out;
  for (const auto& f : families_) f->Render(out);
  return out;
}

}  // namespace k2::service
