/* vm.h - what a runv VM is made of on this host: the guest image, the
 * QEMU binary, the accelerator and the guest's clock. */
#ifndef EB_RUNV_VM_H
#define EB_RUNV_VM_H

#include "common/error.h"

typedef struct {
    char *kernel, *initrd;
} eb_guest_image_t;
int eb_guest_image_find(eb_guest_image_t *img, eb_error_t *err);
void eb_guest_image_free(eb_guest_image_t *img);
const char *eb_qemu_binary(void);
/* "kvm" when /dev/kvm can be opened, else "tcg". */
const char *eb_vm_accel(void);
/* The host's invariant TSC frequency (kHz), 0 if it has none: under TCG
 * the guest's TSC is the host's, and the guest is told its rate. */
unsigned eb_vm_host_tsc_khz(void);

#endif
