"""The workload controllers (Job, CronJob, DaemonSet, StatefulSet) in a real
`zke server --disable-agent`, driven with kubectl. Where a test needs to
decide exactly when a pod is ready or how it ends, no node runs the pods and
the test patches their status (Running and Ready, Succeeded or Failed);
elsewhere `zke sim` nodes run them (the scheduler in the server binds them),
steered by the sim's annotations. Every wait is bounded."""
import calendar
import json
import os
import signal
import subprocess
import time
import unittest

from zke import KUBECTL, ServerTest, Sim

# node agents here: bridges, host rules, node ports (run.py runs these one at a time)
USES_HOST_NETWORK = True

WAIT = 90          # seconds any one condition may take (ASan on a loaded machine is slow)
POLL = 0.2


class Timeout(AssertionError):
    pass


def wait_for(what, fn, timeout=WAIT):
    """Poll fn until it returns a true value (returned); bounded in time."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(POLL)
    raise Timeout("timed out waiting for %s (last: %r)" % (what, last))


class WorkloadTest(ServerTest):

    # ---- helpers ----

    def apply(self, doc):
        self.srv.kubectl("apply", "-f", "-", input=doc)

    def get(self, *args):
        return self.srv.kjson("get", *args)

    def pods(self, selector):
        return self.get("pods", "-l", selector)["items"]

    def set_pod_phase(self, name, phase, ready=False):
        status = {"phase": phase}
        if phase == "Running":
            status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
        self.srv.kubectl("patch", "pod", name, "--subresource=status", "--type=merge",
                         "-p", json.dumps({"status": status}))

    @staticmethod
    def terminal(pod):
        return pod.get("status", {}).get("phase") in ("Succeeded", "Failed")

    @staticmethod
    def condition(obj, ctype):
        for c in obj.get("status", {}).get("conditions") or []:
            if c["type"] == ctype:
                return c
        return None


class JobTest(WorkloadTest):

    def test_completions_and_parallelism(self):
        self.apply("""
apiVersion: batch/v1
kind: Job
metadata: {name: three}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox, command: ["true"]}]
""")
        finished = set()
        # finish pods one at a time, as a node would; never more than
        # parallelism run at once
        for _ in range(3):
            pods = wait_for("a running pod of the job", lambda: [
                p for p in self.pods("job-name=three")
                if not self.terminal(p) and p["metadata"]["name"] not in finished])
            active = [p for p in self.pods("job-name=three") if not self.terminal(p)]
            self.assertLessEqual(len(active), 2, [p["metadata"]["name"] for p in active])
            pod = pods[0]
            labels = pod["metadata"]["labels"]
            job = self.get("job", "three")
            self.assertEqual(labels["batch.kubernetes.io/job-name"], "three")
            self.assertEqual(labels["batch.kubernetes.io/controller-uid"], job["metadata"]["uid"])
            ref = pod["metadata"]["ownerReferences"][0]
            self.assertEqual((ref["kind"], ref["name"], ref["controller"]), ("Job", "three", True))
            self.set_pod_phase(pod["metadata"]["name"], "Succeeded")
            finished.add(pod["metadata"]["name"])
        p = self.srv.kubectl("wait", "--for=condition=complete", "job/three", "--timeout=30s",
                             timeout=40)
        self.assertIn("condition met", p.stdout)
        job = self.get("job", "three")
        st = job["status"]
        self.assertEqual(st["succeeded"], 3)
        self.assertNotIn("active", st)
        self.assertIn("completionTime", st)
        self.assertIn("startTime", st)
        for ctype in ("SuccessCriteriaMet", "Complete"):
            c = self.condition(job, ctype)
            self.assertEqual((c["status"], c["reason"]), ("True", "CompletionsReached"), c)
        # nothing more was started once three succeeded
        pods = self.pods("job-name=three")
        self.assertEqual(sorted(p["metadata"]["name"] for p in pods), sorted(finished))
        out = self.srv.kubectl("get", "job", "three").stdout
        self.assertIn("3/3", out)

    def test_backoff_limit_exceeded(self):
        self.apply("""
apiVersion: batch/v1
kind: Job
metadata: {name: flaky}
spec:
  completions: 5
  parallelism: 3
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox, command: ["false"]}]
""")
        pods = wait_for("three pods", lambda: (lambda ps: ps if len(ps) == 3 else None)(
            self.pods("job-name=flaky")))
        names = sorted(p["metadata"]["name"] for p in pods)
        # two failures are more than backoffLimit 1
        self.set_pod_phase(names[0], "Failed")
        self.set_pod_phase(names[1], "Failed")
        p = self.srv.kubectl("wait", "--for=condition=failed", "job/flaky", "--timeout=30s",
                             timeout=40)
        self.assertIn("condition met", p.stdout)
        job = self.get("job", "flaky")
        for ctype in ("FailureTarget", "Failed"):
            c = self.condition(job, ctype)
            self.assertEqual((c["status"], c["reason"], c["message"]),
                             ("True", "BackoffLimitExceeded",
                              "Job has reached the specified backoff limit"), c)
        self.assertIsNone(self.condition(job, "Complete"))
        # the pod still running was deleted, and counts as failed
        left = sorted(p["metadata"]["name"] for p in self.pods("job-name=flaky"))
        self.assertEqual(left, names[:2])
        self.assertEqual(job["status"]["failed"], 3)
        self.assertNotIn("active", job["status"])

    def test_active_deadline_and_ttl(self):
        self.apply("""
apiVersion: batch/v1
kind: Job
metadata: {name: slow}
spec:
  activeDeadlineSeconds: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: brief}
spec:
  ttlSecondsAfterFinished: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
""")
        self.srv.kubectl("wait", "--for=condition=failed", "job/slow", "--timeout=30s",
                         timeout=40)
        c = self.condition(self.get("job", "slow"), "Failed")
        self.assertEqual((c["reason"], c["message"]),
                         ("DeadlineExceeded", "Job was active longer than specified deadline"))
        self.assertEqual(self.pods("job-name=slow"), [])

        pod = wait_for("the pod of brief", lambda: self.pods("job-name=brief"))[0]
        self.set_pod_phase(pod["metadata"]["name"], "Succeeded")
        # finished, then deleted once its TTL ran out
        wait_for("brief to be deleted", lambda: self.srv.kubectl(
            "get", "job", "brief", check=False).returncode != 0)

    def test_indexed(self):
        self.apply("""
apiVersion: batch/v1
kind: Job
metadata: {name: idx}
spec:
  completionMode: Indexed
  completions: 3
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
""")
        pods = wait_for("three pods", lambda: (lambda ps: ps if len(ps) == 3 else None)(
            self.pods("job-name=idx")))
        by_index = {p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]: p
                    for p in pods}
        self.assertEqual(sorted(by_index), ["0", "1", "2"])
        p1 = by_index["1"]
        self.assertTrue(p1["metadata"]["name"].startswith("idx-1-"))
        self.assertEqual(p1["spec"]["hostname"], "idx-1")
        env = p1["spec"]["containers"][0]["env"]
        self.assertIn("JOB_COMPLETION_INDEX", [e["name"] for e in env])
        self.set_pod_phase(p1["metadata"]["name"], "Succeeded")
        wait_for("completedIndexes 1", lambda: self.get("job", "idx")["status"].get(
            "completedIndexes") == "1")
        # a failed index gets a new pod with the same index
        self.set_pod_phase(by_index["0"]["metadata"]["name"], "Failed")
        wait_for("a new pod for index 0", lambda: [
            p for p in self.pods("job-name=idx")
            if p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "0"
            and not self.terminal(p)], timeout=40)


CRONJOB = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: %(name)s}
spec:
  schedule: "* * * * *"
  suspend: true
  concurrencyPolicy: %(policy)s
  successfulJobsHistoryLimit: %(keep)d
  jobTemplate:
    metadata: {labels: {cron: %(name)s}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: work, image: busybox}]
"""

OWNED_JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: %(name)s
  annotations: {batch.kubernetes.io/cronjob-scheduled-timestamp: "2020-01-01T00:00:00Z"}
  ownerReferences:
  - {apiVersion: batch/v1, kind: CronJob, name: %(owner)s, uid: %(uid)s, controller: true}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
"""


class CronJobTest(WorkloadTest):
    """A run becomes due at once without waiting for the clock: the CronJob
    is created suspended, its lastScheduleTime is set five minutes back, and
    it is resumed; the minute that began last is then due."""

    def make(self, name, policy="Allow", keep=3):
        self.apply(CRONJOB % {"name": name, "policy": policy, "keep": keep})
        return self.get("cronjob", name)

    def resume_with_missed_runs(self, name, status=None):
        status = dict(status or {})
        status["lastScheduleTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                   time.gmtime(time.time() - 300))
        self.srv.kubectl("patch", "cronjob", name, "--subresource=status", "--type=merge",
                         "-p", json.dumps({"status": status}))
        self.srv.kubectl("patch", "cronjob", name, "--type=merge",
                         "-p", '{"spec":{"suspend":false}}')

    def jobs_of(self, cj):
        uid = cj["metadata"]["uid"]
        return [j for j in self.get("jobs")["items"]
                if any(r["uid"] == uid for r in j["metadata"].get("ownerReferences", []))]

    def events(self, name, reason):
        evs = self.get("events", "--field-selector",
                       "involvedObject.kind=CronJob,involvedObject.name=" + name)["items"]
        return [e for e in evs if e["reason"] == reason]

    def test_due_run_creates_a_job(self):
        cj = self.make("tick", policy="Forbid")
        before = time.time()
        self.resume_with_missed_runs("tick")
        job = wait_for("a job of tick", lambda: self.jobs_of(cj))[0]
        after = time.time()
        # named after its scheduled minute, which is the latest minute
        # started, and annotated with it
        when = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        t = calendar.timegm(time.strptime(when, "%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(t % 60, 0)
        self.assertLessEqual(before - 60, t)
        self.assertLessEqual(t, after)
        self.assertEqual(job["metadata"]["name"], "tick-%d" % (t // 60))
        self.assertEqual(job["metadata"]["labels"]["cron"], "tick")
        ref = job["metadata"]["ownerReferences"][0]
        self.assertEqual((ref["kind"], ref["name"], ref["controller"]), ("CronJob", "tick", True))
        cj = wait_for("tick's status to list the job", lambda: (lambda c: c if c["status"].get(
            "active") and c["status"].get("lastScheduleTime") == when else None)(
            self.get("cronjob", "tick")))
        self.assertEqual([a["name"] for a in cj["status"]["active"]], [job["metadata"]["name"]])
        self.assertEqual(cj["status"]["active"][0]["uid"], job["metadata"]["uid"])
        self.assertTrue(self.events("tick", "SuccessfulCreate"))
        # the run finishes: no longer active, and it is the last success
        pod = wait_for("the job's pod", lambda: self.pods(
            "job-name=" + job["metadata"]["name"]))[0]
        self.set_pod_phase(pod["metadata"]["name"], "Succeeded")
        cj = wait_for("tick to see the run finish", lambda: (lambda c: c if "active" not in c[
            "status"] and c["status"].get("lastSuccessfulTime") else None)(
            self.get("cronjob", "tick")))
        done = self.get("job", job["metadata"]["name"])
        self.assertEqual(cj["status"]["lastSuccessfulTime"], done["status"]["completionTime"])

    def test_forbid_and_replace(self):
        for name, policy in (("forbid", "Forbid"), ("replace", "Replace")):
            cj = self.make(name, policy=policy)
            uid = cj["metadata"]["uid"]
            self.apply(OWNED_JOB % {"name": name + "-old", "owner": name, "uid": uid})
            old = self.get("job", name + "-old")
            ref = {"apiVersion": "batch/v1", "kind": "Job", "name": old["metadata"]["name"],
                   "namespace": "default", "uid": old["metadata"]["uid"]}
            self.resume_with_missed_runs(name, {"active": [ref]})
        # Forbid: the due run is skipped while the old one is active
        wait_for("JobAlreadyActive", lambda: self.events("forbid", "JobAlreadyActive"))
        names = [j["metadata"]["name"] for j in self.jobs_of(self.get("cronjob", "forbid"))]
        self.assertEqual(names, ["forbid-old"])
        # Replace: the old run is deleted and the due one started
        cj = self.get("cronjob", "replace")
        wait_for("replace's new job", lambda: [
            j for j in self.jobs_of(cj) if j["metadata"]["name"] != "replace-old"])
        wait_for("replace-old to be deleted", lambda: "replace-old" not in [
            j["metadata"]["name"] for j in self.jobs_of(cj)])
        self.assertTrue(self.events("replace", "SuccessfulDelete"))

    def test_manual_job_from_cronjob(self):
        self.make("hand")
        self.srv.kubectl("create", "job", "hand-made", "--from=cronjob/hand")
        job = self.get("job", "hand-made")
        self.assertEqual(job["metadata"]["ownerReferences"][0]["name"], "hand")
        pod = wait_for("hand-made's pod", lambda: self.pods("job-name=hand-made"))[0]
        self.set_pod_phase(pod["metadata"]["name"], "Succeeded")
        cj = wait_for("hand's lastSuccessfulTime", lambda: (lambda c: c if c.get(
            "status", {}).get("lastSuccessfulTime") else None)(self.get("cronjob", "hand")))
        done = self.get("job", "hand-made")
        self.assertEqual(cj["status"]["lastSuccessfulTime"], done["status"]["completionTime"])
        # a Job made by hand is not a scheduled run
        self.assertNotIn("active", cj["status"])

    def test_history_limit(self):
        cj = self.make("keep", keep=1)
        uid = cj["metadata"]["uid"]
        for i, name in enumerate(("keep-a", "keep-b")):
            self.apply(OWNED_JOB % {"name": name, "owner": "keep", "uid": uid})
            start = "2024-01-01T00:0%d:00Z" % i
            status = {"startTime": start, "completionTime": start, "succeeded": 1,
                      "conditions": [
                          {"type": "SuccessCriteriaMet", "status": "True",
                           "reason": "CompletionsReached", "message": "done"},
                          {"type": "Complete", "status": "True",
                           "reason": "CompletionsReached", "message": "done"}]}
            self.srv.kubectl("patch", "job", name, "--subresource=status", "--type=merge",
                             "-p", json.dumps({"status": status}))
        # one successful job is kept: the older goes
        wait_for("keep-a to be deleted", lambda: [j["metadata"]["name"] for j in self.jobs_of(
            cj)] == ["keep-b"])

class SimTest(ServerTest):
    """A server with `zke sim` nodes for the whole class."""

    sim_nodes = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.sim = Sim(cls.srv, nodes=cls.sim_nodes).start()
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        super().tearDownClass()


class DaemonSetTest(SimTest, WorkloadTest):
    """Three sim nodes, sim-1 tainted; the sim runs the daemon pods (Running
    and Ready once bound) and removes those being deleted."""

    sim_nodes = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.srv.kubectl("taint", "node", "sim-1", "dedicated=gpu:NoSchedule")

    def by_node(self, selector):
        out = {}
        for p in self.pods(selector):
            out.setdefault(p["spec"].get("nodeName"), []).append(p)
        return out

    def ready_images(self, selector):
        return sorted(p["spec"]["containers"][0]["image"] for p in self.pods(selector)
                      if self.condition(p, "Ready") and self.condition(p, "Ready")["status"]
                      == "True" and not p["metadata"].get("deletionTimestamp"))

    def test_one_pod_per_node_and_rolling_update(self):
        self.apply("""
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "agent:1"}]
""")
        # one pod on each node but the tainted one, bound by the scheduler
        placed = wait_for("a pod bound on sim-0 and sim-2", lambda: (lambda m: m if sorted(
            m) == ["sim-0", "sim-2"] else None)(self.by_node("app=agent")))
        for node, pods in placed.items():
            self.assertEqual(len(pods), 1, node)
            pod = pods[0]
            terms = pod["spec"]["affinity"]["nodeAffinity"][
                "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
            self.assertEqual(terms, [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": [node]}]}])
            keys = [t["key"] for t in pod["spec"]["tolerations"]]
            self.assertIn("node.kubernetes.io/unschedulable", keys)
            self.assertIn("node.kubernetes.io/not-ready", keys)
            self.assertTrue(pod["metadata"]["labels"]["controller-revision-hash"])
        self.srv.kubectl("rollout", "status", "ds/agent", "--timeout=30s", timeout=40)
        ds = self.get("ds", "agent")
        st = ds["status"]
        self.assertEqual((st["desiredNumberScheduled"], st["currentNumberScheduled"],
                          st["numberReady"], st["numberAvailable"],
                          st["updatedNumberScheduled"], st["numberMisscheduled"]),
                         (2, 2, 2, 2, 2, 0))
        self.assertEqual(st["observedGeneration"], ds["metadata"]["generation"])

        # a new image rolls node by node: in every state the watch saw, at
        # most maxUnavailable (1) node is without a ready pod
        watch = Watch(self.srv, "-l", "app=agent")
        try:
            wait_for("the watch's first list", lambda: len(watch.events()) >= 2)
            self.srv.kubectl("set", "image", "ds/agent", "agent=agent:2")
            wait_for("agent:2 ready on both nodes", lambda: self.ready_images(
                "app=agent") == ["agent:2", "agent:2"], timeout=WAIT * 2)
            events = watch.events()
        finally:
            watch.stop()
        for snap in Watch.replay(events)[2:]:
            down = [n for n in ("sim-0", "sim-2") if not any(
                p["node"] == n and p["ready"] and not p["deleting"] for p in snap.values())]
            self.assertLessEqual(len(down), 1, snap)
        self.assertTrue(any(p["image"] == "agent:2" for snap in Watch.replay(events)
                            for p in snap.values()))
        self.srv.kubectl("rollout", "status", "ds/agent", "--timeout=30s", timeout=40)
        hist = self.srv.kubectl("rollout", "history", "ds/agent").stdout
        self.assertIn("1 ", hist)
        self.assertIn("2 ", hist)
        revs = [r for r in self.get("controllerrevisions")["items"]
                if r["metadata"]["ownerReferences"][0]["name"] == "agent"]
        self.assertEqual(sorted(r["revision"] for r in revs), [1, 2])
        current = [r for r in revs if r["revision"] == 2][0]
        wait_for("only pods of revision 2", lambda: {
            p["metadata"]["labels"]["controller-revision-hash"]
            for p in self.pods("app=agent")} == {
            current["metadata"]["labels"]["controller-revision-hash"]})

        # undo: back to agent:1, whose revision becomes number 3
        self.srv.kubectl("rollout", "undo", "ds/agent")
        wait_for("agent:1 everywhere", lambda: self.ready_images("app=agent") == [
            "agent:1", "agent:1"])
        revs = [r for r in self.get("controllerrevisions")["items"]
                if r["metadata"]["ownerReferences"][0]["name"] == "agent"]
        self.assertEqual(sorted(r["revision"] for r in revs), [2, 3])

        # the taint goes: sim-1 gets its pod
        self.srv.kubectl("taint", "node", "sim-1", "dedicated-")
        wait_for("a pod on sim-1", lambda: self.by_node("app=agent").get("sim-1"))
        # (rollout status could pass on the status from before: the
        # DaemonSet's generation did not change)
        wait_for("three available", lambda: self.get("ds", "agent")["status"].get(
            "numberAvailable") == 3)
        st = self.get("ds", "agent")["status"]
        self.assertEqual((st["desiredNumberScheduled"], st["updatedNumberScheduled"]), (3, 3))


class Watch:
    """kubectl get pods --watch in the background, one event a line; stopped
    by its PID. events() gives (type, pod) with pod a dict of name, node,
    image, deleting and ready."""

    FIELDS = ("{.type}|{.object.metadata.name}|{.object.spec.nodeName}|"
              "{.object.spec.containers[0].image}|{.object.metadata.deletionTimestamp}|"
              '{.object.status.conditions[?(@.type=="Ready")].status}{"\\n"}')

    def __init__(self, srv, *args):
        self.path = os.path.join(srv.dir, "watch-%d.log" % time.monotonic_ns())
        self.out = open(self.path, "w")
        env = dict(os.environ, KUBECONFIG=srv.kubeconfig, HOME=srv.dir)
        self.proc = subprocess.Popen(
            [KUBECTL, "get", "pods", "--watch", "--output-watch-events", "-o",
             "jsonpath=" + self.FIELDS] + list(args),
            stdout=self.out, stderr=subprocess.DEVNULL, env=env)

    def events(self):
        out = []
        with open(self.path) as f:
            for line in f:
                parts = line.rstrip("\n").split("|")
                if len(parts) != 6:
                    continue
                out.append((parts[0], {"name": parts[1], "node": parts[2], "image": parts[3],
                                       "deleting": bool(parts[4]), "ready": parts[5] == "True"}))
        return out

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        self.out.close()

    @staticmethod
    def replay(events):
        """The pods after each event: a list of {name: pod} snapshots."""
        pods, states = {}, []
        for kind, pod in events:
            if kind == "DELETED":
                pods.pop(pod["name"], None)
            else:
                pods[pod["name"]] = pod
            states.append(dict(pods))
        return states


class StatefulSetTest(SimTest, WorkloadTest):
    """Two sim nodes run the pods. The template says `zke.io/sim-ready:
    "false"`, so a pod is Running but not Ready until the test annotates it
    ready; deleted pods are removed by the sim."""

    def make_ready(self, name):
        self.srv.kubectl("annotate", "pod", name, "zke.io/sim-ready=true", "--overwrite")

    def names(self, app="web"):
        return sorted(p["metadata"]["name"] for p in self.pods("app=" + app))

    def test_ordered_creation_update_and_scale_down(self):
        self.apply("""
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {zke.io/sim-ready: "false"}
    spec:
      containers:
      - {name: web, image: "web:1", volumeMounts: [{name: www, mountPath: /www}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
""")
        # web-0 first; web-1 only after web-0 is Running and Ready
        for i in range(3):
            name = "web-%d" % i
            wait_for(name + " running", lambda: (self.get("pod", name).get("status", {}).get(
                "phase") == "Running") if name in self.names() else False)
            # the controller has counted it: its decision for now is made
            wait_for("status.replicas %d" % (i + 1), lambda: self.get("sts", "web").get(
                "status", {}).get("replicas") == i + 1)
            self.assertEqual(self.names(), ["web-%d" % k for k in range(i + 1)])
            pod = self.get("pod", name)
            labels = pod["metadata"]["labels"]
            self.assertEqual(labels["statefulset.kubernetes.io/pod-name"], name)
            self.assertEqual(labels["apps.kubernetes.io/pod-index"], str(i))
            self.assertEqual((pod["spec"]["hostname"], pod["spec"]["subdomain"]), (name, "web"))
            self.assertIn({"name": "www", "persistentVolumeClaim": {"claimName": "www-" + name}},
                          pod["spec"]["volumes"])
            self.make_ready(name)
        self.srv.kubectl("rollout", "status", "sts/web", "--timeout=30s", timeout=40)
        for i in range(3):
            pvc = self.get("pvc", "www-web-%d" % i)
            self.assertEqual(pvc["metadata"]["labels"]["app"], "web")
            self.assertEqual(pvc["spec"]["resources"]["requests"]["storage"], "1Gi")
        sts = self.get("sts", "web")
        st = sts["status"]
        self.assertEqual((st["replicas"], st["readyReplicas"], st["currentReplicas"],
                          st["updatedReplicas"], st["availableReplicas"]), (3, 3, 3, 3, 3))
        self.assertEqual(st["currentRevision"], st["updateRevision"])
        first_rev = st["updateRevision"]
        self.assertEqual(self.get("pod", "web-0")["metadata"]["labels"][
            "controller-revision-hash"], first_rev)

        # a rolling update (new pods come up ready by themselves) replaces
        # the highest ordinal first, one at a time: in every state the watch
        # saw, at least two pods are ready and not being deleted
        watch = Watch(self.srv, "-l", "app=web")
        try:
            wait_for("the watch's first list", lambda: len(watch.events()) >= 3)
            self.srv.kubectl("patch", "sts", "web", "--type=json", "-p", json.dumps([
                {"op": "replace", "path": "/spec/template/spec/containers/0/image",
                 "value": "web:2"},
                {"op": "remove", "path": "/spec/template/metadata/annotations"}]))
            wait_for("web:2 ready everywhere", lambda: (lambda last: len(last) == 3 and all(
                p["image"] == "web:2" and p["ready"] and not p["deleting"]
                for p in last.values()))(Watch.replay(watch.events())[-1]), timeout=WAIT * 2)
            events = watch.events()
        finally:
            watch.stop()
        order = []
        for snap in Watch.replay(events)[3:]:
            up = [n for n, p in snap.items() if p["ready"] and not p["deleting"]]
            self.assertGreaterEqual(len(up), 2, snap)
            for n, p in sorted(snap.items()):
                if p["image"] == "web:2" and n not in order:
                    order.append(n)
        self.assertEqual(order, ["web-2", "web-1", "web-0"])
        self.srv.kubectl("rollout", "status", "sts/web", "--timeout=30s", timeout=40)
        st = self.get("sts", "web")["status"]
        self.assertNotEqual(st["updateRevision"], first_rev)
        self.assertEqual(st["currentRevision"], st["updateRevision"])
        hist = self.srv.kubectl("rollout", "history", "sts/web").stdout
        self.assertIn("2 ", hist)

        # scale down: the highest ordinal goes first, the next once it is gone
        watch = Watch(self.srv, "-l", "app=web")
        try:
            wait_for("the watch's first list", lambda: len(watch.events()) >= 3)
            self.srv.kubectl("scale", "sts/web", "--replicas=1")
            wait_for("web-1 and web-2 gone", lambda: self.names() == ["web-0"])
            wait_for("the deletions in the watch", lambda: len(
                [e for e in watch.events() if e[0] == "DELETED"]) == 2)
            deleted = [e[1]["name"] for e in watch.events() if e[0] == "DELETED"]
        finally:
            watch.stop()
        self.assertEqual(deleted, ["web-2", "web-1"])
        # claims stay
        self.get("pvc", "www-web-2")
        wait_for("status.replicas 1", lambda: self.get("sts", "web")["status"]["replicas"] == 1)

    def test_parallel(self):
        self.apply("""
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: par}
spec:
  serviceName: par
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: par}}
  template:
    metadata:
      labels: {app: par}
      annotations: {zke.io/sim-ready: "false"}
    spec:
      containers: [{name: par, image: "par:1"}]
""")
        # all at once, none of them ready
        wait_for("par-0..2", lambda: self.names("par") == ["par-0", "par-1", "par-2"])
        self.assertEqual(self.get("sts", "par").get("status", {}).get("readyReplicas", 0), 0)


class JobSimTest(SimTest, WorkloadTest):
    """Jobs whose pods the sim runs to the end (zke.io/sim-complete-after,
    zke.io/sim-fail-after)."""

    def test_completes(self):
        self.apply("""
apiVersion: batch/v1
kind: Job
metadata: {name: sim-ok}
spec:
  completions: 3
  parallelism: 2
  template:
    metadata: {annotations: {zke.io/sim-complete-after: "500ms"}}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
""")
        self.srv.kubectl("wait", "--for=condition=complete", "job/sim-ok", "--timeout=60s",
                         timeout=70)
        st = self.get("job", "sim-ok")["status"]
        self.assertEqual(st["succeeded"], 3)
        pods = self.pods("job-name=sim-ok")
        self.assertEqual([p["status"]["phase"] for p in pods], ["Succeeded"] * 3)
        self.assertTrue(all(p["spec"].get("nodeName", "").startswith("sim-") for p in pods))

    def test_fails(self):
        # one pod fails at once; the others run until the Job fails and
        # deletes them (gracefully: the sim removes them)
        self.apply("""
apiVersion: batch/v1
kind: Job
metadata: {name: sim-bad}
spec:
  completions: 4
  parallelism: 2
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
""")
        pods = wait_for("two running pods", lambda: (lambda ps: ps if len(ps) == 2 and all(
            p.get("status", {}).get("phase") == "Running" for p in ps) else None)(
            self.pods("job-name=sim-bad")))
        self.srv.kubectl("annotate", "pod", pods[0]["metadata"]["name"],
                         "zke.io/sim-fail-after=100ms")
        self.srv.kubectl("wait", "--for=condition=failed", "job/sim-bad", "--timeout=60s",
                         timeout=70)
        job = self.get("job", "sim-bad")
        c = self.condition(job, "Failed")
        self.assertEqual((c["reason"], c["status"]), ("BackoffLimitExceeded", "True"))
        self.assertEqual(job["status"].get("terminating", 0), 0)
        self.assertEqual(job["status"]["failed"], 2)
        left = self.pods("job-name=sim-bad")
        self.assertEqual([p["metadata"]["name"] for p in left], [pods[0]["metadata"]["name"]])

if __name__ == "__main__":
    unittest.main()
