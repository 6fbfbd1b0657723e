"""Outages under a running cofferd: the S3 peer, then PostgreSQL, stop and come back.

While a dependency is down, /readyz says 503 "not ready" and naming it, and
an upload fails with 503 leaving nothing behind: quota used unchanged, no
pending or stored row, nothing reserved. Once it is back, /readyz says 200
and uploads work, without restarting cofferd.
"""
import glob
import os
import subprocess
from pathlib import Path

from helpers import Tenant, assert_object, object_exists, objects_of, s3_peer_commands, sample


def wait_ready(stack, status, timeout=60):
    """Poll /readyz until it answers status; returns that answer."""
    def probe():
        r = stack.get("/readyz", timeout=15)
        # A list: a Response is falsy when its status is an error.
        return [r] if r.status_code == status else None
    return stack.wait_for(probe, timeout=timeout, interval=0.2, what=f"/readyz {status}")[0]


def rows(t):
    return t.db("SELECT state || ':' || count(*) FROM files WHERE customer_id = :customer"
                " GROUP BY state ORDER BY state")


def reserved(t):
    return int(t.db("SELECT storage_reserved FROM customers WHERE customer_id = :customer"))


def test_s3_outage_uploads_503_nothing_charged_then_recover(any_s3):
    stop, start = s3_peer_commands(any_s3)
    t = Tenant(any_s3)
    first = t.upload(sample("pdf"))
    assert first.status_code == 200, first.text
    used, before = t.quota()["used"], rows(t)
    assert before == "stored:1"
    try:
        subprocess.run(["bash", "-c", stop], check=True, timeout=60)
        r = wait_ready(any_s3, 503)
        assert r.json() == {"status": "not ready",
                            "checks": {"database": "ok", "schema": "ok", "storage": "unavailable"}}
        attempts = [
            t.upload(sample("png"), filename="p.png", category="avatars", subcategory=None,
                     content_type="image/png"),
            t.request("PUT", "/api/storage/files?category=documents&subcategory=leases&name=x.pdf",
                      data=sample("pdf")),
        ]
        for r in attempts:
            assert r.status_code == 503, r.text
            assert r.json()["code"] == "BACKEND_UNAVAILABLE" and r.json()["success"] is False
            assert r.headers.get("Retry-After") == "5"
        # Nothing charged, nothing pending, nothing reserved.
        assert t.quota()["used"] == used == t.stored_sum()
        assert rows(t) == before
        assert reserved(t) == 0
        # What was stored is still listed and counted.
        assert [f["id"] for f in t.request("GET", "/api/storage/files").json()["data"]["files"]] \
            == [first.json()["data"]["fileId"]]
    finally:
        if subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "2",
                           f"http://{any_s3.env['S3_ENDPOINT']}/"]).returncode != 0:
            subprocess.run(["bash", "-c", start], check=True, timeout=60)
    # Back: ready again and uploads work, with the same cofferd.
    pid = any_s3.master_pid()
    r = wait_ready(any_s3, 200)
    assert r.json()["checks"] == {"database": "ok", "schema": "ok", "storage": "ok"}
    again = t.upload(sample("png"), filename="p.png", category="avatars", subcategory=None,
                     content_type="image/png")
    assert again.status_code == 200, again.text
    d = again.json()["data"]
    assert_object(any_s3, d["filePath"], sample("png"), "image/png")
    assert object_exists(any_s3, first.json()["data"]["filePath"])
    assert len(objects_of(any_s3, t.id)) == 2
    assert t.quota()["used"] == used + len(sample("png")) == t.stored_sum()
    assert reserved(t) == 0
    assert any_s3.master_pid() == pid


def reload_with(stack, conf_text):
    """Write coffer.conf and reload; returns when every worker is new."""
    gen = stack.status()["generation"]
    stack.conf.write_text(conf_text)
    stack.reload()
    stack.wait_for(lambda: {p["generation"] for p in stack.status()["processes"]} == {gen + 1},
                   timeout=30, what="workers of the new configuration")


def test_wrong_secret_503_nothing_charged_log_says_what_to_fix(any_s3):
    """S3 refuses the signature: the API answers 503 BACKEND_UNAVAILABLE,
    nothing is charged, pending or stored, readiness says so, and the log
    carries S3's own error code and what to fix, never a secret."""
    stack = any_s3
    t = Tenant(stack)
    first = t.upload(sample("pdf"))
    assert first.status_code == 200, first.text
    used, before = t.quota()["used"], rows(t)
    original = stack.conf.read_text()
    secret = stack.env["AWS_SECRET_ACCESS_KEY"]
    wrong = "0" * len(secret)
    assert f"secret_access_key = {secret}\n" in original
    log_start = len(stack.log_text())
    try:
        reload_with(stack, original.replace(f"secret_access_key = {secret}\n",
                                            f"secret_access_key = {wrong}\n"))
        for attempt in (
            t.upload(sample("png"), filename="p.png", category="avatars", subcategory=None,
                     content_type="image/png"),
            t.request("PUT", "/api/storage/files?category=documents&subcategory=leases&name=x.pdf",
                      data=sample("pdf")),
        ):
            assert attempt.status_code == 503, attempt.text
            assert attempt.json()["code"] == "BACKEND_UNAVAILABLE"
            assert attempt.json()["success"] is False
            assert secret not in attempt.text and wrong not in attempt.text
        assert t.quota()["used"] == used == t.stored_sum()
        assert rows(t) == before
        assert reserved(t) == 0
        assert len(objects_of(stack, t.id)) == 1
        r = wait_ready(stack, 503)
        assert r.json()["checks"]["storage"] == "unavailable"
        log = stack.log_text()[log_start:]
        if stack.env["S3_SIGNATURE"] == "v4":
            assert "SignatureDoesNotMatch (HTTP 403)" in log
            assert "[s3] secret_access_key (AWS_SECRET_ACCESS_KEY) does not belong" in log
        else:
            assert "SignatureDoesNotMatch" in log
        assert secret not in log and wrong not in log
    finally:
        reload_with(stack, original)
    wait_ready(stack, 200)
    again = t.upload(sample("png"), filename="p.png", category="avatars", subcategory=None,
                     content_type="image/png")
    assert again.status_code == 200, again.text
    assert t.quota()["used"] == used + len(sample("png")) == t.stored_sum()
    assert len(objects_of(stack, t.id)) == 2


def pg_ctl(stack, *args):
    """pg_ctl on the stack's cluster, as the cluster's owner (scripts/stack
    runs PostgreSQL as postgres when started as root)."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                  key=lambda p: int(Path(p).parts[-3]))
    pgctl = os.environ.get("PG_BINDIR", "") and os.path.join(os.environ["PG_BINDIR"], "pg_ctl")
    pgctl = pgctl or bins[-1]
    pgdata = stack.env["COFFER_PGDATA"]
    cmd = [pgctl, "-D", pgdata, *args]
    owner = Path(pgdata).owner()
    if os.geteuid() == 0 and owner != "root":
        cmd = ["runuser", "-u", owner, "--"] + cmd
    subprocess.run(cmd, check=True, capture_output=True, timeout=120, cwd="/")


def test_readyz_follows_the_database(api):
    t = Tenant(api)
    log = str(Path(api.env["COFFER_LOG_DIR"]) / "postgres.log")
    try:
        pg_ctl(api, "-m", "fast", "-w", "-t", "60", "stop")
        r = wait_ready(api, 503)
        assert r.json() == {"status": "not ready",
                            "checks": {"database": "unavailable", "schema": "unknown",
                                       "storage": "ok"}}
        # The API says so too (the credential check needs the database).
        r = t.upload(sample("pdf"))
        assert r.status_code == 503, r.text
        assert r.json()["code"] in ("AUTH_UNAVAILABLE", "DATABASE_UNAVAILABLE")
    finally:
        pg_ctl(api, "-l", log, "-w", "-t", "60", "start")
    r = wait_ready(api, 200)
    assert r.json() == {"status": "ready",
                        "checks": {"database": "ok", "schema": "ok", "storage": "ok"}}
    r = t.upload(sample("pdf"))
    assert r.status_code == 200, r.text
    assert_object(api, r.json()["data"]["filePath"], sample("pdf"), "application/pdf")
    assert t.quota()["used"] == len(sample("pdf")) == t.stored_sum()


def test_readyz_waits_for_the_schema(api):
    """A cofferd newer than the database's schema is not ready until
    `cofferctl migrate` has run (it would fail on the new statements), and
    says so; the log names the fix."""
    newest = api.psql("SELECT version || '|' || name FROM schema_migrations"
                      " ORDER BY version DESC LIMIT 1")
    version, name = newest.split("|")
    api.psql(f"DELETE FROM schema_migrations WHERE version = {version}")
    try:
        r = wait_ready(api, 503)
        assert r.json() == {"status": "not ready",
                            "checks": {"database": "ok", "schema": "behind", "storage": "ok"}}
        log = Path(api.env["COFFER_LOG"]).read_text()
        assert f"this cofferd needs {version}: run cofferctl migrate" in log
    finally:
        api.psql(f"INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}')")
    r = wait_ready(api, 200)
    assert r.json()["checks"] == {"database": "ok", "schema": "ok", "storage": "ok"}
