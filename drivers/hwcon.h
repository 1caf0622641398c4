/* The machine's console backend: COM1 (polled 16550) mirrored to port 0xE9. */
#ifndef DRIVERS_HWCON_H
#define DRIVERS_HWCON_H

#include "lib/console.h"

extern const struct console_backend hwcon_backend;

#endif
