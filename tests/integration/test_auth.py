"""Authentication at the edge, through the real nginx over TLS: auth_request, JWTs, API keys, roles."""
import base64
import hashlib
import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from helpers import b64url, claims_for, fcgi_request, jwt_secret, recv_all, sign_jwt

# Every credential and secret a test used; none may ever show up in a log.
SEEN_CREDENTIALS = set()


def hs256(stack, claims=None, **kw):
    """helpers.sign_jwt, remembered so that no log may ever show it."""
    tok = sign_jwt(stack, claims, **kw)
    SEEN_CREDENTIALS.add(tok)
    return tok


def bearer(tok):
    return {"Authorization": f"Bearer {tok}"}


def issue(stack, *args):
    out = stack.ctl("token", "issue", *args).stdout.strip().splitlines()[-1]
    SEEN_CREDENTIALS.add(out)
    return out


def create_key(stack, customer, role="member", name="test key"):
    out = stack.ctl("apikey", "create", "--customer", customer, "--role", role,
                    "--name", name).stdout
    key = out.strip().splitlines()[-1]
    assert re.fullmatch(r"cof_[A-Za-z0-9_-]{43}", key), out
    SEEN_CREDENTIALS.add(key)
    return key


def key_id_of(stack, customer, key):
    prefix = key[:10]
    rows = json.loads(stack.ctl("apikey", "list", "--customer", customer).stdout)
    return next(r["id"] for r in rows if r["prefix"] == prefix)


def assert_401(r, code, challenge_error=True):
    assert r.status_code == 401, (r.status_code, r.text)
    body = r.json()
    assert body["success"] is False and body["code"] == code, body
    assert body["error"]
    www = r.headers.get("WWW-Authenticate", "")
    assert www.startswith('Bearer realm="coffer"'), r.headers
    assert ('error="invalid_token"' in www) == challenge_error, www


def assert_error(r, status, code):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["success"] is False and body["code"] == code, body
    return body


@pytest.fixture(scope="module")
def customer(stack):
    cid = str(uuid.uuid4())
    stack.psql(f"INSERT INTO customers (customer_id, plan) VALUES ('{cid}', 'starter')")
    return cid


@pytest.fixture
def new_customer(stack):
    def make(status="active"):
        cid = str(uuid.uuid4())
        stack.psql(f"INSERT INTO customers (customer_id, plan, status) "
                   f"VALUES ('{cid}', 'starter', '{status}')")
        return cid
    return make


@pytest.fixture(scope="module")
def member_token(stack, customer):
    return issue(stack, "--customer", customer, "--user", "alice", "--role", "member",
                 "--ttl", "600")


# ---- JWTs ----------------------------------------------------------------

def test_stack_generates_a_private_secret(stack):
    secret = jwt_secret(stack)
    SEEN_CREDENTIALS.add(secret)
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert stack.conf.stat().st_mode & 0o007 == 0, "coffer.conf holds the secret: not world-readable"


def test_valid_token_whoami(stack, customer, member_token):
    r = stack.get("/api/whoami", headers=bearer(member_token))
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "data": {
        "customerId": customer, "userId": "alice", "role": "member"}}


def test_no_token(stack):
    r = stack.get("/api/whoami")
    assert_401(r, "MISSING_CREDENTIALS", challenge_error=False)
    r = stack.get("/api/whoami", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_401(r, "MISSING_CREDENTIALS", challenge_error=False)


@pytest.mark.parametrize("value", [
    "Bearer garbage", "Bearer a.b.c", "Bearer ", "Bearer eyJhbGciOiJIUzI1NiJ9..",
    "Bearer " + "x" * 5000, "Bearer tok\"en",
])
def test_garbage_token(stack, value):
    r = stack.get("/api/whoami", headers={"Authorization": value})
    assert_401(r, "MALFORMED_TOKEN")


def test_tampered_signature(stack, customer):
    tok = hs256(stack, claims_for(customer))
    head, payload, sig = tok.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[0] ^= 1
    forged = f"{head}.{payload}.{b64url(bytes(raw))}"
    assert_401(stack.get("/api/whoami", headers=bearer(forged)), "INVALID_SIGNATURE")
    assert stack.get("/api/whoami", headers=bearer(tok)).status_code == 200


def test_payload_swapped_to_another_customer(stack, customer, new_customer):
    other = new_customer()
    tok = hs256(stack, claims_for(customer, role="member"))
    head, _, sig = tok.split(".")
    swapped = b64url(json.dumps(claims_for(other, role="platform")))
    forged = f"{head}.{swapped}.{sig}"
    assert_401(stack.get("/api/whoami", headers=bearer(forged)), "INVALID_SIGNATURE")


def test_alg_none(stack, customer):
    payload = b64url(json.dumps(claims_for(customer, role="platform")))
    for header in ({"alg": "none", "typ": "JWT"}, {"alg": "None"}, {"alg": "NONE"}):
        unsigned = b64url(json.dumps(header)) + "." + payload
        r = stack.get("/api/whoami", headers=bearer(unsigned + "."))
        assert_401(r, "MALFORMED_TOKEN")
        r = stack.get("/api/whoami", headers=bearer(unsigned + "." + b64url(b"sig")))
        assert_401(r, "ALGORITHM_NOT_ALLOWED")


def test_wrong_algorithm(stack, customer):
    for alg in ("HS384", "HS512"):
        tok = hs256(stack, claims_for(customer), alg=alg)
        assert_401(stack.get("/api/whoami", headers=bearer(tok)), "ALGORITHM_NOT_ALLOWED")
    # An HS256 signature under a header that claims RS256.
    tok = hs256(stack, claims_for(customer), header={"alg": "RS256", "typ": "JWT"})
    assert_401(stack.get("/api/whoami", headers=bearer(tok)), "ALGORITHM_NOT_ALLOWED")


def test_expired_and_not_yet_valid(stack, customer):
    now = int(time.time())
    # Beyond the default 30 s leeway on either side.
    tok = hs256(stack, claims_for(customer, iat=now - 700, exp=now - 60))
    assert_401(stack.get("/api/whoami", headers=bearer(tok)), "TOKEN_EXPIRED")
    tok = hs256(stack, claims_for(customer, nbf=now + 300))
    assert_401(stack.get("/api/whoami", headers=bearer(tok)), "TOKEN_NOT_YET_VALID")
    # Within the leeway: accepted.
    tok = hs256(stack, claims_for(customer, iat=now - 700, exp=now - 5))
    assert stack.get("/api/whoami", headers=bearer(tok)).status_code == 200
    c = claims_for(customer)
    del c["exp"]
    assert_401(stack.get("/api/whoami", headers=bearer(hs256(stack, c))), "INVALID_CLAIMS")


def test_customer_claim_not_a_uuid(stack):
    for bad in ("acme", "../../etc", "3f1c2a9e5b7d4c119a0e2b6f8d4e7a10", 42):
        tok = hs256(stack, claims_for(bad))
        assert_401(stack.get("/api/whoami", headers=bearer(tok)), "INVALID_CUSTOMER_ID")


def test_non_utf8_and_hostile_claims(stack, customer):
    raw = (b'{"customerId":"' + customer.encode() + b'","userId":"\xff\xfe","exp":'
           + str(int(time.time()) + 600).encode() + b'}')
    tok = hs256(stack, payload_bytes=raw)
    assert_401(stack.get("/api/whoami", headers=bearer(tok)), "MALFORMED_TOKEN")
    for user in ("a\r\nX-Coffer-Role: platform", "caf\u00e9", "", "x" * 129):
        tok = hs256(stack, claims_for(customer, user=user))
        assert_401(stack.get("/api/whoami", headers=bearer(tok)), "INVALID_CLAIMS")
    tok = hs256(stack, claims_for(customer, role="root"))
    assert_401(stack.get("/api/whoami", headers=bearer(tok)), "INVALID_CLAIMS")


def test_duplicate_claim_names_are_refused(stack, customer):
    # json-c keeps the last of two names: this would have been platform.
    now = int(time.time())
    for raw in ('{"customerId":"%s","userId":"u","role":"member","role":"platform",'
                '"iat":%d,"exp":%d}',
                '{"customerId":"%s","userId":"u","role":"member","r\\u006fle":"platform",'
                '"iat":%d,"exp":%d}'):
        tok = hs256(stack, payload_bytes=(raw % (customer, now, now + 600)).encode())
        assert_401(stack.get("/api/whoami", headers=bearer(tok)), "MALFORMED_TOKEN")


def test_null_role_is_refused_not_member(stack, customer):
    tok = hs256(stack, claims_for(customer, role=None))
    assert_401(stack.get("/api/whoami", headers=bearer(tok)), "INVALID_CLAIMS")


def test_token_lifetime_is_bounded(stack, customer):
    now = int(time.time())
    day = 86400  # [auth] jwt_max_lifetime's default
    ok = hs256(stack, claims_for(customer, iat=now, exp=now + day))
    assert stack.get("/api/whoami", headers=bearer(ok)).status_code == 200
    for c in (claims_for(customer, iat=now, exp=now + day + 1),
              claims_for(customer, iat=now - 10 * day, exp=now + 60),
              {k: v for k, v in claims_for(customer, exp=now + 10 * 365 * day).items()
               if k != "iat"}):
        assert_401(stack.get("/api/whoami", headers=bearer(hs256(stack, c))),
                   "TOKEN_LIFETIME_TOO_LONG")
    # cofferctl mints nothing cofferd would refuse.
    p = stack.ctl("token", "issue", "--customer", customer, "--user", "u", "--ttl",
                  str(day + 1), check=False)
    assert p.returncode == 2 and "jwt_max_lifetime" in p.stderr, p.stderr


def test_unknown_customer_is_403(stack):
    tok = hs256(stack, claims_for(str(uuid.uuid4())))
    assert_error(stack.get("/api/whoami", headers=bearer(tok)), 403, "CUSTOMER_NOT_FOUND")


# ---- roles -----------------------------------------------------------------

def test_member_on_admin_route_is_403(stack, member_token):
    body = assert_error(stack.get("/api/admin/ping", headers=bearer(member_token)), 403,
                        "INSUFFICIENT_ROLE")
    assert "admin" in body["error"]


def test_admin_on_admin_route(stack, customer):
    tok = issue(stack, "--customer", customer, "--user", "root-of-acme", "--role", "admin")
    r = stack.get("/api/admin/ping", headers=bearer(tok))
    assert r.status_code == 200
    assert r.json() == {"success": True, "data": {"pong": True, "role": "admin"}}


def test_client_identity_headers_change_nothing(stack, customer, member_token, new_customer):
    other = new_customer()
    forged = {"X-Coffer-Customer": other, "X-Coffer-User": "mallory",
              "X-Coffer-Role": "platform", "X-Coffer-Error-Code": "x"}
    r = stack.get("/api/whoami", headers={**bearer(member_token), **forged})
    assert r.status_code == 200
    assert r.json()["data"] == {"customerId": customer, "userId": "alice", "role": "member"}
    r = stack.get("/api/admin/ping", headers={**bearer(member_token), **forged})
    assert_error(r, 403, "INSUFFICIENT_ROLE")
    # Without a credential they do not authenticate anyone either.
    assert_401(stack.get("/api/whoami", headers=forged), "MISSING_CREDENTIALS",
               challenge_error=False)


def test_platform_names_the_customer(stack, customer, new_customer, member_token):
    op = issue(stack, "--user", "operator", "--role", "platform", "--ttl", "120")
    r = stack.get("/api/whoami", headers=bearer(op))
    assert r.status_code == 200
    assert r.json()["data"] == {"customerId": None, "userId": "operator", "role": "platform"}
    assert_error(stack.get("/api/admin/ping", headers=bearer(op)), 400, "CUSTOMER_REQUIRED")

    r = stack.get("/api/admin/ping", headers={**bearer(op), "Coffer-Customer": customer.upper()})
    assert r.status_code == 200, r.text
    r = stack.get("/api/whoami", headers={**bearer(op), "Coffer-Customer": customer})
    assert r.json()["data"]["customerId"] == customer
    # Suspended customers stay reachable for the operator.
    suspended = new_customer("suspended")
    r = stack.get("/api/whoami", headers={**bearer(op), "Coffer-Customer": suspended})
    assert r.status_code == 200 and r.json()["data"]["customerId"] == suspended

    assert_error(stack.get("/api/whoami", headers={**bearer(op), "Coffer-Customer": "acme"}),
                 400, "INVALID_CUSTOMER_SELECTION")
    assert_error(stack.get("/api/whoami", headers={**bearer(op),
                                                   "Coffer-Customer": str(uuid.uuid4())}),
                 403, "CUSTOMER_NOT_FOUND")
    # Anyone else may name only their own customer.
    other = new_customer()
    assert_error(stack.get("/api/whoami", headers={**bearer(member_token),
                                                   "Coffer-Customer": other}),
                 403, "CUSTOMER_SELECTION_FORBIDDEN")
    r = stack.get("/api/whoami", headers={**bearer(member_token), "Coffer-Customer": customer})
    assert r.status_code == 200


def test_repeated_customer_selection_is_400(stack, customer):
    op = issue(stack, "--user", "operator", "--role", "platform", "--ttl", "120")
    # requests joins repeated headers; send them as raw lines instead.
    status, body = raw_http(stack, "GET /api/whoami HTTP/1.1", [
        f"Authorization: Bearer {op}", f"Coffer-Customer: {customer}",
        f"Coffer-Customer: {str(uuid.uuid4())}"])
    assert status == 400, body
    assert json.loads(body)["code"] == "INVALID_CUSTOMER_SELECTION"


def test_suspended_customer_is_403(stack, new_customer):
    cid = new_customer()
    tok = issue(stack, "--customer", cid, "--user", "bob")
    key = create_key(stack, cid)
    assert stack.get("/api/whoami", headers=bearer(tok)).status_code == 200
    stack.psql(f"UPDATE customers SET status = 'suspended' WHERE customer_id = '{cid}'")
    assert_error(stack.get("/api/whoami", headers=bearer(tok)), 403, "CUSTOMER_SUSPENDED")
    assert_error(stack.get("/api/whoami", headers=bearer(key)), 403, "CUSTOMER_SUSPENDED")
    stack.psql(f"UPDATE customers SET status = 'active' WHERE customer_id = '{cid}'")
    assert stack.get("/api/whoami", headers=bearer(tok)).status_code == 200


# ---- API keys ----------------------------------------------------------------

def test_api_key_works_then_revoked_is_401(stack, customer):
    key = create_key(stack, customer, role="admin", name="ci deploy")
    r = stack.get("/api/admin/ping", headers=bearer(key))
    assert r.status_code == 200, r.text
    kid = key_id_of(stack, customer, key)
    r = stack.get("/api/whoami", headers=bearer(key))
    assert r.json()["data"] == {"customerId": customer, "userId": f"apikey:{kid}", "role": "admin"}

    rows = json.loads(stack.ctl("apikey", "list", "--customer", customer).stdout)
    row = next(r for r in rows if r["id"] == kid)
    assert row["name"] == "ci deploy" and row["role"] == "admin" and row["revokedAt"] is None
    assert row["lastUsedAt"] is not None
    assert key not in json.dumps(rows) and "hash" not in json.dumps(rows)
    stored = stack.psql(f"SELECT key_hash FROM api_keys WHERE id = '{kid}'")
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    assert stack.psql(f"SELECT count(*) FROM api_keys WHERE key_hash LIKE '%{key[4:20]}%'") == "0"

    out = stack.ctl("apikey", "revoke", kid)
    assert kid in out.stdout
    assert_401(stack.get("/api/whoami", headers=bearer(key)), "API_KEY_REVOKED")
    # Revoking twice is harmless; an unknown id is an error.
    assert "already revoked" in stack.ctl("apikey", "revoke", kid).stderr
    assert stack.ctl("apikey", "revoke", str(uuid.uuid4()), check=False).returncode == 1


def test_api_key_last_used_is_written_at_most_once_a_minute(stack, customer):
    key = create_key(stack, customer)
    kid = key_id_of(stack, customer, key)
    assert stack.psql(f"SELECT last_used_at IS NULL FROM api_keys WHERE id = '{kid}'") == "t"
    assert stack.get("/api/whoami", headers=bearer(key)).status_code == 200
    # The first use is written (a NULL that stays NULL would pass below).
    assert stack.psql(f"SELECT last_used_at > now() - interval '10 seconds' FROM api_keys "
                      f"WHERE id = '{kid}'") == "t"
    first = stack.psql(f"SELECT last_used_at FROM api_keys WHERE id = '{kid}'")
    for _ in range(5):
        assert stack.get("/api/whoami", headers=bearer(key)).status_code == 200
    assert stack.psql(f"SELECT last_used_at FROM api_keys WHERE id = '{kid}'") == first
    stack.psql(f"UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = '{kid}'")
    assert stack.get("/api/whoami", headers=bearer(key)).status_code == 200
    assert stack.psql(f"SELECT last_used_at > now() - interval '10 seconds' FROM api_keys "
                      f"WHERE id = '{kid}'") == "t"


def test_api_key_wrong_or_elsewhere(stack, customer):
    key = create_key(stack, customer)
    wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert_401(stack.get("/api/whoami", headers=bearer(wrong)), "INVALID_API_KEY")
    assert_401(stack.get("/api/whoami", headers=bearer("cof_short")), "INVALID_API_KEY")
    # Only the Authorization header carries credentials.
    r = stack.get("/api/whoami", headers={"X-Api-Key": key})
    assert_401(r, "MISSING_CREDENTIALS", challenge_error=False)
    assert "Authorization: Bearer" in r.json()["error"]


def test_apikey_cli_refuses_bad_input(stack, customer):
    p = stack.ctl("apikey", "create", "--customer", customer, "--role", "platform",
                  "--name", "x", check=False)
    assert p.returncode == 2 and "platform" in p.stderr
    p = stack.ctl("apikey", "create", "--customer", "acme", "--role", "member", "--name", "x",
                  check=False)
    assert p.returncode == 2
    p = stack.ctl("apikey", "create", "--customer", str(uuid.uuid4()), "--role", "member",
                  "--name", "x", check=False)
    assert p.returncode == 1 and "no such customer" in p.stderr
    p = stack.ctl("token", "issue", "--user", "u", "--role", "member", check=False)
    assert p.returncode == 2, "a member token needs a customer"
    p = stack.ctl("token", "issue", "--customer", customer, "--user", "u", "--ttl", "0",
                  check=False)
    assert p.returncode == 2


# ---- nginx -------------------------------------------------------------------

def raw_http(stack, request_line, headers, body=b""):
    """One HTTP/1.1 request with exactly these header lines (requests would
    merge repeated ones); returns (status, body text)."""
    head = "\r\n".join([request_line, "Host: localhost", *headers, "Connection: close"])
    status, _, rest = stack.raw_request(head.encode() + b"\r\n\r\n" + body)
    return status, rest.decode(errors="replace")


def test_internal_locations_are_404(stack, member_token):
    for path in ("/_auth", "/_auth?x=1", "/auth", "/@auth_401", "/@auth_403", "/_auth/x"):
        for hdrs in ({}, bearer(member_token)):
            r = stack.get(path, headers=hdrs)
            assert_error(r, 404, "NOT_FOUND")
    assert_error(stack.request("POST", "/_auth", data=b"x"), 404, "NOT_FOUND")


def test_duplicate_authorization_is_400(stack, member_token):
    status, body = raw_http(stack, "GET /api/whoami HTTP/1.1",
                            [f"Authorization: Bearer {member_token}",
                             f"Authorization: Bearer {member_token}"])
    assert status == 400
    assert json.loads(body)["code"] == "BAD_REQUEST"


def test_headers_too_long_is_json_400(stack, member_token):
    r = stack.get("/api/whoami", headers={**bearer(member_token), "X-Pad": "a" * 9000})
    assert_error(r, 400, "BAD_REQUEST")
    r = stack.get("/api/whoami", headers={"Authorization": "Bearer " + "a" * 9000})
    assert_error(r, 400, "BAD_REQUEST")


class CreationWatch:
    """inotify on nginx's body temp directory and every directory below it:
    any file (or hashed subdirectory) nginx creates there is an event, so
    "nothing was written" does not depend on nginx logging it."""
    IN_CREATE, IN_MOVED_TO = 0x100, 0x80

    def __init__(self, root):
        import ctypes
        self.libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self.fd >= 0
        for d in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
            wd = self.libc.inotify_add_watch(self.fd, str(d).encode(),
                                             self.IN_CREATE | self.IN_MOVED_TO)
            assert wd >= 0, d

    def events(self):
        try:
            return len(os.read(self.fd, 65536))
        except BlockingIOError:
            return 0

    def close(self):
        os.close(self.fd)


def body_temp_files(stack):
    return [p for p in (stack.dir / "nginx" / "tmp" / "body").rglob("*") if p.is_file()]


def buffered_to_disk(stack):
    log = Path(stack.env["COFFER_LOG_DIR"]) / "nginx-error.log"
    return log.read_text(errors="replace").count("a client request body is buffered to a temporary file")


def test_unauthenticated_upload_is_never_written(stack, member_token):
    body = os.urandom(49 * 1024 * 1024)    # under client_max_body_size 50m
    root = stack.dir / "nginx" / "tmp" / "body"
    assert root.is_dir()
    watch = CreationWatch(root)
    before = buffered_to_disk(stack)
    # nginx answers 401 at once and reads the rest of the body only to
    # discard it (lingering close), so the client gets the answer.
    r = stack.request("POST", "/api/storage/upload", data=body,
                      headers={"Content-Type": "application/octet-stream"})
    assert_401(r, "MISSING_CREDENTIALS", challenge_error=False)
    r = stack.request("POST", "/api/storage/upload", data=body,
                      headers={"Authorization": "Bearer forged.token.sig"})
    assert_401(r, "MALFORMED_TOKEN")
    assert watch.events() == 0, "nginx wrote an unauthenticated body to disk"
    assert buffered_to_disk(stack) == before
    assert body_temp_files(stack) == []

    # The check can fail: an authenticated body of that kind does go to
    # nginx's body temp directory (the route itself does not exist yet).
    r = stack.request("POST", "/api/storage/upload", data=body[:1024 * 1024],
                      headers=bearer(member_token))
    assert r.status_code in (404, 405, 413, 415, 400, 201, 200), r.text
    assert watch.events() > 0, "an authenticated body left no trace: the watch sees nothing"
    watch.close()


def test_oversized_upload_is_413_before_auth(stack):
    # Past client_max_body_size (257m in the stack), judged on the header.
    status, body = stack.declare_body("POST", "/api/storage/upload", 300 * 1024 * 1024)
    assert status == 413 and body["code"] == "FILE_TOO_LARGE", body


def test_auth_endpoint_answers_only_200_401_403(stack, customer, member_token):
    """nginx turns anything else from /auth into a bare 500: feed /auth
    directly (FastCGI, as nginx does) with hostile input."""
    sock = stack.env["COFFER_SOCKET"]
    cases = [
        {}, {"HTTP_AUTHORIZATION": ""}, {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": "Bearer " + "a" * 20000},
        {"HTTP_AUTHORIZATION": "Bearer \u00e9\u00e9"},
        {"HTTP_AUTHORIZATION": "Bearer a.b.c"},
        {"HTTP_AUTHORIZATION": "Bearer cof_" + "A" * 43},
        {"HTTP_AUTHORIZATION": f"Bearer {member_token}", "HTTP_COFFER_CUSTOMER": "x" * 5000},
        {"HTTP_AUTHORIZATION": f"Bearer {member_token}", "HTTP_COFFER_CUSTOMER": ""},
        {"HTTP_AUTHORIZATION": f"Bearer {member_token}"},
        {"HTTP_X_API_KEY": "cof_x"},
    ]
    for params in cases:
        status, payload = fcgi_request(sock, "/auth", params=params)
        assert status in (200, 401, 403), (params, status, payload)


def test_database_down(stack, customer, member_token):
    """/auth needs PostgreSQL for API keys and for the customer's status: it
    answers 403 with X-Coffer-Status 503, which nginx turns into 503."""
    key = create_key(stack, customer)
    op = issue(stack, "--user", "operator", "--role", "platform", "--ttl", "120")
    pg_ctl(stack, "stop", "-m", "fast")
    try:
        for cred in (key, member_token):
            r = stack.get("/api/whoami", headers=bearer(cred))
            assert_error(r, 503, "AUTH_UNAVAILABLE")
            assert r.headers.get("Retry-After") == "5"
        status, _ = fcgi_request(stack.env["COFFER_SOCKET"], "/auth",
                                 params={"HTTP_AUTHORIZATION": f"Bearer {key}"})
        assert status == 403
        # A platform token naming no customer needs no database.
        assert stack.get("/api/whoami", headers=bearer(op)).status_code == 200
    finally:
        pg_ctl(stack, "start", "-w", "-l", str(Path(stack.env["COFFER_LOG_DIR"]) / "postgres.log"))
    # Workers reconnect by themselves: no request fails once it is back.
    for cred in (key, member_token) * 4:
        assert stack.get("/api/whoami", headers=bearer(cred)).status_code == 200


def pg_ctl(stack, *args):
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    cmd = [str(bindir / "pg_ctl"), "-D", stack.env["COFFER_PGDATA"], *args]
    if os.geteuid() == 0:
        cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


# ---- other algorithms, by reloading the stack's configuration ---------------

def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def reload_with(stack, conf_restore, auth_lines):
    text = re.sub(r"(?ms)^\[auth\]\n.*?(?=^\[|\Z)", "", conf_restore.read_text())
    conf_restore.write_text(text + "\n[auth]\n" + auth_lines)
    gen = stack.status()["generation"]
    stack.reload()
    stack.wait_for(lambda: stack.status()["generation"] > gen, what="reload")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_public_key_algorithms(stack, conf_restore, customer, tmp_path, alg):
    keydir = stack.dir / f"keys-{alg}"
    keydir.mkdir(exist_ok=True)
    priv, pub = keydir / "private.pem", keydir / "public.pem"
    if alg == "RS256":
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(priv))
    else:
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(priv))
    openssl("pkey", "-in", str(priv), "-pubout", "-out", str(pub))
    os.chmod(keydir, 0o755)
    os.chmod(pub, 0o644)     # the master re-reads it after dropping privileges
    old_hs256 = issue(stack, "--customer", customer, "--user", "u")
    reload_with(stack, conf_restore, f"jwt_algorithm = {alg}\njwt_public_key_file = {pub}\n"
                f"jwt_private_key_file = {priv}\njwt_issuer = https://idp.test\n"
                f"jwt_audience = coffer\n")
    tok = issue(stack, "--customer", customer, "--user", "u", "--role", "admin")
    assert json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))["alg"] == alg
    r = stack.get("/api/admin/ping", headers=bearer(tok))
    assert r.status_code == 200, r.text
    # The old HS256 tokens no longer pass, and neither does the confusion
    # attack: an HS256 token whose HMAC key is the public key file.
    assert_401(stack.get("/api/whoami", headers=bearer(old_hs256)), "ALGORITHM_NOT_ALLOWED")
    forged = hs256(stack, claims_for(customer, role="platform", iss="https://idp.test",
                                     aud="coffer"), key=pub.read_text())
    assert_401(stack.get("/api/whoami", headers=bearer(forged)), "ALGORITHM_NOT_ALLOWED")
    forged = hs256(stack, claims_for(customer, role="platform", iss="https://idp.test",
                                     aud="coffer"), key=pub.read_text(),
                   header={"alg": alg, "typ": "JWT"})
    assert_401(stack.get("/api/whoami", headers=bearer(forged)), "INVALID_SIGNATURE")


def test_missing_secret_refuses_jwts_and_says_so(stack, conf_restore, customer):
    key = create_key(stack, customer)
    tok = issue(stack, "--customer", customer, "--user", "u")
    reload_with(stack, conf_restore, "claim_user = sub\n")
    assert "every JWT is refused" in stack.log_text()
    assert_401(stack.get("/api/whoami", headers=bearer(tok)), "JWT_NOT_CONFIGURED")
    assert stack.get("/api/whoami", headers=bearer(key)).status_code == 200


def test_bad_auth_config_is_refused_at_load(stack, tmp_path):
    """cofferd -t runs the same load as start and reload (a refused reload
    keeps the old pool: test_pool.py), without touching the running stack."""
    base = re.sub(r"(?ms)^\[auth\]\n.*?(?=^\[|\Z)", "", stack.conf.read_text())
    cases = {
        "jwt_secret = too-short-secret\n": "jwt_secret (JWT_SECRET) must be at least 32 bytes",
        "jwt_algorithm = none\n": "must be one of: HS256, RS256, ES256",
        "jwt_algorithm = RS256\n": "jwt_public_key_file is required",
        f"jwt_algorithm = ES256\njwt_public_key_file = {stack.ca}\n": "holds no PEM public key",
    }
    for lines, expect in cases.items():
        bad = tmp_path / "bad.conf"
        bad.write_text(base + "\n[auth]\n" + lines)
        p = subprocess.run([stack.cofferd, "-t", "-c", str(bad)], capture_output=True,
                           text=True, timeout=30, env={k: v for k, v in os.environ.items()
                                                       if k != "JWT_SECRET"})
        assert p.returncode == 1 and expect in p.stderr, (lines, p.stderr)
        assert "too-short-secret" not in p.stderr


# ---- last: what the logs saw -------------------------------------------------

def test_logs_never_contain_credentials(stack):
    logs = [Path(stack.env["COFFER_LOG"])] + sorted(Path(stack.env["COFFER_LOG_DIR"]).glob("nginx-*.log"))
    text = "\n".join(p.read_text(errors="replace") for p in logs)
    assert "auth refused: INVALID_SIGNATURE" in text, "the refusals are logged, by code"
    assert SEEN_CREDENTIALS
    for cred in SEEN_CREDENTIALS:
        assert cred not in text
        # Not even the signature or the key's secret part alone.
        tail = cred.rsplit(".", 1)[-1] if "." in cred else cred[4:]
        if len(tail) >= 16:
            assert tail not in text
