/* privdrop.c -- root given up (see privdrop.h). */
#include "serve/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, struct err *e)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		err_code(e, ERR_NOENT, "user '%s': %s", user,
			 errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		err_code(e, ERR_INVAL, "user '%s' has uid or gid 0: umldir does not "
			 "stay root", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* No capability in any set, as the kernel sees it. */
static int no_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return 0;
	return 1;
}

int privdrop(const char *user, uid_t uid, gid_t gid, struct err *e)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		err_sys(e, "becoming user '%s' (uid %d, gid %d)", user, (int)uid,
			(int)gid);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err_sys(e, "no_new_privs");
		return -1;
	}
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid || getgroups(0, NULL) != 0 || !no_caps() ||
	    setuid(0) == 0 || setgid(0) == 0) {
		err_code(e, ERR_PERM, "user '%s': root was not given up for good "
			 "(ids, groups or capabilities left)", user);
		return -1;
	}
	return 0;
}
