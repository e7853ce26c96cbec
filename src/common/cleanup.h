/* cleanup.h - scope-bound release of local resources (GCC/Clang cleanup
 * attribute).  Ownership leaves a scope only through eb_steal_ptr() /
 * eb_steal_fd(), which make the hand-off visible at the call site. */
#ifndef EB_CLEANUP_H
#define EB_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

static inline void eb_freep(void *p) { free(*(void **) p); }
static inline void eb_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void eb_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void eb_closedirp(DIR **d) { if (*d) closedir(*d); }

#define _cleanup_free_ __attribute__((cleanup(eb_freep)))
#define _cleanup_close_ __attribute__((cleanup(eb_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(eb_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(eb_closedirp)))

#define eb_steal_ptr(p) ({ __typeof__(p) _tmp = (p); (p) = NULL; _tmp; })
#define eb_steal_fd(fd) ({ int _tmp = (fd); (fd) = -1; _tmp; })

#define EB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
