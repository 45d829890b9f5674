// reg_obs.h — one line of text per response, the same for the submission (::), the reference oracle
// (oracle::) and etcd (built from its JSON): what the conformance and differential tests compare.
// Every field the README fixes is in it: revisions, versions, leases, counts, flags, errors.
#pragma once
#include "nl_check.h"

#include <string>

template <class KV> std::string obs_kv(const KV &kv)
{
    return nl_fmt("%s=%s c%lld m%lld v%lld l%lld", kv.key.c_str(), kv.value.c_str(), (long long)kv.create_revision,
                  (long long)kv.mod_revision, (long long)kv.version, (long long)kv.lease);
}

template <class V> std::string obs_kvs(const V &kvs)
{
    std::string s = "[";
    for (size_t i = 0; i < kvs.size(); i++) s += (i ? "; " : "") + obs_kv(kvs[i]);
    return s + "]";
}

template <class G> std::string obs_get(const G &g)
{
    return nl_fmt("rev=%lld count=%lld more=%d ", (long long)g.revision, (long long)g.count, (int)g.more) + obs_kvs(g.kvs);
}

template <class P> std::string obs_put(const P &p)
{
    return nl_fmt("rev=%lld prev=", (long long)p.revision) + (p.has_prev ? obs_kv(p.prev_kv) : std::string("-"));
}

template <class D> std::string obs_del(const D &d)
{
    return nl_fmt("rev=%lld deleted=%lld prev=", (long long)d.revision, (long long)d.deleted) + obs_kvs(d.prev_kvs);
}

// kind: 0 get, 1 put, 2 delete (the order of reg_op_kind).
template <class R> std::string obs_op_resp(const R &r)
{
    int k = (int)r.kind;
    return k == 0 ? "get " + obs_get(r.get) : k == 1 ? "put " + obs_put(r.put) : "delete " + obs_del(r.del);
}

template <class T> std::string obs_txn(const T &t)
{
    std::string s = nl_fmt("succeeded=%d rev=%lld", (int)t.succeeded, (long long)t.revision);
    for (const auto &r : t.responses) s += " | " + obs_op_resp(r);
    return s;
}

// An event: "PUT kv [prev kv]" or "DELETE kv [prev kv]" (a delete's kv: key and mod_revision only).
template <class E> std::string obs_event(const E &e)
{
    std::string s = ((int)e.type == 0 ? "PUT " : "DELETE ") + obs_kv(e.kv);
    if (e.has_prev) s += " prev " + obs_kv(e.prev_kv);
    return s;
}
