"""HorizontalPodAutoscaler: the controller against the control plane (sim
nodes: bounds, a missing target, the v1 view) and on real containers (a
CPU-burning Deployment scaled up under load and down after the
stabilisation window, shortened to 20 s for the test)."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import testimg
from zke import ZKE, Server, Sim, agent_cleanup, wait_for

# node agents here: bridges, host rules, node ports (run.py runs these one at a time)
USES_HOST_NETWORK = True

SYNC = "2s"   # the HPA sync period for these tests (15 s by default)


def hpa(name, target, min_r, max_r, metrics=None, behavior=None, ns="default"):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": min_r, "maxReplicas": max_r,
            "metrics": metrics or [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}
    if behavior:
        spec["behavior"] = behavior
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def deployment(name, replicas, container, ns="default", volumes=None):
    d = {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": name, "namespace": ns},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"terminationGracePeriodSeconds": 0,
                                        "containers": [container]}}}}
    if volumes:
        d["spec"]["template"]["spec"]["volumes"] = volumes
    return d


def condition(h, type_):
    for c in (h.get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return c
    return None


def events(srv, ns, name, reason):
    evs = srv.kjson("get", "events", "-n", ns)["items"]
    return [e for e in evs if e["involvedObject"].get("name") == name and e["reason"] == reason]


class HpaControlPlaneTest(unittest.TestCase):
    """Sim nodes run the pods; no metrics reach the HPA here (the sim has no
    cgroups), which is itself a case: ScalingActive False."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(env={"ZKE_HPA_SYNC_PERIOD": SYNC}).start()
        cls.sim = Sim(cls.srv, nodes=2).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.srv.cleanup()

    def apply(self, *docs):
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": list(docs)}))

    def test_replicas_outside_the_bounds_move_inside(self):
        c = {"name": "c", "image": "x", "resources": {"requests": {"cpu": "100m"}}}
        self.apply(deployment("many", 6, c), hpa("many", "many", 1, 4))
        wait_for(lambda: self.srv.kjson("get", "deployment", "many")["spec"]["replicas"] == 4,
                 60, "scaled down to maxReplicas")
        ev = events(self.srv, "default", "many", "SuccessfulRescale")
        self.assertTrue(ev, "no SuccessfulRescale event")
        self.assertEqual(ev[0]["message"],
                         "New size: 4; reason: Current number of replicas above Spec.MaxReplicas")
        self.apply(deployment("few", 1, c), hpa("few", "few", 3, 5))
        wait_for(lambda: self.srv.kjson("get", "deployment", "few")["spec"]["replicas"] == 3,
                 60, "scaled up to minReplicas")
        h = self.srv.kjson("get", "hpa", "few")
        self.assertIn("lastScaleTime", h["status"])
        self.assertEqual(h["status"]["desiredReplicas"], 3)

    def test_missing_target_says_so(self):
        self.apply(hpa("ghost", "nothing-here", 1, 3))

        def failed():
            c = condition(self.srv.kjson("get", "hpa", "ghost"), "AbleToScale")
            return c and c["status"] == "False" and c["reason"] == "FailedGetScale"
        wait_for(failed, 60, "AbleToScale False FailedGetScale")
        c = condition(self.srv.kjson("get", "hpa", "ghost"), "AbleToScale")
        self.assertIn("deployments.apps \"nothing-here\" not found", c["message"])
        self.assertTrue(events(self.srv, "default", "ghost", "FailedGetScale"))

    def test_no_metrics_is_scaling_active_false(self):
        c = {"name": "c", "image": "x", "resources": {"requests": {"cpu": "100m"}}}
        self.apply(deployment("quiet", 2, c), hpa("quiet", "quiet", 1, 5))

        def inactive():
            c = condition(self.srv.kjson("get", "hpa", "quiet"), "ScalingActive")
            return c and c["status"] == "False"
        wait_for(inactive, 60, "ScalingActive False")
        c = condition(self.srv.kjson("get", "hpa", "quiet"), "ScalingActive")
        self.assertEqual(c["reason"], "FailedGetResourceMetric")
        self.assertTrue(events(self.srv, "default", "quiet", "FailedComputeMetricsReplicas"))
        # nothing was changed on the strength of missing metrics
        self.assertEqual(self.srv.kjson("get", "deployment", "quiet")["spec"]["replicas"], 2)

    def test_a_missing_request_is_named(self):
        self.apply(deployment("noreq", 1, {"name": "web", "image": "x"}), hpa("noreq", "noreq", 1, 3))

        def named():
            c = condition(self.srv.kjson("get", "hpa", "noreq"), "ScalingActive")
            return c and "missing request for cpu in container web of Pod noreq-" in c["message"]
        wait_for(named, 60, "ScalingActive naming the container without a request")

    def test_v1_view_and_kubectl_autoscale(self):
        c = {"name": "c", "image": "x", "resources": {"requests": {"cpu": "100m"}}}
        self.apply(deployment("v1d", 2, c))
        self.srv.kubectl("autoscale", "deployment", "v1d", "--min=2", "--max=7", "--cpu-percent=65")
        v1 = json.loads(self.srv.kubectl(
            "get", "--raw", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/v1d"
        ).stdout)
        self.assertEqual(v1["spec"]["targetCPUUtilizationPercentage"], 65)
        self.assertEqual(v1["spec"]["maxReplicas"], 7)
        v2 = self.srv.kjson("get", "hpa", "v1d")
        self.assertEqual(v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 65)
        wait_for(lambda: (self.srv.kjson("get", "hpa", "v1d").get("status") or {})
                 .get("conditions"), 60, "the controller's status")
        out = self.srv.kubectl("describe", "hpa", "v1d").stdout
        self.assertIn("Min replicas:", out)
        self.assertIn("AbleToScale", out)


class HpaContainersTest(unittest.TestCase):
    """Real containers: zkt spins while a file on a hostPath volume exists.
    requests cpu 100m, limits 200m: a spinning pod runs at about 200 % of
    its request against a target of 50 %."""
    NODE = "zk-hpa-it"
    IMAGE = "zke.test/zkt:1"

    @classmethod
    def setUpClass(cls):
        cls.build = tempfile.mkdtemp(prefix="zke-hpa-")
        archive = os.path.join(cls.build, "zkt.tar")
        testimg.oci_archive(testimg.build_zkt(cls.build), cls.IMAGE, archive)
        cls.load = os.path.join(cls.build, "load")
        os.makedirs(cls.load)
        cls.srv = Server(agent=cls.NODE, env={"ZKE_HPA_SYNC_PERIOD": SYNC})
        subprocess.run([ZKE, "image", "import", "--data-dir", cls.srv.dir, archive], check=True,
                       capture_output=True)
        try:
            cls.srv.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.kubectl("delete", "hpa,deployments,pods", "--all", "-A", "--wait=true",
                            "--timeout=60s", check=False, timeout=90)
        finally:
            cls.srv.stop()
            agent_cleanup(cls.srv.dir, cls.NODE)
            cls.srv.cleanup()
            shutil.rmtree(cls.build, ignore_errors=True)

    def replicas(self):
        return self.srv.kjson("get", "deployment", "burn", "-n", "hpa")["spec"]["replicas"]

    def test_scales_up_under_load_and_down_after_the_window(self):
        on = os.path.join(self.load, "on")
        open(on, "w").close()
        self.srv.kubectl("create", "namespace", "hpa")
        c = {"name": "burn", "image": self.IMAGE, "args": ["spinwhile", "/load/on"],
             "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "200m"}},
             "volumeMounts": [{"name": "load", "mountPath": "/load"}]}
        d = deployment("burn", 1, c, ns="hpa",
                       volumes=[{"name": "load", "hostPath": {"path": self.load}}])
        h = hpa("burn", "burn", 1, 3, ns="hpa",
                behavior={"scaleDown": {"stabilizationWindowSeconds": 20}})
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [d, h]}))
        # up: 200 % against 50 % wants 4; maxReplicas holds it at 3
        wait_for(lambda: self.replicas() == 3, 150, "scaled up to 3 under load")
        ev = events(self.srv, "hpa", "burn", "SuccessfulRescale")
        self.assertTrue(any(e["message"].startswith("New size: 3; reason: cpu resource "
                                                    "utilization (percentage of request) above "
                                                    "target") for e in ev), ev)
        st = self.srv.kjson("get", "hpa", "burn", "-n", "hpa")
        self.assertEqual(condition(st, "ScalingActive")["reason"], "ValidMetricFound")
        cur = st["status"]["currentMetrics"][0]["resource"]["current"]
        self.assertGreater(cur["averageUtilization"], 50)
        # usage against limits, for tuning overcommit: shown by describe
        self.assertIn("of limits", condition(st, "LimitUtilization")["message"])
        out = self.srv.kubectl("describe", "hpa", "burn", "-n", "hpa").stdout
        self.assertIn("LimitUtilization", out)
        self.assertIn("resource cpu on pods  (as a percentage of request):", out)
        # the v1 view carries the current utilization
        v1 = json.loads(self.srv.kubectl("get", "--raw", "/apis/autoscaling/v1/namespaces/hpa/"
                                         "horizontalpodautoscalers/burn").stdout)
        self.assertGreater(v1["status"]["currentCPUUtilizationPercentage"], 50)

        # down: the load stops; the highest recommendation of the last 20 s
        # holds the replicas (ScaleDownStabilized) until the window passes
        os.unlink(on)
        stopped = time.time()
        seen_stabilized = False
        deadline = time.time() + 180
        while time.time() < deadline and self.replicas() != 1:
            c = condition(self.srv.kjson("get", "hpa", "burn", "-n", "hpa"), "AbleToScale")
            seen_stabilized |= bool(c and c["reason"] == "ScaleDownStabilized")
            time.sleep(0.5)
        took = time.time() - stopped
        self.assertEqual(self.replicas(), 1, "did not scale down within 180 s")
        self.assertTrue(seen_stabilized, "never held by the stabilization window")
        # a lower bound only: the last high recommendation came at most one
        # sync period (2 s) before the load stopped, so the 20 s window
        # cannot have passed in under 18 s
        self.assertGreaterEqual(took, 18)
        ev = events(self.srv, "hpa", "burn", "SuccessfulRescale")
        self.assertTrue(any(e["message"] == "New size: 1; reason: All metrics below target"
                            for e in ev), ev)


if __name__ == "__main__":
    unittest.main()
