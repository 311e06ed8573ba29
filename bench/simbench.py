#!/usr/bin/python3
"""Measure zke sim against a fresh zke server (--disable-agent) per run.

Every process runs on loopback in a temp dir and is stopped by PID; every
wait is bounded in time. Prints one table. Sizes: SIM_NODES (default
"1000 5000"), SIM_PODS (10000), SIM_STEADY_SECONDS (30); SIM_ARGS adds
flags to zke sim. The server runs its in-process scheduler and
controllers, as a user's would (the pods are bound by spec.nodeName)."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZKE = os.environ.get("ZKE_BIN", os.path.join(ROOT, "build", "zke"))
NODES = [int(x) for x in os.environ.get("SIM_NODES", "1000 5000").split()]
PODS = int(os.environ.get("SIM_PODS", "10000"))
STEADY = int(os.environ.get("SIM_STEADY_SECONDS", "30"))
SIM_ARGS = os.environ.get("SIM_ARGS", "").split()


def report(name, value, unit=""):
    print("%-58s %12s %s" % (name, value, unit), flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def stop(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="zke-simbench-")
        self.port = free_port()
        self.server = subprocess.Popen(
            [ZKE, "server", "--data-dir", self.dir, "--https-port", str(self.port),
             "--disable-agent", "--log-level", "warn"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline and b"ready" not in self.server.stdout.readline():
            pass
        pki = os.path.join(self.dir, "pki")
        self.ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        self.ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        self.sim = None
        self.lines = []

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=60)

    def start_sim(self, nodes):
        self.sim = subprocess.Popen(
            [ZKE, "sim", "--kubeconfig", os.path.join(self.dir, "kubeconfig.yaml"), "--nodes",
             str(nodes), "--stats-seconds", "10"] + SIM_ARGS,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.t0 = time.time()

        def read(stream):
            for raw in stream:
                self.lines.append((time.time(), raw.decode(errors="replace").rstrip()))
        for s in (self.sim.stdout, self.sim.stderr):
            threading.Thread(target=read, args=(s,), daemon=True).start()

    def wait_line(self, pattern, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for t, line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return t, m
            time.sleep(0.1)
        raise RuntimeError("no %r in %ds: %s" % (pattern, timeout, self.lines[-5:]))

    def close(self):
        if self.sim:
            stop(self.sim)
        stop(self.server)
        shutil.rmtree(self.dir, ignore_errors=True)


def create_pods(c, nodes, count, threads=4):
    """count pods bound round-robin to sim-0..nodes-1, through keep-alive
    connections; returns the seconds it took."""
    def work(first):
        conn = c.conn()
        for i in range(first, count, threads):
            body = json.dumps({"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": "p-%d" % i, "labels": {"app": "bench"}},
                               "spec": {"nodeName": "sim-%d" % (i % nodes),
                                        "containers": [{"name": "app", "image": "nginx",
                                                        "resources": {"requests": {"cpu": "10m"}}}]}})
            conn.request("POST", "/api/v1/namespaces/default/pods", body,
                         {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 201:
                raise RuntimeError("create pod: %d" % r.status)
        conn.close()
    t0 = time.time()
    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(600)
    return time.time() - t0


def count_ready(c):
    conn = c.conn()
    conn.request("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dbench")
    items = json.loads(conn.getresponse().read())["items"]
    conn.close()
    n = 0
    for p in items:
        st = p.get("status", {})
        if st.get("phase") == "Running" and any(
                x["type"] == "Ready" and x["status"] == "True" for x in st.get("conditions", [])):
            n += 1
    return n


def main():
    print("zke sim benchmark (%s)" % time.strftime("%Y-%m-%d %H:%M"), flush=True)
    for n in NODES:
        c = Cluster()
        try:
            c.start_sim(n)
            _, m = c.wait_line(r"(\d+) nodes ready .* in ([\d.]+) s", 600)
            report("register %d nodes (sim's own clock)" % n, m.group(2), "s")
            if n != NODES[-1]:
                continue
            # steady state: the statistics lines after registration
            cpu0, t0 = cpu_s(c.sim.pid), time.time()
            start = len(c.lines)
            time.sleep(STEADY)
            cpu1, t1 = cpu_s(c.sim.pid), time.time()
            rates = [float(re.search(r"([\d.]+) lease renewals/s", l).group(1))
                     for _, l in c.lines[start:] if "lease renewals/s" in l]
            late = sum(int(re.search(r"(\d+) late", l).group(1))
                       for _, l in c.lines[start:] if "lease renewals/s" in l)
            if rates:
                report("lease renewals/s at %d nodes, 10 s interval" % n,
                       "%.0f" % (sum(rates) / len(rates)))
                report("  renewals skipped (previous still in flight)", late)
            report("sim CPU, steady (%d nodes)" % n, "%.0f" % (100 * (cpu1 - cpu0) / (t1 - t0)),
                   "%")
            report("sim RSS, %d nodes" % n, "%.0f" % rss_mb(c.sim.pid), "MB")
            # pods
            cpu_sim0, cpu_srv0 = cpu_s(c.sim.pid), cpu_s(c.server.pid)
            t_start = time.time()
            took = create_pods(c, n, PODS)
            report("create %d bound pods (4 client threads)" % PODS, "%.1f" % took, "s")
            deadline = time.time() + 600
            ready = 0
            while time.time() < deadline:
                ready = count_ready(c)
                if ready >= PODS:
                    break
                time.sleep(1)
            t_end = time.time()
            report("%d pods Running+Ready, from the first create" % ready,
                   "%.1f" % (t_end - t_start), "s")
            report("  CPU meanwhile: sim / server", "%.0f / %.0f" % (
                100 * (cpu_s(c.sim.pid) - cpu_sim0) / (t_end - t_start),
                100 * (cpu_s(c.server.pid) - cpu_srv0) / (t_end - t_start)), "%")
            report("sim RSS, %d nodes + %d pods" % (n, PODS), "%.0f" % rss_mb(c.sim.pid), "MB")
            report("server RSS at the end", "%.0f" % rss_mb(c.server.pid), "MB")
        finally:
            c.close()


if __name__ == "__main__":
    main()
