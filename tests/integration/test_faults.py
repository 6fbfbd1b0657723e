"""Faults on the way of an upload: a full storage root, a full nginx body
directory, PostgreSQL restarted under load. Each ends with nothing charged
and nothing half-written."""
import os
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import invariants
from helpers import Tenant, objects_of, pdf_of_size, settle

MiB = 1024 * 1024


def need_root():
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("fault tests mount small filesystems and need root in CI")
        pytest.skip("mounting a small filesystem needs root")


@contextmanager
def small_tmpfs(path, size, owner_of):
    """Mount a size-limited tmpfs at path, every directory owned like
    owner_of (the daemons' user), as it would be in real life."""
    need_root()
    st = owner_of.stat()
    missing = [p for p in [path, *path.parents] if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for p in missing:
        os.chown(p, st.st_uid, st.st_gid)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                   check=True)
    os.chown(path, st.st_uid, st.st_gid)
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def fresh_workers(stack):
    """Workers open the storage root once: a reload makes them see a mount."""
    gen = stack.status()["generation"]
    stack.reload()
    stack.wait_for(lambda: {p["generation"] for p in stack.status()["processes"]} == {gen + 1},
                   what="fresh workers")


def assert_nothing_charged(t):
    assert t.quota()["used"] == 0
    assert t.db("SELECT count(*) FROM files WHERE customer_id = :customer") == "0"
    assert t.db("SELECT storage_reserved FROM customers WHERE customer_id = :customer") == "0"


def test_storage_root_full(stack):
    if stack.env.get("STORAGE_TYPE", "local") != "local":
        pytest.skip("local backend only")
    t = Tenant(stack)
    root = Path(stack.env["LOCAL_STORAGE_PATH"]) / "customers" / t.id
    with small_tmpfs(root, "1m", Path(stack.env["LOCAL_STORAGE_PATH"])):
        fresh_workers(stack)
        r = t.upload(pdf_of_size(2 * MiB))
        assert r.status_code == 503, r.text
        assert r.json()["code"] == "BACKEND_UNAVAILABLE"
        assert_nothing_charged(t)
        # No partial object: the nameless temp file died with its descriptor.
        assert [p for p in root.rglob("*") if p.is_file()] == []
        assert os.statvfs(root).f_bfree == os.statvfs(root).f_blocks
        # Something that fits still works on the same filesystem.
        r = t.upload(pdf_of_size(64 * 1024))
        assert r.status_code == 200, r.text
    fresh_workers(stack)


def test_nginx_body_directory_full(stack):
    t = Tenant(stack)
    body = Path(stack.env["NGINX_CONF"]).parent / "tmp" / "body"
    with small_tmpfs(body, "1m", body):
        r = t.upload(pdf_of_size(3 * MiB))
        assert r.status_code in (500, 503), r.text
        assert r.json()["success"] is False
        assert_nothing_charged(t)
        assert [p for p in body.rglob("*") if p.is_file()] == []
    assert t.upload(pdf_of_size(64 * 1024)).status_code == 200


def test_postgres_restart_under_load(stack):
    t = Tenant(stack)
    data = pdf_of_size(16 * 1024)
    pgdata = stack.env["COFFER_PGDATA"]
    pgctl = next(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    results = []
    stop = threading.Event()

    def load():
        s = stack.new_session()
        while not stop.is_set():
            r = s.post(stack.url + "/api/storage/upload",
                       headers={"Authorization": f"Bearer {t.token}"},
                       data={"category": "documents", "subcategory": "receipts"},
                       files={"file": ("r.pdf", data, "application/pdf")}, timeout=60)
            results.append((time.monotonic(), r.status_code, r.json().get("code")))

    def answered(code, since, before=None):
        """How many uploads were answered code after since (and before)."""
        return sum(1 for ts, c, _ in list(results)
                   if c == code and ts > since and (before is None or ts < before))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for th in threads:
        th.start()
    stack.wait_for(lambda: answered(200, 0) >= 8, timeout=30, what="uploads under load")
    subprocess.run(as_pg + [str(pgctl), "-D", pgdata, "-m", "fast", "-w", "stop"],
                   check=True, capture_output=True)
    down_at = time.monotonic()
    # Well inside the outage (see `during` below), uploads are refused.
    stack.wait_for(lambda: answered(503, down_at + 0.5, time.monotonic() - 0.5) >= 4,
                   timeout=30, what="uploads refused during the outage")
    assert stack.get("/readyz").status_code == 503
    subprocess.run(as_pg + [str(pgctl), "-D", pgdata, "-w", "-l",
                            str(Path(stack.env["COFFER_LOG_DIR"]) / "postgres.log"), "start"],
                   check=True, capture_output=True)
    up_at = time.monotonic()
    stack.wait_for(lambda: stack.get("/readyz").status_code == 200, timeout=30,
                   what="ready again without restarting cofferd")
    stack.wait_for(lambda: answered(200, up_at + 1.0) >= 8, timeout=30,
                   what="uploads stored again after the outage")
    stop.set()
    for th in threads:
        th.join()
    codes = {c for _, c, _ in results}
    assert codes <= {200, 503}, results
    # Answers completed well inside the outage (pg_ctl start returns a little
    # after PostgreSQL already accepts connections).
    during = [(c, code) for ts, c, code in results if down_at + 0.5 < ts < up_at - 0.5]
    assert during and all(c == 503 for c, _ in during), [d for d in during if d[0] != 503]
    after = [c for ts, c, _ in results if ts > up_at + 1.0]
    assert after and all(c == 200 for c in after), after
    # Every 200 is a stored file, every failure charged nothing (pending rows
    # left by a connection cut mid-commit are the reconciler's, not used).
    ok = sum(1 for _, c, _ in results if c == 200)
    assert t.quota()["used"] == t.stored_sum() == ok * len(data)
    assert len(objects_of(stack, t.id)) >= ok


def kill_paused_upload(stack, t, stage, data):
    """An upload held at stage by the test hook, its worker killed there;
    returns the client's answer."""
    import signal
    result = {}

    def upload():
        s = stack.new_session()
        result["r"] = s.post(stack.url + "/api/storage/upload",
                             headers={"Authorization": f"Bearer {t.token}",
                                      "X-Coffer-Test-Pause": f"{stage}:5000"},
                             data={"category": "documents", "subcategory": "leases"},
                             files={"file": ("crash.pdf", data, "application/pdf")}, timeout=60)

    th = threading.Thread(target=upload)
    th.start()
    victim = stack.wait_for(lambda: next((p["pid"] for p in stack.status()["processes"]
                                          if p.get("requestUri") == "/api/storage/upload"), None),
                            what="the paused upload")
    stack.wait_for(lambda: f"pausing 5000 ms {stage}" in stack.log_text(), what="the pause")
    os.kill(victim, signal.SIGKILL)
    th.join()
    return result["r"]


def test_kill_9_between_write_and_record(stack):
    """Local backend: the object is written first and recorded by one
    statement; a worker killed in between leaves an orphan object and no
    row, which reconcile removes once it is older than orphan_grace."""
    t = Tenant(stack)
    data = pdf_of_size(40 * 1024)
    r = kill_paused_upload(stack, t, "after-put", data)
    assert r.status_code == 503
    assert t.quota()["used"] == 0
    assert t.db("SELECT count(*) FROM files WHERE customer_id = :customer") == "0"
    orphans = objects_of(stack, t.id)
    assert len(orphans) == 1
    # Young orphans are left alone (an upload may be about to record it)...
    settle(stack, t)
    assert objects_of(stack, t.id) == orphans
    # ...and removed once older than the grace period.
    root = Path(stack.env["LOCAL_STORAGE_PATH"])
    old = time.time() - 2 * 86400
    os.utime(root / orphans[0], (old, old))
    settle(stack, t)
    assert objects_of(stack, t.id) == []
    assert invariants.check(stack, t.id) == 0


@pytest.mark.parametrize("stage,committed", [("after-reserve", False), ("after-put", True)])
def test_kill_9_between_reserve_and_commit(s3_stack, stage, committed):
    """S3: quota is reserved around the write; the reconciler settles a
    pending row by what the backend holds."""
    stack = s3_stack
    t = Tenant(stack)
    data = pdf_of_size(40 * 1024)
    r = kill_paused_upload(stack, t, stage, data)
    assert r.status_code == 503
    # Nothing is charged to the customer while the row is pending...
    assert t.quota()["used"] == 0
    assert t.db("SELECT count(*) FROM files WHERE customer_id = :customer"
                " AND state = 'pending'") == "1"
    assert len(objects_of(stack, t.id)) == (1 if committed else 0)
    # ...and one reconciliation settles it by what the backend holds.
    settle(stack, t)
    used = invariants.check(stack, t.id, objects=objects_of(stack, t.id))
    assert used == (len(data) if committed else 0)
