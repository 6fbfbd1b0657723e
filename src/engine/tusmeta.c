/* tusmeta.c - parsing tus's Upload-Metadata header (base64 by OpenSSL's EVP_DecodeBlock). */
#include "config.h"

#include <openssl/evp.h>
#include <string.h>

#include "base/pool.h"
#include "engine/tusmeta.h"

#define TUSMETA_PAIRS_MAX	64

/* Decode len base64 characters at s into the pool; NULL if malformed. */
static char *
tusmeta_decode(struct pool *pool, const char *s, size_t len, size_t *outlen)
{
	unsigned char *buf;
	int n;
	size_t pad = 0;

	if (len % 4 != 0)
		return NULL;
	buf = pool_alloc(pool, len / 4 * 3 + 1);
	if (len == 0) {
		buf[0] = '\0';
		*outlen = 0;
		return (char *)buf;
	}
	/* EVP_DecodeBlock accepts leading/trailing whitespace and counts
	 * padding as zero bytes; neither is a tus value. */
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") < len)
		return NULL;
	if (s[len - 1] == '=')
		pad++;
	if (len >= 2 && s[len - 2] == '=')
		pad++;
	if (memchr(s, '=', len - pad) != NULL)
		return NULL;
	if ((n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len)) < 0 ||
	    (size_t)n < pad)
		return NULL;
	*outlen = (size_t)n - pad;
	buf[*outlen] = '\0';
	return (char *)buf;
}

enum err
tusmeta_parse(const char *hdr, struct pool *pool, struct tusmeta *out, const char **errstr)
{
	static const char *const known[] = { "filename", "name", "category", "subcategory",
	    "entityId", "metadata" };
	const char *seen[TUSMETA_PAIRS_MAX];
	size_t nseen = 0, i, klen, vlen, dlen;
	const char *p, *end, *key, *sp;
	const char *name = NULL;
	char *val;

	memset(out, 0, sizeof(*out));
	if (hdr == NULL)
		return ERR_OK;
	for (p = hdr; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, ",");
		/* Trailing blanks of the pair. */
		vlen = (size_t)(end - p);
		while (vlen > 0 && (p[vlen - 1] == ' ' || p[vlen - 1] == '\t'))
			vlen--;
		if (vlen == 0) {
			if (*end == '\0' && nseen > 0)
				break;
			*errstr = "Upload-Metadata has an empty pair";
			return ERR_BADREQ;
		}
		key = p;
		sp = memchr(p, ' ', vlen);
		klen = sp != NULL ? (size_t)(sp - p) : vlen;
		for (i = 0; i < klen; i++)
			if (key[i] <= 0x20 || key[i] >= 0x7f) {
				*errstr = "an Upload-Metadata key is not printable ASCII";
				return ERR_BADREQ;
			}
		if (klen == 0) {
			*errstr = "an Upload-Metadata key is empty";
			return ERR_BADREQ;
		}
		for (i = 0; i < nseen; i++)
			if (strlen(seen[i]) == klen && memcmp(seen[i], key, klen) == 0) {
				*errstr = "an Upload-Metadata key appears twice";
				return ERR_BADREQ;
			}
		if (nseen == TUSMETA_PAIRS_MAX) {
			*errstr = "Upload-Metadata has too many pairs";
			return ERR_BADREQ;
		}
		seen[nseen++] = pool_strndup(pool, key, klen);
		val = NULL;
		dlen = 0;
		if (sp != NULL) {
			if ((val = tusmeta_decode(pool, sp + 1, vlen - klen - 1, &dlen)) == NULL) {
				*errstr = "an Upload-Metadata value is not base64";
				return ERR_BADREQ;
			}
		}
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i]) == klen && memcmp(known[i], key, klen) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			continue;	/* filetype, relativePath, ...: not ours */
		if (val != NULL && memchr(val, '\0', dlen) != NULL) {
			*errstr = "an Upload-Metadata value contains a NUL byte";
			return ERR_BADREQ;
		}
		switch (i) {
		case 0: out->filename = val; break;
		case 1: name = val; break;
		case 2: out->category = val; break;
		case 3: out->subcategory = val; break;
		case 4: out->entity_id = val; break;
		default:
			out->metadata = val;
			out->metadata_len = dlen;
			break;
		}
	}
	if (out->filename == NULL)
		out->filename = name;
	return ERR_OK;
}
