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


def _set_model(school: LaneSchool, model: str | None) -> None:
    """`portique site model set MODEL`, or `drop-previous` with None."""
    from portique.services.rows import site_row
    from portique.services.settings import drop_previous_face_model, set_face_model

    with school.site.session() as session:
        row = site_row(session, school.site_id)
        if model is None:
            drop_previous_face_model(row)
        else:
            set_face_model(row, model)


def test_during_a_change_of_model_a_lane_opens_old_cards_with_the_old_model(
    school: LaneSchool,
    installed_models_dir: Path,
    lane_engine: FaceEngine,
    lfw_images: Path,
    tmp_path: Path,
) -> None:
    from portique.lane.snapshot import snapshot_from_json, snapshot_to_json

    _, old_card = school.enrolled_student(lfw_images, "Colin_Powell")  # dlib template
    version = school.snapshot().policy.version
    _set_model(school, EDGEFACE_MODEL)
    school.face_engine = FaceEngine(create_backend("edgeface"))
    _, new_card = school.enrolled_student(lfw_images, "Colin_Powell")  # EdgeFace template
    snapshot = school.snapshot()
    assert snapshot.policy.version > version + 1  # the change itself reaches the lanes
    assert (snapshot.face_model, snapshot.previous_face_model) == (EDGEFACE_MODEL, "dlib-resnet-v1")
    assert snapshot.previous_model_credentials == {old_card.credential_id}
    assert (
        snapshot_from_json(snapshot_to_json(snapshot)).template_model(old_card.credential_id)
        == "dlib-resnet-v1"
    )
    live = face(lfw_images, "Colin_Powell", 2)
    with _lane(school, tmp_path / "lane", lane_engine, follow=True) as lane:
        assert lane.lane.capture is not None
        assert lane.lane.capture.engine.backend.model == EDGEFACE_MODEL
        for minute, card in ((5, old_card), (6, new_card)):
            shown = lane.play(ShowCode(payload(card), live, at=school.at(8, minute)))
            assert shown is not None
            assert shown.decision.reasons == (Reason.CREDENTIAL_VALID, Reason.FACE_MATCH)
    _set_model(school, None)  # the old model dropped: its cards are no longer opened
    dropped = school.snapshot()
    assert dropped.previous_face_model is None and not dropped.previous_model_credentials
    with _lane(school, tmp_path / "lane-after", lane_engine, follow=True) as lane:
        shown = lane.play(ShowCode(payload(old_card), live, at=school.at(8, 10)))
    assert shown is not None
    assert shown.decision.outcome is Outcome.REFER
    assert Reason.FACE_MATCH not in shown.decision.reasons
