/* ctl_auth.c - `cofferctl apikey create|revoke|list` and `cofferctl token issue`. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/apikey.h"
#include "engine/auth.h"
#include "ctl/ctl.h"
#include "engine/identity.h"


struct ctl_opt {
	const char	*name;		/* "--customer" */
	const char	*value;		/* NULL until given */
};

/*
 * Fill opts from "--name value" pairs in argv[first..argc).  Returns 0, or
 * -1 after printing why (unknown option, missing value, given twice).
 */
static int
ctl_auth_opts(int argc, char **argv, int first, struct ctl_opt *opts, size_t nopts)
{
	size_t j;
	int i;

	for (i = first; i < argc; i += 2) {
		for (j = 0; j < nopts; j++)
			if (strcmp(argv[i], opts[j].name) == 0)
				break;
		if (j == nopts) {
			fprintf(stderr, "cofferctl: unknown option %s\n", argv[i]);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "cofferctl: %s needs a value\n", argv[i]);
			return -1;
		}
		if (opts[j].value != NULL) {
			fprintf(stderr, "cofferctl: %s given twice\n", argv[i]);
			return -1;
		}
		opts[j].value = argv[i + 1];
	}
	return 0;
}

static int
ctl_apikey_usage(void)
{
	fprintf(stderr,
	    "usage: cofferctl apikey create --customer ID --role member|admin --name NAME\n"
	    "       cofferctl apikey revoke KEY_ID\n"
	    "       cofferctl apikey list --customer ID\n");
	return 2;
}

static int
ctl_apikey_create(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_opt o[] = { { "--customer", NULL }, { "--role", NULL }, { "--name", NULL } };
	char key[APIKEY_LEN + 1], id[IDENTITY_UUID_LEN + 1];
	const char *why = NULL;
	enum err rc;

	if (ctl_auth_opts(argc, argv, 2, o, 3) == -1 || o[0].value == NULL ||
	    o[1].value == NULL || o[2].value == NULL)
		return ctl_apikey_usage();
	rc = apikey_create(ctl_db(ctl), o[0].value, identity_role_parse(o[1].value),
	    o[2].value, key, id, &why);
	if (rc != ERR_OK) {
		fprintf(stderr, "cofferctl: apikey create: %s\n", why);
		return rc == ERR_BADREQ ? 2 : 1;
	}
	printf("# API key %s for customer %s, role %s, name \"%s\".\n"
	    "# Store it now: only its SHA-256 is kept, so it cannot be shown again.\n"
	    "# Send it as: Authorization: Bearer <key>\n"
	    "%s\n", id, o[0].value, o[1].value, o[2].value, key);
	return 0;
}

int
ctl_apikey(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_opt o[] = { { "--customer", NULL } };
	struct json_object *list;
	const char *why = NULL;
	enum err rc;

	if (argc < 2)
		return ctl_apikey_usage();
	if (strcmp(argv[1], "create") == 0)
		return ctl_apikey_create(ctl, argc, argv);
	if (strcmp(argv[1], "revoke") == 0) {
		if (argc != 3)
			return ctl_apikey_usage();
		if ((rc = apikey_revoke(ctl_db(ctl), argv[2], &why)) == ERR_CONFLICT) {
			fprintf(stderr, "cofferctl: apikey revoke: %s\n", why);
			return 0;	/* the operator's goal holds */
		}
		if (rc != ERR_OK) {
			fprintf(stderr, "cofferctl: apikey revoke: %s\n", why);
			return rc == ERR_BADREQ ? 2 : 1;
		}
		printf("revoked API key %s\n", argv[2]);
		return 0;
	}
	if (strcmp(argv[1], "list") == 0) {
		if (ctl_auth_opts(argc, argv, 2, o, 1) == -1 || o[0].value == NULL)
			return ctl_apikey_usage();
		if ((rc = apikey_list(ctl_db(ctl), o[0].value, &list, &why)) != ERR_OK) {
			fprintf(stderr, "cofferctl: apikey list: %s\n", why);
			return rc == ERR_BADREQ ? 2 : 1;
		}
		printf("%s\n", json_object_to_json_string_ext(list,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(list);
		return 0;
	}
	return ctl_apikey_usage();
}

static int
ctl_token_usage(void)
{
	fprintf(stderr,
	    "usage: cofferctl token issue [--customer ID] --user ID [--role member|admin|platform]\n"
	    "                             [--ttl SECONDS]\n"
	    "  --customer is required except for --role platform; --role defaults to member,\n"
	    "  --ttl to 3600 (at most [auth] jwt_max_lifetime, 24h by default).  The token\n"
	    "  is the last line of the output.\n");
	return 2;
}

/* The PEM private key for RS256/ES256; caller frees.  NULL after saying why. */
static char *
ctl_token_private_key(const struct conf *conf)
{
	char errbuf[512], *key;

	if (conf->jwt_private_key_file[0] == '\0') {
		fprintf(stderr, "cofferctl: token issue: [auth] jwt_private_key_file is needed to sign %s tokens\n",
		    conf->jwt_algorithm == JWT_RS256 ? "RS256" : "ES256");
		return NULL;
	}
	if (conf_read_key_file(conf->jwt_private_key_file, "[auth] jwt_private_key_file", &key,
	    errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "cofferctl: token issue: %s\n", errbuf);
		return NULL;
	}
	return key;
}

int
ctl_token(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_opt o[] = { { "--customer", NULL }, { "--user", NULL }, { "--role", NULL },
	    { "--ttl", NULL } };
	const struct conf *conf = &ctl->conf;
	struct identity id;
	const char *why = NULL;
	char *key = NULL, *tok = NULL, *end;
	long long ttl = 3600;
	size_t keylen;
	enum err rc;

	if (argc < 2 || strcmp(argv[1], "issue") != 0 ||
	    ctl_auth_opts(argc, argv, 2, o, 4) == -1 || o[1].value == NULL)
		return ctl_token_usage();
	memset(&id, 0, sizeof(id));
	id.role = o[2].value != NULL ? identity_role_parse(o[2].value) : ROLE_MEMBER;
	if (id.role == ROLE_NONE) {
		fprintf(stderr, "cofferctl: token issue: --role must be member, admin or platform\n");
		return 2;
	}
	if (o[0].value != NULL ? identity_uuid_canon(o[0].value, id.customer) == -1 :
	    id.role != ROLE_PLATFORM) {
		fprintf(stderr, "cofferctl: token issue: --customer must be a UUID%s\n",
		    o[0].value == NULL ? " (required except for --role platform)" : "");
		return 2;
	}
	if (identity_user_valid(o[1].value) == -1) {
		fprintf(stderr, "cofferctl: token issue: --user must be 1 to %d visible ASCII characters\n",
		    IDENTITY_USER_MAX);
		return 2;
	}
	strcpy(id.user, o[1].value);
	if (o[3].value != NULL) {
		errno = 0;
		ttl = strtoll(o[3].value, &end, 10);
		/* cofferd refuses a longer-lived token: do not mint one. */
		if (errno != 0 || end == o[3].value || *end != '\0' || ttl < 1 ||
		    ttl > conf->jwt_max_lifetime_ms / 1000) {
			fprintf(stderr, "cofferctl: token issue: --ttl must be 1..%lld seconds "
			    "([auth] jwt_max_lifetime)\n", (long long)(conf->jwt_max_lifetime_ms / 1000));
			return 2;
		}
	}
	if (conf->jwt_algorithm == JWT_HS256) {
		if (conf->jwt_secret[0] == '\0') {
			fprintf(stderr, "cofferctl: token issue: no [auth] jwt_secret (JWT_SECRET) is configured\n");
			return 1;
		}
		rc = auth_jwt_issue(conf, &id, (int64_t)time(NULL), ttl,
		    (const unsigned char *)conf->jwt_secret, strlen(conf->jwt_secret), &tok, &why);
	} else {
		if ((key = ctl_token_private_key(conf)) == NULL)
			return 1;
		keylen = strlen(key);
		rc = auth_jwt_issue(conf, &id, (int64_t)time(NULL), ttl,
		    (const unsigned char *)key, keylen, &tok, &why);
		explicit_bzero(key, keylen);
		free(key);
	}
	if (rc != ERR_OK) {
		fprintf(stderr, "cofferctl: token issue: %s\n", why);
		return 1;
	}
	fprintf(stderr, "cofferctl: token for user %s, role %s, customer %s, valid %lld s\n",
	    id.user, identity_role_name(id.role), id.customer[0] ? id.customer : "(none)", ttl);
	printf("%s\n", tok);
	free(tok);
	return 0;
}
