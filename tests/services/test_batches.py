"""Acting on many people at once: each person in a transaction of their own, a refusal
reported for that person and the others done."""

from __future__ import annotations

from portique.services import list_people
from portique.services.batches import record_paper_consents, revoke_people
from school_support import School


def test_one_refused_consent_leaves_the_others_recorded(school: School) -> None:
    parent = school.parent()
    minors = [school.student(guardian=parent) for _ in range(3)]
    stranger = school.parent()
    adult = school.student(minor=False)
    signed = [(minors[0], parent), (minors[1], stranger), (minors[2], parent), (adult, None)]
    outcomes = record_paper_consents(school.site.session, school.site_id, signed, now=school.now)
    assert [o.done for o in outcomes] == [True, False, True, True]
    assert stranger in outcomes[1].detail or "représentant" in outcomes[1].detail
    with school.site.session() as session:
        in_force = {
            r.person_id: r.consent_in_force
            for r in list_people(session, school.site_id, now=school.now)
        }
    assert [in_force[p] for p in (*minors, adult)] == [True, False, True, True]


def test_revoking_a_class_revokes_every_active_credential_of_each(school: School) -> None:
    students = [school.student() for _ in range(2)]
    cards = [school.issue(p) for p in (students[0], students[0], students[1])]
    progress: list[tuple[int, int]] = []
    outcomes = revoke_people(
        school.site.session, school.site_id, students, reason="départ", now=school.now,
        progress=lambda done, total: progress.append((done, total)),
    )  # fmt: skip
    assert all(o.done for o in outcomes)
    assert outcomes[0].detail == f"{cards[0].credential_id}, {cards[1].credential_id}"
    assert progress == [(1, 2), (2, 2)]
    assert all(school.pass_("entree", card).decision.outcome.value == "deny" for card in cards)
