/* tusmeta.h - the Upload-Metadata header of a tus creation: comma-separated "key base64" pairs. */
#ifndef COFFER_TUSMETA_H
#define COFFER_TUSMETA_H

#include <stddef.h>

#include "base/err.h"

struct pool;

/* The keys Coffer reads; the rest are ignored.  Values are decoded,
 * NUL-terminated, in the pool; NULL when absent. */
struct tusmeta {
	const char	*filename;	/* "filename", else Uppy's "name" */
	const char	*category;
	const char	*subcategory;
	const char	*entity_id;	/* "entityId" */
	const char	*metadata;	/* JSON text, checked by the caller */
	size_t		 metadata_len;
};

/*
 * Parse hdr (tus 1.0, creation extension): pairs separated by ",", each a
 * key of printable ASCII without spaces or commas, then optionally one
 * space and the value in standard base64 with padding.  A key may appear
 * once.  Known values must not contain a NUL byte.  Returns ERR_OK (out
 * filled; an empty or NULL hdr gives all NULL) or ERR_BADREQ with *errstr
 * (static) saying why.  Decoded text lives in pool.
 */
enum err tusmeta_parse(const char *hdr, struct pool *pool, struct tusmeta *out,
    const char **errstr);

#endif
