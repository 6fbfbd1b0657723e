"""The five quota invariants, checked from the outside: database rows and
backend objects, after `cofferctl reconcile` has run."""
from pathlib import Path


def rows(stack, sql):
    out = stack.psql(sql)
    return [line.split("|") for line in out.splitlines() if line]


def local_objects(stack, customer):
    root = Path(stack.env["LOCAL_STORAGE_PATH"]) / "customers" / customer
    if not root.exists():
        return set()
    base = Path(stack.env["LOCAL_STORAGE_PATH"])
    return {str(p.relative_to(base)) for p in root.rglob("*") if p.is_file()}


def check(stack, customer, objects=None):
    """Invariants 1-3 for one customer; objects: the backend's keys for the
    customer (default: the local backend's files). Returns the used bytes."""
    cid = f"'{customer}'"
    used, reserved, limit = rows(stack, f"SELECT c.storage_used, c.storage_reserved,"
                                        f" coalesce(coffer_effective_limit(c), -1)"
                                        f" FROM customers c WHERE customer_id = {cid}")[0]
    used, reserved, limit = int(used), int(reserved), int(limit)
    # Usage counts what each file is charged (sql/007; the bare size in
    # stacks that charge no overhead).
    stored = rows(stack, f"SELECT storage_key, charged_size FROM files WHERE customer_id = {cid}"
                         f" AND state = 'stored'")
    total = sum(int(s) for _, s in stored)
    # 1. Never over the limit.
    assert limit < 0 or used + reserved <= limit, (used, reserved, limit)
    # 2. No drift: used and the breakdown equal the live files' sums.
    assert used == total, (used, total)
    assert reserved == 0, f"reservations left after reconcile: {reserved}"
    pending = rows(stack, f"SELECT count(*) FROM files WHERE customer_id = {cid}"
                          f" AND state = 'pending'")[0][0]
    assert pending == "0", f"{pending} pending rows after reconcile"
    # The breakdown's key is (file type, category, subcategory), '' for none.
    breakdown = {(t, c, sc): (int(n), int(s)) for t, c, sc, n, s in rows(
        stack, f"SELECT file_type, category, subcategory, file_count, total_size"
               f" FROM storage_usage"
               f" WHERE customer_id = {cid} AND (file_count > 0 OR total_size > 0)")}
    expected = {(t, c, sc): (int(n), int(s)) for t, c, sc, n, s in rows(
        stack, f"SELECT file_type, category, coalesce(subcategory, ''), count(*), sum(charged_size)"
               f" FROM files WHERE customer_id = {cid} AND state = 'stored' GROUP BY 1, 2, 3")}
    assert breakdown == expected, (breakdown, expected)
    # 3. Every live row has its object and every object a live row.
    if objects is None:
        objects = local_objects(stack, customer)
    assert {k for k, _ in stored} == set(objects), (
        {k for k, _ in stored} ^ set(objects))
    return used
