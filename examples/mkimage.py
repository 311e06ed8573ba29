"""Pack one static program into an OCI image layout archive that
`zke image import` takes: the program as /bin/NAME (the entrypoint), an
/etc/passwd, /tmp. For the demo's images and the tests' (testimg.py); no
Docker needed.

    python3 examples/mkimage.py PROGRAM REF OUT.tar [CMD...]
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def add(t, name, data=None, mode=0o644, directory=False):
    info = tarfile.TarInfo(name)
    info.mode = mode
    info.mtime = 0
    if directory:
        info.type = tarfile.DIRTYPE
        t.addfile(info)
    else:
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))


def pack(program, ref, out, cmd=(), env=("PATH=/bin",), dirs=("bin", "etc", "tmp"),
         shell="/bin/false"):
    """Write the archive for program (as /bin/NAME, the entrypoint) tagged
    ref to out; dirs are made at the root (tmp sticky and world-writable),
    shell is the login shell in /etc/passwd. Returns the manifest digest."""
    name = os.path.basename(program)
    with open(program, "rb") as f:
        binary = f.read()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        for d in dirs:
            add(t, d, mode=0o1777 if d == "tmp" else 0o755, directory=True)
        add(t, "bin/" + name, binary, mode=0o755)
        add(t, "etc/passwd", ("root:x:0:0:root:/root:%s\nnobody:x:65534:65534:nobody:/:%s\n"
                              % (shell, shell)).encode())
    layer_tar = raw.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Entrypoint": ["/bin/" + name], "Cmd": list(cmd),
                                    "Env": list(env), "WorkingDir": "/"},
                         "rootfs": {"type": "layers", "diff_ids": [digest(layer_tar)]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(layer), "size": len(layer)}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(manifest),
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": ref}}]}).encode()
    with tarfile.open(out, "w") as t:
        add(t, "blobs", mode=0o755, directory=True)
        add(t, "blobs/sha256", mode=0o755, directory=True)
        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(t, "index.json", index)
        for blob in (manifest, config, layer):
            add(t, "blobs/sha256/" + digest(blob)[7:], blob)
    return digest(manifest)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    pack(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])


if __name__ == "__main__":
    main()
