/* zke admission: DefaultTolerationSeconds (see tolerationseconds.h). */
#include "admission/tolerationseconds.h"

#include <stdbool.h>
#include <string.h>

#include "base/json.h"

#define TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define TAINT_UNREACHABLE "node.kubernetes.io/unreachable"

/* Does tol cover key:NoExecute the way the plugin counts it (any operator,
 * any value: as Kubernetes' plugin, only key and effect are looked at). */
static bool covers(const json_t *tol, const char *key)
{
    const char *k = zk_json_str(tol, "key");
    const char *e = zk_json_str(tol, "effect");
    return (!k || !k[0] || !strcmp(k, key)) && (!e || !e[0] || !strcmp(e, "NoExecute"));
}

void zk_adm_default_toleration_seconds(json_t *pod, int64_t seconds)
{
    json_t *spec = json_object_get(pod, "spec");
    if (!json_is_object(spec))
        return;
    json_t *tols = json_object_get(spec, "tolerations");
    if (tols && !json_is_array(tols))
        return;   /* validation answers for that */
    bool not_ready = false, unreachable = false;
    size_t i;
    json_t *t;
    json_array_foreach(tols, i, t) {
        not_ready = not_ready || covers(t, TAINT_NOT_READY);
        unreachable = unreachable || covers(t, TAINT_UNREACHABLE);
    }
    if (not_ready && unreachable)
        return;
    if (!tols) {
        tols = json_array();
        json_object_set_new(spec, "tolerations", tols);
    }
    static const char *const keys[] = {TAINT_NOT_READY, TAINT_UNREACHABLE};
    const bool have[] = {not_ready, unreachable};
    for (size_t k = 0; k < 2; k++)
        if (!have[k])
            json_array_append_new(tols, json_pack("{s:s,s:s,s:s,s:I}", "key", keys[k],
                                                  "operator", "Exists", "effect", "NoExecute",
                                                  "tolerationSeconds", (json_int_t)seconds));
}
