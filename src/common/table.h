/* table.h -- rows of named columns that print either as a text table or
 * as JSON (an array of objects, one key per column), so that what
 * umladmin and umlwatch show and what --json gives cannot drift apart. */
#ifndef UMLMON_TABLE_H
#define UMLMON_TABLE_H

#include <stdio.h>

struct table_col {
	const char *head;      /* "MONITOR" */
	const char *key;       /* "monitor_pid" */
};

enum table_kind { TABLE_NULL, TABLE_STR, TABLE_NUM, TABLE_LIST, TABLE_BOOL };

struct table_cell {
	enum table_kind kind;
	char *text;            /* as the text table shows it */
	long long num;         /* TABLE_NUM, TABLE_BOOL: the JSON value */
	char **list;           /* TABLE_LIST: the JSON array; text joins them */
	int nlist;
};

struct table {
	const struct table_col *cols;
	int ncols;
	struct table_cell *cells;  /* row by row */
	int ncells, cap;
};

void table_init(struct table *t, const struct table_col *cols, int ncols);
void table_free(struct table *t);
/* The next cell of the current row (a row is full after ncols cells).
 * NULL: null in JSON, "-" in the text. */
void table_str(struct table *t, const char *s);
void table_strf(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A number; text is what the table shows (NULL: the number itself). */
void table_num(struct table *t, long long v, const char *text);
void table_null(struct table *t);
/* true or false in JSON, "yes" or "no" in the text */
void table_bool(struct table *t, int v);
/* Strings: an array in JSON, joined by sep in the text ("-" if none). */
void table_list(struct table *t, char *const *v, int n, const char *sep);
int table_rows(const struct table *t);
/* The cell of row r in the column of key, or NULL. */
const struct table_cell *table_cell(const struct table *t, int r, const char *key);

/* Columns padded to their widest cell, a header line first. */
void table_print(const struct table *t, FILE *f);
/* [{"key": value, ...}, ...] and a newline. */
void table_print_json(const struct table *t, FILE *f);
/* One row as a JSON object (for a table that is one object). */
void table_print_json_row(const struct table *t, int r, FILE *f);

#endif
