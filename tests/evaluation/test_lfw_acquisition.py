"""What `eval lfw` takes from each image: the labelled face, and the lane's verdict on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portique import biometrics as bio
from portique.biometrics import FaceEngine
from portique.evaluation.lfw import acquire_for_evaluation
from support import compose_frame, lfw_face


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(bio.create_backend("dlib"))


@pytest.fixture(scope="module")
def photos(lfw_images: Path) -> tuple[np.ndarray, np.ndarray]:
    powell = bio.load_image(lfw_face(lfw_images, "Colin_Powell", 1))
    blair = bio.load_image(lfw_face(lfw_images, "Tony_Blair", 1))
    return powell, blair


def _matches(engine: FaceEngine, vector: np.ndarray, photo: np.ndarray) -> bool:
    reference = engine.acquire(photo).template
    return engine.decide(bio.Template(reference.model, vector), reference).match


def test_a_press_photo_with_a_larger_face_aside_scores_the_labelled_person(
    engine: FaceEngine, photos: tuple[np.ndarray, np.ndarray]
) -> None:
    powell, blair = photos
    # The labelled person at the centre, someone clearly larger at the edge.
    frame = compose_frame([(blair, 1.45, (0, 60)), (powell, 0.95, (331, 120))], size=(900, 480))
    acquired = acquire_for_evaluation(engine, frame)
    assert acquired.status == "ok"  # the lane's size rule accepts the image...
    assert acquired.operational is not None  # ...but chooses the other face,
    assert _matches(engine, acquired.operational, blair)
    assert _matches(engine, acquired.vector, powell)  # while the labelled one is compared.


def test_an_image_the_lane_refuses_still_gives_the_labelled_template(
    engine: FaceEngine, photos: tuple[np.ndarray, np.ndarray]
) -> None:
    powell, blair = photos
    frame = compose_frame([(powell, 1.0, (40, 100)), (blair, 1.0, (340, 100))])
    acquired = acquire_for_evaluation(engine, frame)
    assert acquired.status == "multiple_faces"  # a failure to acquire...
    assert acquired.operational is None
    assert acquired.vector.shape == (128,)  # ...with a template all the same


def test_a_single_face_is_both_the_labelled_and_the_chosen_one(
    engine: FaceEngine, photos: tuple[np.ndarray, np.ndarray]
) -> None:
    powell, _ = photos
    acquired = acquire_for_evaluation(engine, powell)
    assert acquired.status == "ok"
    assert acquired.operational is None
    assert _matches(engine, acquired.vector, powell)
