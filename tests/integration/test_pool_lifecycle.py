"""Pool lifecycle beyond the basics: restart storms, systemd notify and socket
activation, the demo script, and stack failures that must leave nothing behind."""
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from helpers import ROOT, fcgi_request


def test_restart_storm_backs_off(stack, conf_restore):
    text = conf_restore.read_text() + (
        "\n[server]\nemergency_restart_threshold = 3\nemergency_restart_interval = 30s\n")
    conf_restore.write_text(text)
    gen = stack.status()["generation"]
    stack.reload()
    stack.wait_for(lambda: stack.status()["generation"] == gen + 1, what="reload")

    def drained():
        st = stack.status()
        return st if all(p["generation"] == gen + 1 for p in st["processes"]) else None
    # The new generation alone: old workers still draining (slow under ASan
    # and load) would make the target a number the pool never returns to.
    workers = stack.wait_for(drained, what="the old generation to drain")["totalProcesses"]
    for _ in range(3):
        r = stack.get("/debug/crash")
        assert r.status_code == 503
    stack.wait_for(lambda: "RESTART STORM" in stack.log_text(), timeout=5, what="storm logged")
    # Backing off: the pool stays short for a while instead of spinning...
    assert stack.status()["totalProcesses"] < workers
    # ...and is whole again once the back-off (1 s the first time) is over.
    stack.wait_for(lambda: stack.status()["totalProcesses"] == workers, timeout=10,
                   what="pool refilled after the back-off")
    assert stack.get("/healthz").status_code == 200


def test_sd_notify_ready_reloading_stopping(stack, second_pool):
    conf, sock, _ = second_pool()
    # Where the unprivileged master can reach it, as /run/systemd/notify is.
    notify_path = sock.parent / "notify.sock"
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(str(notify_path))
    os.chmod(notify_path, 0o777)
    ns.settimeout(10)
    proc = stack.start_cofferd(conf=conf, extra_env={"NOTIFY_SOCKET": str(notify_path)})
    try:
        def messages_until(word):
            seen = []
            while True:
                msg = ns.recv(4096).decode()
                seen.append(msg)
                if word in msg:
                    return seen
        assert any("READY=1" in m for m in messages_until("READY=1"))
        status, body = fcgi_request(sock, "/healthz")
        assert status == 200 and b'"ok"' in body
        proc.send_signal(signal.SIGHUP)
        seen = messages_until("READY=1")
        assert any("RELOADING=1" in m for m in seen)
        proc.send_signal(signal.SIGTERM)
        assert any("STOPPING=1" in m for m in messages_until("STOPPING=1"))
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        ns.close()


def test_socket_activation(stack, second_pool):
    conf, sock, _ = second_pool()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JWT_SECRET")}
    log = open(stack.env["COFFER_LOG"], "ab")
    proc = subprocess.Popen(["systemd-socket-activate", "-l", str(sock),
                             stack.cofferd, "-c", str(conf), "-f"],
                            stdout=log, stderr=log, env=env, start_new_session=True)
    log.close()
    try:
        stack.wait_for(lambda: sock.exists(), what="activation socket")
        status, body = fcgi_request(sock, "/healthz", timeout=15)
        assert status == 200 and b'"ok"' in body
        stack.wait_for(lambda: "on the systemd socket" in stack.log_text(), what="log line")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_demo_prints_url_and_stops_everything_on_ctrl_c(tmp_path):
    demo_dir = tmp_path / "demo"
    env = dict(os.environ, COFFER_DEMO_NO_BUILD="1", COFFER_DEMO_DIR=str(demo_dir))
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "demo")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    out = []
    url = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and url is None:
        line = proc.stdout.readline()
        if not line:
            break
        out.append(line)
        m = re.match(r"\s*URL:\s+(https://127\.0\.0\.1:\d+)", line)
        if m:
            url = m.group(1)
    assert url, "".join(out)
    for line in iter(proc.stdout.readline, ""):
        out.append(line)
        if "Ctrl-C" in line:
            break
    cmd = next(l for l in out if "health:" in l).split("health:", 1)[1].strip()
    health = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30)
    assert '{"status":"ok"}' in health.stdout
    # The dashboard's URL carries a working token for the demo customer.
    dash = next(l for l in out if "dashboard:" in l).split("dashboard:", 1)[1].strip()
    assert dash.startswith(url + "/app/#token="), dash
    token = dash.split("#token=", 1)[1]
    ca = str(demo_dir / "tls" / "cert.pem")
    assert requests.get(url + "/app/", verify=ca, timeout=30).status_code == 200
    q = requests.get(url + "/api/storage/quota", headers={"Authorization": f"Bearer {token}"},
                     verify=ca, timeout=30)
    assert q.status_code == 200 and q.json()["data"]["plan"] == "starter", q.text
    pids = [Path(demo_dir / "run" / f).read_text().split()[0]
            for f in ("cofferd.pid", "nginx.pid")]
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or \
            Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


@pytest.mark.parametrize("breakage,expect", [
    ({"PG_BINDIR": "/nonexistent"}, "PostgreSQL"),
    ({"COFFERD": "/bin/false"}, "cofferd"),
])
def test_stack_up_failure_leaves_nothing_running(tmp_path, breakage, expect):
    d = tmp_path / "stk"
    env = dict(os.environ, **breakage, COFFER_STACK_TIMEOUT="3")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "stack"), "up", str(d)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert expect in lines[-1], proc.stderr
    leftovers = subprocess.run(["pgrep", "-af", str(d)], capture_output=True, text=True).stdout
    assert leftovers.strip() == "", leftovers
