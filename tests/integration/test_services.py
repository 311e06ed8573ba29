"""Service networking: the node proxy's rules (nftables, and iptables as on a
host without nft) and the cluster DNS.

A `zke server` with its in-process agent (root, runc, the CNI bridge) runs
zkt pods (testimg/zkt.c). A client pod finds Services by name through the
cluster DNS the agent serves on the bridge address, and reaches them
through their cluster IPs; the host reaches node ports. The DNS forwards
other names to a real dnsmasq on loopback (the host's resolvers are not
reachable here). Every address is loopback or one zke made on this machine.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import testimg
from zke import ZKE, Server, agent_cleanup, bridge_name, free_port, ipt_chain, ipt_prefix, wait_for

# node agents here: bridges, host rules, node ports (run.py runs these one at a time)
USES_HOST_NETWORK = True

IMAGE = "zke.test/zkt:1"


def have_runtime():
    return (os.geteuid() == 0 and shutil.which("runc") is not None
            and os.path.exists("/usr/lib/cni/bridge") and shutil.which("nft") is not None
            and shutil.which("dig") is not None and shutil.which("dnsmasq") is not None)


SKIP_WHY = ("needs root, runc, the CNI plugins, nft, dig and dnsmasq "
            "(CI runs as root with scripts/deps.sh)")


def deployment(name, replicas, labels, port=8080):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": dict(labels, app=name)},
                                  "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                                      "name": "web", "image": IMAGE, "args": ["serve", str(port)],
                                      "ports": [{"name": "http", "containerPort": port}],
                                      "readinessProbe": {"httpGet": {"path": "/", "port": port},
                                                         "periodSeconds": 1}}]}}}}


def service(name, selector, **spec):
    s = {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": s}


def nft(*args):
    return subprocess.run(["nft"] + list(args), capture_output=True, text=True, timeout=30)


def ipt(*args):
    return subprocess.run(["iptables", "-w", "5"] + list(args), capture_output=True, text=True,
                          timeout=30)


class ServicesCases:
    """The Service tests of either proxy mode (a mixin: the classes below
    are the test cases)."""
    NODE = None
    MODE = None

    @classmethod
    def setUpClass(cls):
        cls.TABLE = bridge_name(cls.NODE)
        cls.build = tempfile.mkdtemp(prefix="zke-svc-")
        zkt = testimg.build_zkt(cls.build)
        archive = os.path.join(cls.build, "zkt.tar")
        testimg.oci_archive(zkt, IMAGE, archive)
        # the upstream resolver: a real dnsmasq, on loopback only
        cls.dns_port = free_port()
        cls.dnsmasq = subprocess.Popen(
            ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
             "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces",
             "--port=%d" % cls.dns_port, "--address=/upstream.zke.test/192.0.2.77",
             "--pid-file=" + os.path.join(cls.build, "dnsmasq.pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        args = ["--cluster-dns-upstream", "127.0.0.1:%d" % cls.dns_port]
        if cls.MODE:
            args += ["--proxy-mode", cls.MODE]
        cls.srv = Server(agent=cls.NODE, extra_args=args)
        subprocess.run([ZKE, "image", "import", "--data-dir", cls.srv.dir, archive],
                       check=True, capture_output=True)
        try:
            cls.srv.start()
            node = wait_for(lambda: cls.node_cidr(), 30, "the node's pod CIDR")
            net = node.split("/")[0].split(".")
            cls.dns_ip = "%s.%s.%s.%d" % (net[0], net[1], net[2], int(net[3]) + 1)
            for d in (deployment("web", 3, {"tier": "front"}),
                      service("web", {"app": "web"}),
                      {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
                       "spec": {"terminationGracePeriodSeconds": 1, "containers": [
                           {"name": "c", "image": IMAGE, "args": ["sleep"]}]}}):
                cls.srv.kubectl("apply", "-f", "-", input=json.dumps(d))
            wait_for(lambda: cls.ready_endpoints("web") == 3, 90, "3 ready endpoints of web")
            wait_for(lambda: cls.pod_running("client"), 60, "the client pod")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if getattr(cls, "srv", None):
                cls.srv.kubectl("delete", "pods,deployments,services", "--all", "--wait=true",
                                "--timeout=60s", check=False, timeout=90)
        finally:
            if getattr(cls, "srv", None):
                cls.srv.stop()
                agent_cleanup(cls.srv.dir, cls.NODE)
                cls.srv.cleanup()
            cls.dnsmasq.terminate()
            cls.dnsmasq.wait(timeout=10)
            shutil.rmtree(cls.build, ignore_errors=True)

    # ---- helpers ----

    @classmethod
    def check_mode(cls, want):
        """The agent runs its rules in mode want (network.json says so)."""
        with open(os.path.join(cls.srv.dir, "agent", "network.json")) as f:
            mode = json.load(f).get("proxyMode")
        if mode != want:
            cls.tearDownClass()
            raise AssertionError("the agent's proxy mode is %r, not %r" % (mode, want))

    @classmethod
    def node_cidr(cls):
        p = cls.srv.kubectl("get", "node", cls.NODE, "-o", "json", check=False)
        return p.returncode == 0 and json.loads(p.stdout)["spec"].get("podCIDR")

    @classmethod
    def pod_running(cls, name):
        p = cls.srv.kubectl("get", "pod", name, "-o", "json", check=False)
        return p.returncode == 0 and json.loads(p.stdout)["status"].get("phase") == "Running"

    @classmethod
    def ready_endpoints(cls, svc, any_state=False):
        p = cls.srv.kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=" + svc,
                            "-o", "json", check=False)
        if p.returncode != 0:
            return -1
        return sum(1 for s in json.loads(p.stdout)["items"] for e in s.get("endpoints") or []
                   if any_state or (e.get("conditions") or {}).get("ready", True))

    def apply(self, *docs):
        for d in docs:
            self.srv.kubectl("apply", "-f", "-", input=json.dumps(d))

    def in_client(self, *args, pod="client"):
        return self.srv.kubectl("exec", pod, "--", "/bin/zkt", *args, timeout=120).stdout

    def hits(self, n, host, port, pod="client"):
        """Bodies counted by zkt hits: ({body: count}, failed count, resolved IP)."""
        out = self.in_client("hits", str(n), host, str(port), pod=pod)
        counts, failed, ip = {}, 0, None
        for line in out.splitlines():
            if line.startswith("resolved "):
                ip = line.split()[1]
            elif line.startswith("failed "):
                failed = int(line.split()[1])
            elif line.strip():
                c, body = line.split(" ", 1)
                counts[body] = int(c)
        return counts, failed, ip

    def dig(self, name, qtype="A", *extra):
        p = subprocess.run(["dig", "@" + self.dns_ip, "+time=2", "+tries=2", name, qtype] +
                           list(extra), capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def dig_short(self, name, qtype="A"):
        return sorted(x for x in self.dig(name, qtype, "+short").splitlines() if x)

    def endpoint_pods(self, svc):
        """The pods behind the Service's ready endpoints (targetRef names)."""
        out = []
        for sl in self.srv.kjson("get", "endpointslices", "-l",
                                 "kubernetes.io/service-name=" + svc)["items"]:
            for e in sl.get("endpoints") or []:
                if (e.get("conditions") or {}).get("ready", True) and e.get("targetRef"):
                    out.append(e["targetRef"]["name"])
        return sorted(out)

    def cluster_ip(self, svc):
        return self.srv.kjson("get", "svc", svc)["spec"]["clusterIP"]

    def pod_names(self, app):
        items = self.srv.kjson("get", "pods", "-l", "app=" + app)["items"]
        return sorted(p["metadata"]["name"] for p in items
                      if p["status"].get("phase") == "Running")

    # ---- the table, as nft has it and as the API says it should be ----

    def actual_rules(self):
        p = nft("list", "table", "ip", self.TABLE)
        self.assertEqual(p.returncode, 0, p.stderr)
        text = p.stdout
        chains = set(re.findall(r"^\s*chain (\S+) \{", text, re.M))
        fixed = {"nat-pre", "nat-out", "nat-post", "services", "filter-pre", "filter-in",
                 "filter-fwd", "filter-out", "ep-check", "np-check", "refuse", "to-masq"}
        self.assertTrue(fixed <= chains, "fixed chains missing: %s" % (fixed - chains))
        vmap = dict(re.findall(r"(\d+\.\d+\.\d+\.\d+ \. \w+ \. \d+) : goto (\S+?)[,\s]",
                               self.section(text, "map svc-ips")))
        noep = set(re.findall(r"(\d+\.\d+\.\d+\.\d+ \. \w+ \. \d+)", self.section(text, "set no-ep")))
        dnat = {}
        for name in chains:
            if name.startswith("ep/"):
                m = re.search(r"dnat to (\S+)", self.section(text, "chain " + name))
                dnat[name] = m.group(1) if m else None
        return {"chains": chains - fixed, "vmap": vmap, "noep": noep, "dnat": dnat}

    @staticmethod
    def section(text, head):
        i = text.find(head + " {")
        if i < 0:
            return ""
        j = text.find("\n\t}", i)
        return text[i:j]

    def expected_rules(self):
        svcs = self.srv.kjson("get", "services", "-A")["items"]
        slices = self.srv.kjson("get", "endpointslices", "-A")["items"]
        want = {"chains": set(), "vmap": {}, "noep": set(), "dnat": {}}
        for s in svcs:
            ns, name, spec = s["metadata"]["namespace"], s["metadata"]["name"], s["spec"]
            ip = spec.get("clusterIP")
            if not ip or ip == "None" or spec.get("type") == "ExternalName":
                continue
            mine = [sl for sl in slices if sl["metadata"]["namespace"] == ns and
                    sl["metadata"].get("labels", {}).get("kubernetes.io/service-name") == name]
            for port in spec["ports"]:
                proto = port.get("protocol", "TCP").lower()
                eps = set()
                for sl in mine:
                    tp = [p2["port"] for p2 in sl.get("ports") or []
                          if p2.get("name", "") == port.get("name", "")]
                    for e in sl.get("endpoints") or []:
                        if tp and (e.get("conditions") or {}).get("ready", True):
                            eps.update((a, tp[0]) for a in e["addresses"])
                key = "%s . %s . %d" % (ip, proto, port["port"])
                ident = "%s/%s/%s/%d" % (ns, name, proto, port["port"])
                if not eps:
                    want["noep"].add(key)
                    continue
                want["vmap"][key] = "svc/" + ident
                want["chains"].add("svc/" + ident)
                if port.get("nodePort") and spec.get("type") in ("NodePort", "LoadBalancer"):
                    want["chains"].add("ext/" + ident)
                for a, tp in eps:
                    ep = "ep/%s/%s/%d" % (ident, a, tp)
                    want["chains"].add(ep)
                    want["dnat"][ep] = "%s:%d" % (a, tp)
        return self.in_mode(want)

    def in_mode(self, want):
        """The expected rules (nft names) as actual_rules reports them."""
        return want

    def chain_of(self, nft_name):
        return nft_name

    def weighted_seen(self):
        return "numgen random mod 10 vmap" in nft("list", "chain", "ip", self.TABLE,
                                                  "svc/default/bg/tcp/80").stdout

    def drift(self):
        """Change the rules behind the agent's back: the map entry of web
        goes, a ghost chain and a stale no-endpoints entry come."""
        web_key = "%s . tcp . 80" % self.cluster_ip("web")
        self.assertEqual(nft("delete", "element", "ip", self.TABLE, "svc-ips",
                             "{ %s }" % web_key).returncode, 0)
        self.assertEqual(nft("add", "chain", "ip", self.TABLE, "svc/default/ghost/tcp/80").returncode, 0)
        self.assertEqual(nft("add", "element", "ip", self.TABLE, "no-ep",
                             "{ 10.43.9.9 . tcp . 9 }").returncode, 0)

    def assert_rules_exact(self, timeout=15):
        out = {}

        def same():
            out["want"], out["have"] = self.expected_rules(), self.actual_rules()
            return out["want"] == out["have"]
        try:
            wait_for(same, timeout, "the nft table to match the API")
        except AssertionError:
            self.assertEqual(out["have"], out["want"])

    # ---- tests ----

    def test_cluster_ip_by_name_spreads_over_replicas(self):
        ip = self.cluster_ip("web")
        self.assertTrue(ip.startswith("10.43."), ip)
        pods = self.pod_names("web")
        self.assertEqual(len(pods), 3)
        counts, failed, resolved = self.hits(60, "web", 80)
        self.assertEqual(resolved, ip)
        self.assertEqual(failed, 0)
        self.assertEqual(sorted(counts), sorted("hello from " + p for p in pods))
        # each of 3 replicas gets at least 5 of 60 (by chance otherwise: < 1e-4)
        self.assertTrue(all(c >= 5 for c in counts.values()), counts)
        counts, failed, resolved = self.hits(6, "web.default.svc.cluster.local", 80)
        self.assertEqual((resolved, failed, sum(counts.values())), (ip, 0, 6))
        resolv = self.in_client("cat", "/etc/resolv.conf")
        self.assertIn("nameserver %s\n" % self.dns_ip, resolv)
        self.assertIn("search default.svc.cluster.local svc.cluster.local cluster.local", resolv)
        self.assertIn("ndots:5", resolv)

    def test_no_endpoints_refuse_at_once_then_serve_again(self):
        self.apply(deployment("flip", 1, {}), service("flip", {"app": "flip"}))
        wait_for(lambda: self.ready_endpoints("flip") == 1, 60, "flip ready")
        counts, failed, _ = self.hits(3, "flip", 80)
        self.assertEqual((failed, sum(counts.values())), (0, 3))
        self.srv.kubectl("scale", "deployment", "flip", "--replicas=0")
        # no endpoint at all: a terminating one still serves (its rules stay)
        wait_for(lambda: self.ready_endpoints("flip", any_state=True) == 0, 60,
                 "flip without endpoints")
        # REJECT: refused, not a 5 s timeout, from a pod and from the host
        wait_for(lambda: self.in_client("connect", "flip", "80").startswith("refused"), 10,
                 "a refused connection to flip")
        p = subprocess.run(["curl", "-sS", "--max-time", "5", "http://%s/" % self.cluster_ip("flip")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 7, p.stderr)   # connection refused, not 28 (timeout)
        self.srv.kubectl("scale", "deployment", "flip", "--replicas=1")
        wait_for(lambda: self.ready_endpoints("flip") == 1, 60, "flip back")
        wait_for(lambda: self.in_client("connect", "flip", "80").startswith("connected"), 10,
                 "flip to take connections again")
        counts, failed, _ = self.hits(3, "flip", 80)
        self.assertEqual((failed, sum(counts.values())), (0, 3))

    def test_node_port_from_host_loopback_and_node_address(self):
        self.apply(service("web-np", {"app": "web"}, type="NodePort"))
        svc = self.srv.kjson("get", "svc", "web-np")
        np = svc["spec"]["ports"][0]["nodePort"]
        self.assertTrue(30000 <= np <= 32767, np)
        node = self.srv.kjson("get", "node", self.NODE)
        addr = [a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP"][0]
        for host in ("127.0.0.1", addr):
            def ok():
                p = subprocess.run(["curl", "-sS", "--max-time", "5", "http://%s:%d/" % (host, np)],
                                   capture_output=True, text=True)
                return p.returncode == 0 and p.stdout.startswith("hello from web-")
            wait_for(ok, 15, "node port %d on %s" % (np, host))
        self.srv.kubectl("delete", "svc", "web-np")

    def test_session_affinity_client_ip(self):
        self.apply(service("web-aff", {"app": "web"}, sessionAffinity="ClientIP"))
        wait_for(lambda: self.ready_endpoints("web-aff") == 3, 30, "web-aff endpoints")
        counts, failed, _ = self.hits(20, "web-aff", 80)
        self.assertEqual(failed, 0)
        self.assertEqual(len(counts), 1, counts)
        self.assertEqual(sum(counts.values()), 20)
        self.srv.kubectl("delete", "svc", "web-aff")

    def test_hairpin_pod_reaches_itself_through_its_service(self):
        pod = self.pod_names("web")[0]
        counts, failed, _ = self.hits(30, "web", 80, pod=pod)
        self.assertEqual(failed, 0, counts)
        # its own replica among the answers ((2/3)^30 to miss it by chance)
        self.assertIn("hello from " + pod, counts)

    def test_weighted_endpoints(self):
        self.apply(deployment("blue", 1, {"color": "any"}), deployment("green", 1, {"color": "any"}),
                   service("bg", {"color": "any"}))
        self.srv.kubectl("annotate", "svc", "bg", "zke.io/weights=blue-=9,green-=1")
        wait_for(lambda: self.ready_endpoints("bg") == 2, 60, "bg endpoints")
        wait_for(self.weighted_seen, 10, "weighted selection in the bg chain")
        counts, failed, _ = self.hits(100, "bg", 80)
        blue = sum(c for b, c in counts.items() if "blue-" in b)
        green = sum(c for b, c in counts.items() if "green-" in b)
        self.assertEqual((failed, blue + green), (0, 100))
        self.assertGreater(blue, green)   # 9:1 (the reverse by chance: ~1e-15)
        self.srv.kubectl("annotate", "--overwrite", "svc", "bg", "zke.io/weights=blue-=0")
        wait_for(lambda: set(b.split()[2][:5] for b in self.hits(10, "bg", 80)[0]) == {"green"},
                 15, "weight 0 to take blue out")
        self.srv.kubectl("delete", "svc,deployment", "bg", "blue", "green", check=False)

    def test_udp_flow_follows_a_replaced_endpoint(self):
        """A UDP flow (one source port) keeps its translation in conntrack;
        when its endpoint goes, the proxy deletes that entry, so the flow's
        next datagrams reach the new endpoint instead of a dead address."""
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "udp"},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "udp"}},
                        "template": {"metadata": {"labels": {"app": "udp"}},
                                     "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
                                         "name": "u", "image": IMAGE, "args": ["udpecho", "9000"],
                                         "ports": [{"name": "echo", "containerPort": 9000,
                                                    "protocol": "UDP"}]}]}}}}
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "udp"},
               "spec": {"selector": {"app": "udp"}, "ports": [
                   {"name": "echo", "port": 53, "protocol": "UDP", "targetPort": "echo"}]}}
        self.apply(dep, svc)
        wait_for(lambda: self.ready_endpoints("udp") == 1, 60, "the udp endpoint")
        # the pod behind the endpoint (a second pod the ReplicaSet made and
        # took back at once may still be listed)
        first = self.endpoint_pods("udp")[0]
        out = {}

        def ask():
            out["text"] = self.in_client("udpask", "udp", "53", "100", "200")
        t = threading.Thread(target=ask)
        t.start()
        time.sleep(3)
        self.srv.kubectl("delete", "pod", first, "--wait=false")
        t.join(timeout=120)
        lines = [l.split(" ", 1)[1] for l in out["text"].splitlines()]
        self.assertEqual(lines[0], "hello from " + first, out["text"])
        second = wait_for(lambda: [p for p in self.endpoint_pods("udp") if p != first] or None,
                          60, "the new udp endpoint")
        self.assertEqual(len(second), 1)
        # the flow ends on the new pod: without the conntrack deletion it
        # would time out until the entry expires (30 s or more)
        self.assertEqual(set(lines[-10:]), {"hello from " + second[0]}, out["text"])
        self.srv.kubectl("delete", "deployment,service", "udp")

    def test_rules_removed_with_service_and_reconciled_after_kill9(self):
        self.apply(service("gone", {"app": "web"}))
        gone = self.chain_of("svc/default/gone/tcp/80")
        wait_for(lambda: gone in self.actual_rules()["chains"], 10, "gone's chain")
        self.assert_rules_exact()
        self.srv.kubectl("delete", "svc", "gone")
        wait_for(lambda: gone not in self.actual_rules()["chains"], 10, "gone's chain to go")
        self.assert_rules_exact()
        # drift the rules behind the agent's back, then kill -9 it (the
        # in-process agent dies with the server) and start again
        self.drift()
        self.assertNotEqual(self.actual_rules(), self.expected_rules())
        self.srv.kill9()
        self.srv.start()
        self.assert_rules_exact(timeout=30)
        counts, failed, _ = self.hits(6, "web", 80)
        self.assertEqual((failed, sum(counts.values())), (0, 6))


@unittest.skipUnless(have_runtime(), SKIP_WHY)
class ServicesTest(ServicesCases, unittest.TestCase):
    """The agent's default mode (auto: nftables, since nft is installed),
    and the cluster DNS."""
    NODE = "zk-svc-it"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.check_mode("nftables")

    def test_headless_service_and_srv_records(self):
        self.apply(service("web-hl", {"app": "web"}, clusterIP="None"))
        ips = sorted(p["status"]["podIP"] for p in self.srv.kjson("get", "pods", "-l", "app=web")["items"])
        wait_for(lambda: self.dig_short("web-hl.default.svc.cluster.local") == ips, 15,
                 "the headless name to give the pod IPs")
        self.assertEqual(sorted(self.in_client("resolve", "web-hl").split()), ips)
        # SRV of a named port: the cluster IP's name for a normal Service,
        # every endpoint (and its target port) for a headless one
        self.assertEqual(self.dig_short("_http._tcp.web.default.svc.cluster.local", "SRV"),
                         ["0 100 80 web.default.svc.cluster.local."])
        srv = self.dig_short("_http._tcp.web-hl.default.svc.cluster.local", "SRV")
        self.assertEqual(len(srv), 3, srv)
        for line in srv:
            prio, weight, port, target = line.split()
            self.assertEqual(port, "8080")
            self.assertTrue(target.endswith(".web-hl.default.svc.cluster.local."), target)
            # the target resolves to one of the pods
            self.assertEqual(len(self.dig_short(target)), 1)
            self.assertIn(self.dig_short(target)[0], ips)
        self.assertIn("status: NXDOMAIN", self.dig("_nope._tcp.web.default.svc.cluster.local", "SRV"))
        self.srv.kubectl("delete", "svc", "web-hl")

    def test_pod_records_forwarding_and_nxdomain(self):
        self.assertEqual(self.dig_short("10-42-7-9.default.pod.cluster.local"), ["10.42.7.9"])
        out = self.dig("nosuch.default.svc.cluster.local")
        self.assertIn("status: NXDOMAIN", out)
        self.assertIn("flags: qr aa rd ra", out)
        self.assertEqual(self.dig_short("web.default.svc.cluster.local", "AAAA"), [])
        # not the cluster's: dnsmasq answers through the cluster DNS
        self.assertEqual(self.dig_short("upstream.zke.test"), ["192.0.2.77"])
        self.assertEqual(self.in_client("resolve", "upstream.zke.test").split(), ["192.0.2.77"])
        # over TCP too
        self.assertEqual(sorted(x for x in self.dig("web.default.svc.cluster.local", "A", "+tcp",
                                                    "+short").splitlines() if x),
                         [self.cluster_ip("web")])
        # a cluster IP's PTR
        ip = self.cluster_ip("web").split(".")
        self.assertEqual(self.dig_short("%s.%s.%s.%s.in-addr.arpa" % (ip[3], ip[2], ip[1], ip[0]),
                                        "PTR"), ["web.default.svc.cluster.local."])

    def test_dns_follows_the_watch(self):
        self.apply(service("late", {"app": "web"}))
        ip = self.cluster_ip("late")
        wait_for(lambda: self.dig_short("late.default.svc.cluster.local") == [ip], 5,
                 "the new Service's name")
        self.srv.kubectl("delete", "svc", "late")
        wait_for(lambda: "NXDOMAIN" in self.dig("late.default.svc.cluster.local"), 5,
                 "the deleted Service's name to go")


def have_iptables():
    return shutil.which("iptables-save") is not None and shutil.which("iptables-restore") is not None


@unittest.skipUnless(have_runtime() and have_iptables(),
                     SKIP_WHY + "; and iptables-save and iptables-restore")
class ServicesIptablesTest(ServicesCases, unittest.TestCase):
    """The same Services with --proxy-mode iptables, what a host without nft
    gets: the rules are chains in the iptables tables (iptrules.h). The DNS
    tests are ServicesTest's alone: the cluster DNS does not use the rules."""
    NODE = "zk-svc-ipt"
    MODE = "iptables"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.P = ipt_prefix(cls.TABLE)
        cls.check_mode("iptables")

    def save(self):
        p = subprocess.run(["iptables-save"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def chain_of(self, nft_name):
        return ipt_chain(self.P, nft_name)

    FIXED = {"RAW", "NAT", "SERVICES", "NODEPORTS", "MARK-MASQ", "POSTROUTING", "FILTER", "NOEP",
             "NOEP-NP", "REJECT"}
    HOOKS = {("raw", "PREROUTING", "RAW"), ("nat", "PREROUTING", "NAT"), ("nat", "OUTPUT", "NAT"),
             ("nat", "POSTROUTING", "POSTROUTING"), ("filter", "INPUT", "FILTER"),
             ("filter", "FORWARD", "FILTER"), ("filter", "OUTPUT", "FILTER")}

    def actual_rules(self):
        P, table = self.P, None
        chains, vmap, noep, dnat, jumps = set(), {}, set(), {}, {}
        for line in self.save().splitlines():
            if line.startswith("*"):
                table = line[1:]
            elif line.startswith(":" + P):
                chains.add(line[1:].split()[0])
            elif line.startswith("-A "):
                words = line.split()
                m = re.match(r"-A (\S+) -j (%s\S+)$" % re.escape(P), line)
                if m and not m.group(1).startswith(P):
                    key = (table, m.group(1), m.group(2)[len(P):])
                    jumps[key] = jumps.get(key, 0) + 1
                    continue
                m = re.search(r"-d (\S+)/32 -p (\w+) -m \w+ --dport (\d+) .*-j (\S+)$", line)
                if words[1] == P + "SERVICES" and m:
                    vmap["%s . %s . %s" % m.group(1, 2, 3)] = m.group(4)
                elif words[1] == P + "NOEP" and m:
                    noep.add("%s . %s . %s" % m.group(1, 2, 3))
                elif words[1].startswith(P + "SEP-") and "-j DNAT" in line:
                    dnat[words[1]] = re.search(r"--to-destination (\S+)", line).group(1)
        fixed = {P + f for f in self.FIXED}
        self.assertTrue(fixed <= chains, "fixed chains missing: %s" % (fixed - chains))
        return {"chains": chains - fixed, "vmap": vmap, "noep": noep, "dnat": dnat,
                "jumps": jumps}

    def in_mode(self, want):
        c = self.chain_of
        return {"chains": {c(x) for x in want["chains"]},
                "vmap": {k: c(v) for k, v in want["vmap"].items()},
                "noep": want["noep"],
                "dnat": {c(k): v for k, v in want["dnat"].items()},
                "jumps": {h: 1 for h in self.HOOKS}}

    def weighted_seen(self):
        svc = self.chain_of("svc/default/bg/tcp/80")
        p = ipt("-t", "nat", "-S", svc)
        # iptables keeps the probability as a 32-bit fraction: 0.89999999991
        m = re.search(r"--probability ([0-9.]+)", p.stdout)
        return p.returncode == 0 and m is not None and abs(float(m.group(1)) - 0.9) < 1e-6

    def drift(self):
        """The SERVICES rule of web goes, so does a jump from OUTPUT; a ghost
        chain, a second jump from PREROUTING and a stale no-endpoints rule
        come."""
        P = self.P
        lines = [l for l in ipt("-t", "nat", "-S", P + "SERVICES").stdout.splitlines()
                 if "-d %s/32" % self.cluster_ip("web") in l]
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(ipt("-t", "nat", *(["-D"] + shlex.split(lines[0])[1:])).returncode, 0)
        self.assertEqual(ipt("-t", "nat", "-D", "OUTPUT", "-j", P + "NAT").returncode, 0)
        self.assertEqual(ipt("-t", "nat", "-A", "PREROUTING", "-j", P + "NAT").returncode, 0)
        self.assertEqual(ipt("-t", "nat", "-N", P + "SVC-00000000000000").returncode, 0)
        self.assertEqual(ipt("-A", P + "NOEP", "-d", "10.43.9.9/32", "-p", "tcp", "-m", "tcp",
                             "--dport", "9", "-j", P + "REJECT").returncode, 0)

    def test_unknown_proxy_mode_is_refused(self):
        for cmd in (["agent", "--data-dir", self.build], ["server", "--data-dir", self.build]):
            p = subprocess.run([ZKE] + cmd + ["--proxy-mode", "ipvs"], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn('--proxy-mode "ipvs": use auto, nftables or iptables', p.stderr)

    def test_clean_stop_removes_chains_and_jumps(self):
        """What the agent's rules leave after node-cleanup: nothing of its
        prefix in any table. (The class's own teardown relies on it too; this
        checks it on a second agent's rules, made by hand from a save.)"""
        P = self.P
        self.assertIn(":%sNAT" % P, self.save())
        other = "zkeclean0"
        op = ipt_prefix(other)
        # a second agent's leftovers: copy this agent's chains under its prefix
        text = self.save().replace(P, op)
        keep = []
        table = None
        for line in text.splitlines():
            if line.startswith("*"):
                table = line
                keep.append(line)
            elif line.startswith(":" + op) or (line.startswith("-A ") and op in line):
                keep.append(line)
            elif line == "COMMIT":
                keep.append(line)
        p = subprocess.run(["iptables-restore", "-w", "5", "--noflush"], input="\n".join(keep) + "\n",
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(":%sNAT" % op, self.save())
        d = tempfile.mkdtemp(prefix="zke-clean-")
        try:
            os.makedirs(os.path.join(d, "agent"))
            with open(os.path.join(d, "agent", "network.json"), "w") as f:
                json.dump({"table": other, "proxyMode": "iptables"}, f)
            p = subprocess.run([ZKE, "node-cleanup", "--data-dir", d], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertNotIn(op, self.save())
        # this agent's own rules were not touched
        self.assertIn(":%sNAT" % P, self.save())


if __name__ == "__main__":
    unittest.main()
