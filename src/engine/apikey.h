/* apikey.h - API keys: the key format, its hash, and the api_keys table. */
#ifndef COFFER_APIKEY_H
#define COFFER_APIKEY_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/identity.h"

#define APIKEY_PREFIX		"cof_"
#define APIKEY_LEN		(4 + 43)	/* "cof_" + base64url of 32 bytes */
#define APIKEY_HASH_LEN		64		/* hex SHA-256 */

/* What /auth needs to know about a presented key. */
struct apikey_row {
	struct identity	 id;		/* user is "apikey:<key id>" */
	int		 revoked;
	int		 customer_active;	/* customers.status = 'active' */
	int64_t		 max_file_size;		/* its plan's */
};

/* 1 if token has the API key prefix (it is then never tried as a JWT). */
int apikey_is_key(const char *token);

/*
 * Look the key up and, at most once a minute, record that it was used
 * (same statement, one round trip).  ERR_OK with *row filled; ERR_AUTH
 * when the key is malformed or unknown (no database access for a
 * malformed one); otherwise db_run()'s classification (ERR_DB: try again).
 */
enum err apikey_lookup(PGconn *pg, const char *key, struct apikey_row *row);

/*
 * Create a key for customer with role (ROLE_MEMBER or ROLE_ADMIN) and a
 * name for people.  On ERR_OK key (APIKEY_LEN + 1 bytes) holds the key,
 * to be shown once, and key_id (37 bytes) its id.  ERR_BADREQ for bad
 * arguments, ERR_NOTFOUND for an unknown customer, ERR_DB; *errstr says
 * why (static, or db.c's until the next db_* call).
 */
enum err apikey_create(PGconn *pg, const char *customer, enum role role, const char *name,
    char *key, char *key_id, const char **errstr);

/* Revoke key id: ERR_OK, ERR_NOTFOUND, ERR_CONFLICT (already revoked), ERR_DB. */
enum err apikey_revoke(PGconn *pg, const char *key_id, const char **errstr);

/*
 * The customer's keys, newest first, as a JSON array of {id, name, role,
 * prefix, createdAt, lastUsedAt, revokedAt}; never the hash.  Caller owns
 * *out.  ERR_BADREQ, ERR_DB.
 */
enum err apikey_list(PGconn *pg, const char *customer, struct json_object **out,
    const char **errstr);

#endif
