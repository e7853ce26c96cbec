/* process.h - turning the calling process into the spec's process:
 * rlimits, identity and capabilities, LSM labels, executable lookup. */
#ifndef EB_PROCESS_H
#define EB_PROCESS_H

#include "common/error.h"
#include "spec/spec.h"

int eb_process_set_rlimits(const eb_process_t *p, eb_error_t *err);
/* Bounding set, groups, gid, uid, then the other capability sets and the
 * ambient set, then umask.  Needs CAP_SETPCAP/SETUID/SETGID on entry. */
int eb_process_set_user(const eb_process_t *p, eb_error_t *err);
/* Every capability P asks for can be granted here (known to the kernel, in
 * the caller's bounding set); else an error naming the set and the cap. */
int eb_process_check_caps(const eb_process_t *p, eb_error_t *err);
int eb_process_set_oom_score_adj(const eb_process_t *p, eb_error_t *err);
/* AppArmor profile / SELinux label for the next execve; nothing when the
 * LSM is not active, as runc on such a host. */
int eb_process_set_lsm(const eb_process_t *p, eb_error_t *err);
/* Resolve args[0] through PATH from the process env; heap path. */
char *eb_process_find_executable(const eb_process_t *p, eb_error_t *err);
bool eb_lsm_apparmor_enabled(void);
bool eb_lsm_selinux_enabled(void);

#endif
