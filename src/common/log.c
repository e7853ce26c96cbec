/* log.c - text or JSON log lines to a file or stderr. */
#include "common/log.h"
#include "common/buf.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static enum eb_log_format log_format = EB_LOG_TEXT;
static int log_debug;

int eb_log_init(const char *path, enum eb_log_format format, int debug, eb_error_t *err)
{
    log_format = format;
    log_debug = debug;
    if (path != NULL && path[0] != 0) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            return eb_error_set(err, errno, "open log file `%s`", path);
        log_fd = fd;
    }
    return 0;
}

int eb_log_is_file(void) { return log_fd != 2; }

void eb_log_use_fd(int fd)
{
    if (fd > 2)
        log_fd = fd;
}

int eb_log_reopen(const char *path, eb_error_t *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

    if (fd < 0)
        return eb_error_set(err, errno, "open log file `%s`", path);
    if (log_fd == 2) {
        log_fd = fd;
        return 0;
    }
    if (dup3(fd, log_fd, O_CLOEXEC) < 0) {
        int e = errno;
        close(fd);
        return eb_error_set(err, e, "log to `%s`", path);
    }
    close(fd);
    return 0;
}
int eb_log_fd(void) { return log_fd; }

static size_t json_escape(char *out, size_t outlen, const char *in)
{
    size_t o = 0;
    for (; *in && o + 7 < outlen; in++) {
        unsigned char c = (unsigned char) *in;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char) c;
        } else if (c < 0x20) {
            o += (size_t) snprintf(out + o, outlen - o, "\\u%04x", c);
        } else {
            out[o++] = (char) c;
        }
    }
    out[o] = 0;
    return o;
}

static const char *const level_names[] = { "error", "warning", "info", "debug" };

/* One write per line: lines of threads and processes never interleave. */
static void write_line(const char *line, size_t n)
{
    if (write(log_fd, line, n) < 0) {
        /* nowhere left to report a failing log */
    }
}

void eb_log(enum eb_log_level level, const char *fmt, ...)
{
    char msg[2048], esc[4200], line[4400], ts[64];
    va_list ap;
    int n, saved = errno;

    if (level == EB_LOG_DEBUG && !log_debug)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    eb_now_rfc3339(ts);
    if (log_format == EB_LOG_JSON) {
        json_escape(esc, sizeof(esc), msg);
        n = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
                     level_names[level], esc, ts);
    } else {
        n = snprintf(line, sizeof(line), "time=\"%s\" level=%s msg=\"%s\"\n", ts, level_names[level], msg);
    }
    if (n > 0) {
        if ((size_t) n >= sizeof(line))
            n = sizeof(line) - 1;
        write_line(line, (size_t) n);
    }
    errno = saved;
}

void eb_log_fields(enum eb_log_level level, const char *msg, ...)
{
    char esc[4200], ts[64];
    eb_buf_t b = { 0 };
    const char *k;
    va_list ap;
    int saved = errno, json = log_format == EB_LOG_JSON;

    if (level == EB_LOG_DEBUG && !log_debug)
        return;
    eb_now_rfc3339(ts);
    json_escape(esc, sizeof(esc), msg);
    if (json)
        eb_buf_printf(&b, "{\"level\":\"%s\",\"msg\":\"%s\"", level_names[level], esc);
    else
        eb_buf_printf(&b, "time=\"%s\" level=%s msg=\"%s\"", ts, level_names[level], esc);
    va_start(ap, msg);
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        /* values are bounded like messages: a long one is cut, never the line */
        if (v)
            json_escape(esc, sizeof(esc), v);
        if (json)
            eb_buf_printf(&b, v ? ",\"%s\":\"%s\"" : ",\"%s\":null", k, esc);
        else if (v)
            eb_buf_printf(&b, " %s=\"%s\"", k, esc);
    }
    va_end(ap);
    if (json)
        eb_buf_printf(&b, ",\"time\":\"%s\"}", ts);
    eb_buf_puts(&b, "\n");
    write_line(b.p, b.len);
    eb_buf_free(&b);
    errno = saved;
}
