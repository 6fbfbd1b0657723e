"""Every JSON answer the integration suite receives, held to docs/openapi.yaml.

conftest.py's VerifyingSession calls check() on each response, so every test
that talks to a stack through it (Stack.request, Tenant, new_session()) checks
the reference too, and the document cannot drift from the service:

- a documented route and status: the body must match that response's schema;
- a route or status the document lacks: a success fails the test; a failure
  must still have the API's error shape (nginx answers 401 before routing,
  404 for unknown paths, 405 for a known path's other methods);
- non-JSON answers (Prometheus text, downloads, the dashboard) are not
  checked here.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1), checked with Debian's
python3-jsonschema; $refs resolve inside the document.
"""
import json
import re
import threading
import urllib.parse

import jsonschema
import yaml

from helpers import ROOT

DOC_PATH = ROOT / "docs" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Routes compiled only with --enable-test-hooks, never in the document
# (test_openapi.py's UNDOCUMENTED lists them against router.c).
TEST_HOOK_PREFIXES = ("/debug/",)

# Path prefixes a test mounted the API under (test_prefix.py): stripped
# before matching, as nginx's rewrite strips them.
MOUNTS = []

_lock = threading.Lock()
_state = {}
stats = {"validated": 0, "errors_only": 0}


def document():
    """docs/openapi.yaml, parsed once."""
    with _lock:
        if "doc" not in _state:
            _state["doc"] = yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))
            _state["routes"] = _routes(_state["doc"])
            _state["validators"] = {}
        return _state["doc"]


def _routes(doc):
    """[(regex, template)], literal paths before templated ones."""
    out = []
    for template in doc["paths"]:
        rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        out.append((re.compile(rx), template))
    out.sort(key=lambda p: p[1].count("{"))
    return out


def match(path):
    """The document's path template for a request path, or None."""
    document()
    for rx, template in _state["routes"]:
        if rx.match(path):
            return template
    return None


def _validator(schema):
    key = id(schema)
    with _lock:
        v = _state["validators"].get(key)
        if v is None:
            resolver = jsonschema.RefResolver(base_uri="", referrer=_state["doc"])
            v = jsonschema.Draft202012Validator(schema, resolver=resolver)
            _state["validators"][key] = v
        return v


def validate(instance, schema, what):
    """Raise AssertionError naming what and every mismatch."""
    errors = sorted(_validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        lines = [f"- at /{'/'.join(str(p) for p in e.path)}: {e.message[:300]}" for e in errors[:8]]
        raise AssertionError(f"{what} does not match docs/openapi.yaml:\n" + "\n".join(lines)
                             + f"\nbody: {json.dumps(instance)[:1500]}")


def _resolve(obj):
    """Follow a $ref (responses are often references) inside the document."""
    doc = document()
    while isinstance(obj, dict) and "$ref" in obj:
        node = doc
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def error_schema():
    return {"$ref": "#/components/schemas/Error"}


def _undocumented(body, status, what, why):
    """An answer the document does not describe: a failure must still have
    the API's error shape (nginx's own refusals: 401 before routing, a 413
    on a route that never sees a body limit, 400 for malformed headers); a
    success fails."""
    if status < 400:
        raise AssertionError(f"{what}: {why}")
    validate(body, error_schema(), what)
    stats["errors_only"] += 1


def check(resp):
    """Hold one requests.Response to the document (see the module's doc)."""
    method = resp.request.method.lower()
    ctype = resp.headers.get("Content-Type", "")
    if method == "head" or not ctype.startswith("application/json") or not resp.content:
        return
    path = urllib.parse.urlsplit(resp.url).path
    for mount in MOUNTS:
        if path.startswith(mount + "/"):
            path = path[len(mount):]
    body = json.loads(resp.content)
    if path.startswith(TEST_HOOK_PREFIXES):
        return
    status = resp.status_code
    what = f"{method.upper()} {path} -> {status}"
    template = match(path)
    op = document()["paths"][template].get(method) if template else None
    if op is None:
        return _undocumented(body, status, what, "a success on a route docs/openapi.yaml lacks "
                             f"({'no ' + method.upper() + ' on ' + template if template else 'no such path'})")
    responses = op.get("responses", {})
    r = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    if r is None:
        return _undocumented(body, status, what, f"status {status} is not documented for "
                             f"{method.upper()} {template}")
    content = _resolve(r).get("content", {})
    media = content.get("application/json")
    if media is None:
        raise AssertionError(f"{what}: JSON answered where docs/openapi.yaml documents "
                             f"{sorted(content) or 'no body'}")
    validate(body, media.get("schema", {}), what)
    stats["validated"] += 1


def operations():
    """{(METHOD, template)} the document describes."""
    return {(m.upper(), t) for t, item in document()["paths"].items() for m in item if m in METHODS}
