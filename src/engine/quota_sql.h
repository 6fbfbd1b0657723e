/* quota_sql.h - SQL text shared by the quota engine's statements (quota.c, quota_upload.c). */
#ifndef COFFER_QUOTA_SQL_H
#define COFFER_QUOTA_SQL_H

/* The effective limit is coffer_effective_limit(c, plan limit) in one place
 * (004); the two-argument form is inlined into each statement's plan.
 *
 * Statements that update a customer read its plan by sub-SELECT, never by
 * joining plans: when a plan change commits while the statement waits for
 * the customer's row lock, PostgreSQL rechecks the new row against the
 * joined rows it already has, so a join on the old plan would match
 * nothing and the counters would silently not move. */
#define QUOTA_PLAN(col)	"(SELECT p." col " FROM plans p WHERE p.name = c.plan)"

/*
 * The customer row ($1) an upload of $9 bytes, charged $13 (quota_charge()),
 * may move: active, $9 within the plan's max_file_size, one more file within
 * the plan's max_files (NULL: any number), and used + reserved + $13 within
 * the effective limit (NULL: unlimited).
 */
#define QUOTA_SQL_FITS \
	" WHERE c.customer_id = $1::uuid AND c.status = 'active'" \
	"  AND $9::bigint <= " QUOTA_PLAN("max_file_size") \
	"  AND (c.file_count + 1 > " QUOTA_PLAN("max_files") ") IS NOT TRUE" \
	"  AND (c.storage_used + c.storage_reserved + $13::bigint" \
	"   > coffer_effective_limit(c, " QUOTA_PLAN("storage_limit") ")) IS NOT TRUE"

/* The breakdown's subcategory key (sql/008): '' for a file without one,
 * so the seed's category is coalesce(nullif(subcategory, ''), category). */
#define QUOTA_SUBCATEGORY	"coalesce(f.subcategory, '')"

/*
 * Events written by cofferd's statements are announced after the commit
 * (sql/011): inserted with announce_after_commit, they return their
 * NOTIFY payloads, the trigger's (sql/007), for quota_announce().
 */
#define QUOTA_SQL_EVENT_NOTE \
	" RETURNING json_build_object('customerId', customer_id, 'id', seq, 'type', type," \
	"  'threshold', threshold)::text AS note"

/* The notes of CTE e as one text[] column (NULL when none). */
#define QUOTA_SQL_NOTES	"(SELECT array_agg(e.note) FROM e)"

/*
 * What storing a file writes besides its row and the customer's counters:
 * the breakdown row, the audit entry and the outbox events (the upload,
 * and each of 80, 90 and 100 % of the limit reached from below).  Reads
 * CTE f (the stored file: customer_id, id, storage_key, size, charged_size,
 * file_type, category, subcategory, original_name, mime_type, uploaded_by)
 * and CTE c (customer_id, used after the upload, lim); actor is an SQL
 * expression.  The breakdown and the thresholds count charged sizes, as
 * used does.  Defines CTEs
 * u and a, whose counts the statement returns, and e, whose notes it
 * returns (QUOTA_SQL_NOTES).
 */
#define QUOTA_SQL_STORED(actor) \
	" u AS (" \
	" INSERT INTO storage_usage AS s (customer_id, file_type, category, subcategory," \
	"  file_count, total_size)" \
	" SELECT f.customer_id, f.file_type, f.category, " QUOTA_SUBCATEGORY ", 1, f.charged_size" \
	" FROM f JOIN c USING (customer_id)" \
	" ON CONFLICT (customer_id, file_type, category, subcategory) DO UPDATE" \
	" SET file_count = s.file_count + 1, total_size = s.total_size + EXCLUDED.total_size," \
	"  last_updated = now()" \
	" RETURNING 1)," \
	" a AS (" \
	" INSERT INTO audit_log (customer_id, action, actor, file_id, storage_key, size, detail)" \
	" SELECT f.customer_id, 'upload', " actor ", f.id, f.storage_key, f.size," \
	"  jsonb_build_object('fileType', f.file_type, 'category', f.category," \
	"   'originalName', f.original_name, 'mimeType', f.mime_type," \
	"   'chargedSize', f.charged_size)" \
	" FROM f JOIN c USING (customer_id) RETURNING 1)," \
	" e AS (" \
	" INSERT INTO storage_events (customer_id, type, file_id, storage_key, size, used," \
	"  quota_limit, threshold, actor, announce_after_commit)" \
	" SELECT f.customer_id, 'file.uploaded', f.id, f.storage_key, f.size, c.used, c.lim," \
	"  NULL::int, " actor ", true" \
	" FROM f JOIN c USING (customer_id)" \
	" UNION ALL" \
	" SELECT f.customer_id, 'quota.threshold', f.id, f.storage_key, f.size, c.used, c.lim," \
	"  t.pct, " actor ", true" \
	" FROM f JOIN c USING (customer_id) CROSS JOIN (VALUES (80), (90), (100)) AS t (pct)" \
	" WHERE c.lim > 0 AND (c.used - f.charged_size)::numeric * 100 < t.pct * c.lim::numeric" \
	"  AND c.used::numeric * 100 >= t.pct * c.lim::numeric" \
	QUOTA_SQL_EVENT_NOTE ")"

#endif
