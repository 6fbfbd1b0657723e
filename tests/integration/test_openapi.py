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
import re
import subprocess

import pytest
import yaml

import openapi
from helpers import ROOT, Tenant

ROUTER = ROOT / "src" / "http" / "router.c"

# (METHOD, router pattern) -> why it is not in the document.
UNDOCUMENTED = {
    ("GET", "/debug/sleep"): "test hook, compiled only with --enable-test-hooks",
    ("GET", "/debug/crash"): "test hook, compiled only with --enable-test-hooks",
}
# (METHOD, document path) -> what serves it instead of a cofferd route.
NOT_ROUTED = {}


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
    text, n = re.subn(r'(\n\t\{ "GET", "/healthz",[^\n]*)',
                      r'\1\n\t{ "POST", "/api/storage/brand-new", AUTHZ_MEMBER, x },',
                      ROUTER.read_text(), count=1)
    assert n == 1
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


def catalogue():
    """{code: status} from src/http/errcodes.h, the one catalogue of codes
    (make check's tests/lint/check_errcodes.py holds the sources to it)."""
    text = (ROOT / "src" / "http" / "errcodes.h").read_text()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r'X\((\w+), (\d+), "', text)}


def documented_codes():
    """{(code, status)} from the document's Error<status> schemas."""
    out = set()
    for name, s in openapi.document()["components"]["schemas"].items():
        m = re.fullmatch(r"Error(\d{3})", name)
        if m:
            code = next(p["properties"]["code"] for p in s["allOf"][1:] if "properties" in p)
            out.update((c, int(m.group(1))) for c in code.get("enum") or [code["const"]])
    return out


# A code the catalogue gives one status that the API also sends with another.
ALSO_SENT_AS = {("INVALID_CUSTOMER_ID", 400): "storekey_check() of an upload's customer"}


def test_every_catalogued_code_is_documented_with_its_status():
    cat = catalogue()
    doc = documented_codes()
    missing = sorted(f"{c} {st}" for c, st in cat.items() if st and (c, st) not in doc)
    assert not missing, ("codes in src/http/errcodes.h that docs/openapi.yaml's Error<status> "
                         f"schemas lack: {missing}")
    unknown = sorted(f"{c} {st}" for c, st in doc
                     if cat.get(c) != st and (c, st) not in ALSO_SENT_AS)
    assert not unknown, f"codes in docs/openapi.yaml that the catalogue does not send so: {unknown}"


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
