"""The loops a server process runs beside its requests (the job scheduler with the backup
sweep, the notifier dispatcher, the live stream's hub): one scheduler per app, and every loop
registers how it stops, so `stop_background(app)` ends them all before the app's database
goes away (a test's app, a worker shutting down)."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

STOPS_KEY = "heart_background_stops"
SCHEDULER_KEY = "heart_scheduler"


def on_stop(app: Flask, stop: Callable[[], None]) -> None:
    """Run `stop` when the app's background work is stopped (last registered, first run)."""
    app.extensions.setdefault(STOPS_KEY, []).append(stop)


def scheduler_of(app: Flask) -> BackgroundScheduler:
    """The app's one scheduler, started on first use; its jobs end with the app."""
    scheduler: BackgroundScheduler | None = app.extensions.get(SCHEDULER_KEY)
    if scheduler is None:
        scheduler = BackgroundScheduler(daemon=True)
        scheduler.start()
        app.extensions[SCHEDULER_KEY] = scheduler
        on_stop(app, lambda: scheduler.shutdown(wait=True))
    return scheduler


def stop_background(app: Flask) -> None:
    """Stop every loop the app started, newest first; each stops once."""
    stops: list[Callable[[], None]] = app.extensions.pop(STOPS_KEY, [])
    app.extensions.pop(SCHEDULER_KEY, None)
    for stop in reversed(stops):
        stop()
