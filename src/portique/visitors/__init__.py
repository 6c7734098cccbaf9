"""Visitors: invitations and walk-ins, time-boxed passes, the path through the site,
alerts to the agents, who is on site, and the refusal list.

Services over the store, like ``portique.services``: each takes a session and a site id
and works in the caller's transaction::

    with site.session() as session:
        new = visitors.invite(session, site.site_id, site.keyring(), request, by=who, now=now)
    visitors.send_pass(new.visit, new.visitor_pass, labels)

The path follows credentials at checkpoints, never faces: lanes that decide on a pass
add checkpoints (:func:`record_checkpoints`), reception checks in and out.
"""

from __future__ import annotations

from portique.visitors.alerts import (
    acknowledge_alert,
    alerts_of_visit,
    check_time_alerts,
    visit_alerts,
)
from portique.visitors.documents import (
    SiteLabels,
    pass_message,
    pass_qr_png,
    render_badge,
    send_pass,
    site_badge,
    site_labels,
    zone_list,
)
from portique.visitors.errors import (
    MailError,
    UnknownRefusalError,
    UnknownVisitError,
    VisitInputError,
    VisitorBarredError,
    VisitStateError,
)
from portique.visitors.path import record_checkpoints
from portique.visitors.records import (
    PASS_IN_FORCE,
    RECEPTION,
    AlertKind,
    EventKind,
    NewRefusal,
    NewVisit,
    OnSiteVisitor,
    ReceptionResult,
    RefusalAuthority,
    RefusalRecord,
    VisitAlert,
    VisitEvent,
    VisitKind,
    Visitor,
    VisitorPassIssued,
    VisitRecord,
    VisitRequest,
    VisitStatus,
)
from portique.visitors.refusals import (
    add_refusal,
    find_refusal,
    lift_refusal,
    list_refusals,
    typed_refusal,
)
from portique.visitors.visits import (
    WALK_IN_DURATION,
    check_in,
    check_out,
    get_visit,
    invite,
    list_visits,
    on_site_visitors,
    pass_margin,
    visit_for_pass,
    visit_passes,
    visit_path,
    walk_in,
)

__all__ = [
    "PASS_IN_FORCE",
    "RECEPTION",
    "WALK_IN_DURATION",
    "AlertKind",
    "EventKind",
    "MailError",
    "NewRefusal",
    "NewVisit",
    "OnSiteVisitor",
    "ReceptionResult",
    "RefusalAuthority",
    "RefusalRecord",
    "SiteLabels",
    "UnknownRefusalError",
    "UnknownVisitError",
    "VisitAlert",
    "VisitEvent",
    "VisitInputError",
    "VisitKind",
    "VisitRecord",
    "VisitRequest",
    "VisitStateError",
    "VisitStatus",
    "Visitor",
    "VisitorBarredError",
    "VisitorPassIssued",
    "acknowledge_alert",
    "add_refusal",
    "alerts_of_visit",
    "check_in",
    "check_out",
    "check_time_alerts",
    "find_refusal",
    "get_visit",
    "invite",
    "lift_refusal",
    "list_refusals",
    "list_visits",
    "on_site_visitors",
    "pass_margin",
    "pass_message",
    "pass_qr_png",
    "record_checkpoints",
    "render_badge",
    "send_pass",
    "site_badge",
    "site_labels",
    "typed_refusal",
    "visit_alerts",
    "visit_for_pass",
    "visit_passes",
    "visit_path",
    "walk_in",
    "zone_list",
]
