// task_pb.h — EX08, given: conversions between the generated protobuf messages and the plain structs
// of grpc_core.h, shared by the server, the client and the tests.
#pragma once
#include "grpc_core.h"
#include "task_service.pb.h"

inline void task_to_pb(const TaskInfo &t, taskservice::Task *m)
{
    m->set_id(t.id);
    m->set_title(t.title);
    m->set_description(t.description);
    m->set_status((taskservice::TaskStatus)t.status);
    m->set_created_at(t.created_at);
    m->set_updated_at(t.updated_at);
    m->mutable_metadata()->clear();
    for (const auto &[k, v] : t.metadata) (*m->mutable_metadata())[k] = v;
}

inline TaskInfo task_from_pb(const taskservice::Task &m)
{
    TaskInfo t;
    t.id = m.id();
    t.title = m.title();
    t.description = m.description();
    t.status = (int)m.status();
    t.created_at = m.created_at();
    t.updated_at = m.updated_at();
    for (const auto &[k, v] : m.metadata()) t.metadata[k] = v;
    return t;
}

inline void event_to_pb(const TaskEventInfo &e, taskservice::TaskEvent *m)
{
    m->set_kind((taskservice::TaskEvent::Kind)e.kind);
    task_to_pb(e.task, m->mutable_task());
    m->set_revision(e.revision);
}

inline TaskEventInfo event_from_pb(const taskservice::TaskEvent &m)
{
    TaskEventInfo e;
    e.kind = (int)m.kind();
    e.task = task_from_pb(m.task());
    e.revision = m.revision();
    return e;
}
