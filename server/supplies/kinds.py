"""The supplies' pure record kinds (no Flask, no database): the facts a unit's tablet
pushes about its vehicle kit, a count and the receipt of a transfer. Stock itself is never
pushed: it is derived on the server from the ledger."""

from __future__ import annotations

from sync.fieldspec import FieldSpec, FieldType
from sync.registry import RecordKind, RecordType

# Database ids are 32-bit integers.
MAX_ID = 2**31 - 1
# Units of measure counted of one lot in one kit: a kit holds dozens, a warehouse shelf
# thousands; a higher figure is a typing slip.
MAX_COUNTED = 100_000

KIT_COUNT = RecordKind("kit_count", RecordType.FACT, fields=(
    FieldSpec("count_id", FieldType.UUID, required=True, editable=True,
              message="must be the id of the count this line is part of (a UUID string)",
              description="the lines counted together in one count share this id"),
    FieldSpec("location_id", FieldType.INTEGER, required=True, editable=True, minimum=1,
              maximum=MAX_ID, description="the stock location counted (the unit's kit)"),
    FieldSpec("item_id", FieldType.INTEGER, required=True, editable=True, minimum=1,
              maximum=MAX_ID),
    FieldSpec("lot_id", FieldType.INTEGER, nullable=True, editable=True, minimum=1,
              maximum=MAX_ID,
              description="absent: the item's lots counted together (spread FEFO)"),
    FieldSpec("counted", FieldType.INTEGER, required=True, editable=True, minimum=0,
              maximum=MAX_COUNTED, description="units of measure found"),
))

TRANSFER_RECEIPT = RecordKind("transfer_receipt", RecordType.FACT, fields=(
    FieldSpec("transfer_id", FieldType.UUID, required=True, editable=True,
              message="must be the id of a transfer to the unit's kit (a UUID string)"),
))

RECORD_KINDS = (KIT_COUNT, TRANSFER_RECEIPT)
