"""The EdgeFace back end: YuNet's 5 landmarks, ArcFace 112x112 alignment, EdgeFace-XS."""

from __future__ import annotations

from portique.biometrics.backends.onnx_backend import OnnxBackend
from portique.biometrics.errors import ModelError

EDGEFACE_FILE = "edgeface_xs_q.onnx"
EDGEFACE_MODEL = "edgeface_xs_q"


class EdgeFaceBackend(OnnxBackend):
    """YuNet detection and landmarks, similarity alignment to the ArcFace template, and
    EdgeFace-XS (Idiap, 512-d) on the face and its mirror, compared by cosine.

    The same detector, alignment and quality checks as the ``onnx`` back end; only the
    embedder and its input scaling ((x - 127.5) / 127.5) differ.
    """

    name = "edgeface"
    input_scale = 127.5

    def _check_embedder(self, model: str) -> None:
        if model != EDGEFACE_MODEL:
            raise ModelError(
                f"the edgeface back end runs {EDGEFACE_FILE}, not {model}: "
                "use --backend onnx for other embedders."
            )
