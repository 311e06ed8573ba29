"""The workload controllers (Job, CronJob, DaemonSet, StatefulSet) in a real
`zke server --disable-agent`, driven with kubectl. No node runs the pods:
the tests play the node by patching pod status (Running and Ready,
Succeeded or Failed). Every wait is bounded."""
import json
import time
import unittest

from zke import ServerTest

WAIT = 30          # seconds any one condition may take
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


if __name__ == "__main__":
    unittest.main()
