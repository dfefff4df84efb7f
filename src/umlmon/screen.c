/* screen.c -- a channel's screen, kept by libvterm. */
#include "umlmon/screen.h"

#include <stdlib.h>
#include <string.h>
#include <vterm.h>

#include "common/util.h"

struct screen {
	VTerm *vt;
	VTermScreen *vs;
	int rows, cols;
};

struct screen *screen_new(int rows, int cols)
{
	struct screen *s = xcalloc(1, sizeof(*s));

	s->rows = rows;
	s->cols = cols;
	s->vt = vterm_new(rows, cols);
	if (!s->vt) {
		free(s);
		return NULL;
	}
	vterm_set_utf8(s->vt, 1);
	s->vs = vterm_obtain_screen(s->vt);
	vterm_screen_enable_altscreen(s->vs, 1);
	vterm_screen_reset(s->vs, 1);
	/* what the emulator would answer (cursor reports ...) is dropped: an
	 * attached client's terminal answers the guest itself */
	return s;
}

void screen_free(struct screen *s)
{
	if (!s)
		return;
	vterm_free(s->vt);
	free(s);
}

void screen_feed(struct screen *s, const void *data, size_t n)
{
	vterm_input_write(s->vt, data, n);
}

void screen_reset(struct screen *s)
{
	vterm_screen_reset(s->vs, 1);
}

void screen_resize(struct screen *s, int rows, int cols)
{
	s->rows = rows;
	s->cols = cols;
	vterm_set_size(s->vt, rows, cols);
}

void screen_size(const struct screen *s, int *rows, int *cols)
{
	*rows = s->rows;
	*cols = s->cols;
}

char *screen_text(struct screen *s, int *cursor_row, int *cursor_col)
{
	struct strbuf sb;
	size_t cap = (size_t)s->cols * 4 + 1, keep = 0;
	char *line = xmalloc(cap);
	VTermPos pos;

	sb_init(&sb);
	for (int r = 0; r < s->rows; r++) {
		VTermRect rect = {.start_row = r, .end_row = r + 1,
				  .start_col = 0, .end_col = s->cols};
		size_t n = vterm_screen_get_text(s->vs, line, cap - 1, rect);

		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\0'))
			n--;
		if (r)
			sb_append(&sb, "\n", 1);
		sb_append(&sb, line, n);
		if (n)
			keep = sb.len;
	}
	free(line);
	/* cut the empty rows at the end */
	if (sb.buf)
		sb.buf[keep] = '\0';
	vterm_state_get_cursorpos(vterm_obtain_state(s->vt), &pos);
	*cursor_row = pos.row;
	*cursor_col = pos.col;
	return sb.buf ? sb_steal(&sb) : xstrdup("");
}
