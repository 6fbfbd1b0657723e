"""GET /metrics (Prometheus text, summed across workers through the
scoreboard) and the logfmt request log (src/daemon/metrics.c, src/daemon/worker.c,
src/base/log.c, docs/OPERATIONS.md)."""
import re
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pytest

from helpers import ROOT, fcgi_request, Tenant, pdf_of_size

# The text exposition format 0.0.4, line by line.
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
VALUE = r"(?:[+-]?(?:[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|Inf)|NaN)"
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*,?)?\}})? ({VALUE})(?: -?[0-9]+)?$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(stack):
    r = stack.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return r.text


def parse(text):
    """{(name, frozenset(labels)): value}, checking the grammar on the way."""
    samples, helped, typed = {}, set(), {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("#"):
            m = HELP.match(line) or TYPE.match(line)
            assert m, f"bad comment line: {line!r}"
            if line.startswith("# HELP"):
                helped.add(m.group(1))
            else:
                assert m.group(1) not in typed, f"TYPE twice: {line}"
                typed[m.group(1)] = m.group(2)
            continue
        m = SAMPLE.match(line)
        assert m, f"bad sample line: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
        assert family in typed and family in helped, f"no HELP/TYPE before {line!r}"
        key = (name, frozenset(LABEL_RE.findall(labels)))
        assert key not in samples, f"duplicate series {line!r}"
        samples[key] = float(value)
    return samples, typed


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def check_histograms(samples, typed):
    series = defaultdict(list)
    for (name, labels), v in samples.items():
        if name.endswith("_bucket") and typed.get(name[:-7]) == "histogram":
            rest = frozenset(kv for kv in labels if kv[0] != "le")
            le = dict(labels)["le"]
            series[(name[:-7], rest)].append((float("inf") if le == "+Inf" else float(le), v))
    assert series
    for (fam, rest), buckets in series.items():
        buckets.sort()
        counts = [c for _, c in buckets]
        assert counts == sorted(counts), (fam, rest, buckets)
        assert buckets[-1][0] == float("inf")
        assert samples[(fam + "_count", rest)] == counts[-1]
        assert (fam + "_sum", rest) in samples


def test_metrics_format_is_valid(stack):
    stack.get("/healthz")
    samples, typed = parse(scrape(stack))
    check_histograms(samples, typed)
    for name, kind in [("coffer_http_requests_total", "counter"),
                       ("coffer_http_request_duration_seconds", "histogram"),
                       ("coffer_upload_bytes_total", "counter"),
                       ("coffer_quota_rejections_total", "counter"),
                       ("coffer_mime_rejections_total", "counter"),
                       ("coffer_db_query_duration_seconds", "histogram"),
                       ("coffer_backend_request_duration_seconds", "histogram"),
                       ("coffer_backend_errors_total", "counter"),
                       ("coffer_pool_busy_workers", "gauge"),
                       ("coffer_pool_idle_workers", "gauge"),
                       ("coffer_pool_respawns_total", "counter"),
                       ("coffer_pool_recycled_total", "counter"),
                       ("coffer_pool_timeouts_total", "counter")]:
        assert typed.get(name) == kind, name
    # This very request is being served by a busy worker.
    assert value(samples, "coffer_pool_busy_workers") >= 1
    assert value(samples, "coffer_pool_busy_workers") + \
        value(samples, "coffer_pool_idle_workers") >= 1


def test_metrics_move_with_requests_across_workers(stack):
    t = Tenant(stack)
    small = Tenant(stack, limit=1000)
    before, _ = parse(scrape(stack))
    n = 24   # more than the pool's 4 workers: the sum is over all of them
    for _ in range(n):
        assert t.request("GET", "/api/storage/quota").status_code == 200
    data = pdf_of_size(4321)
    assert t.upload(data).status_code == 200
    assert t.upload(b"just some text\n" * 10, filename="a.txt",
                    content_type="text/plain").status_code == 415
    assert small.upload(pdf_of_size(2000)).status_code == 507
    assert stack.get("/no/such/thing").status_code == 404
    after, typed = parse(scrape(stack))
    check_histograms(after, typed)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    q = {"method": "GET", "route": "/api/storage/quota"}
    assert delta("coffer_http_requests_total", code="200", **q) == n
    assert delta("coffer_http_request_duration_seconds_count", **q) == n
    assert delta("coffer_http_requests_total", method="GET", route="/auth", code="200") >= n
    up = {"method": "POST", "route": "/api/storage/upload"}
    assert delta("coffer_http_requests_total", code="200", **up) == 1
    assert delta("coffer_http_requests_total", code="415", **up) == 1
    assert delta("coffer_http_requests_total", code="507", **up) == 1
    assert delta("coffer_uploads_total") == 1
    assert delta("coffer_upload_bytes_total") == len(data)
    assert delta("coffer_quota_rejections_total") == 1
    assert delta("coffer_mime_rejections_total") == 1
    assert delta("coffer_http_request_bytes_total") > len(data)
    assert delta("coffer_db_query_duration_seconds_count") >= n
    # The 507 too wrote its object before one statement refused it (local
    # storage records after writing), and removed it.
    assert delta("coffer_backend_request_duration_seconds_count", op="put") == 2
    assert delta("coffer_backend_request_duration_seconds_count", op="del") == 1
    assert delta("coffer_backend_errors_total", op="put") == 0
    # nginx answers unknown paths itself; cofferd's own 404s count as unmatched.
    assert value(after, "coffer_pool_accepted_requests_total") >= \
        value(before, "coffer_pool_accepted_requests_total") + n


def test_metrics_unmatched_route_and_backend_ping(stack):
    before, _ = parse(scrape(stack))
    status, _ = fcgi_request(stack.env["COFFER_SOCKET"], "/nowhere")
    assert status == 404
    assert stack.get("/readyz").status_code == 200
    after, _ = parse(scrape(stack))
    assert value(after, "coffer_http_requests_total", method="*", route="unmatched",
                 code="404") == value(before, "coffer_http_requests_total", method="*",
                                      route="unmatched", code="404") + 1
    assert value(after, "coffer_backend_request_duration_seconds_count", op="ping") > \
        value(before, "coffer_backend_request_duration_seconds_count", op="ping")


def test_metrics_loopback_only_in_nginx_config(stack):
    for path in (ROOT / "nginx" / "coffer-site.conf.in",
                 Path(stack.env["NGINX_CONF"]).parent / "coffer-site.conf"):
        text = path.read_text()
        m = re.search(r"location = /metrics \{(.*?)\n    \}", text, re.S)
        assert m, path
        body = m.group(1)
        assert re.search(r"^\s*allow 127\.0\.0\.1;$", body, re.M)
        assert re.search(r"^\s*deny all;$", body, re.M)
        assert body.index("allow 127.0.0.1;") < body.index("deny all;")
        assert "auth_request" not in body
    # From loopback (the only address the stack listens on) it works.
    assert stack.get("/metrics").status_code == 200


# ---- logs ---------------------------------------------------------------------

LOGFMT_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s+|$)')


def logfmt(line):
    """Parse one logfmt line; None unless all of it is key=value pairs."""
    out, pos = {}, 0
    while pos < len(line):
        m = LOGFMT_PAIR.match(line, pos)
        if not m:
            return None
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r"\\(.)", lambda x: {"n": "\n"}.get(x.group(1), x.group(1)), v[1:-1])
        out[m.group(1)] = v
        pos = m.end()
    return out


def request_lines(stack, rid):
    lines = []
    for line in stack.log_text().splitlines():
        if f"req={rid} " in line and "msg=request" in line:
            lines.append(logfmt(line))
    return lines


def test_request_log_line(stack):
    t = Tenant(stack)
    # Above the small-upload threshold (nginx/coffer-site.conf.in): the
    # /auth subrequest and the upload, one line each under one request id.
    data = pdf_of_size(300_000)
    r = t.upload(data)
    assert r.status_code == 200
    rid = r.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    lines = stack.wait_for(lambda: len(request_lines(stack, rid)) == 2 and
                           request_lines(stack, rid), what="two request lines")
    by_route = {line["route"]: line for line in lines}
    auth, up = by_route["/auth"], by_route["/api/storage/upload"]
    for line in (auth, up):
        assert line["level"] == "info" and line["req"] == rid
        assert line["customer"] == t.id and line["role"] == "member"
        assert float(line["duration_ms"]) >= 0
        assert line["proc"].startswith("cofferd-worker-")
    assert up["method"] == "POST" and up["status"] == "200"
    assert int(up["bytes_in"]) > len(data) and int(up["bytes_out"]) > 0
    assert up["path"] == "/api/storage/upload"
    # A small upload is authenticated by the worker itself: one line, with
    # the identity the credential proved.
    r = t.upload(pdf_of_size(5000))
    assert r.status_code == 200
    rid = r.headers["X-Request-Id"]
    line = stack.wait_for(lambda: request_lines(stack, rid), what="the upload line")
    assert [x["route"] for x in line] == ["/api/storage/upload"]
    assert line[0]["customer"] == t.id and line[0]["role"] == "member"
    # Refused before any identity: no customer, and still one line.
    r = stack.get("/api/storage/quota", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    rid = r.headers["X-Request-Id"]
    line = stack.wait_for(lambda: request_lines(stack, rid), what="auth line")[0]
    assert line["route"] == "/auth" and line["status"] == "401" and line["customer"] == "-"


def test_every_log_line_is_logfmt(stack):
    # A path with a quote, a space and an equals sign is escaped, not split.
    stack.get('/api/storage/x"y z=1', headers={"Authorization": "Bearer nope"})
    lines = stack.log_text().splitlines()
    assert lines
    for line in lines:
        if not line.startswith("ts="):
            continue    # not cofferd's (nginx -t output, a sanitizer's report)
        kv = logfmt(line)
        assert kv is not None, line
        assert {"ts", "level", "proc", "pid", "msg"} <= set(kv), line
        assert kv["level"] in ("debug", "info", "warn", "error"), line


def wrong_key(key):
    """The key with one character in the middle changed (never the last:
    its low bits may be base64 padding, and never to the same character)."""
    i = len(key) // 2
    return key[:i] + ("B" if key[i] == "A" else "A") + key[i + 1:]


def test_no_secret_in_logs(stack, second_pool):
    t = Tenant(stack)
    key = stack.ctl("apikey", "create", "--customer", t.id, "--role", "member",
                    "--name", "log test").stdout.strip().splitlines()[-1]
    assert key.startswith("cof_")
    jwt_secret = re.search(r"(?m)^jwt_secret\s*=\s*(\S+)", stack.conf.read_text()).group(1)
    # Requests that succeed and fail with each credential, in the places a
    # careless log would pick them up.
    assert t.request("GET", "/api/storage/quota").status_code == 200
    assert t.request("GET", "/api/storage/quota", token=t.token + "x").status_code == 401
    assert t.request("GET", f"/api/storage/files?cursor={t.token}").status_code == 400
    s = stack.new_session()
    assert s.get(stack.url + "/api/storage/quota",
                 headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert s.get(stack.url + "/api/storage/quota",
                 headers={"Authorization": f"Bearer {wrong_key(key)}"}).status_code == 401
    assert t.upload(pdf_of_size(1000), metadata={"note": t.token}).status_code == 200
    # A pool whose database URL carries a password, failing to connect.
    password = "Pw-" + t.id.replace("-", "")
    conf, sock, _ = second_pool(
        f"\n[database]\nurl = postgresql://coffer:{password}@127.0.0.1:1/coffer\n")
    proc = stack.start_cofferd(conf=conf)
    try:
        stack.wait_for(lambda: sock.exists(), what="second pool socket")
        status, _ = fcgi_request(sock, "/readyz", timeout=30)
        assert status == 503
        stack.wait_for(lambda: "database connection failed" in stack.log_text(),
                       what="connection failure logged")
        ctl = stack.ctl("reconcile", check=False, env={"COFFER_CONF": str(conf)})
        assert ctl.returncode == 1 and password not in ctl.stdout + ctl.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    text = stack.log_text()
    for secret in (t.token, t.token.split(".")[2], key, key[4:], jwt_secret, password):
        assert secret not in text, f"a secret reached cofferd.log ({secret[:6]}...)"
