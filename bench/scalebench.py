#!/usr/bin/python3
"""Elastic scaling figures (bench/scaling.sh).

1. Backlog reaction on real containers: a real Redis on loopback, a
   Deployment of consumers (zkt redispop, host network) at 0 replicas and a
   BacklogScaler polling every 5 s (the default). Each round pushes 100
   messages into the list (the backlog appears) and times the first
   consumer pod Ready; then 5,000 more and times the second pod Ready (the
   HPA's step, resynced on the new reading); the consumers drain the list,
   and the round waits for 0 replicas (cooldown 2 s) before the next.
   ROUNDS (10) rounds; p50, p90 and max.
2. Controller CPU: SCALERS (1000) Deployments on 10 `zke sim` nodes, each
   with a BacklogScaler on its own Redis list (polled every 5 s, 500
   messages against 1000 a replica) and so 1000 HPAs on external metrics.
   The controllers run as their own `zke controller-manager` process; its
   CPU and the API server's over BENCH_SECONDS (60) of steady state.
KEDA is not on this machine; its defaults (a 30 s poll, then the HPA's
15 s sync) are quoted, not measured. Loopback only; loops bounded."""
import http.client
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import testimg  # noqa: E402
from queues import Redis  # noqa: E402
from zke import ZKE, Server, Sim, agent_cleanup, wait_for  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "10"))
SCALERS = int(os.environ.get("SCALERS", "1000"))
DUR = float(os.environ.get("BENCH_SECONDS", "60"))
IMAGE = "zke.test/zkt:1"


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


class Api:
    """A kept HTTPS connection with the admin's client certificate, for
    polling the pods every 50 ms without kubectl's start-up cost."""

    def __init__(self, srv):
        self.srv = srv
        pki = os.path.join(srv.dir, "pki")
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        self.ctx = ctx
        self.c = None

    def get(self, path):
        for _ in range(3):
            try:
                if not self.c:
                    self.c = http.client.HTTPSConnection("127.0.0.1", self.srv.port,
                                                         context=self.ctx, timeout=10)
                self.c.request("GET", path)
                r = self.c.getresponse()
                return json.loads(r.read())
            except (OSError, http.client.HTTPException):
                self.c = None
        raise RuntimeError("GET %s failed" % path)


def ready_pods(api):
    n = 0
    for p in api.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dconsumers")["items"]:
        if p["metadata"].get("deletionTimestamp"):
            continue
        for c in (p.get("status") or {}).get("conditions") or []:
            if c["type"] == "Ready" and c["status"] == "True":
                n += 1
    return n


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def reaction():
    build = tempfile.mkdtemp(prefix="zke-scalebench-")
    archive = os.path.join(build, "zkt.tar")
    testimg.oci_archive(testimg.build_zkt(build), IMAGE, archive)
    redis = Redis()
    srv = Server(agent="zk-scalebench", env={"ZKE_HPA_SYNC_PERIOD": "15s"})
    subprocess.run([ZKE, "image", "import", "--data-dir", srv.dir, archive], check=True,
                   capture_output=True)
    srv.start()
    first, second = [], []
    try:
        consumer = {"name": "c", "image": IMAGE,
                    "args": ["redispop", "127.0.0.1", str(redis.port), "jobs", "2"]}
        srv.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                          "items": [{
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "consumers"},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "consumers"}},
                     "template": {"metadata": {"labels": {"app": "consumers"}},
                                  "spec": {"hostNetwork": True, "terminationGracePeriodSeconds": 0,
                                           "containers": [consumer]}}}}, {
            "apiVersion": "zke.io/v1alpha1", "kind": "BacklogScaler",
            "metadata": {"name": "consumers"},
            "spec": {"scaleTargetRef": {"name": "consumers"}, "maxReplicaCount": 4,
                     "cooldownPeriod": 2,
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}},
                     "triggers": [{"type": "redis", "targetValue": "1000", "metadata": {
                         "address": "127.0.0.1:%d" % redis.port, "listName": "jobs"}}]}}]}))
        api = Api(srv)
        wait_for(lambda: ((srv.kjson("get", "bls", "consumers").get("status") or {})
                          .get("triggers") or [{}])[0].get("value") == "0", 60, "first reading")
        for i in range(ROUNDS):
            # a random phase against the 5 s poll, as a real backlog has
            time.sleep((i * 1.7) % 5)
            t0 = time.monotonic()
            redis.push("jobs", 100)
            deadline = t0 + 120
            while ready_pods(api) < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            first.append(time.monotonic() - t0)
            t1 = time.monotonic()
            redis.push("jobs", 5000)
            while ready_pods(api) < 2 and time.monotonic() < t1 + 120:
                time.sleep(0.05)
            second.append(time.monotonic() - t1)
            print("  round %d: 0->1 Ready %.2f s, 1->2 Ready %.2f s" % (i + 1, first[-1],
                                                                       second[-1]), flush=True)
            wait_for(lambda: redis.cmd("LLEN", "jobs") == 0, 300, "drained")
            wait_for(lambda: ready_pods(api) == 0 and srv.kjson(
                "get", "deployment", "consumers")["spec"]["replicas"] == 0, 120, "back to 0")
        print("  backlog to first consumer Ready (0->1, 5 s poll): p50 %.2f s, p90 %.2f s, "
              "max %.2f s over %d rounds" % (statistics.median(first), pct(first, 0.9),
                                             max(first), len(first)))
        print("  more backlog to the second Ready (1->2 through the HPA): p50 %.2f s, p90 %.2f s,"
              " max %.2f s" % (statistics.median(second), pct(second, 0.9), max(second)))
        print("  KEDA with its defaults (not on this machine): up to 30 s to notice, then up to "
              "15 s for the HPA's sync, before a pod starts")
    finally:
        srv.kubectl("delete", "backlogscalers,hpa,deployments,pods", "--all", "--wait=true",
                    "--timeout=60s", check=False, timeout=90)
        srv.stop()
        agent_cleanup(srv.dir, "zk-scalebench")
        srv.cleanup()
        redis.stop()
        shutil.rmtree(build, ignore_errors=True)


def controller_cpu():
    redis = Redis()
    srv = Server(["--disable-controller-manager", "--log-level", "warn"]).start()
    sim = cm = None
    try:
        # 500 messages in each list
        for start in range(0, SCALERS, 100):
            for i in range(start, min(SCALERS, start + 100)):
                redis.cmd("RPUSH", "q%d" % i, *(["m"] * 500))
        sim = Sim(srv, nodes=10).start()
        cm = subprocess.Popen([ZKE, "controller-manager", "--kubeconfig", srv.kubeconfig,
                               "--log-level", "warn"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        docs = []
        for i in range(SCALERS):
            name = "w%04d" % i
            docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": name},
                         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                                  "template": {"metadata": {"labels": {"app": name}},
                                               "spec": {"containers": [{"name": "c",
                                                                        "image": "x"}]}}}})
            docs.append({"apiVersion": "zke.io/v1alpha1", "kind": "BacklogScaler",
                         "metadata": {"name": name},
                         "spec": {"scaleTargetRef": {"name": name}, "minReplicaCount": 1,
                                  "maxReplicaCount": 5, "triggers": [{
                                      "type": "redis", "targetValue": "1000", "metadata": {
                                          "address": "127.0.0.1:%d" % redis.port,
                                          "listName": "q%d" % i}}]}})
        for start in range(0, len(docs), 400):
            srv.kubectl("apply", "-f", "-", timeout=300, input=json.dumps(
                {"apiVersion": "v1", "kind": "List", "items": docs[start:start + 400]}))

        def settled():
            hpas = srv.kjson("get", "hpa")["items"]
            bls = srv.kjson("get", "bls")["items"]
            read = sum(1 for b in bls
                       if ((b.get("status") or {}).get("triggers") or [{}])[0].get("value") == "500")
            return len(hpas) == SCALERS and read == SCALERS
        wait_for(settled, 600, "every HPA made and every scaler read")
        time.sleep(15)   # the first syncs of the HPAs pass
        c0, s0, t0 = cpu_s(cm.pid), cpu_s(srv.proc.pid), time.time()
        if os.environ.get("PERF"):   # where the API server's time goes
            subprocess.run(["perf", "record", "-g", "-o", os.environ["PERF"], "-p",
                            str(srv.proc.pid), "--", "sleep", str(int(DUR))],
                           capture_output=True)
        else:
            time.sleep(DUR)
        c1, s1, t1 = cpu_s(cm.pid), cpu_s(srv.proc.pid), time.time()
        rss = 0
        with open("/proc/%d/status" % cm.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
        print("  %d BacklogScalers (Redis, 5 s poll) and %d HPAs on 10 sim nodes, %.0f s steady: "
              "controller-manager %.1f %% of a core (RSS %d MiB), API server %.1f %%" % (
                  SCALERS, SCALERS, t1 - t0, 100 * (c1 - c0) / (t1 - t0), rss,
                  100 * (s1 - s0) / (t1 - t0)), flush=True)
    finally:
        if cm:
            cm.terminate()
            cm.wait(timeout=30)
        if sim:
            sim.stop()
        srv.cleanup()
        redis.stop()


def main():
    print("zke scaling benchmark, %s, %d cores" % (time.strftime("%Y-%m-%d %H:%M"),
                                                    os.cpu_count()), flush=True)
    parts = os.environ.get("PARTS", "reaction,cpu").split(",")
    if "reaction" in parts:
        reaction()
    if "cpu" in parts:
        controller_cpu()


if __name__ == "__main__":
    main()
