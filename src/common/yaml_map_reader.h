#pragma once
/// MapReader: walks one YAML mapping of k2.yaml for the config parser
/// (config.cpp), with ${ENV} substitution, and errors that name the key path
/// and its line. Internal to common/.

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/result.h"

namespace k2 {

/// Walks one YAML mapping, remembering which keys were read so the rest can
/// be reported as unknown. Every error names the key path and its line.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  Status CheckIsMap() const {
    if (!node_ || node_.IsNull()) return {};
    if (!node_.IsMap()) return Fail(path_, node_, "expected a mapping");
    return {};
  }

  /// Reads an optional scalar key with ${ENV} substitution.
  Result<std::optional<std::string>> Scalar(const std::string& key) {
    seen_.insert(key);
    if (!node_ || !node_.IsMap()) return std::nullopt;
    YAML::Node v = node_[key];
    if (!v || v.IsNull()) return std::nullopt;
    if (!v.IsScalar()) return Fail(Key(key), v, "expected a single value");
    K2_ASSIGN_OR_RETURN(std::string s, SubstituteEnv(v.Scalar(), Key(key), v));
    return s;
  }

  Status String(const std::string& key, std::string& out) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (v) out = *v;
    return {};
  }

  Status OneOf(const std::string& key, std::string& out,
               std::initializer_list<const char*> allowed) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    std::string options;
    for (const char* a : allowed) {
      if (*v == a) {
        out = *v;
        return {};
      }
      options += options.empty() ? a : std::string(", ") + a;
    }
    return Fail(Key(key), node_[key], fmt::format("'{}' is not one of: {}", *v, options));
  }

  /// OneOf for a kind: the spellings `allowed` map to the enum values.
  template <typename Enum>
  Status OneOf(const std::string& key, Enum& out,
               std::initializer_list<std::pair<const char*, Enum>> allowed) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    std::string options;
    for (const auto& [name, value] : allowed) {
      if (*v == name) {
        out = value;
        return {};
      }
      options += options.empty() ? name : std::string(", ") + name;
    }
    return Fail(Key(key), node_[key], fmt::format("'{}' is not one of: {}", *v, options));
  }

  template <typename Int>
  Status Integer(const std::string& key, Int& out, int64_t min, int64_t max) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    int64_t x = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
    if (ec != std::errc() || p != v->data() + v->size()) {
      return Fail(Key(key), node_[key], fmt::format("'{}' is not an integer", *v));
    }
    if (x < min || x > max) {
      return Fail(Key(key), node_[key], fmt::format("{} is outside [{}, {}]", x, min, max));
    }
    out = static_cast<Int>(x);
    return {};
  }

  Status Bool(const std::string& key, bool& out) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    if (*v == "true" || *v == "yes" || *v == "on") {
      out = true;
    } else if (*v == "false" || *v == "no" || *v == "off") {
      out = false;
    } else {
      return Fail(Key(key), node_[key], fmt::format("'{}' is not true or false", *v));
    }
    return {};
  }

  Status Duration(const std::string& key, int64_t& seconds, int64_t min_s = 0) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    auto d = ParseDurationSeconds(*v);
    if (!d) return Fail(Key(key), node_[key], d.error().message);
    if (*d < min_s) {
      return Fail(Key(key), node_[key],
                  fmt::format("{} is shorter than the minimum {}s", *v, min_s));
    }
    seconds = *d;
    return {};
  }

  Status Size(const std::string& key, int64_t& bytes) {
    K2_ASSIGN_OR_RETURN(auto v, Scalar(key));
    if (!v) return {};
    auto b = ParseByteSize(*v);
    if (!b) return Fail(Key(key), node_[key], b.error().message);
    if (*b <= 0) return Fail(Key(key), node_[key], "must be positive");
    bytes = *b;
    return {};
  }

  Status StringList(const std::string& key, std::vector<std::string>& out) {
    seen_.insert(key);
    if (!node_ || !node_.IsMap()) return {};
    YAML::Node v = node_[key];
    if (!v || v.IsNull()) return {};
    out.clear();
    if (v.IsScalar()) {
      // "a, b" is accepted as a list too.
      K2_ASSIGN_OR_RETURN(std::string text, SubstituteEnv(v.Scalar(), Key(key), v));
      std::stringstream ss(text);
      std::string item;
      while (std::getline(ss, item, ',')) {
        size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
      }
      return {};
    }
    if (!v.IsSequence()) return Fail(Key(key), v, "expected a list");
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar())
        return Fail(fmt::format("{}[{}]", Key(key), i), v[i], "expected a value");
      K2_ASSIGN_OR_RETURN(std::string item,
                          SubstituteEnv(v[i].Scalar(), fmt::format("{}[{}]", Key(key), i), v[i]));
      if (!item.empty()) out.push_back(std::move(item));
    }
    return {};
  }

  /// A nested mapping (may be absent).
  MapReader Child(const std::string& key) {
    seen_.insert(key);
    YAML::Node v = (node_ && node_.IsMap()) ? node_[key] : YAML::Node();
    return MapReader(v, Key(key));
  }

  YAML::Node Raw(const std::string& key) {
    seen_.insert(key);
    return (node_ && node_.IsMap()) ? node_[key] : YAML::Node();
  }

  /// Errors on the first key that no reader asked for.
  Status CheckNoUnknownKeys() const {
    if (!node_ || !node_.IsMap()) return {};
    for (const auto& kv : node_) {
      std::string k = kv.first.Scalar();
      if (!seen_.count(k)) {
        std::string known;
        for (const auto& s : seen_) known += known.empty() ? s : ", " + s;
        return Fail(Key(k), kv.first, fmt::format("unknown key (known keys here: {})", known));
      }
    }
    return {};
  }

  const std::string& path() const { return path_; }

  static std::unexpected<Error> Fail(const std::string& key, const YAML::Node& at,
                                     const std::string& why) {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    if (line > 0) return MakeError(ErrorKind::kInvalidInput, "{} (line {}): {}", key, line, why);
    return MakeError(ErrorKind::kInvalidInput, "{}: {}", key, why);
  }

 private:
  std::string Key(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  static Result<std::string> SubstituteEnv(const std::string& in, const std::string& key,
                                           const YAML::Node& at) {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] == '$' && i + 1 < in.size() && in[i + 1] == '{') {
        size_t end = in.find('}', i + 2);
        if (end == std::string::npos) return Fail(key, at, "unterminated ${...}");
        std::string var = in.substr(i + 2, end - i - 2);
        std::string fallback;
        bool has_fallback = false;
        if (size_t colon = var.find(":-"); colon != std::string::npos) {
          fallback = var.substr(colon + 2);
          var = var.substr(0, colon);
          has_fallback = true;
        }
        const char* value = std::getenv(var.c_str());
        if (value) {
          out += value;
        } else if (has_fallback) {
          out += fallback;
        } else {
          return Fail(key, at, fmt::format("environment variable {} is not set", var));
        }
        i = end;
      } else {
        out.push_back(in[i]);
      }
    }
    return out;
  }

  YAML::Node node_;
  std::string path_;
  std::set<std::string> seen_;
};

}  // namespace k2
