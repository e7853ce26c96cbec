/* sandbox.h - a sandbox's directory on the host, <root>/.runv/<sandbox-id>:
 * its sockets, pid files and the virtio-fs shared directory. */
#ifndef EB_RUNV_SANDBOX_H
#define EB_RUNV_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

char *eb_sandbox_dir(const char *root, const char *sid);
/* Record PID (with its start time) as DIR/NAME.pid; read it back (0 if gone). */
int eb_sandbox_write_pid(const char *dir, const char *name, pid_t pid, eb_error_t *err);
pid_t eb_sandbox_read_pid(const char *dir, const char *name);
/* Kill what DIR records, undo the pod network, unmount and remove DIR.
 * Safe on a half-built or already removed sandbox. */
void eb_sandbox_teardown(const char *dir);
/* Write NAME in the share's directory SUB (made if missing), DATA of LEN
 * bytes, atomically, following nothing the guest may have put there: the
 * guest can rename, link or replace anything under shared/ at any time. */
int eb_sandbox_put_file(const char *dir, const char *sub, const char *name, const void *data, size_t len,
                        eb_error_t *err);
/* Expose host path SRC in the shared dir as <cid>/<name>; returns the guest path. */
int eb_sandbox_share(const char *dir, const char *cid, const char *name, const char *src, bool file,
                     bool readonly, char **guest_path, eb_error_t *err);
void eb_sandbox_unshare(const char *dir, const char *cid);

#endif
