"""The prefork pool through the real nginx over TLS: respawn, reload, drain, recycle."""
import os
import re
import signal
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests


def test_healthz_over_tls(stack):
    assert stack.url.startswith("https://")
    r = stack.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r.headers["Content-Type"] == "application/json"
    assert "max-age=" in r.headers.get("Strict-Transport-Security", "")


def test_readyz_checks_database(stack):
    r = stack.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"]["database"] == "ok"


def test_unknown_path_is_json_404(stack):
    r = stack.get("/nope")
    assert r.status_code == 404
    assert r.json()["success"] is False


def test_pool_status_over_http_and_master_socket(stack):
    workers = int(stack.env.get("COFFER_WORKERS", "0")) or min(max(4 * os.cpu_count(), 4), 32)
    s = stack.status()
    assert s["totalProcesses"] == workers
    assert s["idleProcesses"] == workers
    r = stack.get("/status?full")
    assert r.status_code == 200
    body = r.json()
    # The worker answering this is busy while it answers.
    assert body["activeProcesses"] >= 1
    assert body["acceptedConn"] >= 1
    assert len(body["processes"]) == workers


def test_status_readable_when_every_worker_is_busy(stack):
    workers = stack.status()["totalProcesses"]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(stack.new_session().get, stack.url + "/debug/sleep?ms=1500",
                               timeout=30) for _ in range(workers)]
        stack.wait_for(lambda: stack.status()["activeProcesses"] == workers,
                       timeout=5, what="every worker busy")
        busy = stack.status()
        assert busy["idleProcesses"] == 0
        assert all(p["state"] == "busy" and p["requestUri"] == "/debug/sleep"
                   for p in busy["processes"])
        assert all(f.result().status_code == 200 for f in futures)


def test_kill_9_worker_is_replaced_while_requests_succeed(stack):
    before = stack.worker_pids()
    victim = before[0]
    respawns = stack.status()["respawns"]
    statuses = []

    def replaced():
        # Requests keep coming while the master notices and replaces it.
        statuses.append(stack.get("/healthz").status_code)
        pids = stack.worker_pids()
        return victim not in pids and len(pids) == len(before)

    os.kill(victim, signal.SIGKILL)
    stack.wait_for(replaced, what="the killed worker replaced")
    for _ in range(20):
        statuses.append(stack.get("/healthz").status_code)
    assert statuses == [200] * len(statuses)
    assert "killed by signal 9" in stack.log_text()
    assert stack.status()["respawns"] == respawns + 1


def test_200_concurrent_requests_across_reload(stack):
    gen = stack.status()["generation"]
    workers = stack.status()["totalProcesses"]
    errors = []
    results = []

    def one(i):
        s = stack.new_session()
        try:
            r = s.get(stack.url + "/debug/sleep?ms=40", timeout=30)
            results.append(r.status_code)
        except requests.RequestException as e:  # a dropped request is a failure
            errors.append(repr(e))

    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(one, i) for i in range(200)]
        # Reload while every worker is busy and most requests still wait.
        stack.wait_for(lambda: stack.status()["activeProcesses"] == workers,
                       what="every worker busy")
        in_flight = 200 - len(results) - len(errors)
        stack.reload()
        stack.wait_for(lambda: stack.status()["generation"] == gen + 1, what="new generation")
        for f in futures:
            f.result()
    assert in_flight > workers, "the requests were over before the reload"
    assert errors == []
    assert results == [200] * 200, sorted(set(results))
    # The new generation served part of them (the status socket is the
    # master's: nothing else reached a worker since).
    served = sum(p["requests"] for p in stack.status()["processes"]
                 if p["generation"] == gen + 1)
    assert served > 0, "no request reached the new generation"
    # The old generation drains away; only the new one remains.
    stack.wait_for(lambda: {p["generation"] for p in stack.status()["processes"]} == {gen + 1},
                   what="old generation to exit")


def test_broken_config_reload_keeps_old_pool(stack, conf_restore, tmp_path):
    gen = stack.status()["generation"]
    pids = stack.worker_pids()
    good = tmp_path / "good.conf"   # cofferctl itself needs a valid file
    good.write_text(conf_restore.read_text())
    conf_restore.write_text(conf_restore.read_text() + "\n[server]\nworkers = lots\n")
    stack.reload()
    stack.wait_for(lambda: "reload refused" in stack.log_text(), what="refusal logged")
    assert re.search(r'reload refused.*\[server\] workers = \\?"lots\\?" must be an integer',
                     stack.log_text())
    for _ in range(20):
        assert stack.get("/healthz").status_code == 200
    assert stack.status(good)["generation"] == gen
    assert stack.worker_pids(conf=good) == pids


def test_max_requests_recycles_workers(stack, conf_restore):
    text = conf_restore.read_text()
    text = re.sub(r"(?m)^max_requests\s*=.*$", "max_requests = 3", text)
    assert "max_requests = 3" in text
    conf_restore.write_text(text)
    gen = stack.status()["generation"]
    stack.reload()
    stack.wait_for(lambda: stack.status()["generation"] == gen + 1, what="reload")
    recycled = stack.status()["recycled"]
    # The new generation alone: the old one may still be draining.
    first = set(stack.worker_pids(generation=gen + 1))
    workers = len(first)
    for _ in range(workers * 3 + 6):
        assert stack.get("/healthz").status_code == 200
    stack.wait_for(lambda: stack.status()["recycled"] > recycled, what="a recycled worker")
    after = set(stack.worker_pids(generation=gen + 1))
    assert after - first, "recycled workers must be replaced by new processes"
    stack.wait_for(lambda: len(stack.worker_pids(generation=gen + 1)) == workers,
                   what="the pool back at full strength")


def test_request_timeout_kills_stuck_worker(stack, conf_restore):
    text = re.sub(r"(?m)^request_timeout\s*=.*$", "request_timeout = 1s", conf_restore.read_text())
    if "request_timeout = 1s" not in text:
        text += "\n[server]\nrequest_timeout = 1s\n"
    conf_restore.write_text(text)
    gen = stack.status()["generation"]
    stack.reload()
    stack.wait_for(lambda: stack.status()["generation"] == gen + 1, what="reload")
    timeouts = stack.status()["timeouts"]
    r = stack.get("/debug/sleep?ms=5000")
    # nginx turns the killed upstream into its JSON 503; the pool recovers.
    assert r.status_code == 503
    assert r.json()["code"] == "SERVICE_UNAVAILABLE"
    assert stack.status()["timeouts"] == timeouts + 1
    assert stack.get("/healthz").status_code == 200
    assert "request_timeout; killing it" in stack.log_text()


def test_sigterm_lets_slow_request_finish(stack):
    master = stack.master_pid()
    result = {}

    def slow():
        result["r"] = stack.new_session().get(stack.url + "/debug/sleep?ms=1500", timeout=30)

    t = threading.Thread(target=slow)
    t.start()
    stack.wait_for(lambda: stack.status()["activeProcesses"] >= 1, what="slow request running")
    os.kill(master, signal.SIGTERM)
    t.join()
    assert result["r"].status_code == 200
    assert result["r"].json() == {"status": "ok"}
    # The master exits 0 once the request is done.
    stack.wait_for(lambda: not os.path.exists(f"/proc/{master}"), timeout=15, what="master exit")
    assert "all workers finished; exiting" in stack.log_text()
    stack.start_cofferd()
    assert stack.get("/healthz").status_code == 200


def test_occupied_socket_is_refused(stack):
    proc = subprocess.run([stack.cofferd, "-c", str(stack.conf), "-f"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode != 0
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "in use by another process" in lines[0], proc.stderr
    assert stack.get("/healthz").status_code == 200


def test_config_test_flag(stack, tmp_path):
    ok = subprocess.run([stack.cofferd, "-t", "-c", str(stack.conf)], capture_output=True, text=True)
    assert ok.returncode == 0 and "test is successful" in ok.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("[storage]\nmax_file_size = 5 furlongs\n")
    proc = subprocess.run([stack.cofferd, "-t", "-c", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert 'max_file_size = "5 furlongs" must be a size' in proc.stderr
    missing = subprocess.run([stack.cofferd, "-t", "-c", str(tmp_path / "none.conf")],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "cannot open" in missing.stderr
