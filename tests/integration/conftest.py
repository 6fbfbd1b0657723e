"""Shared fixtures: one real stack (PostgreSQL, cofferd, nginx over TLS) per session.

The stack comes from `scripts/stack up`, exactly as operators and CI use it.
Nothing here mocks a service: if the stack cannot start, every test fails.
"""
import functools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import urllib3

import openapi
from helpers import ROOT, output_dir

# The self-signed certificate is verified against the stack's own CA file;
# urllib3 still warns about the IP-address SAN on some versions.
urllib3.disable_warnings()


def read_env(path):
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        env[key] = value
    return env


class VerifyingSession(requests.Session):
    """requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override Session.verify;
    pin the stack's own certificate on every request instead. Every JSON
    answer is held to docs/openapi.yaml (openapi.py): a test that receives
    an answer the reference does not describe fails."""

    def __init__(self, ca):
        super().__init__()
        self.ca = ca

    def request(self, method, url, **kw):
        kw.setdefault("verify", self.ca)
        resp = super().request(method, url, **kw)
        if not kw.get("stream"):
            openapi.check(resp)
        return resp


class Stack:
    """A running stack and the operations tests perform on it."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.root = ROOT
        self.env = read_env(self.dir / "stack.env")
        self.url = self.env["COFFER_URL"]
        self.conf = Path(self.env["COFFER_CONF"])
        self.cofferd = os.environ.get("COFFERD", str(ROOT / "src" / "cofferd"))
        self.cofferctl = os.environ.get("COFFERCTL", str(ROOT / "src" / "cofferctl"))
        self.ca = self.env["COFFER_CA_CERT"]
        self.session = VerifyingSession(self.ca)

    # --- HTTP through nginx -------------------------------------------
    def request(self, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.url + path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def declare_body(self, method, path, length, headers=None):
        """Send only the headers of a request announcing a length-byte body;
        returns (status, parsed JSON body) of nginx's early answer."""
        import http.client
        import ssl
        port = int(self.url.rsplit(":", 1)[1])
        ctx = ssl.create_default_context(cafile=self.ca)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
        try:
            conn.putrequest(method, path)
            conn.putheader("Content-Length", str(length))
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.endheaders()
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null")
        finally:
            conn.close()

    def new_session(self):
        return VerifyingSession(self.ca)

    def raw_request(self, request_bytes, source=None):
        """Send these bytes exactly (no client-side normalisation, repeated
        headers kept) over TLS, from source address `source` if given;
        returns (status, lower-cased headers dict, de-chunked body bytes)."""
        import socket
        import ssl
        ctx = ssl.create_default_context(cafile=self.ca)
        port = int(self.env["COFFER_HTTPS_PORT"])
        with socket.create_connection(("127.0.0.1", port), timeout=30,
                                      source_address=(source, 0) if source else None) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(request_bytes)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding") == "chunked":
            out, rest = b"", body
            while rest:
                size, _, rest = rest.partition(b"\r\n")
                n = int(size, 16)
                if n == 0:
                    break
                out, rest = out + rest[:n], rest[n + 2:]
            body = out
        return int(lines[0].split()[1]), headers, body

    # --- the daemon ----------------------------------------------------
    def master_pid(self):
        return int(Path(self.env["COFFER_PIDFILE"]).read_text().strip())

    def ctl(self, *args, check=True, env=None):
        e = dict(os.environ, COFFER_CONF=str(self.conf))
        # The stack's coffer.conf is the only source of its JWT secret.
        e.pop("JWT_SECRET", None)
        if env:
            e.update(env)
        proc = subprocess.run([self.cofferctl, *args], capture_output=True, text=True,
                              env=e, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"cofferctl {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def status(self, conf=None):
        env = {"COFFER_CONF": str(conf)} if conf else None
        return json.loads(self.ctl("status", env=env).stdout)

    def worker_pids(self, generation=None, conf=None):
        procs = self.status(conf)["processes"]
        return sorted(p["pid"] for p in procs
                      if generation is None or p["generation"] == generation)

    def wait_for(self, predicate, timeout=10.0, interval=0.02, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def log_text(self):
        return Path(self.env["COFFER_LOG"]).read_text(errors="replace")

    def reload(self):
        os.kill(self.master_pid(), signal.SIGHUP)

    def start_cofferd(self, conf=None, extra_env=None):
        """Start a cofferd master the way scripts/stack does; returns Popen."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "STORAGE_TYPE", "LOCAL_STORAGE_PATH",
                            "MAX_FILE_SIZE", "DEFAULT_STORAGE_LIMIT", "S3_ENDPOINT",
                            "S3_BUCKET_NAME", "AWS_ACCESS_KEY_ID",
                            "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_SESSION_TOKEN",
                            "S3_SIGNATURE", "JWT_SECRET",
                            "COFFER_LINK_SECRET", "COFFER_PUBLIC_URL")}
        if extra_env:
            env.update(extra_env)
        log = open(self.env["COFFER_LOG"], "ab")
        proc = subprocess.Popen([self.cofferd, "-c", str(conf or self.conf), "-f"],
                                stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        if conf is None:
            Path(self.env["COFFER_PIDFILE"]).write_text(f"{proc.pid}\n")
            self.wait_for(lambda: self._healthy(), what="cofferd to serve /healthz")
        return proc

    def _healthy(self):
        try:
            return self.get("/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    # --- the database ----------------------------------------------------
    def psql(self, sql, admin=False):
        url = self.env["COFFER_PG_ADMIN_URL"] if admin else self.env["DATABASE_URL"]
        proc = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", url, "-c", sql], capture_output=True, text=True,
                              timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"psql failed: {proc.stderr}")
        return proc.stdout.strip()


def pytest_terminal_summary(terminalreporter):
    if openapi.stats["validated"] or openapi.stats["errors_only"]:
        terminalreporter.write_line(
            f"docs/openapi.yaml: {openapi.stats['validated']} JSON answers matched their "
            f"documented schema, {openapi.stats['errors_only']} undocumented failures had "
            "the error shape")


def pytest_configure(config):
    """A SIGTERM (CI cancelling a job, `kill`) would end pytest without running
    the fixtures' teardown and leave stacks running: turn it into the same
    KeyboardInterrupt as Ctrl-C, which pytest unwinds through every finalizer."""
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium (scripts/test runs these once, "
        "in the debug build's pass; the ASan and pooled passes deselect them)")
    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)


# Files are charged their bare size in the suites' stacks: their byte
# arithmetic (limits, thresholds, breakdowns) predates per-file charging.
# test_charges.py brings up a stack with production's rule (4 KiB blocks
# plus metadata) and checks that everything still adds up there.
BARE_SIZE_CHARGES = {"COFFER_STACK_CHARGE_BLOCK": "1", "COFFER_STACK_CHARGE_METADATA": "no"}


def _stack_up(directory, extra_env=None):
    env = dict(os.environ)
    env.update(BARE_SIZE_CHARGES)
    if extra_env:
        env.update(extra_env)
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "stack"), "up", str(directory)],
                          capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        logs = ""
        for name in ("cofferd.log", "nginx-error.log", "postgres.log", "stack.log"):
            p = Path(directory) / "log" / name
            if p.exists():
                logs += f"\n---- {name} ----\n" + p.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"scripts/stack up failed:\n{proc.stdout}\n{proc.stderr}{logs}")


def _stack_down(directory):
    subprocess.run(["bash", str(ROOT / "scripts" / "stack"), "down", str(directory)],
                   capture_output=True, text=True, timeout=120)


def _session_stack(prefix, extra_env=None):
    """Bring up a stack in a fresh temp dir, migrated; yields it, then tears
    it down and checks cofferd's log for sanitizer reports."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(directory, 0o755)
    try:
        _stack_up(directory, extra_env)
        s = Stack(directory)
        # The schema is the application's: every suite starts migrated.
        s.ctl("migrate")
        yield s
    finally:
        _stack_down(directory)
        # A sanitizer report in any daemon process fails the run, even when
        # every request happened to succeed; so does an error code missing
        # from src/http/errcodes.h (test builds log it: resp.c).
        log = (directory / "log" / "cofferd.log")
        text = log.read_text(errors="replace") if log.exists() else ""
        name = prefix.rstrip(".")
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                       "uncatalogued error code"):
            if marker in text:
                keep = output_dir() / f"sanitizer-cofferd-{name}.log"
                keep.write_text(text)
                pytest.fail(f"{marker!r} in cofferd.log (kept as {keep})")
        keep = output_dir() / ("stack-logs" if name == "coffer-it" else f"stack-logs-{name}")
        shutil.rmtree(keep, ignore_errors=True)
        if (directory / "log").exists():
            shutil.copytree(directory / "log", keep)
        shutil.rmtree(directory, ignore_errors=True)


def pooler_env():
    """COFFER_TEST_POOLER=pgbouncer: the session's stacks put PgBouncer in
    transaction mode between cofferd and PostgreSQL (scripts/test runs the
    storage API, quota race and two-pool suites that way too)."""
    pooler = os.environ.get("COFFER_TEST_POOLER", "none")
    if pooler not in ("none", "pgbouncer"):
        raise RuntimeError(f"COFFER_TEST_POOLER must be none or pgbouncer, not {pooler!r}")
    return {"COFFER_DB_POOLER": pooler}


@pytest.fixture(scope="session")
def stack():
    yield from _session_stack("coffer-it.", pooler_env())


def _s3_stack_env(signature):
    """What scripts/stack needs for an S3 stack: the peer is Ceph RGW, which
    checks signatures like AWS. COFFER_TEST_S3_PEER=s3rver gives a faster
    inner loop that proves nothing about V4: s3rver accepts any V4
    signature, so there the V4 stack's signature tests (tampered links, a
    wrong secret, check_store_s3's v4 case) fail, as they should; select
    `-k "local or s3v2"` with it."""
    return {"STORAGE_TYPE": "s3", "S3_SIGNATURE": signature,
            "S3_PEER": os.environ.get("COFFER_TEST_S3_PEER", "ceph")}


@pytest.fixture(scope="session")
def s3_stack():
    """A second stack whose cofferd stores objects in an S3 peer (Ceph RGW)
    and signs with Signature V4 (the default); stack.env then carries
    S3_ENDPOINT, S3_BUCKET_NAME, the AWS_* keys, S3_PEER and S3_SIGNATURE."""
    yield from _session_stack("coffer-s3.", {**_s3_stack_env("v4"), **pooler_env()})


@pytest.fixture(scope="session")
def s3v2_stack():
    """Like s3_stack, with [s3] signature = v2 (libs3) against the same kind
    of peer."""
    yield from _session_stack("coffer-s3v2.", {**_s3_stack_env("v2"), **pooler_env()})


@pytest.fixture(scope="module", params=["s3", "s3v2"])
def any_s3(request):
    """The S3 stack of each signature in turn."""
    return request.getfixturevalue("s3_stack" if request.param == "s3" else "s3v2_stack")


@pytest.fixture(scope="session")
def pooled_stack():
    """A stack with its own PgBouncer (transaction mode) whatever
    COFFER_TEST_POOLER says, and more workers (8) than server connections
    (2): tests/integration/test_pooler.py."""
    yield from _session_stack("coffer-pgb.", {"COFFER_DB_POOLER": "pgbouncer",
                                              "COFFER_PGBOUNCER_POOL": "2",
                                              "COFFER_WORKERS": "8"})


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def app_server():
    """A plain static HTTP server on its own loopback port: a SaaS web app's
    origin (.origin), serving .root (which the test fills)."""
    root = Path(tempfile.mkdtemp(prefix="coffer-app."))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler,
                                                                   directory=str(root)))
    srv.root = root
    srv.origin = f"http://127.0.0.1:{srv.server_address[1]}"
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()
    shutil.rmtree(root, ignore_errors=True)


CORS_APP_ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def cors_stack(app_server):
    """A stack whose nginx allows two web origins (CORS): CORS_APP_ORIGIN and
    app_server's; the latter is also .app_origin."""
    for s in _session_stack("coffer-clients.", {
            "COFFER_STACK_CORS_ORIGINS": f"{CORS_APP_ORIGIN}, {app_server.origin}"}):
        s.app_origin = app_server.origin
        yield s


@pytest.fixture(scope="module", params=["local", "s3", "s3v2"])
def api(request):
    """The stack of each storage backend in turn: suites that must hold on
    every backend (the storage API, download links) take `api` instead of
    `stack` and run on the local stack, the S3 stack with V4 and the one
    with V2."""
    return request.getfixturevalue({"local": "stack", "s3": "s3_stack",
                                    "s3v2": "s3v2_stack"}[request.param])


@pytest.fixture
def conf_restore(stack):
    """Tests that edit coffer.conf get it back, reloaded, afterwards."""
    original = stack.conf.read_text()
    yield stack.conf
    if stack.conf.read_text() != original:
        stack.conf.write_text(original)
        gen = stack.status()["generation"]
        stack.reload()
        stack.wait_for(lambda: stack.status()["generation"] > gen, what="reload")


@pytest.fixture
def second_pool(stack, tmp_path):
    """Write a config for a second cofferd pool on its own sockets; yields a
    function that returns (conf_path, socket_path, status_socket_path)."""
    def make(extra=""):
        import re
        d = Path(tempfile.mkdtemp(prefix="pool2.", dir="/tmp"))
        os.chmod(d, 0o777)
        text = stack.conf.read_text()
        sock, status = d / "cofferd.sock", d / "status.sock"
        text = re.sub(r"(?m)^listen\s*=.*$", f"listen = unix:{sock}", text)
        text = re.sub(r"(?m)^status_socket\s*=.*$", f"status_socket = {status}", text)
        text = re.sub(r"(?m)^pid_file\s*=.*$", "", text)
        conf = d / "coffer.conf"
        conf.write_text(text + extra)
        os.chmod(conf, 0o644)
        return conf, sock, status
    return make
