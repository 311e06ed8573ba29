"""Authentication and authorization: anonymous 401, RBAC for a restricted
user, `kubectl auth can-i` (directly and through --as impersonation)."""
import os
import shutil
import tempfile
import unittest

from zke import KUBECTL_OLD, Server

ROLE = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-reader, namespace: team-a}
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads, namespace: team-a}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
roleRef: {kind: Role, name: cm-reader, apiGroup: rbac.authorization.k8s.io}
"""


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tokdir = tempfile.mkdtemp(prefix="zke-tok-")
        cls.tokfile = os.path.join(cls.tokdir, "tokens.csv")
        with open(cls.tokfile, "w") as f:
            f.write('alice-token,alice,1001,"developers"\n')
            f.write("bob-token,bob,1002\n")
        os.chmod(cls.tokfile, 0o600)
        cls.srv = Server(["--token-auth-file", cls.tokfile]).start()
        try:
            cls._prepare()
        except BaseException:
            # tearDownClass does not run when setUpClass fails: stop it here
            cls.srv.cleanup()
            shutil.rmtree(cls.tokdir, ignore_errors=True)
            raise

    @classmethod
    def _prepare(cls):
        cls.srv.kubectl("create", "namespace", "team-a")
        cls.srv.kubectl("apply", "-f", "-", input=ROLE)
        # a kubeconfig for alice, with her token
        cls.alice_kc = os.path.join(cls.tokdir, "alice.yaml")
        with open(cls.alice_kc, "w") as f:
            f.write("""apiVersion: v1
kind: Config
clusters:
- name: zke
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: alice
  user: {token: alice-token}
contexts:
- name: alice
  context: {cluster: zke, user: alice}
current-context: alice
""" % (cls.srv.url, os.path.join(cls.srv.dir, "pki", "ca.crt")))

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        shutil.rmtree(cls.tokdir, ignore_errors=True)

    def test_anonymous_is_401(self):
        code, body = self.srv.curl("/api/v1/namespaces", cert=False)
        self.assertEqual(code, 401)
        self.assertIn(b'"reason":"Unauthorized"', body)
        code, _ = self.srv.curl("/api/v1/namespaces", token="not-a-token")
        self.assertEqual(code, 401)
        # health stays public, as kube-apiserver's public-info-viewer allows
        code, body = self.srv.curl("/healthz", cert=False)
        self.assertEqual((code, body), (200, b"ok"))

    def test_restricted_user(self):
        k = lambda *a, **kw: self.srv.kubectl(*a, kubeconfig=self.alice_kc, **kw)
        self.srv.kubectl("create", "configmap", "visible", "-n", "team-a")
        self.assertIn("visible", k("get", "configmaps", "-n", "team-a").stdout)
        p = k("get", "secrets", "-n", "team-a", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('User "alice" cannot list resource "secrets"', p.stderr)
        p = k("get", "configmaps", "-n", "default", check=False)
        self.assertIn("forbidden", p.stderr)
        p = k("create", "configmap", "nope", "-n", "team-a", check=False)
        self.assertIn("forbidden", p.stderr)

    def _can_i(self, *args, old=False):
        p = self.srv.kubectl("auth", "can-i", *args, old=old, check=False)
        return p.stdout.strip()

    def test_can_i(self):
        for old in ([False, True] if os.path.exists(KUBECTL_OLD) else [False]):
            self.assertEqual(self._can_i("list", "configmaps", "-n", "team-a", "--as", "alice", old=old), "yes")
            self.assertEqual(self._can_i("delete", "configmaps", "-n", "team-a", "--as", "alice", old=old), "no")
            self.assertEqual(self._can_i("list", "configmaps", "-n", "default", "--as", "alice", old=old), "no")
            self.assertEqual(self._can_i("list", "secrets", "-n", "team-a", "--as", "bob", old=old), "no")
            self.assertEqual(self._can_i("create", "deployments", old=old), "yes")
        # as alice herself, without impersonation
        p = self.srv.kubectl("auth", "can-i", "get", "configmaps", "-n", "team-a",
                             kubeconfig=self.alice_kc, check=False)
        self.assertEqual(p.stdout.strip(), "yes")
        p = self.srv.kubectl("auth", "can-i", "get", "pods", "-n", "team-a",
                             kubeconfig=self.alice_kc, check=False)
        self.assertEqual(p.stdout.strip(), "no")
        # alice may not impersonate
        p = self.srv.kubectl("get", "configmaps", "-n", "team-a", "--as", "bob",
                             kubeconfig=self.alice_kc, check=False)
        self.assertIn("cannot impersonate", p.stderr)

    def test_impersonation_by_a_permitted_user(self):
        # bob may impersonate alice (and only her)
        self.srv.kubectl("create", "clusterrole", "impersonate-alice", "--verb=impersonate",
                         "--resource=users", "--resource-name=alice")
        self.srv.kubectl("create", "clusterrolebinding", "bob-as-alice",
                         "--clusterrole=impersonate-alice", "--user=bob")
        bob_kc = os.path.join(self.tokdir, "bob.yaml")
        with open(self.alice_kc) as f:
            text = f.read().replace("alice-token", "bob-token").replace("name: alice", "name: bob") \
                .replace("user: alice", "user: bob").replace("current-context: alice", "current-context: bob")
        with open(bob_kc, "w") as f:
            f.write(text)
        k = lambda *a: self.srv.kubectl(*a, kubeconfig=bob_kc, check=False)
        self.assertIn("forbidden", k("get", "configmaps", "-n", "team-a").stderr)
        p = k("get", "configmaps", "-n", "team-a", "--as", "alice")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("cannot impersonate", k("get", "configmaps", "-n", "team-a", "--as", "carol").stderr)
        self.assertIn("cannot impersonate",
                      k("get", "configmaps", "-n", "team-a", "--as", "alice", "--as-group", "system:masters").stderr)

    def test_kubeconfig_mode(self):
        self.assertEqual(os.stat(self.srv.kubeconfig).st_mode & 0o777, 0o600)
        for key in ("ca.key", "server.key", "admin.key", "sa.key"):
            self.assertEqual(os.stat(os.path.join(self.srv.dir, "pki", key)).st_mode & 0o777, 0o600)


if __name__ == "__main__":
    unittest.main()
