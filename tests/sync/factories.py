"""Builders for raw ops as a device would send them; a test states only what matters to it."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import strategies as st

CALL_ID = "0193a000-0000-7000-8000-000000000001"
DEVICE = "0193d000-0000-7000-8000-00000000000d"


def note_text(max_size: int) -> st.SearchStrategy[str]:
    """Note bodies a tablet keeps: the client refuses a NUL or a lone surrogate when written."""
    return st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1,
                   max_size=max_size).filter(str.strip)


def op_id(n: int) -> str:
    return str(uuid.UUID(int=0x0193_0000_0000_7000_8000_0000_0000_0000 + n))


def raw_op(seq: int, /, **overrides: Any) -> dict[str, Any]:
    """A valid v2 call_status op with seq `seq` (its id and record_id derive from seq)."""
    op: dict[str, Any] = {
        "id": op_id(seq),
        "seq": seq,
        "hlc": "1795575600000-%04d-dev1" % seq,  # noqa: UP031
        "kind": "call_status",
        "action": "create",
        "record_id": op_id(100_000 + seq),
        "base_version": None,
        "device_time": "2026-11-25T02:59:58+00:00",
        "data": {"call_id": CALL_ID, "status": "en_route"},
    }
    op.update(overrides)
    return op


def raw_v1_op(seq: int, /, **overrides: Any) -> dict[str, Any]:
    """The same op in protocol 1's shape: `type` and `ts`."""
    op = raw_op(seq)
    del op["kind"], op["action"], op["device_time"]
    op.update(type="call_status.create", ts=1_795_575_598_000)
    op.update(overrides)
    return op
