/* vminfo.h -- what a client shows of a VM: its um_info as ordered fields,
 * each a name and a text ("state", "running"), so that one function
 * decides what is shown and in which order, and printers only lay it out:
 * the text of umlwatch -info, and later JSON or a web page. */
#ifndef UMLMON_VMINFO_H
#define UMLMON_VMINFO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "umlmonctrl.h"

struct vminfo_field {
	char *name;         /* "state", "kernel pid", "ubd0r", "eth0", "con1" */
	char *value;        /* "running", "1234", "/disks/root.dsk" */
};

struct vminfo {
	struct vminfo_field *fields;
	size_t n, cap;
};

/* The fields of r in the order -info shows them; only those that apply
 * (no "kernel pid" while stopped). Free with vminfo_free. */
void vminfo_fields(const um_info *r, struct vminfo *out);
void vminfo_free(struct vminfo *v);
/* A time as the fields give it: "2026-11-22 10:00:00", local time. */
const char *vminfo_time(int64_t t, char *buf, size_t n);
/* "name          value" lines, the names in a column of 13. */
void vminfo_print_text(FILE *f, const struct vminfo *v);
/* One JSON object: the same fields, their names with '_' for ' '
 * ("kernel_pid"), their values as the text gives them. */
void vminfo_print_json(FILE *f, const struct vminfo *v);

#endif
