/* identity.h - who a request acts for: customer, user and role, as /auth established them. */
#ifndef COFFER_IDENTITY_H
#define COFFER_IDENTITY_H

#include <json-c/json.h>

#include "base/err.h"


/* Ordered: a role may do everything the roles before it may. */
enum role {
	ROLE_NONE = 0,
	ROLE_MEMBER,		/* a customer's user */
	ROLE_ADMIN,		/* a customer's administrator */
	ROLE_PLATFORM,		/* the operator: any customer, named per request */
};

#define IDENTITY_UUID_LEN	36	/* as STOREKEY_UUID_LEN */
#define IDENTITY_USER_MAX	128

struct identity {
	/* Canonical lower-case UUID; "" only for a platform identity that
	 * names no customer. */
	char		customer[IDENTITY_UUID_LEN + 1];
	/* 1..IDENTITY_USER_MAX visible ASCII characters (it reaches HTTP
	 * headers, logs and the audit trail); "apikey:<uuid>" for API keys. */
	char		user[IDENTITY_USER_MAX + 1];
	enum role	role;
};

/* "member", "admin", "platform"; ROLE_NONE and others give "none". */
const char *identity_role_name(enum role role);

/* The role named s (exact, lower case), or ROLE_NONE. */
enum role identity_role_parse(const char *s);

/*
 * Copy s into out (IDENTITY_UUID_LEN + 1 bytes) as a canonical lower-case
 * UUID.  Returns 0, or -1 unless s is exactly 8-4-4-4-12 hex digits (either
 * case; no braces, no "urn:uuid:").
 */
int identity_uuid_canon(const char *s, char *out);

/* 0 if s is a valid user id (see struct identity), else -1. */
int identity_user_valid(const char *s);


/* {"customerId": ..., "userId": ..., "role": ...}; caller owns it.  A
 * platform identity without a customer has "customerId": null. */
struct json_object *identity_to_json(const struct identity *id);

#endif
