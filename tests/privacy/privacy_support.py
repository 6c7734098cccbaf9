"""What the privacy tests share: an enrolled student and lane frames with LFW faces."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from portique.biometrics import load_image
from portique.store import VisitAlertRow, VisitEventRow, VisitRow
from school_support import School
from support import compose_frame, lfw_face

PRODUCT_LOG = "portique-test-run.log"
"""The run's log file, named in tests/conftest.py (a conftest cannot be imported)."""


def frame_of(images: Path, name: str, number: int) -> np.ndarray:
    """A lane camera frame (640x480) with one LFW face in it."""
    return compose_frame([(load_image(lfw_face(images, name, number)), 1.2, (170, 90))])


def enrolled(school: School, lfw_images: Path) -> tuple[str, str]:
    """A minor whose parent consented, with a card carrying their face (Colin Powell's):
    their id and the card's text."""
    parent = school.parent()
    student = school.student(guardian=parent)
    school.consent(student, by=parent)
    card = school.issue(
        student,
        faces=(lfw_face(lfw_images, "Colin_Powell", 1), lfw_face(lfw_images, "Colin_Powell", 3)),
    )
    assert card.has_template
    return student, card.payload_text


def add_visit(session: Session, school: School, person_id: str, until: datetime) -> None:
    """A visit of ``person_id`` that ended at ``until``, with a check-out and an alert."""
    visit_id = f"v-{person_id}"
    session.add(
        VisitRow(
            visit_id=visit_id,
            site_id=school.site_id,
            person_id=person_id,
            host_id=None,
            purpose="réunion",
            kind="invited",
            expected_from=until - timedelta(hours=2),
            expected_until=until,
            zones=["main"],
            email=None,
            credential_id=None,
            status="left",
            checked_in_at=until - timedelta(hours=2),
            checked_out_at=until,
            created_by="account:accueil",
            created_at=until - timedelta(days=2),
        )
    )
    session.flush()
    session.add(
        VisitEventRow(
            visit_id=visit_id,
            site_id=school.site_id,
            at=until,
            kind="check_out",
            checkpoint="reception",
            zone_id=None,
            allowed=True,
            alert=None,
            passage_id=None,
        )
    )
    session.add(
        VisitAlertRow(
            visit_id=visit_id,
            site_id=school.site_id,
            kind="overstay",
            raised_at=until,
            details={},
            acknowledged_at=None,
            acknowledged_by=None,
        )
    )
