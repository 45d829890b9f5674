// kv_proto.cpp — EX13 reference: parsing of the client's request lines (README "Client protocol").
// The node answers every refused line with the error text built here, so it is part of the protocol.
#include "raft_kv.h"

#include <cstring>

static const char *usage_of(const std::string &verb)
{
    if (verb == "SET")
        return "ERR usage: SET <key> <value>";
    if (verb == "GET")
        return "ERR usage: GET <key>";
    if (verb == "DEL")
        return "ERR usage: DEL <key>";
    if (verb == "ADD")
        return "ERR usage: ADD <id> <host:port>";
    if (verb == "REMOVE")
        return "ERR usage: REMOVE <id>";
    return "ERR usage: STATUS";
}

static bool parse_id(const std::string &s, uint64_t *id)
{
    if (s.empty() || s.size() > 19)
        return false;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (v == 0)
        return false;
    *id = v;
    return true;
}

// A key word: ends at the next space (or the end of the line); tabs and CR inside are refused later.
static bool check_key(const std::string &key, const std::string &verb, std::string *err)
{
    if (key.empty()) {
        *err = usage_of(verb);
        return false;
    }
    if (key.size() > KV_MAX_KEY) {
        *err = "ERR key too long (max 64 bytes)";
        return false;
    }
    if (key.find_first_of("\t\r\n") != std::string::npos) {
        *err = "ERR bad key";
        return false;
    }
    return true;
}

int kv_parse_request(const char *line, size_t len, kv_request *req, std::string *err)
{
    std::string s(line, len);
    if (!s.empty() && s.back() == '\r')
        s.pop_back();
    size_t sp = s.find(' ');
    std::string verb = s.substr(0, sp);
    std::string rest = sp == std::string::npos ? std::string() : s.substr(sp + 1);
    bool has_rest = sp != std::string::npos;
    kv_request r;
    if (verb == "SET") {
        size_t sp2 = rest.find(' ');
        if (!has_rest || sp2 == std::string::npos) {
            *err = usage_of(verb);
            return -1;
        }
        r.type = KV_REQ_SET;
        r.key = rest.substr(0, sp2);
        r.value = rest.substr(sp2 + 1);
        if (!check_key(r.key, verb, err))
            return -1;
        if (r.value.size() > KV_MAX_VALUE) {
            *err = "ERR value too long (max 1024 bytes)";
            return -1;
        }
    } else if (verb == "GET" || verb == "DEL") {
        if (!has_rest || rest.find(' ') != std::string::npos) {
            *err = usage_of(verb);
            return -1;
        }
        r.type = verb == "GET" ? KV_REQ_GET : KV_REQ_DEL;
        r.key = rest;
        if (!check_key(r.key, verb, err))
            return -1;
    } else if (verb == "ADD") {
        size_t sp2 = rest.find(' ');
        if (!has_rest || sp2 == std::string::npos || rest.find(' ', sp2 + 1) != std::string::npos ||
            sp2 + 1 == rest.size()) {
            *err = usage_of(verb);
            return -1;
        }
        r.type = KV_REQ_ADD;
        if (!parse_id(rest.substr(0, sp2), &r.id)) {
            *err = "ERR bad id";
            return -1;
        }
        r.address = rest.substr(sp2 + 1);
    } else if (verb == "REMOVE") {
        if (!has_rest || rest.find(' ') != std::string::npos) {
            *err = usage_of(verb);
            return -1;
        }
        r.type = KV_REQ_REMOVE;
        if (!parse_id(rest, &r.id)) {
            *err = "ERR bad id";
            return -1;
        }
    } else if (verb == "STATUS") {
        if (has_rest) {
            *err = usage_of(verb);
            return -1;
        }
        r.type = KV_REQ_STATUS;
    } else {
        *err = "ERR unknown command";
        return -1;
    }
    *req = r;
    return 0;
}

const char *raft_kv_state_name(int state)
{
    switch (state) {
    case RAFT_UNAVAILABLE: return "unavailable";
    case RAFT_FOLLOWER: return "follower";
    case RAFT_CANDIDATE: return "candidate";
    case RAFT_LEADER: return "leader";
    default: return "unknown";
    }
}
