/* class_internal.h - what the classes' files share inside src/class. */
#ifndef EB_CLASS_INTERNAL_H
#define EB_CLASS_INTERNAL_H

#include "class/class.h"

/* runv_check.c: QEMU, the accelerator, the guest clock and image, the
 * node's boot record, virtiofsd, taps and tc. */
int eb_class_runv_check(const char *root, eb_check_fn line, void *ctx);

#endif
