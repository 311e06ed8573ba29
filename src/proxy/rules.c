/* zke proxy: the nftables rules of Services (see rules.h). */
#include "proxy/rules.h"
#include "proxy/rules_port.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"

#define ZK_PROXY_WEIGHT_MAX 100
#define ZK_PROXY_AFFINITY_DEFAULT_S 10800
#define ZK_PROXY_AFFINITY_MAX_S 86400
#define ANN_WEIGHTS "zke.io/weights"

/* ---- checking what goes into a script ---- */

/* Lower-case letters, digits and '-' (a DNS label, an IANA port name). */
static bool label_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

bool zk_proxy_table_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (!n || n > 64 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* An IPv4 address in its canonical text form, or false. */
static bool ipv4(const char *s, char out[INET_ADDRSTRLEN])
{
    struct in_addr a;
    if (!s || inet_pton(AF_INET, s, &a) != 1)
        return false;
    return inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN) != NULL;
}

static const char *proto_lower(const char *p)
{
    if (!p || !*p || !strcmp(p, "TCP"))
        return "tcp";
    if (!strcmp(p, "UDP"))
        return "udp";
    if (!strcmp(p, "SCTP"))
        return "sctp";
    return NULL;
}

/* ---- endpoints ---- */

typedef zk_proxy_ep ep;

static int ep_cmp(const void *a, const void *b)
{
    const ep *x = a, *y = b;
    struct in_addr ax, ay;
    inet_pton(AF_INET, x->ip, &ax);
    inet_pton(AF_INET, y->ip, &ay);
    uint32_t hx = ntohl(ax.s_addr), hy = ntohl(ay.s_addr);
    if (hx != hy)
        return hx < hy ? -1 : 1;
    return x->port - y->port;
}

static bool cond(const json_t *e, const char *which, bool def)
{
    json_t *v = zk_json_path(e, "conditions", which, NULL);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

/* The weight of an endpoint: the longest pod name prefix in the Service's
 * zke.io/weights ("web-stable=9,web-canary=1") that matches, else 1. */
static int weight_of(const char *weights, const char *pod)
{
    if (!weights || !*weights)
        return 1;
    int w = 1;
    size_t best = 0;
    const char *p = weights;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq) {
            size_t plen = (size_t)(eq - p);
            while (plen && p[plen - 1] == ' ')
                plen--;
            const char *q = p;
            while (plen && *q == ' ') {
                q++;
                plen--;
            }
            char num[16];
            size_t nlen = len - (size_t)(eq + 1 - p);
            if (nlen < sizeof(num)) {
                memcpy(num, eq + 1, nlen);
                num[nlen] = '\0';
                char *tail;
                long v = strtol(num, &tail, 10);
                while (*tail == ' ')
                    tail++;
                bool match = pod && strlen(pod) >= plen && !strncmp(pod, q, plen);
                if (!*tail && v >= 0 && v <= ZK_PROXY_WEIGHT_MAX && match && plen >= best) {
                    best = plen;
                    w = (int)v;
                }
            }
        }
        p = end ? end + 1 : p + len;
    }
    return w;
}

/* The endpoints of one Service port: those ready, else (like kube-proxy)
 * those still serving while they terminate. Sorted, without repeats. */
static ep *endpoints(const json_t *svc, const json_t *sport, json_t *const *slices, size_t nslices,
                     size_t *count)
{
    const char *pname = zk_json_str(sport, "name");
    const char *proto = proto_lower(zk_json_str(sport, "protocol"));
    const char *weights = zk_json_path_str(svc, "metadata", "annotations", ANN_WEIGHTS, NULL);
    size_t cap = 8, n = 0;
    ep *out = zk_xcalloc(cap, sizeof(*out));
    for (int pass = 0; pass < 2 && !n; pass++) {
        for (size_t s = 0; s < nslices; s++) {
            const json_t *sl = slices[s];
            const char *at = zk_json_str(sl, "addressType");
            if (at && strcmp(at, "IPv4"))
                continue;
            /* the slice's port of this name and protocol */
            int port = 0;
            size_t i;
            json_t *p;
            json_array_foreach(json_object_get(sl, "ports"), i, p) {
                const char *n2 = zk_json_str(p, "name");
                const char *pr = proto_lower(zk_json_str(p, "protocol"));
                if (strcmp(n2 ? n2 : "", pname ? pname : "") || !pr || strcmp(pr, proto))
                    continue;
                port = (int)zk_json_int(p, "port", 0);
            }
            if (port <= 0 || port > 65535)
                continue;
            json_t *e;
            json_array_foreach(json_object_get(sl, "endpoints"), i, e) {
                bool use = pass == 0 ? cond(e, "ready", true)
                                     : cond(e, "serving", true) && cond(e, "terminating", false);
                if (!use)
                    continue;
                const char *pod = zk_json_path_str(e, "targetRef", "name", NULL);
                int w = weight_of(weights, pod);
                if (w <= 0)
                    continue;
                size_t j;
                json_t *addr;
                json_array_foreach(json_object_get(e, "addresses"), j, addr) {
                    ep one = {.port = port, .weight = w, .pod = pod};
                    if (!ipv4(json_string_value(addr), one.ip))
                        continue;
                    if (n == cap) {
                        cap *= 2;
                        out = zk_xrealloc(out, cap * sizeof(*out));
                    }
                    out[n++] = one;
                }
            }
        }
    }
    qsort(out, n, sizeof(*out), ep_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || ep_cmp(&out[k - 1], &out[i]))
            out[k++] = out[i];
    *count = k;
    return out;
}

/* ---- plans ---- */

static json_t *obj_at(json_t *plan, const char *key)
{
    json_t *o = json_object_get(plan, key);
    if (!o) {
        o = json_object();
        json_object_set_new(plan, key, o);
    }
    return o;
}

void zk_proxy_put(json_t *plan, const char *what, json_t *val, const char *fmt, ...)
{
    char key[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(key, sizeof(key), fmt, ap);
    va_end(ap);
    json_object_set_new(obj_at(plan, what), key, val);
}

void zk_proxy_add_rule(json_t *plan, const char *chain, char *rule /* taken */)
{
    json_t *chains = obj_at(plan, "chains");
    json_t *rules = json_object_get(chains, chain);
    if (!rules) {
        rules = json_array();
        json_object_set_new(chains, chain, rules);
    }
    json_array_append_new(rules, json_string(rule));
    free(rule);
}

/* The nft part of one Service port (see rules.h for the table). */
static void nft_port(json_t *plan, const zk_proxy_cfg *cfg, const zk_proxy_port *pt)
{
    const char *proto = pt->proto, *id = pt->id;
    int port = pt->port, nodeport = pt->nodeport;
    const ep *eps = pt->eps;
    size_t neps = pt->neps;
    zk_autofree char *svc_chain = zk_xasprintf("svc/%s", id);
    zk_autofree char *ext_chain = zk_xasprintf("ext/%s", id);
    if (!neps) {
        for (size_t a = 0; a < pt->naddrs; a++)
            zk_proxy_put(plan, "noep", json_true(), "%s . %s . %d", pt->addrs[a], proto, port);
        if (nodeport)
            zk_proxy_put(plan, "nonp", json_true(), "%s . %d", proto, nodeport);
        return;
    }
    /* the svc/ chain: masquerade what comes from outside the pods and from
     * off this host. This host's own connections are not: the pods answer
     * through it anyway, and sharing the bridge address among them breaks
     * short connections (the pod's TIME_WAIT sockets reject SYNs whose
     * timestamps came from another connection: PAWS) */
    zk_proxy_add_rule(plan, svc_chain,
             zk_xasprintf("ip saddr != %s fib saddr type != local jump to-masq", cfg->cluster_cidr));
    zk_buf pick;
    zk_buf_init(&pick, 1u << 20);
    int total = 0;
    for (size_t e = 0; e < neps; e++) {
        zk_autofree char *ep_chain = zk_xasprintf("ep/%s/%s/%d", id, eps[e].ip, eps[e].port);
        zk_autofree char *aff = zk_xasprintf("aff/%s/%s/%d", id, eps[e].ip, eps[e].port);
        if (pt->affinity) {
            zk_autofree char *decl = zk_xasprintf(
                "{ type ipv4_addr; flags dynamic,timeout; timeout %llds; }", pt->timeout);
            zk_proxy_put(plan, "sets", json_string(decl), "%s", aff);
            zk_proxy_add_rule(plan, svc_chain, zk_xasprintf("ip saddr @%s goto %s", aff, ep_chain));
        }
        zk_proxy_add_rule(plan, ep_chain, zk_xasprintf("ip saddr %s jump to-masq", eps[e].ip));
        if (pt->affinity)
            zk_proxy_add_rule(plan, ep_chain, zk_xasprintf("update @%s { ip saddr }", aff));
        zk_proxy_add_rule(plan, ep_chain,
                 zk_xasprintf("meta l4proto %s dnat to %s:%d", proto, eps[e].ip, eps[e].port));
        if (eps[e].weight == 1)
            zk_buf_printf(&pick, "%s%d : goto %s", e ? ", " : "", total, ep_chain);
        else
            zk_buf_printf(&pick, "%s%d-%d : goto %s", e ? ", " : "", total,
                          total + eps[e].weight - 1, ep_chain);
        total += eps[e].weight;
    }
    zk_proxy_add_rule(plan, svc_chain,
             zk_xasprintf("numgen random mod %d vmap { %.*s }", total, (int)pick.len, pick.data));
    zk_buf_free(&pick);
    for (size_t a = 0; a < pt->naddrs; a++) {
        bool external = !pt->vip || strcmp(pt->addrs[a], pt->vip);
        zk_autofree char *verdict = zk_xasprintf("goto %s", external ? ext_chain : svc_chain);
        zk_proxy_put(plan, "vmap", json_string(verdict), "%s . %s . %d", pt->addrs[a], proto, port);
    }
    if (zk_proxy_port_has_ext(pt)) {
        /* from off the host: the reply must come back through it; from
         * 127/8 (route_localnet): the pod cannot answer that address */
        zk_proxy_add_rule(plan, ext_chain, zk_xstrdup("ip saddr 127.0.0.0/8 jump to-masq"));
        zk_proxy_add_rule(plan, ext_chain, zk_xstrdup("fib saddr type != local jump to-masq"));
        zk_proxy_add_rule(plan, ext_chain, zk_xasprintf("goto %s", svc_chain));
    }
    if (nodeport) {
        zk_autofree char *verdict = zk_xasprintf("goto %s", ext_chain);
        zk_proxy_put(plan, "npmap", json_string(verdict), "%s . %d", proto, nodeport);
    }
}

bool zk_proxy_port_has_ext(const zk_proxy_port *pt)
{
    return pt->naddrs > (pt->vip ? 1u : 0u) || pt->nodeport;
}

/* One Service port: what both kinds of rules need, then the rules. */
static void plan_port(json_t *plan, const zk_proxy_cfg *cfg, const json_t *svc, const char *ns,
                      const char *name, const char *vip, const json_t *sport, json_t *const *slices,
                      size_t nslices)
{
    zk_proxy_port pt = {.proto = proto_lower(zk_json_str(sport, "protocol")),
                        .port = (int)zk_json_int(sport, "port", 0), .vip = vip};
    int nodeport = (int)zk_json_int(sport, "nodePort", 0);
    const char *type = zk_json_path_str(svc, "spec", "type", NULL);
    if (type && (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer")) && nodeport > 0 &&
        nodeport < 65536)
        pt.nodeport = nodeport;
    zk_autofree char *id = zk_xasprintf("%s/%s/%s/%d", ns, name, pt.proto, pt.port);
    pt.id = id;
    /* the addresses this port answers on: the cluster IP and any external IPs */
    if (vip)
        snprintf(pt.addrs[pt.naddrs++], INET_ADDRSTRLEN, "%s", vip);
    size_t i;
    json_t *x;
    json_array_foreach(zk_json_path(svc, "spec", "externalIPs", NULL), i, x) {
        if (pt.naddrs < ZK_PROXY_ADDRS_MAX && ipv4(json_string_value(x), pt.addrs[pt.naddrs]))
            pt.naddrs++;
    }
    zk_autofree ep *eps = endpoints(svc, sport, slices, nslices, &pt.neps);
    pt.eps = eps;
    pt.affinity = !strcmp(zk_json_path_str(svc, "spec", "sessionAffinity", NULL) ?: "", "ClientIP");
    pt.timeout = ZK_PROXY_AFFINITY_DEFAULT_S;
    json_t *t = zk_json_path(svc, "spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds",
                             NULL);
    if (json_is_integer(t) && json_integer_value(t) > 0 &&
        json_integer_value(t) <= ZK_PROXY_AFFINITY_MAX_S)
        pt.timeout = json_integer_value(t);
    /* for conntrack (either kind of rules): UDP endpoints, and the UDP
     * addresses and ports that have endpoints */
    if (!strcmp(pt.proto, "udp")) {
        for (size_t e = 0; e < pt.neps; e++)
            zk_proxy_put(plan, "udp-eps", json_true(), "%s %d", eps[e].ip, eps[e].port);
        for (size_t a = 0; a < pt.naddrs && pt.neps; a++)
            zk_proxy_put(plan, "udp-live", json_true(), "%s %d", pt.addrs[a], pt.port);
    }
    if (cfg->mode == ZK_PROXY_IPTABLES)
        zk_proxy_ipt_port(plan, cfg, &pt);
    else
        nft_port(plan, cfg, &pt);
}

json_t *zk_proxy_plan(const zk_proxy_cfg *cfg, const json_t *svc, json_t *const *slices,
                      size_t nslices, char *why, size_t whylen)
{
    json_t *plan = json_object();
    if (why && whylen)
        why[0] = '\0';
#define BAD(...)                                                                                   \
    do {                                                                                           \
        if (why && whylen)                                                                         \
            snprintf(why, whylen, __VA_ARGS__);                                                    \
        return plan;                                                                               \
    } while (0)
    const char *ns = zk_json_path_str(svc, "metadata", "namespace", NULL);
    const char *name = zk_json_path_str(svc, "metadata", "name", NULL);
    if (!label_ok(ns, 63) || !label_ok(name, 63))
        BAD("its namespace or name is no DNS label");
    const char *type = zk_json_path_str(svc, "spec", "type", NULL);
    if (type && !strcmp(type, "ExternalName"))
        return plan;
    const char *cip = zk_json_path_str(svc, "spec", "clusterIP", NULL);
    char vip[INET_ADDRSTRLEN];
    bool has_vip = false;
    if (cip && !strcmp(cip, "None"))
        return plan;   /* headless: DNS only */
    if (cip && *cip) {
        if (!ipv4(cip, vip))
            BAD("its cluster IP %.64s is no IPv4 address", cip);
        has_vip = true;
    }
    size_t i;
    json_t *p;
    json_array_foreach(zk_json_path(svc, "spec", "ports", NULL), i, p) {
        const char *pname = zk_json_str(p, "name");
        json_int_t port = zk_json_int(p, "port", 0);
        if ((pname && *pname && !label_ok(pname, 63)) || port <= 0 || port > 65535 ||
            !proto_lower(zk_json_str(p, "protocol")))
            BAD("port %zu has a bad name, number or protocol", i);
    }
    json_array_foreach(zk_json_path(svc, "spec", "ports", NULL), i, p)
        plan_port(plan, cfg, svc, ns, name, has_vip ? vip : NULL, p, slices, nslices);
    return plan;
#undef BAD
}

/* ---- scripts ---- */

void zk_proxy_skeleton(zk_buf *out, const zk_proxy_cfg *cfg)
{
    const char *t = cfg->table;
    /* add + delete: replace the table whether or not it was there */
    zk_buf_printf(out, "add table ip %s\ndelete table ip %s\n", t, t);
    zk_buf_printf(
        out,
        "table ip %s {\n"
        "  comment \"zke: Service rules (cluster IPs, node ports); rewritten by the node agent\"\n"
        "  set no-ep { type ipv4_addr . inet_proto . inet_service; }\n"
        "  set no-ep-np { type inet_proto . inet_service; }\n"
        "  map svc-ips { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
        "  map svc-nps { type inet_proto . inet_service : verdict; }\n"
        "  chain nat-pre { type nat hook prerouting priority -100; policy accept; jump services; }\n"
        "  chain nat-out { type nat hook output priority -100; policy accept; jump services; }\n"
        "  chain nat-post { type nat hook postrouting priority 100; policy accept;\n"
        "    meta mark & 0x%x == 0 return; meta mark set meta mark ^ 0x%x; masquerade fully-random; }\n"
        "  chain services {\n"
        "    ip daddr . meta l4proto . th dport vmap @svc-ips\n"
        "    fib daddr type local meta l4proto . th dport vmap @svc-nps\n"
        "  }\n"
        /* packets for 127/8 from off the host are martians; with
         * route_localnet on (node ports on 127.0.0.1) the kernel no longer
         * drops them itself */
        "  chain filter-pre { type filter hook prerouting priority -110; policy accept;\n"
        "    iifname != \"lo\" ip daddr 127.0.0.0/8 drop; }\n"
        "  chain filter-in { type filter hook input priority -110; policy accept;\n"
        "    ct state new jump ep-check; ct state new fib daddr type local jump np-check; }\n"
        "  chain filter-fwd { type filter hook forward priority -110; policy accept;\n"
        "    ct state new jump ep-check; }\n"
        "  chain filter-out { type filter hook output priority -110; policy accept;\n"
        "    ct state new jump ep-check; ct state new fib daddr type local jump np-check; }\n"
        "  chain ep-check { ip daddr . meta l4proto . th dport @no-ep goto refuse; }\n"
        "  chain np-check { meta l4proto . th dport @no-ep-np goto refuse; }\n"
        "  chain refuse { meta l4proto tcp reject with tcp reset; reject; }\n"
        "  chain to-masq { meta mark set meta mark | 0x%x; }\n"
        "}\n",
        t, ZK_PROXY_MASQ_MARK, ZK_PROXY_MASQ_MARK, ZK_PROXY_MASQ_MARK);
}

static bool same_json(const json_t *a, const json_t *b) { return a && b && json_equal(a, b); }

/* Elements of map/set `what` in from[i] that to[i] lacks or maps elsewhere. */
static void del_elements(zk_buf *out, const char *t, const char *what, const char *set,
                         const json_t *from, const json_t *to)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(from, what), k, v) {
        json_t *w = json_object_get(json_object_get(to, what), k);
        if (!same_json(v, w))
            zk_buf_printf(out, "delete element ip %s %s { %s }\n", t, set, k);
    }
}

static void add_elements(zk_buf *out, const char *t, const char *what, const char *set,
                         const json_t *from, const json_t *to)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(to, what), k, v) {
        json_t *old = json_object_get(json_object_get(from, what), k);
        if (same_json(old, v))
            continue;
        if (json_is_string(v))
            zk_buf_printf(out, "add element ip %s %s { %s : %s }\n", t, set, k, json_string_value(v));
        else
            zk_buf_printf(out, "add element ip %s %s { %s }\n", t, set, k);
    }
}

void zk_proxy_diff(zk_buf *out, const zk_proxy_cfg *cfg, json_t *const *from, json_t *const *to,
                   size_t n)
{
    const char *t = cfg->table;
    const char *k;
    json_t *v;
    static const char *const maps[][2] = {
        {"vmap", "svc-ips"}, {"npmap", "svc-nps"}, {"noep", "no-ep"}, {"nonp", "no-ep-np"}};
    /* 1. elements that go or change */
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < 4; m++)
            del_elements(out, t, maps[m][0], maps[m][1], from[i], to[i]);
    /* a set whose declaration changes (the affinity timeout) is made
     * again: every chain of its Service is rewritten, so none still names it */
    bool *force = zk_xcalloc(n ? n : 1, sizeof(*force));
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(from[i], "sets"), k, v) {
            json_t *w = json_object_get(json_object_get(to[i], "sets"), k);
            if (w && !json_equal(v, w))
                force[i] = true;
        }
    /* 2. chains that go or change lose their rules (and so their references) */
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(from[i], "chains"), k, v) {
            json_t *w = json_object_get(json_object_get(to[i], "chains"), k);
            if (force[i] || !same_json(v, w))
                zk_buf_printf(out, "flush chain ip %s %s\n", t, k);
        }
    /* 3. then go; so do sets that go or change */
    for (size_t i = 0; i < n; i++) {
        json_object_foreach(json_object_get(from[i], "chains"), k, v) {
            if (!json_object_get(json_object_get(to[i], "chains"), k))
                zk_buf_printf(out, "delete chain ip %s %s\n", t, k);
        }
        json_object_foreach(json_object_get(from[i], "sets"), k, v) {
            json_t *w = json_object_get(json_object_get(to[i], "sets"), k);
            if (!same_json(v, w))
                zk_buf_printf(out, "delete set ip %s %s\n", t, k);
        }
    }
    /* 4. new sets and chains */
    for (size_t i = 0; i < n; i++) {
        json_object_foreach(json_object_get(to[i], "sets"), k, v) {
            json_t *old = json_object_get(json_object_get(from[i], "sets"), k);
            if (!same_json(old, v))
                zk_buf_printf(out, "add set ip %s %s %s\n", t, k, json_string_value(v));
        }
        json_object_foreach(json_object_get(to[i], "chains"), k, v) {
            if (!json_object_get(json_object_get(from[i], "chains"), k))
                zk_buf_printf(out, "add chain ip %s %s\n", t, k);
        }
    }
    /* 5. rules of new and changed chains */
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(to[i], "chains"), k, v) {
            json_t *old = json_object_get(json_object_get(from[i], "chains"), k);
            if (!force[i] && same_json(old, v))
                continue;
            size_t j;
            json_t *r;
            json_array_foreach(v, j, r)
                zk_buf_printf(out, "add rule ip %s %s %s\n", t, k, json_string_value(r));
        }
    /* 6. elements that come or change */
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < 4; m++)
            add_elements(out, t, maps[m][0], maps[m][1], from[i], to[i]);
    free(force);
}

/* ---- conntrack ---- */

static void ct_cmd(json_t *list, const char *a1, const char *v1, const char *a2, const char *v2)
{
    json_array_append_new(list, json_pack("[s,s,s,s,s,s,s,s]", "conntrack", "-D", "-p", "udp", a1,
                                          v1, a2, v2));
}

void zk_proxy_conntrack(const json_t *from, const json_t *to, json_t *argv_list)
{
    const char *k;
    json_t *v;
    char ip[INET_ADDRSTRLEN], port[8];
    /* UDP endpoints that went */
    json_object_foreach(json_object_get(from, "udp-eps"), k, v) {
        if (json_object_get(json_object_get(to, "udp-eps"), k) ||
            sscanf(k, "%15s %7s", ip, port) != 2)
            continue;
        ct_cmd(argv_list, "--reply-src", ip, "--reply-port-src", port);
    }
    /* UDP addresses and ports that now have endpoints and had none */
    json_object_foreach(json_object_get(to, "udp-live"), k, v) {
        if (json_object_get(json_object_get(from, "udp-live"), k) ||
            sscanf(k, "%15s %7s", ip, port) != 2)
            continue;
        ct_cmd(argv_list, "--orig-dst", ip, "--orig-port-dst", port);
    }
}
