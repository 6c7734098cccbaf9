"""A lane compares faces with the model of the site's templates, named by its snapshot:
a site that moved to EdgeFace moves its lanes with it, whatever engine they started with."""

from __future__ import annotations

from pathlib import Path

import pytest
from lane_support import ENTRY, LaneSchool, face, payload

from portique.access import Outcome, Reason
from portique.biometrics import FaceEngine, create_backend
from portique.biometrics.backends.edgeface_backend import EDGEFACE_MODEL
from portique.lane import InProcessHub, ShowCode, SimulatedLane
from portique.lane.face import lane_face_engine_for
from portique.services.lanes import StoreSink


@pytest.fixture
def edgeface_school(tmp_path: Path, installed_models_dir: Path) -> LaneSchool:
    """A school whose cards carry EdgeFace templates (its first enrolment fixed the model)."""
    school = LaneSchool.create(
        tmp_path / "site", FaceEngine(create_backend("edgeface")), site_id="lycee-edgeface"
    )
    return school


def _lane(school: LaneSchool, directory: Path, engine: FaceEngine, follow: bool) -> SimulatedLane:
    hub = InProcessHub(StoreSink(school.site.session, school.site.passages))
    lane = SimulatedLane(
        school.lane_config(directory),
        transport=hub.connect(school.site_id, ENTRY),
        face_engine=engine,
        face_engine_for=lane_face_engine_for if follow else None,
    )
    hub.publish_snapshot(school.snapshot())
    lane.start()
    return lane


def test_a_lane_started_on_dlib_compares_an_edgeface_site_with_edgeface(
    edgeface_school: LaneSchool, lane_engine: FaceEngine, lfw_images: Path, tmp_path: Path
) -> None:
    _, powell = edgeface_school.enrolled_student(lfw_images, "Colin_Powell")
    assert edgeface_school.snapshot().face_model == EDGEFACE_MODEL
    assert lane_engine.backend.model != EDGEFACE_MODEL
    with _lane(edgeface_school, tmp_path / "lane", lane_engine, follow=True) as lane:
        assert lane.lane.capture is not None
        assert lane.lane.capture.engine.backend.model == EDGEFACE_MODEL
        at = edgeface_school.at(8, 5)
        shown = lane.play(ShowCode(payload(powell), face(lfw_images, "Colin_Powell", 2), at=at))
    assert shown is not None
    assert shown.decision.outcome is Outcome.GRANT
    assert shown.decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)


def test_a_lane_that_cannot_follow_the_model_refers_and_never_guesses(
    edgeface_school: LaneSchool, lane_engine: FaceEngine, lfw_images: Path, tmp_path: Path
) -> None:
    _, powell = edgeface_school.enrolled_student(lfw_images, "Colin_Powell")
    with _lane(edgeface_school, tmp_path / "lane", lane_engine, follow=False) as lane:
        at = edgeface_school.at(8, 5)
        shown = lane.play(ShowCode(payload(powell), face(lfw_images, "Colin_Powell", 2), at=at))
    assert shown is not None
    assert shown.decision.outcome is Outcome.REFER
    assert Reason.FACE_MATCH not in shown.decision.reasons
