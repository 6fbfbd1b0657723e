"""What nginx serves outside the API: its own JSON errors and the dashboard (web/)."""
import subprocess

import pytest

from conftest import ROOT


@pytest.mark.parametrize("path", ["/x.html", "/x.js", "/a/b.css", "/api/x.html", "/api/x.svg"])
def test_nginx_json_errors_are_labelled_json_whatever_the_extension(stack, path):
    r = stack.get(path)
    assert r.status_code in (401, 404), r.text
    assert r.headers["Content-Type"] == "application/json", r.headers
    assert r.json()["success"] is False


# ---- the dashboard (web/) --------------------------------------------------

def test_dashboard_is_served_with_its_csp(stack):
    for path in ("/app/", "/app/index.html", "/app/app.css", "/app/js/main.js"):
        r = stack.get(path)
        assert r.status_code == 200, path
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp
        assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp, csp
        assert r.headers["Cache-Control"] == "no-cache"
    assert stack.get("/app/").headers["Content-Type"] == "text/html; charset=utf-8"
    assert stack.get("/app/js/main.js").headers["Content-Type"].startswith("text/javascript")
    # No inline script or style for the CSP to refuse.
    html = stack.get("/app/").text
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    for path, target in (("/", "/app/"), ("/app", "/app/")):
        r = stack.get(path, allow_redirects=False)
        assert r.status_code in (301, 302) and r.headers["Location"] == target
    # The API, health checks and missing files are as before: JSON, no CSP.
    for path, code in (("/healthz", 200), ("/api/storage/quota", 401), ("/nothing", 404)):
        r = stack.get(path)
        assert r.status_code == code and "Content-Security-Policy" not in r.headers, path
    for path in ("/app/missing.js", "/app/js/", "/app/../coffer.conf"):
        r = stack.get(path)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", path


def test_dashboard_modules_unit(tmp_path):
    """The page's pure modules (formatting, error sentences) under node's test runner."""
    proc = subprocess.run(["node", "--test", str(ROOT / "tests" / "web" / "unit.test.mjs")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
