"""Consent (a guardian's for a minor), face enrollment only with it, revocation and badges."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from portique.access import ConsentGiver
from portique.biometrics import NoFaceError
from portique.credentials import InvalidBadgeUidError, qr_version
from portique.errors import BadInputError
from portique.services import (
    ConsentError,
    FaceNotAllowedError,
    UnknownCredentialError,
    UnknownPersonError,
    bind_badge,
    consent_in_force,
    grant_consent,
    revoke_credential,
    withdraw_consent,
)
from portique.services.rows import site_row
from portique.services.settings import site_settings
from portique.store import CredentialRow
from school_support import School
from support import lfw_face


def test_a_minor_cannot_consent_alone(school: School) -> None:
    student = school.student()
    with pytest.raises(ConsentError, match="p-"), school.site.session() as session:
        grant_consent(session, school.site_id, student, by=None, now=school.now)


def test_only_a_recorded_guardian_consents_for_a_minor(school: School) -> None:
    parent, stranger = school.parent(), school.parent()
    student = school.student(guardian=parent)
    with pytest.raises(ConsentError), school.site.session() as session:
        grant_consent(session, school.site_id, student, by=stranger, now=school.now)
    with school.site.session() as session:
        record = grant_consent(session, school.site_id, student, by=parent, now=school.now)
        assert record.giver is ConsentGiver.PARENT and record.given_by == parent
        assert consent_in_force(session, school.site_id, student, school.now)


def test_an_adult_consents_for_themself_and_nobody_else_can(school: School) -> None:
    adult, other = school.staff(), school.staff()
    with pytest.raises(ConsentError), school.site.session() as session:
        grant_consent(session, school.site_id, adult, by=other, now=school.now)
    with school.site.session() as session:
        record = grant_consent(session, school.site_id, adult, by=None, now=school.now)
    assert record.giver is ConsentGiver.SELF and record.created
    with school.site.session() as session:
        again = grant_consent(session, school.site_id, adult, by=adult, now=school.now)
    assert not again.created


def test_a_face_is_never_enrolled_without_consent_and_no_photo_is_read(school: School) -> None:
    student = school.student()
    with pytest.raises(FaceNotAllowedError):
        school.issue(student, faces=(Path("/nonexistent/photo.jpg"),))
    with school.site.session() as session:
        assert session.query(CredentialRow).filter_by(person_id=student).count() == 0


def test_a_site_that_opted_out_enrolls_no_face(school: School, lfw_images: Path) -> None:
    staff = school.staff()
    school.consent(staff)
    with school.site.session() as session:
        site = site_row(session, school.site_id)
        site.settings = {**site.settings, "face_enabled": False}
    with pytest.raises(FaceNotAllowedError):
        school.issue(staff, faces=(lfw_face(lfw_images, "Colin_Powell", 1),))


def test_enrollment_records_only_that_a_template_exists_and_fixes_the_sites_model(
    school: School, lfw_images: Path
) -> None:
    staff = school.staff()
    school.consent(staff)
    card = school.issue(staff, faces=(lfw_face(lfw_images, "Colin_Powell", 1),))
    with school.site.session() as session:
        row = session.get(CredentialRow, card.credential_id)
        assert row is not None and row.has_template
        assert site_settings(site_row(session, school.site_id)).face_model == "dlib-resnet-v1"
    assert card.card.startswith(b"\x89PNG") and qr_version(b"x") <= card.qr_version <= 13


def test_a_photo_without_a_face_is_refused_by_name(
    school: School, lfw_images: Path, tmp_path: Path
) -> None:
    staff = school.staff()
    school.consent(staff)
    blank = tmp_path / "wall.png"
    Image.new("RGB", (320, 240), (90, 90, 90)).save(blank)
    with pytest.raises(NoFaceError, match=r"wall\.png"):
        school.issue(staff, faces=(lfw_face(lfw_images, "Colin_Powell", 1), blank))
    with school.site.session() as session:
        assert session.query(CredentialRow).filter_by(person_id=staff).count() == 0


def test_withdrawal_revokes_every_credential_carrying_a_template_and_only_those(
    school: School, lfw_images: Path
) -> None:
    parent = school.parent()
    student = school.student(guardian=parent)
    school.consent(student, by=parent)
    with_face = school.issue(student, faces=(lfw_face(lfw_images, "Colin_Powell", 1),))
    without_face = school.issue(student)
    with school.site.session() as session:
        withdrawal = withdraw_consent(session, school.site_id, student, by=parent, now=school.now)
        assert withdrawal.revoked == (with_face.credential_id,)
        assert not consent_in_force(session, school.site_id, student, school.now)
        kept = session.get(CredentialRow, without_face.credential_id)
        assert kept is not None and kept.status == "active"
    with pytest.raises(ConsentError), school.site.session() as session:
        withdraw_consent(session, school.site_id, student, by=parent, now=school.now)


def test_revoking_twice_keeps_the_first_revocation(school: School) -> None:
    card = school.issue(school.staff())
    with school.site.session() as session:
        first = revoke_credential(
            session, school.site_id, card.credential_id, reason="lost", now=school.now
        )
        second = revoke_credential(
            session, school.site_id, card.credential_id, reason="left", now=school.now
        )
    assert first.changed and not second.changed and second.reason == "lost"


def test_unknown_people_and_credentials_are_named_in_the_error(school: School) -> None:
    with pytest.raises(UnknownPersonError, match="p-nobody"):
        school.issue("p-nobody")
    with pytest.raises(UnknownCredentialError, match="nothere"), school.site.session() as session:
        revoke_credential(session, school.site_id, "nothere", reason="lost", now=school.now)


def test_a_badge_in_force_cannot_be_bound_twice_but_can_after_revocation(school: School) -> None:
    first, second = school.staff(), school.staff()
    with school.site.session() as session:
        badge = bind_badge(session, school.site_id, first, "04:A2:B3:C4", now=school.now)
    with pytest.raises(BadInputError), school.site.session() as session:
        bind_badge(session, school.site_id, second, "04a2b3c4", now=school.now)
    with school.site.session() as session:
        revoke_credential(
            session, school.site_id, badge.credential_id, reason="lost", now=school.now
        )
        rebound = bind_badge(session, school.site_id, second, "04a2b3c4", now=school.now)
    assert rebound.person_id == second and rebound.badge_uid == "04:A2:B3:C4"


def test_a_badge_uid_that_is_not_one_is_refused(school: School) -> None:
    with pytest.raises(InvalidBadgeUidError), school.site.session() as session:
        bind_badge(session, school.site_id, school.staff(), "xyz", now=school.now)
