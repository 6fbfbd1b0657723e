"""What a file really costs: every file is charged its size rounded up to
4 KiB blocks plus its metadata (production's rule, [storage] charge_block
and charge_metadata), shown as chargedSize beside fileSize; used, the limit
check and the breakdown all count charged sizes, so they still add up.
Its own stack, with the production defaults (the other suites' stacks
charge bare sizes)."""
import json

import pytest

import invariants
from conftest import _session_stack
from helpers import Tenant, pdf_of_size

BLOCK = 4096


@pytest.fixture(scope="module")
def charged_stack():
    yield from _session_stack("coffer-charge.", {"COFFER_STACK_CHARGE_BLOCK": "4KiB",
                                                 "COFFER_STACK_CHARGE_METADATA": "yes"})


def charge(size, meta=None):
    # The stored metadata is json-c's compact form (no spaces).
    m = len(json.dumps(meta, separators=(",", ":")).encode()) if meta is not None else 0
    return (size + BLOCK - 1) // BLOCK * BLOCK + m


def test_charged_size_is_shown_and_adds_up(charged_stack):
    t = Tenant(charged_stack)
    meta = {"lease": "A-17", "notes": "x" * 500}
    files = []
    for size, m in ((5, None), (4096, None), (4097, meta), (300, meta)):
        r = t.upload(pdf_of_size(max(size, 64)) if size >= 64 else b"%PDF-",
                     metadata=m)
        assert r.status_code == 200, r.text
        d = r.json()["data"]
        real = max(size, 64) if size >= 64 else 5
        assert d["fileSize"] == real
        assert d["chargedSize"] == charge(real, m), d
        files.append(d)
    used = sum(d["chargedSize"] for d in files)
    assert t.quota()["used"] == used
    # Listings and recent uploads say the same.
    listed = t.request("GET", "/api/storage/files").json()["data"]["files"]
    assert {f["id"]: f["chargedSize"] for f in listed} == \
        {d["fileId"]: d["chargedSize"] for d in files}
    assert all(f["size"] <= f["chargedSize"] for f in listed)
    stats = t.stats()
    recent = {u["fileId"]: u for u in stats["recentUploads"]}
    assert {k: v["chargedSize"] for k, v in recent.items()} == \
        {d["fileId"]: d["chargedSize"] for d in files}
    # The breakdown adds up to used.
    assert sum(b["totalSize"] for b in stats["breakdown"]) == used
    # A delete gives back exactly the charge.
    gone = files.pop()
    assert t.request("DELETE", f"/api/storage/files/{gone['fileId']}").status_code == 200
    assert t.quota()["used"] == used - gone["chargedSize"]
    invariants.check(charged_stack, t.id)


def test_the_limit_counts_charged_sizes(charged_stack):
    # Room for two 4 KiB blocks: two 5-byte files fill it, a third is 507.
    t = Tenant(charged_stack, limit=2 * BLOCK)
    assert t.upload(b"%PDF-").status_code == 200
    assert t.upload(b"%PDF-").status_code == 200
    r = t.upload(b"%PDF-")
    assert r.status_code == 507, r.text
    assert r.json()["needed"] == BLOCK
    assert t.quota()["used"] == 2 * BLOCK


def test_upload_delete_cycles_cost_what_they_charge(charged_stack):
    # The probe: 5 bytes with 16 KiB of metadata, uploaded and
    # deleted. A limit of 100 bytes now refuses it outright.
    t = Tenant(charged_stack, limit=100)
    meta = {"k": "v" * (16 * 1024 - 16)}
    r = t.upload(b"%PDF-", metadata=meta)
    assert r.status_code == 507, r.text
    assert r.json()["needed"] == charge(5, meta)
    assert t.db("SELECT count(*) FROM files WHERE customer_id = :customer") == "0"


def test_recalculate_agrees_with_the_charges(charged_stack):
    t = Tenant(charged_stack)
    assert t.upload(pdf_of_size(5000), metadata={"a": 1}).status_code == 200
    before = t.quota()["used"]
    t.db("UPDATE customers SET storage_used = 1 WHERE customer_id = :customer")
    charged_stack.ctl("recalculate", t.id)
    assert t.quota()["used"] == before == charge(5000, {"a": 1})


def test_migration_007_charges_existing_files(charged_stack):
    """A database at the schema before 007, with files, usage and events,
    migrated: every file gets its charge, usage and the breakdown are
    recalculated to match, events keep their ids as their numbers."""
    import re
    import subprocess
    import uuid
    s = charged_stack
    db = "up007_" + uuid.uuid4().hex[:8]
    s.psql(f"CREATE DATABASE {db}", admin=True)
    url = re.sub(r"/[^/?]*(\?|$)", rf"/{db}\1", s.env["COFFER_PG_ADMIN_URL"], count=1)

    def psql(sql, **kw):
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url,
                            *kw.get("args", []), "-c", sql] if sql else
                           ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url,
                            *kw.get("args", [])], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    try:
        psql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
             " applied_at timestamptz NOT NULL DEFAULT now())")
        for f in sorted((s.root / "sql").glob("[0-9][0-9][0-9]_*.sql")):
            v = int(f.name[:3])
            if v >= 7:
                continue
            psql(None, args=["-f", str(f)])
            psql(f"INSERT INTO schema_migrations VALUES ({v}, '{f.stem[4:]}')")
        cid = str(uuid.uuid4())
        psql(f"INSERT INTO customers (customer_id, plan, storage_used) VALUES ('{cid}',"
             " 'starter', 5 + 5000)")
        psql(f"""INSERT INTO files (customer_id, storage_key, category, subcategory,
                   original_name, mime_type, file_type, size, state, stored_at, metadata)
                 VALUES ('{cid}', 'customers/{cid}/documents/leases/a.pdf', 'documents', 'leases',
                   'a.pdf', 'application/pdf', 'document', 5, 'stored', now(), '{{"a": 1}}'),
                        ('{cid}', 'customers/{cid}/documents/leases/b.pdf', 'documents', 'leases',
                   'b.pdf', 'application/pdf', 'document', 5000, 'stored', now(), NULL)""")
        psql(f"INSERT INTO storage_usage VALUES ('{cid}', 'document', 'leases', 2, 5005)")
        psql(f"INSERT INTO storage_events (customer_id, type, size, used) VALUES"
             f" ('{cid}', 'file.uploaded', 5, 5), ('{cid}', 'file.uploaded', 5000, 5005)")
        old_ids = psql(f"SELECT string_agg(id::text, ',' ORDER BY id) FROM storage_events")
        s.ctl("migrate", env={"DATABASE_URL": url})
        a_meta = len('{"a": 1}')
        assert psql("SELECT string_agg(charged_size::text, ',' ORDER BY size) FROM files") \
            == f"{4096 + a_meta},8192"
        used = 4096 + a_meta + 8192
        assert psql(f"SELECT storage_used FROM customers") == str(used)
        assert psql(f"SELECT file_count FROM customers") == "2"
        assert psql("SELECT total_size FROM storage_usage") == str(used)
        assert psql("SELECT string_agg(seq::text, ',' ORDER BY id) FROM storage_events") == old_ids
        # The migration's recalculation is in the trail.
        assert psql("SELECT count(*) FROM audit_log WHERE action = 'recalculate'"
                    " AND actor LIKE 'migration 007%'") == "1"
    finally:
        s.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", admin=True)


def test_plan_max_files(charged_stack):
    s = charged_stack
    name = "few" + __import__("uuid").uuid4().hex[:6]
    s.ctl("plan", "set", name, "--limit", "100MiB", "--max-files", "3")
    assert name in s.ctl("plan", "list").stdout
    t = Tenant(s, plan=name)
    ids = []
    for _ in range(3):
        r = t.upload(b"%PDF-")
        assert r.status_code == 200, r.text
        ids.append(r.json()["data"]["fileId"])
    q = t.quota()
    assert q["fileCount"] == 3 and q["maxFiles"] == 3 and q["canUpload"] is False
    r = t.upload(b"%PDF-")
    assert r.status_code == 507, r.text
    assert r.json()["code"] == "FILE_COUNT_EXCEEDED" and r.json()["maxFiles"] == 3
    assert t.db("SELECT count(*) FROM files WHERE customer_id = :customer") == "3"
    # A delete frees a place; recalculation agrees with the counter.
    assert t.request("DELETE", f"/api/storage/files/{ids[0]}").status_code == 200
    assert t.upload(b"%PDF-").status_code == 200
    t.db("UPDATE customers SET file_count = 0 WHERE customer_id = :customer")
    s.ctl("recalculate", t.id)
    assert t.quota()["fileCount"] == 3
    s.ctl("plan", "set", name, "--max-files", "unlimited")
    assert t.quota()["maxFiles"] is None and t.upload(b"%PDF-").status_code == 200
    bad = s.ctl("plan", "set", name, "--max-files", "-5", check=False)
    assert bad.returncode == 2
