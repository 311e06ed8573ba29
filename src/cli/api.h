/* zke cli: one blocking request at a time to a cluster, for the verbs that
 * ask a few things and print (zke restart, zke overcommit). */
#ifndef ZK_CLI_API_H
#define ZK_CLI_API_H

#include <jansson.h>
#include <uv.h>

#include "base/err.h"
#include "kube/client.h"

typedef struct zk_cli_api {
    uv_loop_t loop;
    zk_kube_config cfg;
    zk_kube_client *client;
} zk_cli_api;

/* Connect with kubeconfig (NULL: $KUBECONFIG, ~/.kube/config). */
int zk_cli_api_open(zk_cli_api *a, const char *kubeconfig, const char *agent, zk_err *err);
void zk_cli_api_close(zk_cli_api *a);

/* Send and wait: the HTTP status (0 on a transport error); *body (a new
 * reference, may be NULL) and msg (a message for people) tell the rest. */
int zk_cli_api_call(zk_cli_api *a, const char *method, const char *path, const json_t *in,
                    json_t **body, char *msg, size_t msglen);

#endif
