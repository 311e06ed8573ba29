#!/usr/bin/python3
"""Measure zke's API server and, beside it, etcd on the same disk.

Every server runs on loopback in a temp dir and is stopped by PID; every
load loop is bounded in time (wrk -d) or count. Prints one table."""
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import http.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZKE = os.environ.get("ZKE_BIN", os.path.join(ROOT, "build", "zke"))
DUR = os.environ.get("BENCH_SECONDS", "10")
TOKEN = "bench-admin-token"
results = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def report(name, value, unit, peer=None):
    results.append((name, value, unit, peer))
    print("%-52s %12s %-6s %s" % (name, value, unit, "" if peer is None else "(etcd: %s)" % peer),
          flush=True)


def wrk(url, script, conns, env, threads=1):
    # One load-generator thread: on a 2-core machine a second one takes the
    # core the server needs. The same setting is used for etcd.
    e = dict(os.environ, **env)
    p = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ss" % DUR, "--timeout", "10s",
                        "-s", os.path.join(ROOT, "bench", script), url],
                       capture_output=True, text=True, env=e, timeout=int(DUR) + 60)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT"):
            kv = dict(x.split("=") for x in line.split()[1:])
            return {k: float(v) for k, v in kv.items()}
    raise RuntimeError("wrk failed: %s %s" % (p.stdout, p.stderr))


class Zke:
    def __init__(self, extra=()):
        self.dir = tempfile.mkdtemp(prefix="zke-bench-")
        self.port = free_port()
        tok = os.path.join(self.dir, "tokens.csv")
        with open(tok, "w") as f:
            f.write('%s,bench,0,"system:masters"\n' % TOKEN)
        os.chmod(tok, 0o600)
        self.proc = subprocess.Popen([ZKE, "server", "--data-dir", self.dir, "--https-port",
                                      str(self.port), "--disable-agent", "--token-auth-file", tok,
                                      "--log-level", "warn"] + list(extra),
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if b"ready" in self.proc.stdout.readline():
                break
        self.url = "https://127.0.0.1:%d" % self.port
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "pki", "ca.crt"))

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=60)

    def request(self, c, method, path, body=None):
        h = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Etcd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="etcd-bench-", dir=os.environ.get("TMPDIR", "/tmp"))
        self.port, peer = free_port(), free_port()
        self.proc = subprocess.Popen(
            ["etcd", "--data-dir", os.path.join(self.dir, "data"),
             "--listen-client-urls", "http://127.0.0.1:%d" % self.port,
             "--advertise-client-urls", "http://127.0.0.1:%d" % self.port,
             "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
             "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
             "--initial-cluster", "default=http://127.0.0.1:%d" % peer, "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("POST", "/v3/kv/range", body=b'{"key":"AA=="}')
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("etcd did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def histograms(z):
    """The server's latency histograms from /metrics: name -> {le: count}."""
    c = z.conn()
    st, body = z.request(c, "GET", "/metrics")
    c.close()
    h = {}
    for line in body.decode().splitlines():
        if "_bucket{le=" in line:
            name, rest = line.split("_bucket{le=\"", 1)
            le, count = rest.split("\"} ")
            h.setdefault(name, {})[le] = int(count)
    return h


def server_side(before, after):
    """What the server saw between two snapshots: the share of writes it
    answered within 10 ms of starting them, the share of writes durable
    within 5 ms of submission, and the commits over 10 ms."""
    def share(name, le):
        d = {k: after[name][k] - before.get(name, {}).get(k, 0) for k in after.get(name, {})}
        total = d.get("+Inf", 0)
        return (100.0 * d.get(le, 0) / total) if total else float("nan"), total - d.get(le, 0)
    w, _ = share("zke_write_seconds", "0.01")
    cw, _ = share("zke_write_commit_wait_seconds", "0.005")
    _, slow = share("zke_store_commit_seconds", "0.01")
    return "%.2f %% / %.2f %% / %d" % (w, cw, slow)


def seed_updates(z, n=100):
    c = z.conn()
    for i in range(n):
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "u-%d" % i},
                           "data": {"payload": "y" * 700}})
        z.request(c, "POST", "/api/v1/namespaces/default/configmaps", body)
    c.close()


def seed_etcd(e, n=100):
    import base64
    c = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10)
    for i in range(n):
        k = base64.b64encode(("/registry/u/u-%d" % i).encode()).decode()
        v = base64.b64encode(b"w" * 800).decode()
        c.request("POST", "/v3/kv/put", body=json.dumps({"key": k, "value": v}))
        c.getresponse().read()
    c.close()


def bulk_create(z, path, make, n, workers=8):
    """Create n objects with `workers` keep-alive connections (bounded by n)."""
    def run(start):
        c = z.conn()
        for i in range(start, n, workers):
            st, body = z.request(c, "POST", path, json.dumps(make(i)))
            if st != 201:
                raise RuntimeError("create failed %d %s" % (st, body[:200]))
        c.close()
    ts = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def pod(i):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "pod-%05d" % i, "labels": {"app": "bench-%d" % (i % 50)}},
            "spec": {"nodeName": "node-%04d" % (i % 1000),
                     "containers": [{"name": "app", "image": "registry.local/app:1.%d" % (i % 7),
                                     "ports": [{"containerPort": 8080}],
                                     "env": [{"name": "MODE", "value": "bench"}],
                                     "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}]}}


def node(i):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-%04d" % i, "labels": {"kubernetes.io/hostname": "node-%04d" % i}},
            "spec": {"podCIDR": "10.42.%d.0/24" % (i % 256)},
            "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                       "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}


def main():
    print("zke API benchmark, %s, %d cores, wrk %ss per run" % (time.strftime("%Y-%m-%d"),
                                                              os.cpu_count(), DUR), flush=True)
    e = Etcd()
    try:
        seed_etcd(e)
        r1 = wrk(e.url + "/v3/kv/put", "wrk_create.lua", 1, {"ZK_KIND": "etcd"})
        r32 = wrk(e.url + "/v3/kv/put", "wrk_create.lua", 32, {"ZK_KIND": "etcd"})
        g32 = wrk(e.url, "wrk_update.lua", 32, {"ZK_MODE": "etcdget"})
        g1 = wrk(e.url, "wrk_update.lua", 1, {"ZK_MODE": "etcdget"})
        etcd = {"put1": r1, "put32": r32, "get32": g32, "get1": g1}
    finally:
        e.stop()

    z = Zke()
    try:
        time.sleep(2)
        report("RSS idle", rss_kb(z.proc.pid) // 1024, "MB")
        seed_updates(z)
        env = {"ZK_TOKEN": TOKEN}
        c1 = wrk(z.url + "/api/v1/namespaces/default/configmaps", "wrk_create.lua", 1, dict(env, ZK_PREFIX="c1"))
        h0 = histograms(z)
        c32 = wrk(z.url + "/api/v1/namespaces/default/configmaps", "wrk_create.lua", 32, dict(env, ZK_PREFIX="c32"))
        h1 = histograms(z)
        report("creates/s, 1 client", int(c1["req/s"]), "/s", int(etcd["put1"]["req/s"]))
        report("create p50 / p99, 1 client", "%.2f / %.2f" % (c1["p50_ms"], c1["p99_ms"]), "ms",
               "%.2f / %.2f" % (etcd["put1"]["p50_ms"], etcd["put1"]["p99_ms"]))
        report("creates/s, 32 clients", int(c32["req/s"]), "/s", int(etcd["put32"]["req/s"]))
        report("create p50 / p99, 32 clients", "%.2f / %.2f" % (c32["p50_ms"], c32["p99_ms"]), "ms",
               "%.2f / %.2f" % (etcd["put32"]["p50_ms"], etcd["put32"]["p99_ms"]))
        report("zke creates / etcd puts, 32 clients", "%.2f" % (c32["req/s"] / etcd["put32"]["req/s"]), "x")
        u1 = wrk(z.url, "wrk_update.lua", 1, dict(env, ZK_MODE="update"))
        h2 = histograms(z)
        u32 = wrk(z.url, "wrk_update.lua", 32, dict(env, ZK_MODE="update"))
        h3 = histograms(z)
        report("updates/s, 1 / 32 clients", "%d / %d" % (u1["req/s"], u32["req/s"]), "/s")
        report("update p50 / p99, 1 client", "%.2f / %.2f" % (u1["p50_ms"], u1["p99_ms"]), "ms")
        report("update p50 / p99, 32 clients", "%.2f / %.2f" % (u32["p50_ms"], u32["p99_ms"]), "ms")
        # where a slow answer came from: the server's own view of the same runs
        report("server, 32 creates: ≤10 ms / durable ≤5 ms / commits >10 ms", server_side(h0, h1), "")
        report("server, 32 updates: ≤10 ms / durable ≤5 ms / commits >10 ms", server_side(h2, h3), "")
        g1 = wrk(z.url, "wrk_update.lua", 1, dict(env, ZK_MODE="get"))
        g32 = wrk(z.url, "wrk_update.lua", 32, dict(env, ZK_MODE="get"))
        report("GETs/s, 1 / 32 clients", "%d / %d" % (g1["req/s"], g32["req/s"]), "/s",
               "%d / %d" % (etcd["get1"]["req/s"], etcd["get32"]["req/s"]))
        report("GET p50 / p99, 1 client", "%.2f / %.2f" % (g1["p50_ms"], g1["p99_ms"]), "ms",
               "%.2f / %.2f" % (etcd["get1"]["p50_ms"], etcd["get1"]["p99_ms"]))
        report("GET p50 / p99, 32 clients", "%.2f / %.2f" % (g32["p50_ms"], g32["p99_ms"]), "ms",
               "%.2f / %.2f" % (etcd["get32"]["p50_ms"], etcd["get32"]["p99_ms"]))
        for r in (c1, c32, u1, u32, g1, g32):
            if r["errors"] or r["non2xx"]:
                print("  warning: a run had errors/non-2xx: %s" % r, flush=True)

        # watch fan-out, measured by a C client (bench/watchlag.c) so that the
        # client is not the bottleneck
        exe = os.path.join(z.dir, "watchlag")
        subprocess.run(["cc", "-O2", "-o", exe, os.path.join(ROOT, "bench", "watchlag.c"),
                        "-lssl", "-lcrypto"], check=True)
        p = subprocess.run([exe, "127.0.0.1", str(z.port), os.path.join(z.dir, "pki", "ca.crt"),
                            TOKEN, "1000", "20"], capture_output=True, text=True, timeout=600)
        kv = dict(x.split("=") for x in p.stdout.split())
        report("1,000 watchers x 20 events: delivered", "%s/%s" % (kv["delivered"], kv["total"]), "")
        report("watch delivery lag p50 / p99 / max", "%s / %s / %s" % (kv["p50_ms"], kv["p99_ms"],
                                                                      kv["max_ms"]), "ms")
    finally:
        z.stop()

    # A fresh server holding exactly 10,000 pods and 1,000 nodes.
    z = Zke()
    try:
        t0 = time.time()
        bulk_create(z, "/api/v1/nodes", node, 1000)
        bulk_create(z, "/api/v1/namespaces/default/pods", pod, 10000)
        report("bulk create 10k pods + 1k nodes (8 conns)", "%.1f" % (time.time() - t0), "s")
        report("RSS with 10k pods + 1k nodes, after creating", rss_kb(z.proc.pid) // 1024, "MB")
        c = z.conn()
        times = []
        for _ in range(5):
            t = time.time()
            st, body = z.request(c, "GET", "/api/v1/pods")
            times.append(time.time() - t)
            assert st == 200 and body.count(b'"kind":"Pod"') >= 10000, st
        report("LIST 10,000 pods (JSON, median of 5)", "%.0f" % (statistics.median(times) * 1000), "ms")
        c.close()
        kc = os.path.join(z.dir, "kubeconfig.yaml")
        times = []
        for _ in range(3):
            t = time.time()
            subprocess.run(["kubectl", "--kubeconfig", kc, "get", "pods", "-A", "--chunk-size=0",
                            "--no-headers"], capture_output=True, timeout=120, check=True)
            times.append(time.time() - t)
        report("kubectl get pods -A, 10,000 rows (Table)", "%.0f" % (statistics.median(times) * 1000), "ms")
        time.sleep(1)
        report("RSS with 10k pods + 1k nodes, after LISTs", rss_kb(z.proc.pid) // 1024, "MB")
        c = z.conn()
        st, body = z.request(c, "GET", "/metrics")
        c.close()
        for line in body.decode().splitlines():
            if line.startswith("zke_store_max_commit_seconds"):
                report("slowest store commit (fsync) seen", "%.1f" % (float(line.split()[1]) * 1000), "ms")
    finally:
        z.stop()


if __name__ == "__main__":
    main()
