"""Tenant isolation matrix: every route, attempted by customer A against
customer B's id, key, path, link or name. Each attempt must be refused (403)
or find nothing (404) and leave B exactly as it was.

The table in docs/SECURITY.md is generated from this test: run it with
COFFER_UPDATE_DOCS=1 to rewrite it; otherwise the test fails when the
documented table and the observed one differ.
"""
import os
import re
import urllib.parse
from pathlib import Path

import pytest

from helpers import ROOT, Tenant, pdf_of_size

DOC = ROOT / "docs" / "SECURITY.md"
BEGIN, END = "<!-- isolation-matrix:begin -->", "<!-- isolation-matrix:end -->"


def snapshot(t):
    """Everything about B that an attack could change."""
    return (t.db("SELECT storage_used, storage_reserved, status FROM customers"
                 " WHERE customer_id = :customer"),
            t.db("SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM files"
                 " WHERE customer_id = :customer"),
            t.db("SELECT string_agg(file_type || ':' || category || ':' || subcategory || ':'"
                 " || total_size, ','"
                 " ORDER BY 1) FROM storage_usage WHERE customer_id = :customer"),
            t.db("SELECT count(*) FROM audit_log WHERE customer_id = :customer"))


def test_isolation_matrix(stack):
    a = Tenant(stack)
    a_admin = a.issue("admin")
    b = Tenant(stack)
    bf = b.upload(pdf_of_size(4096), category="properties", subcategory="photos",
                  entity="b-prop").json()["data"]
    link = b.request("GET", f"/api/storage/files/{bf['fileId']}/url").json()["data"]["url"]
    parts = urllib.parse.urlsplit(link)
    # B's own link, with A's customer id put in its place.
    swapped = link.replace(b.id, a.id)
    # A path-only request for the link, through our TLS session.
    link_path = parts.path + "?" + parts.query
    before = snapshot(b)
    hdr_b = {"Coffer-Customer": b.id}
    rows = []

    def attempt(route, what, r, expect):
        got = r.status_code
        body = r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
        rows.append((route, what, got, body.get("code", "-")))
        assert got in expect, (route, what, got, r.text[:300])
        return body

    attempt("GET /api/storage/files/{id}", "B's file id",
            a.request("GET", f"/api/storage/files/{bf['fileId']}"), {404})
    attempt("GET /api/storage/files/{id}/url", "B's file id",
            a.request("GET", f"/api/storage/files/{bf['fileId']}/url"), {404})
    attempt("DELETE /api/storage/files/{id}", "B's file id",
            a.request("DELETE", f"/api/storage/files/{bf['fileId']}"), {404})
    attempt("DELETE /api/storage/file", "B's storage key as filePath",
            a.request("DELETE", "/api/storage/file", json={"filePath": bf["filePath"]}), {404})
    attempt("DELETE /api/storage/file", "B's key with ../ into A's prefix",
            a.request("DELETE", "/api/storage/file",
                      json={"filePath": f"customers/{a.id}/../{b.id}/" +
                            bf["filePath"].split(f"{b.id}/", 1)[1]}), {404})
    body = attempt("GET /api/storage/files", "list, filtered on B's entity id",
                   a.request("GET", "/api/storage/files?entityId=b-prop"), {200})
    assert body["data"]["files"] == []
    body = attempt("GET /api/storage/stats", "recent uploads",
                   a.request("GET", "/api/storage/stats"), {200})
    assert body["data"]["recentUploads"] == []
    body = attempt("GET /api/storage/events", "events after 0",
                   a.request("GET", "/api/storage/events?after=0"), {200})
    assert body["data"]["events"] == []     # A has done nothing yet; B has
    for route, method, path, kw in [
            ("GET /api/storage/quota", "GET", "/api/storage/quota", {}),
            ("GET /api/storage/stats", "GET", "/api/storage/stats", {}),
            ("GET /api/storage/files", "GET", "/api/storage/files", {}),
            ("GET /api/storage/events", "GET", "/api/storage/events", {}),
            ("POST /api/storage/upload", "POST", "/api/storage/upload",
             {"data": {"category": "avatars"}, "files": {"file": ("x.pdf", pdf_of_size(2048))}}),
            ("PUT /api/storage/files", "PUT", "/api/storage/files?category=avatars",
             {"data": pdf_of_size(2048)}),
            ("POST /api/storage/recalculate", "POST", "/api/storage/recalculate", {})]:
        tok = a_admin if "recalculate" in path else None
        attempt(route, "Coffer-Customer: B (member/admin credential)",
                a.request(method, path, token=tok, headers=hdr_b, **kw), {403})
        attempt(route, "X-Coffer-Customer: B (spoofed identity header)",
                a.request(method, path, token=tok, headers={"X-Coffer-Customer": b.id,
                                                            "X-Coffer-Role": "platform"}, **kw),
                {200})
    attempt("GET /dl/{customer}/{file}", "B's link with A's customer id",
            a.session.get(stack.url + urllib.parse.urlsplit(swapped).path + "?" +
                          urllib.parse.urlsplit(swapped).query, timeout=30), {403})
    attempt("GET /dl/{customer}/{file}", "B's link with the signature of another file",
            a.session.get(stack.url + link_path.replace(bf["fileId"], a.id), timeout=30),
            {403, 404})
    attempt("GET /_objects/{key}", "B's storage key, directly",
            a.session.get(stack.url + "/_objects/" + bf["filePath"], timeout=30), {404})
    # B is exactly as before; only A's own uploads above (spoofed header
    # ignored: they landed in A) changed anything.
    assert snapshot(b) == before
    assert b.request("GET", f"/api/storage/files/{bf['fileId']}").status_code == 200

    table = ["| route | A attempts | status | code |", "|---|---|---:|---|"]
    table += [f"| `{r}` | {w} | {s} | `{c}` |" for r, w, s, c in rows]
    generated = "\n".join(table)
    out = Path(os.environ.get("COFFER_TEST_OUT", ROOT / "out")) / "isolation-matrix.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(generated + "\n")
    text = DOC.read_text() if DOC.exists() else ""
    if os.environ.get("COFFER_UPDATE_DOCS") == "1":
        if BEGIN not in text:
            text += f"\n{BEGIN}\n{END}\n"
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END),
                      f"{BEGIN}\n{generated}\n{END}", text, flags=re.S)
        DOC.write_text(text)
    documented = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert documented and documented.group(1) == generated, (
        f"docs/SECURITY.md's isolation table differs from what the test saw ({out}); "
        "rerun with COFFER_UPDATE_DOCS=1")
