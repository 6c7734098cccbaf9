"""The central template store: templates kept by the server, sealed with keys it never holds.

For schools that cannot hand out cards carrying the template. At enrollment the template
is sealed (AES-256-GCM, bound to the credential and person ids) with a fresh random key;
the sealed bytes go to ``template_vault`` and the key goes only into the person's
credential payload (format version 2). When the credential is presented, its one entry
is fetched by credential id (never searched) and opened with the key it carries. The
database and the site's keyring together cannot open any entry.
"""

from __future__ import annotations

from datetime import datetime

import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.credentials import VaultLookup, new_template_key, seal_template
from portique.errors import BadInputError
from portique.i18n import text
from portique.services.settings import TemplateStore, change_settings
from portique.store import (
    ACTIVE,
    CredentialRow,
    Database,
    SiteRow,
    TemplateVaultRow,
    find_at_site,
)


def parse_template_store(value: str) -> TemplateStore:
    """``card`` or ``central``, as typed by a user."""
    try:
        return TemplateStore(value.strip().lower())
    except ValueError:
        raise BadInputError(
            text(
                f"« {value} » : le stockage des gabarits est card (sur la carte) ou central.",
                f"{value!r}: the template store is card (on the card) or central.",
            )
        ) from None


def set_template_store(site: SiteRow, store: TemplateStore) -> None:
    """Chooses where the site's new templates are kept; templates already issued stay
    where they are until their credential ends."""
    change_settings(site, template_store=store.value)


def store_template(
    session: Session,
    site_id: str,
    person_id: str,
    credential_id: str,
    template: npt.ArrayLike,
    *,
    now: datetime,
) -> bytes:
    """Seals ``template`` into the central store for one credential and returns its key,
    to be carried by that credential only (the caller must not keep it)."""
    key = new_template_key()
    session.add(
        TemplateVaultRow(
            credential_id=credential_id,
            site_id=site_id,
            person_id=person_id,
            sealed=seal_template(template, key, credential_id, person_id),
            created_at=now,
        )
    )
    return key


def sealed_templates(session: Session, site_id: str) -> dict[str, bytes]:
    """The site's central store as its lanes carry it: the sealed template of every active
    credential, by credential id (still sealed: each key is in its credential only)."""
    rows = session.execute(
        select(TemplateVaultRow.credential_id, TemplateVaultRow.sealed)
        .join(CredentialRow, CredentialRow.credential_id == TemplateVaultRow.credential_id)
        .where(TemplateVaultRow.site_id == site_id, CredentialRow.status == ACTIVE)
    )
    return {credential_id: bytes(sealed) for credential_id, sealed in rows}


def vault_lookup(source: Database | Session, site_id: str) -> VaultLookup:
    """The store of one site as a lane sees it: credential id → sealed bytes, or None.

    Given a session, the lookup reads inside that transaction (a SQLite writer must not
    wait on itself); given the database, each lookup is a short transaction of its own.
    """

    def read(session: Session, credential_id: str) -> bytes | None:
        row = find_at_site(session, TemplateVaultRow, credential_id, site_id)
        if row is None:
            return None
        return bytes(row.sealed)

    def lookup(credential_id: str) -> bytes | None:
        if isinstance(source, Session):
            return read(source, credential_id)
        with source.session() as session:
            return read(session, credential_id)

    return lookup


def delete_vault_rows(session: Session, person_id: str) -> int:
    """Deletes every sealed template of the person from the central template store."""
    rows = list(
        session.scalars(select(TemplateVaultRow).where(TemplateVaultRow.person_id == person_id))
    )
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
