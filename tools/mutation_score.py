"""Per-file mutation score of the sync engine, read from mutmut's results in mutants/.

`make mutate` runs mutmut, then this: one line per mutated file (killed / total and the
survivors' count), a total, and one JSON line. A mutant that made the tests time out counts
as killed (the tests noticed it); one that no test reaches counts against the score.
`--survivors` lists every surviving mutant's name (`mutmut show NAME` prints its diff).
`--min PERCENT` exits 1 when the total is below it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

MUTANTS = Path("mutants")

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), grouped for a score.
KILLED = frozenset({1, 3})
TIMEOUT = frozenset({24, -24, 36, 152, 255})
SURVIVED = frozenset({0})
NO_TESTS = frozenset({5, 33})
NOT_CHECKED = None


def _load(meta: Path) -> dict[str, int | None]:
    exit_codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return exit_codes


def _tally(exit_codes: dict[str, int | None]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for code in exit_codes.values():
        if code is NOT_CHECKED:
            counts["not_checked"] += 1
        elif code in KILLED or code in TIMEOUT:
            counts["killed"] += 1
        elif code in SURVIVED:
            counts["survived"] += 1
        elif code in NO_TESTS:
            counts["no_tests"] += 1
        else:
            counts["other"] += 1  # suspicious, segfault, interrupted
        counts["total"] += 1
    return counts


def _percent(killed: int, total: int) -> float:
    return round(100 * killed / total, 1) if total else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--min", type=float, default=0.0, help="fail below this total score (%%)")
    args = parser.parse_args()
    metas = sorted(MUTANTS.glob("**/*.py.meta"))
    if not metas:
        print("no mutmut results in mutants/: run `make mutate`", file=sys.stderr)
        return 2
    files: dict[str, dict[str, int | float]] = {}
    overall: Counter[str] = Counter()
    for meta in metas:
        exit_codes = _load(meta)
        if not exit_codes:
            continue
        name = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        counts = _tally(exit_codes)
        overall.update(counts)
        files[name] = {**counts, "score": _percent(counts["killed"], counts["total"])}
        print(f"{name:24} {counts['killed']:5} / {counts['total']:<5} {files[name]['score']:5.1f} %"
              f"  survived {counts['survived']}, no tests {counts['no_tests']}"
              + (f", not checked {counts['not_checked']}" if counts["not_checked"] else ""))
        if args.survivors:
            for key, code in sorted(exit_codes.items()):
                if code in SURVIVED or code in NO_TESTS:
                    print(f"    {'survived' if code in SURVIVED else 'no tests'} {key}")
    score = _percent(overall["killed"], overall["total"])
    print(f"{'total':24} {overall['killed']:5} / {overall['total']:<5} {score:5.1f} %")
    print(json.dumps({"mutation": "sync", "killed": overall["killed"], "total": overall["total"],
                      "survived": overall["survived"], "no_tests": overall["no_tests"],
                      "score": score, "files": {n: f["score"] for n, f in files.items()}}))
    return 1 if score < args.min else 0


if __name__ == "__main__":
    sys.exit(main())
