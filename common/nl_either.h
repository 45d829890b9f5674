// nl_either.h — timers and stopping for a program that runs on either loop: the readiness one
// (nl_loop, when cq is NULL) or the completion one (nl_cq). F(arg) runs when the timer fires.
#pragma once
#include "nl_cq.h"
#include "nl_loop.h"

template <void (*F)(void *)> void nl_either_loop_cb(nl_loop *, uint64_t, void *arg) { F(arg); }
template <void (*F)(void *)> void nl_either_cq_cb(nl_cq *, uint64_t, void *arg) { F(arg); }

template <void (*F)(void *)> inline uint64_t nl_either_timer(nl_loop *loop, nl_cq *cq, uint64_t ms, void *arg)
{
    return cq ? nl_cq_timer(cq, ms, nl_either_cq_cb<F>, arg) : nl_loop_timer(loop, ms, nl_either_loop_cb<F>, arg);
}

inline void nl_either_cancel(nl_loop *loop, nl_cq *cq, uint64_t id)
{
    if (cq) nl_cq_cancel(cq, id);
    else nl_loop_cancel(loop, id);
}

inline void nl_either_stop(nl_loop *loop, nl_cq *cq)
{
    if (cq) nl_cq_stop(cq);
    else nl_loop_stop(loop);
}
