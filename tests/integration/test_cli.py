"""What a newcomer types first (issue 21): --help and --version on both
programs, sizes shown in the one display convention, set-plan saying that an
override stays, and reconcile --dry-run saying why an orphan is kept."""
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest


def _run(stack, prog, *args):
    # No configuration at all: help and version must not need one.
    env = {k: v for k, v in os.environ.items() if k != "COFFER_CONF"}
    return subprocess.run([prog, *args], capture_output=True, text=True, env=env, timeout=30)


@pytest.mark.parametrize("which", ["cofferd", "cofferctl"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_exits_zero(stack, which, flag):
    p = _run(stack, getattr(stack, which), flag)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"usage: {which}"), p.stdout
    assert "invalid option" not in p.stderr + p.stdout
    assert "--version" in p.stdout


@pytest.mark.parametrize("which", ["cofferd", "cofferctl"])
@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(stack, which, flag):
    p = _run(stack, getattr(stack, which), flag)
    assert p.returncode == 0, p.stderr
    name, version = p.stdout.split()
    assert name == which and version[0].isdigit(), p.stdout


def test_command_help_needs_no_configuration(stack):
    p = _run(stack, stack.cofferctl, "-c", "/nonexistent.conf", "customer", "set-plan", "--help")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("usage: cofferctl") and "set-plan ID PLAN" in p.stdout
    bad = _run(stack, stack.cofferctl, "--no-such-option")
    assert bad.returncode == 2 and "usage: cofferctl" in bad.stderr


def test_sizes_one_convention_and_set_plan_says_the_override_stays(stack):
    cid = str(uuid.uuid4())
    stack.ctl("customer", "create", "--id", cid, "--plan", "starter")
    out = stack.ctl("customer", "set-limit", cid, "10GiB").stdout
    shown = json.loads(stack.ctl("customer", "show", cid).stdout)
    # What set-limit says is what show (and the API) say: one convention.
    assert shown["limit"] == 10 * 2**30 and shown["limitFormatted"] == "10 GiB"
    assert out.strip() == f"customer {cid} limit set to 10 GiB (override of plan starter)"

    out = stack.ctl("customer", "set-plan", cid, "enterprise").stdout
    assert out.strip() == (f"customer {cid} now on plan enterprise; limit stays 10 GiB (override); "
                           f"`cofferctl customer set-limit {cid} plan` to follow the plan")
    shown = json.loads(stack.ctl("customer", "show", cid).stdout)
    assert shown["plan"] == "enterprise" and shown["limit"] == 10 * 2**30

    out = stack.ctl("customer", "set-limit", cid, "plan").stdout
    assert out.strip() == f"customer {cid} limit follows plan enterprise: Unlimited"
    out = stack.ctl("customer", "set-plan", cid, "starter").stdout
    assert out.strip() == f"customer {cid} now on plan starter; limit 5 GiB (the plan's)"
    # "GB" typed is a power of 1000, and shown in the one convention.
    stack.ctl("customer", "set-limit", cid, "1GB")
    shown = json.loads(stack.ctl("customer", "show", cid).stdout)
    assert shown["limit"] == 10**9 and shown["limitFormatted"] == "953.67 MiB"


def test_reconcile_dry_run_says_why_a_young_orphan_stays(stack):
    cid = str(uuid.uuid4())
    stack.ctl("customer", "create", "--id", cid, "--plan", "starter")
    root = Path(stack.env["LOCAL_STORAGE_PATH"])
    key = root / "customers" / cid / "avatars" / f"{uuid.uuid4()}.png"
    key.parent.mkdir(parents=True)
    key.write_bytes(b"\x89PNG\r\n\x1a\n")
    st = root.stat()
    for p in (key.parent.parent, key.parent, key):
        os.chown(p, st.st_uid, st.st_gid)
    p = stack.ctl("reconcile", "--customer", cid, "--dry-run", "--grace", "1h", check=False)
    line = next(l for l in p.stdout.splitlines() if l.startswith("objects in the store"))
    assert "1 without a file row: 0 would be removed, 1 left alone because they are " \
        "younger than the grace period" in line and "3600 s" in line, p.stdout
    assert key.exists()
    # Past the grace (0 s), the same orphan would be removed.
    p = stack.ctl("reconcile", "--customer", cid, "--dry-run", "--grace", "0s", check=False)
    line = next(l for l in p.stdout.splitlines() if l.startswith("objects in the store"))
    assert "1 without a file row: 1 would be removed, 0 left alone" in line, p.stdout
    stack.ctl("reconcile", "--customer", cid, "--grace", "0s", check=False)
    assert not key.exists()
