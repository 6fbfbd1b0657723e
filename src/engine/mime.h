/* mime.h - the real type of uploaded bytes (libmagic), the allowlist, extensions and file types. */
#ifndef COFFER_MIME_H
#define COFFER_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

#define MIME_SNIFF_MAX	(1024 * 1024)	/* bytes of a range handed to libmagic */
#define MIME_ENCODING_MAX 4096		/* of which its text-encoding pass reads */
#define MIME_TYPE_MAX	128		/* enough for any type libmagic names */

struct mime;

/* The seed's allowlist, NULL-terminated (static). */
extern const char *const mime_default_allow[];

/*
 * A libmagic handle loaded with the system database in MAGIC_MIME_TYPE
 * mode, plus its sniff buffer: one per worker, not shared across fork.
 * allow is the allowlist it will serve (NULL: mime_default_allow): when it
 * names no textual type, libmagic's text-encoding pass is capped at
 * MIME_ENCODING_MAX bytes, which changes no allow/refuse verdict.
 * ERR_CONFIG with *errstr (static or libmagic's, valid until the next
 * call) when the database cannot be loaded.  Caller owns *out and ends it
 * with mime_free().
 */
enum err mime_new(struct mime **out, const char *const *allow, const char **errstr);
void mime_free(struct mime *m);

/*
 * Sniff the type of the len bytes at offset of fd (a part of a request
 * body file, or a whole file): at most MIME_SNIFF_MAX bytes from offset go
 * to libmagic; a ZIP or an Office Open XML verdict is then settled from the
 * ZIP central directory at the end of the range (see mime.c), so a genuine
 * DOCX/XLSX is named as such whatever its entry order and a plain ZIP stays
 * application/zip.  Only bytes decide: never the client's type or name.
 * Writes the type (e.g. "image/png") to out.  Returns ERR_OK, ERR_SYS on a
 * read error or a range past the end of fd, ERR_INTERNAL if libmagic fails
 * or outlen is too small; *errstr says why.  len 0 gives
 * "application/x-empty".
 */
enum err mime_sniff_fd(struct mime *m, int fd, off_t offset, size_t len,
    char *out, size_t outlen, const char **errstr);

/* The same for bytes in memory (tests). */
enum err mime_sniff_mem(struct mime *m, const void *buf, size_t len,
    char *out, size_t outlen, const char **errstr);

/* True if type is in allow (NULL-terminated; NULL for mime_default_allow). */
bool mime_allowed(const char *type, const char *const *allow);

/* The extension stored objects get for type (".jpg", ".docx", ...), or ""
 * for a type without one.  Static. */
const char *mime_extension(const char *type);

/* The seed's breakdown category: "image", "video", "audio", "document" or
 * "other".  Static. */
const char *mime_file_type(const char *type);

#endif
