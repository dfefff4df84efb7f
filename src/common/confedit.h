/* confedit.h -- one key of one section of the configuration file
 * changed in place, the rest of the file as it was: comments, blank
 * lines, the order of keys and sections (umlwatch --keep). */
#ifndef UMLMON_CONFEDIT_H
#define UMLMON_CONFEDIT_H

#include "common/util.h"

/* In section [section] of the file at path: the line of key replaced by
 * "key = value" (its comment after " ;" kept), or, if the section has no such key, inserted after its
 * last key line (after its header if it has none); value NULL deletes
 * the key's line (none: nothing to do). The file is rewritten in one
 * rename, with the owner and mode it had. -1 with e naming the file:
 * ERR_NOENT without such a section, ERR_INVAL for a value that is not
 * one line, ERR_IO when it cannot be read or written. */
int confedit_set(const char *path, const char *section, const char *key,
		 const char *value, struct err *e);

/* The same on the text of a file (tests, and the above): a new text,
 * malloc'd, or NULL with e. */
char *confedit_text(const char *text, const char *path, const char *section,
		    const char *key, const char *value, struct err *e);

#endif
