#!/usr/bin/python3
"""Instructions per request on the server, counted by callgrind: a
deterministic measure of the CPU a create, an update and a GET cost, where
wall-clock latency on a shared machine is noise.

Starts `zke server` under valgrind --tool=callgrind (one output per thread),
seeds 100 ConfigMaps, then for each phase zeroes the counters, sends N
requests of the benchmark's shape (bench/wrk_create.lua, wrk_update.lua)
from CLIENTS keep-alive connections, and dumps. Prints instructions per
request for the loop thread, the store writer thread and all threads.

  bench/instr.py [N] [CLIENTS]      (default 2000 requests, 1 client)
The server is stopped by its PID; the temp dir is removed."""
import glob
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import http.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZKE = os.environ.get("ZKE_BIN", os.path.join(ROOT, "build", "zke"))
TOKEN = "instr-admin-token"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def totals(path):
    """Sum of Ir over one callgrind output file."""
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    return 0


def thread_name(path):
    # callgrind names files <base>-<tid>; the loop thread is the first
    m = re.search(r"-(\d+)$", path)
    return int(m.group(1)) if m else 0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    d = tempfile.mkdtemp(prefix="zke-instr-")
    port = free_port()
    tok = os.path.join(d, "tokens.csv")
    with open(tok, "w") as f:
        f.write('%s,bench,0,"system:masters"\n' % TOKEN)
    os.chmod(tok, 0o600)
    out = os.path.join(d, "cg.out")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                             "--callgrind-out-file=" + out, ZKE, "server", "--data-dir",
                             os.path.join(d, "data"), "--https-port", str(port),
                             "--disable-agent", "--token-auth-file", tok, "--log-level", "warn"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if b"ready" in proc.stdout.readline():
                break
        ctx = ssl.create_default_context(cafile=os.path.join(d, "data", "pki", "ca.crt"))
        hdr = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}

        def conn():
            return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120)

        def req(c, method, path, body=None, want=(200, 201)):
            c.request(method, path, body=body, headers=hdr)
            r = c.getresponse()
            data = r.read()
            if r.status not in want:
                raise RuntimeError("%s %s: %d %s" % (method, path, r.status, data[:300]))

        c = conn()
        for i in range(100):
            req(c, "POST", "/api/v1/namespaces/default/configmaps",
                json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "u-%d" % i},
                            "data": {"payload": "y" * 700}}))
        c.close()
        pay_x, pay_y = "x" * 700, "y" * 700

        def create(c, w, i):
            body = ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c-%d-%d",'
                    '"labels":{"app":"bench"}},"data":{"payload":"%s"}}' % (w, i, pay_x))
            req(c, "POST", "/api/v1/namespaces/default/configmaps", body)

        def update(c, w, i):
            name = "u-%d" % ((w * 7 + i) % 100)
            body = ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"},'
                    '"data":{"payload":"%s","n":"%d"}}' % (name, pay_y, w * 1000000 + i))
            req(c, "PUT", "/api/v1/namespaces/default/configmaps/" + name, body)

        def get(c, w, i):
            req(c, "GET", "/api/v1/namespaces/default/configmaps/u-%d" % ((w + i) % 100))

        def run(fn):
            conns = [conn() for _ in range(clients)]
            for cc in conns:   # handshakes outside the counted window
                req(cc, "GET", "/api/v1/namespaces/default/configmaps/u-0")
            subprocess.run(["callgrind_control", "-z", str(proc.pid)], capture_output=True)

            def worker(w):
                for i in range(w, n, clients):
                    fn(conns[w], w, i)
            ts = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            time.sleep(0.5)
            for f in glob.glob(out + "*"):
                os.unlink(f)
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], capture_output=True)
            time.sleep(1)
            files = sorted(glob.glob(out + "*"), key=thread_name)
            keep = os.environ.get("INSTR_KEEP")
            if keep:   # a directory to keep the dumps in, for callgrind_annotate
                os.makedirs(keep, exist_ok=True)
                for f in files:
                    shutil.copy(f, os.path.join(keep, fn.__name__ + "." + os.path.basename(f)))
            per = [(thread_name(f), totals(f)) for f in files]
            for cc in conns:
                cc.close()
            return per

        print("callgrind, %d requests per phase, %d client(s)" % (n, clients))
        for name, fn in (("create", create), ("update", update), ("get", get)):
            per = run(fn)
            loop = per[0][1] if per else 0
            total = sum(v for _, v in per)
            others = " ".join("t%d=%d" % (t, v // n) for t, v in per[1:] if v // n > 0)
            print("%-7s loop thread %8d Ir/req   all threads %8d Ir/req   (%s)"
                  % (name, loop // n, total // n, others), flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
