#pragma once

// How each family is served: one row per view of a host's snapshot. The REST routes
// /api/v1/hosts/{host}/NAME, the live topics hosts/{host}/NAME, and the OpenAPI schemas of
// their bodies are all made from these rows. A view follows one shared part of the snapshot
// (`identity`): when that pointer changes, the family was collected again and frames are
// rendered anew.
//
// Adding a family: its parser and the Collector's part (collectors/), a row in the
// collectors' family table (name, default interval), its JSON writer (snapshot_json.cpp),
// and a row here.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hyperion/collectors/snapshot.hpp"
#include "hyperion/web/json_writer.hpp"

namespace hyperion::web {

struct FamilyView {
  std::string_view name;     // path segment and topic: "cpu", "load", "system"
  std::string_view key;      // the REST body's key: {"host", "timestamp_ms", KEY: ...}
  std::string_view summary;  // the route's summary (OpenAPI, docs)
  collectors::Family family; // the collected family it follows
  // The shared part it is rendered from; null while that family has not been collected.
  const void* (*identity)(const collectors::Snapshot&);
  // Writes the view's object (only called when identity() is not null).
  void (*write)(JsonWriter&, const collectors::Snapshot&);
  // False: the API registers a route of its own for it (query filters: processes, sockets).
  bool table_route = true;
  bool live = true;
  // Its body's JSON Schema in short form: "name:type ..." with type one of string, integer,
  // number, boolean, object, array; a trailing '?' allows null; "array:ITEM" names an item
  // schema from item_schema.
  std::string_view schema;
  std::string_view item_name;    // the component name of the items ("Process"); empty: none
  std::string_view item_schema;  // in the same short form
};

// Every view, in the order of the API documentation.
std::span<const FamilyView> family_views() noexcept;
const FamilyView* find_family_view(std::string_view name) noexcept;

// A short-form schema as a JSON Schema object ("$ref" to items under #/components/schemas/).
void write_json_schema(JsonWriter& w, std::string_view short_form, std::string_view item_name);

// The problems of a JSON value against a short-form schema: a listed field missing or of
// another type, or a field the schema does not list. Empty when it conforms. For the tests
// that keep the table true to the writers.
std::string schema_mismatch(std::string_view json, std::string_view short_form);

}  // namespace hyperion::web
