/* conf.c - declarative key table, libinih parsing, env overrides, validation. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "base/conf.h"
#include "base/conf_validate.h"
#include "base/cors.h"
#include "base/log.h"
#include "base/xmalloc.h"

enum conf_type { T_STR, T_INT, T_SIZE, T_DURATION, T_BOOL, T_MODE, T_ENUM };

struct conf_key {
	const char	*section;
	const char	*name;
	const char	*env;		/* environment override, or NULL */
	enum conf_type	 type;
	size_t		 offset;
	int64_t		 min, max;	/* T_INT, T_SIZE, T_DURATION */
	const char	*def;		/* default, parsed like file input */
	const char *const *choices;	/* T_ENUM: NULL-terminated */
	bool		 secret;	/* masked by conf_dump */
};

static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };
static const char *const storage_types[] = { "local", "s3", NULL };
/* Indexed by enum db_pooler. */
static const char *const db_poolers[] = { "none", "transaction", NULL };
static const char *const s3_styles[] = { "path", "virtual", NULL };
/* Indexed by enum s3_signature. */
static const char *const s3_signatures[] = { "v4", "v2", NULL };
/* Indexed by enum jwt_algorithm. */
const char *const conf_jwt_algorithms[] = { "HS256", "RS256", "ES256", NULL };

#define OFF(f)	offsetof(struct conf, f)
#define GiB	(INT64_C(1) << 30)
#define DAY_MS	(INT64_C(86400) * 1000)

/* The single description of every key: name, type, bounds, default. */
static const struct conf_key conf_keys[] = {
	{ "server", "listen", NULL, T_STR, OFF(listen), 0, 0, "unix:/run/coffer/cofferd.sock", NULL, false },
	{ "server", "listen_mode", NULL, T_MODE, OFF(listen_mode), 0, 0777, "0660", NULL, false },
	{ "server", "listen_owner", NULL, T_STR, OFF(listen_owner), 0, 0, "", NULL, false },
	{ "server", "listen_group", NULL, T_STR, OFF(listen_group), 0, 0, "", NULL, false },
	{ "server", "listen_backlog", NULL, T_INT, OFF(listen_backlog), 1, 65535, "511", NULL, false },
	{ "server", "user", NULL, T_STR, OFF(user), 0, 0, "", NULL, false },
	{ "server", "group", NULL, T_STR, OFF(group), 0, 0, "", NULL, false },
	{ "server", "workers", NULL, T_INT, OFF(workers), 0, 256, "0", NULL, false },
	{ "server", "max_requests", NULL, T_INT, OFF(max_requests), 0, 1000000000, "1000", NULL, false },
	{ "server", "request_timeout", NULL, T_DURATION, OFF(request_timeout_ms), 1000, DAY_MS, "120s", NULL, false },
	{ "server", "slow_request", NULL, T_DURATION, OFF(slow_request_ms), 1, DAY_MS, "5s", NULL, false },
	{ "server", "shutdown_timeout", NULL, T_DURATION, OFF(shutdown_timeout_ms), 0, DAY_MS, "30s", NULL, false },
	{ "server", "emergency_restart_threshold", NULL, T_INT, OFF(restart_threshold), 1, 100000, "10", NULL, false },
	{ "server", "emergency_restart_interval", NULL, T_DURATION, OFF(restart_interval_ms), 1000, DAY_MS, "60s", NULL, false },
	{ "server", "status_socket", NULL, T_STR, OFF(status_socket), 0, 0, "/run/coffer/cofferd-status.sock", NULL, false },
	{ "server", "pid_file", NULL, T_STR, OFF(pid_file), 0, 0, "", NULL, false },
	{ "server", "log_level", "COFFER_LOG_LEVEL", T_ENUM, OFF(log_level), 0, 0, "info", log_levels, false },
	/* The scheme, host and optional path prefix of the links the API hands
	 * out; empty: the request's own (docs/BACKENDS.md, "Download links"). */
	{ "server", "public_url", "COFFER_PUBLIC_URL", T_STR, OFF(public_url), 0, 0, "", NULL, false },
	/* Web origins allowed to call the API from a browser (CORS), exact,
	 * none by default; nginx answers for them (cofferctl cors). */
	{ "server", "cors_origins", NULL, T_STR, OFF(cors_origins), 0, 0, "", NULL, false },

	{ "database", "url", "DATABASE_URL", T_STR, OFF(database_url), 0, 0, "postgresql:///coffer", NULL, true },
	{ "database", "connect_timeout", NULL, T_DURATION, OFF(db_connect_timeout_ms), 1000, 600000, "5s", NULL, false },
	/* A transaction pooler (PgBouncer pool_mode = transaction) between the
	 * workers and PostgreSQL: nothing may rely on a session (db.c). */
	{ "database", "pooler", NULL, T_ENUM, OFF(db_pooler), 0, 0, "none", db_poolers, false },
	/* PostgreSQL itself, past the pooler: cofferctl's session work. */
	{ "database", "direct_url", NULL, T_STR, OFF(db_direct_url), 0, 0, "", NULL, true },

	{ "storage", "type", "STORAGE_TYPE", T_ENUM, OFF(storage_type), 0, 0, "local", storage_types, false },
	{ "storage", "local_path", "LOCAL_STORAGE_PATH", T_STR, OFF(local_path), 0, 0, "/var/lib/coffer/storage", NULL, false },
	{ "storage", "max_file_size", "MAX_FILE_SIZE", T_SIZE, OFF(max_file_size), 1, 1024 * GiB, "50MiB", NULL, false },
	{ "storage", "charge_block", NULL, T_SIZE, OFF(charge_block), 1, 1024 * 1024, "4KiB", NULL, false },
	{ "storage", "charge_metadata", NULL, T_BOOL, OFF(charge_metadata), 0, 0, "yes", NULL, false },
	/* The seed's list; types are what libmagic reports, never the client's. */
	{ "storage", "allowed_types", NULL, T_STR, OFF(allowed_types), 0, 0,
	  "image/jpeg, image/png, image/gif, application/pdf, application/msword, "
	  "application/vnd.openxmlformats-officedocument.wordprocessingml.document, "
	  "application/vnd.ms-excel, "
	  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", NULL, false },
	{ "storage", "default_storage_limit", "DEFAULT_STORAGE_LIMIT", T_SIZE, OFF(default_storage_limit), 0, INT64_MAX, "5GiB", NULL, false },
	{ "storage", "link_secret", "COFFER_LINK_SECRET", T_STR, OFF(link_secret), 0, 0, "", NULL, true },
	{ "storage", "link_secret_file", NULL, T_STR, OFF(link_secret_file), 0, 0, "", NULL, false },
	/* How stale a worker's copy of the categories may be (taxonomy.c). */
	{ "storage", "category_ttl", NULL, T_DURATION, OFF(category_ttl_ms), 0, 3600000, "5s", NULL, false },

	{ "s3", "endpoint", "S3_ENDPOINT", T_STR, OFF(s3_endpoint), 0, 0, "s3.amazonaws.com", NULL, false },
	{ "s3", "bucket", "S3_BUCKET_NAME", T_STR, OFF(s3_bucket), 0, 0, "", NULL, false },
	{ "s3", "region", "AWS_REGION", T_STR, OFF(s3_region), 0, 0, "us-east-1", NULL, false },
	{ "s3", "access_key_id", "AWS_ACCESS_KEY_ID", T_STR, OFF(s3_access_key_id), 0, 0, "", NULL, true },
	{ "s3", "secret_access_key", "AWS_SECRET_ACCESS_KEY", T_STR, OFF(s3_secret_access_key), 0, 0, "", NULL, true },
	{ "s3", "style", NULL, T_ENUM, OFF(s3_virtual_host), 0, 0, "path", s3_styles, false },
	{ "s3", "tls", NULL, T_BOOL, OFF(s3_tls), 0, 0, "yes", NULL, false },
	{ "s3", "timeout", NULL, T_DURATION, OFF(s3_timeout_ms), 100, 600000, "15s", NULL, false },
	/* v4: libcurl + SigV4 (store_s3v4.c); v2: libs3 (store_s3.c). */
	{ "s3", "signature", "S3_SIGNATURE", T_ENUM, OFF(s3_signature), 0, 0, "v4", s3_signatures, false },
	/* Temporary credentials (STS): sent as x-amz-security-token. */
	{ "s3", "session_token", "AWS_SESSION_TOKEN", T_STR, OFF(s3_session_token), 0, 0, "", NULL, true },
	/* AWS: parts of 5 MiB..5 GiB, at most 10000 of them, one PUT <= 5 GiB. */
	{ "s3", "multipart_threshold", NULL, T_SIZE, OFF(s3_multipart_threshold), 5 * 1024 * 1024, 5 * GiB, "64MiB", NULL, false },
	{ "s3", "part_size", NULL, T_SIZE, OFF(s3_part_size), 5 * 1024 * 1024, 5 * GiB, "16MiB", NULL, false },
	/* A PEM bundle to verify the endpoint with instead of the system's. */
	{ "s3", "ca_file", NULL, T_STR, OFF(s3_ca_file), 0, 0, "", NULL, false },

	/* More than any request may run (request_timeout): see conf_validate(). */
	{ "reconcile", "pending_timeout", NULL, T_DURATION, OFF(pending_timeout_ms), 1000, 30 * DAY_MS, "15m", NULL, false },
	{ "reconcile", "orphan_grace", NULL, T_DURATION, OFF(orphan_grace_ms), 60000, 30 * DAY_MS, "1h", NULL, false },
	{ "reconcile", "keep_deleted", NULL, T_DURATION, OFF(keep_deleted_ms), 0, 3650 * DAY_MS, "30d", NULL, false },
	{ "reconcile", "keep_events", NULL, T_DURATION, OFF(keep_events_ms), 0, 3650 * DAY_MS, "90d", NULL, false },
	{ "reconcile", "purge_batch", NULL, T_INT, OFF(purge_batch), 1, 100000, "1000", NULL, false },

	/* Resumable uploads (tus, docs/TUS.md). */
	{ "uploads", "dir", NULL, T_STR, OFF(uploads_dir), 0, 0, "", NULL, false },
	{ "uploads", "expiry", NULL, T_DURATION, OFF(uploads_expiry_ms), 60000, 30 * DAY_MS, "24h", NULL, false },

	{ "auth", "jwt_secret", "JWT_SECRET", T_STR, OFF(jwt_secret), 0, 0, "", NULL, true },
	{ "auth", "jwt_algorithm", NULL, T_ENUM, OFF(jwt_algorithm), 0, 0, "HS256", conf_jwt_algorithms, false },
	{ "auth", "jwt_public_key_file", NULL, T_STR, OFF(jwt_public_key_file), 0, 0, "", NULL, false },
	{ "auth", "jwt_private_key_file", NULL, T_STR, OFF(jwt_private_key_file), 0, 0, "", NULL, false },
	{ "auth", "jwt_issuer", NULL, T_STR, OFF(jwt_issuer), 0, 0, "", NULL, false },
	{ "auth", "jwt_audience", NULL, T_STR, OFF(jwt_audience), 0, 0, "", NULL, false },
	{ "auth", "jwt_leeway", NULL, T_DURATION, OFF(jwt_leeway_ms), 0, 3600000, "30s", NULL, false },
	{ "auth", "jwt_max_lifetime", NULL, T_DURATION, OFF(jwt_max_lifetime_ms), 60000, 366 * DAY_MS, "24h", NULL, false },
	{ "auth", "claim_customer", NULL, T_STR, OFF(claim_customer), 0, 0, "customerId", NULL, false },
	{ "auth", "claim_user", NULL, T_STR, OFF(claim_user), 0, 0, "userId", NULL, false },
	{ "auth", "claim_role", NULL, T_STR, OFF(claim_role), 0, 0, "role", NULL, false },
};

#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static const struct {
	const char *suffix;
	int64_t mult;
} size_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1024 }, { "kib", 1024 }, { "kb", 1000 },
	{ "m", 1024 * 1024 }, { "mib", 1024 * 1024 }, { "mb", 1000 * 1000 },
	{ "g", GiB }, { "gib", GiB }, { "gb", INT64_C(1000000000) },
	{ "t", GiB * 1024 }, { "tib", GiB * 1024 }, { "tb", INT64_C(1000000000000) },
};

static const struct {
	const char *suffix;
	int64_t ms;
} duration_units[] = {
	{ "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 },
	{ "min", 60000 }, { "h", 3600000 }, { "d", 86400000 },
};

/* Split "<digits><unit>"; returns -1 unless s is a plain non-negative integer
 * optionally followed by blanks and a unit. */
static int
conf_split_number(const char *s, int64_t *num, const char **unit)
{
	char *end;
	intmax_t v;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoimax(s, &end, 10);
	if (errno != 0 || v < 0 || v > INT64_MAX)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	*num = (int64_t)v;
	*unit = end;
	return 0;
}

int
conf_parse_size(const char *s, int64_t *out)
{
	const char *unit;
	int64_t n;
	size_t i;

	if (conf_split_number(s, &n, &unit) == -1)
		return -1;
	for (i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcasecmp(unit, size_units[i].suffix) != 0)
			continue;
		if (n > INT64_MAX / size_units[i].mult)
			return -1;
		*out = n * size_units[i].mult;
		return 0;
	}
	return -1;
}

int
conf_parse_duration_ms(const char *s, int64_t *out)
{
	const char *unit;
	int64_t n;
	size_t i;

	if (conf_split_number(s, &n, &unit) == -1)
		return -1;
	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		if (strcmp(unit, duration_units[i].suffix) != 0)
			continue;
		if (n > INT64_MAX / duration_units[i].ms)
			return -1;
		*out = n * duration_units[i].ms;
		return 0;
	}
	return -1;
}

static int
conf_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* Store value for key k into conf, or explain in errbuf why not. */
static int
conf_set(struct conf *conf, const struct conf_key *k, const char *value,
    const char *origin, char *errbuf, size_t errlen)
{
	char *base = (char *)conf + k->offset;
	int64_t n = 0;
	char *end;
	int b, i;
	long mode;
	const char *what;

	switch (k->type) {
	case T_STR:
		if (k->secret && *(char **)base != NULL)
			explicit_bzero(*(char **)base, strlen(*(char **)base));
		free(*(char **)base);
		*(char **)base = xstrdup(value);
		return 0;
	case T_INT:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0') {
			what = "an integer";
			goto bad;
		}
		goto bounds;
	case T_SIZE:
		if (conf_parse_size(value, &n) == -1) {
			what = "a size such as 512KiB, 50MiB or 5GiB";
			goto bad;
		}
		goto bounds;
	case T_DURATION:
		if (conf_parse_duration_ms(value, &n) == -1) {
			what = "a duration such as 500ms, 30s, 5m or 1h";
			goto bad;
		}
		goto bounds;
	case T_BOOL:
		if (conf_parse_bool(value, &b) == -1) {
			what = "yes or no";
			goto bad;
		}
		*(int *)base = b;
		return 0;
	case T_MODE:
		errno = 0;
		mode = strtol(value, &end, 8);
		if (errno != 0 || end == value || *end != '\0' || mode < 0 ||
		    mode > k->max) {
			what = "an octal file mode such as 0660";
			goto bad;
		}
		*(int *)base = (int)mode;
		return 0;
	case T_ENUM:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (strcasecmp(value, k->choices[i]) == 0) {
				*(int *)base = i;
				return 0;
			}
		}
		what = "one of the listed choices";
		goto bad;
	}
	what = "valid";
	goto bad;
bounds:
	if (n < k->min || n > k->max) {
		snprintf(errbuf, errlen,
		    "%s: [%s] %s = \"%s\" is out of range (%" PRId64 "..%" PRId64 ")",
		    origin, k->section, k->name, value, k->min, k->max);
		return -1;
	}
	*(int64_t *)base = n;
	return 0;
bad:
	if (k->type == T_ENUM) {
		char list[128] = "";
		for (i = 0; k->choices[i] != NULL; i++) {
			strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
			strncat(list, k->choices[i], sizeof(list) - strlen(list) - 1);
		}
		snprintf(errbuf, errlen, "%s: [%s] %s = \"%s\" must be one of: %s",
		    origin, k->section, k->name, value, list);
	} else if (k->secret) {
		snprintf(errbuf, errlen, "%s: [%s] %s must be %s", origin,
		    k->section, k->name, what);
	} else {
		snprintf(errbuf, errlen, "%s: [%s] %s = \"%s\" must be %s",
		    origin, k->section, k->name, value, what);
	}
	return -1;
}

static const struct conf_key *
conf_find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

struct conf_parse_ctx {
	struct conf	*conf;
	const char	*path;
	char		*errbuf;
	size_t		 errlen;
	bool		 failed;
};

/* Debian's libinih passes no line number: messages start "path: " and
 * conf_load() adds the line ini_parse_file() reports for the failure. */
static int
conf_ini_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parse_ctx *ctx = user;
	const struct conf_key *k;
	const char *origin = ctx->path;

	if (ctx->failed)
		return 0;
	if (section[0] == '\0') {
		snprintf(ctx->errbuf, ctx->errlen,
		    "%s: key \"%s\" outside any [section] (or below a malformed section header)",
		    origin, name);
		ctx->failed = true;
		return 0;
	}
	if ((k = conf_find(section, name)) == NULL) {
		snprintf(ctx->errbuf, ctx->errlen, "%s: unknown key [%s] %s",
		    origin, section, name);
		ctx->failed = true;
		return 0;
	}
	if (conf_set(ctx->conf, k, value, origin, ctx->errbuf, ctx->errlen) == -1) {
		ctx->failed = true;
		return 0;
	}
	return 1;
}

enum err
conf_load(struct conf *conf, const char *path, char *errbuf, size_t errlen)
{
	struct conf_parse_ctx ctx = { conf, path, errbuf, errlen, false };
	const char *v;
	char origin[64];
	size_t i;
	FILE *fp;
	int rc;

	memset(conf, 0, sizeof(*conf));
	for (i = 0; i < NKEYS; i++) {
		if (conf_set(conf, &conf_keys[i], conf_keys[i].def, "default",
		    errbuf, errlen) == -1)
			fatalx("built-in default invalid: %s", errbuf);
	}
	if (path != NULL) {
		if ((fp = fopen(path, "r")) == NULL) {
			snprintf(errbuf, errlen, "%s: cannot open: %s", path,
			    strerror(errno));
			goto fail;
		}
		rc = ini_parse_file(fp, conf_ini_handler, &ctx);
		fclose(fp);
		if (ctx.failed) {
			char msg[512];
			size_t skip = strlen(path) + 2;

			snprintf(msg, sizeof(msg), "%s", strlen(errbuf) > skip ? errbuf + skip : errbuf);
			snprintf(errbuf, errlen, "%s:%d: %s", path, rc, msg);
			goto fail;
		}
		if (rc != 0) {
			snprintf(errbuf, errlen, "%s:%d: syntax error", path, rc);
			goto fail;
		}
	}
	for (i = 0; i < NKEYS; i++) {
		if (conf_keys[i].env == NULL ||
		    (v = getenv(conf_keys[i].env)) == NULL || v[0] == '\0')
			continue;
		snprintf(origin, sizeof(origin), "environment %s", conf_keys[i].env);
		if (conf_set(conf, &conf_keys[i], v, origin, errbuf, errlen) == -1)
			goto fail;
	}
	if (conf_validate_all(conf, errbuf, errlen) == -1)
		goto fail;
	return ERR_OK;
fail:
	conf_free(conf);
	return ERR_CONFIG;
}

int
conf_workers(const struct conf *conf)
{
	long n;

	if (conf->workers > 0)
		return (int)conf->workers;
	/* A worker spends most of an upload waiting for fsync (the object,
	 * its directory, PostgreSQL's commit), not on a CPU: four per CPU
	 * keep the CPUs busy (bench/results/2026-12-03-fastpath.md). */
	n = sysconf(_SC_NPROCESSORS_ONLN);
	n = n < 1 ? 4 : 4 * n;
	return (int)(n < CONF_WORKERS_AUTO_MIN ? CONF_WORKERS_AUTO_MIN :
	    n > CONF_WORKERS_AUTO_MAX ? CONF_WORKERS_AUTO_MAX : n);
}

void
conf_free(struct conf *conf)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (conf_keys[i].type == T_STR) {
			char **p = (char **)((char *)conf + conf_keys[i].offset);
			if (conf_keys[i].secret && *p != NULL)
				explicit_bzero(*p, strlen(*p));
			free(*p);
			*p = NULL;
		}
	}
	free(conf->jwt_public_key);
	conf->jwt_public_key = NULL;
	if (conf->link_key != NULL)
		explicit_bzero(conf->link_key, strlen(conf->link_key));
	free(conf->link_key);
	conf->link_key = NULL;
}

void
conf_dump(const struct conf *conf, FILE *fp)
{
	const char *section = "";
	const char *base = (const char *)conf;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		const void *p = base + k->offset;

		if (strcmp(section, k->section) != 0) {
			fprintf(fp, "%s[%s]\n", i ? "\n" : "", k->section);
			section = k->section;
		}
		fprintf(fp, "%s = ", k->name);
		if (k->secret && k->type == T_STR && (*(char *const *)p)[0] != '\0')
			fprintf(fp, "(set, hidden)\n");
		else if (k->type == T_STR)
			fprintf(fp, "%s\n", *(char *const *)p);
		else if (k->type == T_BOOL)
			fprintf(fp, "%s\n", *(const int *)p ? "yes" : "no");
		else if (k->type == T_MODE)
			fprintf(fp, "%04o\n", *(const int *)p);
		else if (k->type == T_ENUM)
			fprintf(fp, "%s\n", k->choices[*(const int *)p]);
		else if (k->type == T_DURATION)
			fprintf(fp, "%" PRId64 "ms\n", *(const int64_t *)p);
		else
			fprintf(fp, "%" PRId64 "\n", *(const int64_t *)p);
	}
}
