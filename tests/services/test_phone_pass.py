"""Phone passes at the site: one-time enrolment links, enrolment, revocation by a new
phone, and the in-process gate's replay check kept in the database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portique.access import Outcome, QrPayload, Reason
from portique.credentials import (
    CredentialKind,
    HolderAlgorithm,
    PhoneKey,
    payload_to_text,
    verify_credential,
)
from portique.errors import BadInputError
from portique.privacy.audit import entries
from portique.services import (
    EnrolledPhone,
    EnrolmentLink,
    PersonInputError,
    SpentEnrolmentLinkError,
    UnknownEnrolmentLinkError,
    create_enrolment_link,
    enrol_phone,
    revoke_credential,
)
from portique.services.phone import PHONE_REPLACED, token_hash
from portique.store import CredentialRow, PersonRow, PhoneEnrolmentRow, SeenCodeRow
from school_support import School


def _link(school: School, person_id: str, **options: object) -> EnrolmentLink:
    with school.site.session() as session:
        return create_enrolment_link(session, school.site_id, person_id, now=school.now, **options)  # type: ignore[arg-type]


def _enrol(
    school: School, link: EnrolmentLink, phone: PhoneKey, at: datetime | None = None
) -> EnrolledPhone:
    with school.site.session() as session:
        return enrol_phone(
            session,
            school.site_id,
            school.site.keyring(),
            link.token,
            phone.holder_key,
            now=at or school.now,
        )


def _shown(school: School, enrolled: EnrolledPhone, phone: PhoneKey, at: datetime) -> QrPayload:
    return QrPayload(
        phone.living_code(
            enrolled.payload, site_id=school.site_id, credential_id=enrolled.credential_id, at=at
        )
    )


@pytest.fixture
def phone() -> PhoneKey:
    return PhoneKey()


# Enrolment links ----------------------------------------------------------------------


def test_a_link_carries_its_secret_in_the_fragment_and_the_database_only_its_hash(
    school: School,
) -> None:
    link = _link(school, school.staff())
    assert link.url("https://portique.lycee.fr/") == (
        f"https://portique.lycee.fr/phone/#enrol={link.token}"
    )
    assert len(link.token) >= 43  # 256 bits in URL-safe Base64
    with school.site.session() as session:
        row = session.get(PhoneEnrolmentRow, link.enrolment_id)
        assert row is not None
        assert row.token_hash == token_hash(link.token) != link.token
        assert row.expires_at == school.now + timedelta(hours=1)
        stored = repr(
            session.execute(
                select(PhoneEnrolmentRow.__table__).where(
                    PhoneEnrolmentRow.site_id == school.site_id
                )
            ).all()
        )
    assert link.token not in stored
    assert link.token not in repr(link)


def test_two_links_are_never_the_same(school: School) -> None:
    person = school.staff()
    assert _link(school, person).token != _link(school, person).token


def test_making_and_using_a_link_are_audited_without_the_secret(
    school: School, phone: PhoneKey
) -> None:
    link = _link(school, school.staff())
    _enrol(school, link, phone)
    with school.site.session() as session:
        logged = [e for e in entries(session, school.site_id) if e.action.startswith("phone_")]
    assert [e.action for e in logged] == ["phone_enrolments.create", "phone_enrolments.update"]
    assert logged[0].details["after"]["token_hash"] == "[redacted]"
    assert logged[1].details["after"]["credential_id"] is not None
    assert link.token not in repr(logged)
    assert token_hash(link.token) not in repr(logged)


@pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(days=8)])
def test_a_link_lasts_minutes_to_a_week(school: School, lifetime: timedelta) -> None:
    with pytest.raises(BadInputError, match=r"sept jours|seven days"):
        _link(school, school.staff(), lifetime=lifetime)


def test_no_link_for_someone_who_left(school: School) -> None:
    person = school.staff()
    with school.site.session() as session:
        row = session.get(PersonRow, person)
        assert row is not None
        row.active = False
    with pytest.raises(PersonInputError):
        _link(school, person)


# Enrolling a phone --------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", list(HolderAlgorithm))
def test_a_phone_enrols_with_its_public_key_and_gets_a_signed_pass(
    school: School, algorithm: HolderAlgorithm
) -> None:
    person = school.staff()
    phone = PhoneKey(algorithm)
    enrolled = _enrol(school, _link(school, person), phone)
    claims = verify_credential(enrolled.payload, school.site.keyring().verifiers(), school.site_id)
    assert claims.kind is CredentialKind.PHONE
    assert claims.holder_key == phone.holder_key
    assert claims.person_id == person == enrolled.person_id
    assert enrolled.display_name == "Camille Martin"
    assert enrolled.site_name == "Lycée Victor Hugo"
    # It ends with the school year, like a card.
    assert (enrolled.valid_until.month, enrolled.valid_until.day) in ((8, 31), (9, 1))
    assert enrolled.qr_version <= 12
    with school.site.session() as session:
        row = session.get(CredentialRow, enrolled.credential_id)
        assert row is not None and row.kind == "phone" and row.status == "active"


def test_a_link_enrols_one_phone_only(school: School, phone: PhoneKey) -> None:
    link = _link(school, school.staff())
    _enrol(school, link, phone)
    with pytest.raises(SpentEnrolmentLinkError, match=r"déjà servi|already used"):
        _enrol(school, link, PhoneKey())


def test_an_expired_link_enrols_nothing(school: School, phone: PhoneKey) -> None:
    link = _link(school, school.staff(), lifetime=timedelta(minutes=10))
    with pytest.raises(SpentEnrolmentLinkError, match=r"expiré|expired"):
        _enrol(school, link, phone, at=school.now + timedelta(minutes=11))
    with school.site.session() as session:
        issued = session.scalar(select(func.count()).where(CredentialRow.site_id == school.site_id))
    assert issued == 0


@pytest.mark.parametrize("token", ["", "x" * 43, "x" * 10_000])
def test_a_made_up_link_enrols_nothing(school: School, phone: PhoneKey, token: str) -> None:
    school.staff()
    with school.site.session() as session, pytest.raises(UnknownEnrolmentLinkError):
        enrol_phone(
            session, school.site_id, school.site.keyring(), token, phone.holder_key, now=school.now
        )


def test_a_link_of_another_site_enrols_nothing(school: School, phone: PhoneKey) -> None:
    link = _link(school, school.staff())
    with school.site.session() as session, pytest.raises(UnknownEnrolmentLinkError):
        enrol_phone(
            session,
            "lycee-other",
            school.site.keyring(),
            link.token,
            phone.holder_key,
            now=school.now,
        )


def test_a_new_phone_replaces_the_old_one(school: School) -> None:
    person = school.staff()
    old_phone, new_phone = PhoneKey(), PhoneKey()
    old = _enrol(school, _link(school, person), old_phone)
    new = _enrol(school, _link(school, person), new_phone)
    assert new.replaced == (old.credential_id,)
    with school.site.session() as session:
        row = session.get(CredentialRow, old.credential_id)
        assert row is not None and row.status == "revoked"
        assert row.revocation_reason == PHONE_REPLACED
    at = school.at(10)
    refused = school.pass_("entree", _shown(school, old, old_phone, at), at)
    assert refused.decision.outcome is Outcome.DENY
    assert Reason.REVOKED in refused.decision.reasons
    later = at + timedelta(seconds=5)
    assert school.pass_("entree", _shown(school, new, new_phone, later), later).decision.granted


def test_a_phone_pass_is_not_issued_like_a_card(school: School) -> None:
    with pytest.raises(BadInputError, match="phone-link"):
        school.issue(school.staff(), kind=CredentialKind.PHONE)


# At the gate ------------------------------------------------------------------------------


def test_a_fresh_code_is_granted_and_the_same_code_again_is_a_replay(
    school: School, phone: PhoneKey
) -> None:
    enrolled = _enrol(school, _link(school, school.staff()), phone)
    shown = school.at(10)
    code = _shown(school, enrolled, phone, shown)
    first = school.pass_("entree", code, shown + timedelta(seconds=2))
    assert first.decision.granted
    assert first.decision.credential_id == enrolled.credential_id
    second = school.pass_("entree", code, shown + timedelta(seconds=4))
    assert second.decision.outcome is Outcome.DENY
    assert second.decision.reasons == (Reason.REPLAYED_CODE,)
    assert second.decision.alert
    # The same code at another lane of the site is a replay too: the memory is the site's.
    third = school.pass_("sortie", code, shown + timedelta(seconds=6))
    assert third.decision.reasons == (Reason.REPLAYED_CODE,)


def test_the_replay_memory_holds_across_gates(school: School, phone: PhoneKey) -> None:
    """Two processes (two runs of `portique pass`) share the site's database."""
    from portique.services import Gate

    enrolled = _enrol(school, _link(school, school.staff()), phone)
    shown = school.at(10)
    code = _shown(school, enrolled, phone, shown)
    assert Gate(school.site).pass_through("entree", code, at=shown).decision.granted
    again = Gate(school.site).pass_through("entree", code, at=shown)
    assert again.decision.reasons == (Reason.REPLAYED_CODE,)


def test_a_code_a_minute_old_is_stale(school: School, phone: PhoneKey) -> None:
    enrolled = _enrol(school, _link(school, school.staff()), phone)
    shown = school.at(10)
    report = school.pass_(
        "entree", _shown(school, enrolled, phone, shown), shown + timedelta(seconds=60)
    )
    assert report.decision.outcome is Outcome.DENY
    assert report.decision.reasons == (Reason.STALE_CODE,)


def test_a_code_made_by_another_phone_is_refused_as_a_forgery(
    school: School, phone: PhoneKey
) -> None:
    enrolled = _enrol(school, _link(school, school.staff()), phone)
    shown = school.at(10)
    report = school.pass_("entree", _shown(school, enrolled, PhoneKey(), shown), shown)
    assert report.decision.reasons == (Reason.BAD_SIGNATURE,)
    assert report.decision.alert


def test_the_pass_without_its_code_is_refused_as_a_forgery(school: School, phone: PhoneKey) -> None:
    enrolled = _enrol(school, _link(school, school.staff()), phone)
    report = school.pass_("entree", payload_to_text(enrolled.payload))
    assert report.decision.reasons == (Reason.BAD_SIGNATURE,)


def test_used_codes_are_forgotten_once_they_cannot_be_accepted(
    school: School, phone: PhoneKey
) -> None:
    enrolled = _enrol(school, _link(school, school.staff()), phone)
    shown = school.at(10)
    school.pass_("entree", _shown(school, enrolled, phone, shown), shown)
    later = shown + timedelta(minutes=5)
    school.pass_("sortie", _shown(school, enrolled, phone, later), later)
    with school.site.session() as session:
        kept = session.scalars(
            select(SeenCodeRow.code_time).where(SeenCodeRow.site_id == school.site_id)
        ).all()
    assert kept == [later.astimezone(kept[0].tzinfo)]


def test_a_revoked_phone_pass_is_refused(school: School, phone: PhoneKey) -> None:
    enrolled = _enrol(school, _link(school, school.staff()), phone)
    with school.site.session() as session:
        revoke_credential(
            session, school.site_id, enrolled.credential_id, reason="perdu", now=school.now
        )
    shown = school.at(10)
    report = school.pass_("entree", _shown(school, enrolled, phone, shown), shown)
    assert report.decision.outcome is Outcome.DENY
    assert Reason.REVOKED in report.decision.reasons
    assert report.decision.alert


def test_a_code_used_elsewhere_at_the_same_moment_is_a_replay(
    school: School, phone: PhoneKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two lanes read one code at once: both read the database before either wrote. The
    one that writes second finds the code taken and refuses it."""
    from portique.credentials import CodeStamp
    from portique.services import passage as passage_service
    from portique.services.phone import remember_code

    enrolled = _enrol(school, _link(school, school.staff()), phone)
    shown = school.at(10)
    with school.site.session() as session:
        other = CodeStamp(enrolled.credential_id, shown)
        assert remember_code(session, school.site_id, other, now=shown)
    # This gate read the used codes before the other lane wrote its own.
    monkeypatch.setattr(passage_service, "used_codes", lambda *_a, **_k: frozenset())
    report = school.pass_("entree", _shown(school, enrolled, phone, shown), shown)
    assert report.decision.reasons == (Reason.REPLAYED_CODE,)
