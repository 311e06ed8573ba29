/* zke apiserver: the `zke server` command. */
#ifndef ZK_APIS_SERVER_H
#define ZK_APIS_SERVER_H

#include <stdbool.h>

#include "base/err.h"

/* What the components started beside the API server need to know. */
typedef struct zk_apis_ready {
    const char *url;           /* https://127.0.0.1:6443 */
    const char *data_dir;
    const char *pki_dir;       /* ca.crt, ca.key (to issue client certificates) */
    const char *node_name;     /* --node-name, or NULL: the host name */
    bool disable_agent;
    const char *dns_upstreams; /* --cluster-dns-upstream: the agent's DNS forwards there */
    const char *proxy_mode;    /* --proxy-mode: the agent's Service rules */
    bool disable_scheduler;
    bool disable_controller_manager;
} zk_apis_ready;

/* Called once the API serves (before the "ready" line): zke.c starts the
 * in-process scheduler, controllers and agent from it, so this module does
 * not depend on theirs. A failure stops the server. */
typedef int (*zk_apis_ready_fn)(const zk_apis_ready *r, zk_err *err);
void zk_apis_set_ready_hook(zk_apis_ready_fn fn);

/* Parse options, start the server and run until SIGINT/SIGTERM. */
int zk_apis_server_main(int argc, char **argv);

#endif
