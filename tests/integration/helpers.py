"""What the integration suites share: the one module they import helpers
from (a test file never imports another test file, nor conftest).

`Tenant` talks to the API like a SaaS would. The object helpers read what a
stack's backend really holds, bypassing cofferd: the local backend's files
under LOCAL_STORAGE_PATH, or the S3 peer's objects through requests signed
here (AWS Signature V2, the stack's own credentials). `fcgi_request` talks
FastCGI to a pool directly; `settle` is what an operator runs after a crash.
"""
import base64
import email.utils
import hashlib
import hmac
import json
import os
import re
import shlex
import signal
import socket
import struct
import subprocess
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "unit" / "data"
MiB = 1024 * 1024

SAMPLES = {
    "pdf": ("sample.pdf", "application/pdf", ".pdf", "document"),
    "png": ("sample.png", "image/png", ".png", "image"),
    "docx": ("sample.docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".docx", "document"),
    "xlsx": ("sample.xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ".xlsx", "document"),
}


def sample(kind):
    return (DATA / SAMPLES[kind][0]).read_bytes()


def pdf_of_size(n):
    """A byte string libmagic calls application/pdf, exactly n bytes long."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    tail = b"\n%%EOF\n"
    return head + b"0" * (n - len(head) - len(tail)) + tail


class Tenant:
    """A customer with a token, talking to the API like a SaaS would."""

    def __init__(self, stack, plan="starter", limit=None, role="member", user=None):
        self.stack = stack
        self.id = str(uuid.uuid4())
        args = ["customer", "create", "--id", self.id, "--plan", plan]
        if limit is not None:
            args += ["--limit", str(limit)]
        stack.ctl(*args)
        self.user = user or f"user-{self.id[:8]}"
        self.token = self.issue(role)
        self.session = stack.new_session()

    def issue(self, role, user=None):
        out = self.stack.ctl("token", "issue", "--customer", self.id, "--user",
                             user or self.user, "--role", role, "--ttl", "3600").stdout
        return out.strip().splitlines()[-1]

    def request(self, method, path, token=None, headers=None, **kw):
        h = {"Authorization": f"Bearer {token or self.token}"}
        h.update(headers or {})
        kw.setdefault("timeout", 120)
        return self.session.request(method, self.stack.url + path, headers=h, **kw)

    def upload(self, data, filename="file.pdf", category="documents", subcategory="leases",
               entity=None, metadata=None, content_type="application/pdf", extra=None):
        fields = {"category": category}
        if subcategory is not None:
            fields["subcategory"] = subcategory
        if entity is not None:
            fields["entityId"] = entity
        if metadata is not None:
            fields["metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
        fields.update(extra or {})
        return self.request("POST", "/api/storage/upload", data=fields,
                            files={"file": (filename, data, content_type)})

    def link(self, file_id, query=""):
        return self.request("GET", f"/api/storage/files/{file_id}/url{query}")

    def quota(self):
        r = self.request("GET", "/api/storage/quota")
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def stats(self):
        r = self.request("GET", "/api/storage/stats")
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def db(self, sql):
        return self.stack.psql(sql.replace(":customer", f"'{self.id}'"))

    def stored_sum(self):
        """What used must be: the live files' charged sizes (sql/007)."""
        return int(self.db("SELECT coalesce(sum(charged_size), 0) FROM files"
                           " WHERE customer_id = :customer AND state = 'stored'"))


# ---- what the backend holds ------------------------------------------------

def is_s3(stack):
    return stack.env["STORAGE_TYPE"] == "s3"


def s3_request(stack, method, key=None, query=None, sub=None):
    """One request to the stack's S3 peer, signed with its credentials
    (Signature V2 in the Authorization header, path style). key None means
    the bucket itself (canonical resource "/bucket/", as AWS signs it).
    sub: S3 sub-resources ({"uploads": None}, {"uploadId": id}), which V2
    signs as part of the resource, sorted."""
    bucket = stack.env["S3_BUCKET_NAME"]
    path = f"/{bucket}/" + (urllib.parse.quote(key) if key is not None else "")
    if sub:
        path += "?" + "&".join(k if v is None else f"{k}={v}" for k, v in sorted(sub.items()))
    # The time in x-amz-date (AWS then signs an empty Date line and the
    # header among the x-amz-* ones; s3rver reads it only from there).
    date = email.utils.formatdate(usegmt=True)
    to_sign = f"{method}\n\n\n\nx-amz-date:{date}\n{path}"
    sig = base64.b64encode(hmac.new(stack.env["AWS_SECRET_ACCESS_KEY"].encode(),
                                     to_sign.encode(), hashlib.sha1).digest()).decode()
    return requests.request(method, f"http://{stack.env['S3_ENDPOINT']}{path}",
                            params=query, timeout=60,
                            headers={"x-amz-date": date,
                                     "Authorization": f"AWS {stack.env['AWS_ACCESS_KEY_ID']}:{sig}"})


def object_info(stack, key):
    """None when the backend has no object under key; else a dict with
    size and, on S3, the stored Content-Type, ETag and metadata."""
    if not is_s3(stack):
        p = Path(stack.env["LOCAL_STORAGE_PATH"]) / key
        return {"size": p.stat().st_size} if p.is_file() else None
    r = s3_request(stack, "HEAD", key)
    if r.status_code == 404:
        return None
    assert r.status_code == 200, (r.status_code, r.headers)
    return {"size": int(r.headers["Content-Length"]),
            "content_type": r.headers.get("Content-Type"),
            "etag": r.headers.get("ETag", "").strip('"'),
            "customer": r.headers.get("x-amz-meta-customer-id"),
            "uploaded_by": r.headers.get("x-amz-meta-uploaded-by")}


def object_exists(stack, key):
    return object_info(stack, key) is not None


def read_object(stack, key):
    """The bytes stored under key (the whole object)."""
    if not is_s3(stack):
        return (Path(stack.env["LOCAL_STORAGE_PATH"]) / key).read_bytes()
    r = s3_request(stack, "GET", key)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    return r.content


def objects_of(stack, customer):
    """Every object key in the customer's namespace, sorted."""
    prefix = f"customers/{customer}/"
    if not is_s3(stack):
        root = Path(stack.env["LOCAL_STORAGE_PATH"])
        base = root / prefix
        return sorted(str(p.relative_to(root)) for p in base.rglob("*")
                      if p.is_file()) if base.exists() else []
    keys, marker = [], None
    while True:
        q = {"prefix": prefix}
        if marker:
            q["marker"] = marker
        r = s3_request(stack, "GET", None, q)
        assert r.status_code == 200, r.text[:300]
        root = ET.fromstring(r.content)
        ns = {"s3": root.tag.split("}")[0].strip("{")} if root.tag.startswith("{") else {}
        page = [e.text for e in root.iterfind("s3:Contents/s3:Key" if ns else "Contents/Key", ns)]
        keys += page
        truncated = root.findtext("s3:IsTruncated" if ns else "IsTruncated", "false", ns)
        if truncated != "true" or not page:
            return sorted(keys)
        marker = page[-1]


# [s3] multipart_threshold and part_size as scripts/stack leaves them (the defaults).
MULTIPART_THRESHOLD = 64 << 20
PART_SIZE = 16 << 20


def assert_object(stack, key, data, mime):
    """The backend holds exactly data under key; on S3 also with the sniffed
    Content-Type, the ETag of a single PUT (the MD5 of the bytes) or of a
    multipart upload, and no identity in its metadata (who uploaded is the
    database's to know: a presigned link shows the object's headers to
    whoever holds it)."""
    assert read_object(stack, key) == data
    info = object_info(stack, key)
    assert info["size"] == len(data)
    if is_s3(stack):
        assert info["content_type"] == mime, info
        if len(data) > MULTIPART_THRESHOLD and stack.env["S3_SIGNATURE"] == "v4":
            # Uploaded in parts of 16 MiB: S3's ETag is then "<md5 of the
            # parts' md5s>-<parts>", and each part was checked by S3 itself.
            parts = -(-len(data) // PART_SIZE)
            assert re.fullmatch(r"[0-9a-f]{32}-%d" % parts, info["etag"]), info
        else:
            assert info["etag"] == hashlib.md5(data).hexdigest(), info
        assert info["customer"] is None and info["uploaded_by"] is None, info


def s3_peer_commands(s3_stack):
    """Shell commands that stop the stack's S3 front end (RGW or s3rver) and
    start it again exactly as scripts/stack does (same port and data):
    `scripts/stack s3-stop DIR` and `scripts/stack s3-start DIR`."""
    d = shlex.quote(s3_stack.env["COFFER_STACK_DIR"])
    script = shlex.quote(str(ROOT / "scripts" / "stack"))
    return f"bash {script} s3-stop {d}", f"bash {script} s3-start {d}"


def output_dir():
    """Where a test run keeps what it produces (logs, screenshots): not committed."""
    base = Path(os.environ.get("COFFER_TEST_OUT", ROOT / "out"))
    base.mkdir(parents=True, exist_ok=True)
    return base


def run_browser_test(script, env, log):
    """node --test SCRIPT (a tests/web or tests/clients file driving Debian's
    Chromium through playwright-core from .deps/) with env added; keeps its
    output as OUT/LOG and asserts it ran and passed."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    assert Path(chromium).exists(), f"{chromium} missing: run scripts/install-deps"
    assert (ROOT / ".deps" / "node_modules" / "playwright-core").is_dir(), \
        "playwright-core missing from .deps/: run scripts/install-deps"
    out = output_dir()
    proc = subprocess.run(["node", "--test", "--test-reporter=spec", str(script)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env=dict(os.environ, CHROMIUM=chromium, COFFER_TEST_OUT=str(out), **env))
    (out / log).parent.mkdir(parents=True, exist_ok=True)
    (out / log).write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout[-20000:] + proc.stderr[-5000:]
    assert "# fail 0" in proc.stdout or "ℹ fail 0" in proc.stdout, proc.stdout[-5000:]


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_secret(stack):
    m = re.search(r"(?m)^jwt_secret\s*=\s*(\S+)\s*$", stack.conf.read_text())
    assert m, "scripts/stack writes [auth] jwt_secret into coffer.conf"
    return m.group(1)


def sign_jwt(stack, claims=None, header=None, payload_bytes=None, key=None, alg="HS256"):
    """A JWT signed with HMAC (the stack's secret unless key) over any
    header and payload bytes we choose."""
    header = header or {"alg": alg, "typ": "JWT"}
    if payload_bytes is None:
        payload_bytes = json.dumps(claims, separators=(",", ":")).encode()
    signing_input = b64url(json.dumps(header, separators=(",", ":"))) + "." + b64url(payload_bytes)
    key = (key if key is not None else jwt_secret(stack)).encode()
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return signing_input + "." + b64url(hmac.new(key, signing_input.encode(), digest).digest())


def claims_for(customer, user="user-1", role="member", ttl=600, **extra):
    now = int(time.time())
    c = {"customerId": customer, "userId": user, "role": role, "iat": now, "exp": now + ttl}
    c.update(extra)
    return c


def recv_all(s):
    """Everything a socket sends until the peer closes it."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def fcgi_request(sock_path, path, method="GET", params=None, timeout=10):
    """A minimal FastCGI client (one request, no body), to talk to a cofferd
    pool directly where nginx is not the subject of the test."""
    def record(rtype, content, req_id=1):
        pad = (8 - len(content) % 8) % 8
        return struct.pack("!BBHHBB", 1, rtype, req_id, len(content), pad, 0) + content + b"\0" * pad

    def nv(name, value):
        out = b""
        for item in (name, value):
            n = len(item)
            out += bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
        return out + name + value

    env = {"REQUEST_METHOD": method, "DOCUMENT_URI": path.split("?")[0],
           "REQUEST_URI": path, "QUERY_STRING": path.partition("?")[2],
           "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_LENGTH": ""}
    env.update(params or {})
    body = b"".join(nv(k.encode(), v.encode()) for k, v in env.items())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(str(sock_path))
    s.sendall(record(1, struct.pack("!HB5x", 1, 0)) + record(4, body) + record(4, b"")
              + record(5, b""))
    data = recv_all(s)
    s.close()
    out = b""
    while len(data) >= 8:
        _, rtype, _, clen, plen, _ = struct.unpack("!BBHHBB", data[:8])
        if rtype == 6:
            out += data[8:8 + clen]
        data = data[8 + clen + plen:]
    head, _, payload = out.partition(b"\r\n\r\n")
    status = 200
    for line in head.decode().split("\r\n"):
        if line.lower().startswith("status:"):
            status = int(line.split()[1])
    return status, payload


def kill_worker_serving(stack, fragment):
    """SIGKILL the worker whose request URI holds fragment (an upload's
    id, say) once the pool status shows it; its pid."""
    victim = stack.wait_for(lambda: next(
        (p["pid"] for p in stack.status()["processes"]
         if fragment in (p.get("requestUri") or "")), None), what="its worker")
    os.kill(victim, signal.SIGKILL)
    return victim


def settle(stack, t):
    """What an operator runs after a crash: age the abandoned rows past
    pending_timeout (the test cannot wait 15 minutes), then reconcile."""
    t.db("UPDATE files SET created_at = now() - interval '1 day'"
         " WHERE customer_id = :customer AND state = 'pending'")
    proc = stack.ctl("reconcile", "--customer", t.id, check=False)
    assert proc.returncode in (0, 3), proc.stdout + proc.stderr
    return proc
