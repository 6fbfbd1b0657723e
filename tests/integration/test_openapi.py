"""docs/openapi.yaml, the API reference the service is held to (issue 21).

Besides these tests, every JSON answer the whole suite receives is validated
against the document's schemas (openapi.py, hooked into conftest.py's
VerifyingSession).

To add a route: add it to src/http/router.c AND to docs/openapi.yaml (then
run scripts/openapi-md for docs/API.md). A route that must stay out of the
document goes into UNDOCUMENTED below with the reason; a documented
operation that cofferd does not route (served by nginx alone) goes into
NOT_ROUTED.
"""
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

import openapi
from conftest import ROOT
from storage_api import Tenant

ROUTER = ROOT / "src" / "http" / "router.c"

# (METHOD, router pattern) -> why it is not in the document.
UNDOCUMENTED = {
    ("GET", "/debug/sleep"): "test hook, compiled only with --enable-test-hooks",
    ("GET", "/debug/crash"): "test hook, compiled only with --enable-test-hooks",
}
# (METHOD, document path) -> what serves it instead of a cofferd route.
NOT_ROUTED = {}
# Codes in the source that never reach a client, and why.
NOT_SENT = {
    "INVALID_FILE_PATH": "storekey_parse()'s; DELETE /api/storage/file answers FILE_NOT_FOUND",
    "FILE_PATH_FORBIDDEN": "storekey_parse()'s; DELETE /api/storage/file answers FILE_NOT_FOUND",
    "CONFLICT": "resp.c's name for ERR_CONFLICT, which no route answers with today",
}


def router_routes():
    """[(METHOD, pattern)] from router.c's routes[] table, test hooks marked."""
    text = ROUTER.read_text()
    table = text[text.index("routes[] = {"):]
    table = table[:table.index("\n};")]
    out = []
    hooks = False
    for line in table.splitlines():
        if line.startswith("#ifdef COFFER_TEST_HOOKS"):
            hooks = True
        elif line.startswith("#endif"):
            hooks = False
        m = re.match(r'\s*\{\s*"([A-Z]+)",\s*"([^"]+)",', line)
        if m:
            out.append((m.group(1), m.group(2), hooks))
    assert len(out) > 10, "router.c's routes[] table was not found where expected"
    return out


def as_template(pattern):
    """The router's "*" segments as the document's {param} (names differ)."""
    return re.sub(r"\{[^/]+\}", "*", pattern)


def test_every_router_route_is_documented():
    documented = {(m, as_template(p)) for m, p in openapi.operations()}
    missing = []
    for method, pattern, hook in router_routes():
        if (method, pattern) in UNDOCUMENTED:
            assert hook, f"{method} {pattern} is exempt as a test hook but is not under COFFER_TEST_HOOKS"
            continue
        if (method, pattern) not in documented:
            missing.append(f"{method} {pattern}")
    assert not missing, ("routes in src/http/router.c that docs/openapi.yaml lacks "
                         f"(document them, or list them in UNDOCUMENTED with why): {missing}")


def test_every_documented_operation_is_routed():
    routed = {(m, p) for m, p, _ in router_routes()}
    extra = [f"{m} {p}" for m, p in sorted(openapi.operations())
             if (m, as_template(p)) not in routed and (m, p) not in NOT_ROUTED]
    assert not extra, f"docs/openapi.yaml documents operations no route serves: {extra}"


def test_the_route_check_fails_for_an_undocumented_route(tmp_path, monkeypatch):
    """The check above is not vacuous: a route added to the table is caught."""
    text = ROUTER.read_text().replace(
        '{ "GET", "/healthz", api_health_healthz },',
        '{ "GET", "/healthz", api_health_healthz },\n\t{ "POST", "/api/storage/brand-new", x },')
    fake = tmp_path / "router.c"
    fake.write_text(text)
    monkeypatch.setattr(__import__(__name__), "ROUTER", fake)
    with pytest.raises(AssertionError, match=r"POST /api/storage/brand-new"):
        test_every_router_route_is_documented()


def test_document_is_valid_openapi():
    """@apidevtools/swagger-parser (npm, .deps/), as scripts/test's openapi phase."""
    p = subprocess.run(["node", str(ROOT / "scripts" / "openapi-validate")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "is valid OpenAPI 3.1" in p.stdout


def test_api_md_is_generated_from_the_document():
    p = subprocess.run(["/usr/bin/python3", str(ROOT / "scripts" / "openapi-md"), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


def test_served_document_is_the_committed_one_without_credentials(stack):
    r = stack.get("/api/openapi.json")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    assert r.json()["info"]["version"] == _package_version()


def _package_version():
    m = re.search(r"AC_INIT\(\[coffer\], \[([^\]]+)\]", (ROOT / "configure.ac").read_text())
    return m.group(1)


def test_every_error_code_in_the_source_is_documented():
    """A code the C code can answer with must be in one of the ErrorNNN
    schemas (the per-status lists of docs/API.md)."""
    schemas = openapi.document()["components"]["schemas"]
    documented = set()
    for name, s in schemas.items():
        if re.fullmatch(r"Error\d{3}", name):
            code = s["allOf"][1]["properties"]["code"]
            documented.update(code.get("enum") or [code["const"]])
    found = set()
    patterns = [r'req_fail\([^,]+,\s*[A-Z_]+,\s*"([A-Z][A-Z0-9_]+)"',
                r'FAIL\("([A-Z][A-Z0-9_]+)"', r'sk_fail\(ERR_[A-Z]+,\s*"([A-Z][A-Z0-9_]+)"',
                r'\*code = "([A-Z][A-Z0-9_]+)"', r'AUTH_CODE_\w+\s+"([A-Z][A-Z0-9_]+)"',
                r'\[ERR_[A-Z]+\] = \{ \d+, "([A-Z][A-Z0-9_]+)"', r'"code":"([A-Z][A-Z0-9_]+)"',
                r'\{\s*MP_[A-Z_]+,\s*"([A-Z][A-Z0-9_]+)"', r'\[MP_[A-Z_]+\]\s*=\s*\{\s*"([A-Z][A-Z0-9_]+)"',
                r'"(AUTH_UNAVAILABLE|INVALID_API_KEY|API_KEY_REVOKED|TAXONOMY_UNAVAILABLE)"']
    for f in list((ROOT / "src").rglob("*.c")) + [ROOT / "nginx" / "coffer-site.conf.in"]:
        text = f.read_text(errors="replace")
        for pat in patterns:
            found.update(re.findall(pat, text))
    found.discard("OK")
    assert len(found) > 40, sorted(found)
    assert set(NOT_SENT) <= found, "NOT_SENT names codes the source no longer has"
    found -= set(NOT_SENT)
    assert found <= documented, f"codes the service sends that docs/openapi.yaml lacks: {sorted(found - documented)}"


def test_responses_are_held_to_the_document(stack):
    """The hook is live: a body that does not match its schema fails."""
    t = Tenant(stack)
    r = t.request("GET", "/api/storage/quota")    # validated by the hook itself
    assert r.status_code == 200
    bad = dict(r.json()["data"], usedFormatted="10 GB")
    schema = {"$ref": "#/components/schemas/Quota"}
    with pytest.raises(AssertionError, match="usedFormatted"):
        openapi.validate(bad, schema, "a quota with the old size convention")
    with pytest.raises(AssertionError, match="success on a route"):
        class Fake:
            status_code = 200
            url = stack.url + "/api/not-documented"
            headers = {"Content-Type": "application/json"}
            content = b'{"success":true}'
            request = type("R", (), {"method": "GET"})()
        openapi.check(Fake())
    assert openapi.stats["validated"] > 0
