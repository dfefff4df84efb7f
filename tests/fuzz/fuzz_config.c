/* fuzz_config.c -- bytes as the configuration file (umlmon(5)): parsed,
 * every VM looked up by name, freed. */
#include "fuzz.h"

#include <stdio.h>
#include <unistd.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fuzz_memfd("umlmon.conf", data, size);
	char path[64];
	struct config *cfg;
	struct err e;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	cfg = config_load(path, &e);
	if (!cfg)
		fuzz_die("%s: %s", path, e.msg);
	/* what the monitor and umladmin do next */
	for (int i = 0; i < cfg->nvms; i++)
		if (config_vm(cfg, cfg->vms[i].name) == NULL)
			fuzz_die("[%s] parsed but not found", cfg->vms[i].name);
	config_free(cfg);
	close(fd);
	return 0;
}
