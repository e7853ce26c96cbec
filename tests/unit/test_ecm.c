/* test_ecm.c - edgebox-ecm's decisions without a cluster: the protect and
 * restore plans for the shapes of tolerations pods really carry, the
 * work queue, and the informer's handling of watch events (malformed
 * ones refused, 410 turned into a relist). */
#include "unit.h"
#include "ecm/autonomy.h"
#include "ecm/ecm.h"
#include "kube/informer.h"
#include "kube/object.h"

#include <stdlib.h>

static json_object *js(const char *text)
{
    json_object *o = json_tokener_parse(text);
    if (!o) {
        fprintf(stderr, "bad test JSON: %s\n", text);
        exit(2);
    }
    return o;
}

#define DEFAULT_TOLS \
    "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}," \
    "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]"

static json_object *pod_with(const char *tols, const char *annotations)
{
    char buf[4096];

    snprintf(buf, sizeof(buf),
             "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"resourceVersion\":\"42\"%s%s%s},"
             "\"spec\":{\"nodeName\":\"n1\",\"tolerations\":%s}}",
             annotations ? ",\"annotations\":" : "", annotations ? annotations : "", "", tols);
    return js(buf);
}

/* Apply a merge patch's tolerations and annotations the way the apiserver does. */
static json_object *applied(json_object *pod, json_object *patch)
{
    json_object *out = NULL, *ann, *md;

    json_object_deep_copy(pod, &out, NULL);
    json_object_object_add(eb_json_at(out, "spec", NULL), "tolerations",
                           json_object_get(eb_json_at(patch, "spec", "tolerations", NULL)));
    md = eb_json_at(out, "metadata", NULL);
    if (!eb_json_at(md, "annotations", NULL))
        json_object_object_add(md, "annotations", json_object_new_object());
    ann = eb_json_at(md, "annotations", NULL);
    json_object_object_foreach(eb_json_at(patch, "metadata", "annotations", NULL), k, v) {
        if (v)
            json_object_object_add(ann, k, json_object_get(v));
        else
            json_object_object_del(ann, k);
    }
    return out;
}

static const char *tols_str(json_object *patch)
{
    return json_object_to_json_string_ext(eb_json_at(patch, "spec", "tolerations", NULL),
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void test_plans(void)
{
    eb_error_t err = { 0 };
    json_object *pod, *patch = NULL, *p2, *patch2 = NULL, *node;
    int plan;

    /* the DefaultTolerationSeconds shape */
    pod = pod_with(DEFAULT_TOLS, NULL);
    plan = eb_autonomy_plan(pod, 1, &patch, &err);
    CHECK(plan == EB_PLAN_PROTECT, "default tolerations on an autonomous node: protect");
    CHECK(strcmp(tols_str(patch),
                 "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"},"
                 "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]") == 0,
          "protect: the same tolerations, without tolerationSeconds (%s)", tols_str(patch));
    CHECK(strcmp(eb_json_str_at(patch, "metadata", "annotations", EB_SAVED_ANNOTATION, NULL),
                 "{\"node.kubernetes.io/unreachable\":300,\"node.kubernetes.io/not-ready\":300}") == 0,
          "protect: old limits recorded");
    CHECK(strcmp(eb_json_str_at(patch, "metadata", "resourceVersion", NULL), "42") == 0,
          "protect: resourceVersion precondition");
    p2 = applied(pod, patch);
    CHECK(eb_autonomy_plan(p2, 1, &patch2, &err) == EB_PLAN_NONE, "protected pod: nothing more to do");
    CHECK(eb_autonomy_plan(pod, 0, &patch2, &err) == EB_PLAN_NONE, "unprotected pod on a plain node: nothing");
    plan = eb_autonomy_plan(p2, 0, &patch2, &err);
    CHECK(plan == EB_PLAN_RESTORE, "protected pod on a plain node: restore");
    CHECK(strcmp(tols_str(patch2),
                 "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},"
                 "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]") == 0,
          "restore: exactly the original tolerations (%s)", tols_str(patch2));
    CHECK(json_object_is_type(eb_json_at(patch2, "metadata", "annotations", NULL), json_type_object)
              && json_object_object_get_ex(eb_json_at(patch2, "metadata", "annotations", NULL), EB_SAVED_ANNOTATION, NULL)
              && !eb_json_at(patch2, "metadata", "annotations", EB_SAVED_ANNOTATION, NULL),
          "restore: the record is removed (null in the merge patch)");
    json_object_put(patch2);
    json_object_put(p2);
    json_object_put(patch);
    json_object_put(pod);

    /* no matching toleration at all: one is appended, restored as 0 s */
    pod = pod_with("[{\"key\":\"gpu\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]", NULL);
    CHECK(eb_autonomy_plan(pod, 1, &patch, &err) == EB_PLAN_PROTECT, "no outage tolerations: protect");
    CHECK(json_object_array_length(eb_json_at(patch, "spec", "tolerations", NULL)) == 3,
          "protect: two unlimited tolerations appended after the pod's own");
    CHECK(strcmp(eb_json_str_at(patch, "metadata", "annotations", EB_SAVED_ANNOTATION, NULL),
                 "{\"node.kubernetes.io/unreachable\":null,\"node.kubernetes.io/not-ready\":null}") == 0,
          "protect: absence recorded as null");
    p2 = applied(pod, patch);
    CHECK(eb_autonomy_plan(p2, 0, &patch2, &err) == EB_PLAN_RESTORE, "restore of appended tolerations");
    CHECK(strstr(tols_str(patch2), "\"tolerationSeconds\":0") != NULL,
          "restore: appended tolerations (which can't be removed) get 0 s: evicted at once, as before");
    json_object_put(patch2);
    json_object_put(p2);
    json_object_put(patch);
    json_object_put(pod);

    /* a wildcard toleration with a limit comes first */
    pod = pod_with("[{\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":60}]", NULL);
    CHECK(eb_autonomy_plan(pod, 1, &patch, &err) == EB_PLAN_PROTECT, "wildcard with a limit: protect");
    CHECK(strcmp(tols_str(patch),
                 "[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"},"
                 "{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"},"
                 "{\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":60}]") == 0,
          "wildcard: specific unlimited tolerations inserted before it, its own limit kept (%s)", tols_str(patch));
    p2 = applied(pod, patch);
    CHECK(eb_autonomy_plan(p2, 0, &patch2, &err) == EB_PLAN_RESTORE && strstr(tols_str(patch2), "\"tolerationSeconds\":60}"),
          "wildcard: restore gives the inserted ones the wildcard's 60 s");
    json_object_put(patch2);
    json_object_put(p2);
    json_object_put(patch);
    json_object_put(pod);

    /* already unlimited (DaemonSet pods); other effects don't match */
    pod = pod_with("[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"},"
                   "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\"}]", NULL);
    CHECK(eb_autonomy_plan(pod, 1, &patch, &err) == EB_PLAN_NONE && !patch, "already unlimited: nothing");
    json_object_put(pod);
    pod = pod_with("[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"},"
                   "{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Equal\",\"value\":\"x\",\"effect\":\"NoExecute\"}]",
                   NULL);
    CHECK(eb_autonomy_plan(pod, 1, &patch, &err) == EB_PLAN_PROTECT
              && json_object_array_length(eb_json_at(patch, "spec", "tolerations", NULL)) == 4,
          "NoSchedule or a non-matching value doesn't tolerate the outage: both appended");
    json_object_put(patch);
    json_object_put(pod);

    /* a record that is not ours is refused, not trusted */
    pod = pod_with(DEFAULT_TOLS, "{\"node.edgebox.io/saved-toleration-seconds\":\"{\\\"evil\\\":1}\"}");
    CHECK(eb_autonomy_plan(pod, 0, &patch, &err) < 0 && strstr(err.msg, "not a map of taint keys"),
          "malformed record: refused (%s)", err.msg);
    json_object_put(pod);
    pod = pod_with(DEFAULT_TOLS, "{\"node.edgebox.io/saved-toleration-seconds\":\"{\\\"node.kubernetes.io/unreachable\\\":-5}\"}");
    CHECK(eb_autonomy_plan(pod, 0, &patch, &err) < 0, "negative seconds in the record: refused");
    json_object_put(pod);
    pod = pod_with("{\"not\":\"a list\"}", NULL);
    CHECK(eb_autonomy_plan(pod, 1, &patch, &err) < 0, "tolerations not a list: refused");
    json_object_put(pod);

    /* which pods and nodes */
    node = js("{\"metadata\":{\"name\":\"n\",\"annotations\":{\"node.edgebox.io/autonomy\":\"True\"}}}");
    CHECK(eb_node_autonomous(node), "autonomy annotation parsed like Go's ParseBool (True)");
    json_object_put(node);
    node = js("{\"metadata\":{\"name\":\"n\",\"annotations\":{\"node.edgebox.io/autonomy\":\"yes\"}}}");
    CHECK(!eb_node_autonomous(node), "autonomy annotation `yes` is not a boolean: off");
    json_object_put(node);
    pod = js("{\"metadata\":{\"name\":\"p\",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{\"nodeName\":\"n\"}}");
    CHECK(eb_pod_ignored(pod), "terminating pod ignored");
    json_object_put(pod);
    pod = js("{\"metadata\":{\"name\":\"p\",\"annotations\":{\"kubernetes.io/config.mirror\":\"x\"}},\"spec\":{\"nodeName\":\"n\"}}");
    CHECK(eb_pod_ignored(pod), "mirror pod ignored");
    json_object_put(pod);
    pod = js("{\"metadata\":{\"name\":\"p\"},\"spec\":{}}");
    CHECK(eb_pod_ignored(pod), "unscheduled pod ignored");
    json_object_put(pod);
    pod = js("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"n\"},\"status\":{\"phase\":\"Running\"}}");
    CHECK(!eb_pod_ignored(pod), "running pod considered");
    json_object_put(pod);
}

static void test_queue(void)
{
    eb_queue_t q;
    char *a, *b, *c;

    eb_queue_init(&q);
    eb_queue_add(&q, "pod:a", 0);
    eb_queue_add(&q, "pod:b", 0);
    eb_queue_add(&q, "pod:a", 0);
    CHECK(eb_queue_len(&q) == 2, "queue: a key waits once however often it is added");
    eb_queue_add(&q, "pod:later", 150);
    a = eb_queue_take(&q, 0);
    b = eb_queue_take(&q, 0);
    c = eb_queue_take(&q, 0);
    CHECK(a && b && !strcmp(a, "pod:a") && !strcmp(b, "pod:b") && !c, "queue: FIFO, a delayed key not before its time");
    free(a), free(b), free(c);
    c = eb_queue_take(&q, 2000);
    CHECK(c && !strcmp(c, "pod:later"), "queue: the delayed key comes when due");
    free(c);
    eb_queue_add(&q, "pod:x", 0);
    eb_queue_close(&q);
    CHECK(eb_queue_take(&q, 1000) == NULL, "queue: closed, takes return at once");
    eb_queue_free(&q);
}

static int events_seen[3];
static void count_event(void *ud, enum eb_inf_event ev, json_object *obj)
{
    (void) ud, (void) obj;
    events_seen[ev]++;
}

static int apply(eb_informer_t *inf, const char *line)
{
    eb_error_t err = { 0 };
    return eb_informer_apply_line(inf, line, strlen(line), &err);
}

static void test_informer_events(void)
{
    eb_informer_t inf = { .res = "v1/pods", .handler = count_event };
    json_object *o;

    eb_informer_init(&inf);
    CHECK(apply(&inf, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"resourceVersion\":\"5\"}}}\n") == 0
              && events_seen[EB_INF_ADDED] == 1 && !strcmp(inf.rv, "5"),
          "informer: ADDED stored, version advanced");
    CHECK(apply(&inf, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"resourceVersion\":\"6\"}}}") == 0
              && events_seen[EB_INF_MODIFIED] == 1,
          "informer: ADDED for an object held is a change");
    o = eb_informer_get(&inf, "n/a");
    CHECK(o && !strcmp(eb_json_str_at(o, "metadata", "resourceVersion", NULL), "6"), "informer: get returns the latest copy");
    json_object_put(o);
    CHECK(apply(&inf, "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}") == 0
              && !strcmp(inf.rv, "9") && eb_informer_count(&inf) == 1,
          "informer: BOOKMARK moves the version only");
    CHECK(apply(&inf, "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"resourceVersion\":\"10\"}}}") == 0
              && eb_informer_count(&inf) == 0 && events_seen[EB_INF_DELETED] == 1,
          "informer: DELETED drops it");
    CHECK(apply(&inf, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}") == 1,
          "informer: ERROR 410 asks for a relist");
    CHECK(apply(&inf, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500}}") < 0, "informer: other ERROR is an error");
    CHECK(apply(&inf, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}") < 0,
          "informer: object without a name refused");
    CHECK(apply(&inf, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\"}}}") < 0,
          "informer: object without a resourceVersion refused");
    CHECK(apply(&inf, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"1\"}}} trailing") < 0,
          "informer: trailing bytes refused");
    CHECK(apply(&inf, "{\"type\":\"SURPRISE\",\"object\":{}}") < 0, "informer: unknown type refused");
    CHECK(apply(&inf, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]") < 0,
          "informer: nesting beyond the parser's depth refused");
    CHECK(eb_informer_count(&inf) == 0 && !strcmp(inf.rv, "10"), "informer: refused events change nothing");
    eb_informer_free(&inf);
}

int main(void)
{
    unit_name = "ecm";
    test_plans();
    test_queue();
    test_informer_events();
    return unit_failed;
}
