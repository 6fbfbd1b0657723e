"""What nginx serves outside the API: its own JSON errors and the dashboard
(web/), the latter also in headless Chromium (tests/web/dashboard.test.mjs)."""
import json
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT, run_browser_test


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


def _web_fixtures(stack):
    from helpers import Tenant, pdf_of_size, sample
    pdf = sample("pdf")
    fx = {}
    main = Tenant(stack, role="admin", user="web-main")
    fx["main"] = main
    # 85 % of a 100 KiB limit, on a plan whose files are at most 64 KiB.
    stack.ctl("plan", "set", "webtiny", "--limit", "100MiB", "--max-file-size", "64KiB")
    near = Tenant(stack, plan="webtiny", limit=100 * 1024, user="web-near")
    assert near.upload(pdf_of_size(45 * 1024)).status_code == 200
    assert near.upload(pdf_of_size(40 * 1024)).status_code == 200
    fx["near"] = near
    full = Tenant(stack, limit=len(pdf), user="web-full")
    assert full.upload(pdf).status_code == 200
    fx["full"] = full
    unlimited = Tenant(stack, plan="enterprise", user="web-unlimited")
    assert unlimited.upload(pdf).status_code == 200
    fx["unlimited"] = unlimited
    paged = Tenant(stack, user="web-paged")
    for i in range(8):
        assert paged.upload(pdf, filename=f"invoice-{i:02d}.pdf", subcategory="invoices").status_code == 200
    for i in range(2):
        assert paged.upload(sample("png"), filename=f"front-{i}.png", category="properties",
                            subcategory="photos", entity="house-1",
                            content_type="image/png").status_code == 200
        assert paged.upload(pdf, filename=f"inspection-{i}.pdf", category="properties",
                            subcategory="photos", entity="house-1").status_code == 200
    fx["paged"] = paged
    suspended = Tenant(stack, user="web-suspended")
    stack.ctl("customer", "suspend", suspended.id)
    fx["suspended"] = suspended
    out = {k: {"id": t.id, "token": t.token} for k, t in fx.items()}
    out["platform"] = {"token": stack.ctl("token", "issue", "--user", "web-ops", "--role", "platform",
                                          "--ttl", "3600").stdout.strip().splitlines()[-1]}
    # A well-formed token with a wrong signature.
    sig = main.token.rsplit(".", 1)[1]
    out["bad"] = {"token": main.token[:-len(sig)] + ("A" if sig[0] != "A" else "B") + sig[1:]}
    return out


@pytest.mark.browser
def test_dashboard_in_chromium(stack):
    """tests/web/dashboard.test.mjs: the page in headless Chromium against this stack."""
    run_browser_test(ROOT / "tests" / "web" / "dashboard.test.mjs",
                     {"COFFER_URL": stack.url, "COFFER_WEB_FIXTURES": json.dumps(_web_fixtures(stack))},
                     Path("web") / "dashboard.test.log")
