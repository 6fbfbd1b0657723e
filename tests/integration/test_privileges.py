"""Started as root, cofferd drops to [server] user before any worker runs,
and refuses to run workers as root (docs/PRIVILEGES.md).

The pool under test runs the packaged configuration, coffer.conf.example
(installed as /etc/coffer/coffer.conf by `make install` and the Debian
package), with only its socket paths moved into a private directory and the
database and storage root given by environment variables, as a systemd
drop-in would. The installed package itself is tested with its real paths by
tests/package/ (scripts/test, phase `package`).
"""
import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from helpers import ROOT, fcgi_request

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="starting cofferd as root needs root")

EXAMPLE = ROOT / "coffer.conf.example"
REFUSAL = ("refusing to run workers as root: set [server] user "
           "(e.g. www-data, the web server's user)")


def ids(pid):
    """{'Uid': [real, effective, saved, fs], 'Gid': [...], 'Groups': [...]} of pid."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid", "Groups"):
            out[key] = [int(v) for v in value.split()]
    return out


def children(pid):
    kids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat_line = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat_line.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            kids.append(int(d.name))
    return kids


@pytest.fixture
def private_dir():
    d = Path(tempfile.mkdtemp(prefix="coffer-priv.", dir="/tmp"))
    os.chmod(d, 0o755)
    (d / "storage").mkdir()
    shutil.chown(d / "storage", "www-data", "www-data")
    # The master, www-data by then, removes its sockets here when it stops.
    shutil.chown(d, "www-data", "www-data")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def env_for(stack, directory):
    env = {k: v for k, v in os.environ.items()
           if k not in ("COFFER_CONF", "STORAGE_TYPE", "JWT_SECRET", "S3_ENDPOINT",
                        "S3_BUCKET_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    env["DATABASE_URL"] = stack.env["DATABASE_URL"]
    env["LOCAL_STORAGE_PATH"] = str(directory / "storage")
    return env


def write_conf(directory, text, **server):
    """text, then a [server] section moving the sockets into directory."""
    lines = [text, "", "; ---- test_privileges ----", "[server]",
             f"listen = unix:{directory}/cofferd.sock",
             f"status_socket = {directory}/status.sock", "workers = 2"]
    lines += [f"{k} = {v}" for k, v in server.items()]
    conf = directory / "coffer.conf"
    conf.write_text("\n".join(lines) + "\n")
    os.chmod(conf, 0o640)
    shutil.chown(conf, "root", "www-data")
    return conf


def start(stack, conf, directory):
    return subprocess.Popen([stack.cofferd, "-f", "-c", str(conf)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env_for(stack, directory),
                            start_new_session=True)


def log_msg(line):
    """The msg of one logfmt line (src/base/log.c quotes it, escaping \\ and \")."""
    m = re.search(r'\bmsg=(?:"((?:[^"\\]|\\.)*)"|(\S+))', line)
    assert m, f"not a log line: {line!r}"
    if m.group(2) is not None:
        return m.group(2)
    return re.sub(r"\\(.)", r"\1", m.group(1))


def without_user(text):
    return re.sub(r"(?m)^(user|group) = .*$", "", text)


@pytest.mark.parametrize("user, message", [
    (None, REFUSAL),
    ("root", 'refusing to run workers as root: [server] user = "root" is uid 0'),
    ("no-such-user-coffer", '[server] user = "no-such-user-coffer": no such user'),
])
def test_root_without_an_unprivileged_user_is_refused(stack, private_dir, user, message):
    text = without_user(EXAMPLE.read_text())
    conf = write_conf(private_dir, text, **({"user": user} if user else {}))
    proc = start(stack, conf, private_dir)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1, out
    lines = [line for line in out.splitlines() if line.strip()]
    # One clear line, and no worker ever started.
    assert len(lines) == 1 and "level=error" in lines[0], out
    assert log_msg(lines[0]) == message, out
    assert "started" not in out
    assert not (private_dir / "cofferd.sock").exists()
    assert not (private_dir / "status.sock").exists()


def test_packaged_config_as_root_runs_master_and_workers_as_www_data(stack, private_dir):
    conf = write_conf(private_dir, EXAMPLE.read_text())
    www = pwd.getpwnam("www-data")
    www_groups = sorted(set(os.getgrouplist("www-data", www.pw_gid)))
    proc = start(stack, conf, private_dir)
    try:
        sock = private_dir / "cofferd.sock"
        stack.wait_for(lambda: sock.exists() or proc.poll() is not None, what="the socket")
        assert proc.poll() is None, proc.stdout.read()
        # /readyz: the workers reach PostgreSQL and can write the storage root.
        deadline = time.monotonic() + 20
        while True:
            status, body = fcgi_request(sock, "/readyz", timeout=15)
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200, body

        workers = stack.wait_for(lambda: len(children(proc.pid)) == 2 and children(proc.pid),
                                 what="two workers")
        for pid in [proc.pid, *workers]:
            got = ids(pid)
            assert got["Uid"] == [www.pw_uid] * 4, (pid, got)
            assert got["Gid"] == [www.pw_gid] * 4, (pid, got)
            assert sorted(got["Groups"]) == www_groups, (pid, got)

        # Bound as root before the drop: root's, group www-data (listen_group),
        # 0660, so nginx (www-data) and nobody else connects.
        st = sock.stat()
        assert stat.S_ISSOCK(st.st_mode)
        assert (st.st_uid, st.st_gid) == (0, grp.getgrnam("www-data").gr_gid)
        assert stat.S_IMODE(st.st_mode) == 0o660
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    # The master, www-data by then, could still remove its sockets.
    assert not (private_dir / "cofferd.sock").exists(), out
