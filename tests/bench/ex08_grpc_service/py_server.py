#!/usr/bin/python3
# py_server.py — the bench's peer: TaskService's unary and streaming calls on python3-grpcio's own
# server (a thread pool), same proto, same semantics as the exercise for what the bench uses.
# usage: py_server.py GENERATED_PY_DIR [WORKERS]   prints "listening on 127.0.0.1:PORT", runs until SIGTERM
import signal
import sys
import threading
from concurrent import futures

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
import task_service_pb2 as pb  # noqa: E402

tasks = []
lock = threading.Lock()


def create(req, ctx):
    with lock:
        t = pb.Task(id="task-%d" % (len(tasks) + 1), title=req.title, description=req.description, status=pb.PENDING)
        tasks.append(t)
        return t


def get(req, ctx):
    with lock:
        n = int(req.id[5:]) if req.id.startswith("task-") and req.id[5:].isdigit() else 0
        if 1 <= n <= len(tasks):
            return tasks[n - 1]
    ctx.abort(grpc.StatusCode.NOT_FOUND, "task '%s' not found" % req.id)


def list_tasks(req, ctx):
    with lock:
        snapshot = list(tasks)
    sent = 0
    for t in snapshot:
        if req.limit and sent == req.limit:
            break
        if req.HasField("status") and t.status != req.status:
            continue
        sent += 1
        yield t


def import_tasks(reqs, ctx):
    s = pb.ImportSummary()
    for r in reqs:
        s.ids.append(create(r, ctx).id)
        s.created += 1
    return s


def main():
    h = {
        "CreateTask": grpc.unary_unary_rpc_method_handler(create, pb.CreateTaskRequest.FromString, pb.Task.SerializeToString),
        "GetTask": grpc.unary_unary_rpc_method_handler(get, pb.GetTaskRequest.FromString, pb.Task.SerializeToString),
        "ListTasks": grpc.unary_stream_rpc_method_handler(list_tasks, pb.ListTasksRequest.FromString, pb.Task.SerializeToString),
        "ImportTasks": grpc.stream_unary_rpc_method_handler(import_tasks, pb.CreateTaskRequest.FromString,
                                                            pb.ImportSummary.SerializeToString),
    }
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("taskservice.TaskService", h),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("listening on 127.0.0.1:%d" % port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    done.wait()
    server.stop(1).wait()


if __name__ == "__main__":
    main()
