"""Bad input gets a Kubernetes Status error, never a crash or a hang:
malformed JSON/YAML, unknown kinds, bad names, huge bodies, deep nesting,
a slowloris client, and ten thousand open watches."""
import asyncio
import json
import os
import resource
import socket
import ssl
import time
import unittest

from zke import ServerTest

JSON = ["Content-Type: application/json"]


class BadInputTest(ServerTest):
    server_args = ("--request-timeout", "3")

    def post(self, path, data, headers=JSON):
        code, body = self.srv.curl(path, method="POST", data=data, headers=headers)
        return code, (json.loads(body) if body.startswith(b"{") else body)

    def assertStatus(self, got, code, reason):
        c, body = got
        self.assertEqual(c, code, body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(body["kind"], "Status")
        self.assertEqual(body["reason"], reason)
        self.assertEqual(body["code"], code)

    def test_malformed_json_and_yaml(self):
        self.assertStatus(self.post("/api/v1/namespaces/default/configmaps", b'{"kind": "ConfigMap",'),
                          400, "BadRequest")
        self.assertStatus(self.post("/api/v1/namespaces/default/configmaps", b"kind: [unclosed",
                                    headers=["Content-Type: application/yaml"]), 400, "BadRequest")
        self.assertStatus(self.post("/api/v1/namespaces/default/configmaps", b"[1,2]"),
                          400, "BadRequest")
        self.assertStatus(self.post("/api/v1/namespaces/default/configmaps", b"{}",
                                    headers=["Content-Type: application/xml"]),
                          415, "UnsupportedMediaType")

    def test_yaml_alias_bomb(self):
        lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}",
                 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        prev = "a"
        for name in "bcdefghi":
            lines.append("%s: &%s [%s]" % (name, name, ",".join(["*" + prev] * 9)))
            prev = name
        got = self.post("/api/v1/namespaces/default/configmaps", "\n".join(lines).encode(),
                        headers=["Content-Type: application/yaml"])
        self.assertStatus(got, 413, "RequestEntityTooLarge")
        self.assertIn("expands to more than", got[1]["message"])
        code, _ = self.srv.curl("/healthz")
        self.assertEqual(code, 200)

    def test_yaml_body_is_accepted(self):
        code, body = self.post("/api/v1/namespaces/default/configmaps",
                               b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-yaml}\ndata: {on: yes}\n",
                               headers=["Content-Type: application/yaml"])
        self.assertEqual(code, 201, body)
        self.assertEqual(body["metadata"]["name"], "from-yaml")

    def test_unknown_kind_and_version(self):
        code, body = self.srv.curl("/apis/nope.example.com/v1/widgets")
        self.assertEqual(code, 404)
        self.assertEqual(json.loads(body)["reason"], "NotFound")
        code, body = self.srv.curl("/apis/apps/v9/deployments")
        self.assertEqual(code, 404)
        doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}
        self.assertStatus(self.post("/api/v1/namespaces/default/configmaps", json.dumps(doc).encode()),
                          400, "BadRequest")

    def test_bad_names(self):
        for name in ("Upper_Case", "-leading", "a" * 300, "dots..dots"):
            doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
            got = self.post("/api/v1/namespaces/default/configmaps", json.dumps(doc).encode())
            self.assertStatus(got, 422, "Invalid")
            causes = got[1]["details"]["causes"]
            self.assertTrue(any(c["field"] == "metadata.name" for c in causes), causes)
        doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "has.dot"}}
        self.assertStatus(self.post("/api/v1/namespaces", json.dumps(doc).encode()), 422, "Invalid")

    def test_many_invalid_fields_listed(self):
        doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
               "spec": {"replicas": -1, "selector": {"matchLabels": {"a": "b"}},
                        "template": {"metadata": {"labels": {"a": "c"}},
                                     "spec": {"containers": [{"name": "c"}]}}}}
        got = self.post("/apis/apps/v1/namespaces/default/deployments", json.dumps(doc).encode())
        self.assertStatus(got, 422, "Invalid")
        fields = {c["field"] for c in got[1]["details"]["causes"]}
        self.assertIn("spec.replicas", fields)
        self.assertIn("spec.template.spec.containers[0].image", fields)
        self.assertIn("spec.template.metadata.labels", fields)

    def test_body_over_3mib(self):
        big = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"' + \
              b"x" * (3 * 1024 * 1024 + 10) + b'"}}'
        self.assertStatus(self.post("/api/v1/namespaces/default/configmaps", big), 413,
                          "RequestEntityTooLarge")
        code, _ = self.srv.curl("/healthz")
        self.assertEqual(code, 200)

    def test_deeply_nested_json(self):
        deep = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":' + \
               b"[" * 100000 + b"]" * 100000 + b"}"
        got = self.post("/api/v1/namespaces/default/configmaps", deep)
        self.assertIn(got[0], (400, 413))
        self.assertEqual(got[1]["kind"], "Status")

    def test_conflict_on_stale_resource_version(self):
        doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "occ"}, "data": {"a": "1"}}
        code, created = self.post("/api/v1/namespaces/default/configmaps", json.dumps(doc).encode())
        self.assertEqual(code, 201)
        created["data"]["a"] = "2"
        code, body = self.srv.curl("/api/v1/namespaces/default/configmaps/occ", method="PUT",
                                   data=json.dumps(created).encode(), headers=JSON)
        self.assertEqual(code, 200, body)
        created["data"]["a"] = "3"  # the old resourceVersion again
        code, body = self.srv.curl("/api/v1/namespaces/default/configmaps/occ", method="PUT",
                                   data=json.dumps(created).encode(), headers=JSON)
        self.assertEqual(code, 409)
        st = json.loads(body)
        self.assertEqual(st["reason"], "Conflict")
        self.assertIn("the object has been modified", st["message"])

    def test_slowloris(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.srv.dir, "pki", "ca.crt"))
        raw = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        start = time.time()
        closed = False
        # one header byte per second: the server must drop us after its timeout
        for _ in range(20):
            try:
                s.sendall(b"X")
                s.settimeout(1)
                data = s.recv(100)
                if data == b"" or data.startswith(b"HTTP/1.1 4"):
                    closed = True
                    break
            except (socket.timeout, TimeoutError):
                continue
            except (ConnectionError, ssl.SSLError, OSError):
                closed = True
                break
        s.close()
        self.assertTrue(closed, "a slow client was kept open")
        self.assertLess(time.time() - start, 15)
        code, _ = self.srv.curl("/healthz")
        self.assertEqual(code, 200)



class ManyWatchesTest(ServerTest):
    """Ten thousand open watches on one server (default request timeout)."""

    # the API server's own capacity: no controllers competing for the CPU
    # (opening 10,000 TLS connections takes minutes under ASan)
    server_args = ("--disable-controller-manager", "--disable-scheduler")

    def test_ten_thousand_watches(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 10000
        if hard < want + 500:
            self.skipTest("RLIMIT_NOFILE hard limit %d is below %d" % (hard, want + 500))
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, want + 2000), hard))
        pki = os.path.join(self.srv.dir, "pki")
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        ctx.set_alpn_protocols(["http/1.1"])
        req = (b"GET /api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0"
               b"&fieldSelector=metadata.name%3Dwatched-by-many&timeoutSeconds=900 HTTP/1.1\r\n"
               b"Host: x\r\n\r\n")

        async def one(sem):
            async with sem:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", self.srv.port, ssl=ctx,
                                            server_hostname="localhost"), 60)
                w.write(req)
                await w.drain()
                head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 60)
                return r, w, head

        async def main():
            sem = asyncio.Semaphore(200)
            conns = await asyncio.gather(*[one(sem) for _ in range(want)])
            ok = sum(1 for _, _, h in conns if h.startswith(b"HTTP/1.1 200"))
            # the server still answers, and an event reaches the watchers
            t0 = time.time()
            code, _ = await asyncio.get_running_loop().run_in_executor(None, self.srv.curl, "/healthz")
            doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched-by-many"}}
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: self.srv.curl("/api/v1/namespaces/default/configmaps", method="POST", data=json.dumps(doc).encode(), headers=JSON))
            got = 0
            sample = conns[:: max(1, want // 200)]
            for r, _, _ in sample:
                data = await asyncio.wait_for(r.readuntil(b"watched-by-many"), 60)
                if b"ADDED" in data:
                    got += 1
            for _, w, _ in conns:
                w.close()
            return ok, code, got, len(sample), time.time() - t0

        ok, code, got, n, _ = asyncio.run(main())
        self.assertEqual(ok, want)
        self.assertEqual(code, 200)
        self.assertEqual(got, n)


if __name__ == "__main__":
    unittest.main()
