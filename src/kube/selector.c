/* selector.c - label and field selectors. */
#include "kube/selector.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SEL_MAX_REQS 64
#define SEL_MAX_VALUES 64

static const eb_field_def_t field_defs[] = {
    { "pods", "spec.nodeName", "", 2, 10, 0 },
    { "pods", "spec.restartPolicy", "", 2, 3, 0 },
    { "pods", "spec.schedulerName", "", 2, 19, 0 },
    { "pods", "spec.serviceAccountName", "", 2, 8, 0 },
    { "pods", "spec.hostNetwork", "false", 2, 11, 1 },
    { "pods", "status.phase", "", 3, 1, 0 },
    { "pods", "status.podIP", "", 3, 6, 0 },
    { "pods", "status.nominatedNodeName", "", 3, 11, 0 },
    { "secrets", "type", "", 3, 0, 0 },
    { "nodes", "spec.unschedulable", "false", 2, 4, 1 },
    { "namespaces", "status.phase", "", 3, 1, 0 },
    { "services", "spec.clusterIP", "", 2, 3, 0 },
    { "services", "spec.type", "", 2, 4, 0 },
    { "events", "involvedObject.kind", "", 0, 0, 0 },
    { "events", "involvedObject.namespace", "", 0, 0, 0 },
    { "events", "involvedObject.name", "", 0, 0, 0 },
    { "events", "involvedObject.uid", "", 0, 0, 0 },
    { "events", "involvedObject.apiVersion", "", 0, 0, 0 },
    { "events", "involvedObject.resourceVersion", "", 0, 0, 0 },
    { "events", "involvedObject.fieldPath", "", 0, 0, 0 },
    { "events", "reason", "", 0, 0, 0 },
    { "events", "reportingComponent", "", 0, 0, 0 },
    { "events", "source", "", 0, 0, 0 },
    { "events", "type", "", 0, 0, 0 },
    { "persistentvolumeclaims", "status.phase", "", 0, 0, 0 },
};

const eb_field_def_t *eb_field_defs(size_t *n)
{
    *n = sizeof(field_defs) / sizeof(field_defs[0]);
    return field_defs;
}

int eb_field_supported(const char *resource, const char *path)
{
    size_t i;

    if (strcmp(path, "metadata.name") == 0 || strcmp(path, "metadata.namespace") == 0)
        return 1;
    for (i = 0; i < sizeof(field_defs) / sizeof(field_defs[0]); i++)
        if (strcmp(field_defs[i].resource, resource) == 0 && strcmp(field_defs[i].path, path) == 0)
            return 1;
    return 0;
}

static eb_sel_req_t *add_req(eb_selector_t *s, eb_error_t *err)
{
    if (s->n == SEL_MAX_REQS) {
        eb_error_set(err, EINVAL, "selector has more than %d requirements", SEL_MAX_REQS);
        return NULL;
    }
    s->reqs = eb_xrealloc(s->reqs, (s->n + 1) * sizeof(*s->reqs));
    memset(&s->reqs[s->n], 0, sizeof(s->reqs[0]));
    return &s->reqs[s->n++];
}

static void add_value(eb_sel_req_t *r, const char *v, size_t len)
{
    r->values = eb_xrealloc(r->values, (r->nvalues + 1) * sizeof(char *));
    r->values[r->nvalues++] = strndup(v, len);
}

static int is_key_char(int c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/';
}

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

int eb_label_selector_parse(const char *text, eb_selector_t *s, eb_error_t *err)
{
    const char *p = text ? text : "";

    memset(s, 0, sizeof(*s));
    skip_ws(&p);
    while (*p) {
        eb_sel_req_t *r = add_req(s, err);
        const char *k;
        int neg = 0;

        if (!r)
            goto fail;
        skip_ws(&p);
        if (*p == '!')
            neg = 1, p++, skip_ws(&p);
        k = p;
        while (is_key_char((unsigned char) *p))
            p++;
        if (p == k || p - k > 316)
            goto syntax;
        r->key = strndup(k, (size_t) (p - k));
        skip_ws(&p);
        if (neg) {
            r->op = EB_SEL_NOTEXISTS;
        } else if (*p == ',' || !*p) {
            r->op = EB_SEL_EXISTS;
        } else if (p[0] == '=' || (p[0] == '!' && p[1] == '=') || p[0] == '>' || p[0] == '<') {
            const char *v;
            if (p[0] == '!')
                r->op = EB_SEL_NE, p += 2;
            else if (p[0] == '>')
                r->op = EB_SEL_GT, p++;
            else if (p[0] == '<')
                r->op = EB_SEL_LT, p++;
            else
                r->op = EB_SEL_EQ, p += p[1] == '=' ? 2 : 1;
            skip_ws(&p);
            v = p;
            while (is_key_char((unsigned char) *p) && *p != '/')
                p++;
            add_value(r, v, (size_t) (p - v));
            if ((r->op == EB_SEL_GT || r->op == EB_SEL_LT)) {
                int64_t dummy;
                if (eb_parse_i64(r->values[0], &dummy) < 0)
                    goto syntax;
            }
        } else if ((strncmp(p, "in", 2) == 0 && !is_key_char((unsigned char) p[2]))
                   || (strncmp(p, "notin", 5) == 0 && !is_key_char((unsigned char) p[5]))) {
            r->op = p[0] == 'i' ? EB_SEL_IN : EB_SEL_NOTIN;
            p += r->op == EB_SEL_IN ? 2 : 5;
            skip_ws(&p);
            if (*p++ != '(')
                goto syntax;
            for (;;) {
                const char *v;
                skip_ws(&p);
                v = p;
                while (is_key_char((unsigned char) *p) && *p != '/')
                    p++;
                if (r->nvalues == SEL_MAX_VALUES)
                    goto syntax;
                add_value(r, v, (size_t) (p - v));
                skip_ws(&p);
                if (*p == ',') {
                    p++;
                    continue;
                }
                if (*p++ != ')')
                    goto syntax;
                break;
            }
        } else {
            goto syntax;
        }
        skip_ws(&p);
        if (*p == ',') {
            p++;
            skip_ws(&p);
            if (!*p)
                goto syntax;
        } else if (*p) {
            goto syntax;
        }
    }
    return 0;
syntax:
    eb_error_set(err, EINVAL, "unable to parse requirement: invalid label selector `%s`", text);
fail:
    eb_selector_free(s);
    return -1;
}

/* Field selector values may escape `\`, `,` and `=`. */
static char *unescape_field(const char *p, size_t len, int *bad)
{
    char *out = eb_xcalloc(1, len + 1), *o = out;
    size_t i;

    for (i = 0; i < len; i++) {
        if (p[i] == '\\') {
            if (i + 1 == len || !strchr("\\,=", p[i + 1])) {
                *bad = 1;
                break;
            }
            i++;
        }
        *o++ = p[i];
    }
    return out;
}

int eb_field_selector_parse(const char *text, const char *resource, eb_selector_t *s, eb_error_t *err)
{
    const char *p = text ? text : "";

    memset(s, 0, sizeof(*s));
    while (*p) {
        const char *end = p, *op;
        eb_sel_req_t *r;
        int bad = 0;
        size_t oplen;

        while (*end && *end != ',') {
            if (*end == '\\' && end[1])
                end++;
            end++;
        }
        for (op = p; op < end; op++)
            if (*op == '=' || (*op == '!' && op + 1 < end && op[1] == '='))
                break;
        if (op == end || op == p) {
            eb_error_set(err, EINVAL, "invalid selector: '%s'; can't understand '%.*s'", text, (int) (end - p), p);
            goto fail;
        }
        r = add_req(s, err);
        if (!r)
            goto fail;
        r->key = strndup(p, (size_t) (op - p));
        while (strlen(r->key) && r->key[strlen(r->key) - 1] == ' ')
            r->key[strlen(r->key) - 1] = 0;
        if (*op == '!')
            r->op = EB_SEL_NE, oplen = 2;
        else
            r->op = EB_SEL_EQ, oplen = op + 1 < end && op[1] == '=' ? 2 : 1;
        r->values = eb_xcalloc(1, sizeof(char *));
        r->values[0] = unescape_field(op + oplen, (size_t) (end - op - (ptrdiff_t) oplen), &bad);
        r->nvalues = 1;
        if (bad) {
            eb_error_set(err, EINVAL, "invalid selector: '%s': bad escape", text);
            goto fail;
        }
        if (resource && !eb_field_supported(resource, r->key)) {
            eb_error_set(err, EINVAL, "field label not supported: %s", r->key);
            goto fail;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
fail:
    eb_selector_free(s);
    return -1;
}

static const char *get(json_object *set, const char *key, int *found)
{
    json_object *v;

    *found = set && json_object_object_get_ex(set, key, &v) && v;
    return *found ? json_object_get_string(v) : NULL;
}

int eb_selector_match(const eb_selector_t *s, json_object *set)
{
    size_t i, j;

    for (i = 0; i < s->n; i++) {
        const eb_sel_req_t *r = &s->reqs[i];
        int found, in = 0;
        const char *v = get(set, r->key, &found);
        int64_t a, b;

        switch (r->op) {
        case EB_SEL_EXISTS:
            if (!found)
                return 0;
            break;
        case EB_SEL_NOTEXISTS:
            if (found)
                return 0;
            break;
        case EB_SEL_EQ:
            if (!found || strcmp(v, r->values[0]) != 0)
                return 0;
            break;
        case EB_SEL_NE:
            if (found && strcmp(v, r->values[0]) == 0)
                return 0;
            break;
        case EB_SEL_IN:
        case EB_SEL_NOTIN:
            for (j = 0; found && j < r->nvalues; j++)
                in |= strcmp(v, r->values[j]) == 0;
            if ((r->op == EB_SEL_IN) != in)
                return 0;
            break;
        case EB_SEL_GT:
        case EB_SEL_LT:
            if (!found || eb_parse_i64(v, &a) < 0 || eb_parse_i64(r->values[0], &b) < 0)
                return 0;
            if (r->op == EB_SEL_GT ? !(a > b) : !(a < b))
                return 0;
            break;
        }
    }
    return 1;
}

void eb_selector_free(eb_selector_t *s)
{
    size_t i, j;

    for (i = 0; i < s->n; i++) {
        free(s->reqs[i].key);
        for (j = 0; j < s->reqs[i].nvalues; j++)
            free(s->reqs[i].values[j]);
        free(s->reqs[i].values);
    }
    free(s->reqs);
    memset(s, 0, sizeof(*s));
}
