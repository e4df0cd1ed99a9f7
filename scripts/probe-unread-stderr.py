#!/usr/bin/env python3
# Usage: scripts/probe-unread-stderr.py ANYCALL_BIN LOGLEVEL — serve with an unread stderr pipe; count answered calls (max 10000).
import os, socket, struct, subprocess, sys
bin_, level = os.path.abspath(sys.argv[1]), sys.argv[2]
td = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
msg = subprocess.run([bin_, "encode", "--idl", "codec/all_types.thrift", "Codec/Add", "-d", '{"a":3,"b":4}'], cwd=td, capture_output=True, check=True).stdout
frame = struct.pack(">I", len(msg)) + msg
env = dict(os.environ, ANYCALL_LOG=level)
p = subprocess.Popen([bin_, "serve", "--idl", "codec/all_types.thrift", "--listen", "127.0.0.1:0", "--echo"], cwd=td, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
line = p.stdout.readline().decode()
addr = [w for w in line.split() if w.startswith("127.0.0.1:")][0]
h, port = addr.split(":")
s = socket.create_connection((h, int(port))); s.settimeout(3)
n = 0
try:
    for i in range(10000):
        s.sendall(frame)
        hdr = b""
        while len(hdr) < 4:
            c = s.recv(4 - len(hdr))
            if not c: raise EOFError
            hdr += c
        ln = struct.unpack(">I", hdr)[0]; got = 0
        while got < ln:
            c = s.recv(ln - got)
            if not c: raise EOFError
            got += len(c)
        n += 1
except Exception as e:
    print("stalled:", type(e).__name__)
p.kill(); p.wait()
print(f"{bin_} ANYCALL_LOG={level}: {n} calls answered")
