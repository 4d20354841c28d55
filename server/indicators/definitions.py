"""The program's indicators as data: each one's title, its definition in words and the fields
it is computed from. The API returns a definition beside every figure, and docs/indicators.md
holds the same text (a test checks that they agree)."""

from __future__ import annotations

from typing import Final, TypedDict


class Definition(TypedDict):
    title: str
    definition: str
    source_fields: list[str]


COMMON: Final = (
    "Every indicator counts calls received in the period (Call.received_at, in the "
    "department's time zone: days begin at local midnight, weeks on Monday, months on the "
    "1st); cancelled calls (deleted_at set) never count. A call's program is the program of "
    "the unit on it now: a reassigned call counts once, for its last unit. Only counts, "
    "shares and times are returned, never a person, a name or free text a person wrote. "
    "In CSV exports a count from 1 to 4 is shown as \"<5\", and a share or time computed "
    "from such a count is left empty (the JSON API keeps the exact numbers for the program "
    "lead and marks such rows suppressed_in_exports). With an area, only calls at a premise "
    "whose position lies in that service area count (service_areas.ring, the polygon the "
    "triage checks; a premise without a position lies in none)."
)

DEFINITIONS: Final[dict[str, Definition]] = {
    "responses": {
        "title": "Responses by program",
        "definition": "Calls with a unit of the program on them (a unit was dispatched), "
                      "by the program of that unit.",
        "source_fields": ["calls.received_at", "calls.unit_id", "units.program",
                          "calls.deleted_at"],
    },
    "transports": {
        "title": "Responses ending in transport, by destination",
        "definition": "Of the responses of each program, how many ended in a transport to "
                      "each destination (transport_destination as entered, trimmed; no "
                      "destination is \"none\"), and that count's share of the program's "
                      "responses in the period.",
        "source_fields": ["calls.transport_destination", "calls.unit_id", "units.program",
                          "calls.received_at"],
    },
    "eligible_served": {
        "title": "Eligible calls served and not served",
        "definition": "Calls the triage found eligible for a HEART program: served when a "
                      "HEART unit was sent (by that unit's program), not served otherwise, "
                      "by the recorded reason (unserved_reason: no_unit_on_shift, all_busy, "
                      "outside_service_area, outside_hours, safety, invalid_crew, "
                      "no_location, declined_by_team, resolved_by_phone; "
                      "\"not_recorded\" when none was kept, such as a call still waiting). "
                      "resolved_by_phone is a call a diversion clinician settled on the "
                      "phone: HEART handled it though no unit went.",
        "source_fields": ["calls.eligible", "calls.unit_id", "units.program",
                          "calls.unserved_reason", "calls.received_at"],
    },
    "referrals": {
        "title": "Referrals to community-based care",
        "definition": "Referrals made for the calls of the period (care navigation's "
                      "referrals: to a community resource, or to care navigation itself, as a "
                      "responder's \"referred to community care\"), by the program of the "
                      "call's unit (\"unknown\" for a call no unit went to). Of them, how many "
                      "were accepted (a status event accepted or connected: a person connected "
                      "was accepted) and connected (a status event connected), whenever those "
                      "events came, and the connected share of those made. A referral closed "
                      "without a connection counts as made only.",
        "source_fields": ["care_referrals.call_id", "care_referral_events.status",
                          "calls.received_at", "calls.unit_id", "units.program",
                          "calls.deleted_at"],
    },
    "response_times": {
        "title": "Response time by stage",
        "definition": "For each response, the seconds from received to dispatched, "
                      "dispatched to en route, en route to on scene, and received to on "
                      "scene; the median and the 90th percentile (linear interpolation "
                      "between the closest ranks) by program. Received is the call's "
                      "received_at (the CAD's or dispatch's clock). Every other state's time "
                      "is its first trusted status tap (the corrected time of a standing "
                      "tap: neither withdrawn nor a withdrawal, and not flagged "
                      "time_uncertain), as in a call's status times; dispatched falls back "
                      "to the call's dispatched_at (the server's clock at the first "
                      "assignment) when no trusted dispatched tap exists. A stage is left "
                      "out, and counted, when one of its two states has no time at all "
                      "(missing, such as a call with no on-scene tap), when a state has only "
                      "uncertain times (uncertain), or when the later state's time comes "
                      "before the earlier one's (out of order). A reassigned call is timed "
                      "from its first dispatch and the first taps of any unit.",
        "source_fields": ["calls.received_at", "calls.dispatched_at",
                          "call_status_events.status", "call_status_events.corrected_time",
                          "call_status_events.time_uncertain",
                          "call_status_events.withdraws_id", "units.program"],
    },
    "diversion": {
        "title": "Calls diverted from law enforcement and officer time saved",
        "definition": "Eligible calls whose usual response is the police (the call type's "
                      "fallback) that HEART took without police: a community response, "
                      "crisis call diversion or care navigation unit was sent, or a "
                      "diversion clinician resolved the call by phone. Co-response calls "
                      "are not counted (an officer goes with the clinician). Officer time "
                      "saved is the count times the minutes of officer time such a call "
                      "takes (INDICATOR_OFFICER_MINUTES by call type, else "
                      "INDICATOR_OFFICER_MINUTES_DEFAULT: placeholders the department sets "
                      "from its own CAD), by call type.",
        "source_fields": ["calls.eligible", "calls.unit_id", "units.program",
                          "calls.unserved_reason", "call_types.code",
                          "call_types.fallback", "calls.received_at"],
    },
    "responder_safety": {
        "title": "Responder safety: felt safe, police requested or dispatched, debriefs",
        "definition": "From the post-call surveys of responses in the period, by the "
                      "program of the unit that filled them: surveys answering felt_safe, "
                      "how many said yes and that share; calls where the team requested "
                      "police (any survey of the call answering police_requested yes); "
                      "calls where police were dispatched with the team (the program's "
                      "responses when it is co-response, whose teams include an officer); "
                      "and debrief requests the surveys opened. A survey naming a call that "
                      "is not recorded does not count.",
        "source_fields": ["post_call_surveys.felt_safe", "post_call_surveys.police_requested",
                          "post_call_surveys.unit_id", "post_call_surveys.call_id",
                          "debrief_requests.survey_id", "calls.unit_id", "units.program",
                          "calls.received_at"],
    },
    "naloxone": {
        "title": "Naloxone administered and kits distributed",
        "definition": "Harm-reduction entries recorded in the period (their corrected "
                      "time), by the program of the unit that recorded them: naloxone "
                      "administrations (entries of naloxone_administered) and the doses they "
                      "gave (their quantity), and naloxone kits distributed (the quantity of "
                      "naloxone_kit entries). Entries made outside a call (outreach) count; "
                      "with a call type filter only entries on calls of that type count.",
        "source_fields": ["harm_reduction_entries.category", "harm_reduction_entries.quantity",
                          "harm_reduction_entries.corrected_time",
                          "harm_reduction_entries.unit_id", "harm_reduction_entries.call_id",
                          "units.program"],
    },
}

INDICATOR_IDS: Final = tuple(DEFINITIONS)
