/* fuzz_multipart.c - libFuzzer target: multipart framing, with invariants checked on success. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/multipart.h"
#include "base/pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one option byte, then either the body (boundary "XyZ") or, when
 * the option's low bit is set, a Content-Type line ended by '\n' and then
 * the body.  The option also picks a tiny window and tight limits, so
 * delimiters and header blocks straddle window edges in small inputs.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct multipart_limits lim;
	struct multipart_result res;
	const char *errstr = NULL, *ct = "multipart/form-data; boundary=XyZ";
	char ctbuf[256];
	const uint8_t *nl;
	struct pool *pool;
	enum mp_err rc;
	uint8_t opt;
	size_t i, n;

	if (size < 1)
		return 0;
	opt = data[0];
	data++;
	size--;
	if (opt & 1) {
		nl = memchr(data, '\n', size < sizeof(ctbuf) ? size : sizeof(ctbuf));
		if (nl == NULL)
			return 0;
		n = (size_t)(nl - data);
		memcpy(ctbuf, data, n);
		ctbuf[n] = '\0';
		ct = ctbuf;
		data += n + 1;
		size -= n + 1;
	}
	multipart_limits_default(&lim);
	if (opt & 2) {
		lim.buffer_size = 1 + (opt >> 4) * 16;	/* raised to the minimum */
		lim.max_header_bytes = 64 + (opt & 0x0c) * 8;
		lim.max_field_bytes = 16;
		lim.max_parts = 4;
		lim.max_name_bytes = 8;
	}

	pool = pool_new();
	rc = multipart_parse_mem(data, size, ct, &lim, pool, &res, &errstr);
	if (rc >= MP_ERR__COUNT || (rc != MP_OK && errstr == NULL))
		abort();
	if (rc == MP_OK) {
		if (res.nfields + (res.has_file ? 1 : 0) > lim.max_parts)
			abort();
		for (i = 0; i < res.nfields; i++)
			if (res.fields[i].len > lim.max_field_bytes ||
			    strlen(res.fields[i].name) > lim.max_name_bytes ||
			    res.fields[i].value[res.fields[i].len] != '\0' ||
			    strcmp(res.fields[i].name, "file") == 0)
				abort();
		/* The file range lies in the body and is followed by CRLF "--". */
		if (res.has_file &&
		    (res.file.offset < 0 || res.file.length < 0 ||
		    (size_t)(res.file.offset + res.file.length) + 4 > size ||
		    memcmp(data + res.file.offset + res.file.length, "\r\n--", 4) != 0))
			abort();
	} else if (res.nfields != 0 || res.has_file)
		abort();
	(void)multipart_strerror(rc);
	(void)multipart_code(rc);
	pool_free(pool);
	return 0;
}
