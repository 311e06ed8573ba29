#!/usr/bin/python3
"""Admission figures (bench/admission.sh).

1. Pod creates (wrk, POST /api/v1/namespaces/bench/pods, a pod with limits
   only), one connection (latency) and 16 (throughput), against three zke
   servers with no scheduler or controllers (admission is what differs):
     - none:       --disable-admission-plugins ZkePolicies
     - in-process: the policies in the server (an OvercommitPolicy, the
                   namespace labelled for soft anti-affinity)
     - webhook:    the policies off in the server, `zke webhook` registered
                   by a MutatingWebhookConfiguration (HTTPS on loopback)
2. The webhook alone: AdmissionReviews POSTed to `zke webhook` on one kept
   connection, latency percentiles.
3. A BatchRestart of DEPLOYMENTS Deployments (1 replica each) on 20 `zke
   sim` nodes at maxConcurrent 20: wall time, and the most rolling at once
   (from its status, sampled every 100 ms).
Everything runs on loopback; each loop is bounded in time or count."""
import base64
import http.client
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from apibench import DUR, TOKEN, Zke, free_port, wrk  # noqa: E402
from zke import ZKE, Server, Sim, wait_for  # noqa: E402
from test_webhooks import make_certs, ca_bundle  # noqa: E402

N_DEPLOY = int(os.environ.get("DEPLOYMENTS", "200"))


def kubectl(z, *args, input=None):
    kc = os.path.join(z.dir, "kubeconfig.yaml")
    return subprocess.run(["kubectl", "--kubeconfig", kc] + list(args), input=input,
                          capture_output=True, text=True, check=True, timeout=120)


def start_zke(*flags):
    """apibench's bench server (a token for wrk), without scheduler or
    controllers: admission is what differs between the runs."""
    return Zke(["--disable-scheduler", "--disable-controller-manager"] + list(flags))


def prepare(z, policies):
    kubectl(z, "create", "namespace", "bench")
    if policies:
        kubectl(z, "label", "namespace", "bench", "zke.io/soft-anti-affinity=true")
        kubectl(z, "apply", "-f", "-", input=json.dumps({
            "apiVersion": "zke.io/v1alpha1", "kind": "OvercommitPolicy",
            "metadata": {"name": "default"}, "spec": {}}))


def creates(z, label, kind="pod"):
    url = z.url + "/api/v1/namespaces/bench/pods"
    env = {"ZK_TOKEN": TOKEN, "ZK_KIND": kind}
    r1 = wrk(url, "wrk_create.lua", 1, dict(env, ZK_PREFIX=label + "1"))
    r16 = wrk(url, "wrk_create.lua", 16, dict(env, ZK_PREFIX=label + "16"))
    # what a pod got
    pods = json.loads(kubectl(z, "get", "--raw", "/api/v1/namespaces/bench/pods?limit=1").stdout)
    req = pods["items"][0]["spec"]["containers"][0]["resources"].get("requests")
    return r1, r16, req


def main():
    print("zke admission benchmark, %s, %d cores, wrk %ss per run" % (
        time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(), DUR))
    tmp = tempfile.mkdtemp(prefix="zke-admbench-")
    ca, cert, key = make_certs(tmp)
    rows = []
    try:
        # 1. none / in-process / webhook
        modes = os.environ.get("MODES", "none,same-object,in-process,webhook").split(",")
        # the modes run in turn, ROUNDS times over (the webhook once): this
        # machine's disk moves runs by several per cent, so the figures
        # compared are each mode's medians over interleaved rounds
        rounds = max(1, int(os.environ.get("ROUNDS", "3")))
        order = [m for r in range(rounds) for m in modes if r == 0 or m != "webhook"]
        for mode in order:
            flags = [] if mode == "in-process" else ["--disable-admission-plugins", "ZkePolicies"]
            z = start_zke(*flags)
            wh = None
            try:
                prepare(z, mode not in ("none", "same-object"))
                if mode == "webhook":
                    port = free_port()
                    wh = subprocess.Popen(
                        [ZKE, "webhook", "--kubeconfig", os.path.join(z.dir, "kubeconfig.yaml"),
                         "--tls-cert", cert, "--tls-key", key, "--bind-address", "127.0.0.1",
                         "--port", str(port), "--log-level", "warn"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    ctx = ssl.create_default_context(cafile=ca)
                    deadline = time.time() + 30
                    while time.time() < deadline:
                        try:
                            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                                            timeout=2)
                            c.request("GET", "/healthz")
                            if c.getresponse().status == 200:
                                break
                        except OSError:
                            pass
                        time.sleep(0.2)
                    kubectl(z, "apply", "-f", "-", input=json.dumps({
                        "apiVersion": "admissionregistration.k8s.io/v1",
                        "kind": "MutatingWebhookConfiguration", "metadata": {"name": "zke"},
                        "webhooks": [{"name": "mutate.zke.io", "clientConfig": {
                            "url": "https://127.0.0.1:%d/mutate" % port, "caBundle": ca_bundle(ca)},
                            "rules": [{"operations": ["CREATE"], "apiGroups": [""],
                                       "apiVersions": ["v1"], "resources": ["pods"]}],
                            "sideEffects": "None", "admissionReviewVersions": ["v1"],
                            "failurePolicy": "Fail", "timeoutSeconds": 5}]}))
                # "same-object": no policies, the pods sent as the policies
                # would leave them; the difference to in-process is the
                # plugins' own cost, not the bigger object they make
                r1, r16, req = creates(z, mode[0], "podmutated" if mode == "same-object" else "pod")
                rows.append((mode, r1, r16, req))
                print("  %-11s 1 conn: %6.0f creates/s p50 %6.2f ms p99 %6.2f ms | 16 conns: "
                      "%6.0f creates/s p99 %6.2f ms | errors %d/%d | requests %s" % (
                          mode, r1["req/s"], r1["p50_ms"], r1["p99_ms"], r16["req/s"],
                          r16["p99_ms"], r1["errors"] + r16["errors"],
                          r1["non2xx"] + r16["non2xx"], req), flush=True)
                if mode == "webhook" and not any(x[0] == "webhook" for x in rows[:-1]):
                    # 2. the webhook alone, one kept connection
                    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                              "request": {"uid": "u", "operation": "CREATE", "namespace": "bench",
                                          "resource": {"group": "", "version": "v1",
                                                       "resource": "pods"},
                                          "object": {"metadata": {"name": "p", "labels": {"app": "x"}},
                                                     "spec": {"containers": [{"name": "c", "resources": {
                                                         "limits": {"cpu": "2", "memory": "3Gi"}}}]}}}}
                    body = json.dumps(review).encode()
                    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
                    lat = []
                    end = time.time() + float(DUR)
                    while time.time() < end and len(lat) < 200000:
                        t0 = time.perf_counter()
                        c.request("POST", "/mutate", body=body,
                                  headers={"Content-Type": "application/json"})
                        r = c.getresponse()
                        r.read()
                        lat.append((time.perf_counter() - t0) * 1000)
                    lat.sort()
                    print("  zke webhook alone (Python client, one connection): %d reviews, "
                          "%.0f/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (
                              len(lat), len(lat) / float(DUR), lat[len(lat) // 2],
                              lat[int(len(lat) * 0.99)], lat[-1]), flush=True)
            finally:
                if wh:
                    wh.terminate()
                    wh.wait(timeout=20)
                z.stop()
        med = {}
        for mode in modes:
            rs = [r for r in rows if r[0] == mode]
            med[mode] = {k: statistics.median(r[i][k] for r in rs)
                         for i, k in ((1, "req/s"), (1, "p50_ms"), (1, "p99_ms"))}
            med[mode]["16"] = statistics.median(r[2]["req/s"] for r in rs)
            med[mode]["16p99"] = statistics.median(r[2]["p99_ms"] for r in rs)
            print("  median of %d: %-11s 1 conn: %6.0f creates/s p50 %6.2f ms p99 %6.2f ms | "
                  "16 conns: %6.0f creates/s p99 %6.2f ms" % (
                      len(rs), mode, med[mode]["req/s"], med[mode]["p50_ms"],
                      med[mode]["p99_ms"], med[mode]["16"], med[mode]["16p99"]))

        def versus(a, b, what):
            if a in med and b in med:
                print("  %s vs %s%s: %+.1f %% creates/s (16 conns), %+.1f %% (1 conn); "
                      "p99 %+.2f ms (1 conn)" % (
                          a, b, what, 100 * (med[a]["16"] / med[b]["16"] - 1),
                          100 * (med[a]["req/s"] / med[b]["req/s"] - 1),
                          med[a]["p99_ms"] - med[b]["p99_ms"]))
        versus("in-process", "none", "")
        versus("in-process", "same-object", " (the plugins' own cost)")
        versus("same-object", "none", " (the bigger object alone)")
        versus("webhook", "none", "")
        # 3. a BatchRestart of many Deployments on simulated nodes
        if N_DEPLOY <= 0:
            return
        srv = Server(["--log-level", "warn"]).start()
        sim = None
        try:
            sim = Sim(srv, nodes=20).start()
            docs = [{"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": "d%03d" % i, "namespace": "default",
                                  "labels": {"bench": "br"}},
                     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d%03d" % i}},
                              "template": {"metadata": {"labels": {"app": "d%03d" % i}},
                                           "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
                    for i in range(N_DEPLOY)]
            srv.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                               "items": docs}), timeout=300)

            def available():
                ds = srv.kjson("get", "deployments")["items"]
                return sum(1 for d in ds if d.get("status", {}).get("availableReplicas") == 1)
            wait_for(lambda: available() == N_DEPLOY, 300, "deployments available")
            t0 = time.time()
            srv.kubectl("apply", "-f", "-", input=json.dumps({
                "apiVersion": "zke.io/v1alpha1", "kind": "BatchRestart",
                "metadata": {"name": "all", "namespace": "default"},
                "spec": {"selector": {"matchLabels": {"bench": "br"}}, "maxConcurrent": 20}}))
            peak, phase = 0, None
            deadline = time.time() + 900
            while time.time() < deadline:
                st = srv.kjson("get", "batchrestart", "all").get("status") or {}
                peak = max(peak, st.get("inProgress", 0))
                phase = st.get("phase")
                if phase in ("Succeeded", "Failed"):
                    break
                time.sleep(0.1)
            wall = time.time() - t0
            print("  BatchRestart of %d Deployments on 20 sim nodes, maxConcurrent 20: %s in "
                  "%.1f s, at most %d rolling at once (status sampled every 100 ms)" % (
                      N_DEPLOY, phase, wall, peak), flush=True)
        finally:
            if sim:
                sim.stop()
            srv.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
