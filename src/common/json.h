/* json.h -- a small JSON writer: what umladmin and umlwatch print with
 * --json. Commas and nesting are tracked here, strings are escaped (bytes
 * that are not UTF-8 become U+FFFD), so callers only say what comes next. */
#ifndef UMLMON_JSON_H
#define UMLMON_JSON_H

#include <stdio.h>

#define JSON_DEPTH 16

struct json {
	FILE *f;
	int depth;
	int count[JSON_DEPTH]; /* values so far in each open container */
	int after_key;         /* a key was written: its value comes next */
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
/* NULL: null */
void json_str(struct json *j, const char *s);
void json_int(struct json *j, long long v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* Ends the output with a newline. */
void json_end(struct json *j);

/* A document written to memory (a reply body): json_buf_begin opens it
 * (out of memory aborts, as xmalloc), json_buf_end ends it and returns
 * the text, the caller's to free. */
struct json_buf {
	struct json j;
	char *buf;
	size_t len;
};
void json_buf_begin(struct json_buf *b);
char *json_buf_end(struct json_buf *b);

#endif
