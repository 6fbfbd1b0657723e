#!/usr/bin/python3
"""The API's error codes against their one catalogue, src/http/errcodes.h.

Fails (exit 1) when
- docs/ERRORS.md's table is not the one the catalogue gives
  (`tests/lint/check_errcodes.py --write` rewrites it);
- cofferd's sources (src/, but the operator's CLI in src/ctl) or nginx's
  templates hold a code-like string that is neither in the catalogue nor a
  known non-code name (FastCGI params, environment variables, SQL, ...);
- web/js/ or a client package under clients/ expects a code that is not
  in the catalogue.
Run by `make check` (srcdir from the environment, as automake sets it).
"""
import os
import re
import sys
from pathlib import Path

ROOT = Path(os.environ.get("srcdir") or Path(__file__).resolve().parents[2]).resolve()
HEADER = ROOT / "src" / "http" / "errcodes.h"
DOC = ROOT / "docs" / "ERRORS.md"
BEGIN, END = "<!-- errcodes:begin -->", "<!-- errcodes:end -->"

# C and nginx quote strings with ", JavaScript and PHP with either.
C_LITERAL = re.compile(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)"')
JS_LITERAL = re.compile(r"""["'`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)["'`]""")
ENTRY = re.compile(r'^\s*X\((\w+), (\d+), "((?:[^"\\]|\\.)*)"\)')

# Upper-case strings in cofferd's sources that are not API codes.  A new
# one fails this check until it is either catalogued or named here.
NOT_CODE_PREFIXES = ("HTTP_", "COFFER_", "REQUEST_", "CONTENT_", "DOCUMENT_", "QUERY_",
                     "REMOTE_", "SERVER_", "AWS_", "S3_")
NOT_CODES = {
    # environment variables of conf_keys[] (src/base/conf.c)
    "DATABASE_URL", "STORAGE_TYPE", "LOCAL_STORAGE_PATH", "DEFAULT_STORAGE_LIMIT",
    "MAX_FILE_SIZE", "JWT_SECRET",
    # HTTP methods, SQL, JWT algorithms
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
    "BEGIN", "COMMIT", "ROLLBACK", "HS256", "RS256", "ES256", "MD5", "SHA256",
    # the seed's formatBytes() units, time zones
    "KB", "MB", "GB", "TB", "UTC",
    # multipart.c's name for success (never an error body's code)
    "OK",
}
HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}
CLIENT_SUFFIXES = {".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".php"}
# Installed or built, not written: their sources are scanned instead.
GENERATED_DIRS = {"node_modules", "vendor", "dist", "build"}


def catalogue():
    """[(section, [(code, status, meaning)])] in the header's order."""
    sections, comment = [], None
    lines = HEADER.read_text().split("#define ERRCODES(X)", 1)[1].splitlines()
    for line in lines[1:]:
        text = line.rstrip("\\").strip()
        if not text:
            break
        m = ENTRY.match(text)
        if m:
            if not sections or sections[-1][0] != comment:
                sections.append((comment, []))
            sections[-1][1].append((m.group(1), int(m.group(2)), m.group(3)))
            continue
        if text.startswith("/*"):
            comment = text[2:]
        elif text.startswith("*"):
            comment += " " + text.lstrip("*").strip()
        else:
            raise SystemExit(f"{HEADER}: cannot read: {line!r}")
        comment = comment.replace("*/", "").strip()
    return sections


def table(sections):
    out = [BEGIN]
    for title, rows in sections:
        out += ["", f"### {title.rstrip('.')}", ""]
        out += ["| code | status | meaning |", "|---|---:|---|"]
        for code, status, meaning in rows:
            out.append(f"| `{code}` | {status or '-'} | {meaning} |")
    out += ["", END]
    return "\n".join(out)


def literals(path, pattern):
    text = path.read_text(errors="replace")
    for n, line in enumerate(text.splitlines(), 1):
        for m in pattern.finditer(line):
            yield n, m.group(1)


def main():
    sections = catalogue()
    codes = {c for _, rows in sections for c, _, _ in rows}
    problems = []
    if len(codes) != sum(len(rows) for _, rows in sections):
        problems.append(f"{HEADER.relative_to(ROOT)}: a code is listed twice")

    want = table(sections)
    doc = DOC.read_text() if DOC.exists() else ""
    have = doc[doc.find(BEGIN):doc.find(END) + len(END)] if BEGIN in doc and END in doc else ""
    if "--write" in sys.argv[1:]:
        if not have:
            raise SystemExit(f"{DOC}: no {BEGIN} ... {END} markers to write between")
        DOC.write_text(doc.replace(have, want))
    elif have != want:
        problems.append(f"{DOC.relative_to(ROOT)}: the table differs from "
                        f"src/http/errcodes.h; run tests/lint/check_errcodes.py --write")

    # What cofferd and nginx send.
    emitters = [p for p in sorted((ROOT / "src").rglob("*.[ch]"))
                if "ctl" not in p.relative_to(ROOT / "src").parts[:1] and p != HEADER]
    emitters += sorted((ROOT / "nginx").glob("*.in")) + sorted((ROOT / "nginx").glob("*.conf"))
    for p in emitters:
        for n, s in literals(p, C_LITERAL):
            if s in codes or s in NOT_CODES or s.startswith(NOT_CODE_PREFIXES):
                continue
            if p.suffix in (".in", ".conf") and "_" not in s:
                continue
            problems.append(f"{p.relative_to(ROOT)}:{n}: {s} is not in src/http/errcodes.h")

    # What the dashboard and the client packages expect.
    consumers = sorted((ROOT / "web" / "js").glob("*.js"))
    if (ROOT / "clients").is_dir():
        consumers += sorted(p for p in (ROOT / "clients").rglob("*")
                            if p.suffix in CLIENT_SUFFIXES and p.is_file()
                            and not GENERATED_DIRS.intersection(p.parts))
    for p in consumers:
        for n, s in literals(p, JS_LITERAL):
            if s in codes or s in HTTP_METHODS:
                continue
            # A single word is a code only where the catalogue has it.
            if "_" in s and not s.startswith(NOT_CODE_PREFIXES):
                problems.append(f"{p.relative_to(ROOT)}:{n}: {s} is not an API error code "
                                f"(src/http/errcodes.h)")
    for line in problems:
        print(line, file=sys.stderr)
    print(f"check_errcodes: {len(codes)} codes; {len(emitters)} emitting and "
          f"{len(consumers)} consuming files scanned; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
