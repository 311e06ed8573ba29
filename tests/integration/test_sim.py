"""zke sim against zke server --disable-agent: simulated nodes register
Ready with their template's capacity and labels, keep their Leases fresh,
run bound pods (Running, Ready, podIP) as the annotations say, stop their
heartbeat on --fail, and end on SIGTERM with exit 0."""
import json
import os
import subprocess
import unittest
from datetime import datetime

from zke import ZKE, ServerTest, Sim, wait_for

TEMPLATE = """\
apiVersion: v1
kind: Node
metadata:
  labels:
    pool: test
spec:
  taints: []
status:
  capacity:
    cpu: 4
    memory: 16Gi
"""


def ts(s):
    return datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").timestamp()


def condition(obj, ctype):
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == ctype:
            return c
    return {}


class SimTest(ServerTest):
    @classmethod
    def prepare(cls):
        path = os.path.join(cls.srv.dir, "node.yaml")
        with open(path, "w") as f:
            f.write(TEMPLATE)
        cls.sim = Sim(cls.srv, nodes=4, args=["--node-template", path, "--lease-seconds", "1",
                                               "--node-status-seconds", "2"]).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.sim.stop()
        super().tearDownClass()
        assert rc == 0, "zke sim exited with %r" % rc

    def pod(self, name, node, annotations=None, spec=None):
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "annotations": annotations or {}},
                "spec": dict({"nodeName": node,
                              "containers": [{"name": "app", "image": "nginx:1.27"}]},
                             **(spec or {}))}
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(body))

    def get(self, *args):
        p = self.srv.kubectl("get", *args, "-o", "json", check=False)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def running(self, name, ready=None):
        def check():
            p = self.get("pod", name)
            if not p or p["status"].get("phase") != "Running":
                return None
            if ready is not None and (condition(p, "Ready").get("status") == "True") != ready:
                return None
            return p
        return wait_for(check, 30, "pod %s Running%s" % (
            name, "" if ready is None else (" and Ready" if ready else " and not Ready")))

    def test_nodes_register_ready_with_template(self):
        nodes = self.get("nodes", "-l", "zke.io/sim=true")["items"]
        self.assertEqual(sorted(n["metadata"]["name"] for n in nodes),
                         ["sim-0", "sim-1", "sim-2", "sim-3"])
        for n in nodes:
            name = n["metadata"]["name"]
            self.assertEqual(condition(n, "Ready")["status"], "True")
            self.assertEqual(condition(n, "Ready")["reason"], "KubeletReady")
            for c in ("MemoryPressure", "DiskPressure", "PIDPressure"):
                self.assertEqual(condition(n, c)["status"], "False")
            labels = n["metadata"]["labels"]
            self.assertEqual(labels["kubernetes.io/hostname"], name)
            self.assertEqual(labels["kubernetes.io/os"], "linux")
            self.assertEqual(labels["pool"], "test")
            st = n["status"]
            # the template's capacity, over the defaults; allocatable follows
            self.assertEqual(st["capacity"]["cpu"], "4")
            self.assertEqual(st["capacity"]["memory"], "16Gi")
            self.assertEqual(st["capacity"]["pods"], "110")
            self.assertEqual(st["allocatable"]["cpu"], "4")
            ips = [a["address"] for a in st["addresses"] if a["type"] == "InternalIP"]
            self.assertTrue(ips and ips[0].startswith("10.200."), ips)
            self.assertTrue(n["spec"]["podCIDR"].startswith("10.1"))
            self.assertEqual(st["nodeInfo"]["kubeletVersion"], "v1.32.0-zke-sim")
        # kubectl shows them Ready
        out = self.srv.kubectl("get", "nodes", "-l", "pool=test", "--no-headers").stdout
        self.assertEqual(out.count(" Ready "), 4, out)

    def test_leases_are_renewed(self):
        node = self.get("node", "sim-1")
        lease = self.get("lease", "-n", "kube-node-lease", "sim-1")
        self.assertEqual(lease["spec"]["holderIdentity"], "sim-1")
        self.assertGreaterEqual(lease["spec"]["leaseDurationSeconds"], 40)
        self.assertEqual(lease["metadata"]["ownerReferences"][0]["uid"], node["metadata"]["uid"])
        first = lease["spec"]["renewTime"]
        wait_for(lambda: self.get("lease", "-n", "kube-node-lease", "sim-1")["spec"]["renewTime"]
                 > first, 20, "the lease of sim-1 to be renewed")
        # the Ready heartbeat moves too, on its own clock
        beat = condition(node, "Ready")["lastHeartbeatTime"]
        wait_for(lambda: condition(self.get("node", "sim-1"), "Ready")["lastHeartbeatTime"] > beat,
                 20, "a Ready heartbeat of sim-1")

    def test_pod_runs_and_follows_ready_annotation(self):
        self.pod("web-1", "sim-0")
        self.pod("web-2", "sim-0")
        p1 = self.running("web-1", ready=True)
        p2 = self.running("web-2", ready=True)
        node = self.get("node", "sim-0")
        prefix = node["spec"]["podCIDR"].rsplit(".", 1)[0] + "."
        for p in (p1, p2):
            st = p["status"]
            self.assertTrue(st["podIP"].startswith(prefix), (st["podIP"], prefix))
            self.assertEqual(st["podIPs"], [{"ip": st["podIP"]}])
            self.assertTrue(st["hostIP"].startswith("10.200."))
            self.assertIn("startTime", st)
            for c in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
                self.assertEqual(condition(p, c)["status"], "True", c)
                self.assertIn("lastTransitionTime", condition(p, c))
            cs = st["containerStatuses"][0]
            self.assertTrue(cs["ready"])
            self.assertEqual(cs["restartCount"], 0)
            self.assertEqual(cs["image"], "nginx:1.27")
            self.assertTrue(cs["containerID"].startswith("sim://"))
            self.assertIn("startedAt", cs["state"]["running"])
        self.assertNotEqual(p1["status"]["podIP"], p2["status"]["podIP"])

        self.srv.kubectl("annotate", "pod", "web-1", "zke.io/sim-ready=false")
        p = self.running("web-1", ready=False)
        self.assertEqual(condition(p, "ContainersReady")["status"], "False")
        self.srv.kubectl("annotate", "--overwrite", "pod", "web-1", "zke.io/sim-ready=true")
        self.running("web-1", ready=True)
        self.srv.kubectl("delete", "pod", "web-1", "web-2", "--timeout=60s")

    def test_readiness_probe_delay(self):
        self.pod("slow", "sim-3", spec={"containers": [{
            "name": "app", "image": "nginx",
            "readinessProbe": {"initialDelaySeconds": 2, "tcpSocket": {"port": 80}}}]})
        p = self.running("slow", ready=True)
        became = ts(condition(p, "Ready")["lastTransitionTime"])
        self.assertGreaterEqual(became - ts(p["status"]["startTime"]), 2)

    def test_job_pods_end(self):
        self.pod("done", "sim-3", annotations={"zke.io/sim-complete-after": "1s"},
                 spec={"restartPolicy": "Never"})
        self.pod("broken", "sim-3", annotations={"zke.io/sim-fail-after": "1s"},
                 spec={"restartPolicy": "Never"})
        done = wait_for(lambda: (self.get("pod", "done") or {}).get("status", {})
                        .get("phase") == "Succeeded" and self.get("pod", "done"),
                        30, "pod done to succeed")
        term = done["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual(term["exitCode"], 0)
        self.assertEqual(term["reason"], "Completed")
        self.assertEqual(condition(done, "Ready")["status"], "False")
        broken = wait_for(lambda: (self.get("pod", "broken") or {}).get("status", {})
                          .get("phase") == "Failed" and self.get("pod", "broken"),
                          30, "pod broken to fail")
        self.assertEqual(broken["status"]["containerStatuses"][0]["state"]["terminated"]
                         ["exitCode"], 1)

    def test_deleted_pod_goes_away(self):
        self.pod("bye", "sim-1")
        self.running("bye")
        self.srv.kubectl("delete", "pod", "bye", "--wait=false")
        wait_for(lambda: self.get("pod", "bye") is None, 30, "pod bye to be gone")

    def test_fail_stops_the_heartbeat(self):
        start = len(self.sim.lines)
        p = subprocess.run([ZKE, "sim", "--kubeconfig", self.srv.kubeconfig, "--fail", "sim-2"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("sim-2: heartbeat stopped", p.stdout)
        node = self.get("node", "sim-2")
        self.assertEqual(node["metadata"]["annotations"]["zke.io/sim-heartbeat"], "stopped")
        self.sim.wait_line("node sim-2: heartbeat stopped", 30, start)
        # a pod bound to the failed node is left alone; one on a live node runs
        self.pod("stuck", "sim-2")
        self.pod("control", "sim-1")
        stopped = self.get("lease", "-n", "kube-node-lease", "sim-2")["spec"]["renewTime"]
        alive = self.get("lease", "-n", "kube-node-lease", "sim-1")["spec"]["renewTime"]
        self.running("control")
        # sim-1's lease is renewed twice (each second) while sim-2's stays
        for _ in range(2):
            alive = wait_for(lambda: (lambda t: t > alive and t)(
                self.get("lease", "-n", "kube-node-lease", "sim-1")["spec"]["renewTime"]),
                20, "the lease of sim-1 to be renewed")
        self.assertEqual(self.get("lease", "-n", "kube-node-lease", "sim-2")["spec"]["renewTime"],
                         stopped)
        self.assertEqual(self.get("pod", "stuck")["status"].get("phase"), "Pending")

        start = len(self.sim.lines)
        p = subprocess.run([ZKE, "sim", "--kubeconfig", self.srv.kubeconfig, "--recover", "sim-2"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.sim.wait_line("node sim-2: heartbeat resumed", 30, start)
        wait_for(lambda: self.get("lease", "-n", "kube-node-lease", "sim-2")["spec"]["renewTime"]
                 > stopped, 20, "the lease of sim-2 to be renewed again")
        self.running("stuck", ready=True)
        self.srv.kubectl("delete", "pod", "stuck", "control", "--timeout=60s")

    def test_fail_of_a_missing_node_fails(self):
        p = subprocess.run([ZKE, "sim", "--kubeconfig", self.srv.kubeconfig, "--fail", "nope"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("nope", p.stderr)

    def test_restart_takes_nodes_over_and_sigterm_exits_0(self):
        args = ["--prefix", "re-", "--lease-seconds", "1"]
        with Sim(self.srv, nodes=2, args=args) as first:
            self.assertIn("2 created", next(l for l in first.lines if "nodes ready" in l))
            self.pod("kept", "re-1")
            ip = self.running("kept", ready=True)["status"]["podIP"]
            self.assertEqual(first.stop(), 0)
        uid = self.get("node", "re-0")["metadata"]["uid"]
        second = Sim(self.srv, nodes=2, args=args + ["--delete-nodes-on-exit"]).start()
        try:
            ready = next(l for l in second.lines if "nodes ready" in l)
            self.assertIn("0 created, 2 taken over", ready)
            self.assertEqual(self.get("node", "re-0")["metadata"]["uid"], uid)
            # a new pod on the node does not get the address the old one holds
            self.pod("next", "re-1")
            self.assertNotEqual(self.running("next")["status"]["podIP"], ip)
            self.assertEqual(self.get("pod", "kept")["status"]["podIP"], ip)
            # while a sim runs the nodes, deleting their pods finishes
            self.srv.kubectl("delete", "pod", "kept", "next", "--timeout=60s")
        finally:
            rc = second.stop()
        self.assertEqual(rc, 0)
        self.assertIsNone(self.get("node", "re-0"))   # --delete-nodes-on-exit


class SimNodeFailureTest(ServerTest):
    """The issue's acceptance test with the sim as the harness: a node whose
    heartbeat stops goes NotReady, its pods are evicted, and replacements
    run on the other nodes; when it comes back it is Ready again and the
    sim finishes the evicted pods' deletion."""

    @classmethod
    def setUpClass(cls):
        old = os.environ.get("ZKE_NODE_MONITOR_GRACE_PERIOD")
        os.environ["ZKE_NODE_MONITOR_GRACE_PERIOD"] = "3s"
        try:
            super().setUpClass()
        finally:
            if old is None:
                del os.environ["ZKE_NODE_MONITOR_GRACE_PERIOD"]
            else:
                os.environ["ZKE_NODE_MONITOR_GRACE_PERIOD"] = old

    @classmethod
    def prepare(cls):
        cls.sim = Sim(cls.srv, nodes=3, args=["--lease-seconds", "1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        super().tearDownClass()

    def pods(self):
        return json.loads(self.srv.kubectl("get", "pods", "-l", "app=web", "-o", "json")
                          .stdout)["items"]

    def test_failed_node_pods_are_replaced_elsewhere(self):
        tol = [{"key": "node.kubernetes.io/" + k, "operator": "Exists", "effect": "NoExecute",
                "tolerationSeconds": 1} for k in ("unreachable", "not-ready")]
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"tolerations": tol, "containers": [
                                         {"name": "c", "image": "nginx"}]}}}}
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(dep))
        self.srv.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        on_0 = {p["metadata"]["name"] for p in self.pods() if p["spec"]["nodeName"] == "sim-0"}
        self.assertTrue(on_0, "no pod landed on sim-0")

        p = subprocess.run([ZKE, "sim", "--kubeconfig", self.srv.kubeconfig, "--fail", "sim-0"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        wait_for(lambda: condition(self.get_node("sim-0"), "Ready").get("status") == "Unknown",
                 60, "sim-0 to go NotReady")

        def replaced():
            live = [p for p in self.pods() if not p["metadata"].get("deletionTimestamp")]
            running = [p for p in live if p["status"].get("phase") == "Running"
                       and condition(p, "Ready").get("status") == "True"]
            return (len(running) == 6 and all(p["spec"]["nodeName"] != "sim-0" for p in running)
                    and not on_0 & {p["metadata"]["name"] for p in live})
        wait_for(replaced, 60, "6 ready pods off sim-0, the old ones evicted")

        p = subprocess.run([ZKE, "sim", "--kubeconfig", self.srv.kubeconfig, "--recover",
                            "sim-0"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        wait_for(lambda: condition(self.get_node("sim-0"), "Ready").get("status") == "True",
                 60, "sim-0 to be Ready again")
        # the evicted pods were left terminating on the dead node; the sim ends them now
        wait_for(lambda: not on_0 & {p["metadata"]["name"] for p in self.pods()}, 60,
                 "the evicted pods to be gone")

    def get_node(self, name):
        return json.loads(self.srv.kubectl("get", "node", name, "-o", "json").stdout)


if __name__ == "__main__":
    unittest.main()
