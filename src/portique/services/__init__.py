"""Services: the use cases over the store (site, people, consent, credentials, passage,
timetables).

Each service takes a SQLAlchemy session and a site id, works in the caller's
transaction and returns frozen records, never rows::

    from portique import bootstrap, services
    site = bootstrap.open_site(Path("site"))     # sites are opened by the composition root
    with site.session() as session:
        person_id = services.add_person(session, site.site_id, new, now=now)
    result = services.Gate(site).pass_through("entree", presented, at=now)

The access domain stays pure: services build its snapshot from the store
(``build_snapshot``) and store its decisions as passage events (``site.passages``, a
:class:`~portique.services.passages.PassageRecorder` that tells its handlers).
"""

from __future__ import annotations

from portique.services.consent import (
    CONSENT_WITHDRAWN,
    ConsentRecord,
    Withdrawal,
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
from portique.services.directory import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PeoplePage,
    PeopleQuery,
    PeopleSort,
    search_people,
    select_people,
)
from portique.services.errors import (
    ConsentError,
    FaceNotAllowedError,
    PersonInputError,
    RosterFormatError,
    RosterTooLargeError,
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
    Gate,
    LiveFace,
    presented_from_qr_image,
    presented_from_text,
)
from portique.services.passages import PassageRecorder, RecordedPassage
from portique.services.people import (
    CredentialStatus,
    ImportReport,
    NewPerson,
    PersonRecord,
    add_person,
    get_person,
    import_people,
    import_people_in_steps,
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
from portique.services.rows import consent_in_force
from portique.services.site import (
    LockdownState,
    SiteCreated,
    SiteHandle,
    SiteWiring,
    declare_lockdown,
    lift_lockdown,
)
from portique.services.snapshot import build_snapshot
from portique.services.timetables import (
    SetupChange,
    parse_timetable,
    set_group_timetable,
    set_lane_face,
    set_opening_hours,
)

__all__ = [
    "CONSENT_WITHDRAWN",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "BadgeRecord",
    "ConsentError",
    "ConsentRecord",
    "CredentialStatus",
    "EnrolledPhone",
    "EnrolmentLink",
    "FaceNotAllowedError",
    "Gate",
    "ImportReport",
    "IssuedCredential",
    "LiveFace",
    "LockdownState",
    "NewPerson",
    "PassageRecorder",
    "PeoplePage",
    "PeopleQuery",
    "PeopleSort",
    "PersonInputError",
    "PersonRecord",
    "RecordedPassage",
    "RejectedRow",
    "RevocationRecord",
    "RosterFormatError",
    "RosterTooLargeError",
    "SetupChange",
    "SiteCreated",
    "SiteExistsError",
    "SiteHandle",
    "SiteNotFoundError",
    "SiteWiring",
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
    "import_people_in_steps",
    "issue_credential",
    "lift_lockdown",
    "list_people",
    "parse_date",
    "parse_role",
    "parse_timetable",
    "presented_from_qr_image",
    "presented_from_text",
    "read_roster",
    "revoke_credential",
    "search_people",
    "select_people",
    "set_exit_permission",
    "set_group_timetable",
    "set_lane_face",
    "set_opening_hours",
    "withdraw_consent",
    "write_card",
]
