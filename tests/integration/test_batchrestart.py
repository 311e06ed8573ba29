"""BatchRestart (zke.io) and `zke restart`: many workloads restarted a few
at a time, on `zke sim` nodes (the controllers and scheduler in zke server
roll the Deployments; the sim runs the pods on paper) and, in
BatchRestartContainersTest, on real containers."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import testimg
from zke import KUBECTL, ZKE, Server, Sim, agent_cleanup, wait_for

# node agents here: bridges, host rules, node ports (run.py runs these one at a time)
USES_HOST_NETWORK = True

WAIT = 90


def deployment(name, ns, labels, replicas=1, image="zke.test/none:1", args=None, **spec):
    c = {"name": "c", "image": image}
    if args:
        c["args"] = args
    c.update(spec.pop("container", {}))
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": dict({"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                          "template": {"metadata": {"labels": {"app": name}},
                                       "spec": dict({"containers": [c],
                                                     "terminationGracePeriodSeconds": 0},
                                                    **spec)}})}


def batch(name, ns, **spec):
    return {"apiVersion": "zke.io/v1alpha1", "kind": "BatchRestart",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


class RolloutWatch(threading.Thread):
    """Watches Deployments of a namespace (kubectl get -w) and keeps the
    largest number rolling at once: from the restart annotation showing up
    on a template to every replica updated and available."""

    def __init__(self, srv, ns):
        super().__init__(daemon=True)
        self.proc = subprocess.Popen(
            [KUBECTL, "--kubeconfig", srv.kubeconfig, "get", "deployments", "-n", ns,
             "-w", "--output-watch-events", "-o", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.rolling, self.max_rolling, self.seen = set(), 0, 0
        self.lock = threading.Lock()

    def run(self):
        buf = ""
        dec = json.JSONDecoder()
        for chunk in iter(lambda: self.proc.stdout.readline(), ""):
            buf += chunk
            while True:
                s = buf.lstrip()
                try:
                    ev, end = dec.raw_decode(s)
                except ValueError:
                    break
                buf = s[end:]
                self.event(ev.get("object") or {})

    def event(self, d):
        name = d["metadata"]["name"]
        tmpl = d["spec"]["template"]["metadata"].get("annotations") or {}
        st = d.get("status") or {}
        want = d["spec"].get("replicas", 1)
        restarted = "kubectl.kubernetes.io/restartedAt" in tmpl
        healthy = (st.get("observedGeneration", 0) >= d["metadata"].get("generation", 0) and
                   st.get("updatedReplicas", 0) == want and st.get("availableReplicas", 0) == want
                   and st.get("replicas", 0) == want)
        with self.lock:
            self.seen += 1
            if restarted and not healthy:
                self.rolling.add(name)
            else:
                self.rolling.discard(name)
            self.max_rolling = max(self.max_rolling, len(self.rolling))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.join(timeout=10)
        self.proc.stdout.close()


class BatchRestartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="zke-br-")
        tokens = os.path.join(cls.tmp, "tokens.csv")
        with open(tokens, "w") as f:
            f.write('bob-token,bob,1001,"team-b"\n')
        os.chmod(tokens, 0o600)
        cls.srv = Server(["--token-auth-file", tokens]).start()
        cls.sim = None
        try:
            cls.sim = Sim(cls.srv, nodes=3).start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.sim:
            cls.sim.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def apply(self, *docs):
        for d in docs:
            self.srv.kubectl("apply", "-f", "-", input=json.dumps(d))

    def ns(self, name):
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    def healthy(self, ns, names):
        def ok():
            for d in self.srv.kjson("get", "deployments", "-n", ns)["items"]:
                if d["metadata"]["name"] in names and \
                        d.get("status", {}).get("availableReplicas", 0) != d["spec"]["replicas"]:
                    return False
            return True
        wait_for(ok, WAIT, "deployments available in " + ns)

    def status(self, ns, name):
        return self.srv.kjson("get", "batchrestart", "-n", ns, name).get("status") or {}

    def zke_restart(self, *args):
        return subprocess.run([ZKE, "restart", "--kubeconfig", self.srv.kubeconfig] + list(args),
                              capture_output=True, text=True, timeout=300)

    def test_rolling_restart_keeps_to_max_concurrent(self):
        self.ns("roll")
        names = ["app%02d" % i for i in range(8)]
        self.apply(*[deployment(n, "roll", {"team": "a"}, replicas=2) for n in names],
                   deployment("other", "roll", {"team": "b"}))
        self.healthy("roll", names + ["other"])
        before = {p["metadata"]["name"] for p in self.srv.kjson("get", "pods", "-n", "roll")["items"]}
        w = RolloutWatch(self.srv, "roll")
        w.start()
        try:
            p = self.zke_restart("-n", "roll", "-l", "team=a", "--max-concurrent", "3", "--wait")
        finally:
            time.sleep(1)
            w.stop()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("batchrestart.zke.io/restart-", p.stdout)
        self.assertIn("Succeeded: 8 restarted, 0 skipped", p.stdout)
        self.assertGreater(w.seen, 8)
        self.assertLessEqual(w.max_rolling, 3)
        self.assertGreaterEqual(w.max_rolling, 1)
        brs = self.srv.kjson("get", "batchrestarts", "-n", "roll")["items"]
        self.assertEqual(len(brs), 1)
        st = brs[0]["status"]
        self.assertEqual((st["phase"], st["total"], st["restarted"], st["failed"]),
                         ("Succeeded", 8, 8, 0))
        self.assertEqual({w["state"] for w in st["workloads"]}, {"Restarted"})
        for d in self.srv.kjson("get", "deployments", "-n", "roll")["items"]:
            ann = d["spec"]["template"]["metadata"].get("annotations") or {}
            if d["metadata"]["labels"]["team"] == "a":
                self.assertEqual(ann.get("kubectl.kubernetes.io/restartedAt"), st["restartedAt"])
            else:
                self.assertNotIn("kubectl.kubernetes.io/restartedAt", ann)
        # every pod of team a replaced; the other one kept
        after = self.srv.kjson("get", "pods", "-n", "roll")["items"]
        for p in after:
            if p["metadata"]["labels"]["app"] == "other":
                self.assertIn(p["metadata"]["name"], before)
            else:
                self.assertNotIn(p["metadata"]["name"], before)
        evs = self.srv.kjson("get", "events", "-n", "roll", "--field-selector",
                             "involvedObject.kind=BatchRestart")["items"]
        self.assertTrue({"Started", "Restarting", "Restarted", "Completed"} <=
                        {e["reason"] for e in evs})

    def test_halts_at_max_failures_and_skips_the_rest(self):
        self.ns("halt")
        # a-stuck's new pods never become available (they cannot be placed)
        self.apply(deployment("a-stuck", "halt", {"t": "x"},
                              container={"resources": {"requests": {"cpu": "1000"}}}),
                   *[deployment("b%d" % i, "halt", {"t": "x"}) for i in range(3)])
        self.healthy("halt", ["b0", "b1", "b2"])
        self.apply(batch("stop", "halt", maxConcurrent=1, maxFailures=1,
                         progressDeadlineSeconds=3))
        wait_for(lambda: self.status("halt", "stop").get("phase") == "Failed", WAIT, "the halt")
        st = self.status("halt", "stop")
        states = {w["name"]: w["state"] for w in st["workloads"]}
        self.assertEqual(states, {"a-stuck": "Failed", "b0": "Skipped", "b1": "Skipped",
                                  "b2": "Skipped"})
        self.assertIn("not healthy 3 s after its restart",
                      [w for w in st["workloads"] if w["name"] == "a-stuck"][0]["message"])
        cond = [c for c in st["conditions"] if c["type"] == "Progressing"][0]
        self.assertEqual(cond["reason"], "MaxFailures")
        for d in self.srv.kjson("get", "deployments", "-n", "halt")["items"]:
            if d["metadata"]["name"] != "a-stuck":
                self.assertNotIn("kubectl.kubernetes.io/restartedAt",
                                 d["spec"]["template"]["metadata"].get("annotations") or {})

    def test_pause_resume_and_immediate(self):
        self.ns("pause")
        self.apply(*[deployment("p%d" % i, "pause", {"t": "p"}) for i in range(4)])
        self.healthy("pause", ["p%d" % i for i in range(4)])
        self.apply(batch("later", "pause", paused=True, mode="Immediate"))
        wait_for(lambda: self.status("pause", "later").get("phase") == "Paused", WAIT, "Paused")
        time.sleep(2)
        st = self.status("pause", "later")
        self.assertEqual((st["restarted"], st["inProgress"], st["pending"]), (0, 0, 4))
        self.srv.kubectl("patch", "batchrestart", "-n", "pause", "later", "--type=merge", "-p",
                         '{"spec":{"paused":false}}')
        wait_for(lambda: self.status("pause", "later").get("phase") == "Succeeded", WAIT, "done")
        # Immediate: all four started at once
        starts = {w["startTime"] for w in self.status("pause", "later")["workloads"]}
        self.assertEqual(len(starts), 1, starts)

    def test_bad_input_says_what_is_wrong(self):
        self.ns("bad")
        self.apply(batch("none", "bad", selector={"matchLabels": {"app": "nothing"}}))
        wait_for(lambda: self.status("bad", "none").get("phase") == "Failed", WAIT, "Failed")
        cond = [c for c in self.status("bad", "none")["conditions"] if c["type"] == "Progressing"][0]
        self.assertEqual(cond["reason"], "NoWorkloads")
        self.assertIn('no workload in namespace bad matches the selector {"matchLabels":'
                      '{"app":"nothing"}}', cond["message"])
        p = self.zke_restart("-n", "bad", "-l", "app=nothing", "--wait")
        self.assertEqual(p.returncode, 1)
        self.assertIn("Failed: no workload in namespace bad matches the selector", p.stdout)
        # refused by the schema: maxConcurrent 0, an unknown kind
        for spec, msg in (({"maxConcurrent": 0}, "spec.maxConcurrent"),
                          ({"kinds": ["Pod"]}, "spec.kinds[0]")):
            r = self.srv.kubectl("apply", "-f", "-", input=json.dumps(batch("x", "bad", **spec)),
                                 check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(msg, r.stderr)
        p = self.zke_restart("-n", "bad", "-l", "a!=b")
        self.assertEqual(p.returncode, 2)
        self.assertIn("use key=value", p.stderr)

    def test_requester_may_restart_only_what_they_may_patch(self):
        """bob may create BatchRestarts in ns rbac but not patch its
        Deployments: they are Skipped, saying so; the requester annotation
        cannot be forged."""
        self.ns("rbac")
        self.apply(deployment("web", "rbac", {"t": "r"}))
        self.healthy("rbac", ["web"])
        self.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": "restarter", "namespace": "rbac"},
                    "rules": [{"apiGroups": ["zke.io"], "resources": ["batchrestarts"],
                               "verbs": ["create", "get", "list", "watch"]},
                              {"apiGroups": ["apps"], "resources": ["deployments"],
                               "verbs": ["get", "list"]}]},
                   {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": "bob", "namespace": "rbac"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                "name": "restarter"},
                    "subjects": [{"kind": "User", "name": "bob"}]})
        doc = batch("bobs", "rbac")
        doc["metadata"]["annotations"] = {"zke.io/requested-by": '{"username":"admin","groups":'
                                                                  '["system:masters"]}'}
        bob = os.path.join(self.tmp, "bob.kubeconfig")
        shutil.copy(self.srv.kubeconfig, bob)
        self.srv.kubectl("config", "set-credentials", "bob", "--token=bob-token", kubeconfig=bob)
        self.srv.kubectl("--user", "bob", "create", "-f", "-", input=json.dumps(doc), kubeconfig=bob)
        got = self.srv.kjson("get", "batchrestart", "-n", "rbac", "bobs")
        self.assertEqual(json.loads(got["metadata"]["annotations"]["zke.io/requested-by"]),
                         {"username": "bob", "groups": ["team-b", "system:authenticated"]})
        wait_for(lambda: self.status("rbac", "bobs").get("phase") == "Succeeded", WAIT, "the end")
        w = self.status("rbac", "bobs")["workloads"][0]
        self.assertEqual(w["state"], "Skipped")
        self.assertIn("its requester may not patch deployments in namespace rbac", w["message"])
        d = self.srv.kjson("get", "deployment", "-n", "rbac", "web")
        self.assertNotIn("kubectl.kubernetes.io/restartedAt",
                         d["spec"]["template"]["metadata"].get("annotations") or {})



def have_runtime():
    return os.geteuid() == 0 and shutil.which("runc") is not None and \
        os.path.exists("/usr/lib/cni/bridge")


@unittest.skipUnless(have_runtime(), "needs root, runc and the CNI plugins "
                                     "(CI runs as root with scripts/deps.sh)")
class BatchRestartContainersTest(unittest.TestCase):
    """The acceptance run on real containers: 20 Deployments of zkt pods
    (readiness by HTTP), restarted 4 at a time; a batch that halts when a
    Deployment's new pods crash."""
    NODE = "zk-br-it"
    IMAGE = "zke.test/zkt:1"

    @classmethod
    def setUpClass(cls):
        cls.build = tempfile.mkdtemp(prefix="zke-brc-")
        archive = os.path.join(cls.build, "zkt.tar")
        testimg.oci_archive(testimg.build_zkt(cls.build), cls.IMAGE, archive)
        cls.srv = Server(agent=cls.NODE)
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
            cls.srv.kubectl("delete", "deployments,pods", "--all", "-A", "--wait=true",
                            "--timeout=60s", check=False, timeout=90)
        finally:
            cls.srv.stop()
            agent_cleanup(cls.srv.dir, cls.NODE)
            cls.srv.cleanup()
            shutil.rmtree(cls.build, ignore_errors=True)

    def zkt(self, name, labels, mode_from=None):
        c = {"name": "c", "image": self.IMAGE, "args": ["$(MODE)", "8080"],
             "env": [{"name": "MODE", "value": "serve"}],
             "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1}}
        if mode_from:
            c["env"] = [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": mode_from,
                                                                             "key": "mode"}}}]
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": "real", "labels": labels},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"terminationGracePeriodSeconds": 0,
                                               "containers": [c]}}}}

    def pods(self):
        return {p["metadata"]["uid"]: p for p in self.srv.kjson("get", "pods", "-n", "real")["items"]}

    def test_twenty_deployments_four_at_a_time_then_a_halt(self):
        self.srv.kubectl("create", "namespace", "real")
        names = ["w%02d" % i for i in range(20)]
        docs = [self.zkt(n, {"team": "c"}) for n in names]
        docs += [{"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "mode", "namespace": "real"}, "data": {"mode": "serve"}},
                 self.zkt("a-crashy", {"team": "h"}, mode_from="mode"),
                 self.zkt("b-fine", {"team": "h"}), self.zkt("c-fine", {"team": "h"})]
        self.srv.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                "items": docs}))

        def all_ready():
            ds = self.srv.kjson("get", "deployments", "-n", "real")["items"]
            return len(ds) == 23 and all(d.get("status", {}).get("availableReplicas") == 1
                                         for d in ds)
        wait_for(all_ready, 180, "23 deployments available")
        before = {uid for uid, p in self.pods().items() if p["metadata"]["labels"]["app"] in names}
        w = RolloutWatch(self.srv, "real")
        w.start()
        try:
            p = subprocess.run([ZKE, "restart", "--kubeconfig", self.srv.kubeconfig, "-n", "real",
                                "-l", "team=c", "--max-concurrent", "4", "--progress-deadline",
                                "120", "--wait"], capture_output=True, text=True, timeout=600)
        finally:
            time.sleep(1)
            w.stop()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Succeeded: 20 restarted, 0 skipped", p.stdout)
        self.assertLessEqual(w.max_rolling, 4)
        self.assertGreaterEqual(w.max_rolling, 2)   # it did run several at once
        # every pod of the 20 is a new one, running and ready
        after = {uid: p for uid, p in self.pods().items() if p["metadata"]["labels"]["app"] in names}
        self.assertEqual(len(after), 20)
        self.assertFalse(set(after) & before)
        self.assertTrue(all(p["status"].get("phase") == "Running" for p in after.values()))
        # the pods' usage, sampled from metrics.k8s.io (the agent's stats:
        # two readings 10 s apart make a rate, so the new pods need that long)
        def metrics():
            r = self.srv.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/real/pods",
                                 check=False)
            return r.returncode == 0 and len(json.loads(r.stdout).get("items", [])) >= 20
        wait_for(metrics, 60, "pod metrics of the new pods")
        p = subprocess.run([ZKE, "overcommit", "report", "-n", "real", "--window", "2s",
                            "--interval", "1s", "--kubeconfig", self.srv.kubeconfig],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"usage: [1-3] samples? over 2s\n")
        row = [l.split() for l in p.stdout.splitlines() if l.startswith("real ")][0]
        self.assertEqual(row[1], "23")
        self.assertNotEqual(row[9], "-", p.stdout)   # memory p95 of 23 running zkt pods
        # a-crashy's next pods crash (its ConfigMap now says so): the batch halts
        self.srv.kubectl("patch", "configmap", "-n", "real", "mode", "--type=merge", "-p",
                         '{"data":{"mode":"crash"}}')
        p = subprocess.run([ZKE, "restart", "--kubeconfig", self.srv.kubeconfig, "-n", "real",
                            "-l", "team=h", "--max-concurrent", "1", "--max-failures", "1",
                            "--progress-deadline", "8", "--wait"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Failed: stopped: 1 rollouts failed (maxFailures 1)", p.stdout)
        br = [b for b in self.srv.kjson("get", "batchrestarts", "-n", "real")["items"]
              if b["status"].get("phase") == "Failed"][0]
        self.assertEqual({w["name"]: w["state"] for w in br["status"]["workloads"]},
                         {"a-crashy": "Failed", "b-fine": "Skipped", "c-fine": "Skipped"})
        # the old a-crashy pod still serves (a rolling update keeps it until the new one is ready)
        d = self.srv.kjson("get", "deployment", "-n", "real", "a-crashy")
        self.assertEqual(d["status"].get("availableReplicas"), 1)


if __name__ == "__main__":
    unittest.main()
