"""Real queue servers for the BacklogScaler tests, started on loopback in
temporary directories (the recipes of the shared test-servers reference):
redis-server and rabbitmq-server (with its management plugin)."""
import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile

from zke import free_port, wait_for


class Redis:
    def __init__(self, password=None):
        self.dir = tempfile.mkdtemp(prefix="zke-redis-")
        self.port = free_port()
        self.password = password
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                self.dir, "--save", "", "--appendonly", "no", "--daemonize", "no"]
        if password:
            args += ["--requirepass", password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, 20, "redis up")

    def cmd(self, *args):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            out = b""
            if self.password:
                out += self._enc("AUTH", self.password)
            out += self._enc(*args)
            s.sendall(out)
            f = s.makefile("rb")
            if self.password:
                f.readline()
            return self._read(f)
        finally:
            s.close()

    def _enc(self, *args):
        b = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            b += b"$%d\r\n%s\r\n" % (len(a), a)
        return b

    def _read(self, f):
        line = f.readline().rstrip(b"\r\n")
        if line[:1] == b":":
            return int(line[1:])
        if line[:1] in (b"+", b"-"):
            return line[1:].decode()
        if line[:1] == b"$":
            n = int(line[1:])
            return None if n < 0 else f.read(n + 2)[:-2]
        if line[:1] == b"*":
            n = int(line[1:])
            return None if n < 0 else [self._read(f) for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)

    def ping(self):
        try:
            return self.cmd("PING") == "PONG"
        except OSError:
            return False

    def push(self, key, n):
        for start in range(0, n, 1000):
            self.cmd("RPUSH", key, *["m%d" % i for i in range(start, min(n, start + 1000))])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


class RabbitMQ:
    """rabbitmq-server as the reference recipe starts it (test-servers.md)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="zke-rabbit-")
        self.port, self.mgmt, self.epmd = free_port(), free_port(), free_port()
        self.node = "zk%d@localhost" % self.port
        with open(os.path.join(self.dir, "rabbitmq.conf"), "w") as f:
            f.write("listeners.tcp.default = 127.0.0.1:%d\nmanagement.tcp.ip = 127.0.0.1\n"
                    "management.tcp.port = %d\n" % (self.port, self.mgmt))
        with open(os.path.join(self.dir, "enabled_plugins"), "w") as f:
            f.write("[rabbitmq_management].\n")
        subprocess.run(["chown", "-R", "rabbitmq", self.dir], check=True)
        self.env = dict(os.environ, RABBITMQ_CONFIG_FILE=os.path.join(self.dir, "rabbitmq"),
                        RABBITMQ_MNESIA_BASE=os.path.join(self.dir, "mnesia"),
                        RABBITMQ_LOG_BASE=os.path.join(self.dir, "log"),
                        RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.dir, "enabled_plugins"),
                        RABBITMQ_NODENAME=self.node, ERL_EPMD_PORT=str(self.epmd))
        self.proc = subprocess.Popen(["rabbitmq-server"], env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: self.api("GET", "/api/overview")[0] == 200, 90, "rabbitmq management up")

    def api(self, method, path, body=None):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.mgmt, timeout=10)
            auth = base64.b64encode(b"guest:guest").decode()
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Authorization": "Basic " + auth,
                               "Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            c.close()
            return r.status, (json.loads(data) if data else None)
        except (OSError, ValueError):
            return 0, None

    def stop(self):
        subprocess.run(["rabbitmqctl", "-n", self.node, "stop"], env=self.env,
                       capture_output=True, timeout=60)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        # the epmd it started, on its own port
        subprocess.run(["pkill", "-f", "epmd.*-port %d" % self.epmd], capture_output=True)
        subprocess.run(["pkill", "-f", "epmd -daemon"], env=self.env, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
