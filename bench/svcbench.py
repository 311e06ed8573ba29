"""Service networking figures (bench/services.sh).

A `zke server` with its in-process agent runs zkt pods (testimg/zkt.c, an
HTTP server that closes each connection, so every request is a new
connection through conntrack and DNAT: the proxy's per-connection cost is
in every request). Everything is on loopback or on addresses the agent made.

1. HTTP through a cluster IP, with wrk from the host, against:
   - one pod's IP directly (no Service rules in the path);
   - a cluster IP whose only endpoint is that pod (the proxy's own cost);
   - a cluster IP over 3 replicas (what the issue names).
   The ratio of the first two is the proxy's overhead.
2. Endpoint change to rule in place, over 100 changes: a Service without a
   selector whose EndpointSlice is rewritten with a new address; the time
   from sending the write to `nft monitor` printing the new DNAT rule (in
   iptables mode: the new endpoint chain's rules, which iptables-nft also
   makes as nf_tables rules, so the same monitor sees them).
3. DNS: dnsperf against the cluster DNS, and against dnsmasq (the peer on
   this machine) answering the same names from its own table; and the
   same answers from the cluster DNS's cache path in-process (bench_dns).
PROXY_MODE=iptables runs 1 and 2 with the agent's iptables mode (what a host
without nft gets) and skips 3, which does not depend on the mode.
Prints figures; asserts nothing."""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import testimg  # noqa: E402
from zke import (ZKE, Server, agent_cleanup, bridge_name, free_port, ipt_chain,  # noqa: E402
                 ipt_prefix, wait_for)

NODE = "zk-svc-bench"
TABLE = bridge_name(NODE)
IMAGE = "zke.test/zkt:1"
SECS = int(os.environ.get("SECS", "10"))
CHANGES = int(os.environ.get("CHANGES", "100"))
MODE = os.environ.get("PROXY_MODE", "")   # "": the agent's default (nftables here)


def rule_seen(line, addr):
    """Whether an `nft monitor` line is the rule that sends lat to addr."""
    if MODE == "iptables":
        sep = ipt_chain(ipt_prefix(TABLE), "ep/default/lat/tcp/80/%s/9000" % addr)
        return line.startswith("add rule ip nat %s " % sep)
    return "dnat to %s:9000" % addr in line and TABLE in line


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def deployment(name, replicas):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name, "bench": "svc"}},
                                  "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                                      "name": "web", "image": IMAGE, "args": ["serve", "8080"],
                                      "readinessProbe": {"tcpSocket": {"port": 8080},
                                                         "periodSeconds": 1}}]}}}}


def service(name, selector):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": 8080}]}}


def wrk(url):
    """wrk for SECS seconds, 2 threads, 16 connections: (req/s, p99 ms)."""
    p = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % SECS, "--latency", url],
                       capture_output=True, text=True, timeout=SECS + 60)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", p.stdout).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", p.stdout)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    errs = re.search(r"Socket errors: (.*)", p.stdout)
    return rps, p99, errs.group(1) if errs else "none"


def dns_a(server, name, timeout=0.5):
    """One A query over UDP: the answer count (0 for NXDOMAIN/NODATA), or None."""
    import random
    import socket
    import struct
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, (server, 53))
        try:
            a = s.recv(2048)
        except socket.timeout:
            return None
    if struct.unpack(">H", a[:2])[0] != qid:
        return None
    return struct.unpack(">H", a[6:8])[0]


def dnsperf(server, port, names, secs):
    """dnsperf -v for secs: (queries/s, p50 us, p99 us, lost)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for n in names:
            f.write("%s A\n" % n)
        qfile = f.name
    p = subprocess.run(["dnsperf", "-s", server, "-p", str(port), "-d", qfile, "-l", str(secs),
                        "-c", "4", "-Q", "200000", "-v"],
                       capture_output=True, text=True, timeout=secs + 60)
    os.unlink(qfile)
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", p.stdout).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", p.stdout).group(1))
    lat = [float(x) * 1e6 for x in re.findall(r"^> NOERROR \S+ A ([\d.]+)", p.stdout, re.M)]
    return qps, pct(lat, 50) if lat else 0, pct(lat, 99) if lat else 0, lost


class Monitor(threading.Thread):
    """`nft monitor rules` of the table: when each line came."""

    def __init__(self):
        super().__init__(daemon=True)
        self.proc = subprocess.Popen(["nft", "monitor", "rules"],
                                     stdout=subprocess.PIPE, text=True)
        self.lines, self.cv = [], threading.Condition()

    def run(self):
        for line in self.proc.stdout:
            with self.cv:
                self.lines.append((time.monotonic(), line))
                self.cv.notify_all()

    def wait_for(self, addr, since, timeout=5):
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for t, line in self.lines:
                    if t >= since and rule_seen(line, addr):
                        return t
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)


def main():
    if os.geteuid() != 0:
        sys.exit("bench/services.sh needs root (pods, nftables)")
    build = tempfile.mkdtemp(prefix="zke-svcbench-")
    zkt = testimg.build_zkt(build)
    archive = os.path.join(build, "zkt.tar")
    testimg.oci_archive(zkt, IMAGE, archive)
    srv = Server(agent=NODE, extra_args=["--proxy-mode", MODE] if MODE else [])
    print("proxy mode: %s" % (MODE or "default (nftables where nft is installed)"))
    subprocess.run([ZKE, "image", "import", "--data-dir", srv.dir, archive], check=True,
                   capture_output=True)
    dnsmasq = None
    try:
        srv.start()
        cidr = wait_for(lambda: srv.kjson("get", "node", NODE)["spec"].get("podCIDR"), 30, "CIDR")
        o = cidr.split("/")[0].split(".")
        dns_ip = "%s.%s.%s.%d" % (o[0], o[1], o[2], int(o[3]) + 1)
        for d in (deployment("web", 3), deployment("one", 1), service("web", {"app": "web"}),
                  service("one", {"app": "one"})):
            srv.kubectl("apply", "-f", "-", input=json.dumps(d))

        def ready(n):
            items = srv.kjson("get", "pods", "-l", "bench=svc")["items"]
            return sum(1 for p in items if any(c["type"] == "Ready" and c["status"] == "True"
                                               for c in p["status"].get("conditions", []))) == n
        wait_for(lambda: ready(4), 120, "4 ready pods")
        pod_ip = srv.kjson("get", "pods", "-l", "app=one")["items"][0]["status"]["podIP"]
        one_ip = srv.kjson("get", "svc", "one")["spec"]["clusterIP"]
        web_ip = srv.kjson("get", "svc", "web")["spec"]["clusterIP"]
        time.sleep(2)

        print("== HTTP, wrk -t2 -c16 -d%ds, a new connection per request ==" % SECS)
        direct = wrk("http://%s:8080/" % pod_ip)
        via_one = wrk("http://%s/" % one_ip)
        via_web = wrk("http://%s/" % web_ip)
        direct2 = wrk("http://%s:8080/" % pod_ip)
        base = (direct[0] + direct2[0]) / 2
        for label, r in (("pod IP directly", direct), ("cluster IP -> that pod", via_one),
                         ("cluster IP -> 3 replicas", via_web), ("pod IP directly, again", direct2)):
            print("  %-26s %8.0f req/s  p99 %6.2f ms  errors: %s" % (label, r[0], r[1], r[2]))
        print("  proxy overhead (1 endpoint): %.1f %% fewer req/s than direct (mean of the two "
              "direct runs)" % (100.0 * (1 - via_one[0] / base)))
        print("  3 replicas / direct: %.2f" % (via_web[0] / base))

        print("== endpoint change -> rule in place, %d changes ==" % CHANGES)
        srv.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "lat"},
            "spec": {"ports": [{"name": "p", "port": 80}]}}))
        mon = Monitor()
        mon.start()
        time.sleep(0.5)
        from kubernetes import client, config
        config.load_kube_config(srv.kubeconfig)
        api = client.DiscoveryV1Api()
        body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": "lat-1", "labels": {"kubernetes.io/service-name": "lat"}},
                "addressType": "IPv4", "ports": [{"name": "p", "port": 9000, "protocol": "TCP"}],
                "endpoints": [{"addresses": ["10.42.250.1"], "conditions": {"ready": True}}]}
        api.create_namespaced_endpoint_slice("default", body)
        times, missed = [], 0
        for i in range(CHANGES):
            addr = "10.42.%d.%d" % (251 + i // 250, 1 + i % 250)
            body["endpoints"][0]["addresses"] = [addr]
            t0 = time.monotonic()
            api.replace_namespaced_endpoint_slice("lat-1", "default", body)
            t1 = mon.wait_for(addr, t0)
            if t1 is None:
                missed += 1
            else:
                times.append((t1 - t0) * 1000)
            time.sleep(0.05)
        print("  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (missed: %d)" % (
            pct(times, 50), pct(times, 90), pct(times, 99), max(times), missed))
        mon.proc.terminate()
        if MODE == "iptables":
            return   # the DNS does not depend on the mode

        print("== DNS follows the watch: Service created -> its name answers, 20 Services ==")
        lags = []
        for i in range(20):
            name = "new%02d" % i
            srv.kubectl("apply", "-f", "-", input=json.dumps(service(name, {"app": "web"})))
            t0 = time.monotonic()
            fqdn = "%s.default.svc.cluster.local" % name
            while not dns_a(dns_ip, fqdn) and time.monotonic() - t0 < 10:
                time.sleep(0.002)
            lags.append((time.monotonic() - t0) * 1000)
        print("  from kubectl's create returning to the first answer: p50 %.1f ms, max %.1f ms"
              % (pct(lags, 50), max(lags)))

        print("== DNS, dnsperf -c4 for %ds ==" % SECS)
        names = ["web.default.svc.cluster.local", "one.default.svc.cluster.local",
                 "kubernetes.default.svc.cluster.local"]
        z = dnsperf(dns_ip, 53, names, SECS)
        port = free_port()
        dnsmasq = subprocess.Popen(
            ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
             "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", "--port=%d" % port,
             "--cache-size=1000"] +
            ["--host-record=%s,%s" % (n, ip) for n, ip in zip(names, (web_ip, one_ip, "10.43.0.1"))],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        m = dnsperf("127.0.0.1", port, names, SECS)
        exe = os.path.join(ROOT, "build", "bench_dns")
        p = subprocess.run([exe, srv.kubeconfig, str(SECS)] + names, capture_output=True,
                           text=True, timeout=SECS + 60)
        c = p.stdout.split()
        print("  zke cluster DNS   %8.0f q/s  p50 %6.1f us  p99 %6.1f us  lost %d" % z)
        print("  dnsmasq (peer)    %8.0f q/s  p50 %6.1f us  p99 %6.1f us  lost %d" % m)
        print("  zke cache path    %8.0f answers/s  p50 %s us  p99 %s us  (in-process, "
              "no socket; %s bad)" % (float(c[0]), c[1], c[2], c[3]))
    finally:
        if dnsmasq:
            dnsmasq.terminate()
            dnsmasq.wait(timeout=10)
        srv.kubectl("delete", "deployments,services,endpointslices", "--all", "--wait=true",
                    "--timeout=60s", check=False, timeout=90)
        srv.stop()
        agent_cleanup(srv.dir, NODE)
        srv.cleanup()
        shutil.rmtree(build, ignore_errors=True)


if __name__ == "__main__":
    main()
