"""Services: the use cases over the store (site, people, consent, credentials, passage,
timetables).

Each service takes a SQLAlchemy session and a site id, works in the caller's
transaction and returns frozen records, never rows::

    from portique import services
    site = services.open_site(Path("site"))
    with site.session() as session:
        person_id = services.add_person(session, site.site_id, new, now=now)
    report = services.Gate(site).pass_through("entree", presented, at=now)

The access domain stays pure: services build its snapshot from the store
(``build_snapshot``) and store its decisions as passage events (``record_passage``).
"""

from __future__ import annotations

from portique.services.consent import (
    CONSENT_WITHDRAWN,
    ConsentRecord,
    Withdrawal,
    consent_in_force,
    grant_consent,
    withdraw_consent,
)
from portique.services.credentials import (
    BadgeRecord,
    IssuedCredential,
    RevocationRecord,
    bind_badge,
    card_format,
    default_face_engine,
    enroll_face,
    issue_credential,
    revoke_credential,
    write_card,
)
from portique.services.errors import (
    ConsentError,
    FaceNotAllowedError,
    PersonInputError,
    RosterFormatError,
    SiteExistsError,
    SiteNotFoundError,
    SpentEnrolmentLinkError,
    TimetableInputError,
    UnknownCredentialError,
    UnknownEnrolmentLinkError,
    UnknownGroupError,
    UnknownLaneError,
    UnknownPersonError,
)
from portique.services.passage import (
    FaceCapture,
    Gate,
    PassageReport,
    presented_from_qr_image,
    presented_from_text,
)
from portique.services.people import (
    ImportReport,
    NewPerson,
    PersonRecord,
    add_person,
    get_person,
    import_people,
    list_people,
    set_exit_permission,
)
from portique.services.phone import (
    EnrolledPhone,
    EnrolmentLink,
    create_enrolment_link,
    enrol_phone,
)
from portique.services.roster import RejectedRow, parse_date, parse_role, read_roster
from portique.services.site import (
    LockdownState,
    SiteCreated,
    SiteHandle,
    declare_lockdown,
    init_site,
    lift_lockdown,
    open_site,
)
from portique.services.snapshot import build_snapshot, record_passage
from portique.services.timetables import (
    SetupChange,
    parse_timetable,
    set_group_timetable,
    set_lane_face,
    set_opening_hours,
)

__all__ = [
    "CONSENT_WITHDRAWN",
    "BadgeRecord",
    "ConsentError",
    "ConsentRecord",
    "EnrolledPhone",
    "EnrolmentLink",
    "FaceCapture",
    "FaceNotAllowedError",
    "Gate",
    "ImportReport",
    "IssuedCredential",
    "LockdownState",
    "NewPerson",
    "PassageReport",
    "PersonInputError",
    "PersonRecord",
    "RejectedRow",
    "RevocationRecord",
    "RosterFormatError",
    "SetupChange",
    "SiteCreated",
    "SiteExistsError",
    "SiteHandle",
    "SiteNotFoundError",
    "SpentEnrolmentLinkError",
    "TimetableInputError",
    "UnknownCredentialError",
    "UnknownEnrolmentLinkError",
    "UnknownGroupError",
    "UnknownLaneError",
    "UnknownPersonError",
    "Withdrawal",
    "add_person",
    "bind_badge",
    "build_snapshot",
    "card_format",
    "consent_in_force",
    "create_enrolment_link",
    "declare_lockdown",
    "default_face_engine",
    "enrol_phone",
    "enroll_face",
    "get_person",
    "grant_consent",
    "import_people",
    "init_site",
    "issue_credential",
    "lift_lockdown",
    "list_people",
    "open_site",
    "parse_date",
    "parse_role",
    "parse_timetable",
    "presented_from_qr_image",
    "presented_from_text",
    "read_roster",
    "record_passage",
    "revoke_credential",
    "set_exit_permission",
    "set_group_timetable",
    "set_lane_face",
    "set_opening_hours",
    "withdraw_consent",
    "write_card",
]
