"""The storage API end to end through nginx, PostgreSQL and the storage backend.

Every assertion is something a user of the API sees: status, JSON body,
usage figures, bytes stored, rows in the database. The whole suite runs
once per backend (the `api` fixture: the local stack, then the S3 stack);
what the backend holds is read from the backend itself (helpers.py).
"""
import hashlib
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import (DATA, MiB, SAMPLES, Tenant, assert_object, object_exists, object_info,
                     objects_of, pdf_of_size, read_object, sample)


@pytest.fixture
def tenant(api):
    return Tenant(api)


# ---- the seed's shapes, field by field ------------------------------------

def test_quota_shape_matches_seed(tenant):
    q = tenant.quota()
    for field, kind in [("used", int), ("limit", int), ("available", int),
                        ("percentage", (int, float)), ("usedFormatted", str),
                        ("limitFormatted", str), ("availableFormatted", str)]:
        assert isinstance(q[field], kind), (field, q)
    assert q["used"] == 0 and q["limit"] == 5 * 1024 ** 3
    assert q["available"] == q["limit"] and q["percentage"] == 0
    assert q["usedFormatted"] == "0 Bytes" and q["limitFormatted"] == "5 GiB"


def test_upload_shape_and_bytes_stored(tenant, api):
    data = sample("pdf")
    r = tenant.upload(data, filename="lease.pdf", metadata={"tenant": "A-12"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True
    d = body["data"]
    for field, kind in [("success", bool), ("fileId", str), ("filePath", str),
                        ("fileUrl", str), ("fileSize", int)]:
        assert isinstance(d[field], kind), (field, d)
    assert d["fileSize"] == len(data)
    assert re.fullmatch(rf"customers/{tenant.id}/documents/leases/[0-9a-f-]{{36}}\.pdf",
                        d["filePath"])
    assert d["mimeType"] == "application/pdf"
    assert_object(api, d["filePath"], data, "application/pdf")
    assert d["sha256"] == hashlib.sha256(data).hexdigest()
    row = tenant.db(f"SELECT state, size, sha256, original_name, metadata->>'tenant'"
                    f" FROM files WHERE customer_id = :customer AND id = '{d['fileId']}'")
    assert row == f"stored|{len(data)}|{hashlib.sha256(data).hexdigest()}|lease.pdf|A-12"
    q = tenant.quota()
    assert q["used"] == len(data)


def test_stats_shape_matches_seed(tenant):
    assert tenant.upload(sample("pdf")).status_code == 200
    assert tenant.upload(sample("png"), filename="p.png", category="avatars",
                         subcategory=None, content_type="image/png").status_code == 200
    s = tenant.stats()
    assert set(s) >= {"quota", "breakdown", "recentUploads"}
    assert s["quota"]["used"] == len(sample("pdf")) + len(sample("png"))
    for b in s["breakdown"]:
        for field, kind in [("fileType", str), ("category", str), ("fileCount", int),
                            ("totalSize", int), ("percentage", (int, float))]:
            assert isinstance(b[field], kind), (field, b)
    assert {(b["fileType"], b["fileCount"]) for b in s["breakdown"]} == {("document", 1), ("image", 1)}
    assert abs(sum(b["percentage"] for b in s["breakdown"]) - 100) < 0.1
    assert len(s["recentUploads"]) == 2
    for u in s["recentUploads"]:
        for field in ("fileName", "fileSize", "uploadedAt", "uploadedBy"):
            assert field in u, u
    assert s["recentUploads"][0]["fileName"] == "p.png"
    assert s["recentUploads"][0]["uploadedBy"] == tenant.user


def test_delete_shape_matches_seed(tenant):
    d = tenant.upload(sample("pdf")).json()["data"]
    r = tenant.request("DELETE", "/api/storage/file", json={"filePath": d["filePath"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "message": "File deleted successfully"}


def test_recalculate_shape_and_admin_only(api, tenant):
    assert tenant.upload(sample("pdf")).status_code == 200
    r = tenant.request("POST", "/api/storage/recalculate")
    assert r.status_code == 403
    admin = tenant.issue("admin")
    r = tenant.request("POST", "/api/storage/recalculate", token=admin)
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["totalSize"] == len(sample("pdf")) and isinstance(d["totalSizeFormatted"], str)


# ---- types by content ----------------------------------------------------

@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_office_and_image_types_stored_byte_identical(api, tenant, kind):
    name, mime, ext, ftype = SAMPLES[kind]
    data = sample(kind)
    r = tenant.upload(data, filename=f"x{ext}", content_type="application/octet-stream")
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["mimeType"] == mime and d["fileType"] == ftype
    assert d["filePath"].endswith(ext)
    assert_object(api, d["filePath"], data, mime)


@pytest.mark.parametrize("payload,detected", [
    (Path("/bin/true").read_bytes(), "application/x-"),
    ((DATA / "sample.zip").read_bytes(), "application/zip"),
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n", "text/html"),
])
def test_disguised_files_refused_415(api, tenant, payload, detected):
    r = tenant.upload(payload, filename="invoice.pdf", content_type="application/pdf")
    assert r.status_code == 415, r.text
    body = r.json()
    assert body["code"] == "MIME_NOT_ALLOWED" and body["success"] is False
    assert body["detectedType"].startswith(detected)
    assert detected.rstrip("-") in body["error"]
    assert tenant.quota()["used"] == 0
    assert tenant.db("SELECT count(*) FROM files WHERE customer_id = :customer") == "0"
    assert objects_of(api, tenant.id) == []


# ---- bad input: 400 with a code naming the field, nothing charged ---------

def raw_multipart(tenant, body, boundary="XyZ"):
    return tenant.request("POST", "/api/storage/upload", data=body,
                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.mark.parametrize("case", [
    "missing_file", "two_files", "empty_file", "unknown_category", "dotdot", "pct_dotdot",
    "abs", "nul", "backslash", "bad_subcategory", "metadata_not_json", "metadata_array",
    "metadata_too_large", "not_multipart", "truncated"])
def test_bad_input_400_nothing_charged(api, tenant, case):
    pdf = sample("pdf")
    if case == "missing_file":
        r = tenant.request("POST", "/api/storage/upload", data={"category": "documents"},
                           files={"other": ("a.txt", b"x")})
        code = "NO_FILE"
    elif case == "two_files":
        body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n"
                + pdf + b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                b"filename=\"b.pdf\"\r\n\r\n" + pdf + b"\r\n--XyZ--\r\n")
        r = raw_multipart(tenant, body)
        code = "DUPLICATE_FILE"
    elif case == "empty_file":
        r = tenant.upload(b"")
        code = "EMPTY_FILE"
    elif case == "unknown_category":
        r = tenant.upload(pdf, category="secrets", subcategory=None)
        code = "INVALID_CATEGORY"
    elif case in ("dotdot", "pct_dotdot", "abs", "nul", "backslash"):
        entity = {"dotdot": "../x", "pct_dotdot": "%2e%2e", "abs": "/abs", "nul": "a\0b",
                  "backslash": "a\\b"}[case]
        if case == "nul":
            body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\nproperties"
                    b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"subcategory\"\r\n\r\nphotos"
                    b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"entityId\"\r\n\r\na\0b"
                    b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\""
                    b"\r\n\r\n" + pdf + b"\r\n--XyZ--\r\n")
            r = raw_multipart(tenant, body)
            code = None
        else:
            r = tenant.upload(pdf, category="properties", subcategory="photos", entity=entity)
            code = "INVALID_ENTITY_ID"
    elif case == "bad_subcategory":
        r = tenant.upload(pdf, category="documents", subcategory="../../etc")
        code = "INVALID_SUBCATEGORY"
    elif case == "metadata_not_json":
        r = tenant.upload(pdf, metadata="{not json")
        code = "INVALID_METADATA"
    elif case == "metadata_array":
        r = tenant.upload(pdf, metadata="[1,2]")
        code = "INVALID_METADATA"
    elif case == "metadata_too_large":
        r = tenant.upload(pdf, metadata=json.dumps({"k": "v" * 20000}))
        code = "METADATA_TOO_LARGE"
    elif case == "not_multipart":
        r = tenant.request("POST", "/api/storage/upload", data=pdf,
                           headers={"Content-Type": "application/pdf"})
        code = "INVALID_CONTENT_TYPE"
    elif case == "truncated":
        body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n"
                + pdf)
        r = raw_multipart(tenant, body)
        code = "MULTIPART_TRUNCATED"
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["success"] is False and isinstance(body["error"], str)
    if code:
        assert body["code"] == code, body
    assert tenant.quota()["used"] == 0
    assert tenant.db("SELECT count(*) FROM files WHERE customer_id = :customer") == "0"
    assert objects_of(api, tenant.id) == []


def test_over_plan_max_file_size_413(api):
    api.ctl("plan", "set", "tiny", "--limit", "100MiB", "--max-file-size", "64KiB")
    t = Tenant(api, plan="tiny")
    r = t.upload(pdf_of_size(65 * 1024))
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "FILE_TOO_LARGE"
    assert t.quota()["used"] == 0 and objects_of(api, t.id) == []
    assert t.upload(pdf_of_size(60 * 1024)).status_code == 200


def test_over_nginx_bound_is_json_413(api, tenant):
    status, body = api.declare_body("PUT", "/api/storage/files?category=avatars", 300 * MiB,
                                      {"Authorization": f"Bearer {tenant.token}"})
    assert status == 413 and body["code"] == "FILE_TOO_LARGE", body


# ---- quota under real concurrency -------------------------------------------

def test_100_concurrent_uploads_never_overrun(api):
    size = 256 * 1024
    t = Tenant(api, limit=20 * size + size // 2)
    data = pdf_of_size(size)

    def one(_):
        s = api.new_session()
        return s.post(api.url + "/api/storage/upload",
                      headers={"Authorization": f"Bearer {t.token}"},
                      data={"category": "documents", "subcategory": "invoices"},
                      files={"file": ("i.pdf", data, "application/pdf")}, timeout=120)

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(one, range(100)))
    codes = [r.status_code for r in results]
    assert codes.count(200) == 20, sorted(set(codes))
    assert codes.count(507) == 80
    refused = next(r for r in results if r.status_code == 507).json()
    assert refused["code"] == "QUOTA_EXCEEDED"
    assert {"used", "limit", "needed"} <= set(refused)
    q = t.quota()
    assert q["used"] == 20 * size == t.stored_sum()
    stored = objects_of(api, t.id)
    assert len(stored) == 20
    assert sorted(r.json()["data"]["filePath"] for r in results if r.status_code == 200) == stored
    assert t.db("SELECT storage_reserved FROM customers WHERE customer_id = :customer") == "0"


# ---- delete: idempotent, released once, under the file's own category --------

def test_delete_twice_releases_once(api, tenant):
    a = tenant.upload(sample("pdf"), category="documents", subcategory="contracts").json()["data"]
    b = tenant.upload(sample("png"), category="avatars", subcategory=None,
                      content_type="image/png").json()["data"]
    before = tenant.stats()
    r1 = tenant.request("DELETE", "/api/storage/file", json={"filePath": a["filePath"]})
    r2 = tenant.request("DELETE", "/api/storage/file", json={"filePath": a["filePath"]})
    assert (r1.status_code, r2.status_code) == (200, 404)
    assert r2.json()["code"] == "FILE_NOT_FOUND"
    assert not object_exists(api, a["filePath"])
    after = tenant.stats()
    assert after["quota"]["used"] == before["quota"]["used"] - a["fileSize"] == b["fileSize"]
    rows = {(x["fileType"], x["category"]): x for x in after["breakdown"]}
    assert all(x["totalSize"] >= 0 and x["fileCount"] >= 0 for x in after["breakdown"])
    assert ("image", "avatars") in rows and rows[("image", "avatars")]["totalSize"] == b["fileSize"]
    doc = [x for (ft, _), x in rows.items() if ft == "document"]
    assert all(x["totalSize"] == 0 for x in doc)
    # By id, too: 200 then 404.
    r3 = tenant.request("DELETE", f"/api/storage/files/{b['fileId']}")
    r4 = tenant.request("DELETE", f"/api/storage/files/{b['fileId']}")
    assert (r3.status_code, r4.status_code) == (200, 404)
    assert not object_exists(api, b["filePath"])
    assert objects_of(api, tenant.id) == []
    assert tenant.quota()["used"] == 0 == tenant.stored_sum()
    audit = tenant.db("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log"
                      " WHERE customer_id = :customer")
    assert audit.split(",").count("delete") == 2


# ---- listing, one file, raw PUT, taxonomy ----------------------------------

def test_list_filters_and_cursor_pagination(tenant):
    ids = []
    for i in range(5):
        d = tenant.upload(sample("pdf"), filename=f"f{i}.pdf", category="properties",
                          subcategory="photos", entity="prop-1").json()["data"]
        ids.append(d["fileId"])
    tenant.upload(sample("png"), category="avatars", subcategory=None, content_type="image/png")
    seen, cursor = [], None
    while True:
        q = "/api/storage/files?category=properties&entityId=prop-1&limit=2"
        if cursor:
            q += f"&cursor={cursor}"
        r = tenant.request("GET", q)
        assert r.status_code == 200, r.text
        page = r.json()["data"]
        assert len(page["files"]) <= 2
        seen += [f["id"] for f in page["files"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    r = tenant.request("GET", "/api/storage/files?fileType=image")
    assert [f["category"] for f in r.json()["data"]["files"]] == ["avatars"]
    assert tenant.request("GET", "/api/storage/files?cursor=garbage").status_code == 400
    assert tenant.request("GET", "/api/storage/files?limit=0").status_code == 400


def test_get_one_file(tenant):
    d = tenant.upload(sample("pdf"), filename="ünïcode name.pdf", metadata={"a": 1}).json()["data"]
    r = tenant.request("GET", f"/api/storage/files/{d['fileId']}")
    assert r.status_code == 200
    f = r.json()["data"]
    assert f["id"] == d["fileId"] and f["filePath"] == d["filePath"]
    assert f["originalName"] == "ünïcode name.pdf" and f["metadata"] == {"a": 1}
    assert f["size"] == len(sample("pdf")) and f["mimeType"] == "application/pdf"
    assert tenant.request("GET", "/api/storage/files/not-a-uuid").status_code == 404
    assert tenant.request("GET", f"/api/storage/files/{uuid.uuid4()}").status_code == 404


def test_raw_put_upload(api, tenant):
    data = sample("png")
    r = tenant.request("PUT", "/api/storage/files?category=properties&subcategory=photos"
                       "&entityId=p-9&name=front%20door.png", data=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["mimeType"] == "image/png" and d["originalName"] == "front door.png"
    assert d["filePath"].startswith(f"customers/{tenant.id}/properties/p-9/photos/")
    assert_object(api, d["filePath"], data, "image/png")
    r = tenant.request("PUT", "/api/storage/files?category=properties&subcategory=photos"
                       "&entityId=..%2Fx", data=data)
    assert r.status_code == 400 and r.json()["code"] == "INVALID_ENTITY_ID"
    # A name that is not UTF-8 text never reaches the database or the logs.
    for bad in ("%FF%FE.png", "a%0Ab.png", "a%00.png"):
        r = tenant.request("PUT", f"/api/storage/files?category=avatars&name={bad}", data=data)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_QUERY", (bad, r.text)


def test_taxonomy(tenant):
    r = tenant.request("GET", "/api/storage/taxonomy")
    assert r.status_code == 200
    cats = {c["category"] for c in r.json()["data"]}
    assert cats == {"documents", "properties", "tenants", "projects", "avatars"}


# ---- tenants stay apart ---------------------------------------------------

def test_spoofed_identity_headers_ignored(api, tenant):
    other = Tenant(api)
    r = tenant.upload(sample("pdf"), extra=None)
    assert r.status_code == 200
    r = tenant.request("GET", "/api/storage/quota",
                       headers={"X-Coffer-Customer": other.id, "X-Coffer-Role": "platform"})
    assert r.json()["data"]["used"] == len(sample("pdf"))
    assert other.quota()["used"] == 0


def test_other_customer_cannot_read_list_or_delete(api, tenant):
    other = Tenant(api)
    d = tenant.upload(sample("pdf")).json()["data"]
    assert other.request("GET", f"/api/storage/files/{d['fileId']}").status_code == 404
    assert other.request("DELETE", f"/api/storage/files/{d['fileId']}").status_code == 404
    r = other.request("DELETE", "/api/storage/file", json={"filePath": d["filePath"]})
    assert r.status_code == 404
    assert other.request("GET", "/api/storage/files").json()["data"]["files"] == []
    assert object_exists(api, d["filePath"])
    assert tenant.quota()["used"] == len(sample("pdf"))


# ---- memory stays flat --------------------------------------------------------

def worker_hwm_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_200_MiB_upload_keeps_worker_rss_small(api):
    api.ctl("plan", "set", "bigfiles", "--limit", "unlimited", "--max-file-size", "256MiB")
    t = Tenant(api, plan="bigfiles")
    data = pdf_of_size(200 * MiB)
    md5 = hashlib.md5(data).hexdigest()
    for path, kw in [("/api/storage/upload", dict(files={"file": ("big.pdf", data, "application/pdf")},
                                                   data={"category": "documents", "subcategory": "leases"})),
                     ("/api/storage/files?category=documents&subcategory=leases", dict(data=data))]:
        # Fresh workers, so the high-water mark is this upload's alone.
        gen = api.status()["generation"]
        api.reload()
        api.wait_for(lambda: {p["generation"] for p in api.status()["processes"]} == {gen + 1},
                     what="fresh workers")
        pids = api.worker_pids()
        r = t.request("POST" if "upload" in path else "PUT", path, **kw)
        assert r.status_code == 200, r.text[:300]
        worst = max(worker_hwm_kib(p) for p in pids if Path(f"/proc/{p}").exists())
        print(f"\n{api.env['STORAGE_TYPE']} {path}: worker peak RSS {worst / 1024:.1f} MiB"
              " for a 200 MiB upload")
        assert worst < 32 * 1024
        info = object_info(api, r.json()["data"]["filePath"])
        assert info["size"] == len(data)
        if "etag" in info:
            assert info["content_type"] == "application/pdf", info
            if api.env["S3_SIGNATURE"] == "v4":
                # Above [s3] multipart_threshold (64 MiB): 13 parts of 16 MiB,
                # each checked by S3 against its SHA-256; the bytes read back.
                assert re.fullmatch(r"[0-9a-f]{32}-13", info["etag"]), info
                assert hashlib.md5(read_object(api, r.json()["data"]["filePath"])).hexdigest() == md5
            else:
                assert info["etag"] == md5, info
