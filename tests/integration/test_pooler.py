"""cofferd behind PgBouncer in transaction mode, as many hosts reach one
PostgreSQL (docs/SCALING.md): more workers than server connections, and the
pooler restarted under real concurrent uploads.

The stack here always has its own PgBouncer (8 workers, 2 server
connections), whatever COFFER_TEST_POOLER says; scripts/test also runs the
storage API, quota race and two-pool suites through a PgBouncer stack.
"""
import json
import os
import re
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import invariants
from helpers import ROOT, Tenant, pdf_of_size, settle


@pytest.fixture(scope="module")
def pooled(pooled_stack):
    return pooled_stack


def server_connections(stack):
    ini = (stack.dir / "pgbouncer" / "pgbouncer.ini").read_text()
    return int(re.search(r"^default_pool_size = (\d+)$", ini, re.M).group(1))


def pgbouncer_show(stack, what):
    """SHOW <what> on PgBouncer's console: a list of dicts."""
    out = subprocess.run(["psql", "-X", "-q", "-A", "-F", "\t", "-P", "footer=off", "-d",
                          stack.env["COFFER_PGBOUNCER_ADMIN_URL"], "-c", f"SHOW {what}"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    lines = out.splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, line.split("\t"))) for line in lines[1:]]


def coffer_backends(stack):
    """Client backends of the coffer role on PostgreSQL itself."""
    return int(stack.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'coffer'"
                          " AND backend_type = 'client backend'", admin=True))


def upload(stack, t, data):
    s = stack.new_session()
    r = s.post(stack.url + "/api/storage/upload",
               headers={"Authorization": f"Bearer {t.token}"},
               data={"category": "documents", "subcategory": "receipts"},
               files={"file": ("r.pdf", data, "application/pdf")}, timeout=120)
    return r.status_code, r.json()


def test_stack_is_pooled(pooled):
    conf = pooled.conf.read_text()
    assert "pooler = transaction" in conf
    assert re.search(r"^workers = (\d+)$", conf, re.M).group(1) == "8"
    assert server_connections(pooled) == 2
    assert pooled.env["DATABASE_URL"].endswith(f":{pooled.env['COFFER_PGBOUNCER_PORT']}/coffer")
    assert pooled.env["COFFER_PG_DIRECT_URL"].endswith(f":{pooled.env['COFFER_PG_PORT']}/coffer")
    pools = [p for p in pgbouncer_show(pooled, "POOLS") if p["database"] == "coffer"]
    assert pools and all(p["pool_mode"] == "transaction" for p in pools), pools


def test_more_workers_than_server_connections(pooled):
    """8 workers share 2 server connections: 60 racing uploads against a
    limit of 20 store exactly 20, the rest get 507, none waits forever or
    fails, and usage is exactly what is stored."""
    size = 48 * 1024
    t = Tenant(pooled, limit=20 * size + size // 2)
    data = pdf_of_size(size)
    wait0 = sum(int(s["total_wait_time"]) for s in pgbouncer_show(pooled, "STATS")
                if s["database"] == "coffer")
    with ThreadPoolExecutor(max_workers=24) as ex:
        results = list(ex.map(lambda _: upload(pooled, t, data), range(60)))
    codes = sorted(c for c, _ in results)
    assert codes.count(200) == 20, codes
    assert codes.count(507) == 40, codes
    assert all(b["code"] == "QUOTA_EXCEEDED" for c, b in results if c == 507)
    # The queue was real: clients waited for a server connection.
    wait1 = sum(int(s["total_wait_time"]) for s in pgbouncer_show(pooled, "STATS")
                if s["database"] == "coffer")
    assert wait1 > wait0, (wait0, wait1)
    # ... and PostgreSQL never saw more than the pool (+ this query's psql).
    assert coffer_backends(pooled) <= server_connections(pooled)
    assert t.quota()["used"] == 20 * size == t.stored_sum()
    invariants.check(pooled, t.id)
    # Reads and deletes work through the pooler too.
    files = t.request("GET", "/api/storage/files?limit=50").json()["data"]["files"]
    assert len(files) == 20
    r = t.request("DELETE", "/api/storage/file", json={"filePath": files[0]["filePath"]})
    assert r.status_code == 200, r.text
    assert t.quota()["used"] == 19 * size == t.stored_sum()
    invariants.check(pooled, t.id)


def test_cofferctl_goes_past_the_pooler(pooled, tmp_path):
    """migrate and reconcile hold session locks: cofferctl uses direct_url,
    and without it refuses rather than take them through the pooler."""
    assert pooled.ctl("migrate").returncode == 0
    conf = tmp_path / "no-direct.conf"
    conf.write_text("\n".join(line for line in pooled.conf.read_text().splitlines()
                              if not line.startswith("direct_url")) + "\n")
    for args in (["migrate"], ["reconcile", "--dry-run"]):
        proc = pooled.ctl(*args, check=False, env={"COFFER_CONF": str(conf)})
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "set [database] direct_url" in proc.stderr, proc.stderr
    # Commands without session state run through the pooler itself.
    assert "starter" in pooled.ctl("plan", "list", env={"COFFER_CONF": str(conf)}).stdout


def test_pgbouncer_restart_under_load(pooled):
    """Uploads from 8 clients while PgBouncer stops and starts again: every
    answer is a success or a clear 503, every success is stored with its
    bytes, and usage equals the stored files, before and after reconcile."""
    size = 24 * 1024
    t = Tenant(pooled, limit=10 * 1024 * 1024 * 1024)
    data = pdf_of_size(size)
    # Every answer is told to the waiting test through this condition: it
    # wakes on answers, never on a timer.
    results, answered = [], threading.Condition()
    stop = threading.Event()
    after_restart = threading.Event()
    ok_after = [0]

    def client():
        while not stop.is_set():
            code, body = upload(pooled, t, data)
            with answered:
                results.append((code, body))
                if code == 200 and after_restart.is_set():
                    ok_after[0] += 1
                answered.notify_all()

    def wait_until(cond, what, timeout=60):
        with answered:
            assert answered.wait_for(cond, timeout), f"timed out waiting for {what}"

    threads = [threading.Thread(target=client) for _ in range(8)]
    for th in threads:
        th.start()
    try:
        wait_until(lambda: sum(1 for c, _ in results if c == 200) >= 10, "uploads before")
        pid = int(Path(pooled.env["PGBOUNCER_PIDFILE"]).read_text())
        os.kill(pid, signal.SIGTERM)          # immediate shutdown: every connection drops
        wait_until(lambda: any(c == 503 for c, _ in results), "a 503 while PgBouncer is down")
        subprocess.run(["bash", str(ROOT / "scripts" / "stack"), "restart-pooler",
                        str(pooled.dir)], check=True, capture_output=True, timeout=60)
        after_restart.set()
        wait_until(lambda: ok_after[0] >= 10, "uploads after the restart")
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=120)

    codes = {c for c, _ in results}
    assert codes <= {200, 503}, sorted(codes)
    for code, body in results:
        if code == 503:
            # /auth's customer check or the upload's own statements
            assert body["success"] is False, body
            assert body["code"] in ("AUTH_UNAVAILABLE", "DATABASE_UNAVAILABLE"), body
    stored = {b["data"]["filePath"] for c, b in results if c == 200}
    rows = {k for k, s in invariants.rows(
        pooled, f"SELECT storage_key, size FROM files WHERE customer_id = '{t.id}'"
                f" AND state = 'stored'")}
    # Nothing lost: every success is stored (and nothing stored that the
    # client was told failed, beyond what the database kept committed).
    assert stored <= rows, stored - rows
    base = Path(pooled.env["LOCAL_STORAGE_PATH"])
    for key in stored:
        assert (base / key).read_bytes() == data, key
    # No drift, before any repair: used is exactly the stored files, and
    # what is reserved is exactly the pending rows of interrupted uploads.
    used, reserved = map(int, invariants.rows(
        pooled, f"SELECT storage_used, storage_reserved FROM customers"
                f" WHERE customer_id = '{t.id}'")[0])
    pending = int(t.db("SELECT coalesce(sum(charged_size), 0) FROM files"
                       " WHERE customer_id = :customer AND state = 'pending'"))
    assert used == t.stored_sum() == len(rows) * size
    assert reserved == pending
    # ... and after the operator's reconcile every invariant holds.  An
    # upload whose commit was in flight when the connection dropped kept
    # its object (the commit may have happened): reconcile commits its
    # pending row, or (local storage records after writing) removes it as
    # an orphan once it is older than orphan_grace: make it so.
    known = set(t.db("SELECT string_agg(storage_key, ' ') FROM files"
                     " WHERE customer_id = :customer").split())
    orphans = [k for k in invariants.local_objects(pooled, t.id) if k not in known]
    assert len(orphans) <= sum(1 for c, _ in results if c == 503), orphans
    old = time.time() - 2 * 86400
    for k in orphans:
        os.utime(base / k, (old, old))
    settle(pooled, t)
    used = invariants.check(pooled, t.id)
    assert used == t.stored_sum() and used % size == 0
    assert len(rows) * size <= used <= (len(rows) + len(threads)) * size
    assert pooled.get("/readyz").status_code == 200
    assert json.loads(pooled.ctl("customer", "show", t.id).stdout)["used"] == used
