"""Durability: objects and the resourceVersion sequence survive a restart, and
a kill -9 during a write loop loses no acknowledged write."""
import json
import os
import subprocess
import threading
import time
import unittest

from zke import Server


class DurabilityTest(unittest.TestCase):
    def test_restart_keeps_objects_and_revisions(self):
        srv = Server().start()
        try:
            srv.kubectl("create", "namespace", "keep")
            srv.kubectl("create", "configmap", "kept", "-n", "keep", "--from-literal=a=b")
            before = srv.kjson("get", "configmap", "kept", "-n", "keep")
            rv1 = int(before["metadata"]["resourceVersion"])
            self.assertEqual(srv.stop(), 0)
            srv.start()
            after = srv.kjson("get", "configmap", "kept", "-n", "keep")
            self.assertEqual(after["metadata"]["uid"], before["metadata"]["uid"])
            self.assertEqual(after["data"], {"a": "b"})
            srv.kubectl("create", "configmap", "next", "-n", "keep")
            nxt = srv.kjson("get", "configmap", "next", "-n", "keep")
            self.assertGreater(int(nxt["metadata"]["resourceVersion"]), rv1)
        finally:
            srv.cleanup()

    def test_kill9_loses_no_acknowledged_write(self):
        srv = Server().start()
        try:
            acked = []
            stop = threading.Event()

            def writer():
                i = 0
                # bounded: at most 2,000 writes or until told to stop
                while not stop.is_set() and i < 2000:
                    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": "w-%d" % i}, "data": {"i": str(i)}})
                    code, _ = srv.curl("/api/v1/namespaces/default/configmaps", method="POST",
                                       data=body.encode(), headers=["Content-Type: application/json"])
                    if code == 201:
                        acked.append(i)
                    elif code == 0:
                        break
                    i += 1

            t = threading.Thread(target=writer)
            t.start()
            deadline = time.time() + 30
            while len(acked) < 30 and time.time() < deadline:
                time.sleep(0.05)
            srv.kill9()
            stop.set()
            t.join(60)
            self.assertGreaterEqual(len(acked), 30)
            srv.start()
            names = set(srv.kubectl("get", "configmaps", "-n", "default", "-o",
                                    "jsonpath={.items[*].metadata.name}").stdout.split())
            missing = [i for i in acked if "w-%d" % i not in names]
            self.assertEqual(missing, [], "acknowledged writes lost after kill -9")
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
