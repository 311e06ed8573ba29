/* Blocking requests for the cli verbs (see api.h). */
#include "cli/api.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"

int zk_cli_api_open(zk_cli_api *a, const char *kubeconfig, const char *agent, zk_err *err)
{
    memset(a, 0, sizeof(*a));
    if (zk_kube_config_load(kubeconfig, &a->cfg, err) < 0)
        return -1;
    if (!a->cfg.user_agent && agent)
        a->cfg.user_agent = zk_xstrdup(agent);
    uv_loop_init(&a->loop);
    a->client = zk_kube_client_new(&a->loop, &a->cfg, err);
    if (!a->client) {
        uv_loop_close(&a->loop);
        zk_kube_config_free(&a->cfg);
        return -1;
    }
    return 0;
}

void zk_cli_api_close(zk_cli_api *a)
{
    zk_kube_client_free(a->client);
    uv_run(&a->loop, UV_RUN_DEFAULT);   /* the client's handles close */
    uv_loop_close(&a->loop);
    zk_kube_config_free(&a->cfg);
}

typedef struct reply {
    bool done;
    int status;
    json_t *body;
    char msg[512];
} reply;

static void on_reply(void *ctx, const zk_kube_result *r)
{
    reply *w = ctx;
    w->done = true;
    w->status = r->status;
    w->body = json_incref(r->body);
    snprintf(w->msg, sizeof(w->msg), "%s", r->error ? r->error : "");
}

int zk_cli_api_call(zk_cli_api *a, const char *method, const char *path, const json_t *in,
                    json_t **body, char *msg, size_t msglen)
{
    reply w = {0};
    zk_kube_request(a->client, method, path, in, NULL, on_reply, &w);
    while (!w.done)
        uv_run(&a->loop, UV_RUN_ONCE);
    const char *m = zk_json_str(w.body, "message");
    if (msg && msglen)
        snprintf(msg, msglen, "%s", m && *m ? m : w.msg);
    if (body)
        *body = w.body;
    else
        json_decref(w.body);
    return w.status;
}
