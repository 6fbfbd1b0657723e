"""What `make install` ships, checked against the code it describes.

- the systemd units, installed by `make install prefix=...` into a temporary
  tree, pass `systemd-analyze verify` without a word (it needs the commands
  and man pages at the paths the units name: that is why the install uses a
  real prefix instead of DESTDIR) and keep their sandbox;
- the man pages format without a warning;
- coffer.conf.example and coffer.conf(5) name exactly the keys `cofferd -T`
  prints, with conf.c's environment variables and the true defaults;
- cofferctl(8) has a section for every command `cofferctl -h` lists.

None of this needs the stack.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COFFERD = os.environ.get("COFFERD", str(ROOT / "src" / "cofferd"))
COFFERCTL = os.environ.get("COFFERCTL", str(ROOT / "src" / "cofferctl"))
EXAMPLE = ROOT / "coffer.conf.example"
MAN = ROOT / "man"
MAN_PAGES = ["cofferd.8", "cofferctl.8", "coffer.conf.5"]
# libinih (Debian's r55) reads at most this many characters of a line.
INI_MAX_LINE = 199

# Variables that would override the files under test.
CONF_ENV = ("COFFER_CONF", "DATABASE_URL", "STORAGE_TYPE", "LOCAL_STORAGE_PATH",
            "MAX_FILE_SIZE", "DEFAULT_STORAGE_LIMIT", "S3_ENDPOINT", "S3_BUCKET_NAME",
            "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "JWT_SECRET",
            "COFFER_LOG_LEVEL")


def clean_env():
    env = {k: v for k, v in os.environ.items() if k not in CONF_ENV and not k.startswith("COFFER_")}
    env["LC_ALL"] = "C.UTF-8"
    return env


def build_dir():
    """The configured build tree COFFERD comes from (scripts/test builds out of tree)."""
    d = Path(COFFERD).resolve().parents[1]
    if not (d / "Makefile").exists():
        pytest.skip(f"no configured build tree at {d}")
    return d


# ---- cofferd -T and conf.c --------------------------------------------------

def parse_dump(text):
    """`cofferd -T` output -> {(section, key): value}, in order."""
    out, section = {}, None
    for line in text.splitlines():
        if m := re.fullmatch(r"\[(\w+)\]", line):
            section = m.group(1)
        elif m := re.fullmatch(r"(\w+) = ?(.*)", line):
            out[(section, m.group(1))] = m.group(2)
        elif line.strip():
            raise AssertionError(f"unexpected line in cofferd -T output: {line!r}")
    return out


def dump(conf_path):
    proc = subprocess.run([COFFERD, "-T", "-c", str(conf_path)], capture_output=True,
                          text=True, env=clean_env(), timeout=30)
    assert proc.returncode == 0, f"cofferd -T -c {conf_path}: {proc.stderr}"
    return parse_dump(proc.stdout)


@pytest.fixture(scope="module")
def defaults(tmp_path_factory):
    empty = tmp_path_factory.mktemp("conf") / "empty.conf"
    empty.write_text("")
    return dump(empty)


def conf_c_env():
    """{(section, key): env or None} from conf.c's key table: its first three
    fields are the section, the name and the environment variable."""
    text = (ROOT / "src" / "base" / "conf.c").read_text()
    rows = re.findall(r'\{\s*"(\w+)",\s*"(\w+)",\s*(NULL|"(\w+)"),\s*T_', text)
    return {(s, k): (env or None) for s, k, _, env in rows}


# ---- coffer.conf.example ------------------------------------------------------

def parse_example(text):
    """-> (defaults, active, env_mentions): {(section, key): value} for the
    commented ";key = default" lines (joined with their ";  " continuation
    lines), {(section, key): value} for the active lines, and
    {section: text of its comments}."""
    defaults, active, comments = {}, {}, {}
    section, last = None, None
    for n, line in enumerate(text.splitlines(), 1):
        assert len(line) <= INI_MAX_LINE, \
            f"coffer.conf.example:{n} is {len(line)} characters; libinih reads {INI_MAX_LINE}"
        if m := re.fullmatch(r"\[(\w+)\]", line):
            section, last = m.group(1), None
            continue
        if m := re.fullmatch(r";(\w+) =(?: (.*))?", line):
            key = (section, m.group(1))
            assert key not in defaults, f"coffer.conf.example:{n}: {key} listed twice"
            defaults[key] = m.group(2) or ""
            last = key
            continue
        if last and (m := re.fullmatch(r";  +(\S.*)", line)):
            defaults[last] += " " + m.group(1)
            continue
        last = None
        if m := re.fullmatch(r"(\w+) =(?: (.*))?", line):
            key = (section, m.group(1))
            assert key not in active, f"coffer.conf.example:{n}: {key} set twice"
            active[key] = m.group(2) or ""
        elif line.startswith(";") or not line.strip():
            comments[section] = comments.get(section, "") + line + "\n"
        else:
            raise AssertionError(f"coffer.conf.example:{n}: unexpected line {line!r}")
    return defaults, active, comments


@pytest.fixture(scope="module")
def example():
    return parse_example(EXAMPLE.read_text())


def test_example_lists_every_key_once(defaults, example):
    documented, active, _ = example
    missing = sorted(set(defaults) - set(documented))
    unknown = sorted(set(documented) - set(defaults))
    assert not missing, f"coffer.conf.example lacks a ';key = default' line for {missing}"
    assert not unknown, f"coffer.conf.example documents keys cofferd does not know: {unknown}"
    assert set(active) <= set(defaults)


def test_example_defaults_are_cofferds(defaults, example, tmp_path):
    """Uncomment every ';key = default' line: cofferd must read exactly its
    built-in defaults. A default too long for one INI line is compared as text."""
    documented, _, _ = example
    lines, section = [], None
    for (sec, key), value in documented.items():
        if sec != section:
            lines.append(f"[{sec}]")
            section = sec
        line = f"{key} = {value}"
        if len(line) > INI_MAX_LINE:
            assert value == defaults[(sec, key)], f"[{sec}] {key}: the example's default differs"
            continue
        lines.append(line)
    conf = tmp_path / "defaults.conf"
    conf.write_text("\n".join(lines) + "\n")
    got = dump(conf)
    wrong = {f"[{k[0]}] {k[1]}": (got.get(k), v) for k, v in defaults.items() if got.get(k) != v}
    assert not wrong, f"coffer.conf.example's defaults, as cofferd reads them, vs cofferd's: {wrong}"


def test_example_is_valid_and_names_the_env_overrides(example):
    """The example is the packaged /etc/coffer/coffer.conf: valid as it is
    (no JWT secret, no database password), and each key's variable is named
    in its section's comments."""
    proc = subprocess.run([COFFERD, "-t", "-c", str(EXAMPLE)], capture_output=True,
                          text=True, env=clean_env(), timeout=30)
    assert proc.returncode == 0, proc.stderr
    _, active, comments = example
    assert active[("server", "user")] == "www-data"
    for (section, key), env in conf_c_env().items():
        if env:
            assert re.search(rf"\b{env}\b", comments.get(section, "")), \
                f"coffer.conf.example: [{section}] does not mention {env} (for {key})"


# ---- man pages ----------------------------------------------------------------

def roff_text(s):
    """Roff source of one line -> plain text (the escapes these pages use)."""
    s = re.sub(r"\\f[BIRP]", "", s)
    s = s.replace("\\-", "-").replace("\\:", "").replace("\\&", "").replace("\\e", "\\")
    return s


def man_keys():
    """coffer.conf(5) -> {(section, key): (default text, env or None)}."""
    out, section, key, body = {}, None, None, []

    def close():
        if key is None:
            return
        text = " ".join(body)
        d = re.search(r"Default: (.*?)\.(?: Environment:|$)", text)
        e = re.search(r"Environment: (\w+)\.", text)
        assert d, f"coffer.conf(5): [{section}] {key} has no 'Default: ...' line"
        out[(section, key)] = ("" if d.group(1) == "empty" else d.group(1),
                               e.group(1) if e else None)

    lines = (MAN / "coffer.conf.5").read_text().splitlines()
    for i, line in enumerate(lines):
        if m := re.fullmatch(r'\.SH "\[(\w+)\]"', line):
            close()
            section, key, body = m.group(1), None, []
        elif line.startswith(".SH"):
            close()
            section, key, body = None, None, []
        elif section and line == ".TP" and i + 1 < len(lines) and \
                (m := re.fullmatch(r"\.B (\w+)", lines[i + 1])):
            close()
            key, body = m.group(1), []
        elif key and (line.startswith("Default:") or line.startswith("Environment:")):
            body.append(roff_text(line))
    close()
    return out


def test_man_conf_documents_every_key(defaults, example):
    keys = man_keys()
    missing = sorted(set(defaults) - set(keys))
    unknown = sorted(set(keys) - set(defaults))
    assert not missing, f"coffer.conf(5) does not document {missing}"
    assert not unknown, f"coffer.conf(5) documents keys cofferd does not know: {unknown}"
    env = conf_c_env()
    assert set(env) == set(defaults), "the conf.c table parse and cofferd -T disagree"
    documented, _, _ = example
    for k, (default, man_env) in keys.items():
        assert man_env == env[k], f"coffer.conf(5): [{k[0]}] {k[1]}: Environment {man_env}, conf.c {env[k]}"
        assert default == documented[k], \
            f"coffer.conf(5): [{k[0]}] {k[1]}: Default {default!r}, coffer.conf.example {documented[k]!r}"


def test_man_cofferctl_documents_every_command():
    proc = subprocess.run([COFFERCTL, "-h"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    commands = re.findall(r"(?m)^  ([a-z]+)\b", proc.stdout)
    assert "status" in commands and "customer" in commands
    sections = set(re.findall(r"(?m)^\.SS (\w+)$", (MAN / "cofferctl.8").read_text()))
    missing = sorted(set(commands) - sections)
    assert not missing, f"cofferctl(8) has no section for {missing}"


@pytest.mark.parametrize("page", MAN_PAGES)
def test_man_page_formats_without_warnings(page):
    path = MAN / page
    proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    for width in ("80", "100"):
        proc = subprocess.run(["man", "--warnings", "-l", str(path)], capture_output=True,
                              text=True, timeout=60,
                              env=dict(clean_env(), MANWIDTH=width))
        assert proc.returncode == 0 and proc.stderr == "", f"MANWIDTH={width}: {proc.stderr}"
        assert "SEE ALSO" in proc.stdout


# ---- make install and the systemd units -----------------------------------------

@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`make install` with a prefix (and unit directory) in a temporary
    directory: the units then name binaries that exist there."""
    top = tmp_path_factory.mktemp("install")
    proc = subprocess.run(
        ["make", "-C", str(build_dir()), "install", f"prefix={top}/usr",
         f"sysconfdir={top}/etc", f"systemdsystemunitdir={top}/lib/systemd/system"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    yield top
    # Render the build tree's units back for its own prefix.
    subprocess.run(["make", "-C", str(build_dir()), "systemd/cofferd.service",
                    "systemd/coffer-reconcile.service"], capture_output=True, timeout=120)
    shutil.rmtree(top, ignore_errors=True)


UNITS = ["cofferd.service", "cofferd.socket", "coffer-reconcile.service",
         "coffer-reconcile.timer"]


def test_make_install_ships_everything(installed):
    top = installed
    for rel in ["usr/sbin/cofferd", "usr/bin/cofferctl", "etc/coffer/coffer.conf",
                "usr/share/doc/coffer/coffer.conf.example",
                "usr/share/man/man8/cofferd.8", "usr/share/man/man8/cofferctl.8",
                "usr/share/man/man5/coffer.conf.5",
                "usr/share/coffer/nginx/coffer-site.conf.in",
                "usr/share/coffer/nginx/coffer-fastcgi.conf"] + \
            [f"lib/systemd/system/{u}" for u in UNITS]:
        assert (top / rel).is_file(), f"make install did not install {rel}"
    conf = top / "etc/coffer/coffer.conf"
    assert conf.read_text() == EXAMPLE.read_text()
    assert conf.stat().st_mode & 0o777 == 0o640
    service = (top / "lib/systemd/system/cofferd.service").read_text()
    # Rendered for the prefix make install was given, not configure's.
    assert f"ExecStart={top}/usr/sbin/cofferd -f -c {top}/etc/coffer/coffer.conf" in service
    assert not re.search(r"@[a-z_]+@", service)


def test_make_install_keeps_an_existing_config(installed):
    conf = installed / "etc/coffer/coffer.conf"
    conf.write_text(EXAMPLE.read_text() + "\n; edited by the operator\n")
    proc = subprocess.run(
        ["make", "-C", str(build_dir()), "install-data-local", f"prefix={installed}/usr",
         f"sysconfdir={installed}/etc"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "edited by the operator" in conf.read_text()
    conf.write_text(EXAMPLE.read_text())


def test_units_verify(installed):
    units = [str(installed / "lib/systemd/system" / u) for u in UNITS]
    env = dict(clean_env(), MANPATH=str(installed / "usr/share/man"), SYSTEMD_LOG_COLOR="0")
    proc = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True,
                          text=True, env=env, timeout=120)
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and out == "", f"systemd-analyze verify:\n{out}"


@pytest.mark.parametrize("unit", ["cofferd.service", "coffer-reconcile.service"])
def test_units_keep_their_sandbox(installed, unit):
    path = installed / "lib/systemd/system" / unit
    text = path.read_text()
    for line in ["User=www-data", "ProtectSystem=strict", "ReadWritePaths=/var/lib/coffer",
                 "PrivateTmp=yes", "NoNewPrivileges=yes", "ProtectHome=yes",
                 "CapabilityBoundingSet=\n",
                 "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"]:
        assert line in text, f"{unit} lost {line.strip()!r}"
    # systemd's own scoring: 0 (tight) .. 10 (none); these units score 1.7.
    proc = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                           str(path)], capture_output=True, text=True,
                          env=clean_env(), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", proc.stdout)
    assert m and float(m.group(1)) <= 2.0, proc.stdout[-2000:]
