"""The one permission table: every route and method, and the roles that may call it.

Enforced by a single before-request hook; a route missing from the table is refused
(fail closed), and tests walk the URL map so an unclassified route fails the build.
"""

from __future__ import annotations

from typing import Final

from server.auth.models import FIELD_ROLES, Role

PUBLIC: Final = "public"
REFRESH: Final = "refresh-token"  # guarded by the refresh token inside the view
CAD_INTEGRATION: Final = "cad-integration"  # a CAD's key (X-CAD-Key), no person's sign-in

ALL_ROLES = frozenset(Role)
SUPERVISION = frozenset({Role.SUPERVISOR, Role.ADMIN})
DISPATCH = frozenset({Role.DISPATCHER, Role.DIVERSION_CLINICIAN, Role.SUPERVISOR})
# People who read clinical call content; a supply manager or program lead does not. A care
# navigator reads only the calls in care navigation, through care's own routes (CARE_CONTENT_READERS).
CALL_READERS = DISPATCH | FIELD_ROLES
ELIGIBILITY_EDITORS = frozenset({Role.PROGRAM_LEAD, Role.SUPERVISOR, Role.ADMIN})
SYNC_DEVICES = FIELD_ROLES
# A supply manager's screens read the supply feed (alerts, transfers) offline too; they
# record nothing through sync (stock moves are REST acts made online).
SYNC_READERS = SYNC_DEVICES | {Role.SUPPLY_MANAGER}
CONFLICT_RESOLVERS = FIELD_ROLES | {Role.SUPERVISOR}
# Where units are now: the people who send them. A responder sees their own unit's track on
# the tablet (the pull); other units' positions wait for backup requests. An admin runs
# accounts and devices, not the units: where staff were all day is not theirs to read.
UNIT_POSITION_READERS = DISPATCH
# A unit's whole day, exported: the supervisor reviewing a shift (or an incident), and the
# admin answering a records request.
TRACK_EXPORTERS = SUPERVISION
# Who reads clinical content kept outside the calls (the audit trail's before and after,
# the data of rejected operations) and acts on it: re-applies a corrected operation,
# settles any conflict (a responder settles only a clash on their own unit's live call),
# restores a cancelled call. The clinical supervisor. An admin runs accounts and devices:
# they see that such records exist, who made them and when, not what they say.
CLINICAL_CONTENT_READERS = frozenset({Role.SUPERVISOR})
# The debrief queue: supervisors (who read the survey's comment) and admins (who do not); a
# debrief is closed by the clinical supervisor who held it.
DEBRIEF_READERS = SUPERVISION
DEBRIEF_HOLDERS = CLINICAL_CONTENT_READERS
# Field logs kept though they name a call that is not their unit's: a supervisor sorts out
# the call (the list holds no clinical text).
FIELD_LOG_REVIEWERS = SUPERVISION
# The program's indicators from field logs: aggregates only, for who runs the program. A
# supply manager sees stock, never anything about calls or the people served.
FIELD_LOG_INDICATORS = frozenset({Role.PROGRAM_LEAD, Role.SUPERVISOR})
# Who moves stock by hand (receipts, transfers, counts, write-offs, par levels, the catalog):
# the supply manager, and an admin standing in. Responders move stock only through the facts
# their tablets push (a harm-reduction entry, a kit count, a transfer receipt).
SUPPLY_WRITERS = frozenset({Role.SUPPLY_MANAGER, Role.ADMIN})
# Who reads the stockroom's records (transfers, discrepancies, alerts, par levels, reorder):
# the writers and a supervisor, who may read stock but not edit it.
SUPPLY_READERS = SUPPLY_WRITERS | {Role.SUPERVISOR}
# Stock and its card: the readers for every location, a responder for their own unit's kit
# only (server.supplies.queries.readable_locations refuses any other).
STOCK_READERS = SUPPLY_READERS | FIELD_ROLES

# Backup requests: a crew asks for its own unit (the unit from the signed-in crew's scope);
# the people who send help answer and close them; dispatch reads every request, a crew its
# own unit's. A crew cancels its own; an answerer cancels any.
BACKUP_REQUESTERS = FIELD_ROLES
BACKUP_ANSWERERS = frozenset({Role.SUPERVISOR, Role.DISPATCHER})
BACKUP_READERS = DISPATCH
BACKUP_CANCELLERS = BACKUP_REQUESTERS | BACKUP_ANSWERERS
# Check-ins come from the crew on scene; dispatch watches who is overdue.
CHECKIN_SENDERS = FIELD_ROLES
CHECKIN_WATCHERS = DISPATCH
# The supervisor's board (every unit, its crew and position, the premises on the map).
BOARD_READERS = DISPATCH

# The CAD's codes that match none of our call types wait on a list an admin maps (a program
# lead who owns the eligibility table may too).
CALL_TYPE_MAPPERS = frozenset({Role.ADMIN, Role.PROGRAM_LEAD})

# The program's indicators (server/indicators): aggregates only, for who runs the program and
# the supervisors who answer for it. An admin runs accounts and devices, not the program.
INDICATOR_READERS = frozenset({Role.PROGRAM_LEAD, Role.SUPERVISOR})
# The disposition list: labels, nothing clinical; every tablet keeps it to choose from offline.
# An admin keeps the list as the program decides it.
DISPOSITION_EDITORS = frozenset({Role.ADMIN})

# Care navigation (server/care): the navigators work referrals and follow-ups; supervisors and
# the program lead read them (the program lead without notes or addresses: figures only).
# A responder refers their own unit's call ("referred to community care"). Only a navigator
# and a supervisor read a call in care navigation, and only such a call.
CARE_NAVIGATORS = frozenset({Role.CARE_NAVIGATOR})
CARE_CONTENT_READERS = frozenset({Role.CARE_NAVIGATOR, Role.SUPERVISOR})
CARE_READERS = CARE_CONTENT_READERS | {Role.PROGRAM_LEAD}
REFERRAL_MAKERS = FIELD_ROLES | CARE_NAVIGATORS

Rule = frozenset[Role] | str

# endpoint -> method -> rule. Endpoints are "<blueprint>.<view>" as Flask names them.
ROUTES: Final[dict[str, dict[str, Rule]]] = {
    "static": {"GET": PUBLIC},
    "health.healthz": {"GET": PUBLIC},
    "web.index": {"GET": PUBLIC},
    "web.asset": {"GET": PUBLIC},
    "swagger_ui_dist.static": {"GET": PUBLIC},
    "api-docs.openapi_json": {"GET": PUBLIC},
    "api-docs.openapi_swagger_ui": {"GET": PUBLIC},
    "auth.Login": {"POST": PUBLIC},
    "auth.Refresh": {"POST": REFRESH},
    "auth.Logout": {"POST": ALL_ROLES},
    "auth.Me": {"GET": ALL_ROLES},
    "auth.Devices": {"GET": SUPERVISION},
    "auth.DeviceById": {"PATCH": SUPERVISION},
    "auth.DeviceRevocation": {"POST": SUPERVISION},
    # A supervisor reads the list to build a shift's crew; an admin runs the logins.
    "auth.Users": {"GET": SUPERVISION, "POST": frozenset({Role.ADMIN})},
    "people.UserById": {"PATCH": frozenset({Role.ADMIN})},
    "units.Units": {"GET": ALL_ROLES},
    "dispatch.Shifts": {"GET": DISPATCH | SUPERVISION, "POST": SUPERVISION},
    "dispatch.ShiftById": {"DELETE": SUPERVISION},
    "dispatch.ServiceAreas": {"GET": DISPATCH | SUPERVISION},
    "locations.UnitPositions": {"GET": UNIT_POSITION_READERS},
    "locations.UnitTrack": {"GET": TRACK_EXPORTERS},
    "locations.FieldSettings": {"GET": ALL_ROLES},
    "calls.CallTypes": {"GET": ALL_ROLES, "POST": ELIGIBILITY_EDITORS},
    "calls.CallTypeById": {"GET": ALL_ROLES, "PATCH": ELIGIBILITY_EDITORS},
    "calls.Calls": {"GET": DISPATCH, "POST": DISPATCH},
    "calls.CallById": {"GET": CALL_READERS, "PATCH": DISPATCH, "DELETE": DISPATCH},
    "supplies.Catalog": {"GET": ALL_ROLES, "POST": SUPPLY_WRITERS},
    "supplies.CatalogItem": {"PATCH": SUPPLY_WRITERS},
    "supplies.Locations": {"GET": STOCK_READERS},
    "supplies.Stock": {"GET": STOCK_READERS},
    "supplies.StockCard": {"GET": STOCK_READERS},
    "supplies.Gs1": {"POST": STOCK_READERS},
    "supplies.Receipts": {"POST": SUPPLY_WRITERS},
    "supplies.Transfers": {"GET": SUPPLY_READERS, "POST": SUPPLY_WRITERS},
    "supplies.TransferReceipt": {"POST": SUPPLY_WRITERS},
    "supplies.Counts": {"POST": SUPPLY_WRITERS},
    "supplies.Adjustments": {"POST": SUPPLY_WRITERS},
    "supplies.Discrepancies": {"GET": SUPPLY_READERS},
    "supplies.DiscrepancyResolution": {"POST": SUPPLY_WRITERS},
    "supplies.Alerts": {"GET": SUPPLY_READERS},
    "supplies.AlertAcknowledgement": {"POST": SUPPLY_WRITERS},
    "supplies.ParLevels": {"GET": SUPPLY_READERS, "PUT": SUPPLY_WRITERS},
    "supplies.ReorderReport": {"GET": SUPPLY_READERS},
    "audit.AuditLog": {"GET": SUPERVISION},
    "sync.Push": {"POST": SYNC_DEVICES},
    "sync.Pull": {"GET": SYNC_READERS},
    "sync.Conflicts": {"GET": CONFLICT_RESOLVERS},
    "sync.ConflictResolution": {"POST": CONFLICT_RESOLVERS},
    "sync.RejectedOps": {"GET": SUPERVISION},
    "sync.RejectedOpReapply": {"POST": CLINICAL_CONTENT_READERS},
    "fieldlogs.Debriefs": {"GET": DEBRIEF_READERS},
    "fieldlogs.DebriefDone": {"POST": DEBRIEF_HOLDERS},
    "fieldlogs.FlaggedFieldLogs": {"GET": FIELD_LOG_REVIEWERS},
    "fieldlogs.SurveySummary": {"GET": FIELD_LOG_INDICATORS},
    "fieldlogs.HarmReductionSummary": {"GET": FIELD_LOG_INDICATORS},
    "backups.Backups": {"GET": BACKUP_READERS | BACKUP_REQUESTERS, "POST": BACKUP_REQUESTERS},
    "backups.BackupById": {"GET": BACKUP_READERS | BACKUP_REQUESTERS},
    "backups.BackupAcknowledgement": {"POST": BACKUP_ANSWERERS},
    "backups.BackupCancel": {"POST": BACKUP_CANCELLERS},
    "backups.BackupResolve": {"POST": BACKUP_ANSWERERS},
    "backups.Checkins": {"POST": CHECKIN_SENDERS},
    "backups.OverdueCheckins": {"GET": CHECKIN_WATCHERS},
    # The SMS/voice gateway's callback carries no token: the view checks its HMAC signature
    # and timestamp (server/notifiers/signing.py) and answers 401 otherwise.
    "notifiers.NotificationReceipts": {"POST": PUBLIC},
    "cad.CadCalls": {"POST": CAD_INTEGRATION},
    "cad.UnmappedCallTypes": {"GET": CALL_TYPE_MAPPERS},
    "cad.CallTypeMapping": {"PUT": CALL_TYPE_MAPPERS},
    "dispatch.Queue": {"GET": DISPATCH},
    "dispatch.Assign": {"POST": DISPATCH},
    "dispatch.ResolveByPhone": {"POST": frozenset({Role.DIVERSION_CLINICIAN, Role.SUPERVISOR})},
    "dispatch.Decline": {"POST": DISPATCH},
    "board.BoardUnits": {"GET": BOARD_READERS},
    "board.BoardPremises": {"GET": BOARD_READERS},
    "board.BoardBasemap": {"GET": ALL_ROLES},
    "stream.Stream": {"GET": ALL_ROLES},
    "stream.StreamReceipts": {"POST": ALL_ROLES},
    "notifiers.PushKey": {"GET": ALL_ROLES},
    "notifiers.PushSubscriptionOfDevice": {"PUT": ALL_ROLES, "DELETE": ALL_ROLES},
    "indicators.Indicators": {"GET": INDICATOR_READERS},
    "indicators.IndicatorById": {"GET": INDICATOR_READERS},
    "indicators.IndicatorCsv": {"GET": INDICATOR_READERS},
    "care.Resources": {"GET": CARE_READERS},
    "care.Referrals": {"GET": CARE_READERS, "POST": REFERRAL_MAKERS},
    "care.ReferralStatus": {"POST": CARE_NAVIGATORS},
    "care.FollowUps": {"GET": CARE_READERS, "POST": CARE_NAVIGATORS},
    "care.FollowUpDone": {"POST": CARE_NAVIGATORS},
    "care.CareCall": {"GET": CARE_CONTENT_READERS},
    "indicators.IndicatorAreas": {"GET": INDICATOR_READERS},
    "indicators.Baseline": {"GET": INDICATOR_READERS},
    "indicators.BaselineCsv": {"GET": INDICATOR_READERS},
    "dispositions.Dispositions": {"GET": ALL_ROLES, "POST": DISPOSITION_EDITORS},
    "dispositions.DispositionById": {"PATCH": DISPOSITION_EDITORS},
}


# What a device revoked as retired may still do, for its crew: send what it holds (refreshing
# its token to do so), then sign out. Everything else answers 401 `retire`.
RETIRED_DEVICE_ROUTES: Final = frozenset({"sync.Push", "auth.Refresh", "auth.Logout"})


def rule_for(endpoint: str | None, method: str) -> Rule | None:
    """The rule for a request, or None when the route was never classified."""
    if endpoint is None:
        return None
    methods = ROUTES.get(endpoint)
    if methods is None:
        return None
    if method == "HEAD":
        method = "GET"
    if method == "OPTIONS":
        return PUBLIC
    return methods.get(method)
