"""The integration tests' container image: zkt (testimg/zkt.c), built as a
static binary here and packed into an OCI image layout archive with one
layer, so that no test depends on an image from outside this machine."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))
import mkimage  # noqa: E402


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


def oci_archive(zkt_path, ref_name, out_path, cmd=("serve", "8080")):
    """Write an OCI layout tar holding one image tagged ref_name (packed by
    examples/mkimage.py, as the demo's images are); returns its digest."""
    return mkimage.pack(zkt_path, ref_name, out_path, cmd, env=("PATH=/bin", "ZKT_IMAGE=1"),
                        dirs=("bin", "etc", "tmp", "data"), shell="/bin/zkt")
