/* The built-in configurations (config/builtin.c). */
#ifndef CONFIGS_CONFIGS_H
#define CONFIGS_CONFIGS_H

#include "config/config.h"

extern const struct hv_config hv_configs[];
extern const unsigned nr_hv_configs;

/* Listed to users (GRUB menu, "no configuration named X; built in: ..."): not test-only. */
bool hv_config_visible(const struct hv_config *cfg);

#endif
