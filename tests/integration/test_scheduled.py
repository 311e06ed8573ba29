"""ScheduledScaling on a real server: a job fires at its second in a
non-UTC zone (Asia/Shanghai), excludeDates suppresses a run, the bounds of
an HPA move instead of the replicas it owns, and a run missed while the
server was down is made up when it starts again."""
import datetime
import json
import time
import unittest
import zoneinfo

from zke import Server, wait_for

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at_local(seconds_ahead):
    """A whole second seconds_ahead from now, in Shanghai time."""
    t = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return (t + datetime.timedelta(seconds=seconds_ahead)).astimezone(SHANGHAI)


def cron_at(t):
    """A six-field schedule firing daily at t's local second."""
    return "%d %d %d * * *" % (t.second, t.minute, t.hour)


def utc(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def deployment(name, replicas):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "x"}]}}}}


def scheduled(name, target, jobs, **extra):
    spec = {"scaleTargetRef": target, "timeZone": "Asia/Shanghai", "jobs": jobs}
    spec.update(extra)
    return {"apiVersion": "zke.io/v1alpha1", "kind": "ScheduledScaling",
            "metadata": {"name": name}, "spec": spec}


def job_status(obj, name):
    for j in (obj.get("status") or {}).get("jobs") or []:
        if j["name"] == name:
            return j
    return {}


DEPLOY = lambda n: {"apiVersion": "apps/v1", "kind": "Deployment", "name": n}  # noqa: E731


class ScheduledScalingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(env={"ZKE_HPA_SYNC_PERIOD": "2s"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def apply(self, *docs):
        self.srv.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": list(docs)}))

    def replicas(self, name):
        return self.srv.kjson("get", "deployment", name)["spec"]["replicas"]

    def test_job_fires_at_its_local_second(self):
        when = at_local(8)
        self.apply(deployment("web", 1),
                   scheduled("web-peak", DEPLOY("web"),
                             [{"name": "up", "schedule": cron_at(when), "targetReplicas": 5}]))
        s = self.srv.kjson("get", "scheduledscaling", "web-peak")
        wait_for(lambda: job_status(self.srv.kjson("get", "ssc", "web-peak"), "up")
                 .get("nextRunTime"), 20, "nextRunTime")
        self.assertEqual(job_status(self.srv.kjson("get", "ssc", "web-peak"), "up")["nextRunTime"],
                         utc(when))
        self.assertEqual(self.replicas("web"), 1)
        wait_for(lambda: self.replicas("web") == 5, 40, "scaled to 5 by the job")
        s = self.srv.kjson("get", "ssc", "web-peak")
        js = job_status(s, "up")
        self.assertEqual(js["lastScheduleTime"], utc(when))
        self.assertEqual(js["lastResult"], "Succeeded")
        self.assertEqual(js["message"], "Deployment web replicas 1 -> 5")
        # it ran at or after its instant, never before
        self.assertGreaterEqual(parse(js["lastRunTime"]), parse(utc(when)))
        # the next run is the same local second tomorrow
        self.assertEqual(js["nextRunTime"], utc(when + datetime.timedelta(days=1)))
        evs = [e for e in self.srv.kjson("get", "events")["items"]
               if e["involvedObject"].get("name") == "web-peak" and e["reason"] == "Scaled"]
        self.assertTrue(evs)
        self.assertIn("job up (%s Asia/Shanghai)" % when.isoformat(), evs[0]["message"])

    def test_exclude_dates_suppress_a_run(self):
        when = at_local(5)
        today = when.date().isoformat()
        self.apply(deployment("quiet", 2),
                   scheduled("quiet-peak", DEPLOY("quiet"),
                             [{"name": "up", "schedule": cron_at(when), "targetReplicas": 7}],
                             excludeDates=[today]))
        wait_for(lambda: job_status(self.srv.kjson("get", "ssc", "quiet-peak"), "up")
                 .get("nextRunTime"), 20, "nextRunTime")
        js = job_status(self.srv.kjson("get", "ssc", "quiet-peak"), "up")
        self.assertEqual(js["nextRunTime"], utc(when + datetime.timedelta(days=1)))
        # past the instant: nothing ran
        while datetime.datetime.now(datetime.timezone.utc) < when + datetime.timedelta(seconds=3):
            time.sleep(0.5)
        self.assertEqual(self.replicas("quiet"), 2)
        self.assertNotIn("lastRunTime", job_status(self.srv.kjson("get", "ssc", "quiet-peak"), "up"))

    def test_hpa_bounds_move_instead_of_replicas(self):
        # the HPA scales "api" (its metrics do not matter: below
        # minReplicas it scales up without them)
        self.apply(deployment("api", 1), {
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "api"},
            "spec": {"scaleTargetRef": DEPLOY("api"), "minReplicas": 1, "maxReplicas": 3}})
        when = at_local(6)
        self.apply(scheduled("api-peak", {"apiVersion": "autoscaling/v2",
                                          "kind": "HorizontalPodAutoscaler", "name": "api"},
                             [{"name": "peak", "schedule": cron_at(when), "minReplicas": 4,
                               "maxReplicas": 8}]))
        wait_for(lambda: self.srv.kjson("get", "hpa", "api")["spec"]["minReplicas"] == 4, 40,
                 "the HPA's minReplicas raised")
        self.assertEqual(self.srv.kjson("get", "hpa", "api")["spec"]["maxReplicas"], 8)
        # the HPA, not the schedule, moves the replicas into its new bounds
        wait_for(lambda: self.replicas("api") == 4, 40, "the HPA scaled to its new minimum")
        ev = [e for e in self.srv.kjson("get", "events")["items"]
              if e["involvedObject"].get("name") == "api" and e["reason"] == "SuccessfulRescale"]
        self.assertTrue(any("below Spec.MinReplicas" in e["message"] for e in ev), ev)
        # a job on the workload itself goes to its HPA too; a lower maxReplicas
        # stays at what the HPA wants now (4)
        when = at_local(5)
        self.apply(scheduled("api-night", DEPLOY("api"),
                             [{"name": "night", "schedule": cron_at(when), "minReplicas": 1,
                               "maxReplicas": 2}]))
        wait_for(lambda: self.srv.kjson("get", "hpa", "api")["spec"]["minReplicas"] == 1, 40,
                 "the HPA's minReplicas lowered")
        self.assertEqual(self.srv.kjson("get", "hpa", "api")["spec"]["maxReplicas"], 4)
        js = job_status(self.srv.kjson("get", "ssc", "api-night"), "night")
        self.assertIn("maxReplicas held at 4, what the HPA needs now", js["message"])

    def test_bad_spec_says_what_is_wrong(self):
        self.apply(deployment("bad", 1),
                   scheduled("bad", DEPLOY("bad"),
                             [{"name": "x", "schedule": "0 0 8 * * *", "timeZone": "Mars/Base",
                               "targetReplicas": 2}]))

        def invalid():
            for c in (self.srv.kjson("get", "ssc", "bad").get("status") or {}).get("conditions") or []:
                if c["type"] == "Ready" and c["reason"] == "InvalidSpec":
                    return c["message"]
        wait_for(invalid, 20, "Ready False InvalidSpec")
        self.assertIn("jobs[0].timeZone: unknown time zone \"Mars/Base\"", invalid())
        # the schema refuses what it can see
        p = self.srv.kubectl("apply", "-f", "-", check=False, input=json.dumps(
            scheduled("neg", DEPLOY("bad"), [{"name": "x", "schedule": "* * * * *",
                                               "targetReplicas": -1}])))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.jobs[0].targetReplicas", p.stderr)


class MissedRunTest(unittest.TestCase):
    """A run that came due while the server was down is applied on start."""

    def test_missed_run_is_made_up(self):
        srv = Server().start()
        try:
            when = at_local(10)
            srv.kubectl("apply", "-f", "-", input=json.dumps(
                {"apiVersion": "v1", "kind": "List", "items": [
                    deployment("late", 1),
                    scheduled("late", DEPLOY("late"),
                              [{"name": "up", "schedule": cron_at(when), "targetReplicas": 3}])]}))
            wait_for(lambda: job_status(srv.kjson("get", "ssc", "late"), "up").get("nextRunTime"),
                     20, "nextRunTime")
            srv.stop()
            # the run must fall while the server is down, or this tests nothing
            self.assertLess(datetime.datetime.now(datetime.timezone.utc), when,
                            "the server took too long to stop")
            while datetime.datetime.now(datetime.timezone.utc) < when + datetime.timedelta(seconds=2):
                time.sleep(0.5)
            restarted = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
            srv.start()
            wait_for(lambda: srv.kjson("get", "deployment", "late")["spec"]["replicas"] == 3, 40,
                     "the missed run applied on start")
            js = job_status(srv.kjson("get", "ssc", "late"), "up")
            self.assertEqual(js["lastScheduleTime"], utc(when))
            # made up after the restart, not run on time
            self.assertGreaterEqual(parse(js["lastRunTime"]), restarted)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
