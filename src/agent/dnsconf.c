/* zke agent: a pod's /etc/resolv.conf, as the kubelet writes it.
 *
 * dnsPolicy ClusterFirst (the default) and ClusterFirstWithHostNet: the
 * cluster DNS, searching <ns>.svc.<domain>, svc.<domain>, <domain>, then
 * the host's search domains, with ndots:5. A hostNetwork pod with
 * ClusterFirst, and dnsPolicy Default, get the host's file. None starts
 * from nothing. spec.dnsConfig then adds nameservers and search domains
 * (repeats dropped) and options (by name, replacing). At most 3 name
 * servers and 32 search domains are kept, as the kubelet keeps. */
#include "agent/dnsconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"

#define NS_MAX 3
#define SEARCH_MAX 32
#define SEARCH_CHARS_MAX 2048
#define OPTS_MAX 32

typedef struct conf {
    char *ns[NS_MAX];
    size_t nns;
    char *search[SEARCH_MAX];
    size_t nsearch, search_chars;
    char *opts[OPTS_MAX];
    size_t nopts;
} conf;

static bool word_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 253)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == '#' || *s == ';' || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

static void add_ns(conf *c, const char *s)
{
    if (!word_ok(s) || c->nns == NS_MAX)
        return;
    for (size_t i = 0; i < c->nns; i++)
        if (!strcmp(c->ns[i], s))
            return;
    c->ns[c->nns++] = zk_xstrdup(s);
}

static void add_search(conf *c, const char *s)
{
    if (!word_ok(s) || c->nsearch == SEARCH_MAX || c->search_chars + strlen(s) + 1 > SEARCH_CHARS_MAX)
        return;
    for (size_t i = 0; i < c->nsearch; i++)
        if (!strcmp(c->search[i], s))
            return;
    c->search[c->nsearch++] = zk_xstrdup(s);
    c->search_chars += strlen(s) + 1;
}

/* An option "name" or "name:value"; one of a name replaces the earlier. */
static void add_opt(conf *c, const char *s)
{
    if (!word_ok(s))
        return;
    size_t nlen = strcspn(s, ":");
    for (size_t i = 0; i < c->nopts; i++)
        if (strlen(c->opts[i]) >= nlen && !strncmp(c->opts[i], s, nlen) &&
            (c->opts[i][nlen] == ':' || c->opts[i][nlen] == '\0')) {
            free(c->opts[i]);
            c->opts[i] = zk_xstrdup(s);
            return;
        }
    if (c->nopts < OPTS_MAX)
        c->opts[c->nopts++] = zk_xstrdup(s);
}

/* The host's file: nameserver, search/domain and options lines. */
static void read_host(conf *c, const char *text, bool servers)
{
    const char *p = text ? text : "";
    while (*p) {
        size_t len = strcspn(p, "\n");
        char line[4096];
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
        p += len + (p[len] == '\n');
        char *save = NULL;
        char *key = strtok_r(line, " \t\r", &save);
        if (!key || key[0] == '#' || key[0] == ';')
            continue;
        char *w;
        if (!strcmp(key, "nameserver")) {
            if (servers && (w = strtok_r(NULL, " \t\r", &save)))
                add_ns(c, w);
        } else if (!strcmp(key, "search") || !strcmp(key, "domain")) {
            while ((w = strtok_r(NULL, " \t\r", &save)))
                add_search(c, w);
        } else if (!strcmp(key, "options") && servers) {
            while ((w = strtok_r(NULL, " \t\r", &save)))
                add_opt(c, w);
        }
    }
}

char *zk_agent_resolv_conf(const json_t *pod, const char *cluster_dns, const char *domain,
                           const char *host_text)
{
    conf c = {0};
    const json_t *spec = json_object_get(pod, "spec");
    const char *policy = zk_json_str(spec, "dnsPolicy");
    bool host_net = zk_json_bool(spec, "hostNetwork", false);
    const char *ns = zk_json_path_str(pod, "metadata", "namespace", NULL);
    if (!policy || !*policy)
        policy = "ClusterFirst";
    bool cluster = (!strcmp(policy, "ClusterFirst") && !host_net) ||
                   !strcmp(policy, "ClusterFirstWithHostNet");
    if (cluster && (!cluster_dns || !*cluster_dns))
        cluster = false;   /* no cluster DNS on this node: the host's */
    if (cluster) {
        add_ns(&c, cluster_dns);
        char buf[600];
        if (ns && *ns) {
            snprintf(buf, sizeof(buf), "%.63s.svc.%.253s", ns, domain);
            add_search(&c, buf);
        }
        snprintf(buf, sizeof(buf), "svc.%.253s", domain);
        add_search(&c, buf);
        add_search(&c, domain);
        read_host(&c, host_text, false);
        add_opt(&c, "ndots:5");
    } else if (strcmp(policy, "None")) {
        read_host(&c, host_text, true);
    }
    const json_t *dc = json_object_get(spec, "dnsConfig");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(dc, "nameservers"), i, v) add_ns(&c, json_string_value(v));
    json_array_foreach(json_object_get(dc, "searches"), i, v) add_search(&c, json_string_value(v));
    json_array_foreach(json_object_get(dc, "options"), i, v) {
        const char *name = zk_json_str(v, "name");
        const char *val = zk_json_str(v, "value");
        if (!name)
            continue;
        char buf[600];
        if (val && *val)
            snprintf(buf, sizeof(buf), "%.200s:%.200s", name, val);
        else
            snprintf(buf, sizeof(buf), "%.200s", name);
        add_opt(&c, buf);
    }
    zk_buf b;
    zk_buf_init(&b, 1u << 16);
    for (size_t k = 0; k < c.nns; k++)
        zk_buf_printf(&b, "nameserver %s\n", c.ns[k]);
    if (c.nsearch) {
        zk_buf_puts(&b, "search");
        for (size_t k = 0; k < c.nsearch; k++)
            zk_buf_printf(&b, " %s", c.search[k]);
        zk_buf_putc(&b, '\n');
    }
    if (c.nopts) {
        zk_buf_puts(&b, "options");
        for (size_t k = 0; k < c.nopts; k++)
            zk_buf_printf(&b, " %s", c.opts[k]);
        zk_buf_putc(&b, '\n');
    }
    for (size_t k = 0; k < c.nns; k++)
        free(c.ns[k]);
    for (size_t k = 0; k < c.nsearch; k++)
        free(c.search[k]);
    for (size_t k = 0; k < c.nopts; k++)
        free(c.opts[k]);
    if (b.len == 0)
        zk_buf_putc(&b, '\n');   /* an empty file: nothing configured */
    return zk_buf_steal(&b, NULL);
}
