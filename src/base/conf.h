/* conf.h - the configuration: one INI file, environment overrides, validated once. */
#ifndef COFFER_CONF_H
#define COFFER_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

enum storage_type { STORAGE_LOCAL = 0, STORAGE_S3 };
/* [database] pooler: what sits between the workers and PostgreSQL. */
enum db_pooler { DB_POOLER_NONE = 0, DB_POOLER_TRANSACTION };

/* [s3] signature: how requests to S3 are signed (and by which backend). */
enum s3_signature { S3_SIG_V4 = 0, S3_SIG_V2 };
/* [auth] jwt_algorithm: the one algorithm a JWT may be signed with. */
enum jwt_algorithm { JWT_HS256 = 0, JWT_RS256, JWT_ES256 };
/* Their names, indexed by enum jwt_algorithm, NULL-terminated. */
extern const char *const conf_jwt_algorithms[];

struct conf {
	/* [server] */
	char	*listen;		/* "unix:/path", "/path" or "127.0.0.1:9000" */
	int	 listen_mode;
	char	*listen_owner;
	char	*listen_group;
	int64_t	 listen_backlog;
	char	*user;
	char	*group;
	int64_t	 workers;
	int64_t	 max_requests;		/* 0: never recycle */
	int64_t	 request_timeout_ms;
	int64_t	 slow_request_ms;
	int64_t	 shutdown_timeout_ms;
	int64_t	 restart_threshold;
	int64_t	 restart_interval_ms;
	char	*status_socket;
	char	*pid_file;
	int	 log_level;
	char	*public_url;		/* "": from the request's scheme and Host */
	char	*cors_origins;		/* "origin origin ...": browsers allowed cross-origin */

	/* [database] */
	char	*database_url;
	int64_t	 db_connect_timeout_ms;
	int	 db_pooler;		/* enum db_pooler */
	char	*db_direct_url;		/* "": url; for cofferctl's sessions */

	/* [storage] */
	int	 storage_type;
	char	*local_path;
	int64_t	 max_file_size;
	int64_t	 charge_block;		/* files are charged in multiples of this */
	int	 charge_metadata;	/* and their metadata bytes too */
	char	*allowed_types;		/* "type/subtype, ..." */
	int64_t	 default_storage_limit;
	char	*link_secret;		/* HMAC key of local download links */
	char	*link_secret_file;	/* or a file holding it */
	int64_t	 category_ttl_ms;	/* a worker re-reads the categories after this */

	/* [s3] */
	char	*s3_endpoint;
	char	*s3_bucket;
	char	*s3_region;
	char	*s3_access_key_id;
	char	*s3_secret_access_key;
	int	 s3_virtual_host;
	int	 s3_tls;
	int64_t	 s3_timeout_ms;		/* no progress for this long: abort */
	int	 s3_signature;		/* enum s3_signature */
	char	*s3_session_token;	/* "": long-term credentials */
	int64_t	 s3_multipart_threshold;	/* larger objects: multipart upload (V4) */
	int64_t	 s3_part_size;
	char	*s3_ca_file;		/* "": the system's CA bundle */

	/* [reconcile] (cofferctl reconcile) */
	int64_t	 pending_timeout_ms;	/* in-flight uploads and removals older than this are abandoned */
	int64_t	 orphan_grace_ms;	/* objects without a row younger than this are left alone */
	int64_t	 keep_deleted_ms;	/* deleted file rows older than this are purged */
	int64_t	 keep_events_ms;	/* storage_events older than this are purged */
	int64_t	 purge_batch;		/* rows per purge statement */

	/* [uploads] (resumable uploads, tus) */
	char	*uploads_dir;		/* partial files; "": local_path/.uploads */
	int64_t	 uploads_expiry_ms;	/* an upload untouched this long is gone (410) */

	/* [auth] */
	char	*jwt_secret;		/* HS256 key; "" rejects every JWT */
	int	 jwt_algorithm;		/* enum jwt_algorithm */
	char	*jwt_public_key_file;	/* RS256/ES256: PEM public key */
	char	*jwt_private_key_file;	/* RS256/ES256: for `cofferctl token issue` only */
	char	*jwt_issuer;		/* "" = iss not checked */
	char	*jwt_audience;		/* "" = aud not checked */
	int64_t	 jwt_leeway_ms;		/* clock skew allowed on exp, nbf, iat */
	int64_t	 jwt_max_lifetime_ms;	/* exp - iat, and exp - now, at most */
	char	*claim_customer;
	char	*claim_user;
	char	*claim_role;

	/*
	 * Derived at load, not a key: the PEM text of jwt_public_key_file
	 * (RS256/ES256), read and checked by the master when it loads the
	 * configuration (at start and on reload), so workers never open the
	 * file.  NULL for HS256.
	 */
	char	*jwt_public_key;
	/*
	 * Derived at load: the download-link key, from link_secret or the
	 * contents of link_secret_file (trailing whitespace dropped), read by
	 * the master like jwt_public_key.  NULL when neither is set (allowed
	 * only for type = s3, whose links the backend signs).
	 */
	char	*link_key;
};

/*
 * Load path (NULL: defaults and environment only) into *conf, then apply
 * environment overrides and cross-key checks.  On failure returns
 * ERR_CONFIG with a message naming the key and the bad value in errbuf and
 * leaves *conf empty.  The caller owns *conf and releases it with
 * conf_free().
 */
enum err conf_load(struct conf *conf, const char *path, char *errbuf, size_t errlen);

/* Release what conf_load() allocated; *conf may then be reloaded. */
void conf_free(struct conf *conf);

/* Write every key with its effective value (secrets masked) to fp. */
void conf_dump(const struct conf *conf, FILE *fp);

/* [server] workers, or for 0 (the default) four per online CPU, within
 * CONF_WORKERS_AUTO_MIN..MAX. */
#define CONF_WORKERS_AUTO_MIN	4
#define CONF_WORKERS_AUTO_MAX	32
int conf_workers(const struct conf *conf);

/*
 * Read a whole key file (at most 64 KiB) into *out, NUL-terminated, owned
 * by the caller (free()).  Returns 0, or -1 with a message that starts
 * with what (the key's name) in errbuf.
 */
int conf_read_key_file(const char *path, const char *what, char **out, char *errbuf,
    size_t errlen);

/* Parsers shared with the tests; each returns 0 or -1 on bad input. */
int conf_parse_size(const char *s, int64_t *out);
int conf_parse_duration_ms(const char *s, int64_t *out);

#endif
