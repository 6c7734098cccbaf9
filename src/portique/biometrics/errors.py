"""The errors a face image can raise, each with the stable code the CLI and API report."""

from __future__ import annotations

from portique.errors import BadInputError, ConfigurationError


class BiometricInputError(BadInputError):
    """An image that cannot give a usable face; never carries image data in its message."""

    code = "bad_image"


class UnreadableImageError(BiometricInputError):
    """The file is missing, truncated, corrupt or in a format Portique does not read."""

    code = "unreadable_image"


class ImageTooLargeError(BiometricInputError):
    """The image exceeds the configured size limits (decompression bomb guard)."""

    code = "image_too_large"


class NoFaceError(BiometricInputError):
    """No face was found in the image."""

    code = "no_face"


class MultipleFacesError(BiometricInputError):
    """Several faces of similar size were found and none clearly dominates."""

    code = "multiple_faces"


class LowQualityError(BiometricInputError):
    """A face was found but fails a quality check (too small, blurred, badly exposed, turned)."""

    code = "low_quality"


class ModelError(ConfigurationError):
    """A model file is missing, unreadable or not the expected one."""

    code = "model"


class TemplateMismatchError(BiometricInputError):
    """Two templates from different models or of different sizes cannot be compared."""

    code = "template_mismatch"
