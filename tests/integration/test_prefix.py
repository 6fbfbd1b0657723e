"""Coffer under a path prefix, exactly as README's "Inside an existing nginx
server, or under a path prefix" says: an internal rewrite in the same server
and [server] public_url with the prefix. The API, its authentication and the
download links all work below /coffer/."""
import subprocess
from pathlib import Path

import pytest
import requests

import openapi
from helpers import Tenant, sample

PREFIX = "/coffer"
# README.md's snippet, verbatim.
SNIPPET = """location /coffer/ {
    rewrite ^/coffer(/.*)$ $1 last;     # then /api/, /dl/ ... as above
}
"""


def nginx_reload(stack):
    prefix = str(Path(stack.env["NGINX_CONF"]).parent) + "/"
    subprocess.run(["nginx", "-p", prefix, "-c", stack.env["NGINX_CONF"], "-s", "reload"],
                   check=True, capture_output=True, timeout=30)


def test_readme_snippet_is_the_one_tested():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert SNIPPET in readme
    assert f"public_url = https://example.com{PREFIX}" in readme


def prefix_status(stack):
    """GET /coffer/healthz's status; None while a reloading nginx closes the
    kept-alive connection (its old workers finish and go)."""
    try:
        return stack.get(PREFIX + "/healthz", timeout=5).status_code
    except requests.RequestException:
        return None


@pytest.fixture
def prefixed(stack, conf_restore):
    site = Path(stack.env["NGINX_CONF"]).parent / "coffer-site.d" / "prefix.conf"
    conf_restore.write_text(conf_restore.read_text() +
                            f"\n[server]\npublic_url = {stack.url}{PREFIX}\n")
    gen = stack.status()["generation"]
    stack.reload()
    stack.wait_for(lambda: all(p["generation"] == gen + 1 for p in stack.status()["processes"]),
                   what="the old generation to drain")
    site.write_text(SNIPPET)
    nginx_reload(stack)
    openapi.MOUNTS.append(PREFIX)
    try:
        stack.wait_for(lambda: prefix_status(stack) == 200, what="nginx to serve the prefix")
        yield stack
    finally:
        site.unlink()
        nginx_reload(stack)
        stack.wait_for(lambda: prefix_status(stack) == 404, what="nginx to drop the prefix")
        openapi.MOUNTS.remove(PREFIX)


def test_api_links_and_auth_below_a_prefix(prefixed):
    stack = prefixed
    t = Tenant(stack)
    r = stack.get(PREFIX + "/api/storage/quota")
    assert r.status_code == 401 and r.json()["code"] == "MISSING_CREDENTIALS"
    r = t.request("GET", PREFIX + "/api/storage/quota")
    assert r.status_code == 200 and r.json()["data"]["used"] == 0
    pdf = sample("pdf")
    r = t.request("POST", PREFIX + "/api/storage/upload", data={"category": "documents"},
                  files={"file": ("lease.pdf", pdf, "application/pdf")})
    assert r.status_code == 200, r.text
    up = r.json()["data"]
    assert up["fileUrl"].startswith(f"{stack.url}{PREFIX}/dl/{t.id}/{up['fileId']}?")
    got = t.session.get(up["fileUrl"], timeout=30)
    assert got.status_code == 200 and got.content == pdf
    assert t.quota()["used"] == len(pdf)
    r = stack.get(PREFIX + "/api/openapi.json")
    assert r.status_code == 200 and r.json()["openapi"].startswith("3.1")
