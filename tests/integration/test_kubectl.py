"""kubectl 1.32 (the machine's) and 1.20 (Debian's kubernetes-client) against a
real zke server: the acceptance list of the API server issue."""
import json
import os
import subprocess
import time
import unittest

from zke import KUBECTL, KUBECTL_OLD, ServerTest

MULTI_DOC = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  labels: {app: web}
data:
  mode: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: blue
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
"""

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: racks.example.zke.io
spec:
  group: example.zke.io
  scope: Cluster
  names: {plural: racks, singular: rack, kind: Rack, shortNames: [rk]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Hosts, type: integer, jsonPath: .spec.size}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        description: A named group of hosts that pods can be pinned to.
        properties:
          spec:
            type: object
            description: What the group holds.
            required: [size]
            properties:
              size: {type: integer, minimum: 0, description: How many hosts.}
              zone: {type: string, description: Where the hosts are.}
"""


class KubectlCommon:
    """Runs against both kubectl versions; OLD says which."""

    OLD = False

    def k(self, *args, **kw):
        return self.srv.kubectl(*args, old=self.OLD, **kw)

    def ns(self, name):
        name = name + ("-old" if self.OLD else "-new")
        self.k("create", "namespace", name)
        return name

    def test_cluster_info_and_version(self):
        out = self.k("cluster-info").stdout
        self.assertIn("is running at", out)
        self.assertIn(self.srv.url, out)
        v = self.k("version", "-o", "json").stdout
        doc = json.loads(v)
        self.assertEqual(doc["serverVersion"]["major"], "1")
        self.assertEqual(doc["serverVersion"]["minor"], "32")

    def test_api_resources_and_versions(self):
        out = self.k("api-resources").stdout
        for line in ("deployments", "horizontalpodautoscalers", "customresourcedefinitions",
                     "leases", "endpointslices", "poddisruptionbudgets", "clusterroles"):
            self.assertIn(line, out)
        self.assertRegex(out, r"pods\s+po\s+v1\s+true\s+Pod")
        versions = self.k("api-versions").stdout.split()
        for gv in ("v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2",
                   "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1"):
            self.assertIn(gv, versions)

    def test_explain(self):
        out = self.k("explain", "deployment.spec.strategy").stdout
        self.assertIn("rollingUpdate", out)
        self.assertIn("type", out)

    def test_create_apply_reapply(self):
        ns = self.ns("apply")
        out = self.k("apply", "-n", ns, "-f", "-", input=MULTI_DOC).stdout
        self.assertIn("configmap/app-config created", out)
        self.assertIn("deployment.apps/web created", out)
        self.assertIn("service/web created", out)
        dep = self.srv.kjson("get", "deployment", "web", "-n", ns, old=self.OLD)
        self.assertEqual(dep["spec"]["replicas"], 2)
        # defaults were applied by the server
        self.assertEqual(dep["spec"]["strategy"]["type"], "RollingUpdate")
        self.assertEqual(dep["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
                         "IfNotPresent")
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration",
                      dep["metadata"]["annotations"])
        svc = self.srv.kjson("get", "service", "web", "-n", ns, old=self.OLD)
        self.assertTrue(svc["spec"]["clusterIP"].startswith("10.43."))
        # re-apply with a change: the strategic merge lands, unchanged objects stay
        changed = MULTI_DOC.replace("value: blue", "value: green").replace("replicas: 2", "replicas: 3")
        out = self.k("apply", "-n", ns, "-f", "-", input=changed).stdout
        self.assertIn("deployment.apps/web configured", out)
        self.assertIn("configmap/app-config unchanged", out)
        dep2 = self.srv.kjson("get", "deployment", "web", "-n", ns, old=self.OLD)
        self.assertEqual(dep2["spec"]["replicas"], 3)
        env = dep2["spec"]["template"]["spec"]["containers"][0]["env"]
        self.assertEqual(env, [{"name": "MODE", "value": "green"}])
        self.assertEqual(dep2["metadata"]["generation"], dep["metadata"]["generation"] + 1)
        # create of an existing object is a conflict with AlreadyExists
        p = self.k("create", "-n", ns, "-f", "-", input=MULTI_DOC, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AlreadyExists", p.stderr)

    def test_get_output_formats(self):
        ns = self.ns("get")
        self.k("create", "configmap", "c1", "-n", ns, "--from-literal=a=1")
        self.k("label", "configmap", "c1", "-n", ns, "tier=front")
        self.k("create", "configmap", "c2", "-n", ns, "--from-literal=b=2")
        wide = self.k("get", "configmaps", "-n", ns, "-o", "wide").stdout
        self.assertRegex(wide, r"NAME\s+DATA\s+AGE")
        self.assertIn("c1", wide)
        y = self.k("get", "configmap", "c1", "-n", ns, "-o", "yaml").stdout
        self.assertIn("kind: ConfigMap", y)
        self.assertIn("a: \"1\"", y)
        j = json.loads(self.k("get", "configmap", "c1", "-n", ns, "-o", "json").stdout)
        self.assertEqual(j["data"], {"a": "1"})
        jp = self.k("get", "configmaps", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}").stdout
        # kube-root-ca.crt appears asynchronously, as in Kubernetes
        self.assertEqual([n for n in jp.split() if n != "kube-root-ca.crt"], ["c1", "c2"])
        labels = self.k("get", "configmap", "c1", "-n", ns, "--show-labels").stdout
        self.assertIn("tier=front", labels)
        sel = self.k("get", "configmaps", "-n", ns, "-l", "tier=front", "-o", "name").stdout
        self.assertEqual(sel.split(), ["configmap/c1"])
        fs = self.k("get", "configmaps", "-n", ns, "--field-selector", "metadata.name=c2",
                    "-o", "name").stdout
        self.assertEqual(fs.split(), ["configmap/c2"])
        notfound = self.k("get", "configmap", "nope", "-n", ns, check=False)
        self.assertNotEqual(notfound.returncode, 0)
        self.assertIn('configmaps "nope" not found', notfound.stderr)

    def test_describe(self):
        ns = self.ns("describe")
        self.k("create", "configmap", "d1", "-n", ns, "--from-literal=key=value")
        out = self.k("describe", "configmap", "d1", "-n", ns).stdout
        self.assertIn("Name:", out)
        self.assertIn("d1", out)
        self.assertIn("key", out)

    def test_label_annotate_patch(self):
        ns = self.ns("patch")
        self.k("apply", "-n", ns, "-f", "-", input=MULTI_DOC)
        self.k("label", "deployment", "web", "-n", ns, "team=ops")
        self.k("annotate", "deployment", "web", "-n", ns, "owner=alice")
        self.k("patch", "deployment", "web", "-n", ns, "--type=strategic",
               "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}')
        self.k("patch", "deployment", "web", "-n", ns, "--type=merge",
               "-p", '{"metadata":{"labels":{"merged":"yes"}}}')
        self.k("patch", "deployment", "web", "-n", ns, "--type=json",
               "-p", '[{"op":"add","path":"/spec/minReadySeconds","value":5}]')
        d = self.srv.kjson("get", "deployment", "web", "-n", ns, old=self.OLD)
        self.assertEqual(d["metadata"]["labels"]["team"], "ops")
        self.assertEqual(d["metadata"]["labels"]["merged"], "yes")
        self.assertEqual(d["metadata"]["annotations"]["owner"], "alice")
        c = d["spec"]["template"]["spec"]["containers"]
        self.assertEqual(len(c), 1)
        self.assertEqual(c[0]["image"], "nginx:1.26")
        self.assertEqual(c[0]["ports"][0]["containerPort"], 80)  # merged, not replaced
        self.assertEqual(d["spec"]["minReadySeconds"], 5)
        bad = self.k("patch", "deployment", "web", "-n", ns, "--type=json",
                     "-p", '[{"op":"test","path":"/spec/replicas","value":99}]', check=False)
        self.assertNotEqual(bad.returncode, 0)

    def test_scale_and_rollout_restart(self):
        ns = self.ns("scale")
        self.k("apply", "-n", ns, "-f", "-", input=MULTI_DOC)
        self.k("scale", "deployment", "web", "-n", ns, "--replicas=5")
        d = self.srv.kjson("get", "deployment", "web", "-n", ns, old=self.OLD)
        self.assertEqual(d["spec"]["replicas"], 5)
        self.k("rollout", "restart", "deployment", "web", "-n", ns)
        d = self.srv.kjson("get", "deployment", "web", "-n", ns, old=self.OLD)
        ann = d["spec"]["template"]["metadata"].get("annotations", {})
        self.assertIn("kubectl.kubernetes.io/restartedAt", ann)

    def test_delete_cascade(self):
        ns = self.ns("cascade")
        self.k("create", "configmap", "owner", "-n", ns)
        owner = self.srv.kjson("get", "configmap", "owner", "-n", ns, old=self.OLD)
        dep = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "dependent", "ownerReferences": [
                   {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                    "uid": owner["metadata"]["uid"]}]}}
        self.k("create", "-n", ns, "-f", "-", input=json.dumps(dep))
        orphan_flag = "--cascade=false" if self.OLD else "--cascade=orphan"
        self.k("delete", "configmap", "owner", "-n", ns, orphan_flag)
        d = self.srv.kjson("get", "configmap", "dependent", "-n", ns, old=self.OLD)
        self.assertNotIn("ownerReferences", d["metadata"])
        # background cascade removes dependents
        self.k("create", "configmap", "owner2", "-n", ns)
        owner = self.srv.kjson("get", "configmap", "owner2", "-n", ns, old=self.OLD)
        dep["metadata"]["name"] = "dependent2"
        dep["metadata"]["ownerReferences"][0].update(name="owner2", uid=owner["metadata"]["uid"])
        self.k("create", "-n", ns, "-f", "-", input=json.dumps(dep))
        self.k("delete", "configmap", "owner2", "-n", ns)
        gone = self.k("get", "configmap", "dependent2", "-n", ns, check=False)
        self.assertIn("not found", gone.stderr)
        if not self.OLD:
            self.k("create", "configmap", "owner3", "-n", ns)
            self.k("delete", "configmap", "owner3", "-n", ns, "--cascade=foreground")
            self.assertIn("not found",
                          self.k("get", "configmap", "owner3", "-n", ns, check=False).stderr)

    def test_watch_sees_other_client(self):
        ns = self.ns("watch")
        args = ["get", "configmaps", "-n", ns, "-w", "--request-timeout=20s"]
        env = dict(os.environ, KUBECONFIG=self.srv.kubeconfig, HOME=self.srv.dir)
        proc = subprocess.Popen([KUBECTL_OLD if self.OLD else KUBECTL] + args,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            time.sleep(2)
            self.k("create", "configmap", "watched", "-n", ns)
            deadline = time.time() + 20
            seen = ""
            os.set_blocking(proc.stdout.fileno(), False)
            while time.time() < deadline and "watched" not in seen:
                chunk = proc.stdout.read()
                if chunk:
                    seen += chunk
                time.sleep(0.2)
            self.assertIn("watched", seen)
        finally:
            proc.kill()
            proc.wait(timeout=10)

    def test_get_events(self):
        ev = {"apiVersion": "v1", "kind": "Event",
              "metadata": {"name": "web.%s" % ("old" if self.OLD else "new"), "namespace": "default"},
              "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
              "reason": "Testing", "message": "an event for kubectl", "type": "Normal",
              "count": 1}
        self.k("create", "-f", "-", input=json.dumps(ev))
        out = self.k("get", "events", "-n", "default").stdout
        self.assertIn("Testing", out)
        self.assertIn("an event for kubectl", out)


    def test_crd(self):
        # a CRD of the test's own (zke's own zke.io CRDs are installed already)
        name = "racks.example.zke.io"
        p = self.k("apply", "-f", "-", input=CRD)
        self.assertIn(name, p.stdout)
        ok = False
        for _ in range(50):
            if self.k("get", "racks", check=False).returncode == 0:
                ok = True
                break
            time.sleep(0.2)
        self.assertTrue(ok, "the custom resource was never served")
        hg = "apiVersion: example.zke.io/v1\nkind: Rack\nmetadata:\n  name: gpu-%s\nspec:\n  size: 3\n  zone: hz\n" % (
            "old" if self.OLD else "new")
        self.k("apply", "-f", "-", input=hg)
        out = self.k("get", "racks").stdout
        self.assertRegex(out, r"NAME\s+HOSTS\s+AGE")
        self.assertRegex(out, r"gpu-\w+\s+3\s+")
        bad = hg.replace("size: 3", "size: -1").replace("gpu-", "bad-")
        p = self.k("apply", "-f", "-", input=bad, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.size", p.stderr)
        out = self.k("explain", "rack.spec").stdout
        self.assertIn("size", out)
        self.assertIn("How many hosts", out)


class Kubectl132Test(KubectlCommon, ServerTest):
    OLD = False

    def test_create_token(self):
        out = self.k("create", "token", "default", "-n", "default").stdout.strip()
        self.assertEqual(out.count("."), 2)
        # the token authenticates as the service account
        code, body = self.srv.curl("/apis/authentication.k8s.io/v1/selfsubjectreviews", method="POST",
                                   data=b'{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}',
                                   headers=["Content-Type: application/json"], token=out)
        self.assertEqual(code, 201, body)
        self.assertEqual(json.loads(body)["status"]["userInfo"]["username"],
                         "system:serviceaccount:default:default")


@unittest.skipUnless(os.path.exists(KUBECTL_OLD), "kubectl 1.20 is installed by scripts/deps.sh")
class Kubectl120Test(KubectlCommon, ServerTest):
    OLD = True


if __name__ == "__main__":
    unittest.main()
