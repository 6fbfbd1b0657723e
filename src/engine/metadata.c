/* metadata.c - the metadata field: a strict JSON object (base/jsonstrict), stored compact. */
#include "config.h"

#include <json-c/json.h>
#include <string.h>

#include "base/jsonstrict.h"
#include "engine/metadata.h"
#include "base/xmalloc.h"

enum err
metadata_normalize(const char *buf, size_t len, char **out, const char **code,
    const char **errstr)
{
	struct json_object *o;

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
	if (jsonstrict_parse(buf, len, METADATA_DEPTH, &o, errstr) != ERR_OK)
		return ERR_BADREQ;
	*out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	*code = NULL;
	*errstr = NULL;
	return ERR_OK;
}
