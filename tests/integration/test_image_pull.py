"""zke image pull from a real OCI registry: Debian's docker-registry on
loopback, filled by skopeo from an archive this test builds. By tag, by
digest, through an endpoint standing in for docker.io (a mirror), and the
registry's own errors for a missing tag and an unreachable registry."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from zke import ZKE, free_port
from test_images import layer_tar, oci_archive


class RegistryPullTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("docker-registry") or not shutil.which("skopeo"):
            raise unittest.SkipTest("docker-registry and skopeo are installed by scripts/deps.sh")
        cls.dir = tempfile.mkdtemp(prefix="zke-pull-")
        cls.port = free_port()
        conf = os.path.join(cls.dir, "registry.yml")
        with open(conf, "w") as f:
            f.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                    "    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%d\n" % (cls.dir, cls.port))
        cls.log = open(os.path.join(cls.dir, "registry.log"), "wb")
        cls.reg = subprocess.Popen(["docker-registry", "serve", conf], stdout=cls.log,
                                   stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/v2/" % cls.port, timeout=2).read()
                break
            except OSError:
                if time.time() > deadline or cls.reg.poll() is not None:
                    raise RuntimeError("docker-registry did not start")
                time.sleep(0.2)
        layer = layer_tar([("app/", "dir", None), ("app/hello.txt", "file", b"pulled layer\n")])
        archive = os.path.join(cls.dir, "img.tar")
        with open(archive, "wb") as f:
            f.write(oci_archive([layer], "v1"))
        for dest in ("zke/hello:v1", "library/hello:v1"):
            subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                            "oci-archive:%s:v1" % archive,
                            "docker://127.0.0.1:%d/%s" % (cls.port, dest)],
                           check=True, capture_output=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        cls.reg.send_signal(signal.SIGTERM)
        try:
            cls.reg.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.reg.kill()
            cls.reg.wait()
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="zke-pull-data-")

    def tearDown(self):
        shutil.rmtree(self.data, ignore_errors=True)

    def zke(self, *args):
        return subprocess.run([ZKE, "image", *args], capture_output=True, text=True, timeout=120)

    def test_pull_by_tag_and_digest_then_unpack(self):
        ref = "127.0.0.1:%d/zke/hello:v1" % self.port
        r = self.zke("pull", "--data-dir", self.data, ref)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("pulled %s sha256:" % ref), r.stdout)
        digest = r.stdout.split()[2]
        root = os.path.join(self.data, "rootfs")
        r = self.zke("unpack", "--data-dir", self.data, ref, root)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(root, "app", "hello.txt")) as f:
            self.assertEqual(f.read(), "pulled layer\n")
        # again: nothing new to fetch, same digest
        r = self.zke("pull", "--data-dir", self.data, ref)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(digest, r.stdout)
        # by digest
        by_digest = "127.0.0.1:%d/zke/hello@%s" % (self.port, digest)
        r = self.zke("pull", "--data-dir", self.data, by_digest)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.zke("inspect", "--data-dir", self.data, by_digest)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("manifest:  " + digest, r.stdout)

    def test_mirror_endpoint_serves_docker_hub_names(self):
        # "hello:v1" is docker.io/library/hello:v1; the loopback registry
        # stands in for Docker Hub, as a mirror on an air-gapped site would
        r = self.zke("pull", "--data-dir", self.data, "--endpoint",
                     "http://127.0.0.1:%d" % self.port, "hello:v1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pulled docker.io/library/hello:v1 ", r.stdout)

    def test_registries_file_mirrors_and_rewrites(self):
        # DATA/registries.yaml, k3s's format: docker.io served by the
        # loopback registry, and a registry nobody listens on (a closed
        # loopback port, so no traffic leaves the machine) mirrored onto
        # another path of it
        closed = "127.0.0.1:%d" % free_port()
        with open(os.path.join(self.data, "registries.yaml"), "w") as f:
            f.write("mirrors:\n"
                    "  docker.io:\n"
                    "    endpoint: [\"http://127.0.0.1:%d\"]\n"
                    "  \"%s\":\n"
                    "    endpoint: [\"http://127.0.0.1:%d\"]\n"
                    "    rewrite:\n"
                    "      \"^team/(.*)$\": \"zke/$1\"\n" % (self.port, closed, self.port))
        r = self.zke("pull", "--data-dir", self.data, "hello:v1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pulled docker.io/library/hello:v1 ", r.stdout)
        # nothing listens on the registry the name says: the mirror answered
        r = self.zke("pull", "--data-dir", self.data, closed + "/team/hello:v1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pulled %s/team/hello:v1 " % closed, r.stdout)
        # a mirror without the image: the registry itself is tried last, and
        # the error says how many places were tried
        r = self.zke("pull", "--data-dir", self.data, closed + "/team/absent:v1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("tried 2 places", r.stderr)
        # a bad file is reported, not ignored
        with open(os.path.join(self.data, "registries.yaml"), "w") as f:
            f.write("mirrors:\n  docker.io:\n    endpoints: []\n")
        r = self.zke("pull", "--data-dir", self.data, "hello:v1")
        self.assertEqual(r.returncode, 1)
        self.assertIn('unknown field "endpoints"', r.stderr)

    def test_errors_carry_the_registrys_reason(self):
        r = self.zke("pull", "--data-dir", self.data, "127.0.0.1:%d/zke/hello:nope" % self.port)
        self.assertEqual(r.returncode, 1)
        self.assertIn("HTTP 404", r.stderr)
        self.assertIn("MANIFEST_UNKNOWN", r.stderr)
        r = self.zke("pull", "--data-dir", self.data, "127.0.0.1:%d/zke/hello:v1" % free_port())
        self.assertEqual(r.returncode, 1)
        self.assertIn("pull", r.stderr)
        self.assertTrue("refused" in r.stderr or "onnect" in r.stderr, r.stderr)
        r = self.zke("pull", "--data-dir", self.data, "NOT A REF")
        self.assertEqual(r.returncode, 1)
        self.assertIn("image reference", r.stderr)


if __name__ == "__main__":
    unittest.main()
