/* zke kube: leader election on a Lease.
 *
 * Every retry period a candidate reads the Lease. If it is free (absent,
 * expired, or already ours) it writes itself in with a create or an update
 * conditional on the resourceVersion it read; a 409 means someone else won
 * the race. The leader renews the same way; if it has not renewed for the
 * renew deadline it gives up leadership itself, which is before the lease
 * (longer) can expire for the others. Times come from this process's
 * monotonic clock; the renewTime written is wall time, as Kubernetes'. */
#include "kube/leader.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"

struct zk_kube_leader {
    zk_kube_client *c;
    zk_kube_leader_opts o;
    char *ns, *name, *identity;
    uv_timer_t timer;
    bool leading, busy, stopping, timer_closed;
    uint64_t last_renew;   /* mono ms of our last successful write */
    /* the holder we last saw, and since when (mono) it has not changed */
    char *seen_holder;
    char *seen_renew;
    uint64_t seen_at;
};

static void tick(uv_timer_t *t);

/* After zk_kube_leader_free: release the memory once the timer is closed
 * and no request of ours is in flight. */
static void maybe_free(zk_kube_leader *l)
{
    if (!l->stopping || !l->timer_closed || l->busy)
        return;
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->seen_holder);
    free(l->seen_renew);
    free(l);
}

static void micro_now(char *out, size_t n)
{
    zk_time_rfc3339_micro(out, n);
}

static void lose(zk_kube_leader *l, const char *why)
{
    if (!l->leading)
        return;
    l->leading = false;
    zk_warn("leader election %s/%s: %s stopped leading: %s", l->ns, l->name, l->identity, why);
    if (l->o.on_stop)
        l->o.on_stop(l->o.ctx);
}

static void win(zk_kube_leader *l)
{
    l->last_renew = zk_mono_ms();
    if (l->leading)
        return;
    l->leading = true;
    zk_info("leader election %s/%s: %s is the leader", l->ns, l->name, l->identity);
    if (l->o.on_start)
        l->o.on_start(l->o.ctx);
}

static void on_write(void *ctx, const zk_kube_result *r)
{
    zk_kube_leader *l = ctx;
    l->busy = false;
    if (l->stopping) {
        maybe_free(l);
        return;
    }
    if (r->status == 200 || r->status == 201)
        win(l);
    else if (r->status == 409)
        lose(l, "the lease was taken");
    else
        zk_warn("leader election %s/%s: write: %s", l->ns, l->name, r->error);
}

static json_t *lease_spec(zk_kube_leader *l, const json_t *old_spec, bool taking)
{
    char now[64];
    micro_now(now, sizeof(now));
    json_t *spec = json_pack("{s:s,s:i,s:s}", "holderIdentity", l->identity,
                             "leaseDurationSeconds", l->o.lease_s, "renewTime", now);
    json_int_t transitions = zk_json_int(old_spec, "leaseTransitions", 0);
    const char *acq = zk_json_str(old_spec, "acquireTime");
    if (taking) {
        json_object_set_new(spec, "acquireTime", json_string(now));
        if (old_spec)
            transitions++;
    } else if (acq) {
        json_object_set_new(spec, "acquireTime", json_string(acq));
    }
    json_object_set_new(spec, "leaseTransitions", json_integer(transitions));
    return spec;
}

static void on_read(void *ctx, const zk_kube_result *r)
{
    zk_kube_leader *l = ctx;
    if (l->stopping) {
        l->busy = false;
        maybe_free(l);
        return;
    }
    uint64_t now = zk_mono_ms();
    if (r->status == 404) {
        json_t *lease = json_pack("{s:s,s:s,s:{s:s,s:s},s:o}", "apiVersion",
                                  "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
                                  l->name, "namespace", l->ns, "spec",
                                  lease_spec(l, NULL, true));
        zk_kube_create(l->c, &zk_kube_leases, l->ns, lease, on_write, l);
        json_decref(lease);
        return;
    }
    if (r->status != 200) {
        l->busy = false;
        zk_warn("leader election %s/%s: read: %s", l->ns, l->name, r->error);
        return;
    }
    json_t *spec = json_object_get(r->body, "spec");
    const char *holder = zk_json_str(spec, "holderIdentity");
    const char *renew = zk_json_str(spec, "renewTime");
    bool ours = holder && !strcmp(holder, l->identity);
    if (!ours) {
        if (l->leading)
            lose(l, "another holder is in the lease");
        /* observe: has the holder renewed since we last looked? */
        bool changed = !l->seen_holder != !holder ||
                       (holder && strcmp(l->seen_holder, holder)) ||
                       !l->seen_renew != !renew || (renew && strcmp(l->seen_renew, renew));
        if (changed) {
            free(l->seen_holder);
            free(l->seen_renew);
            l->seen_holder = holder ? zk_xstrdup(holder) : NULL;
            l->seen_renew = renew ? zk_xstrdup(renew) : NULL;
            l->seen_at = now;
        }
        json_int_t dur = zk_json_int(spec, "leaseDurationSeconds", l->o.lease_s);
        bool free_ = !holder || !holder[0] ||
                     (!changed && now - l->seen_at >= (uint64_t)dur * 1000);
        if (!free_) {
            l->busy = false;
            return;
        }
    }
    json_t *lease = json_deep_copy(r->body);
    json_object_set_new(lease, "spec", lease_spec(l, spec, !ours));
    zk_kube_update(l->c, &zk_kube_leases, lease, NULL, on_write, l);
    json_decref(lease);
}

static void tick(uv_timer_t *t)
{
    zk_kube_leader *l = t->data;
    if (l->leading && zk_mono_ms() - l->last_renew > (uint64_t)l->o.renew_deadline_s * 1000)
        lose(l, "could not renew the lease in time");
    if (l->busy)
        return;
    l->busy = true;
    char path[512];
    zk_kube_path(path, sizeof(path), &zk_kube_leases, l->ns, l->name, NULL, NULL);
    zk_kube_request(l->c, "GET", path, NULL, NULL, on_read, l);
}

zk_kube_leader *zk_kube_leader_start(zk_kube_client *c, const zk_kube_leader_opts *o)
{
    zk_kube_leader *l = zk_xcalloc(1, sizeof(*l));
    l->c = c;
    l->o = *o;
    if (l->o.lease_s <= 0)
        l->o.lease_s = 15;
    if (l->o.renew_deadline_s <= 0)
        l->o.renew_deadline_s = 10;
    if (l->o.retry_s <= 0)
        l->o.retry_s = 2;
    l->ns = zk_xstrdup(o->ns ? o->ns : "kube-system");
    l->name = zk_xstrdup(o->name);
    l->identity = zk_xstrdup(o->identity);
    l->o.ns = l->ns;
    l->o.name = l->name;
    l->o.identity = l->identity;
    uv_timer_init(zk_kube_client_loop(c), &l->timer);
    l->timer.data = l;
    uv_timer_start(&l->timer, tick, 0, (uint64_t)l->o.retry_s * 1000);
    return l;
}

bool zk_kube_leader_is_leader(const zk_kube_leader *l)
{
    return l->leading;
}

static void on_closed(uv_handle_t *h)
{
    zk_kube_leader *l = h->data;
    l->timer_closed = true;
    maybe_free(l);
}

void zk_kube_leader_free(zk_kube_leader *l)
{
    if (!l)
        return;
    l->stopping = true;
    if (l->leading) {
        /* release: an empty holder lets another candidate take over at once */
        json_t *p = json_pack("{s:{s:n}}", "spec", "holderIdentity");
        zk_kube_patch(l->c, &zk_kube_leases, l->ns, l->name, NULL, NULL, p, NULL, NULL);
        json_decref(p);
        l->leading = false;
    }
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, on_closed);
}
