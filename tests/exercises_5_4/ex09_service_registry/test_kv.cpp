// test_kv.cpp — the key-value rules: revisions, versions, ranges, past reads, limit, sort, put and
// delete options, and transactions (compares, one revision, limits, refusals).
#include "reg_tests.h"

static reg_op op_put(const char *key, const char *value, reg_lease lease = 0)
{
    reg_op op{};
    op.kind = REG_OP_PUT;
    op.key = key;
    op.value = value;
    op.put.lease = lease;
    return op;
}

static reg_op op_get(const char *key, bool prefix = false)
{
    reg_op op{};
    op.kind = REG_OP_GET;
    op.key = key;
    op.get.prefix = prefix;
    return op;
}

static reg_op op_del(const char *key, bool prefix = false)
{
    reg_op op{};
    op.kind = REG_OP_DELETE;
    op.key = key;
    op.prefix = prefix;
    op.prev_kv = true;
    return op;
}

static std::string txn_obs(service_registry *r, const reg_txn &t, int *rc)
{
    reg_txn_resp resp{};
    reg_error err{};
    *rc = reg_txn_do(r, &t, &resp, &err);
    return *rc == REG_OK ? obs_txn(resp) : std::string(reg_err_name(*rc));
}

void test_revisions_start_at_one(void **)
{
    service_registry *r = reg_on(nullptr);
    NL_EXPECT_EQ_INT(reg_current_revision(r), 1, "a new registry");
    NL_EXPECT_EQ_INT(PUT(r, "a", "1"), 2, "first put");
    NL_EXPECT_EQ_INT(PUT(r, "a", "1"), 3, "the same put again (same value)");
    GET(r, "a", false);
    NL_EXPECT_EQ_INT(DEL(r, "zz", false).revision, 3, "a delete that deletes nothing");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 3, "after a get and an empty delete");
    reg_put_opts o{};
    o.lease = 99;
    reg_put_resp pr{};
    EXPECT_RC(reg_put(r, "b", "x", &o, &pr, nullptr), REG_ERR_LEASE_NOT_FOUND, "put with lease 99 never granted");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 3, "after a refused put");
    NL_EXPECT_EQ_INT(DEL(r, "a", false).revision, 4, "delete of a");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 4, "after delete of a");
    reg_free(r);
}

void test_key_versions(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1");  // 2
    PUT(r, "b", "1");  // 3
    PUT(r, "a", "2");  // 4
    PUT(r, "a", "3");  // 5
    NL_EXPECT_STREQ(GET(r, "a", false), "rev=5 count=1 more=0 [a=3 c2 m5 v3 l0]", "a after three puts");
    NL_EXPECT_STREQ(GET(r, "b", false), "rev=5 count=1 more=0 [b=1 c3 m3 v1 l0]", "b after one put");
    DEL(r, "a", false); // 6
    PUT(r, "a", "4");   // 7
    NL_EXPECT_STREQ(GET(r, "a", false), "rev=7 count=1 more=0 [a=4 c7 m7 v1 l0]", "a put again after its delete");
    NL_EXPECT_STREQ(GET(r, "b", false), "rev=7 count=1 more=0 [b=1 c3 m3 v1 l0]", "b untouched");
    reg_free(r);
}

void test_get_missing_key_is_empty(void **)
{
    service_registry *r = reg_on(nullptr);
    NL_EXPECT_STREQ(GET(r, "nothing", false), "rev=1 count=0 more=0 []", "get of a key never put");
    PUT(r, "a", "1");
    NL_EXPECT_STREQ(GET(r, "nothing", true), "rev=2 count=0 more=0 []", "prefix matching no key");
    reg_get_opts o{};
    reg_get_resp g{};
    EXPECT_RC(reg_get(r, "", &o, &g, nullptr), REG_ERR_EMPTY_KEY, "get of the empty key (no prefix)");
    reg_free(r);
}

void test_prefix_exact_contents(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "ba", "3"); // contains "a" but does not start with it
    PUT(r, "ab", "2");
    PUT(r, "a", "1");
    PUT(r, "a/x", "4");
    NL_EXPECT_STREQ(GET(r, "a", false), "rev=5 count=1 more=0 [a=1 c4 m4 v1 l0]", "exact a");
    NL_EXPECT_STREQ(GET(r, "a", true), "rev=5 count=3 more=0 [a=1 c4 m4 v1 l0; a/x=4 c5 m5 v1 l0; ab=2 c3 m3 v1 l0]", "prefix a");
    NL_EXPECT_STREQ(GET(r, "a/", true), "rev=5 count=1 more=0 [a/x=4 c5 m5 v1 l0]", "prefix a/");
    NL_EXPECT_STREQ(GET(r, "", true),
                    "rev=5 count=4 more=0 [a=1 c4 m4 v1 l0; a/x=4 c5 m5 v1 l0; ab=2 c3 m3 v1 l0; ba=3 c2 m2 v1 l0]",
                    "prefix \"\" (every key)");
    reg_free(r);
}

void test_get_past_revision(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "b", "1"); // 3
    PUT(r, "a", "2"); // 4
    DEL(r, "b", false); // 5
    const char *want[] = {"", "rev=5 count=0 more=0 []", "rev=5 count=1 more=0 [a=1 c2 m2 v1 l0]",
                          "rev=5 count=2 more=0 [a=1 c2 m2 v1 l0; b=1 c3 m3 v1 l0]",
                          "rev=5 count=2 more=0 [a=2 c2 m4 v2 l0; b=1 c3 m3 v1 l0]", "rev=5 count=1 more=0 [a=2 c2 m4 v2 l0]"};
    for (reg_rev at = 1; at <= 5; at++) NL_EXPECT_STREQ(GET(r, "", true, at), want[at], "prefix \"\" at revision %lld", (long long)at);
    reg_get_opts o{};
    o.revision = 6;
    reg_get_resp g{};
    EXPECT_RC(reg_get(r, "a", &o, &g, nullptr), REG_ERR_FUTURE_REV, "get at revision 6 (current 5)");
    reg_free(r);
}

void test_limit_count_more(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "k1", "a");
    PUT(r, "k2", "b");
    PUT(r, "k3", "c");
    const int64_t limits[] = {0, 1, 2, 3, 4};
    const char *want[] = {"rev=4 count=3 more=0 [k1=a c2 m2 v1 l0; k2=b c3 m3 v1 l0; k3=c c4 m4 v1 l0]",
                          "rev=4 count=3 more=1 [k1=a c2 m2 v1 l0]",
                          "rev=4 count=3 more=1 [k1=a c2 m2 v1 l0; k2=b c3 m3 v1 l0]",
                          "rev=4 count=3 more=0 [k1=a c2 m2 v1 l0; k2=b c3 m3 v1 l0; k3=c c4 m4 v1 l0]",
                          "rev=4 count=3 more=0 [k1=a c2 m2 v1 l0; k2=b c3 m3 v1 l0; k3=c c4 m4 v1 l0]"};
    for (int i = 0; i < 5; i++) {
        reg_get_opts o{};
        o.prefix = true;
        o.limit = limits[i];
        reg_get_resp g{};
        EXPECT_RC(reg_get(r, "k", &o, &g, nullptr), REG_OK);
        NL_EXPECT_STREQ(obs_get(g), want[i], "prefix k, limit %lld", (long long)limits[i]);
    }
    reg_get_opts o{};
    o.prefix = true;
    o.keys_only = true;
    o.limit = 2;
    reg_get_resp g{};
    EXPECT_RC(reg_get(r, "k", &o, &g, nullptr), REG_OK);
    NL_EXPECT_STREQ(obs_get(g), "rev=4 count=3 more=1 [k1= c2 m2 v1 l0; k2= c3 m3 v1 l0]", "prefix k, keys_only, limit 2");
    reg_free(r);
}

void test_sort_orders(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "c", "1"); // 2
    PUT(r, "a", "3"); // 3
    PUT(r, "b", "2"); // 4
    PUT(r, "c", "0"); // 5: c version 2
    struct {
        reg_sort_order order;
        reg_sort_target target;
        int64_t limit;
        const char *keys;
    } cases[] = {
        {REG_SORT_NONE, REG_SORT_KEY, 0, "a b c"},    {REG_SORT_ASCEND, REG_SORT_KEY, 0, "a b c"},
        {REG_SORT_DESCEND, REG_SORT_KEY, 0, "c b a"}, {REG_SORT_DESCEND, REG_SORT_KEY, 2, "c b"},
        {REG_SORT_ASCEND, REG_SORT_VALUE, 0, "c b a"}, {REG_SORT_DESCEND, REG_SORT_VALUE, 0, "a b c"},
        {REG_SORT_NONE, REG_SORT_VALUE, 0, "c b a"},  {REG_SORT_ASCEND, REG_SORT_CREATE, 0, "c a b"},
        {REG_SORT_DESCEND, REG_SORT_CREATE, 1, "b"},  {REG_SORT_ASCEND, REG_SORT_MOD, 0, "a b c"},
        {REG_SORT_DESCEND, REG_SORT_MOD, 0, "c b a"}, {REG_SORT_DESCEND, REG_SORT_VERSION, 0, "c a b"},
        {REG_SORT_ASCEND, REG_SORT_VERSION, 0, "a b c"}, {REG_SORT_NONE, REG_SORT_MOD, 2, "a b"},
    };
    static const char *const tn[] = {"KEY", "VERSION", "CREATE", "MOD", "VALUE"};
    static const char *const on[] = {"NONE", "ASCEND", "DESCEND"};
    for (const auto &c : cases) {
        reg_get_opts o{};
        o.prefix = true;
        o.sort_order = c.order;
        o.sort_target = c.target;
        o.limit = c.limit;
        reg_get_resp g{};
        EXPECT_RC(reg_get(r, "", &o, &g, nullptr), REG_OK);
        std::string keys;
        for (const reg_kv &kv : g.kvs) keys += (keys.empty() ? "" : " ") + kv.key;
        NL_EXPECT_STREQ(keys, c.keys, "every key sorted %s by %s, limit %lld (c=0 v2 c2 m5, a=3 c3, b=2 c4)", on[c.order],
                        tn[c.target], (long long)c.limit);
        NL_EXPECT_EQ_INT(g.count, 3, "count, sorted %s by %s", on[c.order], tn[c.target]);
    }
    reg_free(r);
}

void test_put_prev_kv_and_ignore(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_lease l = GRANT(r, 60, 7);
    PUT(r, "a", "1", l); // 2
    reg_put_opts o{};
    o.prev_kv = true;
    reg_put_resp pr{};
    EXPECT_RC(reg_put(r, "a", "2", &o, &pr, nullptr), REG_OK);
    NL_EXPECT_STREQ(obs_put(pr), "rev=3 prev=a=1 c2 m2 v1 l7", "put a=2 with prev_kv");
    NL_EXPECT_STREQ(GET(r, "a", false), "rev=3 count=1 more=0 [a=2 c2 m3 v2 l0]", "a put without lease: detached");
    o = reg_put_opts{};
    o.prev_kv = true;
    EXPECT_RC(reg_put(r, "new", "x", &o, &pr, nullptr), REG_OK);
    NL_EXPECT_STREQ(obs_put(pr), "rev=4 prev=-", "put of a new key with prev_kv");
    PUT(r, "b", "v", l); // 5
    o = reg_put_opts{};
    o.ignore_value = true;
    o.lease = 0;
    EXPECT_RC(reg_put(r, "b", "", &o, &pr, nullptr), REG_OK, "put b ignore_value");
    NL_EXPECT_STREQ(obs_put(pr), "rev=6 prev=-", "put b ignore_value, no prev_kv asked");
    NL_EXPECT_STREQ(GET(r, "b", false), "rev=6 count=1 more=0 [b=v c5 m6 v2 l0]", "b after ignore_value without lease");
    PUT(r, "b", "w", l); // 7
    o = reg_put_opts{};
    o.ignore_lease = true;
    EXPECT_RC(reg_put(r, "b", "z", &o, &pr, nullptr), REG_OK, "put b ignore_lease");
    NL_EXPECT_STREQ(GET(r, "b", false), "rev=8 count=1 more=0 [b=z c5 m8 v4 l7]", "b after ignore_lease");
    reg_lease_info info{};
    EXPECT_RC(reg_lease_info_get(r, l, &info, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(info.keys.size(), 1, "lease 7 keys after a left it (b only)");
    NL_EXPECT_STREQ(info.keys[0], "b", "lease 7 keys");
    reg_free(r);
}

void test_put_refusals(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_lease l = GRANT(r, 60, 5);
    PUT(r, "a", "1");
    struct {
        const char *key, *value;
        reg_put_opts o;
        int want;
        const char *what;
    } cases[] = {
        {"", "x", {}, REG_ERR_EMPTY_KEY, "empty key"},
        {"a", "x", {0, false, true, false}, REG_ERR_VALUE_PROVIDED, "ignore_value with a value"},
        {"a", "", {l, false, false, true}, REG_ERR_LEASE_PROVIDED, "ignore_lease with a lease"},
        {"zz", "", {0, false, true, false}, REG_ERR_KEY_NOT_FOUND, "ignore_value on a missing key"},
        {"zz", "", {0, false, false, true}, REG_ERR_KEY_NOT_FOUND, "ignore_lease on a missing key"},
        {"a", "x", {6, false, false, false}, REG_ERR_LEASE_NOT_FOUND, "lease 6 never granted"},
    };
    for (const auto &c : cases) {
        reg_put_resp pr{};
        reg_error err{};
        EXPECT_RC(reg_put(r, c.key, c.value, &c.o, &pr, &err), c.want, "put '%s': %s", c.key, c.what);
        NL_EXPECT_STREQ(GET(r, "", true), "rev=2 count=1 more=0 [a=1 c2 m2 v1 l0]", "every key after the refused put (%s)", c.what);
    }
    reg_free(r);
}

void test_delete_prefix_prev_kvs(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "p/2", "b");  // 2
    PUT(r, "p/1", "a");  // 3
    PUT(r, "q", "c");    // 4
    reg_del_resp d = DEL(r, "p/", true, true);
    NL_EXPECT_STREQ(obs_del(d), "rev=5 deleted=2 prev=[p/1=a c3 m3 v1 l0; p/2=b c2 m2 v1 l0]", "delete prefix p/ with prev_kv");
    NL_EXPECT_STREQ(GET(r, "", true), "rev=5 count=1 more=0 [q=c c4 m4 v1 l0]", "after delete prefix p/");
    d = DEL(r, "q", false, false);
    NL_EXPECT_STREQ(obs_del(d), "rev=6 deleted=1 prev=[]", "delete q without prev_kv");
    d = DEL(r, "q", false, true);
    NL_EXPECT_STREQ(obs_del(d), "rev=6 deleted=0 prev=[]", "delete q again");
    reg_free(r);
}

void test_txn_compare_results(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "k", "m");  // 2
    PUT(r, "k", "m");  // 3: version 2, create 2, mod 3
    struct {
        reg_cmp_target t;
        int64_t n;
        const char *v;
        bool eq, gt, lt;
    } cases[] = {
        {REG_CMP_VERSION, 2, "", true, false, false}, {REG_CMP_VERSION, 1, "", false, true, false},
        {REG_CMP_VERSION, 3, "", false, false, true}, {REG_CMP_CREATE, 2, "", true, false, false},
        {REG_CMP_CREATE, 1, "", false, true, false},  {REG_CMP_CREATE, 3, "", false, false, true},
        {REG_CMP_MOD, 3, "", true, false, false},     {REG_CMP_MOD, 2, "", false, true, false},
        {REG_CMP_MOD, 4, "", false, false, true},     {REG_CMP_VALUE, 0, "m", true, false, false},
        {REG_CMP_VALUE, 0, "l", false, true, false},  {REG_CMP_VALUE, 0, "mm", false, false, true},
        {REG_CMP_VALUE, 0, "n", false, false, true},  {REG_CMP_LEASE, 0, "", true, false, false},
        {REG_CMP_LEASE, 1, "", false, false, true},
    };
    static const char *const tn[] = {"version", "create", "mod", "value", "lease"};
    static const char *const rn[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};
    for (const auto &c : cases) {
        bool want[4] = {c.eq, c.gt, c.lt, !c.eq};
        for (int res = 0; res < 4; res++) {
            reg_txn t{};
            t.compare.push_back(reg_compare{"k", c.t, (reg_cmp_result)res, c.n, c.v});
            reg_txn_resp resp{};
            EXPECT_RC(reg_txn_do(r, &t, &resp, nullptr), REG_OK);
            NL_EXPECT_EQ_INT(resp.succeeded, want[res], "compare %s(k) %s %lld/'%s' (k=m version 2 create 2 mod 3 lease 0)",
                             tn[c.t], rn[res], (long long)c.n, c.v);
        }
    }
    // Every compare must hold: one false compare among true ones fails the txn.
    reg_txn t{};
    t.compare.push_back(reg_compare{"k", REG_CMP_VERSION, REG_CMP_EQUAL, 2, ""});
    t.compare.push_back(reg_compare{"k", REG_CMP_VALUE, REG_CMP_EQUAL, 0, "x"});
    t.compare.push_back(reg_compare{"k", REG_CMP_MOD, REG_CMP_EQUAL, 3, ""});
    reg_txn_resp resp{};
    EXPECT_RC(reg_txn_do(r, &t, &resp, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(resp.succeeded, false, "version==2 && value=='x' && mod==3");
    reg_free(r);
}

void test_txn_missing_key_compares(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "other", "1");
    struct {
        reg_cmp_target t;
        reg_cmp_result res;
        int64_t n;
        const char *v;
        bool want;
        const char *what;
    } cases[] = {
        {REG_CMP_VERSION, REG_CMP_EQUAL, 0, "", true, "version == 0"},
        {REG_CMP_CREATE, REG_CMP_EQUAL, 0, "", true, "create == 0"},
        {REG_CMP_MOD, REG_CMP_LESS, 1, "", true, "mod < 1"},
        {REG_CMP_LEASE, REG_CMP_EQUAL, 0, "", true, "lease == 0"},
        {REG_CMP_VERSION, REG_CMP_GREATER, 0, "", false, "version > 0"},
        {REG_CMP_VALUE, REG_CMP_EQUAL, 0, "", false, "value == ''"},
        {REG_CMP_VALUE, REG_CMP_NOT_EQUAL, 0, "x", false, "value != 'x'"},
        {REG_CMP_VALUE, REG_CMP_GREATER, 0, "", false, "value > ''"},
    };
    for (const auto &c : cases) {
        reg_txn t{};
        t.compare.push_back(reg_compare{"missing", c.t, c.res, c.n, c.v});
        reg_txn_resp resp{};
        EXPECT_RC(reg_txn_do(r, &t, &resp, nullptr), REG_OK);
        NL_EXPECT_EQ_INT(resp.succeeded, c.want, "compare on a key that does not exist: %s", c.what);
    }
    reg_free(r);
}

void test_txn_one_revision(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "b", "1"); // 3
    reg_txn t{};
    t.compare.push_back(reg_compare{"a", REG_CMP_VALUE, REG_CMP_EQUAL, 0, "1"});
    t.success = {op_get("a"), op_put("a", "2"), op_get("a"), op_del("b"), op_put("c", "3"), op_del("zz"), op_get("", true)};
    t.failure = {op_put("failed", "x")};
    int rc;
    NL_EXPECT_STREQ(txn_obs(r, t, &rc),
                    "succeeded=1 rev=4"
                    " | get rev=3 count=1 more=0 [a=1 c2 m2 v1 l0]"
                    " | put rev=4 prev=-"
                    " | get rev=4 count=1 more=0 [a=2 c2 m4 v2 l0]"
                    " | delete rev=4 deleted=1 prev=[b=1 c3 m3 v1 l0]"
                    " | put rev=4 prev=-"
                    " | delete rev=4 deleted=0 prev=[]"
                    " | get rev=4 count=2 more=0 [a=2 c2 m4 v2 l0; c=3 c4 m4 v1 l0]",
                    "txn a=='1' then get a, put a=2, get a, delete b, put c=3, delete zz, get every key");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 4, "after the txn: one revision for all its writes");
    // The failure branch runs when a compare is false; a read-only branch makes no revision.
    t.success = {op_put("never", "x")};
    t.failure = {op_get("a"), op_put("f", "1")};
    NL_EXPECT_STREQ(txn_obs(r, t, &rc),
                    "succeeded=0 rev=5 | get rev=4 count=1 more=0 [a=2 c2 m4 v2 l0] | put rev=5 prev=-",
                    "txn a=='1' (false now): failure branch get a, put f=1");
    t.failure = {op_get("never")};
    NL_EXPECT_STREQ(txn_obs(r, t, &rc), "succeeded=0 rev=5 | get rev=5 count=0 more=0 []", "read-only failure branch");
    NL_EXPECT_STREQ(GET(r, "never", false), "rev=5 count=0 more=0 []", "the success branch never ran");
    reg_free(r);
}

void test_txn_limits(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1");
    for (int which = 0; which < 3; which++) {
        static const char *const wn[] = {"compares", "success ops", "failure ops"};
        for (int n = REG_MAX_TXN_OPS; n <= REG_MAX_TXN_OPS + 1; n++) {
            reg_txn t{};
            for (int i = 0; i < n; i++) {
                std::string k = "k" + std::to_string(i);
                if (which == 0) t.compare.push_back(reg_compare{k, REG_CMP_VERSION, REG_CMP_EQUAL, 0, ""});
                if (which == 1) t.success.push_back(op_put(k.c_str(), "v"));
                if (which == 2) t.failure.push_back(op_put(k.c_str(), "v"));
            }
            reg_txn_resp resp{};
            EXPECT_RC(reg_txn_do(r, &t, &resp, nullptr), n > REG_MAX_TXN_OPS ? REG_ERR_TOO_MANY_OPS : REG_OK, "txn with %d %s", n, wn[which]);
        }
    }
    NL_EXPECT_STREQ(GET(r, "k12", false), "rev=3 count=1 more=0 [k12=v c3 m3 v1 l0]", "after the 128-op success txn");
    reg_free(r);
}

void test_txn_refusals_change_nothing(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "p/1", "1"); // 3
    reg_txn ok_cmp{};
    ok_cmp.compare.push_back(reg_compare{"a", REG_CMP_VERSION, REG_CMP_EQUAL, 1, ""});
    struct {
        std::vector<reg_op> success, failure;
        int want;
        const char *what;
    } cases[] = {
        {{op_put("x", "1"), op_put("x", "2")}, {}, REG_ERR_DUP_KEY, "put x twice"},
        {{op_put("p/2", "1"), op_del("p/", true)}, {}, REG_ERR_DUP_KEY, "put p/2 and delete prefix p/"},
        {{op_del("p/", true), op_put("p/2", "1")}, {}, REG_ERR_DUP_KEY, "delete prefix p/ then put p/2"},
        {{op_put("x", "1")}, {op_put("y", "1"), op_put("y", "2")}, REG_ERR_DUP_KEY, "put y twice in the branch that does not run"},
        {{op_put("x", "1"), op_put("", "1")}, {}, REG_ERR_EMPTY_KEY, "a put with an empty key"},
        {{op_put("x", "1")}, {op_get("")}, REG_ERR_EMPTY_KEY, "a get of the empty key in the branch that does not run"},
        {{op_put("x", "1"), op_put("y", "1", 9)}, {}, REG_ERR_LEASE_NOT_FOUND, "put y with lease 9 never granted"},
        {{op_put("x", "1")}, {op_put("y", "1", 9)}, REG_OK, "lease 9 only in the branch that does not run"},
    };
    reg_rev rev = 3;
    for (auto &c : cases) {
        reg_txn t = ok_cmp;
        t.success = c.success;
        t.failure = c.failure;
        int rc;
        txn_obs(r, t, &rc);
        EXPECT_RC(rc, c.want, "txn: %s", c.what);
        if (rc == REG_OK) {
            rev++;
            DEL(r, "x", false);
            rev++;
        }
        NL_EXPECT_EQ_INT(reg_current_revision(r), rev, "revision after txn: %s", c.what);
        NL_EXPECT_STREQ(GET(r, "", true), nl_fmt("rev=%lld count=2 more=0 [a=1 c2 m2 v1 l0; p/1=1 c3 m3 v1 l0]", (long long)rev),
                        "every key after txn: %s", c.what);
    }
    // ignore_value on a key a previous op of the same txn creates: checked against the store before the txn.
    reg_txn t = ok_cmp;
    reg_op iv = op_put("x", "");
    iv.put.ignore_value = true;
    t.success = {op_put("y", "1"), iv};
    int rc;
    txn_obs(r, t, &rc);
    EXPECT_RC(rc, REG_ERR_KEY_NOT_FOUND, "txn put y, then put x with ignore_value (x missing)");
    t.success = {op_get("a")};
    t.success[0].get.revision = rev + 1;
    txn_obs(r, t, &rc);
    EXPECT_RC(rc, REG_ERR_FUTURE_REV, "txn get a at a future revision");
    NL_EXPECT_EQ_INT(reg_current_revision(r), rev, "after the refused txns");
    reg_free(r);
}

// The empty key outside a range (R30, R12): a delete of "" without prefix and a compare on "" are
// refused and change nothing; a delete of prefix "" deletes every key.
void test_empty_key_refusals(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "b", "1"); // 3
    int64_t w = WATCH(r, "", (reg_watch_opts{0, true, false, false, false}));
    reg_del_resp d{};
    reg_error err{};
    EXPECT_RC(reg_delete(r, "", false, true, &d, &err), REG_ERR_EMPTY_KEY, "delete of the empty key without prefix");
    NL_EXPECT_EQ_INT(err.code, REG_ERR_EMPTY_KEY, "err.code of the refused delete");
    reg_txn t{};
    t.compare.push_back(reg_compare{"", REG_CMP_VERSION, REG_CMP_EQUAL, 0, ""});
    t.success = {op_put("x", "1")};
    t.failure = {op_del("a")};
    int rc;
    txn_obs(r, t, &rc);
    EXPECT_RC(rc, REG_ERR_EMPTY_KEY, "txn whose compare has the empty key");
    t.compare.insert(t.compare.begin(), reg_compare{"a", REG_CMP_VERSION, REG_CMP_EQUAL, 1, ""});
    txn_obs(r, t, &rc);
    EXPECT_RC(rc, REG_ERR_EMPTY_KEY, "txn whose second compare has the empty key");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 3, "revision after the refused calls");
    NL_EXPECT_STREQ(GET(r, "", true), "rev=3 count=2 more=0 [a=1 c2 m2 v1 l0; b=1 c3 m3 v1 l0]", "every key after the refused calls");
    NL_EXPECT_STREQ(DRAIN(r, w), "", "watch of every key: the refused calls sent nothing");
    d = DEL(r, "", true, true);
    NL_EXPECT_STREQ(obs_del(d), "rev=4 deleted=2 prev=[a=1 c2 m2 v1 l0; b=1 c3 m3 v1 l0]", "delete of prefix \"\"");
    NL_EXPECT_STREQ(GET(r, "", true), "rev=4 count=0 more=0 []", "every key after deleting prefix \"\"");
    reg_free(r);
}
