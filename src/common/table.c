/* table.c -- a text table and its JSON from one definition (table.h). */
#include "common/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"

void table_init(struct table *t, const struct table_col *cols, int ncols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
}

void table_free(struct table *t)
{
	for (int i = 0; i < t->ncells; i++) {
		struct table_cell *c = &t->cells[i];

		free(c->text);
		for (int k = 0; k < c->nlist; k++)
			free(c->list[k]);
		free(c->list);
	}
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static struct table_cell *next(struct table *t)
{
	struct table_cell *c;

	if (t->ncells == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cells = xrealloc(t->cells, (size_t)t->cap * sizeof(*t->cells));
	}
	c = &t->cells[t->ncells++];
	memset(c, 0, sizeof(*c));
	return c;
}

void table_str(struct table *t, const char *s)
{
	struct table_cell *c = next(t);

	c->kind = s ? TABLE_STR : TABLE_NULL;
	c->text = xstrdup(s ? s : "-");
}

void table_strf(struct table *t, const char *fmt, ...)
{
	struct table_cell *c = next(t);
	va_list ap;

	c->kind = TABLE_STR;
	va_start(ap, fmt);
	if (vasprintf(&c->text, fmt, ap) < 0)
		abort();
	va_end(ap);
}

void table_num(struct table *t, long long v, const char *text)
{
	struct table_cell *c = next(t);

	c->kind = TABLE_NUM;
	c->num = v;
	c->text = text ? xstrdup(text) : xasprintf("%lld", v);
}

void table_null(struct table *t)
{
	table_str(t, NULL);
}

void table_bool(struct table *t, int v)
{
	struct table_cell *c = next(t);

	c->kind = TABLE_BOOL;
	c->num = !!v;
	c->text = xstrdup(v ? "yes" : "no");
}

void table_list(struct table *t, char *const *v, int n, const char *sep)
{
	struct table_cell *c = next(t);
	struct strbuf sb;

	c->kind = TABLE_LIST;
	c->nlist = n;
	c->list = xcalloc((size_t)n + 1, sizeof(*c->list));
	sb_init(&sb);
	for (int i = 0; i < n; i++) {
		c->list[i] = xstrdup(v[i]);
		sb_printf(&sb, "%s%s", i ? sep : "", v[i]);
	}
	c->text = n ? sb_steal(&sb) : xstrdup("-");
	sb_free(&sb);
}

int table_rows(const struct table *t)
{
	return t->ncols ? t->ncells / t->ncols : 0;
}

const struct table_cell *table_cell(const struct table *t, int r, const char *key)
{
	for (int k = 0; k < t->ncols; k++)
		if (!strcmp(t->cols[k].key, key) && r * t->ncols + k < t->ncells)
			return &t->cells[r * t->ncols + k];
	return NULL;
}

void table_print(const struct table *t, FILE *f)
{
	int *w = xcalloc((size_t)t->ncols, sizeof(*w));
	int rows = table_rows(t);

	for (int k = 0; k < t->ncols; k++)
		w[k] = (int)strlen(t->cols[k].head);
	for (int i = 0; i < rows * t->ncols; i++) {
		int len = (int)strlen(t->cells[i].text);

		if (len > w[i % t->ncols])
			w[i % t->ncols] = len;
	}
	for (int r = -1; r < rows; r++) {
		for (int k = 0; k < t->ncols; k++) {
			const char *s = r < 0 ? t->cols[k].head
					      : t->cells[r * t->ncols + k].text;

			/* the last column unpadded: no trailing blanks */
			if (k == t->ncols - 1)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s ", w[k], s);
		}
	}
	free(w);
}

static void row_json(const struct table *t, int r, struct json *j)
{
	json_obj_begin(j);
	for (int k = 0; k < t->ncols; k++) {
		const struct table_cell *c = &t->cells[r * t->ncols + k];

		json_key(j, t->cols[k].key);
		switch (c->kind) {
		case TABLE_NULL:
			json_null(j);
			break;
		case TABLE_STR:
			json_str(j, c->text);
			break;
		case TABLE_NUM:
			json_int(j, c->num);
			break;
		case TABLE_BOOL:
			json_bool(j, (int)c->num);
			break;
		case TABLE_LIST:
			json_arr_begin(j);
			for (int i = 0; i < c->nlist; i++)
				json_str(j, c->list[i]);
			json_arr_end(j);
			break;
		}
	}
	json_obj_end(j);
}

void table_print_json(const struct table *t, FILE *f)
{
	struct json j;

	json_init(&j, f);
	json_arr_begin(&j);
	for (int r = 0; r < table_rows(t); r++)
		row_json(t, r, &j);
	json_arr_end(&j);
	json_end(&j);
}

void table_print_json_row(const struct table *t, int r, FILE *f)
{
	struct json j;

	json_init(&j, f);
	row_json(t, r, &j);
	json_end(&j);
}
