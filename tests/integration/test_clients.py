"""The client side (issue 20), against one stack whose nginx allows two web
origins: cross-origin use (CORS) from the outside, the React package
(clients/react, built, packed and installed into a fresh app served from
its own origin) in headless Chromium, and the PHP client (clients/php)
under PHPUnit.

CORS: [server] cors_origins, rendered for nginx by `cofferctl cors`;
nginx answers an allowed origin's preflight itself, before authentication,
and labels every answer to it (errors included); an origin not configured
gets no CORS header at all."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from helpers import (ROOT, Tenant, claims_for, output_dir, pdf_of_size, read_object,
                     run_browser_test, sign_jwt)

APP = "https://app.example.com"   # conftest.CORS_APP_ORIGIN
OTHER = "https://evil.example.com"
TUS = ["Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata",
       "Upload-Defer-Length", "Upload-Concat"]
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                "Access-Control-Allow-Headers", "Access-Control-Max-Age",
                "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials")


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
    # tus: creation and a PATCH, under their own nested nginx location.
    for method, path in (("POST", "/api/storage/uploads"),
                         ("PATCH", "/api/storage/uploads/0123456789abcdef"),
                         ("HEAD", "/api/storage/uploads/0123456789abcdef")):
        r = preflight(cors_stack, APP, method=method, path=path,
                      headers="authorization, tus-resumable, upload-length, upload-offset, "
                              "upload-metadata, content-type")
        assert r.status_code == 204 and r.headers["Access-Control-Allow-Origin"] == APP, \
            (method, r.status_code, r.headers)
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
    # tus: what tus-js-client reads, and the file a finished upload names
    # (a resume whose HEAD finds it complete).
    assert {"Location", "Upload-Offset", "Upload-Length", "Upload-Expires", "Tus-Resumable",
            "Coffer-File-Id", "Coffer-File-Path", "X-Request-Id", "Retry-After"} <= exposed
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


# ---- @coffer/react in Chromium, from another origin ------------------------

def _run(cmd, cwd, log, timeout=600):
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_audit="false",
               npm_config_fund="false")
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    log.append(f"$ {' '.join(map(str, cmd))}  (in {cwd}, exit {proc.returncode})\n"
               f"{proc.stdout}{proc.stderr}")
    assert proc.returncode == 0, "\n".join(log)[-10000:]
    return proc.stdout


# The React versions a fresh app is built with: the package's own (19) and
# the oldest major its peerDependencies allow.
REACT_18 = {"react": "18.3.1", "react-dom": "18.3.1", "@types/react": "18.3.32",
            "@types/react-dom": "18.3.7"}


@pytest.fixture(scope="module")
def react_apps(app_server):
    """Build clients/react, `npm pack` it, install the tarball into fresh
    apps (clients/react/test-app plus a package.json naming the tarball),
    one on React 19 and one on React 18, typecheck each against the shipped
    types and build them under the app server's root: /r19/ and /r18/.
    Yields {major: app URL}."""
    pkg = ROOT / "clients" / "react"
    assert (pkg / "node_modules" / "vite").is_dir(), \
        "clients/react/node_modules missing: run scripts/install-deps"
    work = Path(tempfile.mkdtemp(prefix="coffer-react."))
    log = []
    try:
        _run(["npm", "run", "build"], pkg, log)
        packed = json.loads(_run(["npm", "pack", "--json", "--pack-destination", str(work)],
                                 pkg, log))[0]
        shipped = {f["path"] for f in packed["files"]}
        assert {"package.json", "README.md", "dist/index.js", "dist/index.d.ts",
                "dist/styles.css"} <= shipped, shipped
        assert not [f for f in shipped if f.startswith(("src/", "test-app/", "node_modules/"))]
        dev = json.loads((pkg / "package.json").read_text())["devDependencies"]
        urls = {}
        for major, versions in (("19", dev), ("18", REACT_18)):
            app = work / f"app{major}"
            shutil.copytree(pkg / "test-app", app)
            (app / "package.json").write_text(json.dumps({
                "name": f"fresh-saas-app-react{major}", "private": True, "type": "module",
                "dependencies": {"@coffer/react": f"file:../{packed['filename']}",
                                 "react": versions["react"], "react-dom": versions["react-dom"]},
                "devDependencies": {"vite": dev["vite"], "typescript": dev["typescript"],
                                    "@types/react": versions["@types/react"],
                                    "@types/react-dom": versions["@types/react-dom"]},
            }, indent=2))
            _run(["npm", "install", "--prefer-offline", "--loglevel=error"], app, log)
            react = json.loads((app / "node_modules" / "react" / "package.json").read_text())
            assert react["version"] == versions["react"]
            assert (app / "node_modules" / "@coffer" / "react" / "dist" / "index.d.ts").is_file()
            _run(["npx", "--no-install", "tsc", "-p", "tsconfig.json"], app, log)
            _run(["npx", "--no-install", "vite", "build", "--base", f"/r{major}/",
                  "--outDir", str(app_server.root / f"r{major}"), "--emptyOutDir"], app, log)
            assert (app_server.root / f"r{major}" / "index.html").is_file()
            urls[major] = f"{app_server.origin}/r{major}"
        yield urls
    finally:
        (output_dir() / "clients").mkdir(exist_ok=True)
        (output_dir() / "clients" / "react-build.log").write_text("\n".join(log))
        shutil.rmtree(work, ignore_errors=True)


def _client_fixtures(stack):
    main = Tenant(stack, user="react-main")
    stack.ctl("plan", "set", "clienttiny", "--limit", "100MiB", "--max-file-size", "64KiB")
    near = Tenant(stack, plan="clienttiny", limit=100 * 1024, user="react-near")
    assert near.upload(pdf_of_size(45 * 1024)).status_code == 200
    assert near.upload(pdf_of_size(40 * 1024)).status_code == 200
    tight = Tenant(stack, plan="clienttiny", limit=30 * 1024, user="react-tight")
    assert tight.upload(pdf_of_size(10 * 1024)).status_code == 200
    now = int(time.time())
    expired = sign_jwt(stack, claims_for(main.id, user="react-main", iat=now - 700, exp=now - 120))
    # Resumable uploads: an empty tenant with two tokens of one user (the
    # second one stands for a refreshed token), and one that 20 MiB does
    # not fit (the starter plan allows 50 MiB a file).
    big = Tenant(stack, user="react-tus")
    full = Tenant(stack, limit=10 * 1024 * 1024, user="react-full")
    tenants = {"main": main, "tight": tight, "tus": big, "full": full}
    return tenants, {"main": {"token": main.token}, "near": {"token": near.token},
                     "tight": {"token": tight.token}, "expired": {"token": expired},
                     "tus": {"token": big.token, "token2": big.issue("member")},
                     "full": {"token": full.token}}


def _big_pdf(path, n):
    """n bytes libmagic calls a PDF, random after the header (so that a
    byte out of place shows), written to path; returns the bytes."""
    head, tail = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", b"\n%%EOF\n"
    data = head + os.urandom(n - len(head) - len(tail)) + tail
    path.write_bytes(data)
    return data


@pytest.mark.browser
@pytest.mark.parametrize("major", ["19", "18"])
def test_react_package_in_chromium_from_another_origin(cors_stack, react_apps, major, tmp_path):
    """tests/clients/react.test.mjs: the hook and the card, cross-origin,
    in an app on React 19 and in one on React 18; then, on the server, what
    its uploads left: the files above the threshold came through tus whole,
    the small one as one POST, the refused ones charged nothing."""
    tenants, fixtures = _client_fixtures(cors_stack)
    files = {"card": tmp_path / "survey 2026.pdf", "resume": tmp_path / "contract-big.pdf"}
    data = {k: _big_pdf(p, 20 * 1024 * 1024) for k, p in files.items()}
    access_log = Path(cors_stack.env["COFFER_LOG_DIR"]) / "nginx-access.log"
    log_from = access_log.stat().st_size
    out = output_dir() / "clients" / f"react{major}-uploads.json"
    out.unlink(missing_ok=True)
    run_browser_test(ROOT / "tests" / "clients" / "react.test.mjs",
                     {"COFFER_URL": cors_stack.url, "APP_URL": react_apps[major],
                      "COFFER_CLIENT_FIXTURES": json.dumps(fixtures),
                      "COFFER_CLIENT_FILES": json.dumps({k: str(p) for k, p in files.items()}),
                      "COFFER_SHOTS": f"react{major}"},
                     Path("clients") / f"react{major}.test.log")

    uploaded = json.loads(out.read_text())
    with access_log.open("rb") as f:
        f.seek(log_from)
        requests = [line.split(b'"')[1].decode() for line in f if b'"' in line]
    big = tenants["tus"]
    for key in ("card", "resume"):
        u = uploaded["card" if key == "card" else "resumed"]
        # Through the tus route: its upload row, completed, of this length,
        # and its chunks in nginx's log; the stored object is the file.
        row = big.db("SELECT upload_length, upload_offset, completed_at IS NOT NULL FROM tus_uploads"
                     f" WHERE customer_id = :customer AND id = '{u['fileId']}'")
        assert row == f"{len(data[key])}|{len(data[key])}|t", (key, row)
        assert any(r.startswith(f"PATCH /api/storage/uploads/{u['fileId']} ") for r in requests), key
        assert read_object(cors_stack, u["filePath"]) == data[key], key
        assert big.db(f"SELECT sha256, size FROM files WHERE id = '{u['fileId']}'") == \
            f"{hashlib.sha256(data[key]).hexdigest()}|{len(data[key])}"
    # The resumed one: its second attempt asked the server where it stood.
    assert any(r.startswith(f"HEAD /api/storage/uploads/{uploaded['resumed']['fileId']} ") for r in requests)
    q = big.quota()
    assert (q["used"], q["reserved"]) == (2 * 20 * 1024 * 1024, 0), q
    assert big.stored_sum() == q["used"]
    # Below the threshold: one multipart POST, no upload row.
    small = tenants["main"].db("SELECT count(*) FROM tus_uploads WHERE customer_id = :customer"
                               f" AND id = '{uploaded['small']['fileId']}'")
    assert small == "0"
    assert read_object(cors_stack, uploaded["small"]["filePath"])[:9] == b"%PDF-1.4\n"
    # Refused at creation (507 for "full", 413 for "tight"): nothing
    # reserved, no upload row, nothing charged.
    for name in ("full", "tight"):
        t = tenants[name]
        assert t.db("SELECT count(*) FROM tus_uploads WHERE customer_id = :customer") == "0", name
        assert t.quota()["reserved"] == 0, name
    assert tenants["full"].quota()["used"] == 0


# ---- the PHP client under PHPUnit -------------------------------------------

def test_php_client_under_phpunit(cors_stack):
    """clients/php/tests (Debian's phpunit, PHP 8.2 with curl) against this stack."""
    for tool in ("php", "phpunit"):
        assert shutil.which(tool), f"{tool} missing: run scripts/install-deps"
    main = Tenant(cors_stack, user="php-main")
    cors_stack.ctl("plan", "set", "clienttiny", "--limit", "100MiB", "--max-file-size", "64KiB")
    tight = Tenant(cors_stack, plan="clienttiny", limit=30 * 1024, user="php-tight")
    assert tight.upload(pdf_of_size(10 * 1024)).status_code == 200
    now = int(time.time())
    fixtures = {"main": {"token": main.token}, "tight": {"token": tight.token},
                "expired": {"token": sign_jwt(cors_stack, claims_for(main.id, iat=now - 700,
                                                                  exp=now - 120))}}
    php = ROOT / "clients" / "php"
    proc = subprocess.run(["phpunit", "-c", str(php / "phpunit.xml")], cwd=php,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, COFFER_URL=cors_stack.url,
                                   COFFER_CA_CERT=cors_stack.ca,
                                   COFFER_PHP_FIXTURES=json.dumps(fixtures)))
    (output_dir() / "clients").mkdir(exist_ok=True)
    (output_dir() / "clients" / "phpunit.log").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-10000:] + proc.stderr[-3000:]
    assert "OK (" in proc.stdout and "Tests: 0" not in proc.stdout, proc.stdout[-3000:]


def test_php_client_installs_with_composer(cors_stack, tmp_path):
    """A fresh app requires coffer/client through Composer (a path
    repository on clients/php, nothing from the network) and calls Coffer
    through Composer's PSR-4 autoloader."""
    assert shutil.which("composer"), "composer missing: run scripts/install-deps"
    t = Tenant(cors_stack, user="php-composer")
    app = tmp_path / "app"
    app.mkdir()
    (app / "composer.json").write_text(json.dumps({
        "name": "example/saas-app", "type": "project", "minimum-stability": "dev",
        "repositories": [{"packagist.org": False},
                         {"type": "path", "url": str(ROOT / "clients" / "php"),
                          "options": {"symlink": False}}],
        "require": {"coffer/client": "*"}}))
    env = dict(os.environ, COMPOSER_HOME=str(tmp_path / "composer-home"),
               COMPOSER_ALLOW_SUPERUSER="1", COMPOSER_NO_INTERACTION="1")
    proc = subprocess.run(["composer", "validate", "--no-check-publish", "--strict"],
                          cwd=ROOT / "clients" / "php", capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(["composer", "install", "--no-progress"], cwd=app, capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    script = ("require 'vendor/autoload.php';"
              "$c = new Coffer\\Client(getenv('COFFER_URL'), getenv('TOKEN'),"
              " ['caFile' => getenv('COFFER_CA_CERT')]);"
              "echo json_encode($c->quota());")
    proc = subprocess.run(["php", "-r", script], cwd=app, capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, COFFER_URL=cors_stack.url,
                                               COFFER_CA_CERT=cors_stack.ca, TOKEN=t.token))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["limitFormatted"] == "5 GiB"
