"""nginx's per-customer limit on mutating requests (limit_req keyed by the
customer /auth authenticated): beyond the burst a tenant gets 429
RATE_LIMITED with Retry-After, in the API's JSON shape; reads and other
tenants are not held back. Its own stack, rendered with a rate no test
run can reach by itself (1 request a minute, burst 2)."""
import uuid

import pytest

from conftest import _session_stack
from helpers import Tenant, pdf_of_size

BURST = 2


@pytest.fixture(scope="module")
def limited_stack():
    yield from _session_stack("coffer-rl.", {"COFFER_STACK_MUTATING_RATE": "1r/m",
                                             "COFFER_STACK_MUTATING_BURST": str(BURST)})


def delete_nothing(tenant):
    return tenant.request("DELETE", f"/api/storage/files/{uuid.uuid4()}")


def test_mutating_requests_beyond_the_burst_are_429(limited_stack):
    a, b = Tenant(limited_stack), Tenant(limited_stack)
    # The first request plus the burst pass (404: no such file), the rest
    # wait a minute: 429.
    codes = [delete_nothing(a).status_code for _ in range(BURST + 1)]
    assert codes == [404] * (BURST + 1), codes
    r = delete_nothing(a)
    assert r.status_code == 429, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"success": False, "code": "RATE_LIMITED", "error": r.json()["error"]}
    assert int(r.headers["Retry-After"]) >= 1
    # An upload through /auth (a body too large for the in-memory way) is
    # a mutating request too, refused before its body matters.
    up = a.upload(pdf_of_size(300 * 1000))
    assert up.status_code == 429 and up.json()["code"] == "RATE_LIMITED", up.text
    assert a.quota()["used"] == 0
    # Small uploads skip /auth: limited per credential, at the same rate.
    small = [a.upload(pdf_of_size(200)).status_code for _ in range(BURST + 2)]
    assert small == [200] * (BURST + 1) + [429], small
    # Reads are not limited; the other tenant has its own allowance.
    assert a.request("GET", "/api/storage/files").status_code == 200
    assert delete_nothing(b).status_code == 404


def test_unauthenticated_requests_are_not_counted_against_anyone(limited_stack):
    t = Tenant(limited_stack)
    for _ in range(BURST + 3):
        r = limited_stack.request("DELETE", f"/api/storage/files/{uuid.uuid4()}",
                                  headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 401, r.text
    assert delete_nothing(t).status_code == 404
