// nl_json.cpp — the messages are phrased for the protocol's error replies.
#include "nl_json.h"

#include <cstdlib>

json_t *nl_json_parse_object(const char *text, size_t len, std::string *err)
{
    json_error_t jerr;
    // JSON_DECODE_ANY: "42" or "[1]" is valid JSON that is not an object, and is told so.
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!v) {
        *err = std::string("invalid JSON: ") + jerr.text;
        return nullptr;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        *err = "expected a JSON object";
        return nullptr;
    }
    return v;
}

const char *nl_json_get_string(json_t *obj, const char *key, std::string *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        *err = std::string("missing field '") + key + "'";
        return nullptr;
    }
    if (!json_is_string(v)) {
        *err = std::string("field '") + key + "' must be a string";
        return nullptr;
    }
    return json_string_value(v);
}

int nl_json_get_int(json_t *obj, const char *key, long long *out, std::string *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return 0;
    if (!json_is_integer(v)) {
        *err = std::string("field '") + key + "' must be an integer";
        return -1;
    }
    *out = json_integer_value(v);
    return 1;
}

std::string nl_json_line(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    std::string line = s ? s : "{}";
    free(s);
    line.push_back('\n');
    return line;
}
