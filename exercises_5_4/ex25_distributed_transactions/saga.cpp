// saga.cpp — a saga orchestrator whose only memory is its event file: every step and compensation
// is announced (STARTED) before it runs and recorded (COMPLETED) after, so a restarted orchestrator
// rebuilds its state from the file, retries the step in flight with the same idempotency key, and
// compensates completed steps in reverse order.
#include "dist_tx.h"
#include "tx_node.h"

#include <cstdio>
#include <cstring>

struct saga_step {
    std::string name;
    saga_fn action, compensation;
    void *ctx;
};

struct saga {
    std::string id, path;
    int max_attempts;
    tx_io io{};
    std::vector<saga_step> steps;
};

static int bad(tx_error *err, int code, const char *fmt, const char *a = "")
{
    if (err) {
        err->code = code;
        snprintf(err->msg, sizeof err->msg, fmt, a);
    }
    return code;
}

const char *saga_status_name(saga_status s)
{
    switch (s) {
    case SAGA_NOT_STARTED: return "NOT_STARTED";
    case SAGA_RUNNING: return "RUNNING";
    case SAGA_COMPENSATING: return "COMPENSATING";
    case SAGA_COMPLETED: return "COMPLETED";
    case SAGA_COMPENSATED: return "COMPENSATED";
    case SAGA_STUCK: return "STUCK";
    }
    return "?";
}

int saga_new(const char *saga_id, const char *event_path, int max_attempts, const tx_io *io, saga **out,
             tx_error *err)
{
    if (!out)
        return bad(err, TX_ERR_ARG, "saga_new: out must not be NULL");
    *out = nullptr;
    if (!tx_id_ok(saga_id))
        return bad(err, TX_ERR_ARG, "saga_new: a saga id is 1..32 chars of [A-Za-z0-9_.-]");
    if (!event_path || max_attempts < 1)
        return bad(err, TX_ERR_ARG, "saga_new: an event file path and max_attempts >= 1 are required");
    saga *s = new saga;
    s->id = saga_id;
    s->path = event_path;
    s->max_attempts = max_attempts;
    if (io)
        s->io = *io;
    *out = s;
    return TX_OK;
}

int saga_add_step(saga *s, const char *name, saga_fn action, saga_fn compensation, void *ctx, tx_error *err)
{
    if (!s || !tx_id_ok(name) || !action || !compensation)
        return bad(err, TX_ERR_ARG, "saga_add_step: a step name (1..32 chars of [A-Za-z0-9_.-]), an action and a compensation are required");
    for (const saga_step &st : s->steps)
        if (st.name == name)
            return bad(err, TX_ERR_ARG, "saga_add_step: step '%s' is already in this saga", name);
    s->steps.push_back({name, action, compensation, ctx});
    return TX_OK;
}

void saga_free(saga *s) { delete s; }

// Applies one event record to the state of saga `id`; false when the record is malformed.
static bool apply_event(const std::string &rec, const std::string &id, saga_state *st)
{
    char sid[64], ev[32], step[64], extra[64];
    extra[0] = 0;
    int n = sscanf(rec.c_str(), "%63s %31s %63s %63s", sid, ev, step, extra);
    if (n < 3)
        return false;
    if (id != sid)
        return true; // another saga's event
    std::string e = ev, s = step;
    if (e == "STEP_STARTED") {
        st->status = SAGA_RUNNING;
        st->in_flight = s;
    } else if (e == "STEP_COMPLETED") {
        st->completed.push_back(s);
        st->in_flight.clear();
    } else if (e == "STEP_FAILED") {
        st->status = SAGA_COMPENSATING;
        st->failed_step = s;
        st->error = extra;
        st->in_flight.clear();
    } else if (e == "COMP_STARTED") {
        st->status = SAGA_COMPENSATING;
        st->in_flight = s;
    } else if (e == "COMP_COMPLETED") {
        st->compensated.push_back(s);
        st->in_flight.clear();
    } else if (e == "SAGA_COMPLETED") {
        st->status = SAGA_COMPLETED;
    } else if (e == "SAGA_COMPENSATED") {
        st->status = SAGA_COMPENSATED;
    } else if (e == "SAGA_STUCK") {
        st->status = SAGA_STUCK;
        st->in_flight.clear();
    } else {
        return false;
    }
    return true;
}

static int rebuild_from(const txlog *log, const char *saga_id, saga_state *out, tx_error *err)
{
    *out = saga_state{};
    out->saga_id = saga_id;
    for (size_t i = 0; i < txlog_count(log); i++) {
        if (!apply_event(txlog_record(log, i), saga_id, out)) {
            char where[32];
            snprintf(where, sizeof where, "%zu", i + 1);
            return bad(err, TX_ERR_STATE, "saga event file: record %s is not '<saga> <EVENT> <step>'", where);
        }
    }
    return TX_OK;
}

int saga_rebuild(const char *event_path, const char *saga_id, saga_state *out, tx_error *err)
{
    if (!event_path || !tx_id_ok(saga_id) || !out)
        return bad(err, TX_ERR_ARG, "saga_rebuild: an event file, a valid saga id and out are required");
    txlog *log = nullptr;
    int rc = txlog_open(event_path, &log, nullptr, err);
    if (rc != TX_OK)
        return rc;
    rc = rebuild_from(log, saga_id, out, err);
    txlog_close(log);
    return rc;
}

namespace {
struct runner {
    saga *s;
    txlog *log;
    tx_node node; // for the crash points
};
} // namespace

static int emit(runner *r, const char *ev, const std::string &step, const char *extra = nullptr)
{
    std::string rec = r->s->id + " " + ev + " " + step;
    if (extra)
        rec += std::string(" ") + extra;
    if (tx_crash(&r->node, TX_BEFORE_LOG, rec.c_str()))
        return TX_CRASHED;
    tx_error err;
    if (txlog_append(r->log, rec.data(), rec.size(), &err) != TX_OK)
        return TX_ERR_IO;
    if (tx_crash(&r->node, TX_AFTER_LOG, rec.c_str()))
        return TX_CRASHED;
    return TX_OK;
}

// Calls fn up to max_attempts times while it asks for a retry; *res is its last answer.
static int call(runner *r, const saga_step &st, saga_fn fn, int *res)
{
    for (int attempt = 1; attempt <= r->s->max_attempts; attempt++) {
        if (tx_crash(&r->node, TX_BEFORE_CALL, st.name.c_str()))
            return TX_CRASHED;
        *res = fn(st.ctx, r->s->id.c_str(), st.name.c_str(), attempt);
        if (tx_crash(&r->node, TX_AFTER_CALL, st.name.c_str()))
            return TX_CRASHED;
        if (*res != SAGA_RETRY)
            return TX_OK;
    }
    return TX_OK;
}

#define TRY(x)                  \
    do {                        \
        int rc_ = (x);          \
        if (rc_ != TX_OK)       \
            return rc_;         \
    } while (0)

static int run(runner *r, saga_state *st, saga_status *status)
{
    saga *s = r->s;
    if (st->status == SAGA_NOT_STARTED || st->status == SAGA_RUNNING) {
        for (size_t i = st->completed.size(); i < s->steps.size(); i++) {
            const saga_step &step = s->steps[i];
            if (st->in_flight != step.name) // resumed: it was announced already
                TRY(emit(r, "STEP_STARTED", step.name));
            st->in_flight = step.name;
            st->status = SAGA_RUNNING;
            int res = SAGA_FAIL;
            TRY(call(r, step, step.action, &res));
            if (res == SAGA_DONE) {
                TRY(emit(r, "STEP_COMPLETED", step.name));
                st->completed.push_back(step.name);
                st->in_flight.clear();
                continue;
            }
            TRY(emit(r, "STEP_FAILED", step.name, res == SAGA_RETRY ? "retries-exhausted" : "failed"));
            st->failed_step = step.name;
            st->in_flight.clear();
            st->status = SAGA_COMPENSATING;
            break;
        }
        if (st->status == SAGA_RUNNING || st->status == SAGA_NOT_STARTED) {
            TRY(emit(r, "SAGA_COMPLETED", "-"));
            *status = SAGA_COMPLETED;
            return TX_OK;
        }
    }
    if (st->status == SAGA_COMPENSATING) {
        // Undo in reverse order of completion, skipping what was already undone before a crash.
        // compensated is a suffix of completed, reversed: what is left is completed's prefix.
        size_t left = st->completed.size() - st->compensated.size();
        for (size_t k = left; k-- > 0;) {
            const std::string &name = st->completed[k];
            const saga_step *step = nullptr;
            for (const saga_step &x : s->steps)
                if (x.name == name)
                    step = &x;
            if (!step)
                return TX_ERR_STATE;
            if (st->in_flight != name)
                TRY(emit(r, "COMP_STARTED", name));
            st->in_flight = name;
            int res = SAGA_FAIL;
            TRY(call(r, *step, step->compensation, &res));
            if (res != SAGA_DONE) {
                TRY(emit(r, "SAGA_STUCK", name));
                *status = SAGA_STUCK;
                return TX_OK;
            }
            TRY(emit(r, "COMP_COMPLETED", name));
            st->compensated.push_back(name);
            st->in_flight.clear();
        }
        TRY(emit(r, "SAGA_COMPENSATED", "-"));
        *status = SAGA_COMPENSATED;
        return TX_OK;
    }
    *status = st->status;
    return TX_OK;
}

int saga_execute(saga *s, saga_status *status, tx_error *err)
{
    if (!s || !status)
        return bad(err, TX_ERR_ARG, "saga_execute: saga and status are required");
    runner r{s, nullptr, tx_node{}};
    r.node.io = s->io;
    int rc = txlog_open(s->path.c_str(), &r.log, nullptr, err);
    if (rc != TX_OK)
        return rc;
    saga_state st;
    rc = rebuild_from(r.log, s->id.c_str(), &st, err);
    if (rc == TX_OK) {
        // The file must describe this saga's steps: a resumed run must not skip a different step.
        for (size_t i = 0; i < st.completed.size() && rc == TX_OK; i++)
            if (i >= s->steps.size() || s->steps[i].name != st.completed[i])
                rc = bad(err, TX_ERR_STATE, "saga_execute: the event file's steps differ from this saga's at '%s'",
                         st.completed[i].c_str());
    }
    if (rc == TX_OK) {
        rc = run(&r, &st, status);
        if (rc == TX_ERR_IO)
            bad(err, TX_ERR_IO, "saga_execute: cannot write the event file '%s'", s->path.c_str());
        else if (rc == TX_ERR_STATE)
            bad(err, TX_ERR_STATE, "saga_execute: the event file names a step this saga does not have");
    }
    txlog_close(r.log);
    return rc;
}
