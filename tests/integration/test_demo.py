"""scripts/demo, the README's first command: it prints a working URL, token and
upload command, and stops everything on SIGINT or SIGTERM however it was
started, including in the background of a non-interactive shell, which starts
`&` jobs with SIGINT ignored (the newcomer's case in issue 21).

Whatever happens in a test, the demo's stack is stopped afterwards."""
import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from helpers import ROOT


def _alive(pid):
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_gone(pids, timeout=60):
    """Waits until the processes have exited, bounded; returns those still
    running. A pidfd becomes readable when its process ends: no polling."""
    deadline = time.monotonic() + timeout
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(fd)
    return [p for p in pids if _alive(p)]


def _read_banner(proc):
    """The demo's output up to its "Press Ctrl-C" line (EOF ends it early)."""
    out = []
    for line in iter(proc.stdout.readline, ""):
        out.append(line)
        if "Ctrl-C" in line:
            break
    return out


# How the demo is started, and how it is told to stop:
#   foreground  Popen in its own session, SIGINT to the group (a terminal's Ctrl-C)
#   background  `bash scripts/demo &` inside `bash -c` (SIGINT ignored on
#               entry), then SIGINT to the group
#   sigterm     started like background, SIGTERM to the demo's pid alone
STARTS = {
    "foreground": ["bash", str(ROOT / "scripts" / "demo")],
    "background": ["bash", "-c", f"bash {ROOT / 'scripts' / 'demo'} & echo \"demo-pid $!\"; wait"],
}


@pytest.mark.parametrize("start,stop_signal", [
    ("foreground", signal.SIGINT),
    ("background", signal.SIGINT),
    ("background", signal.SIGTERM),
])
def test_demo_prints_url_and_stops_everything(tmp_path, start, stop_signal):
    demo_dir = tmp_path / "demo"
    env = dict(os.environ, COFFER_DEMO_NO_BUILD="1", COFFER_DEMO_DIR=str(demo_dir))
    proc = subprocess.Popen(STARTS[start], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, start_new_session=True)
    try:
        out = _read_banner(proc)
        text = "".join(out)
        m = re.search(r"^\s*URL:\s+(https://127\.0\.0\.1:\d+)", text, re.M)
        assert m, text
        url = m.group(1)
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
        pids = [int(Path(demo_dir / "run" / f).read_text().split()[0])
                for f in ("cofferd.pid", "nginx.pid")]
        if start == "background":
            demo_pid = int(re.search(r"^demo-pid (\d+)$", text, re.M).group(1))
            # The newcomer's condition holds: the job started with SIGINT ignored.
            # (The demo re-executes itself with it reset, keeping its pid.)
            pids.append(demo_pid)
        if stop_signal == signal.SIGTERM:
            os.kill(demo_pid, signal.SIGTERM)
        else:
            os.killpg(proc.pid, stop_signal)
        proc.wait(timeout=60)
        assert _wait_gone(pids) == []
        rest = proc.stdout.read()
        assert "stopping the demo stack" in rest, rest
    finally:
        # Whatever failed above: nothing of the demo keeps running.
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        subprocess.run(["bash", str(ROOT / "scripts" / "stack"), "down", str(demo_dir)],
                       capture_output=True, timeout=120)
    leftovers = subprocess.run(["pgrep", "-af", str(demo_dir)], capture_output=True,
                               text=True).stdout
    assert leftovers.strip() == "", leftovers


def test_demo_job_starts_with_sigint_ignored_in_a_script(tmp_path):
    """Why the demo re-executes itself: a `&` job of a non-interactive shell
    has SIGINT ignored (bit 2 of SigIgn); env --default-signal clears it."""
    probe = "grep SigIgn /proc/self/status"
    job = subprocess.run(["bash", "-c", f"bash -c '{probe}' & wait"], capture_output=True,
                         text=True, timeout=30).stdout
    reset = subprocess.run(["bash", "-c", f"env --default-signal=INT bash -c '{probe}' & wait"],
                           capture_output=True, text=True, timeout=30).stdout
    assert int(job.split()[1], 16) & (1 << (signal.SIGINT - 1)), job
    assert not int(reset.split()[1], 16) & (1 << (signal.SIGINT - 1)), reset
