"""The node agent runs pods as real containers: runc, the CNI bridge, an
image from the node's store. Everything goes through kubectl against a
`zke server` whose in-process agent runs as root (CI runs as root).

The image is zkt (testimg/zkt.c), built here and imported into the
server's image store, so nothing comes from outside this machine; pod
addresses are ones the agent made in network namespaces on this machine."""
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
from zke import KUBECTL, KUBECTL_OLD, ZKE, Server, agent_cleanup, wait_for

# node agents here: bridges, host rules, node ports (run.py runs these one at a time)
USES_HOST_NETWORK = True

IMAGE = "zke.test/zkt:1"
NODE = "zk-agent-it"


def curl(url, tries=25):
    """GET url; a container counts as started before its program listens
    (there is no readiness probe here), so refusals are retried briefly."""
    for _ in range(tries):
        p = subprocess.run(["curl", "-sS", "--max-time", "5", url], capture_output=True,
                           text=True)
        if p.returncode != 7:   # 7: connection refused
            break
        time.sleep(0.2)
    return p.returncode, p.stdout


def have_runtime():
    return (os.geteuid() == 0 and shutil.which("runc") is not None
            and os.path.exists("/usr/lib/cni/bridge"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    """The resident memory of process pid, in MiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


SKIP_WHY = "needs root, runc and the CNI plugins (CI runs as root with scripts/deps.sh)"


@unittest.skipUnless(have_runtime(), SKIP_WHY)
class AgentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build = tempfile.mkdtemp(prefix="zke-img-")
        zkt = testimg.build_zkt(cls.build)
        cls.archive = os.path.join(cls.build, "zkt.tar")
        testimg.oci_archive(zkt, IMAGE, cls.archive)
        cls.srv = Server(agent=NODE)
        subprocess.run([ZKE, "image", "import", "--data-dir", cls.srv.dir, cls.archive],
                       check=True, capture_output=True)
        try:
            cls.srv.start()
            wait_for(lambda: cls.node_ready(), 30, "the node to be Ready with a pod CIDR")
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.build, ignore_errors=True)
            raise

    @classmethod
    def node_ready(cls):
        p = cls.srv.kubectl("get", "node", NODE, "-o", "json", check=False)
        if p.returncode != 0:
            return False
        node = json.loads(p.stdout)
        ready = [c for c in node["status"].get("conditions", []) if c["type"] == "Ready"]
        return ready and ready[0]["status"] == "True" and node["spec"].get("podCIDR")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.kubectl("delete", "pods,deployments", "--all", "--wait=true",
                            "--timeout=60s", check=False, timeout=90)
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.build, ignore_errors=True)

    # ---- helpers ----

    def apply(self, doc):
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(doc))

    def pod(self, name):
        return self.srv.kjson("get", "pod", name)

    def pod_doc(self, name, args, restart="Always", **extra):
        ctr = {"name": name, "image": IMAGE, "args": list(args)}
        ctr.update(extra.pop("container", {}))
        spec = {"containers": [ctr], "restartPolicy": restart,
                "terminationGracePeriodSeconds": 5}
        spec.update(extra)
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}

    def wait_phase(self, name, phases, timeout=60):
        out = {}

        def check():
            out["pod"] = self.pod(name)
            return out["pod"]["status"].get("phase") in phases
        wait_for(check, timeout, "pod %s in %s" % (name, phases))
        return out["pod"]

    def wait_running(self, name, timeout=60):
        out = {}

        def check():
            out["pod"] = p = self.pod(name)
            cs = p["status"].get("containerStatuses") or [{}]
            return p["status"].get("phase") == "Running" and all(c.get("ready") for c in cs)
        wait_for(check, timeout, "pod %s Running and ready" % name)
        return out["pod"]

    def log_lines(self, pod, container, attempt=0):
        p = self.pod(pod)
        uid = p["metadata"]["uid"]
        path = os.path.join(self.srv.dir, "pods", "default_%s_%s" % (pod, uid), container,
                            "%d.log" % attempt)
        with open(path) as f:
            return [line.rstrip("\n").split(" ", 3)[3] for line in f]

    def delete(self, *names):
        self.srv.kubectl("delete", "pod", *names, "--wait=true", "--timeout=60s", timeout=90)

    def curl(self, url):
        return curl(url)

    # ---- tests ----

    def test_deployment_runs_and_pods_reach_each_other(self):
        self.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                             "template": {"metadata": {"labels": {"app": "web"}},
                                          "spec": {"containers": [
                                              {"name": "web", "image": IMAGE,
                                               "args": ["serve", "8080"]}]}}}})
        self.srv.kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90)
        pods = self.srv.kjson("get", "pods", "-l", "app=web")["items"]
        self.assertEqual(len(pods), 2)
        ips = []
        for p in pods:
            st = p["status"]
            self.assertEqual(st["phase"], "Running")
            self.assertTrue(st["podIP"].startswith("10.42."), st["podIP"])
            self.assertTrue(st.get("startTime"))
            self.assertEqual(st["hostIP"], st["hostIPs"][0]["ip"])
            conds = {c["type"]: c["status"] for c in st["conditions"]}
            for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
                self.assertEqual(conds.get(t), "True", (t, conds))
            cs = st["containerStatuses"][0]
            self.assertTrue(cs["ready"] and cs["started"])
            self.assertEqual(cs["restartCount"], 0)
            self.assertIn("running", cs["state"])
            self.assertTrue(cs["imageID"].startswith("zke.test/zkt@sha256:"), cs["imageID"])
            # the host reaches the pod, and the pod answers as itself
            rc, body = self.curl("http://%s:8080/" % st["podIP"])
            self.assertEqual(rc, 0)
            self.assertEqual(body, "hello from %s\n" % p["metadata"]["name"])
            ips.append(st["podIP"])
        self.assertNotEqual(ips[0], ips[1])
        # a pod reaches another one
        self.apply(self.pod_doc("getter", ["get", ips[1], "8080"], restart="Never"))
        self.wait_phase("getter", ("Succeeded",))
        self.assertIn("hello from", "\n".join(self.log_lines("getter", "getter")))
        self.delete("getter")
        self.srv.kubectl("delete", "deployment", "web", "--wait=true", timeout=60)
        wait_for(lambda: not self.srv.kjson("get", "pods", "-l", "app=web")["items"], 60,
                 "the deployment's pods to go")

    def test_crashing_container_backs_off(self):
        self.apply(self.pod_doc("crasher", ["crash", "3"]))
        out = {}

        def looping():
            out["p"] = p = self.pod("crasher")
            cs = (p["status"].get("containerStatuses") or [{}])[0]
            return (cs.get("restartCount", 0) >= 2
                    and cs.get("state", {}).get("waiting", {}).get("reason") == "CrashLoopBackOff")
        wait_for(looping, 60, "CrashLoopBackOff after 2 restarts")
        cs = out["p"]["status"]["containerStatuses"][0]
        self.assertIn("back-off", cs["state"]["waiting"]["message"])
        term = cs["lastState"]["terminated"]
        self.assertEqual(term["exitCode"], 3)
        self.assertEqual(term["reason"], "Error")
        self.assertEqual(out["p"]["status"]["phase"], "Running")
        # kubectl logs --previous: the crashed run's output, through the server
        p = self.srv.kubectl("logs", "crasher", "--previous")
        self.assertEqual(p.stdout, "zkt: crashing with 3\n")
        # every run has its own log, with what that run printed; only the
        # last two runs are kept, however long it crashes
        uid = out["p"]["metadata"]["uid"]
        logs = os.path.join(self.srv.dir, "pods", "default_crasher_" + uid, "crasher")
        names = sorted(os.listdir(logs))
        self.assertLessEqual(len(names), 2, names)
        for n in names:
            self.assertIn("zkt: crashing with 3", self.log_lines("crasher", "crasher", int(n[:-4])))
        pod_dir = os.path.join(self.srv.dir, "agent", "pods", uid, "c")
        self.assertLessEqual(len(os.listdir(pod_dir)), 2, os.listdir(pod_dir))
        self.delete("crasher")

    def test_restart_policy_never_and_on_failure(self):
        self.apply(self.pod_doc("ok-once", ["crash", "0"], restart="Never"))
        self.apply(self.pod_doc("fail-once", ["crash", "4"], restart="Never"))
        p = self.wait_phase("ok-once", ("Succeeded", "Failed"))
        self.assertEqual(p["status"]["phase"], "Succeeded")
        term = p["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (0, "Completed"))
        p = self.wait_phase("fail-once", ("Succeeded", "Failed"))
        self.assertEqual(p["status"]["phase"], "Failed")
        self.assertEqual(p["status"]["containerStatuses"][0]["restartCount"], 0)
        self.delete("ok-once", "fail-once")

    def test_init_containers_run_first(self):
        doc = self.pod_doc("inited", ["serve", "8080"])
        doc["spec"]["initContainers"] = [
            {"name": "first", "image": IMAGE, "args": ["crash", "0"]},
            {"name": "second", "image": IMAGE, "args": ["crash", "0"]}]
        self.apply(doc)
        p = self.wait_running("inited")
        ics = p["status"]["initContainerStatuses"]
        self.assertEqual([c["name"] for c in ics], ["first", "second"])
        for c in ics:
            self.assertEqual(c["state"]["terminated"]["reason"], "Completed")
        # the second began after the first ended
        self.assertLessEqual(ics[0]["state"]["terminated"]["finishedAt"],
                             ics[1]["state"]["terminated"]["startedAt"])
        self.delete("inited")

    def test_memory_limit_oom_kills(self):
        self.apply(self.pod_doc("hog", ["alloc", "256"], restart="Never",
                                container={"resources": {"limits": {"memory": "64Mi"}}}))
        p = self.wait_phase("hog", ("Failed", "Succeeded"))
        term = p["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual(term["reason"], "OOMKilled", term)
        self.assertEqual(term["exitCode"], 137)
        self.delete("hog")

    def test_cpu_limit_holds_a_busy_loop(self):
        self.apply(self.pod_doc("spinner", ["spin"],
                                container={"resources": {"limits": {"cpu": "200m"}}}))
        p = self.wait_running("spinner")
        uid = p["metadata"]["uid"]
        usage = None
        for base in ("/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct"):
            path = "%s/zke/pod%s/spinner/cpuacct.usage" % (base, uid)
            if os.path.exists(path):
                usage = path
        if usage is None:   # cgroup v2
            usage = "/sys/fs/cgroup/zke/pod%s/spinner/cpu.stat" % uid

        def used_ns():
            with open(usage) as f:
                text = f.read()
            if usage.endswith("cpu.stat"):
                return int(text.split("usage_usec")[1].split()[0]) * 1000
            return int(text)
        a, t0 = used_ns(), time.monotonic()
        time.sleep(3)
        b, t1 = used_ns(), time.monotonic()
        cores = (b - a) / 1e9 / (t1 - t0)
        # the quota is 0.2 of a core; an unlimited loop takes a whole one
        self.assertLess(cores, 0.35, cores)
        self.assertGreater(cores, 0.05, cores)
        self.delete("spinner")

    def test_exec_over_websocket(self):
        self.apply(self.pod_doc("shell", ["serve", "8080"]))
        self.wait_running("shell")
        # kubectl 1.32 speaks v5.channel.k8s.io
        p = self.srv.kubectl("exec", "shell", "--", "/bin/zkt", "cat", "/etc/hostname")
        self.assertEqual(p.stdout, "shell\n")
        p = self.srv.kubectl("exec", "shell", "--", "/bin/zkt", "crash", "7", check=False)
        self.assertEqual(p.returncode, 7)
        self.assertEqual(p.stdout, "zkt: crashing with 7\n")
        self.assertIn("command terminated with exit code 7", p.stderr)
        p = self.srv.kubectl("exec", "-i", "shell", "--", "/bin/zkt", "cat", "/dev/stdin",
                             input="from stdin\n")
        self.assertEqual(p.stdout, "from stdin\n")
        p = self.srv.kubectl("exec", "shell", "-c", "nope", "--", "/bin/zkt", check=False)
        self.assertIn("container nope is not valid for pod shell", p.stderr)
        # -it under a pseudo-terminal (script(1) gives kubectl one): the
        # command sees a terminal, typed lines are echoed and read
        kcmd = "%s --kubeconfig %s exec -it shell -- /bin/zkt cat /dev/stdin" % (
            KUBECTL, self.srv.kubeconfig)
        feeder = subprocess.Popen(["script", "-qc", kcmd, "/dev/null"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(2)
        feeder.stdin.write(b"typed line\n")
        feeder.stdin.flush()
        time.sleep(1)
        feeder.stdin.write(b"\x04")   # ^D: end of input on the container's terminal
        feeder.stdin.flush()
        out, _ = feeder.communicate(timeout=60)
        self.assertEqual(out.count(b"typed line\r\n"), 2, out)   # the echo, then cat's copy
        tcmd = "%s --kubeconfig %s exec -it shell -- /bin/zkt crash 3" % (KUBECTL, self.srv.kubeconfig)
        p = subprocess.run(["script", "-qec", tcmd, "/dev/null"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
        self.assertIn(b"zkt: crashing with 3", p.stdout)
        self.assertIn(b"command terminated with exit code 3", p.stdout)
        self.assertEqual(p.returncode, 3)
        # the Python client's stream() speaks v4.channel.k8s.io
        from kubernetes import client, config
        from kubernetes.stream import stream
        api = client.CoreV1Api(config.new_client_from_config(self.srv.kubeconfig))
        out = stream(api.connect_get_namespaced_pod_exec, "shell", "default",
                     command=["/bin/zkt", "cat", "/etc/hostname"], stderr=True, stdin=False,
                     stdout=True, tty=False)
        self.assertEqual(out, "shell\n")
        ws = stream(api.connect_get_namespaced_pod_exec, "shell", "default",
                    command=["/bin/zkt", "crash", "5"], stderr=True, stdin=False, stdout=True,
                    tty=False, _preload_content=False)
        ws.run_forever(timeout=30)
        self.assertEqual(ws.returncode, 5)
        self.assertIn("zkt: crashing with 5", ws.read_stdout())
        ws.close()
        self.delete("shell")

    def test_exec_over_spdy(self):
        """exec over SPDY/3.1 (v4.channel.k8s.io): kubectl 1.20 speaks
        nothing else, and kubectl 1.32 falls back to it."""
        self.apply(self.pod_doc("spdy", ["serve", "8080"]))
        self.wait_running("spdy")
        p = self.srv.kubectl("exec", "spdy", "--", "/bin/zkt", "cat", "/etc/hostname", old=True)
        self.assertEqual(p.stdout, "spdy\n")
        p = self.srv.kubectl("exec", "spdy", "--", "/bin/zkt", "crash", "7", old=True,
                             check=False)
        self.assertEqual(p.returncode, 7)
        self.assertEqual(p.stdout, "zkt: crashing with 7\n")
        self.assertIn("command terminated with exit code 7", p.stderr)
        p = self.srv.kubectl("exec", "-i", "spdy", "--", "/bin/zkt", "cat", "/dev/stdin",
                             input="from stdin\n" * 20000, old=True)
        self.assertEqual(p.stdout, "from stdin\n" * 20000)
        # kubectl 1.32 told not to use WebSockets, with a terminal
        kcmd = ("KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false %s --kubeconfig %s exec -it spdy -- "
                "/bin/zkt cat /dev/stdin" % (KUBECTL, self.srv.kubeconfig))
        feeder = subprocess.Popen(["script", "-qc", kcmd, "/dev/null"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(2)
        feeder.stdin.write(b"typed line\n")
        feeder.stdin.flush()
        time.sleep(1)
        feeder.stdin.write(b"\x04")
        feeder.stdin.flush()
        out, _ = feeder.communicate(timeout=60)
        self.assertEqual(out.count(b"typed line\r\n"), 2, out)
        self.delete("spdy")

    def test_attach(self):
        """kubectl attach: the container's output from now on, and with
        stdin: true its stdin (WebSocket with kubectl 1.32, SPDY with 1.20),
        all of it even when the container reads slowly; attach -i to a
        container without stdin is refused with a reason."""
        self.apply(self.pod_doc("echoer", ["echo"], container={"stdin": True}))
        self.apply(self.pod_doc("ticker2", ["tick", "600", "100"]))
        self.wait_running("echoer")
        self.wait_running("ticker2")
        for exe in (KUBECTL, KUBECTL_OLD):
            p = subprocess.Popen([exe, "--kubeconfig", self.srv.kubeconfig, "attach", "-i",
                                  "echoer"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            got = []
            reader = threading.Thread(target=lambda: got.append(p.stdout.readline()))
            reader.start()
            try:
                deadline = time.time() + 30
                while reader.is_alive() and time.time() < deadline:
                    # sent until it comes back: the attach may not be up yet
                    p.stdin.write(b"through attach\n")
                    p.stdin.flush()
                    reader.join(1)
                self.assertEqual(got, [b"echo: through attach\n"], exe)
            finally:
                p.kill()
                p.wait()
                reader.join(5)
                for f in (p.stdin, p.stdout, p.stderr):
                    f.close()
            # output only: lines the container prints after the attach
            p = subprocess.Popen([exe, "--kubeconfig", self.srv.kubeconfig, "attach",
                                  "ticker2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            try:
                lines = [p.stdout.readline() for _ in range(3)]
            finally:
                p.kill()
                p.wait()
                p.stdout.close()
            nums = [int(x.split()[1]) for x in lines]
            self.assertEqual(nums, [nums[0], nums[0] + 1, nums[0] + 2], (exe, lines))
        p = self.srv.kubectl("attach", "-i", "ticker2", check=False, input="x\n", timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("was not started with stdin: true", p.stderr)
        # stdinOnce: the end of the first attach's input is the container's
        self.apply(self.pod_doc("oncer", ["echo"], restart="Never",
                                container={"stdin": True, "stdinOnce": True}))
        self.wait_running("oncer")
        time.sleep(1)
        p = self.srv.kubectl("attach", "-i", "oncer", input="only once\n", timeout=60)
        self.assertIn("echo: only once", p.stdout)
        pod = self.wait_phase("oncer", ["Succeeded"])
        self.assertEqual(pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
                         0)
        # input faster than the container reads is held back, not dropped:
        # 3 MiB for a reader that starts 3 s late (the FIFO holds 64 KiB)
        payload = bytes(range(256)) * (3 * 4096)
        for name, exe in (("wcer", KUBECTL), ("wcer-old", KUBECTL_OLD)):
            self.apply(self.pod_doc(name, ["wc", "3"], restart="Never",
                                    container={"stdin": True, "stdinOnce": True}))
            self.wait_running(name)
            time.sleep(1)
            p = subprocess.run([exe, "--kubeconfig", self.srv.kubeconfig, "attach", "-i", name],
                               input=payload, capture_output=True, timeout=120)
            self.wait_phase(name, ["Succeeded"])
            logs = self.srv.kubectl("logs", name).stdout
            self.assertIn("wc: %d" % len(payload), logs, (exe, p.stderr))
        self.delete("echoer", "ticker2", "oncer", "wcer", "wcer-old")

    def test_lifecycle_hooks(self):
        """postStart and preStop run as the kubelet runs them: the container
        is not Running, nor its pod Ready, until postStart is done; a failing
        postStart kills the container and it restarts; preStop (httpGet or
        exec) runs before the TERM, which waits for it."""
        d = tempfile.mkdtemp(prefix="zk-hooks-")
        os.chmod(d, 0o777)
        vol = {"volumes": [{"name": "d", "hostPath": {"path": d}}]}
        mount = [{"name": "d", "mountPath": "/data"}]
        try:
            self.apply(self.pod_doc("hooked", ["serve", "8080"], container={
                "volumeMounts": mount, "lifecycle": {
                    "postStart": {"exec": {"command": ["/bin/zkt", "waitfor", "/data/go",
                                                       "/data/post"]}},
                    "preStop": {"httpGet": {"path": "/mark?p=/data/pre-http", "port": 8080}}}},
                **vol))
            # the hook has started and waits for /data/go: the container is
            # still "ContainerCreating" and the pod not Ready
            wait_for(lambda: os.path.exists(os.path.join(d, "post.started")), 60,
                     "the postStart hook to start")
            pod = self.pod("hooked")
            cs = pod["status"]["containerStatuses"][0]
            self.assertEqual(cs["state"].get("waiting", {}).get("reason"), "ContainerCreating",
                             cs)
            self.assertFalse(cs["ready"])
            ready = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"]
            self.assertEqual(ready[0]["status"], "False")
            open(os.path.join(d, "go"), "w").close()
            self.wait_running("hooked")
            self.assertTrue(os.path.exists(os.path.join(d, "post")))

            # preStop as an exec that takes 7 s of a 10 s grace period: the
            # TERM waits for it (an early TERM would end the container, and
            # the hook with it, before the file is written)
            self.apply(self.pod_doc("stopper", ["sleep"], container={
                "volumeMounts": mount, "lifecycle": {
                    "preStop": {"exec": {"command": ["/bin/zkt", "touch", "/data/pre-exec", "7"]}}}},
                terminationGracePeriodSeconds=10, **vol))
            self.wait_running("stopper")
            self.delete("hooked", "stopper")
            self.assertTrue(os.path.exists(os.path.join(d, "pre-http")))
            self.assertTrue(os.path.exists(os.path.join(d, "pre-exec")))

            # a postStart that fails: the container is killed and restarts
            self.apply(self.pod_doc("badhook", ["sleep"], container={
                "lifecycle": {"postStart": {"exec": {"command": ["/bin/zkt", "crash"]}}}}))

            def restarted():
                cs = self.pod("badhook")["status"].get("containerStatuses") or [{}]
                return cs[0].get("restartCount", 0) >= 1
            wait_for(restarted, 90, "the container whose postStart failed to restart")
            self.delete("badhook")
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_attach_to_a_terminal(self):
        """A container with tty: true gets a terminal the shim holds: kubectl
        attach -it types into it and sees what it prints (the prompt-less
        echo of the line discipline too), and ^D ends its input. kubectl run
        -it --rm, the usual way to get a shell, works end to end."""
        self.apply(self.pod_doc("term", ["echo"], restart="Never",
                                container={"stdin": True, "tty": True}))
        self.wait_running("term")
        kcmd = "%s --kubeconfig %s attach -it term" % (KUBECTL, self.srv.kubeconfig)
        feeder = subprocess.Popen(["script", "-qc", kcmd, "/dev/null"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(3)
        feeder.stdin.write(b"typed line\n")
        feeder.stdin.flush()
        time.sleep(2)
        feeder.stdin.write(b"\x04")   # ^D: the end of the terminal's input
        feeder.stdin.flush()
        out, _ = feeder.communicate(timeout=60)
        self.assertIn(b"echo: typed line", out)
        self.wait_phase("term", ["Succeeded"])
        logs = self.srv.kubectl("logs", "term").stdout
        self.assertIn("echo: typed line", logs)
        # kubectl run -it --rm: create, attach, delete
        kcmd = ("%s --kubeconfig %s run runner -it --rm --restart=Never --image=%s -- echo"
                % (KUBECTL, self.srv.kubeconfig, IMAGE))
        feeder = subprocess.Popen(["script", "-qc", kcmd, "/dev/null"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(6)
        feeder.stdin.write(b"hello run\n")
        feeder.stdin.flush()
        time.sleep(2)
        feeder.stdin.write(b"\x04")
        feeder.stdin.flush()
        out, _ = feeder.communicate(timeout=90)
        self.assertIn(b"echo: hello run", out)
        self.assertIn(b'pod "runner" deleted', out)
        self.delete("term")

    def test_exec_streams_wait_for_slow_readers(self):
        """256 MiB of exec output to a reader that starts 8 s late arrives
        whole, and meanwhile neither the server nor its in-process agent
        holds it: the command is made to wait (tunnel stream windows). The
        other way, 64 MiB of stdin go through `cat` and come back whole."""
        self.apply(self.pod_doc("spewer", ["sleep"]))
        self.wait_running("spewer")
        base = rss_mb(self.srv.proc.pid)
        kc = "%s --kubeconfig %s exec spewer -- /bin/zkt spew 256" % (KUBECTL, self.srv.kubeconfig)
        reader = subprocess.Popen(["sh", "-c", kc + " | (sleep 8; wc -c)"],
                                  stdout=subprocess.PIPE, text=True)
        peak = base
        deadline = time.time() + 8
        while time.time() < deadline:
            peak = max(peak, rss_mb(self.srv.proc.pid))
            time.sleep(0.25)
        out, _ = reader.communicate(timeout=240)
        self.assertEqual(out.strip(), str(256 << 20))
        self.assertLess(peak - base, 48, "the server grew from %d to %d MB while the reader "
                        "slept" % (base, peak))
        with tempfile.NamedTemporaryFile() as f:
            f.write(os.urandom(1 << 20) * 64)
            f.flush()
            kc = "%s --kubeconfig %s exec -i spewer -- /bin/zkt cat /dev/stdin < %s | wc -c" % (
                KUBECTL, self.srv.kubeconfig, f.name)
            p = subprocess.run(["sh", "-c", kc], capture_output=True, text=True, timeout=240)
        self.assertEqual(p.stdout.strip(), str(64 << 20), p.stderr)
        self.delete("spewer")

    def test_port_forward_reaches_the_pod(self):
        """kubectl port-forward (SPDY inside WebSocket, as kubectl 1.32 asks;
        plain SPDY/3.1, as 1.32 without WebSockets and kubectl 1.20 do)
        reaches a server in the pod through the pod's loopback; an upload is
        counted by the pod after a half close; the Python client's WebSocket
        channels reach it too; a port nothing listens on is an error."""
        self.apply(self.pod_doc("fwd", ["serve", "8080"]))
        self.apply(self.pod_doc("fwdcount", ["count", "9000"]))
        self.wait_running("fwd")
        self.wait_running("fwdcount")
        variants = ((KUBECTL, {}), (KUBECTL, {"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"}),
                    (KUBECTL_OLD, {}))   # kubectl 1.20: SPDY only
        for exe, env in variants:
            lport, cport = free_port(), free_port()
            fwd = subprocess.Popen([exe, "--kubeconfig", self.srv.kubeconfig, "port-forward",
                                    "pod/fwd", "%d:8080" % lport], env=dict(os.environ, **env),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            cnt = subprocess.Popen([exe, "--kubeconfig", self.srv.kubeconfig, "port-forward",
                                    "pod/fwdcount", "%d:9000" % cport],
                                   env=dict(os.environ, **env), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
            try:
                self.assertIn("Forwarding from", fwd.stdout.readline())
                self.assertIn("Forwarding from", cnt.stdout.readline())
                for _ in range(3):   # one forwarded connection after another
                    rc, out = curl("http://127.0.0.1:%d/" % lport)
                    self.assertEqual((rc, out), (0, "hello from fwd\n"), (exe, env))
                # a small upload with a half close: the pod counts it and answers
                with socket.create_connection(("127.0.0.1", cport), timeout=60) as s:
                    s.sendall(b"x" * 1000)
                    s.shutdown(socket.SHUT_WR)
                    self.assertEqual(s.makefile("rb").readline(), b"1000\n", (exe, env))
            finally:
                for p in (fwd, cnt):
                    p.terminate()
                    p.wait(timeout=10)
                    p.stdout.close()
        # nothing listens on 8081: the connection fails with kubelet's words
        lport = free_port()
        fwd = subprocess.Popen([KUBECTL, "--kubeconfig", self.srv.kubeconfig, "port-forward",
                                "pod/fwd", "%d:8081" % lport], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        try:
            self.assertIn("Forwarding from", fwd.stdout.readline())
            subprocess.run(["curl", "-sS", "--max-time", "20", "http://127.0.0.1:%d/" % lport],
                           capture_output=True)
            out, _ = fwd.communicate(timeout=30)   # kubectl gives up on the lost pod
        finally:
            if fwd.poll() is None:
                fwd.kill()
                fwd.wait()
            fwd.stdout.close()
        self.assertIn("error forwarding port 8081 to pod", out)
        self.assertIn("connection refused", out)
        # the Python client: WebSocket channels (v4.channel.k8s.io)
        code = ("import sys\n"
                "from kubernetes import client, config\n"
                "from kubernetes.stream import portforward\n"
                "config.load_kube_config(sys.argv[1])\n"
                "pf = portforward(client.CoreV1Api().connect_get_namespaced_pod_portforward,\n"
                "                 'fwd', 'default', ports='8080')\n"
                "s = pf.socket(8080)\n"
                "s.setblocking(True)\n"
                "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n"
                "out = b''\n"
                "while True:\n"
                "    d = s.recv(4096)\n"
                "    if not d:\n"
                "        break\n"
                "    out += d\n"
                "print(out.decode().split('\\r\\n\\r\\n', 1)[1], end='')\n")
        p = subprocess.run(["/usr/bin/python3", "-c", code, self.srv.kubeconfig],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.stdout, "hello from fwd\n", p.stderr)
        self.delete("fwd", "fwdcount")

    def test_port_forward_large_upload(self):
        """64 MiB up through kubectl port-forward (every protocol), counted by
        the pod after a half close. (These uploads were reset now and then
        until libuv's empty reads stopped reaching libh2o's TLS callback as
        errors: decision 010.)"""
        self.apply(self.pod_doc("fwdbig", ["count", "9000"]))
        self.wait_running("fwdbig")
        variants = ((KUBECTL, {}), (KUBECTL, {"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"}),
                    (KUBECTL_OLD, {}))
        for exe, env in variants:
            cport = free_port()
            cnt = subprocess.Popen([exe, "--kubeconfig", self.srv.kubeconfig, "port-forward",
                                    "pod/fwdbig", "%d:9000" % cport],
                                   env=dict(os.environ, **env), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
            try:
                self.assertIn("Forwarding from", cnt.stdout.readline())
                payload = os.urandom(1 << 20) * 64
                answer = b""
                try:
                    with socket.create_connection(("127.0.0.1", cport), timeout=60) as s:
                        s.sendall(payload)
                        s.shutdown(socket.SHUT_WR)
                        while not answer.endswith(b"\n"):
                            chunk = s.recv(64)
                            if not chunk:
                                break
                            answer += chunk
                except OSError as e:
                    cnt.terminate()
                    out, _ = cnt.communicate(timeout=10)
                    self.fail("%s %s: %s; kubectl said: %s\nserver log:\n%s" % (
                        exe, env, e, out, self.srv.tail_log()))
                self.assertEqual(answer, b"%d\n" % len(payload), (exe, env))
            finally:
                cnt.terminate()
                cnt.wait(timeout=10)
                cnt.stdout.close()
        self.delete("fwdbig")

    def test_node_metrics_through_the_proxy(self):
        """The agent's /metrics, /metrics/cadvisor and /metrics/resource,
        read through GET nodes/<node>/proxy/..., and scraped there by a real
        Prometheus. (Debian's Prometheus is built without kubernetes_sd, so
        the target is static; the path is the one the usual node jobs
        rewrite __metrics_path__ to.)"""
        def get(path):
            code, body = self.srv.curl(path)
            return code, body.decode()
        self.apply(self.pod_doc("measured", ["sleep"]))
        self.wait_running("measured")
        code, body = get("/api/v1/nodes/%s/proxy/metrics" % NODE)
        self.assertEqual(code, 200, body)
        self.assertIn('zke_agent_containers{state="running"}', body)
        self.assertRegex(body, r"(?m)^zke_agent_tunnel_up 1$")
        self.assertRegex(body, r"(?m)^process_resident_memory_bytes [1-9]")
        code, body = get("/api/v1/nodes/%s/proxy/healthz" % NODE)
        self.assertEqual((code, body), (200, "ok"))
        code, body = get("/api/v1/nodes/%s/proxy/nope" % NODE)
        self.assertEqual(code, 404, body)
        self.assertIn("serves no /nope", body)
        code, body = get("/api/v1/nodes/no-such-node/proxy/metrics")
        self.assertEqual(code, 404, body)

        def sampled():
            c, b = get("/api/v1/nodes/%s/proxy/metrics/resource" % NODE)
            return c == 200 and 'pod_memory_working_set_bytes{namespace="default",pod="measured"}' in b
        wait_for(sampled, 30, "the pod's usage in /metrics/resource")
        code, body = get("/api/v1/nodes/%s/proxy/metrics/cadvisor" % NODE)
        self.assertRegex(body, r'container_cpu_usage_seconds_total\{container="measured",'
                               r'namespace="default",pod="measured"\} [0-9.e+-]+')
        # a real Prometheus scrapes it
        pki = os.path.join(self.srv.dir, "pki")
        tls = {"ca_file": os.path.join(pki, "ca.crt"), "cert_file": os.path.join(pki, "admin.crt"),
               "key_file": os.path.join(pki, "admin.key")}
        addr = "127.0.0.1:%d" % self.srv.port
        jobs = []
        for job, path in (("zke-agent", "metrics"), ("zke-cadvisor", "metrics/cadvisor")):
            jobs.append({"job_name": job, "scheme": "https", "scrape_interval": "1s",
                         "tls_config": tls, "metrics_path": "/api/v1/nodes/%s/proxy/%s" % (NODE, path),
                         "static_configs": [{"targets": [addr]}]})
        work = tempfile.mkdtemp(prefix="zke-prom-")
        cfg = os.path.join(work, "prometheus.yml")
        with open(cfg, "w") as f:
            json.dump({"global": {"scrape_interval": "1s"}, "scrape_configs": jobs}, f)
        port = free_port()
        logf = open(os.path.join(work, "log"), "w")
        prom = subprocess.Popen(["prometheus", "--config.file", cfg, "--storage.tsdb.path",
                                 os.path.join(work, "data"), "--web.listen-address",
                                 "127.0.0.1:%d" % port], stdout=subprocess.DEVNULL, stderr=logf)
        try:
            def query(q):
                p = subprocess.run(["curl", "-sS", "--max-time", "5", "-G",
                                    "http://127.0.0.1:%d/api/v1/query" % port,
                                    "--data-urlencode", "query=" + q],
                                   capture_output=True, text=True)
                if p.returncode:
                    return []
                try:
                    return json.loads(p.stdout).get("data", {}).get("result", [])
                except ValueError:
                    return []   # starting: "Service Unavailable" in plain text

            def scraped():
                up = query('up{job=~"zke-.*"}')
                return len(up) == 2 and all(r["value"][1] == "1" for r in up)
            wait_for(scraped, 60, "Prometheus to scrape both jobs through the proxy")
            series = query('container_memory_working_set_bytes{pod="measured"}')
            self.assertEqual(len(series), 1, series)
            self.assertGreater(float(series[0]["value"][1]), 0)
            self.assertEqual(series[0]["metric"]["instance"], addr)
            self.assertTrue(query('zke_agent_tunnel_up == 1'))
        finally:
            prom.terminate()
            prom.wait(timeout=30)
            logf.close()
            with open(os.path.join(work, "log")) as f:
                log = f.read()
            shutil.rmtree(work, ignore_errors=True)
        self.assertNotIn("level=error", log)
        self.delete("measured")

    def test_top_shows_a_busy_container(self):
        self.apply(self.pod_doc("busy", ["spin"],
                                container={"resources": {"limits": {"cpu": "500m",
                                                                    "memory": "64Mi"}}}))
        self.wait_running("busy")
        out = {}

        def busy():
            p = self.srv.kubectl("top", "pod", "busy", "--no-headers", check=False)
            out["top"] = p.stdout + p.stderr
            fields = p.stdout.split()
            return p.returncode == 0 and len(fields) >= 3 and fields[1].endswith("m") and \
                int(fields[1][:-1]) >= 200
        # two samples, 10 s apart, make a rate
        wait_for(busy, 60, "kubectl top to show the busy loop's CPU")
        fields = out["top"].split()
        self.assertEqual(fields[0], "busy")
        self.assertLessEqual(int(fields[1][:-1]), 700, out["top"])   # its quota is 500m
        self.assertTrue(fields[2].endswith("Mi"), out["top"])
        p = self.srv.kubectl("top", "node", "--no-headers")
        self.assertIn(NODE, p.stdout)
        # the raw API, as the HPA reads it
        m = json.loads(self.srv.kubectl(
            "get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy").stdout)
        self.assertEqual(m["kind"], "PodMetrics")
        self.assertEqual(m["containers"][0]["name"], "busy")
        self.assertTrue(m["containers"][0]["usage"]["cpu"].endswith("n"))
        p = self.srv.kubectl("get", "--raw",
                             "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope", check=False)
        self.assertIn("NotFound", p.stderr)
        self.delete("busy")

    def test_graceful_delete_and_cleanup(self):
        self.apply(self.pod_doc("sleeper", ["sleep"]))
        p = self.wait_running("sleeper")
        uid = p["metadata"]["uid"]
        pod_dir = os.path.join(self.srv.dir, "agent", "pods", uid)
        self.assertTrue(os.path.exists(os.path.join(pod_dir, "netns")))
        self.delete("sleeper")
        # SIGTERM reached the process: it said so in its log before the end
        self.assertFalse(os.path.exists(pod_dir))
        p = self.srv.kubectl("get", "pod", "sleeper", check=False)
        self.assertIn("NotFound", p.stderr)

    def test_config_env_and_volumes(self):
        self.srv.kubectl("create", "configmap", "cfg", "--from-literal=color=blue",
                         "--from-literal=size=9")
        self.srv.kubectl("create", "secret", "generic", "sec", "--from-literal=password=s3cret")
        doc = self.pod_doc("configured", ["serve", "8080"], container={
            "env": [{"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "color"}}},
                    {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "password"}}},
                    {"name": "MY_POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "MY_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                    {"name": "EXPANDED", "value": "color-$(COLOR)"}],
            "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CM_"}],
            "volumeMounts": [{"name": "c", "mountPath": "/etc/cfg"},
                             {"name": "s", "mountPath": "/etc/sec"},
                             {"name": "info", "mountPath": "/etc/info"},
                             {"name": "scratch", "mountPath": "/scratch"}]},
            volumes=[{"name": "c", "configMap": {"name": "cfg"}},
                     {"name": "s", "secret": {"secretName": "sec"}},
                     {"name": "info", "downwardAPI": {"items": [
                         {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                     {"name": "scratch", "emptyDir": {}}])
        doc["metadata"]["labels"] = {"tier": "test"}
        self.apply(doc)
        p = self.wait_running("configured")
        ip = p["status"]["podIP"]
        rc, env = self.curl("http://%s:8080/env" % ip)
        self.assertEqual(rc, 0)
        lines = env.splitlines()
        for want in ("COLOR=blue", "PASS=s3cret", "MY_POD=configured", "MY_IP=" + ip,
                     "EXPANDED=color-blue", "CM_color=blue", "CM_size=9", "ZKT_IMAGE=1"):
            self.assertIn(want, lines)
        self.assertEqual(self.curl("http://%s:8080/file?p=/etc/cfg/color" % ip)[1], "blue")
        self.assertEqual(self.curl("http://%s:8080/file?p=/etc/sec/password" % ip)[1], "s3cret")
        self.assertEqual(self.curl("http://%s:8080/file?p=/etc/info/labels" % ip)[1],
                         'tier="test"\n')
        self.delete("configured")
        self.srv.kubectl("delete", "configmap", "cfg")
        self.srv.kubectl("delete", "secret", "sec")

    def test_missing_config_map_waits_with_a_reason(self):
        doc = self.pod_doc("needs-cfg", ["serve", "8080"], container={
            "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "later", "key": "x"}}}]})
        self.apply(doc)

        def waiting():
            cs = (self.pod("needs-cfg")["status"].get("containerStatuses") or [{}])[0]
            w = cs.get("state", {}).get("waiting", {})
            return w.get("reason") == "CreateContainerConfigError" and "later" in w.get("message", "")
        wait_for(waiting, 30, "CreateContainerConfigError naming the ConfigMap")
        # once it exists the pod starts
        self.srv.kubectl("create", "configmap", "later", "--from-literal=x=1")
        self.wait_running("needs-cfg", 60)
        self.delete("needs-cfg")
        self.srv.kubectl("delete", "configmap", "later")

    def test_logs_through_the_server(self):
        # a run that prints 30 lines over 3 s: -f follows it to its end
        self.apply(self.pod_doc("ticker", ["tick", "30", "100"], restart="Never"))
        wait_for(lambda: self.pod("ticker")["status"].get("phase") in ("Running", "Succeeded"),
                 60, "ticker started")
        p = self.srv.kubectl("logs", "-f", "ticker", timeout=60)
        self.assertEqual(p.stdout.splitlines(), ["line %d" % i for i in range(30)])
        self.wait_phase("ticker", ("Succeeded",))
        out = self.srv.kubectl("logs", "ticker", "--tail=3").stdout
        self.assertEqual(out, "line 27\nline 28\nline 29\n")
        out = self.srv.kubectl("logs", "ticker", "--tail=2", "--timestamps").stdout.splitlines()
        self.assertEqual(len(out), 2)
        self.assertRegex(out[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 28$")
        self.assertEqual(self.srv.kubectl("logs", "ticker", "--limit-bytes=13").stdout,
                         "line 0\nline 1")
        self.assertEqual(len(self.srv.kubectl("logs", "ticker", "--since=1h").stdout.splitlines()), 30)
        # what the kubelet answers for bad requests
        p = self.srv.kubectl("logs", "ticker", "-c", "nope", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("container nope is not valid for pod ticker", p.stderr)
        p = self.srv.kubectl("logs", "ticker", "--previous", check=False)
        self.assertIn('previous terminated container "ticker" in pod "ticker" not found', p.stderr)
        # the Python client reads the same
        from kubernetes import client, config
        api = client.CoreV1Api(config.new_client_from_config(self.srv.kubeconfig))
        text = api.read_namespaced_pod_log("ticker", "default", tail_lines=1)
        self.assertEqual(text, "line 29\n")
        self.delete("ticker")
        # a pod of two containers needs -c
        doc = self.pod_doc("pair", ["serve", "8080"])
        doc["spec"]["containers"].append({"name": "second", "image": IMAGE, "args": ["sleep"]})
        self.apply(doc)
        self.wait_running("pair")
        p = self.srv.kubectl("logs", "pair", "--all-containers=false", "-c", "second")
        self.assertEqual(p.stdout, "zkt: sleeping\n")
        code, body = self.srv.curl("/api/v1/namespaces/default/pods/pair/log")
        self.assertEqual(code, 400)
        self.assertIn("a container name must be specified for pod pair, choose one of: [pair second]",
                      body.decode())
        self.delete("pair")

    def test_liveness_failure_restarts_the_container(self):
        self.apply(self.pod_doc("unwell", ["serve", "8080"], container={
            "livenessProbe": {"httpGet": {"path": "/", "port": 9999}, "periodSeconds": 1,
                              "failureThreshold": 2}}))

        def restarted():
            cs = (self.pod("unwell")["status"].get("containerStatuses") or [{}])[0]
            return cs.get("restartCount", 0) >= 1
        wait_for(restarted, 60, "a restart after liveness failures")
        # it was stopped by the agent (TERM: zkt exits 0 on it), not by itself
        self.assertIn("zkt: got SIGTERM, bye", self.log_lines("unwell", "unwell", 0))
        self.delete("unwell")

    def test_readiness_drives_ready_and_endpoints(self):
        flag = tempfile.mkdtemp(prefix="zke-flag-")
        try:
            self.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "picky"},
                        "spec": {"selector": {"app": "picky"}, "ports": [{"port": 80,
                                                                           "targetPort": 8080}]}})
            doc = self.pod_doc("picky", ["serve", "8080"], container={
                "readinessProbe": {"httpGet": {"path": "/file?p=/flag/ready", "port": 8080},
                                   "periodSeconds": 1, "failureThreshold": 1},
                "volumeMounts": [{"name": "flag", "mountPath": "/flag"}]},
                volumes=[{"name": "flag", "hostPath": {"path": flag}}])
            doc["metadata"]["labels"] = {"app": "picky"}
            self.apply(doc)

            def state():
                p = self.pod("picky")
                cs = (p["status"].get("containerStatuses") or [{}])[0]
                conds = {c["type"]: c["status"] for c in p["status"].get("conditions", [])}
                ep = self.srv.kjson("get", "endpoints", "picky")
                subsets = ep.get("subsets") or [{}]
                ready = [a["ip"] for a in subsets[0].get("addresses", [])]
                unready = [a["ip"] for a in subsets[0].get("notReadyAddresses", [])]
                return cs.get("state", {}).get("running") is not None, cs.get("ready"), \
                    conds.get("Ready"), ready, unready, p["status"].get("podIP")
            # running, but not ready: its readiness file is missing
            wait_for(lambda: (lambda s: s[0] and s[4] == [s[5]])(state()), 30,
                     "a running, unready pod in notReadyAddresses")
            s = state()
            self.assertEqual((s[1], s[2], s[3]), (False, "False", []))
            with open(os.path.join(flag, "ready"), "w") as f:
                f.write("yes")
            wait_for(lambda: (lambda s: s[1] and s[2] == "True" and s[3] == [s[5]])(state()), 30,
                     "the pod ready and in the Service's addresses")
            os.unlink(os.path.join(flag, "ready"))
            wait_for(lambda: (lambda s: not s[1] and s[3] == [] and s[4] == [s[5]])(state()), 30,
                     "the pod out of the Service's addresses again")
            self.delete("picky")
            self.srv.kubectl("delete", "service", "picky")
        finally:
            shutil.rmtree(flag, ignore_errors=True)

    def test_no_gpus_without_nvml(self):
        """Without NVML (no libnvidia-ml.so.1 on this machine) the node has
        no GPUs, and nothing else changes: the other tests run on it."""
        import ctypes.util
        if ctypes.util.find_library("nvidia-ml"):
            self.skipTest("this machine has NVML")
        node = self.srv.kjson("get", "node", NODE)
        for k in ("capacity", "allocatable"):
            self.assertNotIn("nvidia.com/gpu", node["status"][k])
        self.assertNotIn("nvidia.com/gpu.product", node["metadata"]["labels"])

    def test_https_readiness_probe(self):
        """An HTTPS probe makes the TLS handshake (checking no certificate, as
        the kubelet's prober does) before its GET: a pod probing a real TLS
        server (openssl s_server on the host, named by the probe's host)
        becomes Ready; one probing a plain HTTP server with scheme HTTPS
        does not."""
        work = tempfile.mkdtemp(prefix="zke-tls-")
        key, crt = os.path.join(work, "k.pem"), os.path.join(work, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", crt, "-subj", "/CN=probe", "-days", "1"], check=True,
                       capture_output=True)
        port = free_port()
        tls = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                                "-cert", crt, "-key", key, "-www", "-quiet"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            def probed(name, args, action):
                return self.pod_doc(name, args, container={"readinessProbe": {
                    "httpGet": action, "periodSeconds": 1, "failureThreshold": 1}})
            self.apply(probed("tlsok", ["sleep"], {"host": "127.0.0.1", "port": port,
                                                    "path": "/", "scheme": "HTTPS"}))
            self.apply(probed("tlsbad", ["serve", "8080"], {"port": 8080, "path": "/",
                                                             "scheme": "HTTPS"}))
            self.wait_running("tlsok")
            self.wait_phase("tlsbad", ["Running"])
            time.sleep(4)   # several probe periods
            ready = [c for c in self.pod("tlsbad")["status"]["conditions"] if c["type"] == "Ready"]
            self.assertEqual(ready[0]["status"], "False")
        finally:
            tls.terminate()
            tls.wait(timeout=10)
            shutil.rmtree(work, ignore_errors=True)
        self.delete("tlsok", "tlsbad")

    def test_set_image_restarts_the_container(self):
        """kubectl set image on a running pod: the container stops and runs
        again from the new image (restartPolicy Never does not keep it down,
        as with the kubelet); the restart count and imageID show it."""
        archive = os.path.join(self.build, "zkt2.tar")
        testimg.oci_archive(testimg.build_zkt(self.build), "zke.test/zkt:2", archive,
                            cmd=("sleep",))
        subprocess.run([ZKE, "image", "import", "--data-dir", self.srv.dir, archive], check=True,
                       capture_output=True)
        self.apply(self.pod_doc("changer", ["sleep"], restart="Never"))
        first = self.wait_running("changer")["status"]["containerStatuses"][0]
        self.srv.kubectl("set", "image", "pod/changer", "changer=zke.test/zkt:2")

        def restarted():
            cs = self.pod("changer")["status"]["containerStatuses"][0]
            return (cs["image"] == "zke.test/zkt:2" and cs.get("restartCount") == 1 and
                    "running" in cs["state"]) and cs
        cs = wait_for(restarted, 60, "the container running again from zke.test/zkt:2")
        self.assertNotEqual(cs["imageID"], first["imageID"])
        self.assertIn("zke.test/zkt@sha256:", cs["imageID"])
        self.assertEqual(self.pod("changer")["status"]["phase"], "Running")
        self.delete("changer")

    def test_bad_images_show_pull_errors(self):
        # a closed loopback port: nothing leaves this machine
        self.apply(self.pod_doc("unreachable", [], container={"image": "127.0.0.1:1/nope:1"}))
        self.apply(self.pod_doc("never", [], container={"image": "zke.test/absent:1",
                                                         "imagePullPolicy": "Never"}))

        def reason(name, want):
            cs = (self.pod(name)["status"].get("containerStatuses") or [{}])[0]
            w = cs.get("state", {}).get("waiting", {})
            return w.get("reason") in want and w
        wait_for(lambda: reason("unreachable", ("ErrImagePull", "ImagePullBackOff")), 30,
                 "ErrImagePull")
        self.assertIn("127.0.0.1:1", reason("unreachable", ("ErrImagePull", "ImagePullBackOff"))["message"])
        wait_for(lambda: reason("never", ("ErrImageNeverPull",)), 30, "ErrImageNeverPull")
        self.assertIn("not present", reason("never", ("ErrImageNeverPull",))["message"])
        self.assertEqual(self.pod("unreachable")["status"]["phase"], "Pending")
        self.delete("unreachable", "never")


@unittest.skipUnless(have_runtime(), SKIP_WHY)
class AgentRestartTest(unittest.TestCase):
    """kill -9 of the server (and its agent) stops no container; the agent
    of the next start adopts them."""

    def test_kill9_keeps_containers_and_adopts_them(self):
        build = tempfile.mkdtemp(prefix="zke-img-")
        node = "zk-agent-restart"
        srv = Server(agent=node)
        try:
            zkt = testimg.build_zkt(build)
            archive = os.path.join(build, "zkt.tar")
            testimg.oci_archive(zkt, IMAGE, archive)
            subprocess.run([ZKE, "image", "import", "--data-dir", srv.dir, archive],
                           check=True, capture_output=True)
            srv.start()
            doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "survivor"},
                   "spec": {"containers": [{"name": "c", "image": IMAGE,
                                            "args": ["serve", "8080"]}],
                            "terminationGracePeriodSeconds": 5}}
            srv.kubectl("apply", "-f", "-", input=json.dumps(doc))

            def running():
                p = srv.kjson("get", "pod", "survivor")
                cs = (p["status"].get("containerStatuses") or [{}])[0]
                return cs.get("ready") and p
            wait_for(running, 60, "survivor running")
            before = srv.kjson("get", "pod", "survivor")["status"]
            ip = before["podIP"]
            srv.kill9()
            # the container still serves with nobody watching it
            self.assertEqual(curl("http://%s:8080/" % ip), (0, "hello from survivor\n"))
            srv.start()
            time.sleep(3)   # a few status rounds of the new agent
            after = srv.kjson("get", "pod", "survivor")["status"]
            cs0, cs1 = before["containerStatuses"][0], after["containerStatuses"][0]
            self.assertEqual(cs1["containerID"], cs0["containerID"])
            self.assertEqual(cs1["restartCount"], 0)
            self.assertTrue(cs1["ready"])
            self.assertEqual(after["podIP"], ip)
            srv.kubectl("delete", "pod", "survivor", "--wait=true", "--timeout=60s", timeout=90)
            self.assertNotEqual(curl("http://%s:8080/" % ip, tries=1)[0], 0)
        finally:
            srv.cleanup()
            shutil.rmtree(build, ignore_errors=True)


@unittest.skipUnless(have_runtime(), SKIP_WHY)
class AgentJoinTest(unittest.TestCase):
    """A second agent joins a running server with a join token, its own data
    dir and node name; pods run on it, reach the first node's pods, and its
    credentials reach only what is bound to it."""

    def test_second_agent_joins_and_is_confined(self):
        build = tempfile.mkdtemp(prefix="zke-img-")
        second = tempfile.mkdtemp(prefix="zke-agent2-")
        srv = Server(agent="zk-join-a")
        agent = None
        try:
            zkt = testimg.build_zkt(build)
            archive = os.path.join(build, "zkt.tar")
            testimg.oci_archive(zkt, IMAGE, archive)
            for d in (srv.dir, second):
                subprocess.run([ZKE, "image", "import", "--data-dir", d, archive], check=True,
                               capture_output=True)
            srv.start()
            token = subprocess.run([ZKE, "token", "create", "--data-dir", srv.dir],
                                   check=True, capture_output=True, text=True).stdout.strip()
            self.assertRegex(token, r"^zke1\.[0-9a-f]{64}\.[a-z0-9]{6}\.[a-z0-9]{16}$")
            # a token naming another CA is refused before anything is sent
            wrong = "zke1." + "0" * 64 + token[69:]
            p = subprocess.run([ZKE, "agent", "--server", srv.url, "--token", wrong,
                                "--data-dir", second, "--node-name", "zk-join-b"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1)
            self.assertIn("is not the one the join token names", p.stderr)
            p = subprocess.run([ZKE, "agent", "--server", srv.url, "--token", "nonsense",
                                "--data-dir", second], capture_output=True, text=True, timeout=60)
            self.assertIn("zke1.<CA hash>.<id>.<secret>", p.stderr)
            agent_log = open(os.path.join(second, "agent.log"), "wb")
            agent = subprocess.Popen([ZKE, "agent", "--server", srv.url, "--token", token,
                                      "--data-dir", second, "--node-name", "zk-join-b"],
                                     stdout=agent_log, stderr=agent_log)
            agent_log.close()

            def ready(node):
                n = srv.kjson("get", "nodes")["items"]
                return any(x["metadata"]["name"] == node and x["spec"].get("podCIDR") and
                           [c for c in x["status"]["conditions"]
                            if c["type"] == "Ready" and c["status"] == "True"] for x in n)
            wait_for(lambda: ready("zk-join-b"), 30, "the second node Ready")
            kc = os.path.join(second, "agent", "node.kubeconfig")
            self.assertEqual(os.stat(kc).st_mode & 0o777, 0o600)
            # the node made its key: the server only signs a public key
            def join(body):
                p = subprocess.run(["curl", "-sS", "--max-time", "30", "-o", "-", "-w",
                                    "\n%{http_code}", "--cacert",
                                    os.path.join(srv.dir, "pki", "ca.crt"), "-H",
                                    "Authorization: Bearer " + token[70:], "-H",
                                    "Content-Type: application/json", "--data-binary", "@-",
                                    srv.url + "/zke/v1/join"], input=json.dumps(body),
                                   capture_output=True, text=True)
                out, _, code = p.stdout.rpartition("\n")
                return int(code or 0), out
            code, out = join({"nodeName": "zk-join-c"})
            self.assertEqual(code, 422, out)
            self.assertIn("publicKey is required", out)
            code, out = join({"nodeName": "zk-join-c", "publicKey": "not a key"})
            self.assertEqual(code, 422, out)
            self.assertIn("is not a PEM", out)
            key = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                  "ec_paramgen_curve:P-256"], check=True, capture_output=True,
                                 text=True)
            pub = subprocess.run(["openssl", "pkey", "-pubout"], input=key.stdout, check=True,
                                 capture_output=True, text=True).stdout
            code, out = join({"nodeName": "zk-join-c", "publicKey": pub})
            self.assertEqual(code, 200, out)
            answer = json.loads(out)
            self.assertNotIn("clientKey", answer)
            subj = subprocess.run(["openssl", "x509", "-noout", "-subject"],
                                  input=answer["clientCert"], capture_output=True,
                                  text=True).stdout
            self.assertIn("system:node:zk-join-c", subj)
            signed = subprocess.run(["openssl", "x509", "-noout", "-pubkey"],
                                    input=answer["clientCert"], capture_output=True,
                                    text=True).stdout
            self.assertEqual(signed.strip(), pub.strip())

            def pod(name, node, args, restart="Always"):
                return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                        "spec": {"nodeName": node, "restartPolicy": restart,
                                 "terminationGracePeriodSeconds": 5,
                                 "containers": [{"name": name, "image": IMAGE, "args": args}]}}
            srv.kubectl("apply", "-f", "-", input=json.dumps(pod("on-a", "zk-join-a", ["serve", "8080"])))
            srv.kubectl("apply", "-f", "-", input=json.dumps(pod("on-b", "zk-join-b", ["serve", "8080"])))

            def ip_of(name):
                st = srv.kjson("get", "pod", name)["status"]
                cs = (st.get("containerStatuses") or [{}])[0]
                return cs.get("ready") and st.get("podIP")
            wait_for(lambda: ip_of("on-a") and ip_of("on-b"), 60, "both pods running")
            ip_a, ip_b = ip_of("on-a"), ip_of("on-b")
            self.assertNotEqual(ip_a.rsplit(".", 1)[0], ip_b.rsplit(".", 1)[0])
            self.assertEqual(curl("http://%s:8080/" % ip_b), (0, "hello from on-b\n"))
            # a pod on the second node reaches the first node's pod
            srv.kubectl("apply", "-f", "-", input=json.dumps(
                pod("getter", "zk-join-b", ["get", ip_a, "8080"], restart="Never")))
            wait_for(lambda: srv.kjson("get", "pod", "getter")["status"].get("phase") == "Succeeded",
                     60, "the getter to finish")
            self.assertIn("hello from on-a", srv.kubectl("logs", "getter").stdout)
            # decision 011: the agent speaks HTTPS itself (API, tunnel, join);
            # libcurl, and what Debian's libcurl brings, is not in it while
            # it pulls nothing
            with open("/proc/%d/maps" % agent.pid) as f:
                maps = f.read()
            self.assertIn("libssl", maps)   # the libraries it has are seen
            self.assertNotIn("libcurl", maps)
            self.assertNotIn("libgnutls", maps)
            # the second node's credentials: its own pods yes, others' no
            srv.kubectl("create", "secret", "generic", "not-for-b", "--from-literal=k=v")
            self.assertIn("on-b", srv.kubectl("get", "pod", "on-b", "-o", "name", kubeconfig=kc).stdout)
            for args, text in ((("get", "pod", "on-a"), "has no relationship"),
                               (("get", "secret", "not-for-b"), "has no relationship"),
                               (("get", "pods"), "may only list"),
                               (("delete", "node", "zk-join-a"), "has no relationship")):
                p = srv.kubectl(*args, kubeconfig=kc, check=False)
                self.assertNotEqual(p.returncode, 0, args)
                self.assertIn("Forbidden", p.stderr)
                self.assertIn(text, p.stderr)
            srv.kubectl("delete", "pod", "on-a", "on-b", "getter", "--wait=true", "--timeout=60s",
                        timeout=90)
        finally:
            if agent:
                agent.terminate()
                agent.wait(timeout=30)
            srv.cleanup()
            from zke import agent_cleanup
            agent_cleanup(second, "zk-join-b")
            shutil.rmtree(second, ignore_errors=True)
            shutil.rmtree(build, ignore_errors=True)


class JoinedAgent:
    """A `zke server --disable-agent` and a standalone `zke agent` that joins
    it with a join token, with a data dir and node name of its own; the
    given image archives are in the agent's store before it starts."""

    def __init__(self, node, archives):
        self.node = node
        self.data = tempfile.mkdtemp(prefix="zke-joined-")
        self.srv = Server(["--disable-agent"])
        self.agent = None
        try:
            for a in archives:
                subprocess.run([ZKE, "image", "import", "--data-dir", self.data, a], check=True,
                               capture_output=True)
            self.srv.start()
            self.token = subprocess.run([ZKE, "token", "create", "--data-dir", self.srv.dir],
                                        check=True, capture_output=True,
                                        text=True).stdout.strip()
        except BaseException:
            self.close()
            raise

    def start_agent(self, *args):
        with open(os.path.join(self.data, "agent.log"), "wb") as log:
            self.agent = subprocess.Popen([ZKE, "agent", "--server", self.srv.url, "--token",
                                           self.token, "--data-dir", self.data, "--node-name",
                                           self.node] + list(args), stdout=log, stderr=log)

    def log(self):
        with open(os.path.join(self.data, "agent.log"), errors="replace") as f:
            return f.read()

    def pod(self, name, args, **spec):
        doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": self.node, "terminationGracePeriodSeconds": 5,
                        "containers": [{"name": name, "image": IMAGE, "args": list(args)}]}}
        ctr = spec.pop("container", {})
        doc["spec"]["containers"][0].update(ctr)
        doc["spec"].update(spec)
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(doc))

    def close(self):
        try:
            if self.agent:
                self.agent.terminate()
                self.agent.wait(timeout=30)
        finally:
            self.srv.cleanup()
            agent_cleanup(self.data, self.node)
            shutil.rmtree(self.data, ignore_errors=True)


@unittest.skipUnless(have_runtime(), SKIP_WHY)
class AgentImageGCTest(unittest.TestCase):
    """Image GC under disk pressure: an agent told that any use of its disk
    is too much (--image-gc-high-threshold 1, low 0, minimum age 0) removes
    the images no pod uses, with their unpacked snapshots and the blobs no
    other image shares, and keeps the one a pod runs."""

    def test_unused_images_go_under_disk_pressure(self):
        build = tempfile.mkdtemp(prefix="zke-img-")
        zkt = testimg.build_zkt(build)
        used, spare = os.path.join(build, "used.tar"), os.path.join(build, "spare.tar")
        testimg.oci_archive(zkt, IMAGE, used)
        # the same layer, another config: a blob of its own and one shared
        testimg.oci_archive(zkt, "zke.test/zkt:spare", spare, cmd=("sleep",))
        ja = JoinedAgent("zk-gc-node", [used, spare])
        try:
            def listed():
                return subprocess.run([ZKE, "image", "ls", "--data-dir", ja.data], check=True,
                                      capture_output=True, text=True).stdout
            self.assertIn("zke.test/zkt:spare", listed())
            blobs = os.path.join(ja.data, "images", "blobs", "sha256")
            nblobs = len(os.listdir(blobs))
            # pulled an hour ago: blobs younger than a minute are left alone, as
            # a pull or an import may be about to name them
            for name in os.listdir(blobs):
                t = time.time() - 3600
                os.utime(os.path.join(blobs, name), (t, t))
            # a pod on the node first, so the GC sees it when it starts weighing
            ja.pod("keeper", ["sleep"])
            ja.start_agent("--image-gc-high-threshold", "1", "--image-gc-low-threshold", "0",
                           "--image-minimum-gc-age", "0s")
            wait_for(lambda: "zke.test/zkt:spare" not in listed(), 60,
                     "the unused image to be collected")
            self.assertIn(IMAGE, listed())
            # the spare image's own config and manifest went; the shared layer stayed
            self.assertEqual(len(os.listdir(blobs)), nblobs - 2)
            phase = ja.srv.kjson("get", "pod", "keeper")["status"].get("phase")
            self.assertEqual(phase, "Running")
            self.assertIn("image GC removed zke.test/zkt:spare", ja.log())
            # bad thresholds are refused with a message
            p = subprocess.run([ZKE, "agent", "--server", ja.srv.url, "--token", ja.token,
                                "--data-dir", ja.data, "--image-gc-high-threshold", "120"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2)
            self.assertIn("is not a percent from 0 to 100", p.stderr)
            ja.srv.kubectl("delete", "pod", "keeper", "--wait=true", "--timeout=60s", timeout=90)
        finally:
            ja.close()
            shutil.rmtree(build, ignore_errors=True)


@unittest.skipUnless(have_runtime(), SKIP_WHY)
class AgentVolumeRefreshTest(unittest.TestCase):
    """ConfigMap and Secret volumes follow their sources while the pod runs
    (read again every --sync-frequency, here 2 s), files replaced whole;
    environment variables keep the value the container started with."""

    def test_mounted_config_follows_its_source(self):
        build = tempfile.mkdtemp(prefix="zke-img-")
        archive = os.path.join(build, "zkt.tar")
        testimg.oci_archive(testimg.build_zkt(build), IMAGE, archive)
        ja = JoinedAgent("zk-vr-node", [archive])
        try:
            ja.start_agent("--sync-frequency", "2s")
            srv = ja.srv
            srv.kubectl("create", "configmap", "cfg", "--from-literal=greeting=hello")
            srv.kubectl("create", "secret", "generic", "sec", "--from-literal=password=one")
            ja.pod("reader", ["sleep"],
                   volumes=[{"name": "cfg", "configMap": {"name": "cfg"}},
                            {"name": "sec", "secret": {"secretName": "sec"}}],
                   container={"env": [{"name": "GREETING", "valueFrom": {
                                  "configMapKeyRef": {"name": "cfg", "key": "greeting"}}}],
                              "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"},
                                               {"name": "sec", "mountPath": "/etc/sec"}]})
            wait_for(lambda: srv.kjson("get", "pod", "reader")["status"].get("phase") ==
                     "Running", 60, "the pod running")

            def files():
                p = srv.kubectl("exec", "reader", "--", "/bin/zkt", "cat", "/etc/cfg/greeting",
                                "/etc/sec/password", check=False)
                return p.stdout
            self.assertEqual(files(), "helloone")
            srv.kubectl("patch", "configmap", "cfg", "-p", '{"data":{"greeting":"bonjour"}}')
            srv.kubectl("patch", "secret", "sec", "-p", '{"stringData":{"password":"two"}}')
            wait_for(lambda: files() == "bonjourtwo", 30, "the volumes to follow their sources")
            env = srv.kubectl("exec", "reader", "--", "/bin/zkt", "cat",
                              "/proc/1/environ").stdout
            self.assertIn("GREETING=hello\0", env)
            # a key removed from the source leaves the volume; a new one comes
            srv.kubectl("patch", "configmap", "cfg", "--type=json", "-p",
                        '[{"op":"remove","path":"/data/greeting"},'
                        '{"op":"add","path":"/data/other","value":"x"}]')

            def swapped():
                p = srv.kubectl("exec", "reader", "--", "/bin/zkt", "cat", "/etc/cfg/greeting",
                                "/etc/cfg/other", check=False)
                return p.stdout == "zkt: no /etc/cfg/greeting\nx"
            wait_for(swapped, 30, "the removed key to leave the volume")
            srv.kubectl("delete", "pod", "reader", "--wait=true", "--timeout=60s", timeout=90)
        finally:
            ja.close()
            shutil.rmtree(build, ignore_errors=True)


@unittest.skipUnless(have_runtime() and shutil.which("docker-registry") and shutil.which("skopeo"),
                     SKIP_WHY + ", docker-registry and skopeo")
class AgentRegistryTest(unittest.TestCase):
    """With a mirror for docker.io in DATA/registries.yaml, a pod whose image
    is plain `busybox` pulls it from Debian's docker-registry on loopback
    (filled by skopeo with the zkt image under that name): nothing leaves
    this machine."""

    def test_docker_hub_name_pulls_from_the_loopback_mirror(self):
        import urllib.request
        work = tempfile.mkdtemp(prefix="zke-mirror-")
        reg = None
        srv = Server(agent="zk-mirror")
        try:
            port = __import__("zke").free_port()
            conf = os.path.join(work, "registry.yml")
            with open(conf, "w") as f:
                f.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                        "    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%d\n" % (work, port))
            log = open(os.path.join(work, "registry.log"), "wb")
            reg = subprocess.Popen(["docker-registry", "serve", conf], stdout=log,
                                   stderr=subprocess.STDOUT)
            log.close()

            def up():
                try:
                    urllib.request.urlopen("http://127.0.0.1:%d/v2/" % port, timeout=2).read()
                    return True
                except OSError:
                    return False
            wait_for(up, 30, "docker-registry")
            zkt = testimg.build_zkt(work)
            archive = os.path.join(work, "busybox.tar")
            testimg.oci_archive(zkt, "latest", archive)
            subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                            "oci-archive:%s:latest" % archive,
                            "docker://127.0.0.1:%d/library/busybox:latest" % port],
                           check=True, capture_output=True, timeout=120)
            with open(os.path.join(srv.dir, "registries.yaml"), "w") as f:
                f.write('mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:%d"]\n' % port)
            srv.start()
            doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bb"},
                   "spec": {"terminationGracePeriodSeconds": 5,
                            "containers": [{"name": "bb", "image": "busybox",
                                            "args": ["serve", "8080"]}]}}
            srv.kubectl("apply", "-f", "-", input=json.dumps(doc))

            def running():
                cs = (srv.kjson("get", "pod", "bb")["status"].get("containerStatuses") or [{}])[0]
                return cs.get("ready") and cs
            wait_for(running, 90, "busybox from the mirror running")
            cs = running()
            self.assertTrue(cs["imageID"].startswith("docker.io/library/busybox@sha256:"),
                            cs["imageID"])
            self.assertEqual(cs["image"], "busybox")
            ls = subprocess.run([ZKE, "image", "ls", "--data-dir", srv.dir], capture_output=True,
                                text=True).stdout
            self.assertIn("docker.io/library/busybox:latest", ls)
            srv.kubectl("delete", "pod", "bb", "--wait=true", "--timeout=60s", timeout=90)
        finally:
            srv.cleanup()
            if reg:
                reg.terminate()
                reg.wait(timeout=10)
            shutil.rmtree(work, ignore_errors=True)


@unittest.skipUnless(have_runtime(), SKIP_WHY)
class AgentGpuTest(unittest.TestCase):
    """GPUs through NVML, with a fake libnvidia-ml (testgpu/fakenvml.c: two
    GPUs, no device nodes; this machine has no GPU) that the server's agent
    loads from ZKE_NVML_LIBRARY. The node reports nvidia.com/gpu 2; pods
    that ask for a GPU get one each, NVIDIA_VISIBLE_DEVICES naming it; the
    scheduler keeps a third Pending until one is free; the agent itself
    turns away a pod bound past the scheduler; the assignment survives a
    kill -9 of the agent; /metrics/cadvisor has each GPU's figures."""

    UUIDS = ["GPU-00000000-0000-0000-0000-%012d" % i for i in range(2)]

    @classmethod
    def setUpClass(cls):
        cls.build = tempfile.mkdtemp(prefix="zke-gpu-")
        cls.lib = os.path.join(cls.build, "libfakenvml.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", cls.lib,
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "testgpu",
                                     "fakenvml.c")], check=True)
        zkt = testimg.build_zkt(cls.build)
        archive = os.path.join(cls.build, "zkt.tar")
        testimg.oci_archive(zkt, IMAGE, archive)
        cls.srv = Server(agent=NODE, env={"ZKE_NVML_LIBRARY": cls.lib, "FAKE_NVML_UTIL": "37,80"})
        subprocess.run([ZKE, "image", "import", "--data-dir", cls.srv.dir, archive],
                       check=True, capture_output=True)
        try:
            cls.srv.start()
            wait_for(cls.node_ready, 30, "the node to be Ready with a pod CIDR")
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.build, ignore_errors=True)
            raise

    @classmethod
    def node_ready(cls):
        p = cls.srv.kubectl("get", "node", NODE, "-o", "json", check=False)
        if p.returncode != 0:
            return False
        node = json.loads(p.stdout)
        ready = [c for c in node["status"].get("conditions", []) if c["type"] == "Ready"]
        return ready and ready[0]["status"] == "True" and node["spec"].get("podCIDR")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.kubectl("delete", "pods", "--all", "--wait=true", "--timeout=60s",
                            check=False, timeout=90)
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.build, ignore_errors=True)

    def gpu_pod(self, name, n=1, node=None):
        spec = {"terminationGracePeriodSeconds": 5,
                "containers": [{"name": name, "image": IMAGE, "args": ["sleep"],
                                "resources": {"limits": {"nvidia.com/gpu": str(n)}}}]}
        if node:
            spec["nodeName"] = node   # past the scheduler: the agent decides alone
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}))

    def running(self, name, timeout=60):
        def check():
            p = self.srv.kjson("get", "pod", name)
            cs = (p["status"].get("containerStatuses") or [{}])[0]
            return p["status"].get("phase") == "Running" and cs.get("ready")
        wait_for(check, timeout, "pod %s running" % name)

    def visible(self, name):
        """NVIDIA_VISIBLE_DEVICES of the pod's container (its process 1)."""
        out = self.srv.kubectl("exec", name, "--", "/bin/zkt", "cat", "/proc/1/environ").stdout
        env = dict(kv.split("=", 1) for kv in out.split("\0") if "=" in kv)
        return env.get("NVIDIA_VISIBLE_DEVICES")

    def waiting(self, name, timeout=30):
        """The pod's container's waiting state once it has a reason of ours."""
        out = {}

        def check():
            p = self.srv.kjson("get", "pod", name)
            cs = (p["status"].get("containerStatuses") or [{}])[0]
            out["w"] = w = cs.get("state", {}).get("waiting", {})
            return w.get("reason") == "UnexpectedAdmissionError"
        wait_for(check, timeout, "pod %s waiting for a GPU" % name)
        return out["w"]

    def test_gpus_are_reported_assigned_and_freed(self):
        node = self.srv.kjson("get", "node", NODE)
        self.assertEqual(node["status"]["capacity"].get("nvidia.com/gpu"), "2")
        self.assertEqual(node["status"]["allocatable"].get("nvidia.com/gpu"), "2")
        self.assertEqual(node["metadata"]["labels"].get("nvidia.com/gpu.product"), "Zke-Fake-GPU")

        # one GPU each, never the same
        self.gpu_pod("g1")
        self.running("g1")
        first = self.visible("g1")
        self.assertIn(first, self.UUIDS)
        self.gpu_pod("g2")
        self.running("g2")
        second = self.visible("g2")
        self.assertEqual(sorted([first, second]), self.UUIDS)
        # the bundle records them for a later agent process
        uid = self.srv.kjson("get", "pod", "g1")["metadata"]["uid"]
        with open(os.path.join(self.srv.dir, "agent", "pods", uid, "c", "g1-0", "gpus.json")) as f:
            self.assertEqual([g["uuid"] for g in json.load(f)], [first])

        # zke's scheduler counts extended resources: a third stays Pending
        self.gpu_pod("g3")

        def unschedulable():
            p = self.srv.kjson("get", "pod", "g3")
            c = [c for c in p["status"].get("conditions", []) if c["type"] == "PodScheduled"]
            return c and c[0]["status"] == "False" and c[0]
        cond = wait_for(unschedulable, 30, "g3 unschedulable")
        self.assertIn("Insufficient nvidia.com/gpu", cond.get("message", ""))
        self.assertFalse(self.srv.kjson("get", "pod", "g3")["spec"].get("nodeName"))
        # one bound past the scheduler waits, with the kubelet's words
        self.gpu_pod("g4", node=NODE)
        w = self.waiting("g4")
        self.assertEqual(w["message"], "Allocate failed due to requested number of devices "
                         "unavailable for nvidia.com/gpu. Requested: 1, Available: 0, which is "
                         "unexpected")
        self.assertEqual(self.srv.kjson("get", "pod", "g4")["status"]["phase"], "Pending")
        self.srv.kubectl("delete", "pod", "g4", "--wait=true", "--timeout=60s", timeout=90)

        # each GPU's figures and who holds it, in /metrics/cadvisor
        code, body = self.srv.curl("/api/v1/nodes/%s/proxy/metrics/cadvisor" % NODE)
        body = body.decode()
        self.assertEqual(code, 200, body)
        for i, util in ((0, 37), (1, 80)):
            labels = 'gpu="%d",uuid="%s",model="Zke Fake GPU"' % (i, self.UUIDS[i])
            self.assertIn("zke_gpu_utilization_percent{%s} %d\n" % (labels, util), body)
            self.assertIn("zke_gpu_memory_total_bytes{%s} 17179869184\n" % labels, body)
            self.assertIn("zke_gpu_memory_used_bytes{%s} %d\n" % (labels, (i + 1) << 29), body)
        self.assertIn('container_accelerator_duty_cycle{container="g2",namespace="default",'
                      'pod="g2",make="nvidia",model="Zke Fake GPU",acc_id="%s"} %d\n'
                      % (second, 37 if second == self.UUIDS[0] else 80), body)

        # the first goes: the third is scheduled and gets its GPU
        self.srv.kubectl("delete", "pod", "g1", "--wait=true", "--timeout=60s", timeout=90)
        self.running("g3", 90)
        self.assertEqual(self.visible("g3"), first)

        # kill -9: the next agent takes the assignment back from the bundles
        self.srv.kill9()
        self.srv.start()
        wait_for(self.node_ready, 30, "the node Ready again")
        self.gpu_pod("g5", node=NODE)
        self.assertIn("Available: 0", self.waiting("g5")["message"])
        self.srv.kubectl("delete", "pod", "g2", "--wait=true", "--timeout=60s", timeout=90)
        self.running("g5", 60)
        self.assertEqual(self.visible("g5"), second)
        self.srv.kubectl("delete", "pod", "g3", "g5", "--wait=true", "--timeout=60s", timeout=90)


if __name__ == "__main__":
    unittest.main()
