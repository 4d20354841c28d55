"""The live stream's scheduled job: events older than STREAM_RETENTION_DAYS are deleted."""

from __future__ import annotations

from datetime import timedelta

from server.jobs import Job
from server.stream.services import delete_old_events

# Events are kept for days; looking daily keeps the table small.
STREAM_RETENTION = Job("stream_retention", timedelta(days=1), delete_old_events)
