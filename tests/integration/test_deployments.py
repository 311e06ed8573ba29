"""Deployments end to end: zke server (controllers and scheduler in-process,
no agent) with `zke sim` nodes running the pods on paper; driven by kubectl.

The rollout is watched through the API (python3-kubernetes) while it runs,
and the pod counts it sees are checked against maxSurge/maxUnavailable."""
import json
import threading
import time
import unittest

from zke import Server, Sim

try:
    from kubernetes import client as kclient, config as kconfig, watch as kwatch
except ImportError:  # Debian's python3-kubernetes is installed by scripts/deps.sh
    kclient = None


def wait_for(fn, timeout=90, step=0.2, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(step)
    raise AssertionError("timed out after %ds waiting for %s (last: %r)" % (timeout, what, last))


class PodWatch:
    """Watches pods of one app while a rollout runs and records, after
    every event, how many are available (Ready, not terminating) and how
    many exist (not terminating)."""

    def __init__(self, kubeconfig, selector, seconds):
        kconfig.load_kube_config(config_file=kubeconfig)
        self.api = kclient.CoreV1Api()
        self.selector = selector
        self.seconds = seconds
        self.pods = {}
        self.min_ready = None
        self.max_total = 0
        self.events = 0
        self.stop_flag = threading.Event()
        self.ready_flag = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.t.start()
        if not self.ready_flag.wait(20):
            raise AssertionError("pod watch did not start")

    def _count(self):
        ready = total = 0
        for p in self.pods.values():
            if p.metadata.deletion_timestamp:
                continue
            total += 1
            for c in (p.status.conditions or []) if p.status else []:
                if c.type == "Ready" and c.status == "True":
                    ready += 1
        return ready, total

    def run(self):
        lst = self.api.list_namespaced_pod("default", label_selector=self.selector)
        for p in lst.items:
            self.pods[p.metadata.name] = p
        self.ready_flag.set()
        w = kwatch.Watch()
        deadline = time.time() + self.seconds
        rv = lst.metadata.resource_version
        while not self.stop_flag.is_set() and time.time() < deadline:
            for ev in w.stream(self.api.list_namespaced_pod, "default",
                               label_selector=self.selector, resource_version=rv,
                               timeout_seconds=2):
                p = ev["object"]
                rv = p.metadata.resource_version
                if ev["type"] == "DELETED":
                    self.pods.pop(p.metadata.name, None)
                else:
                    self.pods[p.metadata.name] = p
                self.events += 1
                ready, total = self._count()
                self.min_ready = ready if self.min_ready is None else min(self.min_ready, ready)
                self.max_total = max(self.max_total, total)
                if self.stop_flag.is_set():
                    break

    def stop(self):
        self.stop_flag.set()
        self.t.join(15)


@unittest.skipIf(kclient is None, "python3-kubernetes is missing (scripts/deps.sh installs it)")
class DeploymentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        try:
            cls.sim = Sim(cls.srv, 4).start()
            wait_for(lambda: len(cls.ready_nodes()) == 4, 60, what="4 Ready sim nodes")
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.srv.cleanup()

    @classmethod
    def ready_nodes(cls):
        nodes = cls.srv.kjson("get", "nodes")["items"]
        return [n for n in nodes
                if any(c["type"] == "Ready" and c["status"] == "True"
                       for c in n.get("status", {}).get("conditions", []))]

    def k(self, *args, **kw):
        return self.srv.kubectl(*args, **kw)

    def pods(self, selector):
        return self.srv.kjson("get", "pods", "-l", selector)["items"]

    def rollout_status(self, what, timeout="120s"):
        # kubectl's own bound, inside the subprocess's (ASan on a loaded
        # machine is slow; the rollout invariants are checked, not its speed)
        p = self.k("rollout", "status", what, "--timeout", timeout, timeout=150)
        self.assertIn("successfully rolled out", p.stdout)

    def test_rollout_lifecycle(self):
        self.k("create", "deployment", "web", "--image=nginx:1.25", "--replicas=4")
        self.k("patch", "deployment", "web", "--type=merge", "-p",
               json.dumps({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {
                   "maxSurge": 1, "maxUnavailable": 1}}}}))
        self.rollout_status("deployment/web")
        pods = self.pods("app=web")
        self.assertEqual(len(pods), 4)
        for p in pods:
            self.assertTrue(p["spec"].get("nodeName", "").startswith("sim-"), p["spec"])
            self.assertEqual(p["status"]["phase"], "Running")

        # scale
        self.k("scale", "deployment/web", "--replicas=6")
        self.rollout_status("deployment/web")
        wait_for(lambda: len([p for p in self.pods("app=web")
                              if not p["metadata"].get("deletionTimestamp")]) == 6, 90,
                 what="6 pods")
        d = self.srv.kjson("get", "deployment", "web")
        self.assertEqual(d["status"]["availableReplicas"], 6)

        # a new image rolls out within maxSurge/maxUnavailable
        watch = PodWatch(self.srv.kubeconfig, "app=web", 120)
        watch.start()
        self.k("set", "image", "deployment/web", "nginx=nginx:1.26")
        self.rollout_status("deployment/web")
        wait_for(lambda: all(p["spec"]["containers"][0]["image"] == "nginx:1.26"
                             for p in self.pods("app=web")
                             if not p["metadata"].get("deletionTimestamp")), 90,
                 what="every pod on nginx:1.26")
        time.sleep(1)
        watch.stop()
        self.assertGreater(watch.events, 6)
        # replicas 6, maxUnavailable 1, maxSurge 1
        self.assertGreaterEqual(watch.min_ready, 5, "availability fell below replicas - maxUnavailable")
        self.assertLessEqual(watch.max_total, 7, "more pods than replicas + maxSurge")

        # history and undo
        hist = self.k("rollout", "history", "deployment/web").stdout
        self.assertIn("1 ", hist)
        self.assertIn("2 ", hist)
        self.k("rollout", "undo", "deployment/web")
        self.rollout_status("deployment/web")
        wait_for(lambda: all(p["spec"]["containers"][0]["image"] == "nginx:1.25"
                             for p in self.pods("app=web")
                             if not p["metadata"].get("deletionTimestamp")), 90,
                 what="every pod back on nginx:1.25")
        d = self.srv.kjson("get", "deployment", "web")
        self.assertEqual(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "3")
        rss = self.srv.kjson("get", "rs", "-l", "app=web")["items"]
        self.assertEqual(len(rss), 2)

        # restart: a new ReplicaSet whose pods carry the restart annotation
        self.k("rollout", "restart", "deployment/web")
        self.rollout_status("deployment/web")
        pods = [p for p in self.pods("app=web") if not p["metadata"].get("deletionTimestamp")]
        self.assertEqual(len(pods), 6)
        for p in pods:
            self.assertIn("kubectl.kubernetes.io/restartedAt",
                          p["metadata"].get("annotations", {}))
        conds = {c["type"]: c for c in self.srv.kjson("get", "deployment", "web")["status"]["conditions"]}
        self.assertEqual(conds["Available"]["status"], "True")
        self.assertEqual(conds["Progressing"]["reason"], "NewReplicaSetAvailable")

    def test_recreate_and_pause(self):
        self.k("create", "deployment", "rec", "--image=busybox:1", "--replicas=3")
        self.k("patch", "deployment", "rec", "--type=merge", "-p",
               json.dumps({"spec": {"strategy": {"type": "Recreate", "rollingUpdate": None}}}))
        self.rollout_status("deployment/rec")
        watch = PodWatch(self.srv.kubeconfig, "app=rec", 90)
        watch.start()
        self.k("set", "image", "deployment/rec", "busybox=busybox:2")
        self.rollout_status("deployment/rec")
        time.sleep(1)
        watch.stop()
        # Recreate: the old pods were all gone before new ones came
        self.assertEqual(watch.min_ready, 0)
        self.assertLessEqual(watch.max_total, 3)

        # paused: a template change does not roll out; resume does
        self.k("rollout", "pause", "deployment/rec")
        self.k("set", "image", "deployment/rec", "busybox=busybox:3")
        time.sleep(2)
        images = {p["spec"]["containers"][0]["image"] for p in self.pods("app=rec")
                  if not p["metadata"].get("deletionTimestamp")}
        self.assertEqual(images, {"busybox:2"})
        conds = {c["type"]: c for c in self.srv.kjson("get", "deployment", "rec")["status"]["conditions"]}
        self.assertEqual(conds["Progressing"]["reason"], "DeploymentPaused")
        self.k("rollout", "resume", "deployment/rec")
        self.rollout_status("deployment/rec")
        wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in self.pods("app=rec")
                          if not p["metadata"].get("deletionTimestamp")} == {"busybox:3"}, 90,
                 what="busybox:3 everywhere")

    def test_delete_foreground_and_orphan(self):
        self.k("create", "deployment", "fg", "--image=nginx:1", "--replicas=2")
        self.rollout_status("deployment/fg")
        rs = self.srv.kjson("get", "rs", "-l", "app=fg")["items"][0]["metadata"]["name"]
        self.k("delete", "deployment", "fg", "--cascade=foreground", "--wait=false")
        # the owner stays, marked, until its dependents are gone
        d = self.srv.kjson("get", "deployment", "fg")
        self.assertIn("deletionTimestamp", d["metadata"])
        self.assertIn("foregroundDeletion", d["metadata"].get("finalizers", []))
        # the sim removes the terminating pods, then the collector the rest
        wait_for(lambda: self.k("get", "deployment", "fg", check=False).returncode != 0, 60,
                 what="deployment fg gone")
        self.assertNotEqual(self.k("get", "rs", rs, check=False).returncode, 0)
        self.assertEqual(self.pods("app=fg"), [])

        self.k("create", "deployment", "orph", "--image=nginx:1", "--replicas=2")
        self.rollout_status("deployment/orph")
        self.k("delete", "deployment", "orph", "--cascade=orphan")
        rss = self.srv.kjson("get", "rs", "-l", "app=orph")["items"]
        self.assertEqual(len(rss), 1)
        self.assertNotIn("ownerReferences", rss[0]["metadata"])
        self.assertEqual(len(self.pods("app=orph")), 2)


if __name__ == "__main__":
    unittest.main()
