"""The record kinds this app syncs, as pure definitions (no Flask, no database): the
registry the reference client (`sync.client`) and the engine's tests validate ops with.

Derived from the SYNC_KINDS setting (server.config), the one list of synced features: each
listed `<feature>.sync` module has its pure kinds next to it in `<feature>.kinds` (its
RECORD_KINDS), unless the feature's kinds are only pulled. The server's synced kinds
(`server.sync.kinds`) carry the same RecordKind objects.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence

from server.config import Config
from sync.registry import RecordKind, Registry

# The pure kinds module next to a feature's sync module.
KINDS_MODULE = "kinds"


def pure_kinds_module(sync_module: str) -> str:
    """`server.calls.sync` -> `server.calls.kinds`."""
    return f"{sync_module.rpartition('.')[0]}.{KINDS_MODULE}"


def record_kinds(sync_modules: Sequence[str]) -> tuple[RecordKind, ...]:
    """The pushed kinds of the listed features, in their order (a pull-only feature has no
    kinds module)."""
    found: list[RecordKind] = []
    for name in map(pure_kinds_module, sync_modules):
        if importlib.util.find_spec(name) is not None:
            found.extend(importlib.import_module(name).RECORD_KINDS)
    return tuple(found)


RECORD_KINDS = record_kinds(Config.SYNC_KINDS)


def record_registry() -> Registry:
    """A registry of the app's record kinds (a new one each call: registries are mutable)."""
    registry = Registry()
    for kind in RECORD_KINDS:
        registry.register(kind)
    return registry
