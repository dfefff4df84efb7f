/* Unit tests of admission.h's bookkeeping: which mounts count as the
 * memory a VM holds. The rest (the lock, MemTotal, the refusal) runs
 * against the real host in jail_admission. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/admission.h"

static const char info[] =
	"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
	/* a VM of ours */
	"90 30 0:50 / /var/lib/umlmon/a/jail/tmp rw,nosuid,nodev shared:5 - "
	"tmpfs umlmon-tmp rw,size=98304k,mode=700\n"
	/* its shared bind mount: not memory */
	"91 30 8:1 /srv /var/lib/umlmon/a/jail/shared ro - ext4 /dev/sda1 rw\n"
	/* a tmpfs of ours elsewhere, and someone else's at a VM's place */
	"92 30 0:51 / /other/b/jail/tmp rw - tmpfs umlmon-tmp rw\n"
	"93 30 0:52 / /var/lib/umlmon/c/jail/tmp rw - tmpfs tmpfs rw\n"
	/* deeper or shallower than VARDIR/NAME/jail/tmp */
	"94 30 0:53 / /var/lib/umlmon/d/e/jail/tmp rw - tmpfs umlmon-tmp rw\n"
	"95 30 0:54 / /var/lib/umlmon/jail/tmp rw - tmpfs umlmon-tmp rw\n"
	/* a name mountinfo escapes (a space), and the VM asking */
	"96 30 0:55 / /var/lib/umlmon/f\\040g/jail/tmp rw - tmpfs umlmon-tmp rw\n"
	"97 30 0:56 / /var/lib/umlmon/self/jail/tmp rw - tmpfs umlmon-tmp rw\n"
	"garbage without fields\n";

static void counted(void **state)
{
	char **v;

	(void)state;
	v = admission_tmpfs_mounts(info, "/var/lib/umlmon/",
				   "/var/lib/umlmon/self/jail/tmp");
	assert_non_null(v[0]);
	assert_string_equal(v[0], "/var/lib/umlmon/a/jail/tmp");
	assert_non_null(v[1]);
	assert_string_equal(v[1], "/var/lib/umlmon/f g/jail/tmp");
	assert_null(v[2]);
	for (int i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	v = admission_tmpfs_mounts("", "/var/lib/umlmon", NULL);
	assert_null(v[0]);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
