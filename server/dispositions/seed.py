"""The list the program starts with (issue 20, item 6): code, English label, Spanish label.
Migration 0022 inserts the same rows; `seed_dispositions` adds any missing to a database made
from the models (tests, `flask seed-call-types`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.dispositions.models import Disposition

# The step between seeded sort orders: room to slot a new entry between two.
SORT_STEP = 10

# The disposition that hands the person to care navigation (server.care reads it).
CARE_REFERRAL = "referred_community_care"

SEEDED = (
    ("resolved_on_scene", "Resolved on scene", "Resuelto en el lugar"),
    ("transported_ed", "Transported to ED", "Trasladado a urgencias"),
    ("transported_crisis_centre", "Transported to crisis centre", "Trasladado al centro de crisis"),
    ("transported_detox", "Transported to detox", "Trasladado a desintoxicación"),
    ("transported_shelter", "Transported to shelter", "Trasladado a un albergue"),
    (CARE_REFERRAL, "Referred to community care",
     "Derivado a atención comunitaria"),
    ("police_requested", "Police requested", "Se pidió la policía"),
    ("refused_services", "Refused services", "Rechazó los servicios"),
    ("gone_on_arrival", "Gone on arrival", "No estaba al llegar"),
)


def seed_dispositions(session: Session) -> None:
    """Add the seeded entries a database lacks (by code); existing ones are left as edited."""
    known = set(session.scalars(sa.select(Disposition.code)))
    session.add_all(Disposition(code=code, label_en=en, label_es=es,
                                sort_order=(rank + 1) * SORT_STEP)
                    for rank, (code, en, es) in enumerate(SEEDED) if code not in known)
    session.flush()
