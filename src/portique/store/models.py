"""The tables: SQLAlchemy 2 declarative models, one class per table, no behaviour.

What is never stored here, by design: face images, embeddings in clear, and credential
payloads. A template lives inside the person's own credential payload, or, for a site that
chose the central template store, in ``template_vault`` sealed with a key that only the
person's credential carries (the server can never open it alone). A credential row keeps
its metadata and a ``has_template`` flag, enough to revoke it when consent is withdrawn.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column

ID = 64
"""Longest id (site, zone, lane, group, person, credential, key), as in credentials."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A time-zone-aware datetime, stored in UTC; SQLite keeps no offset, so it is restored.

    A naive datetime is refused: Portique never guesses a time zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a stored time must be time-zone-aware, got {value!r}")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id_of(target: str, **options: Any) -> MappedColumn[Any]:
    """A column holding the id of a row of ``target`` (``table.column``); its rows are
    deleted with that row."""
    return mapped_column(String(ID), ForeignKey(target, ondelete="CASCADE"), **options)


def _site_id(**options: Any) -> MappedColumn[Any]:
    """A column holding a site's id; its rows are deleted with the site."""
    return _id_of("sites.site_id", **options)


def _person_id(**options: Any) -> MappedColumn[Any]:
    """A column holding a person's id; its rows are deleted with the person."""
    return _id_of("people.person_id", **options)


def _within_site(table: str, key: str) -> ForeignKeyConstraint:
    """A reference to a row of ``table`` of the same site (keyed by site and ``key``)."""
    return ForeignKeyConstraint(
        ["site_id", key], [f"{table}.site_id", f"{table}.{key}"], ondelete="CASCADE"
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        date: Date,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class SiteRow(Base):
    """A school. ``opening_hours``, ``calendar``, ``default_timetable`` and ``settings``
    are JSON (see ``portique.access.codec``); ``snapshot_version`` grows with
    every change a lane's policy snapshot depends on."""

    __tablename__ = "sites"

    site_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    opening_hours: Mapped[dict[str, Any]]
    calendar: Mapped[list[Any]]
    default_timetable: Mapped[dict[str, Any]]
    settings: Mapped[dict[str, Any]]
    snapshot_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]


class ZoneRow(Base):
    __tablename__ = "zones"

    site_id: Mapped[str] = _site_id(primary_key=True)
    zone_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class LaneRow(Base):
    __tablename__ = "lanes"
    __table_args__ = (_within_site("zones", "zone_id"),)

    site_id: Mapped[str] = _site_id(primary_key=True)
    lane_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    zone_id: Mapped[str] = mapped_column(String(ID))
    direction: Mapped[str] = mapped_column(String(8))
    face_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(200), default="")


class GroupRow(Base):
    """A class or teaching group and its weekly timetable (JSON). ``kind`` is what the
    register says it is (``division``, a class; ``group``, a teaching group), None for a
    group made by hand or from a CSV (taken for a class)."""

    __tablename__ = "groups"

    site_id: Mapped[str] = _site_id(primary_key=True)
    group_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    timetable: Mapped[dict[str, Any]]
    kind: Mapped[str | None] = mapped_column(String(16))


class PersonRow(Base):
    """Someone who may pass. ``person_id`` is the pseudonymous id credentials carry."""

    __tablename__ = "people"
    __table_args__ = (Index(None, "site_id", "last_name", "first_name", "birth_date"),)

    person_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    site_id: Mapped[str] = _site_id(index=True)
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date]
    role: Mapped[str] = mapped_column(String(16))
    zones: Mapped[list[Any] | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    left_on: Mapped[date | None]
    """The day the person left the school, as the register says (``portique.registers``)."""


class MembershipRow(Base):
    """A person in a group (a student in a class)."""

    __tablename__ = "memberships"
    __table_args__ = (_within_site("groups", "group_id"),)

    person_id: Mapped[str] = _person_id(primary_key=True)
    group_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(ID))


class GuardianshipRow(Base):
    """``guardian_id`` holds parental authority over ``person_id``."""

    __tablename__ = "guardianships"

    person_id: Mapped[str] = _person_id(primary_key=True)
    guardian_id: Mapped[str] = _person_id(primary_key=True)


class ConsentRow(Base):
    """A biometric opt-in and its withdrawal; a new opt-in after a withdrawal is a new row."""

    __tablename__ = "consents"

    consent_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = _person_id(index=True)
    giver: Mapped[str] = mapped_column(String(16))
    given_by: Mapped[str] = mapped_column(String(ID))
    given_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(ID))


class ExitPermissionRow(Base):
    """The exit rule (``portique.access.STANDARD_EXIT_RULES`` code) a guardian chose."""

    __tablename__ = "exit_permissions"

    person_id: Mapped[str] = _person_id(primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    granted_by: Mapped[str] = mapped_column(String(ID))
    granted_on: Mapped[date]


class CredentialRow(Base):
    """An issued credential's metadata; never its payload nor the template it carries."""

    __tablename__ = "credentials"
    __table_args__ = (Index(None, "site_id", "status"),)

    credential_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    site_id: Mapped[str] = _site_id()
    person_id: Mapped[str] = _person_id(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    key_id: Mapped[str | None] = mapped_column(String(ID))
    status: Mapped[str] = mapped_column(String(16), default="active")
    issued_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(200))
    has_template: Mapped[bool] = mapped_column(Boolean, default=False)
    face_model: Mapped[str | None] = mapped_column(String(64), default=None)
    """The face model of the template it carries (None: issued before models were
    recorded, of the site's model then)."""


class PhoneEnrolmentRow(Base):
    """A one-time link that lets a person enrol a phone pass from their phone (issue 24).

    Only the SHA-256 of the link's secret is kept: reading the database gives no link.
    ``used_at`` and ``credential_id`` say when a phone used it and which pass it got; a
    link is used at most once and not after ``expires_at``."""

    __tablename__ = "phone_enrolments"

    enrolment_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_id: Mapped[str] = _site_id(index=True)
    person_id: Mapped[str] = _person_id(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    credential_id: Mapped[str | None] = mapped_column(String(ID))


class SeenCodeRow(Base):
    """A phone pass's living code already used at the site (the replay check of the
    in-process gate); kept only while the code could still be accepted."""

    __tablename__ = "seen_codes"
    __table_args__ = (Index(None, "site_id", "code_time"),)

    site_id: Mapped[str] = _site_id(primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    code_time: Mapped[datetime] = mapped_column(primary_key=True)
    seen_at: Mapped[datetime]


class BadgeBindingRow(Base):
    """A badge UID (normalized) bound to a badge credential of a person."""

    __tablename__ = "badge_bindings"

    site_id: Mapped[str] = _site_id(primary_key=True)
    badge_uid: Mapped[str] = mapped_column(String(32), primary_key=True)
    credential_id: Mapped[str] = _id_of("credentials.credential_id", unique=True)
    person_id: Mapped[str] = _person_id(index=True)


class PassageRow(Base):
    """A decision event. Ids are not foreign keys: events outlive what they name until
    the retention purge, and an unknown lane or credential is itself worth recording."""

    __tablename__ = "passages"
    __table_args__ = (
        Index(None, "site_id", "person_id", "time"),
        Index(None, "site_id", "time"),
    )

    passage_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(ID))
    lane_id: Mapped[str] = mapped_column(String(ID))
    direction: Mapped[str | None] = mapped_column(String(8))
    time: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[Any]]
    alert: Mapped[bool] = mapped_column(Boolean, default=False)
    credential_id: Mapped[str | None] = mapped_column(String(ID))
    person_id: Mapped[str | None] = mapped_column(String(ID))
    latency_ms: Mapped[float] = mapped_column(Float)
    snapshot_version: Mapped[int] = mapped_column(Integer)


class LockdownRow(Base):
    """A lockdown (PPMS) of a site: in force from ``since`` until it is lifted."""

    __tablename__ = "lockdowns"

    lockdown_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = _site_id(index=True)
    since: Mapped[datetime]
    declared_by: Mapped[str | None] = mapped_column(String(ID))
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(ID))


class AccountRow(Base):
    """A console account of a site: who may sign in, with which role (``portique.server``).

    Only an argon2 hash of the password is kept. ``failed_logins`` and ``locked_until``
    are no longer used: failed logins are counted per account and address in
    :class:`LoginAttemptRow`, and never shut an account for everyone.
    """

    __tablename__ = "accounts"

    site_id: Mapped[str] = _site_id(primary_key=True)
    username: Mapped[str] = mapped_column(String(ID), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class LoginAttemptRow(Base):
    """One login attempt at the console (``portique.server.throttle``): the name typed
    (an account or not), the client's address, when, and whether it opened a session.
    Failures slow down the next attempts; successes mark an address known to the
    account. Kept in the database so that every server process sees the same ones."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index(None, "site_id", "username", "at"),
        Index(None, "site_id", "address", "at"),
    )

    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = _site_id()
    username: Mapped[str] = mapped_column(String(ID))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)


class ImportJobRow(Base):
    """A people import run in the background for the console (``portique.server.imports``):
    how far it got, then its report (``imported`` ids, ``rejected`` lines, classes
    created...) or the error that stopped it. Kept in the database so that any server
    process can show its progress."""

    __tablename__ = "import_jobs"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_id: Mapped[str] = _site_id(index=True)
    started_by: Mapped[str] = mapped_column(String(ID))
    file_name: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    lines: Mapped[int] = mapped_column(Integer)
    lines_done: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(String(2000))


class ConsoleSessionRow(Base):
    """A browser signed in to the console, shared by every server process and kept
    across restarts: known only by the SHA-256 of its cookie, with the CSRF token of its
    forms. It goes with its account."""

    __tablename__ = "console_sessions"
    __table_args__ = (_within_site("accounts", "username"),)

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = _site_id()
    username: Mapped[str] = mapped_column(String(ID))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiTokenRow(Base):
    """An API token (a lane, an integration), known only by the SHA-256 of its secret; a
    lane's token is bound to its lane (``lane_id``)."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = _site_id(index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    lane_id: Mapped[str | None] = mapped_column(String(ID), default=None)


class PassageReviewRow(Base):
    """An agent's answer to a passage: an alert acknowledged, or a referral decided.

    ``outcome`` is None for an acknowledgement, ``grant`` or ``deny`` for a manual
    decision, with the agent's ``comment``. Like passages, the passage id is not a
    foreign key: the review is purged with the event it answers.
    """

    __tablename__ = "passage_reviews"

    passage_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_id: Mapped[str] = _site_id(index=True)
    reviewed_at: Mapped[datetime]
    reviewed_by: Mapped[str] = mapped_column(String(ID))
    outcome: Mapped[str | None] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(String(500))


class LaneStatusRow(Base):
    """When the server last heard from a lane, and whether the lane said it left.

    ``last_seen_at`` is the server's time at the lane's last heartbeat (never the lane's
    own clock); ``online`` is False once the broker delivered the lane's last will or the
    lane closed. A lane with no row was never heard from: it raises no alert.
    """

    __tablename__ = "lane_status"

    site_id: Mapped[str] = _site_id(primary_key=True)
    lane_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    last_seen_at: Mapped[datetime]
    online: Mapped[bool] = mapped_column(Boolean)


class LaneStatusChangeRow(Base):
    """A lane going offline or coming back (server's time): the history behind the
    offline periods of the assessment report (issue 9)."""

    __tablename__ = "lane_status_changes"
    __table_args__ = (Index(None, "site_id", "lane_id", "at"),)

    change_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = _site_id()
    lane_id: Mapped[str] = mapped_column(String(ID))
    at: Mapped[datetime]
    online: Mapped[bool] = mapped_column(Boolean)


class AuditEntryRow(Base):
    """One administrative action in the hash-chained audit log (``portique.privacy``).

    ``seq`` counts from 1 per site with no gap; ``entry_hash`` is the SHA-256 of the
    entry's canonical form including ``prev_hash``, the hash of the entry before it;
    ``entry_mac`` authenticates it with the site's audit key (``privacy.audit_keys``). Not
    a foreign key on the site: the log outlives what it describes until its own retention.
    """

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("site_id", "seq"), Index(None, "site_id", "at"))

    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(ID))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    mac_key_id: Mapped[str | None] = mapped_column(String(16))
    """The audit key that authenticated the entry (None: written before the log was keyed)."""
    entry_mac: Mapped[str | None] = mapped_column(String(64))
    """HMAC-SHA-256 of ``entry_hash`` under a key the database does not hold."""


class TemplateVaultRow(Base):
    """A face template in the central template store: sealed (AES-256-GCM) with a key
    carried only inside the credential ``credential_id``; the server never holds it."""

    __tablename__ = "template_vault"

    credential_id: Mapped[str] = _id_of("credentials.credential_id", primary_key=True)
    site_id: Mapped[str] = _site_id(index=True)
    person_id: Mapped[str] = _person_id(index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class VisitRow(Base):
    """A visit (``portique.visitors``): a visitor (a person of role ``visitor``), a host,
    a purpose, an expected window and the zones the pass opens. ``kind`` is ``invited``
    or ``walk_in``; ``status`` ``expected``, ``on_site``, ``left``, ``cancelled`` or
    ``refused`` (a walk-in on the refusal list). The visit ended at ``checked_out_at``,
    or, never checked out, at ``expected_until``: the retention purge counts from there."""

    __tablename__ = "visits"
    __table_args__ = (Index(None, "site_id", "status"),)

    visit_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    site_id: Mapped[str] = _site_id()
    person_id: Mapped[str] = _person_id(index=True)
    host_id: Mapped[str | None] = mapped_column(String(ID))
    purpose: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    expected_from: Mapped[datetime]
    expected_until: Mapped[datetime]
    zones: Mapped[list[Any]]
    email: Mapped[str | None] = mapped_column(String(254))
    credential_id: Mapped[str | None] = mapped_column(String(ID), index=True)
    status: Mapped[str] = mapped_column(String(16))
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class VisitEventRow(Base):
    """A point on a visitor's path: check-in, a checkpoint, check-out, or a refusal,
    with where (lane or reception) and the alert it raised, if any."""

    __tablename__ = "visit_events"
    __table_args__ = (Index(None, "visit_id", "at"),)

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    visit_id: Mapped[str] = _id_of("visits.visit_id")
    site_id: Mapped[str] = mapped_column(String(ID))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    checkpoint: Mapped[str] = mapped_column(String(ID))
    zone_id: Mapped[str | None] = mapped_column(String(ID))
    allowed: Mapped[bool] = mapped_column(Boolean)
    alert: Mapped[str | None] = mapped_column(String(32))
    passage_id: Mapped[str | None] = mapped_column(String(32))


class VisitAlertRow(Base):
    """An alert about a visit (outside window or zones, overstay, not checked out at
    closing, pass used twice) and its acknowledgement; one per visit and kind."""

    __tablename__ = "visit_alerts"
    __table_args__ = (UniqueConstraint("visit_id", "kind"), Index(None, "site_id", "raised_at"))

    alert_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    visit_id: Mapped[str] = _id_of("visits.visit_id")
    site_id: Mapped[str] = mapped_column(String(ID))
    kind: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime]
    details: Mapped[dict[str, Any]]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))


class RefusalRow(Base):
    """Someone barred from the site (court order, head teacher), by name and birth date,
    never by face; in force until ``until`` (inclusive) unless lifted earlier."""

    __tablename__ = "refusals"
    __table_args__ = (Index(None, "site_id", "last_name", "birth_date"),)

    refusal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = _site_id()
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date]
    reason: Mapped[str] = mapped_column(String(500))
    ordered_by: Mapped[str] = mapped_column(String(32))
    until: Mapped[date]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(200))


class RegisterIdRow(Base):
    """A person's identifier in an administration register (``portique.registers``): the
    INE, a SIECLE or STS-Web number, kept only as an HMAC under the site's register key,
    so a re-import finds the person again and the number itself is never stored."""

    __tablename__ = "register_ids"

    site_id: Mapped[str] = _site_id(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = _person_id(index=True)


class DepartureRow(Base):
    """A pupil who left the school: when (``left_on``), how it was learnt (``cause``: a
    leaving date in the register, or absence from a complete export), how many
    credentials were revoked, and the agents' acknowledgement of the alert."""

    __tablename__ = "departures"
    __table_args__ = (Index(None, "site_id", "detected_at"),)

    departure_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = _site_id()
    person_id: Mapped[str] = _person_id(index=True)
    left_on: Mapped[date]
    cause: Mapped[str] = mapped_column(String(16))
    class_name: Mapped[str | None] = mapped_column(String(200))
    detected_at: Mapped[datetime]
    revoked: Mapped[int] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))


class SchoolYearRow(Base):
    """A school year of a site (``2026-2027``): its dates, ``open`` or ``closed``, and the
    face processing in force when it opened (consent is carried over only if unchanged)."""

    __tablename__ = "school_years"

    site_id: Mapped[str] = _site_id(primary_key=True)
    year_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    processing: Mapped[dict[str, Any]]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class ArchivedGroupRow(Base):
    """A class of a closed school year: its name, timetable and size, without its members."""

    __tablename__ = "archived_groups"

    site_id: Mapped[str] = _site_id(primary_key=True)
    year_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timetable: Mapped[dict[str, Any]]
    members: Mapped[int] = mapped_column(Integer)
    archived_at: Mapped[datetime]
