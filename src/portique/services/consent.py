"""Biometric consent: given by the person, or by a guardian for a minor; withdrawn at will.

Withdrawal revokes at once every credential of the person that carries a face template
and deletes their sealed templates from the central template store: the template lived
only there, so it becomes useless everywhere. With the site's keyring, each revoked
credential is replaced by a new one without template (same kind, same validity), so the
person goes on passing by credential and agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from portique.access import Consent, ConsentGiver
from portique.credentials import CredentialKind, Keyring
from portique.i18n import text
from portique.services.credentials import IssuedCredential, issue_credential
from portique.services.errors import ConsentError
from portique.services.people import guardian_problem
from portique.services.rows import (
    active_person_row,
    consent_from_row,
    get_person_row,
    local_date,
    person_from_row,
    site_row,
)
from portique.services.vault import delete_vault_rows
from portique.store import (
    ACTIVE,
    REVOKED,
    ConsentRow,
    CredentialRow,
    Credentials,
    People,
    Sites,
)

CONSENT_WITHDRAWN = "consent_withdrawn"
"""The revocation reason of credentials revoked by a consent withdrawal."""


@dataclass(frozen=True)
class ConsentRecord:
    """A consent as stored, and whether this call created it."""

    person_id: str
    giver: ConsentGiver
    given_by: str
    given_at: datetime
    created: bool


@dataclass(frozen=True)
class Withdrawal:
    """What a withdrawal did: when, which credentials it revoked, how many sealed
    templates it deleted from the central store, and the credentials issued in place
    of the revoked ones (without template)."""

    person_id: str
    withdrawn_at: datetime
    revoked: tuple[str, ...]
    reissued: tuple[IssuedCredential, ...] = ()
    vault_deleted: int = 0


def grant_consent(
    session: Session,
    site_id: str,
    person_id: str,
    *,
    by: str | None,
    now: datetime,
    giver: ConsentGiver | None = None,
) -> ConsentRecord:
    """Records a biometric opt-in.

    An adult consents for themselves (``by`` is None or their own id). A minor cannot:
    ``by`` must be one of their guardians (``giver`` PARENT by default, or
    LEGAL_GUARDIAN). A consent already in force is returned unchanged.

    Raises:
        ConsentError: a minor alone, a giver who is not a guardian, an adult for another.
        UnknownPersonError, PersonInputError: no such person, or no longer active.
    """
    site = site_row(session, site_id)
    row = active_person_row(session, site_id, person_id)
    people = People(session)
    guardians = people.guardian_ids(site_id, [person_id]).get(person_id, set())
    person = person_from_row(row, guardian_ids=guardians)
    minor = person.is_minor_on(local_date(site, now))
    if minor:
        if by is None or by not in guardians:
            raise ConsentError(
                text(
                    f"{person_id} est mineur : le consentement est donné par un représentant "
                    f"légal (--by, parmi : {', '.join(sorted(guardians)) or 'aucun enregistré'}).",
                    f"{person_id} is a minor: consent is given by a guardian (--by, one of: "
                    f"{', '.join(sorted(guardians)) or 'none recorded'}).",
                )
            )
        chosen = giver or ConsentGiver.PARENT
        if chosen is ConsentGiver.SELF:
            raise ConsentError(
                text("Un mineur ne peut pas consentir seul.", "A minor cannot consent alone.")
            )
        # The guardianship may predate the rule on guardians: it is checked again here.
        problem = guardian_problem(get_person_row(session, site_id, by), local_date(site, now))
        if problem is not None:
            raise ConsentError(problem)
        given_by = by
    else:
        if by not in (None, person_id) or giver not in (None, ConsentGiver.SELF):
            raise ConsentError(
                text(
                    f"{person_id} est majeur : lui seul peut consentir.",
                    f"{person_id} is an adult: only they can consent.",
                )
            )
        chosen, given_by = ConsentGiver.SELF, person_id

    current = people.consent(person_id)
    if current is not None and consent_from_row(current).is_effective(
        person, now, local_date(site, now)
    ):
        return ConsentRecord(
            person_id, ConsentGiver(current.giver), current.given_by, current.given_at, False
        )
    Consent(person_id, chosen, given_by, now)  # the domain's own checks (aware time)
    people.add_consent(
        ConsentRow(person_id=person_id, giver=chosen.value, given_by=given_by, given_at=now)
    )
    Sites(session).bump_version(site_id)
    return ConsentRecord(person_id, chosen, given_by, now, True)


def withdraw_consent(
    session: Session,
    site_id: str,
    person_id: str,
    *,
    by: str | None,
    now: datetime,
    keyring: Keyring | None = None,
    card: Literal["png", "pdf"] = "png",
    lang: str = "fr",
) -> Withdrawal:
    """Withdraws the person's consent, revokes every credential carrying a template and
    deletes the person's sealed templates from the central store.

    With ``keyring``, each revoked credential is replaced by a new one of the same kind
    and validity window, without template (its card rendered as ``card``).

    Raises:
        ConsentError: the person has no consent to withdraw and no template credential.
    """
    get_person_row(session, site_id, person_id)
    people = People(session)
    current = people.consent(person_id)
    revoked: list[CredentialRow] = []
    for credential in Credentials(session).of_person(person_id):
        if credential.has_template and credential.status == ACTIVE:
            credential.status = REVOKED
            credential.revoked_at = now
            credential.revocation_reason = CONSENT_WITHDRAWN
            revoked.append(credential)
    if current is not None and current.withdrawn_at is None:
        current.withdrawn_at = now
        current.withdrawn_by = by
    elif not revoked:
        raise ConsentError(
            text(
                f"{person_id} n'a pas de consentement en vigueur.",
                f"{person_id} has no consent in force.",
            )
        )
    vault_deleted = delete_vault_rows(session, person_id)
    reissued = []
    if keyring is not None:
        for credential in revoked:
            if credential.valid_until <= now:
                continue  # an expired credential needs no replacement
            reissued.append(
                issue_credential(
                    session,
                    site_id,
                    keyring,
                    person_id,
                    now=now,
                    card=card,
                    kind=CredentialKind(credential.kind),
                    window=(credential.valid_from, credential.valid_until),
                    lang=lang,
                )
            )
    Sites(session).bump_version(site_id)
    return Withdrawal(
        person_id,
        now,
        tuple(credential.credential_id for credential in revoked),
        tuple(reissued),
        vault_deleted,
    )
