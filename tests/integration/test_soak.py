"""A bounded soak: a mixed workload (uploads, deletes, reads, listing, a reload
and a worker kill) for a fixed number of requests, then the invariants."""
import os
import random
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import invariants
from helpers import settle, Tenant, pdf_of_size

REQUESTS = int(os.environ.get("COFFER_SOAK_REQUESTS", "600"))


def test_soak_mixed_workload_keeps_invariants(stack):
    rnd = random.Random(int(os.environ.get("COFFER_SOAK_SEED", "20261125")))
    limit = 3 * 1024 * 1024
    tenants = [Tenant(stack, limit=limit) for _ in range(4)]
    sizes = [8 * 1024, 64 * 1024, 256 * 1024, 700 * 1024]
    uploaded = {t.id: [] for t in tenants}
    lock = threading.Lock()
    codes = {}
    plan = [rnd.random() for _ in range(REQUESTS)]

    def step(i):
        t = tenants[i % len(tenants)]
        s = stack.new_session()
        h = {"Authorization": f"Bearer {t.token}"}
        x = plan[i]
        if x < 0.45:
            r = s.post(stack.url + "/api/storage/upload", headers=h,
                       data={"category": "projects", "entityId": f"p{i % 7}",
                             "subcategory": "permits"},
                       files={"file": ("s.pdf", pdf_of_size(sizes[i % len(sizes)]),
                                       "application/pdf")}, timeout=120)
            if r.status_code == 200:
                with lock:
                    uploaded[t.id].append(r.json()["data"]["fileId"])
        elif x < 0.65:
            with lock:
                fid = uploaded[t.id].pop(0) if uploaded[t.id] else None
            r = s.delete(stack.url + f"/api/storage/files/{fid or 'none'}", headers=h, timeout=60)
        elif x < 0.8:
            r = s.get(stack.url + "/api/storage/files?limit=20", headers=h, timeout=60)
        elif x < 0.9:
            r = s.get(stack.url + "/api/storage/stats", headers=h, timeout=60)
        else:
            r = s.get(stack.url + "/api/storage/quota", headers=h, timeout=60)
        with lock:
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
        return r.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(step, i) for i in range(REQUESTS)]
        for i, f in enumerate(futures):
            if i == REQUESTS // 3:
                stack.reload()
            if i == 2 * REQUESTS // 3:
                busy = [p["pid"] for p in stack.status()["processes"]]
                os.kill(rnd.choice(busy), signal.SIGKILL)
            f.result()
    # Only answers a client can act on: success, quota full, not found
    # (a delete of an id another thread took), and 503 for the killed worker.
    assert set(codes) <= {200, 404, 503, 507}, codes
    assert codes.get(200, 0) > REQUESTS // 2, codes
    assert codes.get(503, 0) <= 2, codes
    print(f"\nsoak: {REQUESTS} requests, answers {dict(sorted(codes.items()))}")
    for t in tenants:
        settle(stack, t)
        assert invariants.check(stack, t.id) <= limit
