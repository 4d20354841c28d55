"""`flask hsds-import PATH`: community resources from Open Referral HSDS 3.0, a JSON file or
a directory or zip of its CSV tables, with a progress bar, one error line per record that
cannot be read (its file and row) and a summary. Importing the same files again creates
nothing twice (HSDS service and location ids are the key); a changed record is updated."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from flask import Flask

from server.audit.services import record_audit
from server.cad.cli import COMMIT_EVERY, ErrorLines, progress
from server.care import services
from server.care.hsds import HsdsError, HsdsFormatError, Resource, Unread, read_path
from server.extensions import db
from server.models_base import utcnow


@click.command("hsds-import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def import_command(path: Path) -> None:
    """Import HSDS resources (JSON file, or a directory or zip of CSV tables)."""
    try:
        items = list(read_path(path))
    except (HsdsFormatError, OSError) as error:
        raise click.ClickException(str(error)) from None
    session = db.session()
    outcomes: Counter[str] = Counter()
    errors = ErrorLines()
    batch: list[Resource] = []
    unread = [item for item in items if isinstance(item, Unread)]
    with progress(len(items), f"Importing {path.name}") as bar:
        for item in items:
            if isinstance(item, HsdsError):
                errors.add(str(item))
            elif isinstance(item, Resource):
                batch.append(item)
            if len(batch) == COMMIT_EVERY:
                _store(batch, path.name, outcomes)
            bar.update(1)
        _store(batch, path.name, outcomes)
    summary = {**{o.value: outcomes[o.value] for o in services.Outcome}, "errors": errors.count,
               "unread_tables": [u.file for u in unread]}
    record_audit(session, actor=None, device_id=None, entity="hsds_import", entity_id=path.name,
                 action="import", before=None, after=summary)
    session.commit()
    errors.finish()
    click.echo(f"{path.name}: {outcomes['created']} created, {outcomes['updated']} updated, "
               f"{outcomes['unchanged']} unchanged, {errors.count} records with errors")
    if unread:
        click.echo("not read: " + "; ".join(f"{u.file} ({u.why})" for u in unread))


def _store(batch: list[Resource], source: str, outcomes: Counter[str]) -> None:
    """One batch in one transaction, then emptied."""
    for outcome in services.store_resources(db.session(), batch, source, utcnow()):
        outcomes[outcome.value] += 1
    db.session.commit()
    batch.clear()


def init_app(app: Flask) -> None:
    app.cli.add_command(import_command)
