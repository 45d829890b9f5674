// test_kv_diff.cpp — the EX13 differential test: seeded random sequences of SET/DEL entries
// (encoded, then applied through the raft_fsm), snapshots and restores, damaged entries and
// snapshots, and request lines (valid and damaged), applied to the submission and to the reference
// oracle; after each step the entry bytes, return codes, error replies, parsed fields and the whole
// map are compared.
#include "nl_diff.h"
#include "nl_test.h"
#include "oracle/raft_kv.h"
#include "raft_kv.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "ex13_tests.h"

namespace {
enum { NKEYS = 6, NVALUES = 5, NLINES = 14 };
// Keys: short ones, the 64-byte limit and one past it, and one with a space (refused by encode).
std::string key_of(int i)
{
    static const char *k[] = {"a", "b", "k:1", nullptr, nullptr, "a b"};
    if (i == 3) return std::string(64, 'k');
    if (i == 4) return std::string(65, 'k');
    return k[i];
}
std::string value_of(int i, int salt)
{
    switch (i) {
    case 0: return "";
    case 1: return "v" + std::to_string(salt);
    case 2: return "two words " + std::to_string(salt);
    case 3: return std::string(1024, (char)('a' + salt % 26));
    default: return std::string(1025, 'x');
    }
}
// Request line templates: each protocol form, its limits, and common mistakes.
std::string line_of(int i, int salt)
{
    switch (i) {
    case 0: return "SET a " + std::to_string(salt);
    case 1: return "GET a";
    case 2: return "DEL b";
    case 3: return "SET " + std::string(64, 'k') + " v";
    case 4: return "SET " + std::string(65, 'k') + " v";
    case 5: return "SET k " + std::string(1024, 'v');
    case 6: return "SET k " + std::string(1025, 'v');
    case 7: return "ADD " + std::to_string(salt % 5) + " 127.0.0.1:700" + std::to_string(salt % 10);
    case 8: return "REMOVE " + std::to_string(salt % 4);
    case 9: return "STATUS";
    case 10: return "SET k";
    case 11: return "GET a b";
    case 12: return "get a";
    default: return "SET a\tb v";
    }
}

enum op_kind { OP_SET, OP_DEL, OP_SNAPSHOT, OP_BAD_ENTRY, OP_BAD_SNAPSHOT, OP_PARSE, OP_KINDS };
enum damage { D_NONE, D_TRUNCATE, D_SET_BYTE, D_APPEND, D_KINDS };

struct diff_op {
    int kind, key, value, salt, line;
    int dmg, pos, byte;
};

struct side {
    int rc = 0;
    std::string bytes, err;
    kv_request req;
    kv_cmd cmd;
};

struct ctx {
    kv_store sub;
    oracle::kv_store ref;
    struct raft_fsm sub_fsm, ref_fsm;
    side rs, rr;
} X;

std::string damaged(std::string b, const diff_op *op)
{
    size_t p = b.empty() ? 0 : (size_t)op->pos % b.size();
    switch (op->dmg) {
    case D_TRUNCATE: b.resize(p); break;
    case D_SET_BYTE: if (!b.empty()) b[p] = (char)op->byte; break;
    case D_APPEND: b.push_back((char)op->byte); break;
    default: break;
    }
    return b;
}

std::string take(struct raft_buffer *b)
{
    std::string s((const char *)b->base, b->len);
    raft_free(b->base);
    return s;
}

// The oracle's encoding of the op's SET, the input of a damaged decode (same on both sides).
std::string ref_entry(const diff_op *op)
{
    oracle::kv_cmd c;
    c.key = key_of(op->key % 4);
    c.value = value_of(op->value % 4, op->salt);
    struct raft_buffer b;
    if (oracle::kv_cmd_encode(&c, &b) != 0) return "";
    return take(&b);
}

std::string ref_snapshot(void)
{
    struct raft_buffer b;
    if (oracle::kv_snapshot_encode(&X.ref, &b) != 0) return "";
    return take(&b);
}

void reset(void *)
{
    X.sub = kv_store();
    X.ref = oracle::kv_store();
    kv_fsm_init(&X.sub_fsm, &X.sub);
    oracle::kv_fsm_init(&X.ref_fsm, &X.ref);
}

void gen(void *, nl_rng *rng, void *o)
{
    diff_op *op = (diff_op *)o;
    static const int weights[OP_KINDS] = {34, 14, 10, 14, 10, 18};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->key = nl_rng_chance(rng, 0.15) ? (int)nl_rng_range(rng, 3, NKEYS - 1) : (int)nl_rng_below(rng, 3);
    op->value = nl_rng_chance(rng, 0.15) ? (int)nl_rng_range(rng, 3, NVALUES - 1) : (int)nl_rng_below(rng, 3);
    op->salt = (int)nl_rng_below(rng, 1000);
    op->line = (int)nl_rng_below(rng, NLINES);
    op->dmg = nl_rng_chance(rng, 0.3) ? D_NONE : (int)nl_rng_range(rng, 1, D_KINDS - 1);
    op->pos = (int)nl_rng_below(rng, 2048);
    op->byte = nl_rng_chance(rng, 0.5) ? (int)nl_rng_below(rng, 4) : (int)nl_rng_below(rng, 256);
    if (op->byte == 10)
        op->byte = 11;   // a request line never holds a newline: the node splits lines at it
}

void apply_sub(void *, const void *o)
{
    const diff_op *op = (const diff_op *)o;
    side &r = X.rs;
    r = side();
    switch (op->kind) {
    case OP_SET:
    case OP_DEL: {
        kv_cmd c;
        c.op = op->kind == OP_SET ? KV_SET : KV_DEL;
        c.key = key_of(op->key);
        if (op->kind == OP_SET) c.value = value_of(op->value, op->salt);
        struct raft_buffer b;
        r.rc = kv_cmd_encode(&c, &b);
        if (r.rc == 0) {
            void *res = nullptr;
            X.sub_fsm.apply(&X.sub_fsm, &b, &res);
            r.bytes = take(&b);
        }
        break;
    }
    case OP_SNAPSHOT: {
        struct raft_buffer *bufs = nullptr;
        unsigned n = 0;
        r.rc = X.sub_fsm.snapshot(&X.sub_fsm, &bufs, &n);
        if (r.rc == 0 && n == 1) {
            r.bytes = std::string((const char *)bufs[0].base, bufs[0].len);
            X.sub_fsm.restore(&X.sub_fsm, &bufs[0]);   // takes bufs[0].base
            raft_free(bufs);
        }
        break;
    }
    case OP_BAD_ENTRY: {
        std::string in = damaged(ref_entry(op), op);
        r.rc = kv_cmd_decode(in.data(), in.size(), &r.cmd);
        break;
    }
    case OP_BAD_SNAPSHOT: {
        std::string in = damaged(ref_snapshot(), op);
        r.rc = kv_snapshot_decode(in.data(), in.size(), &X.sub);
        break;
    }
    case OP_PARSE: {
        std::string line = damaged(line_of(op->line, op->salt), op);
        r.rc = kv_parse_request(line.data(), line.size(), &r.req, &r.err);
        break;
    }
    }
}

void apply_oracle(void *, const void *o)
{
    const diff_op *op = (const diff_op *)o;
    side &r = X.rr;
    r = side();
    switch (op->kind) {
    case OP_SET:
    case OP_DEL: {
        oracle::kv_cmd c;
        c.op = op->kind == OP_SET ? oracle::KV_SET : oracle::KV_DEL;
        c.key = key_of(op->key);
        if (op->kind == OP_SET) c.value = value_of(op->value, op->salt);
        struct raft_buffer b;
        r.rc = oracle::kv_cmd_encode(&c, &b);
        if (r.rc == 0) {
            void *res = nullptr;
            X.ref_fsm.apply(&X.ref_fsm, &b, &res);
            r.bytes = take(&b);
        }
        break;
    }
    case OP_SNAPSHOT: {
        struct raft_buffer *bufs = nullptr;
        unsigned n = 0;
        r.rc = X.ref_fsm.snapshot(&X.ref_fsm, &bufs, &n);
        if (r.rc == 0 && n == 1) {
            r.bytes = std::string((const char *)bufs[0].base, bufs[0].len);
            X.ref_fsm.restore(&X.ref_fsm, &bufs[0]);
            raft_free(bufs);
        }
        break;
    }
    case OP_BAD_ENTRY: {
        std::string in = damaged(ref_entry(op), op);
        oracle::kv_cmd c;
        r.rc = oracle::kv_cmd_decode(in.data(), in.size(), &c);
        r.cmd.op = (kv_op)c.op;
        r.cmd.key = c.key;
        r.cmd.value = c.value;
        break;
    }
    case OP_BAD_SNAPSHOT: {
        std::string in = damaged(ref_snapshot(), op);
        r.rc = oracle::kv_snapshot_decode(in.data(), in.size(), &X.ref);
        break;
    }
    case OP_PARSE: {
        std::string line = damaged(line_of(op->line, op->salt), op);
        oracle::kv_request q;
        r.rc = oracle::kv_parse_request(line.data(), line.size(), &q, &r.err);
        r.req.type = (kv_req_type)q.type;
        r.req.key = q.key;
        r.req.value = q.value;
        r.req.id = q.id;
        r.req.address = q.address;
        break;
    }
    }
}

std::string hexs(const std::string &s)
{
    std::string o;
    char b[4];
    for (size_t i = 0; i < s.size() && i < 24; i++) {
        snprintf(b, sizeof b, "%02x", (unsigned char)s[i]);
        o += b;
    }
    return s.size() > 24 ? o + "..." : o;
}

bool compare(void *, const void *o, char *diff, size_t cap)
{
    const diff_op *op = (const diff_op *)o;
    const side &s = X.rs, &r = X.rr;
    if (s.rc != r.rc) return snprintf(diff, cap, "return code: submission %d, reference %d", s.rc, r.rc), false;
    if (s.bytes != r.bytes)
        return snprintf(diff, cap, "bytes: submission %s (%zu), reference %s (%zu)", hexs(s.bytes).c_str(),
                        s.bytes.size(), hexs(r.bytes).c_str(), r.bytes.size()), false;
    if (op->kind == OP_PARSE) {
        if (s.rc != 0 && s.err != r.err)
            return snprintf(diff, cap, "error reply: submission \"%s\", reference \"%s\"", s.err.c_str(), r.err.c_str()), false;
        if (s.rc == 0 && (s.req.type != r.req.type || s.req.key != r.req.key || s.req.value != r.req.value ||
                          s.req.id != r.req.id || s.req.address != r.req.address))
            return snprintf(diff, cap, "parsed request: submission type %d key '%.20s' value '%.20s' id %llu, reference "
                            "type %d key '%.20s' value '%.20s' id %llu", s.req.type, s.req.key.c_str(), s.req.value.c_str(),
                            (unsigned long long)s.req.id, r.req.type, r.req.key.c_str(), r.req.value.c_str(),
                            (unsigned long long)r.req.id), false;
    }
    if (op->kind == OP_BAD_ENTRY && s.rc == 0 && (s.cmd.op != r.cmd.op || s.cmd.key != r.cmd.key || s.cmd.value != r.cmd.value))
        return snprintf(diff, cap, "decoded command: submission op %d key '%.20s', reference op %d key '%.20s'", s.cmd.op,
                        s.cmd.key.c_str(), r.cmd.op, r.cmd.key.c_str()), false;
    if (X.sub.data != X.ref.data) {
        std::string a, b;
        for (const auto &kv : X.sub.data) a += kv.first.substr(0, 8) + "=" + kv.second.substr(0, 8) + " ";
        for (const auto &kv : X.ref.data) b += kv.first.substr(0, 8) + "=" + kv.second.substr(0, 8) + " ";
        return snprintf(diff, cap, "map: submission {%s}, reference {%s}", a.c_str(), b.c_str()), false;
    }
    return true;
}

void print(void *, const void *o, char *out, size_t cap)
{
    const diff_op *op = (const diff_op *)o;
    static const char *dn[] = {"", " truncated at", " byte set at", " byte appended"};
    std::string k = key_of(op->key), v = value_of(op->value, op->salt);
    std::string ks = k.size() > 8 ? "<" + std::to_string(k.size()) + " bytes>" : "'" + k + "'";
    std::string vs = v.size() > 12 ? "<" + std::to_string(v.size()) + " bytes>" : "'" + v + "'";
    std::string d = op->dmg ? std::string(dn[op->dmg]) + " " + std::to_string(op->pos) + " (" + std::to_string(op->byte) + ")" : "";
    switch (op->kind) {
    case OP_SET: snprintf(out, cap, "encode+apply SET %s %s", ks.c_str(), vs.c_str()); break;
    case OP_DEL: snprintf(out, cap, "encode+apply DEL %s", ks.c_str()); break;
    case OP_SNAPSHOT: snprintf(out, cap, "snapshot, then restore it"); break;
    case OP_BAD_ENTRY: snprintf(out, cap, "decode the entry of SET %s%s", key_of(op->key % 4).substr(0, 8).c_str(), d.c_str()); break;
    case OP_BAD_SNAPSHOT: snprintf(out, cap, "decode the reference's snapshot%s into the store", d.c_str()); break;
    default: snprintf(out, cap, "parse \"%.30s\"%s", line_of(op->line, op->salt).c_str(), d.c_str()); break;
    }
}
} // namespace

void test_differential_fsm_and_protocol(void **)
{
    static const nl_diff_ops ops = {sizeof(diff_op), nullptr, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 40});
}
