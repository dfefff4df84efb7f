/* mkcorpus.c -- writes the seeds that are encoded calls and values, made
 * with the interfaces' own XDR routines (so they follow rpc/NAME.x):
 *   DIR/rpc/     streams of calls to a monitor, one connection each
 *   DIR/xdr/     a row of xdr_ctrl_cases and a value of it (xdrfuzz.h)
 *   DIR/umldir/  the same for xdr_dir_cases
 * Usage: mkcorpus DIR STAMP (STAMP is touched when all is written). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/rpc_wire.h"
#include "common/util.h"
#include "umldir.h"
#include "umlmonctrl.h"
#include "xdrcases.h"

static const char *outdir;

static void fail(const char *what)
{
	fprintf(stderr, "mkcorpus: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

static void write_seed(const char *sub, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		fail(path);
}

/* ---- streams of calls (rpc) ---- */

static struct rpc_out stream;
static uint32_t xid;

static void call(uint32_t proc, xdrproc_t xargs, void *args)
{
	if (rpc_out_call(&stream, ++xid, UMLMONCTRL_PROG, UMLMONCTRL_V1, proc, xargs,
			 args) < 0)
		fail("encoding a call");
}

static void flush_stream(const char *name)
{
	write_seed("rpc", name, stream.buf + stream.start, rpc_out_pending(&stream));
	rpc_out_free(&stream);
}

/* The arguments of the seeds, also values of the xdr corpus. */
static um_stop_args stop_args = {.timeout = 5};
static um_name_arg sysrq_key = "s", chan_name = "con1";
static um_msg_arg mc_cmd = "version";
static um_open_args open_args = {.chan = "con1"};
static um_read_args read_args = {.chan = "con1", .offset = 0, .max = 4096, .wait_ms = 20};
static um_write_args write_args = {.chan = "con1",
				   .data = {.data_len = 3, .data_val = "ls\n"}};
static um_winsize_args winsize_args = {.chan = "con1", .rows = 24, .cols = 80};
static um_log_args log_args = {.chan = "con0", .offset = 0, .max = 4096};
static um_device_args dev_add = {.kind = UM_DEV_DISK, .name = "ubd1",
				  .spec = "/disks/data.dsk", .keep = 1};
static um_device_remove_args dev_remove = {.kind = UM_DEV_DISK, .name = "ubd1"};
static um_disk_args disk_info = {
	.op = UM_DISK_INFO, .path = "/disks/root.dsk", .other = ""};
static um_disk_args disk_create = {
	.op = UM_DISK_CREATE, .path = "/disks/new.dsk", .other = "", .size = 1 << 20};
static um_disk_args disk_cow = {.op = UM_DISK_CREATE,
				.path = "/disks/data.cow",
				.other = "/shared/disks/base.dsk"};
static um_wait_args wait_args = {.timeout_ms = 10};
static um_auth_hello hello = {.auth_version = UM_AUTH_VERSION, .vm = "fuzz"};
static um_auth_proof proof;

#define V (xdrproc_t)xdr_rpc_void, NULL
#define A(type, p) (xdrproc_t)xdr_##type, (p)

static void rpc_seeds(void)
{
	/* one of each procedure */
	static const struct {
		const char *name;
		uint32_t proc;
		xdrproc_t x;
		void *a;
	} one[] = {
		{"null", UM_NULL, V},
		{"info", UM_INFO, V},
		{"start", UM_START, V},
		{"stop", UM_STOP, A(um_stop_args, &stop_args)},
		{"halt", UM_HALT, V},
		{"ctrlaltdel", UM_CTRLALTDEL, V},
		{"sysrq", UM_SYSRQ, A(um_name_arg, &sysrq_key)},
		{"pause", UM_PAUSE, V},
		{"resume", UM_RESUME, V},
		{"mconsole", UM_MCONSOLE, A(um_msg_arg, &mc_cmd)},
		{"console_open", UM_CONSOLE_OPEN, A(um_open_args, &open_args)},
		{"console_read", UM_CONSOLE_READ, A(um_read_args, &read_args)},
		{"console_write", UM_CONSOLE_WRITE, A(um_write_args, &write_args)},
		{"console_winsize", UM_CONSOLE_WINSIZE,
		 A(um_winsize_args, &winsize_args)},
		{"console_screen", UM_CONSOLE_SCREEN, A(um_name_arg, &chan_name)},
		{"log_read", UM_LOG_READ, A(um_log_args, &log_args)},
		{"disk_info", UM_DISK, A(um_disk_args, &disk_info)},
		{"disk_create", UM_DISK, A(um_disk_args, &disk_create)},
		{"disk_create_cow", UM_DISK, A(um_disk_args, &disk_cow)},
		{"disk_progress", UM_DISK_PROGRESS, V},
		{"disk_cancel", UM_DISK_CANCEL, V},
		{"reboot", UM_REBOOT, A(um_stop_args, &stop_args)},
		{"wait", UM_WAIT, A(um_wait_args, &wait_args)},
		{"reload", UM_RELOAD, V},
		{"stop_steps", UM_STOP_STEPS, V},
		{"auth_hello", UM_AUTH_HELLO, A(um_auth_hello, &hello)},
		{"auth_prove", UM_AUTH_PROVE, A(um_auth_proof, &proof)},
		{"device_add", UM_DEVICE_ADD, A(um_device_args, &dev_add)},
		{"device_remove", UM_DEVICE_REMOVE,
		 A(um_device_remove_args, &dev_remove)},
	};
	struct rpc_msg m;

	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		call(one[i].proc, one[i].x, one[i].a);
		flush_stream(one[i].name);
	}
	/* a console session, pipelined */
	call(UM_INFO, V);
	call(UM_CONSOLE_OPEN, A(um_open_args, &open_args));
	call(UM_CONSOLE_READ, A(um_read_args, &read_args));
	call(UM_CONSOLE_WINSIZE, A(um_winsize_args, &winsize_args));
	call(UM_CONSOLE_WRITE, A(um_write_args, &write_args));
	call(UM_CONSOLE_READ, A(um_read_args, &read_args));
	call(UM_CONSOLE_SCREEN, A(um_name_arg, &chan_name));
	call(UM_LOG_READ, A(um_log_args, &log_args));
	flush_stream("session");
	/* a disk operation and the calls that follow it */
	call(UM_DISK, A(um_disk_args, &disk_create));
	call(UM_DISK_PROGRESS, V);
	call(UM_DISK_CANCEL, V);
	call(UM_START, V);
	call(UM_DISK, A(um_disk_args, &disk_info));
	flush_stream("disk_session");
	/* the TCP handshake, then a call */
	call(UM_AUTH_HELLO, A(um_auth_hello, &hello));
	call(UM_AUTH_PROVE, A(um_auth_proof, &proof));
	call(UM_INFO, V);
	flush_stream("handshake");
	/* another program, version, procedure; RPC version 3 */
	if (rpc_out_call(&stream, 1, 0x20554d44, 1, 0, V) < 0 ||
	    rpc_out_call(&stream, 2, UMLMONCTRL_PROG, 7, 0, V) < 0 ||
	    rpc_out_call(&stream, 3, UMLMONCTRL_PROG, UMLMONCTRL_V1, 99, V) < 0)
		fail("encoding a call");
	flush_stream("wrong_numbers");
	{
		/* the header of a call, its version word changed */
		call(UM_NULL, V);
		stream.buf[4 + 8 + 3] = 3;
		flush_stream("rpc_version");
	}
	/* a reply where a call belongs */
	rpc_reply_accepted(&m, 1, SUCCESS, V);
	if (rpc_out_record(&stream, (xdrproc_t)xdr_replymsg, &m) < 0)
		fail("encoding a reply");
	flush_stream("reply");
	{
		/* one call in two fragments */
		uint8_t *b;
		size_t n;
		uint32_t h1, h2;

		call(UM_INFO, V);
		n = rpc_out_pending(&stream) - 4;
		b = xmalloc(n + 8);
		h1 = htonl(8);
		h2 = htonl(0x80000000u | (uint32_t)(n - 8));
		memcpy(b, &h1, 4);
		memcpy(b + 4, stream.buf + stream.start + 4, 8);
		memcpy(b + 12, &h2, 4);
		memcpy(b + 16, stream.buf + stream.start + 12, n - 8);
		write_seed("rpc", "fragments", b, n + 8);
		free(b);
		rpc_out_free(&stream);
	}
}

/* ---- values (xdr, umldir) ---- */

/* Row, then the value; for a result also the row with the high bit and a
 * reply that carries it. */
static void value(const char *sub, const struct xdr_case *cases, size_t n,
		  const char *type, const char *name, void *obj, int result)
{
	int row = xdr_case_find(cases, n, type);
	u_int size;
	uint8_t *b;
	char fname[128];
	XDR x;

	if (row < 0)
		fail(type);
	size = (u_int)xdr_sizeof(cases[row].fn, obj);
	b = xmalloc(size + 1);
	b[0] = (uint8_t)row;
	xdrmem_create(&x, (char *)b + 1, size, XDR_ENCODE);
	if (!cases[row].fn(&x, obj))
		fail(type);
	xdr_destroy(&x);
	snprintf(fname, sizeof(fname), "%s", name);
	write_seed(sub, fname, b, size + 1);
	free(b);
	if (result) {
		struct rpc_msg m;

		rpc_reply_accepted(&m, 7, SUCCESS, cases[row].fn, obj);
		size = (u_int)xdr_sizeof((xdrproc_t)xdr_replymsg, &m);
		b = xmalloc(size + 1);
		b[0] = (uint8_t)(row | 0x80);
		xdrmem_create(&x, (char *)b + 1, size, XDR_ENCODE);
		if (!xdr_replymsg(&x, &m))
			fail(type);
		xdr_destroy(&x);
		snprintf(fname, sizeof(fname), "%s_reply", name);
		write_seed(sub, fname, b, size + 1);
		free(b);
	}
}

#define CTRL(type, name, obj, result) \
	value("xdr", xdr_ctrl_cases, xdr_ctrl_ncases, #type, name, obj, result)
#define DIR(type, name, obj, result) \
	value("umldir", xdr_dir_cases, xdr_dir_ncases, #type, name, obj, result)

static void xdr_seeds(void)
{
	static um_disk disks[] = {{"ubd0", "", "/disks/root.dsk", ""},
				  {"ubd1", "r", "/disks/data.cow",
				   "/shared/disks/base.dsk"}};
	static um_nic nics[] = {
		{"eth0", "host_to_host", "tap0", "vec0", "02:55:4d:4c:00:01"}};
	static um_chan chans[] = {{"con0", UM_CHAN_PTY, "/var/log/con0", 100, 1, 1},
				  {"ssl0", UM_CHAN_LOG, "", 0, 0, 0}};
	um_result ok = {UM_OK, ""}, refused = {UM_EPERM, "vm1: wrong password"};
	um_info info = {.res = ok,
			.name = "vm1",
			.state = UM_RUNNING,
			.monitor_pid = 10,
			.watcher_pid = 11,
			.kernel_pid = 12,
			.vmuser = "nobody",
			.kernel = "/shared/kernels/linux",
			.memory = 128 << 20,
			.vardir = "/var/lib/umlmon/vm1",
			.jail = "/var/lib/umlmon/vm1/jail",
			.cmdline = "mem=128M",
			.stop_timeout = 30,
			.disks = {2, disks},
			.nics = {1, nics},
			.chans = {2, chans},
			.last_exit = {1, 0, 0, 1, 1700000000, "halted"},
			.boot = 1,
			.pending = "",
			.cgroup = {"/sys/fs/cgroup/memory/umlmon/vm1", "v1", 1,
				   200 << 20, 150 << 20, 160 << 20, 0, 9, 1024, 0},
			.image_started_ms = 1700000000000LL,
			.reattached = 1700000001,
			.reattach_how = "monitor restart, pid 42",
			.mem_guest = 48 << 20,
			.hotplug = "ubd1 added (kept)"};
	um_text_res text = {ok, "OK 6.1.0"};
	um_open_res open_res = {ok, 10, 100, 0, 1};
	um_read_res read_res = {ok, 5, {4, "abcd"}};
	um_screen_res screen = {ok, 24, 80, 1, 2, "login:", 1, 1, 0, 6,
				"\033[0m\033[H\033[2Jlogin:"};
	um_log_res log_res = {ok, 0, 4, 100, {4, "boot"}};
	um_disk_res disk_res = {ok, "disk /disks/root.dsk\n"};
	um_progress_res progress = {ok, "copy /disks/a.dsk", 1, 2};
	um_auth_challenge challenge = {ok, UM_AUTH_VERSION, 100000, {0}};
	um_auth_result auth_res = {refused, {0}};
	ud_name_arg vm = "vm1";
	ud_register_args reg = {"vm1", "running", "0.0.0.0", 40000, 0, 1234};
	ud_state_args st = {"vm1", "stopped"};
	ud_result dres = {UD_OK, ""};
	ud_entry entries[] = {{"vm1", "running", 40000, 0, 10},
			      {"vm2", "stopped", 0, 1, 11}};
	ud_list_res list = {dres, {2, entries}};
	ud_port_res port = {dres, 40000, 1};

	CTRL(um_stop_args, "stop_args", &stop_args, 0);
	CTRL(um_name_arg, "name_arg", &chan_name, 0);
	CTRL(um_msg_arg, "msg_arg", &mc_cmd, 0);
	CTRL(um_open_args, "open_args", &open_args, 0);
	CTRL(um_read_args, "read_args", &read_args, 0);
	CTRL(um_write_args, "write_args", &write_args, 0);
	CTRL(um_winsize_args, "winsize_args", &winsize_args, 0);
	CTRL(um_log_args, "log_args", &log_args, 0);
	CTRL(um_disk_args, "disk_args", &disk_cow, 0);
	CTRL(um_wait_args, "wait_args", &wait_args, 0);
	CTRL(um_auth_hello, "auth_hello", &hello, 0);
	CTRL(um_auth_proof, "auth_proof", &proof, 0);
	CTRL(um_device_args, "device_args", &dev_add, 0);
	CTRL(um_device_remove_args, "device_remove_args", &dev_remove, 0);
	CTRL(um_result, "result", &refused, 1);
	CTRL(um_info, "info", &info, 1);
	CTRL(um_text_res, "text_res", &text, 1);
	CTRL(um_open_res, "open_res", &open_res, 1);
	CTRL(um_read_res, "read_res", &read_res, 1);
	CTRL(um_screen_res, "screen_res", &screen, 1);
	CTRL(um_log_res, "log_res", &log_res, 1);
	CTRL(um_disk_res, "disk_res", &disk_res, 1);
	CTRL(um_progress_res, "progress_res", &progress, 1);
	CTRL(um_auth_challenge, "auth_challenge", &challenge, 1);
	CTRL(um_auth_result, "auth_result", &auth_res, 1);
	DIR(ud_name_arg, "name_arg", &vm, 0);
	DIR(ud_register_args, "register_args", &reg, 0);
	DIR(ud_state_args, "state_args", &st, 0);
	DIR(ud_result, "result", &dres, 1);
	DIR(ud_list_res, "list_res", &list, 1);
	DIR(ud_port_res, "port_res", &port, 1);
}

int main(int argc, char **argv)
{
	static const char *subs[] = {"", "/rpc", "/xdr", "/umldir"};
	FILE *stamp;

	if (argc != 3) {
		fprintf(stderr, "usage: mkcorpus DIR STAMP\n");
		return 2;
	}
	outdir = argv[1];
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s%s", outdir, subs[i]);
		errno = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail(path);
	}
	rpc_seeds();
	xdr_seeds();
	stamp = fopen(argv[2], "w");
	if (!stamp || fclose(stamp) != 0)
		fail(argv[2]);
	return 0;
}
