/* identity.c - the identity nginx passes to workers, parsed and checked once per request. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "engine/identity.h"
#include "base/log.h"
#include "engine/storekey.h"

_Static_assert(IDENTITY_UUID_LEN == STOREKEY_UUID_LEN, "one UUID length");

static const char *const role_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_MEMBER] = "member",
	[ROLE_ADMIN] = "admin",
	[ROLE_PLATFORM] = "platform",
};

const char *
identity_role_name(enum role role)
{
	if ((unsigned)role > ROLE_PLATFORM)
		role = ROLE_NONE;
	return role_names[role];
}

enum role
identity_role_parse(const char *s)
{
	int i;

	for (i = ROLE_MEMBER; i <= ROLE_PLATFORM; i++)
		if (s != NULL && strcmp(s, role_names[i]) == 0)
			return (enum role)i;
	return ROLE_NONE;
}

int
identity_uuid_canon(const char *s, char *out)
{
	size_t i;

	if (s == NULL || strlen(s) != IDENTITY_UUID_LEN)
		return -1;
	for (i = 0; i <= IDENTITY_UUID_LEN; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	/* The one definition of a canonical UUID: the customer id goes into
	 * storage keys, and storekey must accept what passed here. */
	if (!storekey_uuid_ok(out)) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
identity_user_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (i == IDENTITY_USER_MAX || s[i] < 0x21 || s[i] > 0x7e)
			return -1;
	return 0;
}

struct json_object *
identity_to_json(const struct identity *id)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "customerId", id->customer[0] != '\0' ?
	    json_object_new_string(id->customer) : NULL);
	json_object_object_add(o, "userId", json_object_new_string(id->user));
	json_object_object_add(o, "role", json_object_new_string(identity_role_name(id->role)));
	return o;
}
