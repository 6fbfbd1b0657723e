/* check_storekey.c - every valid taxonomy path, hostile path pieces, key parsing and tenant isolation. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/storekey.h"

#define CUST	"3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define OTHER	"9b2c1a7e-0000-4000-8000-000000000001"
#define OBJ	"6ba7b810-9dad-11d1-80b4-00c04fd430c8"

static const struct storekey_taxonomy *tax;

/* The length as received; NULL stays NULL. */
#define KLEN(k)	((k) != NULL ? strlen(k) : 0)

static void
setup(void)
{
	tax = storekey_default_taxonomy();
}

/* Build a key the way the upload path does. */
static enum err
make(const char *cat, const char *ent, const char *sub, const char *ext, char *key, const char **code)
{
	struct storekey k;
	enum err rc;

	if ((rc = storekey_check(tax, CUST, cat, ent, sub, &k, code, NULL)) != ERR_OK)
		return rc;
	return storekey_format(&k, OBJ, ext, key, STOREKEY_MAX, NULL);
}

START_TEST(test_default_taxonomy_is_valid)
{
	const char *errstr = NULL;

	ck_assert_int_eq(storekey_taxonomy_check(tax, &errstr), ERR_OK);
	ck_assert_uint_eq(tax->ncategories, 5);
}
END_TEST

START_TEST(test_every_valid_combination)
{
	const struct storekey_category *c;
	const char *const *s, *code;
	char key[STOREKEY_MAX], want[STOREKEY_MAX];
	struct storekey back;
	size_t i;
	int nkeys = 0;

	for (i = 0; i < tax->ncategories; i++) {
		c = &tax->categories[i];
		/* Without a subcategory, if the category allows that. */
		if (c->sub != STOREKEY_REQUIRED) {
			ck_assert_int_eq(make(c->name, c->entity ? "ent-1_A" : NULL, NULL, ".pdf", key, &code), ERR_OK);
			snprintf(want, sizeof(want), "customers/" CUST "/%s%s/" OBJ ".pdf",
			    c->name, c->entity ? "/ent-1_A" : "");
			ck_assert_str_eq(key, want);
			ck_assert_int_eq(storekey_parse(tax, key, KLEN(key), CUST, &back, &code, NULL), ERR_OK);
			ck_assert_str_eq(back.category, c->name);
			ck_assert_ptr_null(back.subcategory);
			nkeys++;
		}
		for (s = c->subcategories; s != NULL && *s != NULL; s++) {
			ck_assert_int_eq(make(c->name, c->entity ? "e" : NULL, *s, ".jpg", key, &code), ERR_OK);
			snprintf(want, sizeof(want), "customers/" CUST "/%s%s/%s/" OBJ ".jpg",
			    c->name, c->entity ? "/e" : "", *s);
			ck_assert_str_eq(key, want);
			ck_assert_int_eq(storekey_parse(tax, key, KLEN(key), CUST, &back, &code, NULL), ERR_OK);
			ck_assert_str_eq(back.customer_id, CUST);
			ck_assert_str_eq(back.category, c->name);
			ck_assert_str_eq(back.entity_id, c->entity ? "e" : "");
			ck_assert_str_eq(back.subcategory, *s);
			ck_assert_str_eq(back.object_id, OBJ);
			ck_assert_str_eq(back.ext, ".jpg");
			nkeys++;
		}
	}
	/* 5 without subcategory + 4 + 3 + 3 + 4 with one. */
	ck_assert_int_eq(nkeys, 19);
	ck_assert_int_eq(make("avatars", NULL, NULL, "", key, &code), ERR_OK);
	ck_assert_str_eq(key, "customers/" CUST "/avatars/" OBJ);
	ck_assert_int_eq(storekey_parse(tax, key, KLEN(key), CUST, &back, &code, NULL), ERR_OK);
	ck_assert_str_eq(back.ext, "");
}
END_TEST

struct sk_case {
	const char	*cust, *cat, *ent, *sub;
	const char	*code;
};

static const struct sk_case bad_cases[] = {
	{ "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "documents", NULL, "leases", "INVALID_CUSTOMER_ID" },
	{ "3f2504e04f8941d39a0c0305e82c3301", "documents", NULL, "leases", "INVALID_CUSTOMER_ID" },
	{ "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}", "documents", NULL, "leases", "INVALID_CUSTOMER_ID" },
	{ CUST "/..", "documents", NULL, NULL, "INVALID_CUSTOMER_ID" },
	{ "../" CUST, "documents", NULL, NULL, "INVALID_CUSTOMER_ID" },
	{ "", "documents", NULL, NULL, "INVALID_CUSTOMER_ID" },
	{ NULL, "documents", NULL, NULL, "INVALID_CUSTOMER_ID" },
	{ CUST, NULL, NULL, NULL, "INVALID_CATEGORY" },
	{ CUST, "", NULL, NULL, "INVALID_CATEGORY" },
	{ CUST, "Documents", NULL, NULL, "INVALID_CATEGORY" },
	{ CUST, "documents/", NULL, NULL, "INVALID_CATEGORY" },
	{ CUST, "../documents", NULL, NULL, "INVALID_CATEGORY" },
	{ CUST, "general", NULL, NULL, "INVALID_CATEGORY" },
	{ CUST, "documents ", NULL, NULL, "INVALID_CATEGORY" },
	{ CUST, "properties", NULL, "photos", "ENTITY_ID_REQUIRED" },
	{ CUST, "properties", "", "photos", "ENTITY_ID_REQUIRED" },
	{ CUST, "tenants", NULL, NULL, "ENTITY_ID_REQUIRED" },
	{ CUST, "documents", "x", "leases", "ENTITY_ID_NOT_ALLOWED" },
	{ CUST, "avatars", "x", NULL, "ENTITY_ID_NOT_ALLOWED" },
	{ CUST, "properties", "../x", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "..", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", ".", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "%2e%2e", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "/abs", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "a/b", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "a\\b", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "a.b", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "a b", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "-rf", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "caf\xc3\xa9", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "a\nb", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "a%00", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "properties", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "photos", "INVALID_ENTITY_ID" },
	{ CUST, "documents", NULL, "photos", "INVALID_SUBCATEGORY" },
	{ CUST, "documents", NULL, "../leases", "INVALID_SUBCATEGORY" },
	{ CUST, "documents", NULL, "Leases", "INVALID_SUBCATEGORY" },
	{ CUST, "properties", "p1", "leases", "INVALID_SUBCATEGORY" },
	{ CUST, "projects", "p1", "permits/..", "INVALID_SUBCATEGORY" },
	{ CUST, "avatars", NULL, "photos", "SUBCATEGORY_NOT_ALLOWED" },
};

START_TEST(test_hostile_pieces)
{
	const struct sk_case *c = &bad_cases[_i];
	const char *code = NULL, *errstr = NULL;
	struct storekey k;

	ck_assert_int_eq(storekey_check(tax, c->cust, c->cat, c->ent, c->sub, &k, &code, &errstr), ERR_BADREQ);
	ck_assert_msg(strcmp(code, c->code) == 0, "case %d: got %s want %s", _i, code, c->code);
	ck_assert_ptr_nonnull(errstr);
	ck_assert_ptr_null(k.category);
}
END_TEST

START_TEST(test_entity_pattern)
{
	char s[80];

	ck_assert(storekey_entity_ok("a"));
	ck_assert(storekey_entity_ok("A-9_z"));
	ck_assert(storekey_entity_ok("_x"));
	memset(s, 'a', 64);
	s[64] = '\0';
	ck_assert(storekey_entity_ok(s));
	s[64] = 'a';
	s[65] = '\0';
	ck_assert(!storekey_entity_ok(s));
	ck_assert(!storekey_entity_ok(""));
	ck_assert(!storekey_entity_ok(NULL));
	ck_assert(!storekey_entity_ok("-a"));
	ck_assert(!storekey_entity_ok("a~"));
}
END_TEST

static const char *const bad_keys[] = {
	"",
	"customers/",
	"customers/" CUST,
	"customers/" CUST "/",
	"customers/" CUST "/documents",
	"customers/" CUST "/documents/",
	"customers/" CUST "/documents/leases/",
	"/customers/" CUST "/documents/leases/" OBJ ".pdf",
	"Customers/" CUST "/documents/leases/" OBJ ".pdf",
	"customers//" CUST "/documents/leases/" OBJ ".pdf",
	"customers/" CUST "//documents/leases/" OBJ ".pdf",
	"customers/" CUST "/documents//leases/" OBJ ".pdf",
	"customers/" CUST "/documents/leases//" OBJ ".pdf",
	"customers/" CUST "/documents/leases/" OBJ ".pdf/",
	"customers/" CUST "/../" OTHER "/documents/" OBJ ".pdf",
	"customers/" CUST "/documents/../leases/" OBJ ".pdf",
	"customers/" CUST "/documents/leases/../" OBJ ".pdf",
	"customers/" CUST "/documents/./" OBJ ".pdf",
	"customers/" CUST "/documents/leases/" OBJ ".pdf/../x",
	"customers/" CUST "/documents/%2e%2e/" OBJ ".pdf",
	"customers/" CUST "/documents/leases/x/" OBJ ".pdf",
	"customers/" CUST "/documents/leases/" OBJ ".PDF",
	"customers/" CUST "/documents/leases/" OBJ ".",
	"customers/" CUST "/documents/leases/" OBJ "..pdf",
	"customers/" CUST "/documents/leases/" OBJ ".pdf.exe",
	"customers/" CUST "/documents/leases/" OBJ ".abcdefghij",
	"customers/" CUST "/documents/leases/" OBJ "x",
	"customers/" CUST "/documents/leases/6BA7B810-9DAD-11D1-80B4-00C04FD430C8.pdf",
	"customers/" CUST "/documents/leases/evil.pdf",
	"customers/" CUST "/documents/leases\\..\\" OBJ ".pdf",
	"customers/" CUST "/properties/" OBJ ".pdf",
	"customers/" CUST "/properties/p1/garage/" OBJ ".pdf",
	"customers/" CUST "/properties/../photos/" OBJ ".pdf",
	"customers/" CUST "/properties/-p/photos/" OBJ ".pdf",
	"customers/" CUST "/avatars/photos/" OBJ ".png",
	"customers/" CUST "/avatars/x/" OBJ ".png",
	"customers/" CUST "/general/" OBJ ".png",
	"customers/" CUST "/documents/leases/" OBJ ".pdf\n",
	"customers/3F2504E0-4F89-41D3-9A0C-0305E82C3301/documents/leases/" OBJ ".pdf",
	"customers/" CUST "/tenants/t1/applications/x/y/" OBJ ".pdf",
	"customers/" OTHER "/../" CUST "/documents/" OBJ ".pdf",
};

START_TEST(test_parse_rejects)
{
	const char *code = NULL, *errstr = NULL;
	struct storekey k;

	ck_assert_msg(storekey_parse(tax, bad_keys[_i], KLEN(bad_keys[_i]), CUST, &k, &code, &errstr) == ERR_BADREQ,
	    "key %d accepted: %s", _i, bad_keys[_i]);
	ck_assert_str_eq(code, "INVALID_FILE_PATH");
	ck_assert_ptr_null(k.category);
}
END_TEST

/* Parse a literal key as received. */
#define PARSE(key, cust) storekey_parse(tax, (key), sizeof(key) - 1, (cust), &k, &code, NULL)

START_TEST(test_parse_tenant_isolation)
{
	const char *code = NULL;
	struct storekey k;

	ck_assert_int_eq(PARSE("customers/" OTHER "/documents/leases/" OBJ ".pdf", CUST), ERR_FORBIDDEN);
	ck_assert_str_eq(code, "FILE_PATH_FORBIDDEN");
	ck_assert_ptr_null(k.category);
	ck_assert_int_eq(PARSE("customers/" CUST "/documents/leases/" OBJ ".pdf", OTHER), ERR_FORBIDDEN);
	/* A prefix of the customer id is not the customer. */
	ck_assert_int_eq(PARSE("customers/" CUST "x/documents/" OBJ ".pdf", CUST), ERR_BADREQ);
	ck_assert_int_eq(PARSE("customers/" CUST "/documents/" OBJ ".pdf", "not-a-uuid"), ERR_BADREQ);
	ck_assert_str_eq(code, "INVALID_CUSTOMER_ID");
	ck_assert_int_eq(storekey_parse(tax, NULL, 0, CUST, &k, &code, NULL), ERR_BADREQ);
}
END_TEST

START_TEST(test_format_rejects_bad_object)
{
	struct storekey k;
	char key[STOREKEY_MAX];

	ck_assert_int_eq(storekey_check(tax, CUST, "documents", NULL, NULL, &k, NULL, NULL), ERR_OK);
	ck_assert_int_eq(storekey_format(&k, "nope", ".pdf", key, sizeof(key), NULL), ERR_INTERNAL);
	ck_assert_int_eq(storekey_format(&k, OBJ, "pdf", key, sizeof(key), NULL), ERR_INTERNAL);
	ck_assert_int_eq(storekey_format(&k, OBJ, "./../x", key, sizeof(key), NULL), ERR_INTERNAL);
	ck_assert_int_eq(storekey_format(&k, OBJ, ".pdf", key, 20, NULL), ERR_INTERNAL);
	ck_assert_int_eq(storekey_format(&k, OBJ, ".pdf", key, sizeof(key), NULL), ERR_OK);
}
END_TEST

/* Found by fuzz_storekey: formatting a parsed key from its own fields
 * handed strcpy overlapping buffers. */
START_TEST(test_reformat_parsed_key)
{
	static const char key[] = "customers/" CUST "/projects/p-1/permits/" OBJ ".xlsx";
	char again[STOREKEY_MAX];
	struct storekey k;

	ck_assert_int_eq(storekey_parse(tax, key, KLEN(key), CUST, &k, NULL, NULL), ERR_OK);
	ck_assert_int_eq(storekey_format(&k, k.object_id, k.ext, again, sizeof(again), NULL), ERR_OK);
	ck_assert_str_eq(again, key);
}
END_TEST

/* Found by fuzz_storekey: a NUL inside a key must not cut it down to a
 * valid prefix ("...photos/<uuid>.j\0\0...Pg"). */
START_TEST(test_parse_embedded_nul)
{
	static const char key[] = "customers/" CUST "/properties/prop1/photos/" OBJ ".j\0\0\0Pg";
	static const char ok[] = "customers/" CUST "/properties/prop1/photos/" OBJ ".j";
	const char *code = NULL;
	struct storekey k;

	ck_assert_int_eq(storekey_parse(tax, ok, sizeof(ok) - 1, CUST, &k, &code, NULL), ERR_OK);
	ck_assert_int_eq(storekey_parse(tax, key, sizeof(key) - 1, CUST, &k, &code, NULL), ERR_BADREQ);
	ck_assert_str_eq(code, "INVALID_FILE_PATH");
	ck_assert_int_eq(storekey_parse(tax, ok, sizeof(ok) - 2, CUST, &k, &code, NULL), ERR_BADREQ);
}
END_TEST

START_TEST(test_longest_key_fits)
{
	static const char *const l1[] = { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL };
	static const struct storekey_category cats[] = {
		{ "cccccccccccccccccccccccccccccccc", STOREKEY_REQUIRED, STOREKEY_REQUIRED, l1 },
	};
	struct storekey_taxonomy t = { cats, 1 };
	char ent[65], key[STOREKEY_MAX];
	struct storekey k, back;

	ck_assert_int_eq(storekey_taxonomy_check(&t, NULL), ERR_OK);
	memset(ent, 'e', 64);
	ent[64] = '\0';
	ck_assert_int_eq(storekey_check(&t, CUST, cats[0].name, ent, l1[0], &k, NULL, NULL), ERR_OK);
	ck_assert_int_eq(storekey_format(&k, OBJ, ".abcdefghi", key, sizeof(key), NULL), ERR_OK);
	ck_assert_uint_eq(strlen(key), STOREKEY_MAX - 1);
	ck_assert_int_eq(storekey_parse(&t, key, KLEN(key), CUST, &back, NULL, NULL), ERR_OK);
	ck_assert_str_eq(back.entity_id, ent);
	/* Required subcategory missing. */
	ck_assert_int_eq(storekey_check(&t, CUST, cats[0].name, ent, NULL, &k, NULL, NULL), ERR_BADREQ);
}
END_TEST

START_TEST(test_taxonomy_check_rejects)
{
	static const char *const subs[] = { "ok", NULL };
	static const char *const badsub[] = { "../x", NULL };
	static const char *const dupsub[] = { "a", "a", NULL };
	static const struct storekey_category c_badname[] = { { "Bad", STOREKEY_FORBIDDEN, STOREKEY_FORBIDDEN, NULL } };
	static const struct storekey_category c_dup[] = {
		{ "a", STOREKEY_FORBIDDEN, STOREKEY_FORBIDDEN, NULL }, { "a", STOREKEY_FORBIDDEN, STOREKEY_FORBIDDEN, NULL } };
	static const struct storekey_category c_flag[] = { { "a", STOREKEY_FORBIDDEN, STOREKEY_OPTIONAL, NULL } };
	static const struct storekey_category c_flag2[] = { { "a", STOREKEY_FORBIDDEN, STOREKEY_FORBIDDEN, subs } };
	static const struct storekey_category c_badsub[] = { { "a", STOREKEY_FORBIDDEN, STOREKEY_OPTIONAL, badsub } };
	static const struct storekey_category c_dupsub[] = { { "a", STOREKEY_FORBIDDEN, STOREKEY_OPTIONAL, dupsub } };
	/* Optional entity and subcategory: "a/x/uuid" would read two ways. */
	static const struct storekey_category c_optboth[] = { { "a", STOREKEY_OPTIONAL, STOREKEY_OPTIONAL, subs } };
	static const struct storekey_category c_badent[] = { { "a", 7, STOREKEY_FORBIDDEN, NULL } };
	const struct storekey_category *all[] = { c_badname, c_flag, c_flag2, c_badsub, c_dupsub,
	    c_optboth, c_badent };
	struct storekey_taxonomy t;
	const char *errstr;
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		t.categories = all[i];
		t.ncategories = 1;
		errstr = NULL;
		ck_assert_int_eq(storekey_taxonomy_check(&t, &errstr), ERR_CONFIG);
		ck_assert_ptr_nonnull(errstr);
	}
	t.categories = c_dup;
	t.ncategories = 2;
	ck_assert_int_eq(storekey_taxonomy_check(&t, NULL), ERR_CONFIG);
	t.ncategories = 0;
	ck_assert_int_eq(storekey_taxonomy_check(&t, NULL), ERR_CONFIG);
}
END_TEST

START_TEST(test_taxonomy_json)
{
	struct json_object *j = storekey_taxonomy_json(tax), *first, *v;

	ck_assert_int_eq(json_object_array_length(j), 5);
	first = json_object_array_get_idx(j, 0);
	ck_assert(json_object_object_get_ex(first, "category", &v));
	ck_assert_str_eq(json_object_get_string(v), "documents");
	ck_assert(json_object_object_get_ex(first, "entity", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(first, "subcategories", &v));
	ck_assert_int_eq(json_object_array_length(v), 4);
	ck_assert_str_eq(json_object_to_json_string_ext(json_object_array_get_idx(j, 4), JSON_C_TO_STRING_PLAIN),
	    "{\"category\":\"avatars\",\"entityId\":\"none\",\"entity\":false,"
	    "\"subcategory\":\"forbidden\",\"subcategories\":[]}");
	json_object_put(j);
}
END_TEST

/* An operator's category with an optional entity id (cofferctl category add
 * NAME --entity-id optional): with and without one, both keys round-trip,
 * and nothing else passes. */
START_TEST(test_optional_entity)
{
	static const struct storekey_category cats[] = {
		{ "scans", STOREKEY_OPTIONAL, STOREKEY_FORBIDDEN, NULL } };
	const struct storekey_taxonomy t = { cats, 1 };
	char key[STOREKEY_MAX], want[STOREKEY_MAX];
	struct storekey k, back;
	const char *code = NULL;

	ck_assert_int_eq(storekey_taxonomy_check(&t, NULL), ERR_OK);
	ck_assert_int_eq(storekey_check(&t, CUST, "scans", NULL, NULL, &k, NULL, NULL), ERR_OK);
	ck_assert_int_eq(storekey_format(&k, OBJ, ".pdf", key, sizeof(key), NULL), ERR_OK);
	ck_assert_str_eq(key, "customers/" CUST "/scans/" OBJ ".pdf");
	ck_assert_int_eq(storekey_parse(&t, key, KLEN(key), CUST, &back, NULL, NULL), ERR_OK);
	ck_assert_str_eq(back.entity_id, "");
	ck_assert_int_eq(storekey_check(&t, CUST, "scans", "box-7", NULL, &k, NULL, NULL), ERR_OK);
	ck_assert_int_eq(storekey_format(&k, OBJ, ".pdf", key, sizeof(key), NULL), ERR_OK);
	ck_assert_str_eq(key, "customers/" CUST "/scans/box-7/" OBJ ".pdf");
	ck_assert_int_eq(storekey_parse(&t, key, KLEN(key), CUST, &back, NULL, NULL), ERR_OK);
	ck_assert_str_eq(back.entity_id, "box-7");
	/* The entity id keeps its shape; no subcategory; no traversal. */
	ck_assert_int_eq(storekey_check(&t, CUST, "scans", "../x", NULL, &k, &code, NULL), ERR_BADREQ);
	ck_assert_str_eq(code, "INVALID_ENTITY_ID");
	ck_assert_int_eq(storekey_check(&t, CUST, "scans", "b", "leases", &k, &code, NULL), ERR_BADREQ);
	ck_assert_str_eq(code, "SUBCATEGORY_NOT_ALLOWED");
	snprintf(want, sizeof(want), "customers/%s/scans/b/c/%s.pdf", CUST, OBJ);
	ck_assert_int_eq(storekey_parse(&t, want, KLEN(want), CUST, &back, &code, NULL), ERR_BADREQ);
	snprintf(want, sizeof(want), "customers/%s/scans/../%s.pdf", CUST, OBJ);
	ck_assert_int_eq(storekey_parse(&t, want, KLEN(want), CUST, &back, &code, NULL), ERR_BADREQ);
	snprintf(want, sizeof(want), "customers/%s/scans/-b/%s.pdf", CUST, OBJ);
	ck_assert_int_eq(storekey_parse(&t, want, KLEN(want), CUST, &back, &code, NULL), ERR_BADREQ);
	ck_assert_str_eq(code, "INVALID_FILE_PATH");
}
END_TEST

/* No taxonomy (the database could not be read): 503, never a guess. */
START_TEST(test_no_taxonomy)
{
	struct storekey k;
	const char *code = NULL;
	char key[STOREKEY_MAX];

	ck_assert_int_eq(storekey_check(NULL, CUST, "documents", NULL, NULL, &k, &code, NULL), ERR_DB);
	ck_assert_str_eq(code, "DATABASE_UNAVAILABLE");
	snprintf(key, sizeof(key), "customers/%s/documents/%s.pdf", CUST, OBJ);
	code = NULL;
	ck_assert_int_eq(storekey_parse(NULL, key, KLEN(key), CUST, &k, &code, NULL), ERR_DB);
	ck_assert_str_eq(code, "DATABASE_UNAVAILABLE");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("storekey");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_default_taxonomy_is_valid);
	tcase_add_test(tc, test_every_valid_combination);
	tcase_add_loop_test(tc, test_hostile_pieces, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_entity_pattern);
	tcase_add_loop_test(tc, test_parse_rejects, 0, (int)(sizeof(bad_keys) / sizeof(bad_keys[0])));
	tcase_add_test(tc, test_parse_tenant_isolation);
	tcase_add_test(tc, test_format_rejects_bad_object);
	tcase_add_test(tc, test_reformat_parsed_key);
	tcase_add_test(tc, test_parse_embedded_nul);
	tcase_add_test(tc, test_longest_key_fits);
	tcase_add_test(tc, test_taxonomy_check_rejects);
	tcase_add_test(tc, test_taxonomy_json);
	tcase_add_test(tc, test_optional_entity);
	tcase_add_test(tc, test_no_taxonomy);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
