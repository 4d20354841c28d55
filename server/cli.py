"""Command-line tasks: demo data, seed call types, create a user, run a scheduled job."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask import Flask

from server.auth.models import Role, User
from server.auth.services import create_user
from server.demo import (
    DEMO_CAD_KEY,
    DEMO_PASSWORD,
    build_demo_city,
    demo_logins,
    ensure_demo_cad,
    put_demo_units_on_shift,
    seed_call_types,
)
from server.dispositions.seed import seed_dispositions
from server.extensions import db


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Only print the logins when data exists.")
def demo_data(if_empty: bool) -> None:
    """Build the demo city into an empty database and print the logins."""
    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("The database already has data; keeping it.")
        if put_demo_units_on_shift(db.session()):
            click.echo("The demo units' shifts were moved to cover now.")
        ensure_demo_cad(db.session())
        db.session.commit()
        print_logins(demo_logins(db.session()))
        return
    summary = build_demo_city(db.session())
    db.session.commit()
    click.echo(f"Demo city: {summary.calls} calls at {summary.premises} premises.")
    print_logins(summary.users)


def print_logins(users: list[tuple[str, str]]) -> None:
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, what in users:
        click.echo(f"  {username:<12} {what}")
    click.echo(f"Demo CAD: POST /api/v1/cad/calls with the header X-CAD-Key: {DEMO_CAD_KEY}")


@click.command("seed-call-types")
def seed_call_types_command() -> None:
    """Insert the program's eligibility table and disposition list (keeps edited entries)."""
    seed_call_types(db.session())
    seed_dispositions(db.session())
    db.session.commit()
    click.echo("Call types and dispositions seeded.")


@click.command("create-user")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@click.option("--full-name", default=None)
@click.password_option()
def create_user_command(username: str, role: str, full_name: str | None, password: str) -> None:
    """Create a login."""
    create_user(db.session(), username=username, full_name=full_name or username, role=Role(role),
                password=password)
    db.session.commit()
    click.echo(f"Created {username} ({role}).")


@click.command("run-job")
@click.argument("name")
@click.option("--force", is_flag=True,
              help="Run it again even if this period's run happened (a period of its own).")
def run_job_command(name: str, force: bool) -> None:
    """Run a scheduled job now (once per period across all workers, like the scheduler)."""
    from flask import current_app

    from server.jobs import jobs_of, run_job

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's target
    if name not in jobs_of(app):
        raise click.BadParameter(f"no job {name!r}; jobs: {', '.join(sorted(jobs_of(app)))}",
                                 param_hint="NAME")
    result = run_job(app, name, force=force)
    if result.status == "skipped":
        click.echo(f"{name}: skipped (already run for the period from "
                   f"{result.period_start.isoformat()}; --force runs it again).")
        return
    if result.status == "failed":
        raise click.ClickException(f"{name} failed: {result.error}")
    click.echo(f"{name}: ran {json.dumps(result.summary, sort_keys=True)}")


def init_app(app: Flask) -> None:
    for command in (demo_data, seed_call_types_command, create_user_command, run_job_command):
        app.cli.add_command(command)
