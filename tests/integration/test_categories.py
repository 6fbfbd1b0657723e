"""Categories the operator defines (issue 21, part 2): `cofferctl category
list|add|remove`, the tree in PostgreSQL (migration 006, seeded with the
seed's tree), every worker using a change within [storage] category_ttl,
GET /api/storage/categories, and key rules exactly as strict as before.

tests/db/check_taxonomy (built by `make check`) checks the cache's bound on a
clock it drives; here it runs against the stack's database, and the rest goes
through nginx and cofferd with category_ttl = 0s, so that the request after a
change sees it whichever worker serves it.
"""
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from helpers import ROOT, Tenant, sample

SEED = [("documents", "none", "optional", ["leases", "contracts", "invoices", "receipts"]),
        ("properties", "required", "optional", ["photos", "floor-plans", "inspection-reports"]),
        ("tenants", "required", "optional", ["id-documents", "payment-receipts", "applications"]),
        ("projects", "required", "optional",
         ["blueprints", "progress-photos", "vendor-invoices", "permits"]),
        ("avatars", "none", "forbidden", [])]


def _check_taxonomy_path():
    """Beside the cofferctl under test (scripts/test builds out of tree), else
    the in-tree build."""
    if os.environ.get("COFFERCTL"):
        return Path(os.environ["COFFERCTL"]).resolve().parents[1] / "tests" / "db" / "check_taxonomy"
    return ROOT / "tests" / "db" / "check_taxonomy"


def tree(r):
    assert r.status_code == 200, r.text
    return [(c["category"], c["entityId"], c["subcategory"], c["subcategories"])
            for c in r.json()["data"]]


@pytest.fixture
def ttl0(stack, conf_restore):
    """category_ttl = 0s on every worker: the next request reads the rows."""
    conf_restore.write_text(conf_restore.read_text() + "\n[storage]\ncategory_ttl = 0s\n")
    gen = stack.status()["generation"]
    stack.reload()

    def drained():
        st = stack.status()
        return all(p["generation"] == gen + 1 for p in st["processes"]) or None
    stack.wait_for(drained, what="the old generation to drain")
    yield stack


@pytest.fixture
def owner(stack):
    return Tenant(stack, role="admin")


@pytest.fixture
def added(stack):
    """What a test adds to the shared tree, removed afterwards even when the
    test fails midway (the stack is the session's: a category left behind
    fails every later test that expects the seeded tree). Append
    (tenant, name, parent or None); the tenant's files under it are deleted
    first, through the API, so that the removal is not refused."""
    out = []
    yield out
    for tenant, name, parent in reversed(out):
        column = "subcategory" if parent else "category"
        for fid in tenant.db(f"SELECT id FROM files WHERE customer_id = :customer"
                             f" AND {column} = '{name}' AND state = 'stored'").split():
            tenant.request("DELETE", f"/api/storage/files/{fid}")
        stack.ctl("category", "remove", name, *(["--parent", parent] if parent else []),
                  check=False)


def test_cache_bound_and_rules_against_postgres(stack):
    exe = _check_taxonomy_path()
    assert os.access(exe, os.X_OK), f"{exe} not built (make check builds it)"
    proc = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, DATABASE_URL=stack.env["DATABASE_URL"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "100%: Checks: 4" in proc.stdout, proc.stdout


def test_seeded_tree_served_and_listed(stack, owner):
    assert tree(owner.request("GET", "/api/storage/categories")) == SEED
    # The first name of the endpoint answers the same.
    assert tree(owner.request("GET", "/api/storage/taxonomy")) == SEED
    out = stack.ctl("category", "list").stdout.splitlines()
    assert out[0].split() == ["CATEGORY", "ENTITY-ID", "SUBCATEGORY"]
    assert out[1].split() == ["documents", "none", "optional"]
    assert out[2].strip() == "leases"
    assert ["avatars", "none", "none"] in [l.split() for l in out]


def test_no_credentials_no_categories(stack):
    r = stack.get("/api/storage/categories")
    assert r.status_code == 401 and r.json()["success"] is False


def test_operator_category_end_to_end(ttl0, owner, added):
    stack = ttl0
    name = "scans-" + uuid.uuid4().hex[:6]
    added.append((owner, name, None))
    out = stack.ctl("category", "add", name, "--entity-id", "optional").stdout
    assert f"category {name} added (entity id optional)" in out
    assert "category_ttl (0 ms)" in out
    cats = {c[0]: c for c in tree(owner.request("GET", "/api/storage/categories"))}
    assert cats[name] == (name, "optional", "forbidden", [])

    # Without and with an entity id: both keys as the tree says.
    r = owner.upload(sample("pdf"), category=name, subcategory=None)
    assert r.status_code == 200, r.text
    bare = r.json()["data"]
    assert bare["filePath"].startswith(f"customers/{owner.id}/{name}/")
    assert bare["filePath"].count("/") == 3
    r = owner.upload(sample("pdf"), category=name, subcategory=None, entity="box-7")
    assert r.status_code == 200, r.text
    boxed = r.json()["data"]
    assert boxed["filePath"].startswith(f"customers/{owner.id}/{name}/box-7/")

    # Exactly as strict: entity-id shape, no traversal, no subcategory.
    for entity, code in (("../x", "INVALID_ENTITY_ID"), ("-a", "INVALID_ENTITY_ID"),
                         ("a/b", "INVALID_ENTITY_ID")):
        r = owner.upload(sample("pdf"), category=name, subcategory=None, entity=entity)
        assert r.status_code == 400 and r.json()["code"] == code, (entity, r.text)
    r = owner.upload(sample("pdf"), category=name, subcategory="leases")
    assert r.status_code == 400 and r.json()["code"] == "SUBCATEGORY_NOT_ALLOWED", r.text
    for bad in ("../" + name, name.upper(), name + "/x"):
        r = owner.upload(sample("pdf"), category=bad, subcategory=None)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_CATEGORY", (bad, r.text)
    # An optional entity id and subcategories exclude each other.
    p = stack.ctl("category", "add", "x", "--parent", name, check=False)
    assert p.returncode == 2 and "read two ways" in p.stderr, p.stderr

    # Not removable while it holds files; the files are untouched.
    p = stack.ctl("category", "remove", name, check=False)
    assert p.returncode == 1 and "refused: 2 file(s) are stored under it" in p.stderr, p.stderr
    assert name in {c[0] for c in tree(owner.request("GET", "/api/storage/categories"))}
    for f in (bare, boxed):
        r = owner.request("DELETE", "/api/storage/file", json={"filePath": f["filePath"]})
        assert r.status_code == 200, r.text
    out = stack.ctl("category", "remove", name).stdout
    assert f"category {name} removed" in out
    assert name not in {c[0] for c in tree(owner.request("GET", "/api/storage/categories"))}
    r = owner.upload(sample("pdf"), category=name, subcategory=None)
    assert r.status_code == 400 and r.json()["code"] == "INVALID_CATEGORY", r.text
    assert int(stack.psql(f"SELECT count(*) FROM categories WHERE name = '{name}'")) == 0


def test_operator_subcategory_end_to_end(ttl0, owner, added):
    stack = ttl0
    sub = "deeds-" + uuid.uuid4().hex[:6]
    added.append((owner, sub, "documents"))
    r = owner.upload(sample("pdf"), category="documents", subcategory=sub)
    assert r.status_code == 400 and r.json()["code"] == "INVALID_SUBCATEGORY", r.text
    out = stack.ctl("category", "add", sub, "--parent", "documents").stdout
    assert f"subcategory {sub} added to documents" in out
    cats = {c[0]: c for c in tree(owner.request("GET", "/api/storage/categories"))}
    assert cats["documents"][3][-1] == sub
    r = owner.upload(sample("pdf"), category="documents", subcategory=sub)
    assert r.status_code == 200, r.text
    f = r.json()["data"]
    assert f["filePath"].startswith(f"customers/{owner.id}/documents/{sub}/")

    p = stack.ctl("category", "remove", sub, "--parent", "documents", check=False)
    assert p.returncode == 1 and "refused: 1 file(s)" in p.stderr, p.stderr
    # documents itself holds files of every test: never removable here.
    p = stack.ctl("category", "remove", "documents", check=False)
    assert p.returncode == 1 and "refused" in p.stderr
    r = owner.request("DELETE", "/api/storage/file", json={"filePath": f["filePath"]})
    assert r.status_code == 200, r.text
    stack.ctl("category", "remove", sub, "--parent", "documents")
    assert tree(owner.request("GET", "/api/storage/categories")) == SEED


def test_dashboard_offers_an_operator_category(ttl0, added):
    """tests/web/categories.test.mjs in headless Chromium: the dashboard's
    form comes from GET /api/storage/categories, not from its own list."""
    stack = ttl0
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    assert Path(chromium).exists(), f"{chromium} missing: run scripts/install-deps"
    name = "scans-" + uuid.uuid4().hex[:6]
    t = Tenant(stack)
    added.append((t, name, None))
    stack.ctl("category", "add", name, "--entity-id", "optional")
    env = dict(os.environ, COFFER_URL=stack.url, COFFER_TOKEN=t.token, COFFER_CATEGORY=name,
               CHROMIUM=chromium)
    proc = subprocess.run(["node", "--test", "--test-reporter=spec",
                           str(ROOT / "tests" / "web" / "categories.test.mjs")],
                          capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    assert int(t.db(f"SELECT count(*) FROM files WHERE customer_id = :customer"
                    f" AND category = '{name}' AND state = 'stored'")) == 1


@pytest.mark.parametrize("args,status,message", [
    (["add", "../etc"], 2, "1 to 32 of a-z 0-9"),
    (["add", "Photos"], 2, "1 to 32 of a-z 0-9"),
    (["add", "a" * 33], 2, "1 to 32 of a-z 0-9"),
    (["add", "documents"], 1, "exists already"),
    (["add", "leases", "--parent", "documents"], 1, "exists already"),
    (["add", "x", "--parent", "nowhere"], 1, "no such parent category"),
    (["add", "x", "--entity-id", "maybe"], 2, "--entity-id is required, optional or none"),
    (["add", "x", "--parent", "documents", "--entity-id", "required"], 2, "takes no --entity-id"),
    (["remove", "nowhere"], 1, "no such category"),
    (["remove", "nowhere", "--parent", "documents"], 1, "no such subcategory"),
    (["frobnicate"], 2, "usage: cofferctl category"),
])
def test_refusals_change_nothing(stack, owner, args, status, message):
    p = stack.ctl("category", *args, check=False)
    assert p.returncode == status and message in p.stderr, (args, p.returncode, p.stderr)
    assert tree(owner.request("GET", "/api/storage/categories")) == SEED


def test_migration_006_applied_after_a_later_one(stack, tmp_path):
    """Migrations are numbered when written and may land out of order: a
    database that has 009 but not 006 (main migrated before this branch
    merged) gets 006 from `cofferctl migrate`, and is not at the latest
    version until it does."""
    db = "gap_" + uuid.uuid4().hex[:8]
    stack.psql(f"CREATE DATABASE {db} OWNER coffer", admin=True)
    try:
        # PostgreSQL itself, not a pooler in front of it; a configuration of
        # its own, so that cofferctl migrates the scratch database only.
        direct = stack.env.get("COFFER_PG_DIRECT_URL") or stack.env["DATABASE_URL"]
        url = direct.rsplit("/", 1)[0] + "/" + db
        conf = tmp_path / "coffer.conf"
        conf.write_text(stack.conf.read_text() +
                        f"\n[database]\nurl = {url}\npooler = none\ndirect_url =\n")
        env = {"DATABASE_URL": url, "COFFER_CONF": str(conf)}
        stack.ctl("migrate", env=env)
        gap = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                              "DROP TABLE subcategories, categories;"
                              " DELETE FROM schema_migrations WHERE version = 6"],
                             capture_output=True, text=True, timeout=60)
        assert gap.returncode == 0, gap.stderr
        status = stack.ctl("migrate", "--status", env=env).stdout
        assert any(l.startswith("006_categories") and "pending" in l for l in status.splitlines()), status
        out = stack.ctl("migrate", env=env).stdout
        assert "applied 006_categories" in out and "009" not in out, out
        status = stack.ctl("migrate", "--status", env=env).stdout
        assert "pending" not in status, status
        check = subprocess.run(["psql", "-X", "-A", "-t", "-d", url, "-c",
                                "SELECT count(*) FROM categories"],
                               capture_output=True, text=True, timeout=60)
        assert check.stdout.strip() == "5", check.stdout + check.stderr
        assert "schema is up to date" in stack.ctl("migrate", env=env).stdout
    finally:
        stack.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", admin=True)
