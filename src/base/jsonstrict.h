/* jsonstrict.h - parsing a JSON object from client bytes, strictly. */
#ifndef COFFER_JSONSTRICT_H
#define COFFER_JSONSTRICT_H

#include <json-c/json.h>
#include <stddef.h>

#include "base/err.h"

/*
 * Parse [buf, buf+len) as exactly one JSON object (whitespace around it
 * allowed) by RFC 8259: UTF-8 checked (no overlongs, surrogates or code
 * points past U+10FFFF), no raw control characters in strings, no \u0000
 * and no lone surrogate escapes, no name twice in one object, at most
 * max_depth objects and arrays deep, and numbers that come back exactly
 * through PostgreSQL's jsonb and json-c: an integral value must fit in
 * int64, exponents within +-308.  On ERR_OK *out is a new json-c reference
 * the caller puts.  Otherwise ERR_BADREQ, *out NULL and *errstr (static)
 * says why, for people.
 */
enum err jsonstrict_parse(const char *buf, size_t len, int max_depth, struct json_object **out,
    const char **errstr);

#endif
