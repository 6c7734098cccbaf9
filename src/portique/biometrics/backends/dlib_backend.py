"""The embedded default back end: dlib's HOG detector, 5-point landmarks and ResNet descriptor."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Literal

import cv2
import dlib
import face_recognition_models
import numpy as np

from portique.biometrics.backends.base import FaceBackend, sort_largest_first
from portique.biometrics.types import (
    AlignedFace,
    BoundingBox,
    Detection,
    FloatArray,
    Landmarks,
    RGBImage,
)

DlibEngine = Literal["onnx", "dlib-native"]
ENGINES: tuple[str, ...] = ("onnx", "dlib-native")

CHIP_SIZE = 150
CHIP_PADDING = 0.25
HOG_WINDOW = 80
"""The HOG detector's window: faces smaller than this (in the image it scans) are missed."""

_lock = threading.Lock()
_shared: dict[str, Any] = {}


def _shared_model(name: str) -> Any:
    """dlib models are loaded once per process and shared (they are read-only)."""
    with _lock:
        if name not in _shared:
            if name == "detector":
                _shared[name] = dlib.get_frontal_face_detector()
            elif name == "predictor":
                _shared[name] = dlib.shape_predictor(
                    face_recognition_models.pose_predictor_five_point_model_location()
                )
            elif name == "descriptor":
                _shared[name] = dlib.face_recognition_model_v1(
                    face_recognition_models.face_recognition_model_location()
                )
        return _shared[name]


def _landmarks_from_points(points: FloatArray) -> Landmarks:
    # dlib's 5-point layout: 0-1 the image-right eye (outer, inner), 2-3 the
    # image-left eye (outer, inner), 4 the base of the nose.
    right = points[0:2].mean(axis=0)
    left = points[2:4].mean(axis=0)
    return Landmarks(
        points=points,
        left_eye=(float(left[0]), float(left[1])),
        right_eye=(float(right[0]), float(right[1])),
        nose=(float(points[4][0]), float(points[4][1])),
    )


class DlibBackend(FaceBackend):
    """dlib HOG detection, 5-point landmarks (CC0 model) and the ResNet descriptor.

    ``engine`` chooses who runs the descriptor: ``onnx`` (the same network converted
    to ONNX and run by onnxruntime, much faster) or ``dlib-native`` (dlib's own
    code, the reference). Both give the same descriptors.

    ``min_face_px`` is the smallest face width to find: the detector scans an image
    scaled so that such a face fills its 80-pixel window. Lane cameras see large
    faces and can use 80 or more (no upscaling, faster); LFW crops need 40. With
    ``coarse_face_px``, a first scan looks only for faces at least that wide, on a
    downscaled image, and the full scan runs only when it finds nothing.
    """

    name = "dlib"
    model = "dlib-resnet-v1"

    def __init__(
        self,
        *,
        engine: DlibEngine = "onnx",
        min_face_px: float = 40.0,
        coarse_face_px: float | None = None,
        threads: int | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown dlib engine {engine!r}; use one of {', '.join(ENGINES)}")
        self.engine = engine
        self.min_face_px = min_face_px
        self.coarse_face_px = coarse_face_px
        self._detector = _shared_model("detector")
        self._predictor = _shared_model("predictor")
        self._onnx: Any = None
        if engine == "onnx":
            from portique.biometrics.dlib_onnx import DlibResnetOnnx

            self._onnx = DlibResnetOnnx(threads=threads)

    def detect(self, image: RGBImage) -> list[Detection]:
        if self.coarse_face_px is not None and self.coarse_face_px > self.min_face_px:
            # Most lane frames hold one large face: a scan of a downscaled frame finds it
            # in a fraction of the time; only an empty result pays for the fine scan.
            # Grey levels make the coarse scan about 20% faster for the same faces.
            found = self._scan(image, self.coarse_face_px, grey=True)
            if found:
                return found
        return self._scan(image, self.min_face_px)

    def _scan(self, image: RGBImage, face_px: float, *, grey: bool = False) -> list[Detection]:
        """HOG detection with the image scaled so that ``face_px`` fills the 80-px window."""
        factor = HOG_WINDOW / face_px
        upsample = 0
        if factor >= 2.0:
            upsample, factor = 1, factor / 2.0
        scan: np.ndarray = image
        if abs(factor - 1.0) > 1e-3:
            interpolation = cv2.INTER_AREA if factor < 1.0 else cv2.INTER_LINEAR
            scan = cv2.resize(image, None, fx=factor, fy=factor, interpolation=interpolation)
        if grey:
            scan = cv2.cvtColor(scan, cv2.COLOR_RGB2GRAY)
        rects, scores, _ = self._detector.run(scan, upsample, 0.0)
        detections = [
            Detection(
                box=BoundingBox(
                    float(rect.left()), float(rect.top()), float(rect.right()), float(rect.bottom())
                ).scaled(1.0 / factor),
                score=float(score),
            )
            for rect, score in zip(rects, scores, strict=True)
        ]
        return sort_largest_first(detections)

    def landmarks(self, image: RGBImage, detection: Detection) -> Landmarks:
        box = detection.box
        rect = dlib.rectangle(round(box.left), round(box.top), round(box.right), round(box.bottom))
        shape = self._predictor(image, rect)
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
        return _landmarks_from_points(points)

    def align(self, image: RGBImage, landmarks: Landmarks) -> AlignedFace:
        xs, ys = landmarks.points[:, 0], landmarks.points[:, 1]
        rect = dlib.rectangle(int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
        shape = dlib.full_object_detection(
            rect, [dlib.point(round(float(x)), round(float(y))) for x, y in landmarks.points]
        )
        chip = dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
        return AlignedFace(chip=np.ascontiguousarray(chip, dtype=np.uint8), landmarks=landmarks)

    def embed_chips(self, chips: Sequence[np.ndarray]) -> FloatArray:
        if self._onnx is not None:
            batch = np.stack([np.asarray(chip, dtype=np.uint8) for chip in chips])
            return np.asarray(self._onnx.embed_chips(batch), dtype=np.float32)
        descriptor = _shared_model("descriptor")
        vectors = descriptor.compute_face_descriptor([np.ascontiguousarray(c) for c in chips])
        return np.array([np.array(v) for v in vectors], dtype=np.float32)
