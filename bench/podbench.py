"""Pod start latency and agent footprint (bench/pods.sh).

A `zke server --disable-agent` and a standalone `zke agent` that joins it
with a join token run in temporary directories on loopback; the agent's
own process is what is measured. Pods use the zkt test image (built here),
already in the agent's store, so no pull is timed."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import testimg  # noqa: E402
from zke import ZKE, Server, agent_cleanup, wait_for  # noqa: E402

from kubernetes import client, config, watch  # noqa: E402

PODS = int(os.environ.get("PODS", "100"))
SKIP_PACED = os.environ.get("SKIP_PACED") == "1"
NODE = "zk-bench-node"
IMAGE = "zke.test/zkt:1"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def proc_stat(pid):
    with open("/proc/%d/status" % pid) as f:
        rss = [int(line.split()[1]) for line in f if line.startswith("VmRSS:")][0]
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return rss, ticks / os.sysconf("SC_CLK_TCK")


def cpu_over(pid, seconds):
    _, c0 = proc_stat(pid)
    t0 = time.monotonic()
    time.sleep(seconds)
    rss, c1 = proc_stat(pid)
    return rss, (c1 - c0) / (time.monotonic() - t0)


class ReadyWatch(threading.Thread):
    """Records when each pod of the label is first Ready."""

    def __init__(self, api, label):
        super().__init__(daemon=True)
        self.api, self.label, self.ready, self.w = api, label, {}, watch.Watch()

    def run(self):
        self.stopped = False
        while not self.stopped:
            try:
                for ev in self.w.stream(self.api.list_namespaced_pod, "default",
                                        label_selector="bench=" + self.label, timeout_seconds=600):
                    p = ev["object"]
                    conds = p.status.conditions or []
                    if any(c.type == "Ready" and c.status == "True" for c in conds):
                        self.ready.setdefault(p.metadata.name, time.monotonic())
            except Exception as e:  # a dropped watch: report it, watch again
                print("watch ended: %r" % (e,), file=sys.stderr)
                time.sleep(0.1)


def run_batch(api, label, interval):
    w = ReadyWatch(api, label)
    w.start()
    time.sleep(0.5)
    created = {}
    for i in range(PODS):
        name = "%s-%03d" % (label, i)
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "labels": {"bench": label}},
                "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "c", "image": IMAGE, "args": ["sleep"],
                                         "imagePullPolicy": "Never"}]}}
        created[name] = time.monotonic()
        api.create_namespaced_pod("default", body)
        if interval:
            time.sleep(interval)
    deadline = time.time() + 300
    while len(w.ready) < PODS and time.time() < deadline:
        time.sleep(0.2)
    w.stopped = True
    w.w.stop()
    lat = [w.ready[n] - created[n] for n in created if n in w.ready]
    return lat


def bare_runc(zkt, runs=20):
    """runc run of the same static program, detached, to running: the floor."""
    d = tempfile.mkdtemp(prefix="zk-runc-")
    try:
        rootfs = os.path.join(d, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"))
        shutil.copy(zkt, os.path.join(rootfs, "bin", "zkt"))
        subprocess.run(["runc", "spec"], cwd=d, check=True)
        with open(os.path.join(d, "config.json")) as f:
            spec = json.load(f)
        spec["process"]["args"] = ["/bin/zkt", "sleep"]
        spec["process"]["terminal"] = False
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(spec, f)
        times = []
        for i in range(runs):
            cid = "zk-bench-runc-%d-%d" % (os.getpid(), i)
            t0 = time.monotonic()
            subprocess.run(["runc", "--root", d + "/state", "run", "-d", "--bundle", d, cid],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL)
            times.append(time.monotonic() - t0)
            subprocess.run(["runc", "--root", d + "/state", "delete", "-f", cid], check=True)
        return times
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    if os.geteuid() != 0:
        sys.exit("bench/pods.sh needs root (runc, CNI)")
    build = tempfile.mkdtemp(prefix="zk-podbench-")
    agent_dir = tempfile.mkdtemp(prefix="zk-podbench-agent-")
    srv = Server(["--disable-agent"])
    agent = None
    try:
        zkt = testimg.build_zkt(build)
        archive = os.path.join(build, "zkt.tar")
        testimg.oci_archive(zkt, IMAGE, archive)
        subprocess.run([ZKE, "image", "import", "--data-dir", agent_dir, archive], check=True,
                       capture_output=True)
        srv.start()
        token = subprocess.run([ZKE, "token", "create", "--data-dir", srv.dir], check=True,
                               capture_output=True, text=True).stdout.strip()
        log = open(os.path.join(agent_dir, "agent.log"), "wb")
        agent = subprocess.Popen([ZKE, "agent", "--server", srv.url, "--token", token,
                                  "--data-dir", agent_dir, "--node-name", NODE],
                                 stdout=log, stderr=log)
        wait_for(lambda: any(n["metadata"]["name"] == NODE and n["spec"].get("podCIDR")
                             for n in srv.kjson("get", "nodes")["items"]), 30, "the node")
        api = client.CoreV1Api(config.new_client_from_config(srv.kubeconfig))
        time.sleep(3)
        rss0, cpu0 = cpu_over(agent.pid, 20)
        print("agent idle, no pods:   RSS %.1f MB, CPU %.2f%% of a core" % (rss0 / 1024, cpu0 * 100))

        floor = bare_runc(zkt)
        print("bare runc run -d (floor): p50 %.0f ms, p99 %.0f ms over %d"
              % (pct(floor, 50) * 1000, pct(floor, 99) * 1000, len(floor)))

        lat = run_batch(api, "paced", 0.1)
        print("pod start, 10 pods/s:  p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d of %d Ready)"
              % (pct(lat, 50) * 1000, pct(lat, 99) * 1000, max(lat) * 1000, len(lat), PODS))
        time.sleep(5)
        rss1, cpu1 = cpu_over(agent.pid, 30)
        print("agent with %d pods:   RSS %.1f MB, CPU %.2f%% of a core" % (PODS, rss1 / 1024, cpu1 * 100))
        t0 = time.monotonic()
        srv.kubectl("delete", "pods", "-l", "bench=paced", "--wait=true", "--timeout=300s",
                    timeout=330)
        print("delete %d pods:        %.1f s until all gone" % (PODS, time.monotonic() - t0))

        lat = run_batch(api, "burst", 0)
        print("pod start, burst of %d: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d Ready)"
              % (PODS, pct(lat, 50) * 1000, pct(lat, 99) * 1000, max(lat) * 1000, len(lat)))
        rss2, _ = proc_stat(agent.pid)
        print("agent after the burst: RSS %.1f MB" % (rss2 / 1024))
        srv.kubectl("delete", "pods", "-l", "bench=burst", "--wait=true", "--timeout=300s",
                    timeout=330)
    finally:
        if agent:
            agent.terminate()
            agent.wait(timeout=30)
            with open(os.path.join(agent_dir, "agent.log"), errors="replace") as f:
                warns = [line.rstrip() for line in f if line.startswith(("W", "E"))]
            print("agent warnings: %d" % len(warns))
            for line in warns[:8]:
                print("  " + line[:300])
        srv.cleanup()
        agent_cleanup(agent_dir, NODE)
        shutil.rmtree(agent_dir, ignore_errors=True)
        shutil.rmtree(build, ignore_errors=True)


if __name__ == "__main__":
    main()
