#!/usr/bin/python3
# interop_client.py — EX08: the same calls from an independent gRPC implementation (python3-grpcio),
# with stubs protoc generated from the exercise's protos. Prints one line per result; the C++ test
# compares them with what the README fixes.
# usage: interop_client.py GENERATED_PY_DIR PORT
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
import task_service_pb2 as pb  # noqa: E402
import task_service_pb2_grpc  # noqa: E402


def task_line(t):
    meta = ",".join("%s=%s" % kv for kv in sorted(t.metadata.items()))
    return "%s %s %s %d %d [%s]" % (t.id, t.title, pb.TaskStatus.Name(t.status), t.created_at, t.updated_at, meta)


def main():
    channel = grpc.insecure_channel("127.0.0.1:" + sys.argv[2])
    stub = task_service_pb2_grpc.TaskServiceStub(channel)
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
    health = health_pb2_grpc.HealthStub(channel)
    r = health.Check(health_pb2.HealthCheckRequest(service="taskservice.TaskService"), timeout=10)
    print("health", health_pb2.HealthCheckResponse.ServingStatus.Name(r.status))


if __name__ == "__main__":
    main()
