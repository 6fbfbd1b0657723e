"""Links and accounts: a suspended customer's download links stop at once,
links never take their host from the request, and event ids are each
customer's own numbers (nothing in them counts another tenant)."""
import json

from helpers import Tenant, pdf_of_size


def upload_one(t, size=300):
    r = t.upload(pdf_of_size(size))
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_suspended_customers_links_stop_and_come_back(stack):
    t = Tenant(stack)
    d = upload_one(t)
    link = t.link(d["fileId"]).json()["data"]["url"]
    s = stack.new_session()
    assert s.get(link).status_code == 200
    stack.ctl("customer", "suspend", t.id)
    r = s.get(link)
    assert r.status_code == 403, r.text
    assert r.json() == {"success": False, "error": r.json()["error"], "code": "CUSTOMER_SUSPENDED"}
    # The upload's own fileUrl is refused the same way.
    assert s.get(d["fileUrl"]).status_code == 403
    # Nothing else is open to its users either.
    assert t.request("GET", f"/api/storage/files/{d['fileId']}").status_code == 403
    stack.ctl("customer", "activate", t.id)
    r = s.get(link)
    assert r.status_code == 200 and r.content == pdf_of_size(300)


def test_link_host_is_the_servers_not_the_requests(stack):
    t = Tenant(stack)
    d = upload_one(t)
    port = stack.env["COFFER_HTTPS_PORT"]
    # localhost is one of the site's names: served, but the link names the
    # site's first server_name, whatever Host the client sent.
    status, _, body = stack.raw_request(
        (f"GET /api/storage/files/{d['fileId']}/url HTTP/1.1\r\nHost: localhost:{port}\r\n"
         f"Authorization: Bearer {t.token}\r\nConnection: close\r\n\r\n").encode())
    assert status == 200, body
    url = json.loads(body)["data"]["url"]
    assert url.startswith(f"https://127.0.0.1:{port}/dl/{t.id}/{d['fileId']}?"), url
    # A host the site does not name gets nothing at all, no link to it.
    status, _, body = stack.raw_request(
        (f"GET /api/storage/files/{d['fileId']}/url HTTP/1.1\r\nHost: evil.example\r\n"
         f"Authorization: Bearer {t.token}\r\nConnection: close\r\n\r\n").encode())
    assert status == 421 and b"evil.example" not in body, body
    assert json.loads(body)["code"] == "UNKNOWN_HOST"


def test_event_ids_are_per_customer(stack):
    a, b = Tenant(stack), Tenant(stack)
    # Interleaved: with one global sequence, a's ids would skip b's.
    for _ in range(3):
        fa, fb = upload_one(a), upload_one(b)
    assert a.request("DELETE", f"/api/storage/files/{fa['fileId']}").status_code == 200
    for t, n in ((a, 4), (b, 3)):
        r = t.request("GET", "/api/storage/events?after=0")
        assert r.status_code == 200, r.text
        ev = r.json()["data"]["events"]
        assert [e["id"] for e in ev] == list(range(1, n + 1)), ev
        assert r.json()["data"]["nextAfter"] == n
    # The cursor is the customer's own number.
    r = a.request("GET", "/api/storage/events?after=3")
    assert [(e["id"], e["type"]) for e in r.json()["data"]["events"]] == [(4, "file.deleted")]
