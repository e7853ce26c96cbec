/* log_files.h - the io.edgebox.log-files annotation: the in-guest log
 * files a runv container declares, followed by the agent and written on
 * the host in the CRI format.
 *
 * The value is a comma-separated list of absolute paths inside the
 * container; the last component may be a glob (`*`, `?`, `[...]`).  Paths
 * are resolved inside the container's root (symlinks cannot leave it). */
#ifndef EB_SPEC_LOG_FILES_H
#define EB_SPEC_LOG_FILES_H

#include <stddef.h>

#include "common/error.h"

#define EB_ANNOT_LOG_FILES "io.edgebox.log-files"
#define EB_LOG_PATTERNS_MAX 16
#define EB_LOG_PATTERN_MAX 1024

/* One pattern: absolute, no empty, "." or ".." components, glob
 * characters only in the last component, printable ASCII. */
int eb_log_pattern_check(const char *p, eb_error_t *err);
/* Split and check an annotation value into *OUT (NULL-terminated). */
int eb_log_patterns_parse(const char *value, char ***out, size_t *n, eb_error_t *err);
void eb_log_patterns_free(char **v);

#endif
