"""`flask baseline-report [--from DAY] [--to DAY] [--csv FILE]`: the baseline report of a
historical CAD import printed as tables (the total, by call type, the eligible share by hour
of the week), and optionally written as CSV with small cells suppressed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app

from server.extensions import db
from server.indicators.baseline import Range, baseline_csv, baseline_report, hour_table


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f} %"


def _line(label: str, cell: dict[str, Any]) -> str:
    return (f"{label:<40} {cell['calls']:>9,} {cell['eligible']:>9,} "
            f"{_percent(cell['eligible_share']):>9}")


@click.command("baseline-report")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day received (YYYY-MM-DD, the department's time zone).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day received, included.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the report as CSV (counts 1 to 4 as <5).")
def baseline_command(start: datetime | None, end: datetime | None, csv_path: Path | None) -> None:
    """Which share of the imported CAD calls were eligible for HEART."""
    first: date | None = start.date() if start else None
    last: date | None = end.date() if end else None
    if first and last and last < first:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    zone = ZoneInfo(current_app.config["DEPARTMENT_TIMEZONE"])
    report = baseline_report(db.session(), Range(first, last, zone))
    db.session.rollback()
    click.echo(f"Calls imported from CAD, {first or 'first'} to {last or 'last'} ({zone.key})")
    click.echo(f"{'':<40} {'calls':>9} {'eligible':>9} {'share':>9}")
    click.echo(_line("all calls", report["total"]))
    for row in report["by_call_type"]:
        click.echo(_line(f"  {row['call_type']}", row))
    click.echo("\nEligible share by hour of the week (%, '.' no calls):")
    click.echo(hour_table(report))
    if csv_path is not None:
        csv_path.write_text(baseline_csv(report), encoding="utf-8")
        click.echo(f"\nCSV written to {csv_path}")


def init_app(app: Flask) -> None:
    app.cli.add_command(baseline_command)
