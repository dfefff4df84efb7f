/* screen.h -- a terminal emulator (libvterm) fed with a channel's output,
 * so that the monitor can tell what the screen shows now: umlwatch
 * -screen, the web console, scripts. */
#ifndef UMLMON_SCREEN_H
#define UMLMON_SCREEN_H

#include <stddef.h>

struct screen;

struct screen *screen_new(int rows, int cols);
void screen_free(struct screen *s);
void screen_feed(struct screen *s, const void *data, size_t n);
void screen_resize(struct screen *s, int rows, int cols);
/* A hard reset: an empty screen, the cursor home. */
void screen_reset(struct screen *s);
void screen_size(const struct screen *s, int *rows, int *cols);
/* The rows as UTF-8 text joined by '\n', trailing blanks of each row and
 * empty rows at the end cut; malloc'd. The cursor's position too. */
char *screen_text(struct screen *s, int *cursor_row, int *cursor_col);
/* The screen as escape sequences that draw it on a terminal of its size:
 * every cell with its colours and attributes, then the cursor in place
 * (the web console opens on it); malloc'd. */
char *screen_ansi(struct screen *s);

#endif
