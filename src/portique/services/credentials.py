"""Issuing credentials (with an optional face enrollment), revoking them, binding badges.

The face template is computed from the enrollment images in memory, sealed into the
credential payload and forgotten: the database only learns that the credential
``has_template``. A site with the central template store keeps the sealed template in
``template_vault`` instead, under a key that only the credential carries
(``portique.services.vault``). The images are read, never copied or kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.config import get_settings
from portique.credentials import (
    Claims,
    CredentialKind,
    Keyring,
    default_validity,
    new_credential_id,
    normalize_badge_uid,
    payload_to_text,
    qr_version,
    render_card,
    seal_template,
    sign_credential,
)
from portique.credentials.claims import EARLIEST as CLAIMS_EARLIEST
from portique.credentials.claims import LATEST as CLAIMS_LATEST
from portique.dates import DateRangeError, check_date
from portique.errors import BadInputError, ConfigurationError
from portique.files import write_private
from portique.i18n import text
from portique.services.errors import FaceNotAllowedError, UnknownCredentialError
from portique.services.rows import active_person_row, consent_in_force, local_date, site_row
from portique.services.settings import TemplateStore, change_settings, site_settings
from portique.services.vault import store_template
from portique.store import (
    ACTIVE,
    REVOKED,
    BadgeBindingRow,
    CredentialRow,
    Credentials,
    SiteRow,
    Sites,
)

if TYPE_CHECKING:
    from portique.biometrics import FaceEngine

FaceEngineFactory = Callable[[], "FaceEngine"]
CardFormat = Literal["png", "pdf"]
CARD_SUFFIXES: dict[str, CardFormat] = {".png": "png", ".pdf": "pdf"}
CARD_NOT_WRITTEN = "card_not_written"


def default_face_engine() -> FaceEngine:
    """The configured back end (shared in the process) at the configured operating point."""
    from portique.biometrics import FaceEngine, backend

    settings = get_settings()
    return FaceEngine(backend(settings.backend), operating_point_name=settings.operating_point)


def site_face_engine(model: str | None, factory: FaceEngineFactory) -> FaceEngine:
    """The engine for a site whose templates are of ``model``: ``factory``'s, except that
    the configured default gives way to the site's own model (chosen at ``init --face``)."""
    from portique.biometrics import FaceEngine, backend, backend_for_model

    engine = factory()
    if factory is default_face_engine and model is not None and engine.backend.model != model:
        settings = get_settings()
        engine = FaceEngine(
            backend(backend_for_model(model)), operating_point_name=settings.operating_point
        )
    return engine


def card_format(path: Path) -> CardFormat:
    """PNG or PDF, by the suffix of ``path``."""
    fmt = CARD_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise BadInputError(
            text(
                f"{path.name} : la carte s'écrit en .png ou en .pdf.",
                f"{path.name}: a card is written as .png or .pdf.",
            )
        )
    return fmt


def validity_window(
    timezone: str, today: date, valid_from: date | None, valid_until: date | None
) -> tuple[datetime, datetime]:
    """The window of a new credential: by default from today to the end of the school
    year (31 August); given dates run from the start of the first to the end of the last
    day, on the site's clock."""
    for given, what in ((valid_from, "valid_from"), (valid_until, "valid_until")):
        if given is not None:
            check_date(given, what)
    default_from, default_until = default_validity(today)
    zone = ZoneInfo(timezone)
    start = (
        default_from
        if valid_from is None
        else datetime.combine(valid_from, time.min, tzinfo=zone).astimezone(UTC)
    )
    end = (
        default_until
        if valid_until is None
        else datetime.combine(valid_until, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
    )
    if end < start:
        raise BadInputError(
            text(
                "La fin de validité précède son début.",
                "The end of validity comes before its start.",
            )
        )
    if start < CLAIMS_EARLIEST or end > CLAIMS_LATEST:
        # Cards carry their window in 32-bit seconds; badges are held to the same bounds.
        raise DateRangeError(
            text(
                f"Une validité va du {CLAIMS_EARLIEST:%d/%m/%Y} au {CLAIMS_LATEST:%d/%m/%Y} "
                "au plus.",
                f"A validity runs from {CLAIMS_EARLIEST:%Y-%m-%d} to {CLAIMS_LATEST:%Y-%m-%d} "
                "at most.",
            )
        )
    return start, end


def enroll_face(engine: FaceEngine, images: Sequence[Path]) -> npt.NDArray[np.float32]:
    """The template of a person from one or more photos: the mean of their templates,
    L2-normalised. Raises the first photo's error (its file name, never its content)."""
    from portique.biometrics import BiometricInputError, load_image

    settings = get_settings()
    vectors = []
    for path in images:
        try:
            image = load_image(
                path, max_pixels=settings.max_image_pixels, max_bytes=settings.max_image_bytes
            )
            vectors.append(engine.acquire(image).template.vector)
        except BiometricInputError as error:
            raise type(error)(f"{path.name}: {error.message}") from None
    mean = np.mean(np.stack(vectors), axis=0)
    norm = float(np.linalg.norm(mean))
    if not norm:
        raise BadInputError(
            text(
                "Les photos d'enrôlement se compensent exactement : prenez-en d'autres.",
                "The enrollment photos cancel each other out: take other ones.",
            )
        )
    template: npt.NDArray[np.float32] = (mean / norm).astype(np.float32)
    return template


@dataclass(frozen=True)
class IssuedCredential:
    """A new credential: its metadata, its text form (``PQ:...``) and its printable card."""

    credential_id: str
    person_id: str
    kind: CredentialKind
    valid_from: datetime
    valid_until: datetime
    key_id: str
    has_template: bool
    payload_text: str
    qr_version: int
    card: bytes = field(repr=False)
    card_format: CardFormat


def issue_credential(
    session: Session,
    site_id: str,
    keyring: Keyring,
    person_id: str,
    *,
    now: datetime,
    card: CardFormat = "png",
    faces: Sequence[Path] = (),
    kind: CredentialKind = CredentialKind.CARD,
    valid_from: date | None = None,
    valid_until: date | None = None,
    window: tuple[datetime, datetime] | None = None,
    face_engine: FaceEngineFactory = default_face_engine,
    lang: str = "fr",
) -> IssuedCredential:
    """Issues a signed credential to a person, with their face template when ``faces``.

    ``window`` gives the exact validity (a visitor's time-boxed pass) instead of whole
    days from ``valid_from`` to ``valid_until``.

    A face is enrolled only when the site offers face comparison and the person's
    consent (a guardian's for a minor) is in force; the site's face model is fixed by
    its first enrollment.

    Raises:
        UnknownPersonError, PersonInputError: no such person, or not active.
        FaceNotAllowedError: faces given without consent, or the site opted out.
        BiometricInputError: a photo without a usable face.
    """
    if kind is CredentialKind.PHONE:
        raise BadInputError(
            text(
                "Un titre sur téléphone s'enrôle depuis le téléphone : donnez à la personne "
                "un lien d'enrôlement (`portique credential phone-link`, ou sa fiche dans la "
                "console).",
                "A phone pass is enrolled from the phone: give the person an enrolment link "
                "(`portique credential phone-link`, or their page in the console).",
            )
        )
    site = site_row(session, site_id)
    person = active_person_row(session, site_id, person_id)
    today = local_date(site, now)
    start, end = window or validity_window(site.timezone, today, valid_from, valid_until)
    credential_id = new_credential_id()
    sealed = vault_key = None
    if faces:
        template = _enrolled_template(session, site, person_id, faces, now, face_engine)
        sealed, vault_key = _keep_template(
            session, site, keyring, credential_id, person_id, template, now
        )
    claims = Claims(
        credential_id=credential_id,
        person_id=person_id,
        site_id=site_id,
        kind=kind,
        valid_from=start,
        valid_until=end,
        key_id=keyring.active_key_id,
        sealed_template=sealed,
        vault_key=vault_key,
    )
    payload = sign_credential(claims, keyring.signing_key())
    name = f"{person.first_name} {person.last_name}"
    card_bytes = render_card(payload, name, site.name, claims.valid_until, fmt=card, lang=lang)
    model = site_settings(site).face_model if faces else None
    store_credential(session, claims, issued_at=now, template_model=model)
    return IssuedCredential(
        credential_id=credential_id,
        person_id=person_id,
        kind=kind,
        valid_from=claims.valid_from,
        valid_until=claims.valid_until,
        key_id=claims.key_id,
        has_template=claims.has_template,
        payload_text=payload_to_text(payload),
        qr_version=qr_version(payload),
        card=card_bytes,
        card_format=card,
    )


def _enrolled_template(
    session: Session,
    site: SiteRow,
    person_id: str,
    faces: Sequence[Path],
    now: datetime,
    face_engine: FaceEngineFactory,
) -> npt.NDArray[np.float32]:
    """The person's template from ``faces``, once the site and the person allow it; the
    site's face model is fixed by its first enrollment.

    Raises:
        FaceNotAllowedError: the site opted out, or no consent in force.
        ConfigurationError: the configured back end is not the site's model.
    """
    settings = site_settings(site)
    if not settings.face_enabled:
        raise FaceNotAllowedError(
            text(
                "L'établissement n'a pas activé la comparaison faciale.",
                "Face comparison is not enabled at this site.",
            )
        )
    if not consent_in_force(session, site.site_id, person_id, now):
        raise FaceNotAllowedError(
            text(
                f"Pas de consentement en vigueur pour {person_id} : enregistrez-le d'abord "
                "(`portique consent grant`, par un représentant légal pour un mineur). "
                "Le titre peut être délivré sans visage.",
                f"No consent in force for {person_id}: record it first (`portique consent "
                "grant`, by a guardian for a minor). The credential can be issued without "
                "a face.",
            )
        )
    engine = site_face_engine(settings.face_model, face_engine)
    model, enrolled = engine.backend.model, settings.face_model
    if enrolled is None:
        change_settings(site, face_model=model)
    elif enrolled != model:
        raise ConfigurationError(
            text(
                f"Les gabarits de l'établissement viennent du modèle {enrolled} ; le "
                f"moteur configuré utilise {model}. Changez PORTIQUE_BACKEND.",
                f"The site's templates come from model {enrolled}; the configured "
                f"back end uses {model}. Change PORTIQUE_BACKEND.",
            )
        )
    return enroll_face(engine, faces)


def _keep_template(
    session: Session,
    site: SiteRow,
    keyring: Keyring,
    credential_id: str,
    person_id: str,
    template: npt.NDArray[np.float32],
    now: datetime,
) -> tuple[bytes | None, bytes | None]:
    """Where the template goes: (sealed template, None) to seal it into the credential
    (the default), or (None, its key) for the central store, which keeps it sealed."""
    if site_settings(site).template_store is TemplateStore.CENTRAL:
        key = store_template(session, site.site_id, person_id, credential_id, template, now=now)
        return None, key
    return seal_template(template, keyring.template_key(), credential_id, person_id), None


def store_credential(
    session: Session, claims: Claims, *, issued_at: datetime, template_model: str | None = None
) -> None:
    """Records the credential (never its payload or template) and bumps the snapshot."""
    Credentials(session).add(
        CredentialRow(
            credential_id=claims.credential_id,
            site_id=claims.site_id,
            person_id=claims.person_id,
            kind=claims.kind.value,
            valid_from=claims.valid_from,
            valid_until=claims.valid_until,
            key_id=claims.key_id,
            status=ACTIVE,
            issued_at=issued_at,
            has_template=claims.has_template,
            face_model=template_model if claims.has_template else None,
        )
    )
    Sites(session).bump_version(claims.site_id)


def write_card(path: Path, card: bytes) -> None:
    """Writes a card file atomically, owner-only (0600, its new folders 0700): it carries
    a name and the credential itself."""
    try:
        write_private(path, card)
    except OSError as exc:
        raise BadInputError(
            text(
                f"Impossible d'écrire la carte {path} : {exc.strerror or exc}.",
                f"Cannot write the card {path}: {exc.strerror or exc}.",
            )
        ) from None


@dataclass(frozen=True)
class RevocationRecord:
    """A revoked credential; ``changed`` is False when it was revoked already."""

    credential_id: str
    person_id: str
    revoked_at: datetime
    reason: str
    changed: bool


def revoke_credential(
    session: Session, site_id: str, credential_id: str, *, reason: str, now: datetime
) -> RevocationRecord:
    """Revokes a credential (a card, a phone code or a badge): refused at every lane from
    the next snapshot on. Revoking twice keeps the first revocation."""
    credential = Credentials(session).get(site_id, credential_id)
    if credential is None:
        raise UnknownCredentialError(
            text(
                f"Aucun titre d'accès {credential_id!r} dans l'établissement.",
                f"No credential {credential_id!r} at this site.",
            )
        )
    if credential.status == REVOKED:
        return RevocationRecord(
            credential_id,
            credential.person_id,
            credential.revoked_at or now,
            credential.revocation_reason or "",
            False,
        )
    credential.status = REVOKED
    credential.revoked_at = now
    credential.revocation_reason = reason
    Sites(session).bump_version(site_id)
    return RevocationRecord(credential_id, credential.person_id, now, reason, True)


@dataclass(frozen=True)
class BadgeRecord:
    """A badge bound to a person through a badge credential."""

    credential_id: str
    person_id: str
    badge_uid: str
    valid_from: datetime
    valid_until: datetime


def bind_badge(
    session: Session,
    site_id: str,
    person_id: str,
    uid: str,
    *,
    now: datetime,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> BadgeRecord:
    """Binds a badge UID to a person, as a badge credential with the same validity and
    revocation rules as a card. A UID whose credential was revoked can be bound again.

    Raises:
        InvalidBadgeUidError: not a UID. BadInputError: the UID is bound and in force.
    """
    site = site_row(session, site_id)
    active_person_row(session, site_id, person_id)
    badge_uid = normalize_badge_uid(uid)
    credentials = Credentials(session)
    bound = credentials.binding(site_id, badge_uid)
    if bound is not None:
        previous = credentials.get(site_id, bound.credential_id)
        if previous is not None and previous.status != REVOKED:
            raise BadInputError(
                text(
                    f"Le badge {badge_uid} est déjà lié au titre {bound.credential_id} : "
                    "révoquez-le d'abord.",
                    f"Badge {badge_uid} is already bound to credential {bound.credential_id}: "
                    "revoke it first.",
                )
            )
        session.delete(bound)
        session.flush()
    start, end = validity_window(site.timezone, local_date(site, now), valid_from, valid_until)
    credential_id = new_credential_id()
    credentials.add(
        CredentialRow(
            credential_id=credential_id,
            site_id=site_id,
            person_id=person_id,
            kind=CredentialKind.BADGE.value,
            valid_from=start,
            valid_until=end,
            key_id=None,
            status=ACTIVE,
            issued_at=now,
            has_template=False,
        )
    )
    credentials.add_binding(
        BadgeBindingRow(
            site_id=site_id,
            badge_uid=badge_uid,
            credential_id=credential_id,
            person_id=person_id,
        )
    )
    Sites(session).bump_version(site_id)
    return BadgeRecord(credential_id, person_id, badge_uid, start, end)


@dataclass(frozen=True)
class Reenrolment:
    """A credential in force whose template is not of the site's current face model."""

    person_id: str
    credential_id: str
    template_model: str
    valid_until: datetime


def template_model_of(session: Session, site_id: str, credential_id: str) -> str | None:
    """The model of the template a credential carries (``StoredSettings.template_model``);
    None when the site no longer opens that model."""
    settings = site_settings(site_row(session, site_id))
    row = session.get(CredentialRow, credential_id)
    model = settings.template_model(row.face_model if row is not None else None)
    return model if model in (settings.face_model, settings.previous_face_model) else None


def previous_model_credentials(session: Session, site_id: str) -> frozenset[str]:
    """During a change of the site's face model, the credentials in force whose templates
    are of the previous model (``StoredSettings.template_model``); the lanes open those
    with it. Empty when no change is under way."""
    settings = site_settings(site_row(session, site_id))
    previous = settings.previous_face_model
    if previous is None:
        return frozenset()
    rows = session.execute(
        select(CredentialRow.credential_id, CredentialRow.face_model).where(
            CredentialRow.site_id == site_id,
            CredentialRow.status == ACTIVE,
            CredentialRow.has_template.is_(True),
        )
    )
    return frozenset(
        credential_id
        for credential_id, recorded in rows
        if settings.template_model(recorded) == previous
    )


def reenrol_list(session: Session, site_id: str, *, now: datetime) -> list[Reenrolment]:
    """Who must re-enrol: people whose credentials in force carry templates of a model
    other than the site's (during a change of model) and none of the site's model; each
    such credential, by person. Someone issued a new credential leaves the list."""
    settings = site_settings(site_row(session, site_id))
    if settings.face_model is None:
        return []
    rows = session.scalars(
        select(CredentialRow)
        .where(
            CredentialRow.site_id == site_id,
            CredentialRow.status == ACTIVE,
            CredentialRow.has_template.is_(True),
            CredentialRow.valid_until >= now,
        )
        .order_by(CredentialRow.person_id, CredentialRow.credential_id)
    )
    found = []
    current: set[str] = set()
    for row in rows:
        model = settings.template_model(row.face_model)
        if model == settings.face_model:
            current.add(row.person_id)
        elif model is not None:
            found.append(Reenrolment(row.person_id, row.credential_id, model, row.valid_until))
    return [r for r in found if r.person_id not in current]
