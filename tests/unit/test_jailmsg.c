/* Unit tests of the message from the monitor to the jail helper
 * (jailmsg.h): what is encoded is decoded as it was, and a message that is
 * cut anywhere, has bytes after its end, a NUL in a string, a length past
 * its end, or a field out of bounds (the masters to keep among them) is
 * refused as a whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/jailmsg.h"

static char *kargv[] = {"/shared/kernels/linux", "mem=64M", "umid=vm1", "", NULL};
static char *kenv[] = {"TMPDIR=/tmp", "PATH=/", NULL};
static char *cgs[] = {"/sys/fs/cgroup/memory/umlmon/vm1/cgroup.procs",
		      "/sys/fs/cgroup/pids/umlmon/vm1/cgroup.procs", NULL};
static char *kept[] = {"con0", "ssl1", NULL};
#define HANDOVER "/tmp/umlmon.handover"

static struct jail_msg sample(void)
{
	struct jail_msg m = {
		.root = "/var/lib/umlmon/vm1/jail", .uid = 65534, .gid = 65534,
		.hostname = "vm1",
		.limits = {1024, 300, 0, UMLMON_LIMIT_INFINITY}, .seccomp = 1,
		.ncgroups = 2, .cgroups = cgs, .own_net = 1, .nfds = 5,
		.nkeep = 2, .keep = kept, .handover = HANDOVER, .argc = 4,
		.argv = kargv, .envc = 2,
		.envp = kenv, .fail = "",
	};

	return m;
}

static void encoded(const struct jail_msg *m, char **buf, size_t *len)
{
	struct err e;

	if (jailmsg_encode(m, buf, len, &e) < 0)
		fail_msg("encode: %s", e.msg);
}

static void refused(const char *buf, size_t len, const char *want)
{
	struct jail_msg m;
	struct err e;

	assert_int_equal(jailmsg_decode(buf, len, &m, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	if (want && !strstr(e.msg, want))
		fail_msg("said '%s', expected '%s'", e.msg, want);
	assert_null(m.root);
	assert_null(m.argv);
}

static void round_trip(void **state)
{
	struct jail_msg in = sample(), out;
	struct err e;
	size_t len;
	char *buf;

	(void)state;
	encoded(&in, &buf, &len);
	assert_int_equal(jailmsg_decode(buf, len, &out, &e), 0);
	assert_string_equal(out.root, in.root);
	assert_int_equal(out.uid, 65534);
	assert_int_equal(out.gid, 65534);
	assert_string_equal(out.hostname, "vm1");
	/* all 8 bytes of each limit, in its place */
	assert_int_equal(out.limits[LIMIT_NOFILE], 1024);
	assert_int_equal(out.limits[LIMIT_NPROC], 300);
	assert_int_equal(out.limits[LIMIT_CORE], 0);
	assert_true(out.limits[LIMIT_MEMLOCK] == UMLMON_LIMIT_INFINITY);
	assert_int_equal(out.seccomp, 1);
	assert_int_equal(out.ncgroups, 2);
	assert_string_equal(out.cgroups[0], cgs[0]);
	assert_string_equal(out.cgroups[1], cgs[1]);
	assert_null(out.cgroups[2]);
	assert_int_equal(out.own_net, 1);
	assert_int_equal(out.nfds, 5);
	assert_int_equal(out.nkeep, 2);
	assert_string_equal(out.keep[0], "con0");
	assert_string_equal(out.keep[1], "ssl1");
	assert_null(out.keep[2]);
	assert_string_equal(out.handover, HANDOVER);
	assert_int_equal(out.argc, 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(out.argv[i], kargv[i]);
	assert_null(out.argv[4]);
	assert_int_equal(out.envc, 2);
	assert_string_equal(out.envp[1], "PATH=/");
	assert_null(out.envp[2]);
	assert_string_equal(out.fail, "");
	jailmsg_free(&out);
	free(buf);
	/* no environment, no host name, a step to fail */
	in.envc = 0;
	in.envp = (char *[]){NULL};
	in.hostname = NULL;
	in.fail = "verify";
	in.own_net = 0;
	encoded(&in, &buf, &len);
	assert_int_equal(jailmsg_decode(buf, len, &out, &e), 0);
	assert_int_equal(out.own_net, 0);
	assert_int_equal(out.envc, 0);
	assert_null(out.envp[0]);
	assert_string_equal(out.hostname, "");
	assert_string_equal(out.fail, "verify");
	jailmsg_free(&out);
	free(buf);
}

static void cut_or_longer(void **state)
{
	struct jail_msg in = sample();
	size_t len;
	char *buf, *more;

	(void)state;
	encoded(&in, &buf, &len);
	/* cut anywhere */
	for (size_t n = 0; n < len; n++)
		refused(buf, n, NULL);
	refused(buf, 5, "not a message of this version");
	/* a byte more */
	more = malloc(len + 1);
	memcpy(more, buf, len);
	more[len] = 'x';
	refused(more, len + 1, "1 bytes after the end of the message");
	/* another version */
	more[8] = '2'; /* the version before */
	refused(more, len, "not a message of this version");
	free(more);
	free(buf);
}

static void bad_fields(void **state)
{
	size_t ml = strlen(JAILMSG_MAGIC), len;
	struct jail_msg in = sample();
	struct err e;
	char *buf;

	(void)state;
	encoded(&in, &buf, &len);
	/* the root's length past the end */
	buf[ml + 3] = 0x7f;
	refused(buf, len, "root of 2130706456 bytes: past the end");
	free(buf);
	/* a NUL inside the root */
	encoded(&in, &buf, &len);
	buf[ml + 4 + 3] = '\0';
	refused(buf, len, "root: has a NUL byte");
	free(buf);
	/* the monitor never sends what the helper refuses */
	in.uid = 0;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	assert_non_null(strstr(e.msg, "vmuser 0:65534: not an unprivileged user"));
	in = sample();
	in.nfds = 2;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	in.nfds = JAILMSG_MAX_FDS + 1;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	in = sample();
	in.argc = 0;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	in = sample();
	in.argv = (char *[]){"linux", NULL};
	in.argc = 1;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	assert_non_null(strstr(e.msg, "the first an absolute path"));
	in = sample();
	in.root = "jail";
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	/* a cgroup file must be absolute; at most JAILMSG_MAX_CGROUPS */
	in = sample();
	in.cgroups = (char *[]){"cgroup.procs", NULL};
	in.ncgroups = 1;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	assert_non_null(strstr(e.msg, "cgroup file 'cgroup.procs': not an absolute"));
	in.ncgroups = JAILMSG_MAX_CGROUPS + 1;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	/* and the helper refuses them too: uid 0 patched in */
	in = sample();
	encoded(&in, &buf, &len);
	{
		size_t at = ml + 4 + strlen(in.root);

		memset(buf + at, 0, 4);
		refused(buf, len, "vmuser 0:65534: not an unprivileged user");
	}
	free(buf);
	/* too many arguments: refused before anything is allocated for them */
	in = sample();
	encoded(&in, &buf, &len);
	{
		size_t at = ml + 4 + strlen(in.root) + 8 + 4 + strlen(in.hostname) +
			    8 * LIMIT_COUNT + 4 + 4 + 4 + strlen(cgs[0]) + 4 +
			    strlen(cgs[1]) + 4 + 4;

		/* the count of masters first, then the arguments' */
		memset(buf + at, 0xff, 4);
		refused(buf, len, "4294967295 kept masters: more than 32");
		memset(buf + at, 0, 4);
		buf[at] = 2;
		at += 4 + 4 + strlen(kept[0]) + 4 + strlen(kept[1]) + 4 +
		      strlen(HANDOVER);
		memset(buf + at, 0xff, 4);
		refused(buf, len, "4294967295 arguments: more than 1024");
	}
	free(buf);
	/* a kept master's name is a word; the masters and the kernel's
	 * descriptors together within bounds; the socket a path */
	in = sample();
	in.keep = (char *[]){"con0", "con 1", NULL};
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	assert_string_equal(e.msg, "kept master 'con 1': not a channel name");
	in = sample();
	in.nfds = JAILMSG_MAX_FDS - 1;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	in = sample();
	in.handover = "umlmon.handover";
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	assert_non_null(strstr(e.msg, "not an absolute path"));
	/* the helper refuses a bad name too (patched in) */
	in = sample();
	encoded(&in, &buf, &len);
	{
		size_t at = ml + 4 + strlen(in.root) + 8 + 4 + strlen(in.hostname) +
			    8 * LIMIT_COUNT + 4 + 4 + 4 + strlen(cgs[0]) + 4 +
			    strlen(cgs[1]) + 4 + 4 + 4 + 4;

		buf[at] = '/';
		refused(buf, len, "kept master '/on0': not a channel name");
	}
	free(buf);
	/* seccomp is 0 or 1: 2 patched in is refused, not taken for yes */
	in = sample();
	encoded(&in, &buf, &len);
	{
		size_t at = ml + 4 + strlen(in.root) + 8 + 4 + strlen(in.hostname) +
			    8 * LIMIT_COUNT;

		buf[at] = 2;
		refused(buf, len, "seccomp 2: neither 0 nor 1");
	}
	free(buf);
	/* so is the network namespace flag */
	in = sample();
	encoded(&in, &buf, &len);
	{
		size_t at = ml + 4 + strlen(in.root) + 8 + 4 + strlen(in.hostname) +
			    8 * LIMIT_COUNT + 4 + 4 + 4 + strlen(cgs[0]) + 4 +
			    strlen(cgs[1]);

		buf[at] = 2;
		refused(buf, len, "network namespace 2: neither 0 nor 1");
	}
	free(buf);
	/* and the monitor never sends one out of range */
	in = sample();
	in.own_net = 3;
	assert_int_equal(jailmsg_encode(&in, &buf, &len, &e), -1);
	assert_string_equal(e.msg, "network namespace 3: neither 0 nor 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(cut_or_longer),
		cmocka_unit_test(bad_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
