"""The stats breakdown keyed the seed's way (issue 20): a row's `category` is
the subcategory when the file has one, else its category, and
`parentCategory` names the top category; recent uploads carry the
subcategory. Migration 008 rebuilds an existing breakdown from the files."""
import os
import subprocess
import uuid

import invariants
from helpers import ROOT, Tenant, pdf_of_size, sample


def rows_of(stats):
    return {(b["fileType"], b["category"], b["parentCategory"]): (b["fileCount"], b["totalSize"])
            for b in stats["breakdown"]}


def test_breakdown_rows_are_the_seeds(stack):
    t = Tenant(stack)
    lease = t.upload(pdf_of_size(3000), subcategory="leases").json()["data"]
    assert t.upload(pdf_of_size(2000), subcategory="leases").status_code == 200
    assert t.upload(pdf_of_size(1000), filename="deal.pdf",
                    subcategory="contracts").status_code == 200
    assert t.upload(sample("png"), filename="front.png", category="properties",
                    subcategory="photos", entity="house-1",
                    content_type="image/png").status_code == 200
    assert t.upload(sample("png"), filename="me.png", category="avatars", subcategory=None,
                    content_type="image/png").status_code == 200
    png = len(sample("png"))
    s = t.stats()
    assert rows_of(s) == {
        ("document", "leases", "documents"): (2, 5000),
        ("document", "contracts", "documents"): (1, 1000),
        ("image", "photos", "properties"): (1, png),
        ("image", "avatars", "avatars"): (1, png),
    }
    assert sum(b["totalSize"] for b in s["breakdown"]) == s["quota"]["used"]
    recent = {u["fileName"]: (u["category"], u["subcategory"]) for u in s["recentUploads"]}
    assert recent["front.png"] == ("properties", "photos")
    assert recent["me.png"] == ("avatars", None)
    assert recent["deal.pdf"] == ("documents", "contracts")

    # A delete takes the file's own row down, and only that row.
    r = t.request("DELETE", "/api/storage/file", json={"filePath": lease["filePath"]})
    assert r.status_code == 200, r.text
    after = rows_of(t.stats())
    assert after[("document", "leases", "documents")] == (1, 2000)
    assert after[("document", "contracts", "documents")] == (1, 1000)
    stack.ctl("reconcile", "--customer", t.id)
    assert invariants.check(stack, t.id) == 2000 + 1000 + 2 * png


def _psql(url, *args):
    proc = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url,
                           *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_migration_008_rebuilds_an_old_breakdown(stack):
    """A database at schema 4 with a breakdown keyed by top category (and a
    drifted row) comes out of `cofferctl migrate` keyed by subcategory and
    equal to its files."""
    name = "mig008_" + uuid.uuid4().hex[:8]
    admin = stack.env["COFFER_PG_ADMIN_URL"]
    _psql(admin, "-c", f"CREATE DATABASE {name} OWNER coffer")
    url = stack.env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name
    try:
        for f in ("001_schema.sql", "002_api_keys.sql", "003_events.sql", "004_inline_limit.sql"):
            _psql(url, "-1", "-f", str(ROOT / "sql" / f))
        cid = str(uuid.uuid4())
        _psql(url, "-c", f"""
            CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
                                            applied_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO schema_migrations (version, name) VALUES
                (1, 'schema'), (2, 'api_keys'), (3, 'events'), (4, 'inline_limit');
            INSERT INTO customers (customer_id, plan, storage_used) VALUES ('{cid}', 'starter', 700);
            INSERT INTO files (customer_id, storage_key, category, subcategory, original_name,
                               mime_type, file_type, size, state, stored_at, deleted_at)
            VALUES ('{cid}', 'k1', 'documents', 'leases', 'a.pdf', 'application/pdf', 'document',
                    100, 'stored', now(), NULL),
                   ('{cid}', 'k2', 'documents', 'contracts', 'b.pdf', 'application/pdf',
                    'document', 200, 'stored', now(), NULL),
                   ('{cid}', 'k3', 'avatars', NULL, 'c.png', 'image/png', 'image', 400,
                    'stored', now(), NULL),
                   ('{cid}', 'k4', 'documents', 'leases', 'd.pdf', 'application/pdf',
                    'document', 800, 'deleted', now(), now());
            INSERT INTO storage_usage (customer_id, file_type, category, file_count, total_size)
            VALUES ('{cid}', 'document', 'documents', 2, 333), ('{cid}', 'image', 'avatars', 1, 400);
            """)
        out = stack.ctl("migrate", env={"DATABASE_URL": url}).stdout
        assert "applied 008_breakdown_subcategory" in out, out
        rows = _psql(url, "-c", "SELECT file_type, category, subcategory, file_count, total_size"
                                f" FROM storage_usage WHERE customer_id = '{cid}' ORDER BY 1, 2, 3")
        # Totals are charged sizes: 007 (applied first) charged each
        # existing file its 4 KiB block (docs/quota.md, chargedSize).
        assert rows.splitlines() == ["document|documents|contracts|1|4096",
                                     "document|documents|leases|1|4096",
                                     "image|avatars||1|4096"]
    finally:
        _psql(admin, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
