#!/usr/bin/env python3
"""Apache Thrift (Python) echo peer for anycall's interop tests.

  peer.py server [--addr HOST:PORT] [--transport buffered|framed|theader] [--protocol binary|compact]
                 [--multiplexed] [--zlib] [--keep-stdin]
  peer.py client --addr HOST:PORT [--transport buffered|framed|theader] [--protocol binary|compact]
                 [--multiplexed] [--zlib]

The server serves EchoService from testdata/interop/echo.thrift and prints
`listening HOST:PORT` once bound; it exits when stdin reaches end of file (unless
--keep-stdin) or on SIGINT/SIGTERM. The client runs testdata/interop/script.json and
prints one JSON line per call; it exits 0 only when every call gave the expected
outcome.

--transport theader is Apache's THeaderProtocol (THeaderTransport, magic 0x0FFF): the
server takes THeader clients only, answers each header `k` of a request with a
header `seen-k` of the same value, and the client sends the header `trace` (the
run's event) on every call and checks that `seen-transient-trace` comes back
(anycall's echo service) or `seen-trace` (this server). --zlib makes the client
compress its requests and the server its replies (THeader's zlib transform). --multiplexed: the server hosts
EchoService behind a TMultiplexedProcessor under the name "EchoService" (no default
service), the client wraps its protocol in TMultiplexedProtocol("EchoService"). Code is generated into interop/python/gen by scripts/interop-setup; the
peer re-executes itself with interop/.venv's interpreter when it is not already
running in it. See interop/README.md.
"""

import argparse
import base64
import json
import logging
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(HERE, "gen")
VENV = os.path.join(ROOT, "interop", ".venv")
SCRIPT = os.path.join(ROOT, "testdata", "interop", "script.json")

FIRED_ATTEMPTS = 200
FIRED_PAUSE = 0.01


def _use_venv():
    venv_python = os.path.join(VENV, "bin", "python")
    inside = os.path.realpath(sys.prefix) == os.path.realpath(VENV)
    if not inside and os.path.exists(venv_python) and not os.environ.get("INTEROP_PEER_REEXEC"):
        os.environ["INTEROP_PEER_REEXEC"] = "1"
        os.execv(venv_python, [venv_python, os.path.abspath(__file__)] + sys.argv[1:])


_use_venv()
sys.path.insert(0, GEN)

try:
    from thrift.Thrift import TApplicationException, TType
    from thrift.TMultiplexedProcessor import TMultiplexedProcessor
    from thrift.protocol import TBinaryProtocol, TCompactProtocol, TMultiplexedProtocol
    from thrift.protocol.THeaderProtocol import THeaderProtocol, THeaderProtocolFactory
    from thrift.server import TServer
    from thrift.transport import TSocket, TTransport
    from thrift.transport.THeaderTransport import (
        THeaderClientType, THeaderSubprotocolID, THeaderTransformID)

    from base.ttypes import BaseResp
    from echo import EchoService
    from echo.ttypes import EchoError, EchoResponse, OtherError
except ImportError as e:  # pragma: no cover - setup problem
    sys.stderr.write("peer.py: %s (run scripts/interop-setup first)\n" % e)
    sys.exit(2)


# ------------------------------------------------------------------ canonical JSON

def _key_to_json(v, ttype, targs):
    if ttype == TType.STRING:
        return base64.b64encode(v).decode() if targs == "BINARY" else v
    if ttype == TType.BOOL:
        return "true" if v else "false"
    return str(v)


def _key_from_json(k, ttype, targs):
    if ttype == TType.STRING:
        return base64.b64decode(k) if targs == "BINARY" else k
    if ttype == TType.BOOL:
        return k == "true"
    if ttype == TType.DOUBLE:
        return float(k)
    return int(k)


def to_json(v, ttype, targs):
    """Thrift value (as the generated Python code holds it) -> canonical JSON value."""
    if ttype == TType.STRUCT:
        return struct_to_json(v)
    if ttype == TType.BOOL:
        return bool(v)
    if ttype in (TType.BYTE, TType.I16, TType.I32, TType.I64):
        return int(v)
    if ttype == TType.DOUBLE:
        return float(v)
    if ttype == TType.STRING:
        return base64.b64encode(v).decode() if targs == "BINARY" else v
    if ttype == TType.LIST:
        etype, eargs = targs[0], targs[1]
        return [to_json(x, etype, eargs) for x in v]
    if ttype == TType.SET:
        etype, eargs = targs[0], targs[1]
        items = [to_json(x, etype, eargs) for x in v]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True)) \
            if etype in (TType.STRUCT, TType.LIST, TType.SET, TType.MAP, TType.BOOL) else sorted(items)
    if ttype == TType.MAP:
        ktype, kargs, vtype, vargs = targs[0], targs[1], targs[2], targs[3]
        return {_key_to_json(k, ktype, kargs): to_json(x, vtype, vargs) for k, x in v.items()}
    raise ValueError("unsupported thrift type %r" % ttype)


def _fields(cls):
    return [f for f in cls.thrift_spec if f is not None]


def struct_to_json(obj):
    out = {}
    for _fid, ftype, name, targs, _default in _fields(type(obj)):
        v = getattr(obj, name)
        if v is not None:
            out[name] = to_json(v, ftype, targs)
    return out


def from_json(v, ttype, targs, what):
    """Canonical JSON value -> value for the generated Python code."""
    def want(ok, kind):
        if not ok:
            raise ValueError("%s: expected %s, got %r" % (what, kind, v))

    if ttype == TType.STRUCT:
        return struct_from_json(v, targs[0], what)
    if ttype == TType.BOOL:
        want(isinstance(v, bool), "a bool")
        return v
    if ttype in (TType.BYTE, TType.I16, TType.I32, TType.I64):
        want(isinstance(v, int) and not isinstance(v, bool), "an integer")
        bits = {TType.BYTE: 8, TType.I16: 16, TType.I32: 32, TType.I64: 64}[ttype]
        want(-(1 << (bits - 1)) <= v < (1 << (bits - 1)), "an i%d" % bits)
        return v
    if ttype == TType.DOUBLE:
        want(isinstance(v, (int, float)) and not isinstance(v, bool), "a number")
        return float(v)
    if ttype == TType.STRING:
        want(isinstance(v, str), "a string")
        return base64.b64decode(v) if targs == "BINARY" else v
    if ttype in (TType.LIST, TType.SET):
        want(isinstance(v, list), "an array")
        items = [from_json(x, targs[0], targs[1], what) for x in v]
        return items if ttype == TType.LIST else set(items)
    if ttype == TType.MAP:
        want(isinstance(v, dict), "an object")
        ktype, kargs, vtype, vargs = targs[0], targs[1], targs[2], targs[3]
        return {_key_from_json(k, ktype, kargs): from_json(x, vtype, vargs, what) for k, x in v.items()}
    raise ValueError("%s: unsupported thrift type %r" % (what, ttype))


def struct_from_json(d, cls, what):
    if not isinstance(d, dict):
        raise ValueError("%s: expected an object, got %r" % (what, d))
    fields = {f[2]: f for f in _fields(cls)}
    unknown = set(d) - set(fields)
    if unknown:
        raise ValueError("%s: unknown fields %s" % (what, sorted(unknown)))
    kwargs = {}
    for name, v in d.items():
        _fid, ftype, _name, targs, _default = fields[name]
        kwargs[name] = from_json(v, ftype, targs, what + "." + name)
    return cls(**kwargs)


def json_eq(a, b):
    """JSON equality where numbers compare by value but bools are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_eq(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def expand(v, event):
    """Script macros: {"$repeat": S, "times": N}, {"$range": [A, B]}, "$EVENT"."""
    if v == "$EVENT":
        return event
    if isinstance(v, list):
        return [expand(x, event) for x in v]
    if isinstance(v, dict):
        if "$repeat" in v:
            return v["$repeat"] * v["times"]
        if "$range" in v:
            return list(range(v["$range"][0], v["$range"][1]))
        return {k: expand(x, event) for k, x in v.items()}
    return v


# ------------------------------------------------------------------ the echo rule

def echo_of(req):
    kwargs = {f[2]: getattr(req, f[2]) for f in _fields(type(req)) if f[2] != "Base"}
    extra = req.Base.Extra if req.Base is not None else None
    kwargs["BaseResp"] = BaseResp(StatusMessage="ok", StatusCode=0, Extra=extra)
    return EchoResponse(**kwargs)


class Handler:
    def __init__(self):
        self._lock = threading.Lock()
        self._fired = []

    def Echo(self, req):
        if req.action == "throw":
            raise EchoError(code=42, msg="requested exception")
        if req.action == "fail":
            raise TApplicationException(TApplicationException.INTERNAL_ERROR,
                                        "requested application error")
        return echo_of(req)

    def Add(self, a, b):
        return ((a + b + (1 << 63)) % (1 << 64)) - (1 << 63)

    def Ping(self):
        pass

    def Fire(self, event):
        with self._lock:
            self._fired.append(event)

    def Fired(self):
        with self._lock:
            return list(self._fired)

    def Check(self, s):
        if s == "err":
            raise EchoError(code=7, msg="check rejected")
        if s == "other":
            raise OtherError(reason="other failure")
        return "checked: " + s


# ------------------------------------------------------------------ transports

def split_addr(addr):
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit("peer.py: --addr wants HOST:PORT, got %r" % addr)
    return host.strip("[]"), int(port)


SUBPROTOCOL = {"binary": THeaderSubprotocolID.BINARY, "compact": THeaderSubprotocolID.COMPACT}
MULTIPLEXED_NAME = "EchoService"


def factories(transport, protocol):
    if transport == "theader":
        # THeaderProtocol reads the socket itself; the server answers in the
        # dialect it detected and takes THeader clients only.
        return (TTransport.TTransportFactoryBase(),
                THeaderProtocolFactory(allowed_client_types=(THeaderClientType.HEADERS,),
                                       default_protocol=SUBPROTOCOL[protocol]))
    tf = {"buffered": TTransport.TBufferedTransportFactory,
          "framed": TTransport.TFramedTransportFactory}[transport]()
    pf = {"binary": TBinaryProtocol.TBinaryProtocolFactory,
          "compact": TCompactProtocol.TCompactProtocolFactory}[protocol]()
    return tf, pf


class BoundServerSocket(TSocket.TServerSocket):
    """A server socket that can be bound before serve() (serve() calls listen() again)."""

    def listen(self):
        if self.handle is None:
            super().listen()


class _QuietHandlerErrors(logging.Filter):
    # The generated processor logs every TApplicationException a handler raises;
    # "fail" raises one on purpose.
    def filter(self, record):
        return not record.getMessage().startswith("TApplication exception in handler")


_connection = threading.local()


class RememberProtocol:
    """Keeps the connection's THeaderProtocol for HeaderEcho (one thread per connection)."""

    def __init__(self, inner, zlib):
        self.inner = inner
        self.zlib = zlib

    def process(self, iprot, oprot):
        if self.zlib and getattr(_connection, "prot", None) is not iprot:
            iprot.add_transform(THeaderTransformID.ZLIB)
        _connection.prot = iprot
        return self.inner.process(iprot, oprot)


class HeaderEcho:
    """Answers every THeader header `k` of a request with `seen-k`, before the reply is written."""

    def __init__(self, inner):
        self.inner = inner
        inner.on_message_begin(self._echo)

    @staticmethod
    def _echo(_name, _type, _seqid):
        prot = _connection.prot
        for k, v in prot.get_headers().items():
            prot.set_header(b"seen-" + k, v)

    def process(self, iprot, oprot):
        return self.inner.process(iprot, oprot)


def serve(args):
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="peer.py server: %(levelname)s %(message)s")
    for h in logging.getLogger().handlers:
        h.addFilter(_QuietHandlerErrors())
    host, port = split_addr(args.addr)
    sock = BoundServerSocket(host=host, port=port)
    sock.listen()
    bound = sock.handle.getsockname()
    shown = "[%s]" % bound[0] if ":" in bound[0] else bound[0]
    sys.stdout.write("listening %s:%d\n" % (shown, bound[1]))
    sys.stdout.flush()

    if not args.keep_stdin:
        def watch_stdin():
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            os._exit(0)
        threading.Thread(target=watch_stdin, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    tf, pf = factories(args.transport, args.protocol)
    processor = EchoService.Processor(Handler())
    if args.transport == "theader":
        processor = HeaderEcho(processor)
    if args.multiplexed:
        mux = TMultiplexedProcessor()
        mux.registerProcessor(MULTIPLEXED_NAME, processor)
        processor = mux
    if args.transport == "theader":
        processor = RememberProtocol(processor, args.zlib)
    server = TServer.TThreadedServer(processor, sock, tf, pf, daemon=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    return 0


# ------------------------------------------------------------------ client

def _connect(host, port, args):
    sock = TSocket.TSocket(host, port)
    sock.setTimeout(10000)
    if args.transport == "theader":
        prot = THeaderProtocol(sock, [THeaderClientType.HEADERS], SUBPROTOCOL[args.protocol])
        if args.zlib:
            prot.add_transform(THeaderTransformID.ZLIB)
        trans = sock
    else:
        tf, pf = factories(args.transport, args.protocol)
        trans = tf.getTransport(sock)
        prot = pf.getProtocol(trans)
    trans.open()
    header_prot = prot if args.transport == "theader" else None
    if args.multiplexed:
        prot = TMultiplexedProtocol.TMultiplexedProtocol(prot, MULTIPLEXED_NAME)
    return trans, EchoService.Client(prot), header_prot


def _header_check(header_prot, event, got):
    """None when the server sent `trace` back (or nothing was answered), else a complaint."""
    if header_prot is None or "error" in got:
        return None
    seen = header_prot.get_headers()
    value = event.encode()
    if seen.get(b"seen-transient-trace") == value or seen.get(b"seen-trace") == value:
        return None
    return "reply headers %r lack seen-transient-trace or seen-trace = %r" % (seen, event)


def _call(client, method, args):
    """Calls `method` with JSON `args`; returns the outcome object of the output contract."""
    args_cls = getattr(EchoService, method + "_args")
    params = {f[2]: f for f in _fields(args_cls)}
    kwargs = {name: from_json(args[name], params[name][1], params[name][3], name)
              for name in args}
    result_cls = getattr(EchoService, method + "_result", None)
    try:
        value = getattr(client, method)(**kwargs)
    except TApplicationException as e:
        return {"app_error": {"type": e.type, "message": e.message}}
    except Exception as e:
        for f in _fields(result_cls) if result_cls else []:
            if f[0] != 0 and isinstance(e, f[3][0]):
                return {"exception": f[2], "value": struct_to_json(e)}
        return {"error": "%s: %s" % (type(e).__name__, e)}
    spec = result_cls.thrift_spec if result_cls else ()
    success = spec[0] if spec else None
    if success is None or value is None:
        return {"result": None}
    return {"result": to_json(value, success[1], success[3])}


def run_client(args):
    with open(SCRIPT, encoding="utf-8") as f:
        script = json.load(f)
    host, port = split_addr(args.addr)
    event = "python-%d-%d" % (os.getpid(), time.time_ns())
    trans, client, header_prot = _connect(host, port, args)
    passed = failed = 0
    for call in script["calls"]:
        method = call["call"]
        call_args = expand(call["args"], event)
        expect = expand(call["expect"], event)
        expected = expect
        if method == "Echo" and expect.get("echo"):
            req = struct_from_json(call_args["req"], EchoService.Echo_args.thrift_spec[1][3][0], "req")
            expected = {"result": struct_to_json(echo_of(req))}

        attempts = FIRED_ATTEMPTS if "contains" in expect else 1
        for attempt in range(attempts):
            if header_prot is not None:
                header_prot.set_header(b"trace", event.encode())
            got = _call(client, method, call_args)
            complaint = None if method == "Fire" else _header_check(header_prot, event, got)
            if "error" in got:
                # the connection may be unusable; later calls get a fresh one
                trans.close()
                trans, client, header_prot = _connect(host, port, args)
            if "contains" not in expect or \
                    (isinstance(got.get("result"), list) and expect["contains"] in got["result"]):
                break
            if attempt + 1 < attempts:
                time.sleep(FIRED_PAUSE)

        if "contains" in expect:
            ok = isinstance(got.get("result"), list) and expect["contains"] in got["result"]
        else:
            ok = json_eq(got, expected)
        if complaint is not None:
            ok = False
        line = {"case": call.get("case", "?"), "call": method, "ok": ok}
        line.update(got)
        if complaint is not None:
            line["headers"] = complaint
        if not ok:
            line["expected"] = expected
        sys.stdout.write(json.dumps(line, sort_keys=True, ensure_ascii=False,
                                    separators=(",", ":")) + "\n")
        sys.stdout.flush()
        if ok:
            passed += 1
        else:
            failed += 1
    trans.close()
    sys.stderr.write("peer.py client (%s/%s%s%s): %d passed, %d failed\n"
                     % (args.transport, args.protocol, "/zlib" if args.zlib else "",
                        "/multiplexed" if args.multiplexed else "", passed, failed))
    return 0 if failed == 0 else 1


def main():
    p = argparse.ArgumentParser(prog="peer.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("server", "client"):
        s = sub.add_parser(name)
        s.add_argument("--addr", required=(name == "client"), default="127.0.0.1:0")
        s.add_argument("--transport", choices=["buffered", "framed", "theader"], default="buffered")
        s.add_argument("--protocol", choices=["binary", "compact"], default="binary")
        s.add_argument("--multiplexed", action="store_true",
                       help="EchoService under the name EchoService (TMultiplexedProtocol)")
        s.add_argument("--zlib", action="store_true",
                       help="compress what is sent (THeader's zlib transform; with --transport theader)")
        if name == "server":
            s.add_argument("--keep-stdin", action="store_true",
                           help="keep serving when stdin reaches end of file")
    args = p.parse_args()
    try:
        return serve(args) if args.cmd == "server" else run_client(args)
    except (OSError, TTransport.TTransportException) as e:
        sys.stderr.write("peer.py %s: %s\n" % (args.cmd, e))
        return 2


if __name__ == "__main__":
    sys.exit(main())
