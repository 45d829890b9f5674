// test_bft_view.cpp — PBFT's view change on one replica driven by hand: VIEW_CHANGE with prepared
// certificates, timeouts and their doubling, joining f+1, NEW_VIEW built and checked, messages of a
// later view kept, stale VIEW_CHANGEs answered.
#include "bft_test_util.h"

static BftMsg vc_from(uint32_t n, uint64_t view, uint32_t from) { return t_view_change(n, view, from, {}); }

static std::string vc_summary(const BftMsg &m) // e.g. "pp(v0,s1,a) p(1) p(2)"
{
    std::string s;
    for (const BftMsg &e : m.certs) {
        if (!s.empty()) s += " ";
        if (e.type == BFT_PRE_PREPARE)
            s += "pp(v" + std::to_string(e.view) + ",s" + std::to_string(e.seq) + "," +
                 (e.request.client_id ? e.request.operation : std::string("null")) + ")";
        else s += "p(" + std::to_string(e.replica) + ")";
    }
    return s;
}

void test_view_change_on_timeout(void **)
{
    BftReplica *r = new_replica(2, 4);
    BftOutputs out;
    deliver(r, t_pre_prepare(4, 0, 1, req("a")), &out);
    deliver(r, t_vote(4, BFT_PREPARE, 0, 1, 1, req("a")), &out); // prepared: own + 1
    BftRequest b = req("b", 2);
    bft_on_request(r, &b, &out);
    out.clear();
    bft_on_timer(r, &out);
    std::vector<const BftOutput *> vcs = sends(out, BFT_VIEW_CHANGE);
    if (targets(vcs) != "0,1,3") fail_msg("backup 2's timer fires in view 0: expected VIEW_CHANGE to 0,1,3, got [%s]", targets(vcs).c_str());
    const BftMsg &vc = vcs[0]->msg;
    if (vc.view != 1 || vc.replica != 2 || vc.seq != 0) fail_msg("the VIEW_CHANGE: expected new view 1, replica 2, seq 0");
    if (vc_summary(vc) != "pp(v0,s1,a) p(1) p(2)")
        fail_msg("the VIEW_CHANGE after preparing 'a' at seq 1 with prepares of 1 and 2: expected certificate \"pp(v0,s1,a) p(1) p(2)\", got \"%s\"",
                 vc_summary(vc).c_str());
    if (!bft_verify(&vc, test_keys(4)[2].data())) fail_msg("the VIEW_CHANGE: expected signed by replica 2");
    if (bft_view(r) != 1 || !bft_in_view_change(r)) fail_msg("after the timeout: expected view 1, changing views");
    if (last_timer(out) != 2 * T_MS) fail_msg("waiting for NEW_VIEW 1: expected SET_TIMER 2T = %llu, got %llu", (unsigned long long)(2 * T_MS),
                                               (unsigned long long)last_timer(out));
    // Changing views: the old view's messages are ignored.
    out.clear();
    deliver(r, t_pre_prepare(4, 0, 2, req("b", 2)), &out);
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 0, req("a")), &out);
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 1, req("a")), &out);
    if (!out.empty()) fail_msg("view 0 PRE_PREPARE and COMMITs while changing to view 1: expected no output, got %zu", out.size());
    // Alone in view 1: the timer repeats the VIEW_CHANGE and waits as long again.
    bft_on_timer(r, &out);
    vcs = sends(out, BFT_VIEW_CHANGE);
    if (vcs.size() != 3 || vcs[0]->msg.view != 1 || bft_view(r) != 1 || last_timer(out) != 2 * T_MS)
        fail_msg("timer fires with only its own VIEW_CHANGE for view 1: expected VIEW_CHANGE(1) again, view 1, SET_TIMER 2T; got view %llu, timer %llu",
                 (unsigned long long)bft_view(r), (unsigned long long)last_timer(out));
    // With a quorum for view 1 and no NEW_VIEW, the next timeout moves to view 2 and waits 4T.
    deliver(r, vc_from(4, 1, 0), &out);
    deliver(r, vc_from(4, 1, 3), &out);
    out.clear();
    bft_on_timer(r, &out);
    vcs = sends(out, BFT_VIEW_CHANGE);
    if (vcs.size() != 3 || vcs[0]->msg.view != 2 || last_timer(out) != 4 * T_MS)
        fail_msg("timer fires with a quorum of VIEW_CHANGE(1) and no NEW_VIEW: expected VIEW_CHANGE(2) and SET_TIMER 4T, got timer %llu",
                 (unsigned long long)last_timer(out));
    bft_free(r);
}

void test_view_change_backoff_cap(void **)
{
    BftReplica *r = new_replica(3, 4);
    BftOutputs out;
    BftRequest a = req("a");
    bft_on_request(r, &a, &out);
    uint64_t want = T_MS;
    for (uint64_t v = 1; v <= 9; v++) {
        out.clear();
        if (v % 4 == 3) {
            // Replica 3 would lead view v: skip it, joining v+1 with two replicas ahead.
            deliver(r, vc_from(4, v + 1, 0), &out);
            deliver(r, vc_from(4, v + 1, 1), &out);
            v++;
        } else {
            bft_on_timer(r, &out);
        }
        if (want < (T_MS << BFT_MAX_BACKOFF)) want *= 2;
        if (bft_view(r) != v || last_timer(out) != want)
            fail_msg("view change %llu: expected view %llu and SET_TIMER %llu (doubling, at most T << 6), got view %llu, timer %llu",
                     (unsigned long long)v, (unsigned long long)v, (unsigned long long)want, (unsigned long long)bft_view(r),
                     (unsigned long long)last_timer(out));
        deliver(r, vc_from(4, v, 0), &out); // a quorum for v, so the next timeout moves on
        deliver(r, vc_from(4, v, 1), &out);
    }
    bft_free(r);
}

void test_join_f_plus_one(void **)
{
    BftReplica *r = new_replica(3, 7); // f = 2
    BftOutputs out;
    deliver(r, vc_from(7, 3, 1), &out);
    deliver(r, vc_from(7, 2, 2), &out);
    if (!sends(out, BFT_VIEW_CHANGE).empty() || bft_view(r) != 0)
        fail_msg("n=7, VIEW_CHANGEs for views 3 and 2 from 2 replicas (f): expected no reaction, got view %llu", (unsigned long long)bft_view(r));
    deliver(r, vc_from(7, 2, 1), &out); // the same replica again: still two
    if (!sends(out, BFT_VIEW_CHANGE).empty()) fail_msg("a second VIEW_CHANGE of replica 1: expected still no reaction (2 distinct replicas)");
    deliver(r, vc_from(7, 5, 6), &out);
    std::vector<const BftOutput *> vcs = sends(out, BFT_VIEW_CHANGE);
    if (vcs.size() != 6 || vcs[0]->msg.view != 2 || bft_view(r) != 2 || !bft_in_view_change(r))
        fail_msg("then replica 6 asks for view 5 (3 = f+1 replicas ahead): expected VIEW_CHANGE for the smallest, view 2, got view %llu",
                 (unsigned long long)bft_view(r));
    // The smallest view among those held, even when a replica asked for several.
    BftReplica *m = new_replica(3, 4);
    out.clear();
    deliver(m, vc_from(4, 1, 0), &out);
    deliver(m, vc_from(4, 3, 0), &out);
    deliver(m, vc_from(4, 2, 1), &out);
    if (bft_view(m) != 1 || !bft_in_view_change(m))
        fail_msg("n=4, VIEW_CHANGEs for views 1 and 3 of replica 0, then 2 of replica 1 (f+1 replicas ahead): expected the smallest view "
                 "held, 1, got view %llu", (unsigned long long)bft_view(m));
    bft_free(m);
    // A forged VIEW_CHANGE is no vote.
    BftReplica *s = new_replica(0, 4);
    out.clear();
    BftMsg forged = vc_from(4, 1, 2);
    t_sign(&forged, 4, test_keys(4)[3].data());
    deliver(s, vc_from(4, 1, 3), &out);
    deliver(s, forged, &out);
    if (!sends(out, BFT_VIEW_CHANGE).empty()) fail_msg("n=4, VIEW_CHANGE(1) of 3 and one 'of 2' signed with key 3: expected no join");
    bft_free(r);
    bft_free(s);

    // Invalid certificates make a VIEW_CHANGE no vote: replica 3 of 4 (f = 1) holding a valid
    // VIEW_CHANGE(1) of 0 joins only with a second valid one.
    BftMsg wrong_type = t_view_change(4, 1, 2, {});
    wrong_type.certs = t_cert(4, 0, 1, req("a"), {2, 3});
    wrong_type.certs[0] = t_vote(4, BFT_COMMIT, 0, 1, 0, req("a")); // the primary's COMMIT where its PRE_PREPARE goes
    t_sign(&wrong_type, 4);
    BftMsg other_seq = t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {2, 3})});
    other_seq.certs[2] = t_vote(4, BFT_PREPARE, 0, 2, 3, req("a"));
    t_sign(&other_seq, 4);
    BftMsg other_view = t_view_change(4, 2, 2, {t_cert(4, 0, 1, req("a"), {2, 3})});
    other_view.certs[2] = t_vote(4, BFT_PREPARE, 1, 1, 3, req("a"));
    t_sign(&other_view, 4);
    struct { BftMsg vc; const char *what; } bad[] = {
        {t_view_change(4, 1, 2, {t_cert(4, 1, 1, req("a"), {2, 3})}), "a certificate of view 1, not below the new view 1"},
        {t_view_change(4, 2, 2, {t_cert(4, 2, 1, req("a"), {0, 3})}), "a certificate of view 2 in a VIEW_CHANGE(2)"},
        {wrong_type, "a certificate that starts with the primary's COMMIT instead of its PRE_PREPARE"},
        {t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {2, 3}), t_cert(4, 0, 1, req("a"), {2, 3})}), "two certificates for seq 1"},
        {t_view_change(4, 1, 2, {t_cert(4, 0, 2, req("b", 2), {2, 3}), t_cert(4, 0, 1, req("a"), {2, 3})}), "certificates for seq 2 then seq 1"},
        {other_seq, "a certificate for seq 1 holding a PREPARE for seq 2"},
        {other_view, "a certificate of view 0 holding a PREPARE of view 1"},
    };
    for (const auto &b : bad) {
        BftReplica *t = new_replica(3, 4);
        out.clear();
        deliver(t, vc_from(4, b.vc.view, 0), &out);
        deliver(t, b.vc, &out);
        if (!sends(out, BFT_VIEW_CHANGE).empty() || bft_view(t) != 0)
            fail_msg("n=4, valid VIEW_CHANGE(%llu) of 0, then one of 2 with %s: expected no join (one valid VIEW_CHANGE < f+1), got view %llu",
                     (unsigned long long)b.vc.view, b.what, (unsigned long long)bft_view(t));
        bft_free(t);
    }
    BftReplica *t = new_replica(3, 4);
    out.clear();
    deliver(t, vc_from(4, 1, 0), &out);
    deliver(t, t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {2, 3}), t_cert(4, 0, 2, req("b", 2), {1, 2})}), &out);
    if (sends(out, BFT_VIEW_CHANGE).size() != 3 || bft_view(t) != 1)
        fail_msg("n=4, VIEW_CHANGE(1) of 0, then one of 2 with valid certificates for seq 1 and 2: expected a join of view 1, got view %llu",
                 (unsigned long long)bft_view(t));
    bft_free(t);
}

void test_new_view_built_from_certs(void **)
{
    BftReplica *p = new_replica(2, 4); // primary of view 2
    BftOutputs out;
    // Replica 1 prepared 'a' at seq 1 in view 0 and 'c' at seq 3; replica 3 prepared 'b' at seq 1 in view 1.
    BftMsg vc1 = t_view_change(4, 2, 1, {t_cert(4, 0, 1, req("a"), {1, 3}), t_cert(4, 0, 3, req("c", 3), {1, 2})});
    BftMsg vc3 = t_view_change(4, 2, 3, {t_cert(4, 1, 1, req("b", 2), {0, 3})});
    deliver(p, vc1, &out);
    deliver(p, vc3, &out);
    std::vector<const BftOutput *> nvs = sends(out, BFT_NEW_VIEW);
    if (targets(nvs) != "0,1,3")
        fail_msg("primary of view 2 with VIEW_CHANGE(2) of 1 and 3 (it joins: f+1): expected NEW_VIEW to 0,1,3, got [%s]", targets(nvs).c_str());
    const BftMsg &nv = nvs[0]->msg;
    std::string who;
    for (const BftMsg &v : nv.view_changes) who += std::to_string(v.replica);
    if (nv.view != 2 || nv.replica != 2 || who != "123")
        fail_msg("NEW_VIEW: expected view 2 by replica 2 built from the VIEW_CHANGEs of 1, 2, 3 in that order, got \"%s\"", who.c_str());
    std::string pps;
    for (const BftMsg &pp : nv.pre_prepares)
        pps += (pps.empty() ? "" : " ") + std::to_string(pp.seq) + ":" + (pp.request.client_id ? pp.request.operation : "null") +
               (pp.view == 2 && pp.replica == 2 ? "" : "(wrong view/replica)");
    if (pps != "1:b 2:null 3:c")
        fail_msg("NEW_VIEW pre-prepares: expected \"1:b 2:null 3:c\" (seq 1: the certificate of the highest view; seq 2: null), got \"%s\"",
                 pps.c_str());
    if (!bft_verify(&nv, test_keys(4)[2].data()) || !bft_verify(&nv.pre_prepares[0], test_keys(4)[2].data()))
        fail_msg("NEW_VIEW and its pre-prepares: expected signed by replica 2");
    if (bft_view(p) != 2 || bft_in_view_change(p) || !bft_is_primary(p))
        fail_msg("after sending NEW_VIEW 2: expected view 2, not changing, primary");
    out.clear();
    BftRequest d = req("d", 4);
    bft_on_request(p, &d, &out);
    std::vector<const BftOutput *> now = sends(out, BFT_PRE_PREPARE);
    if (now.size() != 3 || now[0]->msg.seq != 4 || now[0]->msg.view != 2)
        fail_msg("a new request in view 2 after 3 re-proposed seqs: expected PRE_PREPARE view 2 seq 4, got %zu", now.size());
    bft_free(p);

    // Two certificates of the same highest view for one seq: the first in view_changes order wins.
    BftReplica *q = new_replica(1, 4); // primary of view 1
    out.clear();
    deliver(q, t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {1, 2})}), &out);
    deliver(q, t_view_change(4, 1, 3, {t_cert(4, 0, 1, req("b", 2), {2, 3})}), &out);
    nvs = sends(out, BFT_NEW_VIEW);
    pps.clear();
    if (!nvs.empty())
        for (const BftMsg &pp : nvs[0]->msg.pre_prepares)
            pps += (pps.empty() ? "" : " ") + std::to_string(pp.seq) + ":" + (pp.request.client_id ? pp.request.operation : "null");
    if (pps != "1:a")
        fail_msg("primary of view 1 with VIEW_CHANGEs of 2 ('a' at seq 1, view 0) and 3 ('b' at seq 1, view 0): expected pre-prepares \"1:a\" "
                 "(the first certificate of the highest view in replica order), got \"%s\"", pps.c_str());
    bft_free(q);
}

// A valid NEW_VIEW(1) for n=4: VIEW_CHANGEs of 0, 2, 3; 2 prepared 'a' at seq 1 in view 0.
static BftMsg good_vc2(void) { return t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {2, 3})}); }

static void expect_rejected(const BftMsg &nv, const char *what)
{
    BftReplica *r = new_replica(3, 4);
    BftOutputs out;
    deliver(r, nv, &out);
    if (bft_view(r) != 0 || !sends(out, BFT_PREPARE).empty())
        fail_msg("backup 3 given a NEW_VIEW(1) with %s: expected it rejected (view 0, no PREPARE), got view %llu", what,
                 (unsigned long long)bft_view(r));
    bft_free(r);
}

void test_new_view_checked(void **)
{
    std::vector<BftMsg> three{vc_from(4, 1, 0), good_vc2(), vc_from(4, 1, 3)};
    expect_rejected(t_new_view(4, 1, three, {req("b", 2)}), "seq 1 re-proposed as 'b' where 'a' was prepared");
    expect_rejected(t_new_view(4, 1, three, {}), "no pre-prepare for the prepared seq 1");
    expect_rejected(t_new_view(4, 1, three, {req("a"), null_req()}), "an extra null seq 2");
    BftMsg two_certs = t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {2, 3}), t_cert(4, 0, 2, req("c", 3), {2, 3})});
    expect_rejected(t_new_view(4, 1, {vc_from(4, 1, 0), two_certs, vc_from(4, 1, 3)}, {req("a"), req("d", 4)}),
                    "seq 2 re-proposed as 'd' where 'c' was prepared (seq 1 right)");
    expect_rejected(t_new_view(4, 1, {vc_from(4, 1, 0), good_vc2()}, {req("a")}), "2 VIEW_CHANGEs (quorum 3)");
    expect_rejected(t_new_view(4, 1, {vc_from(4, 1, 0), good_vc2(), good_vc2()}, {req("a")}), "replica 2's VIEW_CHANGE twice");
    expect_rejected(t_new_view(4, 1, {vc_from(4, 1, 0), good_vc2(), vc_from(4, 2, 3)}, {req("a")}), "a VIEW_CHANGE for view 2");
    BftMsg bad_cert = t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {2, 3})});
    t_sign(&bad_cert.certs[2], 4, test_keys(4)[2].data()); // 3's prepare signed with 2's key
    t_sign(&bad_cert, 4);
    expect_rejected(t_new_view(4, 1, {vc_from(4, 1, 0), bad_cert, vc_from(4, 1, 3)}, {req("a")}), "a certificate holding a forged PREPARE");
    BftMsg bad_pp = t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {2, 3})});
    t_sign(&bad_pp.certs[0], 4, test_keys(4)[2].data()); // the primary's pre-prepare signed with 2's key
    t_sign(&bad_pp, 4);
    expect_rejected(t_new_view(4, 1, {vc_from(4, 1, 0), bad_pp, vc_from(4, 1, 3)}, {req("a")}),
                    "a certificate whose PRE_PREPARE is forged (its PREPAREs genuine)");
    BftMsg thin = t_view_change(4, 1, 2, {t_cert(4, 0, 1, req("a"), {2})});
    expect_rejected(t_new_view(4, 1, {vc_from(4, 1, 0), thin, vc_from(4, 1, 3)}, {req("a")}), "a certificate with 1 PREPARE (q-1 = 2)");
    BftMsg wrong_primary = t_new_view(4, 1, three, {req("a")});
    wrong_primary.replica = 2;
    t_sign(&wrong_primary, 4);
    expect_rejected(wrong_primary, "replica 2 as author (view 1's primary is 1)");
    BftMsg wrong_key = t_new_view(4, 1, three, {req("a")});
    t_sign(&wrong_key, 4, test_keys(4)[2].data());
    expect_rejected(wrong_key, "a MAC made with replica 2's key");
    expect_rejected(t_new_view(4, 1, {vc_from(4, 1, 0), good_vc2(), t_vote(4, BFT_COMMIT, 1, 0, 3, req("a"))}, {req("a")}),
                    "replica 3's COMMIT of view 1 in place of its VIEW_CHANGE");
    BftMsg commit_pp = t_new_view(4, 1, three, {req("a")});
    commit_pp.pre_prepares[0] = t_vote(4, BFT_COMMIT, 1, 1, 1, req("a")); // the primary's COMMIT, digest of 'a'
    t_sign(&commit_pp, 4);
    expect_rejected(commit_pp, "the primary's COMMIT(1, 1, 'a') in place of the PRE_PREPARE of seq 1");
    std::vector<BftMsg> tie{vc_from(4, 1, 0), good_vc2(), t_view_change(4, 1, 3, {t_cert(4, 0, 1, req("b", 2), {2, 3})})};
    expect_rejected(t_new_view(4, 1, tie, {req("b", 2)}), "seq 1 as 'b' where 2's certificate ('a', view 0) comes before 3's ('b', view 0)");

    BftReplica *r = new_replica(3, 4);
    BftOutputs out;
    deliver(r, t_new_view(4, 1, three, {req("a")}), &out);
    std::vector<const BftOutput *> ps = sends(out, BFT_PREPARE);
    if (bft_view(r) != 1 || bft_in_view_change(r) || targets(ps) != "0,1,2" || ps[0]->msg.view != 1 || ps[0]->msg.seq != 1 ||
        !same_digest(ps[0]->msg.digest, req("a")))
        fail_msg("backup 3 given a valid NEW_VIEW(1) re-proposing 'a' at seq 1: expected view 1 and PREPARE(1,1,'a') to 0,1,2, got view %llu, [%s]",
                 (unsigned long long)bft_view(r), targets(ps).c_str());
    out.clear();
    deliver(r, t_new_view(4, 1, three, {req("a")}), &out);
    if (!out.empty()) fail_msg("the same NEW_VIEW(1) again once in view 1: expected ignored, got %zu outputs", out.size());
    bft_free(r);

    // Entering the view re-arms the running timer while requests wait: T << 1 (one view change
    // since the last execution).
    BftReplica *w = new_replica(3, 4);
    out.clear();
    BftRequest c = req("c", 3);
    bft_on_request(w, &c, &out);
    bft_on_timer(w, &out); // VIEW_CHANGE(1), SET_TIMER 2T
    out.clear();
    deliver(w, t_new_view(4, 1, {vc_from(4, 1, 0), vc_from(4, 1, 2), vc_from(4, 1, 3)}, {}), &out);
    bool cancelled = true;
    if (bft_view(w) != 1 || bft_in_view_change(w) || last_timer(out, &cancelled) != 2 * T_MS || cancelled)
        fail_msg("backup 3 changing to view 1 with 'c' waiting, given a valid NEW_VIEW(1): expected view 1 and SET_TIMER 2T = %llu, got view %llu, "
                 "timer %llu%s", (unsigned long long)(2 * T_MS), (unsigned long long)bft_view(w), (unsigned long long)last_timer(out),
                 cancelled ? " then CANCEL" : "");
    bft_free(w);
}

void test_future_messages_kept(void **)
{
    BftReplica *r = new_replica(3, 4);
    BftOutputs out;
    deliver(r, t_vote(4, BFT_PREPARE, 1, 1, 2, req("a")), &out);
    deliver(r, t_vote(4, BFT_COMMIT, 1, 1, 2, req("a")), &out);
    deliver(r, t_vote(4, BFT_COMMIT, 1, 1, 1, req("a")), &out);
    if (!out.empty()) fail_msg("view 1 PREPARE/COMMITs in view 0: expected no output yet, got %zu", out.size());
    std::vector<BftMsg> three{vc_from(4, 1, 0), good_vc2(), vc_from(4, 1, 3)};
    deliver(r, t_new_view(4, 1, three, {req("a")}), &out);
    if (sends(out, BFT_COMMIT).size() != 3 || executed(out) != "1:a")
        fail_msg("NEW_VIEW(1) after view 1's PREPARE of 2 and COMMITs of 1, 2 arrived: expected COMMIT sent and \"1:a\" executed, got %zu commits, \"%s\"",
                 sends(out, BFT_COMMIT).size(), executed(out).c_str());
    // Older views are dropped, not kept.
    out.clear();
    deliver(r, t_pre_prepare(4, 0, 2, req("old", 9)), &out);
    if (!out.empty()) fail_msg("a view 0 PRE_PREPARE in view 1: expected ignored, got %zu outputs", out.size());
    bft_free(r);

    // Messages of view 2 wait through view 1 until the replica enters view 2.
    BftReplica *s = new_replica(3, 4);
    out.clear();
    deliver(s, t_vote(4, BFT_PREPARE, 2, 1, 0, req("x", 5)), &out);
    deliver(s, t_vote(4, BFT_COMMIT, 2, 1, 0, req("x", 5)), &out);
    deliver(s, t_vote(4, BFT_COMMIT, 2, 1, 1, req("x", 5)), &out);
    deliver(s, t_new_view(4, 1, {vc_from(4, 1, 0), vc_from(4, 1, 2), vc_from(4, 1, 3)}, {}), &out);
    deliver(s, t_new_view(4, 2, {vc_from(4, 2, 0), vc_from(4, 2, 1), vc_from(4, 2, 2)}, {}), &out);
    if (bft_view(s) != 2 || !sends(out, BFT_COMMIT).empty())
        fail_msg("view 2 PREPARE of 0 and COMMITs of 0, 1 kept, then NEW_VIEW(1) and NEW_VIEW(2): expected view 2 and no COMMIT yet, got view %llu",
                 (unsigned long long)bft_view(s));
    deliver(s, t_pre_prepare(4, 2, 1, req("x", 5)), &out);
    if (sends(out, BFT_COMMIT).size() != 3 || executed(out) != "1:x")
        fail_msg("then PRE_PREPARE(2, 1, 'x') of primary 2: expected the view 2 votes kept through view 1 to prepare and commit it (COMMIT sent, "
                 "\"1:x\" executed), got %zu commits, \"%s\"", sends(out, BFT_COMMIT).size(), executed(out).c_str());
    bft_free(s);
}

void test_stale_view_change_answered(void **)
{
    BftReplica *p = new_replica(1, 4);
    BftOutputs out;
    deliver(p, vc_from(4, 1, 0), &out);
    deliver(p, vc_from(4, 1, 2), &out); // joins, sends NEW_VIEW(1)
    if (sends(out, BFT_NEW_VIEW).size() != 3) fail_msg("primary of view 1 with 2 VIEW_CHANGEs + its own: expected NEW_VIEW(1) sent");
    BftMsg own = sends(out, BFT_VIEW_CHANGE)[0]->msg;
    out.clear();
    deliver(p, own, &out); // replayed back to its author (R11): ignored, never answered
    if (!out.empty()) fail_msg("replica 1 given its own VIEW_CHANGE(1) back: expected it ignored (its author is itself), got %zu outputs", out.size());
    out.clear();
    deliver(p, vc_from(4, 1, 3), &out); // replica 3 is behind
    std::vector<const BftOutput *> nv = sends(out, BFT_NEW_VIEW), vc = sends(out, BFT_VIEW_CHANGE);
    if (targets(nv) != "3" || targets(vc) != "3" || vc[0]->msg.view != 1)
        fail_msg("in view 1, VIEW_CHANGE(1) of 3: expected its NEW_VIEW(1) and its own VIEW_CHANGE(1) sent to 3 alone, got NEW_VIEW [%s], VIEW_CHANGE [%s]",
                 targets(nv).c_str(), targets(vc).c_str());
    out.clear();
    deliver(p, vc_from(4, 1, 3), &out);
    if (!out.empty()) fail_msg("the same stale VIEW_CHANGE again before the timer fires: expected no second answer, got %zu", out.size());
    bft_free(p);
}
