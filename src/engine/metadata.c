/* metadata.c - strict parsing of the metadata field with json-c's tokener. */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "base/log.h"
#include "engine/metadata.h"
#include "base/xmalloc.h"

enum err
metadata_normalize(const char *buf, size_t len, char **out, const char **code,
    const char **errstr)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end;

	*out = NULL;
	*code = "INVALID_METADATA";
	*errstr = "metadata must be a JSON object";
	if (len > METADATA_MAX) {
		*code = "METADATA_TOO_LARGE";
		*errstr = "metadata is larger than 16 KiB";
		return ERR_BADREQ;
	}
	if (memchr(buf, '\0', len) != NULL)
		return ERR_BADREQ;
	if ((tok = json_tokener_new_ex(METADATA_DEPTH)) == NULL)
		fatalx("out of memory");
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || jerr != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return ERR_BADREQ;
	}
	/* Trailing garbage after the object is as invalid as no object. */
	for (; end < len; end++) {
		if (buf[end] != ' ' && buf[end] != '\n' && buf[end] != '\r' && buf[end] != '\t') {
			json_object_put(o);
			return ERR_BADREQ;
		}
	}
	*out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	*code = NULL;
	*errstr = NULL;
	return ERR_OK;
}
