"""A 100,000-row export is read one row at a time: the memory it takes stays flat."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

from server.cad.csv_import import read_csv_path
from server.cad.mapping import CsvMapping
from server.cad.records import CadCall

ROWS = 100_000
# Far below the file (about 15 MB) and its calls held at once (hundreds of MB): what one row's
# values, the csv module's buffer and the text layer's chunk take, with room to spare.
PEAK_LIMIT = 4 * 1024 * 1024


def _write_export(path: Path) -> None:
    header = ["incident_number", "call_type", "priority", "received_at", "address", "lat", "lon",
              "narrative", "weapon", "violence", "reason_1", "reason_2", "reason_3", "danger_to_self",
              "danger_to_others", "beat"]
    with open(path, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(header)
        for n in range(ROWS):
            minute = n % 60
            writer.writerow([
                f"26-{n:07d}", "WELF", n % 5 + 1, f"{n % 12 + 1}/{n % 28 + 1}/2026 {n % 24}:{minute:02d}",
                f"{n} MAIN ST", f"{41 + n % 1000 / 1000:.4f}", f"{-87 - n % 1000 / 1000:.4f}",
                f"Caller reports person in distress,\nrow {n}", "N" if n % 7 else "Y", "NULL",
                "Welfare check", "Mental health" if n % 2 else "NULL", "", "Y", "N", f"B{n % 20}",
            ])


def test_a_hundred_thousand_rows_read_in_flat_memory(tmp_path: Path, default_mapping: CsvMapping) -> None:
    export = tmp_path / "calls.csv"
    _write_export(export)
    calls = errors = 0

    tracemalloc.start()
    try:
        for result in read_csv_path(export, default_mapping):
            if isinstance(result, CadCall):
                calls += 1
            else:
                errors += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (calls, errors) == (ROWS, 0)
    assert export.stat().st_size > 3 * PEAK_LIMIT  # holding the file would break the limit
    assert peak < PEAK_LIMIT, f"peak {peak / 1024:.0f} KiB"
