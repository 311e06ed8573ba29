#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/mem.h"
#include "kube/table.h"

/* 2023-11-14T22:13:20Z */
#define NOW 1700000000
/* Objects below are created 800s before NOW: AGE "13m". */
#define CREATED "'creationTimestamp':'2023-11-14T22:00:00Z'"

/* Test JSON is written with single quotes; this swaps them for double. */
static json_t *J(const char *text)
{
    zk_autofree char *s = zk_xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *j = NULL;
    zk_err err = { 0 };
    if (zk_json_decode(s, strlen(s), &j, &err) != 0)
        fail_msg("bad test JSON: %s: %s", err.msg, text);
    return j;
}

typedef struct row_case {
    const char *what;
    const char *group, *resource;
    const char *obj;
    const char *cells;   /* the expected cells, all columns, as a JSON array */
} row_case;

static void check_rows(const row_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const row_case *c = &cases[i];
        const zk_table_printer *p = zk_kube_table_printer_for(c->group, c->resource);
        if (!p)
            fail_msg("%s: no printer for %s/%s", c->what, c->group, c->resource);
        zk_autojson json_t *obj = J(c->obj);
        zk_autojson json_t *want = J(c->cells);
        zk_autojson json_t *got = zk_kube_table_cells(p, obj, NOW);
        assert_int_equal(json_array_size(got), p->ncolumns);
        if (!json_equal(got, want)) {
            zk_autofree char *g = zk_json_dumps(got);
            zk_autofree char *w = zk_json_dumps(want);
            fail_msg("%s:\n  want %s\n  got  %s", c->what, w, g);
        }
    }
}

/* ---- pods ------------------------------------------------------------------ */

#define POD(spec, status) \
    "{'metadata':{'name':'web'," CREATED "},'spec':" spec ",'status':" status "}"
#define ONE_CONTAINER "{'containers':[{'name':'app','image':'nginx'}]}"
#define NONE_WIDE "'<none>','<none>','<none>','<none>'"

static const row_case pod_cases[] = {
    { "running, all ready", "", "pods",
      "{'metadata':{'name':'web'," CREATED "},"
      "'spec':{'nodeName':'n1','containers':[{'name':'a'},{'name':'b'}],"
      "'readinessGates':[{'conditionType':'example.com/lb'},{'conditionType':'example.com/x'}]},"
      "'status':{'phase':'Running','podIP':'10.42.0.7',"
      "'podIPs':[{'ip':'10.42.0.7'},{'ip':'fd00::7'}],"
      "'conditions':[{'type':'Ready','status':'True'},{'type':'example.com/lb','status':'True'},"
      "{'type':'example.com/x','status':'False'}],"
      "'containerStatuses':[{'name':'a','ready':true,'restartCount':0,'state':{'running':{}}},"
      "{'name':'b','ready':true,'restartCount':0,'state':{'running':{}}}]}}",
      "['web','2/2','Running','0','13m','10.42.0.7','n1','<none>','1/2']" },
    { "pending, not scheduled", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Pending','conditions':[{'type':'PodScheduled','status':'False',"
                         "'reason':'Unschedulable'}]}"),
      "['web','0/1','Pending','0','13m'," NONE_WIDE "]" },
    { "container creating", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Pending','nominatedNodeName':'n2',"
                         "'containerStatuses':[{'name':'app',"
                         "'ready':false,'restartCount':0,'state':{'waiting':{'reason':"
                         "'ContainerCreating'}}}]}"),
      "['web','0/1','ContainerCreating','0','13m','<none>','<none>','n2','<none>']" },
    { "crash loop with restarts", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Running','containerStatuses':[{'name':'app','ready':false,"
                         "'restartCount':5,'state':{'waiting':{'reason':'CrashLoopBackOff'}},"
                         "'lastState':{'terminated':{'exitCode':1,'reason':'Error',"
                         "'finishedAt':'2023-11-14T22:08:30Z'}}}]}"),
      "['web','0/1','CrashLoopBackOff','5 (4m50s ago)','13m'," NONE_WIDE "]" },
    { "restarts without a finish time", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Running','containerStatuses':[{'name':'app','ready':true,"
                         "'restartCount':2,'state':{'running':{}}}]}"),
      "['web','1/1','Running','2','13m'," NONE_WIDE "]" },
    { "completed", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Succeeded','containerStatuses':[{'name':'app','ready':false,"
                         "'restartCount':0,'state':{'terminated':{'exitCode':0,'reason':"
                         "'Completed'}}}]}"),
      "['web','0/1','Completed','0','13m'," NONE_WIDE "]" },
    { "error exit code", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Failed','containerStatuses':[{'name':'app','state':"
                         "{'terminated':{'exitCode':137}}}]}"),
      "['web','0/1','ExitCode:137','0','13m'," NONE_WIDE "]" },
    { "killed by signal", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Failed','containerStatuses':[{'name':'app','state':"
                         "{'terminated':{'exitCode':0,'signal':9}}}]}"),
      "['web','0/1','Signal:9','0','13m'," NONE_WIDE "]" },
    { "terminating", "", "pods",
      "{'metadata':{'name':'web'," CREATED ",'deletionTimestamp':'2023-11-14T22:13:00Z'},"
      "'spec':" ONE_CONTAINER ",'status':{'phase':'Running','containerStatuses':[{'name':'app',"
      "'ready':true,'state':{'running':{}}}]}}",
      "['web','1/1','Terminating','0','13m'," NONE_WIDE "]" },
    { "deleted after it finished stays Completed", "", "pods",
      "{'metadata':{'name':'web'," CREATED ",'deletionTimestamp':'2023-11-14T22:13:00Z'},"
      "'spec':" ONE_CONTAINER ",'status':{'phase':'Succeeded','containerStatuses':[{'name':'app',"
      "'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}",
      "['web','0/1','Completed','0','13m'," NONE_WIDE "]" },
    { "node lost", "", "pods",
      "{'metadata':{'name':'web'," CREATED ",'deletionTimestamp':'2023-11-14T22:13:00Z'},"
      "'spec':" ONE_CONTAINER ",'status':{'phase':'Running','reason':'NodeLost'}}",
      "['web','0/1','Unknown','0','13m'," NONE_WIDE "]" },
    { "evicted (status reason)", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Failed','reason':'Evicted'}"),
      "['web','0/1','Evicted','0','13m'," NONE_WIDE "]" },
    { "scheduling gated", "", "pods",
      POD(ONE_CONTAINER, "{'phase':'Pending','conditions':[{'type':'PodScheduled','status':'False',"
                         "'reason':'SchedulingGated'}]}"),
      "['web','0/1','SchedulingGated','0','13m'," NONE_WIDE "]" },
    { "init 0/1", "", "pods",
      POD("{'initContainers':[{'name':'init'}],'containers':[{'name':'app'}]}",
          "{'phase':'Pending','initContainerStatuses':[{'name':'init','ready':false,"
          "'restartCount':0,'state':{'running':{}}}],'containerStatuses':[{'name':'app',"
          "'ready':false,'restartCount':0,'state':{'waiting':{'reason':'PodInitializing'}}}]}"),
      "['web','0/1','Init:0/1','0','13m'," NONE_WIDE "]" },
    { "init 1/2", "", "pods",
      POD("{'initContainers':[{'name':'i1'},{'name':'i2'}],'containers':[{'name':'app'}]}",
          "{'phase':'Pending','initContainerStatuses':[{'name':'i1','state':{'terminated':"
          "{'exitCode':0,'reason':'Completed'}}},{'name':'i2','state':{'waiting':{'reason':"
          "'PodInitializing'}}}]}"),
      "['web','0/1','Init:1/2','0','13m'," NONE_WIDE "]" },
    { "init crash loop counts init restarts", "", "pods",
      POD("{'initContainers':[{'name':'init'}],'containers':[{'name':'app'}]}",
          "{'phase':'Pending','initContainerStatuses':[{'name':'init','restartCount':3,"
          "'state':{'waiting':{'reason':'CrashLoopBackOff'}},'lastState':{'terminated':"
          "{'exitCode':1,'finishedAt':'2023-11-14T22:13:10Z'}}}],'containerStatuses':[{'name':"
          "'app','restartCount':0,'state':{'waiting':{'reason':'PodInitializing'}}}]}"),
      "['web','0/1','Init:CrashLoopBackOff','3 (10s ago)','13m'," NONE_WIDE "]" },
    { "init error", "", "pods",
      POD("{'initContainers':[{'name':'init'}],'containers':[{'name':'app'}]}",
          "{'phase':'Pending','initContainerStatuses':[{'name':'init','state':{'terminated':"
          "{'exitCode':2,'reason':'Error'}}}]}"),
      "['web','0/1','Init:Error','0','13m'," NONE_WIDE "]" },
    { "init exit code without reason", "", "pods",
      POD("{'initContainers':[{'name':'init'}],'containers':[{'name':'app'}]}",
          "{'phase':'Pending','initContainerStatuses':[{'name':'init','state':{'terminated':"
          "{'exitCode':3}}}]}"),
      "['web','0/1','Init:ExitCode:3','0','13m'," NONE_WIDE "]" },
    { "sidecar init container counts as ready", "", "pods",
      POD("{'initContainers':[{'name':'proxy','restartPolicy':'Always'}],"
          "'containers':[{'name':'app'}]}",
          "{'phase':'Running','conditions':[{'type':'Initialized','status':'True'},"
          "{'type':'Ready','status':'True'}],'initContainerStatuses':[{'name':'proxy',"
          "'started':true,'ready':true,'restartCount':1,'state':{'running':{}},'lastState':"
          "{'terminated':{'exitCode':1,'finishedAt':'2023-11-14T22:12:20Z'}}}],"
          "'containerStatuses':[{'name':'app','ready':true,'restartCount':0,'state':"
          "{'running':{}}}]}"),
      "['web','2/2','Running','1 (60s ago)','13m'," NONE_WIDE "]" },
    { "one container completed, one running, pod ready", "", "pods",
      POD("{'containers':[{'name':'a'},{'name':'b'}]}",
          "{'phase':'Running','conditions':[{'type':'Ready','status':'True'}],"
          "'containerStatuses':[{'name':'a','ready':false,'state':{'terminated':{'exitCode':0,"
          "'reason':'Completed'}}},{'name':'b','ready':true,'state':{'running':{}}}]}"),
      "['web','1/2','Running','0','13m'," NONE_WIDE "]" },
    { "one container completed, one running, pod not ready", "", "pods",
      POD("{'containers':[{'name':'a'},{'name':'b'}]}",
          "{'phase':'Running','conditions':[{'type':'Ready','status':'False'}],"
          "'containerStatuses':[{'name':'a','ready':false,'state':{'terminated':{'exitCode':0,"
          "'reason':'Completed'}}},{'name':'b','ready':true,'state':{'running':{}}}]}"),
      "['web','1/2','NotReady','0','13m'," NONE_WIDE "]" },
    { "restarts summed over containers", "", "pods",
      POD("{'containers':[{'name':'a'},{'name':'b'}]}",
          "{'phase':'Running','containerStatuses':[{'name':'a','ready':true,'restartCount':4,"
          "'state':{'running':{}},'lastState':{'terminated':{'finishedAt':"
          "'2023-11-14T21:00:00Z'}}},{'name':'b','ready':true,'restartCount':3,'state':"
          "{'running':{}},'lastState':{'terminated':{'finishedAt':'2023-11-14T20:00:00Z'}}}]}"),
      "['web','2/2','Running','7 (73m ago)','13m'," NONE_WIDE "]" },
    { "no creation timestamp", "", "pods", "{'metadata':{'name':'bare'}}",
      "['bare','0/0','','0','<unknown>'," NONE_WIDE "]" },
};

static void test_pods(void **state)
{
    check_rows(pod_cases, ZK_ARRAY_LEN(pod_cases));
}

static void test_pod_conditions(void **state)
{
    const zk_table_printer *p = zk_kube_table_printer_for("", "pods");
    zk_autojson json_t *done = J(POD(ONE_CONTAINER, "{'phase':'Succeeded'}"));
    zk_autojson json_t *running = J(POD(ONE_CONTAINER, "{'phase':'Running'}"));
    const json_t *objs[] = { done, running };
    zk_autojson json_t *t = zk_kube_table_build(p, objs, 2, NULL, "7", NULL, NOW);
    json_t *c = zk_json_path(json_array_get(json_object_get(t, "rows"), 0), "conditions", NULL);
    zk_autojson json_t *want = J("[{'type':'Completed','status':'True','reason':'Succeeded',"
                                 "'message':'The pod has completed successfully.'}]");
    assert_true(json_equal(c, want));
    assert_null(json_object_get(json_array_get(json_object_get(t, "rows"), 1), "conditions"));
}

/* ---- workloads ------------------------------------------------------------- */

#define TEMPLATE \
    "'template':{'spec':{'containers':[{'name':'web','image':'nginx:1.25'}," \
    "{'name':'log','image':'fluent-bit'}]}}"

static const row_case workload_cases[] = {
    { "deployment counts", "apps", "deployments",
      "{'metadata':{'name':'web'," CREATED "},'spec':{'replicas':3,'selector':{'matchLabels':"
      "{'app':'web'},'matchExpressions':[{'key':'tier','operator':'In','values':['b','a']},"
      "{'key':'canary','operator':'DoesNotExist'}]}," TEMPLATE "},"
      "'status':{'replicas':3,'updatedReplicas':3,'readyReplicas':2,'availableReplicas':2}}",
      "['web','2/3',3,2,'13m','web,log','nginx:1.25,fluent-bit',"
      "'app=web,!canary,tier in (a,b)']" },
    { "deployment without status", "apps", "deployments",
      "{'metadata':{'name':'new'," CREATED "},'spec':{'selector':{}}}",
      "['new','0/1',0,0,'13m','','','']" },
    { "deployment with a bad selector", "apps", "deployments",
      "{'metadata':{'name':'bad'," CREATED "},'spec':{'replicas':0,'selector':{"
      "'matchExpressions':[{'key':'a','operator':'In'}]}}}",
      "['bad','0/0',0,0,'13m','','','<invalid>']" },
    { "replicaset", "apps", "replicasets",
      "{'metadata':{'name':'web-5d4f'," CREATED "},'spec':{'replicas':2,'selector':{'matchLabels':"
      "{'pod-template-hash':'5d4f','app':'web'}}," TEMPLATE "},'status':{'replicas':2,"
      "'readyReplicas':1}}",
      "['web-5d4f',2,2,1,'13m','web,log','nginx:1.25,fluent-bit',"
      "'app=web,pod-template-hash=5d4f']" },
    { "daemonset", "apps", "daemonsets",
      "{'metadata':{'name':'agent'," CREATED "},'spec':{'selector':{'matchLabels':{'app':'agent'}},"
      "'template':{'spec':{'nodeSelector':{'zone':'a','os':'linux'},'containers':[{'name':'a',"
      "'image':'agent:1'}]}}},'status':{'desiredNumberScheduled':4,'currentNumberScheduled':4,"
      "'numberReady':3,'updatedNumberScheduled':4,'numberAvailable':3}}",
      "['agent',4,4,3,4,3,'os=linux,zone=a','13m','a','agent:1','app=agent']" },
    { "daemonset without node selector", "apps", "daemonsets",
      "{'metadata':{'name':'agent'," CREATED "}}",
      "['agent',0,0,0,0,0,'<none>','13m','','','<none>']" },
    { "statefulset", "apps", "statefulsets",
      "{'metadata':{'name':'db'," CREATED "},'spec':{'replicas':3," TEMPLATE "},"
      "'status':{'readyReplicas':1}}",
      "['db','1/3','13m','web,log','nginx:1.25,fluent-bit']" },
    { "controllerrevision", "apps", "controllerrevisions",
      "{'metadata':{'name':'db-7c9'," CREATED ",'ownerReferences':[{'apiVersion':'apps/v1',"
      "'kind':'StatefulSet','name':'db','controller':true}]},'revision':4}",
      "['db-7c9','statefulset.apps/db',4,'13m']" },
    { "controllerrevision without owner", "apps", "controllerrevisions",
      "{'metadata':{'name':'x'," CREATED "},'revision':1}", "['x','<none>',1,'13m']" },
    { "replicationcontroller", "", "replicationcontrollers",
      "{'metadata':{'name':'rc'," CREATED "},'spec':{'replicas':2,'selector':{'app':'rc'}," TEMPLATE
      "},'status':{'replicas':2,'readyReplicas':2}}",
      "['rc',2,2,2,'13m','web,log','nginx:1.25,fluent-bit','app=rc']" },
    { "job running", "batch", "jobs",
      "{'metadata':{'name':'migrate'," CREATED "},'spec':{'completions':3,'parallelism':1,"
      "'selector':{'matchLabels':{'job-name':'migrate'}}," TEMPLATE "},'status':{'succeeded':1,"
      "'startTime':'2023-11-14T22:12:00Z'}}",
      "['migrate','Running','1/3','80s','13m','web,log','nginx:1.25,fluent-bit',"
      "'job-name=migrate']" },
    { "job complete", "batch", "jobs",
      "{'metadata':{'name':'once'," CREATED "},'spec':{}," "'status':{'succeeded':1,"
      "'startTime':'2023-11-14T22:00:00Z','completionTime':'2023-11-14T22:00:42Z',"
      "'conditions':[{'type':'Complete','status':'True'}]}}",
      "['once','Complete','1/1','42s','13m','','','<none>']" },
    { "job failed, parallel", "batch", "jobs",
      "{'metadata':{'name':'p'," CREATED "},'spec':{'parallelism':4},'status':{'conditions':"
      "[{'type':'Failed','status':'True'}]}}",
      "['p','Failed','0/1 of 4','','13m','','','<none>']" },
    { "job suspended", "batch", "jobs",
      "{'metadata':{'name':'s'," CREATED "},'status':{'conditions':[{'type':'Suspended','status':"
      "'True'}]}}",
      "['s','Suspended','0/1','','13m','','','<none>']" },
    { "job terminating", "batch", "jobs",
      "{'metadata':{'name':'t'," CREATED ",'deletionTimestamp':'2023-11-14T22:13:00Z'}}",
      "['t','Terminating','0/1','','13m','','','<none>']" },
    { "cronjob", "batch", "cronjobs",
      "{'metadata':{'name':'nightly'," CREATED "},'spec':{'schedule':'0 3 * * *','timeZone':"
      "'Asia/Shanghai','suspend':false,'jobTemplate':{'spec':{" TEMPLATE "}}},'status':{'active':"
      "[{'name':'nightly-1'}],'lastScheduleTime':'2023-11-14T22:13:00Z'}}",
      "['nightly','0 3 * * *','Asia/Shanghai','False',1,'20s','13m','web,log',"
      "'nginx:1.25,fluent-bit','<none>']" },
    { "cronjob never scheduled", "batch", "cronjobs",
      "{'metadata':{'name':'c'," CREATED "},'spec':{'schedule':'@hourly'}}",
      "['c','@hourly','<none>','<unset>',0,'<none>','13m','','','<none>']" },
    { "hpa v2 utilization", "autoscaling", "horizontalpodautoscalers",
      "{'metadata':{'name':'web'," CREATED "},'spec':{'scaleTargetRef':{'kind':'Deployment',"
      "'name':'web'},'minReplicas':2,'maxReplicas':10,'metrics':[{'type':'Resource','resource':"
      "{'name':'cpu','target':{'type':'Utilization','averageUtilization':80}}}]},'status':"
      "{'currentReplicas':3,'currentMetrics':[{'type':'Resource','resource':{'name':'cpu',"
      "'current':{'averageUtilization':45,'averageValue':'120m'}}}]}}",
      "['web','Deployment/web','cpu: 45%/80%','2',10,3,'13m']" },
    { "hpa v2, unknown current and more than two metrics", "autoscaling",
      "horizontalpodautoscalers",
      "{'metadata':{'name':'q'," CREATED "},'spec':{'scaleTargetRef':{'kind':'Deployment',"
      "'name':'q'},'maxReplicas':5,'metrics':[{'type':'Resource','resource':{'name':'memory',"
      "'target':{'type':'AverageValue','averageValue':'500Mi'}}},{'type':'External','external':"
      "{'metric':{'name':'queue'},'target':{'type':'AverageValue','averageValue':'30'}}},"
      "{'type':'Pods','pods':{'target':{'averageValue':'1k'}}}]}}",
      "['q','Deployment/q','memory: <unknown>/500Mi, <unknown>/30 (avg) + 1 more...','<unset>',"
      "5,0,'13m']" },
    { "hpa autoscaling/v1", "autoscaling", "horizontalpodautoscalers",
      "{'metadata':{'name':'v1'," CREATED "},'spec':{'scaleTargetRef':{'kind':'Deployment',"
      "'name':'v1'},'minReplicas':1,'maxReplicas':4,'targetCPUUtilizationPercentage':50},"
      "'status':{'currentReplicas':1,'currentCPUUtilizationPercentage':12}}",
      "['v1','Deployment/v1','cpu: 12%/50%','1',4,1,'13m']" },
    { "hpa without metrics", "autoscaling", "horizontalpodautoscalers",
      "{'metadata':{'name':'n'," CREATED "},'spec':{'scaleTargetRef':{'kind':'StatefulSet',"
      "'name':'db'},'maxReplicas':3}}",
      "['n','StatefulSet/db','<none>','<unset>',3,0,'13m']" },
};

static void test_workloads(void **state)
{
    check_rows(workload_cases, ZK_ARRAY_LEN(workload_cases));
}

/* ---- services and networking ----------------------------------------------------- */

static const row_case service_cases[] = {
    { "cluster ip", "", "services",
      "{'metadata':{'name':'web'," CREATED "},'spec':{'type':'ClusterIP','clusterIP':'10.43.0.10',"
      "'clusterIPs':['10.43.0.10'],'ports':[{'port':80,'protocol':'TCP'},{'port':53,"
      "'protocol':'UDP'}],'selector':{'app':'web'}}}",
      "['web','ClusterIP','10.43.0.10','<none>','80/TCP,53/UDP','13m','app=web']" },
    { "node port", "", "services",
      "{'metadata':{'name':'np'," CREATED "},'spec':{'type':'NodePort','clusterIPs':['10.43.0.11'],"
      "'ports':[{'port':80,'nodePort':30080,'protocol':'TCP'},{'port':443,'nodePort':30443}]}}",
      "['np','NodePort','10.43.0.11','<none>','80:30080/TCP,443:30443/TCP','13m','<none>']" },
    { "cluster ip with external ips", "", "services",
      "{'metadata':{'name':'ext'," CREATED "},'spec':{'clusterIP':'10.43.0.12','externalIPs':"
      "['1.1.1.1','2.2.2.2'],'ports':[{'port':8080}]}}",
      "['ext','ClusterIP','10.43.0.12','1.1.1.1,2.2.2.2','8080/TCP','13m','<none>']" },
    { "load balancer pending", "", "services",
      "{'metadata':{'name':'lb'," CREATED "},'spec':{'type':'LoadBalancer','clusterIPs':"
      "['10.43.0.13'],'ports':[{'port':443,'nodePort':31443,'protocol':'TCP'}]}}",
      "['lb','LoadBalancer','10.43.0.13','<pending>','443:31443/TCP','13m','<none>']" },
    { "load balancer with ingress and external ips", "", "services",
      "{'metadata':{'name':'lb'," CREATED "},'spec':{'type':'LoadBalancer','clusterIPs':"
      "['10.43.0.13'],'externalIPs':['9.9.9.9'],'ports':[{'port':80,'protocol':'TCP'}]},"
      "'status':{'loadBalancer':{'ingress':[{'ip':'5.6.7.8'},{'hostname':'lb.example.com'},"
      "{'ip':'1.2.3.4'},{'ip':'5.6.7.8'}]}}}",
      "['lb','LoadBalancer','10.43.0.13','1.2.3.4,5.6.7.8,lb.example.com,9.9.9.9','80/TCP',"
      "'13m','<none>']" },
    { "external name", "", "services",
      "{'metadata':{'name':'db'," CREATED "},'spec':{'type':'ExternalName','externalName':"
      "'db.example.com'}}",
      "['db','ExternalName','<none>','db.example.com','<none>','13m','<none>']" },
    { "headless", "", "services",
      "{'metadata':{'name':'h'," CREATED "},'spec':{'clusterIP':'None','clusterIPs':['None'],"
      "'ports':[{'port':5432}],'selector':{'app':'db','role':'primary'}}}",
      "['h','ClusterIP','None','<none>','5432/TCP','13m','app=db,role=primary']" },
    { "endpoints", "", "endpoints",
      "{'metadata':{'name':'web'," CREATED "},'subsets':[{'addresses':[{'ip':'10.42.0.5'},"
      "{'ip':'10.42.0.6'}],'ports':[{'port':80},{'port':443}]},{'addresses':[{'ip':'fd00::1'}],"
      "'ports':[{'port':80}]}]}",
      "['web','10.42.0.5:80,10.42.0.6:80,10.42.0.5:443 + 2 more...','13m']" },
    { "endpoints headless without ports, ipv6", "", "endpoints",
      "{'metadata':{'name':'h'," CREATED "},'subsets':[{'addresses':[{'ip':'10.42.0.5'}]},"
      "{'addresses':[{'ip':'fd00::2'}],'ports':[{'port':53}]}]}",
      "['h','10.42.0.5,[fd00::2]:53','13m']" },
    { "endpoints empty", "", "endpoints", "{'metadata':{'name':'e'," CREATED "}}",
      "['e','<none>','13m']" },
    { "endpointslice", "discovery.k8s.io", "endpointslices",
      "{'metadata':{'name':'web-abc'," CREATED "},'addressType':'IPv4','ports':[{'port':80},"
      "{'name':'metrics'},{},{'port':9000}],'endpoints':[{'addresses':['10.42.0.5']},"
      "{'addresses':['10.42.0.6']}]}",
      "['web-abc','IPv4','80,metrics,* + 1 more...','10.42.0.5,10.42.0.6','13m']" },
    { "endpointslice empty", "discovery.k8s.io", "endpointslices",
      "{'metadata':{'name':'e'," CREATED "},'addressType':'IPv6'}",
      "['e','IPv6','<unset>','<unset>','13m']" },
    { "ingress", "networking.k8s.io", "ingresses",
      "{'metadata':{'name':'web'," CREATED "},'spec':{'ingressClassName':'nginx','tls':[{'hosts':"
      "['a.example.com']}],'rules':[{'host':'a.example.com'},{'host':'b.example.com'}]},"
      "'status':{'loadBalancer':{'ingress':[{'ip':'10.0.0.9'},{'ip':'10.0.0.1'}]}}}",
      "['web','nginx','a.example.com,b.example.com','10.0.0.1,10.0.0.9','80, 443','13m']" },
    { "ingress catch-all with many rules", "networking.k8s.io", "ingresses",
      "{'metadata':{'name':'all'," CREATED "},'spec':{'rules':[{'host':'a'},{},{'host':'c'},"
      "{'host':'d'},{'host':'e'}]}}",
      "['all','<none>','a,c,d + 2 more...','','80','13m']" },
    { "ingress without hosts", "networking.k8s.io", "ingresses",
      "{'metadata':{'name':'any'," CREATED "},'spec':{'defaultBackend':{}}}",
      "['any','<none>','*','','80','13m']" },
    { "ingressclass", "networking.k8s.io", "ingressclasses",
      "{'metadata':{'name':'nginx'," CREATED "},'spec':{'controller':'k8s.io/ingress-nginx',"
      "'parameters':{'apiGroup':'k8s.example.com','kind':'IngressParameters','name':'p'}}}",
      "['nginx','k8s.io/ingress-nginx','IngressParameters.k8s.example.com/p','13m']" },
    { "networkpolicy", "networking.k8s.io", "networkpolicies",
      "{'metadata':{'name':'deny'," CREATED "},'spec':{'podSelector':{}}}",
      "['deny','<none>','13m']" },
    { "networkpolicy with selector", "networking.k8s.io", "networkpolicies",
      "{'metadata':{'name':'db'," CREATED "},'spec':{'podSelector':{'matchExpressions':[{'key':"
      "'role','operator':'NotIn','values':['x']},{'key':'app','operator':'Exists'}]}}}",
      "['db','app,role notin (x)','13m']" },
};

static void test_services_and_networking(void **state)
{
    check_rows(service_cases, ZK_ARRAY_LEN(service_cases));
}

/* ---- nodes, namespaces, events and the rest ------------------------------------------ */

static const row_case cluster_cases[] = {
    { "node ready, cordoned, control plane", "", "nodes",
      "{'metadata':{'name':'n1'," CREATED ",'labels':{'node-role.kubernetes.io/control-plane':'',"
      "'node-role.kubernetes.io/master':'','kubernetes.io/hostname':'n1'}},'spec':"
      "{'unschedulable':true},'status':{'conditions':[{'type':'MemoryPressure','status':'False'},"
      "{'type':'Ready','status':'True'}],'addresses':[{'type':'Hostname','address':'n1'},"
      "{'type':'InternalIP','address':'192.168.1.10'}],'nodeInfo':{'kubeletVersion':"
      "'v1.30.0-zke','osImage':'Debian GNU/Linux 12','kernelVersion':'6.1.0',"
      "'containerRuntimeVersion':'runc://1.1.12'}}}",
      "['n1','Ready,SchedulingDisabled','control-plane,master','13m','v1.30.0-zke',"
      "'192.168.1.10','<none>','Debian GNU/Linux 12','6.1.0','runc://1.1.12']" },
    { "node not ready, legacy role label", "", "nodes",
      "{'metadata':{'name':'n2'," CREATED ",'labels':{'kubernetes.io/role':'worker',"
      "'node-role.kubernetes.io/':'x'}},'status':{'conditions':[{'type':'Ready','status':"
      "'Unknown'}],'addresses':[{'type':'ExternalIP','address':'8.8.4.4'}]}}",
      "['n2','NotReady','worker','13m','','<none>','8.8.4.4','<unknown>','<unknown>',"
      "'<unknown>']" },
    { "node without conditions", "", "nodes",
      "{'metadata':{'name':'n3'," CREATED "}}",
      "['n3','Unknown','<none>','13m','','<none>','<none>','<unknown>','<unknown>','<unknown>']" },
    { "namespace active", "", "namespaces",
      "{'metadata':{'name':'default'," CREATED "},'status':{'phase':'Active'}}",
      "['default','Active','13m']" },
    { "namespace terminating", "", "namespaces",
      "{'metadata':{'name':'old'," CREATED ",'deletionTimestamp':'2023-11-14T22:13:00Z'},"
      "'status':{'phase':'Terminating'}}",
      "['old','Terminating','13m']" },
    { "event, core", "", "events",
      "{'metadata':{'name':'web.17a',"  CREATED "},'involvedObject':{'kind':'Pod','name':'web',"
      "'fieldPath':'spec.containers{app}'},'reason':'BackOff','type':'Warning','message':"
      "'  Back-off restarting failed container\\n','source':{'component':'kubelet','host':'n1'},"
      "'firstTimestamp':'2023-11-14T22:00:00Z','lastTimestamp':'2023-11-14T22:12:50Z','count':7}",
      "['30s','Warning','BackOff','pod/web','spec.containers{app}','kubelet, n1',"
      "'Back-off restarting failed container','13m',7,'web.17a']" },
    { "event, core, new-style fields", "", "events",
      "{'metadata':{'name':'e2'},'involvedObject':{'kind':'Node'},'reason':'Starting','type':"
      "'Normal','message':'ok','reportingComponent':'zke-agent','reportingInstance':'n1',"
      "'eventTime':'2023-11-14T22:13:15.123456Z','firstTimestamp':null}",
      "['5s','Normal','Starting','node','','zke-agent, n1','ok','5s',1,'e2']" },
    { "event, events.k8s.io with series", "events.k8s.io", "events",
      "{'metadata':{'name':'e3'},'regarding':{'kind':'Deployment','name':'web'},'reason':"
      "'ScalingReplicaSet','type':'Normal','note':'Scaled up','reportingController':"
      "'deployment-controller','eventTime':'2023-11-14T22:00:00.000000Z','series':{'count':4,"
      "'lastObservedTime':'2023-11-14T22:13:00.000000Z'}}",
      "['20s','Normal','ScalingReplicaSet','deployment/web','','deployment-controller',"
      "'Scaled up','13m',4,'e3']" },
    { "event, events.k8s.io without times", "events.k8s.io", "events",
      "{'metadata':{'name':'e4'},'regarding':{'kind':'Pod','name':'p'},'deprecatedCount':2,"
      "'deprecatedSource':{'component':'sched'},'deprecatedLastTimestamp':'2023-11-14T22:13:19Z'}",
      "['1s','','','pod/p','','sched','','<unknown>',2,'e4']" },
    { "configmap", "", "configmaps",
      "{'metadata':{'name':'cfg'," CREATED "},'data':{'a':'1','b':'2'},'binaryData':{'c':'AA=='}}",
      "['cfg',3,'13m']" },
    { "secret", "", "secrets",
      "{'metadata':{'name':'tls'," CREATED "},'type':'kubernetes.io/tls','data':{'tls.crt':'',"
      "'tls.key':''}}",
      "['tls','kubernetes.io/tls',2,'13m']" },
    { "serviceaccount", "", "serviceaccounts",
      "{'metadata':{'name':'default'," CREATED "}}", "['default',0,'13m']" },
    { "resourcequota", "", "resourcequotas",
      "{'metadata':{'name':'q'," CREATED "},'status':{'hard':{'requests.cpu':'2','pods':'10',"
      "'limits.memory':'4Gi','limits.cpu':'4'},'used':{'requests.cpu':'500m','pods':'3',"
      "'limits.cpu':'1'}}}",
      "['q','pods: 3/10, requests.cpu: 500m/2','limits.cpu: 1/4, limits.memory: 0/4Gi','13m']" },
    { "pvc bound", "", "persistentvolumeclaims",
      "{'metadata':{'name':'data'," CREATED "},'spec':{'volumeName':'pv-1','storageClassName':"
      "'local','volumeMode':'Filesystem','resources':{'requests':{'storage':'1Gi'}}},'status':"
      "{'phase':'Bound','capacity':{'storage':'2Gi'},'accessModes':['ReadWriteMany',"
      "'ReadWriteOnce','ReadWriteOnce']}}",
      "['data','Bound','pv-1','2Gi','RWO,RWX','local','<unset>','13m','Filesystem']" },
    { "pvc pending, beta class annotation", "", "persistentvolumeclaims",
      "{'metadata':{'name':'p'," CREATED ",'annotations':{'volume.beta.kubernetes.io/storage-class'"
      ":'old'}},'spec':{'storageClassName':'new'},'status':{'phase':'Pending'}}",
      "['p','Pending','','','','old','<unset>','13m','<unset>']" },
    { "pdb", "policy", "poddisruptionbudgets",
      "{'metadata':{'name':'web'," CREATED "},'spec':{'minAvailable':'50%'},'status':"
      "{'disruptionsAllowed':1}}",
      "['web','50%','N/A',1,'13m']" },
    { "pdb max unavailable", "policy", "poddisruptionbudgets",
      "{'metadata':{'name':'db'," CREATED "},'spec':{'maxUnavailable':1}}",
      "['db','N/A','1',0,'13m']" },
    { "lease", "coordination.k8s.io", "leases",
      "{'metadata':{'name':'n1'," CREATED "},'spec':{'holderIdentity':'n1'}}",
      "['n1','n1','13m']" },
    { "rolebinding", "rbac.authorization.k8s.io", "rolebindings",
      "{'metadata':{'name':'rb'," CREATED "},'roleRef':{'kind':'Role','name':'edit'},'subjects':"
      "[{'kind':'User','name':'alice'},{'kind':'Group','name':'dev'},{'kind':'User','name':"
      "'bob'},{'kind':'ServiceAccount','namespace':'ci','name':'runner'}]}",
      "['rb','Role/edit','13m','alice, bob','dev','ci/runner']" },
    { "clusterrolebinding", "rbac.authorization.k8s.io", "clusterrolebindings",
      "{'metadata':{'name':'admin'," CREATED "},'roleRef':{'kind':'ClusterRole','name':"
      "'cluster-admin'},'subjects':[{'kind':'Group','name':'system:masters'}]}",
      "['admin','ClusterRole/cluster-admin','13m','','system:masters','']" },
    { "mutating webhook", "admissionregistration.k8s.io", "mutatingwebhookconfigurations",
      "{'metadata':{'name':'zke'," CREATED "},'webhooks':[{'name':'a'},{'name':'b'}]}",
      "['zke',2,'13m']" },
    { "validating webhook", "admissionregistration.k8s.io", "validatingwebhookconfigurations",
      "{'metadata':{'name':'v'," CREATED "}}", "['v',0,'13m']" },
    { "apiservice local", "apiregistration.k8s.io", "apiservices",
      "{'metadata':{'name':'v1.apps'," CREATED "},'status':{'conditions':[{'type':'Available',"
      "'status':'True','reason':'Local'}]}}",
      "['v1.apps','Local','True','13m']" },
    { "apiservice unavailable", "apiregistration.k8s.io", "apiservices",
      "{'metadata':{'name':'v1beta1.metrics.k8s.io'," CREATED "},'spec':{'service':{'namespace':"
      "'kube-system','name':'metrics-server'}},'status':{'conditions':[{'type':'Available',"
      "'status':'False','reason':'MissingEndpoints'}]}}",
      "['v1beta1.metrics.k8s.io','kube-system/metrics-server','False (MissingEndpoints)','13m']" },
    { "apiservice without status", "apiregistration.k8s.io", "apiservices",
      "{'metadata':{'name':'x'," CREATED "}}", "['x','Local','Unknown','13m']" },
    { "role, default printer", "rbac.authorization.k8s.io", "roles",
      "{'metadata':{'name':'edit','creationTimestamp':'2023-11-14T23:00:00+01:00'}}",
      "['edit','2023-11-14T22:00:00Z']" },
    { "clusterrole, default printer", "rbac.authorization.k8s.io", "clusterroles",
      "{'metadata':{'name':'view'}}", "['view','0001-01-01T00:00:00Z']" },
    { "limitrange, default printer", "", "limitranges",
      "{'metadata':{'name':'lr'," CREATED "}}", "['lr','2023-11-14T22:00:00Z']" },
    { "crd, default printer", "apiextensions.k8s.io", "customresourcedefinitions",
      "{'metadata':{'name':'hostgroups.zke.io'," CREATED "}}",
      "['hostgroups.zke.io','2023-11-14T22:00:00Z']" },
};

static void test_cluster_resources(void **state)
{
    check_rows(cluster_cases, ZK_ARRAY_LEN(cluster_cases));
}

/* ---- columns ----------------------------------------------------------------- */

typedef struct column_case {
    const char *group, *resource;
    const char *names;   /* "Name|Ready|..." with a '*' after wide (priority 1) ones */
} column_case;

static const column_case column_cases[] = {
    { "", "pods", "Name|Ready|Status|Restarts|Age|IP*|Node*|Nominated Node*|Readiness Gates*" },
    { "apps", "deployments", "Name|Ready|Up-to-date|Available|Age|Containers*|Images*|Selector*" },
    { "", "services", "Name|Type|Cluster-IP|External-IP|Port(s)|Age|Selector*" },
    { "", "nodes", "Name|Status|Roles|Age|Version|Internal-IP*|External-IP*|OS-Image*|"
                   "Kernel-Version*|Container-Runtime*" },
    { "", "events", "Last Seen|Type|Reason|Object|Subobject*|Source*|Message|First Seen*|Count*|"
                    "Name*" },
    { "events.k8s.io", "events", "Last Seen|Type|Reason|Object|Subobject*|Source*|Message|"
                                 "First Seen*|Count*|Name*" },
    { "batch", "jobs", "Name|Status|Completions|Duration|Age|Containers*|Images*|Selector*" },
    { "batch", "cronjobs", "Name|Schedule|Timezone|Suspend|Active|Last Schedule|Age|Containers*|"
                           "Images*|Selector*" },
    { "rbac.authorization.k8s.io", "rolebindings", "Name|Role|Age|Users*|Groups*|"
                                                   "ServiceAccounts*" },
    { "", "persistentvolumeclaims", "Name|Status|Volume|Capacity|Access Modes|StorageClass|"
                                    "VolumeAttributesClass|Age|VolumeMode*" },
    { "rbac.authorization.k8s.io", "roles", "Name|Created At" },
};

static void test_columns(void **state)
{
    for (size_t i = 0; i < ZK_ARRAY_LEN(column_cases); i++) {
        const column_case *c = &column_cases[i];
        const zk_table_printer *p = zk_kube_table_printer_for(c->group, c->resource);
        assert_non_null(p);
        zk_autofree char *names = zk_xstrdup(c->names);
        size_t k = 0;
        for (char *s = names, *next; s; s = next, k++) {
            next = strchr(s, '|');
            if (next)
                *next++ = '\0';
            size_t l = strlen(s);
            int wide = l && s[l - 1] == '*';
            if (wide)
                s[l - 1] = '\0';
            assert_true(k < p->ncolumns);
            if (strcmp(p->columns[k].name, s) != 0)
                fail_msg("%s column %zu: want %s, got %s", c->resource, k, s,
                         p->columns[k].name);
            assert_int_equal(p->columns[k].priority, wide);
            assert_string_equal(p->columns[k].format, strcmp(s, "Name") == 0 ? "name" : "");
        }
        assert_int_equal(k, p->ncolumns);
    }
    assert_string_equal(zk_kube_table_printer_for("", "pods")->columns[3].type, "string");
    assert_string_equal(zk_kube_table_printer_for("", "roles") ? "x" : "none", "none");
    assert_string_equal(zk_kube_table_default_printer()->columns[1].type, "date");
}

/* Every printer fills every column for odd objects and never crashes. */
static void test_every_printer_survives_odd_objects(void **state)
{
    static const struct { const char *group, *resource; } all[] = {
        { "", "pods" }, { "", "nodes" }, { "", "namespaces" }, { "", "services" },
        { "", "endpoints" }, { "", "configmaps" }, { "", "secrets" }, { "", "serviceaccounts" },
        { "", "events" }, { "", "limitranges" }, { "", "resourcequotas" },
        { "", "replicationcontrollers" }, { "", "persistentvolumeclaims" },
        { "events.k8s.io", "events" }, { "apps", "deployments" }, { "apps", "replicasets" },
        { "apps", "daemonsets" }, { "apps", "statefulsets" }, { "apps", "controllerrevisions" },
        { "batch", "jobs" }, { "batch", "cronjobs" },
        { "autoscaling", "horizontalpodautoscalers" }, { "coordination.k8s.io", "leases" },
        { "discovery.k8s.io", "endpointslices" }, { "networking.k8s.io", "ingresses" },
        { "networking.k8s.io", "ingressclasses" }, { "networking.k8s.io", "networkpolicies" },
        { "policy", "poddisruptionbudgets" }, { "rbac.authorization.k8s.io", "roles" },
        { "rbac.authorization.k8s.io", "clusterroles" },
        { "rbac.authorization.k8s.io", "rolebindings" },
        { "rbac.authorization.k8s.io", "clusterrolebindings" },
        { "admissionregistration.k8s.io", "mutatingwebhookconfigurations" },
        { "admissionregistration.k8s.io", "validatingwebhookconfigurations" },
        { "apiregistration.k8s.io", "apiservices" },
        { "apiextensions.k8s.io", "customresourcedefinitions" },
    };
    const char *odd[] = {
        "{}",
        "[]",
        "7",
        "{'metadata':[],'spec':5,'status':'x','subsets':{},'data':[1],'webhooks':{}}",
        "{'metadata':{'name':5,'creationTimestamp':'yesterday','labels':[1]},"
        "'spec':{'containers':{},'initContainers':[5,null],'ports':[1,'x',{'port':'80'}],"
        "'selector':{'matchLabels':{'a':1},'matchExpressions':'x'},'metrics':[{},5],"
        "'rules':[5],'template':{'spec':{'containers':[null,{'name':3}]}}},"
        "'status':{'conditions':[null,5,{'type':5}],'containerStatuses':[5,{'state':[]}],"
        "'initContainerStatuses':[{'state':{'terminated':5}}],'hard':{'x':{}},"
        "'loadBalancer':{'ingress':[{'ip':5}]},'podIPs':[{}]},"
        "'subsets':[{'addresses':[{}],'ports':[{}]},5],'endpoints':[{'addresses':[5]}],"
        "'subjects':[5,{'kind':'ServiceAccount'}],'involvedObject':'x','series':{'count':'x'}}",
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(all); i++) {
        const zk_table_printer *p = zk_kube_table_printer_for(all[i].group, all[i].resource);
        if (!p)
            fail_msg("no printer for %s %s", all[i].group, all[i].resource);
        for (size_t k = 0; k < ZK_ARRAY_LEN(odd); k++) {
            zk_autojson json_t *obj = J(odd[k]);
            zk_autojson json_t *cells = zk_kube_table_cells(p, obj, NOW);
            assert_int_equal(json_array_size(cells), p->ncolumns);
        }
    }
    assert_null(zk_kube_table_printer_for("example.com", "widgets"));
    assert_null(zk_kube_table_printer_for("", NULL));
    assert_non_null(zk_kube_table_printer_for(NULL, "pods"));
    assert_ptr_equal(zk_kube_table_printer_for("rbac.authorization.k8s.io", "roles"),
                     zk_kube_table_default_printer());
    /* a core resource name in another group is not the core printer */
    assert_null(zk_kube_table_printer_for("apps", "pods"));
}

/* ---- the Table object ------------------------------------------------------------------ */

static void test_table_shape(void **state)
{
    const zk_table_printer *p = zk_kube_table_printer_for("", "namespaces");
    zk_autojson json_t *a = J("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'a',"
                              "'uid':'u1','resourceVersion':'11','labels':{'x':'y'}," CREATED "},"
                              "'status':{'phase':'Active'}}");
    zk_autojson json_t *b = J("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'b'},"
                              "'spec':{'finalizers':['kubernetes']}}");
    const json_t *objs[] = { a, b };

    zk_autojson json_t *t = zk_kube_table_build(p, objs, 2, "Metadata", "42", "tok", NOW);
    zk_autojson json_t *want_head = J(
        "{'kind':'Table','apiVersion':'meta.k8s.io/v1','metadata':{'resourceVersion':'42',"
        "'continue':'tok'}}");
    assert_string_equal(zk_json_str(t, "kind"), "Table");
    assert_string_equal(zk_json_str(t, "apiVersion"), "meta.k8s.io/v1");
    assert_true(json_equal(json_object_get(t, "metadata"), json_object_get(want_head, "metadata")));

    json_t *defs = json_object_get(t, "columnDefinitions");
    assert_int_equal(json_array_size(defs), 3);
    json_t *d0 = json_array_get(defs, 0);
    assert_int_equal(json_object_size(d0), 5);
    assert_string_equal(zk_json_str(d0, "name"), "Name");
    assert_string_equal(zk_json_str(d0, "type"), "string");
    assert_string_equal(zk_json_str(d0, "format"), "name");
    assert_true(strlen(zk_json_str(d0, "description")) > 0);
    assert_int_equal(zk_json_int(d0, "priority", -1), 0);
    assert_string_equal(zk_json_str(json_array_get(defs, 2), "name"), "Age");
    assert_string_equal(zk_json_str(json_array_get(defs, 2), "format"), "");

    json_t *rows = json_object_get(t, "rows");
    assert_int_equal(json_array_size(rows), 2);
    json_t *r0 = json_array_get(rows, 0);
    zk_autojson json_t *want_cells = J("['a','Active','13m']");
    assert_true(json_equal(json_object_get(r0, "cells"), want_cells));
    json_t *o = json_object_get(r0, "object");
    assert_string_equal(zk_json_str(o, "kind"), "PartialObjectMetadata");
    assert_string_equal(zk_json_str(o, "apiVersion"), "meta.k8s.io/v1");
    assert_true(json_equal(json_object_get(o, "metadata"), json_object_get(a, "metadata")));
    assert_null(json_object_get(o, "status"));
    assert_int_equal(json_object_size(o), 3);
    /* copied, not shared: the table outlives changes to the source */
    assert_true(json_object_get(o, "metadata") != json_object_get(a, "metadata"));
    json_t *o1 = json_object_get(json_array_get(rows, 1), "object");
    assert_string_equal(zk_json_path_str(o1, "metadata", "name", NULL), "b");

    zk_autojson json_t *t_obj = zk_kube_table_build(p, objs, 2, "Object", NULL, NULL, NOW);
    assert_true(json_equal(json_object_get(json_array_get(json_object_get(t_obj, "rows"), 0),
                                           "object"), a));
    assert_int_equal(json_object_size(json_object_get(t_obj, "metadata")), 0);

    zk_autojson json_t *t_none = zk_kube_table_build(p, objs, 2, "None", "1", "", NOW);
    json_t *r = json_array_get(json_object_get(t_none, "rows"), 0);
    assert_null(json_object_get(r, "object"));
    assert_int_equal(json_object_size(r), 1);
    assert_null(zk_json_path(t_none, "metadata", "continue", NULL));

    zk_autojson json_t *t_default = zk_kube_table_build(p, objs, 2, NULL, NULL, NULL, NOW);
    assert_string_equal(zk_json_path_str(json_array_get(json_object_get(t_default, "rows"), 0),
                                         "object", "kind", NULL), "PartialObjectMetadata");

    assert_null(zk_kube_table_build(p, objs, 2, "Everything", NULL, NULL, NOW));

    zk_autojson json_t *t_empty = zk_kube_table_build(p, NULL, 0, "Metadata", "5", NULL, NOW);
    assert_true(json_is_array(json_object_get(t_empty, "rows")));
    assert_int_equal(json_array_size(json_object_get(t_empty, "rows")), 0);

    zk_table_opts opts = { .resource_version = "9", .remaining = 120, .no_headers = true };
    zk_autojson json_t *t_opts = zk_kube_table_build_opts(p, objs, 1, &opts, NOW);
    assert_null(json_object_get(t_opts, "columnDefinitions"));
    assert_int_equal(json_integer_value(zk_json_path(t_opts, "metadata", "remainingItemCount",
                                                     NULL)), 120);
    assert_string_equal(zk_json_path_str(t_opts, "metadata", "resourceVersion", NULL), "9");

    /* NULL printer is the default one */
    zk_autojson json_t *t_def = zk_kube_table_build(NULL, objs, 1, NULL, NULL, NULL, NOW);
    assert_string_equal(zk_json_str(json_array_get(json_object_get(t_def, "columnDefinitions"), 1),
                                    "name"), "Created At");
}

/* ---- CRD printers ---------------------------------------------------------------------- */

static void test_crd_printer(void **state)
{
    zk_autojson json_t *cols = J(
        "[{'name':'Ready','type':'string','jsonPath':'.status.conditions[?(@.type==\\'Ready\\')]"
        ".status','description':'Whether it is ready'},"
        "{'name':'Replicas','type':'integer','jsonPath':'.spec.replicas'},"
        "{'name':'Ratio','type':'number','jsonPath':'{.spec.ratio}','format':'double'},"
        "{'name':'Paused','type':'boolean','jsonPath':'.spec.paused'},"
        "{'name':'Labels','type':'string','jsonPath':'.metadata.labels','priority':1},"
        "{'name':'Missing','type':'string','jsonPath':'.status.nothing'},"
        "{'name':'Age','type':'date','jsonPath':'.metadata.creationTimestamp'},"
        "{'name':'Seen','type':'date','jsonPath':'.status.lastSeen'}]");
    zk_err err = { 0 };
    zk_autoprinter zk_table_printer *p = zk_kube_table_crd_printer(cols, &err);
    if (!p)
        fail_msg("crd printer: %s", err.msg);
    assert_int_equal(p->ncolumns, 9);
    assert_string_equal(p->columns[0].name, "Name");
    assert_string_equal(p->columns[0].format, "name");
    assert_string_equal(p->columns[1].name, "Ready");
    assert_string_equal(p->columns[1].description, "Whether it is ready");
    assert_string_equal(p->columns[2].description,
                        "Custom resource definition column (in JSONPath format): .spec.replicas");
    assert_string_equal(p->columns[3].format, "double");
    assert_int_equal(p->columns[5].priority, 1);
    assert_string_equal(p->columns[7].name, "Age");
    assert_string_equal(p->columns[7].type, "date");

    zk_autojson json_t *obj = J(
        "{'apiVersion':'zke.io/v1','kind':'HostGroup','metadata':{'name':'edge'," CREATED ","
        "'labels':{'b':'2','a':'1'}},'spec':{'replicas':3.0,'ratio':2,'paused':true},"
        "'status':{'conditions':[{'type':'Synced','status':'True'},{'type':'Ready','status':"
        "'False'}],'lastSeen':'not a time'}}");
    zk_autojson json_t *cells = zk_kube_table_cells(p, obj, NOW);
    zk_autojson json_t *want = J("['edge','False',3,2.0,true,'{\\'a\\':\\'1\\',\\'b\\':\\'2\\'}',"
                                 "null,'13m','<invalid>']");
    if (!json_equal(cells, want)) {
        zk_autofree char *g = zk_json_dumps(cells);
        fail_msg("crd cells: %s", g);
    }

    /* wrong JSON types become null cells */
    zk_autojson json_t *odd = J("{'metadata':{'name':'x'},'spec':{'replicas':'3','ratio':'2',"
                                "'paused':'yes'},'status':{'conditions':'none'}}");
    zk_autojson json_t *odd_cells = zk_kube_table_cells(p, odd, NOW);
    zk_autojson json_t *want_odd = J("['x',null,null,null,null,null,null,null,null]");
    assert_true(json_equal(odd_cells, want_odd));

    /* the table carries the CRD's columns */
    const json_t *objs[] = { obj };
    zk_autojson json_t *t = zk_kube_table_build(p, objs, 1, "Metadata", "3", NULL, NOW);
    json_t *defs = json_object_get(t, "columnDefinitions");
    assert_int_equal(json_array_size(defs), 9);
    assert_string_equal(zk_json_str(json_array_get(defs, 5), "name"), "Labels");
    assert_int_equal(zk_json_int(json_array_get(defs, 5), "priority", -1), 1);
}

static void test_crd_printer_defaults_and_errors(void **state)
{
    zk_err err = { 0 };
    /* no columns: Name and Age, as Kubernetes serves them */
    zk_autoprinter zk_table_printer *p = zk_kube_table_crd_printer(NULL, &err);
    assert_non_null(p);
    assert_int_equal(p->ncolumns, 2);
    assert_string_equal(p->columns[1].name, "Age");
    assert_string_equal(p->columns[1].type, "date");
    zk_autojson json_t *obj = J("{'metadata':{'name':'a'," CREATED "}}");
    zk_autojson json_t *cells = zk_kube_table_cells(p, obj, NOW);
    zk_autojson json_t *want = J("['a','13m']");
    assert_true(json_equal(cells, want));
    zk_autojson json_t *empty = J("[]");
    zk_autoprinter zk_table_printer *p2 = zk_kube_table_crd_printer(empty, &err);
    assert_int_equal(p2->ncolumns, 2);

    /* given columns are used as they are: no Age is added */
    zk_autojson json_t *one = J("[{'name':'Phase','type':'string','jsonPath':'.status.phase'}]");
    zk_autoprinter zk_table_printer *p3 = zk_kube_table_crd_printer(one, &err);
    assert_int_equal(p3->ncolumns, 2);
    assert_string_equal(p3->columns[1].name, "Phase");

    static const char *const bad[] = {
        "[{'name':'X','type':'string','jsonPath':'.a[?(@.b=\\'c\\')]'}]",
        "[{'name':'X','type':'string','jsonPath':'spec.x'}]",
        "[{'name':'X','type':'string'}]",
        "[{'type':'string','jsonPath':'.a'}]",
        "[{'name':'X','type':'text','jsonPath':'.a'}]",
        "[{'name':'X','jsonPath':'.a'}]",
        "[{'name':'X','type':'string','jsonPath':'.a','priority':-1}]",
        "[{'name':'X','type':'string','jsonPath':'.a'},5]",
        "{'name':'X'}",
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(bad); i++) {
        zk_autojson json_t *cols = J(bad[i]);
        zk_table_printer *q = NULL;
        memset(&err, 0, sizeof(err));
        int rc = zk_kube_table_crd_printer_new(cols, &q, &err);
        if (rc == 0)
            fail_msg("bad columns accepted: %s", bad[i]);
        assert_null(q);
        assert_true(err.msg[0] != '\0');
    }
    zk_autojson json_t *c0 = J(bad[0]);
    assert_null(zk_kube_table_crd_printer(c0, &err));
    assert_non_null(strstr(err.msg, "additionalPrinterColumns[0].jsonPath"));

    /* freeing NULL or a static printer does nothing */
    zk_kube_table_printer_free(NULL);
    zk_kube_table_printer_free((zk_table_printer *)zk_kube_table_default_printer());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pods),
        cmocka_unit_test(test_pod_conditions),
        cmocka_unit_test(test_workloads),
        cmocka_unit_test(test_services_and_networking),
        cmocka_unit_test(test_cluster_resources),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_every_printer_survives_odd_objects),
        cmocka_unit_test(test_table_shape),
        cmocka_unit_test(test_crd_printer),
        cmocka_unit_test(test_crd_printer_defaults_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
