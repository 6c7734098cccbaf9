"""Face back ends: each detects, finds landmarks, aligns and embeds behind one interface."""

from portique.biometrics.backends.base import FaceBackend

__all__ = ["FaceBackend"]
