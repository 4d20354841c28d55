"""Installs the spine's record kinds into the server's applier and pull-source registries."""

from __future__ import annotations

from server.sync import appliers, sources, spine


def install() -> None:
    """Idempotent: many apps may be built in one process (tests)."""
    if "call" not in appliers.FACT_TABLES and not sources.SOURCES:
        spine.register_spine()
        sources.register_spine()
