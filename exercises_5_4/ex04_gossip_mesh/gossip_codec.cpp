// gossip_codec.cpp — EX04's wire format: one compact JSON object per datagram, e.g.
// {"type":"ping","seq":7,"from":"n1","updates":[{"id":"n3","state":"suspect","inc":2}]}
// Decoding is strict, because datagrams come from the network: anything malformed is refused.
#include "gossip_mesh.h"

#include "nl_json.h"

#include <cstring>

static const char *type_names[] = {"ping", "ack", "ping_req", "gossip", "sync", "sync_request"};
static const char *state_names[] = {"alive", "suspect", "dead", "left"};

std::string gm_encode(const gm_message *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type_names[m->type]));
    json_object_set_new(o, "seq", json_integer((json_int_t)m->seq));
    json_object_set_new(o, "from", json_string(m->from.c_str()));
    if (!m->target.empty()) json_object_set_new(o, "target", json_string(m->target.c_str()));
    json_t *ups = json_array();
    for (const gm_update &u : m->updates) {
        json_t *j = json_object();
        json_object_set_new(j, "id", json_string(u.id.c_str()));
        json_object_set_new(j, "state", json_string(state_names[u.state <= GM_LEFT ? u.state : GM_DEAD]));
        json_object_set_new(j, "inc", json_integer((json_int_t)u.incarnation));
        if (!u.address.empty()) json_object_set_new(j, "addr", json_string(u.address.c_str()));
        if (u.has_metadata) {
            json_t *meta = json_object();
            for (auto &[k, v] : u.metadata) json_object_set_new(meta, k.c_str(), json_string(v.c_str()));
            json_object_set_new(j, "meta", meta);
        }
        json_array_append_new(ups, j);
    }
    json_object_set_new(o, "updates", ups);
    std::string line = nl_json_line(o);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
}

static int name_index(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) return i;
    return -1;
}

static bool fail(std::string *err, const std::string &why)
{
    if (err) *err = why;
    return false;
}

static bool get_u64(json_t *o, const char *key, bool required, uint64_t *out, std::string *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = 0;
        return !required || fail(err, std::string("missing field '") + key + "'");
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(err, std::string("field '") + key + "' must be a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static bool get_str(json_t *o, const char *key, bool required, std::string *out, std::string *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        out->clear();
        return !required || fail(err, std::string("missing field '") + key + "'");
    }
    if (!json_is_string(v)) return fail(err, std::string("field '") + key + "' must be a string");
    *out = json_string_value(v);
    return true;
}

static bool decode_update(json_t *j, gm_update *u, std::string *err)
{
    if (!json_is_object(j)) return fail(err, "an update must be an object");
    std::string state;
    if (!get_str(j, "id", true, &u->id, err) || !get_str(j, "state", true, &state, err) ||
        !get_u64(j, "inc", true, &u->incarnation, err) || !get_str(j, "addr", false, &u->address, err))
        return false;
    if (u->id.empty()) return fail(err, "an update needs a non-empty id");
    int s = name_index(state.c_str(), state_names, 4);
    if (s < 0) return fail(err, "unknown member state '" + state + "'");
    u->state = (gm_state)s;
    json_t *meta = json_object_get(j, "meta");
    u->has_metadata = meta != nullptr;
    u->metadata.clear();
    if (meta) {
        if (!json_is_object(meta)) return fail(err, "field 'meta' must be an object");
        const char *k;
        json_t *v;
        json_object_foreach(meta, k, v) {
            if (!json_is_string(v)) return fail(err, std::string("metadata '") + k + "' must be a string");
            u->metadata[k] = json_string_value(v);
        }
    }
    return true;
}

bool gm_decode(const char *data, size_t len, gm_message *out, std::string *err)
{
    std::string e;
    json_t *o = nl_json_parse_object(data, len, &e);
    if (!o) return fail(err, e);
    gm_message m{};
    std::string type;
    bool ok = get_str(o, "type", true, &type, err) && get_u64(o, "seq", false, &m.seq, err) &&
              get_str(o, "from", true, &m.from, err) && get_str(o, "target", false, &m.target, err);
    int t = ok ? name_index(type.c_str(), type_names, 6) : 0;
    if (ok && t < 0) ok = fail(err, "unknown message type '" + type + "'");
    if (ok && m.from.empty()) ok = fail(err, "field 'from' must not be empty");
    if (ok) {
        m.type = (gm_msg_type)t;
        if (m.type == GM_PING_REQ && m.target.empty()) ok = fail(err, "ping_req needs a 'target'");
    }
    json_t *ups = ok ? json_object_get(o, "updates") : nullptr;
    if (ok && ups && !json_is_array(ups)) ok = fail(err, "field 'updates' must be an array");
    if (ok && ups) {
        size_t i;
        json_t *j;
        json_array_foreach(ups, i, j) {
            gm_update u;
            if (!(ok = decode_update(j, &u, err))) break;
            m.updates.push_back(u);
        }
    }
    json_decref(o);
    if (ok) *out = m;
    return ok;
}
