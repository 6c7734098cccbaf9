"""A site's stored settings: the model of a credential's template, read one way."""

from __future__ import annotations

import pytest

from portique.services.settings import StoredSettings

DURING_A_CHANGE = StoredSettings(face_model="edgeface_xs_q", previous_face_model="dlib-resnet-v1")


@pytest.mark.parametrize(
    ("recorded", "model"),
    [
        ("edgeface_xs_q", "edgeface_xs_q"),
        ("dlib-resnet-v1", "dlib-resnet-v1"),
        ("onnx-mobilefacenet", "onnx-mobilefacenet"),
        (None, "dlib-resnet-v1"),
    ],
)
def test_a_template_is_of_its_recorded_model_else_of_the_previous_one_during_a_change(
    recorded: str | None, model: str
) -> None:
    assert DURING_A_CHANGE.template_model(recorded) == model


def test_a_template_of_no_recorded_model_is_of_the_sites_model_outside_a_change() -> None:
    settings = StoredSettings(face_model="dlib-resnet-v1")
    assert settings.template_model(None) == "dlib-resnet-v1"
    assert settings.template_model("edgeface_xs_q") == "edgeface_xs_q"
    assert StoredSettings().template_model(None) is None
