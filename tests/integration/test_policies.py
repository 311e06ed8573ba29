"""zke's pod policies inside `zke server` (src/admission/overcommit.c,
strategies.c, antiaffinity.c, src/controllers/hostgroup.c): overcommit by
ratio, host groups and placement strategies, soft anti-affinity; and the
zke.io CRDs the server installs. Control plane only: the nodes are `zke sim`
nodes (they heartbeat and "run" pods on paper), so where pods land is what
the scheduler decided from what admission wrote."""
import json
import os
import subprocess
import tempfile
import time
import unittest

from zke import ZKE, Server, Sim, wait_for

WAIT = 60


def deployment(name, ns, replicas=1, limits=None, requests=None, annotations=None, **spec):
    res = {}
    if limits:
        res["limits"] = limits
    if requests:
        res["requests"] = requests
    tmpl = {"metadata": {"labels": {"app": name}, "annotations": annotations or {}},
            "spec": dict({"containers": [{"name": "web", "image": "zke.test/none:1",
                                          "resources": res}]}, **spec)}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": tmpl}}


def namespace(name, labels=None):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels or {}}}


class PoliciesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.tmp = tempfile.mkdtemp(prefix="zke-pol-")
        cls.sims = []
        try:
            # oc-0 and plain-0: 4 cpu, 24Gi each; hg-0..2: the defaults (32 cpu)
            for prefix, n, labels, cap in (("oc-", 1, {"pool": "oc"}, {"cpu": "4", "memory": "24Gi"}),
                                           ("plain-", 1, {"pool": "plain"}, {"cpu": "4", "memory": "24Gi"}),
                                           ("hg-", 3, {"pool": "hg"}, None)):
                tmpl = {"apiVersion": "v1", "kind": "Node", "metadata": {"labels": labels}}
                if cap:
                    tmpl["status"] = {"capacity": cap}
                path = os.path.join(cls.tmp, prefix + "node.json")
                with open(path, "w") as f:
                    json.dump(tmpl, f)
                cls.sims.append(Sim(cls.srv, nodes=n, args=["--prefix", prefix,
                                                             "--node-template", path]).start())
            cls.apply_doc({"apiVersion": "zke.io/v1alpha1", "kind": "OvercommitPolicy",
                           "metadata": {"name": "default"}, "spec": {}})
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in cls.sims:
            s.stop()
        cls.srv.cleanup()
        subprocess.run(["rm", "-rf", cls.tmp])

    # ---- helpers ----

    @classmethod
    def apply_doc(cls, doc, check=True):
        return cls.srv.kubectl("apply", "-f", "-", input=json.dumps(doc), check=check)

    def pods(self, ns, app):
        return self.srv.kjson("get", "pods", "-n", ns, "-l", "app=" + app)["items"]

    def bound(self, ns, app, n):
        """Wait until n pods of app are bound; their nodes."""
        def ok():
            nodes = [p["spec"].get("nodeName") for p in self.pods(ns, app)]
            return sorted(nodes) if len(nodes) == n and all(nodes) else None
        return wait_for(ok, WAIT, "%d pods of %s/%s bound" % (n, ns, app))

    def node(self, name):
        return self.srv.kjson("get", "node", name)

    # ---- the CRDs ----

    def test_zke_crds_are_installed_and_served(self):
        out = self.srv.kubectl("api-resources", "--api-group=zke.io", "-o", "name").stdout.split()
        # every CRD of deploy/crds/, served without a kubectl apply
        here = os.path.dirname(os.path.abspath(__file__))
        want = sorted(f[:-5] + ".zke.io"
                      for f in os.listdir(os.path.join(here, "..", "..", "deploy", "crds"))
                      if f.endswith(".yaml"))
        self.assertEqual(len(want), 5)
        self.assertEqual(sorted(out), want)
        crd = self.srv.kjson("get", "crd", "overcommitpolicies.zke.io")
        self.assertIn({"type": "Established", "status": "True"},
                      [{"type": c["type"], "status": c["status"]} for c in crd["status"]["conditions"]])
        # the CRD's defaults fill the policy's ratios
        pol = self.srv.kjson("get", "ocp", "default")
        self.assertEqual((pol["spec"]["cpuRatio"], pol["spec"]["memoryRatio"]), (10, 1.5))
        # deploy/crds is the one source
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "..", "..", "deploy", "crds", "hostgroups.yaml")) as f:
            self.assertIn("name: hostgroups.zke.io", f.read())

    # ---- overcommit ----

    def test_overcommit_default_policy_and_opt_out(self):
        self.apply_doc(namespace("oc-on"))
        self.apply_doc(namespace("oc-off", {"zke.io/overcommit": "false"}))
        for ns in ("oc-on", "oc-off"):
            self.apply_doc(deployment("web", ns, limits={"cpu": "2", "memory": "3Gi"}))
        self.bound("oc-on", "web", 1)
        p = self.pods("oc-on", "web")[0]
        res = p["spec"]["containers"][0]["resources"]
        self.assertEqual(res["requests"], {"cpu": "200m", "memory": "2Gi"})
        self.assertEqual(res["limits"], {"cpu": "2", "memory": "3Gi"})
        self.assertEqual(p["metadata"]["annotations"]["policy.zke.io/overcommit"],
                         "OvercommitPolicy default (cpu 10, memory 1.5): web cpu 2 -> 200m, "
                         "memory 3Gi -> 2Gi")
        self.assertEqual(p["status"]["qosClass"], "Burstable")
        off = wait_for(lambda: self.pods("oc-off", "web"), WAIT, "the opted-out pod")[0]
        self.assertEqual(off["spec"]["containers"][0]["resources"]["requests"],
                         {"cpu": "2", "memory": "3Gi"})
        self.assertNotIn("policy.zke.io/overcommit", off["metadata"].get("annotations", {}))
        # a workload opted out by its template annotation
        self.apply_doc(deployment("keep", "oc-on", limits={"cpu": "1"},
                                  annotations={"zke.io/overcommit": "false"}))
        keep = wait_for(lambda: self.pods("oc-on", "keep"), WAIT, "keep's pod")[0]
        self.assertEqual(keep["spec"]["containers"][0]["resources"]["requests"], {"cpu": "1"})

    def test_ten_pods_over_their_limits_schedule_by_requests(self):
        """10 pods of limits cpu 2, memory 3Gi: 20 cpu and 30Gi of limits on
        a 4 cpu, 24Gi node. Overcommitted they all fit (2 cpu, 20Gi of
        requests); opted out, requests are the limits and 2 fit."""
        self.apply_doc(namespace("oc-ten"))
        self.apply_doc(namespace("oc-ten-off", {"zke.io/overcommit": "false"}))
        self.apply_doc(deployment("ten", "oc-ten", replicas=10,
                                  limits={"cpu": "2", "memory": "3Gi"}, nodeSelector={"pool": "oc"}))
        self.assertEqual(self.bound("oc-ten", "ten", 10), ["oc-0"] * 10)
        self.apply_doc(deployment("ten", "oc-ten-off", replicas=10,
                                  limits={"cpu": "2", "memory": "3Gi"}, nodeSelector={"pool": "plain"}))

        def two_bound_eight_refused():
            ps = self.pods("oc-ten-off", "ten")
            nodes = [p["spec"].get("nodeName") for p in ps]
            evs = self.srv.kjson("get", "events", "-n", "oc-ten-off", "--field-selector",
                                 "reason=FailedScheduling")["items"]
            return (len(ps) == 10 and nodes.count("plain-0") == 2 and nodes.count(None) == 8 and
                    any("Insufficient cpu" in e["message"] for e in evs))
        wait_for(two_bound_eight_refused, WAIT, "2 of 10 opted-out pods bound, the rest refused")
        # the report: limits, requests and their ratio per namespace and node
        # (sim nodes report no usage: those columns say "-")
        p = subprocess.run([ZKE, "overcommit", "report", "-n", "oc-ten", "--window", "0s",
                            "--kubeconfig", self.srv.kubeconfig], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = {l.split()[0]: l.split() for l in p.stdout.splitlines() if l.strip()}
        self.assertEqual(rows["oc-ten"][1:6], ["10", "20.0", "2000m", "-", "10.0"])
        self.assertEqual(rows["oc-ten"][7:11], ["30.0Gi", "20.0Gi", "-", "1.5"])
        self.assertIn("- (no usage seen)", p.stdout)
        self.assertEqual(rows["oc-0"][1:3], ["10", "20.0"])

    def test_bad_policy_and_annotation_input(self):
        for ratio, msg in ((0, "should be greater than 0"), (-1.5, "should be greater than 0"),
                           ("ten", "must be of type number")):
            p = self.apply_doc({"apiVersion": "zke.io/v1alpha1", "kind": "OvercommitPolicy",
                                "metadata": {"name": "bad"}, "spec": {"cpuRatio": ratio}},
                               check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(msg, p.stderr)
            self.assertIn("spec.cpuRatio", p.stderr)
        self.apply_doc(namespace("oc-bad"))
        # a malformed opt-out: refused when the workload is written ...
        p = self.apply_doc(deployment("odd", "oc-bad", limits={"cpu": "1"},
                                      annotations={"zke.io/overcommit": "maybe"}), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('deployments.apps "odd" is forbidden: metadata.annotations[zke.io/overcommit]: '
                      '"maybe" is neither "false"', p.stderr)
        # ... and a pod written directly
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "odd", "namespace": "oc-bad",
                            "annotations": {"zke.io/overcommit": "maybe"}},
               "spec": {"containers": [{"name": "c", "image": "x"}]}}
        p = self.apply_doc(pod, check=False)
        self.assertIn('pods "odd" is forbidden: metadata.annotations[zke.io/overcommit]', p.stderr)
        # a namespace naming a policy that does not exist
        self.apply_doc(namespace("oc-named", {"zke.io/overcommit": "nosuch"}))
        pod["metadata"] = {"name": "named", "namespace": "oc-named"}
        p = self.apply_doc(pod, check=False)
        self.assertIn('pods "named" is forbidden: the namespace\'s label zke.io/overcommit=nosuch '
                      'names no OvercommitPolicy', p.stderr)

    # ---- host groups and strategies ----

    def test_host_groups_and_placement_strategies(self):
        hg = lambda name, **spec: {"apiVersion": "zke.io/v1alpha1", "kind": "HostGroup",
                                   "metadata": {"name": name}, "spec": spec}
        self.apply_doc(hg("web", nodes=["hg-0"]))
        self.apply_doc(hg("bigdata", nodes=["hg-2"], exclusive=True))
        self.apply_doc(hg("sel", nodeSelector={"matchLabels": {"pool": "plain"}}))

        def labelled():
            n0, n2, p0 = self.node("hg-0"), self.node("hg-2"), self.node("plain-0")
            taints = n2["spec"].get("taints") or []
            return (n0["metadata"]["labels"].get("zke.io/host-group") == "web" and
                    n2["metadata"]["labels"].get("zke.io/host-group") == "bigdata" and
                    p0["metadata"]["labels"].get("zke.io/host-group") == "sel" and
                    {"key": "zke.io/exclusive", "value": "bigdata", "effect": "NoSchedule"} in taints)
        wait_for(labelled, WAIT, "the host groups' labels and taint on their nodes")
        wait_for(lambda: self.srv.kjson("get", "hostgroup", "bigdata").get("status", {}).get("nodes")
                 == ["hg-2"], WAIT, "bigdata's status")
        self.apply_doc(namespace("place"))
        self.apply_doc(deployment("named", "place", 3, annotations={"scheduling.zke.io/hosts": "hg-1"}))
        self.apply_doc(deployment("grouped", "place", 3,
                                  annotations={"scheduling.zke.io/host-group": "web"}))
        self.apply_doc(deployment("excl", "place", 3,
                                  annotations={"scheduling.zke.io/exclusive": "bigdata"}))
        self.apply_doc(deployment("free", "place", 8, nodeSelector={"pool": "hg"}))
        self.assertEqual(self.bound("place", "named", 3), ["hg-1"] * 3)
        self.assertEqual(self.bound("place", "grouped", 3), ["hg-0"] * 3)
        self.assertEqual(self.bound("place", "excl", 3), ["hg-2"] * 3)
        # without the toleration, never on the exclusive host
        free = self.bound("place", "free", 8)
        self.assertNotIn("hg-2", free)
        excl = self.pods("place", "excl")[0]
        self.assertIn({"key": "zke.io/exclusive", "operator": "Equal", "value": "bigdata",
                       "effect": "NoSchedule"}, excl["spec"]["tolerations"])
        # refusals name the group or host
        for ann, msg in (({"scheduling.zke.io/host-group": "nope"},
                          'there is no host group "nope"'),
                         ({"scheduling.zke.io/hosts": "hg-2"},
                          'node "hg-2" belongs to the exclusive host group "bigdata"'),
                         ({"scheduling.zke.io/hosts": "hg-9"}, 'there is no node "hg-9"'),
                         ({"scheduling.zke.io/exclusive": "web"},
                          'host group "web" is not exclusive'),
                         ({"scheduling.zke.io/hosts": "hg-1", "scheduling.zke.io/host-group": "web"},
                          "ask for two scheduling strategies")):
            p = self.apply_doc(deployment("refused", "place", annotations=ann), check=False)
            self.assertNotEqual(p.returncode, 0, ann)
            self.assertIn('deployments.apps "refused" is forbidden: ', p.stderr)
            self.assertIn(msg, p.stderr)
        # a group that goes takes its label and taint with it
        self.srv.kubectl("delete", "hostgroup", "bigdata")

        def released():
            n2 = self.node("hg-2")
            return ("zke.io/host-group" not in n2["metadata"].get("labels", {}) and
                    not any(t["key"] == "zke.io/exclusive" for t in n2["spec"].get("taints") or []))
        wait_for(released, WAIT, "hg-2 to leave the deleted group")

    # ---- soft anti-affinity ----

    def test_soft_anti_affinity_by_namespace_label(self):
        self.apply_doc(namespace("spread", {"zke.io/soft-anti-affinity": "true"}))
        self.apply_doc(namespace("nospread"))
        for ns in ("spread", "nospread"):
            self.apply_doc(deployment("api", ns, 2, nodeSelector={"pool": "hg"}))
        self.bound("spread", "api", 2)
        p = self.pods("spread", "api")[0]
        self.assertEqual(p["spec"]["affinity"]["podAntiAffinity"],
                         {"preferredDuringSchedulingIgnoredDuringExecution": [{
                             "weight": 100, "podAffinityTerm": {
                                 "labelSelector": {"matchLabels": {"app": "api"}},
                                 "topologyKey": "kubernetes.io/hostname"}}]})
        # the two replicas on two nodes
        self.assertEqual(len(set(self.bound("spread", "api", 2))), 2)
        q = wait_for(lambda: self.pods("nospread", "api"), WAIT, "nospread's pods")[0]
        self.assertNotIn("affinity", q["spec"])


if __name__ == "__main__":
    unittest.main()
