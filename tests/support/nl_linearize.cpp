// nl_linearize.cpp — Wing & Gong linearizability search over one key's history, with a cache of
// (linearized set, state) pairs already explored so the search stays polynomial in practice.
#include "nl_linearize.h"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace {

struct reg {                 // the register model of one key
    bool present = false;
    std::string value;
};

struct entry {
    bool is_call;
    int op;                  // index in the key's op list
    uint64_t time;
    entry *prev = nullptr, *next = nullptr;
    entry *match = nullptr;  // a call's return entry
};

bool step(const reg &s, const nl_lin_op &op, reg *out)
{
    switch (op.kind) {
    case NL_LIN_GET:
        *out = s;
        return op.found == s.present && (!op.found || op.result == s.value);
    case NL_LIN_SET:
        out->present = true;
        out->value = op.value;
        return true;
    case NL_LIN_DEL:
        out->present = false;
        out->value.clear();
        return true;
    }
    return false;
}

void lift(entry *call)
{
    call->prev->next = call->next;
    call->next->prev = call->prev;
    entry *r = call->match;
    r->prev->next = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

void unlift(entry *call)
{
    entry *r = call->match;
    r->prev->next = r;
    if (r->next)
        r->next->prev = r;
    call->prev->next = call;
    call->next->prev = call;
}

std::string cache_key(const std::vector<bool> &bits, const reg &s)
{
    std::string k;
    k.reserve(bits.size() / 8 + 2 + s.value.size());
    unsigned char byte = 0;
    for (size_t i = 0; i < bits.size(); i++) {
        if (bits[i])
            byte |= (unsigned char)(1u << (i % 8));
        if (i % 8 == 7 || i + 1 == bits.size()) {
            k.push_back((char)byte);
            byte = 0;
        }
    }
    k.push_back(s.present ? '\1' : '\0');
    k += s.value;
    return k;
}

bool check_key(const std::vector<nl_lin_op> &ops)
{
    size_t n = ops.size();
    std::vector<entry> es;
    es.reserve(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        es.push_back({true, (int)i, ops[i].call});
        es.push_back({false, (int)i, ops[i].ret});
    }
    // Returns sort before calls at equal times: an op that returned at t precedes one called at t.
    std::sort(es.begin(), es.end(), [](const entry &a, const entry &b) {
        if (a.time != b.time)
            return a.time < b.time;
        return !a.is_call && b.is_call;
    });
    std::vector<entry *> call_of(n), ret_of(n);
    entry head{false, -1, 0};
    entry *prev = &head;
    for (entry &e : es) {
        (e.is_call ? call_of : ret_of)[e.op] = &e;
        e.prev = prev;
        prev->next = &e;
        prev = &e;
    }
    for (size_t i = 0; i < n; i++)
        call_of[i]->match = ret_of[i];
    std::vector<bool> bits(n, false);
    std::unordered_set<std::string> seen;
    std::vector<std::pair<entry *, reg>> stack;
    reg state;
    entry *cur = head.next;
    while (head.next) {
        if (cur->is_call) {
            reg next;
            if (step(state, ops[cur->op], &next)) {
                bits[cur->op] = true;
                if (seen.insert(cache_key(bits, next)).second) {
                    stack.push_back({cur, state});
                    state = next;
                    lift(cur);
                    cur = head.next;
                    continue;
                }
                bits[cur->op] = false;
            }
            cur = cur->next;
        } else {
            if (stack.empty())
                return false;
            entry *e = stack.back().first;
            state = stack.back().second;
            stack.pop_back();
            bits[e->op] = false;
            unlift(e);
            cur = e->next;
        }
    }
    return true;
}

} // namespace

std::string nl_lin_describe(const nl_lin_op &op)
{
    std::string s = "c" + std::to_string(op.client) + " ";
    if (op.kind == NL_LIN_SET)
        s += "SET " + op.key + "=" + op.value;
    else if (op.kind == NL_LIN_DEL)
        s += "DEL " + op.key;
    else
        s += "GET " + op.key + " -> " + (op.found ? op.result : std::string("nil"));
    s += " [" + std::to_string(op.call) + ", " +
         (op.ret == NL_LIN_PENDING ? std::string("unknown") : std::to_string(op.ret)) + "]";
    return s;
}

bool nl_lin_check_kv(const std::vector<nl_lin_op> &history, std::string *why)
{
    std::map<std::string, std::vector<nl_lin_op>> by_key;
    for (const nl_lin_op &op : history)
        by_key[op.key].push_back(op);
    for (const auto &kv : by_key) {
        if (check_key(kv.second))
            continue;
        if (why) {
            *why = "key '" + kv.first + "': no linearization of its " + std::to_string(kv.second.size()) +
                   " operations:";
            std::vector<nl_lin_op> sorted = kv.second;
            std::sort(sorted.begin(), sorted.end(),
                      [](const nl_lin_op &a, const nl_lin_op &b) { return a.call < b.call; });
            for (const nl_lin_op &op : sorted)
                *why += "\n  " + nl_lin_describe(op);
        }
        return false;
    }
    return true;
}
