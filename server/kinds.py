"""The record kinds this app syncs, as pure definitions (no Flask, no database): the
registry the reference client (`sync.client`) and the engine's tests validate ops with.

Each feature's pure kinds module lists its RECORD_KINDS; the server's synced kinds
(`server.sync.kinds`, from SYNC_KINDS) carry the same RecordKind objects.
"""

from __future__ import annotations

from server.calls.kinds import RECORD_KINDS as CALL_KINDS
from server.locations.kinds import RECORD_KINDS as LOCATION_KINDS
from sync.registry import Registry

RECORD_KINDS = (*CALL_KINDS, *LOCATION_KINDS)


def record_registry() -> Registry:
    """A registry of the app's record kinds (a new one each call: registries are mutable)."""
    registry = Registry()
    for kind in RECORD_KINDS:
        registry.register(kind)
    return registry
