/* hostnet_query.c -- the host's network interfaces, read without netlink
 * (see hostnet_query.h). */
#include "host/hostnet_query.h"

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"

int hostnet_link_exists(const char *name)
{
	/* if_nametoindex refuses a name too long for an interface */
	return name && *name && if_nametoindex(name) != 0;
}

int hostnet_tap_owner(const char *name, uid_t *owner)
{
	char path[128], *s;

	/* an existing interface's name is one the kernel took: no '/', not
	 * "." or "..", so it cannot lead out of /sys/class/net */
	if (!hostnet_link_exists(name))
		return 0;
	/* only tun and tap devices have tun_flags */
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	if (access(path, F_OK) < 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/owner", name);
	s = read_file(path, 64, NULL);
	*owner = s ? (uid_t)atol(s) : (uid_t)-1;
	free(s);
	return 1;
}
