#!/usr/bin/env python3
"""Schema-less Thrift peer for the codec cross-check (crates/anycall-codec/tests/codec/apache.rs).

Uses only Apache Thrift's own TBinaryProtocol / TCompactProtocol (the
pure-Python classes, not the fastbinary extension) over a TMemoryBuffer: no
generated code, no IDL. Needs a `thrift` with the uuid type (TType.UUID).
Reads one JSON request per line on stdin and answers one JSON line on stdout:

    {"op": "decode", "protocol": "binary"|"compact", "hex": "...", "message": false}
        -> {"ok": TREE}            (a bare struct)
    {"op": "decode", ..., "message": true}
        -> {"ok": {"name": str, "type": int, "seqid": int, "body": TREE}}
    {"op": "encode", "protocol": ..., "tree": TREE}
        -> {"ok": "<hex>"}
    {"op": "encode", "protocol": ..., "message": {"name", "type", "seqid", "body": TREE}}
        -> {"ok": "<hex>"}
    any failure -> {"error": "..."}

A TREE node is {"type": NAME, "value": ...}, NAME one of bool, byte, i16,
i32, i64, double, string, uuid, struct, map, set, list:

    scalars       value is the JSON number / bool; string (and binary) value is base64;
                  uuid value is 32 lowercase hex digits, the 16 wire bytes in order
    struct        value is {"<field id>": node, ...} in wire order
    list, set     {"type": "list", "elem": NAME, "value": [node, ...]}
    map           {"type": "map", "key": NAME, "val": NAME, "value": [[knode, vnode], ...]}

An empty Compact map carries no element types; they read as "stop".
"""

import base64
import json
import sys
import uuid

from thrift.protocol import TBinaryProtocol, TCompactProtocol
from thrift.Thrift import TType
from thrift.transport import TTransport

NAMES = {
    TType.STOP: "stop",
    TType.BOOL: "bool",
    TType.BYTE: "byte",
    TType.I16: "i16",
    TType.I32: "i32",
    TType.I64: "i64",
    TType.DOUBLE: "double",
    TType.STRING: "string",
    TType.STRUCT: "struct",
    TType.MAP: "map",
    TType.SET: "set",
    TType.LIST: "list",
    TType.UUID: "uuid",
}
TYPES = {name: t for t, name in NAMES.items()}


def protocol(name, trans):
    if name == "binary":
        return TBinaryProtocol.TBinaryProtocol(trans)
    if name == "compact":
        return TCompactProtocol.TCompactProtocol(trans)
    raise ValueError("unknown protocol %r" % name)


def type_name(t):
    if t not in NAMES:
        raise ValueError("unknown wire type %d" % t)
    return NAMES[t]


def read(p, t):
    if t == TType.BOOL:
        return {"type": "bool", "value": p.readBool()}
    if t == TType.BYTE:
        return {"type": "byte", "value": p.readByte()}
    if t == TType.I16:
        return {"type": "i16", "value": p.readI16()}
    if t == TType.I32:
        return {"type": "i32", "value": p.readI32()}
    if t == TType.I64:
        return {"type": "i64", "value": p.readI64()}
    if t == TType.DOUBLE:
        return {"type": "double", "value": p.readDouble()}
    if t == TType.STRING:
        return {"type": "string", "value": base64.b64encode(p.readBinary()).decode()}
    if t == TType.UUID:
        return {"type": "uuid", "value": p.readUuid().hex}
    if t == TType.STRUCT:
        return {"type": "struct", "value": read_struct(p)}
    if t in (TType.LIST, TType.SET):
        begin, end = (p.readListBegin, p.readListEnd) if t == TType.LIST else (p.readSetBegin, p.readSetEnd)
        et, n = begin()
        items = [read(p, et) for _ in range(n)]
        end()
        return {"type": type_name(t), "elem": type_name(et), "value": items}
    if t == TType.MAP:
        kt, vt, n = p.readMapBegin()
        pairs = []
        for _ in range(n):
            k = read(p, kt)
            v = read(p, vt)
            pairs.append([k, v])
        p.readMapEnd()
        return {"type": "map", "key": type_name(kt), "val": type_name(vt), "value": pairs}
    raise ValueError("cannot read wire type %d" % t)


def read_struct(p):
    fields = {}
    p.readStructBegin()
    while True:
        _, t, fid = p.readFieldBegin()
        if t == TType.STOP:
            break
        fields[str(fid)] = read(p, t)
        p.readFieldEnd()
    p.readStructEnd()
    return fields


def write(p, node):
    t = TYPES[node["type"]]
    v = node["value"]
    if t == TType.BOOL:
        p.writeBool(v)
    elif t == TType.BYTE:
        p.writeByte(v)
    elif t == TType.I16:
        p.writeI16(v)
    elif t == TType.I32:
        p.writeI32(v)
    elif t == TType.I64:
        p.writeI64(v)
    elif t == TType.DOUBLE:
        p.writeDouble(float(v))
    elif t == TType.STRING:
        p.writeBinary(base64.b64decode(v))
    elif t == TType.UUID:
        if len(v) != 32:
            raise ValueError("uuid value %r is not 32 hex digits" % v)
        p.writeUuid(uuid.UUID(hex=v))
    elif t == TType.STRUCT:
        write_struct(p, v)
    elif t == TType.LIST:
        p.writeListBegin(TYPES[node["elem"]], len(v))
        for item in v:
            write(p, item)
        p.writeListEnd()
    elif t == TType.SET:
        p.writeSetBegin(TYPES[node["elem"]], len(v))
        for item in v:
            write(p, item)
        p.writeSetEnd()
    elif t == TType.MAP:
        p.writeMapBegin(TYPES[node["key"]], TYPES[node["val"]], len(v))
        for k, val in v:
            write(p, k)
            write(p, val)
        p.writeMapEnd()
    else:
        raise ValueError("cannot write %r" % node["type"])


def write_struct(p, fields):
    p.writeStructBegin("")
    for fid, node in fields.items():
        p.writeFieldBegin("", TYPES[node["type"]], int(fid))
        write(p, node)
        p.writeFieldEnd()
    p.writeFieldStop()
    p.writeStructEnd()


def handle(req):
    if req["op"] == "decode":
        trans = TTransport.TMemoryBuffer(bytes.fromhex(req["hex"]))
        p = protocol(req["protocol"], trans)
        if req.get("message"):
            name, mtype, seqid = p.readMessageBegin()
            body = read_struct(p)
            p.readMessageEnd()
            out = {"name": name, "type": mtype, "seqid": seqid, "body": body}
        else:
            out = read_struct(p)
        rest = len(trans.getvalue()) - trans._buffer.tell()
        if rest:
            raise ValueError("%d bytes left after the struct" % rest)
        return out
    if req["op"] == "encode":
        trans = TTransport.TMemoryBuffer()
        p = protocol(req["protocol"], trans)
        msg = req.get("message")
        if msg:
            p.writeMessageBegin(msg["name"], msg["type"], msg["seqid"])
            write_struct(p, msg["body"]["value"])
            p.writeMessageEnd()
        else:
            write_struct(p, req["tree"]["value"])
        return trans.getvalue().hex()
    raise ValueError("unknown op %r" % req["op"])


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = {"ok": handle(json.loads(line))}
        except Exception as e:  # reported to the test, which fails with it
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
