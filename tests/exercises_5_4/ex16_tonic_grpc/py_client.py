#!/usr/bin/python3
# py_client.py — the second, independent client of EX16: python3-grpcio (Debian) and the user_pb2
# module protoc generated from user.proto, no code of ours. Run by test_python_client as
#   /usr/bin/python3 py_client.py PORT GEN_DIR TOKEN MAX_MESSAGE
# It makes a fixed list of calls and prints one line per call: what it did, the code (gRPC's name),
# the message, the x-request-id the server sent back (its headers, or with the trailers of an
# answer without a message) and the user; the test compares every line with what the README says.
import sys

import grpc

port, gen_dir, token, max_message = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, gen_dir)
import user_pb2  # noqa: E402

channel = grpc.insecure_channel("127.0.0.1:" + port)
rpc = {
    "get": channel.unary_unary("/netlab.user.UserService/GetUser",
                               request_serializer=user_pb2.GetUserRequest.SerializeToString,
                               response_deserializer=user_pb2.GetUserResponse.FromString),
    "create": channel.unary_unary("/netlab.user.UserService/CreateUser",
                                  request_serializer=user_pb2.CreateUserRequest.SerializeToString,
                                  response_deserializer=user_pb2.CreateUserResponse.FromString),
}


def request_id(call):
    for k, v in list(call.initial_metadata() or ()) + list(call.trailing_metadata() or ()):
        if k == "x-request-id":
            return v
    return "-"


def call(label, kind, req, metadata):
    try:
        resp, c = rpc[kind].with_call(req, metadata=metadata, timeout=10)
        u = resp.user
        ident = "digits" if u.id.isdigit() and int(u.id) > 0 else "bad:" + u.id
        print("%s: OK '' rid=%s user=%s,%s,%s" % (label, request_id(c), ident, u.name, u.email), flush=True)
        return resp
    except grpc.RpcError as e:
        print("%s: %s %d '%s' rid=%s" % (label, e.code().name, e.code().value[0], e.details(), request_id(e)),
              flush=True)
        return None


good = [("authorization", "Bearer " + token)]
call("get no token", "get", user_pb2.GetUserRequest(user_id="none"), [("x-request-id", "py-1")])
call("get bad token", "get", user_pb2.GetUserRequest(user_id="none"),
     [("authorization", "Bearer " + token + "x"), ("x-request-id", "py-2")])
made = call("create alice", "create", user_pb2.CreateUserRequest(name="Alice", email="a@b.com"),
            good + [("x-request-id", "py-3")])
if made is not None:
    got = call("get alice", "get", user_pb2.GetUserRequest(user_id=made.user.id), good)
    print("same user: %s" % (got is not None and got.user == made.user), flush=True)
call("get none", "get", user_pb2.GetUserRequest(user_id="none"), good + [("x-request-id", "py-5")])
call("create no name", "create", user_pb2.CreateUserRequest(name="", email="c@d.com"), good)
call("create dup email", "create", user_pb2.CreateUserRequest(name="Bob", email="A@B.COM"), good)
call("create no name, no token", "create", user_pb2.CreateUserRequest(name="", email="e@f.com"), [])
big = user_pb2.CreateUserRequest(name="Carl", email="c" * max_message + "@big.com")
call("create too big", "create", big, good + [("x-request-id", "py-9")])
call("create carl", "create", user_pb2.CreateUserRequest(name="Carl", email="carl@big.com"), good)
