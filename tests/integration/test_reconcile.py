"""`cofferctl reconcile` on both backends: damage injected through the
database and the backend directly, repaired in one run, a second run clean,
two concurrent runs acting once (src/engine/reconcile.c, docs/OPERATIONS.md)."""
import base64
import email.utils
import hashlib
import hmac
import json
import os
import subprocess
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests

from helpers import Tenant, pdf_of_size

HOUR = 3600


class LocalObjects:
    """The local backend's root, written behind cofferd's back."""

    grace = []      # the configured orphan_grace applies; mtimes are set

    def __init__(self, stack):
        self.root = Path(stack.env["LOCAL_STORAGE_PATH"])

    def put(self, key, data, age=0):
        p = self.root / key
        st = self.root.stat()
        made = []
        d = p.parent
        while not d.exists():
            made.append(d)
            d = d.parent
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        for x in made + [p]:
            os.chown(x, st.st_uid, st.st_gid)    # as cofferd's workers would own it
        if age:
            t = time.time() - age
            os.utime(p, (t, t))

    def exists(self, key):
        return (self.root / key).is_file()

    def keys(self, prefix):
        base = self.root / prefix
        if not base.exists():
            return set()
        return {str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file()}


class S3Objects:
    """The stack's S3 peer through a minimal Signature V2 client: S3 sets
    mtimes itself, so runs that need an old orphan pass --grace 0s."""

    grace = ["--grace", "0s"]

    def __init__(self, stack):
        e = stack.env
        self.base = f"http://{e['S3_ENDPOINT']}/{e['S3_BUCKET_NAME']}"
        self.bucket = e["S3_BUCKET_NAME"]
        self.akid, self.secret = e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"]

    def _req(self, method, path, data=None, params=None, ctype=""):
        date = email.utils.formatdate(usegmt=True)
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode() if data else ""
        # The date travels as x-amz-date (signed among the amz headers).
        sts = f"{method}\n{md5}\n{ctype}\n\nx-amz-date:{date}\n/{self.bucket}{path}"
        sig = base64.b64encode(hmac.new(self.secret.encode(), sts.encode(),
                                        hashlib.sha1).digest()).decode()
        h = {"x-amz-date": date, "Authorization": f"AWS {self.akid}:{sig}"}
        if data:
            h["Content-MD5"] = md5
        if ctype:
            h["Content-Type"] = ctype
        return requests.request(method, self.base + path, data=data, params=params,
                                headers=h, timeout=30)

    def put(self, key, data, age=0):
        r = self._req("PUT", "/" + key, data=data, ctype="application/pdf")
        assert r.status_code == 200, r.text

    def exists(self, key):
        return self._req("HEAD", "/" + key).status_code == 200

    def keys(self, prefix):
        out, marker = set(), ""
        while True:
            r = self._req("GET", "/", params={"prefix": prefix, "marker": marker})
            assert r.status_code == 200, r.text
            root = ET.fromstring(r.content)
            ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
            got = [c.find(ns + "Key").text for c in root.iter(ns + "Contents")]
            out.update(got)
            if root.findtext(ns + "IsTruncated") != "true" or not got:
                return out
            marker = got[-1]


@pytest.fixture(params=["local", "s3", "s3v2"])
def env(request):
    stack = request.getfixturevalue({"local": "stack", "s3": "s3_stack",
                                     "s3v2": "s3v2_stack"}[request.param])
    objs = LocalObjects(stack) if request.param == "local" else S3Objects(stack)
    return stack, objs


def reconcile(stack, *args, check_rc=None):
    proc = stack.ctl("reconcile", "--json", *args, check=False)
    assert proc.returncode in (0, 1, 3, 4), proc.stderr
    report = json.loads(proc.stdout)
    assert report["exitStatus"] == proc.returncode
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.stdout, proc.stderr)
    return report


def new_key(t, ext=".pdf"):
    return f"customers/{t.id}/documents/leases/{uuid.uuid4()}{ext}"


def inject_pending(t, data, with_object, objs, age=HOUR):
    """A crash between reserve and commit: the pending row, its reservation,
    and the object or not."""
    key = new_key(t)
    fid = t.db(f"""
        WITH c AS (UPDATE customers SET storage_reserved = storage_reserved + {len(data)}
                   WHERE customer_id = :customer RETURNING customer_id)
        INSERT INTO files (customer_id, storage_key, category, subcategory, original_name,
                           mime_type, file_type, size, charged_size, state, created_at,
                           uploaded_by)
        SELECT customer_id, '{key}', 'documents', 'leases', 'crashed.pdf',
               'application/pdf', 'document', {len(data)}, {len(data)}, 'pending',
               now() - interval '{age} seconds', '{t.user}' FROM c RETURNING id""")
    fid = fid.splitlines()[0]
    if with_object:
        objs.put(key, data)
    return fid, key


def inject_owed_removal(t, objs):
    """A delete whose object removal failed: the row is deleted and released,
    the object is still there."""
    data = pdf_of_size(3000)
    d = t.upload(data).json()["data"]
    assert t.request("DELETE", f"/api/storage/files/{d['fileId']}").status_code == 200
    t.db(f"UPDATE files SET object_removed_at = NULL, deleted_at = now() - interval '1 hour'"
         f" WHERE customer_id = :customer AND id = '{d['fileId']}'")
    objs.put(d["filePath"], data)
    return d["fileId"], d["filePath"]


def damage(t, objs):
    """Everything the reconciler repairs, for one customer."""
    keep = t.upload(pdf_of_size(2000)).json()["data"]
    p1 = inject_pending(t, pdf_of_size(1500), True, objs)
    p2 = inject_pending(t, pdf_of_size(1700), False, objs)
    orphan = new_key(t)
    objs.put(orphan, pdf_of_size(900), age=2 * HOUR)
    owed = inject_owed_removal(t, objs)
    t.db("UPDATE customers SET storage_used = storage_used + 12345 WHERE customer_id = :customer")
    t.db("UPDATE storage_usage SET total_size = total_size + 7, file_count = file_count + 3"
         " WHERE customer_id = :customer")
    return {"keep": keep, "p1": p1, "p2": p2, "orphan": orphan, "owed": owed}


def assert_consistent(t, objs):
    assert t.db("SELECT count(*) FROM files WHERE customer_id = :customer"
                " AND state = 'pending'") == "0"
    q = t.quota()
    assert q["used"] == t.stored_sum() and q["reserved"] == 0
    drift = t.db("""
        SELECT count(*) FROM (
          SELECT file_type, category, coalesce(subcategory, '') subcategory,
                 count(*) n, sum(charged_size) s FROM files
          WHERE customer_id = :customer AND state = 'stored' GROUP BY 1, 2, 3) l
        FULL JOIN (SELECT file_type, category, subcategory, file_count n, total_size s
                   FROM storage_usage WHERE customer_id = :customer AND file_count > 0) u
        USING (file_type, category, subcategory)
        WHERE l.n IS DISTINCT FROM u.n OR l.s IS DISTINCT FROM u.s""")
    assert drift == "0"
    stored = set(t.db("SELECT storage_key FROM files WHERE customer_id = :customer"
                      " AND state = 'stored'").split())
    assert objs.keys(f"customers/{t.id}/") == stored


def totals(reports):
    keys = [("pending", "committed"), ("pending", "released"), ("removals", "removed"),
            ("orphans", "removed"), ("drift", "customers"), ("missing", "missing")]
    return {f"{a}.{b}": sum(r[a][b] for r in reports) for a, b in keys}


def test_reconcile_repairs_everything(env):
    stack, objs = env
    t = Tenant(stack)
    d = damage(t, objs)

    # A dry run reports it all and changes nothing.
    dry = reconcile(stack, "--customer", t.id, "--dry-run", *objs.grace, check_rc=3)
    assert dry["dryRun"] is True and dry["status"] == "found"
    assert totals([dry]) == {"pending.committed": 1, "pending.released": 1,
                             "removals.removed": 1, "orphans.removed": 1,
                             "drift.customers": 1, "missing.missing": 0}
    assert [i["action"] for i in dry["orphans"]["items"]] == ["remove"]
    assert objs.exists(d["orphan"]) and objs.exists(d["owed"][1])
    assert t.db("SELECT count(*) FROM files WHERE customer_id = :customer"
                " AND state = 'pending'") == "2"

    r = reconcile(stack, "--customer", t.id, *objs.grace, check_rc=3)
    assert r["status"] == "repaired" and r["errors"] == []
    assert totals([r]) == {"pending.committed": 1, "pending.released": 1,
                           "removals.removed": 1, "orphans.removed": 1,
                           "drift.customers": 1, "missing.missing": 0}
    by_action = {i["fileId"]: i["action"] for i in r["pending"]["items"]}
    assert by_action == {d["p1"][0]: "committed", d["p2"][0]: "released"}
    assert r["removals"]["items"][0]["fileId"] == d["owed"][0]
    assert r["orphans"]["items"][0]["storageKey"] == d["orphan"]
    drift = r["drift"]["items"][0]
    assert drift["customerId"] == t.id and drift["used"]["drift"] == 12345

    assert t.db(f"SELECT state FROM files WHERE id = '{d['p1'][0]}'") == "stored"
    assert t.db(f"SELECT count(*) FROM files WHERE id = '{d['p2'][0]}'") == "0"
    assert t.db(f"SELECT object_removed_at IS NOT NULL FROM files"
                f" WHERE id = '{d['owed'][0]}'") == "t"
    assert not objs.exists(d["orphan"]) and not objs.exists(d["owed"][1])
    assert objs.exists(d["p1"][1]) and objs.exists(d["keep"]["filePath"])
    assert_consistent(t, objs)
    # The committed file is a file like any other.
    r2 = t.request("GET", f"/api/storage/files/{d['p1'][0]}")
    assert r2.status_code == 200 and r2.json()["data"]["size"] == 1500

    again = reconcile(stack, "--customer", t.id, *objs.grace, check_rc=0)
    assert again["status"] == "clean"
    assert all(v == 0 for v in totals([again]).values())


def test_concurrent_runs_act_once(env):
    stack, objs = env
    t = Tenant(stack)
    d = damage(t, objs)
    base = dict(os.environ, COFFER_CONF=str(stack.conf))
    base.pop("JWT_SECRET", None)
    cmd = [stack.cofferctl, "reconcile", "--json", "--customer", t.id, *objs.grace]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=base) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    rcs = [p.returncode for p in procs]
    assert sorted(rcs) in ([0, 3], [3, 3]), (rcs, outs)
    reports = [json.loads(o) for o, _ in outs]
    assert totals(reports) == {"pending.committed": 1, "pending.released": 1,
                               "removals.removed": 1, "orphans.removed": 1,
                               "drift.customers": 1, "missing.missing": 0}, reports
    # The audit trail agrees: one settlement per row, one recalculation kept.
    assert t.db(f"SELECT count(*) FROM audit_log WHERE customer_id = :customer"
                f" AND file_id = '{d['p1'][0]}' AND action = 'upload'") == "1"
    assert t.db(f"SELECT count(*) FROM audit_log WHERE customer_id = :customer"
                f" AND file_id = '{d['p2'][0]}' AND action = 'release'") == "1"
    assert t.db("SELECT count(*) FROM audit_log WHERE customer_id = :customer"
                " AND action = 'recalculate' AND actor LIKE 'cofferctl:%'") == "1"
    assert_consistent(t, objs)
    reconcile(stack, "--customer", t.id, *objs.grace, check_rc=0)


def test_in_flight_and_young_objects_left_alone(env):
    """An upload in flight: its row is pending (younger than pending_timeout)
    and its object already written, even with an old mtime (the local
    backend links nginx's body file).  A young object without a row is
    left for a later run.  Neither is touched, with the grace at zero too."""
    stack, objs = env
    t = Tenant(stack)
    fid, key = inject_pending(t, pdf_of_size(1200), True, objs, age=5)
    if isinstance(objs, LocalObjects):
        t_old = time.time() - 5 * HOUR
        os.utime(objs.root / key, (t_old, t_old))
    young = new_key(t)
    objs.put(young, pdf_of_size(800))
    r = reconcile(stack, "--customer", t.id)
    assert r["status"] == "clean" and r["orphans"]["young"] == 1, r
    r = reconcile(stack, "--customer", t.id, "--grace", "0s")
    assert r["orphans"]["removed"] == 1
    assert [i["storageKey"] for i in r["orphans"]["items"]] == [young]
    assert objs.exists(key) and not objs.exists(young)
    assert t.db(f"SELECT state FROM files WHERE id = '{fid}'") == "pending"
    assert t.quota()["reserved"] == 1200


def test_lost_object_reported(env):
    """A stored file whose object vanished cannot be repaired: it is
    reported, exit 4, and the row is left for people to decide."""
    stack, objs = env
    t = Tenant(stack)
    d = t.upload(pdf_of_size(1000)).json()["data"]
    t.db(f"UPDATE files SET stored_at = now() - interval '1 minute'"
         f" WHERE id = '{d['fileId']}'")
    if isinstance(objs, LocalObjects):
        (objs.root / d["filePath"]).unlink()
    else:
        assert objs._req("DELETE", "/" + d["filePath"]).status_code == 204
    r = reconcile(stack, "--customer", t.id, check_rc=4)
    assert r["status"] == "damaged"
    assert [(i["fileId"], i["action"]) for i in r["missing"]["items"]] == [
        (d["fileId"], "missing")]
    assert t.db(f"SELECT state FROM files WHERE id = '{d['fileId']}'") == "stored"


def test_every_customer_and_human_output(env):
    stack, objs = env
    a, b = Tenant(stack), Tenant(stack)
    da, db_ = damage(a, objs), damage(b, objs)
    human = stack.ctl("reconcile", "--dry-run", *objs.grace, check=False)
    assert human.returncode in (3, 4), human.stdout + human.stderr
    assert "dry run: nothing changed" in human.stdout
    assert da["orphan"] in human.stdout and db_["orphan"] in human.stdout
    r = reconcile(stack, *objs.grace)
    assert r["customer"] is None and r["exitStatus"] in (3, 4) and r["errors"] == []
    mine = {a.id, b.id}
    assert {i["customerId"] for i in r["drift"]["items"]} >= mine
    assert {i["storageKey"] for i in r["orphans"]["items"]} >= {da["orphan"], db_["orphan"]}
    for t in (a, b):
        assert_consistent(t, objs)
    # Whatever other suites left behind was settled by that run too.
    r = reconcile(stack, *objs.grace)
    assert r["exitStatus"] in (0, 4), r
    assert all(v == 0 for k, v in totals([r]).items() if k != "missing.missing")
    assert not mine & {i["customerId"] for i in r["missing"]["items"]}


def test_reconcile_usage_errors(stack):
    for args in (["--customer", "nope"], ["--grace", "soon"], ["--bogus"]):
        assert stack.ctl("reconcile", *args, check=False).returncode == 2
    r = reconcile(stack, "--customer", str(uuid.uuid4()), check_rc=1)
    assert "no such customer" in r["errors"][0]
