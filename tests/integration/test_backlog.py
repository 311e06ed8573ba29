"""BacklogScaler against real queue servers started on loopback: Redis
(with a password from a Secret, real consumer containers popping the
list), RabbitMQ (its management API), Prometheus (a query) and an HTTP
JSON endpoint; scaling from 0, up through the HPA, back to 0 after the
cooldown, and the fallback when the source goes away."""
import base64
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import testimg
from zke import ZKE, Server, agent_cleanup, free_port, wait_for


# ---- real servers ----

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


# ---- helpers ----

def backlog_scaler(name, target, triggers, **spec):
    s = {"scaleTargetRef": {"name": target}, "triggers": triggers}
    s.update(spec)
    return {"apiVersion": "zke.io/v1alpha1", "kind": "BacklogScaler",
            "metadata": {"name": name}, "spec": s}


def events(srv, name, reason):
    return [e for e in srv.kjson("get", "events")["items"]
            if e["involvedObject"].get("name") == name and e["reason"] == reason]


def condition(obj, type_):
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return c
    return {}


class RedisBacklogContainersTest(unittest.TestCase):
    """10,000 messages in a Redis list; consumers (zkt redispop, host
    network, 200 messages/s each) scaled from 0 and back."""
    NODE = "zk-bl-it"
    IMAGE = "zke.test/zkt:1"

    @classmethod
    def setUpClass(cls):
        cls.build = tempfile.mkdtemp(prefix="zke-bl-")
        archive = os.path.join(cls.build, "zkt.tar")
        testimg.oci_archive(testimg.build_zkt(cls.build), cls.IMAGE, archive)
        cls.redis = Redis(password="s3cret-pass")
        cls.srv = Server(agent=cls.NODE, env={"ZKE_HPA_SYNC_PERIOD": "3s"})
        subprocess.run([ZKE, "image", "import", "--data-dir", cls.srv.dir, archive], check=True,
                       capture_output=True)
        try:
            cls.srv.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.kubectl("delete", "backlogscalers,hpa,deployments,pods", "--all",
                            "--wait=true", "--timeout=60s", check=False, timeout=90)
        finally:
            cls.srv.stop()
            agent_cleanup(cls.srv.dir, cls.NODE)
            cls.srv.cleanup()
            cls.redis.stop()
            shutil.rmtree(cls.build, ignore_errors=True)

    def replicas(self):
        return self.srv.kjson("get", "deployment", "consumers")["spec"]["replicas"]

    def test_zero_to_many_and_back_then_fallback(self):
        r = self.redis
        self.srv.kubectl("create", "secret", "generic", "redis-auth",
                         "--from-literal=password=" + r.password)
        consumer = {"name": "c", "image": self.IMAGE,
                    "args": ["redispop", "127.0.0.1", str(r.port), "jobs", "5", r.password]}
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "consumers"},
               "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "consumers"}},
                        "template": {"metadata": {"labels": {"app": "consumers"}},
                                     "spec": {"hostNetwork": True,
                                              "terminationGracePeriodSeconds": 0,
                                              "containers": [consumer]}}}}
        bl = backlog_scaler("consumers", "consumers", [{
            "type": "redis", "metadata": {"address": "127.0.0.1:%d" % r.port, "listName": "jobs"},
            "targetValue": "1000",
            "auth": [{"parameter": "password", "secretName": "redis-auth", "key": "password"}]}],
            maxReplicaCount=4, pollingInterval=1, cooldownPeriod=5,
            fallback={"failureThreshold": 2, "replicas": 2},
            # no downscale window: the fallback's 2 shows at once, not after
            # 300 s of the 4 recommended while the list drained
            behavior={"scaleDown": {"stabilizationWindowSeconds": 0}})
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [dep, bl]}))

        def reading():
            st = self.srv.kjson("get", "bls", "consumers").get("status") or {}
            t = (st.get("triggers") or [{}])[0]
            return t.get("value")
        wait_for(lambda: reading() == "0", 30, "a first reading of 0")
        self.assertEqual(self.replicas(), 0)
        hpa = self.srv.kjson("get", "hpa", "zke-backlog-consumers")
        self.assertEqual(hpa["spec"]["metrics"][0]["external"]["metric"]["name"], "s0-redis")
        self.assertEqual(hpa["metadata"]["ownerReferences"][0]["kind"], "BacklogScaler")

        # 10,000 messages: 0 -> 1 by the scaler, then up by the HPA
        r.push("jobs", 10000)
        wait_for(lambda: self.replicas() >= 1, 30, "scaled from zero")
        ev = events(self.srv, "consumers", "ScaledFromZero")
        self.assertTrue(ev and "backlog" in ev[0]["message"], ev)
        top = 0
        deadline = time.time() + 120
        while time.time() < deadline and top < 4:
            top = max(top, self.replicas())
            time.sleep(0.5)
        self.assertEqual(top, 4, "the HPA did not scale the consumers to maxReplicaCount")
        # the external metric the HPA reads is the backlog
        m = json.loads(self.srv.kubectl(
            "get", "--raw", "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/s0-redis"
            "?labelSelector=zke.io%2Fbacklogscaler%3Dconsumers").stdout)
        self.assertEqual(m["kind"], "ExternalMetricValueList")
        self.assertEqual(m["items"][0]["metricLabels"], {"zke.io/backlogscaler": "consumers"})

        # the consumers drain the list; after the 5 s cooldown back to 0
        wait_for(lambda: r.cmd("LLEN", "jobs") == 0, 180, "the consumers drained the list")
        drained = time.time()
        wait_for(lambda: self.replicas() == 0, 90, "scaled to zero after the cooldown")
        self.assertGreaterEqual(time.time() - drained, 4)   # not before the cooldown
        self.assertTrue(events(self.srv, "consumers", "ScaledToZero"))

        # Redis goes away: an error, never a zero; after 2 failed readings
        # the fallback (2 replicas), with an event
        r.proc.terminate()
        r.proc.wait(timeout=20)
        wait_for(lambda: events(self.srv, "consumers", "FallbackActivated"), 60,
                 "a FallbackActivated event")
        try:
            wait_for(lambda: self.replicas() == 2, 60, "the fallback's 2 replicas")
        except AssertionError:
            print(json.dumps(self.srv.kjson("get", "bls", "consumers").get("status"), indent=1))
            print(json.dumps(self.srv.kjson("get", "hpa", "zke-backlog-consumers").get("status"),
                             indent=1))
            raise
        st = self.srv.kjson("get", "bls", "consumers")
        self.assertEqual(condition(st, "Fallback")["status"], "True")
        self.assertIn("connection refused", st["status"]["triggers"][0]["error"])
        self.assertTrue(events(self.srv, "consumers", "TriggerError"))


class QueueServersBacklogTest(unittest.TestCase):
    """RabbitMQ, Prometheus and an HTTP JSON endpoint on the control plane
    (no node: the Deployment's replicas are what is checked; the test
    drains the queue itself where the Redis test has real consumers)."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(env={"ZKE_HPA_SYNC_PERIOD": "2s"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def deployment(self, name):
        self.srv.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "x"}]}}}}))

    def replicas(self, name):
        return self.srv.kjson("get", "deployment", name)["spec"]["replicas"]

    def test_rabbitmq_queue_from_zero_and_back(self):
        mq = RabbitMQ()
        try:
            self.assertEqual(mq.api("PUT", "/api/queues/%2F/orders", {"durable": False})[0] // 100,
                             2)
            self.srv.kubectl("create", "secret", "generic", "mq-auth",
                             "--from-literal=user=guest", "--from-literal=pass=guest")
            self.deployment("workers")
            self.srv.kubectl("apply", "-f", "-", input=json.dumps(backlog_scaler(
                "workers", "workers", [{
                    "type": "rabbitmq", "targetValue": "2000",
                    "metadata": {"host": "http://127.0.0.1:%d" % mq.mgmt, "queueName": "orders"},
                    "auth": [{"parameter": "username", "secretName": "mq-auth", "key": "user"},
                             {"parameter": "password", "secretName": "mq-auth", "key": "pass"}]}],
                maxReplicaCount=5, pollingInterval=1, cooldownPeriod=4)))
            wait_for(lambda: ((self.srv.kjson("get", "bls", "workers").get("status") or {})
                              .get("triggers") or [{}])[0].get("value") == "0", 40,
                     "a first reading of 0")
            c = http.client.HTTPConnection("127.0.0.1", mq.mgmt, timeout=10)
            auth = {"Authorization": "Basic " + base64.b64encode(b"guest:guest").decode(),
                    "Content-Type": "application/json"}
            body = json.dumps({"properties": {}, "routing_key": "orders", "payload": "x",
                               "payload_encoding": "string"})
            for _ in range(10000):
                c.request("POST", "/api/exchanges/%2F/amq.default/publish", body=body,
                          headers=auth)
                c.getresponse().read()
            c.close()
            wait_for(lambda: self.replicas("workers") >= 1, 30, "scaled from zero")
            # 10,000 against 2,000 a replica: the HPA goes to 5
            wait_for(lambda: self.replicas("workers") == 5, 60, "scaled to 5 by the HPA")
            # drain (the test is the consumer here)
            st, _ = mq.api("POST", "/api/queues/%2F/orders/get",
                           {"count": 10000, "ackmode": "ack_requeue_false", "encoding": "auto"})
            self.assertEqual(st, 200)
            wait_for(lambda: mq.api("GET", "/api/queues/%2F/orders")[1].get("messages") == 0, 30,
                     "the queue drained")
            wait_for(lambda: self.replicas("workers") == 0, 60, "scaled to zero after cooldown")
        finally:
            mq.stop()

    def test_prometheus_query_and_http_json(self):
        d = tempfile.mkdtemp(prefix="zke-prom-")
        port = free_port()
        conf = os.path.join(d, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 15s\nscrape_configs: []\n")
        prom = subprocess.Popen(["prometheus", "--config.file=" + conf,
                                 "--storage.tsdb.path=" + os.path.join(d, "data"),
                                 "--web.listen-address=127.0.0.1:%d" % port],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        depth = {"n": 0}

        class Depth(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"queue": {"depth": depth["n"]}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        hs = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Depth)
        threading.Thread(target=hs.serve_forever, daemon=True).start()
        try:
            def prom_up():
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    try:
                        c.request("GET", "/-/ready")
                        return c.getresponse().status == 200
                    finally:
                        c.close()
                except OSError:
                    return False
            wait_for(prom_up, 60, "prometheus ready")
            self.deployment("prom")
            self.deployment("web")
            self.srv.kubectl("apply", "-f", "-", input=json.dumps({
                "apiVersion": "v1", "kind": "List", "items": [
                    backlog_scaler("prom", "prom", [{
                        "type": "prometheus", "targetValue": "1000",
                        "metadata": {"serverAddress": "http://127.0.0.1:%d" % port,
                                     "query": "vector(2500)"}}],
                        pollingInterval=1, cooldownPeriod=3),
                    backlog_scaler("web", "web", [{
                        "type": "http", "targetValue": "10", "activationValue": "5",
                        "metadata": {"url": "http://127.0.0.1:%d/stats" % hs.server_port,
                                     "valueLocation": "queue.depth"}}],
                        pollingInterval=1, cooldownPeriod=3)]}))
            # 2,500 against 1,000 a replica: 3
            wait_for(lambda: self.replicas("prom") == 3, 60, "prometheus: 3 replicas")
            # below the activation value nothing starts
            depth["n"] = 4
            time.sleep(3)
            self.assertEqual(self.replicas("web"), 0)
            depth["n"] = 35
            wait_for(lambda: self.replicas("web") == 4, 60, "http: ceil(35/10) = 4 replicas")
            # the query now says nothing waits: back to 0 after the cooldown
            self.srv.kubectl("patch", "bls", "prom", "--type=json", "-p", json.dumps([
                {"op": "replace", "path": "/spec/triggers/0/metadata/query",
                 "value": "vector(0)"}]))
            wait_for(lambda: self.replicas("prom") == 0, 60, "prometheus: back to 0")
        finally:
            hs.shutdown()
            hs.server_close()
            prom.terminate()
            prom.wait(timeout=20)
            shutil.rmtree(d, ignore_errors=True)

    def test_bad_spec_and_missing_secret_say_what_is_wrong(self):
        self.deployment("bad")
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(backlog_scaler("bad", "bad", [{
            "type": "redis", "targetValue": "10", "metadata": {"address": "127.0.0.1:1"},
        }])))

        def invalid():
            c = condition(self.srv.kjson("get", "bls", "bad"), "Ready")
            return c.get("reason") == "InvalidSpec" and c["message"]
        wait_for(invalid, 30, "Ready False InvalidSpec")
        self.assertIn("triggers[0]: metadata.listName: required", invalid())
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(backlog_scaler("bad", "bad", [{
            "type": "redis", "targetValue": "10",
            "metadata": {"address": "127.0.0.1:1", "listName": "q"},
            "auth": [{"parameter": "password", "secretName": "nope", "key": "k"}]}])))
        wait_for(lambda: "no Secret nope" in (invalid() or ""), 30, "the missing Secret named")
        # the schema refuses an unknown trigger type
        p = self.srv.kubectl("apply", "-f", "-", check=False, input=json.dumps(backlog_scaler(
            "worse", "bad", [{"type": "kafka", "targetValue": "1", "metadata": {}}])))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.triggers[0].type", p.stderr)


if __name__ == "__main__":
    unittest.main()
