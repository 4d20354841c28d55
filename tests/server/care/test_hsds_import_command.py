"""`flask hsds-import`: every record ends as a resource or an error line naming its file and
row, a second import of the same files creates nothing, a changed record is updated in place,
and a file that is not HSDS stops with a message, not a traceback."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from server.care.models import CareResource
from server.extensions import db

FIXTURES = Path(__file__).parents[2] / "fixtures" / "hsds"


def run(app: Flask, path: Path) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(args=["hsds-import", str(path)])
    return result.exit_code, result.stdout, result.stderr


def resources() -> list[CareResource]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CareResource).order_by(CareResource.id)))


def test_json_imports_once_with_an_error_line_per_bad_record(app: Flask) -> None:
    code, out, err = run(app, FIXTURES / "services.json")
    assert code == 0, out + err
    assert "services.json: 3 created, 0 updated, 0 unchanged, 5 records with errors" in out
    assert "Importing services.json" in err
    assert "item 4: name: a service needs an id and a name" in err
    assert "item 2 location 'loc-annex': latitude:" in err
    code, out, _ = run(app, FIXTURES / "services.json")
    assert "0 created, 0 updated, 3 unchanged" in out
    assert len(resources()) == 3


def test_the_same_services_from_csv_tables_update_the_json_ones(app: Flask) -> None:
    run(app, FIXTURES / "services.json")
    code, out, err = run(app, FIXTURES / "tables")
    assert code == 0, out + err
    # The same HSDS ids: updated (descriptions and phones differ), none created twice.
    assert "0 created, 3 updated, 0 unchanged, 13 records with errors" in out
    assert "address.csv row 4: location_id: no location 'loc-nowhere'" in err
    assert "services.csv row 5: name:" in err
    pantry = next(r for r in resources() if r.hsds_service_id == "svc-pantry")
    assert pantry.extra["organization"] == {"tax_status": "501c3"}
    assert pantry.categories == ["Food pantries"]
    assert len(resources()) == 3


def test_a_zip_of_tables_in_a_folder_imports(app: Flask, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in (FIXTURES / "tables").iterdir():
            zipped.write(file, f"export/{file.name}")
    code, out, _ = run(app, archive)
    assert code == 0
    assert "3 created" in out


def test_a_record_changed_at_the_source_is_updated_not_duplicated(app: Flask,
                                                                   tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    shutil.copytree(FIXTURES / "tables", tables)
    run(app, tables)
    services = (tables / "services.csv").read_text().replace("Beds for adults", "Beds for 40 adults")
    (tables / "services.csv").write_text(services)
    code, out, _ = run(app, tables)
    assert code == 0
    assert "0 created, 1 updated, 2 unchanged" in out
    shelter = next(r for r in resources() if r.hsds_service_id == "svc-shelter")
    assert shelter.description == "Beds for 40 adults"


def test_a_file_that_is_not_hsds_stops_with_a_message(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "export.json"
    bad.write_text("{not json")
    code, _, err = run(app, bad)
    assert code == 1
    assert "not a JSON document" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(app, empty)
    assert code == 1
    assert "no services.csv" in err
    assert resources() == []


def test_what_no_database_keeps_is_repaired_and_imported_on_each_database(
        app: Flask, tmp_path: Path) -> None:
    """NUL and lone surrogates in text, NaN and a 30-digit number in a field we do not name,
    a phone number past its column: imported (and again unchanged), never a database error."""
    path = tmp_path / "hostile.json"
    path.write_text('[{"id": "s1", "name": "Pan\\u0000try \\ud800", "nan": NaN, "big": '
                    + "9" * 30 + ', "phones": [{"number": "' + "5" * 80 + '"}], '
                    '"service_at_locations": [{"location": {"id": "l1", "latitude": 35.9, '
                    '"longitude": -78.9, "note": "\\u0000"}}]}]')
    for expected in ("1 created", "1 unchanged"):
        code, out, err = run(app, path)
        assert code == 0, out + err
        assert expected in out
    [resource] = resources()
    assert resource.name == "Pantry \ufffd"
    assert resource.extra["service"]["big"] == "9" * 30
    assert resource.phone == "5" * 60


def test_tables_no_resource_is_made_of_are_named_in_the_summary(app: Flask, tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    shutil.copytree(FIXTURES / "tables", tables)
    (tables / "contacts.csv").write_text("id,service_id\nc1,svc-pantry\n")
    code, out, _ = run(app, tables)
    assert code == 0
    assert "not read: contacts.csv (HEART Field keeps no such records)" in out
