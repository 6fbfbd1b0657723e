#!/usr/bin/python3
"""The source tree's layers: includes point down only (STYLE.md).

base <- store <- engine <- http <- daemon, and ctl beside http and daemon
on top of the engine.  Each folder may include what its row below lists.
The only arrows up are to the daemon's instrumentation sinks: metrics.h
(counters every layer adds to) and, for the /status handler, scoreboard.h.
Also fails on a source file past MAX_LINES (STYLE.md: no file past ~800).
Run by `make check` (srcdir from the environment, as automake sets it).
"""
import os
import re
import sys
from pathlib import Path

ROOT = Path(os.environ.get("srcdir") or Path(__file__).resolve().parents[2]).resolve()
SRC = ROOT / "src"
MAX_LINES = 850

MAY_INCLUDE = {
    "base": {"base"},
    "store": {"base", "store"},
    "engine": {"base", "store", "engine"},
    "http": {"base", "store", "engine", "http"},
    "daemon": {"base", "store", "engine", "http", "daemon"},
    "ctl": {"base", "store", "engine", "ctl"},
}
SINKS = {
    "store": {"daemon/metrics.h"},
    "engine": {"daemon/metrics.h"},
    "http": {"daemon/metrics.h", "daemon/scoreboard.h"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([^"]+)"', re.M)


def main():
    problems = []
    files = sorted(p for p in SRC.rglob("*.[ch]") if p.parent != SRC)
    for p in files:
        layer = p.relative_to(SRC).parts[0]
        rel = p.relative_to(ROOT)
        if layer not in MAY_INCLUDE:
            problems.append(f"{rel}: folder {layer}/ is no layer of tests/lint/check_layers.py")
            continue
        text = p.read_text(errors="replace")
        for m in INCLUDE.finditer(text):
            target, header = m.group(1), f"{m.group(1)}/{m.group(2)}"
            if target not in MAY_INCLUDE[layer] and header not in SINKS.get(layer, ()):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{rel}:{line}: {layer}/ includes {header}, "
                                f"a layer above it")
        lines = text.count("\n")
        if lines > MAX_LINES:
            problems.append(f"{rel}: {lines} lines; split it (STYLE.md: ~800 at most)")
    for line in problems:
        print(line, file=sys.stderr)
    print(f"check_layers: {len(files)} files; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
