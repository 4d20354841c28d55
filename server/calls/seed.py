"""The eligibility table of Durham's HEART program as seed data (editable afterwards).

The source flattens three columns (Crisis Call Diversion, Community Response Team,
Co-Response) into lines. Read as: the first two lines have an entry in every column;
from the third line on, a pair of entries belongs to the Community Response Team and
Co-Response columns; a line with a single entry belongs to Co-Response. Types a
community team answers can fall back to co-response (rank 2), and the diversion
clinicians in 911 take the first contact on mental-health and suicide-threat calls.
"""

from __future__ import annotations

from typing import Final

from server.units.models import Program

CCD, CRT, COR = Program.CRISIS_CALL_DIVERSION, Program.COMMUNITY_RESPONSE, Program.CO_RESPONSE

# code, name, weapon involved, default priority (1 most urgent), programs in order of preference
CALL_TYPES: Final[list[tuple[str, str, bool, int, list[Program]]]] = [
    ("mental_health_crisis", "Mental health crisis", False, 2, [CCD, CRT, COR]),
    ("nonviolent_mental_health_crisis", "Nonviolent mental health crisis", False, 2, [CRT, CCD]),
    ("mental_health_crisis_weapon", "Mental health crisis - violent / weapon", True, 1, [COR]),
    ("suicide_threat", "Suicide threat", False, 1, [CCD, CRT, COR]),
    ("attempted_suicide", "Attempted suicide", False, 1, [COR]),
    ("trespass", "Trespass", False, 3, [CRT, COR]),
    ("trespass_weapon", "Trespass with weapon", True, 2, [COR]),
    ("intoxicated_person", "Intoxicated person", False, 3, [CRT, COR]),
    ("intoxicated_person_weapon", "Intoxicated person w/ weapon", True, 2, [COR]),
    ("lost_person_assist", "Lost person (assist)", False, 3, [CRT]),
    ("custody_issue_assist", "Custody issue (assist)", False, 3, [COR]),
    ("panhandling_nuisance", "Panhandling / nuisance", False, 4, [CRT, COR]),
    ("panhandling_nuisance_weapon", "Panhandling / nuisance w/ weapon", True, 2, [COR]),
    ("indecency_lewdness", "Indecency / lewdness", False, 3, [CRT, COR]),
    ("indecency_lewdness_weapon", "Indecency / lewdness w/ weapon", True, 2, [COR]),
    ("prostitution", "Prostitution", False, 4, [CRT, COR]),
    ("prostitution_weapon", "Prostitution w/ weapon", True, 2, [COR]),
    ("welfare_check", "Nonurgent and urgent welfare check", False, 3, [CRT, COR]),
    ("physical_disturbance", "Physical disturbance", False, 2, [COR]),
    ("verbal_disturbance", "Verbal disturbance", False, 3, [COR]),
    ("disturbance_weapon", "Disturbance w/ weapon", True, 1, [COR]),
    ("harassment_weapon", "Harassment w/ weapon", True, 1, [COR]),
    ("threat_weapon", "Threat w/ weapon", True, 1, [COR]),
    ("reckless_activity", "Reckless activity", False, 3, [COR]),
    ("abuse", "Abuse", False, 2, [COR]),
    ("harassment", "Harassment", False, 3, [COR]),
    ("threat", "Threat", False, 2, [COR]),
    ("domestic_violence", "Domestic violence", False, 2, [COR]),
    ("domestic_violence_weapon", "Domestic violence w/ weapon", True, 1, [COR]),
    ("drugs", "Drugs", False, 3, [COR]),
    ("involuntary_commitment", "Involuntary commitment", False, 2, [COR]),
]
