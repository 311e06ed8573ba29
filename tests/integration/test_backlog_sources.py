"""BacklogScaler's other sources against real servers on loopback:
RabbitMQ (its management API; messages published over AMQP), Prometheus
(a query) and an HTTP JSON endpoint. On the control plane: no node runs the
pods, the Deployment's replicas are what is checked, and the test drains
the queue itself (test_backlog.py has real consumers)."""
import http.client
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import pika

from queues import RabbitMQ, Redis
from zke import Server, free_port, wait_for


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
            # 10,000 messages over AMQP (Debian's python3-pika)
            conn = pika.BlockingConnection(pika.ConnectionParameters(
                "127.0.0.1", mq.port, credentials=pika.PlainCredentials("guest", "guest")))
            ch = conn.channel()
            for i in range(10000):
                ch.basic_publish(exchange="", routing_key="orders", body=b"order %d" % i)
            conn.close()
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
            # any HPA may read a scaler's reading as an Object metric
            # (custom.metrics.k8s.io): 35 against 5 a replica is 7
            self.deployment("obj")
            self.srv.kubectl("scale", "deployment", "obj", "--replicas=1")
            self.srv.kubectl("apply", "-f", "-", input=json.dumps({
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "obj"},
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "name": "obj"},
                         "minReplicas": 1, "maxReplicas": 10,
                         "metrics": [{"type": "Object", "object": {
                             "describedObject": {"apiVersion": "zke.io/v1alpha1",
                                                 "kind": "BacklogScaler", "name": "web"},
                             "metric": {"name": "s0-http"},
                             "target": {"type": "AverageValue", "averageValue": "5"}}}]}}))
            try:
                wait_for(lambda: self.replicas("obj") == 7, 60, "the Object metric's 7 replicas")
            except AssertionError:
                print(json.dumps(self.srv.kjson("get", "hpa", "obj").get("status"), indent=1))
                raise
            m = json.loads(self.srv.kubectl(
                "get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/"
                "backlogscalers.zke.io/web/s0-http").stdout)
            self.assertEqual(m["items"][0]["value"], "35")
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

    def test_redis_stream_group_backlog(self):
        """A stream's backlog for a consumer group: entries not yet
        delivered (lag) plus delivered and not acknowledged (pending)."""
        r = Redis()
        try:
            for i in range(300):
                r.cmd("XADD", "orders", "*", "n", str(i))
            self.assertEqual(r.cmd("XGROUP", "CREATE", "orders", "workers", "0"), "OK")
            self.deployment("streamers")
            self.srv.kubectl("apply", "-f", "-", input=json.dumps(backlog_scaler(
                "streamers", "streamers", [{
                    "type": "redis-streams", "targetValue": "100",
                    "metadata": {"address": "127.0.0.1:%d" % r.port, "stream": "orders",
                                 "consumerGroup": "workers"}}],
                pollingInterval=1, cooldownPeriod=3)))

            def reading():
                st = self.srv.kjson("get", "bls", "streamers").get("status") or {}
                return (st.get("triggers") or [{}])[0].get("value")
            wait_for(lambda: reading() == "300", 30, "a backlog of 300 (all lag)")
            wait_for(lambda: self.replicas("streamers") == 3, 60, "300 against 100: 3 replicas")
            # 100 delivered, not acknowledged: still 300 (200 lag + 100 pending)
            got = r.cmd("XREADGROUP", "GROUP", "workers", "c1", "COUNT", "100", "STREAMS",
                        "orders", ">")
            ids = [e[0] for e in got[0][1]]
            self.assertEqual(len(ids), 100)
            time.sleep(2.5)
            self.assertEqual(reading(), "300")
            # acknowledged: 200 left
            self.assertEqual(r.cmd("XACK", "orders", "workers", *ids), 100)
            wait_for(lambda: reading() == "200", 30, "a backlog of 200 once 100 are acknowledged")
        finally:
            r.stop()

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
