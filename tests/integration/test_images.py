"""zke image: OCI image layout and `docker save` archives, made here from
files the test writes, imported into a store and read back; damaged and
unnamed archives are refused with a message that says what was wrong."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import unittest

from zke import ZKE


def tar_bytes(files, gz=False):
    """A tar of {name: bytes}; directories for names ending in '/'."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name.rstrip("/"))
            if name.endswith("/"):
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw) if gz else raw


def sha(b):
    return hashlib.sha256(b).hexdigest()


def oci_layout(ref_name=None, containerd_name=None, break_blob=False, drop_layer=False):
    layer = tar_bytes({"app/": b"", "app/hello.txt": b"hello from a layer\n"}, gz=True)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["/app/hello"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(gzip.decompress(layer))]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": "sha256:" + sha(layer), "size": len(layer)}]}).encode()
    ann = {}
    if ref_name:
        ann["org.opencontainers.image.ref.name"] = ref_name
    if containerd_name:
        ann["io.containerd.image.name"] = containerd_name
    entry = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": "sha256:" + sha(manifest), "size": len(manifest)}
    if ann:
        entry["annotations"] = ann
    index = json.dumps({"schemaVersion": 2, "manifests": [entry]}).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": index,
             "blobs/": b"", "blobs/sha256/": b"",
             "blobs/sha256/" + sha(manifest): manifest,
             "blobs/sha256/" + sha(config): config}
    if not drop_layer:
        files["blobs/sha256/" + sha(layer)] = layer + (b"x" if break_blob else b"")
    return tar_bytes(files), "sha256:" + sha(manifest), "sha256:" + sha(layer)


def docker_save(tags=("busybox:test",)):
    layer = tar_bytes({"bin/": b"", "bin/sh": b"#!/fake\n"})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}}).encode()
    cfg_name = sha(config) + ".json"
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": list(tags),
                            "Layers": ["0123abcd/layer.tar"]}]).encode()
    return tar_bytes({cfg_name: config, "0123abcd/": b"", "0123abcd/layer.tar": layer,
                      "0123abcd/VERSION": b"1.0", "manifest.json": manifest}), "sha256:" + sha(layer)


def layer_tar(entries, gz=True):
    """entries: (name, kind, data_or_target[, mode]); kind in file, dir,
    symlink, hardlink."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ent in entries:
            name, kind, val = ent[:3]
            info = tarfile.TarInfo(name)
            info.mode = ent[3] if len(ent) > 3 else (0o755 if kind == "dir" else 0o644)
            info.mtime = 1700000000
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = val
                t.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = val
                t.addfile(info)
            else:
                info.size = len(val)
                t.addfile(info, io.BytesIO(val))
    raw = buf.getvalue()
    return gzip.compress(raw) if gz else raw


def oci_archive(layers, ref):
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": "sha256:" + sha(l), "size": len(l)} for l in layers]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(manifest),
         "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": ref}}]}).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": index,
             "blobs/sha256/" + sha(manifest): manifest, "blobs/sha256/" + sha(config): config}
    for l in layers:
        files["blobs/sha256/" + sha(l)] = l
    return tar_bytes(files)


class ImageStoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="zke-images-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        # had the unpack test failed, what escaped would be here
        for p in ("/tmp/zke-unpack-escaped", "/tmp/zke-unpack-abs-escaped"):
            if os.path.lexists(p):
                os.unlink(p)

    def zke(self, *args):
        return subprocess.run([ZKE, "image", *args], capture_output=True, text=True, timeout=60)

    def archive(self, name, data):
        p = os.path.join(self.dir, name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def test_oci_layout_import_ls_inspect(self):
        data, mdigest, ldigest = oci_layout(ref_name="127.0.0.1:5000/zke/hello:1")
        p = self.archive("hello.tar", data)
        r = self.zke("import", "--data-dir", self.dir, p)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported 127.0.0.1:5000/zke/hello:1 " + mdigest, r.stdout)
        # every blob is stored under the digest of its bytes, mode 0600
        blob = os.path.join(self.dir, "images", "blobs", "sha256", ldigest[7:])
        with open(blob, "rb") as f:
            self.assertEqual("sha256:" + sha(f.read()), ldigest)
        self.assertEqual(os.stat(blob).st_mode & 0o777, 0o600)
        r = self.zke("ls", "--data-dir", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("127.0.0.1:5000/zke/hello:1", r.stdout)
        r = self.zke("inspect", "--data-dir", self.dir, "127.0.0.1:5000/zke/hello:1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("manifest:  " + mdigest, r.stdout)
        self.assertIn(ldigest + " ", r.stdout)
        self.assertIn("tar+gzip", r.stdout)
        # by digest too
        r = self.zke("inspect", "--data-dir", self.dir, "127.0.0.1:5000/zke/hello@" + mdigest)
        self.assertEqual(r.returncode, 0, r.stderr)
        # importing again changes nothing and leaves no temporary files
        r = self.zke("import", "--data-dir", self.dir, p)
        self.assertEqual(r.returncode, 0, r.stderr)
        blobs = os.listdir(os.path.join(self.dir, "images", "blobs", "sha256"))
        self.assertEqual(len(blobs), 3, blobs)

    def test_oci_names(self):
        # containerd's full name wins over the tag-only OCI annotation
        data, mdigest, _ = oci_layout(ref_name="v2", containerd_name="docker.io/library/web:v2")
        r = self.zke("import", "--data-dir", self.dir, self.archive("a.tar", data))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported docker.io/library/web:v2", r.stdout)
        # only a tag: the repository comes from --name, and without it the
        # error says so
        data, mdigest, _ = oci_layout(ref_name="v3")
        p = self.archive("b.tar", data)
        r = self.zke("import", "--data-dir", self.dir, p)
        self.assertEqual(r.returncode, 1)
        self.assertIn('only the tag "v3"', r.stderr)
        self.assertIn("--name", r.stderr)
        r = self.zke("import", "--data-dir", self.dir, "--name", "registry.local/team/web", p)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported registry.local/team/web:v3", r.stdout)
        # short names resolve the way docker's do
        r = self.zke("inspect", "--data-dir", self.dir, "web:v2")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_docker_save_archive(self):
        data, ldigest = docker_save(("busybox:test", "zke.local/tools/sh:1"))
        r = self.zke("import", "--data-dir", self.dir, self.archive("save.tar", data))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported docker.io/library/busybox:test", r.stdout)
        self.assertIn("imported zke.local/tools/sh:1", r.stdout)
        r = self.zke("inspect", "--data-dir", self.dir, "busybox:test")
        self.assertEqual(r.returncode, 0, r.stderr)
        # the layer is an uncompressed tar in docker save archives
        self.assertIn(ldigest + " ", r.stdout)
        self.assertIn("application/vnd.oci.image.layer.v1.tar\n", r.stdout)
        # gzip-compressed archives are read as well
        r = self.zke("import", "--data-dir", self.dir,
                     self.archive("save.tar.gz", gzip.compress(docker_save(("gz:1",))[0])))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported docker.io/library/gz:1", r.stdout)

    def test_unpack_layers_with_whiteouts_inside_the_root(self):
        base = layer_tar([
            ("etc/", "dir", None), ("app/", "dir", None), ("app/a.txt", "file", b"one"),
            ("app/sub/", "dir", None), ("app/sub/x", "file", b"x"),
            ("keep/", "dir", None), ("keep/k", "file", b"k"),
            ("bin/", "dir", None), ("bin/busybox", "file", b"\x7fELF", 0o755),
            ("bin/sh", "symlink", "busybox"), ("app/hard", "hardlink", "app/a.txt"),
            # hostile names: each must land inside the root
            ("../escape.txt", "file", b"evil"), ("/abs.txt", "file", b"abs"),
            ("evil-link", "symlink", "/"), ("up-link", "symlink", "../../../../.."),
        ])
        top = layer_tar([
            ("app/.wh.a.txt", "file", b""),
            ("keep/.wh..wh..opq", "file", b""), ("keep/new", "file", b"n"),
            ("app/sub", "file", b"now a file"),
            ("evil-link/tmp/zke-unpack-abs-escaped", "file", b"pwned"),
            ("up-link/tmp/zke-unpack-escaped", "file", b"escaped"),
        ])
        r = self.zke("import", "--data-dir", self.dir,
                     self.archive("layers.tar", oci_archive([base, top], "zke.local/t/layers:1")))
        self.assertEqual(r.returncode, 0, r.stderr)
        root = os.path.join(self.dir, "rootfs")
        r = self.zke("unpack", "--data-dir", self.dir, "zke.local/t/layers:1", root)
        self.assertEqual(r.returncode, 0, r.stderr)
        rd = lambda p: open(os.path.join(root, p), "rb").read()
        # whiteouts remove what the layers below made
        self.assertFalse(os.path.lexists(os.path.join(root, "app/a.txt")))
        self.assertEqual(rd("app/hard"), b"one")
        self.assertFalse(os.path.lexists(os.path.join(root, "keep/k")))
        self.assertEqual(rd("keep/new"), b"n")
        self.assertFalse(os.path.lexists(os.path.join(root, "keep/.wh..wh..opq")))
        # an entry replaces what was there, even a directory
        self.assertEqual(rd("app/sub"), b"now a file")
        self.assertEqual(os.readlink(os.path.join(root, "bin/sh")), "busybox")
        self.assertEqual(os.stat(os.path.join(root, "bin/busybox")).st_mode & 0o777, 0o755)
        self.assertEqual(int(os.stat(os.path.join(root, "bin/busybox")).st_mtime), 1700000000)
        # nothing reached outside the root
        self.assertEqual(rd("escape.txt"), b"evil")
        self.assertEqual(rd("abs.txt"), b"abs")
        self.assertEqual(rd("tmp/zke-unpack-abs-escaped"), b"pwned")
        self.assertEqual(rd("tmp/zke-unpack-escaped"), b"escaped")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escape.txt")))
        self.assertFalse(os.path.exists("/tmp/zke-unpack-abs-escaped"))
        self.assertFalse(os.path.exists("/tmp/zke-unpack-escaped"))
        # the target must be empty
        r = self.zke("unpack", "--data-dir", self.dir, "zke.local/t/layers:1", root)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not empty", r.stderr)

    def test_bad_archives_are_refused_clearly(self):
        cases = [
            ("notatar.tar", b"this is not an archive\n" * 10, "not a tar archive"),
            ("empty.tar", tar_bytes({"README": b"hi"}), "neither index.json"),
            ("damaged.tar", oci_layout(ref_name="r.io/x:1", break_blob=True)[0], "damaged"),
            ("nolayer.tar", oci_layout(ref_name="r.io/x:1", drop_layer=True)[0],
             "is not in the image store"),
            ("noname.tar", docker_save(())[0], "no RepoTags"),
            ("badname.tar", oci_layout(ref_name="Bad/Name:1")[0], "name component"),
        ]
        for name, data, want in cases:
            r = self.zke("import", "--data-dir", self.dir, self.archive(name, data))
            self.assertEqual(r.returncode, 1, name)
            self.assertIn(want, r.stderr, name)
            self.assertNotIn("Traceback", r.stderr)
        # nothing was recorded, and a missing image is a clear error
        r = self.zke("ls", "--data-dir", self.dir)
        self.assertEqual(r.stdout.strip().splitlines()[1:], [])
        r = self.zke("inspect", "--data-dir", self.dir, "r.io/x:1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not in the image store", r.stderr)
        r = self.zke("import", "--data-dir", self.dir, os.path.join(self.dir, "missing.tar"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.tar", r.stderr)


if __name__ == "__main__":
    unittest.main()
