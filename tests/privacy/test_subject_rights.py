"""Subject rights: the export holds every table's rows about the person and nothing
about anyone else; the erasure removes them, except what must stay."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from privacy_support import add_visit
from sqlalchemy import select

from portique.access import Outcome, Role
from portique.privacy import audit
from portique.privacy.subject import (
    SEALED_TEMPLATE_NOTE,
    SubjectTable,
    collect,
    erase_subject,
    export_subject,
)
from portique.server.queries import review_passage
from portique.services import (
    NewPerson,
    add_person,
    bind_badge,
    create_enrolment_link,
    set_exit_permission,
)
from portique.store import (
    BadgeBindingRow,
    ConsentRow,
    CredentialRow,
    GuardianshipRow,
    MembershipRow,
    PassageRow,
    PersonRow,
    RefusalRow,
    TemplateVaultRow,
    VisitRow,
)
from portique.store.models import DepartureRow, PassageReviewRow, RegisterIdRow
from school_support import CLASS, School
from support import lfw_face

SEALED = b"\x01" * 161
"""Stand-in sealed template bytes (only their presence may be exported)."""


def _add(
    school: School, last: str, first: str, born: date, role: Role, **links: tuple[str, ...]
) -> str:
    with school.site.session() as session:
        return add_person(
            session,
            school.site_id,
            NewPerson(last, first, born, role, links.get("groups", ()), links.get("guardians", ())),
            now=school.now,
        )


def _family(school: School, last: str, first: str, lfw_images: Path | None) -> dict[str, str]:
    """A parent and their child in the class, with consent, a card, a badge, an exit
    permission and passages (one reviewed by an agent)."""
    year = school.today.year
    parent = _add(school, last, f"Parent{first}", date(1980, 5, 5), Role.PARENT)
    child = _add(
        school,
        last,
        first,
        date(year - 15, 2, 2),
        Role.STUDENT,
        groups=(CLASS,),
        guardians=(parent,),
    )
    school.consent(child, by=parent)
    faces = () if lfw_images is None else (lfw_face(lfw_images, "Colin_Powell", 1),)
    card = school.issue(child, faces=faces)
    with school.site.session() as session:
        set_exit_permission(
            session, school.site_id, child, "free", granted_by=parent, on=school.today
        )
        bind_badge(session, school.site_id, child, f"04:{len(last):02X}:B3:C4", now=school.now)
        create_enrolment_link(session, school.site_id, child, now=school.now)
    school.pass_("entree", card, at=school.at(8, 5))
    refused = school.pass_("entree", card, at=school.at(8, 6))  # a re-entry: an alert
    with school.site.session() as session:
        review_passage(session, school.site_id, refused.passage_id, by="agent-1", now=school.now)
    with school.site.session() as session:
        # A visit, a sealed template in the central store and an access ban in their
        # name: every table that can hold something about them holds something.
        add_visit(session, school, child, school.now - timedelta(days=3))
        session.add(
            TemplateVaultRow(
                credential_id=card.credential_id,
                site_id=school.site_id,
                person_id=child,
                sealed=SEALED,
                created_at=school.now,
            )
        )
        session.add(
            RefusalRow(
                site_id=school.site_id,
                last_name=last,
                first_name=first,
                birth_date=date(year - 15, 2, 2),
                reason="Décision du chef d'établissement",
                ordered_by="head_teacher",
                until=school.today + timedelta(days=30),
                created_by="account:direction",
                created_at=school.now,
            )
        )
    return {"parent": parent, "child": child, "card": card.payload_text}


def _registered(school: School, person_id: str) -> None:
    """The child came from the register (a keyed hash of their number) and left once."""
    with school.site.session() as session:
        session.add(
            RegisterIdRow(
                site_id=school.site_id, kind="siecle_eleve", key_hash="ab" * 32, person_id=person_id
            )
        )
        session.add(
            DepartureRow(
                site_id=school.site_id,
                person_id=person_id,
                left_on=school.now.date(),
                cause="absent",
                class_name=CLASS,
                detected_at=school.now,
                revoked=0,
            )
        )


def test_export_holds_everything_about_the_person_and_nothing_about_others(
    school: School, lfw_images: Path, tmp_path: Path
) -> None:
    subject = _family(school, "Lefebvre", "Ambre", lfw_images)
    other = _family(school, "Durandeau", "Zéphyr", None)
    staff = _add(school, "Quintard", "Ysolde", date(1970, 1, 1), Role.STAFF)
    _registered(school, subject["child"])

    with school.site.session() as session:
        export, json_path, html_path = export_subject(
            session, school.site_id, subject["child"], tmp_path / "out", now=school.now
        )
    tables = export.tables
    assert set(tables) == {str(table) for table in SubjectTable}
    for table in SubjectTable:
        assert tables[table], f"nothing exported from {table}"
    assert tables[SubjectTable.TEMPLATE_VAULT][0]["sealed_template"] == SEALED_TEMPLATE_NOTE
    assert "token_hash" not in tables[SubjectTable.PHONE_ENROLMENTS][0]
    assert len(tables[SubjectTable.PASSAGES]) == 2
    assert len(tables[SubjectTable.CREDENTIALS]) == 2  # the card and the badge
    assert tables[SubjectTable.PEOPLE][0]["last_name"] == "Lefebvre"

    written = json_path.read_text(encoding="utf-8") + html_path.read_text(encoding="utf-8")
    assert json.loads(json_path.read_text(encoding="utf-8"))["person_id"] == subject["child"]
    assert "Vos données détenues par" in written
    for stranger in (other["parent"], other["child"], staff, "Durandeau", "Zéphyr", "Quintard"):
        assert stranger not in written, stranger
    assert SEALED.hex() not in written and "AQEB" not in written  # no sealed bytes
    with school.site.session() as session:
        last = audit.entries(session, school.site_id, limit=1, newest_first=True)[0]
    assert (last.action, last.target) == ("subject.export", f"people:{subject['child']}")


def test_erasure_removes_the_person_and_keeps_what_must_stay(school: School) -> None:
    subject = _family(school, "Lefebvre", "Ambre", None)
    other = _family(school, "Durandeau", "Zéphyr", None)
    child = subject["child"]

    with school.site.session() as session:
        erasure = erase_subject(session, school.site_id, child, now=school.now)
    assert len(erasure.revoked) == 2
    assert erasure.deleted["passages"] == 2 and erasure.deleted["people"] == 1
    assert erasure.deleted["visits"] == 1 and erasure.deleted["template_vault"] == 1
    assert "refusals" not in erasure.deleted  # a ban stays until it ends
    assert erasure.kept and any("journal d'audit" in line for line in erasure.kept)

    with school.site.session() as session:
        assert session.get(PersonRow, child) is None
        for column in (
            MembershipRow.person_id,
            GuardianshipRow.person_id,
            ConsentRow.person_id,
            CredentialRow.person_id,
            BadgeBindingRow.person_id,
            PassageRow.person_id,
            VisitRow.person_id,
            TemplateVaultRow.person_id,
        ):
            assert session.scalars(select(column).where(column == child)).all() == [], column
        bans = select(RefusalRow.last_name).where(RefusalRow.site_id == school.site_id)
        assert sorted(session.scalars(bans)) == ["Durandeau", "Lefebvre"]
        reviews = session.scalars(
            select(PassageReviewRow.passage_id).where(PassageReviewRow.site_id == school.site_id)
        ).all()
        assert len(reviews) == 1  # the other family's
        assert session.get(PersonRow, subject["parent"]) is not None
        assert collect(session, school.site_id, other["child"], now=school.now).tables["passages"]
        entry = audit.entries(session, school.site_id, limit=1, newest_first=True)[0]
        assert (entry.action, entry.target) == ("subject.erase", f"people:{child}")
        assert "Lefebvre" not in repr(entry.details)
        assert audit.verify(session, school.site_id).intact

    refused = school.pass_("entree", subject["card"], at=school.at(9))
    assert refused.decision.outcome is Outcome.DENY
