"""The Endpoints, EndpointSlice, ServiceAccount and node lifecycle controllers
of `zke server`, driven with kubectl. Pod status (IP, readiness) is written by
the test as a node would write it, except in SimNodeFailureTest, where
`zke sim` plays the nodes."""
import base64
import json
import os
import subprocess
import threading
import time
import unittest

import zke
from zke import ServerTest

WAIT = 30   # seconds any one condition may take


def wait_for(what, fn, timeout=WAIT, interval=0.2):
    """Call fn until it returns a true value (returned); fail after timeout."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s; last: %r" % (what, last))


def pod_manifest(name, labels, ports=(), node="n1", tolerations=None):
    spec = {"nodeName": node,
            "containers": [{"name": "c", "image": "registry.invalid/app:1",
                            "ports": [{"name": n, "containerPort": p} for n, p in ports]}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels}, "spec": spec}


class EndpointsTest(ServerTest):

    def apply(self, *objs, ns="default"):
        self.srv.kubectl("apply", "-n", ns, "-f", "-",
                         input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objs)}))

    def set_pod_status(self, name, ip, ready, ns="default"):
        status = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                  "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
        self.srv.kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge",
                         "-p", json.dumps({"status": status}))

    def endpoints(self, name, ns="default"):
        p = self.srv.kubectl("get", "endpoints", name, "-n", ns, "-o", "json", check=False)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def ep_ips(self, name, ns="default"):
        """(ready IPs, not-ready IPs) of an Endpoints, sorted, or None."""
        ep = self.endpoints(name, ns)
        if ep is None:
            return None
        ready, notready = [], []
        for s in ep.get("subsets") or []:
            ready += [a["ip"] for a in s.get("addresses") or []]
            notready += [a["ip"] for a in s.get("notReadyAddresses") or []]
        return sorted(ready), sorted(notready)

    def slices(self, svc, ns="default"):
        return self.srv.kjson("get", "endpointslices", "-n", ns,
                              "-l", "kubernetes.io/service-name=" + svc)["items"]

    def slice_ips(self, svc, ns="default"):
        """(ready, not ready) IPs over the Service's slices, sorted."""
        ready, notready = [], []
        for s in self.slices(svc, ns):
            for e in s.get("endpoints") or []:
                (ready if e["conditions"].get("ready") else notready).extend(e["addresses"])
        return sorted(ready), sorted(notready)

    def test_endpoints_list_exactly_the_ready_pods(self):
        ns = "ep-ready"
        self.srv.kubectl("create", "namespace", ns)
        svc = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "labels": {"team": "a"}},
               "spec": {"selector": {"app": "web"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
        other = pod_manifest("other", {"app": "db"}, [("http", 8080)])
        pods = [pod_manifest("web-%d" % i, {"app": "web"}, [("http", 8080)]) for i in range(3)]
        self.apply(svc, other, *pods, ns=ns)
        self.set_pod_status("web-0", "10.42.0.10", True, ns)
        self.set_pod_status("web-1", "10.42.0.11", True, ns)
        self.set_pod_status("web-2", "10.42.0.12", False, ns)
        self.set_pod_status("other", "10.42.0.99", True, ns)

        want = (["10.42.0.10", "10.42.0.11"], ["10.42.0.12"])
        wait_for("Endpoints with 2 ready and 1 not ready",
                 lambda: self.ep_ips("web", ns) == want)
        ep = self.endpoints("web", ns)
        self.assertEqual(len(ep["subsets"]), 1)
        subset = ep["subsets"][0]
        self.assertEqual(subset["ports"], [{"name": "http", "port": 8080, "protocol": "TCP"}])
        by_ip = {a["ip"]: a for a in subset["addresses"] + subset["notReadyAddresses"]}
        self.assertEqual(by_ip["10.42.0.10"]["targetRef"]["name"], "web-0")
        self.assertEqual(by_ip["10.42.0.10"]["targetRef"]["kind"], "Pod")
        self.assertEqual(by_ip["10.42.0.12"]["nodeName"], "n1")
        self.assertEqual(ep["metadata"]["labels"].get("team"), "a")
        self.assertIn("endpoints.kubernetes.io/last-change-trigger-time",
                      ep["metadata"].get("annotations", {}))

        # the EndpointSlice agrees
        wait_for("slices agreeing", lambda: self.slice_ips("web", ns) == want)
        (s,) = self.slices("web", ns)
        self.assertEqual(s["addressType"], "IPv4")
        self.assertEqual(s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
                         "endpointslice-controller.k8s.io")
        self.assertTrue(s["metadata"]["name"].startswith("web-"))
        self.assertEqual(s["metadata"]["ownerReferences"][0]["kind"], "Service")
        self.assertEqual(s["ports"], [{"name": "http", "port": 8080, "protocol": "TCP"}])
        slice_name = s["metadata"]["name"]

        # a pod becoming ready moves to addresses
        self.set_pod_status("web-2", "10.42.0.12", True, ns)
        want = (["10.42.0.10", "10.42.0.11", "10.42.0.12"], [])
        wait_for("web-2 ready in Endpoints", lambda: self.ep_ips("web", ns) == want)
        wait_for("web-2 ready in the slice", lambda: self.slice_ips("web", ns) == want)
        # ... and back
        self.set_pod_status("web-0", "10.42.0.10", False, ns)
        want = (["10.42.0.11", "10.42.0.12"], ["10.42.0.10"])
        wait_for("web-0 not ready in Endpoints", lambda: self.ep_ips("web", ns) == want)
        wait_for("web-0 not ready in the slice", lambda: self.slice_ips("web", ns) == want)

        # deleting a pod removes it
        self.srv.kubectl("delete", "pod", "web-1", "-n", ns, "--wait=false")
        wait_for("web-1 gone from Endpoints",
                 lambda: self.ep_ips("web", ns) == (["10.42.0.12"], ["10.42.0.10"]))
        # (a pod bound to a node may linger while its node stops it: the
        # slice then lists it as terminating, never as ready)
        def web1_out_of_slice():
            for s in self.slices("web", ns):
                for e in s.get("endpoints") or []:
                    if e["addresses"] == ["10.42.0.11"]:
                        c = e["conditions"]
                        return c.get("terminating") is True and c.get("ready") is False
            return True
        wait_for("web-1 gone or terminating in the slice", web1_out_of_slice)
        # the slice was updated in place, not replaced
        self.assertEqual([x["metadata"]["name"] for x in self.slices("web", ns)], [slice_name])

        # a label change moves a pod out of the Service
        self.srv.kubectl("label", "pod", "web-2", "-n", ns, "app=gone", "--overwrite")
        wait_for("web-2 out", lambda: self.ep_ips("web", ns) == ([], ["10.42.0.10"]))

        # the Endpoints and slices go with the Service
        self.srv.kubectl("delete", "service", "web", "-n", ns)
        wait_for("Endpoints deleted", lambda: self.endpoints("web", ns) is None)
        wait_for("slices deleted", lambda: self.slices("web", ns) == [])
        # and stay deleted
        time.sleep(2)
        self.assertIsNone(self.endpoints("web", ns))
        self.assertEqual(self.slices("web", ns), [])

    def test_named_ports_with_different_numbers(self):
        ns = "ep-ports"
        self.srv.kubectl("create", "namespace", ns)
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
               "spec": {"selector": {"app": "api"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
        a = pod_manifest("a", {"app": "api"}, [("http", 8080)])
        b = pod_manifest("b", {"app": "api"}, [("http", 9090)])
        self.apply(svc, a, b, ns=ns)
        self.set_pod_status("a", "10.42.1.1", True, ns)
        self.set_pod_status("b", "10.42.1.2", True, ns)

        def subsets():
            ep = self.endpoints("api", ns)
            if not ep:
                return None
            return sorted((s["ports"][0]["port"], [x["ip"] for x in s.get("addresses", [])])
                          for s in ep.get("subsets") or [])
        want = [(8080, ["10.42.1.1"]), (9090, ["10.42.1.2"])]
        wait_for("two subsets", lambda: subsets() == want)

        def slice_ports():
            return sorted((s["ports"][0]["port"], [e["addresses"][0] for e in s["endpoints"]])
                          for s in self.slices("api", ns) if s.get("ports"))
        wait_for("two slices", lambda: slice_ports() == want)

    def test_publish_not_ready_addresses(self):
        ns = "ep-publish"
        self.srv.kubectl("create", "namespace", ns)
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "peers"},
               "spec": {"selector": {"app": "peers"}, "clusterIP": "None",
                        "publishNotReadyAddresses": True,
                        "ports": [{"name": "gossip", "port": 7000}]}}
        self.apply(svc, pod_manifest("p", {"app": "peers"}), ns=ns)
        self.set_pod_status("p", "10.42.2.1", False, ns)
        wait_for("not-ready pod published",
                 lambda: self.ep_ips("peers", ns) == (["10.42.2.1"], []))
        ep = self.endpoints("peers", ns)
        self.assertIn("service.kubernetes.io/headless", ep["metadata"]["labels"])

    def test_selectorless_service_left_alone(self):
        # the server keeps default/kubernetes; a Service without a selector
        # gets no Endpoints from the controller
        ns = "ep-manual"
        self.srv.kubectl("create", "namespace", ns)
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
               "spec": {"ports": [{"port": 5432}]}}
        self.apply(svc, ns=ns)
        time.sleep(2)
        self.assertIsNone(self.endpoints("ext", ns))
        self.assertEqual(self.slices("ext", ns), [])
        ep = self.endpoints("kubernetes")
        self.assertEqual(ep["subsets"][0]["addresses"][0]["ip"], "127.0.0.1")


class ServiceAccountTest(ServerTest):

    def test_every_namespace_gets_a_default_account(self):
        for ns in ("sa-one", "sa-two"):
            self.srv.kubectl("create", "namespace", ns)
        for ns in ("sa-one", "sa-two"):
            wait_for("default account in " + ns, lambda: self.srv.kubectl(
                "get", "serviceaccount", "default", "-n", ns, check=False).returncode == 0)
        # deleted, it comes back (a new object)
        uid = self.srv.kjson("get", "serviceaccount", "default", "-n", "sa-one")["metadata"]["uid"]
        self.srv.kubectl("delete", "serviceaccount", "default", "-n", "sa-one")

        def recreated():
            p = self.srv.kubectl("get", "serviceaccount", "default", "-n", "sa-one", "-o", "json",
                                 check=False)
            return p.returncode == 0 and json.loads(p.stdout)["metadata"]["uid"] != uid
        wait_for("default account recreated", recreated)

    def test_token_secret_is_filled_through_the_api(self):
        ns = "sa-token"
        self.srv.kubectl("create", "namespace", ns)
        self.srv.kubectl("create", "serviceaccount", "bot", "-n", ns)
        sa_uid = self.srv.kjson("get", "serviceaccount", "bot", "-n", ns)["metadata"]["uid"]
        secret = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                  "metadata": {"name": "bot-token",
                               "annotations": {"kubernetes.io/service-account.name": "bot"}}}
        self.srv.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(secret))

        def filled():
            s = self.srv.kjson("get", "secret", "bot-token", "-n", ns)
            data = s.get("data") or {}
            # (the CA may come a moment after the token in a new namespace:
            # the server publishes kube-root-ca.crt within a second)
            return s if {"token", "namespace", "ca.crt"} <= set(data) else None
        s = wait_for("token filled", filled)
        self.assertEqual(s["metadata"]["annotations"]["kubernetes.io/service-account.uid"], sa_uid)
        self.assertEqual(base64.b64decode(s["data"]["namespace"]).decode(), ns)
        ca = base64.b64decode(s["data"]["ca.crt"]).decode()
        with open(os.path.join(self.srv.dir, "pki", "ca.crt")) as f:
            self.assertEqual(ca.strip(), f.read().strip())
        token = base64.b64decode(s["data"]["token"]).decode()
        # the token authenticates as the account
        code, body = self.srv.curl("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                   method="POST", token=token,
                                   headers=["Content-Type: application/json"],
                                   data=json.dumps({"apiVersion": "authentication.k8s.io/v1",
                                                    "kind": "SelfSubjectReview"}).encode())
        self.assertEqual(code, 201, body)
        user = json.loads(body)["status"]["userInfo"]
        self.assertEqual(user["username"], "system:serviceaccount:%s:bot" % ns)
        self.assertEqual(user["uid"], sa_uid)

        # a token Secret whose account is deleted goes with it
        self.srv.kubectl("delete", "serviceaccount", "bot", "-n", ns)
        wait_for("token secret deleted", lambda: self.srv.kubectl(
            "get", "secret", "bot-token", "-n", ns, check=False).returncode != 0)


GRACE = "3s"   # ZKE_NODE_MONITOR_GRACE_PERIOD for the node tests


def node_manifest(name, now):
    res = {"cpu": "4", "memory": "8Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"capacity": res, "allocatable": res,
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status",
                                       "lastHeartbeatTime": now, "lastTransitionTime": now}]}}


def micro_now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def lease_manifest(name):
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                     "renewTime": micro_now()}}


class EnvServerTest(ServerTest):
    """A server started with extra environment (self.env)."""

    env = {}

    @classmethod
    def setUpClass(cls):
        old = {k: os.environ.get(k) for k in cls.env}
        os.environ.update(cls.env)
        try:
            super().setUpClass()
        finally:
            for k, v in old.items():
                if v is None:
                    del os.environ[k]
                else:
                    os.environ[k] = v


class NodeLifecycleTest(EnvServerTest):
    """Nodes made with kubectl; the test renews the Leases of the nodes that
    are alive (as a kubelet would), and stops renewing one."""

    env = {"ZKE_NODE_MONITOR_GRACE_PERIOD": GRACE, "ZKE_POD_GC_QUARANTINE": "2s"}

    def setUp(self):
        self.alive = set()
        self.made = []
        self.stop = threading.Event()
        self.beat = threading.Thread(target=self.heartbeats, daemon=True)
        self.beat.start()

    def tearDown(self):
        self.stop.set()
        self.beat.join(timeout=30)
        # silent nodes left behind would count in the next test's disruption
        # state (several nodes down at once stops NoExecute tainting)
        for name in self.made:
            self.srv.kubectl("delete", "node", name, "--wait=false", check=False)

    def heartbeats(self):
        """Renew the Lease of every node in self.alive twice a second, for at
        most 5 minutes."""
        deadline = time.time() + 300
        while not self.stop.is_set() and time.time() < deadline:
            for name in list(self.alive):
                self.srv.kubectl("patch", "lease", name, "-n", "kube-node-lease", "--type=merge",
                                 "-p", json.dumps({"spec": {"renewTime": micro_now()}}),
                                 check=False)
            self.stop.wait(0.5)

    def add_nodes(self, *names):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        items = []
        for n in names:
            items += [node_manifest(n, now), lease_manifest(n)]
        self.srv.kubectl("apply", "-f", "-",
                         input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        self.alive.update(names)
        self.made += names

    def node(self, name):
        return self.srv.kjson("get", "node", name)

    def ready(self, node):
        for c in node["status"].get("conditions", []):
            if c["type"] == "Ready":
                return c
        return None

    def taints(self, name):
        return sorted((t["key"], t["effect"])
                      for t in self.node(name).get("spec", {}).get("taints", []))

    def pod_or_none(self, name, ns="default"):
        p = self.srv.kubectl("get", "pod", name, "-n", ns, "-o", "json", check=False)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def evicted(self, name, ns="default"):
        """Deleted, or being deleted (its node, gone, cannot confirm)."""
        p = self.pod_or_none(name, ns)
        return p is None or "deletionTimestamp" in p["metadata"]

    def test_silent_node_is_tainted_and_its_pods_evicted(self):
        self.add_nodes("n-alive", "n-dead")
        unreachable = {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                       "effect": "NoExecute"}
        pods = [pod_manifest("quick", {"app": "q"}, node="n-dead",
                             tolerations=[dict(unreachable, tolerationSeconds=2)]),
                pod_manifest("forever", {"app": "f"}, node="n-dead", tolerations=[unreachable]),
                pod_manifest("plain", {"app": "p"}, node="n-dead"),
                pod_manifest("elsewhere", {"app": "e"}, node="n-alive")]
        self.srv.kubectl("apply", "-f", "-",
                         input=json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
        for name, ip in (("quick", "10.42.3.1"), ("forever", "10.42.3.2"), ("plain", "10.42.3.3"),
                         ("elsewhere", "10.42.4.1")):
            self.srv.kubectl("patch", "pod", name, "--subresource=status", "--type=merge", "-p",
                             json.dumps({"status": {"phase": "Running", "podIP": ip,
                                                    "conditions": [{"type": "Ready",
                                                                    "status": "True"}]}}))
        # DefaultTolerationSeconds gave the plain pod 300 s of both
        tols = {(t["key"], t.get("tolerationSeconds"))
                for t in self.pod_or_none("plain")["spec"]["tolerations"]}
        self.assertEqual(tols, {("node.kubernetes.io/not-ready", 300),
                                ("node.kubernetes.io/unreachable", 300)})
        # ... and left the quick pod's own toleration as it was
        self.assertEqual([t.get("tolerationSeconds") for t in
                          self.pod_or_none("quick")["spec"]["tolerations"]
                          if t["key"] == "node.kubernetes.io/unreachable"], [2])

        # n-dead's heartbeat stops
        self.alive.discard("n-dead")
        cond = wait_for("n-dead Ready Unknown", lambda: (
            lambda c: c if c and c["status"] == "Unknown" else None)(self.ready(self.node("n-dead"))))
        self.assertEqual(cond["reason"], "NodeStatusUnknown")
        self.assertEqual(cond["message"], "Kubelet stopped posting node status.")
        self.assertIn("NotReady", self.srv.kubectl("get", "node", "n-dead").stdout)
        wait_for("unreachable taints", lambda: self.taints("n-dead") == [
            ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/unreachable", "NoSchedule")])
        added = [t for t in self.node("n-dead")["spec"]["taints"]]
        self.assertTrue(all("timeAdded" in t for t in added))

        # the pod tolerating it for 2 s is evicted; the others stay, not ready
        wait_for("quick evicted", lambda: self.evicted("quick"))
        for name in ("forever", "plain"):
            p = self.pod_or_none(name)
            self.assertIsNotNone(p, name)
            self.assertNotIn("deletionTimestamp", p["metadata"], name)
        wait_for("pods on n-dead marked not ready", lambda: all(
            [c["status"] for c in (self.pod_or_none(n)["status"].get("conditions") or [])
             if c["type"] == "Ready"] == ["False"] for n in ("forever", "plain")))
        ev = self.srv.kjson("get", "events", "--field-selector", "involvedObject.name=quick")
        self.assertIn("TaintManagerEviction", [e["reason"] for e in ev["items"]])

        # the live node is untouched
        self.assertEqual(self.ready(self.node("n-alive"))["status"], "True")
        self.assertEqual(self.taints("n-alive"), [])
        self.assertNotIn("deletionTimestamp", self.pod_or_none("elsewhere")["metadata"])

        # the node comes back: heartbeat and Ready posted again; the taints go
        self.alive.add("n-dead")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        ready = {"type": "Ready", "status": "True", "reason": "KubeletReady",
                 "message": "kubelet is posting ready status", "lastHeartbeatTime": now,
                 "lastTransitionTime": now}
        self.srv.kubectl("patch", "node", "n-dead", "--subresource=status", "--type=merge", "-p",
                         json.dumps({"status": {"conditions": [ready]}}))
        wait_for("taints removed", lambda: self.taints("n-dead") == [])

    def test_user_no_execute_taint_evicts(self):
        self.add_nodes("n-maint")
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [
                pod_manifest("m-out", {"app": "m"}, node="n-maint"),
                pod_manifest("m-stays", {"app": "m"}, node="n-maint",
                             tolerations=[{"key": "maint", "operator": "Exists"}])]}))
        self.srv.kubectl("taint", "node", "n-maint", "maint=now:NoExecute")
        wait_for("m-out evicted", lambda: self.evicted("m-out"))
        self.assertFalse(self.evicted("m-stays"))

    def test_pods_of_a_deleted_node_are_removed(self):
        self.add_nodes("n-gone")
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(
            pod_manifest("orphan", {"app": "o"}, node="n-gone")))
        # deleting a pod bound to a node leaves it terminating until the node
        # confirms; this node will never confirm
        self.srv.kubectl("delete", "pod", "orphan", "--wait=false")
        self.alive.discard("n-gone")
        self.srv.kubectl("delete", "node", "n-gone")
        wait_for("the orphaned pod force-deleted", lambda: self.pod_or_none("orphan") is None)

    def test_deployment_replacements_go_to_other_nodes(self):
        self.add_nodes("d-a", "d-b")
        deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "c",
                                                                 "image": "registry.invalid/w:1"}],
                                                 "tolerations": [
                                                     {"key": "node.kubernetes.io/unreachable",
                                                      "operator": "Exists", "effect": "NoExecute",
                                                      "tolerationSeconds": 2}]}}}}
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(deploy))

        def placed():
            items = self.srv.kjson("get", "pods", "-l", "app=web")["items"]
            return {p["metadata"]["name"]: p["spec"].get("nodeName") for p in items
                    if "deletionTimestamp" not in p["metadata"]}

        # the scheduler spreads the replicas; wait until some are on d-b
        wait_for("4 pods bound, some on d-b", lambda: (
            lambda m: len(m) == 4 and all(m.values()) and "d-b" in m.values())(placed()))
        on_b = [n for n, node in placed().items() if node == "d-b"]

        self.alive.discard("d-b")
        wait_for("d-b's pods evicted", lambda: all(self.evicted(n) for n in on_b))
        # replacements: 4 live pods again, all on d-a (d-b is tainted)
        wait_for("replacements on d-a", lambda: (
            lambda m: len(m) == 4 and set(m.values()) == {"d-a"})(placed()))


@unittest.skipUnless(hasattr(zke, "Sim"), "zke sim is not in this tree yet")
class SimNodeFailureTest(EnvServerTest):
    """The acceptance test of issue 3 with `zke sim`: a simulated node's
    heartbeat stops; it goes NotReady, its pods are evicted, replacements run
    on the other nodes, and the Service's Endpoints list exactly the ready
    pods throughout."""

    env = {"ZKE_NODE_MONITOR_GRACE_PERIOD": GRACE}

    @classmethod
    def prepare(cls):
        # Leases renewed every second: well inside the 3 s grace period
        cls.sim = zke.Sim(cls.srv, nodes=3, args=["--lease-seconds", "1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        super().tearDownClass()

    def sim_cli(self, *args):
        p = subprocess.run([zke.ZKE, "sim", "--kubeconfig", self.srv.kubeconfig] + list(args),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_failed_node_pods_replaced_elsewhere(self):
        ns = "sim-fail"
        self.srv.kubectl("create", "namespace", ns)
        deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "c",
                                                                 "image": "registry.invalid/w:1",
                                                                 "ports": [{"name": "http",
                                                                            "containerPort": 80}]}],
                                                 "tolerations": [
                                                     {"key": "node.kubernetes.io/unreachable",
                                                      "operator": "Exists", "effect": "NoExecute",
                                                      "tolerationSeconds": 2}]}}}}
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"},
                        "ports": [{"port": 80, "targetPort": "http"}]}}
        self.srv.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [deploy, svc]}))

        def live():
            """Pods not being deleted: name -> (node, ready, ip)."""
            out = {}
            for p in self.srv.kjson("get", "pods", "-n", ns, "-l", "app=web")["items"]:
                if "deletionTimestamp" in p["metadata"]:
                    continue
                ready = any(c["type"] == "Ready" and c["status"] == "True"
                            for c in p["status"].get("conditions") or [])
                out[p["metadata"]["name"]] = (p["spec"].get("nodeName"), ready,
                                              p["status"].get("podIP"))
            return out

        def endpoints_ips():
            p = self.srv.kubectl("get", "endpoints", "web", "-n", ns, "-o", "json", check=False)
            if p.returncode:
                return None
            return sorted(a["ip"] for s in json.loads(p.stdout).get("subsets") or []
                          for a in s.get("addresses") or [])

        pods = wait_for("6 pods running and ready", lambda: (
            lambda m: m if len(m) == 6 and all(r for _, r, _ in m.values()) else None)(live()),
            timeout=60)
        wait_for("Endpoints list the 6 ready pods",
                 lambda: endpoints_ips() == sorted(ip for _, _, ip in pods.values()))
        by_node = {}
        for name, (node, _, _) in pods.items():
            by_node.setdefault(node, []).append(name)
        victim = max(by_node, key=lambda n: len(by_node[n]))
        doomed = by_node[victim]

        self.sim_cli("--fail", victim)
        wait_for(victim + " NotReady", lambda: any(
            c["type"] == "Ready" and c["status"] == "Unknown"
            for c in self.srv.kjson("get", "node", victim)["status"]["conditions"]))
        wait_for(victim + " tainted unreachable", lambda: ("node.kubernetes.io/unreachable",
                                                            "NoExecute") in [
            (t["key"], t["effect"])
            for t in self.srv.kjson("get", "node", victim).get("spec", {}).get("taints", [])])
        wait_for("its pods evicted", lambda: not set(doomed) & set(live()))
        final = wait_for("6 replacements running and ready elsewhere", lambda: (
            lambda m: m if len(m) == 6 and all(r for _, r, _ in m.values())
            and victim not in {n for n, _, _ in m.values()} else None)(live()), timeout=60)
        wait_for("Endpoints list exactly the 6 ready pods",
                 lambda: endpoints_ips() == sorted(ip for _, _, ip in final.values()))

        # the node comes back: Ready again and untainted
        self.sim_cli("--recover", victim)
        wait_for(victim + " Ready", lambda: any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in self.srv.kjson("get", "node", victim)["status"]["conditions"]))
        wait_for(victim + " untainted", lambda: not self.srv.kjson(
            "get", "node", victim).get("spec", {}).get("taints"))
