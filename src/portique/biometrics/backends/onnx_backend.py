"""The ONNX back end: YuNet detection and landmarks, 112x112 alignment, an ONNX embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from portique.biometrics.backends.base import FaceBackend, sort_largest_first
from portique.biometrics.errors import ModelError
from portique.biometrics.models import check_model_file
from portique.biometrics.types import (
    AlignedFace,
    BoundingBox,
    Detection,
    FloatArray,
    Landmarks,
    RGBImage,
)

ALIGNED_SIZE = 112
# The canonical 5-point positions of ArcFace-style 112x112 crops (image-left eye,
# image-right eye, nose tip, image-left and image-right mouth corners).
REFERENCE_POINTS = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)
# OpenCV 5 warns on every detector creation that DNN targets are ignored: not actionable.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

DETECTOR_MAX_SIDE = 640
"""Larger frames are downscaled to this before detection; YuNet finds faces from ~10 px."""
LANE_DETECTOR_MAX_SIDE = 320
"""A lane looks for faces of 80 px and up: a 640x480 frame scanned at 320x240 still shows
them 40 px wide, and detection costs a quarter."""


class OnnxBackend(FaceBackend):
    """YuNet (via OpenCV) and an ArcFace-style embedder such as MobileFaceNet (onnxruntime)."""

    name = "onnx"
    input_scale = 128.0
    """Pixels go to the network as (x - 127.5) / input_scale (the embedder's training)."""

    def __init__(
        self,
        detector_path: Path,
        embedder_path: Path,
        *,
        detector_sha256: str | None = None,
        embedder_sha256: str | None = None,
        score_threshold: float = 0.6,
        threads: int | None = None,
        max_side: int = DETECTOR_MAX_SIDE,
    ) -> None:
        self.max_side = max_side
        check_model_file(detector_path, "detector", detector_sha256)
        known = check_model_file(embedder_path, "embedder", embedder_sha256)
        self.model = Path(known.filename if known else embedder_path.name).stem
        self._check_embedder(self.model)
        try:
            self._detector = cv2.FaceDetectorYN.create(
                str(detector_path), "", (320, 320), score_threshold, 0.3, 50
            )
        except cv2.error as exc:
            raise ModelError(f"OpenCV cannot load the detector {detector_path}: {exc}") from None
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        try:
            self._session = ort.InferenceSession(
                str(embedder_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"onnxruntime cannot load {embedder_path}: {exc}") from None
        self._input = self._session.get_inputs()[0].name
        shape = self._session.get_inputs()[0].shape
        self._batched = not isinstance(shape[0], int) or shape[0] != 1

    def _check_embedder(self, model: str) -> None:
        """Refuse an embedder this back end does not prepare images for (none here)."""

    def detect(self, image: RGBImage) -> list[Detection]:
        height, width = image.shape[:2]
        factor = min(1.0, self.max_side / max(height, width))
        scan: np.ndarray = image
        if factor < 1.0:
            scan = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        bgr = np.ascontiguousarray(scan[:, :, ::-1])
        self._detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = self._detector.detect(bgr)
        if faces is None:
            return []
        detections = []
        for row in faces:
            x, y, w, h = (float(v) / factor for v in row[:4])
            points = (np.asarray(row[4:14], dtype=np.float32) / factor).reshape(5, 2)
            # YuNet order: the person's right eye (image-left), left eye, nose tip,
            # right mouth corner (image-left), left mouth corner.
            landmarks = Landmarks(
                points=points,
                left_eye=(float(points[0][0]), float(points[0][1])),
                right_eye=(float(points[1][0]), float(points[1][1])),
                nose=(float(points[2][0]), float(points[2][1])),
            )
            detections.append(Detection(BoundingBox(x, y, x + w, y + h), float(row[14]), landmarks))
        return sort_largest_first(detections)

    def landmarks(self, image: RGBImage, detection: Detection) -> Landmarks:
        if detection.landmarks is not None:
            return detection.landmarks
        # A box from elsewhere (no YuNet points): place the canonical points in it.
        box = detection.box
        points = np.empty_like(REFERENCE_POINTS)
        points[:, 0] = box.left + REFERENCE_POINTS[:, 0] / ALIGNED_SIZE * box.width
        points[:, 1] = box.top + REFERENCE_POINTS[:, 1] / ALIGNED_SIZE * box.height
        return Landmarks(
            points=points,
            left_eye=(float(points[0][0]), float(points[0][1])),
            right_eye=(float(points[1][0]), float(points[1][1])),
            nose=(float(points[2][0]), float(points[2][1])),
        )

    def align(self, image: RGBImage, landmarks: Landmarks) -> AlignedFace:
        matrix, _ = cv2.estimateAffinePartial2D(
            landmarks.points, REFERENCE_POINTS, method=cv2.LMEDS
        )
        if matrix is None:
            matrix = cv2.getAffineTransform(landmarks.points[:3], REFERENCE_POINTS[:3])
        chip = cv2.warpAffine(
            image,
            matrix,
            (ALIGNED_SIZE, ALIGNED_SIZE),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return AlignedFace(chip=np.ascontiguousarray(chip, dtype=np.uint8), landmarks=landmarks)

    def embed_chips(self, chips: Sequence[np.ndarray]) -> FloatArray:
        batch = np.stack([np.asarray(chip, dtype=np.float32) for chip in chips])
        batch = ((batch - 127.5) / self.input_scale).transpose(0, 3, 1, 2)
        if self._batched:
            return np.asarray(self._session.run(None, {self._input: batch})[0], dtype=np.float32)
        outputs = [self._session.run(None, {self._input: item[None]})[0][0] for item in batch]
        return np.asarray(outputs, dtype=np.float32)
