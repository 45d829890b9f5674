// nl_json.h — jansson helpers for line-delimited JSON protocols: parse one line into an object,
// read typed fields with an error a client can understand, serialise a reply as one line.
#pragma once
#include <jansson.h>
#include <string>

// Parses text as a JSON object. Returns a new reference, or NULL with a message in *err
// ("invalid JSON: ..." or "expected a JSON object").
json_t *nl_json_parse_object(const char *text, size_t len, std::string *err);

// Required string field: returns its value, or NULL with *err = "missing field 'key'" or
// "field 'key' must be a string".
const char *nl_json_get_string(json_t *obj, const char *key, std::string *err);

// Optional integer field: returns 1 and sets *out if present and an integer, 0 if absent,
// -1 with *err if present with another type.
int nl_json_get_int(json_t *obj, const char *key, long long *out, std::string *err);

// Compact single-line serialisation followed by '\n'. Steals the reference (json_decref).
std::string nl_json_line(json_t *obj);
