/* zke proxy: the iptables rules of Services (see iptrules.h). */
#include "proxy/iptrules.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"
#include "proxy/rules_port.h"

#define ZK_IPT_LINE_MAX 4096   /* longer iptables-save lines are not ours */

void zk_proxy_ipt_prefix(const char *table, char out[ZK_PROXY_PREFIX_SIZE])
{
    snprintf(out, ZK_PROXY_PREFIX_SIZE, "Z%08x-", zk_fnv1a32(table ? table : ""));
}

/* P-KIND-<14 hex of the nft chain name> */
static char *chain(const zk_proxy_cfg *cfg, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *chain(const zk_proxy_cfg *cfg, const char *kind, const char *fmt, ...)
{
    char ident[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ident, sizeof(ident), fmt, ap);
    va_end(ap);
    return zk_xasprintf("%s%s-%014llx", cfg->prefix, kind,
                        (unsigned long long)(zk_fnv1a64(ident) >> 8));
}

/* ---- plans ---- */

void zk_proxy_ipt_port(json_t *plan, const zk_proxy_cfg *cfg, const zk_proxy_port *pt)
{
    const char *P = cfg->prefix, *proto = pt->proto, *id = pt->id;
    if (!pt->neps) {
        for (size_t a = 0; a < pt->naddrs; a++)
            zk_proxy_put(plan, "filter", json_true(),
                         "%sNOEP -d %s/32 -p %s -m %s --dport %d -m comment --comment %s "
                         "-j %sREJECT",
                         P, pt->addrs[a], proto, proto, pt->port, id, P);
        if (pt->nodeport)
            zk_proxy_put(plan, "filter", json_true(),
                         "%sNOEP-NP -p %s -m %s --dport %d -m comment --comment %s -j %sREJECT",
                         P, proto, proto, pt->nodeport, id, P);
        return;
    }
    zk_autofree char *svc = chain(cfg, "SVC", "svc/%s", id);
    zk_autofree char *ext = chain(cfg, "EXT", "ext/%s", id);
    /* as the nft svc/ chain: this host's own connections keep their source
     * (see rules.c) */
    zk_proxy_add_rule(plan, svc,
                      zk_xasprintf("! -s %s -m addrtype ! --src-type LOCAL -j %sMARK-MASQ",
                                   cfg->cluster_cidr, P));
    int remaining = 0;
    for (size_t e = 0; e < pt->neps; e++)
        remaining += pt->eps[e].weight;
    for (size_t e = 0; e < pt->neps; e++) {
        const zk_proxy_ep *ep = &pt->eps[e];
        zk_autofree char *sep = chain(cfg, "SEP", "ep/%s/%s/%d", id, ep->ip, ep->port);
        if (pt->affinity)
            zk_proxy_add_rule(plan, svc,
                              zk_xasprintf("-m recent --rcheck --seconds %lld --reap --name %s "
                                           "--mask 255.255.255.255 --rsource -j %s",
                                           pt->timeout, sep, sep));
        zk_proxy_add_rule(plan, sep, zk_xasprintf("-s %s/32 -j %sMARK-MASQ", ep->ip, P));
        if (pt->affinity)
            zk_proxy_add_rule(plan, sep,
                              zk_xasprintf("-m recent --set --name %s --mask 255.255.255.255 "
                                           "--rsource",
                                           sep));
        zk_proxy_add_rule(plan, sep,
                          zk_xasprintf("-p %s -m comment --comment %s -j DNAT "
                                       "--to-destination %s:%d",
                                       proto, id, ep->ip, ep->port));
    }
    /* the pick: endpoint e with probability weight / what is left */
    for (size_t e = 0; e < pt->neps; e++) {
        const zk_proxy_ep *ep = &pt->eps[e];
        zk_autofree char *sep = chain(cfg, "SEP", "ep/%s/%s/%d", id, ep->ip, ep->port);
        if (e + 1 == pt->neps)
            zk_proxy_add_rule(plan, svc, zk_xasprintf("-j %s", sep));
        else
            zk_proxy_add_rule(plan, svc,
                              zk_xasprintf("-m statistic --mode random --probability %.10f -j %s",
                                           (double)ep->weight / remaining, sep));
        remaining -= ep->weight;
    }
    for (size_t a = 0; a < pt->naddrs; a++) {
        bool external = !pt->vip || strcmp(pt->addrs[a], pt->vip);
        zk_proxy_put(plan, "nat", json_true(),
                     "%sSERVICES -d %s/32 -p %s -m %s --dport %d -m comment --comment %s -j %s", P,
                     pt->addrs[a], proto, proto, pt->port, id, external ? ext : svc);
    }
    if (zk_proxy_port_has_ext(pt)) {
        zk_proxy_add_rule(plan, ext, zk_xasprintf("-s 127.0.0.0/8 -j %sMARK-MASQ", P));
        zk_proxy_add_rule(plan, ext,
                          zk_xasprintf("-m addrtype ! --src-type LOCAL -j %sMARK-MASQ", P));
        zk_proxy_add_rule(plan, ext, zk_xasprintf("-j %s", svc));
    }
    if (pt->nodeport)
        zk_proxy_put(plan, "nat", json_true(),
                     "%sNODEPORTS -p %s -m %s --dport %d -m comment --comment %s -j %s", P, proto,
                     proto, pt->nodeport, id, ext);
}

/* ---- the fixed part ---- */

static const char *const tables[] = {"raw", "nat", "filter"};

/* The chains every table has, by suffix, and their rules ("%1$s": the prefix) */
typedef struct fixed_rule {
    const char *table, *chain, *rule;
} fixed_rule;

static const char *const fixed_chains[][6] = {
    {"RAW", NULL},
    {"NAT", "SERVICES", "NODEPORTS", "MARK-MASQ", "POSTROUTING", NULL},
    {"FILTER", "NOEP", "NOEP-NP", "REJECT", NULL},
};

static const fixed_rule fixed_rules[] = {
    /* packets for 127/8 from off the host are martians; with route_localnet
     * on (node ports on 127.0.0.1) the kernel no longer drops them itself */
    {"raw", "RAW", "! -i lo -d 127.0.0.0/8 -j DROP"},
    {"nat", "NAT", "-j %1$sSERVICES"},
    {"nat", "NAT", "-m addrtype --dst-type LOCAL -j %1$sNODEPORTS"},
    {"nat", "MARK-MASQ", "-j MARK --or-mark 0x4000"},
    {"nat", "POSTROUTING", "-m mark ! --mark 0x4000/0x4000 -j RETURN"},
    {"nat", "POSTROUTING", "-j MARK --xor-mark 0x4000"},
    {"nat", "POSTROUTING", "-j MASQUERADE --random-fully"},
    {"filter", "FILTER", "-m conntrack --ctstate NEW -j %1$sNOEP"},
    {"filter", "FILTER", "-m conntrack --ctstate NEW -m addrtype --dst-type LOCAL -j %1$sNOEP-NP"},
    {"filter", "REJECT", "-p tcp -j REJECT --reject-with tcp-reset"},
    {"filter", "REJECT", "-j REJECT --reject-with icmp-port-unreachable"},
};

/* The jumps from the built-in chains. */
static const char *const hooks[][3] = {
    {"raw", "PREROUTING", "RAW"},     {"nat", "PREROUTING", "NAT"},
    {"nat", "OUTPUT", "NAT"},         {"nat", "POSTROUTING", "POSTROUTING"},
    {"filter", "INPUT", "FILTER"},    {"filter", "FORWARD", "FILTER"},
    {"filter", "OUTPUT", "FILTER"},
};

/* ---- reading iptables-save ---- */

static json_t *table_of(json_t *seen, const char *t)
{
    json_t *o = json_object_get(seen, t);
    if (!o) {
        o = json_pack("{s:{},s:{}}", "chains", "jumps");
        json_object_set_new(seen, t, o);
    }
    return o;
}

static bool name_ok(const char *s, size_t n)
{
    if (!n || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
            return false;
    return true;
}

static void seen_line(json_t *seen, char *table, const char *line, size_t n, const char *prefix)
{
    size_t plen = strlen(prefix);
    if (n >= 2 && line[0] == '*') {
        table[0] = '\0';
        if (name_ok(line + 1, n - 1) && n - 1 < 32) {
            memcpy(table, line + 1, n - 1);
            table[n - 1] = '\0';
        }
        return;
    }
    if (!table[0])
        return;
    if (line[0] == ':') {
        /* ":NAME POLICY [p:b]" */
        const char *sp = memchr(line, ' ', n);
        size_t len = sp ? (size_t)(sp - line - 1) : n - 1;
        if (name_ok(line + 1, len) && len >= plen && !strncmp(line + 1, prefix, plen)) {
            char name[65];
            memcpy(name, line + 1, len);
            name[len] = '\0';
            json_object_set_new(json_object_get(table_of(seen, table), "chains"), name,
                                json_true());
        }
        return;
    }
    /* "-A HOOK -j TARGET", exactly */
    if (n < 4 || strncmp(line, "-A ", 3))
        return;
    const char *hook = line + 3, *end = line + n;
    const char *sp = memchr(hook, ' ', (size_t)(end - hook));
    if (!sp || (size_t)(end - sp) < 5 || strncmp(sp, " -j ", 4))
        return;
    const char *target = sp + 4;
    size_t hlen = (size_t)(sp - hook), tlen = (size_t)(end - target);
    if (!name_ok(hook, hlen) || !name_ok(target, tlen) || tlen < plen ||
        strncmp(target, prefix, plen) || !strncmp(hook, prefix, hlen < plen ? hlen : plen))
        return;
    char key[140];
    snprintf(key, sizeof(key), "%.*s %.*s", (int)hlen, hook, (int)tlen, target);
    json_t *jumps = json_object_get(table_of(seen, table), "jumps");
    json_object_set_new(jumps, key, json_integer(json_integer_value(json_object_get(jumps, key)) + 1));
}

json_t *zk_proxy_ipt_seen(const char *save, size_t len, const char *prefix)
{
    json_t *seen = json_object();
    char table[32] = "";
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(save + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - save - i) : len - i;
        if (n && save[i + n - 1] == '\r')
            n--;
        if (n && n <= ZK_IPT_LINE_MAX && !memchr(save + i, '\0', n))
            seen_line(seen, table, save + i, n, prefix);
        i += (nl ? (size_t)(nl - save - i) + 1 : len - i);
    }
    return seen;
}

/* ---- scripts ---- */

static bool is_fixed(const char *prefix, size_t t, const char *name)
{
    size_t plen = strlen(prefix);
    if (strncmp(name, prefix, plen))
        return false;
    for (size_t c = 0; fixed_chains[t][c]; c++)
        if (!strcmp(name + plen, fixed_chains[t][c]))
            return true;
    return false;
}

static json_t *chains_of(json_t *const *plans, size_t n)
{
    json_t *all = json_object();
    for (size_t i = 0; i < n; i++) {
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(plans[i], "chains"), k, v)
            json_object_set(all, k, v);
    }
    return all;
}

void zk_proxy_ipt_full(zk_buf *out, const zk_proxy_cfg *cfg, const json_t *seen,
                       json_t *const *plans, size_t n)
{
    const char *P = cfg->prefix;
    json_t *wanted = chains_of(plans, n);
    for (size_t t = 0; t < 3; t++) {
        const char *T = tables[t];
        json_t *have = json_object_get(json_object_get(seen, T), "chains");
        json_t *jumps = json_object_get(json_object_get(seen, T), "jumps");
        bool nat = !strcmp(T, "nat");
        zk_buf_printf(out, "*%s\n", T);
        /* declaring a chain makes it, or empties it */
        for (size_t c = 0; fixed_chains[t][c]; c++)
            zk_buf_printf(out, ":%s%s - [0:0]\n", P, fixed_chains[t][c]);
        const char *k;
        json_t *v;
        if (nat)
            json_object_foreach(wanted, k, v)
                zk_buf_printf(out, ":%s - [0:0]\n", k);
        json_object_foreach(have, k, v) {
            if (!is_fixed(P, t, k) && !(nat && json_object_get(wanted, k)))
                zk_buf_printf(out, ":%s - [0:0]\n", k);
        }
        for (size_t r = 0; r < sizeof(fixed_rules) / sizeof(fixed_rules[0]); r++) {
            if (strcmp(fixed_rules[r].table, T))
                continue;
            zk_buf_printf(out, "-A %s%s ", P, fixed_rules[r].chain);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            zk_buf_printf(out, fixed_rules[r].rule, P);
#pragma GCC diagnostic pop
            zk_buf_putc(out, '\n');
        }
        if (nat)
            json_object_foreach(wanted, k, v) {
                size_t j;
                json_t *r;
                json_array_foreach(v, j, r)
                    zk_buf_printf(out, "-A %s %s\n", k, json_string_value(r));
            }
        for (size_t i = 0; i < n; i++)
            json_object_foreach(json_object_get(plans[i], T), k, v)
                zk_buf_printf(out, "-A %s\n", k);
        /* the jumps from the built-in chains: first, once each; jumps
         * that are not ours to keep (an older layout's) go */
        json_object_foreach(jumps, k, v) {
            bool keep = false;
            for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
                char key[140];
                snprintf(key, sizeof(key), "%s %s%s", hooks[h][1], P, hooks[h][2]);
                keep = keep || (!strcmp(hooks[h][0], T) && !strcmp(key, k));
            }
            const char *sp = strchr(k, ' ');
            for (json_int_t c = 0; !keep && sp && c < json_integer_value(v) && c < 64; c++)
                zk_buf_printf(out, "-D %.*s -j %s\n", (int)(sp - k), k, sp + 1);
        }
        for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
            if (strcmp(hooks[h][0], T))
                continue;
            char key[140];
            snprintf(key, sizeof(key), "%s %s%s", hooks[h][1], P, hooks[h][2]);
            json_int_t count = json_integer_value(json_object_get(jumps, key));
            if (count == 0)
                zk_buf_printf(out, "-I %s 1 -j %s%s\n", hooks[h][1], P, hooks[h][2]);
            for (json_int_t c = 1; c < count; c++)
                zk_buf_printf(out, "-D %s -j %s%s\n", hooks[h][1], P, hooks[h][2]);
        }
        /* what an earlier run left: now empty, and nothing jumps to it */
        json_object_foreach(have, k, v) {
            if (!is_fixed(P, t, k) && !(nat && json_object_get(wanted, k)))
                zk_buf_printf(out, "-X %s\n", k);
        }
        zk_buf_puts(out, "COMMIT\n");
    }
    json_decref(wanted);
}

static bool same_json(const json_t *a, const json_t *b) { return a && b && json_equal(a, b); }

void zk_proxy_ipt_diff(zk_buf *out, const zk_proxy_cfg *cfg, json_t *const *from,
                       json_t *const *to, size_t n)
{
    (void)cfg;
    zk_buf decl, body;
    zk_buf_init(&decl, SIZE_MAX);
    zk_buf_init(&body, SIZE_MAX);
    const char *k;
    json_t *v;
    /* nat: chains that come, change or go are declared (made or emptied) */
    for (size_t i = 0; i < n; i++) {
        json_object_foreach(json_object_get(to[i], "chains"), k, v) {
            if (!same_json(json_object_get(json_object_get(from[i], "chains"), k), v))
                zk_buf_printf(&decl, ":%s - [0:0]\n", k);
        }
        json_object_foreach(json_object_get(from[i], "chains"), k, v) {
            if (!json_object_get(json_object_get(to[i], "chains"), k))
                zk_buf_printf(&decl, ":%s - [0:0]\n", k);
        }
    }
    /* rules of the shared chains that go, and so no longer jump anywhere */
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(from[i], "nat"), k, v) {
            if (!json_object_get(json_object_get(to[i], "nat"), k))
                zk_buf_printf(&body, "-D %s\n", k);
        }
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(to[i], "chains"), k, v) {
            if (same_json(json_object_get(json_object_get(from[i], "chains"), k), v))
                continue;
            size_t j;
            json_t *r;
            json_array_foreach(v, j, r)
                zk_buf_printf(&body, "-A %s %s\n", k, json_string_value(r));
        }
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(to[i], "nat"), k, v) {
            if (!json_object_get(json_object_get(from[i], "nat"), k))
                zk_buf_printf(&body, "-A %s\n", k);
        }
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(from[i], "chains"), k, v) {
            if (!json_object_get(json_object_get(to[i], "chains"), k))
                zk_buf_printf(&body, "-X %s\n", k);
        }
    if (decl.len || body.len) {
        zk_buf_puts(out, "*nat\n");
        zk_buf_append(out, decl.data, decl.len);
        zk_buf_append(out, body.data, body.len);
        zk_buf_puts(out, "COMMIT\n");
    }
    /* filter: only rules of the shared chains */
    zk_buf_reset(&body);
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(from[i], "filter"), k, v) {
            if (!json_object_get(json_object_get(to[i], "filter"), k))
                zk_buf_printf(&body, "-D %s\n", k);
        }
    for (size_t i = 0; i < n; i++)
        json_object_foreach(json_object_get(to[i], "filter"), k, v) {
            if (!json_object_get(json_object_get(from[i], "filter"), k))
                zk_buf_printf(&body, "-A %s\n", k);
        }
    if (body.len) {
        zk_buf_puts(out, "*filter\n");
        zk_buf_append(out, body.data, body.len);
        zk_buf_puts(out, "COMMIT\n");
    }
    zk_buf_free(&decl);
    zk_buf_free(&body);
}

void zk_proxy_ipt_cleanup(zk_buf *out, const json_t *seen)
{
    const char *t;
    json_t *tab;
    json_object_foreach((json_t *)seen, t, tab) {
        json_t *chains = json_object_get(tab, "chains"), *jumps = json_object_get(tab, "jumps");
        if (!json_object_size(chains) && !json_object_size(jumps))
            continue;
        zk_buf_printf(out, "*%s\n", t);
        const char *k;
        json_t *v;
        json_object_foreach(chains, k, v)
            zk_buf_printf(out, ":%s - [0:0]\n", k);
        json_object_foreach(jumps, k, v) {
            const char *sp = strchr(k, ' ');
            if (!sp)
                continue;
            for (json_int_t c = 0; c < json_integer_value(v) && c < 64; c++)
                zk_buf_printf(out, "-D %.*s -j %s\n", (int)(sp - k), k, sp + 1);
        }
        json_object_foreach(chains, k, v)
            zk_buf_printf(out, "-X %s\n", k);
        zk_buf_puts(out, "COMMIT\n");
    }
}
