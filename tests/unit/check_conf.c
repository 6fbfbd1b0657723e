/* check_conf.c - configuration parsing: valid files, each invalid kind, env, units. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/cors.h"
#include "testkeys.h"

static char conf_path[64];
static char errbuf[512];

static const char *const env_names[] = {
	"STORAGE_TYPE", "LOCAL_STORAGE_PATH", "AWS_REGION", "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "S3_BUCKET_NAME", "DEFAULT_STORAGE_LIMIT",
	"MAX_FILE_SIZE", "DATABASE_URL", "JWT_SECRET", "S3_ENDPOINT",
	"COFFER_LOG_LEVEL", "COFFER_LINK_SECRET", "COFFER_PUBLIC_URL", "S3_SIGNATURE",
	"AWS_SESSION_TOKEN", NULL,
};

/* The local backend (the default) needs a link secret: every case gets
 * one from the environment unless it says otherwise. */
#define TEST_LINK_SECRET	"0123456789abcdef0123456789abcdef-link"

static void
setup(void)
{
	int i;

	for (i = 0; env_names[i] != NULL; i++)
		unsetenv(env_names[i]);
	setenv("COFFER_LINK_SECRET", TEST_LINK_SECRET, 1);
	strcpy(conf_path, "/tmp/check_conf.XXXXXX");
	close(mkstemp(conf_path));
}

static void
teardown(void)
{
	unlink(conf_path);
}

static void
write_conf(const char *text)
{
	FILE *fp = fopen(conf_path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Load text; returns the rc and leaves errbuf holding the message. */
static enum err
load(const char *text, struct conf *c)
{
	write_conf(text);
	errbuf[0] = '\0';
	return conf_load(c, conf_path, errbuf, sizeof(errbuf));
}

START_TEST(test_defaults)
{
	struct conf c;

	ck_assert_int_eq(load("", &c), ERR_OK);
	ck_assert_int_eq(c.workers, 0);
	/* 0: four per CPU, within bounds. */
	ck_assert_int_ge(conf_workers(&c), CONF_WORKERS_AUTO_MIN);
	ck_assert_int_le(conf_workers(&c), CONF_WORKERS_AUTO_MAX);
	ck_assert_int_eq(conf_workers(&c), sysconf(_SC_NPROCESSORS_ONLN) * 4 < CONF_WORKERS_AUTO_MIN ?
	    CONF_WORKERS_AUTO_MIN : sysconf(_SC_NPROCESSORS_ONLN) * 4 > CONF_WORKERS_AUTO_MAX ?
	    CONF_WORKERS_AUTO_MAX : sysconf(_SC_NPROCESSORS_ONLN) * 4);
	ck_assert_int_eq(c.max_requests, 1000);
	ck_assert_int_eq(c.max_file_size, 50 * 1024 * 1024);
	ck_assert_int_eq(c.default_storage_limit, INT64_C(5) << 30);
	ck_assert_int_eq(c.storage_type, STORAGE_LOCAL);
	ck_assert_int_eq(c.listen_mode, 0660);
	ck_assert_int_eq(c.db_pooler, DB_POOLER_NONE);
	ck_assert_str_eq(c.db_direct_url, "");
	ck_assert_str_eq(c.listen, "unix:/run/coffer/cofferd.sock");
	conf_free(&c);
}
END_TEST

START_TEST(test_valid_file)
{
	struct conf c;

	ck_assert_int_eq(load(
	    "; comment\n"
	    "[server]\n"
	    "listen = 127.0.0.1:9000\n"
	    "workers = 8\n"
	    "max_requests = 0\n"
	    "request_timeout = 90s\n"
	    "shutdown_timeout = 1m\n"
	    "listen_mode = 0600\n"
	    "log_level = debug\n"
	    "[storage]\n"
	    "type = local\n"
	    "local_path = /srv/coffer\n"
	    "max_file_size = 100MiB\n"
	    "default_storage_limit = 2GB\n"
	    "[database]\n"
	    "pooler = transaction\n"
	    "direct_url = postgresql://db1:5432/coffer\n"
	    "[s3]\n"
	    "tls = no\n", &c), ERR_OK);
	ck_assert_int_eq(c.db_pooler, DB_POOLER_TRANSACTION);
	ck_assert_str_eq(c.db_direct_url, "postgresql://db1:5432/coffer");
	ck_assert_str_eq(c.listen, "127.0.0.1:9000");
	ck_assert_int_eq(c.workers, 8);
	ck_assert_int_eq(conf_workers(&c), 8);
	ck_assert_int_eq(c.max_requests, 0);
	ck_assert_int_eq(c.request_timeout_ms, 90000);
	ck_assert_int_eq(c.shutdown_timeout_ms, 60000);
	ck_assert_int_eq(c.listen_mode, 0600);
	ck_assert_int_eq(c.log_level, 0);
	ck_assert_str_eq(c.local_path, "/srv/coffer");
	ck_assert_int_eq(c.max_file_size, 100 * 1024 * 1024);
	ck_assert_int_eq(c.default_storage_limit, INT64_C(2000000000));
	ck_assert_int_eq(c.s3_tls, 0);
	conf_free(&c);
}
END_TEST

START_TEST(test_size_units)
{
	int64_t v;

	ck_assert_int_eq(conf_parse_size("0", &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(conf_parse_size("512", &v), 0);
	ck_assert_int_eq(v, 512);
	ck_assert_int_eq(conf_parse_size("5GiB", &v), 0);
	ck_assert_int_eq(v, INT64_C(5) << 30);
	ck_assert_int_eq(conf_parse_size("5 gib", &v), 0);
	ck_assert_int_eq(v, INT64_C(5) << 30);
	ck_assert_int_eq(conf_parse_size("64KiB", &v), 0);
	ck_assert_int_eq(v, 65536);
	ck_assert_int_eq(conf_parse_size("10m", &v), 0);
	ck_assert_int_eq(v, 10 << 20);
	ck_assert_int_eq(conf_parse_size("1TiB", &v), 0);
	ck_assert_int_eq(v, INT64_C(1) << 40);
	ck_assert_int_eq(conf_parse_size("3MB", &v), 0);
	ck_assert_int_eq(v, 3000000);
	ck_assert_int_eq(conf_parse_size("", &v), -1);
	ck_assert_int_eq(conf_parse_size("-5", &v), -1);
	ck_assert_int_eq(conf_parse_size("5XB", &v), -1);
	ck_assert_int_eq(conf_parse_size("GiB", &v), -1);
	ck_assert_int_eq(conf_parse_size("1.5GiB", &v), -1);
	ck_assert_int_eq(conf_parse_size("99999999999999999999", &v), -1);
	ck_assert_int_eq(conf_parse_size("9000000000TiB", &v), -1);
}
END_TEST

START_TEST(test_duration_units)
{
	int64_t v;

	ck_assert_int_eq(conf_parse_duration_ms("30", &v), 0);
	ck_assert_int_eq(v, 30000);
	ck_assert_int_eq(conf_parse_duration_ms("30s", &v), 0);
	ck_assert_int_eq(v, 30000);
	ck_assert_int_eq(conf_parse_duration_ms("250ms", &v), 0);
	ck_assert_int_eq(v, 250);
	ck_assert_int_eq(conf_parse_duration_ms("2m", &v), 0);
	ck_assert_int_eq(v, 120000);
	ck_assert_int_eq(conf_parse_duration_ms("1h", &v), 0);
	ck_assert_int_eq(v, 3600000);
	ck_assert_int_eq(conf_parse_duration_ms("1w", &v), -1);
	ck_assert_int_eq(conf_parse_duration_ms("s", &v), -1);
}
END_TEST

/* Each kind of invalid input fails with a message naming the key. */
static const struct {
	const char *text;
	const char *expect;	/* substring of the error */
} invalid[] = {
	{ "[server]\nworkers = many\n", "[server] workers = \"many\" must be an integer" },
	{ "[server]\nworkers = -1\n", "[server] workers = \"-1\" is out of range" },
	{ "[server]\nworkers = 100000\n", "out of range" },
	{ "[server]\nbogus = 1\n", "unknown key [server] bogus" },
	{ "[nosuch]\nworkers = 1\n", "unknown key [nosuch] workers" },
	{ "[server]\nrequest_timeout = soon\n", "[server] request_timeout = \"soon\" must be a duration" },
	{ "[server]\nrequest_timeout = 10ms\n", "request_timeout = \"10ms\" is out of range" },
	{ "[server]\nlisten_mode = 0999\n", "[server] listen_mode = \"0999\" must be an octal" },
	{ "[server]\nlog_level = loud\n", "[server] log_level = \"loud\" must be one of: debug, info, warn, error" },
	{ "[server]\nlisten =\n", "[server] listen must not be empty" },
	{ "[storage]\nmax_file_size = 5 parsecs\n", "[storage] max_file_size = \"5 parsecs\" must be a size" },
	{ "[storage]\ntype = floppy\n", "[storage] type = \"floppy\" must be one of: local, s3" },
	{ "[database]\npooler = session\n", "[database] pooler = \"session\" must be one of: none, transaction" },
	{ "[storage]\nlocal_path = relative/dir\n", "[storage] local_path (LOCAL_STORAGE_PATH) = \"relative/dir\" must be an absolute path" },
	{ "[storage]\ntype = s3\n[s3]\naccess_key_id = a\nsecret_access_key = b\n", "[s3] bucket (S3_BUCKET_NAME) is required" },
	{ "[storage]\ntype = s3\n[s3]\nbucket = b\n", "access_key_id and secret_access_key" },
	{ "[s3]\ntls = maybe\n", "[s3] tls = \"maybe\" must be yes or no" },
#define S3OK "[storage]\ntype = s3\n[s3]\nbucket = b\naccess_key_id = a\nsecret_access_key = s\n"
	{ S3OK "signature = v3\n", "[s3] signature = \"v3\" must be one of: v4, v2" },
	{ S3OK "signature = v2\nsession_token = t\n", "[s3] session_token (AWS_SESSION_TOKEN) needs signature = v4" },
	{ S3OK "signature = v2\nca_file = /etc/ssl/certs/ca-certificates.crt\n", "[s3] ca_file needs signature = v4" },
	{ S3OK "signature = v2\n[storage]\nmax_file_size = 6GiB\n", "[storage] max_file_size above 5GiB needs [s3] signature = v4" },
	{ S3OK "part_size = 100MiB\n", "[s3] part_size must not exceed [s3] multipart_threshold" },
	{ S3OK "part_size = 4MiB\n", "[s3] part_size = \"4MiB\" is out of range" },
	{ S3OK "[storage]\nmax_file_size = 200GiB\n", "[s3] part_size too small" },
	{ S3OK "region = EU West\n", "[s3] region (AWS_REGION) = \"EU West\" must be a region name" },
	{ S3OK "tls = no\nca_file = /x.pem\n", "[s3] ca_file is set but [s3] tls = no" },
#undef S3OK
	{ "[server\nworkers = 1\n", ":1: key \"workers\" outside any [section]" },
	{ "[server]\nworkers 4\n", ":2: syntax error" },
	{ "[server]\nstatus_socket = rel.sock\n", "status_socket = \"rel.sock\" must be an absolute path" },
	{ "[auth]\njwt_secret = only-31-bytes-long-xxxxxxxxxxxx\n", "[auth] jwt_secret (JWT_SECRET) must be at least 32 bytes" },
	{ "[auth]\njwt_algorithm = none\n", "[auth] jwt_algorithm = \"none\" must be one of: HS256, RS256, ES256" },
	{ "[auth]\njwt_algorithm = HS512\n", "must be one of: HS256, RS256, ES256" },
	{ "[auth]\njwt_algorithm = RS256\n", "[auth] jwt_public_key_file is required when jwt_algorithm = RS256" },
	{ "[auth]\njwt_algorithm = ES256\njwt_public_key_file = /nonexistent/k.pem\n", "jwt_public_key_file = \"/nonexistent/k.pem\": cannot open" },
	{ "[auth]\njwt_algorithm = RS256\njwt_public_key_file = /etc/hostname\n", "holds no PEM public key" },
	{ "[auth]\nclaim_user =\n", "claim_customer, claim_user and claim_role must not be empty" },
	{ "[auth]\njwt_leeway = 2h\n", "[auth] jwt_leeway = \"2h\" is out of range" },
	{ "[server]\npublic_url = files.example.com\n", "[server] public_url = \"files.example.com\" must be http(s)://host" },
	{ "[server]\npublic_url = https://files.example.com/\n", "without a trailing slash" },
	{ "[server]\npublic_url = https://user@files.example.com\n", "[server] public_url" },
	{ "[server]\npublic_url = https://files.example.com/a?b\n", "[server] public_url" },
	{ "[server]\npublic_url = https://files.example.com/a b\n", "[server] public_url" },
	{ "[server]\npublic_url = ftp://files.example.com\n", "[server] public_url" },
	{ "[server]\ncors_origins = *\n", "[server] cors_origins: \"*\" is not an origin" },
	{ "[server]\ncors_origins = https://app.example.com/\n", "\"https://app.example.com/\" is not" },
	{ "[server]\ncors_origins = https://App.example.com\n", "lower case" },
	{ "[server]\ncors_origins = app.example.com\n", "[server] cors_origins" },
	{ "[server]\ncors_origins = https://a.example.com https://*.example.com\n", "\"https://*.example.com\"" },
	{ "[server]\ncors_origins = https://a.example.com;x\n", "[server] cors_origins" },
	{ "[server]\ncors_origins = \"https://a.example.com\"\n", "[server] cors_origins" },
	{ "[server]\ncors_origins = https://a.example.com:123456\n", "[server] cors_origins" },
	{ "[server]\ncors_origins = https://.example.com\n", "[server] cors_origins" },
};

START_TEST(test_invalid)
{
	struct conf c;

	ck_assert_int_eq(load(invalid[_i].text, &c), ERR_CONFIG);
	ck_assert_msg(strstr(errbuf, invalid[_i].expect) != NULL,
	    "case %d: error \"%s\" lacks \"%s\"", _i, errbuf, invalid[_i].expect);
	/* The line number of the offending key is given for file errors. */
	if (strstr(invalid[_i].expect, "unknown") != NULL)
		ck_assert_msg(strstr(errbuf, conf_path) != NULL, "no file name in \"%s\"", errbuf);
}
END_TEST

START_TEST(test_missing_file)
{
	struct conf c;

	ck_assert_int_eq(conf_load(&c, "/nonexistent/coffer.conf", errbuf, sizeof(errbuf)), ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(errbuf, "/nonexistent/coffer.conf: cannot open"));
}
END_TEST

START_TEST(test_env_override)
{
	struct conf c;

	setenv("STORAGE_TYPE", "s3", 1);
	setenv("S3_BUCKET_NAME", "bucket-from-env", 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret-env", 1);
	setenv("MAX_FILE_SIZE", "10MiB", 1);
	setenv("DEFAULT_STORAGE_LIMIT", "1GiB", 1);
	setenv("DATABASE_URL", "postgresql://u@127.0.0.1:5999/x", 1);
	setenv("LOCAL_STORAGE_PATH", "/env/storage", 1);
	setenv("AWS_REGION", "eu-west-1", 1);
	ck_assert_int_eq(load("[storage]\ntype = local\nmax_file_size = 1MiB\n"
	    "[s3]\nbucket = from-file\n", &c), ERR_OK);
	ck_assert_int_eq(c.storage_type, STORAGE_S3);
	ck_assert_str_eq(c.s3_bucket, "bucket-from-env");
	ck_assert_str_eq(c.s3_access_key_id, "AKIDENV");
	ck_assert_int_eq(c.max_file_size, 10 << 20);
	ck_assert_int_eq(c.default_storage_limit, INT64_C(1) << 30);
	ck_assert_str_eq(c.database_url, "postgresql://u@127.0.0.1:5999/x");
	ck_assert_str_eq(c.local_path, "/env/storage");
	ck_assert_str_eq(c.s3_region, "eu-west-1");
	conf_free(&c);
}
END_TEST

START_TEST(test_env_invalid_named)
{
	struct conf c;

	setenv("MAX_FILE_SIZE", "huge", 1);
	ck_assert_int_eq(load("", &c), ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(errbuf, "environment MAX_FILE_SIZE"));
	ck_assert_ptr_nonnull(strstr(errbuf, "\"huge\""));
}
END_TEST

START_TEST(test_secret_not_echoed)
{
	struct conf c;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	ck_assert_int_eq(load("[auth]\njwt_secret = hunter2-very-secret-and-32-bytes-long\n"
	    "[database]\nurl = postgresql://u:pw-secret@h/db\n", &c), ERR_OK);
	fp = open_memstream(&buf, &len);
	conf_dump(&c, fp);
	fclose(fp);
	ck_assert_ptr_null(strstr(buf, "hunter2"));
	ck_assert_ptr_null(strstr(buf, "pw-secret"));
	ck_assert_ptr_nonnull(strstr(buf, "jwt_secret = (set, hidden)"));
	free(buf);
	conf_free(&c);
}
END_TEST

START_TEST(test_auth_defaults)
{
	struct conf c;

	ck_assert_int_eq(load("", &c), ERR_OK);
	ck_assert_int_eq(c.jwt_algorithm, JWT_HS256);
	ck_assert_str_eq(c.jwt_secret, "");
	ck_assert_int_eq(c.jwt_leeway_ms, 30000);
	ck_assert_str_eq(c.claim_customer, "customerId");
	ck_assert_str_eq(c.claim_user, "userId");
	ck_assert_str_eq(c.claim_role, "role");
	ck_assert_ptr_null(c.jwt_public_key);
	conf_free(&c);
	setenv("JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	ck_assert_int_eq(load("[auth]\njwt_secret = ignored-because-env-wins-xxxxxxxxx\n", &c), ERR_OK);
	ck_assert_str_eq(c.jwt_secret, "0123456789abcdef0123456789abcdef");
	conf_free(&c);
}
END_TEST

/* The public key must suit the algorithm; it is read at load, once. */
START_TEST(test_auth_public_key_types)
{
	static const struct {
		enum testkey_type type;
		const char *alg;
		const char *expect;	/* NULL: accepted */
	} cases[] = {
		{ TESTKEY_RSA2048, "RS256", NULL },
		{ TESTKEY_P256, "ES256", NULL },
		{ TESTKEY_RSA1024, "RS256", "must be an RSA key of at least 2048 bits" },
		{ TESTKEY_P256, "RS256", "must be an RSA key" },
		{ TESTKEY_P384, "ES256", "must be a P-256 EC key" },
		{ TESTKEY_RSA2048, "ES256", "must be a P-256 EC key" },
	};
	char text[512], path[64], privpath[64];
	struct testkey k;
	struct conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k = testkey_new(cases[i].type);
		testkey_write(k.public_pem, path, sizeof(path));
		snprintf(text, sizeof(text), "[auth]\njwt_algorithm = %s\njwt_public_key_file = %s\n",
		    cases[i].alg, path);
		if (cases[i].expect == NULL) {
			ck_assert_int_eq(load(text, &c), ERR_OK);
			ck_assert_str_eq(c.jwt_public_key, k.public_pem);
			conf_free(&c);
			ck_assert_ptr_null(c.jwt_public_key);
			/* A private key where the public one belongs is refused. */
			testkey_write(k.private_pem, privpath, sizeof(privpath));
			snprintf(text, sizeof(text), "[auth]\njwt_algorithm = %s\njwt_public_key_file = %s\n",
			    cases[i].alg, privpath);
			ck_assert_int_eq(load(text, &c), ERR_CONFIG);
			ck_assert_ptr_nonnull(strstr(errbuf, "holds no PEM public key"));
			unlink(privpath);
		} else {
			ck_assert_int_eq(load(text, &c), ERR_CONFIG);
			ck_assert_msg(strstr(errbuf, cases[i].expect) != NULL,
			    "case %zu: \"%s\" lacks \"%s\"", i, errbuf, cases[i].expect);
		}
		unlink(path);
		testkey_free(&k);
	}
}
END_TEST

/* Local links are signed with [storage] link_secret or link_secret_file. */
START_TEST(test_link_secret)
{
	char path[] = "/tmp/check_conf_link.XXXXXX", text[256];
	struct conf c;
	FILE *fp;
	int fd;

	/* From the environment (setup()), overriding the file. */
	ck_assert_int_eq(load("[storage]\nlink_secret = from-the-file-xxxxxxxxxxxxxxxxxxxxx\n", &c),
	    ERR_OK);
	ck_assert_str_eq(c.link_key, TEST_LINK_SECRET);
	conf_free(&c);
	ck_assert_ptr_null(c.link_key);
	unsetenv("COFFER_LINK_SECRET");

	/* Optional: without one the local backend serves no download links,
	 * and a fresh configuration still loads. */
	ck_assert_int_eq(load("", &c), ERR_OK);
	ck_assert_ptr_null(c.link_key);
	conf_free(&c);
	/* Not for S3, whose links the backend presigns. */
	ck_assert_int_eq(load("[storage]\ntype = s3\n[s3]\nbucket = b\naccess_key_id = a\n"
	    "secret_access_key = s\n", &c), ERR_OK);
	ck_assert_ptr_null(c.link_key);
	conf_free(&c);
	/* Too short, and never echoed. */
	ck_assert_int_eq(load("[storage]\nlink_secret = short-secret-31-bytes-xxxxxxxxx\n", &c),
	    ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(errbuf, "[storage] link_secret (COFFER_LINK_SECRET) must be at least 32 bytes"));
	ck_assert_ptr_null(strstr(errbuf, "short-secret"));

	/* From a file: trailing whitespace (openssl rand -hex 32 > file) dropped. */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fputs("abcdefabcdefabcdefabcdefabcdef0123456789\n\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text), "[storage]\nlink_secret_file = %s\n", path);
	ck_assert_int_eq(load(text, &c), ERR_OK);
	ck_assert_str_eq(c.link_key, "abcdefabcdefabcdefabcdefabcdef0123456789");
	conf_free(&c);
	/* Not both. */
	snprintf(text, sizeof(text), "[storage]\nlink_secret_file = %s\n"
	    "link_secret = 0123456789abcdef0123456789abcdef\n", path);
	ck_assert_int_eq(load(text, &c), ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(errbuf, "both set"));
	ck_assert_int_eq(load("[storage]\nlink_secret_file = /nonexistent/link.key\n", &c),
	    ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(errbuf,
	    "[storage] link_secret_file = \"/nonexistent/link.key\": cannot open"));
	/* A file too short. */
	fp = fopen(path, "w");
	fputs("tiny\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text), "[storage]\nlink_secret_file = %s\n", path);
	ck_assert_int_eq(load(text, &c), ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(errbuf, "must hold at least 32 bytes"));
	unlink(path);
}
END_TEST

START_TEST(test_cors_origins)
{
	static const char *const want[] = {
		"https://app.example.com", "http://127.0.0.1:8080", "http://[::1]:3000",
		"https://b-2.example.com",
	};
	const char *p, *o;
	struct conf c;
	size_t len, n = 0;

	ck_assert_int_eq(load("", &c), ERR_OK);
	p = c.cors_origins;
	ck_assert_int_eq(cors_origins_next(&p, &o, &len), 0);	/* none by default */
	conf_free(&c);
	ck_assert_int_eq(load("[server]\ncors_origins = https://app.example.com,"
	    " http://127.0.0.1:8080  http://[::1]:3000,https://b-2.example.com\n", &c), ERR_OK);
	p = c.cors_origins;
	while (cors_origins_next(&p, &o, &len)) {
		ck_assert_uint_lt(n, 4);
		ck_assert_uint_eq(len, strlen(want[n]));
		ck_assert(strncmp(o, want[n], len) == 0);
		n++;
	}
	ck_assert_uint_eq(n, 4);
	conf_free(&c);
}
END_TEST

START_TEST(test_link_secret_hidden_and_public_url)
{
	struct conf c;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	ck_assert_int_eq(load("[server]\npublic_url = https://files.example.com:8443/coffer\n", &c),
	    ERR_OK);
	ck_assert_str_eq(c.public_url, "https://files.example.com:8443/coffer");
	fp = open_memstream(&buf, &len);
	conf_dump(&c, fp);
	fclose(fp);
	ck_assert_ptr_null(strstr(buf, TEST_LINK_SECRET));
	ck_assert_ptr_nonnull(strstr(buf, "link_secret = (set, hidden)"));
	free(buf);
	conf_free(&c);
	ck_assert_int_eq(load("[server]\npublic_url = http://[::1]:8080\n", &c), ERR_OK);
	conf_free(&c);
	ck_assert_int_eq(load("", &c), ERR_OK);
	ck_assert_str_eq(c.public_url, "");
	conf_free(&c);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_valid_file);
	tcase_add_test(tc, test_size_units);
	tcase_add_test(tc, test_duration_units);
	tcase_add_loop_test(tc, test_invalid, 0, (int)(sizeof(invalid) / sizeof(invalid[0])));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_env_override);
	tcase_add_test(tc, test_env_invalid_named);
	tcase_add_test(tc, test_secret_not_echoed);
	tcase_add_test(tc, test_auth_defaults);
	tcase_add_test(tc, test_auth_public_key_types);
	tcase_add_test(tc, test_link_secret);
	tcase_add_test(tc, test_link_secret_hidden_and_public_url);
	tcase_add_test(tc, test_cors_origins);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
