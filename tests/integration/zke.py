"""Start real `zke server` processes for integration tests.

Each server runs in its own temporary directory on a free loopback port and
is stopped by its PID. Clients are the real ones: kubectl (1.32 on the
machine, 1.20 from Debian's kubernetes-client), python3-kubernetes, curl.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZKE = os.environ.get("ZKE_BIN", os.path.join(ROOT, "build", "zke"))
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
KUBECTL_OLD = "/opt/zke-deps/kubectl-1.20/kubectl"

# every client call is bounded in time
CALL_TIMEOUT = 60


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A zke server in a temp dir. Use as a context manager or call stop()."""

    def __init__(self, extra_args=(), data_dir=None, port=None, agent=None, env=None):
        """agent: a node name to run the in-process node agent as (needs
        root); None runs the control plane only. env: variables the server
        gets on top of this process's (every start)."""
        self.own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="zke-it-")
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.agent = agent
        self.env = dict(env or {})
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")

    @property
    def kubeconfig(self):
        return os.path.join(self.dir, "kubeconfig.yaml")

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def start(self, timeout=30):
        self.log = open(self.log_path, "ab")
        agent = ["--node-name", self.agent] if self.agent else ["--disable-agent"]
        self.proc = subprocess.Popen(
            [ZKE, "server", "--data-dir", self.dir, "--https-port", str(self.port)]
            + agent + self.extra_args,
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL,
            env=dict(os.environ, **self.env) if self.env else None)
        deadline = time.time() + timeout
        line = b""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if b"ready" in line:
                return self
        self.stop()
        raise RuntimeError("zke server did not become ready: %r\n%s" % (line, self.tail_log()))

    def tail_log(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.proc:
            self.proc.stdout.close()
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is not None and self.proc.returncode != 0:
            # it died on its own: show why (sanitizer reports land here)
            sys.stderr.write("zke server exited with %d; its log:\n%s\n"
                             % (self.proc.returncode, self.tail_log(80)))
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.proc:
            rc = self.proc.returncode
            self.proc.stdout.close()
            self.proc = None
        else:
            rc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        return rc

    def cleanup(self):
        self.stop()
        if self.agent:
            agent_cleanup(self.dir, self.agent)
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # ---- clients ----

    def kubectl(self, *args, old=False, input=None, check=True, kubeconfig=None, timeout=CALL_TIMEOUT):
        exe = KUBECTL_OLD if old else KUBECTL
        env = dict(os.environ, KUBECONFIG=kubeconfig or self.kubeconfig, HOME=self.dir)
        p = subprocess.run([exe] + list(args), input=input, capture_output=True, text=True,
                           env=env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("kubectl %s failed (%d):\nstdout: %s\nstderr: %s\nserver log:\n%s"
                                 % (" ".join(args), p.returncode, p.stdout, p.stderr,
                                    self.tail_log()))
        return p

    def kjson(self, *args, old=False):
        return json.loads(self.kubectl(*(list(args) + ["-o", "json"]), old=old).stdout)

    def curl(self, path, method="GET", data=None, headers=(), token=None, cert=True):
        """curl with the admin client certificate (or a token); returns (code, body)."""
        pki = os.path.join(self.dir, "pki")
        cmd = ["curl", "-sS", "--max-time", "30", "-o", "-", "-w", "\n%{http_code}",
               "--cacert", os.path.join(pki, "ca.crt"), "-X", method]
        if token:
            cmd += ["-H", "Authorization: Bearer " + token]
        elif cert:
            cmd += ["--cert", os.path.join(pki, "admin.crt"), "--key", os.path.join(pki, "admin.key")]
        for h in headers:
            cmd += ["-H", h]
        if data is not None:
            cmd += ["--data-binary", "@-"]
        p = subprocess.run(cmd + [self.url + path], input=data, capture_output=True,
                           timeout=CALL_TIMEOUT)
        out = p.stdout
        body, _, code = out.rpartition(b"\n")
        return int(code or 0), body


class ServerTest(unittest.TestCase):
    """One server for the whole test class."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(cls.server_args).start()
        try:
            cls.prepare()
        except BaseException:
            cls.srv.cleanup()  # tearDownClass does not run when this fails
            raise

    @classmethod
    def prepare(cls):
        """Per-class setup after the server started."""

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()


class Sim:
    """A `zke sim` process against a Server: simulated nodes that run bound
    pods on paper. start() waits for its "N nodes ready" line; stop() sends
    SIGTERM and returns the exit code."""

    def __init__(self, server, nodes=3, args=()):
        self.server = server
        self.args = ["--kubeconfig", server.kubeconfig, "--nodes", str(nodes)] + list(args)
        self.proc = None
        self.lines = []
        self.log_path = None

    def start(self, timeout=60):
        import threading
        self.log_path = os.path.join(self.server.dir, "sim-%x.log" % id(self))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([ZKE, "sim"] + self.args, stdout=subprocess.PIPE,
                                     stderr=self.log, stdin=subprocess.DEVNULL)

        def reader(out=self.proc.stdout, lines=self.lines):
            for raw in out:
                lines.append(raw.decode(errors="replace").rstrip("\n"))

        self.reader = threading.Thread(target=reader, daemon=True)
        self.reader.start()
        try:
            self.wait_line("nodes ready", timeout)
        except AssertionError:
            self.stop()
            raise
        return self

    def wait_line(self, text, timeout=30, start=0):
        """The index of the first output line from `start` on containing text."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i in range(start, len(self.lines)):
                if text in self.lines[i]:
                    return i
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError("zke sim did not print %r in %ds; output:\n%s\nlog:\n%s"
                             % (text, timeout, "\n".join(self.lines), self.tail_log()))

    def tail_log(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except (OSError, TypeError):
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=30):
        rc = None
        if self.proc:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, sig)
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
            rc = self.proc.returncode
            self.reader.join(10)
            self.proc.stdout.close()
            self.proc = None
            self.log.close()
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def fnv32(text):
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


def fnv64(text):
    h = 14695981039346656037
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) & 0xffffffffffffffff
    return h


def bridge_name(node):
    """The pod bridge the agent makes for a node: "zke" + FNV-1a of its name.
    Its nft table has the same name."""
    return "zke%08x" % fnv32(node)


def ipt_prefix(table):
    """The agent's iptables chain prefix (src/proxy/iptrules.h): Z, FNV-1a
    of its table name."""
    return "Z%08x-" % fnv32(table)


def ipt_chain(prefix, nft_name):
    """The iptables chain of an nft chain name (svc/..., ext/..., ep/...)."""
    kind = {"svc": "SVC", "ext": "EXT", "ep": "SEP"}[nft_name.split("/")[0]]
    return "%s%s-%014x" % (prefix, kind, fnv64(nft_name) >> 8)


def agent_cleanup(data_dir, node):
    """What an agent leaves when it stops (by design: its containers keep
    running): stop them through runc, unmount root filesystems, volumes
    and network namespaces, and remove the pod bridge."""
    # zke's own cleanup first (containers, namespaces, bridge, nft table,
    # masquerade rule); then what an agent stopped too early to record leaves
    subprocess.run([ZKE, "node-cleanup", "--data-dir", data_dir], capture_output=True)
    root = os.path.join(data_dir, "agent", "runc")
    if os.path.isdir(root):
        p = subprocess.run(["runc", "--root", root, "list", "-q"], capture_output=True, text=True)
        for cid in p.stdout.split():
            subprocess.run(["runc", "--root", root, "kill", cid, "KILL"], capture_output=True)
        deadline = time.time() + 10
        for cid in p.stdout.split():
            while time.time() < deadline:
                r = subprocess.run(["runc", "--root", root, "delete", "--force", cid],
                                   capture_output=True)
                if r.returncode == 0:
                    break
                time.sleep(0.2)
    pods = os.path.join(data_dir, "agent", "pods")
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f]
    for m in sorted((m for m in mounts if m.startswith(pods + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    # the CNI plugins' rules and addresses go with the pod directories and bridge
    subprocess.run(["ip", "link", "del", bridge_name(node)], capture_output=True)
    # the node proxy's table is named as the bridge is
    subprocess.run(["nft", "delete", "table", "ip", bridge_name(node)], capture_output=True)


def wait_for(fn, timeout=30, what="condition"):
    """Poll fn() every 0.2 s until it returns a true value (returned), at
    most timeout seconds."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError("timed out after %ds waiting for %s (last: %r)" % (timeout, what, last))
