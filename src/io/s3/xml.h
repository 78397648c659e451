#pragma once
/// A small XML reader for S3 responses (ListObjectsV2, errors, multipart
/// results): elements, text, entities and CDATA; attributes, namespaces
/// prefixes and processing instructions are skipped. Not a general parser:
/// no DTDs, no external entities (nothing is ever fetched).

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k2::s3 {

/// One element: its local name (prefix stripped), its text (concatenated,
/// entities decoded) and its child elements in document order.
struct XmlElement {
  std::string name;
  std::string text;
  std::vector<XmlElement> children;

  /// The first child named `name`, or nullptr.
  const XmlElement* Child(std::string_view name) const;
  /// The text of the first child named `name`, or "" if there is none.
  std::string ChildText(std::string_view name) const;
  /// Every child named `name`.
  std::vector<const XmlElement*> Children(std::string_view name) const;
};

/// Parses a document into its root element. kCorrupt names the byte offset of
/// the first problem (unclosed or mismatched tag, bad entity, no root).
Result<XmlElement> ParseXml(std::string_view text);

/// Escapes &, <, >, " and ' for element text.
std::string XmlEscape(std::string_view text);

}  // namespace k2::s3
