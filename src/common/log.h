/* log.h - the runtime's log, runc-style.
 *
 * Messages go to the --log file (or stderr) as text or as JSON lines
 * ({"level":..,"msg":..,"time":..}) the way containerd's shim parses
 * runc's log.  Debug messages are dropped unless --debug. */
#ifndef EB_LOG_H
#define EB_LOG_H

#include "common/error.h"

enum eb_log_level { EB_LOG_ERROR, EB_LOG_WARNING, EB_LOG_INFO, EB_LOG_DEBUG };
enum eb_log_format { EB_LOG_TEXT, EB_LOG_JSON };

/* PATH may be NULL (stderr).  Returns -1 and fills ERR when PATH can't be opened. */
int eb_log_init(const char *path, enum eb_log_format format, int debug, eb_error_t *err);
void eb_log(enum eb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A structured line: MSG and the NULL-terminated key/value string pairs
 * after it (a NULL value is JSON null, left out in text), as JSON fields
 * or text key="value" pairs. */
void eb_log_fields(enum eb_log_level level, const char *msg, ...) __attribute__((sentinel));
/* True when the log goes somewhere other than stderr (then errors are
 * printed to both, as runc does). */
int eb_log_is_file(void);
/* Log to FD (above 2, taken over) as to a file: for a front end whose
 * stderr is its own log and never a container's (the shim's: containerd
 * reads the bundle's "log" FIFO), so notes kept out of container stderr
 * (eb_log_is_file) still reach it. */
void eb_log_use_fd(int fd);
/* Log to PATH from now on, in the same format: a long-lived process (a
 * pooled sandbox's monitor) handed to a new owner logs to the owner's
 * file.  The descriptor number stays what it was when it was a file. */
int eb_log_reopen(const char *path, eb_error_t *err);
int eb_log_fd(void);

#define eb_debug(...) eb_log(EB_LOG_DEBUG, __VA_ARGS__)
#define eb_info(...) eb_log(EB_LOG_INFO, __VA_ARGS__)
#define eb_warn(...) eb_log(EB_LOG_WARNING, __VA_ARGS__)
#define eb_err(...) eb_log(EB_LOG_ERROR, __VA_ARGS__)

#endif
