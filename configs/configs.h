/* The built-in configurations (configs/configs.c). */
#ifndef CONFIGS_CONFIGS_H
#define CONFIGS_CONFIGS_H

#include "vm/config.h"

extern const struct hv_config hv_configs[];
extern const unsigned nr_hv_configs;

#endif
