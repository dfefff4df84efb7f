/* Unit tests of umlweb's sessions (web/session.h): ids and CSRF tokens
 * fresh and distinct, the cookie found among others and refused when cut,
 * forged or idle, a session's scope, the oldest ended when full, logout,
 * and the login rate limit per address and its window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "web/session.h"

static char *cookie_of(const struct session *s, char *buf, size_t n)
{
	snprintf(buf, n, "other=1; %s=%s; theme=dark", SESSION_COOKIE, s->id);
	return buf;
}

static void t_create_find(void **state)
{
	struct sessions *ss = sessions_new();
	struct session *a = session_create(ss, "", 1000), *b;
	char buf[256], id[SESSION_ID_LEN + 1];

	(void)state;
	assert_int_equal(strlen(a->id), SESSION_ID_LEN);
	assert_int_equal(strlen(a->csrf), SESSION_ID_LEN);
	assert_string_not_equal(a->id, a->csrf);
	b = session_create(ss, "vm1", 1000);
	assert_string_not_equal(a->id, b->id);
	assert_ptr_equal(session_find(ss, cookie_of(a, buf, sizeof(buf)), 2000), a);
	assert_ptr_equal(session_find(ss, cookie_of(b, buf, sizeof(buf)), 2000), b);
	/* cut, changed, absent */
	memcpy(id, a->id, sizeof(id));
	snprintf(buf, sizeof(buf), "%s=%.*s", SESSION_COOKIE, SESSION_ID_LEN - 1, id);
	assert_null(session_find(ss, buf, 2000));
	id[0] = id[0] == 'a' ? 'b' : 'a';
	snprintf(buf, sizeof(buf), "%s=%s", SESSION_COOKIE, id);
	assert_null(session_find(ss, buf, 2000));
	assert_null(session_find(ss, "other=1", 2000));
	assert_null(session_find(ss, NULL, 2000));
	/* a name that only ends like the cookie's */
	snprintf(buf, sizeof(buf), "x%s=%s", SESSION_COOKIE, a->id);
	assert_null(session_find(ss, buf, 2000));
	sessions_free(ss);
}

static void t_scope_csrf(void **state)
{
	struct sessions *ss = sessions_new();
	struct session *all = session_create(ss, "", 0), *one = session_create(ss, "vm1", 0);
	char tok[SESSION_ID_LEN + 1];

	(void)state;
	assert_true(session_may(all, "vm1"));
	assert_true(session_may(all, "vm2"));
	assert_true(session_may(one, "vm1"));
	assert_false(session_may(one, "vm2"));
	assert_false(session_may(one, "vm10"));
	assert_true(session_csrf_ok(one, one->csrf));
	assert_false(session_csrf_ok(one, all->csrf));
	assert_false(session_csrf_ok(one, NULL));
	assert_false(session_csrf_ok(one, ""));
	memcpy(tok, one->csrf, sizeof(tok));
	tok[SESSION_ID_LEN - 1] ^= 1;
	assert_false(session_csrf_ok(one, tok));
	sessions_free(ss);
}

static void t_idle_full_end(void **state)
{
	struct sessions *ss = sessions_new();
	struct session *s = session_create(ss, "", 0), *first;
	char buf[256], id[SESSION_ID_LEN + 1];

	(void)state;
	cookie_of(s, buf, sizeof(buf));
	/* used, it lives on; idle longer than SESSION_IDLE_MS, it is gone */
	assert_non_null(session_find(ss, buf, SESSION_IDLE_MS - 1));
	assert_non_null(session_find(ss, buf, 2 * SESSION_IDLE_MS - 2));
	assert_null(session_find(ss, buf, 3 * SESSION_IDLE_MS));
	/* full: the oldest goes */
	first = session_create(ss, "", 10);
	memcpy(id, first->id, sizeof(id));
	for (int i = 1; i < SESSION_MAX; i++)
		session_create(ss, "", 10 + i);
	snprintf(buf, sizeof(buf), "%s=%s", SESSION_COOKIE, id);
	assert_non_null(session_find(ss, buf, 10 + SESSION_MAX));
	session_create(ss, "", 20 + SESSION_MAX);  /* the one of time 11 goes */
	assert_non_null(session_find(ss, buf, 21 + SESSION_MAX));
	/* logout */
	s = session_find(ss, buf, 22 + SESSION_MAX);
	session_end(ss, s);
	assert_null(session_find(ss, buf, 23 + SESSION_MAX));
	sessions_free(ss);
}

static void t_rate_limit(void **state)
{
	struct sessions *ss = sessions_new();

	(void)state;
	for (int i = 0; i < LOGIN_FAILS; i++) {
		assert_int_equal(login_wait(ss, "192.0.2.1", 1000), 0);
		login_result(ss, "192.0.2.1", 0, 1000);
	}
	assert_int_equal(login_wait(ss, "192.0.2.1", 1000), LOGIN_WINDOW_MS / 1000);
	assert_int_equal(login_wait(ss, "192.0.2.1", 1000 + LOGIN_WINDOW_MS - 1500), 2);
	/* another address is not held back */
	assert_int_equal(login_wait(ss, "192.0.2.2", 1000), 0);
	/* the window over, it may try again */
	assert_int_equal(login_wait(ss, "192.0.2.1", 1000 + LOGIN_WINDOW_MS), 0);
	/* a success forgets the failures */
	for (int i = 0; i < LOGIN_FAILS - 1; i++)
		login_result(ss, "192.0.2.3", 0, 5000);
	login_result(ss, "192.0.2.3", 1, 5000);
	login_result(ss, "192.0.2.3", 0, 5000);
	assert_int_equal(login_wait(ss, "192.0.2.3", 5000), 0);
	sessions_free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_create_find),
		cmocka_unit_test(t_scope_csrf),
		cmocka_unit_test(t_idle_full_end),
		cmocka_unit_test(t_rate_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
