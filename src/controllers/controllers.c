/* zke controllers: the built-in set. */
#include <string.h>

#include "controllers/ctl.h"
#include "controllers/internal.h"

static const zk_ctl_def *const builtin[] = {
    &zk_ctl_deployment,
    &zk_ctl_replicaset,
    &zk_ctl_replicationcontroller,
    &zk_ctl_endpoints,
    &zk_ctl_endpointslice,
    &zk_ctl_job,
    &zk_ctl_cronjob,
    &zk_ctl_serviceaccount,
    &zk_ctl_serviceaccount_token,
    &zk_ctl_nodelifecycle,
    &zk_ctl_podgc,
    &zk_ctl_nodeipam,
    &zk_ctl_daemonset,
    &zk_ctl_statefulset,
    &zk_ctl_hostgroup,
    &zk_ctl_batchrestart,
    &zk_ctl_hpa,
    &zk_ctl_scheduledscaling,
    &zk_ctl_backlogscaler,
};

static bool disabled_in(const char *list, const char *name)
{
    if (!list)
        return false;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

void zk_ctl_mgr_add_all(zk_ctl_mgr *m, const char *disabled)
{
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
        if (!disabled_in(disabled, builtin[i]->name))
            zk_ctl_mgr_add(m, builtin[i]);
}
