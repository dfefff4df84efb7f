/* Unit tests of aptsrc: the host's release from os-release and its mirror
 * from apt's one-line and deb822 sources, in a fake root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/aptsrc.h"
#include "testutil.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/umlmon-aptsrc-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return test_sh("mkdir -p %s/etc/apt/sources.list.d %s/usr/lib", root, root);
}

static int teardown(void **state)
{
	(void)state;
	return test_sh("rm -rf %s", root);
}

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void drop(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
}

static void codename(void **state)
{
	struct err e;
	char *c;

	(void)state;
	assert_null(apt_host_codename(root, &e));
	assert_int_equal(e.code, ERR_NOENT);
	assert_non_null(strstr(e.msg, "no VERSION_CODENAME (give -suite)"));
	/* the fallback, quoted */
	put("usr/lib/os-release", "NAME=\"Debian\"\nVERSION_CODENAME=\"trixie\"\n");
	c = apt_host_codename(root, &e);
	assert_string_equal(c, "trixie");
	free(c);
	/* /etc first */
	put("etc/os-release", "ID=debian\nVERSION_CODENAME=bookworm\nX=1\n");
	c = apt_host_codename(root, &e);
	assert_string_equal(c, "bookworm");
	free(c);
}

static void mirror_list(void **state)
{
	struct err e;
	char *m;

	(void)state;
	put("etc/apt/sources.list",
	    "# deb http://commented.example/debian bookworm main\n"
	    "deb-src http://src.example/debian bookworm main\n"
	    "deb http://security.example/debian-security bookworm-security main\n"
	    "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian/ bookworm main\n");
	m = apt_host_mirror(root, "bookworm", &e);
	assert_string_equal(m, "http://one.example/debian");
	free(m);
	assert_null(apt_host_mirror(root, "sid", &e));
	assert_int_equal(e.code, ERR_NOENT);
	assert_non_null(strstr(e.msg, "no deb source for 'sid'"));
	assert_non_null(strstr(e.msg, "(give -mirror)"));
	drop("etc/apt/sources.list");
}

static void mirror_deb822(void **state)
{
	struct err e;
	char *m;

	(void)state;
	/* as on this kind of host: the main archive and security in one file,
	 * other files disabled by name, a disabled stanza, a multi-line key */
	put("etc/apt/sources.list.d/debian.sources",
	    "Types: deb\n"
	    "URIs: http://off.example/debian\n"
	    "Suites: bookworm\n"
	    "Enabled: no\n"
	    "\n"
	    "Types: deb deb-src\n"
	    "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
	    "URIs: http://deb.example/debian http://other.example/debian\n"
	    "Suites: bookworm bookworm-updates\n"
	    "Components: main\n"
	    "Signed-By:\n"
	    " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
	    " Suites: bogus\n"
	    "\n"
	    "Types: deb\n"
	    "URIs: http://deb.example/debian-security\n"
	    "Suites: bookworm-security\n");
	put("etc/apt/sources.list.d/a.list.disabled", "deb http://no.example/ bookworm main\n");
	m = apt_host_mirror(root, "bookworm", &e);
	assert_string_equal(m, "http://deb.example/debian");
	free(m);
	m = apt_host_mirror(root, "bookworm-security", &e);
	assert_string_equal(m, "http://deb.example/debian-security");
	free(m);
	assert_null(apt_host_mirror(root, "bogus", &e));
	/* sources.list comes first, then the directory by name */
	put("etc/apt/sources.list.d/0.list", "deb http://zero.example/debian bookworm main\n");
	m = apt_host_mirror(root, "bookworm", &e);
	assert_string_equal(m, "http://zero.example/debian");
	free(m);
	put("etc/apt/sources.list", "deb http://first.example/debian bookworm main\n");
	m = apt_host_mirror(root, "bookworm", &e);
	assert_string_equal(m, "http://first.example/debian");
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codename),
		cmocka_unit_test(mirror_list),
		cmocka_unit_test(mirror_deb822),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
