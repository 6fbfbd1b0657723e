"""Hostile input gets a clear 4xx in the API's JSON shape, never a 5xx, and
changes nothing: metadata that is not strict JSON, listing cursors the API
never handed out, requests nginx answers itself, and random bytes anywhere
(a property test with Hypothesis)."""
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import Tenant, pdf_of_size


def assert_json_error(r_status, body, status, code=None):
    assert r_status == status, (r_status, body)
    doc = json.loads(body)
    assert doc["success"] is False and doc["error"], doc
    if code is not None:
        assert doc["code"] == code, doc


def raw_request(stack, request_bytes, source=None):
    return stack.raw_request(request_bytes, source)


@pytest.fixture(scope="module")
def tenant(stack):
    return Tenant(stack)


# ---- metadata --------------------------------------------------------------

HOSTILE_METADATA = [
    b'{"a":"\xff"}',
    b'{"a":"\xc0\xaf"}',
    b'{"a":"\xed\xa0\x80"}',
    b'{"a":"x\\u0000y"}',
    b'{"\\u0000":1}',
    b'{"a":"\\ud800"}',
    b'{"a":"\x01"}',
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":-Infinity}',
    b"{'a':1}",
    b'{"a":1/*c*/}',
    b'{"a":1 // c\n}',
    b'{"a":1,}',
    b'{"a":1.}',
    b'{"a":123456789012345678901234567890}',
    b'{"a":-9223372036854775809}',
    b'{"a":1e400}',
    b'{"a":1e-400000}',
    b'{"a":1e20}',
]


@pytest.mark.parametrize("raw", HOSTILE_METADATA, ids=lambda b: b.decode("latin-1"))
def test_hostile_metadata_is_400_and_changes_nothing(stack, tenant, raw):
    before = tenant.quota()["used"]
    r = tenant.request("POST", "/api/storage/upload",
                       files={"file": ("a.pdf", pdf_of_size(200), "application/pdf"),
                              "category": (None, b"documents"),
                              "subcategory": (None, b"leases"),
                              "metadata": (None, raw)})
    assert_json_error(r.status_code, r.content, 400, "INVALID_METADATA")
    assert tenant.quota()["used"] == before
    assert tenant.db("SELECT count(*) FROM files WHERE customer_id = :customer") == "0"


def test_metadata_numbers_come_back_exactly(tenant):
    text = ('{"max":9223372036854775807,"min":-9223372036854775808,'
            '"big":12345678901234567890123.5,"tiny":0.000000000000000000000000001,'
            '"sci":1.5E-300,"s":"\\ud83d\\ude00 \u00e9"}')
    r = tenant.upload(pdf_of_size(300), metadata=text)
    assert r.status_code == 200, r.text
    fid = r.json()["data"]["fileId"]
    got = tenant.request("GET", f"/api/storage/files/{fid}")
    assert got.status_code == 200, got.text
    raw = got.text
    for literal in ("9223372036854775807", "-9223372036854775808", "12345678901234567890123.5",
                    "0.000000000000000000000000001"):
        assert literal in raw, (literal, raw)
    meta = got.json()["data"]["metadata"]
    assert meta["s"] == "\U0001F600 \u00e9"
    assert tenant.request("DELETE", f"/api/storage/files/{fid}").status_code == 200


# ---- listing cursors -------------------------------------------------------

@pytest.mark.parametrize("cursor", [
    "9999999999999999999.%s",
    "9223372036854775807.%s",
    "253402300800000000.%s",
    "-1.%s",
    "1e5.%s",
    "1.%s-",
    "1.%s.1",
    "1.",
    ".%s",
])
def test_hostile_cursor_is_400(tenant, cursor):
    c = cursor.replace("%s", str(uuid.uuid4()))
    r = tenant.request("GET", "/api/storage/files", params={"cursor": c})
    assert_json_error(r.status_code, r.content, 400, "INVALID_CURSOR")


def test_cursor_at_the_edge_of_time_is_a_page(tenant):
    r = tenant.request("GET", "/api/storage/files",
                       params={"cursor": f"253402300799999999.{uuid.uuid4()}"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["files"] == []


# ---- answers nginx makes itself --------------------------------------------

def test_path_as_is_dotdot_is_json_400(stack):
    status, headers, body = raw_request(
        stack, b"GET /../x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert headers["content-type"] == "application/json"
    assert_json_error(status, body, 400, "BAD_REQUEST")


def test_garbage_request_line_is_json_400(stack):
    status, headers, body = raw_request(stack, b"\x16\x03 nonsense\r\n\r\n")
    assert headers["content-type"] == "application/json"
    assert_json_error(status, body, 400, "BAD_REQUEST")


def test_metrics_from_outside_is_json_403(stack):
    # Loopback accepts any 127/8 source; nginx allows only 127.0.0.1.
    status, headers, body = raw_request(
        stack, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        source="127.0.0.2")
    assert headers["content-type"] == "application/json"
    assert_json_error(status, body, 403, "FORBIDDEN")


@pytest.mark.parametrize("method,path,status,code", [
    ("GET", "/_objects/x", 404, "NOT_FOUND"),
    ("GET", "/_coffer_error/500", 404, "NOT_FOUND"),
    ("POST", "/app/index.html", 405, "METHOD_NOT_ALLOWED"),
    ("TRACE", "/", 405, "METHOD_NOT_ALLOWED"),
    ("GET", "/debug/nginx/500", 500, "INTERNAL_ERROR"),
    ("GET", "/debug/nginx/502", 503, "SERVICE_UNAVAILABLE"),
    ("GET", "/debug/nginx/504", 503, "SERVICE_UNAVAILABLE"),
])
def test_nginx_answers_are_json(stack, method, path, status, code):
    r = stack.request(method, path, data=b"x" if method == "POST" else None)
    assert r.headers["Content-Type"] == "application/json", (r.status_code, r.headers, r.text)
    assert_json_error(r.status_code, r.content, status, code)


def test_too_long_uri_is_json_414(stack):
    r = stack.get("/api/" + "a" * 20000)
    assert r.headers["Content-Type"] == "application/json", r.text
    assert_json_error(r.status_code, r.content, 414, "URI_TOO_LONG")


def test_too_large_body_is_json_413(stack, tenant):
    status, body = stack.declare_body("POST", "/api/storage/upload", 10 * 1024 ** 3,
                                      {"Authorization": f"Bearer {tenant.token}"})
    assert status == 413 and body["code"] == "FILE_TOO_LARGE", (status, body)


def test_unknown_host_is_refused(stack):
    status, headers, body = raw_request(
        stack, b"GET /healthz HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    assert headers["content-type"] == "application/json"
    assert_json_error(status, body, 421, "UNKNOWN_HOST")


# ---- property: random bytes never produce a 5xx -------------------------------

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@PROPERTY
@given(meta=st.binary(max_size=300))
def test_random_metadata_never_5xx(tenant, meta):
    r = tenant.request("POST", "/api/storage/upload",
                       files={"file": ("a.pdf", pdf_of_size(100), "application/pdf"),
                              "category": (None, b"documents"),
                              "subcategory": (None, b"leases"),
                              "metadata": (None, meta)})
    assert r.status_code < 500, (meta, r.status_code, r.text)
    if r.status_code == 200:
        fid = r.json()["data"]["fileId"]
        assert tenant.request("DELETE", f"/api/storage/files/{fid}").status_code == 200
    else:
        assert r.json()["success"] is False


@PROPERTY
@given(cursor=st.text(max_size=80), limit=st.text(max_size=8),
       category=st.text(max_size=20))
def test_random_listing_queries_never_5xx(tenant, cursor, limit, category):
    r = tenant.request("GET", "/api/storage/files",
                       params={"cursor": cursor, "limit": limit, "category": category})
    assert r.status_code < 500, (cursor, limit, category, r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"


@PROPERTY
@given(body=st.binary(max_size=400), ctype=st.sampled_from(
    ["application/json", "multipart/form-data; boundary=x", "application/octet-stream", ""]),
    path=st.sampled_from(["/api/storage/file", "/api/storage/upload", "/api/storage/files",
                          "/api/storage/recalculate"]),
    method=st.sampled_from(["POST", "DELETE", "PUT"]))
def test_random_bodies_never_5xx(tenant, body, ctype, path, method):
    r = tenant.request(method, path, data=body, headers={"Content-Type": ctype})
    assert r.status_code < 500, (method, path, ctype, body, r.status_code, r.text)
    assert r.json()["success"] is False or r.status_code < 300


@PROPERTY
@given(path=st.binary(min_size=1, max_size=120))
def test_random_request_targets_never_5xx(stack, path):
    target = b"/" + bytes(b for b in path if b not in b"\r\n ")
    status, headers, body = raw_request(
        stack, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status < 500, (target, status, body)
    if status >= 400:
        assert headers.get("content-type") == "application/json", (target, status, headers)
        assert json.loads(body)["success"] is False
