#include "io/s3/xml.h"

#include <cstdlib>

#include "common/strings.h"

namespace k2::s3 {

const XmlElement* XmlElement::Child(std::string_view child) const {
  for (const XmlElement& c : children) {
    if (c.name == child) return &c;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child) const {
  const XmlElement* c = Child(child);
  return c == nullptr ? std::string() : c->text;
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view child) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children) {
    if (c.name == child) out.push_back(&c);
  }
  return out;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<XmlElement> Document() {
    K2_RETURN_IF_ERROR(SkipMisc());
    if (pos_ >= s_.size() || s_[pos_] != '<') return Fail("no root element");
    XmlElement root;
    K2_RETURN_IF_ERROR(Element(root, 0));
    K2_RETURN_IF_ERROR(SkipMisc());
    if (pos_ != s_.size()) return Fail("content after the root element");
    return root;
  }

 private:
  static constexpr int kMaxDepth = 64;

  std::unexpected<Error> Fail(std::string_view what) const {
    return MakeError(ErrorKind::kCorrupt, "XML: {} at byte {}", what, pos_);
  }

  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

  /// Skips whitespace, comments, <?...?> and <!DOCTYPE ...> between elements.
  Status SkipMisc() {
    while (pos_ < s_.size()) {
      if (IsSpace(s_[pos_])) {
        ++pos_;
      } else if (s_.substr(pos_).starts_with("<?")) {
        K2_RETURN_IF_ERROR(SkipPast("?>"));
      } else if (s_.substr(pos_).starts_with("<!--")) {
        K2_RETURN_IF_ERROR(SkipPast("-->"));
      } else if (s_.substr(pos_).starts_with("<!")) {
        K2_RETURN_IF_ERROR(SkipPast(">"));
      } else {
        break;
      }
    }
    return {};
  }

  Status SkipPast(std::string_view end) {
    size_t e = s_.find(end, pos_);
    if (e == std::string_view::npos)
      return Fail(fmt::format("unterminated construct (no '{}')", end));
    pos_ = e + end.size();
    return {};
  }

  Result<std::string> Name() {
    size_t start = pos_;
    while (pos_ < s_.size() && !IsSpace(s_[pos_]) && s_[pos_] != '>' && s_[pos_] != '/' &&
           s_[pos_] != '=') {
      ++pos_;
    }
    if (pos_ == start) return Fail("empty tag name");
    std::string_view name = s_.substr(start, pos_ - start);
    if (size_t colon = name.find(':'); colon != std::string_view::npos)
      name.remove_prefix(colon + 1);
    return std::string(name);
  }

  /// Parses <name attrs...> ... </name> at pos_ into `out`.
  Status Element(XmlElement& out, int depth) {
    if (depth > kMaxDepth) return Fail("elements nested too deep");
    ++pos_;  // '<'
    K2_ASSIGN_OR_RETURN(out.name, Name());
    // Attributes: skipped, honouring quotes.
    while (pos_ < s_.size() && s_[pos_] != '>' &&
           !(s_[pos_] == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '>')) {
      char c = s_[pos_];
      if (c == '"' || c == '\'') {
        size_t e = s_.find(c, pos_ + 1);
        if (e == std::string_view::npos) return Fail("unterminated attribute value");
        pos_ = e + 1;
      } else {
        ++pos_;
      }
    }
    if (pos_ >= s_.size()) return Fail(fmt::format("unterminated tag <{}>", out.name));
    if (s_[pos_] == '/') {
      pos_ += 2;
      return {};
    }
    ++pos_;  // '>'
    while (true) {
      if (pos_ >= s_.size()) return Fail(fmt::format("element <{}> is not closed", out.name));
      if (s_[pos_] != '<') {
        size_t e = s_.find('<', pos_);
        if (e == std::string_view::npos) e = s_.size();
        K2_RETURN_IF_ERROR(AppendText(s_.substr(pos_, e - pos_), out.text));
        pos_ = e;
        continue;
      }
      std::string_view rest = s_.substr(pos_);
      if (rest.starts_with("</")) {
        pos_ += 2;
        K2_ASSIGN_OR_RETURN(std::string name, Name());
        while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
        if (pos_ >= s_.size() || s_[pos_] != '>') return Fail("malformed closing tag");
        if (name != out.name) {
          return Fail(fmt::format("closing tag </{}> does not match <{}>", name, out.name));
        }
        ++pos_;
        return {};
      }
      if (rest.starts_with("<![CDATA[")) {
        size_t e = s_.find("]]>", pos_ + 9);
        if (e == std::string_view::npos) return Fail("unterminated CDATA");
        out.text.append(s_.substr(pos_ + 9, e - pos_ - 9));
        pos_ = e + 3;
        continue;
      }
      if (rest.starts_with("<!--")) {
        K2_RETURN_IF_ERROR(SkipPast("-->"));
        continue;
      }
      if (rest.starts_with("<?")) {
        K2_RETURN_IF_ERROR(SkipPast("?>"));
        continue;
      }
      out.children.emplace_back();
      K2_RETURN_IF_ERROR(Element(out.children.back(), depth + 1));
    }
  }

  Status AppendText(std::string_view raw, std::string& out) {
    size_t i = 0;
    while (i < raw.size()) {
      if (raw[i] != '&') {
        out.push_back(raw[i++]);
        continue;
      }
      size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos || semi - i > 12) return Fail("unterminated entity");
      std::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "lt") {
        out.push_back('<');
      } else if (ent == "gt") {
        out.push_back('>');
      } else if (ent == "amp") {
        out.push_back('&');
      } else if (ent == "quot") {
        out.push_back('"');
      } else if (ent == "apos") {
        out.push_back('\'');
      } else if (ent.starts_with("#")) {
        std::string digits(ent.substr(1));
        int base = 10;
        if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
          base = 16;
          digits.erase(0, 1);
        }
        char* end = nullptr;
        unsigned long cp = std::strtoul(digits.c_str(), &end, base);
        if (digits.empty() || *end != '\0' || cp > 0x10FFFF) return Fail("bad character reference");
        AppendUtf8(static_cast<uint32_t>(cp), out);
      } else {
        return Fail(fmt::format("unknown entity &{};", ent));
      }
      i = semi + 1;
    }
    return {};
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<XmlElement> ParseXml(std::string_view text) {
  return Parser(text).Document();
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace k2::s3
