/* netconf.h -- the ethN lines of umlmon(5) and MAC addresses. */
#ifndef UMLMON_NETCONF_H
#define UMLMON_NETCONF_H

#include <stddef.h>
#include <stdint.h>

struct nic_conf;

/* "02:55:4d:4c:00:01" <-> a 48-bit number. */
int mac_parse(const char *s, uint64_t *out);
void mac_format(uint64_t m, char buf[18]);
/* "FIRST-LAST"; cause says what is wrong. */
int netconf_parse_pool(const char *s, uint64_t *lo, uint64_t *hi, char *cause,
		       size_t len);
/* host_to_host(...), bridged(...), switched(...) into n (index and line
 * are the caller's). */
int netconf_parse_nic(const char *val, struct nic_conf *n, char *cause, size_t len);

#endif
