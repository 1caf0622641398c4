/*
 * The VMX backend's part of VM checkpoints (vmx/ckpt.c): what hv/ hands ckpt_init.
 */
#ifndef VMX_CKPT_H
#define VMX_CKPT_H

#include "vm/ckpt.h"

extern const struct ckpt_arch vmx_ckpt_arch;

#endif
