"""Debian's python3-kubernetes against zke: CoreV1Api, AppsV1Api and the
dynamic client create, list, patch, delete and watch."""
import threading
import time
import unittest

from zke import ServerTest

try:
    import kubernetes
    from kubernetes import client, config, dynamic, watch
    HAVE_CLIENT = True
except ImportError:  # installed by scripts/deps.sh
    HAVE_CLIENT = False


@unittest.skipUnless(HAVE_CLIENT, "python3-kubernetes is installed by scripts/deps.sh")
class PythonClientTest(ServerTest):
    @classmethod
    def prepare(cls):
        cls.api_client = config.new_client_from_config(config_file=cls.srv.kubeconfig)
        cls.core = client.CoreV1Api(cls.api_client)
        cls.apps = client.AppsV1Api(cls.api_client)
        cls.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))

    def test_core_crud_and_watch(self):
        cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm", labels={"a": "b"}),
                                data={"k": "v"})
        created = self.core.create_namespaced_config_map("py", cm)
        self.assertEqual(created.data, {"k": "v"})
        rv = created.metadata.resource_version
        listed = self.core.list_namespaced_config_map("py", label_selector="a=b")
        self.assertEqual([i.metadata.name for i in listed.items], ["py-cm"])
        patched = self.core.patch_namespaced_config_map("py-cm", "py", {"data": {"k": "w"}})
        self.assertEqual(patched.data["k"], "w")
        self.assertNotEqual(patched.metadata.resource_version, rv)

        events = []
        w = watch.Watch()

        def run():
            for ev in w.stream(self.core.list_namespaced_config_map, "py",
                               resource_version=patched.metadata.resource_version,
                               field_selector="metadata.name=py-cm", timeout_seconds=20):
                events.append((ev["type"], ev["object"].metadata.name))
                if ev["type"] == "DELETED":
                    w.stop()

        t = threading.Thread(target=run)
        t.start()
        time.sleep(1)
        self.core.patch_namespaced_config_map("py-cm", "py", {"data": {"k": "x"}})
        self.core.delete_namespaced_config_map("py-cm", "py")
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertEqual(events, [("MODIFIED", "py-cm"), ("DELETED", "py-cm")])
        with self.assertRaises(client.exceptions.ApiException) as e:
            self.core.read_namespaced_config_map("py-cm", "py")
        self.assertEqual(e.exception.status, 404)

    def test_apps_deployment(self):
        dep = client.V1Deployment(
            metadata=client.V1ObjectMeta(name="py-dep"),
            spec=client.V1DeploymentSpec(
                replicas=1,
                selector=client.V1LabelSelector(match_labels={"app": "py"}),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels={"app": "py"}),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")]))))
        d = self.apps.create_namespaced_deployment("py", dep)
        self.assertEqual(d.spec.strategy.type, "RollingUpdate")
        self.assertEqual(d.spec.template.spec.containers[0].image_pull_policy, "Always")
        d = self.apps.patch_namespaced_deployment_scale("py-dep", "py", {"spec": {"replicas": 4}})
        self.assertEqual(d.spec.replicas, 4)
        names = [x.metadata.name for x in self.apps.list_namespaced_deployment("py").items]
        self.assertEqual(names, ["py-dep"])
        self.apps.delete_namespaced_deployment("py-dep", "py")
        self.assertEqual(self.apps.list_namespaced_deployment("py").items, [])
        # validation errors come back as 422 with causes
        bad = client.V1Deployment(metadata=client.V1ObjectMeta(name="Bad_Name"), spec=dep.spec)
        with self.assertRaises(client.exceptions.ApiException) as e:
            self.apps.create_namespaced_deployment("py", bad)
        self.assertEqual(e.exception.status, 422)
        self.assertIn("metadata.name", e.exception.body)

    def test_dynamic_client(self):
        dyn = dynamic.DynamicClient(self.api_client)
        secrets = dyn.resources.get(api_version="v1", kind="Secret")
        secrets.create(namespace="py", body={"apiVersion": "v1", "kind": "Secret",
                                             "metadata": {"name": "dyn"},
                                             "stringData": {"password": "x"}})
        got = secrets.get(namespace="py", name="dyn")
        self.assertEqual(got.type, "Opaque")
        secrets.patch(namespace="py", name="dyn", body={"metadata": {"labels": {"p": "q"}}},
                      content_type="application/merge-patch+json")
        got = secrets.get(namespace="py", label_selector="p=q")
        self.assertEqual([i.metadata.name for i in got.items], ["dyn"])
        secrets.delete(namespace="py", name="dyn")
        self.assertEqual(secrets.get(namespace="py", label_selector="p=q").items, [])
        leases = dyn.resources.get(api_version="coordination.k8s.io/v1", kind="Lease")
        leases.create(namespace="py", body={"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                            "metadata": {"name": "leader"},
                                            "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15}})
        self.assertEqual(leases.get(namespace="py", name="leader").spec.holderIdentity, "me")


if __name__ == "__main__":
    unittest.main()
