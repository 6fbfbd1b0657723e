"""Two cofferd pools behind one nginx upstream, sharing one PostgreSQL and one
storage root: the quota holds across them, and losing one pool loses no data."""
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import invariants
from helpers import settle, Tenant, objects_of, pdf_of_size


def nginx_workers(stack):
    """The pids of the nginx master's worker processes."""
    master = Path(stack.env["NGINX_PIDFILE"]).read_text().strip()
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", master], capture_output=True,
                         text=True, check=True).stdout
    return {int(p) for p in out.split()}


def nginx_reload(stack):
    """Reload nginx and return once only workers with the new upstream
    serve: the old ones have exited, new ones run."""
    old = nginx_workers(stack)
    prefix = str(Path(stack.env["NGINX_CONF"]).parent) + "/"
    subprocess.run(["nginx", "-p", prefix, "-c", stack.env["NGINX_CONF"], "-s", "reload"],
                   check=True, capture_output=True, timeout=30)
    stack.wait_for(lambda: not (nginx_workers(stack) & old) and nginx_workers(stack),
                   timeout=30, what="nginx's old workers to exit")


@pytest.fixture
def two_pools(stack, second_pool):
    conf, sock, status = second_pool()
    proc = stack.start_cofferd(conf=conf)
    stack.wait_for(lambda: sock.exists(), what="second pool socket")
    upstream = Path(stack.env["NGINX_CONF"]).parent / "coffer-upstream.d" / "pool2.conf"
    upstream.write_text(f"server unix:{sock};\n")
    nginx_reload(stack)
    try:
        yield proc, conf
    finally:
        upstream.unlink()
        nginx_reload(stack)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def accepted(stack, conf=None):
    return stack.status(conf)["acceptedConn"]


def test_quota_holds_across_two_pools(stack, two_pools):
    proc, conf2 = two_pools
    size = 64 * 1024
    t = Tenant(stack, limit=20 * size + size // 2)
    data = pdf_of_size(size)
    a1, a2 = accepted(stack), accepted(stack, conf2)

    def one(_):
        s = stack.new_session()
        return s.post(stack.url + "/api/storage/upload",
                      headers={"Authorization": f"Bearer {t.token}"},
                      data={"category": "documents", "subcategory": "receipts"},
                      files={"file": ("r.pdf", data, "application/pdf")}, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        codes = list(pool.map(one, range(200)))
    assert codes.count(200) == 20 and codes.count(507) == 180, sorted(set(codes))
    # Both pools took their share (each request is also an /auth subrequest).
    assert accepted(stack) - a1 > 50 and accepted(stack, conf2) - a2 > 50
    assert t.quota()["used"] == 20 * size == t.stored_sum()
    assert len(objects_of(stack, t.id)) == 20
    assert t.db("SELECT storage_reserved FROM customers WHERE customer_id = :customer") == "0"


def test_losing_a_pool_keeps_reads_and_charges_nothing(stack, two_pools):
    proc, conf2 = two_pools
    t = Tenant(stack)
    base = pdf_of_size(32 * 1024)
    assert t.upload(base).status_code == 200

    def slow_upload(_):
        s = stack.new_session()
        return s.post(stack.url + "/api/storage/upload",
                      headers={"Authorization": f"Bearer {t.token}",
                               "X-Coffer-Test-Pause": "after-put:2500"},
                      data={"category": "documents", "subcategory": "receipts"},
                      files={"file": ("r.pdf", base, "application/pdf")}, timeout=120)

    # nginx alternates the two pools per FastCGI request, and every upload
    # is two (/auth, then the upload), so a round can land all its uploads
    # on one pool. Such a round just completes; the pool dies in the first
    # round where both pools hold paused uploads.
    pause = "test hook: pausing 2500 ms after-put"
    earlier = 0
    for _ in range(5):
        seen = stack.log_text().count(pause)
        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(slow_upload, i) for i in range(6)]
            # Both pools log to the stack's cofferd.log: wait until every
            # upload has written its object and is paused. (A pool given more
            # uploads than it has workers pauses the last only once an
            # earlier one is done; such a round may find one pool idle and
            # just complete.)
            stack.wait_for(lambda: stack.log_text().count(pause) - seen == 6, timeout=30,
                           what="six uploads written and paused")
            both = (stack.status()["activeProcesses"] > 0 and
                    stack.status(conf2)["activeProcesses"] > 0)
            if both:
                os.killpg(proc.pid, signal.SIGKILL)
            results = [f.result() for f in futures]
        codes = [r.status_code for r in results]
        if both:
            break
        assert codes == [200] * 6, codes
        earlier += 6
    assert both, "five rounds never put uploads on both pools"
    assert set(codes) <= {200, 503}, codes
    assert 503 in codes and 200 in codes, codes    # both pools had some
    for r in results:
        if r.status_code == 503:
            assert r.json()["success"] is False
    # Reads carry on through the surviving pool.
    for _ in range(30):
        assert t.request("GET", "/api/storage/quota").status_code == 200
    # Nothing was charged for the uploads that died with their pool: used
    # counts exactly the stored files. What they wrote is an orphan object
    # with no row (local storage records after writing), which the
    # reconciler removes once it is older than orphan_grace.
    stored = earlier + codes.count(200) + 1
    assert t.quota()["used"] == stored * len(base) == t.stored_sum()
    assert t.db("SELECT count(*) FROM files WHERE customer_id = :customer"
                " AND state = 'pending'") == "0"
    assert t.db("SELECT storage_reserved FROM customers WHERE customer_id = :customer") == "0"
    keys = objects_of(stack, t.id)
    recorded = set(t.db("SELECT string_agg(storage_key, ' ') FROM files"
                        " WHERE customer_id = :customer AND state = 'stored'").split())
    orphans = [k for k in keys if k not in recorded]
    # (A request still queued on the dead pool's socket never wrote.)
    assert 1 <= len(orphans) <= codes.count(503), (len(orphans), codes)
    assert len(recorded) == stored
    root = Path(stack.env["LOCAL_STORAGE_PATH"])
    old = time.time() - 2 * 86400
    for k in orphans:
        os.utime(root / k, (old, old))
    settle(stack, t)
    assert objects_of(stack, t.id) == sorted(recorded)
    assert invariants.check(stack, t.id) == stored * len(base)
