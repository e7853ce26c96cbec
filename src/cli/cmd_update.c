/* cmd_update.c - `edgebox update`: new resource limits from -r JSON (the
 * linux.resources schema) and/or runc's flags. */
#include "cli/cli.h"
#include "class/class.h"
#include "core/container.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "common/util.h"

#include <json-c/json.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "512m", "1G", "-1", "1048576" (binary units, as runc). */
static int parse_bytes(const char *opt, const char *s, eb_opt_i64_t *out, eb_error_t *err)
{
    char *end;
    long long v;
    unsigned long long mul = 1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s)
        return eb_error_set(err, EINVAL, "--%s: invalid size `%s`", opt, s);
    if (*end) {
        switch (tolower((unsigned char) *end)) {
        case 'k': mul = 1ULL << 10; break;
        case 'm': mul = 1ULL << 20; break;
        case 'g': mul = 1ULL << 30; break;
        case 't': mul = 1ULL << 40; break;
        case 'b': mul = 1; break;
        default: return eb_error_set(err, EINVAL, "--%s: invalid size `%s`", opt, s);
        }
        end++;
        if (*end && strcasecmp(end, "b") != 0 && strcasecmp(end, "ib") != 0)
            return eb_error_set(err, EINVAL, "--%s: invalid size `%s`", opt, s);
    }
    out->set = true;
    out->v = v < 0 ? -1 : (int64_t) ((unsigned long long) v * mul);
    return 0;
}

static int parse_num(const char *opt, const char *s, uint64_t *out, eb_error_t *err)
{
    if (eb_parse_u64(s, out) < 0)
        return eb_error_set(err, EINVAL, "--%s: invalid number `%s`", opt, s);
    return 0;
}

/* ROOT's object NAME, made when absent.  One that -r gave as something
 * else is an error: a flag must not hide it. */
static json_object *section(json_object *root, const char *name, eb_error_t *err)
{
    json_object *o = NULL;

    if (!json_object_object_get_ex(root, name, &o)) {
        o = json_object_new_object();
        json_object_object_add(root, name, o);
    } else if (!json_object_is_type(o, json_type_object)) {
        eb_error_set(err, EINVAL, "resources.%s: expected an object", name);
        return NULL;
    }
    return o;
}

static int set(json_object *root, const char *sec, const char *key, json_object *v, eb_error_t *err)
{
    json_object *o = section(root, sec, err);

    if (o == NULL) {
        json_object_put(v);
        return -1;
    }
    json_object_object_add(o, key, v);
    return 0;
}

int eb_cmd_update(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const char *file = NULL, *blkio = NULL, *period = NULL, *quota = NULL, *shares = NULL;
    const char *rtp = NULL, *rtr = NULL, *cpus = NULL, *mems = NULL, *mem = NULL, *memres = NULL;
    const char *swap = NULL, *pids = NULL, *kmem = NULL, *kmemtcp = NULL, *l3 = NULL, *membw = NULL;
    const eb_opt_t opts[] = {
        { "resources", 'r', OPT_STRING, &file }, { "blkio-weight", 0, OPT_STRING, &blkio },
        { "cpu-period", 0, OPT_STRING, &period }, { "cpu-quota", 0, OPT_STRING, &quota },
        { "cpu-share", 0, OPT_STRING, &shares }, { "cpu-rt-period", 0, OPT_STRING, &rtp },
        { "cpu-rt-runtime", 0, OPT_STRING, &rtr }, { "cpuset-cpus", 0, OPT_STRING, &cpus },
        { "cpuset-mems", 0, OPT_STRING, &mems }, { "memory", 0, OPT_STRING, &mem },
        { "memory-reservation", 0, OPT_STRING, &memres }, { "memory-swap", 0, OPT_STRING, &swap },
        { "pids-limit", 0, OPT_STRING, &pids }, { "kernel-memory", 0, OPT_STRING, &kmem },
        { "kernel-memory-tcp", 0, OPT_STRING, &kmemtcp }, { "l3-cache-schema", 0, OPT_STRING, &l3 },
        { "mem-bw-schema", 0, OPT_STRING, &membw },
        { NULL, 0, 0, NULL },
    };
    json_object *upd = NULL;
    _cleanup_free_ char *text = NULL;
    eb_opt_i64_t b;
    uint64_t u;
    int64_t i64;
    int pos, ret = -1;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("update", argc - pos, 1, 1, "[options] <container-id>", err) < 0)
        return -1;
    if (l3 || membw)
        return eb_error_set(err, ENOTSUP, "Intel RDT is not supported");
    /* Flags and -r become one linux.resources document, which the class
     * parses against the container's config, applies and keeps. */
    if (file) {
        size_t len;
        if (eb_read_file(strcmp(file, "-") == 0 ? "/dev/stdin" : file, 1 << 20, &text, &len, err) < 0)
            return -1;
        upd = eb_json_parse(text, len, 64, EB_JSON_STRICT, err);
        if (upd == NULL)
            return eb_error_wrap(err, "resources");
        if (!json_object_is_type(upd, json_type_object)) {
            json_object_put(upd);
            return eb_error_set(err, EINVAL, "resources: invalid JSON: the document is not an object");
        }
        free(text);
        text = NULL;
    } else {
        upd = json_object_new_object();
    }
#define NUM(opt, s, sec, key) if (s) { if (parse_num(opt, s, &u, err) < 0 \
            || set(upd, sec, key, json_object_new_uint64(u), err) < 0) goto out; }
#define INT(opt, s, sec, key) if (s) { if (eb_parse_i64(s, &i64) < 0) { \
            eb_error_set(err, EINVAL, "--%s: invalid number `%s`", opt, s); goto out; } \
        if (set(upd, sec, key, json_object_new_int64(i64), err) < 0) goto out; }
#define BYTES(opt, s, key) if (s) { if (parse_bytes(opt, s, &b, err) < 0 \
            || set(upd, "memory", key, json_object_new_int64(b.v), err) < 0) goto out; }
    NUM("blkio-weight", blkio, "blockIO", "weight");
    NUM("cpu-period", period, "cpu", "period");
    NUM("cpu-share", shares, "cpu", "shares");
    NUM("cpu-rt-period", rtp, "cpu", "realtimePeriod");
    INT("cpu-quota", quota, "cpu", "quota");
    INT("cpu-rt-runtime", rtr, "cpu", "realtimeRuntime");
    INT("pids-limit", pids, "pids", "limit");
    BYTES("memory", mem, "limit");
    BYTES("memory-reservation", memres, "reservation");
    BYTES("memory-swap", swap, "swap");
    BYTES("kernel-memory", kmem, "kernel");
    BYTES("kernel-memory-tcp", kmemtcp, "kernelTCP");
#undef NUM
#undef INT
#undef BYTES
    if ((cpus && set(upd, "cpu", "cpus", json_object_new_string(cpus), err) < 0)
        || (mems && set(upd, "cpu", "mems", json_object_new_string(mems), err) < 0))
        goto out;
    text = eb_xstrdup(json_object_to_json_string_ext(upd, JSON_C_TO_STRING_PLAIN));
    ret = eb_class_of_container(g->root, argv[pos])->update(g->root, argv[pos], text, err);
out:
    json_object_put(upd);
    return ret;
}
