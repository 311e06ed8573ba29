#!/usr/bin/python3
"""Scheduling throughput of `zke scheduler` against `zke server`.

Creates N Node objects and M pending pods (100m CPU, 128Mi each, owned by one
of 10 made-up ReplicaSets so that the default spreading is in play), then
starts the scheduler and reads the line it logs when its queue drains:
pods bound per second from its first scheduling cycle to the last binding
the server accepted. Then checks through the API that every pod is bound.
Everything runs on loopback in a temp dir and is stopped by PID; every wait
is bounded. Prints figures, asserts nothing.

usage: bench/sched_throughput.py [--nodes N[,N...]] [--pods M]"""
import argparse
import http.client
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZKE = os.environ.get("ZKE_BIN", os.path.join(ROOT, "build", "zke"))
TOKEN = "bench-admin-token"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="zke-schedbench-")
        self.port = free_port()
        tok = os.path.join(self.dir, "tokens.csv")
        with open(tok, "w") as f:
            f.write('%s,bench,0,"system:masters"\n' % TOKEN)
        os.chmod(tok, 0o600)
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [ZKE, "server", "--data-dir", self.dir, "--https-port", str(self.port),
             "--disable-agent", "--disable-scheduler", "--disable-controller-manager",
             "--token-auth-file", tok, "--log-level", "warn"] + os.environ.get("ZKE_SERVER_ARGS", "").split(),
            stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if b"ready" in self.proc.stdout.readline():
                break
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "pki", "ca.crt"))

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=120)

    def request(self, c, method, path, body=None):
        h = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def create_all(srv, path, bodies, threads=4):
    """POST every body to path from a few connections; returns seconds."""
    chunks = [bodies[i::threads] for i in range(threads)]
    errors = []

    def work(chunk):
        c = srv.conn()
        for b in chunk:
            st, out = srv.request(c, "POST", path, json.dumps(b))
            if st != 201:
                errors.append((st, out[:200]))
                return
        c.close()

    t0 = time.time()
    ts = [threading.Thread(target=work, args=(ch,)) for ch in chunks]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=1800)
    if errors:
        raise RuntimeError("create %s: %r" % (path, errors[0]))
    return time.time() - t0


def node(i):
    name = "node-%05d" % i
    res = {"cpu": "32", "memory": "256Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "topology.kubernetes.io/zone": "zone-%d" % (i % 3)}},
            "status": {"capacity": res, "allocatable": res}}


def pod(i):
    rs = i % 10
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "pod-%05d" % i, "labels": {"app": "rs-%d" % rs},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": "rs-%d" % rs,
                                              "uid": "00000000-0000-0000-0000-00000000000%d" % rs,
                                              "controller": True}]},
            "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.9",
                                     "resources": {"requests": {"cpu": "100m",
                                                                "memory": "128Mi"}}}]}}


def run(n_nodes, n_pods):
    srv = Server()
    sched = None
    try:
        t_nodes = create_all(srv, "/api/v1/nodes", [node(i) for i in range(n_nodes)])
        t_pods = create_all(srv, "/api/v1/namespaces/default/pods", [pod(i) for i in range(n_pods)])
        print("  created %d nodes in %.1f s, %d pods in %.1f s" % (n_nodes, t_nodes, n_pods, t_pods),
              flush=True)
        log_path = os.path.join(srv.dir, "scheduler.log")
        log = open(log_path, "wb")
        sched = subprocess.Popen([ZKE, "scheduler", "--kubeconfig",
                                  os.path.join(srv.dir, "kubeconfig.yaml"), "--leader-elect", "false"]
                                 + os.environ.get("ZKE_SCHED_ARGS", "").split(),
                                 stdout=log, stderr=subprocess.STDOUT)
        t0 = time.time()
        srv_cpu0 = cpu_s(srv.proc.pid)
        line = None
        deadline = t0 + 600
        while time.time() < deadline and not line:
            time.sleep(0.5)
            with open(log_path) as f:
                for ln in f:
                    if "drained:" in ln:
                        line = ln.strip()
        if not line:
            raise RuntimeError("the scheduler did not drain its queue in time")
        m = re.search(r"drained: (\d+) pods scheduled in ([\d.]+) s \((\d+) pods/s\)", line)
        sched_cpu, sched_rss = cpu_s(sched.pid), rss_mb(sched.pid)
        srv_rss = rss_mb(srv.proc.pid)
        srv_cpu = cpu_s(srv.proc.pid) - srv_cpu0
        # every pod bound?
        c = srv.conn()
        st, out = srv.request(c, "GET", "/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3D")
        pending = len(json.loads(out)["items"]) if st == 200 else -1
        busy = re.search(r"([\d.]+) CPU s \((\d+) us per pod\)", line)
        print("  %s pods in %s s: %s pods/s; still pending: %d; scheduler %.1f CPU s in all, "
              "%s CPU s while scheduling (%s us/pod), %.0f MB RSS; server %.1f CPU s, %.0f MB RSS"
              % (m.group(1), m.group(2), m.group(3), pending, sched_cpu, busy.group(1),
                 busy.group(2), sched_rss, srv_cpu, srv_rss), flush=True)
        return int(m.group(3))
    finally:
        if sched and sched.poll() is None:
            sched.send_signal(signal.SIGTERM)
            try:
                sched.wait(timeout=20)
            except subprocess.TimeoutExpired:
                sched.kill()
                sched.wait(timeout=10)
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", default="1000,5000")
    ap.add_argument("--pods", type=int, default=10000)
    a = ap.parse_args()
    for n in [int(x) for x in a.nodes.split(",")]:
        print("scheduler throughput, %d nodes, %d pending pods:" % (n, a.pods), flush=True)
        run(n, a.pods)


if __name__ == "__main__":
    main()
