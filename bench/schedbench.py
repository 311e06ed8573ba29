#!/usr/bin/python3
"""Scheduler and controller benchmark on simulated nodes (bench/scheduler.sh).

For each node count (NODES, default "1000 5000"):
  1. zke server (store sync full, no agent, scheduler off) + `zke sim --nodes N`;
  2. PODS (10000) pending pods are created (8 client threads);
  3. `zke scheduler` starts: the time until every pod is bound gives the
     scheduling throughput (its start, list of nodes and pods included);
  4. the scheduler keeps running; a Deployment of REPLICAS (10000) is
     created and timed until all are Running and Ready (status.readyReplicas);
  5. RSS of the server, the scheduler and the sim at the end.
No kube-scheduler is installed on this machine (Debian does not package it),
so there is no peer in the same run; the issue's reference is
kube-scheduler's CI floor of 680 pods/s (on far larger machines).
Prints figures; asserts nothing. Every wait is bounded."""
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
NODES = [int(n) for n in os.environ.get("NODES", "1000 5000").split()]
PODS = int(os.environ.get("PODS", "10000"))
REPLICAS = int(os.environ.get("REPLICAS", "10000"))
LIMIT_S = int(os.environ.get("BENCH_LIMIT_SECONDS", "600"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def cpu_s(pid):
    """User + system CPU seconds a process has used so far."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


class Api:
    """HTTPS with the admin client certificate; one connection per thread."""

    def __init__(self, d, port):
        self.port = port
        pki = os.path.join(d, "pki")
        self.ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        self.ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=60)
            self.local.c = c
        return c

    def call(self, method, path, body=None):
        c = self.conn()
        data = json.dumps(body).encode() if body is not None else None
        c.request(method, path, body=data, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        out = r.read()
        return r.status, (json.loads(out) if out else None)


class Proc:
    def __init__(self, args, log):
        self.log = open(log, "ab")
        self.p = subprocess.Popen(args, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=10)
        self.log.close()


def wait_until(fn, limit, what):
    # polls cost the server a scan of every pod: twice a second is enough
    deadline = time.time() + limit
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.5)
    raise RuntimeError("timed out waiting for " + what)


def pod(i):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "bench-%05d" % i, "labels": {"app": "bench"}},
            "spec": {"containers": [{"name": "c", "image": "registry.local/app:1",
                                     "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}


def bulk_create(api, n, workers=8):
    errors = []

    def run(start):
        for i in range(start, n, workers):
            code, body = api.call("POST", "/api/v1/namespaces/default/pods", pod(i))
            if code != 201:
                errors.append((code, body))
                return

    ts = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise RuntimeError("create failed: %r" % (errors[0],))


def unbound_left(api):
    code, body = api.call("GET", "/api/v1/namespaces/default/pods?limit=1&fieldSelector=spec.nodeName%3D")
    return len(body["items"]) if code == 200 else -1


def run_one(nodes):
    d = tempfile.mkdtemp(prefix="zke-schedbench-")
    port = free_port()
    srv = subprocess.Popen([ZKE, "server", "--data-dir", d, "--https-port", str(port),
                            "--disable-agent", "--disable-scheduler"],
                           stdout=subprocess.PIPE, stderr=open(os.path.join(d, "server.log"), "ab"),
                           stdin=subprocess.DEVNULL)
    procs = []
    try:
        line = b""
        deadline = time.time() + 30
        while b"ready" not in line and time.time() < deadline:
            line = srv.stdout.readline()
        kc = os.path.join(d, "kubeconfig.yaml")
        api = Api(d, port)
        t0 = time.time()
        sim = Proc([ZKE, "sim", "--kubeconfig", kc, "--nodes", str(nodes)],
                   os.path.join(d, "sim.log"))
        procs.append(sim)

        def ready_nodes():
            code, body = api.call("GET", "/api/v1/nodes")
            return len(body["items"]) >= nodes if code == 200 else False

        wait_until(ready_nodes, LIMIT_S, "%d nodes" % nodes)
        print("  %d simulated nodes registered in %.1f s" % (nodes, time.time() - t0))

        t0 = time.time()
        bulk_create(api, PODS)
        print("  %d pending pods created in %.1f s" % (PODS, time.time() - t0))

        t0 = time.time()
        c0 = (cpu_s(srv.pid), cpu_s(sim.p.pid))
        sched = Proc([ZKE, "scheduler", "--kubeconfig", kc, "--leader-elect", "false"],
                     os.path.join(d, "scheduler.log"))
        procs.append(sched)
        wait_until(lambda: unbound_left(api) == 0, LIMIT_S, "every pod bound")
        dt = time.time() - t0
        c1 = (cpu_s(srv.pid), cpu_s(sim.p.pid), cpu_s(sched.p.pid))
        print("  CPU seconds while scheduling: server %.1f, scheduler %.1f, sim %.1f"
              % (c1[0] - c0[0], c1[2], c1[1] - c0[1]))
        print("  scheduling: %d pods on %d nodes in %.2f s = %.0f pods/s (scheduler start included)"
              % (PODS, nodes, dt, PODS / dt))
        # the scheduler's own account: first scheduling cycle to last binding
        drained = ""
        for _ in range(20):
            with open(os.path.join(d, "scheduler.log"), errors="replace") as f:
                drained = [l for l in f if "drained:" in l]
            if drained:
                break
            time.sleep(0.5)
        m = re.search(r"drained: (\d+) pods scheduled in ([\d.]+) s \((\d+) pods/s\)",
                      drained[0] if drained else "")
        if m:
            print("  scheduler's own count: %s pods in %s s = %s pods/s (first cycle to last binding)"
                  % m.groups())
        result = {"nodes": nodes, "sched_s": dt, "pods_per_s": PODS / dt}

        t0 = time.time()
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "big"},
               "spec": {"replicas": REPLICAS, "selector": {"matchLabels": {"app": "big"}},
                        "template": {"metadata": {"labels": {"app": "big"}},
                                     "spec": {"containers": [{"name": "c", "image": "registry.local/app:1",
                                                              "resources": {"requests": {"cpu": "10m"}}}]}}}}
        code, body = api.call("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
        if code != 201:
            raise RuntimeError("deployment: %d %r" % (code, body))

        def all_ready():
            code, body = api.call("GET", "/apis/apps/v1/namespaces/default/deployments/big")
            return code == 200 and body.get("status", {}).get("readyReplicas", 0) >= REPLICAS

        wait_until(all_ready, LIMIT_S, "%d ready replicas" % REPLICAS)
        dt = time.time() - t0
        print("  deployment of %d replicas all Running and Ready in %.1f s" % (REPLICAS, dt))
        result["rollout_s"] = dt
        result["rss_server"] = rss_mb(srv.pid)
        result["rss_sched"] = rss_mb(sched.p.pid)
        result["rss_sim"] = rss_mb(sim.p.pid)
        print("  RSS: server %.0f MB (with its controllers), scheduler %.0f MB, sim %.0f MB"
              % (result["rss_server"], result["rss_sched"], result["rss_sim"]))
        return result
    finally:
        for p in reversed(procs):
            p.stop()
        if srv.poll() is None:
            srv.send_signal(signal.SIGTERM)
            try:
                srv.wait(timeout=30)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait(timeout=10)
        if os.environ.get("KEEP") is None:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("  kept", d)


def main():
    print("zke scheduler benchmark: %s nodes, %d pending pods, %d-replica deployment"
          % (" and ".join(map(str, NODES)), PODS, REPLICAS))
    print("machine: %d CPUs; peer: none (kube-scheduler is not installed here)" % os.cpu_count())
    for n in NODES:
        print("== %d nodes" % n)
        run_one(n)


if __name__ == "__main__":
    main()
