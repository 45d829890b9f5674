// kv_fsm.cpp — EX13 reference: the KV state machine libraft drives (log entry codec, apply,
// snapshot, restore). Everything here is deterministic: every node applies the same entries in the
// same order and must end with the same map.
#include "raft_kv.h"

#include <cstring>

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool key_ok(const std::string &k)
{
    if (k.empty() || k.size() > KV_MAX_KEY)
        return false;
    for (char c : k)
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            return false;
    return true;
}

int kv_cmd_encode(const kv_cmd *cmd, struct raft_buffer *out)
{
    if ((cmd->op != KV_SET && cmd->op != KV_DEL) || !key_ok(cmd->key) || cmd->value.size() > KV_MAX_VALUE ||
        (cmd->op == KV_DEL && !cmd->value.empty()))
        return RAFT_INVALID;
    size_t body = 8 + cmd->key.size() + cmd->value.size();
    size_t len = (body + 7) / 8 * 8;
    uint8_t *p = (uint8_t *)raft_malloc(len);
    if (!p)
        return RAFT_NOMEM;
    memset(p, 0, len);
    p[0] = cmd->op;
    put_le(p + 2, cmd->key.size(), 2);
    put_le(p + 4, cmd->value.size(), 4);
    memcpy(p + 8, cmd->key.data(), cmd->key.size());
    memcpy(p + 8 + cmd->key.size(), cmd->value.data(), cmd->value.size());
    out->base = p;
    out->len = len;
    return 0;
}

int kv_cmd_decode(const void *data, size_t len, kv_cmd *cmd)
{
    const uint8_t *p = (const uint8_t *)data;
    if (len < 8 || (p[0] != KV_SET && p[0] != KV_DEL) || p[1] != 0)
        return RAFT_MALFORMED;
    size_t klen = get_le(p + 2, 2), vlen = get_le(p + 4, 4);
    if (klen == 0 || klen > KV_MAX_KEY || vlen > KV_MAX_VALUE || (p[0] == KV_DEL && vlen != 0))
        return RAFT_MALFORMED;
    size_t body = 8 + klen + vlen;
    if (body > len || len - body >= 8)
        return RAFT_MALFORMED;
    for (size_t i = body; i < len; i++)
        if (p[i] != 0)
            return RAFT_MALFORMED;
    std::string key((const char *)p + 8, klen);
    if (!key_ok(key))
        return RAFT_MALFORMED;
    cmd->op = (kv_op)p[0];
    cmd->key = key;
    cmd->value.assign((const char *)p + 8 + klen, vlen);
    return 0;
}

void kv_store_apply(kv_store *st, const kv_cmd *cmd)
{
    if (cmd->op == KV_SET)
        st->data[cmd->key] = cmd->value;
    else
        st->data.erase(cmd->key);
    st->applied++;
}

bool kv_store_get(const kv_store *st, const std::string &key, std::string *value)
{
    auto it = st->data.find(key);
    if (it == st->data.end())
        return false;
    *value = it->second;
    return true;
}

int kv_snapshot_encode(const kv_store *st, struct raft_buffer *out)
{
    size_t len = 8;
    for (const auto &kv : st->data)
        len += 8 + kv.first.size() + kv.second.size();
    uint8_t *p = (uint8_t *)raft_malloc(len);
    if (!p)
        return RAFT_NOMEM;
    memcpy(p, "KVS1", 4);
    put_le(p + 4, st->data.size(), 4);
    size_t off = 8;
    for (const auto &kv : st->data) {
        put_le(p + off, kv.first.size(), 4);
        put_le(p + off + 4, kv.second.size(), 4);
        memcpy(p + off + 8, kv.first.data(), kv.first.size());
        memcpy(p + off + 8 + kv.first.size(), kv.second.data(), kv.second.size());
        off += 8 + kv.first.size() + kv.second.size();
    }
    out->base = p;
    out->len = len;
    return 0;
}

int kv_snapshot_decode(const void *data, size_t len, kv_store *st)
{
    const uint8_t *p = (const uint8_t *)data;
    if (len < 8 || memcmp(p, "KVS1", 4) != 0)
        return RAFT_MALFORMED;
    uint64_t count = get_le(p + 4, 4);
    std::map<std::string, std::string> m;
    size_t off = 8;
    for (uint64_t i = 0; i < count; i++) {
        if (len - off < 8)
            return RAFT_MALFORMED;
        size_t klen = get_le(p + off, 4), vlen = get_le(p + off + 4, 4);
        if (klen > len - off - 8 || vlen > len - off - 8 - klen)
            return RAFT_MALFORMED;
        std::string key((const char *)p + off + 8, klen);
        if (!key_ok(key) || vlen > KV_MAX_VALUE || m.count(key))
            return RAFT_MALFORMED;
        m[key].assign((const char *)p + off + 8 + klen, vlen);
        off += 8 + klen + vlen;
    }
    if (off != len)
        return RAFT_MALFORMED;
    st->data.swap(m);
    return 0;
}

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    kv_store *st = (kv_store *)fsm->data;
    kv_cmd cmd;
    *result = nullptr;
    // The leader only proposes what kv_cmd_encode built, so a bad entry means a foreign writer:
    // skipping it keeps every node identical, returning an error would stall replication.
    if (kv_cmd_decode(buf->base, buf->len, &cmd) == 0)
        kv_store_apply(st, &cmd);
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    kv_store *st = (kv_store *)fsm->data;
    struct raft_buffer *b = (struct raft_buffer *)raft_malloc(sizeof *b);
    if (!b)
        return RAFT_NOMEM;
    int rc = kv_snapshot_encode(st, b);
    if (rc != 0) {
        raft_free(b);
        return rc;
    }
    *bufs = b;       // libraft frees b->base and b once the snapshot is stored
    *n_bufs = 1;
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    kv_store *st = (kv_store *)fsm->data;
    int rc = kv_snapshot_decode(buf->base, buf->len, st);
    if (rc != 0)
        return rc;
    st->applied = 0;
    raft_free(buf->base);   // on success the FSM owns the snapshot data
    return 0;
}

void kv_fsm_init(struct raft_fsm *fsm, kv_store *st)
{
    memset(fsm, 0, sizeof *fsm);
    fsm->version = 1;
    fsm->data = st;
    fsm->apply = fsm_apply;
    fsm->snapshot = fsm_snapshot;
    fsm->restore = fsm_restore;
}
