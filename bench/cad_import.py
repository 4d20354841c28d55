"""`flask cad-import` of a 100,000-row CAD export on PostgreSQL: rows per second, the
importing process's peak memory against a tenth of the file (flat memory: the file is read
as a stream and committed every 500 calls), and the second import of the same file (nothing
imported twice). Baseline in the same run: the rows per second of reading the file alone
(server/cad/csv_import.py, no database).

Usage: .venv/bin/python bench/cad_import.py [--rows 100000]
Last line: {"bench": "cad_import", "rows": ..., "rows_per_s": ..., "parse_rows_per_s": ...,
            "ratio": ..., "peak_rss_mb": ..., "peak_rss_mb_tenth": ..., "memory_ratio": ...,
            "reimport_created": 0, "errors": ...}
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench_database, bin_path, emit, server_env

# A mix like a year of a city's CAD: half of it call types HEART takes, some unknown codes
# (kept unmapped), one row in a thousand broken (a date no layout reads).
CALL_TYPES = ["welfare_check", "trespass", "mental_health_crisis", "intoxicated_person",
              "suicide_threat", "verbal_disturbance", "TRAFFIC", "BURGLARY", "ALARM"]
BROKEN_EVERY = 1000
# How often the importer's peak memory is read (its last reading is within this of the end).
HWM_POLL_S = 0.05
HEADER = ["incident_number", "call_type", "priority", "received_at", "address", "lat", "lon",
          "narrative", "weapon", "violence", "reason_1", "reason_2", "reason_3",
          "danger_to_self", "danger_to_others"]


def write_export(path: Path, rows: int, rng: random.Random) -> None:
    with path.open("w", newline="") as file:
        out = csv.writer(file)
        out.writerow(HEADER)
        for n in range(rows):
            when = "March 7th" if n % BROKEN_EVERY == 999 else (
                f"{1 + n % 12}/{1 + n % 28}/2025 {n % 24}:{n % 60:02d}")
            out.writerow([f"B-{n:07d}", rng.choice(CALL_TYPES), str(1 + n % 4), when,
                          f"{n % 5000} {rng.choice(['Main St', 'Duke St', 'Alston Ave'])}",
                          f"{35.9 + rng.random() * 0.2:.5f}", f"{-79.0 + rng.random() * 0.2:.5f}",
                          "Caller reports a person in distress", "Y" if n % 50 == 0 else "N",
                          "N", "welfare", "NULL", "", "N", "N"])


def parse_rate(path: Path) -> float:
    sys.path.insert(0, str(ROOT))
    from server.cad.csv_import import read_csv_path
    from server.cad.mapping import load_mapping

    mapping = load_mapping(ROOT / "server" / "cad" / "mappings" / "default.toml")
    t0 = time.perf_counter()
    rows = sum(1 for _ in read_csv_path(path, mapping))
    return rows / (time.perf_counter() - t0)


def run_import(db: str, path: Path) -> tuple[float, float, str]:
    """Seconds, the importing process's peak RSS in MB (its VmHWM, read while it runs), and
    what it printed."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([bin_path("flask"), "cad-import", str(path)], cwd=ROOT,
                                   env=server_env(db), stdout=out, stderr=err, text=True)
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(process.pid))
            time.sleep(HWM_POLL_S)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(err.read()[-2000:])
        return seconds, peak_kb / 1024, out.read().strip()


def _high_water_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:  # it has just ended
        pass
    return 0


def counted(summary: str, what: str) -> int:
    found = re.search(rf"(\d+) {what}", summary)
    return int(found[1]) if found else -1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as folder:
        big, tenth = Path(folder) / "export.csv", Path(folder) / "tenth.csv"
        write_export(big, args.rows, rng)
        write_export(tenth, args.rows // 10, rng)
        print(f"export of {args.rows} rows: {big.stat().st_size / 1e6:.1f} MB", flush=True)
        parse = parse_rate(big)
        print(f"reading alone: {parse:,.0f} rows/s", flush=True)
        with bench_database("cad_import_tenth") as db:
            subprocess.run([bin_path("flask"), "seed-call-types"], cwd=ROOT, env=server_env(db),
                           check=True, capture_output=True)
            _, rss_tenth, _ = run_import(db, tenth)
        with bench_database("cad_import") as db:
            subprocess.run([bin_path("flask"), "seed-call-types"], cwd=ROOT, env=server_env(db),
                           check=True, capture_output=True)
            seconds, rss, first = run_import(db, big)
            print(f"import: {first}", flush=True)
            again_s, _, second = run_import(db, big)
            print(f"again ({again_s:.1f} s): {second}", flush=True)
    rate = args.rows / seconds
    print(f"{args.rows} rows in {seconds:.1f} s: {rate:,.0f} rows/s; peak RSS {rss:.0f} MB "
          f"(a tenth of the file: {rss_tenth:.0f} MB)")
    emit({"bench": "cad_import", "rows": args.rows, "rows_per_s": round(rate),
          "parse_rows_per_s": round(parse), "ratio": round(rate / parse, 3),
          "peak_rss_mb": round(rss, 1), "peak_rss_mb_tenth": round(rss_tenth, 1),
          "memory_ratio": round(rss / rss_tenth, 2),
          "reimport_created": counted(second, "created"),
          "errors": counted(first, "rows with errors")})


if __name__ == "__main__":
    main()
