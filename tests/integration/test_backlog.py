"""BacklogScaler on real containers: a real Redis on loopback (its password
from a Secret), consumer pods popping the list; scaling from 0, up through
the HPA, back to 0 after the cooldown, and the fallback when Redis goes
away. RabbitMQ, Prometheus and HTTP sources: test_backlog_sources.py."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import testimg
from queues import Redis
from zke import ZKE, Server, agent_cleanup, wait_for

# node agents here: bridges, host rules, node ports (run.py runs these one at a time)
USES_HOST_NETWORK = True


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


if __name__ == "__main__":
    unittest.main()
