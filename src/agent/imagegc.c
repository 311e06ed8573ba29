/* zke agent: image garbage collection under disk pressure, as the
 * kubelet's image manager does it. Every GC_EVERY_MS the agent looks at the
 * file system that holds DATA/images; when its use reaches the high
 * threshold (default 85 %), images no pod on this node uses are removed,
 * least recently used first, until use is down to the low threshold
 * (default 80 %) or nothing unused is left. An image first seen less than
 * the minimum age ago (default 2 min) stays: it may be about to run. A
 * removed image takes its unpacked snapshot and every blob no other image
 * shares.
 *
 * "Used" means named by a container of a pod record here (running or not:
 * a pod bound to this node is about to need its image), by reference or by
 * the manifest digest it ran. The removal runs on the threadpool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "agent/internal.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/time.h"

#define GC_EVERY_MS 10000
#define BLOB_GRACE_S 60

typedef struct cand {
    char ref[600];
    char digest[ZK_IMAGE_DIGEST_MAX + 1];
    uint64_t last_used;
} cand;

typedef struct gc_job {
    uv_work_t w;
    zk_agent *a;
    cand *c;
    size_t n;
    char **keep_digests;   /* manifests other references still name */
    size_t nkeep;
    int high, low;
    size_t removed;
    int64_t freed;
} gc_job;

/* Percent of the file system under path in use (as the kubelet counts it:
 * capacity less what an unprivileged user may still take), or -1. */
static int used_pct(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) < 0 || !v.f_blocks)
        return -1;
    return (int)(100 - (uint64_t)v.f_bavail * 100 / v.f_blocks);
}

static int cand_cmp(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    return a->last_used < b->last_used ? -1 : a->last_used > b->last_used;
}

static void gc_work(uv_work_t *w)
{
    gc_job *j = w->data;
    zk_agent *a = j->a;
    for (size_t i = 0; i < j->n; i++) {
        int pct = used_pct(a->o.data_dir);
        if (pct >= 0 && pct <= j->low)
            break;
        const char *ref = j->c[i].ref;
        int64_t freed = 0;
        zk_err err = {0};
        if (zk_agent_images_remove(a->images, &ref, 1, BLOB_GRACE_S, &freed, &err) < 0) {
            zk_warn("agent: image GC: %s", err.msg);
            continue;
        }
        j->removed++;
        j->freed += freed;
        /* the snapshot goes with the last reference to its manifest */
        bool shared = false;
        for (size_t k = 0; k < j->nkeep && !shared; k++)
            shared = !strcmp(j->keep_digests[k], j->c[i].digest);
        for (size_t k = i + 1; k < j->n && !shared; k++)
            shared = !strcmp(j->c[k].digest, j->c[i].digest);
        if (!shared && !strncmp(j->c[i].digest, "sha256:", 7)) {
            zk_autofree char *snap = zk_xasprintf("%s/snapshots/%s", a->dir, j->c[i].digest + 7);
            zk_agent_rm_tree(snap);
        }
        zk_info("agent: image GC removed %s (%lld bytes of blobs)", ref, (long long)freed);
    }
}

static void gc_done(uv_work_t *w, int status)
{
    gc_job *j = w->data;
    j->a->gc_running = false;
    if (j->removed)
        zk_info("agent: image GC: %zu images removed, %lld bytes freed, disk %d%% used",
                j->removed, (long long)j->freed, used_pct(j->a->o.data_dir));
    for (size_t i = 0; i < j->nkeep; i++)
        free(j->keep_digests[i]);
    free(j->keep_digests);
    free(j->c);
    free(j);
}

/* ---- which images are used ---- */

typedef struct scan {
    zk_agent *a;
    json_t *used_refs;     /* normalized references pods name */
    json_t *ran;           /* image IDs (repo@digest) containers ran */
    gc_job *j;
    uint64_t now;
} scan;

static bool ran_digest(const json_t *ran, const char *digest)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ran, k, v) {
        const char *at = strrchr(k, '@');
        if (at && !strcmp(at + 1, digest))
            return true;
    }
    return false;
}

static void each_image(void *ctx, const zk_agent_image *img)
{
    scan *sc = ctx;
    zk_agent *a = sc->a;
    gc_job *j = sc->j;
    json_t *seen = json_object_get(a->image_seen, img->ref);
    if (!seen) {
        seen = json_integer((json_int_t)sc->now);
        json_object_set_new(a->image_seen, img->ref, seen);
    }
    json_t *last = json_object_get(a->image_last_used, img->digest);
    bool used = json_object_get(sc->used_refs, img->ref) || ran_digest(sc->ran, img->digest);
    bool young = sc->now - (uint64_t)json_integer_value(seen) < (uint64_t)a->gc_min_age_ms;
    if (used || young) {
        j->keep_digests = zk_xrealloc(j->keep_digests, (j->nkeep + 1) * sizeof(char *));
        j->keep_digests[j->nkeep++] = zk_xstrdup(img->digest);
        return;
    }
    j->c = zk_xrealloc(j->c, (j->n + 1) * sizeof(*j->c));
    cand *c = &j->c[j->n++];
    snprintf(c->ref, sizeof(c->ref), "%s", img->ref);
    snprintf(c->digest, sizeof(c->digest), "%s", img->digest);
    c->last_used = last ? (uint64_t)json_integer_value(last) : 0;
}

void zk_agent_image_used(zk_agent *a, const char *image_id)
{
    const char *at = strrchr(image_id, '@');
    if (at)
        json_object_set_new(a->image_last_used, at + 1, json_integer((json_int_t)zk_mono_ms()));
}

void zk_agent_image_gc_tick(zk_agent *a)
{
    uint64_t now = zk_mono_ms();
    if (a->gc_running || (a->gc_at && now - a->gc_at < GC_EVERY_MS))
        return;
    a->gc_at = now;
    int pct = used_pct(a->o.data_dir);
    if (pct < 0 || pct < a->gc_high)
        return;
    scan sc = {.a = a, .used_refs = json_object(), .ran = json_object(), .now = now};
    size_t pos = 0;
    const char *k;
    void *v;
    while (zk_map_next(a->apods, &pos, &k, &v)) {
        zk_apod *p = v;
        for (size_t i = 0; i < p->nctrs; i++) {
            zk_actr *c = &p->ctrs[i];
            if (c->image_id[0])
                json_object_set_new(sc.ran, c->image_id, json_true());
        }
        const char *lists[] = {"initContainers", "containers", "ephemeralContainers"};
        for (size_t l = 0; l < 3; l++) {
            size_t i;
            json_t *ctr;
            json_array_foreach(zk_json_path(p->pod, "spec", lists[l], NULL), i, ctr) {
                zk_image_ref r;
                char norm[600];
                if (zk_agent_image_ref_parse(zk_json_str(ctr, "image") ?: "", &r, NULL) == 0 &&
                    zk_agent_image_ref_string(&r, norm, sizeof(norm)))
                    json_object_set_new(sc.used_refs, norm, json_true());
            }
        }
    }
    gc_job *j = zk_xcalloc(1, sizeof(*j));
    j->a = a;
    j->high = a->gc_high;
    j->low = a->gc_low;
    sc.j = j;
    zk_err err = {0};
    if (zk_agent_images_list(a->images, each_image, &sc, &err) < 0)
        zk_warn("agent: image GC: %s", err.msg);
    json_decref(sc.used_refs);
    json_decref(sc.ran);
    if (!j->n) {
        zk_debug("agent: image GC: disk %d%% used (threshold %d%%), no unused image", pct,
                 a->gc_high);
        gc_done(&j->w, 0);
        return;
    }
    qsort(j->c, j->n, sizeof(*j->c), cand_cmp);
    zk_info("agent: image GC: disk %d%% used (threshold %d%%): %zu unused images to weigh", pct,
            a->gc_high, j->n);
    a->gc_running = true;
    j->w.data = j;
    uv_queue_work(a->loop, &j->w, gc_work, gc_done);
}
