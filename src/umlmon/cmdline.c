/* cmdline.c -- the UML kernel's command line. */
#include "umlmon/cmdline.h"

#include "common/kargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push(struct cmdline *c, char *arg)
{
	c->argv = xrealloc(c->argv, sizeof(char *) * (size_t)(c->argc + 2));
	c->argv[c->argc++] = arg;
	c->argv[c->argc] = NULL;
}

/* What a UML guest's boot does that it does not need, cut unless the VM
 * says fastboot = no (umlmon(5) has what each cuts and its measured gain;
 * bench/boottime.sh measures them). Before the operator's args, so that
 * a module parameter given there wins. */
static const char *const fastboot_switches[] = {
	/* the RAID6 syndrome benchmark: 5 x 16 jiffies at HZ=100, some 0.85 s;
	 * only btrfs RAID5/6 uses its choice (md's raid456 is a module the
	 * guest has not) */
	"initcall_blacklist=raid6_select_algo",
	/* zswap's pool (an lzo compressor per CPU): zswap is off and the
	 * guest has no swap unless it makes one */
	"initcall_blacklist=init_zswap",
	/* 256 BSD pty pairs: 512 devices, each with a uevent; the guest's
	 * ptys are devpts' */
	"pty.legacy_count=0",
};

void cmdline_guest_if(const struct vm_conf *vm, int k, char *buf, size_t len)
{
	const struct nic_conf *n = &vm->nics[k];
	int vec = n->kind != NIC_SWITCHED && vm->netdriver == NET_VECTOR;

	snprintf(buf, len, "%s%d", vec ? "vec" : "eth", n->index);
}

char *cmdline_nic_arg(const struct vm_conf *vm, int k, const char *mac)
{
	const struct nic_conf *n = &vm->nics[k];

	if (n->kind == NIC_SWITCHED) {
		char ctl[128];

		snprintf(ctl, sizeof(ctl), JAIL_SWITCH_CTL, n->sw);
		return xasprintf("eth%d=daemon,%s,unix,%s", n->index, mac ? mac : "",
				 ctl);
	}
	if (vm->netdriver == NET_VECTOR)
		/* gro=1: the host's tap offloads TSO and checksums to us; both
		 * sides must agree or big segments are lost */
		return xasprintf("vec%d:transport=tap,ifname=%s,depth=128,gro=1%s%s",
				 n->index, n->proxy_if, mac ? ",mac=" : "",
				 mac ? mac : "");
	return xasprintf("eth%d=tuntap,%s,%s", n->index, n->proxy_if,
			 mac ? mac : "");
}

char *cmdline_disk_arg(const struct disk_conf *d)
{
	if (d->backing)
		return xasprintf("ubd%d%s=%s,%s", d->index, d->flags, d->path,
				 d->backing);
	return xasprintf("ubd%d%s=%s", d->index, d->flags, d->path);
}

/* The kernel switch of interface k, and the guest's address. */
static void push_nic(struct cmdline *out, const struct vm_conf *vm, int k,
		     const char *mac)
{
	const struct nic_conf *n = &vm->nics[k];
	char gif[16];

	cmdline_guest_if(vm, k, gif, sizeof(gif));
	push(out, cmdline_nic_arg(vm, k, mac));
	if (n->kind == NIC_HOST_TO_HOST)
		push(out, xasprintf("umlmon.net=%s,%s,%s", gif, n->guest_addr,
				    n->proxy_addr));
	else if (n->guest_addr[0])
		push(out, xasprintf("umlmon.net=%s,%s", gif, n->guest_addr));
}

int cmdline_build(const struct vm_conf *vm, char (*macs)[18], struct cmdline *out,
		  struct err *e)
{
	char **extra = NULL;
	int nextra = 0, nextfd = CMDLINE_FIRST_CHAN_FD;
	struct strbuf text;

	memset(out, 0, sizeof(*out));
	out->con0_chan = -1;
	if (kargs_split(vm->args, &extra, &nextra, e) < 0)
		return -1;
	for (int i = 0; i < nextra; i++) {
		const char *why = kargs_reserved(extra[i]);

		if (why) {
			err_set(e, "args: '%s' is set by the monitor (%s)", extra[i], why);
			kargs_free(extra, nextra);
			return -1;
		}
	}
	push(out, xstrdup(vm->kernel));
	push(out, xasprintf("mem=%lluM", (unsigned long long)(vm->memory >> 20)));
	for (int i = 0; i < vm->ndisks; i++)
		push(out, cmdline_disk_arg(&vm->disks[i]));
	push(out, xasprintf("umid=%s", vm->name));
	/* the kernel keeps umid= to itself: this one reaches /proc/cmdline,
	 * for the guest's host name */
	push(out, xasprintf("umlmon.name=%s", vm->name));
	push(out, xstrdup("uml_dir=" JAIL_UML_DIR));
	push(out, xstrdup("mconsole=notify:" JAIL_NOTIFY_SOCKET));
	/* defaults first: Debian's built-in default for ssl is a legacy pty,
	 * which does not work on modern hosts */
	push(out, xstrdup("con=null"));
	push(out, xstrdup("ssl=null"));
	for (int i = 0; i < vm->nchans; i++) {
		const struct chan_conf *c = &vm->chans[i];

		if (c->mode == CHAN_NULL) {
			push(out, xasprintf("%s=null", c->name));
		} else if (!strcmp(c->name, "con0")) {
			out->con0_chan = i;
			push(out, xstrdup("con0=fd:0,fd:1"));
		} else {
			out->fds[out->nfds].chan = i;
			out->fds[out->nfds].fd = nextfd;
			out->nfds++;
			push(out, xasprintf("%s=fd:%d,fd:%d", c->name, nextfd, nextfd));
			nextfd++;
		}
	}
	for (int k = 0; k < vm->nnics; k++)
		push_nic(out, vm, k, macs ? macs[k] : NULL);
	for (size_t i = 0; vm->fastboot && i < ARRAY_SIZE(fastboot_switches); i++)
		push(out, xstrdup(fastboot_switches[i]));
	for (int i = 0; i < nextra; i++)
		push(out, extra[i]);
	free(extra);
	sb_init(&text);
	for (int i = 0; i < out->argc; i++) {
		if (i)
			sb_puts(&text, " ");
		sb_puts(&text, out->argv[i]);
	}
	out->text = sb_steal(&text);
	return 0;
}

void cmdline_free(struct cmdline *c)
{
	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	free(c->text);
	memset(c, 0, sizeof(*c));
}
