"""Resumable uploads (tus 1.0) against a live stack: the protocol spoken raw
here, and by a real client (tus-js-client in Node) in the tests at the end.

What a user sees is asserted: statuses, the JSON error shape with the tus
headers, the quota (reserved at creation, used at completion), the bytes
the backend holds, the rows, and the invariants after reconciliation."""
import base64
import hashlib
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

import invariants
from conftest import ROOT
from helpers import (MiB, Tenant, kill_worker_serving, object_info, objects_of, output_dir,
                     pdf_of_size, read_object)

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"
NODE_MODULES = ROOT / ".deps" / "node_modules"
CLIENT = ROOT / "tests" / "integration" / "tus" / "client.mjs"


def meta(**kv):
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in kv.items())


def create(t, length, token=None, data=None, **metadata):
    headers = dict(TUS, **{"Upload-Length": str(length)})
    metadata.setdefault("filename", "big.pdf")
    metadata.setdefault("category", "documents")
    metadata.setdefault("subcategory", "contracts")
    headers["Upload-Metadata"] = meta(**metadata)
    if data is not None:
        headers["Content-Type"] = OCTETS
    return t.request("POST", "/api/storage/uploads", token=token, headers=headers, data=data)


def patch(t, url, offset, data, token=None, headers=None):
    h = dict(TUS, **{"Upload-Offset": str(offset), "Content-Type": OCTETS})
    h.update(headers or {})
    return t.request("PATCH", url, token=token, headers=h, data=data)


def head(t, url, token=None):
    return t.request("HEAD", url, token=token, headers=TUS)


def assert_tus_error(r, status, code):
    """The API's JSON error shape, and still a tus answer."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers.get("Tus-Resumable") == "1.0.0", r.headers
    if r.request.method == "HEAD":
        return          # no body, by HTTP
    body = r.json()
    assert body["success"] is False and body["code"] == code, body
    assert isinstance(body["error"], str) and body["error"]


def partial_path(stack, t, url):
    return Path(stack.env["LOCAL_STORAGE_PATH"]) / ".uploads" / t.id / url.rsplit("/", 1)[1]


def reconcile_json(stack, t):
    proc = stack.ctl("reconcile", "--customer", t.id, "--json", check=False)
    assert proc.returncode in (0, 3), proc.stdout + proc.stderr
    return json.loads(proc.stdout)


# ---- the protocol, raw -------------------------------------------------------

def test_options_discovery(stack):
    t = Tenant(stack)
    r = t.request("OPTIONS", "/api/storage/uploads")
    assert r.status_code == 204, r.text
    assert r.headers["Tus-Resumable"] == "1.0.0"
    assert r.headers["Tus-Version"] == "1.0.0"
    assert set(r.headers["Tus-Extension"].split(",")) == {
        "creation", "creation-with-upload", "termination", "expiration"}
    # [storage] max_file_size (the stack sets 256MiB).
    assert int(r.headers["Tus-Max-Size"]) == 256 * MiB
    # Unauthenticated: refused like every route.
    r = stack.request("OPTIONS", "/api/storage/uploads")
    assert r.status_code == 401


def test_upload_in_chunks_reserves_then_commits(api):
    """On both backends: local (the partial file becomes the object by a
    hard link) and S3 (assembled locally, stored by one put at the end)."""
    stack = api
    t = Tenant(stack)
    data = pdf_of_size(3 * MiB + 12345)
    r = create(t, len(data), metadata=json.dumps({"contract": "C-1"}), entityId="")
    assert r.status_code == 201, r.text
    url = r.headers["Location"]
    assert url.startswith("/api/storage/uploads/")
    assert r.headers["Upload-Offset"] == "0"
    assert "GMT" in r.headers["Upload-Expires"]
    # Reserved at creation, before any byte: visible in /quota.
    q = t.quota()
    assert (q["used"], q["reserved"]) == (0, len(data))

    off = 0
    for size in (MiB, MiB, MiB):
        r = patch(t, url, off, data[off:off + size])
        assert r.status_code == 204, r.text
        off += size
        assert r.headers["Upload-Offset"] == str(off)
        # Acknowledged means on disk.
        assert partial_path(stack, t, url).stat().st_size == off
    r = head(t, url)
    assert r.status_code == 200
    assert (r.headers["Upload-Offset"], r.headers["Upload-Length"]) == (str(off), str(len(data)))
    assert r.headers["Cache-Control"] == "no-store"

    r = patch(t, url, off, data[off:])
    assert r.status_code == 200, r.text
    out = r.json()["data"]
    assert out["fileSize"] == len(data)
    assert out["mimeType"] == "application/pdf"
    assert out["filePath"].startswith(f"customers/{t.id}/documents/contracts/")
    assert out["filePath"].endswith(".pdf")
    assert out["fileUrl"]
    assert out["sha256"] == hashlib.sha256(data).hexdigest()
    assert r.headers["Upload-Offset"] == str(len(data))
    assert r.headers["Coffer-File-Id"] == out["fileId"]
    assert r.headers["Coffer-File-Path"] == out["filePath"]
    # The same commit as a plain upload: usage, breakdown, audit, event, bytes.
    q = t.quota()
    assert (q["used"], q["reserved"]) == (len(data), 0)
    assert read_object(stack, out["filePath"]) == data
    assert t.db(f"SELECT sha256, mime_type, file_type, original_name, metadata->>'contract'"
                f" FROM files WHERE customer_id = :customer AND id = '{out['fileId']}'") == \
        f"{out['sha256']}|application/pdf|document|big.pdf|C-1"
    assert t.db("SELECT count(*) FROM audit_log WHERE customer_id = :customer"
                f" AND action = 'upload' AND file_id = '{out['fileId']}'") == "1"
    assert t.db("SELECT count(*) FROM storage_events WHERE customer_id = :customer"
                f" AND type = 'file.uploaded' AND file_id = '{out['fileId']}'") == "1"
    assert not partial_path(stack, t, url).exists()
    # After completion HEAD still says where the file is.
    r = head(t, url)
    assert r.status_code == 200
    assert r.headers["Upload-Offset"] == str(len(data))
    assert r.headers["Coffer-File-Id"] == out["fileId"]
    assert invariants.check(stack, t.id, objects_of(stack, t.id)) == len(data)


def test_creation_with_upload_whole_file(stack):
    t = Tenant(stack)
    data = pdf_of_size(200 * 1024)
    r = create(t, len(data), data=data)
    assert r.status_code == 201, r.text
    out = r.json()["data"]
    assert r.headers["Upload-Offset"] == str(len(data))
    assert out["fileSize"] == len(data)
    assert read_object(stack, out["filePath"]) == data
    assert t.quota()["used"] == len(data)


def test_creation_that_does_not_fit_is_507_before_any_byte(stack):
    t = Tenant(stack, limit=2 * MiB)
    r = create(t, 3 * MiB)
    assert_tus_error(r, 507, "QUOTA_EXCEEDED")
    assert r.json()["needed"] == 3 * MiB
    assert "Location" not in r.headers
    q = t.quota()
    assert (q["used"], q["reserved"]) == (0, 0)
    assert t.db("SELECT count(*) FROM tus_uploads WHERE customer_id = :customer") == "0"
    # Two creations that fit one at a time do not fit together.
    r1 = create(t, MiB + 1)
    assert r1.status_code == 201
    assert_tus_error(create(t, MiB), 507, "QUOTA_EXCEEDED")


def test_creation_above_the_file_maximum_is_413(stack):
    t = Tenant(stack)
    assert_tus_error(create(t, 256 * MiB + 1), 413, "FILE_TOO_LARGE")
    stack.ctl("plan", "set", "tusmax", "--limit", "1GiB", "--max-file-size", "1MiB")
    stack.ctl("customer", "set-plan", t.id, "tusmax")
    r = create(t, MiB + 1)
    assert_tus_error(r, 413, "FILE_TOO_LARGE")
    assert t.quota()["reserved"] == 0


def test_bad_creations_are_400_or_412(stack):
    t = Tenant(stack)
    r = t.request("POST", "/api/storage/uploads", headers={"Upload-Length": "10"})
    assert_tus_error(r, 412, "TUS_VERSION_UNSUPPORTED")
    assert r.headers["Tus-Version"] == "1.0.0"
    for h, code in ((dict(TUS), "UPLOAD_LENGTH_REQUIRED"),
                    (dict(TUS, **{"Upload-Length": "-5"}), "UPLOAD_LENGTH_REQUIRED"),
                    (dict(TUS, **{"Upload-Length": "0"}), "EMPTY_FILE"),
                    (dict(TUS, **{"Upload-Defer-Length": "1"}), "UPLOAD_LENGTH_REQUIRED"),
                    (dict(TUS, **{"Upload-Length": "10", "Upload-Metadata": "filename !!!"}),
                     "INVALID_UPLOAD_METADATA"),
                    (dict(TUS, **{"Upload-Length": "10", "Upload-Metadata": "a YQ==,a YQ=="}),
                     "INVALID_UPLOAD_METADATA"),
                    (dict(TUS, **{"Upload-Length": "10",
                                  "Upload-Metadata": meta(category="../../etc")}),
                     "INVALID_CATEGORY"),
                    (dict(TUS, **{"Upload-Length": "10",
                                  "Upload-Metadata": meta(category="documents",
                                                          subcategory="leases",
                                                          metadata="{not json")}),
                     None)):
        r = t.request("POST", "/api/storage/uploads", headers=h)
        assert r.status_code == 400, (h, r.text)
        assert r.headers["Tus-Resumable"] == "1.0.0"
        if code:
            assert r.json()["code"] == code, (h, r.json())
    assert t.quota()["reserved"] == 0


def test_bad_patches(stack):
    t = Tenant(stack)
    other = Tenant(stack)
    data = pdf_of_size(2 * MiB)
    url = create(t, len(data)).headers["Location"]
    assert patch(t, url, 0, data[:MiB]).status_code == 204
    part = partial_path(stack, t, url)

    # Wrong offset: 409 with where it is.
    r = patch(t, url, 5, data[5:100])
    assert_tus_error(r, 409, "OFFSET_MISMATCH")
    assert r.json()["offset"] == MiB
    # Past Upload-Length: 413 and nothing written.
    r = patch(t, url, MiB, data[MiB:] + b"x")
    assert_tus_error(r, 413, "UPLOAD_LENGTH_EXCEEDED")
    assert part.stat().st_size == MiB
    # Wrong content type, missing offset, missing version.
    r = t.request("PATCH", url, headers=dict(TUS, **{"Upload-Offset": str(MiB),
                                                    "Content-Type": "application/pdf"}),
                  data=data[MiB:])
    assert_tus_error(r, 415, "INVALID_UPLOAD_CONTENT_TYPE")
    r = t.request("PATCH", url, headers=dict(TUS, **{"Content-Type": OCTETS}), data=b"x")
    assert_tus_error(r, 400, "UPLOAD_OFFSET_REQUIRED")
    r = t.request("PATCH", url, headers={"Upload-Offset": str(MiB), "Content-Type": OCTETS},
                  data=b"x")
    assert_tus_error(r, 412, "TUS_VERSION_UNSUPPORTED")
    # Someone else's upload, or no upload at all: 404, nothing touched.
    for who, u in ((other, url), (t, "/api/storage/uploads/" + "0" * 8 + "-0000-4000-8000-"
                                  + "0" * 12), (t, "/api/storage/uploads/not-a-uuid")):
        assert_tus_error(patch(who, u, MiB, data[MiB:]), 404, "UPLOAD_NOT_FOUND")
        assert_tus_error(head(who, u), 404, "UPLOAD_NOT_FOUND")
        assert who.request("DELETE", u, headers=TUS).status_code == 404
    assert part.stat().st_size == MiB
    assert head(t, url).headers["Upload-Offset"] == str(MiB)
    assert other.quota()["reserved"] == 0
    # The upload still completes.
    r = patch(t, url, MiB, data[MiB:])
    assert r.status_code == 200, r.text
    assert read_object(stack, r.json()["data"]["filePath"]) == data


def test_expired_upload_is_410_and_released(stack):
    t = Tenant(stack)
    data = pdf_of_size(2 * MiB)
    url = create(t, len(data)).headers["Location"]
    assert patch(t, url, 0, data[:MiB]).status_code == 204
    t.db("UPDATE tus_uploads SET expires_at = now() - interval '1 second'"
         " WHERE customer_id = :customer")
    assert_tus_error(patch(t, url, MiB, data[MiB:]), 410, "UPLOAD_EXPIRED")
    assert t.quota()["reserved"] == 0
    assert not partial_path(stack, t, url).exists()
    assert_tus_error(head(t, url), 404, "UPLOAD_NOT_FOUND")
    assert t.db("SELECT count(*) FROM audit_log WHERE customer_id = :customer"
                " AND action = 'release'") == "1"
    invariants.check(stack, t.id)


def test_termination_releases(stack):
    t = Tenant(stack)
    data = pdf_of_size(2 * MiB)
    url = create(t, len(data)).headers["Location"]
    assert patch(t, url, 0, data[:MiB]).status_code == 204
    assert t.quota()["reserved"] == len(data)
    r = t.request("DELETE", url, headers=TUS)
    assert r.status_code == 204, r.text
    assert r.headers["Tus-Resumable"] == "1.0.0"
    assert t.quota()["reserved"] == 0
    assert not partial_path(stack, t, url).exists()
    assert_tus_error(head(t, url), 404, "UPLOAD_NOT_FOUND")
    assert_tus_error(patch(t, url, MiB, data[MiB:]), 404, "UPLOAD_NOT_FOUND")
    invariants.check(stack, t.id)


def test_first_chunk_of_a_refused_type_fails_early(stack):
    t = Tenant(stack)
    junk = os.urandom(3 * MiB)      # application/octet-stream: not on the list
    url = create(t, len(junk), filename="x.pdf").headers["Location"]
    r = patch(t, url, 0, junk[:MiB])
    assert_tus_error(r, 415, "MIME_NOT_ALLOWED")
    assert r.json()["detectedType"] == "application/octet-stream"
    assert t.quota()["reserved"] == 0
    assert_tus_error(head(t, url), 404, "UPLOAD_NOT_FOUND")
    assert not partial_path(stack, t, url).exists()
    # A small refused file is told at its last (only) chunk, the same way.
    script = b"#!/bin/sh\necho hello\n" * 10
    url = create(t, len(script)).headers["Location"]
    r = patch(t, url, 0, script)
    assert_tus_error(r, 415, "MIME_NOT_ALLOWED")
    assert t.quota()["reserved"] == 0
    invariants.check(stack, t.id)


def test_worker_killed_before_commit_head_finishes(stack):
    """Every byte in, the object written, the worker killed before the
    commit: the client resumes with HEAD (offset = length, so it sends no
    more), and that HEAD commits the file."""
    t = Tenant(stack)
    data = pdf_of_size(MiB + 4096)
    url = create(t, len(data)).headers["Location"]
    assert patch(t, url, 0, data[:MiB]).status_code == 204
    result = {}

    def last():
        result["r"] = patch(t, url, MiB, data[MiB:],
                            headers={"X-Coffer-Test-Pause": "tus-after-put:20001"})

    th = threading.Thread(target=last)
    th.start()
    stack.wait_for(lambda: "pausing 20001 ms tus-after-put" in stack.log_text(),
                   timeout=30, what="the paused PATCH")
    kill_worker_serving(stack, url.rsplit("/", 1)[1])
    th.join()
    assert result["r"].status_code in (502, 503), result["r"].text
    q = t.quota()
    assert (q["used"], q["reserved"]) == (0, len(data))
    key = t.db("SELECT storage_key FROM files WHERE customer_id = :customer")
    assert key.endswith(".pdf") and object_info(stack, key)["size"] == len(data)

    r = head(t, url)
    assert r.status_code == 200
    assert r.headers["Upload-Offset"] == str(len(data))
    assert r.headers["Coffer-File-Path"] == key
    q = t.quota()
    assert (q["used"], q["reserved"]) == (len(data), 0)
    assert read_object(stack, key) == data
    assert invariants.check(stack, t.id) == len(data)


def test_reconcile_leaves_live_uploads_and_ends_expired_ones(stack):
    t = Tenant(stack)
    data = pdf_of_size(2 * MiB)
    live = create(t, len(data)).headers["Location"]
    dead = create(t, len(data)).headers["Location"]
    assert patch(t, live, 0, data[:MiB]).status_code == 204
    assert patch(t, dead, 0, data[:MiB]).status_code == 204
    # Both older than pending_timeout; only one past its expiry.
    t.db("UPDATE files SET created_at = now() - interval '1 day'"
         " WHERE customer_id = :customer AND state = 'pending'")
    t.db("UPDATE tus_uploads SET expires_at = now() - interval '1 second'"
         f" WHERE customer_id = :customer AND id = '{dead.rsplit('/', 1)[1]}'")
    report = reconcile_json(stack, t)
    assert report["uploads"]["expired"] == 1, report
    assert report["pending"]["receiving"] == 1, report
    assert report["pending"]["released"] == 0, report
    assert t.quota()["reserved"] == len(data)
    assert not partial_path(stack, t, dead).exists()
    assert partial_path(stack, t, live).exists()
    # The live one still completes.
    r = patch(t, live, MiB, data[MiB:])
    assert r.status_code == 200, r.text
    reconcile_json(stack, t)
    assert invariants.check(stack, t.id) == len(data)


def test_resumable_and_plain_uploads_never_overrun_the_limit(stack):
    """Real concurrency: threads create resumable uploads and post plain
    uploads against one small limit at once; whatever wins, committed plus
    reserved never exceeds it, and every refusal is a clean 507."""
    size = 256 * 1024
    limit = 10 * size + size // 2       # room for 10 files, not 11
    t = Tenant(stack, limit=limit)
    data = pdf_of_size(size)
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def tus_one():
        barrier.wait()
        r = create(t, size)
        if r.status_code != 201:
            return r.status_code
        url = r.headers["Location"]
        r = patch(t, url, 0, data[:size // 2])
        if r.status_code != 204:
            return r.status_code
        return patch(t, url, size // 2, data[size // 2:]).status_code

    def plain_one():
        barrier.wait()
        return t.upload(data).status_code

    def run(fn):
        code = fn()
        with lock:
            results.append((fn.__name__, code))

    def watch(stop):
        # Sampled while the uploads run: never over the limit.
        while not stop.is_set():
            used, reserved = map(int, t.db("SELECT storage_used, storage_reserved"
                                           " FROM customers WHERE customer_id = :customer")
                                 .split("|"))
            assert used + reserved <= limit, (used, reserved)

    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(stop,))
    watcher.start()
    threads = [threading.Thread(target=run, args=(tus_one if i % 2 else plain_one,))
               for i in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    stop.set()
    watcher.join()
    ok = [n for n, c in results if c == 200]
    assert len(ok) == 10, results
    assert all(c == 507 for n, c in results if c != 200), results
    q = t.quota()
    assert (q["used"], q["reserved"]) == (10 * size, 0)
    assert invariants.check(stack, t.id) == 10 * size


# ---- a real client: tus-js-client in Node ------------------------------------

def node_client(stack, t, path, token=None, background=False, **opts):
    """Run tests/integration/tus/client.mjs; returns its events (or the Popen)."""
    assert (NODE_MODULES / "tus-js-client" / "package.json").exists(), \
        "tus-js-client missing: run scripts/install-deps"
    opts = dict({"endpoint": stack.url + "/api/storage/uploads", "file": str(path),
                 "token": token or t.token, "chunkSize": MiB,
                 "metadata": {"filename": "big.pdf", "category": "documents",
                              "subcategory": "contracts"}}, **opts)
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=stack.ca,
               COFFER_NODE_MODULES=str(NODE_MODULES))
    cmd = ["node", str(CLIENT), json.dumps(opts)]
    if background:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    return events_of(proc.stdout, proc.stderr)


def events_of(stdout, stderr):
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert events, f"no events from the client; stderr:\n{stderr}"
    return events


def test_tus_js_client_resumes_after_drop_kill_and_token_refresh(api, tmp_path):
    stack = api
    t = Tenant(stack)
    data = pdf_of_size(20 * MiB)
    src = tmp_path / "big.pdf"
    src.write_bytes(data)

    # 1. The connection drops in the middle of the third PATCH: the client
    #    asks where the upload stands and goes on; we stop it at 6 MiB.
    ev = node_client(stack, t, src, dropAtOffset=2 * MiB, stopAfterOffset=6 * MiB)
    kinds = [e["event"] for e in ev]
    assert "dropped" in kinds and kinds[-1] == "stopped", ev
    url = ev[-1]["url"]
    assert ev[-1]["counts"]["HEAD"] >= 1, ev     # it resumed by asking
    r = head(t, url.replace(stack.url, ""))
    assert r.headers["Upload-Offset"] == str(6 * MiB)
    assert partial_path(stack, t, url).stat().st_size == 6 * MiB
    q = t.quota()
    assert (q["used"], q["reserved"]) == (0, 20 * MiB)

    # 2. Later, with a refreshed token, the client resumes that upload; the
    #    worker writing the PATCH at 10 MiB is killed after its write,
    #    before the offset was acknowledged.
    fresh = stack.ctl("token", "issue", "--customer", t.id, "--user", t.user, "--role",
                      "member", "--ttl", "7200").stdout.strip().splitlines()[-1]
    assert fresh != t.token
    proc = node_client(stack, t, src, token=fresh, background=True, uploadUrl=url,
                       pauseAtOffset=10 * MiB, pauseMs=20000)
    try:
        upload_id = url.rsplit("/", 1)[1]
        stack.wait_for(lambda: "pausing 20000 ms tus-after-write" in stack.log_text(),
                       timeout=60, what="the paused PATCH")
        victim = stack.wait_for(lambda: next(
            (p["pid"] for p in stack.status()["processes"]
             if upload_id in (p.get("requestUri") or "")), None), what="its worker")
        # The chunk is on disk, but not acknowledged.
        assert partial_path(stack, t, url).stat().st_size == 11 * MiB
        assert t.db("SELECT upload_offset FROM tus_uploads WHERE customer_id = :customer") \
            == str(10 * MiB)
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    ev = events_of(out, err)
    done = ev[-1]
    assert done["event"] == "success", ev
    assert done["status"] == 200, done
    body = json.loads(done["body"])["data"]
    assert body["fileSize"] == 20 * MiB and done["fileId"] == body["fileId"]
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    # Byte-identical, charged once, nothing left over.
    assert read_object(stack, body["filePath"]) == data
    q = t.quota()
    assert (q["used"], q["reserved"]) == (20 * MiB, 0)
    assert not partial_path(stack, t, url).exists()
    assert invariants.check(stack, t.id, objects_of(stack, t.id)) == 20 * MiB


def test_tus_js_client_creation_that_does_not_fit_gets_507_before_any_byte(stack, tmp_path):
    t = Tenant(stack, limit=MiB)
    src = tmp_path / "too-big.pdf"
    src.write_bytes(pdf_of_size(3 * MiB))
    # (tus-js-client retries any 5xx by default, 507 too: an application
    # turns that off for 507, as here.)
    ev = node_client(stack, t, src, retryDelays=None)
    done = ev[-1]
    assert done["event"] == "error" and done["status"] == 507, ev
    assert json.loads(done["body"])["code"] == "QUOTA_EXCEEDED"
    assert done["counts"] == {"POST": 1}, done      # not one PATCH
    q = t.quota()
    assert (q["used"], q["reserved"]) == (0, 0)


# ---- Chromium: tus-js-client's browser build, and the dashboard ----------------

@pytest.mark.browser
def test_tus_in_chromium(stack):
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    assert Path(chromium).exists(), f"{chromium} missing: run scripts/install-deps"
    client, board, small = Tenant(stack), Tenant(stack), Tenant(stack, limit=2 * MiB)
    fixtures = {"client": {"token": client.token}, "dashboard": {"token": board.token},
                "small": {"token": small.token}}
    env = dict(os.environ, COFFER_URL=stack.url, COFFER_TEST_OUT=str(output_dir()),
               CHROMIUM=chromium, COFFER_TUS_FIXTURES=json.dumps(fixtures))
    proc = subprocess.run(["node", "--test", "--test-reporter=spec",
                           str(ROOT / "tests" / "web" / "tus.test.mjs")],
                          capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "pass 3" in proc.stdout and "fail 0" in proc.stdout, proc.stdout[-3000:]
    # What the browsers left: each file stored once, through tus, nothing reserved.
    for t, size in ((client, 20 * MiB), (board, 9 * MiB)):
        assert t.db("SELECT count(*) FROM tus_uploads WHERE customer_id = :customer"
                    " AND completed_at IS NOT NULL") == "1"
        q = t.quota()
        assert (q["used"], q["reserved"]) == (size, 0)
        key = t.db("SELECT storage_key FROM files WHERE customer_id = :customer")
        assert read_object(stack, key) == pdf_of_size(size)
        assert invariants.check(stack, t.id) == size
    q = small.quota()
    assert (q["used"], q["reserved"]) == (0, 0)
    assert small.db("SELECT count(*) FROM tus_uploads WHERE customer_id = :customer") == "0"
