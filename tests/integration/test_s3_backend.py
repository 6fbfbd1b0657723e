"""The S3 backends (src/store/store_s3v4.c, V4; store_s3.c, V2) against the
S3 peer of a real stack (Ceph RGW, which checks signatures).

`check_store_s3` (built by `make check`) is run with the stack's S3
settings, once per signature: it puts, reads back through presigned URLs
(tampered and expired ones refused), lists over several pages, and checks
failures and memory; for V4 also multipart above the threshold, wrong
credentials named in the error, HTTPS verified by default (and with
[s3] ca_file), and that libcurl's signature is the one sigv4.c computes. The outage case stops the stack's S3 front end under an
open backend handle and starts it again (`scripts/stack s3-stop|s3-start`).
"""
import os
import re
import subprocess
from pathlib import Path

from helpers import s3_peer_commands

ROOT = Path(__file__).resolve().parents[2]


def _check_store_s3_path():
    """CHECK_STORE_S3, else beside the cofferctl under test (scripts/test
    builds out of tree and exports COFFERCTL per build), else in-tree."""
    if os.environ.get("CHECK_STORE_S3"):
        return Path(os.environ["CHECK_STORE_S3"])
    if os.environ.get("COFFERCTL"):
        return Path(os.environ["COFFERCTL"]).resolve().parents[1] / "tests" / "s3" / "check_store_s3"
    return ROOT / "tests" / "s3" / "check_store_s3"


CHECK = _check_store_s3_path()


def s3_env(s3_stack, **extra):
    env = dict(os.environ)
    for key in ("S3_ENDPOINT", "S3_BUCKET_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_REGION", "S3_SIGNATURE", "COFFER_HTTPS_PORT", "COFFER_CA_CERT"):
        env[key] = s3_stack.env[key]
    env.update(extra)
    return env


def run_check(env, case, wrap=()):
    assert CHECK.exists(), f"{CHECK} is missing: build it with `make check`"
    env = dict(env, CK_RUN_CASE=case, CK_VERBOSITY="verbose")
    proc = subprocess.run([*wrap, str(CHECK)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, f"check_store_s3 ({case}) failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def checks_passed(out):
    """The number of checks of a fully passing run (a case name that
    matches nothing would pass with zero)."""
    m = re.search(r"^100%: Checks: (\d+), Failures: 0, Errors: 0$", out, re.M)
    assert m, out
    return int(m.group(1))


def test_stack_serves_with_s3_backend(any_s3):
    assert any_s3.env["STORAGE_TYPE"] == "s3"
    assert any_s3.env["S3_PEER"] == os.environ.get("COFFER_TEST_S3_PEER", "ceph")
    r = any_s3.get("/healthz")
    assert r.status_code == 200


def test_check_store_s3_against_the_stack_peer(any_s3):
    out = run_check(s3_env(any_s3), "live")
    assert checks_passed(out) == 9, out


def test_check_store_s3_v4_signing_multipart_and_errors(s3_stack):
    assert s3_stack.env["S3_SIGNATURE"] == "v4"
    out = run_check(s3_env(s3_stack), "v4")
    assert checks_passed(out) == 5, out


def test_skewed_clock_is_named_in_the_error(s3_stack):
    """This host's clock 20 minutes behind (faketime, installed by
    scripts/install-deps): RGW refuses with RequestTimeTooSkewed and the
    backend's message says to sync the clock."""
    # faketime is an LD_PRELOAD library: under AddressSanitizer it comes
    # before ASan's runtime, which ASan refuses unless told it may.
    asan = os.environ.get("ASAN_OPTIONS", "")
    out = run_check(s3_env(s3_stack, COFFER_CLOCK_SKEWED="-20m", DONT_FAKE_MONOTONIC="1",
                           ASAN_OPTIONS=(asan + ":" if asan else "") + "verify_asan_link_order=0"),
                    "skew", wrap=("faketime", "-f", "-20m"))
    assert checks_passed(out) == 1, out


def test_check_store_s3_fails_without_a_peer():
    env = {k: v for k, v in os.environ.items()
           if k not in ("S3_ENDPOINT", "S3_BUCKET_NAME", "AWS_ACCESS_KEY_ID",
                        "AWS_SECRET_ACCESS_KEY")}
    assert CHECK.exists(), f"{CHECK} is missing: build it with `make check`"
    proc = subprocess.run([str(CHECK)], capture_output=True, text=True,
                          env=dict(env, CK_RUN_CASE="live"), timeout=120)
    assert proc.returncode != 0
    assert "S3_ENDPOINT is not set" in proc.stdout + proc.stderr


def test_peer_outage_and_recovery(any_s3):
    s3_stack = any_s3
    stop, start = s3_peer_commands(s3_stack)
    try:
        out = run_check(s3_env(s3_stack, S3_PEER_STOP_CMD=stop, S3_PEER_START_CMD=start),
                        "outage")
        assert checks_passed(out) == 1, out
    finally:
        # Whatever happened, leave the peer running for the rest of the session.
        if subprocess.run(["curl", "-s", "-o", "/dev/null", "--max-time", "1",
                           f"http://{s3_stack.env['S3_ENDPOINT']}/"]).returncode != 0:
            subprocess.run(["bash", "-c", start], timeout=30)
    # cofferd was never restarted and still serves.
    assert s3_stack.get("/healthz").status_code == 200

