"""Phone passes at the site: one-time enrolment links, enrolling a phone, used codes.

The administration gives a person a one-time link (at the desk, as a QR code to scan;
or sent to them). Their phone opens it in the phone pass app, makes its key pair in the
browser and sends the public key with the link's secret; the site signs a phone pass
that binds that key (``Claims.holder_key``) and hands it back once. The link is
unguessable (256 random bits), short-lived, single use, and only its hash is stored;
its creation and its use are audited like every administrative change. A phone pass
replaces the person's previous one: a lost or changed phone is simply enrolled again.

The in-process gate keeps the living codes it accepted in ``seen_codes`` (the replay
check), so two ``portique pass`` runs, or two lanes served by one server, share them.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import segno
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portique.credentials import (
    CODE_WINDOW,
    Claims,
    CodeStamp,
    CredentialKind,
    HolderKey,
    Keyring,
    new_credential_id,
    qr_version,
    sign_credential,
)
from portique.errors import BadInputError
from portique.i18n import text
from portique.services.credentials import revoke_credential, store_credential, validity_window
from portique.services.errors import SpentEnrolmentLinkError, UnknownEnrolmentLinkError
from portique.services.rows import active_person_row, local_date, site_row
from portique.store import ACTIVE, CredentialRow, PhoneEnrolmentRow, SeenCodeRow

ENROLMENT_LIFETIME = timedelta(hours=1)
"""How long an enrolment link stays usable by default: time to go home and open it."""
MAX_ENROLMENT_LIFETIME = timedelta(days=7)
TOKEN_BYTES = 32
"""The link's secret: 256 random bits, so it cannot be guessed."""
MAX_TOKEN_LENGTH = 128
PHONE_REPLACED = "phone_replaced"
"""The revocation reason of a phone pass replaced by the enrolment of another phone."""
ENROL_PATH = "/phone/"


def token_hash(token: str) -> str:
    """What the database keeps of a link's secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EnrolmentLink:
    """A one-time link for ``person_id`` to enrol a phone; its secret is shown once."""

    enrolment_id: str
    person_id: str
    expires_at: datetime
    token: str = field(repr=False)

    def url(self, base_url: str) -> str:
        """The link to open on the phone. The secret is in the fragment (after ``#``),
        which a browser never sends to a server, so it stays out of every log."""
        return f"{base_url.rstrip('/')}{ENROL_PATH}#enrol={self.token}"


def create_enrolment_link(
    session: Session,
    site_id: str,
    person_id: str,
    *,
    now: datetime,
    lifetime: timedelta = ENROLMENT_LIFETIME,
) -> EnrolmentLink:
    """A new one-time enrolment link for an active person, usable for ``lifetime``.

    Raises:
        UnknownPersonError, PersonInputError: no such person, or not active.
        BadInputError: a lifetime of no time or over a week.
    """
    if not timedelta(0) < lifetime <= MAX_ENROLMENT_LIFETIME:
        raise BadInputError(
            text(
                "Un lien d'enrôlement vaut de quelques minutes à sept jours.",
                "An enrolment link lasts from a few minutes to seven days.",
            )
        )
    active_person_row(session, site_id, person_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = PhoneEnrolmentRow(
        enrolment_id=secrets.token_hex(8),
        site_id=site_id,
        person_id=person_id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return EnrolmentLink(row.enrolment_id, person_id, row.expires_at, token)


def link_qr_png(url: str, *, scale: int = 8) -> bytes:
    """A PNG of the QR code of an enrolment link, for the phone to scan at the desk."""
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


@dataclass(frozen=True)
class EnrolledPhone:
    """A phone pass just issued, with what the app shows beside it: what the printed
    card shows, nothing more."""

    credential_id: str
    person_id: str
    site_id: str
    payload: bytes = field(repr=False)
    display_name: str
    site_name: str
    valid_until: datetime
    qr_version: int
    replaced: tuple[str, ...]
    """The person's previous phone passes, revoked by this enrolment."""


def enrol_phone(
    session: Session,
    site_id: str,
    keyring: Keyring,
    token: str,
    holder_key: HolderKey,
    *,
    now: datetime,
) -> EnrolledPhone:
    """Uses the enrolment link ``token`` to issue a phone pass binding ``holder_key``.

    The pass is valid until the end of the school year; the person's previous phone
    passes are revoked (``phone_replaced``).

    Raises:
        UnknownEnrolmentLinkError: no such link at the site.
        SpentEnrolmentLinkError: the link was used already, or has expired.
        PersonInputError: the person left since the link was made.
    """
    link = _usable_link(session, site_id, token, now)
    site = site_row(session, site_id)
    person = active_person_row(session, site_id, link.person_id)
    replaced = _revoke_phone_passes(session, site_id, link.person_id, now)
    start, end = validity_window(site.timezone, local_date(site, now), None, None)
    claims = Claims(
        credential_id=new_credential_id(),
        person_id=link.person_id,
        site_id=site_id,
        kind=CredentialKind.PHONE,
        valid_from=start,
        valid_until=end,
        key_id=keyring.active_key_id,
        holder_key=holder_key,
    )
    payload = sign_credential(claims, keyring.signing_key())
    store_credential(session, claims, issued_at=now)
    link.used_at = now
    link.credential_id = claims.credential_id
    return EnrolledPhone(
        credential_id=claims.credential_id,
        person_id=link.person_id,
        site_id=site_id,
        payload=payload,
        display_name=f"{person.first_name} {person.last_name}",
        site_name=site.name,
        valid_until=claims.valid_until,
        qr_version=qr_version(payload),
        replaced=replaced,
    )


def enrolment_site(session: Session, token: str) -> str | None:
    """The site of the enrolment link ``token`` (a region's server serves several), or
    None for an unknown link."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        return None
    return session.scalar(
        select(PhoneEnrolmentRow.site_id).where(PhoneEnrolmentRow.token_hash == token_hash(token))
    )


def _usable_link(session: Session, site_id: str, token: str, now: datetime) -> PhoneEnrolmentRow:
    """The link of ``token``, locked until the transaction ends (two phones presenting
    one link at once: the second waits, then finds it used)."""
    link = None
    if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH:
        link = session.scalars(
            select(PhoneEnrolmentRow)
            .where(
                PhoneEnrolmentRow.token_hash == token_hash(token),
                PhoneEnrolmentRow.site_id == site_id,
            )
            .with_for_update()
        ).one_or_none()
    if link is None:
        raise UnknownEnrolmentLinkError(
            text(
                "Ce lien d'enrôlement n'existe pas : vérifiez-le, ou demandez-en un autre "
                "à l'administration.",
                "This enrolment link does not exist: check it, or ask the administration "
                "for another one.",
            )
        )
    if link.used_at is not None:
        raise SpentEnrolmentLinkError(
            text(
                "Ce lien d'enrôlement a déjà servi : un lien n'enrôle qu'un téléphone. "
                "Demandez-en un autre à l'administration.",
                "This enrolment link was already used: a link enrols one phone only. "
                "Ask the administration for another one.",
            )
        )
    if now > link.expires_at:
        raise SpentEnrolmentLinkError(
            text(
                "Ce lien d'enrôlement a expiré : demandez-en un autre à l'administration.",
                "This enrolment link has expired: ask the administration for another one.",
            )
        )
    return link


def _revoke_phone_passes(
    session: Session, site_id: str, person_id: str, now: datetime
) -> tuple[str, ...]:
    previous = session.scalars(
        select(CredentialRow.credential_id).where(
            CredentialRow.site_id == site_id,
            CredentialRow.person_id == person_id,
            CredentialRow.kind == CredentialKind.PHONE.value,
            CredentialRow.status == ACTIVE,
        )
    ).all()
    for credential_id in previous:
        revoke_credential(session, site_id, credential_id, reason=PHONE_REPLACED, now=now)
    return tuple(previous)


# The replay check of the in-process gate -------------------------------------------------


def used_codes(session: Session, site_id: str, *, now: datetime) -> frozenset[CodeStamp]:
    """The living codes used at the site that could still be accepted at ``now``: those
    of the last minute or so, a few hundred at most at a busy entrance."""
    rows = session.execute(
        select(SeenCodeRow.credential_id, SeenCodeRow.code_time).where(
            SeenCodeRow.site_id == site_id,
            SeenCodeRow.code_time >= now - CODE_WINDOW,
            SeenCodeRow.code_time <= now + CODE_WINDOW,
        )
    )
    return frozenset(CodeStamp(credential_id, when) for credential_id, when in rows)


def remember_code(session: Session, site_id: str, stamp: CodeStamp, *, now: datetime) -> bool:
    """Keeps ``stamp`` as used, and forgets the codes that can no longer be accepted;
    whether it was new (False: another passage used it first, at the same moment)."""
    session.execute(
        delete(SeenCodeRow).where(
            SeenCodeRow.site_id == site_id, SeenCodeRow.code_time < now - CODE_WINDOW
        )
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(SeenCodeRow)
        .values(
            site_id=site_id, credential_id=stamp.credential_id, code_time=stamp.time, seen_at=now
        )
        .on_conflict_do_nothing()
        .returning(SeenCodeRow.credential_id)
    ).first()
    return inserted is not None
