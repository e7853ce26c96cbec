/* bootstats.c - the node's record of runv boots: how many reached the
 * agent, how many needed the retry, how many failed, and the last retry's
 * console.  A boot that needs its retry is a defect (the guest's clock is
 * deterministic now), so it must stay visible after the sandbox is gone:
 * `edgebox check` prints this record.
 *
 * <root>/.runv/boot-stats.json, replaced atomically under
 * <root>/.runv/boot-stats.lock (monitors of several sandboxes update it).
 * It lives beside the sandboxes on /run: it counts since the node booted. */
#include "runv/bootstats.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATS_MAX (64 * 1024)

static char *runv_dir(const char *root)
{
    return eb_strdup_printf("%s/.runv", root);
}

int eb_bootstats_read(const char *root, eb_bootstats_t *st, eb_error_t *err)
{
    _cleanup_free_ char *dir = runv_dir(root);
    _cleanup_free_ char *path = eb_strdup_printf("%s/boot-stats.json", dir);
    _cleanup_free_ char *text = NULL;
    json_object *o, *v;
    size_t len;

    memset(st, 0, sizeof(*st));
    if (eb_read_file(path, STATS_MAX, &text, &len, err) < 0) {
        if (err->code != ENOENT)
            return -1;
        *err = (eb_error_t) { 0 };   /* no boot yet */
        return 0;
    }
    if ((o = eb_json_parse(text, len, 4, 0, err)) == NULL)
        return eb_error_wrap(err, "%s", path);
#define U64(key, field)                                                                                 \
    if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int))                \
        st->field = (uint64_t) json_object_get_int64(v);
    U64("boots", boots);
    U64("retried", retried);
    U64("failed", failed);
    U64("last_ms", last_ms);
#undef U64
    if (json_object_object_get_ex(o, "last_retry", &v) && json_object_is_type(v, json_type_string))
        snprintf(st->last_retry, sizeof(st->last_retry), "%s", json_object_get_string(v));
    json_object_put(o);
    return 0;
}

/* Add one event: EB_BOOT_READY (MS: boot to agent), EB_BOOT_RETRY (WHAT:
 * the sandbox and console tail), EB_BOOT_FAILED.  Best effort: a record
 * that cannot be written is warned about, never a reason to fail a boot. */
void eb_bootstats_add(const char *root, eb_boot_event_t ev, uint64_t ms, const char *what)
{
    _cleanup_free_ char *dir = runv_dir(root);
    _cleanup_free_ char *lock = eb_strdup_printf("%s/boot-stats.lock", dir);
    eb_bootstats_t st;
    eb_error_t err = { 0 };
    json_object *o;
    int fd;

    if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        eb_warn("boot record: open %s: %s", lock, strerror(errno));
        return;
    }
    flock(fd, LOCK_EX);
    if (eb_bootstats_read(root, &st, &err) < 0) {
        /* A damaged record starts again rather than stopping the count. */
        eb_warn("boot record: %s; starting a new one", err.msg);
        memset(&st, 0, sizeof(st));
        err = (eb_error_t) { 0 };
    }
    switch (ev) {
    case EB_BOOT_READY:
        st.boots++;
        st.last_ms = ms;
        break;
    case EB_BOOT_RETRY: {
        char when[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        st.retried++;
        snprintf(st.last_retry, sizeof(st.last_retry), "%s %s", when, what ? what : "");
        break;
    }
    case EB_BOOT_FAILED:
        st.failed++;
        break;
    }
    o = json_object_new_object();
    json_object_object_add(o, "boots", json_object_new_int64((int64_t) st.boots));
    json_object_object_add(o, "retried", json_object_new_int64((int64_t) st.retried));
    json_object_object_add(o, "failed", json_object_new_int64((int64_t) st.failed));
    json_object_object_add(o, "last_ms", json_object_new_int64((int64_t) st.last_ms));
    json_object_object_add(o, "last_retry", json_object_new_string(st.last_retry));
    {
        size_t len;
        const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        if (eb_write_file_atomic(dir, "boot-stats.json", text, len, &err) < 0)
            eb_warn("boot record: %s", err.msg);
    }
    json_object_put(o);
    close(fd);
}
