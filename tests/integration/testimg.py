"""The integration tests' container image: zkt (testimg/zkt.c), built as a
static binary here and packed into an OCI image layout archive with one
layer, so that no test depends on an image from outside this machine."""
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def _sha(b):
    return hashlib.sha256(b).hexdigest()


def build_zkt(out_dir):
    """Compile zkt statically into out_dir; returns its path."""
    path = os.path.join(out_dir, "zkt")
    # glibc warns that a static getaddrinfo needs its NSS modules: files and
    # dns are built into libc since 2.34, which is what zkt's resolver uses
    p = subprocess.run(["cc", "-static", "-O1", "-o", path, os.path.join(HERE, "testimg", "zkt.c")],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("building zkt failed:\n" + p.stderr)
    return path


def _layer(zkt_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for d in ("bin", "etc", "tmp", "data"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            t.addfile(info)
        with open(zkt_path, "rb") as f:
            data = f.read()
        info = tarfile.TarInfo("bin/zkt")
        info.size = len(data)
        info.mode = 0o755
        t.addfile(info, io.BytesIO(data))
        passwd = b"root:x:0:0:root:/root:/bin/zkt\nnobody:x:65534:65534:nobody:/:/bin/zkt\n"
        info = tarfile.TarInfo("etc/passwd")
        info.size = len(passwd)
        info.mode = 0o644
        t.addfile(info, io.BytesIO(passwd))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, mtime=0)


def oci_archive(zkt_path, ref_name, out_path, cmd=("serve", "8080")):
    """Write an OCI layout tar holding one image tagged ref_name."""
    raw, layer = _layer(zkt_path)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Entrypoint": ["/bin/zkt"], "Cmd": list(cmd),
                                    "Env": ["PATH=/bin", "ZKT_IMAGE=1"],
                                    "WorkingDir": "/"},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + _sha(raw)]}}).encode()
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + _sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": "sha256:" + _sha(layer), "size": len(layer)}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": "sha256:" + _sha(manifest), "size": len(manifest),
         "annotations": {"org.opencontainers.image.ref.name": ref_name}}]}).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": index,
             "blobs/sha256/" + _sha(manifest): manifest,
             "blobs/sha256/" + _sha(config): config,
             "blobs/sha256/" + _sha(layer): layer}
    with tarfile.open(out_path, "w") as t:
        for d in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            t.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return "sha256:" + _sha(manifest)
