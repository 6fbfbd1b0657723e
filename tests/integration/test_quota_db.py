"""The quota engine against the stack's PostgreSQL, and its cofferctl commands.

tests/db/check_quota (a Check suite built by `make check`) does the real work:
atomic reserve/commit under 50 racing processes, the property test, settle-
pending, recalculation drift, the append-only audit trail, and a connection
killed under it. Here it runs with the stack's DATABASE_URL; a second run
stops and starts the stack's PostgreSQL for real while the suite holds a
connection, then checks that cofferd's workers recovered too.
"""
import glob
import json
import os
import pwd
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

def _check_quota_path():
    """CHECK_QUOTA, else beside the cofferctl under test (scripts/test builds
    out of tree and exports COFFERCTL per build), else the in-tree build."""
    if os.environ.get("CHECK_QUOTA"):
        return os.environ["CHECK_QUOTA"]
    if os.environ.get("COFFERCTL"):
        return str(Path(os.environ["COFFERCTL"]).resolve().parents[1] / "tests" / "db" / "check_quota")
    return str(ROOT / "tests" / "db" / "check_quota")


CHECK_QUOTA = _check_quota_path()


def run_check(stack, extra_env=None, timeout=600):
    assert os.access(CHECK_QUOTA, os.X_OK), f"{CHECK_QUOTA} not built (make check builds it)"
    env = dict(os.environ, DATABASE_URL=stack.env["DATABASE_URL"])
    env.pop("COFFER_DB_POOLED", None)
    env.pop("COFFER_PG_DIRECT_URL", None)
    if "COFFER_PG_DIRECT_URL" in stack.env:
        # Through PgBouncer: statements as cofferd runs them there, the
        # migration past it (it takes a session lock).
        env.update(COFFER_DB_POOLED="1", COFFER_PG_DIRECT_URL=stack.env["COFFER_PG_DIRECT_URL"])
    env.pop("QUOTA_PG_STOP", None)
    env.pop("QUOTA_PG_START", None)
    env.update(extra_env or {})
    proc = subprocess.run([CHECK_QUOTA], capture_output=True, text=True, env=env,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"check_quota failed ({proc.returncode}):\n{out}"
    return out


def pg_ctl_command(stack, action):
    """A shell command that runs pg_ctl ACTION on the stack's cluster as its owner."""
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                     key=lambda d: int(d.split("/")[4]))
    pg_ctl = os.path.join(os.environ.get("PG_BINDIR", bindirs[-1]), "pg_ctl")
    pgdata = stack.env["COFFER_PGDATA"]
    log = os.path.join(stack.env["COFFER_LOG_DIR"], "postgres.log")
    cmd = f"{pg_ctl} -D {pgdata} -l {log} -w -t 30 {action}"
    if action == "stop":
        cmd += " -m fast"
    owner = pwd.getpwuid(os.stat(pgdata).st_uid).pw_name
    if os.geteuid() == 0 and owner != "root":
        cmd = f"cd / && runuser -u {owner} -- {cmd}"
    return cmd + " >/dev/null"


def test_quota_engine_suite(stack):
    out = run_check(stack)
    assert "100%: Checks:" in out, out


def test_quota_postgres_restart(stack):
    """Stop PostgreSQL under a live connection: ERR_DB, no crash; after the
    restart the next call succeeds on a fresh connection."""
    start = pg_ctl_command(stack, "start")
    try:
        out = run_check(stack, {"CK_RUN_CASE": "restart",
                                "QUOTA_PG_STOP": pg_ctl_command(stack, "stop"),
                                "QUOTA_PG_START": start})
        assert "Checks: 1, Failures: 0, Errors: 0" in out, out
    finally:
        # Whatever happened, leave the cluster running for the other tests.
        subprocess.run(start, shell=True, capture_output=True)
    # cofferd's workers held connections to the old server: /readyz (db_ping)
    # must recover on fresh ones without a restart of cofferd.
    stack.wait_for(lambda: stack.get("/readyz", timeout=5).status_code == 200,
                   timeout=20, what="/readyz to recover after the PostgreSQL restart")


def test_cofferctl_plans_customers_recalculate(stack):
    plan = "it" + uuid.uuid4().hex[:10]
    cid = str(uuid.uuid4())
    out = stack.ctl("plan", "set", plan, "--limit", "20MiB", "--max-file-size", "5MiB").stdout
    assert f"plan {plan} created" in out
    listing = stack.ctl("plan", "list").stdout
    assert any(line.split()[:3] == [plan, "20", "MB"] for line in listing.splitlines()), listing
    assert "enterprise" in listing and "Unlimited" in listing

    stack.ctl("customer", "create", "--id", cid, "--plan", plan)
    shown = json.loads(stack.ctl("customer", "show", cid).stdout)
    assert shown["used"] == 0 and shown["limit"] == 20 * 2**20
    assert shown["plan"] == plan and shown["status"] == "active"
    assert shown["percentage"] == 0 and shown["limitFormatted"] == "20 MB"

    stack.ctl("customer", "set-limit", cid, "unlimited")
    shown = json.loads(stack.ctl("customer", "show", cid).stdout)
    assert shown["limit"] is None and shown["limitFormatted"] == "Unlimited"
    assert shown["available"] is None and shown["percentage"] == 0
    stack.ctl("customer", "set-limit", cid, "plan")
    stack.ctl("customer", "set-plan", cid, "enterprise")
    stack.ctl("customer", "suspend", cid)
    assert json.loads(stack.ctl("customer", "show", cid).stdout)["status"] == "suspended"
    stack.ctl("customer", "activate", cid)

    # Drift on purpose, then recalculate: exit 0 and the exact drift.
    stack.psql(f"UPDATE customers SET storage_used = storage_used + 12345 "
               f"WHERE customer_id = '{cid}'")
    proc = stack.ctl("recalculate", cid)
    assert proc.returncode == 0
    assert f"customer {cid}: used 12345 -> 0 (drift +12345)" in proc.stdout, proc.stdout
    again = stack.ctl("recalculate", cid).stdout
    assert "(no drift)" in again, again
    every = stack.ctl("recalculate", "--all")
    assert every.returncode == 0 and f"customer {cid}:" in every.stdout

    actions = stack.psql(f"SELECT string_agg(action, ',' ORDER BY id) FROM audit_log "
                         f"WHERE customer_id = '{cid}'")
    assert actions.startswith("customer.create,customer.limit,customer.limit,"
                              "customer.plan,customer.suspend,customer.activate,"
                              "recalculate,recalculate"), actions


@pytest.mark.parametrize("args, fragment", [
    (["customer", "create", "--id", "not-a-uuid", "--plan", "starter"], "invalid input syntax"),
    (["customer", "create", "--id", str(uuid.uuid4()), "--plan", "nosuchplan"], "no such plan"),
    (["customer", "show", str(uuid.uuid4())], "customer not found"),
    (["customer", "set-limit", str(uuid.uuid4()), "lots"], "bad limit"),
    (["plan", "set", "Bad Name", "--limit", "1GiB"], "a plan name is"),
    (["recalculate", str(uuid.uuid4())], "customer not found"),
])
def test_cofferctl_errors_are_one_line(stack, args, fragment):
    proc = stack.ctl(*args, check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
