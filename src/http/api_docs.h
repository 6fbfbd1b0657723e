/* api_docs.h - GET /api/openapi.json: the API reference, compiled in. */
#ifndef COFFER_API_DOCS_H
#define COFFER_API_DOCS_H

#include <stddef.h>

#include "base/err.h"

struct identity;
struct req;

/* docs/openapi.yaml as compact JSON, NUL-terminated (generated at build
 * time into openapi_json.c by scripts/openapi-embed). */
extern const char api_docs_openapi_json[];
extern const size_t api_docs_openapi_json_len;

/* GET /api/openapi.json: the document, to anyone (nginx serves it without
 * auth_request: it holds no secret).  Always ERR_OK. */
enum err api_docs_openapi(struct req *r, const struct identity *id);

#endif
