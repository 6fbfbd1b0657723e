"""The client side (issue 20), against one stack whose nginx allows two web
origins: cross-origin use (CORS) from the outside, the React package
(clients/react, built, packed and installed into a fresh app served from
its own origin) in headless Chromium, and the PHP client (clients/php)
under PHPUnit.

CORS: [server] cors_origins, rendered for nginx by `cofferctl cors`;
nginx answers an allowed origin's preflight itself, before authentication,
and labels every answer to it (errors included); an origin not configured
gets no CORS header at all."""
import functools
import shutil
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import _session_stack
from storage_api import Tenant, pdf_of_size

APP = "https://app.example.com"
OTHER = "https://evil.example.com"
TUS = ["Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata",
       "Upload-Defer-Length", "Upload-Concat"]
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                "Access-Control-Allow-Headers", "Access-Control-Max-Age",
                "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def app_server():
    """A plain static server on its own loopback port: the SaaS app's origin.
    Serves app_server.root (filled by the react_app fixture)."""
    root = Path(tempfile.mkdtemp(prefix="coffer-app."))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    srv.root = root
    srv.origin = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def cors_stack(app_server):
    for stack in _session_stack("coffer-clients.", {
            "COFFER_STACK_CORS_ORIGINS": f"{APP}, {app_server.origin}"}):
        stack.app_origin = app_server.origin
        yield stack


def preflight(stack, origin, method="POST", headers="authorization, content-type",
              path="/api/storage/upload"):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return stack.request("OPTIONS", path, headers=h)


def test_preflight_answered_before_auth_for_an_allowed_origin(cors_stack):
    r = preflight(cors_stack, APP, headers="authorization, content-type, " + ", ".join(TUS).lower())
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == APP
    assert r.headers["Vary"] == "Origin"
    methods = {m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", *(t.lower() for t in TUS)} <= allowed
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in r.headers
    # Every API path, DELETE too: nothing reached cofferd's /auth.
    r = preflight(cors_stack, APP, method="DELETE", path="/api/storage/file")
    assert r.status_code == 204 and r.headers["Access-Control-Allow-Origin"] == APP
    r = preflight(cors_stack, cors_stack.app_origin, method="GET", headers=None,
                  path="/api/storage/stats")
    assert r.headers["Access-Control-Allow-Origin"] == cors_stack.app_origin


def test_unconfigured_origin_gets_no_cors_headers(cors_stack):
    t = Tenant(cors_stack)
    for origin in (OTHER, APP + ".evil.example", APP.upper(), "null", APP + ":443"):
        r = preflight(cors_stack, origin)
        assert r.status_code == 204
        assert not [h for h in CORS_HEADERS if h in r.headers], (origin, r.headers)
        assert "Vary" not in r.headers
        r = t.request("GET", "/api/storage/quota", headers={"Origin": origin})
        assert r.status_code == 200
        assert not [h for h in CORS_HEADERS if h in r.headers], (origin, r.headers)


def test_answers_to_an_allowed_origin_are_labelled_errors_included(cors_stack):
    t = Tenant(cors_stack, limit=3000)
    o = {"Origin": APP}
    r = t.request("GET", "/api/storage/stats", headers=o)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == APP
    exposed = {h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Location", "Upload-Offset", "Upload-Length", "X-Request-Id", "Retry-After"} <= exposed
    assert "Access-Control-Allow-Methods" not in r.headers      # preflight only
    # nginx's own 401 (auth_request), cofferd's 507 and 415: the page can read them.
    r = cors_stack.request("GET", "/api/storage/quota", headers={**o, "Authorization": "Bearer x.y.z"})
    assert r.status_code == 401 and r.json()["code"]
    assert r.headers["Access-Control-Allow-Origin"] == APP
    r = t.request("POST", "/api/storage/upload", headers=o, data={"category": "avatars"},
                  files={"file": ("big.pdf", pdf_of_size(4000), "application/pdf")})
    assert r.status_code == 507 and r.json()["code"] == "QUOTA_EXCEEDED"
    assert r.headers["Access-Control-Allow-Origin"] == APP
    r = t.request("POST", "/api/storage/upload", headers=o, data={"category": "avatars"},
                  files={"file": ("x.pdf", b"#!/bin/sh\necho hi\n" * 20, "application/pdf")})
    assert r.status_code == 415 and r.json()["code"] == "MIME_NOT_ALLOWED"
    assert r.headers["Access-Control-Allow-Origin"] == APP


def test_default_stack_has_no_cors(stack):
    """Without cors_origins nothing is allowed: no header for any origin, and
    a preflight is still nginx's (204, never a 401 from /auth)."""
    r = preflight(stack, APP)
    assert r.status_code == 204
    assert not [h for h in CORS_HEADERS if h in r.headers], r.headers


def test_nginx_cors_renders_the_configured_origins(cors_stack, tmp_path):
    out = cors_stack.ctl("cors").stdout.splitlines()
    port = cors_stack.app_origin.rsplit(":", 1)[1]
    assert out[1:] == [r'"~^https://app\.example\.com$" "https://app.example.com";',
                       rf'"~^http://127\.0\.0\.1:{port}$" "http://127.0.0.1:{port}";']
    bad = tmp_path / "bad.conf"
    bad.write_text(cors_stack.conf.read_text().replace(
        "cors_origins = ", "cors_origins = * "))
    r = cors_stack.ctl("-c", str(bad), "cors", check=False)
    assert r.returncode == 1 and '[server] cors_origins: "*" is not an origin' in r.stderr

