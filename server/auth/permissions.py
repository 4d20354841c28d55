"""The one permission table: every route and method, and the roles that may call it.

Enforced by a single before-request hook; a route missing from the table is refused
(fail closed), and tests walk the URL map so an unclassified route fails the build.
"""

from __future__ import annotations

from typing import Final

from server.auth.models import FIELD_ROLES, Role

PUBLIC: Final = "public"
REFRESH: Final = "refresh-token"  # guarded by the refresh token inside the view

ALL_ROLES = frozenset(Role)
SUPERVISION = frozenset({Role.SUPERVISOR, Role.ADMIN})
DISPATCH = frozenset({Role.DISPATCHER, Role.DIVERSION_CLINICIAN, Role.SUPERVISOR})
# People who read clinical call content; a supply manager or program lead does not.
CALL_READERS = DISPATCH | FIELD_ROLES | {Role.CARE_NAVIGATOR}
ELIGIBILITY_EDITORS = frozenset({Role.PROGRAM_LEAD, Role.SUPERVISOR, Role.ADMIN})
SYNC_DEVICES = FIELD_ROLES
CONFLICT_RESOLVERS = FIELD_ROLES | {Role.SUPERVISOR}

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
    "auth.DeviceRevocation": {"POST": SUPERVISION},
    "auth.Users": {"GET": frozenset({Role.ADMIN}), "POST": frozenset({Role.ADMIN})},
    "units.Units": {"GET": ALL_ROLES},
    "calls.CallTypes": {"GET": ALL_ROLES, "POST": ELIGIBILITY_EDITORS},
    "calls.CallTypeById": {"GET": ALL_ROLES, "PATCH": ELIGIBILITY_EDITORS},
    "calls.Calls": {"GET": DISPATCH, "POST": DISPATCH},
    "calls.CallById": {"GET": CALL_READERS, "PATCH": DISPATCH, "DELETE": DISPATCH},
    "supplies.Catalog": {"GET": ALL_ROLES},
    "audit.AuditLog": {"GET": SUPERVISION},
    "sync.Push": {"POST": SYNC_DEVICES},
    "sync.Pull": {"GET": SYNC_DEVICES},
    "sync.Conflicts": {"GET": CONFLICT_RESOLVERS},
    "sync.ConflictResolution": {"POST": CONFLICT_RESOLVERS},
    "sync.RejectedOps": {"GET": SUPERVISION},
    "sync.RejectedOpReapply": {"POST": SUPERVISION},
}


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
