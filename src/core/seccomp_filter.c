/* seccomp_filter.c - translate the spec's profile to a BPF program with
 * libseccomp, cache it, and load it with seccomp(2).  Syscall names the
 * running libseccomp does not know are skipped (profiles list calls of
 * newer kernels), as runc and crun do. */
#include "core/seccomp_filter.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

struct eb_seccomp_filter {
    scmp_filter_ctx ctx;
    int notify;
    unsigned int flags;         /* SECCOMP_FILTER_FLAG_* */
    struct sock_filter *insns;
    size_t n_insns;
};

#define CACHE_MAGIC 0x45425343u /* "EBSC" */
#define CACHE_MAX_INSNS 65536   /* BPF_MAXINSNS is 4096; generous bound */

static char *cache_path(const char *dir, const char *key)
{
    /* FNV-1a names the file; the stored key decides a hit. */
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *p;
    for (p = (const unsigned char *) key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return eb_strdup_printf("%s/%016llx.bpf", dir, (unsigned long long) h);
}

static int cache_load(eb_seccomp_filter_t *f, const char *dir, const char *key)
{
    _cleanup_free_ char *path = cache_path(dir, key), *data = NULL;
    eb_error_t e = { 0 };
    size_t len, klen = strlen(key);
    uint32_t hdr[4];

    if (eb_read_file(path, 16 + klen + CACHE_MAX_INSNS * sizeof(struct sock_filter), &data, &len, &e) < 0)
        return -1;
    if (len < sizeof(hdr))
        return -1;
    memcpy(hdr, data, sizeof(hdr));
    if (hdr[0] != CACHE_MAGIC || hdr[1] != klen || hdr[3] == 0 || hdr[3] > CACHE_MAX_INSNS
        || len != sizeof(hdr) + klen + hdr[3] * sizeof(struct sock_filter)
        || memcmp(data + sizeof(hdr), key, klen) != 0)
        return -1;
    f->flags = hdr[2] & 0xffff;
    f->notify = (hdr[2] >> 16) & 1;
    f->n_insns = hdr[3];
    f->insns = eb_xcalloc(f->n_insns, sizeof(struct sock_filter));
    memcpy(f->insns, data + sizeof(hdr) + klen, f->n_insns * sizeof(struct sock_filter));
    return 0;
}

/* A cache entry: header, key, program. */
static char *entry_bytes(const eb_seccomp_filter_t *f, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    uint32_t hdr[4] = { CACHE_MAGIC, (uint32_t) klen, f->flags | ((unsigned) f->notify << 16), (uint32_t) f->n_insns };
    char *buf;

    *len = 16 + klen + f->n_insns * sizeof(struct sock_filter);
    buf = eb_xcalloc(1, *len);
    memcpy(buf, hdr, sizeof(hdr));
    memcpy(buf + sizeof(hdr), key, klen);
    memcpy(buf + sizeof(hdr) + klen, f->insns, f->n_insns * sizeof(struct sock_filter));
    return buf;
}

static void cache_store(const eb_seccomp_filter_t *f, const char *dir, const char *key)
{
    _cleanup_free_ char *path = cache_path(dir, key);
    _cleanup_free_ char *buf = NULL;
    size_t len;
    eb_error_t e = { 0 };
    const char *base = strrchr(path, '/') + 1;

    if (eb_mkdir_p(dir, 0700, &e) < 0)
        return;
    buf = entry_bytes(f, key, &len);
    /* A failed store only costs the next create a compile. */
    if (eb_write_file_atomic(dir, base, buf, len, &e) < 0)
        eb_debug("seccomp cache: %s", e.msg);
}

static int export_bpf(eb_seccomp_filter_t *f, eb_error_t *err)
{
    _cleanup_close_ int fd = memfd_create("eb-seccomp", MFD_CLOEXEC);
    struct stat sb;
    int r;
    if (fd < 0)
        return eb_error_set(err, errno, "memfd_create");
    r = seccomp_export_bpf(f->ctx, fd);
    if (r < 0)
        return eb_error_set(err, -r, "export the seccomp filter");
    if (fstat(fd, &sb) < 0 || sb.st_size <= 0 || (size_t) sb.st_size % sizeof(struct sock_filter) != 0
        || (size_t) sb.st_size / sizeof(struct sock_filter) > CACHE_MAX_INSNS)
        return eb_error_set(err, EINVAL, "seccomp filter of unexpected size");
    f->n_insns = (size_t) sb.st_size / sizeof(struct sock_filter);
    f->insns = eb_xcalloc(f->n_insns, sizeof(struct sock_filter));
    if (pread(fd, f->insns, (size_t) sb.st_size, 0) != sb.st_size)
        return eb_error_set(err, errno, "read the seccomp filter");
    return 0;
}

static uint32_t map_action(int a, const eb_opt_u64_t *errno_ret, uint32_t dflt_errno)
{
    switch (a) {
    case EB_SCMP_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
    case EB_SCMP_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
    case EB_SCMP_TRAP: return SCMP_ACT_TRAP;
    case EB_SCMP_ERRNO: return SCMP_ACT_ERRNO(errno_ret && errno_ret->set ? (uint32_t) errno_ret->v : dflt_errno);
    case EB_SCMP_TRACE: return SCMP_ACT_TRACE(errno_ret && errno_ret->set ? (uint32_t) errno_ret->v : dflt_errno);
    case EB_SCMP_LOG: return SCMP_ACT_LOG;
    case EB_SCMP_NOTIFY: return SCMP_ACT_NOTIFY;
    default: return SCMP_ACT_ALLOW;
    }
}

static int add_arches(eb_seccomp_filter_t *f, const eb_seccomp_t *sc, eb_error_t *err)
{
    for (size_t i = 0; sc->architectures && sc->architectures[i]; i++) {
        uint32_t arch = seccomp_arch_resolve_name(sc->architectures[i] + strlen("SCMP_ARCH_"));
        int r;
        if (arch == 0) {
            /* libseccomp spells names in lower case */
            char low[32];
            size_t k;
            snprintf(low, sizeof(low), "%s", sc->architectures[i] + strlen("SCMP_ARCH_"));
            for (k = 0; low[k]; k++)
                low[k] = (char) (low[k] >= 'A' && low[k] <= 'Z' ? low[k] + 32 : low[k]);
            arch = seccomp_arch_resolve_name(low);
        }
        if (arch == 0)
            continue;
        r = seccomp_arch_add(f->ctx, arch);
        if (r < 0 && r != -EEXIST)
            return eb_error_set(err, -r, "seccomp: add architecture %s", sc->architectures[i]);
    }
    return 0;
}

static int add_flags(eb_seccomp_filter_t *f, const eb_seccomp_t *sc, eb_error_t *err)
{
    static const struct { const char *name; int attr; unsigned int flag; } known[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW },
    };
    for (size_t i = 0; sc->flags && sc->flags[i]; i++) {
        int attr = -1, r;
        for (size_t k = 0; k < EB_ARRAY_SIZE(known) && attr < 0; k++)
            if (strcmp(sc->flags[i], known[k].name) == 0) {
                attr = known[k].attr;
                f->flags |= known[k].flag;
            }
        if (attr < 0) {
            eb_warn("seccomp flag %s is not supported by libseccomp %d.%d: ignored", sc->flags[i],
                    seccomp_version()->major, seccomp_version()->minor);
            continue;
        }
        r = seccomp_attr_set(f->ctx, (enum scmp_filter_attr) attr, 1);
        if (r < 0)
            return eb_error_set(err, -r, "seccomp: set flag %s", sc->flags[i]);
    }
    return 0;
}

/* Several comparisons of the same argument can't be ANDed by libseccomp. */
static bool same_arg_twice(const struct scmp_arg_cmp *cmps, size_t n)
{
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (cmps[a].arg == cmps[b].arg)
                return true;
    return false;
}

/* RULE for syscall NR (NAME, for messages) with its comparisons CMPS. */
static int add_syscall(eb_seccomp_filter_t *f, uint32_t action, int nr, const char *name,
                       const struct scmp_arg_cmp *cmps, size_t n, eb_error_t *err)
{
    int r;
    if (n > 1 && same_arg_twice(cmps, n)) {
        /* Like runc, add one rule per comparison then. */
        for (size_t k = 0; k < n; k++) {
            r = seccomp_rule_add_exact_array(f->ctx, action, nr, 1, &cmps[k]);
            if (r < 0)
                r = seccomp_rule_add_array(f->ctx, action, nr, 1, &cmps[k]);
            if (r < 0)
                return eb_error_set(err, -r, "seccomp: add rule for %s", name);
        }
        return 0;
    }
    r = seccomp_rule_add_array(f->ctx, action, nr, (unsigned) n, cmps);
    if (r < 0)
        return eb_error_set(err, -r, "seccomp: add rule for %s", name);
    return 0;
}

static int add_rule(eb_seccomp_filter_t *f, const eb_seccomp_t *sc, const eb_seccomp_rule_t *rule,
                    eb_error_t *err)
{
    uint32_t action = map_action(rule->action, &rule->errno_ret, EPERM);
    struct scmp_arg_cmp cmps[6];
    size_t n = rule->n_args, j;
    if (rule->action == EB_SCMP_NOTIFY)
        f->notify = 1;
    for (j = 0; j < n; j++) {
        cmps[j].arg = rule->args[j].index;
        cmps[j].op = (enum scmp_compare) rule->args[j].op;
        cmps[j].datum_a = rule->args[j].value;
        cmps[j].datum_b = rule->args[j].value_two;
    }
    for (j = 0; rule->names[j]; j++) {
        int nr = seccomp_syscall_resolve_name(rule->names[j]);
        if (nr == __NR_SCMP_ERROR) {
            eb_debug("seccomp: unknown syscall %s skipped", rule->names[j]);
            continue;
        }
        /* Rules equal to the default action are redundant and libseccomp
         * refuses them. */
        if (action == map_action(sc->default_action, &sc->default_errno_ret, EPERM))
            continue;
        if (add_syscall(f, action, nr, rule->names[j], cmps, n, err) < 0)
            return -1;
    }
    return 0;
}

/* What a cached filter is keyed by: the profile, and what compiled it
 * for which architecture (another libseccomp may compile it otherwise). */
static char *full_key(const char *key)
{
    const struct scmp_version *v = seccomp_version();
    return eb_strdup_printf("libseccomp %u.%u.%u arch %u\n%s", v->major, v->minor, v->micro, seccomp_arch_native(),
                            key);
}

int eb_seccomp_prepare(const eb_seccomp_t *sc, const char *key, const char *cache_dir,
                       eb_seccomp_filter_t **out, eb_error_t *err)
{
    _cleanup_seccomp_filter_ eb_seccomp_filter_t *f = NULL;
    _cleanup_free_ char *fullkey = NULL;

    *out = NULL;
    if (!sc->present)
        return 0;
    f = eb_xcalloc(1, sizeof(*f));
    if (key && cache_dir) {
        fullkey = full_key(key);
        if (cache_load(f, cache_dir, fullkey) == 0) {
            *out = eb_steal_ptr(f);
            return 0;
        }
    }
    f->ctx = seccomp_init(map_action(sc->default_action, &sc->default_errno_ret, EPERM));
    if (f->ctx == NULL)
        return eb_error_set(err, ENOMEM, "seccomp_init");
    f->notify = sc->default_action == EB_SCMP_NOTIFY;
    /* libseccomp would set no_new_privs itself: the spec decides that. */
    seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (add_arches(f, sc, err) < 0 || add_flags(f, sc, err) < 0)
        return -1;
    for (size_t i = 0; i < sc->n_syscalls; i++)
        if (add_rule(f, sc, &sc->syscalls[i], err) < 0)
            return -1;
    if (export_bpf(f, err) < 0)
        return -1;
    seccomp_release(f->ctx);
    f->ctx = NULL;
    if (fullkey)
        cache_store(f, cache_dir, fullkey);
    *out = eb_steal_ptr(f);
    return 0;
}

int eb_seccomp_export(const eb_seccomp_t *sc, const char *key, const char *cache_dir, char **name, char **data,
                      size_t *len, eb_error_t *err)
{
    _cleanup_seccomp_filter_ eb_seccomp_filter_t *f = NULL;
    _cleanup_free_ char *fullkey = full_key(key), *path = cache_path("", fullkey);

    *name = *data = NULL, *len = 0;
    if (eb_seccomp_prepare(sc, key, cache_dir, &f, err) < 0)
        return -1;
    if (f == NULL)
        return 0;
    *data = entry_bytes(f, fullkey, len);
    *name = eb_xstrdup(path + 1);
    return 0;
}

int eb_seccomp_load(eb_seccomp_filter_t *f, eb_error_t *err)
{
    struct sock_fprog prog = { .len = (unsigned short) f->n_insns, .filter = f->insns };
    unsigned int flags = f->flags | (f->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (r < 0)
        return eb_error_set(err, errno, "load seccomp filter");
    if (f->notify)
        return (int) r; /* with NEW_LISTENER the result is the notify fd */
    return -2;
}

int eb_seccomp_send_listener(const eb_seccomp_t *sc, int notify_fd, const char *state_json, eb_error_t *err)
{
    if (sc->listener_path == NULL)
        return eb_error_set(err, EINVAL, "linux.seccomp: SCMP_ACT_NOTIFY needs a listenerPath");
    return eb_unix_send_fd(sc->listener_path, notify_fd, state_json, strlen(state_json), "seccomp listener", err);
}

bool eb_seccomp_has_notify(const eb_seccomp_filter_t *f)
{
    return f && f->notify;
}

void eb_seccomp_free(eb_seccomp_filter_t *f)
{
    if (f == NULL)
        return;
    if (f->ctx)
        seccomp_release(f->ctx);
    free(f->insns);
    free(f);
}
