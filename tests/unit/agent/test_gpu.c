/* Unit tests for the agent's GPUs (src/agent/gpu.c) against a fake NVML
 * (tests/integration/testgpu/fakenvml.c, built by meson; ZKE_FAKE_NVML is
 * its path): there is no GPU on the machines the tests run on. Loading,
 * failing to load, samples, assignment to containers and taking the
 * assignment back after a restart, the OCI devices of a GPU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/gpu.h"
#include "agent/internal.h"
#include "agent/spec.h"
#include "base/json.h"
#include "base/mem.h"

#define UUID0 "GPU-00000000-0000-0000-0000-000000000000"
#define UUID1 "GPU-00000000-0000-0000-0000-000000000001"

static char tmp[64];

/* An agent with just what gpu.c touches: the data dir, the pod records
 * and a loop for the samples. */
typedef struct fixture {
    zk_agent a;
    uv_loop_t loop;
    zk_apod *pods[8];
    size_t npods;
} fixture;

static const char *fake(void)
{
    const char *p = getenv("ZKE_FAKE_NVML");
    if (!p || !*p) {
        fprintf(stderr, "ZKE_FAKE_NVML is not set (meson test sets it)\n");
        skip();
    }
    return p;
}

static int setup(void **state)
{
    snprintf(tmp, sizeof(tmp), "/tmp/zk-gpu-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    fixture *f = zk_xcalloc(1, sizeof(*f));
    uv_loop_init(&f->loop);
    f->a.loop = &f->loop;
    f->a.dir = zk_xstrdup(tmp);
    f->a.apods = zk_map_new();
    unsetenv("FAKE_NVML_UTIL");
    unsetenv("FAKE_NVML_INIT");
    unsetenv("FAKE_NVML_COUNT");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    zk_agent_gpu_close(f->a.gpus);
    for (size_t i = 0; i < f->npods; i++) {
        free(f->pods[i]->ctrs);
        free(f->pods[i]);
    }
    zk_map_free(f->a.apods);
    free(f->a.dir);
    uv_loop_close(&f->loop);
    free(f);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return 0;
}

/* A pod record uid with one container "c" that has not run. */
static zk_apod *pod(fixture *f, const char *uid)
{
    zk_apod *p = zk_xcalloc(1, sizeof(*p));
    p->a = &f->a;
    snprintf(p->uid, sizeof(p->uid), "%s", uid);
    snprintf(p->ns, sizeof(p->ns), "default");
    snprintf(p->name, sizeof(p->name), "pod-%s", uid);
    p->ctrs = zk_xcalloc(1, sizeof(*p->ctrs));
    p->nctrs = 1;
    snprintf(p->ctrs[0].name, sizeof(p->ctrs[0].name), "c");
    zk_map_put(f->a.apods, p->uid, p);
    f->pods[f->npods++] = p;
    return p;
}

static json_t *ctr_asking(const char *which, const char *q)
{
    char text[256];
    snprintf(text, sizeof(text),
             "{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}],"
             "\"resources\":{\"%s\":{\"nvidia.com/gpu\":\"%s\"}}}", which, q);
    json_t *c = json_loads(text, 0, NULL);
    assert_non_null(c);
    return c;
}

static const char *visible(const json_t *ctr)
{
    size_t i;
    json_t *e;
    const char *v = NULL;
    json_array_foreach(json_object_get(ctr, "env"), i, e) {
        const char *n = zk_json_str(e, "name");
        if (n && !strcmp(n, "NVIDIA_VISIBLE_DEVICES"))
            v = zk_json_str(e, "value");
    }
    return v;
}

/* A start of p's container as pods.c does it: assign, then the job runs
 * (busy) and comes back with a running run. false when it must wait. */
static bool start(zk_apod *p, const char *q, uint64_t *mask, char *msg)
{
    json_t *ctr = ctr_asking("limits", q);
    int rc = zk_agent_gpu_assign(p, &p->ctrs[0], ctr, mask, msg, 512);
    if (rc == 0 && *mask) {
        assert_non_null(visible(ctr));
        p->busy = true;
        /* in the threadpool now: held although nothing runs yet */
        zk_apod *hp;
        assert_ptr_equal(zk_agent_gpu_holder(p->a, (size_t)__builtin_ctzll(*mask), &hp),
                         &p->ctrs[0]);
        p->busy = false;
        p->ctrs[0].cur.state = ZK_CTR_RUNNING;
    }
    json_decref(ctr);
    return rc == 0;
}

static void stop(zk_apod *p)
{
    p->ctrs[0].cur.state = ZK_CTR_EXITED;
}

static void test_no_library_no_gpus(void **state)
{
    fixture *f = *state;
    setenv("ZKE_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
    zk_agent_gpu_start(&f->a);
    assert_non_null(f->a.gpus);
    assert_int_equal(zk_agent_gpu_count(f->a.gpus), 0);
    assert_null(zk_agent_gpu_stats(&f->a));
    json_t *labels = json_object();
    zk_agent_gpu_labels(&f->a, labels);
    assert_int_equal(json_object_size(labels), 0);
    json_decref(labels);
    zk_agent_gpu_sample(&f->a);   /* nothing to do, nothing queued */
    assert_int_equal(uv_run(&f->loop, UV_RUN_NOWAIT), 0);
    /* a container without GPUs starts as ever; one with them waits */
    zk_apod *p = pod(f, "u1");
    uint64_t mask = 99;
    char msg[512] = "";
    json_t *plain = json_loads("{\"name\":\"c\",\"env\":[]}", 0, NULL);
    assert_int_equal(zk_agent_gpu_assign(p, &p->ctrs[0], plain, &mask, msg, sizeof(msg)), 0);
    assert_int_equal(mask, 0);
    assert_int_equal(json_array_size(json_object_get(plain, "env")), 0);
    json_decref(plain);
    assert_false(start(p, "1", &mask, msg));
    assert_string_equal(msg, "Allocate failed due to requested number of devices unavailable "
                             "for nvidia.com/gpu. Requested: 1, Available: 0, which is unexpected");
}

static void test_init_failure_no_gpus(void **state)
{
    fixture *f = *state;
    setenv("ZKE_NVML_LIBRARY", fake(), 1);
    setenv("FAKE_NVML_INIT", "9", 1);   /* NVML_ERROR_DRIVER_NOT_LOADED */
    zk_agent_gpu_start(&f->a);
    assert_int_equal(zk_agent_gpu_count(f->a.gpus), 0);
    zk_agent_gpu_close(f->a.gpus);
    /* a library without NVML's functions */
    setenv("ZKE_NVML_LIBRARY", "libc.so.6", 1);
    zk_agent_gpu_start(&f->a);
    assert_int_equal(zk_agent_gpu_count(f->a.gpus), 0);
}

static void test_fake_gpus_and_samples(void **state)
{
    fixture *f = *state;
    setenv("ZKE_NVML_LIBRARY", fake(), 1);
    setenv("FAKE_NVML_UTIL", "37,80", 1);
    zk_agent_gpu_start(&f->a);
    assert_int_equal(zk_agent_gpu_count(f->a.gpus), 2);
    const zk_agent_gpu *d0 = zk_agent_gpu_at(f->a.gpus, 0), *d1 = zk_agent_gpu_at(f->a.gpus, 1);
    assert_null(zk_agent_gpu_at(f->a.gpus, 2));
    assert_string_equal(d0->uuid, UUID0);
    assert_string_equal(d1->uuid, UUID1);
    assert_string_equal(d0->name, "Zke Fake GPU");
    assert_int_equal(d1->minor, 1);
    assert_int_equal(d1->nvml_index, 1);
    /* the first sample is taken at start */
    assert_true(d0->sampled);
    assert_int_equal(d0->util, 37);
    assert_int_equal(d1->util, 80);
    assert_int_equal(d0->mem_total, 16ull << 30);
    assert_int_equal(d1->mem_used, 1ull << 30);
    /* later ones on the threadpool */
    setenv("FAKE_NVML_UTIL", "5", 1);
    zk_agent_gpu_sample(&f->a);
    zk_agent_gpu_sample(&f->a);   /* one at a time */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(d0->util, 5);
    assert_int_equal(d1->util, 5);
    json_t *st = zk_agent_gpu_stats(&f->a);
    zk_autofree char *text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text,
                        "[{\"index\":0,\"memoryTotal\":17179869184,\"memoryUsed\":536870912,"
                        "\"name\":\"Zke Fake GPU\",\"utilization\":5,\"uuid\":\"" UUID0 "\"},"
                        "{\"index\":1,\"memoryTotal\":17179869184,\"memoryUsed\":1073741824,"
                        "\"name\":\"Zke Fake GPU\",\"utilization\":5,\"uuid\":\"" UUID1 "\"}]");
    json_decref(st);
    json_t *labels = json_object();
    zk_agent_gpu_labels(&f->a, labels);
    assert_string_equal(zk_json_str(labels, "nvidia.com/gpu.product"), "Zke-Fake-GPU");
    assert_string_equal(zk_json_str(labels, "nvidia.com/gpu.count"), "2");
    json_decref(labels);
}

static void test_wanted(void **state)
{
    (void)state;
    char msg[256];
    struct {
        const char *which, *q;
        int64_t want;
    } cases[] = {
        {"limits", "2", 2}, {"requests", "1", 1}, {"limits", "0", 0},
        {"limits", "500m", -1}, {"limits", "-1", -1}, {"limits", "x", -1},
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(cases); i++) {
        json_t *c = ctr_asking(cases[i].which, cases[i].q);
        msg[0] = '\0';
        assert_int_equal(zk_agent_gpu_wanted(c, msg, sizeof(msg)), cases[i].want);
        if (cases[i].want < 0)
            assert_non_null(strstr(msg, "nvidia.com/gpu"));
        json_decref(c);
    }
    json_t *none = json_loads("{\"name\":\"c\",\"resources\":{\"limits\":{\"cpu\":\"1\"}}}", 0,
                              NULL);
    assert_int_equal(zk_agent_gpu_wanted(none, msg, sizeof(msg)), 0);
    json_decref(none);
}

static void test_assign_and_free(void **state)
{
    fixture *f = *state;
    setenv("ZKE_NVML_LIBRARY", fake(), 1);
    zk_agent_gpu_start(&f->a);
    zk_apod *p1 = pod(f, "u1"), *p2 = pod(f, "u2"), *p3 = pod(f, "u3");
    uint64_t mask = 0;
    char msg[512] = "";
    json_t *ctr = ctr_asking("limits", "1");
    assert_int_equal(zk_agent_gpu_assign(p1, &p1->ctrs[0], ctr, &mask, msg, sizeof(msg)), 0);
    assert_int_equal(mask, 1);
    assert_string_equal(visible(ctr), UUID0);
    /* after the container's own env, so that it wins */
    assert_string_equal(zk_json_str(json_array_get(json_object_get(ctr, "env"), 0), "name"), "A");
    json_decref(ctr);
    /* its start failed before anything ran (an image pull): it holds
     * nothing once its pod is no longer busy */
    zk_apod *hp;
    assert_null(zk_agent_gpu_holder(&f->a, 0, &hp));
    assert_true(start(p1, "1", &mask, msg));
    assert_int_equal(mask, 1);
    assert_ptr_equal(zk_agent_gpu_holder(&f->a, 0, &hp), &p1->ctrs[0]);
    assert_ptr_equal(hp, p1);
    assert_true(start(p2, "1", &mask, msg));
    assert_int_equal(mask, 2);
    /* both are taken */
    assert_false(start(p3, "1", &mask, msg));
    assert_int_equal(mask, 0);
    assert_non_null(strstr(msg, "Requested: 1, Available: 0"));
    /* the first one ends: its GPU goes to the third */
    stop(p1);
    assert_null(zk_agent_gpu_holder(&f->a, 0, &hp));
    assert_true(start(p3, "1", &mask, msg));
    assert_int_equal(mask, 1);
    /* a restarted container gets its own GPU back, though another is free */
    stop(p3);
    stop(p2);
    assert_true(start(p2, "1", &mask, msg));
    assert_int_equal(mask, 2);
    /* more than are free */
    assert_false(start(p1, "2", &mask, msg));
    assert_non_null(strstr(msg, "Requested: 2, Available: 1"));
    /* a pod that is gone holds nothing */
    zk_map_del(f->a.apods, p2->uid);
    assert_null(zk_agent_gpu_holder(&f->a, 1, &hp));
    assert_true(start(p1, "2", &mask, msg));
    assert_int_equal(mask, 3);
    json_t *two = ctr_asking("limits", "2");
    stop(p1);
    assert_int_equal(zk_agent_gpu_assign(p1, &p1->ctrs[0], two, &mask, msg, sizeof(msg)), 0);
    assert_string_equal(visible(two), UUID0 "," UUID1);
    json_decref(two);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_record_and_adopt(void **state)
{
    fixture *f = *state;
    setenv("ZKE_NVML_LIBRARY", fake(), 1);
    zk_agent_gpu_start(&f->a);
    /* what a start writes into its bundle */
    zk_autofree char *dirs = zk_xasprintf("mkdir -p %s/pods/u9/c/web-3 %s/pods/u8/c/old-0", tmp,
                                          tmp);
    assert_int_equal(system(dirs), 0);
    zk_autofree char *b9 = zk_xasprintf("%s/pods/u9/c/web-3", tmp);
    zk_autofree char *b8 = zk_xasprintf("%s/pods/u8/c/old-0", tmp);
    assert_int_equal(zk_agent_gpu_record(f->a.gpus, 2, b9), 0);
    zk_autofree char *gp = zk_xasprintf("%s/gpus.json", b9);
    json_t *rec = json_load_file(gp, 0, NULL);
    assert_int_equal(json_array_size(rec), 1);
    assert_string_equal(zk_json_str(json_array_get(rec, 0), "uuid"), UUID1);
    json_decref(rec);
    /* a run that ended (exit.json) holds nothing */
    assert_int_equal(zk_agent_gpu_record(f->a.gpus, 1, b8), 0);
    zk_autofree char *ex = zk_xasprintf("%s/exit.json", b8);
    write_text(ex, "{\"exitCode\":0}");
    zk_agent_gpu_close(f->a.gpus);

    /* the next agent process: pods_adopt made records without containers */
    zk_agent_gpu_start(&f->a);
    zk_apod *p9 = pod(f, "u9"), *p1 = pod(f, "u1");
    free(p9->ctrs);
    p9->ctrs = NULL;
    p9->nctrs = 0;
    uint64_t mask = 0;
    char msg[512] = "";
    assert_false(start(p1, "2", &mask, msg));
    assert_non_null(strstr(msg, "Available: 1"));
    assert_true(start(p1, "1", &mask, msg));
    assert_int_equal(mask, 1);
    /* its runs are read: web's run 3 runs, then ends */
    p9->ctrs = zk_xcalloc(1, sizeof(*p9->ctrs));
    p9->nctrs = 1;
    snprintf(p9->ctrs[0].name, sizeof(p9->ctrs[0].name), "web");
    p9->ctrs[0].cur = (zk_ctr_run){.state = ZK_CTR_RUNNING, .attempt = 3};
    zk_apod *hp;
    assert_ptr_equal(zk_agent_gpu_holder(&f->a, 1, &hp), &p9->ctrs[0]);
    zk_apod *p2 = pod(f, "u2");
    assert_false(start(p2, "1", &mask, msg));
    p9->ctrs[0].cur.state = ZK_CTR_EXITED;
    assert_true(start(p2, "1", &mask, msg));
    assert_int_equal(mask, 2);
}

static void test_devices_in_the_spec(void **state)
{
    fixture *f = *state;
    /* /dev/null stands in for a GPU's device node */
    json_t *d = zk_agent_gpu_device("/dev/null");
    assert_non_null(d);
    assert_string_equal(zk_json_str(d, "type"), "c");
    assert_int_equal(zk_json_int(d, "major", -1), 1);
    assert_int_equal(zk_json_int(d, "minor", -1), 3);
    assert_int_equal(zk_json_int(d, "fileMode", -1), 0666);
    assert_null(zk_agent_gpu_device("/tmp"));
    assert_null(zk_agent_gpu_device("/dev/nvidia-does-not-exist"));
    setenv("ZKE_NVML_LIBRARY", fake(), 1);
    zk_agent_gpu_start(&f->a);
    assert_null(zk_agent_gpu_devices(f->a.gpus, 0));
    json_t *devs = zk_agent_gpu_devices(f->a.gpus, 3);
    assert_true(json_is_array(devs));   /* empty here: no /dev/nvidia* */
    json_decref(devs);

    json_t *list = json_pack("[O]", d);
    json_t *pod_ = json_loads("{\"metadata\":{\"name\":\"p\"}}", 0, NULL);
    json_t *ctr = json_loads("{\"name\":\"c\",\"command\":[\"/bin/true\"]}", 0, NULL);
    json_t *img = json_object();
    zk_agent_spec_opts o = {.rootfs = "/tmp/rootfs", .devices = list};
    json_t *spec = NULL;
    zk_err e = {0};
    assert_int_equal(zk_agent_spec_build(pod_, ctr, img, &o, &spec, &e), 0);
    const json_t *ld = zk_json_path(spec, "linux", "devices", NULL);
    assert_int_equal(json_array_size(ld), 1);
    assert_string_equal(zk_json_str(json_array_get(ld, 0), "path"), "/dev/null");
    const json_t *rules = zk_json_path(spec, "linux", "resources", "devices", NULL);
    assert_int_equal(json_array_size(rules), 2);
    /* deny all first, then the device */
    assert_false(zk_json_bool(json_array_get(rules, 0), "allow", true));
    const json_t *allow = json_array_get(rules, 1);
    assert_true(zk_json_bool(allow, "allow", false));
    assert_string_equal(zk_json_str(allow, "type"), "c");
    assert_int_equal(zk_json_int(allow, "major", -1), 1);
    assert_int_equal(zk_json_int(allow, "minor", -1), 3);
    assert_string_equal(zk_json_str(allow, "access"), "rwm");
    json_decref(spec);
    /* without devices: no linux.devices */
    o.devices = NULL;
    assert_int_equal(zk_agent_spec_build(pod_, ctr, img, &o, &spec, &e), 0);
    assert_null(zk_json_path(spec, "linux", "devices", NULL));
    json_decref(spec);
    json_decref(pod_);
    json_decref(ctr);
    json_decref(img);
    json_decref(list);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_library_no_gpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_failure_no_gpus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fake_gpus_and_samples, setup, teardown),
        cmocka_unit_test(test_wanted),
        cmocka_unit_test_setup_teardown(test_assign_and_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_and_adopt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_devices_in_the_spec, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
