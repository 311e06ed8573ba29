#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/reqinfo.h"

typedef struct {
    const char *method, *path;
    int resource;
    const char *verb, *group, *version, *ns, *resource_name, *name, *sub;
} ri_case;

static void test_request_info_table(void **state)
{
    static const ri_case cases[] = {
        {"GET", "/api/v1/namespaces", 1, "list", "", "v1", "", "namespaces", "", ""},
        {"GET", "/api/v1/namespaces/default", 1, "get", "", "v1", "default", "namespaces", "default", ""},
        {"PUT", "/api/v1/namespaces/default/finalize", 1, "update", "", "v1", "default", "namespaces", "default", "finalize"},
        {"GET", "/api/v1/namespaces/default/status", 1, "get", "", "v1", "default", "namespaces", "default", "status"},
        {"GET", "/api/v1/namespaces/ns1/pods", 1, "list", "", "v1", "ns1", "pods", "", ""},
        {"GET", "/api/v1/namespaces/ns1/pods?watch=true", 1, "watch", "", "v1", "ns1", "pods", "", ""},
        {"GET", "/api/v1/namespaces/ns1/pods?watch=1&rv=3", 1, "watch", "", "v1", "ns1", "pods", "", ""},
        {"GET", "/api/v1/watch/namespaces/ns1/pods", 1, "watch", "", "v1", "ns1", "pods", "", ""},
        {"GET", "/api/v1/pods", 1, "list", "", "v1", "", "pods", "", ""},
        {"POST", "/api/v1/namespaces/ns1/pods", 1, "create", "", "v1", "ns1", "pods", "", ""},
        {"GET", "/api/v1/namespaces/ns1/pods/web/log", 1, "get", "", "v1", "ns1", "pods", "web", "log"},
        {"DELETE", "/api/v1/namespaces/ns1/pods", 1, "deletecollection", "", "v1", "ns1", "pods", "", ""},
        {"DELETE", "/api/v1/namespaces/ns1/pods/web", 1, "delete", "", "v1", "ns1", "pods", "web", ""},
        {"PATCH", "/apis/apps/v1/namespaces/d/deployments/web/scale", 1, "patch", "apps", "v1", "d", "deployments", "web", "scale"},
        {"GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", 1, "get", "rbac.authorization.k8s.io", "v1", "", "clusterroles", "admin", ""},
        {"GET", "/apis/apps/v1/", 0, "get", "", "", "", "", "", ""},
        {"GET", "/apis", 0, "get", "", "", "", "", "", ""},
        {"GET", "/api/v1", 0, "get", "", "", "", "", "", ""},
        {"GET", "/healthz", 0, "get", "", "", "", "", "", ""},
        {"POST", "/openapi/v2", 0, "post", "", "", "", "", "", ""},
        {"GET", "/api/v1/namespaces/a%2Fb/pods", 1, "list", "", "v1", "a", "b", "pods", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const ri_case *c = &cases[i];
        zk_reqinfo ri;
        zk_err err = {0};
        int rc = zk_reqinfo_parse(&ri, c->method, strlen(c->method), c->path, strlen(c->path), &err);
        if (i == sizeof(cases) / sizeof(cases[0]) - 1) {
            /* an escaped slash is decoded before splitting: a different path */
            assert_int_equal(rc, 0);
            zk_reqinfo_free(&ri);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(ri.resource_request, c->resource);
        assert_string_equal(ri.verb, c->verb);
        assert_string_equal(ri.group, c->group);
        assert_string_equal(ri.version, c->version);
        assert_string_equal(ri.ns, c->ns);
        assert_string_equal(ri.resource, c->resource_name);
        assert_string_equal(ri.name, c->name);
        assert_string_equal(ri.subresource, c->sub);
        zk_reqinfo_free(&ri);
    }
}

static void test_bad_paths(void **state)
{
    static const char *const bad[] = {
        "/api/v1/namespaces/../secrets", "/api/v1//pods", "/api/v1/namespaces/%zz/pods",
        "no-slash", "/api/v1/namespaces/x/pods/y/z/extra", "/api/v1/pods/%00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        zk_reqinfo ri;
        zk_err err = {0};
        assert_int_equal(zk_reqinfo_parse(&ri, "GET", 3, bad[i], strlen(bad[i]), &err), -ZK_EINVAL);
        assert_true(err.msg[0] != '\0');
        zk_reqinfo_free(&ri);
    }
    char longpath[ZK_REQINFO_MAX_PATH + 10];
    memset(longpath, 'a', sizeof(longpath));
    longpath[0] = '/';
    zk_reqinfo ri;
    assert_int_equal(zk_reqinfo_parse(&ri, "GET", 3, longpath, sizeof(longpath), NULL), -ZK_EINVAL);
    zk_reqinfo_free(&ri);
}

/* after a proxy subresource the rest of the path is the proxied path */
static void test_proxy_rest(void **state)
{
    (void)state;
    zk_reqinfo ri;
    const char *p = "/api/v1/nodes/n1/proxy/metrics/cadvisor?x=1";
    assert_int_equal(zk_reqinfo_parse(&ri, "GET", 3, p, strlen(p), NULL), 0);
    assert_string_equal(ri.resource, "nodes");
    assert_string_equal(ri.name, "n1");
    assert_string_equal(ri.subresource, "proxy");
    assert_string_equal(ri.rest, "metrics/cadvisor");
    assert_string_equal(ri.query, "x=1");
    zk_reqinfo_free(&ri);
    p = "/api/v1/nodes/n1/proxy";
    assert_int_equal(zk_reqinfo_parse(&ri, "GET", 3, p, strlen(p), NULL), 0);
    assert_string_equal(ri.rest, "");
    zk_reqinfo_free(&ri);
    p = "/api/v1/nodes/n1/status/extra";   /* other subresources still end the path */
    assert_int_equal(zk_reqinfo_parse(&ri, "GET", 3, p, strlen(p), NULL), -ZK_EINVAL);
    zk_reqinfo_free(&ri);
}

static void test_long_paths_use_the_heap(void **state)
{
    /* a path longer than the inline buffer, with a long selector */
    char path[3000];
    int n = snprintf(path, sizeof(path), "/api/v1/namespaces/team/configmaps?labelSelector=");
    while (n < 2900)
        n += snprintf(path + n, sizeof(path) - (size_t)n, "k%d%%3Dv,", n);
    zk_reqinfo ri;
    zk_err err = {0};
    assert_int_equal(zk_reqinfo_parse(&ri, "GET", 3, path, (size_t)n, &err), 0);
    assert_ptr_not_equal(ri.storage, ri.inline_buf);
    assert_string_equal(ri.ns, "team");
    assert_string_equal(ri.resource, "configmaps");
    assert_string_equal(ri.verb, "list");
    char v[4096];
    assert_non_null(zk_query_get(ri.query, "labelSelector", v, sizeof(v)));
    assert_int_equal(strncmp(v, "k", 1), 0);
    zk_reqinfo_free(&ri);
    /* a short one stays inline */
    assert_int_equal(zk_reqinfo_parse(&ri, "GET", 3, "/api/v1/pods", 12, &err), 0);
    assert_ptr_equal(ri.storage, ri.inline_buf);
    zk_reqinfo_free(&ri);
}

static void test_query(void **state)
{
    char out[64];
    const char *q = "labelSelector=app%3Dweb%2Ctier+in+%28a%29&limit=500&watch&x=1&x=2";
    assert_string_equal(zk_query_get(q, "labelSelector", out, sizeof(out)), "app=web,tier in (a)");
    assert_string_equal(zk_query_get(q, "limit", out, sizeof(out)), "500");
    assert_string_equal(zk_query_get(q, "x", out, sizeof(out)), "1");
    assert_null(zk_query_get(q, "missing", out, sizeof(out)));
    assert_true(zk_query_bool(q, "watch"));
    assert_false(zk_query_bool(q, "limit"));
    /* a value longer than the buffer is refused, not truncated */
    char tiny[4];
    assert_null(zk_query_get(q, "limit", tiny, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_info_table),
        cmocka_unit_test(test_bad_paths),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_proxy_rest),
        cmocka_unit_test(test_long_paths_use_the_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
