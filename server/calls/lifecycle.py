"""The call lifecycle: its states in order and the merge policy of a call's status field.

Pure (no Flask, no database): the call's record kind, its status rules and the reference
client's optimistic status all read it.
"""

from __future__ import annotations

from sync.merge import furthest_state

# Earliest first: a later state never gives way to an earlier one (server.calls.models.CallStatus
# lists the same states; tests/test_field_facts.py checks they agree).
LIFECYCLE = ("received", "dispatched", "en_route", "on_scene", "transporting", "cleared")

lifecycle_max = furthest_state(LIFECYCLE)
