"""API semantics beyond what kubectl exercises by itself: resourceVersion and
watch resume (410 after compaction), pagination, dryRun, fieldValidation,
status subresource, deletecollection, namespace deletion, HPA conversion."""
import json
import time
import unittest

from zke import ServerTest

JSON = ["Content-Type: application/json"]
MERGE = ["Content-Type: application/merge-patch+json"]


def cm(name, **data):
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                       "data": data}).encode()


class SemanticsTest(ServerTest):
    # API machinery only: controllers would write the status fields and the
    # dependents these tests check by hand
    server_args = ("--watch-history", "50", "--watch-bookmark-interval", "1",
                   "--disable-controller-manager", "--disable-scheduler")

    def call(self, path, method="GET", data=None, headers=JSON):
        code, body = self.srv.curl(path, method=method, data=data, headers=headers)
        try:
            return code, json.loads(body)
        except ValueError:
            return code, body

    def test_watch_resume_and_410_after_compaction(self):
        self.srv.kubectl("create", "namespace", "hist")
        code, first = self.call("/api/v1/namespaces/hist/configmaps", "POST", cm("h0"))
        self.assertEqual(code, 201)
        rv0 = int(first["metadata"]["resourceVersion"])
        # resume from rv0: the next change arrives, nothing older
        self.call("/api/v1/namespaces/hist/configmaps", "POST", cm("h1"))
        code, body = self.srv.curl("/api/v1/namespaces/hist/configmaps?watch=1&resourceVersion=%d"
                                   "&timeoutSeconds=1" % rv0)
        self.assertEqual(code, 200)
        events = [json.loads(l) for l in body.split(b"\n") if l.strip()]
        # (kube-root-ca.crt may arrive too: it is made asynchronously)
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events
                          if e["object"]["metadata"]["name"].startswith("h")], [("ADDED", "h1")])
        # push the history window (50 events) past rv0
        for i in range(2, 70):
            self.call("/api/v1/namespaces/hist/configmaps", "POST", cm("h%d" % i))
        code, body = self.srv.curl("/api/v1/namespaces/hist/configmaps?watch=1&resourceVersion=%d"
                                   "&timeoutSeconds=1" % rv0)
        events = [json.loads(l) for l in body.split(b"\n") if l.strip()]
        self.assertEqual(events[0]["type"], "ERROR")
        self.assertEqual(events[0]["object"]["code"], 410)
        self.assertEqual(events[0]["object"]["reason"], "Expired")

    def test_pod_field_selector_on_node_name(self):
        """spec.nodeName, the selector node agents list and watch their pods
        by: bound, unbound (absent field compares as ""), and a pod that
        starts matching after its binding arrives as ADDED."""
        self.srv.kubectl("create", "namespace", "fsel")

        def pod(name, node=None):
            spec = {"containers": [{"name": "c", "image": "busybox"}]}
            if node:
                spec["nodeName"] = node
            return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                               "spec": spec}).encode()
        base = "/api/v1/namespaces/fsel/pods"
        for name, node in (("on-a", "node-a"), ("on-b", "node-b"), ("nowhere", None)):
            code, _ = self.call(base, "POST", pod(name, node))
            self.assertEqual(code, 201)

        def names(sel):
            code, lst = self.call(base + "?fieldSelector=" + sel)
            self.assertEqual(code, 200, lst)
            return sorted(i["metadata"]["name"] for i in lst["items"])
        self.assertEqual(names("spec.nodeName%3Dnode-a"), ["on-a"])
        self.assertEqual(names("spec.nodeName%3D"), ["nowhere"])
        self.assertEqual(names("spec.nodeName!%3D"), ["on-a", "on-b"])
        self.assertEqual(names("spec.nodeName%3Dnode-a,metadata.name!%3Don-a"), [])

        code, lst = self.call(base)
        rv = lst["metadata"]["resourceVersion"]
        binding = json.dumps({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "nowhere"},
                              "target": {"apiVersion": "v1", "kind": "Node", "name": "node-a"}})
        code, _ = self.call(base + "/nowhere/binding", "POST", binding.encode())
        self.assertEqual(code, 201)
        code, body = self.srv.curl(base + "?watch=1&fieldSelector=spec.nodeName%%3Dnode-a"
                                   "&resourceVersion=%s&timeoutSeconds=1" % rv)
        events = [json.loads(l) for l in body.split(b"\n") if l.strip()]
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events],
                         [("ADDED", "nowhere")])
        self.assertEqual(names("spec.nodeName%3Dnode-a"), ["nowhere", "on-a"])
        self.assertEqual(names("spec.nodeName%3D"), [])

    def test_bookmarks(self):
        code, lst = self.call("/api/v1/namespaces/default/configmaps")
        rv = lst["metadata"]["resourceVersion"]
        code, body = self.srv.curl("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=%s"
                                   "&allowWatchBookmarks=true&timeoutSeconds=3" % rv)
        self.assertEqual(code, 200)
        events = [json.loads(l) for l in body.split(b"\n") if l.strip()]
        marks = [e for e in events if e["type"] == "BOOKMARK"]
        self.assertTrue(marks, events)
        self.assertEqual(marks[0]["object"]["kind"], "ConfigMap")
        self.assertGreaterEqual(int(marks[0]["object"]["metadata"]["resourceVersion"]), int(rv))
        # without allowWatchBookmarks there are none
        code, body = self.srv.curl("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=%s"
                                   "&timeoutSeconds=2" % rv)
        self.assertNotIn(b"BOOKMARK", body)

    def test_watch_initial_state_larger_than_the_queue_bound(self):
        # 24 ConfigMaps of ~900 KiB: the initial ADDED burst (~21 MiB) exceeds
        # the 16 MiB slow-client bound, and must still be delivered whole
        self.srv.kubectl("create", "namespace", "bulk")
        for i in range(24):
            code, _ = self.call("/api/v1/namespaces/bulk/configmaps", "POST",
                                cm("big%02d" % i, payload="x" * (900 * 1024)))
            self.assertEqual(code, 201)
        code, body = self.srv.curl("/api/v1/namespaces/bulk/configmaps?watch=1&timeoutSeconds=3")
        self.assertEqual(code, 200)
        names = [json.loads(l)["object"]["metadata"]["name"] for l in body.split(b"\n") if l.strip()]
        self.assertEqual([n for n in names if n.startswith("big")], ["big%02d" % i for i in range(24)])

    def test_pagination(self):
        self.srv.kubectl("create", "namespace", "pages")
        for i in range(7):
            self.call("/api/v1/namespaces/pages/configmaps", "POST", cm("p%d" % i))
        names, cont, pages = [], "", 0
        while True:
            code, page = self.call("/api/v1/namespaces/pages/configmaps?labelSelector=&limit=3"
                                   + ("&continue=" + cont if cont else ""))
            self.assertEqual(code, 200)
            pages += 1
            names += [i["metadata"]["name"] for i in page["items"]]
            cont = page["metadata"].get("continue", "")
            if not cont:
                break
            self.assertIn("remainingItemCount", page["metadata"])
        self.assertEqual([n for n in names if n.startswith("p")], ["p%d" % i for i in range(7)])
        self.assertEqual(pages, 3)  # 7 objects + kube-root-ca.crt, 3 per page
        out = self.srv.kubectl("get", "configmaps", "-n", "pages", "--chunk-size=2", "-o", "name").stdout
        self.assertEqual([l for l in out.split() if "/p" in l], ["configmap/p%d" % i for i in range(7)])
        code, body = self.call("/api/v1/namespaces/pages/configmaps?limit=2&continue=bm9wZQ==")
        self.assertEqual(code, 400)

    def test_resource_version_match(self):
        code, lst = self.call("/api/v1/namespaces/default/configmaps")
        rv = lst["metadata"]["resourceVersion"]
        code, _ = self.call("/api/v1/namespaces/default/configmaps?resourceVersion=%s&resourceVersionMatch=NotOlderThan" % rv)
        self.assertEqual(code, 200)
        code, st = self.call("/api/v1/namespaces/default/configmaps?resourceVersionMatch=Exact")
        self.assertEqual(code, 400)
        code, st = self.call("/api/v1/namespaces/default/configmaps?resourceVersion=999999999")
        self.assertEqual(code, 504)
        self.assertEqual(st["reason"], "Timeout")

    def test_dry_run(self):
        code, body = self.call("/api/v1/namespaces/default/configmaps?dryRun=All", "POST", cm("dry", a="1"))
        self.assertEqual(code, 201)
        self.assertEqual(body["metadata"]["name"], "dry")
        code, _ = self.call("/api/v1/namespaces/default/configmaps/dry")
        self.assertEqual(code, 404)
        out = self.srv.kubectl("create", "configmap", "dry2", "--dry-run=server", "-o", "name").stdout
        self.assertEqual(out.strip(), "configmap/dry2")
        self.assertIn("not found", self.srv.kubectl("get", "configmap", "dry2", check=False).stderr)
        code, body = self.call("/api/v1/namespaces/default/configmaps?dryRun=Sometimes", "POST", cm("dry3"))
        self.assertEqual(code, 400)

    def test_field_validation(self):
        doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fv"}, "data": {"a": "b"},
               "bogus": 1}
        code, st = self.call("/api/v1/namespaces/default/configmaps?fieldValidation=Strict", "POST",
                             json.dumps(doc).encode())
        self.assertEqual(code, 400)
        self.assertIn('unknown field "bogus"', st["message"])
        p = self.srv.kubectl("create", "-f", "-", input=json.dumps(doc), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("bogus", p.stderr)
        # Warn (the default) stores the object and says so in a Warning header
        out = self.srv.kubectl("create", "-f", "-", "--validate=warn", input=json.dumps(doc))
        self.assertIn("unknown field", out.stderr)
        code, got = self.call("/api/v1/namespaces/default/configmaps/fv")
        self.assertEqual(code, 200)
        self.assertNotIn("bogus", got)

    def test_status_subresource(self):
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "st"},
               "spec": {"selector": {"matchLabels": {"a": "b"}},
                        "template": {"metadata": {"labels": {"a": "b"}},
                                     "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
               "status": {"replicas": 9}}
        code, d = self.call("/apis/apps/v1/namespaces/default/deployments", "POST", json.dumps(dep).encode())
        self.assertEqual(code, 201)
        self.assertNotIn("replicas", d.get("status", {}))  # status is not set on create
        code, d = self.call("/apis/apps/v1/namespaces/default/deployments/st/status", "PATCH",
                            b'{"status":{"replicas":3},"spec":{"replicas":7}}', MERGE)
        self.assertEqual(code, 200)
        self.assertEqual(d["status"]["replicas"], 3)
        self.assertEqual(d["spec"]["replicas"], 1)  # spec does not change through /status
        gen = d["metadata"]["generation"]
        code, d = self.call("/apis/apps/v1/namespaces/default/deployments/st", "PATCH",
                            b'{"status":{"replicas":5},"spec":{"replicas":2}}', MERGE)
        self.assertEqual(d["status"]["replicas"], 3)  # status does not change through the object
        self.assertEqual(d["spec"]["replicas"], 2)
        self.assertEqual(d["metadata"]["generation"], gen + 1)
        code, scale = self.call("/apis/apps/v1/namespaces/default/deployments/st/scale")
        self.assertEqual(scale["kind"], "Scale")
        self.assertEqual(scale["spec"]["replicas"], 2)
        self.assertEqual(scale["status"]["selector"], "a=b")

    def test_dependents_of_a_missing_owner_are_collected(self):
        owner = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "gc-owner"}}
        code, o = self.call("/api/v1/namespaces/default/configmaps", "POST", json.dumps(owner).encode())
        self.assertEqual(code, 201)
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "gc-owner", "uid": o["metadata"]["uid"]}
        gone = dict(ref, name="gc-missing", uid="0badc0de-0000-4000-8000-000000000000")
        for name, refs in (("gc-kept", [ref]), ("gc-orphan", [gone]), ("gc-half", [ref, gone])):
            dep = {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": name, "ownerReferences": refs}}
            code, _ = self.call("/api/v1/namespaces/default/configmaps", "POST", json.dumps(dep).encode())
            self.assertEqual(code, 201)
        # the collector sweeps every 10 s: bounded wait
        deadline = time.time() + 30
        while time.time() < deadline:
            code, _ = self.call("/api/v1/namespaces/default/configmaps/gc-orphan")
            if code == 404:
                break
            time.sleep(0.5)
        self.assertEqual(code, 404, "a dependent whose only owner never existed stays")
        # one owner left is enough to stay
        self.assertEqual(self.call("/api/v1/namespaces/default/configmaps/gc-kept")[0], 200)
        self.assertEqual(self.call("/api/v1/namespaces/default/configmaps/gc-half")[0], 200)

    def test_deletecollection_and_namespace_deletion(self):
        self.srv.kubectl("create", "namespace", "doomed")
        for i in range(3):
            self.call("/api/v1/namespaces/doomed/configmaps", "POST", cm("d%d" % i))
        self.srv.kubectl("create", "secret", "generic", "s", "-n", "doomed", "--from-literal=a=b")
        code, _ = self.call("/api/v1/namespaces/doomed/configmaps?labelSelector=nothing%3Dhere", "DELETE")
        self.assertEqual(code, 200)
        left = [i["metadata"]["name"] for i in self.srv.kjson("get", "configmaps", "-n", "doomed")["items"]]
        self.assertEqual([n for n in left if n.startswith("d")], ["d0", "d1", "d2"])
        self.srv.kubectl("delete", "namespace", "doomed", "--wait=true", "--timeout=30s")
        self.assertIn("not found", self.srv.kubectl("get", "namespace", "doomed", check=False).stderr)
        code, lst = self.call("/api/v1/configmaps?fieldSelector=metadata.namespace%3Ddoomed")
        self.assertEqual(lst["items"], [])
        code, lst = self.call("/api/v1/secrets?fieldSelector=metadata.namespace%3Ddoomed")
        self.assertEqual(lst["items"], [])
        # creating in a namespace that does not exist
        code, st = self.call("/api/v1/namespaces/doomed/configmaps", "POST", cm("late"))
        self.assertEqual(code, 404)

    def test_finalizers_hold_deletion(self):
        doc = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "held", "finalizers": ["zke.io/hold"]}}
        self.call("/api/v1/namespaces/default/configmaps", "POST", json.dumps(doc).encode())
        code, d = self.call("/api/v1/namespaces/default/configmaps/held", "DELETE")
        self.assertEqual(code, 200)
        self.assertIn("deletionTimestamp", d["metadata"])
        code, d = self.call("/api/v1/namespaces/default/configmaps/held")
        self.assertEqual(code, 200)
        code, _ = self.call("/api/v1/namespaces/default/configmaps/held", "PATCH",
                            b'{"metadata":{"finalizers":null}}', MERGE)
        self.assertEqual(code, 200)
        code, _ = self.call("/api/v1/namespaces/default/configmaps/held")
        self.assertEqual(code, 404)

    def test_metrics(self):
        self.call("/api/v1/namespaces/default/configmaps", "POST", cm("metered"))
        code, body = self.srv.curl("/metrics")
        self.assertEqual(code, 200)
        text = body.decode()
        values = dict(l.split() for l in text.splitlines() if l and not l.startswith("#"))
        self.assertGreater(int(values["zke_store_commits_total"]), 0)
        self.assertGreater(int(values["zke_store_revision"]), 0)
        self.assertGreater(int(values["zke_objects"]), 10)
        # RBAC: a user without the monitoring role may not read it
        code, _ = self.srv.curl("/metrics", cert=False)
        self.assertEqual(code, 401)

    def test_events_served_in_core_and_events_k8s_io(self):
        ev = {"apiVersion": "events.k8s.io/v1", "kind": "Event",
              "metadata": {"name": "pull.1", "namespace": "default"},
              "eventTime": "2026-11-27T08:00:00.000000Z", "reportingController": "zke.io/agent",
              "reportingInstance": "node-1", "action": "Pulling", "reason": "Pulling",
              "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
              "note": "pulling image nginx", "type": "Normal"}
        code, body = self.call("/apis/events.k8s.io/v1/namespaces/default/events", "POST",
                               json.dumps(ev).encode())
        self.assertEqual(code, 201, body)
        self.assertEqual(body["note"], "pulling image nginx")
        code, core = self.call("/api/v1/namespaces/default/events/pull.1")
        self.assertEqual(code, 200)
        self.assertEqual(core["apiVersion"], "v1")
        self.assertEqual(core["message"], "pulling image nginx")
        self.assertEqual(core["involvedObject"]["name"], "web")
        self.assertEqual(core["reportingComponent"], "zke.io/agent")
        self.assertNotIn("note", core)
        out = self.srv.kubectl("get", "events", "-n", "default").stdout
        self.assertIn("pulling image nginx", out)
        code, lst = self.call("/apis/events.k8s.io/v1/namespaces/default/events")
        names = {i["metadata"]["name"]: i for i in lst["items"]}
        self.assertEqual(names["pull.1"]["regarding"]["kind"], "Pod")

    def test_hpa_served_in_v1_and_v2(self):
        hpa = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "web"},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                        "minReplicas": 2, "maxReplicas": 10, "targetCPUUtilizationPercentage": 60}}
        code, body = self.call("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", "POST",
                               json.dumps(hpa).encode())
        self.assertEqual(code, 201, body)
        self.assertEqual(body["spec"]["targetCPUUtilizationPercentage"], 60)
        code, v2 = self.call("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")
        self.assertEqual(v2["apiVersion"], "autoscaling/v2")
        m = v2["spec"]["metrics"][0]
        self.assertEqual((m["type"], m["resource"]["name"], m["resource"]["target"]["averageUtilization"]),
                         ("Resource", "cpu", 60))
        code, v1 = self.call("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web")
        self.assertEqual(v1["apiVersion"], "autoscaling/v1")
        self.assertNotIn("metrics", v1["spec"])
        out = self.srv.kubectl("get", "hpa", "web").stdout
        self.assertIn("web", out)


if __name__ == "__main__":
    unittest.main()
