"""Compact templates: a model whose templates span fewer dimensions than they have.

EdgeFace-XS ends with a low-rank linear layer: its 512-d templates all lie in a
192-dimensional subspace. Their 192 coordinates in an orthonormal basis of that subspace
keep every comparison exactly (cosines equal to 1e-6) in less than half the bytes, which
is what lets a card's QR code carry the template. The basis was fitted once on EdgeFace
templates of the LFW identities that View 2 does not use (disjoint from the evaluation)
and is shipped with the package: each basis has a codec number that sealed templates
record, and it never changes (a new basis takes a new number).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from portique.errors import ConfigurationError

FloatArray = npt.NDArray[np.float32]
IN_SUBSPACE = 1e-3
"""A unit template farther than this from a subspace is not of its model: kept whole."""


@dataclass(frozen=True)
class Subspace:
    """The subspace of one model's templates: its codec number and basis file."""

    codec: int
    model: str
    filename: str
    sha256: str


SUBSPACES: tuple[Subspace, ...] = (
    Subspace(
        1,
        "edgeface_xs_q",
        "edgeface_xs_q.basis.npy",
        "bec773afa1dbbd937e446134d2329b2cb5e632266c9728d8b32c248eeccde46e",
    ),
)


@lru_cache(maxsize=4)
def basis(codec: int) -> FloatArray:
    """The orthonormal basis (rows) of subspace ``codec``, checked by sha256.

    Raises:
        ConfigurationError: unknown codec, or the shipped file was altered.
    """
    known = next((s for s in SUBSPACES if s.codec == codec), None)
    if known is None:
        raise ConfigurationError(f"unknown template codec {codec}.")
    data = (resources.files("portique.biometrics") / "data" / known.filename).read_bytes()
    if hashlib.sha256(data).hexdigest() != known.sha256:
        raise ConfigurationError(f"the template basis {known.filename} is not the shipped one.")
    import io

    rows: FloatArray = np.load(io.BytesIO(data), allow_pickle=False).astype(np.float32)
    rows.flags.writeable = False
    return rows


def compact(vector: npt.ArrayLike) -> tuple[int, FloatArray] | None:
    """``vector``'s codec and coordinates in the first known subspace that holds it
    (within :data:`IN_SUBSPACE` of its length); None when none does."""
    values = np.asarray(vector, dtype=np.float64)
    length = float(np.linalg.norm(values))
    for known in SUBSPACES:
        rows = basis(known.codec)
        if values.shape != (rows.shape[1],) or length == 0.0:
            continue
        coords = rows.astype(np.float64) @ values
        residual = values - rows.T.astype(np.float64) @ coords
        if float(np.linalg.norm(residual)) <= IN_SUBSPACE * length:
            return known.codec, coords.astype(np.float32)
    return None


def expand(codec: int, coords: npt.ArrayLike) -> FloatArray:
    """The full template of coordinates ``coords`` in subspace ``codec``.

    Raises:
        ConfigurationError: unknown codec, or the coordinates do not fit its basis.
    """
    rows = basis(codec)
    values = np.asarray(coords, dtype=np.float32)
    if values.shape != (rows.shape[0],):
        raise ConfigurationError(
            f"template codec {codec} takes {rows.shape[0]} coordinates, not {values.size}."
        )
    full: FloatArray = (values @ rows).astype(np.float32)
    return full
