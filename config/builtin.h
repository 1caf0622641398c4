/* The built-in configurations (config/builtin.c). */
#ifndef CONFIGS_CONFIGS_H
#define CONFIGS_CONFIGS_H

#include "config/config.h"

extern const struct hv_config hv_configs[];
extern const unsigned nr_hv_configs;

#endif
