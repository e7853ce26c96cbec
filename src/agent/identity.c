/* identity.c - the clock and entropy of a guest handed to a sandbox.
 *
 * A pooled guest waited, booted, for an unknown time: its clock drifted
 * under emulation and its CRNG was seeded before the sandbox existed.
 * The host sends its CLOCK_REALTIME and bytes from its getrandom(); the
 * guest sets the clock and adds the bytes with RNDADDENTROPY, which also
 * credits them and so reseeds the CRNG before any container runs. */
#include "agent/identity.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "proto/message.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static int set_clock(json_object *req, eb_error_t *err)
{
    json_object *t = eb_msg_obj(req, "time", json_type_object, true, err);
    int64_t sec, nsec;
    struct timespec ts;

    if (t == NULL)
        return eb_error_is_set(err) ? -1 : 0;
    if (eb_msg_int(t, "sec", 0, INT64_MAX / 2, false, &sec, err) < 0
        || eb_msg_int(t, "nsec", 0, 999999999, false, &nsec, err) < 0)
        return -1;
    ts.tv_sec = (time_t) sec;
    ts.tv_nsec = (long) nsec;
    if (clock_settime(CLOCK_REALTIME, &ts) < 0)
        return eb_error_set(err, errno, "set the guest's clock");
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Mix the host's bytes in and credit them: 8 bits a byte, as the host's
 * getrandom() output is full entropy. */
static int add_entropy(json_object *req, int64_t *bits, eb_error_t *err)
{
    const char *hex = NULL;
    size_t n, i;
    _cleanup_close_ int fd = -1;
    struct {
        struct rand_pool_info info;
        unsigned char buf[EB_CLAIM_ENTROPY_MAX];
    } e;

    *bits = 0;
    if (eb_msg_str(req, "entropy", 2 * EB_CLAIM_ENTROPY_MAX, true, &hex, err) < 0)
        return -1;
    if (hex == NULL)
        return 0;
    n = strlen(hex);
    if (n == 0 || n % 2)
        return eb_error_set(err, EINVAL, "entropy: %zu hex digits", n);
    for (i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return eb_error_set(err, EINVAL, "entropy: not lower-case hex");
        e.buf[i] = (unsigned char) (hi << 4 | lo);
    }
    e.info.entropy_count = (int) (n / 2 * 8);
    e.info.buf_size = (int) (n / 2);
    fd = open("/dev/random", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ioctl(fd, RNDADDENTROPY, &e.info) < 0)
        return eb_error_set(err, errno, "RNDADDENTROPY");
    explicit_bzero(e.buf, sizeof(e.buf));
    *bits = e.info.entropy_count;
    return 0;
}

int eb_agent_identity(json_object *req, json_object *resp, eb_error_t *err)
{
    _cleanup_free_ char *boot_id = NULL;
    eb_error_t ign = { 0 };
    int64_t bits;
    size_t len;

    if (set_clock(req, err) < 0 || add_entropy(req, &bits, err) < 0)
        return -1;
    json_object_object_add(resp, "entropy_bits", json_object_new_int64(bits));
    if (eb_read_file("/proc/sys/kernel/random/boot_id", 64, &boot_id, &len, &ign) == 0) {
        boot_id[strcspn(boot_id, "\n")] = 0;
        json_object_object_add(resp, "boot_id", json_object_new_string(boot_id));
    }
    return 0;
}
