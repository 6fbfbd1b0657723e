"""The event outbox: quota thresholds, uploads and deletes, written in the
same transaction as the change, announced with NOTIFY and read back through
GET /api/storage/events (sql/003_events.sql, src/engine/quota.c, src/engine/events.c)."""
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers import Tenant, pdf_of_size


def events(tenant, after=0, limit=None, token=None):
    q = f"?after={after}" + (f"&limit={limit}" if limit else "")
    r = tenant.request("GET", "/api/storage/events" + q, token=token)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def all_events(tenant):
    return events(tenant, limit=1000)["events"]


def test_thresholds_fire_once_each(stack):
    t = Tenant(stack, limit=10000)
    # 70 %, 80 % (crosses 80), 85 %, 90 % (crosses 90), 100 % (crosses 100)
    for size in (7000, 1000, 500, 500, 1000):
        r = t.upload(pdf_of_size(size))
        assert r.status_code == 200, r.text
    ev = all_events(t)
    assert [e["type"] for e in ev].count("file.uploaded") == 5
    th = [e for e in ev if e["type"] == "quota.threshold"]
    assert [e["threshold"] for e in th] == [80, 90, 100], ev
    assert [e["used"] for e in th] == [8000, 9000, 10000]
    assert all(e["limit"] == 10000 for e in ev)
    # The customer's own numbers from 1, without gaps; each threshold
    # right after the upload that reached it.
    ids = [e["id"] for e in ev]
    assert ids == list(range(1, len(ev) + 1)), ev
    for e in th:
        up = ev[ev.index(e) - 1]
        assert up["type"] in ("file.uploaded", "quota.threshold")
        assert e["fileId"] is not None
    # Full: a refused upload writes nothing.
    assert t.upload(pdf_of_size(100)).status_code == 507
    assert len(all_events(t)) == len(ev)
    # Dropping below 80 % and climbing back crosses 80 again: one new event.
    first = ev[0]
    r = t.request("DELETE", f"/api/storage/files/{first['fileId']}")
    assert r.status_code == 200, r.text
    assert t.upload(pdf_of_size(5000)).status_code == 200    # 30 % -> 80 %
    ev2 = all_events(t)[len(ev):]
    assert [(e["type"], e["threshold"]) for e in ev2] == [
        ("file.deleted", None), ("file.uploaded", None), ("quota.threshold", 80)], ev2
    assert ev2[0]["fileId"] == first["fileId"] and ev2[0]["used"] == 3000
    assert ev2[0]["size"] == 7000 and ev2[0]["actor"] == t.user


def test_one_commit_crossing_two_thresholds(stack):
    t = Tenant(stack, limit=10000)
    assert t.upload(pdf_of_size(5000)).status_code == 200
    assert t.upload(pdf_of_size(4500)).status_code == 200    # 50 % -> 95 %
    th = [e["threshold"] for e in all_events(t) if e["type"] == "quota.threshold"]
    assert th == [80, 90]


def test_unlimited_never_crosses(stack):
    t = Tenant(stack, limit="unlimited")
    assert t.upload(pdf_of_size(5000)).status_code == 200
    ev = all_events(t)
    assert [e["type"] for e in ev] == ["file.uploaded"] and ev[0]["limit"] is None


def test_cursor_pagination_and_isolation(stack):
    a, b = Tenant(stack), Tenant(stack)
    for _ in range(5):
        assert a.upload(pdf_of_size(1000)).status_code == 200
    assert b.upload(pdf_of_size(1000)).status_code == 200
    ev = all_events(a)
    assert len(ev) == 5
    page = events(a, limit=2)
    assert [e["id"] for e in page["events"]] == [e["id"] for e in ev[:2]]
    assert page["hasMore"] is True and page["nextAfter"] == ev[1]["id"]
    page = events(a, after=page["nextAfter"], limit=2)
    assert [e["id"] for e in page["events"]] == [e["id"] for e in ev[2:4]]
    page = events(a, after=page["nextAfter"], limit=2)
    assert [e["id"] for e in page["events"]] == [ev[4]["id"]]
    assert page["hasMore"] is False and page["nextAfter"] == ev[4]["id"]
    page = events(a, after=page["nextAfter"])
    assert page == {"events": [], "nextAfter": ev[4]["id"], "hasMore": False}
    # b sees only its own, whatever cursor it passes.
    mine = all_events(b)
    assert len(mine) == 1 and mine[0]["fileId"] not in {e["fileId"] for e in ev}
    assert events(b, after=0)["events"] == mine
    # Ids are each customer's own numbers (sql/007): b's first is 1 too.
    assert [e["id"] for e in mine] == [1] and [e["id"] for e in ev] == [1, 2, 3, 4, 5]
    # Bad input is 400; a client header naming another customer changes nothing.
    for q in ("?after=-1", "?after=x", "?limit=0", "?limit=1001"):
        r = a.request("GET", "/api/storage/events" + q)
        assert r.status_code == 400, (q, r.text)
    r = b.request("GET", "/api/storage/events",
                  headers={"X-Coffer-Customer": a.id, "Coffer-Customer": a.id})
    assert r.status_code in (200, 403)
    if r.status_code == 200:
        assert r.json()["data"]["events"] == mine


def test_events_need_authentication(stack):
    r = stack.get("/api/storage/events")
    assert r.status_code == 401


def test_listen_receives_notifications(stack):
    t = Tenant(stack, limit=1000)
    psql = subprocess.Popen(["psql", "-X", "-q", "-d", stack.env["DATABASE_URL"]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        psql.stdin.write("LISTEN coffer_events;\nSELECT 'listening';\n")
        psql.stdin.flush()
        assert "listening" in psql.stdout.readline() + psql.stdout.readline() + \
            psql.stdout.readline()
        r = t.upload(pdf_of_size(900))                         # 90 %: 80 and 90
        assert r.status_code == 200
        assert t.request("DELETE", "/api/storage/file",
                         json={"filePath": r.json()["data"]["filePath"]}).status_code == 200
        # psql prints what arrived when it runs its next command.
        psql.stdin.write("SELECT 1;\n\\q\n")
        psql.stdin.flush()
        out, _ = psql.communicate(timeout=30)
    finally:
        if psql.poll() is None:
            psql.kill()
    notes = []
    for line in out.splitlines():
        if line.startswith('Asynchronous notification "coffer_events"'):
            payload = line.split(' with payload "', 1)[1].rsplit('" received', 1)[0]
            notes.append(json.loads(payload))
    mine = [n for n in notes if n["customerId"] == t.id]
    assert [(n["type"], n["threshold"]) for n in mine] == [
        ("file.uploaded", None), ("quota.threshold", 80), ("quota.threshold", 90),
        ("file.deleted", None)], out
    assert [n["id"] for n in mine] == [e["id"] for e in all_events(t)]


def test_event_rolls_back_with_its_change(stack):
    """The outbox row is part of the commit statement: a failing commit
    (here: a trigger that refuses the usage update) leaves no event and no
    notification behind."""
    t = Tenant(stack, limit=1000)
    before = stack.psql(f"SELECT count(*) FROM storage_events WHERE customer_id = '{t.id}'")
    stack.psql(f"""
        CREATE FUNCTION pg_temp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
        CREATE TRIGGER refuse_{t.id[:8]} BEFORE INSERT ON storage_usage FOR EACH ROW
            WHEN (NEW.customer_id = '{t.id}') EXECUTE FUNCTION pg_temp_refuse();""",
               admin=False)
    try:
        r = t.upload(pdf_of_size(900))
        assert r.status_code >= 500
    finally:
        stack.psql(f"DROP TRIGGER refuse_{t.id[:8]} ON storage_usage;"
                   " DROP FUNCTION pg_temp_refuse()")
    assert stack.psql(f"SELECT count(*) FROM storage_events WHERE customer_id = '{t.id}'") \
        == before == "0"
    assert t.quota()["used"] == 0


def test_event_numbers_under_concurrency(stack):
    """Sixteen clients upload to one customer at once, then delete and
    upload at once: its events are numbered 1..n with no gap and no
    repeat, each threshold once, and in commit order (usage only grows
    while only uploads run).  The statements number their own events on
    the customer's row (sql/012); an event inserted by hand still gets the
    next number."""
    t = Tenant(stack, limit=40 * 1000)
    with ThreadPoolExecutor(16) as ex:
        codes = list(ex.map(lambda i: t.upload(pdf_of_size(1000)).status_code, range(48)))
    assert codes.count(200) == 40 and codes.count(507) == 8, codes
    ev = all_events(t)
    assert [e["id"] for e in ev] == list(range(1, 44)), ev
    assert [e["threshold"] for e in ev if e["type"] == "quota.threshold"] == [80, 90, 100]
    used = [e["used"] for e in ev if e["type"] == "file.uploaded"]
    assert used == list(range(1000, 40001, 1000)), used
    ups = [e for e in ev if e["type"] == "file.uploaded"]

    def delete(e):
        return t.request("DELETE", f"/api/storage/files/{e['fileId']}").status_code

    with ThreadPoolExecutor(16) as ex:
        dels = ex.map(delete, ups[:20])
        # Full until the deletes land: an upload may fit or not.
        adds = list(ex.map(lambda i: t.upload(pdf_of_size(1000)).status_code, range(10)))
        assert list(dels) == [200] * 20 and set(adds) <= {200, 507}, adds
    ok = adds.count(200)
    ev = all_events(t)
    assert [e["id"] for e in ev] == list(range(1, len(ev) + 1)), ev
    assert len(ev) == 43 + 20 + ok + sum(1 for e in ev[43:] if e["type"] == "quota.threshold")
    assert t.quota()["used"] == t.stored_sum() == (20 + ok) * 1000
    # By hand, without a number: the trigger gives it the next one, and
    # the next upload's event follows it.
    t.db("INSERT INTO storage_events (customer_id, type, size, used)"
         " VALUES (:customer, 'file.uploaded', 1, 0)")
    assert t.upload(pdf_of_size(1000)).status_code == 200
    last = all_events(t)[-2:]
    assert [e["id"] for e in last] == [len(ev) + 1, len(ev) + 2], last
