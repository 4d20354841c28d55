"""`flask cad-integration NAME` (a CAD's key, shown once) and `flask cad-import FILE`: a CAD
export (CSV in a layout file's mapping) or NENA EIDO JSON, read as a stream with a progress
bar, one error line per bad row, a summary at the end. Importing the same file again imports
nothing twice (incident numbers are the key)."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click
from flask import Flask
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.cad import services
from server.cad.csv_import import CsvHeaderError, read_csv_stream
from server.cad.eido import EidoFormatError, read_eido
from server.cad.mapping import MappingError, load_mapping
from server.cad.records import CadCall, RowError
from server.extensions import db
from server.models_base import utcnow

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns

DEFAULT_MAPPING = Path(__file__).parent / "mappings" / "default.toml"
# Calls per transaction: a crash loses at most this much of the run (a rerun redoes it, the
# incident numbers keeping it single), and memory stays flat on a file of any size.
COMMIT_EVERY = 500
# Error lines printed in full; past this the summary counts the rest (a wrong layout makes
# every row an error, and a screen of them helps nobody).
SHOWN_ERRORS = 200


class ErrorLines:
    """An import's error lines as it meets them: the first SHOWN_ERRORS printed in full (each
    on a line of its own below the progress bar), the rest counted for the summary."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, line: str) -> None:
        self.count += 1
        if self.count <= SHOWN_ERRORS:
            click.echo("\n" + line, err=True)

    def finish(self) -> None:
        if self.count > SHOWN_ERRORS:
            click.echo(f"... and {self.count - SHOWN_ERRORS} more error lines", err=True)


def progress(length: int, label: str) -> ProgressBar[int]:
    """An import's progress bar, on stderr (stdout keeps the summary, for scripts)."""
    return click.progressbar(length=length, label=label, file=sys.stderr)


@click.command("cad-integration")
@click.argument("name")
def integration_command(name: str) -> None:
    """Make a CAD integration; prints its key once (the CAD sends it as X-CAD-Key)."""
    integration, key = services.create_integration(db.session(), name)
    db.session.commit()
    click.echo(f"CAD integration {integration.name!r}: key (shown once, keep it safe):\n{key}")


@click.command("cad-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "kind", type=click.Choice(["csv", "eido"]), default=None,
              help="Default: by the file's extension (.json is EIDO).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=DEFAULT_MAPPING, show_default=True, help="The CSV layout (TOML).")
@click.option("--historical/--live", default=True, show_default=True,
              help="Historical: eligibility, hours and area only (no unit is recommended).")
def import_command(path: Path, kind: str | None, mapping: Path, historical: bool) -> None:
    """Import CAD calls from a file; reimporting it changes nothing."""
    kind = kind or ("eido" if path.suffix.lower() == ".json" else "csv")
    size = os.path.getsize(path)
    session = db.session()
    intake = services.start_intake(session, utcnow(), "import", historical)
    outcomes: Counter[str] = Counter()
    errors = ErrorLines()
    with path.open("rb") as raw:
        try:
            records = _records(kind, raw, mapping)
            with progress(size, f"Importing {path.name}") as bar:
                batch: list[CadCall] = []
                for record in records:
                    if isinstance(record, RowError):
                        where = f" {record.field}:" if record.field else ""
                        errors.add(f"row {record.row}:{where} {record.message}")
                    elif bad := services.problems_of(record):
                        errors.add("\n".join(f"incident {record.incident_number}: {field}: {why}"
                                             for field, why in bad))
                    else:
                        batch.append(record)
                    if len(batch) == COMMIT_EVERY:
                        _store(session, intake, batch, outcomes)
                    bar.update(raw.tell() - bar.pos)  # what the reader has taken
                _store(session, intake, batch, outcomes)
        except (CsvHeaderError, MappingError, EidoFormatError) as error:
            session.rollback()
            raise click.ClickException(str(error)) from None
    summary = {**{o.value: outcomes[o.value] for o in services.Outcome}, "errors": errors.count,
               "unmapped_call_types": sorted(intake.unmapped)}
    record_audit(session, actor=None, device_id=None, entity="cad_import", entity_id=path.name,
                 action="import", before=None, after=summary)
    session.commit()
    errors.finish()
    click.echo(f"{path.name}: {outcomes['created']} created, {outcomes['updated']} updated, "
               f"{outcomes['unchanged']} unchanged, {outcomes['closed']} closed (left as they "
               f"were), {errors.count} rows with errors")
    if intake.unmapped:
        click.echo(f"call types not mapped yet ({len(intake.unmapped)}), kept for an admin to "
                   f"map: {', '.join(sorted(intake.unmapped))}")


def _store(session: Session, intake: services.Intake, batch: list[CadCall],
           outcomes: Counter[str]) -> None:
    """One batch in one transaction, then emptied."""
    for _call, outcome in services.ingest_many(session, intake, batch, utcnow(), audit=False):
        outcomes[outcome.value] += 1
    session.commit()
    batch.clear()


def _records(kind: str, file: IO[bytes], mapping: Path) -> Iterator[CadCall | RowError]:
    if kind == "eido":  # an EIDO file is one JSON document (or array): read whole
        return read_eido(file.read())
    return read_csv_stream(file, load_mapping(mapping))


def init_app(app: Flask) -> None:
    app.cli.add_command(integration_command)
    app.cli.add_command(import_command)
