#!/usr/bin/python3
# interop_client.py — EX08: the same calls from an independent gRPC implementation (python3-grpcio),
# with the messages protoc generated from the exercise's protos (--python_out) and each method named
# by its path. Prints one line per result; the C++ test compares them with what the README fixes.
# usage: interop_client.py GENERATED_PY_DIR PORT
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
import health_pb2  # noqa: E402
import task_service_pb2 as pb  # noqa: E402


class Stub:
    """The six TaskService methods and health Check, by path, as generated stubs would have them."""

    def __init__(self, channel):
        def method(kind, path, req, resp):
            return getattr(channel, kind)(path, request_serializer=req.SerializeToString,
                                          response_deserializer=resp.FromString)
        s = "/taskservice.TaskService/"
        self.CreateTask = method("unary_unary", s + "CreateTask", pb.CreateTaskRequest, pb.Task)
        self.GetTask = method("unary_unary", s + "GetTask", pb.GetTaskRequest, pb.Task)
        self.ListTasks = method("unary_stream", s + "ListTasks", pb.ListTasksRequest, pb.Task)
        self.ImportTasks = method("stream_unary", s + "ImportTasks", pb.CreateTaskRequest, pb.ImportSummary)
        self.StreamUpdates = method("stream_stream", s + "StreamUpdates", pb.TaskUpdate, pb.TaskEvent)
        self.WatchTask = method("unary_stream", s + "WatchTask", pb.WatchTaskRequest, pb.TaskEvent)
        self.Check = method("unary_unary", "/grpc.health.v1.Health/Check", health_pb2.HealthCheckRequest,
                            health_pb2.HealthCheckResponse)


def task_line(t):
    meta = ",".join("%s=%s" % kv for kv in sorted(t.metadata.items()))
    return "%s %s %s %d %d [%s]" % (t.id, t.title, pb.TaskStatus.Name(t.status), t.created_at, t.updated_at, meta)


def main():
    channel = grpc.insecure_channel("127.0.0.1:" + sys.argv[2])
    stub = Stub(channel)
    t = stub.CreateTask(pb.CreateTaskRequest(title="from python", description="d", metadata={"lang": "py"}),
                        metadata=[("x-request-id", "py-1")], timeout=10)
    print("create", task_line(t))
    print("get", task_line(stub.GetTask(pb.GetTaskRequest(id=t.id), timeout=10)))
    try:
        stub.GetTask(pb.GetTaskRequest(id="task-99"), timeout=10)
        print("get task-99 OK?")
    except grpc.RpcError as e:
        print("get task-99", e.code().name, e.details())
    summary = stub.ImportTasks(iter([pb.CreateTaskRequest(title="i1"), pb.CreateTaskRequest(title="i2")]), timeout=10)
    print("import", summary.created, " ".join(summary.ids))
    print("list", " ".join(x.id for x in stub.ListTasks(pb.ListTasksRequest(), timeout=10)))
    updates = [pb.TaskUpdate(id="task-2", status=pb.IN_PROGRESS), pb.TaskUpdate(id="task-2", status=pb.COMPLETED)]
    for ev in stub.StreamUpdates(iter(updates), timeout=10):
        print("update", pb.TaskEvent.Kind.Name(ev.kind), ev.revision, task_line(ev.task))
    for ev in stub.WatchTask(pb.WatchTaskRequest(id="task-2"), timeout=10):
        print("watch", pb.TaskEvent.Kind.Name(ev.kind), ev.revision, ev.task.id)
    print("list completed", " ".join(x.id for x in stub.ListTasks(pb.ListTasksRequest(status=pb.COMPLETED), timeout=10)))
    r = stub.Check(health_pb2.HealthCheckRequest(service="taskservice.TaskService"), timeout=10)
    print("health", health_pb2.HealthCheckResponse.ServingStatus.Name(r.status))


if __name__ == "__main__":
    main()
