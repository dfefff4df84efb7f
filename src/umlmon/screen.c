/* screen.c -- a channel's screen, kept by libvterm. */
#include "umlmon/screen.h"

#include <stdio.h>
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

/* SGR parameters of one colour: 30-37/90-97 (40-47/100-107), 38;5;N or
 * 38;2;R;G;B, nothing for the default. */
static void sgr_color(struct strbuf *sb, const VTermColor *c, int bg)
{
	char buf[32];

	if (bg ? VTERM_COLOR_IS_DEFAULT_BG(c) : VTERM_COLOR_IS_DEFAULT_FG(c))
		return;
	if (VTERM_COLOR_IS_INDEXED(c) && c->indexed.idx < 8)
		snprintf(buf, sizeof(buf), ";%d", (bg ? 40 : 30) + c->indexed.idx);
	else if (VTERM_COLOR_IS_INDEXED(c) && c->indexed.idx < 16)
		snprintf(buf, sizeof(buf), ";%d", (bg ? 100 : 90) + c->indexed.idx - 8);
	else if (VTERM_COLOR_IS_INDEXED(c))
		snprintf(buf, sizeof(buf), ";%d;5;%d", bg ? 48 : 38, c->indexed.idx);
	else
		snprintf(buf, sizeof(buf), ";%d;2;%d;%d;%d", bg ? 48 : 38,
			 c->rgb.red, c->rgb.green, c->rgb.blue);
	sb_append(sb, buf, strlen(buf));
}

/* The SGR sequence that sets a cell's attributes from scratch. */
static void sgr_cell(struct strbuf *sb, const VTermScreenCell *c)
{
	sb_append(sb, "\033[0", 3);
	if (c->attrs.bold)
		sb_append(sb, ";1", 2);
	if (c->attrs.italic)
		sb_append(sb, ";3", 2);
	if (c->attrs.underline)
		sb_append(sb, ";4", 2);
	if (c->attrs.blink)
		sb_append(sb, ";5", 2);
	if (c->attrs.reverse)
		sb_append(sb, ";7", 2);
	if (c->attrs.strike)
		sb_append(sb, ";9", 2);
	sgr_color(sb, &c->fg, 0);
	sgr_color(sb, &c->bg, 1);
	sb_append(sb, "m", 1);
}

static int same_look(const VTermScreenCell *a, const VTermScreenCell *b)
{
	return !memcmp(&a->attrs, &b->attrs, sizeof(a->attrs)) &&
	       !memcmp(&a->fg, &b->fg, sizeof(a->fg)) &&
	       !memcmp(&a->bg, &b->bg, sizeof(a->bg));
}

static void put_utf8(struct strbuf *sb, uint32_t u)
{
	char b[4];
	size_t n;

	if (u < 0x80) {
		b[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xc0 | u >> 6);
		b[1] = (char)(0x80 | (u & 0x3f));
		n = 2;
	} else if (u < 0x10000) {
		b[0] = (char)(0xe0 | u >> 12);
		b[1] = (char)(0x80 | (u >> 6 & 0x3f));
		b[2] = (char)(0x80 | (u & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | u >> 18);
		b[1] = (char)(0x80 | (u >> 12 & 0x3f));
		b[2] = (char)(0x80 | (u >> 6 & 0x3f));
		b[3] = (char)(0x80 | (u & 0x3f));
		n = 4;
	}
	sb_append(sb, b, n);
}

/* The columns of a row up to its last cell that shows something: a
 * character, a background or reverse video. */
static int row_end(struct screen *s, int row)
{
	VTermScreenCell cell;
	VTermPos pos = {.row = row};

	for (pos.col = s->cols - 1; pos.col >= 0; pos.col--) {
		if (!vterm_screen_get_cell(s->vs, pos, &cell))
			continue;
		if ((cell.chars[0] && cell.chars[0] != ' ') || cell.attrs.reverse ||
		    !VTERM_COLOR_IS_DEFAULT_BG(&cell.bg))
			return pos.col + 1;
	}
	return 0;
}

char *screen_ansi(struct screen *s)
{
	VTermScreenCell cell, prev;
	struct strbuf sb;
	VTermPos pos;
	char buf[32];
	int have = 0;

	sb_init(&sb);
	/* reset, clear, home; each row from its first column */
	sb_append(&sb, "\033[0m\033[H\033[2J", 11);
	for (pos.row = 0; pos.row < s->rows; pos.row++) {
		int last = row_end(s, pos.row);

		if (!last)
			continue;
		snprintf(buf, sizeof(buf), "\033[%d;1H", pos.row + 1);
		sb_append(&sb, buf, strlen(buf));
		for (pos.col = 0; pos.col < last; pos.col++) {
			if (!vterm_screen_get_cell(s->vs, pos, &cell))
				continue;
			if (!have || !same_look(&cell, &prev)) {
				sgr_cell(&sb, &cell);
				prev = cell;
				have = 1;
			}
			if (!cell.chars[0]) {
				/* the right half of a wide character holds nothing */
				if (pos.col == 0 || cell.width)
					sb_append(&sb, " ", 1);
				continue;
			}
			for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && cell.chars[i]; i++)
				put_utf8(&sb, cell.chars[i]);
			if (cell.width > 1)
				pos.col += cell.width - 1;
		}
	}
	vterm_state_get_cursorpos(vterm_obtain_state(s->vt), &pos);
	snprintf(buf, sizeof(buf), "\033[0m\033[%d;%dH", pos.row + 1, pos.col + 1);
	sb_append(&sb, buf, strlen(buf));
	return sb_steal(&sb);
}
