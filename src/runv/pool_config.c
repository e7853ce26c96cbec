/* pool_config.c - the pool's configuration (pool.h): EDGEBOX_POOL or the
 * JSON file, every value bounded, and the class a VM size falls in. */
#include "runv/pool.h"
#include "runv/pool_internal.h"
#include "eb_config.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ config --- */

static int class_add(eb_pool_config_t *cfg, uint64_t mem, uint64_t cpus, uint64_t size, eb_error_t *err)
{
    long host = sysconf(_SC_NPROCESSORS_ONLN);

    if (mem < 128 || mem > 65536 || cpus < 1 || cpus > (uint64_t) (host > 0 ? host : 1) || size > EB_POOL_MAX_SIZE)
        return eb_error_set(err, EINVAL,
                            "%s: class %llu MiB, %llu vCPUs, size %llu: memory must be 128-65536 MiB, vCPUs "
                            "1-%ld (this host's), size 0-%d", cfg->source, (unsigned long long) mem,
                            (unsigned long long) cpus, (unsigned long long) size, host, EB_POOL_MAX_SIZE);
    for (size_t i = 0; i < cfg->n; i++)
        if (cfg->c[i].mem_mib == mem && cfg->c[i].vcpus == cpus)
            return eb_error_set(err, EINVAL, "%s: class %llu MiB, %llu vCPUs given twice", cfg->source,
                                (unsigned long long) mem, (unsigned long long) cpus);
    if (size == 0)
        return 0;
    if (cfg->n == EB_POOL_MAX_CLASSES)
        return eb_error_set(err, E2BIG, "%s: more than %d classes", cfg->source, EB_POOL_MAX_CLASSES);
    cfg->c[cfg->n++] = (eb_pool_class_t) { (unsigned) mem, (unsigned) cpus, (unsigned) size };
    return 0;
}

/* "MEM:VCPUS:SIZE[,...]" */
static int config_inline(eb_pool_config_t *cfg, const char *spec, eb_error_t *err)
{
    _cleanup_free_ char *copy = eb_xstrdup(spec);
    char *save = NULL, *tok;

    if (strcmp(spec, "0") == 0 || strcmp(spec, "off") == 0 || spec[0] == 0)
        return 0;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *a = strtok(tok, ":"), *b = strtok(NULL, ":"), *c = strtok(NULL, ":");
        uint64_t mem, cpus, size;
        if (a == NULL || b == NULL || c == NULL || strtok(NULL, ":") || eb_parse_u64(a, &mem) < 0
            || eb_parse_u64(b, &cpus) < 0 || eb_parse_u64(c, &size) < 0)
            return eb_error_set(err, EINVAL, "%s: `%s` is not MEMORY_MIB:VCPUS:SIZE", cfg->source, tok);
        if (class_add(cfg, mem, cpus, size, err) < 0)
            return -1;
    }
    return 0;
}

static int config_file(eb_pool_config_t *cfg, const char *path, eb_error_t *err)
{
    _cleanup_free_ char *text = NULL;
    json_object *o, *classes;
    size_t len, i;
    int ret = -1;

    if (eb_read_file(path, 65536, &text, &len, err) < 0) {
        if (err->code != ENOENT)
            return -1;
        eb_error_clear(err);
        return 0;
    }
    o = json_tokener_parse(text);
    classes = o ? eb_msg_obj(o, "classes", json_type_array, false, err) : NULL;
    if (classes == NULL) {
        if (!eb_error_is_set(err))
            eb_error_set(err, EINVAL, "%s: not JSON", path);
        goto out;
    }
    for (i = 0; i < json_object_array_length(classes); i++) {
        json_object *c = json_object_array_get_idx(classes, i);
        int64_t mem, cpus, size;
        if (!json_object_is_type(c, json_type_object)) {
            eb_error_set(err, EINVAL, "%s: classes[%zu] is not an object", path, i);
            goto out;
        }
        if (eb_msg_int(c, "memory_mib", 0, 1 << 20, false, &mem, err) < 0
            || eb_msg_int(c, "vcpus", 0, 4096, false, &cpus, err) < 0
            || eb_msg_int(c, "size", 0, 1 << 20, false, &size, err) < 0
            || class_add(cfg, (uint64_t) mem, (uint64_t) cpus, (uint64_t) size, err) < 0)
            goto out;
    }
    ret = 0;
out:
    if (ret < 0)
        eb_error_wrap(err, "pool configuration");
    json_object_put(o);
    return ret;
}

int eb_pool_config(eb_pool_config_t *cfg, eb_error_t *err)
{
    const char *env = getenv("EDGEBOX_POOL"), *file = getenv("EDGEBOX_POOL_CONFIG");

    memset(cfg, 0, sizeof(*cfg));
    if (env) {
        snprintf(cfg->source, sizeof(cfg->source), "EDGEBOX_POOL");
        return config_inline(cfg, env, err);
    }
    snprintf(cfg->source, sizeof(cfg->source), "%s", file && file[0] ? file : EB_POOL_CONFIG);
    return config_file(cfg, cfg->source, err);
}

const eb_pool_class_t *eb_pool_class_of(const eb_pool_config_t *cfg, unsigned mem, unsigned cpus)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (cfg->c[i].mem_mib == mem && cfg->c[i].vcpus == cpus)
            return &cfg->c[i];
    return NULL;
}
