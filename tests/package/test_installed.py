"""The installed Debian package, as it lands on a machine.

Run by scripts/test (phase `package`) after `apt-get install ./coffer_*.deb`
and before `apt-get purge coffer`, as root, with COFFER_PACKAGE_INSTALLED=1;
skipped otherwise, because it uses the system's real paths (/etc/coffer,
/run/coffer, /var/lib/coffer) and the package's own files, unchanged.

The end-to-end test runs the PACKAGED configuration and nginx site: cofferd
started as root with /etc/coffer/coffer.conf (the database and JWT secret
given by environment variables, as a systemd drop-in would), in a mount
namespace where /var/lib/coffer is a bind mount as cofferd.service's
ReadWritePaths= makes it; nginx with /etc/nginx/sites-available/coffer.conf,
only its listen port and certificate changed. PostgreSQL comes from
`scripts/stack` (whose own cofferd and nginx are not used).
"""
import difflib
import grp
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import conftest as it  # noqa: E402  (the integration layer's stack helpers)

pytestmark = pytest.mark.skipif(
    os.environ.get("COFFER_PACKAGE_INSTALLED") != "1" or os.geteuid() != 0,
    reason="only inside scripts/test's package phase (root, package installed)")

CONF = Path("/etc/coffer/coffer.conf")
SITE = Path("/etc/nginx/sites-available/coffer.conf")
STORAGE = Path("/var/lib/coffer/storage")
BODY = Path("/var/lib/coffer/body")
UNITS = ["cofferd.service", "cofferd.socket", "coffer-reconcile.service",
         "coffer-reconcile.timer"]
WWW = pwd.getpwnam("www-data")


def run(*args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(list(args), **kw)


def clean_env(**extra):
    """The environment without anything that would override the packaged config."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COFFER_", "AWS_", "S3_"))
           and k not in ("DATABASE_URL", "JWT_SECRET", "STORAGE_TYPE", "LOCAL_STORAGE_PATH",
                         "MAX_FILE_SIZE", "DEFAULT_STORAGE_LIMIT")}
    env.update(extra)
    return env


def owner(path):
    st = path.stat()
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, \
        stat.S_IMODE(st.st_mode)


# ---- what the package put where ------------------------------------------------

def test_files_owners_and_modes():
    files = set(run("dpkg", "-L", "coffer").stdout.split())
    for f in ["/usr/sbin/cofferd", "/usr/bin/cofferctl", str(CONF), str(SITE),
              "/etc/nginx/coffer/coffer-fastcgi.conf", "/etc/nginx/coffer/coffer-site.d",
              "/usr/lib/tmpfiles.d/coffer.conf", "/usr/share/coffer/nginx/coffer-site.conf.in",
              "/usr/share/doc/coffer/coffer.conf.example", "/usr/share/doc/coffer/README.Debian",
              "/usr/share/man/man8/cofferd.8.gz", "/usr/share/man/man8/cofferctl.8.gz",
              "/usr/share/man/man5/coffer.conf.5.gz"] + [f"/lib/systemd/system/{u}" for u in UNITS]:
        assert f in files, f"the package does not ship {f}"
    conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "coffer").stdout
    for f in [CONF, SITE, Path("/etc/nginx/coffer/coffer-fastcgi.conf")]:
        assert f" {f} " in conffiles + " ", f"{f} is not a conffile"
    # Secrets: root writes, cofferd (www-data) reads, nobody else.
    assert owner(CONF) == ("root", "www-data", 0o640)
    assert owner(STORAGE) == ("www-data", "www-data", 0o750)
    assert owner(BODY) == ("www-data", "www-data", 0o700)
    assert owner(Path("/run/coffer")) == ("www-data", "www-data", 0o750)  # tmpfiles.d
    # Same filesystem: uploads are hard-linked from nginx's body file.
    assert STORAGE.stat().st_dev == BODY.stat().st_dev


def test_units_installed_not_enabled():
    enabled = [str(p) for p in Path("/etc/systemd/system").rglob("coffer*")]
    assert enabled == [], f"units enabled by the package: {enabled}"


def test_units_verify_in_place():
    proc = run("systemd-analyze", "verify", *[f"/lib/systemd/system/{u}" for u in UNITS],
               env=dict(clean_env(), SYSTEMD_LOG_COLOR="0"))
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and out == "", out


def test_packaged_config_is_valid_out_of_the_box():
    # Default path, no -c: the file as installed, as root and as www-data.
    for cmd in (["/usr/sbin/cofferd", "-t"],
                ["runuser", "-u", "www-data", "--", "/usr/sbin/cofferd", "-t"]):
        proc = run(*cmd, env=clean_env())
        assert proc.returncode == 0, proc.stderr
        assert "/etc/coffer/coffer.conf test is successful" in proc.stderr
    dump = run("/usr/sbin/cofferd", "-T", env=clean_env()).stdout
    assert re.search(r"(?m)^user = www-data$", dump)
    assert re.search(r"(?m)^local_path = /var/lib/coffer/storage$", dump)


def test_man_pages_installed():
    for page in ("cofferd", "cofferctl", "coffer.conf"):
        proc = run("man", "-w", page, env=clean_env())
        assert proc.returncode == 0 and "/usr/share/man/" in proc.stdout, proc.stderr
        proc = run("man", "--warnings", page, env=clean_env(MANWIDTH="80", PAGER="cat"))
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr


# ---- end to end with the packaged configuration and site ---------------------------

def children(pid):
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def ids(pid):
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid"):
            out[key] = [int(v) for v in value.split()]
    return out


@pytest.fixture(scope="module")
def pg():
    """A private PostgreSQL (scripts/stack, with the installed binaries)."""
    os.environ["COFFERD"] = "/usr/sbin/cofferd"
    os.environ["COFFERCTL"] = "/usr/bin/cofferctl"
    yield from it._session_stack("coffer-pkg.")


@pytest.fixture(scope="module")
def packaged(pg, tmp_path_factory):
    """cofferd and nginx with the packaged files; yields (url, ca, env, master pid)."""
    work = tmp_path_factory.mktemp("pkg")
    os.chmod(work, 0o755)
    secret = secrets.token_hex(32)
    env = clean_env(DATABASE_URL=pg.env["DATABASE_URL"], JWT_SECRET=secret)

    # cofferd: the packaged config at its default path, started as root; its
    # /var/lib/coffer a bind mount, as under cofferd.service.
    sandboxed = run("unshare", "-m", "--propagation", "private", "true").returncode == 0
    cmd = ["/usr/sbin/cofferd", "-f"]
    if sandboxed:
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               "mount --bind /var/lib/coffer /var/lib/coffer && exec \"$@\"", "sh", *cmd]
    log = open(work / "cofferd.log", "w")
    cofferd = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    log.close()

    # nginx: the packaged site, only listen, certificate and host name
    # changed (two servers: the refusing default one and Coffer's).
    port = int(subprocess.run(["bash", "-c", f"source {ROOT}/scripts/lib.sh; free_ports 1"],
                              capture_output=True, text=True).stdout.split()[0])
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem"))
    original = SITE.read_text()
    site = re.sub(r"(?m)^(\s*)listen 443 ssl http2( default_server)?;",
                  rf"\1listen 127.0.0.1:{port} ssl http2\2;", original)
    site = re.sub(r"(?m)^(\s*)server_name _;", r"\1server_name 127.0.0.1;", site)
    site = re.sub(r"(?m)^(\s*ssl_certificate)\s+\S+;", rf"\1     {work}/cert.pem;", site)
    site = re.sub(r"(?m)^(\s*ssl_certificate_key)\s+\S+;", rf"\1 {work}/key.pem;", site)
    changed = [l for l in difflib.unified_diff(original.splitlines(), site.splitlines(), n=0)
               if l.startswith(("+", "-")) and not l.startswith(("+++", "---"))]
    assert len(changed) == 14, changed
    (work / "coffer-site.conf").write_text(site)
    for f in ("fastcgi_params", "mime.types"):
        shutil.copy(f"/etc/nginx/{f}", work / f)
    (work / "nginx.conf").write_text(f"""
user www-data www-data;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log notice;
events {{ worker_connections 64; }}
http {{
    include mime.types;
    access_log {work}/nginx-access.log;
    include {work}/coffer-site.conf;
}}
""")
    nginx = ["nginx", "-p", f"{work}/", "-c", f"{work}/nginx.conf", "-e", f"{work}/nginx-error.log"]
    proc = run(*nginx, "-t")
    assert proc.returncode == 0, proc.stderr
    proc = run(*nginx)
    assert proc.returncode == 0, proc.stderr

    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert cofferd.poll() is None, (work / "cofferd.log").read_text()
            try:
                if requests.get(url + "/readyz", verify=str(work / "cert.pem"),
                                timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, (work / "cofferd.log").read_text()
            time.sleep(0.2)
        yield {"url": url, "ca": str(work / "cert.pem"), "env": env, "pid": cofferd.pid,
               "sandboxed": sandboxed, "log": work / "cofferd.log"}
    finally:
        pid = (work / "nginx.pid").read_text().strip() if (work / "nginx.pid").exists() else ""
        if pid:
            os.kill(int(pid), signal.SIGQUIT)
        cofferd.send_signal(signal.SIGTERM)
        try:
            assert cofferd.wait(timeout=60) == 0, (work / "cofferd.log").read_text()
        finally:
            if cofferd.poll() is None:
                cofferd.kill()
        shutil.copy(work / "cofferd.log", it.output_dir() / "package-cofferd.log")


def ctl(packaged, *args):
    """cofferctl as www-data: it reads /etc/coffer/coffer.conf through its group."""
    proc = run("runuser", "-u", "www-data", "--", "/usr/bin/cofferctl", *args,
               env=packaged["env"])
    assert proc.returncode == 0, f"cofferctl {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def wait_for(predicate, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def test_packaged_pool_runs_as_www_data(packaged):
    master = packaged["pid"]
    # [server] workers: the default, 0: four per CPU, 4 to 32.
    n = min(max(4 * os.cpu_count(), 4), 32)
    workers = wait_for(lambda: len(children(master)) == n and children(master), f"{n} workers")
    for pid in [master, *workers]:
        got = ids(pid)
        assert got["Uid"] == [WWW.pw_uid] * 4 and got["Gid"] == [WWW.pw_gid] * 4, (pid, got)
    sock = Path("/run/coffer/cofferd.sock").stat()
    assert grp.getgrgid(sock.st_gid).gr_name == "www-data" and stat.S_IMODE(sock.st_mode) == 0o660


def test_packaged_upload_through_the_packaged_site(packaged):
    customer = str(uuid.uuid4())
    ctl(packaged, "customer", "create", "--id", customer, "--plan", "starter")
    token = ctl(packaged, "token", "issue", "--customer", customer, "--user", "pkg-test",
                "--ttl", "600").strip().splitlines()[-1]
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    # Above the small-upload threshold (256,000 bytes), so nginx buffers
    # the body to a file; trailing bytes keep it a PNG.
    data = (ROOT / "tests" / "unit" / "data" / "sample.png").read_bytes() + bytes(300_000)
    try:
        # Raw body: nginx's 0600 temp file (www-data) becomes the object by a link.
        r = s.put(packaged["url"] + "/api/storage/files?category=avatars&name=me.png",
                  data=data, verify=packaged["ca"], timeout=60)
        assert r.status_code == 200, r.text
        raw = STORAGE / r.json()["data"]["filePath"]
        # Multipart: the part is copied into a fresh file (0640 under umask 022).
        r = s.post(packaged["url"] + "/api/storage/upload",
                   data={"category": "documents", "subcategory": "leases"},
                   files={"file": ("lease.pdf", (ROOT / "tests/unit/data/sample.pdf").read_bytes(),
                                   "application/pdf")}, verify=packaged["ca"], timeout=60)
        assert r.status_code == 200, r.text
        copied = STORAGE / r.json()["data"]["filePath"]

        assert raw.read_bytes() == data
        assert owner(raw) == ("www-data", "www-data", 0o600), \
            "the raw upload was copied, not linked from nginx's body file"
        assert owner(copied)[0] == "www-data" and owner(copied)[2] == 0o640
        assert packaged["sandboxed"], \
            "unshare -m failed: cofferd ran without the bind mount of cofferd.service"
        # nginx removed its temporary files ("clean"); only its level directories stay.
        wait_for(lambda: not [p for p in BODY.rglob("*") if not p.is_dir()],
                 "nginx to remove its body files")
        for f in s.get(packaged["url"] + "/api/storage/files", verify=packaged["ca"],
                       timeout=60).json()["data"]["files"]:
            assert s.delete(packaged["url"] + f"/api/storage/files/{f['id']}",
                            verify=packaged["ca"], timeout=60).status_code == 200
        assert not raw.exists() and not copied.exists()
    finally:
        # Leave the storage root as the package made it, so purge removes it.
        shutil.rmtree(STORAGE / "customers" / customer, ignore_errors=True)
        try:
            (STORAGE / "customers").rmdir()
        except OSError:
            pass


def test_reconcile_unit_command_as_www_data(packaged):
    """coffer-reconcile.service's own ExecStart, as its User=: it reads the
    packaged config through its group and walks the packaged storage root."""
    unit = Path("/lib/systemd/system/coffer-reconcile.service").read_text()
    assert re.search(r"(?m)^User=www-data$", unit)
    success = {0} | {int(x) for x in re.findall(r"(?m)^SuccessExitStatus=(.*)$", unit)[0].split()}
    cmd = re.search(r"(?m)^ExecStart=(.*)$", unit).group(1).split()
    proc = run("runuser", "-u", "www-data", "--", *cmd, "--json", env=packaged["env"])
    assert proc.returncode in success, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["backend"] == "local" and report["errors"] == [], report
