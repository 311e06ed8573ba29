"""Admission webhooks both ways.

- `zke webhook` serves zke's policies; a zke server whose own copy of them
  is off (--disable-admission-plugins ZkePolicies) calls it through a
  MutatingWebhookConfiguration and a ValidatingWebhookConfiguration, over
  HTTPS with the caBundle: the same mutations and refusals as in-process.
- zke server calling webhooks as kube-apiserver does: rules, selectors,
  order, reinvocation, failurePolicy, timeoutSeconds, warnings, refusals,
  dry run. A small HTTPS webhook written here stands in for a user's own
  webhook (there is no third-party webhook program on this machine): it
  speaks AdmissionReview v1 over TLS like any other.
Everything listens on 127.0.0.1."""
import base64
import http.server
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from zke import ZKE, Server, free_port, wait_for

WAIT = 60


def make_certs(d):
    """A CA and a serving certificate for 127.0.0.1 (openssl); returns the
    paths of ca.crt, tls.crt, tls.key."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=zke test webhook CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tls.crt", "-days", "2", "-extfile", "san.ext")
    os.chmod(os.path.join(d, "tls.key"), 0o600)
    return [os.path.join(d, n) for n in ("ca.crt", "tls.crt", "tls.key")]


def ca_bundle(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def hook(name, url, ca, rules, **extra):
    h = {"name": name, "clientConfig": {"url": url, "caBundle": ca}, "rules": rules,
         "sideEffects": "None", "admissionReviewVersions": ["v1"], "failurePolicy": "Fail",
         "timeoutSeconds": 5}
    h.update(extra)
    return h


def rule(resources, ops=("CREATE",), groups=("",)):
    return {"operations": list(ops), "apiGroups": list(groups), "apiVersions": ["*"],
            "resources": list(resources)}


class PeerHook:
    """The stand-in user webhook: POST /label (adds a label and a warning),
    /deny, /slow (3 s), /garbage, /count/<name> (changes nothing, counts)."""

    def __init__(self, cert, key):
        self.calls = {}
        peer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                review = json.loads(self.rfile.read(n))
                req = review["request"]
                peer.calls[self.path] = peer.calls.get(self.path, 0) + 1
                resp = {"uid": req["uid"], "allowed": True}
                if self.path == "/label":
                    labels = req["object"]["metadata"].get("labels") or {}
                    op = "add" if "labels" not in req["object"]["metadata"] else None
                    ops = ([{"op": "add", "path": "/metadata/labels", "value": {"added": "by-hook"}}]
                           if op else [{"op": "add", "path": "/metadata/labels/added",
                                        "value": "by-hook"}])
                    if labels.get("added") != "by-hook":
                        resp["patchType"] = "JSONPatch"
                        resp["patch"] = base64.b64encode(json.dumps(ops).encode()).decode()
                    resp["warnings"] = ["label added by hook"]
                elif self.path == "/deny":
                    resp = {"uid": req["uid"], "allowed": False,
                            "status": {"code": 403, "reason": "Forbidden", "message": "no secrets here"}}
                elif self.path == "/slow":
                    time.sleep(3)
                elif self.path == "/garbage":
                    body = b"this is no review"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                   "response": resp}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Quiet(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass   # /slow answers after the caller gave up: expected

        self.port = free_port()
        self.httpd = Quiet(("127.0.0.1", self.port), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "https://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhooksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="zke-wh-")
        cls.ca, cls.cert, cls.key = make_certs(cls.tmp)
        cls.bundle = ca_bundle(cls.ca)
        cls.srv = Server(["--disable-admission-plugins", "ZkePolicies"]).start()
        cls.wh = None
        cls.peer = None
        try:
            cls.wh_port = free_port()
            cls.wh_log = open(os.path.join(cls.tmp, "webhook.log"), "wb")
            cls.wh = subprocess.Popen(
                [ZKE, "webhook", "--kubeconfig", cls.srv.kubeconfig, "--tls-cert", cls.cert,
                 "--tls-key", cls.key, "--bind-address", "127.0.0.1", "--port", str(cls.wh_port)],
                stdout=cls.wh_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            wait_for(lambda: cls.curl("/healthz") == "ok", WAIT, "zke webhook to be healthy")
            cls.peer = PeerHook(cls.cert, cls.key)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.peer:
            cls.peer.stop()
        if cls.wh and cls.wh.poll() is None:
            cls.wh.terminate()
            cls.wh.wait(timeout=30)
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def curl(cls, path):
        p = subprocess.run(["curl", "-sS", "--max-time", "5", "--cacert", cls.ca,
                            "https://127.0.0.1:%d%s" % (cls.wh_port, path)],
                           capture_output=True, text=True)
        return p.stdout.strip()

    def apply(self, doc, check=True, *args):
        return self.srv.kubectl("apply", *args, "-f", "-", input=json.dumps(doc), check=check)

    def config(self, kind, name, hooks):
        self.apply({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
                    "metadata": {"name": name}, "webhooks": hooks})

    # ---- zke webhook, called by zke server ----

    def test_zke_webhook_applies_the_policies_through_zke_server(self):
        sel = {"matchLabels": {"zke-webhook": "on"}}
        self.config("MutatingWebhookConfiguration", "zke-policies", [
            hook("mutate.zke.io", "https://127.0.0.1:%d/mutate" % self.wh_port, self.bundle,
                 [rule(["pods"])], namespaceSelector=sel, reinvocationPolicy="IfNeeded")])
        self.config("ValidatingWebhookConfiguration", "zke-policies", [
            hook("validate.zke.io", "https://127.0.0.1:%d/validate" % self.wh_port, self.bundle,
                 [rule(["deployments", "statefulsets", "daemonsets", "replicasets"],
                       ("CREATE", "UPDATE"), ("apps",)),
                  rule(["overcommitpolicies"], ("CREATE", "UPDATE"), ("zke.io",))])])
        self.apply({"apiVersion": "zke.io/v1alpha1", "kind": "OvercommitPolicy",
                    "metadata": {"name": "default"}, "spec": {}})
        wait_for(lambda: self.srv.kjson("get", "ocp")["items"], WAIT, "the policy")
        for ns, labels in (("viahook", {"zke-webhook": "on"}), ("nohook", {})):
            self.apply({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": ns, "labels": labels}})
            self.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": "web", "namespace": ns},
                        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                                     "containers": [{"name": "web", "image": "x",
                                                     "resources": {"limits": {"cpu": "2",
                                                                              "memory": "3Gi"}}}]}}}})

        def pod(ns):
            items = self.srv.kjson("get", "pods", "-n", ns)["items"]
            return items[0] if items else None
        p = wait_for(lambda: pod("viahook"), WAIT, "the pod made through the webhook")
        self.assertEqual(p["spec"]["containers"][0]["resources"]["requests"],
                         {"cpu": "200m", "memory": "2Gi"})
        self.assertIn("OvercommitPolicy default", p["metadata"]["annotations"]["policy.zke.io/overcommit"])
        # the server's own copy is off: without the webhook, requests are the limits
        q = wait_for(lambda: pod("nohook"), WAIT, "the pod without the webhook")
        self.assertEqual(q["spec"]["containers"][0]["resources"]["requests"],
                         {"cpu": "2", "memory": "3Gi"})
        # refusals come back as kube-apiserver words them
        r = self.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": "lost", "namespace": "viahook"},
                        "spec": {"selector": {"matchLabels": {"app": "lost"}}, "template": {
                            "metadata": {"labels": {"app": "lost"},
                                         "annotations": {"scheduling.zke.io/host-group": "nope"}},
                            "spec": {"containers": [{"name": "c", "image": "x"}]}}}}, False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('admission webhook "validate.zke.io" denied the request: '
                      'scheduling.zke.io/host-group: there is no host group "nope"', r.stderr)
        r = self.apply({"apiVersion": "zke.io/v1alpha1", "kind": "OvercommitPolicy",
                        "metadata": {"name": "zero"}, "spec": {"cpuRatio": 0.0000001}}, False)
        self.assertEqual(r.returncode, 0, r.stderr)   # > 0 is allowed, however small
        self.srv.kubectl("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration",
                         "zke-policies")

    def test_deploy_manifests_and_a_service_reference(self):
        """deploy/crds and deploy/webhook go into a cluster as they are, and
        certs.sh makes the certificate and fills in the caBundle. The
        registrations name the Service zke-system/zke-webhook; with no pod
        behind it, pod creation fails closed with a clear message; with an
        endpoint (here: a zke webhook on this machine, given the certificate
        certs.sh made for zke-webhook.zke-system.svc) the pods get the
        policies through the Service reference."""
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        self.srv.kubectl("apply", "-f", os.path.join(root, "deploy", "crds"))
        self.srv.kubectl("apply", "-f", os.path.join(root, "deploy", "webhook"))
        env = dict(os.environ, KUBECONFIG=self.srv.kubeconfig)
        p = subprocess.run(["bash", os.path.join(root, "deploy", "webhook", "certs.sh")],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        cfg = self.srv.kjson("get", "mutatingwebhookconfiguration", "zke-policies")
        self.assertTrue(cfg["webhooks"][0]["clientConfig"]["caBundle"])
        sec = self.srv.kjson("get", "secret", "-n", "zke-system", "zke-webhook-tls")
        d = tempfile.mkdtemp(prefix="zke-wh-svc-", dir=self.tmp)
        for k in ("tls.crt", "tls.key"):
            with open(os.path.join(d, k), "wb") as f:
                f.write(base64.b64decode(sec["data"][k]))
        os.chmod(os.path.join(d, "tls.key"), 0o600)
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "viasvc"}})
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "viasvc"},
               "spec": {"containers": [{"name": "c", "image": "x",
                                        "resources": {"limits": {"cpu": "1"}}}]}}
        proc = None
        try:
            r = self.apply(pod, False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('failed calling webhook "mutate.policies.zke.io": failed to call webhook: '
                          'service "zke-system/zke-webhook" has no ready endpoint for port 443',
                          r.stderr)
            port = free_port()
            proc = subprocess.Popen(
                [ZKE, "webhook", "--kubeconfig", self.srv.kubeconfig, "--tls-cert",
                 os.path.join(d, "tls.crt"), "--tls-key", os.path.join(d, "tls.key"),
                 "--bind-address", "127.0.0.1", "--port", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            # the Service's endpoint: that process (a slice of our own, as a
            # controller outside the cluster would keep it)
            self.apply({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                        "metadata": {"name": "zke-webhook-local", "namespace": "zke-system",
                                     "labels": {"kubernetes.io/service-name": "zke-webhook",
                                                "endpointslice.kubernetes.io/managed-by": "test"}},
                        "addressType": "IPv4",
                        "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}],
                        "ports": [{"name": "https", "port": port, "protocol": "TCP"}]})
            self.apply({"apiVersion": "zke.io/v1alpha1", "kind": "OvercommitPolicy",
                        "metadata": {"name": "default"}, "spec": {}})

            def created():
                return self.apply(pod, False).returncode == 0
            wait_for(created, WAIT, "the pod through the Service reference")
            got = self.srv.kjson("get", "pod", "-n", "viasvc", "p1")
            self.assertEqual(got["spec"]["containers"][0]["resources"]["requests"], {"cpu": "100m"})
        finally:
            if proc:
                proc.terminate()
                proc.wait(timeout=30)
            self.srv.kubectl("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration",
                             "zke-policies", check=False)

    # ---- zke server calling webhooks ----

    def test_patch_warning_selectors_and_order(self):
        self.config("MutatingWebhookConfiguration", "b-label", [
            hook("label.test.zke.io", self.peer.url("/label"), self.bundle, [rule(["configmaps"])],
                 objectSelector={"matchLabels": {"hook": "yes"}}, reinvocationPolicy="IfNeeded")])
        # runs first (by configuration name), and again once /label changed the object
        self.config("MutatingWebhookConfiguration", "a-count", [
            hook("count.test.zke.io", self.peer.url("/count/a"), self.bundle,
                 [rule(["configmaps"])], objectSelector={"matchLabels": {"hook": "yes"}},
                 reinvocationPolicy="IfNeeded")])
        try:
            p = self.srv.kubectl("create", "configmap", "touched", "--dry-run=client", "-o", "json")
            cm = json.loads(p.stdout)
            cm["metadata"]["labels"] = {"hook": "yes"}
            r = self.srv.kubectl("create", "-f", "-", input=json.dumps(cm))
            self.assertIn("Warning: label added by hook", r.stderr)
            got = self.srv.kjson("get", "configmap", "touched")
            self.assertEqual(got["metadata"]["labels"], {"hook": "yes", "added": "by-hook"})
            self.assertEqual(self.peer.calls.get("/count/a"), 2)   # reinvoked once
            # /label changed the object itself, and nothing after it did: once
            self.assertEqual(self.peer.calls.get("/label"), 1)
            # not selected: left alone, and nobody called
            before = dict(self.peer.calls)
            self.srv.kubectl("create", "configmap", "plain")
            self.assertNotIn("labels", self.srv.kjson("get", "configmap", "plain")["metadata"])
            self.assertEqual(self.peer.calls, before)
        finally:
            self.srv.kubectl("delete", "mutatingwebhookconfiguration", "a-count", "b-label")

    def test_refusal_failure_policy_and_timeout(self):
        self.config("ValidatingWebhookConfiguration", "deny-secrets", [
            hook("deny.test.zke.io", self.peer.url("/deny"), self.bundle, [rule(["secrets"])])])
        self.config("MutatingWebhookConfiguration", "slow", [
            hook("slow.test.zke.io", self.peer.url("/slow"), self.bundle, [rule(["services"])],
                 timeoutSeconds=1),
            hook("garbage.test.zke.io", self.peer.url("/garbage"), self.bundle,
                 [rule(["serviceaccounts"])], failurePolicy="Ignore")])
        try:
            r = self.srv.kubectl("create", "secret", "generic", "s1", "--from-literal=a=b", check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('admission webhook "deny.test.zke.io" denied the request: no secrets here',
                          r.stderr)
            r = self.srv.kubectl("create", "-f", "-", check=False, input=json.dumps(
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s2"}}))
            self.assertIn("Error from server (Forbidden)", r.stderr)   # the webhook's code
            # too slow under failurePolicy Fail: the write fails, bounded by timeoutSeconds
            t0 = time.time()
            r = self.srv.kubectl("create", "service", "clusterip", "slowsvc", "--tcp=80:80",
                                 check=False)
            self.assertLess(time.time() - t0, 30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('failed calling webhook "slow.test.zke.io"', r.stderr)
            self.assertEqual(self.srv.kubectl("get", "svc", "slowsvc", check=False).returncode, 1)
            # nonsense under Ignore: the write goes on
            self.srv.kubectl("create", "serviceaccount", "fine")
            self.srv.kubectl("get", "serviceaccount", "fine")
            # a webhook with side effects refuses dry run
            self.config("ValidatingWebhookConfiguration", "effects", [
                hook("effects.test.zke.io", self.peer.url("/count/e"), self.bundle,
                     [rule(["configmaps"])], sideEffects="Some")])
            r = self.srv.kubectl("create", "configmap", "dry", "--dry-run=server", check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('admission webhook "effects.test.zke.io" does not support dry run', r.stderr)
        finally:
            self.srv.kubectl("delete", "validatingwebhookconfiguration,mutatingwebhookconfiguration",
                             "deny-secrets", "slow", "effects", check=False)


if __name__ == "__main__":
    unittest.main()
