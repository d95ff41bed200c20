"""`make mutate`: run mutmut on domain/ against tests/unit (configured in pyproject.toml), print the counts and the
kill rate, and fail when a mutant survives that is neither killed nor listed in equivalent.txt.

equivalent.txt: one mutant name per line, a space, and a one-line reason (`#` starts a comment line).
Use `.venv/bin/mutmut show <name>` to see a mutant, `python -m tests.mutation.report --no-run` to re-read results.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
EQUIVALENT = Path(__file__).with_name("equivalent.txt")
NOT_KILLED = {"survived", "no tests"}  # a mutant no unit test even runs is a survivor too


def listed_equivalents() -> dict[str, str]:
    listed = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.strip().partition(" ")
            if not reason.strip():
                raise SystemExit(f"equivalent.txt: {name} has no reason")
            listed[name] = reason.strip()
    return listed


def results() -> dict[str, str]:
    out = subprocess.run([MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True)
    found = {}
    for line in out.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            found[name] = status
    return found


def main(argv: list[str]) -> int:
    if "--no-run" not in argv:
        subprocess.run([MUTMUT, "run", "--max-children", "2"], cwd=ROOT, check=False)
    status = results()
    listed = listed_equivalents()
    counts = Counter(status.values())
    unexplained = sorted(name for name, s in status.items() if s in NOT_KILLED and name not in listed)
    stale = sorted(name for name in listed if status.get(name) not in NOT_KILLED)
    equivalent = sum(1 for name, s in status.items() if s in NOT_KILLED and name in listed)
    total = len(status)
    rate = (counts["killed"] + counts["timeout"] + equivalent) / total if total else 0.0
    print(f"mutants {total}: killed {counts['killed']}, timeout {counts['timeout']}, equivalent (listed) "
          f"{equivalent}, survived {counts['survived']}, no tests {counts['no tests']}")
    print(f"killed or listed: {rate:.1%}")
    for name in stale:
        print(f"listed but no longer surviving (remove from equivalent.txt): {name}")
    for name in unexplained:
        print(f"survivor: {name}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
