/*
 * bench_quota.c - an upload's database work per second through Coffer's own
 * code (a small upload on local storage: quota_record(), one statement), and
 * the pgbench script that runs the very same statement.
 *
 *   bench_quota run -m hot|spread -c CLIENTS -T SECONDS
 *       CLIENTS processes, each with its own connection, loop on
 *       quota_record() for SECONDS;
 *       prints "tps=..."
 *   bench_quota emit-pgbench -m hot|spread -o FILE
 *       runs one upload (so every statement is prepared), reads the text of
 *       the prepared statements back from pg_prepared_statements and writes
 *       a pgbench script that sends exactly those statements with the same
 *       parameters.
 *
 * Environment: DATABASE_URL; BENCH_HOT_CUSTOMER (hot mode's customer id);
 * COFFER_DB_POOLED=1 runs the statements as cofferd does behind a transaction
 * pooler ([database] pooler = transaction), DATABASE_URL then PgBouncer's.
 * Spread mode picks one of the 1,000 customers in bench_customers(n,
 * customer_id) per transaction by a prepared lookup; pgbench cannot build a
 * UUID from a random number, so it does the same lookup, and both sides
 * send two statements per transaction (one in hot mode).
 * bench/quota/run sets it all up.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"
#include "engine/quota.h"

#define NELEM(a)	((long)(sizeof(a) / sizeof((a)[0])))
#define SIZE	1000		/* bytes per upload: the limit never binds */
/* Any well-formed digest: the column only checks the form. */
#define SHA256	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static const struct db_stmt bench_st_customer = {
	"bench_customer",
	"SELECT customer_id AS cid FROM bench_customers WHERE n = $1::int",
	1
};

static const char *dburl;
static const char *hot;
static int spread;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One upload's statements (plus the lookup in spread mode); 0 on success. */
static int
bench_one(PGconn *pg, unsigned *seed, char cid[QUOTA_ID_LEN])
{
	char key[32], n[16], id[QUOTA_ID_LEN];
	const char *params[1] = { n };
	struct quota_upload u;
	PGresult *res;
	uint64_t k;

	if (spread) {
		snprintf(n, sizeof(n), "%d", 1 + (int)(rand_r(seed) % 1000));
		if (db_run(pg, &bench_st_customer, params, &res, NULL) != ERR_OK)
			return -1;
		snprintf(cid, QUOTA_ID_LEN, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	} else
		snprintf(cid, QUOTA_ID_LEN, "%s", hot);
	/* pgbench: \set k random(1, 9000000000000000000) */
	k = 1 + (((uint64_t)rand_r(seed) << 42) ^ ((uint64_t)rand_r(seed) << 21) ^
	    (uint64_t)rand_r(seed)) % UINT64_C(9000000000000000000);
	snprintf(key, sizeof(key), "%" PRIu64, k);
	memset(&u, 0, sizeof(u));
	u.customer_id = cid;
	u.storage_key = key;
	u.category = "documents";
	u.subcategory = "invoices";
	u.entity_id = "e1";
	u.original_name = "bench.pdf";
	u.mime_type = "application/pdf";
	u.file_type = "document";
	u.size = SIZE;
	u.uploaded_by = "bench";
	u.metadata_json = "{}";
	u.sha256 = SHA256;
	return quota_record(pg, &u, id, NULL, NULL) == ERR_OK ? 0 : -1;
}

static int
bench_run(int clients, double seconds)
{
	int go[2], done[2], i, st, failed = 0;
	int64_t count, total = 0, errors = 0;
	double t0, t1;
	pid_t pid;
	char ch;

	if (pipe(go) == -1 || pipe(done) == -1)
		return 1;
	for (i = 0; i < clients; i++) {
		if ((pid = fork()) == -1)
			return 1;
		if (pid == 0) {
			PGconn *pg = PQconnectdb(dburl);
			char cid[QUOTA_ID_LEN];
			unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);
			int64_t out[2] = { 0, 0 };
			double end;

			close(go[1]);
			if (PQstatus(pg) != CONNECTION_OK)
				_exit(2);
			(void)read(go[0], &ch, 1);
			end = now_s() + seconds;
			while (now_s() < end) {
				if (bench_one(pg, &seed, cid) == 0)
					out[0]++;
				else
					out[1]++;
			}
			if (write(done[1], out, sizeof(out)) != (ssize_t)sizeof(out))
				_exit(3);
			PQfinish(pg);
			_exit(0);
		}
	}
	close(go[0]);
	close(done[1]);
	sleep(1);		/* connections up, as pgbench excludes them */
	t0 = now_s();
	close(go[1]);
	for (i = 0; i < clients; i++) {
		int64_t in[2];

		if (read(done[0], in, sizeof(in)) != (ssize_t)sizeof(in))
			break;
		total += in[0];
		errors += in[1];
	}
	t1 = now_s();
	for (i = 0; i < clients; i++)
		if (wait(&st) == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	count = total;
	printf("tps=%.1f transactions=%" PRId64 " errors=%" PRId64 " seconds=%.2f clients=%d%s\n",
	    (double)count / (t1 - t0), count, errors, t1 - t0, clients,
	    failed ? " (some clients failed)" : "");
	return failed || errors ? 1 : 0;
}

/* The prepared text with $N turned into :VAR (names[N-1]). */
static void
bench_emit_stmt(FILE *fp, PGconn *pg, const char *name, const char *const *names,
    long nnames, const char *suffix)
{
	const char *params[1] = { name };
	const char *s;
	PGresult *res;
	char *end;
	long n;

	res = PQexecParams(pg, "SELECT statement FROM pg_prepared_statements WHERE name = $1",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "bench_quota: statement %s is not prepared\n", name);
		exit(1);
	}
	for (s = PQgetvalue(res, 0, 0); *s != '\0'; s++) {
		if (*s == '$' && s[1] >= '1' && s[1] <= '9') {
			n = strtol(s + 1, &end, 10);
			if (n > nnames) {
				fprintf(stderr, "bench_quota: %s has $%ld, no name for it\n", name, n);
				exit(1);
			}
			fprintf(fp, ":%s", names[n - 1]);
			s = end - 1;
		} else
			fputc(*s, fp);
	}
	fprintf(fp, "%s\n", suffix);
	PQclear(res);
}

static int
bench_emit(const char *path)
{
	static const char *const lookup[] = { "n" };
	static const char *const record[] = { "cid", "k", "category", "subcategory",
	    "entity", "name", "mime", "ftype", "size", "uploader", "meta", "sha", "charged" };
	PGconn *pg = PQconnectdb(dburl);
	char cid[QUOTA_ID_LEN];
	unsigned seed = 1;
	FILE *fp;

	if (PQstatus(pg) != CONNECTION_OK || (fp = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench_quota: cannot connect or write %s\n", path);
		return 1;
	}
	if (bench_one(pg, &seed, cid) != 0) {
		fprintf(stderr, "bench_quota: a first upload failed\n");
		return 1;
	}
	fprintf(fp, "-- Generated by bench_quota emit-pgbench from pg_prepared_statements:\n"
	    "-- the statements quota.c sends, word for word.\n");
	if (spread) {
		fprintf(fp, "\\set n random(1, 1000)\n");
		bench_emit_stmt(fp, pg, "bench_customer", lookup, NELEM(lookup), " \\gset");
	}
	fprintf(fp, "\\set k random(1, 9000000000000000000)\n");
	bench_emit_stmt(fp, pg, "quota_record", record, NELEM(record), "");
	fclose(fp);
	PQfinish(pg);
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: bench_quota run -m hot|spread -c CLIENTS -T SECONDS\n"
	    "       bench_quota emit-pgbench -m hot|spread -o FILE\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *cmd, *out = NULL;
	int ch, clients = 1;
	double seconds = 10;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "m:c:T:o:")) != -1) {
		switch (ch) {
		case 'm':
			spread = strcmp(optarg, "spread") == 0;
			break;
		case 'c':
			clients = atoi(optarg);
			break;
		case 'T':
			seconds = atof(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return usage();
		}
	}
	dburl = getenv("DATABASE_URL");
	db_set_pooled(getenv("COFFER_DB_POOLED") != NULL && strcmp(getenv("COFFER_DB_POOLED"), "1") == 0);
	hot = getenv("BENCH_HOT_CUSTOMER");
	if (dburl == NULL || (!spread && hot == NULL) || clients < 1 || seconds <= 0) {
		fprintf(stderr, "bench_quota: needs DATABASE_URL (and BENCH_HOT_CUSTOMER for hot)\n");
		return 2;
	}
	if (strcmp(cmd, "run") == 0)
		return bench_run(clients, seconds);
	if (strcmp(cmd, "emit-pgbench") == 0 && out != NULL)
		return bench_emit(out);
	return usage();
}
