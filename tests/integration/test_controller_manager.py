"""`zke controller-manager --kubeconfig` against a zke server that runs no
controllers of its own: two instances campaign for one Lease, only the
leader acts, and the other takes over when the leader dies."""
import json
import os
import signal
import subprocess
import time

from zke import ZKE, ServerTest


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError("timed out after %ds waiting for %s (last: %r)" % (timeout, what, last))


class ControllerManagerTest(ServerTest):
    server_args = ("--disable-controller-manager", "--disable-scheduler")

    def start_cm(self, name):
        log = open(os.path.join(self.srv.dir, name + ".log"), "ab")
        p = subprocess.Popen([ZKE, "controller-manager", "--kubeconfig", self.srv.kubeconfig],
                             stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.addCleanup(self.stop_cm, p, log)
        return p

    @staticmethod
    def stop_cm(p, log):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        log.close()

    def holder(self):
        p = self.srv.kubectl("get", "lease", "-n", "kube-system", "zke-controller-manager",
                             "-o", "json", check=False)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)["spec"].get("holderIdentity")

    def pods(self, app):
        return [p for p in self.srv.kjson("get", "pods", "-l", "app=" + app)["items"]
                if not p["metadata"].get("deletionTimestamp")]

    def test_one_leader_and_failover(self):
        # without controllers nothing reconciles
        self.srv.kubectl("create", "deployment", "idle", "--image=nginx", "--replicas=2")
        time.sleep(1.5)
        self.assertEqual(self.srv.kjson("get", "rs")["items"], [])

        a = self.start_cm("cm-a")
        b = self.start_cm("cm-b")
        first = wait_for(self.holder, 30, "a lease holder")
        wait_for(lambda: len(self.pods("idle")) == 2, 30, "2 pods of idle")
        # exactly one ReplicaSet: the two instances did not both act
        self.assertEqual(len(self.srv.kjson("get", "rs", "-l", "app=idle")["items"]), 1)
        time.sleep(3)
        self.assertEqual(self.holder(), first)
        self.assertEqual(len(self.pods("idle")), 2)

        # kill -9 the leader (found by its pid in the holder identity)
        leader, other = (a, b) if "_%d_" % a.pid in first else (b, a)
        self.assertIn("_%d_" % leader.pid, first)
        os.kill(leader.pid, signal.SIGKILL)
        leader.wait(timeout=10)
        second = wait_for(lambda: self.holder() not in (None, first) and self.holder(), 60,
                          "the other instance to take the lease")
        self.assertIn("_%d_" % other.pid, second)
        # and it reconciles: a scale is carried out
        self.srv.kubectl("scale", "deployment/idle", "--replicas=4")
        wait_for(lambda: len(self.pods("idle")) == 4, 30, "4 pods after the failover")
        lease = self.srv.kjson("get", "lease", "-n", "kube-system", "zke-controller-manager")
        self.assertGreaterEqual(lease["spec"].get("leaseTransitions", 0), 1)

    def test_clean_stop_releases_the_lease(self):
        p = self.start_cm("cm-c")
        wait_for(lambda: self.holder() and "_%d_" % p.pid in self.holder(), 30, "cm-c leads")
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=20), 0)
        # released at once, not after the lease duration
        wait_for(lambda: not self.holder(), 5, "the lease released")
