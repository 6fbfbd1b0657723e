/* apikey.c - API keys: generated, hashed, looked up by /auth, managed by cofferctl. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/apikey.h"
#include "engine/auth.h"
#include "engine/db.h"

#define APIKEY_RANDOM	32	/* bytes: 256 bits */
#define APIKEY_SHOWN	6	/* secret characters kept in key_prefix */

int
apikey_is_key(const char *token)
{
	return strncmp(token, APIKEY_PREFIX, strlen(APIKEY_PREFIX)) == 0;
}

/* The shape of a key we issued: prefix and exactly 43 base64url characters. */
static int
apikey_well_formed(const char *key)
{
	size_t i, n = strlen(APIKEY_PREFIX);

	if (strlen(key) != APIKEY_LEN || !apikey_is_key(key))
		return 0;
	for (i = n; i < APIKEY_LEN; i++)
		if (!auth_b64url_char((unsigned char)key[i]))
			return 0;
	return 1;
}

/*
 * SHA-256, not a password KDF (bcrypt, scrypt, Argon2): those exist to
 * slow down guessing of low-entropy secrets people choose.  A key here is
 * 256 bits from the CSPRNG, so no rate of guessing finds a preimage, and
 * a slow hash would only make every API request spend milliseconds of CPU
 * in /auth.  The hash is also deterministic, so /auth finds the row by an
 * index lookup instead of trying each key's salt.
 */
static void
apikey_hash(const char *key, char hex[APIKEY_HASH_LEN + 1])
{
	unsigned char md[32];
	unsigned int len = 0;
	int i;

	if (EVP_Digest(key, strlen(key), md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		abort();	/* SHA-256 does not fail short of a broken libcrypto */
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* A key lookup that also, at most once a minute per key, stamps its use:
 * one round trip, and a write only when the stamp is stale. */
static const struct db_stmt apikey_st_lookup = {
	"apikey_lookup",
	"WITH k AS ("
	" SELECT k.customer_id, k.id, k.role, k.revoked_at IS NOT NULL AS revoked,"
	"  c.status = 'active' AS active, p.max_file_size,"
	"  k.revoked_at IS NULL AND (k.last_used_at IS NULL"
	"   OR k.last_used_at < now() - interval '1 minute') AS stale"
	" FROM api_keys k JOIN customers c USING (customer_id) JOIN plans p ON p.name = c.plan"
	" WHERE k.key_hash = $1"
	"), touched AS ("
	" UPDATE api_keys a SET last_used_at = now() FROM k"
	" WHERE k.stale AND a.customer_id = k.customer_id AND a.id = k.id"
	")"
	" SELECT customer_id, id, role, revoked, active, max_file_size FROM k",
	1
};

static const struct db_stmt apikey_st_create = {
	"apikey_create",
	"INSERT INTO api_keys (customer_id, name, role, key_hash, key_prefix)"
	" VALUES ($1::uuid, $2, $3, $4, $5) RETURNING id",
	5
};

/* Operators name a key by its id alone: a rare scan of a small table.  The
 * revoked_at stamp stays as the key's history. */
static const struct db_stmt apikey_st_revoke = {
	"apikey_revoke",
	"UPDATE api_keys SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL"
	" RETURNING id",
	1
};

static const struct db_stmt apikey_st_exists = {
	"apikey_exists",
	"SELECT 1 FROM api_keys WHERE id = $1::uuid",
	1
};

static const struct db_stmt apikey_st_list = {
	"apikey_list",
	"SELECT coalesce(json_agg(json_build_object("
	"  'id', id, 'name', name, 'role', role, 'prefix', key_prefix,"
	"  'createdAt', created_at, 'lastUsedAt', last_used_at, 'revokedAt', revoked_at)"
	" ORDER BY created_at DESC, id), '[]')"
	" FROM api_keys WHERE customer_id = $1::uuid",
	1
};

enum err
apikey_lookup(PGconn *pg, const char *key, struct apikey_row *row)
{
	char hash[APIKEY_HASH_LEN + 1];
	const char *params[1] = { hash };
	PGresult *res;
	enum err rc;

	memset(row, 0, sizeof(*row));
	if (!apikey_well_formed(key))
		return ERR_AUTH;
	apikey_hash(key, hash);
	if ((rc = db_run(pg, &apikey_st_lookup, params, &res, NULL)) != ERR_OK)
		return rc;
	if (PQntuples(res) != 1) {
		rc = ERR_AUTH;
	} else {
		snprintf(row->id.customer, sizeof(row->id.customer), "%s", PQgetvalue(res, 0, 0));
		snprintf(row->id.user, sizeof(row->id.user), "apikey:%s", PQgetvalue(res, 0, 1));
		row->id.role = identity_role_parse(PQgetvalue(res, 0, 2));
		row->revoked = PQgetvalue(res, 0, 3)[0] == 't';
		row->customer_active = PQgetvalue(res, 0, 4)[0] == 't';
		row->max_file_size = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
	}
	PQclear(res);
	return rc;
}

/* base64url without padding of APIKEY_RANDOM bytes: 43 characters. */
static void
apikey_encode(const unsigned char *raw, char *out)
{
	char tmp[4 * ((APIKEY_RANDOM + 2) / 3) + 1];
	int n, i;

	n = EVP_EncodeBlock((unsigned char *)tmp, raw, APIKEY_RANDOM);
	while (n > 0 && tmp[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++)
		out[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
	out[n] = '\0';
}

enum err
apikey_create(PGconn *pg, const char *customer, enum role role, const char *name,
    char *key, char *key_id, const char **errstr)
{
	char cust[IDENTITY_UUID_LEN + 1], hash[APIKEY_HASH_LEN + 1], prefix[16];
	unsigned char raw[APIKEY_RANDOM];
	const char *params[5];
	PGresult *res;
	enum err rc;
	size_t i;

	key[0] = key_id[0] = '\0';
	if (identity_uuid_canon(customer, cust) == -1) {
		*errstr = "--customer must be a UUID";
		return ERR_BADREQ;
	}
	if (role != ROLE_MEMBER && role != ROLE_ADMIN) {
		*errstr = "--role must be member or admin (platform access uses JWTs: cofferctl token issue)";
		return ERR_BADREQ;
	}
	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			break;
	if (i == 0 || i > 100 || name[i] != '\0') {
		*errstr = "--name must be 1 to 100 characters, no control characters";
		return ERR_BADREQ;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		*errstr = "the random number generator failed";
		return ERR_INTERNAL;
	}
	memcpy(key, APIKEY_PREFIX, strlen(APIKEY_PREFIX));
	apikey_encode(raw, key + strlen(APIKEY_PREFIX));
	OPENSSL_cleanse(raw, sizeof(raw));
	apikey_hash(key, hash);
	snprintf(prefix, sizeof(prefix), "%.*s", (int)strlen(APIKEY_PREFIX) + APIKEY_SHOWN, key);

	params[0] = cust;
	params[1] = name;
	params[2] = identity_role_name(role);
	params[3] = hash;
	params[4] = prefix;
	if ((rc = db_run(pg, &apikey_st_create, params, &res, errstr)) == ERR_OK) {
		snprintf(key_id, IDENTITY_UUID_LEN + 1, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		return ERR_OK;
	}
	if (strcmp(db_last_sqlstate(), "23503") == 0) {	/* foreign_key_violation */
		*errstr = "no such customer";
		rc = ERR_NOTFOUND;
	}
	OPENSSL_cleanse(key, APIKEY_LEN);
	key[0] = '\0';
	return rc;
}

enum err
apikey_revoke(PGconn *pg, const char *key_id, const char **errstr)
{
	char id[IDENTITY_UUID_LEN + 1];
	const char *params[1] = { id };
	PGresult *res;
	enum err rc;
	int n;

	if (identity_uuid_canon(key_id, id) == -1) {
		*errstr = "the key id must be a UUID (see cofferctl apikey list)";
		return ERR_BADREQ;
	}
	if ((rc = db_run(pg, &apikey_st_revoke, params, &res, errstr)) != ERR_OK)
		return rc;
	n = PQntuples(res);
	PQclear(res);
	if (n == 1)
		return ERR_OK;
	/* Nothing revoked: say whether the key exists at all. */
	if ((rc = db_run(pg, &apikey_st_exists, params, &res, errstr)) != ERR_OK)
		return rc;
	n = PQntuples(res);
	PQclear(res);
	*errstr = n == 0 ? "no such API key" : "the key is already revoked";
	return n == 0 ? ERR_NOTFOUND : ERR_CONFLICT;
}

enum err
apikey_list(PGconn *pg, const char *customer, struct json_object **out, const char **errstr)
{
	char cust[IDENTITY_UUID_LEN + 1];
	const char *params[1] = { cust };
	PGresult *res;
	enum err rc;

	*out = NULL;
	if (identity_uuid_canon(customer, cust) == -1) {
		*errstr = "--customer must be a UUID";
		return ERR_BADREQ;
	}
	if ((rc = db_run(pg, &apikey_st_list, params, &res, errstr)) != ERR_OK)
		return rc;
	if ((*out = json_tokener_parse(PQgetvalue(res, 0, 0))) == NULL) {
		*errstr = "unreadable answer from the database";
		rc = ERR_INTERNAL;
	}
	PQclear(res);
	return rc;
}
