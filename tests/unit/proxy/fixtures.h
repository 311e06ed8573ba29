/* Services and EndpointSlices for the proxy rule suites (test_rules.c,
 * test_iptrules.c). Header-only: each suite is one program. */
#ifndef ZK_TEST_PROXY_FIXTURES_H
#define ZK_TEST_PROXY_FIXTURES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", e.text, text);
    return j;
}

/* default/web: cluster IP 10.43.0.20, port http 80/TCP -> target port "http" */
static json_t *svc_web(void)
{
    return js("{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"},"
              "\"spec\":{\"clusterIP\":\"10.43.0.20\",\"type\":\"ClusterIP\","
              "\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":\"http\"}]}}");
}

/* A slice of web with endpoints "addr[=pod],..." on target port 8080:
 * ready, or not ready when prefixed '!', serving and terminating when
 * prefixed '~'; the pod (targetRef) is named as its address unless given. */
static json_t *slice(const char *addrs)
{
    json_t *s = js("{\"metadata\":{\"namespace\":\"default\",\"name\":\"web-x\","
                   "\"labels\":{\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\","
                   "\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}],"
                   "\"endpoints\":[]}");
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", addrs);
    char *save = NULL;
    for (char *a = strtok_r(buf, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        bool ready = a[0] != '!' && a[0] != '~', term = a[0] == '~';
        if (!ready)
            a++;
        char *eq = strchr(a, '=');
        const char *pod = eq ? eq + 1 : a;
        if (eq)
            *eq = '\0';
        json_t *e = json_pack("{s:[s],s:{s:b,s:b,s:b},s:{s:s}}", "addresses", a, "conditions",
                              "ready", ready, "serving", ready || term, "terminating", term,
                              "targetRef", "name", pod);
        json_array_append_new(json_object_get(s, "endpoints"), e);
    }
    return s;
}

/* Whether text has line as a whole line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

#endif
