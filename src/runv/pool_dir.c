/* pool_dir.c - the pool's directory, <root>/.runv-pool (pool.h): the
 * stamp a VM is booted with, the counters, the VMs as their directories
 * say, and stopping one. */
#include "runv/pool.h"
#include "runv/pool_internal.h"
#include "eb_config.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runv/sandbox.h"
#include "runv/vm.h"
#include "proto/frame.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------- stamp --- */

static void stat_part(char *buf, size_t size, const char *name, const char *path)
{
    struct stat st;
    size_t l = strlen(buf);

    if (stat(path, &st) < 0)
        memset(&st, 0, sizeof(st));
    snprintf(buf + l, size - l, " %s=%llu:%llu:%lld.%09ld", name, (unsigned long long) st.st_ino,
             (unsigned long long) st.st_size, (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* What booted a pooled VM: this runtime's version, the host-monitor
 * protocol, the guest image.  A VM of another stamp is never claimed, and
 * a filler stops it (an upgrade drains the old runtime's pool).  Not the
 * binary: the OCI CLI, edgebox-pool.service (the CLI) and the containerd
 * shim are three binaries of one build and claim each other's VMs (with
 * the binary in it a shim stopped every VM `edgebox pool fill` booted and
 * claimed none).  A filler whose own binary was replaced defers to the
 * new one (replaced_runtime). */
void eb_pool_stamp(char *buf, size_t size)
{
    eb_guest_image_t img = { 0 };
    eb_error_t ign = { 0 };

    snprintf(buf, size, "edgebox %s proto %d", EB_VERSION, EB_PROTO_VERSION);
    if (eb_guest_image_find(&img, &ign) == 0) {
        stat_part(buf, size, "kernel", img.kernel);
        stat_part(buf, size, "initrd", img.initrd);
        eb_guest_image_free(&img);
    }
}

/* ---------------------------------------------------------- counters --- */

void eb_pool_count(const char *root, const char *what)
{
    _cleanup_free_ char *dir = eb_strdup_printf("%s/" EB_POOL_DIR, root);
    _cleanup_free_ char *path = eb_strdup_printf("%s/stats.json", dir), *text = NULL;
    _cleanup_close_ int lock = -1;
    eb_error_t ign = { 0 };
    json_object *o = NULL, *v;
    size_t len;
    const char *s;

    if (eb_mkdir_p(dir, 0700, &ign) < 0)
        return;
    lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0 || flock(lock, LOCK_EX) < 0)
        return;
    if (eb_read_file(path, 4096, &text, &len, &ign) == 0)
        o = json_tokener_parse(text);
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = json_object_new_object();
    }
    json_object_object_add(o, what, json_object_new_int64(
        (json_object_object_get_ex(o, what, &v) ? json_object_get_int64(v) : 0) + 1));
    s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    eb_write_file_atomic(dir, "stats.json", s, strlen(s), &ign);
    json_object_put(o);
}

/* --------------------------------------------------------------- VMs --- */

/* The pool's VMs as their directories say (bounded: EB_POOL_MAX_VMS). */
size_t eb_pool_list_vms(const char *pdir, eb_pool_vm_t *v, size_t max)
{
    _cleanup_closedir_ DIR *d = opendir(pdir);
    struct dirent *e;
    char stamp[1024];
    size_t n = 0;

    eb_pool_stamp(stamp, sizeof(stamp));
    while (d && n < max && (e = readdir(d))) {
        _cleanup_free_ char *dir = NULL, *pj = NULL, *rd = NULL, *text = NULL;
        eb_error_t ign = { 0 };
        json_object *o, *x;
        size_t len;

        if (e->d_name[0] != 'p' || e->d_type != DT_DIR || !eb_id_valid(e->d_name)
            || strlen(e->d_name) >= sizeof(v->name))
            continue;
        dir = eb_strdup_printf("%s/%s", pdir, e->d_name);
        pj = eb_strdup_printf("%s/pool.json", dir);
        rd = eb_strdup_printf("%s/ready", dir);
        memset(&v[n], 0, sizeof(v[n]));
        snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
        v[n].alive = eb_sandbox_read_pid(dir, "monitor") > 0;
        v[n].ready = access(rd, F_OK) == 0;
        v[n].stale = true;
        if (eb_read_file(pj, 8192, &text, &len, &ign) == 0 && (o = json_tokener_parse(text))) {
            if (json_object_object_get_ex(o, "memory_mib", &x))
                v[n].mem_mib = (unsigned) json_object_get_int(x);
            if (json_object_object_get_ex(o, "vcpus", &x))
                v[n].vcpus = (unsigned) json_object_get_int(x);
            v[n].stale = !json_object_object_get_ex(o, "stamp", &x) || strcmp(json_object_get_string(x), stamp) != 0;
            json_object_put(o);
        }
        n++;
    }
    return n;
}

/* Stop a pooled VM: its monitor, then whatever it recorded. */
void eb_pool_stop_vm(const char *pdir, const char *name)
{
    _cleanup_free_ char *dir = eb_strdup_printf("%s/%s", pdir, name);
    pid_t mon = eb_sandbox_read_pid(dir, "monitor");
    int i;

    if (mon > 0) {
        kill(mon, SIGKILL);
        for (i = 0; i < 300 && eb_pid_starttime(mon) != 0; i++) {
            if (waitpid(mon, NULL, WNOHANG) == mon)
                break;
            usleep(10000);
        }
    }
    eb_sandbox_teardown(dir);
}
