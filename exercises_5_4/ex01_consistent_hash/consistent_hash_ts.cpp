// consistent_hash_ts.cpp — the thread-safe ring: a pthread rwlock around the plain ring.
#include "consistent_hash.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

int ring_ts_init(RingTs *ts, const RingConfig *config, RingError *err)
{
    int rc = ring_init(&ts->ring, config, err);
    if (rc != RING_OK) return rc;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    // glibc prefers readers by default: with lookups always in flight a change would wait forever.
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int e = pthread_rwlock_init(&ts->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (e != 0) {
        if (err) {
            err->code = RING_ERR_INVALID;
            snprintf(err->message, sizeof err->message, "pthread_rwlock_init: %s", strerror(e));
        }
        return RING_ERR_INVALID;
    }
    return RING_OK;
}

void ring_ts_destroy(RingTs *ts) { pthread_rwlock_destroy(&ts->lock); }

int ring_ts_add_node(RingTs *ts, const RingNode *node, std::vector<RingMove> *moves, RingError *err)
{
    pthread_rwlock_wrlock(&ts->lock);
    int rc = ring_add_node(&ts->ring, node, moves, err);
    pthread_rwlock_unlock(&ts->lock);
    return rc;
}

int ring_ts_remove_node(RingTs *ts, const char *id, std::vector<RingMove> *moves, RingError *err)
{
    pthread_rwlock_wrlock(&ts->lock);
    int rc = ring_remove_node(&ts->ring, id, moves, err);
    pthread_rwlock_unlock(&ts->lock);
    return rc;
}

int ring_ts_lookup(RingTs *ts, const char *key, RingLookup *out, RingError *err)
{
    pthread_rwlock_rdlock(&ts->lock);
    int rc = ring_lookup(&ts->ring, key, out, err);
    pthread_rwlock_unlock(&ts->lock);
    return rc;
}

size_t ring_ts_node_count(RingTs *ts)
{
    pthread_rwlock_rdlock(&ts->lock);
    size_t n = ring_node_count(&ts->ring);
    pthread_rwlock_unlock(&ts->lock);
    return n;
}
