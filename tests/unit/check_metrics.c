/* check_metrics.c - bucketing, summing across processes, and the exposition text; logfmt values. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "daemon/metrics.h"
#include "daemon/scoreboard.h"

static const struct metrics_route routes[] = {
	{ "GET", "/healthz" }, { "POST", "/api/storage/upload" },
};

static char *
render(void)
{
	size_t len;
	char *t = metrics_render(routes, 2, &len);

	ck_assert_uint_eq(strlen(t), len);
	return t;
}

START_TEST(test_no_scoreboard_is_a_noop)
{
	size_t len;
	char *t;

	sb = NULL;
	metrics_request(0, 200, 10, 0, 0);
	metrics_db(5, true);
	metrics_upload(3);
	t = metrics_render(routes, 2, &len);
	ck_assert_uint_eq(len, 0);
	free(t);
}
END_TEST

START_TEST(test_buckets_and_sums)
{
	char *t;

	sb_create();
	metrics_request(0, 200, 4000, 0, 16);		/* 4 ms: le 0.005 */
	metrics_request(0, 200, 5000, 0, 16);		/* on the bound: le 0.005 */
	metrics_request(0, 200, 7000000, 0, 16);	/* 7 s: le 10 */
	metrics_request(0, 200, 999000000, 0, 16);	/* past every bound: +Inf only */
	metrics_request(1, 418, 1000, 100, 0);		/* an unlisted status: "other" */
	metrics_request(2, 404, 1000, 0, 0);		/* unmatched */
	t = render();
	ck_assert_ptr_nonnull(strstr(t, "coffer_http_requests_total{method=\"GET\",route=\"/healthz\",code=\"200\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_http_requests_total{method=\"POST\",route=\"/api/storage/upload\",code=\"other\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_http_requests_total{method=\"*\",route=\"unmatched\",code=\"404\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "route=\"/healthz\",le=\"0.005\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "route=\"/healthz\",le=\"5\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "route=\"/healthz\",le=\"10\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "route=\"/healthz\",le=\"120\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "route=\"/healthz\",le=\"+Inf\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_http_request_duration_seconds_sum{method=\"GET\",route=\"/healthz\"} 1006.009000\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_http_request_bytes_total 100\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_http_response_bytes_total 64\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE coffer_db_query_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_db_query_duration_seconds_count 0\n"));
	free(t);
}
END_TEST

/* What workers add is one sum: children write, the parent reads. */
START_TEST(test_summed_across_processes)
{
	int i, status;
	pid_t pid;
	char *t;

	sb_create();
	for (i = 0; i < 4; i++) {
		if ((pid = fork()) == 0) {
			int j;

			for (j = 0; j < 1000; j++) {
				metrics_request(1, 200, 100, 10, 1);
				metrics_store(MS_PUT, 50, j % 10 == 0);
				metrics_upload(10);
			}
			metrics_reject(MR_QUOTA);
			metrics_reject(MR_MIME);
			_exit(0);
		}
		ck_assert_int_gt(pid, 0);
	}
	while (wait(&status) > 0)
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	t = render();
	ck_assert_ptr_nonnull(strstr(t, "route=\"/api/storage/upload\",code=\"200\"} 4000\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_upload_bytes_total 40000\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_uploads_total 4000\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_quota_rejections_total 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_mime_rejections_total 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_backend_errors_total{op=\"put\"} 400\n"));
	ck_assert_ptr_nonnull(strstr(t, "coffer_backend_request_duration_seconds_count{op=\"put\"} 4000\n"));
	free(t);
}
END_TEST

START_TEST(test_log_value)
{
	char buf[64];

	log_value(buf, sizeof(buf), "/api/storage/upload");
	ck_assert_str_eq(buf, "/api/storage/upload");
	log_value(buf, sizeof(buf), "");
	ck_assert_str_eq(buf, "\"\"");
	log_value(buf, sizeof(buf), "a b=\"c\"\\\n\x01");
	ck_assert_str_eq(buf, "\"a b=\\\"c\\\"\\\\\\n\\x01\"");
	log_value(buf, sizeof(buf), "caf\xc3\xa9");
	ck_assert_str_eq(buf, "\"caf\xc3\xa9\"");
	/* Cut short, still closed. */
	log_value(buf, 8, "a b c d e f g");
	ck_assert_str_eq(buf, "\"a b c\"");
	log_value(buf, 6, "\"\"\"\"");
	ck_assert_str_eq(buf, "\"\\\"\"");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_no_scoreboard_is_a_noop);
	tcase_add_test(tc, test_buckets_and_sums);
	tcase_add_test(tc, test_summed_across_processes);
	tcase_add_test(tc, test_log_value);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
