/* `zke restart`: create a BatchRestart (docs/policies.md) and, with
 * --wait, follow it to its end: a progress bar on a terminal, one line per
 * change otherwise. Exit 0 when it succeeded, 1 when it failed or could not
 * be made, 2 on bad flags. */
#include "cli/restart.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "base/json.h"
#include "base/mem.h"
#include "base/time.h"
#include "cli/api.h"
#include "kube/client.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke restart (-n NS | --all-namespaces) [-l SELECTOR] [options]\n"
            "\n"
            "Restarts the Deployments, StatefulSets and DaemonSets a label selector picks,\n"
            "a few at a time (a BatchRestart of zke.io; kubectl get batchrestarts).\n"
            "\n"
            "  -n, --namespace NS       where the workloads are (and the BatchRestart)\n"
            "  -A, --all-namespaces     every namespace (cluster admins)\n"
            "  -l, --selector SEL       label selector (default: all)\n"
            "  --kinds K,...            Deployment, StatefulSet, DaemonSet (default: all)\n"
            "  --max-concurrent N       rolling at once (default 1)\n"
            "  --max-failures N         stop after N failed rollouts (default 1; 0: never)\n"
            "  --progress-deadline S    seconds a rollout has to become healthy (default 600)\n"
            "  --immediate              restart everything at once (emergencies)\n"
            "  --wait                   follow it to its end\n"
            "  --kubeconfig FILE        default: $KUBECONFIG, ~/.kube/config\n");
}

static long num(const char *flag, const char *v, long min)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < min) {
        fprintf(stderr, "zke restart: %s: \"%s\" is not a whole number of at least %ld\n", flag, v,
                min);
        return -1;
    }
    return n;
}

/* One line or one bar for the status s. */
static void show(const json_t *s, bool tty, char *last, size_t lastlen)
{
    long total = (long)zk_json_int(s, "total", 0), done = (long)zk_json_int(s, "restarted", 0);
    long failed = (long)zk_json_int(s, "failed", 0), rolling = (long)zk_json_int(s, "inProgress", 0);
    long skipped = (long)zk_json_int(s, "skipped", 0);
    const char *phase = zk_json_str(s, "phase") ?: "Pending";
    char line[256];
    snprintf(line, sizeof(line), "%s: %ld/%ld restarted, %ld rolling, %ld failed, %ld skipped",
             phase, done, total, rolling, failed, skipped);
    if (!strcmp(line, last))
        return;
    snprintf(last, lastlen, "%s", line);
    if (!tty) {
        printf("%s\n", line);
        fflush(stdout);
        return;
    }
    int width = 30, fill = total ? (int)((done + failed + skipped) * width / total) : 0;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    printf("\r[%s] %s\033[K", bar, line);
    fflush(stdout);
}

int zk_cli_restart_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"all-namespaces", no_argument, NULL, 'A'},
        {"selector", required_argument, NULL, 'l'},
        {"kinds", required_argument, NULL, 'k'},
        {"max-concurrent", required_argument, NULL, 'c'},
        {"max-failures", required_argument, NULL, 'f'},
        {"progress-deadline", required_argument, NULL, 'd'},
        {"immediate", no_argument, NULL, 'i'},
        {"wait", no_argument, NULL, 'w'},
        {"kubeconfig", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *ns = NULL, *sel = NULL, *kinds = NULL, *kubeconfig = NULL;
    bool all = false, immediate = false, wait = false;
    long max_conc = 1, max_fail = 1, deadline = 600;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "n:Al:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'n': ns = optarg; break;
        case 'A': all = true; break;
        case 'l': sel = optarg; break;
        case 'k': kinds = optarg; break;
        case 'c': if ((max_conc = num("--max-concurrent", optarg, 1)) < 0) return 2; break;
        case 'f': if ((max_fail = num("--max-failures", optarg, 0)) < 0) return 2; break;
        case 'd': if ((deadline = num("--progress-deadline", optarg, 1)) < 0) return 2; break;
        case 'i': immediate = true; break;
        case 'w': wait = true; break;
        case 'K': kubeconfig = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!ns && !all) {
        fprintf(stderr, "zke restart: say which namespace (-n NS), or --all-namespaces\n");
        return 2;
    }
    if (!ns)
        ns = "default";
    json_t *spec = json_pack("{s:b,s:i,s:i,s:i,s:s}", "allNamespaces", all, "maxConcurrent",
                             (int)max_conc, "maxFailures", (int)max_fail,
                             "progressDeadlineSeconds", (int)deadline, "mode",
                             immediate ? "Immediate" : "Rolling");
    if (sel) {
        /* "a=b,c=d" as matchLabels; anything richer as one expression list */
        json_t *ml = json_object();
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", sel);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(t, '=');
            if (!eq || eq == t || strchr(eq + 1, '=') || strchr(t, '!')) {
                fprintf(stderr, "zke restart: -l %s: use key=value[,key=value...]\n", sel);
                json_decref(ml);
                json_decref(spec);
                return 2;
            }
            *eq = '\0';
            json_object_set_new(ml, t, json_string(eq + 1));
        }
        json_object_set_new(spec, "selector", json_pack("{s:o}", "matchLabels", ml));
    }
    if (kinds) {
        json_t *arr = json_array();
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", kinds);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(arr, json_string(t));
        json_object_set_new(spec, "kinds", arr);
    }
    zk_err err = {0};
    zk_cli_api api;
    if (zk_cli_api_open(&api, kubeconfig, "zke-restart/" ZK_VERSION, &err) < 0) {
        fprintf(stderr, "zke restart: %s\n", err.msg);
        json_decref(spec);
        return 1;
    }
    json_t *br = json_pack("{s:s,s:s,s:{s:s},s:o}", "apiVersion", "zke.io/v1alpha1", "kind",
                           "BatchRestart", "metadata", "generateName", "restart-", "spec", spec);
    char path[512];
    snprintf(path, sizeof(path), "/apis/zke.io/v1alpha1/namespaces/%s/batchrestarts", ns);
    json_t *body = NULL;
    char msg[512];
    int rc = 1;
    int code = zk_cli_api_call(&api, "POST", path, br, &body, msg, sizeof(msg));
    if (code != 201) {
        fprintf(stderr, "zke restart: %s (HTTP %d)\n", msg, code);
    } else {
        const char *name = zk_json_path_str(body, "metadata", "name", NULL);
        char bname[256];
        snprintf(bname, sizeof(bname), "%s", name ? name : "");
        printf("batchrestart.zke.io/%s created\n", bname);
        fflush(stdout);
        rc = 0;
        if (wait) {
            bool tty = isatty(1);
            char last[256] = "";
            snprintf(path, sizeof(path), "/apis/zke.io/v1alpha1/namespaces/%s/batchrestarts/%s",
                     ns, bname);
            for (;;) {
                json_decref(body);
                body = NULL;
                code = zk_cli_api_call(&api, "GET", path, NULL, &body, msg, sizeof(msg));
                if (code != 200) {
                    fprintf(stderr, "%szke restart: reading %s: HTTP %d %s\n", tty ? "\n" : "",
                            bname, code, msg);
                    rc = 1;
                    break;
                }
                json_t *s = json_object_get(body, "status");
                show(s, tty, last, sizeof(last));
                const char *phase = zk_json_str(s, "phase");
                if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) {
                    json_t *cond = NULL;
                    size_t i;
                    json_t *cv;
                    json_array_foreach(json_object_get(s, "conditions"), i, cv)
                        if (!strcmp(zk_json_str(cv, "type") ?: "", "Progressing"))
                            cond = cv;
                    printf("%s%s: %s\n", tty ? "\n" : "", phase,
                           zk_json_str(cond, "message") ?: "");
                    rc = !strcmp(phase, "Succeeded") ? 0 : 1;
                    break;
                }
                usleep(500 * 1000);
            }
        }
    }
    json_decref(body);
    json_decref(br);
    zk_cli_api_close(&api);
    return rc;
}
