/* cmdline.c -- the UML kernel's command line. */
#include "cmdline.h"

#include "../common/kargs.h"

#include <stdlib.h>
#include <string.h>

static void push(struct cmdline *c, char *arg)
{
	c->argv = xrealloc(c->argv, sizeof(char *) * (size_t)(c->argc + 2));
	c->argv[c->argc++] = arg;
	c->argv[c->argc] = NULL;
}

int cmdline_build(const struct vm_conf *vm, struct cmdline *out, struct err *e)
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
	for (int i = 0; i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];

		if (d->backing)
			push(out, xasprintf("ubd%d%s=%s,%s", d->index, d->flags, d->path,
					    d->backing));
		else
			push(out, xasprintf("ubd%d%s=%s", d->index, d->flags, d->path));
	}
	push(out, xasprintf("umid=%s", vm->name));
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
