/* netconf.c -- the network lines of umlmon(5):
 *   eth0 = host_to_host(proxy_if=proxy1, proxy_addr=192.168.2.1,
 *                       guest_addr=192.168.2.2[, host_if=eth0][, mac=M])
 *   eth0 = bridged(bridge_if=br0, proxy_if=proxy1[, guest_addr=A/N][, mac=M])
 *   eth0 = switched(switch=lab1[, guest_addr=A/N][, mac=M])
 * and MAC addresses and pools. */
#include "common/netconf.h"
#include "common/names.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

int mac_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++) {
		int hi, lo;

		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -1;
		hi = isdigit((unsigned char)s[0]) ? s[0] - '0' : (tolower(s[0]) - 'a' + 10);
		lo = isdigit((unsigned char)s[1]) ? s[1] - '0' : (tolower(s[1]) - 'a' + 10);
		v = v << 8 | (uint64_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	if (*s)
		return -1;
	*out = v;
	return 0;
}

void mac_format(uint64_t m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 (unsigned)(m >> 40) & 0xff, (unsigned)(m >> 32) & 0xff,
		 (unsigned)(m >> 24) & 0xff, (unsigned)(m >> 16) & 0xff,
		 (unsigned)(m >> 8) & 0xff, (unsigned)m & 0xff);
}

/* A unicast address (the group bit of the first octet clear), not zero. */
static int mac_unicast(uint64_t m)
{
	return m && !((m >> 40) & 1);
}

int netconf_parse_pool(const char *s, uint64_t *lo, uint64_t *hi, char *cause,
		       size_t len)
{
	char a[32], b[32];
	const char *dash = strchr(s, '-');

	if (!dash || (size_t)(dash - s) >= sizeof(a) || strlen(dash + 1) >= sizeof(b)) {
		snprintf(cause, len, "'%s': expected FIRST-LAST, e.g. %s", s,
			 UMLMON_DEFAULT_MAC_POOL);
		return -1;
	}
	snprintf(a, sizeof(a), "%.*s", (int)(dash - s), s);
	snprintf(b, sizeof(b), "%s", dash + 1);
	if (mac_parse(a, lo) < 0 || mac_parse(b, hi) < 0) {
		snprintf(cause, len, "'%s': not two MAC addresses (xx:xx:xx:xx:xx:xx)", s);
		return -1;
	}
	if (*lo > *hi) {
		snprintf(cause, len, "'%s': the first address is above the last", s);
		return -1;
	}
	if (!mac_unicast(*lo) || (*lo >> 40) != (*hi >> 40)) {
		snprintf(cause, len, "'%s': the addresses must be unicast (first "
			 "octet even) and share their first octet", s);
		return -1;
	}
	return 0;
}

static int ifname_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= IFNAME_MAX || !strcmp(v, ".") || !strcmp(v, ".."))
		return 0;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return 0;
	return 1;
}

static int ipv4_ok(const char *v)
{
	struct in_addr a;

	return inet_pton(AF_INET, v, &a) == 1;
}

/* a.b.c.d/n */
static int cidr_ok(const char *v)
{
	char a[20];
	const char *slash = strchr(v, '/');
	char *end;
	long n;

	if (!slash || (size_t)(slash - v) >= sizeof(a))
		return 0;
	snprintf(a, sizeof(a), "%.*s", (int)(slash - v), v);
	n = strtol(slash + 1, &end, 10);
	return ipv4_ok(a) && slash[1] && !*end && n >= 1 && n <= 32;
}

struct key {
	const char *name;
	char *dst;
	size_t size;
	int required;
	int (*ok)(const char *);
	const char *want;
};

int netconf_parse_nic(const char *val, struct nic_conf *n, char *cause, size_t len)
{
	char buf[256], *args, *close, *save = NULL;
	struct key keys[8];
	int nkeys = 0, kind = -1;
	size_t klen;

	memset(n, 0, sizeof(*n));
	snprintf(buf, sizeof(buf), "%s", val);
	args = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!args || !close || close < args || close[1]) {
		snprintf(cause, len, "'%s': expected host_to_host(...), bridged(...) "
			 "or switched(...)", val);
		return -1;
	}
	klen = (size_t)(args - buf);
	while (klen && buf[klen - 1] == ' ')
		klen--;
	for (int i = NIC_HOST_TO_HOST; i <= NIC_SWITCHED; i++)
		if (strlen(nic_kind_name(i)) == klen &&
		    !strncmp(buf, nic_kind_name(i), klen))
			kind = i;
	if (kind < 0) {
		snprintf(cause, len, "'%.*s': unknown kind of network (expected "
			 "host_to_host, bridged or switched)", (int)klen, buf);
		return -1;
	}
	n->kind = (enum nic_kind)kind;
	*close = '\0';
	args++;
#define KEY(nm, field, req, fn, w) \
	keys[nkeys++] = (struct key){nm, n->field, sizeof(n->field), req, fn, w}
	switch (n->kind) {
	case NIC_HOST_TO_HOST:
		KEY("proxy_if", proxy_if, 1, ifname_ok, "an interface name");
		KEY("proxy_addr", proxy_addr, 1, ipv4_ok, "an IPv4 address");
		KEY("guest_addr", guest_addr, 1, ipv4_ok, "an IPv4 address");
		KEY("host_if", host_if, 0, ifname_ok, "an interface name");
		break;
	case NIC_BRIDGED:
		KEY("bridge_if", bridge_if, 1, ifname_ok, "an interface name");
		KEY("proxy_if", proxy_if, 1, ifname_ok, "an interface name");
		KEY("guest_addr", guest_addr, 0, cidr_ok, "an IPv4 address with a prefix (a.b.c.d/n)");
		break;
	case NIC_SWITCHED:
		KEY("switch", sw, 1, NULL, "a name like a VM's");
		KEY("guest_addr", guest_addr, 0, cidr_ok, "an IPv4 address with a prefix (a.b.c.d/n)");
		break;
	}
	KEY("mac", mac, 0, NULL, "a unicast MAC address");
#undef KEY
	for (char *kv = strtok_r(args, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq, *k, *v, *end;
		struct key *found = NULL;

		while (*kv == ' ')
			kv++;
		end = kv + strlen(kv);
		while (end > kv && end[-1] == ' ')
			*--end = '\0';
		if (!*kv)
			continue;
		eq = strchr(kv, '=');
		if (!eq) {
			snprintf(cause, len, "'%s': expected key=value", kv);
			return -1;
		}
		*eq = '\0';
		k = kv;
		v = eq + 1;
		for (char *t = eq; t > k && t[-1] == ' '; t--)
			t[-1] = '\0';
		while (*v == ' ')
			v++;
		for (int i = 0; i < nkeys; i++)
			if (!strcmp(keys[i].name, k))
				found = &keys[i];
		if (!found) {
			struct strbuf sb;

			sb_init(&sb);
			for (int i = 0; i < nkeys; i++)
				sb_printf(&sb, "%s%s", i ? ", " : "", keys[i].name);
			snprintf(cause, len, "%s: unknown key '%s' (expected %s)",
				 nic_kind_name(kind), k, sb.buf);
			sb_free(&sb);
			return -1;
		}
		if (*found->dst) {
			snprintf(cause, len, "%s: '%s' given twice", nic_kind_name(kind), k);
			return -1;
		}
		if (strlen(v) >= found->size || !*v ||
		    (found->ok && !found->ok(v))) {
			snprintf(cause, len, "%s: %s '%s': expected %s", nic_kind_name(kind), k, v,
				 found->want);
			return -1;
		}
		snprintf(found->dst, found->size, "%s", v);
	}
	for (int i = 0; i < nkeys; i++)
		if (keys[i].required && !*keys[i].dst) {
			snprintf(cause, len, "%s: '%s' is missing", nic_kind_name(kind),
				 keys[i].name);
			return -1;
		}
	if (n->sw[0]) {
		struct err e;

		if (config_valid_name(n->sw, &e) < 0) {
			snprintf(cause, len, "switched: switch '%s': %s", n->sw, e.msg);
			return -1;
		}
	}
	if (n->mac[0]) {
		uint64_t m;

		if (mac_parse(n->mac, &m) < 0 || !mac_unicast(m)) {
			snprintf(cause, len, "%s: mac '%s': expected a unicast MAC "
				 "address (xx:xx:xx:xx:xx:xx, first octet even)",
				 nic_kind_name(kind), n->mac);
			return -1;
		}
		mac_format(m, n->mac);
	}
	if (n->kind == NIC_HOST_TO_HOST && !strcmp(n->proxy_addr, n->guest_addr)) {
		snprintf(cause, len, "host_to_host: proxy_addr and guest_addr are "
			 "the same address");
		return -1;
	}
	return 0;
}
