"""LimitRanger and ResourceQuota through kubectl against a real zke server:
defaults land on pods, bounds and quotas refuse with Kubernetes' 403
messages, and quota status follows creates and deletes."""
import json
import os
import subprocess
import time

from zke import ServerTest

LIMITS = """
apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: lr}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 200m, memory: 128Mi}
    min: {cpu: 100m}
    max: {memory: 1Gi}
"""

SMALL_POD = """
apiVersion: v1
kind: Pod
metadata: {name: small, namespace: lr}
spec:
  containers:
  - name: c
    image: nginx
    resources:
      requests: {cpu: 50m}
      limits: {memory: 2Gi}
"""


def pod_yaml(name, ns, cpu=None):
    res = ""
    if cpu:
        res = "    resources:\n      requests: {cpu: %s}\n" % cpu
    return ("apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s}\n"
            "spec:\n  containers:\n  - name: c\n    image: nginx\n%s" % (name, ns, res))


class AdmissionTest(ServerTest):

    @classmethod
    def prepare(cls):
        for ns in ("lr", "quota", "cpu", "race", "svc"):
            cls.srv.kubectl("create", "namespace", ns)

    def create(self, text, check=False):
        return self.srv.kubectl("create", "-f", "-", input=text, check=check)

    def used(self, ns, name):
        q = self.srv.kjson("get", "quota", name, "-n", ns)
        return q.get("status", {}).get("used", {})

    def wait_used(self, ns, name, resource, want):
        """Poll the quota's status.used[resource] until it is want (bounded)."""
        deadline = time.time() + 10
        got = None
        while time.time() < deadline:
            got = self.used(ns, name).get(resource)
            if got == want:
                return
            time.sleep(0.1)
        self.fail("quota %s/%s used[%s] = %r, want %r" % (ns, name, resource, got, want))

    def describe_used(self, ns, name):
        """Resource -> (used, hard) from `kubectl describe quota`."""
        out = self.srv.kubectl("describe", "quota", name, "-n", ns).stdout
        rows = {}
        lines = out.splitlines()
        start = next(i for i, l in enumerate(lines) if l.startswith("--------"))
        for line in lines[start + 1:]:
            parts = line.split()
            if len(parts) == 3:
                rows[parts[0]] = (parts[1], parts[2])
        return rows

    # ---- LimitRanger ----

    def test_limitrange_defaults_and_minimum(self):
        self.srv.kubectl("apply", "-f", "-", input=LIMITS)
        self.srv.kubectl("run", "plain", "-n", "lr", "--image=nginx")
        pod = self.srv.kjson("get", "pod", "plain", "-n", "lr")
        res = pod["spec"]["containers"][0]["resources"]
        self.assertEqual(res["limits"], {"cpu": "500m", "memory": "256Mi"})
        self.assertEqual(res["requests"], {"cpu": "200m", "memory": "128Mi"})
        self.assertEqual(pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
                         "LimitRanger plugin set: cpu, memory request for container plain; "
                         "cpu, memory limit for container plain")
        # the QoS class is computed from the defaulted resources
        self.assertEqual(pod["status"]["qosClass"], "Burstable")

        p = self.create(SMALL_POD)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Error from server (Forbidden): error when creating "STDIN": pods "small" '
                      'is forbidden: [minimum cpu usage per Container is 100m, but request is '
                      '50m, maximum memory usage per Container is 1Gi, but limit is 2Gi]',
                      p.stderr)
        self.assertNotIn("small", self.srv.kubectl("get", "pods", "-n", "lr", "-o", "name").stdout)

        # the same refusal as a Status, over plain HTTP
        code, body = self.srv.curl("/api/v1/namespaces/lr/pods", method="POST",
                                   data=json.dumps({"apiVersion": "v1", "kind": "Pod",
                                                    "metadata": {"name": "small2"},
                                                    "spec": {"containers": [{
                                                        "name": "c", "image": "nginx",
                                                        "resources": {"requests": {"cpu": "10m"}}
                                                    }]}}).encode(),
                                   headers=["Content-Type: application/json"])
        st = json.loads(body)
        self.assertEqual(code, 403)
        self.assertEqual(st["reason"], "Forbidden")
        self.assertEqual(st["message"], 'pods "small2" is forbidden: minimum cpu usage per '
                                        'Container is 100m, but request is 10m')
        self.assertEqual(st["details"], {"name": "small2", "kind": "pods"})

    # ---- ResourceQuota ----

    def test_pod_count_quota(self):
        self.srv.kubectl("create", "quota", "two-pods", "-n", "quota", "--hard=pods=2")
        self.wait_used("quota", "two-pods", "pods", "0")
        self.create(pod_yaml("p1", "quota"), check=True)
        self.create(pod_yaml("p2", "quota"), check=True)
        p = self.create(pod_yaml("p3", "quota"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Error from server (Forbidden): error when creating "STDIN": pods "p3" is '
                      'forbidden: exceeded quota: two-pods, requested: pods=1, used: pods=2, '
                      'limited: pods=2', p.stderr)
        self.wait_used("quota", "two-pods", "pods", "2")
        self.assertEqual(self.describe_used("quota", "two-pods")["pods"], ("2", "2"))
        q = self.srv.kjson("get", "quota", "two-pods", "-n", "quota")
        self.assertEqual(q["status"]["hard"], {"pods": "2"})

        # a delete frees the slot, and status follows
        self.srv.kubectl("delete", "pod", "p1", "-n", "quota", "--wait=false")
        self.wait_used("quota", "two-pods", "pods", "1")
        self.assertEqual(self.describe_used("quota", "two-pods")["pods"], ("1", "2"))
        self.create(pod_yaml("p3", "quota"), check=True)
        self.wait_used("quota", "two-pods", "pods", "2")

        # a finished pod no longer counts
        self.srv.kubectl("patch", "pod", "p2", "-n", "quota", "--subresource=status",
                         "--type=merge", "-p", '{"status":{"phase":"Succeeded"}}')
        self.wait_used("quota", "two-pods", "pods", "1")
        self.create(pod_yaml("p4", "quota"), check=True)
        self.wait_used("quota", "two-pods", "pods", "2")

    def test_cpu_quota(self):
        self.srv.kubectl("create", "quota", "cpu", "-n", "cpu", "--hard=requests.cpu=1,pods=10")
        self.wait_used("cpu", "cpu", "requests.cpu", "0")
        self.create(pod_yaml("a", "cpu", "300m"), check=True)
        self.create(pod_yaml("b", "cpu", "300m"), check=True)
        self.wait_used("cpu", "cpu", "requests.cpu", "600m")
        self.assertEqual(self.describe_used("cpu", "cpu")["requests.cpu"], ("600m", "1"))
        p = self.create(pod_yaml("c", "cpu", "500m"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('pods "c" is forbidden: exceeded quota: cpu, requested: '
                      'requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1',
                      p.stderr)
        # a compute quota wants every container to say what it requests
        p = self.create(pod_yaml("none", "cpu"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('pods "none" is forbidden: failed quota: cpu: must specify requests.cpu '
                      'for: c', p.stderr)
        self.create(pod_yaml("d", "cpu", "400m"), check=True)
        self.wait_used("cpu", "cpu", "requests.cpu", "1")
        self.assertEqual(self.used("cpu", "cpu")["pods"], "3")

    def test_service_update_is_charged(self):
        """An update that grows usage is checked too: a Service turned NodePort."""
        self.srv.kubectl("create", "quota", "np", "-n", "svc", "--hard=services.nodeports=1")
        self.wait_used("svc", "np", "services.nodeports", "0")
        self.srv.kubectl("create", "service", "clusterip", "web", "-n", "svc",
                         "--tcp=80:80", "--tcp=443:443")
        p = self.srv.kubectl("patch", "service", "web", "-n", "svc", "--type=merge",
                             "-p", '{"spec":{"type":"NodePort"}}', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('services "web" is forbidden: exceeded quota: np, requested: '
                      'services.nodeports=2, used: services.nodeports=0, limited: '
                      'services.nodeports=1', p.stderr)
        svc = self.srv.kjson("get", "service", "web", "-n", "svc")
        self.assertEqual(svc["spec"]["type"], "ClusterIP")
        self.assertEqual(self.used("svc", "np")["services.nodeports"], "0")

    def test_concurrent_creates_count_each_other(self):
        """Creates that arrive together: each one admitted counts for the next,
        durable or not, so exactly the quota's worth get in."""
        self.srv.kubectl("create", "quota", "cms", "-n", "race", "--hard=count/configmaps=4")
        # the namespace's kube-root-ca.crt takes one
        self.wait_used("race", "cms", "count/configmaps", "1")
        # one curl, eight POSTs multiplexed on one HTTP/2 connection: they
        # reach the server together, before any of them is durable
        pki = os.path.join(self.srv.dir, "pki")
        cmd = ["curl", "-sS", "--max-time", "30", "-Z"]
        for i in range(8):
            if i:
                cmd.append("--next")
            cmd += ["--http2", "--cacert", os.path.join(pki, "ca.crt"),
                    "--cert", os.path.join(pki, "admin.crt"),
                    "--key", os.path.join(pki, "admin.key"),
                    "-H", "Content-Type: application/json",
                    "--data-binary", json.dumps({"metadata": {"name": "cm%d" % i}}),
                    "-o", "/dev/null", "-w", "%{http_code}\n",
                    self.srv.url + "/api/v1/namespaces/race/configmaps"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        results = [int(x) for x in p.stdout.split()]
        self.assertEqual(sorted(results), [201] * 3 + [403] * 5)
        self.wait_used("race", "cms", "count/configmaps", "4")
