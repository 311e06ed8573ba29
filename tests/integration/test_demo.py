"""`make run`'s own steps (scripts/run.sh) in a temporary data dir: the
server with its agent comes up, the parcel demo's three services answer a
scan through the chain by Service name, the statistics change, and Ctrl-C
leaves no container, mount, veth, bridge, nft table or masquerade rule. A
second run on the same data dir serves again.

The demo's node ports (30080, 30081) are fixed by examples/parcel/parcel.yaml;
traffic goes to 127.0.0.1 only."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from zke import ROOT, ZKE, free_port, wait_for

# node agents here: bridges, host rules, node ports (run.py runs these one at a time)
USES_HOST_NETWORK = True


def have_runtime():
    return (os.geteuid() == 0 and shutil.which("runc") is not None
            and os.path.exists("/usr/lib/cni/bridge") and shutil.which("nft") is not None
            and shutil.which("cc") is not None)


def curl(*args):
    p = subprocess.run(["curl", "-sS", "--max-time", "10"] + list(args), capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout


@unittest.skipUnless(have_runtime(), "needs root, runc, the CNI plugins, nft and cc "
                                     "(CI runs as root with scripts/deps.sh)")
class DemoTest(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="zke-demo-")
        self.port = free_port()
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if os.path.isdir(os.path.join(self.data, "agent")):
            subprocess.run([ZKE, "node-cleanup", "--data-dir", self.data], capture_output=True)
        shutil.rmtree(self.data, ignore_errors=True)

    def start(self):
        env = dict(os.environ, DATA=self.data, PORT=str(self.port),
                   BUILD=os.path.dirname(os.path.abspath(ZKE)))
        self.out = open(os.path.join(self.data, "run.out"), "w")
        self.proc = subprocess.Popen(["bash", os.path.join(ROOT, "scripts", "run.sh")], env=env,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=ROOT)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("run.sh exited %d:\n%s" % (self.proc.returncode, self.output()))
            return "run: ready" in self.output()
        wait_for(ready, 240, "make run's demo to be ready")

    def output(self):
        with open(os.path.join(self.data, "run.out")) as f:
            return f.read()

    def stop(self):
        """Ctrl-C: SIGINT to the whole foreground group, as a terminal sends it."""
        os.killpg(self.proc.pid, signal.SIGINT)
        self.assertEqual(self.proc.wait(timeout=120), 0, self.output())
        self.out.close()

    def stats(self):
        rc, out = curl("http://127.0.0.1:30081/stats")
        self.assertEqual(rc, 0, out)
        return json.loads(out)

    def assert_clean(self, net):
        runc = subprocess.run(["runc", "--root", os.path.join(self.data, "agent", "runc"), "list",
                               "-q"], capture_output=True, text=True)
        self.assertEqual(runc.stdout.split(), [], "containers left")
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f if self.data in line.split()[4]]
        self.assertEqual(mounts, [], "mounts left")
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        self.assertNotIn(net["bridge"], links, "bridge left")
        self.assertNotIn("master " + net["bridge"], links, "veths left")
        tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
        self.assertNotIn(net["table"], tables, "nft table left")
        nat = subprocess.run(["iptables", "-w", "5", "-t", "nat", "-S", "POSTROUTING"],
                             capture_output=True, text=True).stdout
        self.assertNotIn("-s %s " % net["podCIDR"], nat, "masquerade rule left")

    def test_make_run_demo_chain_and_clean_stop(self):
        self.start()
        out = self.output()
        self.assertIn("kubectl get pods -A", out)
        self.assertIn(os.path.join(self.data, "kubeconfig.yaml"), out)
        self.assertIn("curl -X POST 'http://127.0.0.1:30080/scan?parcel=", out)
        with open(os.path.join(self.data, "agent", "network.json")) as f:
            net = json.load(f)
        before = self.stats()
        # scans through scan -> sorting -> stats, each found by Service name
        for i in range(8):
            rc, body = curl("-X", "POST", "http://127.0.0.1:30080/scan?parcel=SF%04d&site=hz" % i)
            self.assertEqual(rc, 0, body)
            lines = body.splitlines()
            self.assertTrue(lines[0].startswith("scan: parcel SF%04d at hz (by scan-" % i), body)
            self.assertTrue(lines[1].startswith("sorting: parcel SF%04d to route " % i), body)
            self.assertTrue(lines[2].startswith("stats: route "), body)
        after = self.stats()
        self.assertEqual(after["scanned"], before["scanned"] + 8)
        self.assertEqual(sum(after["routes"].values()), sum(before["routes"].values()) + 8)
        # the pods run as real containers the agent started
        kc = os.path.join(self.data, "kubeconfig.yaml")
        pods = json.loads(subprocess.run(["kubectl", "--kubeconfig", kc, "-n", "demo", "get",
                                          "pods", "-o", "json"], capture_output=True, text=True,
                                         check=True).stdout)["items"]
        self.assertEqual(len(pods), 5)
        self.stop()
        self.assertIn("run: stopped", self.output())
        self.assert_clean(net)
        # again on the same data dir: the cluster and the demo come back
        self.start()
        ns = json.loads(subprocess.run(
            ["kubectl", "--kubeconfig", kc, "get", "namespace", "demo", "-o", "json"],
            capture_output=True, text=True, check=True).stdout)
        self.assertEqual(ns["status"]["phase"], "Active")
        rc, body = curl("-X", "POST", "http://127.0.0.1:30080/scan?parcel=SF9999&site=hz")
        self.assertEqual(rc, 0, body)
        self.assertEqual(self.stats()["scanned"], 1)   # the statistics centre started afresh
        self.stop()
        self.assert_clean(net)


if __name__ == "__main__":
    unittest.main()
