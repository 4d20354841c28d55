"""`flask cad-import`: every row ends as a call or as an error line naming its row, unknown
call types are kept and listed, a second import of the same file changes nothing, and an EIDO
file of an older draft stops with a clear message."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from server.cad.models import CadCallTypeMap
from server.calls.models import Call
from server.demo import seed_call_types
from server.extensions import db

SAMPLES = Path(__file__).parent / "samples"
VENDOR = Path(__file__).parents[3] / "server" / "cad" / "mappings" / "sample_vendor.toml"


@pytest.fixture
def seeded(app: Flask) -> Flask:
    seed_call_types(db.session)
    db.session.commit()
    return app


def run(app: Flask, *args: str) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(args=["cad-import", *args])
    return result.exit_code, result.stdout, result.stderr


def count_calls() -> int:
    db.session.expire_all()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Call)) or 0)


def test_a_vendor_export_imports_once_with_unknown_types_kept(seeded: Flask) -> None:
    code, out, err = run(seeded, str(SAMPLES / "sample_vendor.csv"), "--mapping", str(VENDOR))
    assert code == 0, out + err
    assert "3 created" in out
    assert "0 rows with errors" in out
    assert "Importing sample_vendor.csv" in err  # the progress bar
    unmapped = set(db.session.scalars(sa.select(CadCallTypeMap.cad_code)
                                      .where(CadCallTypeMap.call_type_id.is_(None))))
    assert unmapped == {"WELF", "SUIC", "DIST"}
    assert "call types not mapped yet (3)" in out
    code, out, _ = run(seeded, str(SAMPLES / "sample_vendor.csv"), "--mapping", str(VENDOR))
    assert code == 0
    assert "0 created, 0 updated, 3 unchanged" in out
    assert count_calls() == 3


def test_broken_rows_get_an_error_line_each_and_the_rest_import(seeded: Flask) -> None:
    code, out, err = run(seeded, str(SAMPLES / "broken_rows.csv"), "--mapping", str(VENDOR))
    assert code == 0, out + err
    assert "row 3: received_at:" in err
    assert "row 4: incident_number:" in err
    assert "row 5: lat:" in err
    assert count_calls() == int(out.split(" created")[0].rsplit(" ", 1)[-1])
    assert count_calls() >= 1


def test_a_layout_naming_a_missing_column_stops_before_any_row(seeded: Flask,
                                                               tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("Incident,Type\n1,WELF\n")
    code, _out, err = run(seeded, str(export), "--mapping", str(VENDOR))
    assert code != 0
    assert "Error" in err
    assert count_calls() == 0


def test_an_eido_of_an_older_draft_is_refused_clearly_and_a_valid_one_imports(
        seeded: Flask) -> None:
    code, out, err = run(seeded, str(SAMPLES / "eido_draft.json"))
    assert "not supported" in err + out
    code, out, err = run(seeded, str(SAMPLES / "eido_valid.json"))
    assert code == 0, out + err
    assert "1 created" in out


def test_a_large_export_imports_in_batches_and_again_imports_nothing(
        seeded: Flask, tmp_path: Path) -> None:
    export = tmp_path / "large.csv"
    rows = 1_200  # more than two commit batches
    with export.open("w", newline="") as file:
        out = csv.writer(file)
        out.writerow(["incident_number", "call_type", "priority", "received_at", "address",
                      "lat", "lon", "narrative", "weapon", "violence", "reason_1", "reason_2",
                      "reason_3", "danger_to_self", "danger_to_others"])
        for n in range(rows):
            out.writerow([f"L-{n:06d}", "welfare_check" if n % 3 else "trespass", "3",
                          "2026-03-07 14:05:09.250", f"{n} Main St", "35.99", "-78.9",
                          "note", "N", "N", "", "", "", "", ""])
    code, text, err = run(seeded, str(export))
    assert code == 0, text + err
    assert f"{rows} created" in text
    code, text, _ = run(seeded, str(export))
    assert f"0 created, 0 updated, {rows} unchanged" in text
    assert count_calls() == rows


def test_values_the_database_cannot_hold_are_error_lines_not_a_failed_import(
        seeded: Flask, tmp_path: Path) -> None:
    export = tmp_path / "odd.csv"
    with export.open("w", newline="") as file:
        out = csv.writer(file)
        out.writerow(["incident_number", "call_type", "received_at", "address", "beat"])
        out.writerow(["X-1", "welfare_check", "2026-03-07 14:05:09.250", "A" * 250, "B1"])
        out.writerow(["X-2", "welfare_check", "2026-03-07 14:05:09.250", "2 Main St", "B\x002"])
        out.writerow(["X-3", "welfare_check", "2026-03-07 14:05:09.250", "3 Main St", "B3"])
    layout = tmp_path / "layout.toml"
    layout.write_text('name = "odd"\ntimezone = "America/New_York"\n'
                      'date_formats = ["%Y-%m-%d %H:%M:%S.%f"]\n[fields]\n'
                      'incident_number = "incident_number"\ncall_type = "call_type"\n'
                      'received_at = "received_at"\naddress = "address"\n')
    code, out, err = run(seeded, str(export), "--mapping", str(layout))
    assert code == 0, out + err
    assert "incident X-1: address: longer than 200 characters" in err
    assert "X-2" in err or "row 3" in err  # the NUL: refused by the reader or by the check
    assert "1 created" in out
    assert count_calls() == 1


def test_a_historical_import_records_no_reason_about_units_it_cannot_know(
        seeded: Flask, tmp_path: Path) -> None:
    export = tmp_path / "history.csv"
    export.write_text("incident_number,call_type,received_at,address,lat,lon\n"
                      "H-1,welfare_check,2025-06-01 10:00:00.000,1 Main St,35.99,-78.9\n"
                      "H-2,welfare_check,2025-06-01 10:05:00.000,2 Main St,,\n")
    layout = tmp_path / "layout.toml"
    layout.write_text('name = "h"\ntimezone = "America/New_York"\n'
                      'date_formats = ["%Y-%m-%d %H:%M:%S.%f"]\n[fields]\n'
                      'incident_number = "incident_number"\ncall_type = "call_type"\n'
                      'received_at = "received_at"\naddress = "address"\nlat = "lat"\n'
                      'lon = "lon"\n')
    code, out, err = run(seeded, str(export), "--mapping", str(layout))
    assert code == 0, out + err
    db.session.expire_all()
    found = {c.cad_number: c for c in db.session.scalars(sa.select(Call))}
    assert all(c.eligible and c.recommended_response is None for c in found.values())
    assert found["H-1"].unserved_reason is None  # no unit on shift: not known of the past
    assert found["H-2"].unserved_reason == "no_location"  # a fact of the call itself
