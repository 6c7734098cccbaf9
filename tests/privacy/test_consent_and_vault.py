"""Consent withdrawal leaves no usable template, and the central template store cannot
be opened by the server alone: only with the presented credential."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from privacy_support import enrolled, frame_of
from sqlalchemy import inspect, select

from portique.access import Outcome, Reason
from portique.credentials import (
    CredentialError,
    CredentialKind,
    open_credential_template,
    open_template,
    payload_from_text,
    verify_credential,
)
from portique.lane.face import credential_template
from portique.services import withdraw_consent
from portique.services.rows import site_row
from portique.services.settings import TemplateStore
from portique.services.vault import set_template_store, vault_lookup
from portique.store import Base, TemplateVaultRow
from school_support import School


def _use_store(school: School, store: TemplateStore) -> None:
    with school.site.session() as session:
        set_template_store(site_row(session, school.site_id), store)


def _claims(school: School, payload_text: str):  # type: ignore[no-untyped-def]
    keyring = school.site.keyring()
    return verify_credential(payload_from_text(payload_text), keyring.verifiers(), school.site_id)


def _every_stored_byte(school: School) -> bytes:
    """Every value of every row of every table, as one blob to search."""
    blob = bytearray()
    with school.site.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                for value in row:
                    blob += value if isinstance(value, bytes) else repr(value).encode()
    return bytes(blob)


@pytest.mark.parametrize("store", list(TemplateStore))
def test_withdrawal_leaves_no_usable_template(
    school: School, lfw_images: Path, store: TemplateStore
) -> None:
    _use_store(school, store)
    student, old_card = enrolled(school, lfw_images)
    old = _claims(school, old_card)
    granted = school.pass_("entree", old_card, face=frame_of(lfw_images, "Colin_Powell", 2))
    assert granted.decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)

    with school.site.session() as session:
        withdrawal = withdraw_consent(
            session,
            school.site_id,
            student,
            by=student,
            now=school.now,
            keyring=school.site.keyring(),
        )
    assert withdrawal.revoked == (old.credential_id,)
    (new,) = withdrawal.reissued
    assert not new.has_template
    assert (new.kind, new.valid_from, new.valid_until) == (
        CredentialKind.CARD,
        old.valid_from,
        old.valid_until,
    )

    refused = school.pass_("entree", old_card, face=frame_of(lfw_images, "Colin_Powell", 2))
    assert refused.decision.outcome is Outcome.DENY
    assert Reason.REVOKED in refused.decision.reasons
    assert not refused.face_compared

    next_week = school.at(10, day=school.day + timedelta(days=7))  # not a re-entry
    passes = school.pass_("entree", new.payload_text, at=next_week)
    assert passes.decision.outcome is Outcome.GRANT
    assert not passes.face_requested

    # Nothing the server holds opens the old template: no sealed bytes are left in the
    # database, and a key of the store never reached it.
    with school.site.session() as session:
        vault = select(TemplateVaultRow).where(TemplateVaultRow.site_id == school.site_id)
        assert session.scalars(vault).all() == []
    if old.vault_key is not None:
        lookup = vault_lookup(school.site.database, school.site_id)
        assert open_credential_template(old, {}, lookup) is None
        assert old.vault_key not in _every_stored_byte(school)
        assert old.vault_key.hex() not in _every_stored_byte(school).decode("latin-1")


def test_the_central_store_opens_only_with_the_presented_credential(
    school: School, lfw_images: Path
) -> None:
    _use_store(school, TemplateStore.CENTRAL)
    student, card = enrolled(school, lfw_images)
    claims = _claims(school, card)
    assert claims.sealed_template is None and claims.vault_key is not None

    with school.site.session() as session:
        (row,) = session.scalars(
            select(TemplateVaultRow).where(TemplateVaultRow.site_id == school.site_id)
        ).all()
        sealed = bytes(row.sealed)
        assert (row.credential_id, row.person_id) == (claims.credential_id, student)
        assert inspect(row).mapper.columns.keys() == [
            "credential_id",
            "site_id",
            "person_id",
            "sealed",
            "created_at",
        ]
    # The database and every key of the site's keyring: not enough.
    for key in school.site.keyring().template_keys().values():
        with pytest.raises(CredentialError):
            open_template(sealed, key, claims.credential_id, student)
    assert claims.vault_key not in _every_stored_byte(school)
    for path in school.site.keys_dir.iterdir():
        assert claims.vault_key not in path.read_bytes()
    # With the presented credential: it opens.
    template = open_template(sealed, claims.vault_key, claims.credential_id, student)
    assert template.shape == (128,)

    match = school.pass_("entree", card, face=frame_of(lfw_images, "Colin_Powell", 2))
    assert match.decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)
    next_week = school.at(10, day=school.day + timedelta(days=7))  # not a re-entry
    impostor = school.pass_(
        "entree", card, at=next_week, face=frame_of(lfw_images, "Tony_Blair", 1)
    )
    assert impostor.decision.outcome is Outcome.REFER
    assert Reason.FACE_MISMATCH in impostor.decision.reasons


def test_a_lane_that_reaches_the_store_opens_the_template_and_others_refer(
    school: School, lfw_images: Path
) -> None:
    _use_store(school, TemplateStore.CENTRAL)
    _, card = enrolled(school, lfw_images)
    claims = _claims(school, card)
    keys = school.site.keyring().template_keys()
    model = school.face_engine.backend.model
    lookup = vault_lookup(school.site.database, school.site_id)
    template = credential_template(claims, keys, model, lookup)
    assert template is not None and template.model == model
    assert credential_template(claims, keys, model) is None  # no store: the agent decides
