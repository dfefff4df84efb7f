/* Tests of the host-side network code (net/hostnet.c), as root, in a
 * network namespace of the test's own: the group setup unshares the
 * network and mount namespaces and mounts a sysfs that shows the new
 * namespace's links, so nothing is done to the host's network and all of
 * it goes away with the process. What the library did is checked with
 * iproute2 (children of the test, so in its namespace), sysfs and procfs,
 * not with the library itself. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <cmocka.h>

#include "testutil.h"

#include "net/hostnet.h"

#define NOBODY 65534
#define OTHER 1234

/* Runs a shell command; its output (stdout and stderr) in a malloc'd
 * string, its exit status in *status if not NULL. */
static char *run(int *status, const char *fmt, ...)
{
	char cmd[1024], buf[4096];
	struct strbuf sb;
	va_list ap;
	size_t n;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	f = popen(cmd, "r");
	assert_non_null(f);
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	st = pclose(f);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return sb_steal(&sb);
}

/* Asserts that the output of cmd does (want 1) or does not (want 0)
 * contain needle; shows the output if not. */
static void check_out(const char *cmd, const char *needle, int want)
{
	char *out = run(NULL, "%s", cmd);
	int has = strstr(out, needle) != NULL;

	if (has != want) {
		print_error("'%s' %s '%s':\n%s", cmd,
			    want ? "lacks" : "has", needle, out);
		free(out);
		fail();
	}
	free(out);
}

#define assert_has(cmd, needle) check_out(cmd, needle, 1)
#define assert_lacks(cmd, needle) check_out(cmd, needle, 0)

/* The first line of a (sysfs, procfs) file; "" if there is none. */
static const char *read_line(const char *fmt, ...)
{
	static char buf[256];
	char path[PATH_MAX];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return buf;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The link as the kernel shows it in our namespace, without libnl. */
static int link_there(const char *name)
{
	char path[PATH_MAX];
	int in_sys, in_ip;

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	in_sys = access(path, F_OK) == 0;
	in_ip = test_sh("ip -o link show dev %s", name) == 0;
	assert_int_equal(in_sys, in_ip);
	return in_ip;
}

static void assert_msg(const struct err *e, const char *want)
{
	if (strcmp(e->msg, want))
		fail_msg("error '%s', want '%s'", e->msg, want);
}

static void assert_msg_has(const struct err *e, const char *want)
{
	if (!strstr(e->msg, want))
		fail_msg("error '%s' lacks '%s'", e->msg, want);
}

static void tap(const char *name, uid_t uid, gid_t gid)
{
	struct err e = {0};

	if (hostnet_tap_create(name, uid, gid, &e) < 0)
		fail_msg("tap %s: %s", name, e.msg);
}

static void del(const char *name)
{
	struct err e = {0};

	if (hostnet_link_delete(name, &e) < 0)
		fail_msg("delete %s: %s", name, e.msg);
	assert_false(link_there(name));
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_hostnet: needs root (it makes a network "
			"namespace, taps and bridges)\n");
		return -1;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		perror("test_hostnet: unshare(CLONE_NEWNET | CLONE_NEWNS)");
		return -1;
	}
	/* sysfs shows the links of the namespace that mounted it: mount
	 * ours, privately, over the host's */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
		perror("test_hostnet: mount sysfs");
		return -1;
	}
	if (test_sh("ip link set lo up") != 0) {
		fprintf(stderr, "test_hostnet: ip link set lo up failed\n");
		return -1;
	}
	/* a fresh namespace: nothing but lo */
	if (access("/sys/class/net/lo", F_OK) < 0 ||
	    test_sh("test \"$(ls /sys/class/net)\" = lo") != 0) {
		fprintf(stderr, "test_hostnet: not in a fresh namespace\n");
		return -1;
	}
	return 0;
}

static void test_tap_create(void **state)
{
	struct err e = {0};
	unsigned long flags;
	char *end;

	(void)state;
	assert_false(link_there("umltap0"));
	assert_int_equal(hostnet_link_exists("umltap0"), 0);
	assert_int_equal(hostnet_tap_create("umltap0", NOBODY, NOBODY, &e), 0);
	assert_true(link_there("umltap0"));
	assert_int_equal(hostnet_link_exists("umltap0"), 1);
	assert_string_equal(read_line("/sys/class/net/umltap0/owner"), "65534");
	assert_string_equal(read_line("/sys/class/net/umltap0/group"), "65534");
	flags = strtoul(read_line("/sys/class/net/umltap0/tun_flags"), &end, 16);
	assert_true(flags & IFF_TAP);
	assert_false(flags & IFF_TUN);
	assert_true(flags & IFF_NO_PI);
	assert_true(flags & IFF_PERSIST);
	/* the fd is closed: persistent, still there */
	assert_has("ip -d -o link show dev umltap0", "tun type tap");

	/* a tap or any other link of that name */
	assert_int_equal(hostnet_tap_create("umltap0", NOBODY, NOBODY, &e), -1);
	assert_msg(&e, "umltap0: already exists");
	assert_int_equal(hostnet_tap_create("lo", NOBODY, NOBODY, &e), -1);
	assert_msg(&e, "lo: already exists");
	/* the failed attempt left the tap alone */
	assert_string_equal(read_line("/sys/class/net/umltap0/owner"), "65534");

	assert_int_equal(hostnet_tap_create("", NOBODY, NOBODY, &e), -1);
	assert_msg(&e, "empty interface name");
	assert_int_equal(hostnet_tap_create("umltap0123456789", NOBODY, NOBODY,
					    &e), -1);
	assert_msg_has(&e, "umltap0123456789: interface name too long");
	assert_false(link_there("umltap012345678"));
	assert_int_equal(hostnet_tap_create("a/b", NOBODY, NOBODY, &e), -1);
	assert_msg(&e, "a/b: not a valid interface name");
	/* 15 characters is the longest name there is */
	tap("umltap012345678", NOBODY, NOBODY);
	assert_true(link_there("umltap012345678"));
	del("umltap012345678");

	assert_int_equal(hostnet_link_delete("umltap0", &e), 0);
	assert_false(link_there("umltap0"));
	assert_int_equal(hostnet_link_exists("umltap0"), 0);
	/* missing: not an error */
	assert_int_equal(hostnet_link_delete("umltap0", &e), 0);
	assert_int_equal(hostnet_link_delete("", &e), -1);

	/* -1: no group */
	tap("umltap1", NOBODY, (gid_t)-1);
	assert_string_equal(read_line("/sys/class/net/umltap1/owner"), "65534");
	assert_string_equal(read_line("/sys/class/net/umltap1/group"), "-1");
	del("umltap1");
}

static void test_up_p2p(void **state)
{
	struct err e = {0};
	unsigned long flags;

	(void)state;
	tap("umlp2p0", NOBODY, NOBODY);
	assert_int_equal(hostnet_addr_p2p("umlp2p0", "10.0.0.1", "10.0.0.2",
					  &e), 0);
	assert_has("ip -o addr show dev umlp2p0",
			    "inet 10.0.0.1 peer 10.0.0.2/32");
	/* the route comes with the link going up */
	assert_lacks("ip route show", "10.0.0.2");
	flags = strtoul(read_line("/sys/class/net/umlp2p0/flags"), NULL, 16);
	assert_false(flags & IFF_UP);

	assert_int_equal(hostnet_link_up("umlp2p0", &e), 0);
	flags = strtoul(read_line("/sys/class/net/umlp2p0/flags"), NULL, 16);
	assert_true(flags & IFF_UP);
	assert_has("ip -o link show dev umlp2p0", ",UP");
	assert_has("ip route show", "10.0.0.2 dev umlp2p0");
	assert_has("ip route get 10.0.0.2", "dev umlp2p0 src 10.0.0.1");
	/* up twice: fine */
	assert_int_equal(hostnet_link_up("umlp2p0", &e), 0);

	assert_int_equal(hostnet_addr_p2p("umlp2p0", "10.0.0.1", "10.0.0.2",
					  &e), -1);
	assert_msg(&e, "umlp2p0: add 10.0.0.1 peer 10.0.0.2: File exists");

	assert_int_equal(hostnet_addr_p2p("umlp2p0", "10.0.0", "10.0.0.2", &e),
			 -1);
	assert_msg(&e, "umlp2p0: 10.0.0: not an IPv4 address");
	assert_int_equal(hostnet_addr_p2p("umlp2p0", "10.0.0.3", "fe80::1", &e),
			 -1);
	assert_msg(&e, "umlp2p0: fe80::1: not an IPv4 address");
	assert_int_equal(hostnet_addr_p2p("umlp2p0", "10.0.0.3", "10.0.0.256",
					  &e), -1);
	assert_msg(&e, "umlp2p0: 10.0.0.256: not an IPv4 address");
	assert_int_equal(hostnet_addr_p2p("umlp2p0", "10.0.0.3", NULL, &e), -1);
	assert_msg_has(&e, "not an IPv4 address");
	assert_lacks("ip -o addr show", "10.0.0.3");

	assert_int_equal(hostnet_addr_p2p("nosuch0", "10.0.0.1", "10.0.0.2",
					  &e), -1);
	assert_msg(&e, "nosuch0: no such interface");
	assert_int_equal(hostnet_link_up("nosuch0", &e), -1);
	assert_msg(&e, "nosuch0: no such interface");

	/* the address and route go with the link */
	del("umlp2p0");
	assert_lacks("ip -o addr show", "10.0.0.1");
	assert_lacks("ip route show table all", "10.0.0.2");
}

static void test_enslave(void **state)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct err e = {0};
	ssize_t n;

	(void)state;
	assert_int_equal(test_sh("ip link add umlbr0 type bridge"), 0);
	tap("umlport0", NOBODY, NOBODY);
	tap("umlnotbr", NOBODY, NOBODY);

	assert_int_equal(hostnet_enslave("umlport0", "umlbr0", &e), 0);
	snprintf(path, sizeof(path), "/sys/class/net/umlport0/master");
	n = readlink(path, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(basename(target), "umlbr0");
	assert_has("bridge link show dev umlport0", "master umlbr0");

	assert_int_equal(hostnet_enslave("umlport0", "nosuchbr", &e), -1);
	assert_msg(&e, "nosuchbr: no such interface (the bridge must exist)");
	assert_int_equal(hostnet_enslave("umlport0", "umlnotbr", &e), -1);
	assert_msg(&e, "umlnotbr: not a bridge");
	/* a link of no kind at all */
	assert_int_equal(hostnet_enslave("umlport0", "lo", &e), -1);
	assert_msg(&e, "lo: not a bridge");
	assert_int_equal(hostnet_enslave("nosuch0", "umlbr0", &e), -1);
	assert_msg(&e, "nosuch0: no such interface");
	assert_int_equal(hostnet_enslave("umlport0", "", &e), -1);
	assert_msg(&e, "empty interface name");
	/* still a port of umlbr0 */
	assert_has("bridge link show dev umlport0", "master umlbr0");
	assert_int_equal(access("/sys/class/net/umlnotbr/master", F_OK), -1);

	/* the port goes, the bridge stays; then the bridge (not a tap) */
	del("umlport0");
	assert_lacks("bridge link", "umlport0");
	assert_true(link_there("umlbr0"));
	del("umlbr0");
	del("umlnotbr");
}

static void test_proxy_arp(void **state)
{
	struct err e = {0};

	(void)state;
	tap("umlpx0", NOBODY, NOBODY);
	assert_lacks("ip neigh show proxy", "10.0.0.9");
	assert_int_equal(hostnet_proxy_arp_add("umlpx0", "10.0.0.9", &e), 0);
	assert_has("ip neigh show proxy", "10.0.0.9 dev umlpx0 proxy");
	/* twice: still one entry */
	assert_int_equal(hostnet_proxy_arp_add("umlpx0", "10.0.0.9", &e), 0);
	assert_int_equal(test_sh("test $(ip neigh show proxy | grep -c '^10\\.0\\.0\\.9 ') = 1"),
			 0);
	/* not an ordinary neighbour entry */
	assert_lacks("ip neigh show nud all dev umlpx0", "10.0.0.9");

	assert_int_equal(hostnet_proxy_arp_add("umlpx0", "10.0.0", &e), -1);
	assert_msg(&e, "umlpx0: 10.0.0: not an IPv4 address");
	assert_int_equal(hostnet_proxy_arp_add("nosuch0", "10.0.0.9", &e), -1);
	assert_msg(&e, "nosuch0: no such interface");

	assert_int_equal(hostnet_proxy_arp_del("umlpx0", "10.0.0.9", &e), 0);
	assert_lacks("ip neigh show proxy", "10.0.0.9");
	/* missing entry, missing link: not errors */
	assert_int_equal(hostnet_proxy_arp_del("umlpx0", "10.0.0.9", &e), 0);
	assert_int_equal(hostnet_proxy_arp_del("nosuch0", "10.0.0.9", &e), 0);
	assert_int_equal(hostnet_proxy_arp_del("umlpx0", "x", &e), -1);
	assert_msg(&e, "umlpx0: x: not an IPv4 address");

	/* entries go with their link */
	assert_int_equal(hostnet_proxy_arp_add("umlpx0", "10.0.0.10", &e), 0);
	assert_has("ip neigh show proxy", "10.0.0.10 dev umlpx0");
	del("umlpx0");
	assert_lacks("ip neigh show proxy", "10.0.0.10");
}

static void test_forwarding(void **state)
{
	const char *f = "/proc/sys/net/ipv4/conf/umlfw0/forwarding";
	struct err e = {0};
	int before, old = -7;

	(void)state;
	tap("umlfw0", NOBODY, NOBODY);
	assert_int_equal(test_sh("echo 0 > %s", f), 0);
	before = atoi(read_line("%s", f));
	assert_int_equal(before, 0);

	assert_int_equal(hostnet_forwarding("umlfw0", 1, &old, &e), 0);
	assert_int_equal(old, 0);
	assert_string_equal(read_line("%s", f), "1");
	assert_int_equal(hostnet_forwarding("umlfw0", 1, &old, &e), 0);
	assert_int_equal(old, 1);
	assert_int_equal(hostnet_forwarding("umlfw0", 0, &old, &e), 0);
	assert_int_equal(old, 1);
	assert_string_equal(read_line("%s", f), "0");
	assert_int_equal(hostnet_forwarding("umlfw0", 1, NULL, &e), 0);
	assert_string_equal(read_line("%s", f), "1");
	/* only this link */
	assert_string_equal(read_line("/proc/sys/net/ipv4/conf/lo/forwarding"),
			    "0");

	assert_int_equal(hostnet_forwarding("nosuch0", 1, &old, &e), -1);
	assert_msg_has(&e, "nosuch0: no such interface");
	assert_int_equal(hostnet_forwarding("..", 1, &old, &e), -1);
	assert_msg(&e, "..: not a valid interface name");
	del("umlfw0");
}

/* Each error carries a code the caller can act on (the RPC status of a
 * start comes from it): not only the message. */
static void assert_code(const struct err *e, enum err_code code, int sys)
{
	if (e->code != code || e->sys != sys)
		fail_msg("error '%s': code %d errno %d, want code %d errno %d",
			 e->msg, e->code, e->sys, code, sys);
}

static void test_codes(void **state)
{
	struct err e = {0};
	int old;

	(void)state;
	tap("umlcode0", NOBODY, NOBODY);
	assert_int_equal(test_sh("ip link add umlcodebr type bridge"), 0);

	/* refused before any request */
	assert_int_equal(hostnet_link_up("a/b", &e), -1);
	assert_code(&e, ERR_INVAL, 0);
	assert_int_equal(hostnet_addr_p2p("umlcode0", "10.1.0.1", "x", &e), -1);
	assert_code(&e, ERR_INVAL, 0);
	assert_int_equal(hostnet_tap_create("umlcode0", NOBODY, NOBODY, &e), -1);
	assert_code(&e, ERR_BUSY, 0);
	/* the link, or the bridge, is not there */
	assert_int_equal(hostnet_link_up("nosuch0", &e), -1);
	assert_code(&e, ERR_NOENT, 0);
	assert_int_equal(hostnet_proxy_arp_add("nosuch0", "10.1.0.9", &e), -1);
	assert_code(&e, ERR_NOENT, 0);
	assert_int_equal(hostnet_enslave("umlcode0", "nosuchbr", &e), -1);
	assert_code(&e, ERR_NOENT, 0);
	assert_int_equal(hostnet_enslave("umlcode0", "lo", &e), -1);
	assert_code(&e, ERR_INVAL, 0);
	assert_int_equal(hostnet_forwarding("nosuch0", 1, &old, &e), -1);
	assert_code(&e, ERR_NOENT, 0);
	/* the kernel's refusals keep its errno: an address that is there,
	 * a loopback device as a bridge port */
	assert_int_equal(hostnet_addr_p2p("umlcode0", "10.1.0.1", "10.1.0.2",
					  &e), 0);
	assert_int_equal(hostnet_addr_p2p("umlcode0", "10.1.0.1", "10.1.0.2",
					  &e), -1);
	assert_code(&e, ERR_IO, EEXIST);
	assert_int_equal(hostnet_enslave("lo", "umlcodebr", &e), -1);
	assert_msg(&e, "lo: add to bridge umlcodebr: Invalid argument");
	assert_code(&e, ERR_INVAL, EINVAL);
	del("umlcode0");
	del("umlcodebr");
}

/* In a child: drops to uid/gid nobody and attaches to the tap name as the
 * jailed UML kernel does. /dev/net/tun is opened before the drop, as root:
 * the node may be 0600 here, and the tap's owner is checked at TUNSETIFF
 * with the caller's credentials then. Returns 0 or the child's errno. */
static int attach_as_nobody(const char *name)
{
	struct ifreq ifr;
	pid_t pid;
	int st, fd;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open("/dev/net/tun", O_RDWR);
		if (fd < 0)
			_exit(100);
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
		    setuid(NOBODY) < 0 || geteuid() != NOBODY)
			_exit(101);
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
		if (ioctl(fd, TUNSETIFF, &ifr) < 0)
			_exit(errno);
		/* attached to that tap, not a new one */
		if (strcmp(ifr.ifr_name, name))
			_exit(102);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_unprivileged_open(void **state)
{
	(void)state;
	tap("umlvm0", NOBODY, NOBODY);
	tap("umlvm1", OTHER, OTHER);
	assert_int_equal(attach_as_nobody("umlvm0"), 0);
	assert_int_equal(attach_as_nobody("umlvm1"), EPERM);
	/* persistent: still there after the child closed it */
	assert_true(link_there("umlvm0"));
	assert_string_equal(read_line("/sys/class/net/umlvm0/owner"), "65534");
	/* and nobody can not make a tap of its own */
	assert_int_equal(attach_as_nobody("umlvm2"), EPERM);
	assert_false(link_there("umlvm2"));
	del("umlvm0");
	del("umlvm1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap_create),
		cmocka_unit_test(test_up_p2p),
		cmocka_unit_test(test_enslave),
		cmocka_unit_test(test_proxy_arp),
		cmocka_unit_test(test_forwarding),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_unprivileged_open),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
