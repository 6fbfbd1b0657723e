/* metadata.h - the client's JSON metadata for a file: checked, normalised. */
#ifndef COFFER_METADATA_H
#define COFFER_METADATA_H

#include <stddef.h>

#include "base/err.h"

/* Metadata is a small JSON object the SaaS attaches; stored, not interpreted. */
#define METADATA_MAX	(16 * 1024)
#define METADATA_DEPTH	8

/*
 * Check that [buf, buf+len) is exactly one JSON object by jsonstrict_parse
 * (RFC 8259, UTF-8, no \u0000, no duplicate names, numbers kept exact),
 * at most METADATA_MAX bytes and METADATA_DEPTH deep, without NUL bytes.  On ERR_OK *out is its compact form (caller frees with free()).
 * Otherwise ERR_BADREQ with *code "INVALID_METADATA" or
 * "METADATA_TOO_LARGE" and *errstr (static) for people.
 */
enum err metadata_normalize(const char *buf, size_t len, char **out, const char **code,
    const char **errstr);

#endif
