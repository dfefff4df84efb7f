/* Unit tests of the network configuration (the ethN lines, MAC pools) and
 * of the MAC pool's assignments (SHARED/macs): stable, unique, explicit
 * addresses checked, exhaustion named. No root, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/config.h"
#include "common/netconf.h"
#include "umlmon/cmdline.h"
#include "net/macpool.h"

static void parse_lines(void **state)
{
	struct nic_conf n;
	char cause[512];

	(void)state;
	assert_int_equal(netconf_parse_nic("host_to_host(proxy_if=proxy1, "
					   "proxy_addr=192.168.2.1, guest_addr=192.168.2.2, "
					   "host_if=eth0)", &n, cause, sizeof(cause)), 0);
	assert_int_equal(n.kind, NIC_HOST_TO_HOST);
	assert_string_equal(n.proxy_if, "proxy1");
	assert_string_equal(n.proxy_addr, "192.168.2.1");
	assert_string_equal(n.guest_addr, "192.168.2.2");
	assert_string_equal(n.host_if, "eth0");
	assert_int_equal(netconf_parse_nic("bridged(bridge_if=br0,proxy_if=proxy1)",
					   &n, cause, sizeof(cause)), 0);
	assert_int_equal(n.kind, NIC_BRIDGED);
	assert_string_equal(n.bridge_if, "br0");
	assert_int_equal(netconf_parse_nic("switched(switch=lab1, guest_addr=10.0.0.2/24, "
					   "mac=02:AA:bb:00:00:01)", &n, cause,
					   sizeof(cause)), 0);
	assert_string_equal(n.sw, "lab1");
	assert_string_equal(n.mac, "02:aa:bb:00:00:01");

#define BAD(line, want) do { \
		assert_int_equal(netconf_parse_nic(line, &n, cause, sizeof(cause)), -1); \
		if (!strstr(cause, want)) \
			fail_msg("'%s': cause '%s', wanted '%s'", line, cause, want); \
	} while (0)
	BAD("bridged(bridge_if=br0)", "bridged: 'proxy_if' is missing");
	BAD("wifi(ssid=x)", "'wifi': unknown kind of network");
	BAD("bridged", "expected host_to_host(...)");
	BAD("bridged(bridge_if=br0, proxy_if=p1) x", "expected host_to_host(...)");
	BAD("host_to_host(proxy_if=p1, proxy_addr=10.0.0.300, guest_addr=10.0.0.2)",
	    "proxy_addr '10.0.0.300': expected an IPv4 address");
	BAD("host_to_host(proxy_if=p1, proxy_addr=10.0.0.1, guest_addr=10.0.0.1)",
	    "the same address");
	BAD("bridged(bridge_if=br0, proxy_if=a-very-long-interface)",
	    "proxy_if 'a-very-long-interface': expected an interface name");
	BAD("bridged(bridge_if=br0, proxy_if=p/1)", "expected an interface name");
	BAD("bridged(bridge_if=br0, proxy_if=p1, guest_addr=10.0.0.2)",
	    "expected an IPv4 address with a prefix");
	BAD("switched(switch=lab1, mac=01:00:5e:00:00:01)", "expected a unicast MAC");
	BAD("switched(switch=lab1, mac=02:00:00:00:00)", "expected a unicast MAC");
	BAD("switched(switch=lab1, switch=lab2)", "'switch' given twice");
	BAD("switched(switch=lab1, bridge_if=br0)", "unknown key 'bridge_if'");
	BAD("switched(switch=../x)", "switch '../x'");
	BAD("switched(switch)", "expected key=value");
#undef BAD
}

static void macs_and_pools(void **state)
{
	uint64_t m, lo, hi;
	char buf[18], cause[256];

	(void)state;
	assert_int_equal(mac_parse("02:55:4d:4c:00:0A", &m), 0);
	assert_true(m == 0x02554d4c000aULL);
	mac_format(m, buf);
	assert_string_equal(buf, "02:55:4d:4c:00:0a");
	assert_int_equal(mac_parse("02:55:4d:4c:00", &m), -1);
	assert_int_equal(mac_parse("02:55:4d:4c:00:0g", &m), -1);
	assert_int_equal(mac_parse("02:55:4d:4c:00:00:", &m), -1);
	assert_int_equal(netconf_parse_pool("02:00:00:00:00:10-02:00:00:00:00:1f",
					    &lo, &hi, cause, sizeof(cause)), 0);
	assert_true(hi - lo == 15);
	assert_int_equal(netconf_parse_pool("02:00:00:00:00:10", &lo, &hi, cause,
					    sizeof(cause)), -1);
	assert_non_null(strstr(cause, "expected FIRST-LAST"));
	assert_int_equal(netconf_parse_pool("02:00:00:00:00:10-02:00:00:00:00:01",
					    &lo, &hi, cause, sizeof(cause)), -1);
	assert_non_null(strstr(cause, "above the last"));
	assert_int_equal(netconf_parse_pool("03:00:00:00:00:00-03:00:00:00:00:01",
					    &lo, &hi, cause, sizeof(cause)), -1);
	assert_non_null(strstr(cause, "unicast"));
}

static char dir[64];

static struct config *load(const char *body)
{
	char path[128];
	struct config *cfg;
	struct err e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/umlmon.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[GLOBAL]\nvardir = %s/var\nshared = %s\n"
		"mac_pool = 02:00:00:00:01:00-02:00:00:00:01:02\n%s", dir, dir, body);
	fclose(f);
	cfg = config_load(path, &e);
	assert_non_null(cfg);
	for (int i = 0; i < cfg->nerrors; i++)
		print_error("%s\n", cfg->errors[i]);
	return cfg;
}

static void pool_assign(void **state)
{
	struct config *cfg;
	char macs[VM_MAX_NICS][18], a0[18], a1[18];
	struct err e;

	(void)state;
	strcpy(dir, "/tmp/umlmon-net-XXXXXX");
	assert_non_null(mkdtemp(dir));
	cfg = load("[vm1]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = switched(switch=s)\neth1 = switched(switch=s)\n"
		   "[vm2]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = switched(switch=s)\n"
		   "[vm3]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = switched(switch=s)\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_int_equal(macpool_assign(cfg, config_vm(cfg, "vm1"), macs, &e), 0);
	assert_string_equal(macs[0], "02:00:00:00:01:00");
	assert_string_equal(macs[1], "02:00:00:00:01:01");
	strcpy(a0, macs[0]);
	strcpy(a1, macs[1]);
	/* again: the same */
	assert_int_equal(macpool_assign(cfg, config_vm(cfg, "vm1"), macs, &e), 0);
	assert_string_equal(macs[0], a0);
	assert_string_equal(macs[1], a1);
	assert_int_equal(macpool_assign(cfg, config_vm(cfg, "vm2"), macs, &e), 0);
	assert_string_equal(macs[0], "02:00:00:00:01:02");
	/* three addresses, all given out */
	assert_int_equal(macpool_assign(cfg, config_vm(cfg, "vm3"), macs, &e), -1);
	assert_non_null(strstr(e.msg, "eth0: the MAC pool 02:00:00:00:01:00-"
			       "02:00:00:00:01:02 is exhausted (3 addresses"));
	config_free(cfg);

	/* vm2 leaves the configuration: its address is free again; vm4
	 * names vm1's address explicitly: refused */
	cfg = load("[vm1]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = switched(switch=s)\neth1 = switched(switch=s)\n"
		   "[vm3]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = switched(switch=s)\n"
		   "[vm4]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = switched(switch=s, mac=02:00:00:00:01:01)\n");
	assert_int_equal(macpool_assign(cfg, config_vm(cfg, "vm3"), macs, &e), 0);
	assert_string_equal(macs[0], "02:00:00:00:01:02");
	assert_int_equal(macpool_assign(cfg, config_vm(cfg, "vm4"), macs, &e), -1);
	assert_non_null(strstr(e.msg, "eth0: mac 02:00:00:00:01:01 is already "
			       "vm1's eth1"));
	config_free(cfg);

	/* two sections with one explicit address: a configuration error */
	cfg = load("[vm1]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = switched(switch=s, mac=02:00:00:00:00:09)\n"
		   "[vm2]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = bridged(bridge_if=br0, proxy_if=p1, mac=02:00:00:00:00:09)\n"
		   "[vm3]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = bridged(bridge_if=br0, proxy_if=p1)\n");
	assert_int_equal(cfg->nerrors, 2);
	assert_non_null(strstr(cfg->errors[0], "eth0: mac 02:00:00:00:00:09 is "
			       "already vm1's eth0"));
	assert_non_null(strstr(cfg->errors[1], "eth0: proxy_if p1 is already "
			       "vm2's eth0"));
	config_free(cfg);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

static void kernel_args(void **state)
{
	struct config *cfg;
	struct cmdline cl;
	char macs[VM_MAX_NICS][18] = {"02:00:00:00:01:00", "02:00:00:00:01:01",
				      "02:00:00:00:01:02"};
	struct err e;

	(void)state;
	strcpy(dir, "/tmp/umlmon-net-XXXXXX");
	assert_non_null(mkdtemp(dir));
	cfg = load("[vm1]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "eth0 = host_to_host(proxy_if=p0, proxy_addr=10.0.0.1, guest_addr=10.0.0.2)\n"
		   "eth1 = bridged(bridge_if=br0, proxy_if=p1, guest_addr=10.1.0.2/24)\n"
		   "eth2 = switched(switch=lab1)\n"
		   "[vm2]\nvmuser = nobody\nubd0 = /disks/r.dsk\nnetdriver = tuntap\n"
		   "eth0 = bridged(bridge_if=br0, proxy_if=p2)\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_int_equal(cmdline_build(config_vm(cfg, "vm1"), macs, &cl, &e), 0);
	assert_non_null(strstr(cl.text, " vec0:transport=tap,ifname=p0,depth=128,gro=1,mac=02:00:00:00:01:00 "
			       "umlmon.net=vec0,10.0.0.2,10.0.0.1 "));
	assert_non_null(strstr(cl.text, " vec1:transport=tap,ifname=p1,depth=128,gro=1,mac=02:00:00:00:01:01 "
			       "umlmon.net=vec1,10.1.0.2/24"));
	assert_non_null(strstr(cl.text, " eth2=daemon,02:00:00:00:01:02,unix,"
			       "/shared/switches/lab1/ctl"));
	cmdline_free(&cl);
	assert_int_equal(cmdline_build(config_vm(cfg, "vm2"), macs, &cl, &e), 0);
	assert_non_null(strstr(cl.text, " eth0=tuntap,p2,02:00:00:00:01:00"));
	assert_null(strstr(cl.text, "umlmon.net="));
	cmdline_free(&cl);
	config_free(cfg);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_lines),
		cmocka_unit_test(macs_and_pools),
		cmocka_unit_test(pool_assign),
		cmocka_unit_test(kernel_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
