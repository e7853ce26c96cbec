/* test_stats.c - the observability pieces without containers: what a
 * guest's stats may be (refusals), kubelet's memory view from cgroup v1
 * and v2 names, and the Summary/cAdvisor rendering of a pod. */
#include "unit.h"
#include "core/stats.h"
#include "stats/render.h"

#include <json-c/json.h>
#include <stdlib.h>

static int from(const char *text, eb_stats_t *st, eb_error_t *err)
{
    json_object *o = json_tokener_parse(text);
    int rc = eb_stats_from_json(o, st, err);
    json_object_put(o);
    return rc;
}

int main(void)
{
    static eb_stats_t st;
    static eb_sample_t c[2];
    eb_error_t err = { 0 };
    eb_mem_view_t m;
    double rates[2] = { 5e8, -1 };
    eb_snapshot_t snap = { .node_name = "node1", .node_nanocores = -1, .c = c, .nanocores = rates, .n = 2 };
    eb_buf_t b = { 0 };
    json_object *sum;
    char *text;

    unit_name = "stats";
    CHECK(from("{\"memory\":{\"usage\":{\"usage\":1000,\"limit\":4096},\"raw\":{\"inactive_file\":300,\"anon\":600,\"file\":350,"
               "\"pgfault\":9,\"pgmajfault\":1}},\"network_interfaces\":[{\"name\":\"eth0\",\"rx_bytes\":77}]}", &st, &err) == 0,
          "guest stats: a v2 guest's numbers accepted");
    eb_stats_memory(&st, &m);
    CHECK(m.working_set == 700 && m.rss == 600 && m.cache == 350 && m.pgfault == 9 && m.limit == 4096,
          "memory view from v2 names: working set = usage - inactive_file");
    CHECK(from("{\"memory\":{\"usage\":{\"usage\":1000,\"limit\":9223372036854771712},\"raw\":{\"total_inactive_file\":100,"
               "\"total_rss\":800,\"total_cache\":150}}}", &st, &err) == 0, "v1 names accepted");
    eb_stats_memory(&st, &m);
    CHECK(m.working_set == 900 && m.rss == 800 && m.cache == 150 && m.limit == 0,
          "memory view from v1 total_* names; the no-limit value reads as none");
    CHECK(from("{\"cpu\":{\"usage\":{\"total\":-5}}}", &st, &err) < 0, "guest stats: negative counter refused (%s)", err.msg);
    CHECK(from("{\"cpu\":{\"usage\":{\"total\":\"12\"}}}", &st, &err) < 0, "guest stats: string counter refused");
    CHECK(from("{\"network_interfaces\":[{\"name\":\"an-interface-name-longer-than-31\",\"rx_bytes\":1}]}", &st, &err) < 0,
          "guest stats: overlong interface name refused");
    CHECK(from("{\"network_interfaces\":[{\"rx_bytes\":1}]}", &st, &err) < 0, "guest stats: nameless interface refused");
    CHECK(from("{\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":1,\"minor\":2,\"op\":\"AVeryLongOp\",\"value\":1}]}}",
               &st, &err) < 0, "guest stats: overlong blkio op refused");

    /* a pod: sandbox (network) + one container */
    from("{\"cpu\":{\"usage\":{\"total\":1000000000}},\"network_interfaces\":[{\"name\":\"eth0\",\"rx_bytes\":4242}]}",
         &c[0].st, &err);
    from("{\"cpu\":{\"usage\":{\"total\":3000000000}},\"memory\":{\"usage\":{\"usage\":2048}}}", &c[1].st, &err);
    c[0].id = "sb", c[0].klass = "runc", c[0].is_sandbox = 1, c[0].sandbox_id = "sb", c[0].pod_name = "web";
    c[0].pod_namespace = "default", c[0].pod_uid = "u1", c[0].time_ns = 1700000000000000000ULL, c[0].created = 1700000000;
    c[1] = c[0];
    from("{\"cpu\":{\"usage\":{\"total\":3000000000}},\"memory\":{\"usage\":{\"usage\":2048}}}", &c[1].st, &err);
    c[1].id = "app", c[1].is_sandbox = 0, c[1].container_name = "app\"1";
    text = eb_render_summary(&snap);
    sum = json_tokener_parse(text);
    CHECK(json_object_array_length(json_object_object_get(sum, "pods")) == 1, "summary: two containers, one pod");
    {
        json_object *pod = json_object_array_get_idx(json_object_object_get(sum, "pods"), 0);
        json_object *cs = json_object_object_get(pod, "containers");
        json_object *cpu = json_object_object_get(pod, "cpu"), *net = json_object_object_get(pod, "network");
        CHECK(json_object_array_length(cs) == 1
                  && !strcmp(json_object_get_string(json_object_object_get(json_object_array_get_idx(cs, 0), "name")), "app\"1"),
              "summary: the sandbox is not listed as a container");
        CHECK(json_object_get_int64(json_object_object_get(cpu, "usageCoreNanoSeconds")) == 4000000000LL
                  && !json_object_object_get_ex(cpu, "usageNanoCores", NULL),
              "summary: pod cpu summed; no rate until every container has two samples");
        CHECK(json_object_get_int64(json_object_object_get(net, "rxBytes")) == 4242, "summary: pod network from the sandbox");
    }
    json_object_put(sum);
    free(text);
    eb_render_cadvisor(&snap, &b);
    CHECK(strstr(eb_buf_str(&b), "container_cpu_usage_seconds_total{container=\"app\\\"1\",id=\"\",image=\"\",name=\"app\","
                                 "namespace=\"default\",pod=\"web\",cpu=\"total\"} 3 1700000000000\n") != NULL,
          "cadvisor: labels escaped, seconds, millisecond timestamp");
    CHECK(strstr(eb_buf_str(&b), "container_network_receive_bytes_total{container=\"POD\"") != NULL,
          "cadvisor: the sandbox is container=\"POD\"");
    eb_buf_free(&b);
    eb_render_resource(&snap, &b);
    CHECK(strstr(eb_buf_str(&b), "pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"web\"} 4 ") != NULL
              && !strstr(eb_buf_str(&b), "container=\"POD\""),
          "resource: pod totals; no pause container series");
    eb_buf_free(&b);
    return unit_failed;
}
