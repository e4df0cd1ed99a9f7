#!/usr/bin/env python3
"""A second, independent daprd stand-in for anycall's Dapr component, built
on grpcio and grpcio-reflection (PyPI) with no generated code: it discovers
the component as daprd does (reflection v1alpha ListServices), fetches the
service's descriptors by reflection, builds the messages from them, then
runs Init, ListOperations and one Invoke with the x-component-instance
header.

    dapr_driver.py SOCKET --host-ports HOST:PORT --method NAME --data-hex HEX

Prints one JSON object: {"services": [...], "operations": [...],
"data_hex": "..."}; exits 1 with a message on stderr when a step fails.
"""
import argparse
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

SERVICE = "dapr.proto.components.v1.OutputBinding"
# grpc-core sends the socket path as :authority on unix: targets, which an
# HTTP/2 server may refuse as malformed (hyper/h2 resets the stream);
# grpc-go, and so daprd, sends "localhost".
OPTIONS = (("grpc.default_authority", "localhost"),)


def reflect(channel, request):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    if len(replies) != 1:
        raise SystemExit(f"expected one reflection reply, got {len(replies)}")
    return replies[0]


def load_files(channel, pool):
    """Adds the file declaring SERVICE and its imports to pool."""
    reply = reflect(channel, reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE))
    pending = list(reply.file_descriptor_response.file_descriptor_proto)
    seen = {}
    while pending:
        proto = descriptor_pb2.FileDescriptorProto.FromString(pending.pop())
        seen[proto.name] = proto
        for dep in proto.dependency:
            if dep not in seen:
                r = reflect(channel, reflection_pb2.ServerReflectionRequest(file_by_filename=dep))
                pending.extend(r.file_descriptor_response.file_descriptor_proto)
    added = set()

    def add(name):
        if name in added:
            return
        for dep in seen[name].dependency:
            add(dep)
        pool.Add(seen[name])
        added.add(name)

    for name in list(seen):
        add(name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("socket")
    parser.add_argument("--host-ports", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--data-hex", required=True)
    parser.add_argument("--instance", default="py-driver")
    args = parser.parse_args()

    target = "unix://" + args.socket
    # Discovery on its own connection, without the instance header.
    with grpc.insecure_channel(target, options=OPTIONS) as discovery:
        reply = reflect(discovery, reflection_pb2.ServerReflectionRequest(list_services="*"))
        services = [s.name for s in reply.list_services_response.service]
        if SERVICE not in services:
            raise SystemExit(f"{SERVICE} not announced: {services}")
        pool = descriptor_pool.DescriptorPool()
        load_files(discovery, pool)

    def cls(name):
        return message_factory.GetMessageClass(pool.FindMessageTypeByName("dapr.proto.components.v1." + name))

    header = (("x-component-instance", args.instance),)
    with grpc.insecure_channel(target, options=OPTIONS) as channel:
        def unary(method, request, response):
            call = channel.unary_unary(
                f"/{SERVICE}/{method}",
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=cls(response).FromString,
            )
            return call(request, metadata=header, timeout=10)

        init = cls("OutputBindingInitRequest")()
        init.metadata.properties["hostPorts"] = args.host_ports
        init.metadata.properties["destService"] = "EchoService"
        unary("Init", init, "OutputBindingInitResponse")
        ops = unary("ListOperations", cls("ListOperationsRequest")(), "ListOperationsResponse")
        invoke = cls("InvokeRequest")(operation="get", data=bytes.fromhex(args.data_hex))
        invoke.metadata["methodName"] = args.method
        resp = unary("Invoke", invoke, "InvokeResponse")
    print(json.dumps({"services": services, "operations": list(ops.operations), "data_hex": resp.data.hex()}))


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as e:
        print(f"dapr_driver: {e.code()}: {e.details()}", file=sys.stderr)
        sys.exit(1)
