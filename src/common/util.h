/* util.h - small file, string and process helpers shared by every layer. */
#ifndef EB_UTIL_H
#define EB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"

/* Read at most MAX bytes of PATH into a NUL-terminated heap buffer.  A file
 * larger than MAX is an error (EFBIG): callers state the bound. */
int eb_read_file(const char *path, size_t max, char **out, size_t *len, eb_error_t *err);
int eb_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len, eb_error_t *err);

/* Write DATA to an existing file (cgroup and /proc knobs), no O_CREAT. */
int eb_write_file(const char *path, const char *data, size_t len, eb_error_t *err);
int eb_write_file_at(int dirfd, const char *name, const char *data, size_t len, eb_error_t *err);

/* Replace DIR/NAME atomically: write a temporary file, rename it over.
 * Readers and a crash of the writer see the old or the new file, never a
 * torn one.  No fsync: runtime state does not outlive the machine (it
 * lives on /run), and the fsync cost a millisecond per create. */
int eb_write_file_atomic(const char *dir, const char *name, const char *data, size_t len,
                         eb_error_t *err);

/* mkdir -p, MODE for each created component. */
int eb_mkdir_p(const char *path, mode_t mode, eb_error_t *err);

/* Allocating sprintf that never returns NULL (it exits on OOM, the one place
 * where edgebox gives up: nothing sensible can follow). */
char *eb_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *eb_xstrdup(const char *s);
void *eb_xcalloc(size_t n, size_t size);
void *eb_xrealloc(void *p, size_t size);

/* Parse a signal given as a number, "KILL" or "SIGKILL".  -1 when unknown. */
int eb_signal_parse(const char *s);
const char *eb_signal_name(int sig);

/* Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat);
 * 0 when the process does not exist.  Used to tell a recycled pid. */
unsigned long long eb_pid_starttime(pid_t pid);
/* What ps shows for this process (a fork of a front end): its argument
 * area overwritten, bounded by its length; comm too (proctitle.c). */
void eb_set_proc_title(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict decimal parsing: the whole string must be a number in range. */
int eb_parse_u64(const char *s, uint64_t *out);
int eb_parse_i64(const char *s, int64_t *out);

/* True when S is a valid container id: [A-Za-z0-9_.-]{1,1024}, not "." or "..". */
int eb_id_valid(const char *s);

/* The address of the unix socket PATH in *SA.  A PATH longer than
 * sun_path (108 bytes: containerd's 64-character ids under its default
 * runtime roots make 111) is reached through its directory: *DIRFD gets
 * an O_PATH descriptor of the directory and the address becomes
 * /proc/self/fd/N/NAME, which bind and connect resolve like the long path.
 * The caller closes *DIRFD (-1 when the path fitted) once bound/connected. */
struct sockaddr_un;
int eb_unix_addr(const char *path, struct sockaddr_un *sa, int *dirfd, eb_error_t *err);
/* Connect to the unix socket at PATH and send FD (SCM_RIGHTS) with
 * PAYLOAD as the message: the console-socket and seccomp-listener
 * protocols of runc.  WHAT names the peer in errors. */
int eb_unix_send_fd(const char *path, int fd, const void *payload, size_t len, const char *what,
                    eb_error_t *err);

/* Close every fd above 2 but the N in KEEP (-1 entries are ignored):
 * for long-lived children that must not hold their parent's locks,
 * sockets or the shim's pipes. */
void eb_close_fds_except(const int *keep, size_t n);

/* CLOCK_MONOTONIC in milliseconds: deadlines and timeouts. */
uint64_t eb_now_ms(void);
/* CLOCK's time MS milliseconds from now: a pthread_cond_timedwait deadline. */
struct timespec eb_deadline_in(clockid_t clock, uint64_t ms);
/* The wall clock now in RFC 3339 with nanoseconds, UTC ("...T12:00:00.000000001Z"). */
#define EB_RFC3339_LEN 40
void eb_now_rfc3339(char out[EB_RFC3339_LEN]);
/* Seconds since the epoch of an RFC 3339 time ("2026-11-23T12:00:00Z",
 * fractions and numeric offsets too); -1 when TS is not one. */
int eb_rfc3339_parse(const char *ts, double *secs);

/* Write all of BUF to FD, retrying on EINTR and short writes. */
int eb_write_all(int fd, const void *buf, size_t len);

#endif
