"""dlib's ResNet face descriptor as ONNX: reading the .dat, converting, caching and running it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from portique.config import get_settings
from portique.errors import BadInputError, ConfigurationError

# Bump whenever the produced graph changes, so cached conversions are rebuilt.
CONVERTER_VERSION: int = 1

CHIP_SIZE = 150
DESCRIPTOR_SIZE = 128
INPUT_NAME = "chips"
OUTPUT_NAME = "descriptors"

# input_rgb_image_sized scales (pixel - channel mean) by 1/256; the scale is in dlib's code,
# the means are stored in the .dat file.
_INPUT_SCALE = 1.0 / 256.0
_SOURCE_NAME = "dlib_face_recognition_resnet_model_v1.dat"
_MODEL_NAME = "dlib_face_recognition_resnet_model_v1.onnx"
_OPSET = 17
_IR_VERSION = 8

FloatArray = npt.NDArray[np.float32]
ChipArray = npt.NDArray[np.uint8]


# The network, bottom-up, as dlib's dnn_face_recognition_ex.cpp declares anet_type. The .dat
# file stores no tag ids, so the tags come from here and the file is checked against it.
class _Window:
    """A layer sliding a ``size`` x ``size`` window by ``stride``: a convolution or a pool."""

    size: int
    stride: int

    @property
    def padding(self) -> int:
        # dlib's con_ and pools pad by size/2 only when the stride is 1.
        return self.size // 2 if self.stride == 1 else 0


@dataclass(frozen=True)
class _Con(_Window):
    filters: int
    size: int
    stride: int


@dataclass(frozen=True)
class _Affine:
    pass


@dataclass(frozen=True)
class _Relu:
    pass


@dataclass(frozen=True)
class _Pool(_Window):
    """max_pool or avg_pool; size 0 is avg_pool_everything."""

    kind: str
    size: int
    stride: int


@dataclass(frozen=True)
class _Tagged:
    """A layer that refers to a tagged output by its number."""

    tag: int


class _AddPrev(_Tagged):
    """Adds the output tagged ``tag`` to its input (a residual connection)."""


class _Tag(_Tagged):
    """Passes its input on, remembered as the output tagged ``tag``."""


class _Skip(_Tagged):
    """Continues from the output tagged ``tag`` instead of its input."""


@dataclass(frozen=True)
class _Fc:
    outputs: int


_Layer = _Con | _Affine | _Relu | _Pool | _AddPrev | _Tag | _Skip | _Fc


def _block(filters: int, stride: int) -> list[_Layer]:
    return [_Con(filters, 3, stride), _Affine(), _Relu(), _Con(filters, 3, 1), _Affine()]


def _ares(filters: int) -> list[_Layer]:
    return [_Tag(1), *_block(filters, 1), _AddPrev(1), _Relu()]


def _ares_down(filters: int) -> list[_Layer]:
    return [
        _Tag(1),
        *_block(filters, 2),
        _Tag(2),
        _Skip(1),
        _Pool("avg", 2, 2),
        _AddPrev(2),
        _Relu(),
    ]


_NETWORK: tuple[_Layer, ...] = (
    _Con(32, 7, 2),
    _Affine(),
    _Relu(),
    _Pool("max", 3, 2),
    *_ares(32) * 3,
    *_ares_down(64),
    *_ares(64) * 3,
    *_ares_down(128),
    *_ares(128) * 2,
    *_ares_down(256),
    *_ares(256) * 2,
    *_ares_down(256),
    _Pool("avg", 0, 1),
    _Fc(DESCRIPTOR_SIZE),
)


@dataclass(frozen=True)
class _Parsed:
    """The network read from the .dat: per-channel input means and each layer's arrays."""

    channel_means: tuple[float, float, float]
    layers: tuple[tuple[_Layer, tuple[FloatArray, ...]], ...]


class _Reader:
    """dlib's serialization primitives over the bytes of one file."""

    def __init__(self, data: bytes, path: Path) -> None:
        self._data = data
        self._path = path
        self._pos = 0

    def error(self, what: str) -> ConfigurationError:
        return ConfigurationError(
            f"{self._path} is not dlib's face recognition ResNet ({_SOURCE_NAME}): {what} "
            f"(at byte {self._pos}). Reinstall face-recognition-models or give the original file."
        )

    def _take(self, count: int) -> bytes:
        end = self._pos + count
        if count < 0 or end > len(self._data):
            raise self.error("the file ends too early")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def at_end(self) -> bool:
        return self._pos == len(self._data)

    def integer(self) -> int:
        # One header byte (byte count, 0x80 for negative), then the magnitude, little-endian.
        header = self._take(1)[0]
        size = header & 0x7F
        if size > 8:
            raise self.error(f"bad integer header {header:#x}")
        value = int.from_bytes(self._take(size), "little")
        return -value if header & 0x80 else value

    def expect_integer(self, expected: int, what: str) -> None:
        value = self.integer()
        if value != expected:
            raise self.error(f"{what} is {value}, expected {expected}")

    def real(self) -> float:
        # dlib writes a float as an integer mantissa and a power-of-two exponent.
        mantissa = self.integer()
        exponent = self.integer()
        if abs(exponent) > 1100:
            raise self.error("a number is not finite")
        return math.ldexp(mantissa, exponent)

    def string(self) -> str:
        length = self.integer()
        if not 0 <= length <= 256:
            raise self.error(f"bad string length {length}")
        raw = self._take(length)
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            raise self.error("a layer name is not text") from None

    def expect_string(self, expected: str) -> None:
        found = self.string()
        if found != expected:
            raise self.error(f"expected layer {expected!r}, found {found!r}")

    def boolean(self) -> bool:
        raw = self._take(1)
        if raw not in (b"0", b"1"):
            raise self.error(f"bad boolean {raw!r}")
        return raw == b"1"

    def _dims(self) -> tuple[int, int, int, int]:
        n, k, nr, nc = (self.integer() for _ in range(4))
        if min(n, k, nr, nc) < 0:
            raise self.error("negative tensor size")
        return n, k, nr, nc

    def tensor(self) -> FloatArray:
        self.expect_integer(2, "tensor format version")
        dims = self._dims()
        count = math.prod(dims)
        raw = self._take(4 * count)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(dims)

    def alias(self) -> tuple[int, int, int, int]:
        self.expect_integer(1, "alias tensor format version")
        return self._dims()


def _read_bookkeeping(reader: _Reader) -> None:
    """Skips what add_layer stores after a layer: three flags and three (empty) tensors."""
    for _ in range(3):
        reader.boolean()
    for _ in range(3):
        reader.tensor()


def _split(reader: _Reader, params: FloatArray, *shapes: tuple[int, ...]) -> list[FloatArray]:
    flat = params.reshape(-1)
    sizes = [math.prod(shape) for shape in shapes]
    if sum(sizes) != flat.size:
        raise reader.error(f"{flat.size} parameters where the layer needs {sum(sizes)}")
    parts: list[FloatArray] = []
    start = 0
    for shape, size in zip(shapes, sizes, strict=True):
        parts.append(flat[start : start + size].reshape(shape))
        start += size
    return parts


def _read_window(reader: _Reader, spec: _Window, size_name: str, prefix: str) -> None:
    """Checks a window's rows, columns, strides and paddings, as dlib stores them."""
    for what, expected in (
        (f"{size_name} rows", spec.size),
        (f"{size_name} columns", spec.size),
        (f"{prefix}vertical stride", spec.stride),
        (f"{prefix}horizontal stride", spec.stride),
        (f"{prefix}vertical padding", spec.padding),
        (f"{prefix}horizontal padding", spec.padding),
    ):
        reader.expect_integer(expected, what)


def _read_con(reader: _Reader, spec: _Con) -> tuple[FloatArray, ...]:
    reader.expect_string("con_4")
    params = reader.tensor()
    reader.expect_integer(spec.filters, "number of filters")
    _read_window(reader, spec, "filter", "")
    filters = reader.alias()
    biases = reader.alias()
    if filters[0] != spec.filters or filters[2:] != (spec.size, spec.size):
        raise reader.error(f"filter shape {filters} does not match {spec}")
    if biases != (1, spec.filters, 1, 1):
        raise reader.error(f"bias shape {biases} does not match {spec}")
    for _ in range(4):  # learning-rate and weight-decay multipliers
        reader.real()
    weights, bias = _split(reader, params, filters, (spec.filters,))
    return weights, bias


def _read_affine(reader: _Reader) -> tuple[FloatArray, ...]:
    reader.expect_string("affine_")
    params = reader.tensor()
    gamma = reader.alias()
    beta = reader.alias()
    reader.expect_integer(0, "affine mode (0 is per channel)")
    if gamma != beta or gamma[0] != 1 or gamma[2:] != (1, 1):
        raise reader.error(f"affine shapes {gamma} and {beta} are not per channel")
    scale, shift = _split(reader, params, (gamma[1],), (beta[1],))
    return scale, shift


def _read_pool(reader: _Reader, spec: _Pool) -> None:
    reader.expect_string("max_pool_2" if spec.kind == "max" else "avg_pool_2")
    _read_window(reader, spec, "pool", "pool ")


def _read_fc(reader: _Reader, spec: _Fc) -> tuple[FloatArray, ...]:
    reader.expect_string("fc_2")
    reader.expect_integer(spec.outputs, "number of outputs")
    inputs = reader.integer()
    params = reader.tensor()
    weights = reader.alias()
    biases = reader.alias()
    reader.expect_integer(1, "fc bias mode (1 is no bias)")
    for _ in range(4):
        reader.real()
    if weights != (inputs, spec.outputs, 1, 1) or math.prod(biases) != 0:
        raise reader.error(f"fc shapes {weights} and {biases} do not match {spec}")
    (matrix,) = _split(reader, params, (inputs, spec.outputs))
    return (matrix,)


def _read_layer(reader: _Reader, spec: _Layer) -> tuple[FloatArray, ...]:
    match spec:
        case _Con():
            return _read_con(reader, spec)
        case _Affine():
            return _read_affine(reader)
        case _Relu():
            reader.expect_string("relu_")
        case _Pool():
            _read_pool(reader, spec)
        case _AddPrev():
            reader.expect_string("add_prev_")
        case _Fc():
            return _read_fc(reader, spec)
        case _Tag() | _Skip():
            pass  # tags and skips store nothing after their subnetwork
    return ()


def _parse(data: bytes, path: Path) -> _Parsed:
    """Reads the network as dlib serializes it: headers top-down, then layers bottom-up."""
    reader = _Reader(data, path)
    reader.expect_integer(1, "loss layer version")
    reader.expect_string("loss_metric_2")
    reader.real()  # margin
    reader.real()  # distance threshold
    # Each layer above the input writes its version, then its subnetwork, then itself.
    for spec in reversed(_NETWORK[1:]):
        is_computational = not isinstance(spec, _Tag | _Skip)
        reader.expect_integer(2 if is_computational else 1, f"version of {spec}")
    reader.expect_integer(3, "version of the input layer")
    reader.expect_string("input_rgb_image_sized")
    means = (reader.real(), reader.real(), reader.real())
    if not all(0.0 <= mean <= 255.0 for mean in means):
        raise reader.error(f"channel means {means} are not pixel values")
    reader.expect_integer(CHIP_SIZE, "input rows")
    reader.expect_integer(CHIP_SIZE, "input columns")
    layers: list[tuple[_Layer, tuple[FloatArray, ...]]] = []
    for index, spec in enumerate(_NETWORK):
        arrays = _read_layer(reader, spec)
        if not isinstance(spec, _Tag | _Skip):
            _read_bookkeeping(reader)
        if index == 0:
            reader.integer()  # the input layer's sample expansion factor
        layers.append((spec, arrays))
    if not reader.at_end():
        raise reader.error("unexpected data after the network")
    return _Parsed(channel_means=means, layers=tuple(layers))


@dataclass(frozen=True)
class _Value:
    """A tensor of the graph being built, with its static (channels, rows, columns)."""

    name: str
    shape: tuple[int, int, int]


class _GraphBuilder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def constant(self, prefix: str, array: npt.NDArray[np.generic]) -> str:
        name = self._name(prefix)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: Sequence[str], output: str | None = None, **attrs: Any) -> str:
        out = output or self._name(op.lower())
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out

    def conv(self, value: _Value, weights: FloatArray, bias: FloatArray, spec: _Con) -> _Value:
        channels, rows, cols = value.shape
        if weights.shape[1] != channels:
            raise ConfigurationError(
                f"{_SOURCE_NAME}: a convolution expects {weights.shape[1]} channels, got {channels}"
            )
        pad = spec.padding
        out = self.node(
            "Conv",
            [value.name, self.constant("w", weights), self.constant("b", bias)],
            kernel_shape=[spec.size, spec.size],
            strides=[spec.stride, spec.stride],
            pads=[pad] * 4,
        )
        return _Value(out, (spec.filters, *_pooled((rows, cols), spec.size, spec.stride, pad)))

    def pool(self, value: _Value, spec: _Pool) -> _Value:
        channels, rows, cols = value.shape
        if spec.size == 0:
            pooled = self.node("GlobalAveragePool", [value.name])
            return _Value(pooled, (channels, 1, 1))
        op = "MaxPool" if spec.kind == "max" else "AveragePool"
        out = self.node(
            op,
            [value.name],
            kernel_shape=[spec.size, spec.size],
            strides=[spec.stride, spec.stride],
            pads=[spec.padding] * 4,
        )
        return _Value(out, (channels, *_pooled((rows, cols), spec.size, spec.stride, spec.padding)))

    def _pad_to(self, value: _Value, shape: tuple[int, int, int]) -> str:
        extra = [target - have for target, have in zip(shape, value.shape, strict=True)]
        if not any(extra):
            return value.name
        pads = np.array([0, 0, 0, 0, 0, *extra], dtype=np.int64)
        return self.node("Pad", [value.name, self.constant("pads", pads)], mode="constant")

    def add(self, left: _Value, right: _Value) -> _Value:
        # dlib's add_prev adds tensors of different sizes as if the smaller one were zero-padded
        # at its end (more channels, more rows, more columns); it happens at two down-samplings.
        shape = (
            max(left.shape[0], right.shape[0]),
            max(left.shape[1], right.shape[1]),
            max(left.shape[2], right.shape[2]),
        )
        out = self.node("Add", [self._pad_to(left, shape), self._pad_to(right, shape)])
        return _Value(out, shape)


def _pooled(size: tuple[int, int], window: int, stride: int, pad: int) -> tuple[int, int]:
    rows, cols = size
    return 1 + (rows + 2 * pad - window) // stride, 1 + (cols + 2 * pad - window) // stride


def _fold_affine(
    weights: FloatArray, bias: FloatArray, scale: FloatArray, shift: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Folds affine(con(x)) into one convolution, in float64 so only the final cast rounds."""
    folded_weights = weights.astype(np.float64) * scale.astype(np.float64)[:, None, None, None]
    folded_bias = bias.astype(np.float64) * scale + shift
    return folded_weights.astype(np.float32), folded_bias.astype(np.float32)


def _build_model(parsed: _Parsed) -> onnx.ModelProto:
    graph = _GraphBuilder()
    # NHWC uint8 RGB in, as dlib and OpenCV hold images; transposing bytes is cheapest.
    nchw = graph.node("Transpose", [INPUT_NAME], perm=[0, 3, 1, 2])
    pixels = graph.node("Cast", [nchw], to=TensorProto.FLOAT)
    means = np.array(parsed.channel_means, dtype=np.float32).reshape(1, 3, 1, 1)
    centred = graph.node("Sub", [pixels, graph.constant("channel_means", means)])
    scale = np.array(_INPUT_SCALE, dtype=np.float32)
    value = _Value(
        graph.node("Mul", [centred, graph.constant("input_scale", scale)]),
        (3, CHIP_SIZE, CHIP_SIZE),
    )

    tags: dict[int, _Value] = {}
    layers = parsed.layers
    index = 0
    while index < len(layers):
        spec, arrays = layers[index]
        match spec:
            case _Con():
                weights, bias = arrays
                following = layers[index + 1] if index + 1 < len(layers) else None
                if following is not None and isinstance(following[0], _Affine):
                    weights, bias = _fold_affine(weights, bias, *following[1])
                    index += 1
                value = graph.conv(value, weights, bias, spec)
            case _Affine():
                scale_c, shift_c = (a.reshape(1, -1, 1, 1) for a in arrays)
                scaled = graph.node("Mul", [value.name, graph.constant("gamma", scale_c)])
                value = _Value(
                    graph.node("Add", [scaled, graph.constant("beta", shift_c)]), value.shape
                )
            case _Relu():
                value = _Value(graph.node("Relu", [value.name]), value.shape)
            case _Pool():
                value = graph.pool(value, spec)
            case _Tag():
                tags[spec.tag] = value
            case _Skip():
                value = tags[spec.tag]
            case _AddPrev():
                value = graph.add(value, tags[spec.tag])
            case _Fc():
                (matrix,) = arrays
                if matrix.shape[0] != value.shape[0] * value.shape[1] * value.shape[2]:
                    raise ConfigurationError(
                        f"{_SOURCE_NAME}: the last layer expects {matrix.shape[0]} inputs"
                    )
                flat = graph.node("Flatten", [value.name], axis=1)
                out = graph.node("MatMul", [flat, graph.constant("fc", matrix)], OUTPUT_NAME)
                value = _Value(out, (spec.outputs, 1, 1))
        index += 1

    chips = helper.make_tensor_value_info(
        INPUT_NAME, TensorProto.UINT8, ["N", CHIP_SIZE, CHIP_SIZE, 3]
    )
    descriptors = helper.make_tensor_value_info(
        OUTPUT_NAME, TensorProto.FLOAT, ["N", DESCRIPTOR_SIZE]
    )
    onnx_graph = helper.make_graph(
        graph.nodes,
        "dlib_face_recognition_resnet_model_v1",
        [chips],
        [descriptors],
        graph.initializers,
    )
    model = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", _OPSET)],
        producer_name="portique",
        producer_version=str(CONVERTER_VERSION),
        doc_string=(
            f"dlib's {_SOURCE_NAME} converted by Portique. Input 'chips': uint8 RGB face chips "
            f"[N,{CHIP_SIZE},{CHIP_SIZE},3] aligned as dlib.get_face_chip(img, shape, "
            f"{CHIP_SIZE}, 0.25) does. Output 'descriptors': float32 [N,{DESCRIPTOR_SIZE}], "
            "dlib's face descriptors (not normalised)."
        ),
    )
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model)
    return model


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A unique temporary path in target's folder, removed unless renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    path = Path(name)
    try:
        # mkstemp makes the file private; the cached model is not a secret.
        path.chmod(0o644)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _write_atomically(target: Path, content: bytes) -> None:
    with _temporary_beside(target) as temporary:
        temporary.write_bytes(content)
        os.replace(temporary, target)


def convert_dlib_resnet(dat_path: Path, onnx_path: Path) -> None:
    """Converts dlib's face recognition ResNet (.dat) into an ONNX model at onnx_path.

    The model takes "chips", uint8 RGB face chips [N,150,150,3] (NHWC, N dynamic) as
    ``dlib.get_face_chip(img, shape, 150, 0.25)`` makes them, and returns "descriptors",
    float32 [N,128], the descriptors dlib's ``compute_face_descriptor(chip)`` gives.
    Raises ConfigurationError if dat_path cannot be read or is not that network.
    """
    try:
        data = dat_path.read_bytes()
    except OSError as error:
        raise ConfigurationError(f"Cannot read the dlib face model {dat_path}: {error}") from None
    model = _build_model(_parse(data, dat_path))
    _write_atomically(onnx_path, model.SerializeToString())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _default_source() -> Path:
    import face_recognition_models

    return Path(face_recognition_models.face_recognition_model_location())


def _sidecar_for(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".json")


def _is_current(model_path: Path, source_sha256: str) -> bool:
    sidecar = _sidecar_for(model_path)
    try:
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict):
        return False
    if (
        recorded.get("source_sha256") != source_sha256
        or recorded.get("converter_version") != CONVERTER_VERSION
    ):
        return False
    try:
        return recorded.get("onnx_sha256") == _sha256(model_path)
    except OSError:
        return False


def converted_model(cache_dir: Path | None = None, source: Path | None = None) -> Path:
    """The path of dlib's face descriptor converted to ONNX, converting it on first use.

    cache_dir defaults to the configured cache folder's "models"; source defaults to the
    .dat file of face-recognition-models. A sidecar JSON next to the model records the
    source's sha256, CONVERTER_VERSION and the model's sha256; any mismatch rebuilds it.
    Files are written to a temporary name and renamed, so concurrent builds are safe.
    """
    folder = cache_dir if cache_dir is not None else get_settings().cache_dir / "models"
    dat_path = source if source is not None else _default_source()
    model_path = folder / _MODEL_NAME
    try:
        source_sha256 = _sha256(dat_path)
    except OSError as error:
        raise ConfigurationError(f"Cannot read the dlib face model {dat_path}: {error}") from None
    if _is_current(model_path, source_sha256):
        return model_path
    try:
        with _temporary_beside(model_path) as temporary:
            convert_dlib_resnet(dat_path, temporary)
            onnx_sha256 = _sha256(temporary)
            os.replace(temporary, model_path)
        record = {
            "source": str(dat_path),
            "source_sha256": source_sha256,
            "converter_version": CONVERTER_VERSION,
            "onnx_sha256": onnx_sha256,
        }
        _write_atomically(
            _sidecar_for(model_path), (json.dumps(record, indent=2) + "\n").encode("utf-8")
        )
    except OSError as error:
        raise ConfigurationError(f"Cannot write the converted model in {folder}: {error}") from None
    return model_path


class DlibResnetOnnx:
    """dlib's face descriptor run by onnxruntime on the CPU, from the converted model."""

    def __init__(self, model_path: Path | None = None, threads: int | None = None) -> None:
        """Loads model_path (default: converted_model()); threads is the intra-op count
        (default: onnxruntime's choice, one per physical core)."""
        path = model_path if model_path is not None else converted_model()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = threads if threads is not None else 0
        options.inter_op_num_threads = 1
        # Spinning workers make a call a little faster on an idle machine but steal the CPU
        # from the rest of the lane (camera, QR decoding) and are much slower when it is busy.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise ConfigurationError(f"Cannot load the ONNX face model {path}: {error}") from None

    def embed_chips(self, chips: ChipArray) -> FloatArray:
        """Descriptors of aligned face chips: uint8 RGB [N,150,150,3] or one [150,150,3]
        in, float32 [N,128] out, as dlib's compute_face_descriptor(chip) computes them."""
        batch = chips[np.newaxis] if chips.ndim == 3 else chips
        if batch.dtype != np.uint8 or batch.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
            raise BadInputError(
                f"Face chips must be uint8 RGB arrays of shape [N,{CHIP_SIZE},{CHIP_SIZE},3], "
                f"got {batch.dtype} {chips.shape}; align faces with dlib.get_face_chip first."
            )
        if batch.shape[0] == 0:
            return np.zeros((0, DESCRIPTOR_SIZE), dtype=np.float32)
        (descriptors,) = self._session.run([OUTPUT_NAME], {INPUT_NAME: np.ascontiguousarray(batch)})
        return np.asarray(descriptors, dtype=np.float32)
