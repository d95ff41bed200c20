"""`make mutate`: mutmut on two targets, the counts and the kill rate of each, and a failure when a mutant survives
that is neither killed nor listed with a reason.

- domain: domain/ against tests/unit ([tool.mutmut] in pyproject.toml); listed survivors in equivalent.txt.
- web: entrypoints/web/auth.py and api.py against the integration tests that drive them, on SQLite only
  (WEB_CONFIG below); listed survivors in equivalent-web.txt. mutmut reads its one [tool.mutmut] from the
  pyproject.toml in its working directory, so this target runs in mutants/web/: a pyproject.toml with WEB_CONFIG
  in place of the domain's, beside symlinks to the code and the tests. mutmut skips decorated functions, so
  the route handlers themselves are not mutated: the helpers they call that start or end sessions are, and
  tests/integration/test_sessions.py checks each of them through the routes.

An equivalents file: one mutant name per line, a space, and a one-line reason (`#` starts a comment line).
`python -m tests.mutation.report [domain|web] [--no-run]` runs one target, or re-reads its last results. To see a
mutant: `.venv/bin/mutmut show <name>` in the repository (domain) or in mutants/web (web).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
NOT_KILLED = {"survived", "no tests"}  # a mutant no selected test even runs is a survivor too

WEB_TESTS = [
    "test_api.py",
    "test_sessions.py",
    "test_session_races.py",
    "test_sms_login.py",
    "test_account_lifecycle.py",
    "test_attacks.py",
    "test_openapi.py",
    "test_pages.py",
    "test_passwords.py",
    "test_fuzz.py",
    # the one test of the code lifetime the SMS answer quotes
    "test_rule_overrides.py::test_the_sms_answer_quotes_the_code_lifetime_from_the_rules",
    # the one test of the log line for an SMS whose outcome could not be stored (the rest start servers)
    "test_sms_delivery.py::test_a_sent_code_whose_outcome_cannot_be_stored_answers_200_and_purge_settles_it",
]
WEB_CONFIG = {
    "source_paths": ["entrypoints/"],  # all of it, so the mutated package imports whole; only two files mutate
    "only_mutate": ["entrypoints/web/auth.py", "entrypoints/web/api.py"],
    "also_copy": ["domain/", "adapters/", "migrations/"],  # bootstrap finds its data files beside entrypoints/
    "pytest_add_cli_args_test_selection": [f"tests/integration/{name}" for name in WEB_TESTS],
    # SQLite only; no browser; not the 8-minute fuzzing run (its small JSON-depth tests stay).
    "pytest_add_cli_args": [
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "not browser",
        "-k",
        "not postgresql and not mariadb",
        "--deselect",
        "tests/integration/test_fuzz.py::test_fuzz_every_operation",
    ],
}


@dataclass(frozen=True)
class Target:
    name: str
    cwd: Path
    equivalents: Path

    def prepare(self) -> None:
        if self.cwd == ROOT:
            return
        self.cwd.mkdir(parents=True, exist_ok=True)
        for name in ("entrypoints", "domain", "adapters", "migrations", "tests"):
            if not (self.cwd / name).is_symlink():
                (self.cwd / name).symlink_to(ROOT / name, target_is_directory=True)
        domain_table = re.compile(r"^\[tool\.mutmut\]\n(?:[^\[].*\n?|\n)*", re.MULTILINE)
        settings = "\n".join(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in WEB_CONFIG.items())
        pyproject = domain_table.sub("", (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        pyproject = f"{pyproject.rstrip()}\n\n[tool.mutmut]\n{settings}\n"
        (self.cwd / "pyproject.toml").write_text(pyproject, encoding="utf-8")
        # mutmut copies templates, static files and openapi.json only once: refresh them.
        shutil.copytree(
            ROOT / "entrypoints",
            self.cwd / "mutants" / "entrypoints",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("*.py", "__pycache__"),
        )

    def mutmut(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(
            [MUTMUT, *args], cwd=self.cwd, check=check, capture_output=args[0] == "results", text=True
        )

    def results(self) -> dict[str, str]:
        if not (self.cwd / "mutants").is_dir():
            return {}
        found = {}
        for line in self.mutmut("results", "--all", "true", check=True).stdout.splitlines():
            name, sep, status = line.strip().rpartition(": ")
            if sep:
                found[name] = status
        return found

    def listed(self) -> dict[str, str]:
        listed = {}
        for line in self.equivalents.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.strip().partition(" ")
                if not reason.strip():
                    raise SystemExit(f"{self.equivalents.name}: {name} has no reason")
                listed[name] = reason.strip()
        return listed


TARGETS = {
    "domain": Target("domain", ROOT, HERE / "equivalent.txt"),
    "web": Target("web", ROOT / "mutants" / "web", HERE / "equivalent-web.txt"),
}


def run(target: Target) -> None:
    target.prepare()
    forget_survivors(target)
    target.mutmut("run", "--max-children", "2")


def forget_survivors(target: Target) -> None:
    """mutmut keeps a verdict until the code changes: forget the last run's unlisted survivors, so that they meet
    today's tests, and its map of tests, so that it is rebuilt whole (mutmut runs pytest in its own process;
    built piecemeal, a later session meets the log stream an earlier one closed)."""
    listed = target.listed()
    earlier = {name for name, status in target.results().items() if status in NOT_KILLED and name not in listed}
    if not earlier:
        return
    for meta in (target.cwd / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        if found := earlier & data["exit_code_by_key"].keys():
            data["exit_code_by_key"].update(dict.fromkeys(found))
            meta.write_text(json.dumps(data), encoding="utf-8")
    (target.cwd / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)


def report(target: Target) -> bool:
    """Print the target's figures and unexplained survivors; True when there are none."""
    status, listed = target.results(), target.listed()
    counts = Counter(status.values())
    unexplained = sorted(name for name, s in status.items() if s in NOT_KILLED and name not in listed)
    stale = sorted(name for name in listed if status.get(name) not in NOT_KILLED)
    equivalent = sum(1 for name, s in status.items() if s in NOT_KILLED and name in listed)
    total = len(status)
    rate = (counts["killed"] + counts["timeout"] + equivalent) / total if total else 0.0
    unfinished = total - sum(counts[s] for s in ("killed", "timeout", *NOT_KILLED))  # not checked, suspicious...
    print(
        f"{target.name}: mutants {total}, killed {counts['killed']}, timeout {counts['timeout']}, "
        f"listed {equivalent}, survived {counts['survived']}, no tests {counts['no tests']}, "
        f"other {unfinished}: {rate:.1%} killed or listed"
    )
    for name in stale:
        print(f"  listed but no longer surviving (remove from {target.equivalents.name}): {name}")
    for name in unexplained:
        print(f"  survivor: {name}")
    return not unexplained and not unfinished and total > 0


def main(argv: list[str]) -> int:
    names = [arg for arg in argv if arg != "--no-run"]
    if set(names) - set(TARGETS):
        raise SystemExit(f"usage: python -m tests.mutation.report [{'|'.join(TARGETS)}] [--no-run]")
    chosen = [TARGETS[name] for name in names] or list(TARGETS.values())
    if "--no-run" not in argv:
        for target in chosen:
            run(target)
    passed = [report(target) for target in chosen]
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
