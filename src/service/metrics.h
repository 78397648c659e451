#pragma once
/// A small Prometheus metrics registry: counters, gauges and histograms with
/// labels, rendered in the text exposition format (HELP/TYPE lines, escaped
/// label values, `_total` counters, cumulative `le` buckets with +Inf, `_sum`
/// and `_count`). Thread-safe. Memory grows with the number of label
/// combinations only (jobs x statuses, tables), never with the number of events.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace k2::service {

/// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

enum class MetricType { kCounter, kGauge, kHistogram };

class MetricsRegistry;

/// One named metric with fixed label names and one series per label-value combination.
class MetricFamily {
 public:
  /// Counter: adds `delta` (>= 0; negative deltas are ignored).
  void Inc(const LabelValues& labels, double delta = 1);
  /// Gauge: sets the value.
  void Set(const LabelValues& labels, double value);
  /// Histogram: records one observation.
  void Observe(const LabelValues& labels, double value);
  /// Removes every series (gauges recomputed from scratch on each scrape).
  void Clear();
  /// Current value (counter/gauge) or observation count (histogram); 0 if absent.
  double Value(const LabelValues& labels) const;
  /// Histogram: sum of observations; 0 if absent.
  double Sum(const LabelValues& labels) const;

  const std::string& name() const { return name_; }

 private:
  friend class MetricsRegistry;
  struct Series {
    double value = 0;  // counter/gauge value, histogram sum
    uint64_t count = 0;
    std::vector<uint64_t> buckets;  // per upper bound, not cumulative
  };
  MetricFamily(std::mutex& mu, std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names, std::vector<double> bounds);
  Series& SeriesFor(const LabelValues& labels);
  void Render(std::string& out) const;

  std::mutex& mu_;
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  std::map<LabelValues, Series> series_;
};

class MetricsRegistry {
 public:
  /// Registers a family, or returns the existing one of that name. `name` must
  /// match [a-zA-Z_:][a-zA-Z0-9_:]*; counters should end in `_total`.
  MetricFamily& Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  MetricFamily& Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> label_names = {});
  /// `bounds`: increasing bucket upper bounds (+Inf is implicit).
  MetricFamily& Histogram(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names, std::vector<double> bounds);
  /// Runs `collector` before each Render (e.g. table gauges from the catalog).
  /// Collectors must not call Render.
  void AddCollector(std::function<void()> collector);
  /// The whole registry in Prometheus text format 0.0.4.
  std::string Render();

 private:
  MetricFamily& Add(const std::string& name, const std::string& help, MetricType type,
                    std::vector<std::string> label_names, std::vector<double> bounds);

  std::mutex mu_;  // guards families' series
  std::mutex collectors_mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
  std::vector<std::function<void()>> collectors_;
};

/// Escapes a label value (backslash, double quote, newline).
std::string EscapeLabelValue(const std::string& value);
/// Formats a sample value as Prometheus expects (integers without ".0", +Inf, NaN).
std::string FormatMetricValue(double value);

}  // namespace k2::service
