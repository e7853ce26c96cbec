/* render.h - a snapshot of the node and its containers in the formats
 * kubelet serves: the Summary API (/stats/summary), cAdvisor's metrics
 * (/metrics/cadvisor) and kubelet's resource metrics (/metrics/resource),
 * with upstream's field names, metric names and labels. */
#ifndef EB_STATS_RENDER_H
#define EB_STATS_RENDER_H

#include "common/buf.h"
#include "stats/node.h"
#include "stats/sample.h"

typedef struct eb_snapshot {
    const char *node_name;
    eb_node_sample_t node;
    double node_nanocores;        /* -1 until two samples */
    eb_sample_t *c;               /* measured containers */
    double *nanocores;            /* per container, -1 until two samples */
    size_t n;
    int percpu;                   /* cAdvisor's per-cpu series too */
    size_t errors;                /* containers that could not be measured */
} eb_snapshot_t;

char *eb_render_summary(const eb_snapshot_t *s);
void eb_render_cadvisor(const eb_snapshot_t *s, eb_buf_t *b);
void eb_render_resource(const eb_snapshot_t *s, eb_buf_t *b);

#endif
