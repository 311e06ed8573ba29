"""zke scheduler --kubeconfig against zke server --disable-agent --disable-scheduler:
each test gets its own server and scheduler, makes Node objects with kubectl
(capacity, allocatable, labels, taints) and pods shaped so that one filter or
score decides, and checks where the pods land or why they do not."""
import json
import os
import signal
import subprocess
import time
import unittest

from zke import ZKE, Server

WAIT = 30  # seconds any one condition may take


def node(name, cpu="4", memory="8Gi", pods="110", labels=None, taints=None, unschedulable=False):
    lab = {"kubernetes.io/hostname": name}
    lab.update(labels or {})
    obj = {"apiVersion": "v1", "kind": "Node",
           "metadata": {"name": name, "labels": lab},
           "spec": {},
           "status": {"capacity": {"cpu": cpu, "memory": memory, "pods": pods},
                      "allocatable": {"cpu": cpu, "memory": memory, "pods": pods}}}
    if taints:
        obj["spec"]["taints"] = taints
    if unschedulable:
        obj["spec"]["unschedulable"] = True
    return obj


def pod(name, cpu=None, memory=None, labels=None, **spec):
    c = {"name": "c", "image": "nginx"}
    req = {}
    if cpu:
        req["cpu"] = cpu
    if memory:
        req["memory"] = memory
    if req:
        c["resources"] = {"requests": req}
    if "ports" in spec:
        c["ports"] = spec.pop("ports")
    s = {"containers": [c]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {}}, "spec": s}


class Cluster(unittest.TestCase):
    """Helpers over self.srv; the subclasses start what runs."""

    def sched_tail(self):
        return self.srv.tail_log()

    # ---- helpers ----

    def create(self, *objs):
        doc = {"apiVersion": "v1", "kind": "List", "items": list(objs)}
        self.srv.kubectl("create", "-f", "-", input=json.dumps(doc))

    def get_pod(self, name):
        return self.srv.kjson("get", "pod", name)

    def wait_for(self, what, fn):
        deadline = time.time() + WAIT
        last = None
        while time.time() < deadline:
            last = fn()
            if last:
                return last
            time.sleep(0.2)
        self.fail("timed out waiting for %s (last: %r)\nscheduler log:\n%s"
                  % (what, last, self.sched_tail()))

    def wait_bound(self, name):
        def bound():
            return self.get_pod(name)["spec"].get("nodeName")
        return self.wait_for("pod %s to be bound" % name, bound)

    def wait_failed(self, name):
        """The FailedScheduling event about the pod; returns (event, pod)."""
        def event():
            evs = self.srv.kjson("get", "events", "--field-selector",
                                 "involvedObject.name=%s,reason=FailedScheduling" % name)
            return evs["items"][0] if evs["items"] else None
        ev = self.wait_for("FailedScheduling for %s" % name, event)

        def cond():
            p = self.get_pod(name)
            for c in p.get("status", {}).get("conditions", []):
                if c["type"] == "PodScheduled" and c["status"] == "False":
                    return p
            return None
        return ev, self.wait_for("PodScheduled=False on %s" % name, cond)


class SchedulerTest(Cluster):
    """zke scheduler --kubeconfig beside zke server --disable-scheduler."""

    def setUp(self):
        self.srv = Server(["--disable-scheduler"]).start()
        self.sched_log_path = os.path.join(self.srv.dir, "scheduler.log")
        self.sched_log = open(self.sched_log_path, "wb")
        self.sched = subprocess.Popen(
            [ZKE, "scheduler", "--kubeconfig", self.srv.kubeconfig, "--leader-elect", "false"],
            stdout=self.sched_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def tearDown(self):
        if self.sched.poll() is None:
            os.kill(self.sched.pid, signal.SIGTERM)
            try:
                self.sched.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.sched.pid, signal.SIGKILL)
                self.sched.wait(timeout=10)
        rc = self.sched.returncode
        self.sched_log.close()
        self.srv.cleanup()
        self.assertEqual(rc, 0, "zke scheduler exited with %s" % rc)

    def sched_tail(self):
        with open(self.sched_log_path, "rb") as f:
            return f.read()[-4000:].decode(errors="replace")

    # ---- tests ----

    def test_pod_that_fits_only_one_node_lands_there(self):
        self.create(node("small-1", cpu="1"), node("small-2", cpu="1", memory="16Gi"),
                    node("big", cpu="8", memory="2Gi"))
        self.create(pod("cpu-hungry", cpu="2"), pod("memory-hungry", memory="10Gi"))
        self.assertEqual(self.wait_bound("cpu-hungry"), "big")
        self.assertEqual(self.wait_bound("memory-hungry"), "small-2")
        conds = {c["type"]: c for c in self.get_pod("cpu-hungry")["status"]["conditions"]}
        self.assertEqual(conds["PodScheduled"]["status"], "True")
        ev = self.srv.kjson("get", "events", "--field-selector",
                            "involvedObject.name=cpu-hungry,reason=Scheduled")["items"]
        self.assertEqual(ev[0]["message"], "Successfully assigned default/cpu-hungry to big")

    def test_anti_affinity_spreads_replicas(self):
        self.create(*[node("n%d" % i) for i in range(3)])
        anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}},
             "topologyKey": "kubernetes.io/hostname"}]}}
        self.create(*[pod("web-%d" % i, labels={"app": "web"}, affinity=anti) for i in range(3)])
        nodes = [self.wait_bound("web-%d" % i) for i in range(3)]
        self.assertEqual(sorted(nodes), ["n0", "n1", "n2"])
        # a fourth replica has nowhere to go
        self.create(pod("web-3", labels={"app": "web"}, affinity=anti))
        ev, p = self.wait_failed("web-3")
        self.assertEqual(ev["message"], "0/3 nodes are available: 3 node(s) didn't match pod "
                                        "anti-affinity rules.")
        self.assertNotIn("nodeName", p["spec"])
        # and a pod without terms keeps off nodes whose pods repel it
        self.create(pod("plain", labels={"app": "web"}))
        ev, _ = self.wait_failed("plain")
        self.assertEqual(ev["message"], "0/3 nodes are available: 3 node(s) didn't satisfy "
                                        "existing pods anti-affinity rules.")

    def test_tainted_node_is_avoided_unless_tolerated(self):
        taint = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
        self.create(node("plain", cpu="1"), node("gpu", cpu="16", memory="64Gi", taints=taint))
        # the tainted node is far emptier, yet untolerating pods never go there
        self.create(*[pod("app-%d" % i, cpu="100m") for i in range(4)])
        for i in range(4):
            self.assertEqual(self.wait_bound("app-%d" % i), "plain")
        tol = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
        self.create(pod("trainer", cpu="4", tolerations=tol))
        self.assertEqual(self.wait_bound("trainer"), "gpu")

    def test_impossible_pod_stays_pending_with_the_reasons(self):
        taint = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
        self.create(node("n1", cpu="1"), node("n2", cpu="1"),
                    node("tainted", cpu="8", taints=taint),
                    node("cordoned", cpu="8", unschedulable=True))
        self.create(pod("huge", cpu="2"))
        want = ("0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
                "1 node(s) were unschedulable, 2 Insufficient cpu.")
        ev, p = self.wait_failed("huge")
        self.assertEqual(ev["message"], want)
        self.assertEqual(ev["type"], "Warning")
        self.assertEqual(ev["source"]["component"], "default-scheduler")
        self.assertEqual(ev["involvedObject"]["kind"], "Pod")
        self.assertEqual(ev["involvedObject"]["uid"], p["metadata"]["uid"])
        self.assertGreaterEqual(ev["count"], 1)
        cond = [c for c in p["status"]["conditions"] if c["type"] == "PodScheduled"][0]
        self.assertEqual(cond["status"], "False")
        self.assertEqual(cond["reason"], "Unschedulable")
        self.assertEqual(cond["message"], want)
        self.assertEqual(p["status"].get("phase"), "Pending")
        self.assertNotIn("nodeName", p["spec"])

    def test_pending_pod_is_scheduled_when_a_node_that_fits_arrives(self):
        self.create(node("n1", cpu="1"))
        self.create(pod("waiting", cpu="3"))
        ev, _ = self.wait_failed("waiting")
        self.assertEqual(ev["message"], "0/1 nodes are available: 1 Insufficient cpu.")
        self.create(node("n2", cpu="4"))
        self.assertEqual(self.wait_bound("waiting"), "n2")

    def test_pending_pod_is_scheduled_when_room_is_freed(self):
        self.create(node("n1", cpu="2"))
        self.create(pod("first", cpu="1500m"))
        self.assertEqual(self.wait_bound("first"), "n1")
        self.create(pod("second", cpu="1"))
        self.wait_failed("second")
        self.srv.kubectl("delete", "pod", "first", "--grace-period=0", "--force", "--wait=false")
        self.assertEqual(self.wait_bound("second"), "n1")

    def test_no_nodes(self):
        self.create(pod("alone"))
        ev, p = self.wait_failed("alone")
        self.assertEqual(ev["message"], "no nodes available to schedule pods")

    def test_node_selector_and_required_node_affinity(self):
        self.create(node("ssd-a", labels={"disk": "ssd", "zone": "a"}),
                    node("ssd-b", labels={"disk": "ssd", "zone": "b"}),
                    node("hdd-a", labels={"disk": "hdd", "zone": "a"}))
        aff = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "zone", "operator": "NotIn", "values": ["a"]}]}]}}}
        self.create(pod("fast", nodeSelector={"disk": "ssd"}, affinity=aff),
                    pod("by-name", affinity={"nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                            {"matchFields": [{"key": "metadata.name", "operator": "In",
                                              "values": ["hdd-a"]}]}]}}}),
                    pod("nowhere", nodeSelector={"disk": "nvme"}))
        self.assertEqual(self.wait_bound("fast"), "ssd-b")
        self.assertEqual(self.wait_bound("by-name"), "hdd-a")
        ev, _ = self.wait_failed("nowhere")
        self.assertEqual(ev["message"], "0/3 nodes are available: 3 node(s) didn't match "
                                        "Pod's node affinity/selector.")
        # labelling a node so that it matches lets the pod in
        self.srv.kubectl("label", "node", "hdd-a", "disk=nvme", "--overwrite")
        self.assertEqual(self.wait_bound("nowhere"), "hdd-a")

    def test_host_ports_and_pod_count(self):
        self.create(node("n1", pods="2"), node("n2", pods="2"))
        port = [{"containerPort": 80, "hostPort": 8080}]
        self.create(pod("port-1", ports=port), pod("port-2", ports=port))
        a, b = self.wait_bound("port-1"), self.wait_bound("port-2")
        self.assertNotEqual(a, b)
        self.create(pod("port-3", ports=port))
        ev, _ = self.wait_failed("port-3")
        self.assertEqual(ev["message"], "0/2 nodes are available: 2 node(s) didn't have free "
                                        "ports for the requested pod ports.")
        self.create(pod("fill-1"), pod("fill-2"))
        self.wait_bound("fill-1")
        self.wait_bound("fill-2")
        self.create(pod("extra"))
        ev, _ = self.wait_failed("extra")
        self.assertEqual(ev["message"], "0/2 nodes are available: 2 Too many pods.")

    def test_topology_spread_constraint(self):
        self.create(node("a1", labels={"zone": "a"}), node("a2", labels={"zone": "a"}),
                    node("b1", labels={"zone": "b"}))
        tsc = [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "s"}}}]
        zones = {"a1": "a", "a2": "a", "b1": "b"}
        counts = {"a": 0, "b": 0}
        # one at a time, so that each decision sees the ones before
        for i in range(4):
            self.create(pod("s-%d" % i, labels={"app": "s"}, topologySpreadConstraints=tsc))
            counts[zones[self.wait_bound("s-%d" % i)]] += 1
        self.assertEqual(counts, {"a": 2, "b": 2})

    def test_other_scheduler_names_are_left_alone(self):
        self.create(node("n1"))
        self.create(pod("theirs", schedulerName="someone-else"), pod("ours"))
        self.assertEqual(self.wait_bound("ours"), "n1")
        p = self.get_pod("theirs")
        self.assertNotIn("nodeName", p["spec"])
        evs = self.srv.kjson("get", "events", "--field-selector", "involvedObject.name=theirs")
        self.assertEqual(evs["items"], [])

    def test_scheduling_gates_hold_a_pod_back(self):
        self.create(node("n1"))
        self.create(pod("gated", schedulingGates=[{"name": "example.com/wait"}]), pod("free"))
        self.assertEqual(self.wait_bound("free"), "n1")
        self.assertNotIn("nodeName", self.get_pod("gated")["spec"])
        self.srv.kubectl("patch", "pod", "gated", "--type=json",
                         "-p", '[{"op":"remove","path":"/spec/schedulingGates"}]')
        self.assertEqual(self.wait_bound("gated"), "n1")


class InServerSchedulerTest(Cluster):
    """The same scheduler inside `zke server` (no --disable-scheduler)."""

    def setUp(self):
        self.srv = Server().start()

    def tearDown(self):
        self.srv.cleanup()

    def test_in_server_scheduler_binds_and_reports(self):
        self.create(node("n1", cpu="1"), node("n2", cpu="4"))
        self.create(pod("fits", cpu="2"), pod("too-big", cpu="8"))
        self.assertEqual(self.wait_bound("fits"), "n2")
        ev, _ = self.wait_failed("too-big")
        self.assertEqual(ev["message"], "0/2 nodes are available: 2 Insufficient cpu.")
        self.assertEqual(ev["source"]["component"], "default-scheduler")


if __name__ == "__main__":
    unittest.main()
