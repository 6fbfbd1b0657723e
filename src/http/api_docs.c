/* api_docs.c - GET /api/openapi.json: the API reference, compiled in. */
#include "config.h"

#include "http/api_docs.h"
#include "http/req.h"
#include "http/resp.h"

enum err
api_docs_openapi(struct req *r, const struct identity *id)
{
	(void)id;	/* AUTHZ_PUBLIC: none */
	resp_text(r, 200, "application/json", api_docs_openapi_json, api_docs_openapi_json_len);
	return ERR_OK;
}
