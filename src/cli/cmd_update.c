/* cmd_update.c - `edgebox update`: new resource limits from -r JSON (the
 * linux.resources schema) and/or runc's flags. */
#include "cli/cli.h"
#include "core/container.h"
#include "common/cleanup.h"
#include "common/util.h"

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
    eb_container_t *c = NULL;
    eb_resources_t res;
    uint64_t u;
    int pos, ret = -1;

    memset(&res, 0, sizeof(res));
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("update", argc - pos, 1, 1, "[options] <container-id>", err) < 0)
        return -1;
    if (l3 || membw)
        return eb_error_set(err, ENOTSUP, "Intel RDT is not supported");
    if (eb_container_load(g->root, argv[pos], false, &c, err) < 0)
        return -1;
    if (c->spec == NULL) {
        eb_error_set(err, ENOENT, "container `%s` has no saved config", argv[pos]);
        goto out;
    }
    if (file) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (eb_read_file(strcmp(file, "-") == 0 ? "/dev/stdin" : file, 1 << 20, &text, &len, err) < 0
            || eb_spec_parse_resources(c->spec, text, len, &res, err) < 0)
            goto out;
    }
#define NUM(opt, s, field) if (s) { if (parse_num(opt, s, &u, err) < 0) goto out; field.set = true; field.v = u; }
    NUM("blkio-weight", blkio, res.blkio.weight);
    NUM("cpu-period", period, res.cpu.period);
    NUM("cpu-share", shares, res.cpu.shares);
    NUM("cpu-rt-period", rtp, res.cpu.realtime_period);
#undef NUM
    if (quota) {
        int64_t q;
        if (eb_parse_i64(quota, &q) < 0) {
            eb_error_set(err, EINVAL, "--cpu-quota: invalid number `%s`", quota);
            goto out;
        }
        res.cpu.quota.set = true;
        res.cpu.quota.v = q;
    }
    if (rtr) {
        int64_t q;
        if (eb_parse_i64(rtr, &q) < 0) {
            eb_error_set(err, EINVAL, "--cpu-rt-runtime: invalid number `%s`", rtr);
            goto out;
        }
        res.cpu.realtime_runtime.set = true;
        res.cpu.realtime_runtime.v = q;
    }
    if (cpus)
        res.cpu.cpus = cpus;
    if (mems)
        res.cpu.mems = mems;
    if ((mem && parse_bytes("memory", mem, &res.memory.limit, err) < 0)
        || (memres && parse_bytes("memory-reservation", memres, &res.memory.reservation, err) < 0)
        || (swap && parse_bytes("memory-swap", swap, &res.memory.swap, err) < 0)
        || (kmem && parse_bytes("kernel-memory", kmem, &res.memory.kernel, err) < 0)
        || (kmemtcp && parse_bytes("kernel-memory-tcp", kmemtcp, &res.memory.kernel_tcp, err) < 0))
        goto out;
    if (pids) {
        int64_t p;
        if (eb_parse_i64(pids, &p) < 0) {
            eb_error_set(err, EINVAL, "--pids-limit: invalid number `%s`", pids);
            goto out;
        }
        res.pids_limit.set = true;
        res.pids_limit.v = p;
    }
    ret = eb_container_update(g->root, argv[pos], &res, err);
out:
    eb_container_free(c);
    return ret;
}
