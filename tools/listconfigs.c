/*
 * Host tool: print the names of the user-facing built-in configurations (config/builtin.c),
 * one a line, in table order. tools/mkimage.sh --menu makes one GRUB entry of each.
 */
#include <stdio.h>

#include "config/builtin.h"

int main(void)
{
	for (unsigned i = 0; i < nr_hv_configs; i++)
		if (hv_config_visible(&hv_configs[i]))
			printf("%s\n", hv_configs[i].name);
	return 0;
}
