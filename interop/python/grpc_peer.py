#!/usr/bin/env python3
"""gRPC interop peer (grpcio) for testdata/grpc/interop.proto.

    grpc_peer.py server            serve the Interop service with reflection;
                                   prints "listening 127.0.0.1:PORT", exits when
                                   stdin closes
    grpc_peer.py client ADDR       run the script against ADDR; prints one JSON
                                   line {"pass": [...], "fail": [...]} and exits
                                   non-zero on any failure

Code for the .proto is generated at start with grpcio-tools into a temporary
directory (no generated code is kept in the repository). The service: Echo
echoes, Collect replies with the last item (an empty one when none), Repeat
sends the item three times, Chat echoes each item, Ping answers Empty;
metadata "echo-meta" comes back as a header.
"""

import json
import os
import sys
import tempfile
import threading
from concurrent import futures

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_DIR = os.path.join(ROOT, "testdata", "grpc")
ITEM_JSON = os.path.join(PROTO_DIR, "item.json")
SERVICE = "anycall.interop.v1.Interop"


def generate():
    from grpc_tools import protoc
    import grpc_tools

    out = tempfile.mkdtemp(prefix="anycall-grpc-peer-")
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    rc = protoc.main([
        "protoc",
        "-I" + PROTO_DIR,
        "-I" + well_known,
        "--python_out=" + out,
        "--grpc_python_out=" + out,
        os.path.join(PROTO_DIR, "interop.proto"),
    ])
    if rc != 0:
        sys.exit("protoc failed")
    sys.path.insert(0, out)
    import interop_pb2
    import interop_pb2_grpc
    return interop_pb2, interop_pb2_grpc


def serve():
    import grpc
    from grpc_reflection.v1alpha import reflection

    pb, pb_grpc = generate()

    def echo_meta(context):
        meta = dict(context.invocation_metadata())
        if "echo-meta" in meta:
            context.send_initial_metadata((("echo-meta", meta["echo-meta"]),))

    class Interop(pb_grpc.InteropServicer):
        def Echo(self, request, context):
            echo_meta(context)
            return request

        def Collect(self, request_iterator, context):
            echo_meta(context)
            last = pb.Item()
            for item in request_iterator:
                last = item
            return last

        def Repeat(self, request, context):
            echo_meta(context)
            for _ in range(3):
                yield request

        def Chat(self, request_iterator, context):
            echo_meta(context)
            for item in request_iterator:
                yield item

        def Ping(self, request, context):
            return request

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    pb_grpc.add_InteropServicer_to_server(Interop(), server)
    names = (pb.DESCRIPTOR.services_by_name["Interop"].full_name, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"listening 127.0.0.1:{port}", flush=True)
    sys.stdin.read()
    server.stop(0)


def client(addr):
    import grpc
    from google.protobuf import json_format
    from google.protobuf import descriptor_pool
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    pb, pb_grpc = generate()
    passed, failed = [], []

    def check(name, ok, detail=""):
        (passed if ok else failed).append(name if ok else f"{name}: {detail}")

    with open(ITEM_JSON, encoding="utf-8") as f:
        item = json_format.Parse(f.read(), pb.Item())
    last = pb.Item()
    last.CopyFrom(item)
    del last.tags[:]
    last.tags.append("last")

    channel = grpc.insecure_channel(addr)
    stub = pb_grpc.InteropStub(channel)
    try:
        reply, call = stub.Echo.with_call(item, metadata=(("echo-meta", "m-1"),), timeout=10)
        check("Echo", reply == item, json_format.MessageToJson(reply))
        headers = dict(call.initial_metadata())
        check("Echo metadata", headers.get("echo-meta") == "m-1", repr(headers))
        reply = stub.Collect(iter([item, item, last]), timeout=10)
        check("Collect", reply == last, json_format.MessageToJson(reply))
        reply = stub.Collect(iter([]), timeout=10)
        check("Collect empty", reply == pb.Item(), json_format.MessageToJson(reply))
        replies = list(stub.Repeat(item, timeout=10))
        check("Repeat", replies == [item, item, item], f"{len(replies)} replies")
        # Bidi: each reply is read before the next request is sent.
        requests = []
        cond = threading.Condition()

        def gen():
            for i in range(3):
                with cond:
                    while len(requests) < i:
                        cond.wait(10)
                yield item

        got = 0
        for reply in stub.Chat(gen(), timeout=10):
            got += 1
            check(f"Chat #{got}", reply == item, json_format.MessageToJson(reply))
            with cond:
                requests.append(got)
                cond.notify_all()
        check("Chat count", got == 3, str(got))
        from google.protobuf import empty_pb2

        check("Ping", stub.Ping(empty_pb2.Empty(), timeout=10) == empty_pb2.Empty())
    except grpc.RpcError as e:
        check("calls", False, f"{e.code()}: {e.details()}")

    # Reflection (v1alpha, grpcio's client): the service and the Item type.
    try:
        db = ProtoReflectionDescriptorDatabase(channel)
        services = set(db.get_services())
        check("reflection list", SERVICE in services, repr(services))
        pool = descriptor_pool.DescriptorPool(db)
        svc = pool.FindServiceByName(SERVICE)
        check("reflection service", [m.name for m in svc.methods] ==
              ["Echo", "Collect", "Repeat", "Chat", "Ping"], repr([m.name for m in svc.methods]))
        msg = pool.FindMessageTypeByName("anycall.interop.v1.Item")
        check("reflection message", msg.fields_by_name["by_id"].number == 7)
    except Exception as e:  # noqa: BLE001 - report any reflection failure
        check("reflection", False, repr(e))

    print(json.dumps({"pass": passed, "fail": failed}), flush=True)
    sys.exit(1 if failed else 0)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "server":
        serve()
    elif len(sys.argv) == 3 and sys.argv[1] == "client":
        client(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
