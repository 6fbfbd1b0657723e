/* sigv4_ref.c - src/store/sigv4.c driven by the cases tests/sigv4/reference.js gets.
 *
 * Reads the same JSON array of cases as reference.js on stdin and writes
 * what Coffer's signer makes of each: {"presign": URL} or {"authorization":
 * header, "creq": canonical request}.  tests/integration/test_sigv4_reference.py
 * compares the two outputs.  Requests are prepared the way store_s3v4.c
 * prepares them: paths come encoded (as S3 signs them), query values are
 * encoded once, then canonicalised; x-amz-date (and x-amz-security-token)
 * added as headers.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "store/sigv4.h"

static const char *
str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* "k1=v1&k2=v2" from a JSON object, names and values encoded once. */
static char *
query_of(json_object *q, const char *leading)
{
	char *out = xstrdup(leading != NULL ? leading : ""), *k, *v, *tmp;

	if (q == NULL)
		return out;
	json_object_object_foreach(q, name, val) {
		k = sigv4_uri_encode(name, 0);
		v = sigv4_uri_encode(json_object_get_string(val), 0);
		tmp = xasprintf("%s%s%s=%s", out, out[0] != '\0' ? "&" : "", k, v);
		free(out);
		free(k);
		free(v);
		out = tmp;
	}
	return out;
}

static json_object *
presign(json_object *c, const struct sigv4_cred *cred)
{
	json_object *q = NULL, *out = json_object_new_object();
	struct sigv4_presign p = {
		.scheme = str(c, "scheme"), .host = str(c, "host"),
		.session_token = str(c, "sessionToken"),
	};
	char *path = xstrdup(str(c, "path")), *extra, *url;

	json_object_object_get_ex(c, "query", &q);
	extra = query_of(q, NULL);
	p.path = path;
	p.extra_query = extra;
	p.now = (time_t)json_object_get_int64(json_object_object_get(c, "now"));
	p.expires_in = json_object_get_int64(json_object_object_get(c, "expiresIn"));
	url = sigv4_presign_url(cred, &p);
	json_object_object_add(out, "presign", url != NULL ? json_object_new_string(url) : NULL);
	free(url);
	free(extra);
	free(path);
	return out;
}

static json_object *
sign(json_object *c, const struct sigv4_cred *cred)
{
	json_object *q = NULL, *hs = NULL, *out = json_object_new_object();
	struct sigv4_header h[32];
	struct sigv4_request r = { .method = str(c, "method"), .headers = h };
	char date[17], *path = xstrdup(str(c, "path")), *query, *creq, *authz;
	const char *tok = str(c, "sessionToken");

	json_object_object_get_ex(c, "query", &q);
	json_object_object_get_ex(c, "headers", &hs);
	query = query_of(q, NULL);
	sigv4_amz_date((time_t)json_object_get_int64(json_object_object_get(c, "now")), date);
	h[r.nheaders++] = (struct sigv4_header){ "host", str(c, "host") };
	if (hs != NULL) {
		json_object_object_foreach(hs, name, val) {
			if (r.nheaders < 29)
				h[r.nheaders++] = (struct sigv4_header){ name,
				    json_object_get_string(val) };
		}
	}
	h[r.nheaders++] = (struct sigv4_header){ "x-amz-date", date };
	if (tok != NULL)
		h[r.nheaders++] = (struct sigv4_header){ "x-amz-security-token", tok };
	r.path = path;
	r.query = query;
	r.payload_hash = str(c, "payloadHash");
	creq = sigv4_canonical_request(&r, NULL);
	authz = sigv4_authorization(cred, date, &r);
	json_object_object_add(out, "creq", json_object_new_string(creq));
	json_object_object_add(out, "authorization",
	    authz != NULL ? json_object_new_string(authz) : NULL);
	free(creq);
	free(authz);
	free(query);
	free(path);
	return out;
}

int
main(void)
{
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);
	json_object *in, *out = json_object_new_array();
	size_t i;

	buf[n] = '\0';
	if ((in = json_tokener_parse(buf)) == NULL || !json_object_is_type(in, json_type_array)) {
		fprintf(stderr, "sigv4_ref: stdin is not a JSON array\n");
		return 2;
	}
	for (i = 0; i < json_object_array_length(in); i++) {
		json_object *c = json_object_array_get_idx(in, i);
		struct sigv4_cred cred = { str(c, "accessKeyId"), str(c, "secret"),
		    str(c, "region"), "s3" };
		const char *kind = str(c, "kind");

		json_object_array_add(out, kind != NULL && strcmp(kind, "presign") == 0 ?
		    presign(c, &cred) : sign(c, &cred));
	}
	puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(in);
	json_object_put(out);
	return 0;
}
