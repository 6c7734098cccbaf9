"""Face commands: `portique verify` and `portique eval lfw`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from portique.commands.common import CommandApp, err, out, print_json, progress_bar
from portique.commands.options import (
    BackendOption,
    EngineOption,
    EvaluationOutOption,
    HelpSection,
    JsonOption,
)
from portique.errors import PortiqueError
from portique.i18n import number, percent, text

if TYPE_CHECKING:
    from portique.biometrics import FaceEngine
    from portique.biometrics.pad import PadDetector
    from portique.evaluation.bench import BenchResult
    from portique.evaluation.lfw import LfwResult


_help = HelpSection("faces")


def verify(
    image_a: Annotated[Path, typer.Argument(help=_help("image_a"))],
    image_b: Annotated[Path, typer.Argument(help=_help("image_b"))],
    backend: BackendOption = None,
    engine: EngineOption = None,
    operating_point: Annotated[
        str | None, typer.Option("--operating-point", help=_help("operating_point"))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Compare two face photos (1:1); help text in VERIFY_HELP."""
    from portique.biometrics import FaceEngine, create_backend, load_image
    from portique.config import get_settings

    settings = get_settings()
    chosen = create_backend(backend or settings.backend, engine=engine)
    face_engine = FaceEngine(
        chosen, operating_point_name=operating_point or settings.operating_point
    )
    started = time.perf_counter()
    captures = []
    for path in (image_a, image_b):
        image = load_image(
            path, max_pixels=settings.max_image_pixels, max_bytes=settings.max_image_bytes
        )
        try:
            captures.append(face_engine.acquire(image))
        except PortiqueError as error:
            error.message = f"{path.name}: {error.message}"
            raise
    result = face_engine.decide(captures[0].template, captures[1].template)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    if as_json:
        payload = result.as_json()
        payload["quality"] = {
            "a": captures[0].quality.as_json(),
            "b": captures[1].quality.as_json(),
        }
        payload["elapsed_ms"] = round(elapsed_ms, 1)
        print_json(payload)
    else:
        comparison = (
            f"score {number(result.score)} {'≥' if result.match else '<'} "
            + text("seuil", "threshold")
            + f" {number(result.threshold)}, {result.operating_point}, {result.backend}"
        )
        if result.match:
            out.print(
                text("[green]Même personne[/]", "[green]Same person[/]") + f" ({comparison})."
            )
        else:
            out.print(
                text("[yellow]Personnes différentes[/]", "[yellow]Different people[/]")
                + f" ({comparison})."
            )
        for path, capture in zip((image_a, image_b), captures, strict=True):
            if capture.quality.other_faces:
                out.print(
                    text(
                        f"{path.name} : {capture.quality.other_faces} autre(s) visage(s) plus "
                        "petit(s) ignoré(s).",
                        f"{path.name}: {capture.quality.other_faces} smaller face(s) ignored.",
                    )
                )
    raise typer.Exit(0 if result.match else 1)


VERIFY_HELP = _help("verify")
EVAL_LFW_HELP = _help("eval_lfw")

eval_app = CommandApp(help=_help("eval_app"), no_args_is_help=True)


@eval_app.command("lfw", help=EVAL_LFW_HELP)
def eval_lfw(
    root: Annotated[Path, typer.Option("--root", help=_help("lfw_root"))],
    pairs: Annotated[Path | None, typer.Option("--pairs", help=_help("pairs"))] = None,
    backend: BackendOption = None,
    engine: EngineOption = None,
    limit_folds: Annotated[
        int | None, typer.Option("--limit-folds", help=_help("limit_folds"))
    ] = None,
    out_dir: EvaluationOutOption = None,
    workers: Annotated[int | None, typer.Option("--workers", help=_help("workers"))] = None,
    scores_file: Annotated[Path | None, typer.Option("--scores", help=_help("scores"))] = None,
    calibrate: Annotated[bool, typer.Option("--calibrate", help=_help("calibrate"))] = False,
    calibration_file: Annotated[
        Path | None, typer.Option("--calibration-file", help=_help("calibration_file"))
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the LFW View 2 protocol; help text in EVAL_LFW_HELP."""
    from portique.config import get_settings
    from portique.evaluation.lfw import EngineSpec, evaluate
    from portique.evaluation.lfw_outputs import LfwOutputs, write_outputs

    settings = get_settings()
    chosen = backend or settings.backend
    spec = EngineSpec(
        backend=chosen,
        engine=engine,
        detector=settings.onnx_detector,
        embedder=settings.onnx_embedder if chosen == "onnx" else None,
    )
    started = time.perf_counter()
    with progress_bar(text("Visages", "Faces")) as bar:
        task = bar.task_ids[0]
        result = evaluate(
            root,
            spec,
            pairs_file=pairs,
            limit_folds=limit_folds,
            workers=workers,
            on_start=lambda total: bar.update(task, total=total),
            on_progress=lambda done: bar.advance(task, done),
            keep_subjects=scores_file is not None,
        )
    outputs = LfwOutputs(out_dir, scores_file, calibrate, calibration_file)
    summary = write_outputs(result, outputs, seconds=time.perf_counter() - started)
    if as_json:
        print_json(summary)
    else:
        _show_lfw(result, summary)


def _show_lfw(result: LfwResult, summary: dict[str, object]) -> None:
    """A run of LFW View 2 as a table, and the files it wrote."""
    table = Table(title=f"LFW View 2 — {result.backend} / {result.model}")
    table.add_column(text("Mesure", "Measure"))
    table.add_column(text("Valeur", "Value"), justify="right")
    table.add_row(
        text("Paires", "Pairs"), f"{result.pairs} ({result.folds} " + text("plis", "folds") + ")"
    )
    table.add_row("Images", str(result.images))
    table.add_row(
        text("Précision (moyenne ± écart type)", "Accuracy (mean ± std)"),
        f"{percent(result.accuracy.mean)} ± {percent(result.accuracy.std)}",
    )
    for name, value in result.fnmr_at_fmr.items():
        table.add_row(
            f"FNMR @ FMR={name.removeprefix('fmr-')}",
            f"{percent(value)} ("
            + text("seuil", "threshold")
            + f" {number(result.thresholds_at_fmr[name])})",
        )
    table.add_row("FTA", percent(result.fta))
    table.add_row(
        text("Comparaisons imposteurs", "Impostor comparisons"), f"{result.impostor.size:,}"
    )
    table.add_row(
        text("Comparaisons authentiques", "Genuine comparisons"), f"{result.genuine.size:,}"
    )
    table.add_row(text("Durée", "Time"), f"{summary['seconds']} s")
    out.print(table)
    if "det_plot" in summary:
        out.print(text("Courbe DET : ", "DET curve: ") + str(summary["det_plot"]))
    if "calibration_file" in summary:
        err.print(
            text("Points de fonctionnement enregistrés dans ", "Operating points saved to ")
            + str(summary["calibration_file"])
        )


# A lane camera sees faces at 0.5 to 1.5 m: 80 px wide or more in a 640x480 frame,
# most often over 130 px.
LANE_MIN_FACE_PX = 80.0
LANE_COARSE_FACE_PX = 130.0

BENCH_HELP = _help("bench")


def bench(
    root: Annotated[Path, typer.Option("--root", help=_help("bench_root"))] = Path(
        "../shared/datasets/lfw"
    ),
    frames: Annotated[int, typer.Option("--frames", min=2, help=_help("frames"))] = 100,
    backend: BackendOption = None,
    engine: EngineOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure the pipeline's latency; help text in BENCH_HELP."""
    from portique.config import get_settings
    from portique.evaluation.bench import run_bench

    settings = get_settings()
    names = [backend or settings.backend]
    if names[0] != "dlib":
        names.append("dlib")  # the embedded pipeline, side by side in the same run
    results = []
    with progress_bar(text("Images", "Frames")) as bar:
        task = bar.task_ids[0]
        bar.update(task, total=frames * len(names))
        for name in names:
            face_engine, pad = _lane_pipeline(name, engine, settings.operating_point)
            results.append(
                run_bench(
                    root,
                    face_engine,
                    frames=frames,
                    on_progress=lambda n: bar.advance(task, n),
                    pad=pad,
                )
            )
    result = results[0]
    dlib = results[1] if len(results) > 1 else None
    summary = result.as_json()
    if dlib is not None:
        summary["dlib"] = {
            "verify_640x480_decode_excluded": dlib.verify_frame,
            "stages_640x480": dlib.frames,
        }
    if as_json:
        print_json(summary)
    else:
        _show_bench(result, dlib)


def _lane_pipeline(
    name: str, engine: str | None, operating_point: str
) -> tuple[FaceEngine, PadDetector | None]:
    """The face engine of back end ``name`` tuned for a lane camera's faces, and the
    presentation-attack detector beside it (none for dlib, or when its model is missing)."""
    from portique.biometrics import FaceEngine, ModelError, create_backend, create_pad

    chosen = create_backend(
        name,
        engine=engine if name == "dlib" else None,
        min_face_px=LANE_MIN_FACE_PX,
        coarse_face_px=LANE_COARSE_FACE_PX,
    )
    pad = None
    if name != "dlib":
        try:
            pad = create_pad()
        except ModelError:
            pad = None
    return FaceEngine(chosen, operating_point_name=operating_point), pad


def _show_bench(result: BenchResult, dlib: BenchResult | None) -> None:
    """A bench run as a table of its stages, then its ``verify`` and descriptor figures;
    ``dlib``: the embedded pipeline's run beside it, if any."""
    table = Table(title=text("Latence par étape (ms)", "Latency per stage (ms)"))
    table.add_column(text("Étape", "Stage"))
    for label in ("640x480 p50", "640x480 p95", "250x250 p50", "250x250 p95"):
        table.add_column(label, justify="right")
    for stage in ("decode", "detect", "landmarks", "align", "quality", "embed", "compare"):
        row = [stage]
        for source in (result.frames, result.crops):
            values = source.get(stage, {})
            row += [
                number(values.get("p50_ms", float("nan")), 2),
                number(values.get("p95_ms", float("nan")), 2),
            ]
        table.add_row(*row)
    out.print(table)
    if result.verify_frame:
        out.print(
            text(
                "verify d'une image 640x480 contre un gabarit (décodage exclu) : ",
                "verify of one 640x480 frame against a template (decode excluded): ",
            )
            + _p50_p95(result.verify_frame)
        )
    if result.verify_frame_with_pad:
        out.print(
            text("… suivi de la détection d'attaques : ", "… followed by attack detection: ")
            + _p50_p95(result.verify_frame_with_pad)
        )
    if dlib is not None and dlib.verify_frame:
        out.print("dlib : verify " + _p50_p95(dlib.verify_frame))
    if result.descriptor:
        d = result.descriptor
        native, converted = d["native"], d["converted"]
        assert isinstance(native, dict) and isinstance(converted, dict)
        out.print(
            text("Descripteur dlib natif / converti : ", "dlib descriptor native / converted: ")
            + f"p50 {number(native['p50_ms'], 1)} / {number(converted['p50_ms'], 1)} ms, "
            + f"x{d['speedup_p50']}, "
            + text("cosinus min ", "min cosine ")
            + f"{d['min_cosine']}"
        )


def _p50_p95(times: dict[str, float]) -> str:
    """Two percentiles of a timing, in milliseconds: ``p50 … ms, p95 … ms``."""
    return f"p50 {number(times['p50_ms'], 1)} ms, p95 {number(times['p95_ms'], 1)} ms"
