"""Which face a lane uses when its camera sees several (`choose_face`)."""

from __future__ import annotations

import pytest

from portique.biometrics import MultipleFacesError, NoFaceError, choose_face
from portique.biometrics.types import BoundingBox, Detection

FRAME = (640, 480)


def face(cx: float, cy: float, side: float) -> Detection:
    half = side / 2
    return Detection(BoundingBox(cx - half, cy - half, cx + half, cy + half), score=0.9)


def test_a_clearly_larger_face_is_used_wherever_it_stands() -> None:
    near, behind = face(200, 240, 130), face(320, 240, 100)
    chosen, others = choose_face([behind, near], 1.5, frame=FRAME)
    assert chosen is near
    assert others == 1


def test_of_two_similar_faces_the_one_in_front_of_the_camera_is_used() -> None:
    front, beside = face(330, 250, 120), face(500, 230, 110)
    chosen, others = choose_face([beside, front], 1.5, frame=FRAME)
    assert chosen is front
    assert others == 1


def test_two_similar_faces_equally_off_centre_are_refused() -> None:
    left, right = face(170, 240, 120), face(470, 240, 115)
    with pytest.raises(MultipleFacesError, match="2 faces"):
        choose_face([left, right], 1.5, frame=FRAME)


def test_the_central_face_needs_its_margin_over_every_similar_face() -> None:
    # The second face stands 50 px further out: less than half of a 120 px face.
    front, close_by = face(330, 240, 120), face(380, 240, 118)
    with pytest.raises(MultipleFacesError):
        choose_face([front, close_by], 1.5, frame=FRAME)
    # With a third similar face far out, the close one still blocks the choice.
    far = face(600, 240, 110)
    with pytest.raises(MultipleFacesError):
        choose_face([front, close_by, far], 1.5, frame=FRAME)
    # A margin of zero accepts any strictly nearer face.
    chosen, _ = choose_face([front, close_by], 1.5, frame=FRAME, centre_margin=0.0)
    assert chosen is front


def test_a_small_face_does_not_compete_for_the_centre() -> None:
    # A small face right in the middle (a poster far behind) is not a rival of size:
    # the large face is used by the size rule even though it stands off centre.
    large, small_central = face(200, 240, 150), face(320, 240, 80)
    chosen, _ = choose_face([small_central, large], 1.5, frame=FRAME)
    assert chosen is large


def test_without_the_frame_size_similar_faces_are_refused() -> None:
    front, beside = face(330, 250, 120), face(500, 230, 110)
    with pytest.raises(MultipleFacesError):
        choose_face([front, beside], 1.5)


def test_no_detection_is_no_face() -> None:
    with pytest.raises(NoFaceError):
        choose_face([], 1.5, frame=FRAME)
