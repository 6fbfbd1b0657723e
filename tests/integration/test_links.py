"""Expiring download links, end to end, on every backend (the `api` fixture).

Local: the link points at cofferd (/dl/...?exp=&sig=, HMAC-SHA256 under the
stack's [storage] link_secret) and nginx sends the file from its internal
/_objects/ location. S3: the link is a presigned URL of the S3 peer, with
response-content-type and response-content-disposition overrides.
"""
import hashlib
import re
import subprocess
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
import requests

from helpers import Tenant, is_s3, sample

# Quotes, spaces and non-ASCII: what RFC 6266's filename* is for.
NAME = 'Résumé "final" – 2024.pdf'


def disposition(name):
    """RFC 6266 as cofferd writes it: an ASCII fallback, then filename*."""
    fallback = "".join("_" if ord(c) < 0x20 or ord(c) > 0x7e or c in '"\\/%' else c
                       for c in name)
    return (f'attachment; filename="{fallback}"; '
            f"filename*=UTF-8''{urllib.parse.quote(name.encode(), safe='!#$&+^`|')}")


def filename_star(value):
    """The name a user agent takes from filename* (RFC 8187)."""
    m = re.search(r"filename\*=UTF-8''([^;\s]+)", value)
    assert m, value
    return urllib.parse.unquote(m.group(1), encoding="utf-8", errors="strict")


def epoch(iso):
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


def fetch(api, url, method="GET"):
    """Follow a link as a browser would: cofferd's over the stack's TLS, S3's directly."""
    if url.startswith(api.url + "/"):
        return api.session.request(method, url, timeout=60, allow_redirects=False)
    return requests.request(method, url, timeout=60, allow_redirects=False)


def refusal(api, r):
    """The machine-readable reason of a refused link: cofferd's JSON code, S3's XML Code."""
    if is_s3(api):
        return ET.fromstring(r.content).findtext("Code")
    return r.json()["code"]


def put_named(tenant, data, name, category="documents", subcategory="contracts"):
    """A raw-body upload: the name travels in the query string, byte for byte."""
    q = urllib.parse.urlencode({"category": category, "subcategory": subcategory, "name": name})
    r = tenant.request("PUT", f"/api/storage/files?{q}", data=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture
def tenant(api):
    return Tenant(api)


def link_expiry(url):
    """When a link stops working, in epoch seconds: V4's X-Amz-Date plus
    X-Amz-Expires, V2's Expires, cofferd's exp."""
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if "X-Amz-Date" in q:
        signed = datetime.strptime(q["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
        return int(signed.replace(tzinfo=timezone.utc).timestamp()) + \
            int(q["X-Amz-Expires"][0])
    return int((q.get("Expires") or q.get("exp"))[0])


def assert_link_shape(api, url):
    if is_s3(api):
        assert url.startswith(f"http://{api.env['S3_ENDPOINT']}/{api.env['S3_BUCKET_NAME']}/"), url
        if api.env["S3_SIGNATURE"] == "v4":
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            assert q["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"], url
            assert q["X-Amz-Credential"][0].endswith(f"/{api.env['AWS_REGION']}/s3/aws4_request")
            assert q["X-Amz-SignedHeaders"] == ["host"] and len(q["X-Amz-Signature"][0]) == 64
        else:
            assert "Signature=" in url and "Expires=" in url
    else:
        assert re.fullmatch(re.escape(api.url) + r"/dl/[0-9a-f-]{36}/[0-9a-f-]{36}"
                            r"\?exp=\d+&sig=[0-9a-f]{64}", url), url


def test_file_url_serves_bytes_type_and_name(api, tenant):
    data = sample("pdf")
    d = put_named(tenant, data, NAME)
    assert d["originalName"] == NAME
    url = d["fileUrl"]
    assert_link_shape(api, url)
    # The default lifetime: an hour.
    assert abs(epoch(d["fileUrlExpiresAt"]) - (time.time() + 3600)) < 120
    r = fetch(api, url)
    assert r.status_code == 200, r.text[:300]
    assert r.content == data
    assert hashlib.md5(r.content).hexdigest() == hashlib.md5(data).hexdigest()
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"] == disposition(NAME)
    assert filename_star(r.headers["Content-Disposition"]) == NAME
    if not is_s3(api):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"].startswith("private, max-age=")
        assert 3500 < int(r.headers["Cache-Control"].rsplit("=", 1)[1]) <= 3600
        assert int(r.headers["Content-Length"]) == len(data)
        # HEAD: the headers without the body.
        h = fetch(api, url, "HEAD")
        assert h.status_code == 200 and h.content == b""
        assert h.headers["Content-Disposition"] == disposition(NAME)


def test_url_endpoint_types_and_names(api, tenant):
    """A fresh link for each stored file, with the type sniffed at upload
    (whatever the client said) and the original name."""
    d = tenant.upload(sample("png"), filename="Übersicht März.png", category="avatars",
                      subcategory=None, content_type="application/octet-stream").json()["data"]
    r = tenant.link(d["fileId"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and set(body["data"]) == {"url", "expiresAt", "expiresIn"}
    link = body["data"]
    assert link["expiresIn"] == 3600
    assert_link_shape(api, link["url"])
    got = fetch(api, link["url"])
    assert got.status_code == 200 and got.content == sample("png")
    assert got.headers["Content-Type"] == "image/png"
    assert filename_star(got.headers["Content-Disposition"]) == "Übersicht März.png"
    assert 'filename="_bersicht M_rz.png"' in got.headers["Content-Disposition"]
    # The expiry in the answer is the one in the link.
    assert link_expiry(link["url"]) == epoch(link["expiresAt"])


@pytest.mark.parametrize("query", ["?expiresIn=0", "?expiresIn=-1", "?expiresIn=604801",
                                   "?expiresIn=abc", "?expiresIn=1.5", "?expiresIn=1e3",
                                   "?expiresIn=99999999999999999999",
                                   "?expiresIn=5&expiresIn=6"])
def test_expires_in_out_of_bounds_400(api, tenant, query):
    d = tenant.upload(sample("pdf")).json()["data"]
    r = tenant.link(d["fileId"], query)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "INVALID_QUERY"


def test_expires_in_bounds_accepted(api, tenant):
    d = tenant.upload(sample("pdf")).json()["data"]
    for n in (1, 604800):
        before = time.time()
        r = tenant.link(d["fileId"], f"?expiresIn={n}")
        assert r.status_code == 200, r.text
        link = r.json()["data"]
        assert link["expiresIn"] == n
        assert int(before) + n - 1 <= epoch(link["expiresAt"]) <= time.time() + n + 1
    # A week-long link works now.
    assert fetch(api, link["url"]).status_code == 200


def test_two_second_link_fails_after_three(api, tenant):
    d = tenant.upload(sample("pdf")).json()["data"]
    created = time.time()
    r = tenant.link(d["fileId"], "?expiresIn=2")
    assert r.status_code == 200, r.text
    link = r.json()["data"]
    exp = epoch(link["expiresAt"])
    if time.time() - created < 1.0:
        # Still inside its lifetime (checked only when the machine kept up).
        assert fetch(api, link["url"]).status_code == 200
    time.sleep(max(0.0, created + 3 - time.time(), exp + 1 - time.time()))
    late = fetch(api, link["url"])
    assert late.status_code == 403, late.text[:300]
    if is_s3(api):
        # RGW says AccessDenied without a message; s3rver adds "expired".
        assert refusal(api, late) == "AccessDenied"
        if api.env["S3_PEER"] == "s3rver":
            assert "expired" in late.text
    else:
        assert refusal(api, late) == "LINK_EXPIRED"
        assert late.json()["success"] is False


def tampered(api, url):
    """Variants of a genuine link, each changed in one signed part."""
    if is_s3(api):
        sig = re.search(r"Signature=([^&]+)", url).group(1)
        flipped = ("B" if sig[0] != "B" else "C") + sig[1:]
        exp = re.search(r"Expires=(\d+)", url).group(1)
        return {
            "signature": url.replace(f"Signature={sig}", f"Signature={flipped}"),
            "expiry": url.replace(f"Expires={exp}", f"Expires={int(exp) + 3600}"),
            "type": url.replace("response-content-type=application%2Fpdf",
                                "response-content-type=text%2Fhtml"),
            "disposition": url.replace("response-content-disposition=attachment",
                                       "response-content-disposition=inline"),
            "no signature": re.sub(r"&?Signature=[^&]+", "", url),
        } | ({
            # V4 signs its date and credential too.
            # (the seconds' last digit, so the date stays a valid one)
            "date": re.sub(r"(X-Amz-Date=\d{8}T\d{5})(\d)", lambda m: m.group(1) +
                           str((int(m.group(2)) + 1) % 10), url),
            "credential": url.replace("%2Fs3%2Faws4_request", "%2Fs4%2Faws4_request"),
        } if "X-Amz-Date=" in url else {})
    sig = re.search(r"sig=([0-9a-f]{64})", url).group(1)
    exp = re.search(r"exp=(\d+)", url).group(1)
    return {
        "signature": url.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1")),
        "upper-case signature": url.replace(sig, sig.upper()),
        "expiry": url.replace(f"exp={exp}", f"exp={int(exp) + 3600}"),
        "expiry with a leading zero": url.replace(f"exp={exp}", f"exp=0{exp}"),
        "no signature": url.split("&sig=")[0],
        "two signatures": url + f"&sig={sig}",
        "other key": url.replace(sig, hashlib.sha256(b"guess").hexdigest()),
    }


def test_tampered_link_refused(api, tenant):
    d = tenant.upload(sample("pdf"), filename="lease.pdf").json()["data"]
    url = d["fileUrl"]
    assert fetch(api, url).status_code == 200
    for what, bad in tampered(api, url).items():
        assert bad != url, what
        r = fetch(api, bad)
        if is_s3(api) and what == "no signature":
            # Without a signature it is an anonymous request: refused all the same.
            assert r.status_code in (400, 403), (what, r.status_code, r.text[:200])
            continue
        assert r.status_code == 403, (what, r.status_code, r.text[:300])
        assert refusal(api, r) == ("SignatureDoesNotMatch" if is_s3(api) else "LINK_INVALID"), what


def test_link_for_another_customers_file_refused(api, tenant):
    other = Tenant(api)
    mine = tenant.upload(sample("pdf")).json()["data"]
    theirs = other.upload(sample("png"), category="avatars", subcategory=None,
                          content_type="image/png").json()["data"]
    # The API signs links for one's own files only.
    r = tenant.link(theirs["fileId"])
    assert r.status_code == 404 and r.json()["code"] == "FILE_NOT_FOUND"
    # My link, pointed at their object: the signature covers what it names.
    url = mine["fileUrl"]
    if is_s3(api):
        bad = [url.replace(mine["filePath"], theirs["filePath"])]
    else:
        bad = [url.replace(tenant.id, other.id),
               url.replace(mine["fileId"], theirs["fileId"]),
               url.replace(tenant.id, other.id).replace(mine["fileId"], theirs["fileId"])]
    for b in bad:
        assert b != url
        r = fetch(api, b)
        assert r.status_code == 403, (b, r.status_code, r.text[:300])
        assert refusal(api, r) == ("SignatureDoesNotMatch" if is_s3(api) else "LINK_INVALID")
    assert fetch(api, url).content == sample("pdf")


def test_deleted_files_link_stops_working(api, tenant):
    d = tenant.upload(sample("pdf")).json()["data"]
    assert fetch(api, d["fileUrl"]).status_code == 200
    assert tenant.request("DELETE", f"/api/storage/files/{d['fileId']}").status_code == 200
    r = fetch(api, d["fileUrl"])
    assert r.status_code == 404, r.text[:300]
    assert refusal(api, r) == ("NoSuchKey" if is_s3(api) else "FILE_NOT_FOUND")
    assert tenant.link(d["fileId"]).status_code == 404


def test_objects_location_is_internal_and_dl_needs_a_link(api, tenant):
    d = tenant.upload(sample("pdf")).json()["data"]
    for path in [f"/_objects/{d['filePath']}", "/_objects/", f"/_objects/../{d['filePath']}",
                 f"/dl/../_objects/{d['filePath']}"]:
        r = api.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert r.json()["code"] == "NOT_FOUND"
    fake = f"/dl/{tenant.id}/{d['fileId']}?exp={int(time.time()) + 60}&sig={'0' * 64}"
    r = api.get(fake)
    if is_s3(api):
        # S3 links go to S3: cofferd serves no /dl/ links there.
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    else:
        assert r.status_code == 403 and r.json()["code"] == "LINK_INVALID"
        for path in [f"/dl/{tenant.id}/{d['fileId']}", f"/dl/{tenant.id}", "/dl/",
                     f"/dl/{tenant.id.upper()}/{d['fileId']}?exp=1&sig={'0' * 64}",
                     f"/dl/{tenant.id}/{d['fileId']}?exp=%zz&sig=00"]:
            r = api.get(path)
            assert r.status_code in (403, 404), (path, r.status_code)
            assert r.json()["success"] is False


# ---- local only ------------------------------------------------------------

def link_secret(stack):
    m = re.search(r"(?m)^link_secret\s*=\s*(\S+)\s*$", stack.conf.read_text())
    assert m, "scripts/stack writes [storage] link_secret into coffer.conf"
    return m.group(1)


def test_link_signature_is_hmac_sha256_of_customer_file_expiry(stack):
    """The documented format, recomputed here from the stack's secret."""
    import hmac
    t = Tenant(stack)
    d = t.upload(sample("pdf")).json()["data"]
    m = re.search(r"/dl/([0-9a-f-]{36})/([0-9a-f-]{36})\?exp=(\d+)&sig=([0-9a-f]{64})$",
                  d["fileUrl"])
    assert m and m.group(1) == t.id and m.group(2) == d["fileId"]
    msg = f"coffer-link-v1\n{t.id}\n{d['fileId']}\n{m.group(3)}".encode()
    assert hmac.new(link_secret(stack).encode(), msg, hashlib.sha256).hexdigest() == m.group(4)


def test_link_secret_is_private(stack):
    secret = link_secret(stack)
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert stack.conf.stat().st_mode & 0o007 == 0
    out = subprocess.run([stack.cofferd, "-c", str(stack.conf), "-T"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "link_secret = (set, hidden)" in out.stdout and secret not in out.stdout
    logs = stack.dir / "log"
    for f in list(logs.iterdir()) + [stack.dir / "stack.env"]:
        if f.is_file():
            assert secret not in f.read_text(errors="replace"), f


def test_public_url_setting(stack, conf_restore):
    text = conf_restore.read_text()
    conf_restore.write_text(text + "\n[server]\npublic_url = https://files.example.test/coffer\n")
    gen = stack.status()["generation"]
    stack.reload()
    stack.wait_for(lambda: {p["generation"] for p in stack.status()["processes"]} == {gen + 1},
                   what="workers with public_url")
    t = Tenant(stack)
    d = t.upload(sample("pdf")).json()["data"]
    assert d["fileUrl"].startswith(f"https://files.example.test/coffer/dl/{t.id}/{d['fileId']}?")
    # The signature does not cover the origin: the same link through the
    # stack's own address (what the proxy at files.example.test forwards).
    r = fetch(stack, stack.url + d["fileUrl"].split("/coffer", 1)[1])
    assert r.status_code == 200 and r.content == sample("pdf")


def test_dl_is_not_behind_auth_and_ignores_credentials(stack):
    t = Tenant(stack)
    d = t.upload(sample("pdf")).json()["data"]
    path = d["fileUrl"][len(stack.url):]
    # No credentials at all: the link is enough.
    assert stack.get(path).status_code == 200
    # Another customer's token changes nothing: the link names the file.
    other = Tenant(stack)
    r = stack.get(path, headers={"Authorization": f"Bearer {other.token}",
                                 "X-Coffer-Customer": other.id})
    assert r.status_code == 200 and r.content == sample("pdf")
    # An unknown file under a genuine signature cannot exist; a genuine link
    # of a file that is gone is 404 (see test_deleted_files_link_stops_working).
    assert stack.get(f"/dl/{t.id}/{uuid.uuid4()}?exp=1&sig={'0' * 64}").status_code == 403
