/* cgroup_bpf.c - device access rules for cgroup v2, which has no devices
 * files: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to
 * the container's cgroup.  Rules are checked last-to-first and the first
 * match decides, which gives OCI's "later rules win"; no match denies. */
#include "core/cgroup_internal.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

size_t eb_cgroup_device_rules(const eb_resources_t *res, const eb_spec_t *spec, eb_device_rule_t **out)
{
    static const eb_device_rule_t defaults[] = {
        { true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },
        { true, 'c', 1, 3, "rwm" }, { true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 7, "rwm" },
        { true, 'c', 1, 8, "rwm" }, { true, 'c', 1, 9, "rwm" }, { true, 'c', 5, 0, "rwm" },
        { true, 'c', 5, 2, "rwm" }, { true, 'c', 136, -1, "rwm" },
    };
    size_t nres = res ? res->n_devices : 0, ndev = spec ? spec->n_devices : 0, n = 0, i;
    eb_device_rule_t *r = eb_xcalloc(nres + ndev + EB_ARRAY_SIZE(defaults), sizeof(*r));
    for (i = 0; i < nres; i++)
        r[n++] = res->devices[i];
    /* Devices the spec creates are usable by the container. */
    for (i = 0; i < ndev; i++) {
        const eb_linux_device_t *d = &spec->devices[i];
        if (d->type == 'p')
            continue;
        r[n++] = (eb_device_rule_t) { true, d->type == 'u' ? 'c' : d->type, d->major, d->minor, "rwm" };
    }
    for (i = 0; i < EB_ARRAY_SIZE(defaults); i++)
        r[n++] = defaults[i];
    *out = r;
    return n;
}

int eb_cgroup_bpf_build(const eb_device_rule_t *rules, size_t n, void **out, eb_error_t *err)
{
    /* Each rule takes at most 9 instructions; the prologue 6, the tail 2. */
    struct bpf_insn *p = eb_xcalloc(8 + n * 9, sizeof(*p));
    size_t k = 0, i;

    if (n > 4096) {
        free(p);
        return eb_error_set(err, E2BIG, "too many device rules (%zu)", n);
    }
    p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
    p[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF);
    p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
    p[k++] = INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
    p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
    p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
    for (i = n; i-- > 0;) {
        const eb_device_rule_t *r = &rules[i];
        struct bpf_insn blk[9];
        size_t b = 0, j;
        int acc = 0, jumps[4], nj = 0;
        const char *a;
        for (a = r->access; *a; a++)
            acc |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
        if (r->type != 'a') {
            jumps[nj++] = (int) b;
            blk[b++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                            r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        }
        if (acc != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
            blk[b++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
            blk[b++] = INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, ~acc & 7);
            jumps[nj++] = (int) b;
            blk[b++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, 0, 0);
        }
        if (r->major >= 0) {
            jumps[nj++] = (int) b;
            blk[b++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t) r->major);
        }
        if (r->minor >= 0) {
            jumps[nj++] = (int) b;
            blk[b++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t) r->minor);
        }
        blk[b++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
        blk[b++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        for (j = 0; j < (size_t) nj; j++)
            blk[jumps[j]].off = (int16_t) (b - (size_t) jumps[j] - 1);
        memcpy(p + k, blk, b * sizeof(*p));
        k += b;
        /* A rule matching everything ends the program: what follows would
         * be unreachable, which the verifier rejects. */
        if (nj == 0) {
            *out = p;
            return (int) k;
        }
    }
    p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
    p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    *out = p;
    return (int) k;
}

static int bpf_call(int cmd, union bpf_attr *attr)
{
    return (int) syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int eb_cgroup_bpf_devices(int dirfd, const eb_device_rule_t *rules, size_t n, eb_error_t *err)
{
    _cleanup_free_ void *insns = NULL;
    _cleanup_close_ int prog = -1;
    char log[4096] = "";
    uint32_t old_ids[64], n_old = 64, i;
    union bpf_attr attr;
    int cnt = eb_cgroup_bpf_build(rules, n, &insns, err);

    if (cnt < 0)
        return -1;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t) (uintptr_t) insns;
    attr.insn_cnt = (uint32_t) cnt;
    attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
    prog = bpf_call(BPF_PROG_LOAD, &attr);
    if (prog < 0) {
        /* Load again with the verifier's log, only to explain the failure
         * (a log buffer too small for a good program is itself ENOSPC). */
        int e = errno;
        attr.log_buf = (uint64_t) (uintptr_t) log;
        attr.log_size = sizeof(log);
        attr.log_level = 1;
        prog = bpf_call(BPF_PROG_LOAD, &attr);
        if (prog < 0)
            return eb_error_set(err, e, "load the device eBPF program (%s)", log[0] ? log : "no verifier log");
    }
    /* Remember what is attached now, attach ours, then drop the old ones,
     * so there is no window without a device filter. */
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t) dirfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t) (uintptr_t) old_ids;
    attr.query.prog_cnt = n_old;
    if (bpf_call(BPF_PROG_QUERY, &attr) < 0)
        n_old = 0;
    else
        n_old = attr.query.prog_cnt > 64 ? 64 : attr.query.prog_cnt;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t) dirfd;
    attr.attach_bpf_fd = (uint32_t) prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf_call(BPF_PROG_ATTACH, &attr) < 0)
        return eb_error_set(err, errno, "attach the device eBPF program");
    for (i = 0; i < n_old; i++) {
        _cleanup_close_ int ofd = -1;
        memset(&attr, 0, sizeof(attr));
        attr.prog_id = old_ids[i];
        ofd = bpf_call(BPF_PROG_GET_FD_BY_ID, &attr);
        if (ofd < 0)
            continue;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) dirfd;
        attr.attach_bpf_fd = (uint32_t) ofd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        bpf_call(BPF_PROG_DETACH, &attr);
    }
    return 0;
}
