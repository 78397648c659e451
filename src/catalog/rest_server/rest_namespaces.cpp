// The REST catalog server's namespace routes: list, create, load/exists,
// drop, update properties.
#include "catalog/rest_server/rest_catalog_server.h"

#include <set>

#include "catalog/rest_server/rest_server_protocol.h"

namespace k2::rest {

RestResponse RestCatalogServer::ListNamespaces(const RestRequest& req) {
  Namespace parent;
  if (std::string p = req.Query("parent"); !p.empty()) {
    auto parsed = ParseNamespaceParam(PercentEncode(p));
    if (!parsed) return FromError(parsed.error());
    parent = std::move(*parsed);
    auto props = catalog_.LoadNamespaceProperties(parent);
    if (!props) return FromError(props.error(), Subject::kNamespace);
  }
  auto list = catalog_.ListNamespaces(parent);
  if (!list) return FromError(list.error(), Subject::kNamespace);
  std::sort(list->begin(), list->end());
  std::vector<std::string> keys;
  for (const Namespace& ns : *list) keys.push_back(NamespaceToString(ns));
  std::string next;
  auto page = Page(req, keys, next);
  if (!page) return FromError(page.error());
  Json out = Json::array();
  for (size_t i = page->first; i < page->second; ++i) out.push_back((*list)[i]);
  Json body = {{"namespaces", out}};
  if (!next.empty()) body["next-page-token"] = next;
  return JsonResponse(200, body);
}

RestResponse RestCatalogServer::CreateNamespace(const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  if (!body->contains("namespace")) return BadRequest("missing 'namespace'");
  auto ns = ParseNamespaceJson((*body)["namespace"]);
  if (!ns) return FromError(ns.error());
  std::map<std::string, std::string> props;
  if (body->contains("properties") && !(*body)["properties"].is_null()) {
    if (!(*body)["properties"].is_object()) return BadRequest("properties must be an object");
    for (const auto& [k, v] : (*body)["properties"].items()) {
      if (!v.is_string()) return BadRequest("property values must be strings");
      props[k] = v.get<std::string>();
    }
  }
  if (auto st = catalog_.CreateNamespace(*ns, props); !st) {
    return FromError(st.error(), Subject::kNamespace);
  }
  return JsonResponse(200, {{"namespace", *ns}, {"properties", props}});
}

RestResponse RestCatalogServer::LoadNamespace(const Namespace& ns, bool head) {
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  if (head) return NoContent();
  return JsonResponse(200, {{"namespace", ns}, {"properties", *props}});
}

RestResponse RestCatalogServer::DropNamespace(const Namespace& ns) {
  auto props = catalog_.LoadNamespaceProperties(ns);
  if (!props) return FromError(props.error(), Subject::kNamespace);
  auto tables = catalog_.ListTables(ns);
  if (!tables) return FromError(tables.error(), Subject::kNamespace);
  auto children = catalog_.ListNamespaces(ns);
  if (!children) return FromError(children.error(), Subject::kNamespace);
  if (!tables->empty() || !children->empty()) {
    return ErrorResponse(409, "NamespaceNotEmptyException",
                         fmt::format("namespace '{}' is not empty", NamespaceToString(ns)));
  }
  if (auto st = catalog_.DropNamespace(ns); !st) return FromError(st.error(), Subject::kNamespace);
  return NoContent();
}

RestResponse RestCatalogServer::UpdateNamespaceProperties(const Namespace& ns,
                                                          const RestRequest& req) {
  auto body = ParseBody(req);
  if (!body) return FromError(body.error());
  std::map<std::string, std::string> set;
  std::vector<std::string> remove;
  if (body->contains("updates") && !(*body)["updates"].is_null()) {
    if (!(*body)["updates"].is_object()) return BadRequest("updates must be an object");
    for (const auto& [k, v] : (*body)["updates"].items()) {
      if (!v.is_string()) return BadRequest("property values must be strings");
      set[k] = v.get<std::string>();
    }
  }
  if (body->contains("removals") && !(*body)["removals"].is_null()) {
    if (!(*body)["removals"].is_array()) return BadRequest("removals must be a list");
    for (const Json& k : (*body)["removals"]) {
      if (!k.is_string()) return BadRequest("removals must be strings");
      if (set.count(k.get<std::string>())) {
        return ErrorResponse(422, "UnprocessableEntityException",
                             fmt::format("key '{}' is both set and removed", k.get<std::string>()));
      }
      remove.push_back(k.get<std::string>());
    }
  }
  auto before = catalog_.LoadNamespaceProperties(ns);
  if (!before) return FromError(before.error(), Subject::kNamespace);
  if (auto st = catalog_.UpdateNamespaceProperties(ns, set, remove); !st) {
    return FromError(st.error(), Subject::kNamespace);
  }
  Json updated = Json::array(), removed = Json::array(), missing = Json::array();
  for (const auto& [k, v] : set) updated.push_back(k);
  for (const auto& k : remove) (before->count(k) ? removed : missing).push_back(k);
  Json out = {{"updated", updated}, {"removed", removed}};
  if (!missing.empty()) out["missing"] = missing;
  return JsonResponse(200, out);
}

}  // namespace k2::rest
