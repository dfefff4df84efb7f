/* Unit tests of umldir's registry: entries by name, held by their
 * connection, one live monitor per VM, what a registration must carry,
 * and entries of processes that are gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "umldir/registry.h"

/* Connections are identities only: any distinct addresses do. */
static const char conn_a, conn_b;

static ud_register_args reg_args(const char *vm, unsigned port, pid_t pid)
{
	ud_register_args a = {(char *)vm, "stopped", "127.0.0.1", port, 0, pid};

	return a;
}

/* A pid that was a process and is no more. */
static pid_t dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	assert_true(p > 0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return p;
}

static void by_name_and_connection(void **state)
{
	struct registry *r = registry_new();
	const struct dir_vm *const *v;
	ud_register_args a;
	struct err e;

	(void)state;
	a = reg_args("vm2", 4000, getpid());
	assert_int_equal(registry_register(r, &a, &conn_a, getpid(), &e), 0);
	a = reg_args("vm1", 0, getpid());
	assert_int_equal(registry_register(r, &a, &conn_b, getpid(), &e), 0);
	assert_int_equal(registry_list(r, &v), 2);
	assert_string_equal(v[0]->vm, "vm1");
	assert_string_equal(v[0]->addr, "");  /* no TCP: no address */
	assert_string_equal(v[1]->vm, "vm2");
	assert_int_equal(v[1]->port, 4000);

	/* another live registration of vm2 is refused; its own is an update */
	a = reg_args("vm2", 4001, getpid());
	assert_int_equal(registry_register(r, &a, &conn_b, getpid(), &e), -1);
	assert_int_equal(e.code, ERR_BUSY);
	assert_int_equal(registry_register(r, &a, &conn_a, getpid(), &e), 0);
	assert_int_equal(registry_get(r, "vm2", &e)->port, 4001);

	/* states only from the registering connection */
	assert_int_equal(registry_set_state(r, "vm2", "running", &conn_b, &e), -1);
	assert_int_equal(e.code, ERR_PERM);
	assert_int_equal(registry_set_state(r, "vm2", "running", &conn_a, &e), 0);
	assert_string_equal(registry_get(r, "vm2", &e)->state, "running");
	assert_int_equal(registry_set_state(r, "vm3", "running", &conn_a, &e), -1);
	assert_int_equal(e.code, ERR_NOENT);

	/* a connection that closes takes its entries */
	assert_int_equal(registry_drop_conn(r, &conn_a), 1);
	assert_null(registry_get(r, "vm2", &e));
	assert_int_equal(e.code, ERR_NOENT);
	assert_int_equal(registry_list(r, &v), 1);
	registry_free(r);
}

static void refused_arguments(void **state)
{
	static const struct {
		const char *vm, *state, *addr;
		unsigned port;
	} bad[] = {
		{"", "stopped", "", 0},
		{"../x", "stopped", "", 0},
		{"umldir", "stopped", "", 0},
		{"vm1", "", "", 0},
		{"vm1", "Running!", "", 0},
		{"vm1", "stopped", "localhost", 4000},
		{"vm1", "stopped", "1.2.3.4", 65536},
	};
	struct registry *r = registry_new();
	struct err e;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ud_register_args a = {(char *)bad[i].vm, (char *)bad[i].state,
				      (char *)bad[i].addr, bad[i].port, 0, getpid()};

		if (registry_register(r, &a, &conn_a, getpid(), &e) == 0)
			fail_msg("registration %zu (%s) taken", i, bad[i].vm);
		assert_int_equal(e.code, ERR_INVAL);
	}
	/* a monitor registers itself: the caller's pid */
	{
		ud_register_args a = reg_args("vm1", 0, getpid() + 1);

		assert_int_equal(registry_register(r, &a, &conn_a, getpid(), &e), -1);
		assert_int_equal(e.code, ERR_INVAL);
	}
	registry_free(r);
}

static void gone_processes(void **state)
{
	struct registry *r = registry_new();
	const struct dir_vm *const *v;
	ud_register_args a;
	pid_t dead = dead_pid();
	struct err e;

	(void)state;
	/* a pid with no process is not registered */
	a = reg_args("vm1", 0, dead);
	assert_int_equal(registry_register(r, &a, &conn_a, 0, &e), -1);
	assert_int_equal(registry_list(r, &v), 0);

	/* a child that registers and then ends: gone from the list, and its
	 * VM free for another monitor though its connection is still open */
	{
		int go[2];
		pid_t p;
		char b;

		assert_int_equal(pipe(go), 0);
		p = fork();
		if (p == 0) {
			close(go[1]);
			if (read(go[0], &b, 1) < 0)
				_exit(1);
			_exit(0);
		}
		close(go[0]);
		a = reg_args("vm1", 0, p);
		assert_int_equal(registry_register(r, &a, &conn_a, 0, &e), 0);
		assert_int_equal(registry_list(r, &v), 1);
		close(go[1]);
		assert_int_equal(waitpid(p, NULL, 0), p);
	}
	assert_int_equal(registry_list(r, &v), 0);
	a = reg_args("vm1", 0, getpid());
	assert_int_equal(registry_register(r, &a, &conn_b, getpid(), &e), 0);
	assert_non_null(registry_get(r, "vm1", &e));
	registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(by_name_and_connection),
		cmocka_unit_test(refused_arguments),
		cmocka_unit_test(gone_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
