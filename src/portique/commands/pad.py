"""The site's biometric choices and their measurement: `portique eval pad`, `portique site
pad` and `portique site model`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from portique.commands.common import CommandApp, err, out, print_json, progress_bar
from portique.commands.options import (
    BackendOption,
    DirOption,
    EvaluationOutOption,
    HelpSection,
    JsonOption,
)
from portique.commands.sitedir import open_cli_site
from portique.i18n import percent, text

_help = HelpSection("pad")

EVAL_PAD_HELP = _help("eval_pad")


def eval_pad(
    bona_fide: Annotated[Path, typer.Option("--bona-fide", help=_help("bona_fide"))],
    attacks: Annotated[Path, typer.Option("--attacks", help=_help("attacks"))],
    threshold: Annotated[
        float | None, typer.Option("--threshold", help=_help("eval_threshold"))
    ] = None,
    target_bpcer: Annotated[
        float | None, typer.Option("--target-bpcer", help=_help("target_bpcer"))
    ] = None,
    directory: DirOption = None,
    backend: BackendOption = None,
    out_dir: EvaluationOutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure PAD on folders of presentations; help text in EVAL_PAD_HELP."""
    from portique.biometrics import create_backend, create_pad
    from portique.errors import BadInputError
    from portique.evaluation.pad import evaluate_pad, write_pad_det

    if target_bpcer is not None and not 0.0 < target_bpcer < 1.0:
        raise BadInputError(
            text("--target-bpcer : entre 0 et 1.", "--target-bpcer: between 0 and 1.")
        )
    detector = create_backend(backend or "edgeface")
    pad = create_pad()
    with progress_bar(text("Présentations", "Presentations")) as bar:
        task = bar.task_ids[0]
        result = evaluate_pad(
            bona_fide,
            attacks,
            detector,
            pad,
            threshold=threshold,
            on_start=lambda total: bar.update(task, total=total),
            on_progress=lambda done: bar.advance(task, done),
        )
    summary = result.summary()
    if target_bpcer is not None:
        chosen = result.threshold_for_bpcer(target_bpcer)
        summary["site_threshold"] = round(chosen, 6)
        summary["site_threshold_bpcer"] = round(result.bpcer(chosen), 6)
        summary["site_threshold_apcer"] = {k: round(v, 6) for k, v in result.apcer(chosen).items()}
        _set_site_threshold(directory, chosen)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        summary["det_plot"] = str(write_pad_det(result, out_dir / "det.png"))
        (out_dir / "summary.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    if as_json:
        print_json(summary)
        return
    _show_pad(summary)


def _set_site_threshold(directory: Path | None, threshold: float) -> None:
    from portique.services.rows import site_row
    from portique.services.settings import set_presentation_attack_detection

    with open_cli_site(directory) as site, site.session() as session:
        set_presentation_attack_detection(
            site_row(session, site.site_id), enabled=True, threshold=threshold
        )


def _show_pad(summary: dict[str, object]) -> None:
    synthetic = text(" (synthétique)", " (synthetic)") if summary["synthetic"] else ""
    table = Table(title=text("Détection d'attaques", "Presentation-attack detection") + synthetic)
    table.add_column(text("Mesure", "Measure"))
    table.add_column(text("Valeur", "Value"), justify="right")
    table.add_row(text("Seuil", "Threshold"), str(summary["threshold"]))
    apcer = summary["apcer"]
    assert isinstance(apcer, dict)
    for species, value in apcer.items():
        table.add_row(f"APCER {species}", percent(float(value)))
    for key in ("apcer_max", "bpcer", "bpcer_at_apcer_0.05", "bpcer_at_apcer_0.10"):
        value = summary[key]
        assert isinstance(value, float)
        table.add_row(key.upper().replace("_AT_", " @ ").replace("_", " "), percent(value))
    out.print(table)
    if "site_threshold" in summary:
        err.print(
            text("Seuil de l'établissement fixé à ", "Site threshold set to ")
            + str(summary["site_threshold"])
        )


site_app = CommandApp(help=_help("site_app"), no_args_is_help=True)


@site_app.command("pad", help=_help("site_pad"))
def site_pad(
    state: Annotated[str, typer.Argument(help="on | off")],
    threshold: Annotated[
        float | None, typer.Option("--threshold", help=_help("site_threshold"))
    ] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Turn PAD on or off for the site."""
    from portique.biometrics.pad import DEFAULT_PAD_THRESHOLD
    from portique.errors import BadInputError
    from portique.services.rows import site_row
    from portique.services.settings import set_presentation_attack_detection

    if state not in ("on", "off"):
        raise BadInputError(text("Donner on ou off.", "Give on or off."))
    with open_cli_site(directory) as site, site.session() as session:
        stored = set_presentation_attack_detection(
            site_row(session, site.site_id), enabled=state == "on", threshold=threshold
        )
    chosen = stored.pad_threshold if stored.pad_threshold is not None else DEFAULT_PAD_THRESHOLD
    if as_json:
        print_json({"pad_enabled": stored.pad_enabled, "pad_threshold": chosen})
        return
    out.print(
        text("Détection d'attaques : ", "Presentation-attack detection: ")
        + (
            text(f"activée (seuil {chosen})", f"on (threshold {chosen})")
            if stored.pad_enabled
            else text("désactivée", "off")
        )
    )


model_app = CommandApp(help=_help("model_app"), no_args_is_help=True)
site_app.add_typer(model_app, name="model")


@model_app.command("set", help=_help("model_set"))
def model_set(
    model: Annotated[str, typer.Argument(help="edgeface_xs_q | dlib-resnet-v1")],
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Start a change of the site's face model."""
    from portique.biometrics import backend_for_model
    from portique.biometrics.models import KNOWN_MODELS
    from portique.services.rows import site_row
    from portique.services.settings import set_face_model

    backend_for_model(model)
    with open_cli_site(directory) as site, site.session() as session:
        stored = set_face_model(site_row(session, site.site_id), model)
    note = next((m.licence_note for m in KNOWN_MODELS if m.name == model), "")
    if as_json:
        print_json(
            {
                "face_model": stored.face_model,
                "previous_face_model": stored.previous_face_model,
                "licence_note": note or None,
            }
        )
        return
    out.print(text("Modèle de visage : ", "Face model: ") + str(stored.face_model))
    if stored.previous_face_model:
        out.print(text("Encore lu : ", "Still read: ") + stored.previous_face_model)
    if note:
        err.print(text("[yellow]Licence :[/] ", "[yellow]Licence:[/] ") + note)


@model_app.command("drop-previous", help=_help("model_drop_previous"))
def model_drop_previous(
    force: Annotated[bool, typer.Option("--force")] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """End a change of the site's face model."""
    from portique import clock
    from portique.errors import BadInputError
    from portique.services.credentials import reenrol_list
    from portique.services.rows import site_row
    from portique.services.settings import drop_previous_face_model

    with open_cli_site(directory) as site, site.session() as session:
        waiting = reenrol_list(session, site.site_id, now=clock.now())
        if waiting and not force:
            raise BadInputError(
                text(
                    f"{len(waiting)} titre(s) portent encore un gabarit de l'ancien modèle "
                    "(`portique credential reenrol-list`).",
                    f"{len(waiting)} credential(s) still carry a template of the old model "
                    "(`portique credential reenrol-list`).",
                )
            )
        stored = drop_previous_face_model(site_row(session, site.site_id))
    if as_json:
        print_json({"face_model": stored.face_model, "previous_face_model": None})
        return
    out.print(text("Ancien modèle abandonné.", "Old model dropped."))
