#!/usr/bin/env python3
# Usage: scripts/probe-idl-chains.py DIR — writes the loader probes into DIR:
# ext.thrift (6,000-service extends chain), td.thrift (200,000-long typedef
# chain, resolved from its far end) and inc/f0.thrift (20,000-file include
# chain). Load each with: /usr/bin/time -v target/debug/examples/load FILE
import os, sys
d = sys.argv[1]
os.makedirs(os.path.join(d, "inc"), exist_ok=True)
n = 6000
with open(os.path.join(d, "ext.thrift"), "w") as f:
    for i in range(n):
        ext = f" extends S{i+1}" if i + 1 < n else ""
        f.write(f"service S{i}{ext} {{ void m{i}() }}\n")
n = 200000
with open(os.path.join(d, "td.thrift"), "w") as f:
    for i in range(n - 1):
        f.write(f"typedef T{i+1} T{i}\n")
    f.write(f"typedef i32 T{n-1}\n")
n = 20000
for i in range(n):
    with open(os.path.join(d, "inc", f"f{i}.thrift"), "w") as f:
        if i + 1 < n:
            f.write(f'include "f{i+1}.thrift"\n')
        f.write(f"struct S{i} {{}}\n")
