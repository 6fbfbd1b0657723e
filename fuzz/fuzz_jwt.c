/* fuzz_jwt.c - libFuzzer target: Bearer parsing and JWT claim handling. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/auth.h"
#include "base/conf.h"
#include "engine/identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf conf;
static int ready;

/*
 * The bytes are an Authorization header value.  Nothing crashes; a
 * refusal carries a code; an accepted identity is well formed (a canonical
 * UUID customer or, for platform only, none; a valid user; a known role).  Fixed HS256 secret: a
 * random input essentially never carries a valid signature, so the seed
 * corpus holds signed tokens whose claims the fuzzer mutates.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *token, *code = NULL, *errstr = NULL;
	char errbuf[256], *header, canon[IDENTITY_UUID_LEN + 1];
	struct identity id;

	if (!ready) {
		setenv("JWT_SECRET", "fuzzing-secret-fuzzing-secret-0123456789", 1);
		/* The default (local) backend needs a download-link key. */
		setenv("COFFER_LINK_SECRET", "fuzzing-link-secret-fuzzing-0123456789", 1);
		if (conf_load(&conf, NULL, errbuf, sizeof(errbuf)) != ERR_OK)
			abort();
		ready = 1;
	}
	if (size > 8192)
		return 0;
	header = malloc(size + 1);
	memcpy(header, data, size);
	header[size] = '\0';
	if (auth_bearer(header, &token, &code, &errstr) == ERR_OK) {
		memset(&id, 0, sizeof(id));
		code = NULL;
		if (auth_jwt_verify(&conf, token, 1795600000, &id, &code, &errstr) == ERR_OK) {
			/* Only a platform identity may name no customer. */
			if (id.customer[0] == '\0' ? id.role != ROLE_PLATFORM :
			    identity_uuid_canon(id.customer, canon) != 0 ||
			    strcmp(canon, id.customer) != 0)
				abort();
			if (identity_user_valid(id.user) != 0 || id.role == ROLE_NONE)
				abort();
		} else if (code == NULL) {
			abort();
		}
	} else if (code == NULL) {
		abort();
	}
	free(header);
	return 0;
}
